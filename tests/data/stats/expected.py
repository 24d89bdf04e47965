#!/usr/bin/env python3
"""Independent reference values for tests/unit/test_stats.c, from Python's standard library only
(statistics, math, fractions, itertools). Run: python3 tests/data/stats/expected.py
The constants it prints are pasted into the test; this file records how they were obtained."""
import itertools
import math
import statistics
from fractions import Fraction
from statistics import NormalDist

N = NormalDist()

def show(name, v):
    print(f"{name} = {v!r}")

# -- median and quantiles (statistics.quantiles(method='inclusive') is R type 7)
A = [3, 1, 4, 1, 5, 9, 2, 6]
B = [2.5, -1, 7, 3.25, 0, 11, 4]
show("median(A)", statistics.median(A))
show("quartiles(A)", statistics.quantiles(A, n=4, method='inclusive'))
show("deciles(A)", statistics.quantiles(A, n=10, method='inclusive'))
show("median(B)", statistics.median(B))
show("quartiles(B)", statistics.quantiles(B, n=4, method='inclusive'))
show("percentiles(B)[0,32,98]", [statistics.quantiles(B, n=100, method='inclusive')[i] for i in (0, 32, 98)])

# -- normal distribution
for p in (0.975, 0.995, 0.5, 0.025, 0.3, 0.9, 1e-10, 1 - 1e-6, 1e-300):
    show(f"inv_cdf({p!r})", N.inv_cdf(p))
for z in (0.0, 1.0, -1.0, 1.959963984540054, -3.5, 6.0):
    show(f"cdf({z!r})", N.cdf(z))

# -- Mann-Whitney U with ties, normal approximation with tie and continuity corrections:
#    sigma^2 = na nb / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))), z = (|U - na nb / 2| - 0.5) / sigma,
#    p = 2 (1 - Phi(z))
def mw_normal(a, b):
    u = sum(1.0 if y > x else 0.5 if y == x else 0.0 for x in a for y in b)
    pool = sorted(a + b)
    n = len(pool)
    ties = sum(t**3 - t for t in (pool.count(v) for v in set(pool)))
    var = len(a) * len(b) / 12 * ((n + 1) - ties / (n * (n - 1)))
    z = max(0.0, abs(u - len(a) * len(b) / 2) - 0.5) / math.sqrt(var)
    return u, var, 2 * (1 - N.cdf(z))
show("mw_normal tie case", mw_normal([1, 2, 2, 3, 4], [2, 3, 5, 5, 6, 7]))
show("mw_normal HL case", mw_normal([1, 2, 3], [2, 4, 6]))
big_a = [i * 1.0 for i in range(21)]
big_b = [i + 3.5 for i in range(20)]
show("mw_normal big", mw_normal(big_a, big_b))

# -- exact Mann-Whitney by enumeration of every split of the ranks (small sizes)
def mw_exact_counts(na, nb):
    cnt = {}
    for chosen in itertools.combinations(range(na + nb), na):
        s = set(chosen)
        u = sum(1 for i in range(na + nb) if i not in s for j in chosen if i > j)
        cnt[u] = cnt.get(u, 0) + 1
    return cnt
c = mw_exact_counts(5, 5)
show("5x5 counts u=0..6", [c[u] for u in range(7)])
c = mw_exact_counts(10, 10)
tot = sum(c.values())
cum = 0
for u in range(101):
    cum += c.get(u, 0)
    if Fraction(cum, tot) > Fraction(25, 1000):
        show("10x10: largest u with P(U<=u)<=0.025", u - 1)
        break

# -- exact Mann-Whitney with ties: the permutation distribution of U over the pooled values'
#    mid-ranks (every choice of len(b) of them as b's equally likely); p = min(1, 2 min(P(U <= u),
#    P(U >= u)))
def mw_exact_ties(a, b):
    pool = sorted(a + b)
    mid = {v: Fraction(pool.index(v) + 1 + pool.index(v) + pool.count(v), 2) for v in pool}
    ranks = [mid[v] for v in a + b]
    nb = len(b)
    cnt = {}
    for chosen in itertools.combinations(range(len(ranks)), nb):
        u = sum(ranks[k] for k in chosen) - Fraction(nb * (nb + 1), 2)
        cnt[u] = cnt.get(u, 0) + 1
    tot = sum(cnt.values())
    u = sum(Fraction(1) if y > x else Fraction(1, 2) if y == x else 0 for x in a for y in b)
    lo = sum(v for k, v in cnt.items() if k <= u)
    hi = sum(v for k, v in cnt.items() if k >= u)
    p = min(Fraction(1), 2 * Fraction(min(lo, hi), tot))
    return float(u), p, float(p)
show("mw_exact tie case", mw_exact_ties([1, 2, 2, 3, 4], [2, 3, 5, 5, 6, 7]))
show("mw_exact HL case", mw_exact_ties([1, 2, 3], [2, 4, 6]))
show("mw_exact one-sample tie", mw_exact_ties([1, 1, 2], [5, 6, 7]))

# -- exact Mann-Whitney without ties, too large to enumerate: the counts by the recursion
#    f(u; m, n) = f(u - n; m - 1, n) + f(u; m, n - 1) (the largest value is a b or an a)
def mw_untied_counts(m, n):
    from functools import lru_cache
    @lru_cache(maxsize=None)
    def f(u, m, n):
        if u < 0:
            return 0
        if m == 0 or n == 0:
            return 1 if u == 0 else 0
        return f(u - m, m, n - 1) + f(u, m - 1, n)   # the largest is a b (above all m a's), or an a
    return [f(u, m, n) for u in range(m * n + 1)]
c = mw_untied_counts(21, 20)
tot = sum(c)
u = sum(1 for x in big_a for y in big_b if y > x)
show("mw_exact big (21 x 20, untied): u, p", (u, float(min(Fraction(1), 2 * Fraction(min(sum(c[:u + 1]), sum(c[u:])), tot)))))
normal_a = [i * 1.0 for i in range(61)]       # 61 + 60 = 121 > 100 pooled values: normal approximation
normal_b = [i + 3.5 for i in range(60)]
show("mw_normal 61 x 60", mw_normal(normal_a, normal_b))

# -- Mann-Kendall / Theil-Sen
def mk(x, y):
    pts = sorted(zip(x, y))
    n = len(pts)
    s = sum((pts[j][1] > pts[i][1]) - (pts[j][1] < pts[i][1])
            for i in range(n) for j in range(i + 1, n) if pts[j][0] > pts[i][0])
    var = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in
           (y.count(v) for v in set(y)))) / 18
    z = 0 if s == 0 else (s - math.copysign(1, s)) / math.sqrt(var)
    return s, var, z, 2 * (1 - N.cdf(abs(z)))
show("mk increasing n=10", mk(list(range(10)), list(range(10))))
show("mk y ties", mk(list(range(1, 9)), [1, 2, 2, 3, 3, 3, 4, 5]))
X = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
Y = [2.1, 3.9, 6.2, 7.0, 10.5, 11.9, 13.1, 16.3, 17.7, 21.2, 22.4, 23.6]
s, var, z, p = mk(X, Y)
show("mk noisy", (s, var, z, p))
slopes = sorted((Y[j] - Y[i]) / (X[j] - X[i]) for i in range(len(X)) for j in range(i + 1, len(X)))
ts = statistics.median(slopes)
show("theil-sen noisy slope", ts)
show("theil-sen noisy intercept", statistics.median([y - ts * x for x, y in zip(X, Y)]))
C = N.inv_cdf(0.975) * math.sqrt(var)
m1 = math.floor((len(slopes) - C) / 2)
m2 = math.ceil((len(slopes) + C) / 2 + 1)
show("sen CI indices (1-based, floor/ceil)", (m1, m2))
show("sen CI", (slopes[m1 - 1], slopes[m2 - 1]))
