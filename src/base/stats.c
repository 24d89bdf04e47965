/* Robust two-sample and trend statistics; see stats.h. Order statistics of the O(n^2) pairwise
 * differences and slopes are found by selection (expected linear time), not by sorting. */
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Largest na * nb for which stats_shift builds its pairwise differences (8 MB of doubles). */
#define SHIFT_PAIRS_MAX 1000000u

static int cmp_double(const void *pa, const void *pb)
{
        double a = *(const double *)pa, b = *(const double *)pb;

        return (a > b) - (a < b);
}

static void swap_double(double *a, double *b)
{
        double t = *a;

        *a = *b;
        *b = t;
}

/* Moves the k-th smallest (0-based) of v[0..n) to v[k], with v[0..k) <= v[k] <= v[k+1..n).
 * Quickselect with a median-of-three pivot (Numerical Recipes' select); if it has not
 * converged after a generous number of rounds, sorts what is left, so the worst case stays
 * O(n log n). No NaNs in v. */
static void select_kth(double *v, size_t n, size_t k)
{
        size_t l = 0, ir = n - 1, budget = 16;

        for (size_t m = n; m > 1; m >>= 1)
                budget += 2;
        for (;;) {
                if (ir <= l + 1) {
                        if (ir == l + 1 && v[ir] < v[l])
                                swap_double(&v[l], &v[ir]);
                        return;
                }
                if (budget-- == 0) {
                        qsort(v + l, ir - l + 1, sizeof(*v), cmp_double);
                        return;
                }
                size_t mid = l + (ir - l) / 2, i = l + 1, j = ir;
                double a;

                swap_double(&v[mid], &v[l + 1]);
                if (v[l] > v[ir])
                        swap_double(&v[l], &v[ir]);
                if (v[l + 1] > v[ir])
                        swap_double(&v[l + 1], &v[ir]);
                if (v[l] > v[l + 1])
                        swap_double(&v[l], &v[l + 1]);
                a = v[l + 1];
                for (;;) {
                        do
                                i++;
                        while (v[i] < a);
                        do
                                j--;
                        while (v[j] > a);
                        if (j < i)
                                break;
                        swap_double(&v[i], &v[j]);
                }
                v[l + 1] = v[j];
                v[j] = a;
                if (j >= k)
                        ir = j - 1;
                if (j <= k)
                        l = i;
        }
}

/* Finds the order statistics idx[0..nidx) (0-based, ascending, each in [lo, hi)) of v[lo..hi),
 * which it reorders, and stores them in out[]. Each selection narrows the ranges of the rest. */
static void select_range(double *v, size_t lo, size_t hi, const size_t *idx, double *out,
                         size_t nidx)
{
        size_t h, k, left, right;

        if (nidx == 0)
                return;
        h = nidx / 2;
        k = idx[h];
        select_kth(v + lo, hi - lo, k - lo);
        out[h] = v[k];
        left = h;
        while (left > 0 && idx[left - 1] == k)
                out[--left] = v[k];
        right = h + 1;
        while (right < nidx && idx[right] == k)
                out[right++] = v[k];
        select_range(v, lo, k, idx, out, left);
        select_range(v, k + 1, hi, idx + right, out + right, nidx - right);
}

/* The midpoint of a and b without overflow (halving is exact for normal numbers). */
static double mid(double a, double b)
{
        return a == b ? a : 0.5 * a + 0.5 * b;
}

/* Median of v[0..n), n > 0, which it reorders. */
static double median_inplace(double *v, size_t n)
{
        size_t idx[2] = { (n - 1) / 2, n / 2 };
        double out[2];

        select_range(v, 0, n, idx, out, 2);
        return mid(out[0], out[1]);
}

static int any_nan(const double *x, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (isnan(x[i]))
                        return 1;
        return 0;
}

static int all_finite(const double *x, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if (!isfinite(x[i]))
                        return 0;
        return 1;
}

int stats_quantile(const double *x, size_t n, double q, double *ret)
{
        size_t idx[2];
        double out[2], h, frac, *v;

        if (n == 0 || !(q >= 0 && q <= 1) || any_nan(x, n))
                return -EINVAL;
        v = malloc(n * sizeof(*v));
        if (!v)
                return -ENOMEM;
        memcpy(v, x, n * sizeof(*v));
        h = q * (double)(n - 1);
        idx[0] = (size_t)h; /* h >= 0: truncation is floor */
        if (idx[0] > n - 1)
                idx[0] = n - 1;
        idx[1] = idx[0] + 1 < n ? idx[0] + 1 : idx[0];
        frac = h - (double)idx[0];
        select_range(v, 0, n, idx, out, 2);
        free(v);
        *ret = frac > 0 && out[1] != out[0] ? out[0] + frac * (out[1] - out[0]) : out[0];
        return 0;
}

int stats_median(const double *x, size_t n, double *ret)
{
        double *v;

        if (n == 0 || any_nan(x, n))
                return -EINVAL;
        v = malloc(n * sizeof(*v));
        if (!v)
                return -ENOMEM;
        memcpy(v, x, n * sizeof(*v));
        *ret = median_inplace(v, n);
        free(v);
        return 0;
}

double stats_norm_cdf(double z)
{
        return 0.5 * erfc(-z / M_SQRT2);
}

/* Acklam's rational approximation (relative error < 1.15e-9) on the lower half, refined by
 * one Halley step against erfc; the upper half by symmetry, since 1 - p is exact there. */
double stats_norm_quantile(double p)
{
        static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
                                    -2.759285104469687e+02, 1.383577518672690e+02,
                                    -3.066479806614716e+01, 2.506628277459239e+00 };
        static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
                                    -1.556989798598866e+02, 6.680131188771972e+01,
                                    -1.328068155288572e+01 };
        static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
                                    -2.400758277161838e+00, -2.549732539343734e+00,
                                    4.374664141464968e+00, 2.938163982698783e+00 };
        static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
                                    2.445134137142996e+00, 3.754408661907416e+00 };
        double x, q, r, e, u;

        if (isnan(p))
                return p;
        if (p <= 0)
                return -INFINITY;
        if (p >= 1)
                return INFINITY;
        if (p > 0.5)
                return -stats_norm_quantile(1 - p);
        if (p < 0.02425) {
                q = sqrt(-2 * log(p));
                x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        } else {
                q = p - 0.5;
                r = q * q;
                x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
                    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
        }
        e = 0.5 * erfc(-x / M_SQRT2) - p;
        u = e * sqrt(2 * M_PI) * exp(x * x / 2);
        return x - u / (1 + x * u / 2);
}

/* The null distribution of the Mann-Whitney U that both the p-value and the interval use. U
 * is handled doubled (u2 = 2U), an integer in [0, 2m] since ties count as halves. */
struct mw_null {
        size_t m;            /* na * nb */
        int exact;
        double *lo, *hi;     /* exact: P(2U <= v) and P(2U >= v), v = 0..2m */
        double mu, sd;       /* normal: mean and tie-corrected standard deviation of U */
};

/* Two-sided p-value of U = u2 / 2: twice the smaller tail, at most 1. */
static double mw_p(const struct mw_null *z, size_t u2)
{
        double dev;

        if (z->exact)
                return fmin(1, 2 * fmin(z->lo[u2], z->hi[u2]));
        dev = fabs((double)u2 / 2 - z->mu) - 0.5;
        if (dev <= 0)
                return 1;
        if (!(z->sd > 0))
                return 0;
        return fmin(1, erfc(dev / z->sd / M_SQRT2));
}

/* The exact permutation distribution of U over the mid-ranks of the sorted pooled values
 * pool[0..na+nb): every choice of nb of them as b's equally likely. Counts the subsets of the
 * smaller sample's size by their sum of doubled mid-ranks, one tie group at a time (choosing k
 * of a group of t in C(t, k) ways). Counts are doubles: exact integers up to 2^53
 * (C(56, 28)), a relative error of about 1e-16 per step above. */
static int mw_exact(const double *pool, size_t na, size_t nb, struct mw_null *z)
{
        size_t n = na + nb, ns = na < nb ? na : nb, m = na * nb;
        size_t smax = ns * (2 * n - ns + 1), width = smax + 1, reach = 0, rank = 1;
        double *cur = calloc((ns + 1) * width, sizeof(*cur));
        double *nxt = calloc((ns + 1) * width, sizeof(*nxt));
        double *binom = malloc((n + 1) * sizeof(*binom)), total = 0;
        int r = -ENOMEM;

        z->lo = calloc(2 * m + 1, sizeof(*z->lo));
        z->hi = calloc(2 * m + 1, sizeof(*z->hi));
        if (!cur || !nxt || !binom || !z->lo || !z->hi)
                goto out;
        cur[0] = 1;
        for (size_t i = 0; i < n;) {
                size_t t = 1, w, top;

                while (i + t < n && pool[i + t] == pool[i])
                        t++;
                w = 2 * rank + t - 1; /* doubled mid-rank: first + last rank */
                binom[0] = 1;         /* row t of Pascal's triangle */
                for (size_t k = 1; k <= t; k++) {
                        binom[k] = 1;
                        for (size_t q = k - 1; q > 0; q--)
                                binom[q] += binom[q - 1];
                }
                top = reach + t * w < smax ? reach + t * w : smax;
                memset(nxt, 0, (ns + 1) * width * sizeof(*nxt));
                for (size_t c = 0; c <= ns; c++)
                        for (size_t s = 0; s <= reach; s++) {
                                double v = cur[c * width + s];

                                if (v == 0)
                                        continue;
                                for (size_t k = 0; k <= t && c + k <= ns && s + k * w <= smax; k++)
                                        nxt[(c + k) * width + s + k * w] += v * binom[k];
                        }
                double *x = cur;
                cur = nxt;
                nxt = x;
                reach = top;
                rank += t;
                i += t;
        }
        /* 2U of b: from b's doubled rank sum, or from a's (U of a and of b add up to m) */
        for (size_t s = ns * (ns + 1); s <= smax; s++) {
                double v = cur[ns * width + s];
                size_t u2 = s - ns * (ns + 1);

                if (v == 0)
                        continue;
                if (ns == na)
                        u2 = 2 * m - u2;
                z->lo[u2] += v; /* frequencies for now */
                total += v;
        }
        for (size_t v = 2 * m + 1; v-- > 0;)
                z->hi[v] = z->lo[v] + (v < 2 * m ? z->hi[v + 1] : 0);
        for (size_t v = 1; v <= 2 * m; v++)
                z->lo[v] += z->lo[v - 1];
        for (size_t v = 0; v <= 2 * m; v++) {
                z->lo[v] /= total;
                z->hi[v] /= total;
        }
        z->exact = 1;
        z->m = m;
        r = 0;
out:
        free(cur);
        free(nxt);
        free(binom);
        return r;
}

/* The normal approximation: mean m/2, variance na nb / 12 ((N + 1) - sum(t^3 - t) / (N (N - 1)))
 * over the tie groups of the pooled values. */
static void mw_normal(const double *pool, size_t na, size_t nb, struct mw_null *z)
{
        double tie_sum = 0, n = (double)(na + nb), var;

        for (size_t i = 0; i < na + nb;) {
                size_t j = i + 1;

                while (j < na + nb && pool[j] == pool[i])
                        j++;
                double t = (double)(j - i);
                tie_sum += t * t * t - t;
                i = j;
        }
        var = (double)na * (double)nb / 12 * ((n + 1) - tie_sum / (n * (n - 1)));
        z->exact = 0;
        z->m = na * nb;
        z->mu = (double)z->m / 2;
        z->sd = var > 0 ? sqrt(var) : 0;
}

/* 1 / C(m + n, m) without overflow. */
static double inv_choose(size_t m, size_t n)
{
        size_t k = m < n ? m : n, big = m + n - k;
        double r = 1;

        for (size_t i = 1; i <= k; i++)
                r *= (double)i / (double)(big + i);
        return r;
}

int stats_shift_covers(const struct stats_shift *s, double x)
{
        return (x > s->ci_low || (x == s->ci_low && s->ci_low_closed)) &&
               (x < s->ci_high || (x == s->ci_high && s->ci_high_closed));
}

/* The null distribution of U for the pooled values pool[0..na+nb), sorted: exact for small
 * samples, else the normal approximation. Returns 0 or -ENOMEM; z's tables are the caller's to
 * free either way. */
static int mw_null_of(const double *pool, size_t na, size_t nb, struct mw_null *z)
{
        if (na + nb <= STATS_SHIFT_EXACT_N)
                return mw_exact(pool, na, nb, z);
        mw_normal(pool, na, nb, z);
        return 0;
}

/* The accepted values of 2U at level 1 - alpha, [*lo2, *hi2]: p is unimodal in U (a rising tail
 * against a falling one), so they are a range around the distribution's middle. */
static void accepted_u2(const struct mw_null *z, size_t na, size_t nb, double alpha, size_t *lo2, size_t *hi2)
{
        size_t m = na * nb, m2 = 2 * m;

        if (2 * inv_choose(na, nb) >= alpha) {
                *lo2 = 0; /* no outcome can be rejected: every shift is accepted */
                *hi2 = m2;
        } else if (z->exact) {
                size_t lo, hi;

                for (lo = 0; lo < m2 && mw_p(z, lo) < alpha; lo++)
                        ;
                for (hi = m2; hi > lo && mw_p(z, hi) < alpha; hi--)
                        ;
                *lo2 = lo;
                *hi2 = hi;
        } else {
                /* symmetric about m: the last accepted value above it, by bisection */
                size_t a = m, b = m2 + 1; /* mw_p(m) = 1; b: first rejected or past the end */

                while (b - a > 1) {
                        size_t c = a + (b - a) / 2;

                        if (mw_p(z, c) >= alpha)
                                a = c;
                        else
                                b = c;
                }
                *hi2 = a;
                *lo2 = m2 - a;
        }
}

/* out[i] = the idx[i]-th smallest of d[0..m) (0-based), idx in any order; reorders d. */
static void select_ranks(double *d, size_t m, const size_t idx[4], double out[4])
{
        size_t order[4] = { 0, 1, 2, 3 }, sel[4];
        double vals[4];

        for (int i = 1; i < 4; i++) /* ascending, for the selection */
                for (int j = i; j > 0 && idx[order[j]] < idx[order[j - 1]]; j--) {
                        size_t t = order[j];
                        order[j] = order[j - 1];
                        order[j - 1] = t;
                }
        for (int i = 0; i < 4; i++)
                sel[i] = idx[order[i]];
        select_range(d, 0, m, sel, vals, 4);
        for (int i = 0; i < 4; i++)
                out[order[i]] = vals[i];
}

/* G2(D) = 2 #{d < D} + #{d == D} over d[0..m), at each of at[0] and at[1]. */
static void g2_at(const double *d, size_t m, const double at[2], size_t ret_g2[2])
{
        size_t below[2] = { 0, 0 }, equal[2] = { 0, 0 };

        for (size_t i = 0; i < m; i++)
                for (int e = 0; e < 2; e++) {
                        below[e] += d[i] < at[e];
                        equal[e] += d[i] == at[e];
                }
        for (int e = 0; e < 2; e++)
                ret_g2[e] = 2 * below[e] + equal[e];
}

/* The Hodges-Lehmann estimate and the interval's ends, from the pairwise differences d[0..m)
 * (reordered) and the accepted values of 2U, [lo2, hi2].
 *
 * With G2(D) = 2 #{d < D} + #{d == D} = 2m - 2U(D), rising with D, the interval is where
 * m2 - hi2 <= G2 <= m2 - lo2. Its low end is the ceil((m2 - hi2) / 2)-th smallest difference,
 * its high end the (floor((m2 - lo2) / 2) + 1)-th; each belongs to the interval when G2 there is
 * in range. The Hodges-Lehmann estimate is the median. */
static void shift_interval(double *d, size_t m, size_t lo2, size_t hi2, struct stats_shift *ret)
{
        size_t m2 = 2 * m, g_lo = m2 - hi2, g_hi = m2 - lo2, idx[4], g2[2];
        double out[4], ends[2];

        idx[0] = g_lo > 0 ? (g_lo + 1) / 2 - 1 : 0;
        idx[1] = (m - 1) / 2;
        idx[2] = m / 2;
        idx[3] = g_hi < m2 ? g_hi / 2 : m - 1;
        select_ranks(d, m, idx, out);
        ret->hl = mid(out[1], out[2]);
        ends[0] = out[0];
        ends[1] = out[3];
        g2_at(d, m, ends, g2);
        ret->ci_low = g_lo > 0 ? out[0] : -INFINITY;
        ret->ci_low_closed = g_lo > 0 && g2[0] >= g_lo && g2[0] <= g_hi;
        ret->ci_high = g_hi < m2 ? out[3] : INFINITY;
        ret->ci_high_closed = g_hi < m2 && g2[1] >= g_lo && g2[1] <= g_hi;
}

/* Coverage: the chance of an accepted U, 2U in [lo2, hi2], under the null distribution. */
static double shift_coverage(const struct mw_null *z, size_t lo2, size_t hi2, size_t m2)
{
        if (lo2 == 0 && hi2 == m2)
                return 1;
        if (z->exact)
                return 1 - (lo2 > 0 ? z->lo[lo2 - 1] : 0) - (hi2 < m2 ? z->hi[hi2 + 1] : 0);
        return 1 - mw_p(z, hi2 + 1); /* a U as far out as the first rejected */
}

/* Fills the test and the interval of ret from the pairwise differences d[0..na*nb), which it
 * reorders, the pooled values pool[0..na+nb), sorted, and U. */
static int shift_tests(double *d, const double *pool, size_t na, size_t nb, double level,
                       double u, struct stats_shift *ret)
{
        struct mw_null z = { 0 };
        size_t m = na * nb, lo2, hi2;
        int r;

        r = mw_null_of(pool, na, nb, &z);
        if (r < 0)
                goto out;
        ret->u = u;
        ret->exact = z.exact;
        ret->p_value = mw_p(&z, (size_t)llround(2 * u));
        accepted_u2(&z, na, nb, 1 - level, &lo2, &hi2);
        shift_interval(d, m, lo2, hi2, ret);
        ret->ci_level = shift_coverage(&z, lo2, hi2, 2 * m);
        ret->significant = !stats_shift_covers(ret, 0);
out:
        free(z.lo);
        free(z.hi);
        return r;
}

int stats_shift(const double *a, size_t na, const double *b, size_t nb, double level,
                struct stats_shift *ret)
{
        struct stats_shift s = { 0 };
        double *d = NULL, *pool = NULL, u = 0;
        size_t m;
        int r;

        if (na == 0 || nb == 0 || !(level > 0 && level < 1) || !all_finite(a, na) ||
            !all_finite(b, nb))
                return -EINVAL;
        if (na > SHIFT_PAIRS_MAX / nb)
                return -E2BIG;
        m = na * nb;
        d = malloc(m * sizeof(*d));
        pool = malloc((na + nb) * sizeof(*pool));
        if (!d || !pool) {
                r = -ENOMEM;
                goto out;
        }

        for (size_t j = 0, p = 0; j < nb; j++)
                for (size_t i = 0; i < na; i++, p++) {
                        d[p] = b[j] - a[i];
                        u += b[j] > a[i] ? 1 : b[j] == a[i] ? 0.5 : 0;
                }

        memcpy(pool, a, na * sizeof(*pool));
        s.median_a = median_inplace(pool, na);
        memcpy(pool, b, nb * sizeof(*pool));
        s.median_b = median_inplace(pool, nb);
        s.delta = s.median_b - s.median_a;
        s.delta_rel = s.median_a != 0 ? s.delta / s.median_a : 0;

        memcpy(pool, a, na * sizeof(*pool));
        memcpy(pool + na, b, nb * sizeof(*pool));
        qsort(pool, na + nb, sizeof(*pool), cmp_double);

        r = shift_tests(d, pool, na, nb, level, u, &s);
        if (r == 0)
                *ret = s;
out:
        free(d);
        free(pool);
        return r;
}

struct point {
        double x, y;
};

static int cmp_point_x(const void *pa, const void *pb)
{
        const struct point *a = pa, *b = pb;

        return (a->x > b->x) - (a->x < b->x);
}

/* Tie statistics of the sorted v[0..n): sums over tie groups of size t of t(t-1)(2t+5),
 * t(t-1)(t-2) and t(t-1). */
static void tie_sums(const double *v, size_t n, double sums[3])
{
        sums[0] = sums[1] = sums[2] = 0;
        for (size_t i = 0; i < n;) {
                size_t j = i + 1;

                while (j < n && v[j] == v[i])
                        j++;
                double t = (double)(j - i);
                sums[0] += t * (t - 1) * (2 * t + 5);
                sums[1] += t * (t - 1) * (t - 2);
                sums[2] += t * (t - 1);
                i = j;
        }
}

/* Mann-Kendall's S over the points pts[0..n), sorted by x, and the slopes of the pairs with
 * different x into slopes[0..*ret_npairs). Pairs with equal x have no slope and no order in
 * time: they count in neither. Returns 0, or -ERANGE when a slope is inf / inf (coordinates
 * near DBL_MAX). */
static int kendall_pairs(const struct point *pts, size_t n, double *slopes, size_t *ret_npairs, long long *ret_s)
{
        size_t npairs = 0;
        long long s = 0;

        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++) {
                        double dy = pts[j].y - pts[i].y, dx = pts[j].x - pts[i].x;

                        if (dx <= 0)
                                continue;
                        s += (dy > 0) - (dy < 0);
                        slopes[npairs] = dy / dx;
                        if (isnan(slopes[npairs]))
                                return -ERANGE;
                        npairs++;
                }
        *ret_npairs = npairs;
        *ret_s = s;
        return 0;
}

/* Kendall's variance of S with ties in y and, should they occur, in x; pts[0..n) sorted by x,
 * scratch[0..n) overwritten. */
static double kendall_var(const struct point *pts, size_t n, double *scratch)
{
        double tx[3], ty[3], nn = (double)n;

        for (size_t i = 0; i < n; i++)
                scratch[i] = pts[i].x;
        tie_sums(scratch, n, tx);
        for (size_t i = 0; i < n; i++)
                scratch[i] = pts[i].y;
        qsort(scratch, n, sizeof(*scratch), cmp_double);
        tie_sums(scratch, n, ty);
        return (nn * (nn - 1) * (2 * nn + 5) - tx[0] - ty[0]) / 18 +
               tx[1] * ty[1] / (9 * nn * (nn - 1) * (nn - 2)) +
               tx[2] * ty[2] / (2 * nn * (nn - 1));
}

/* The Theil-Sen slope and Sen's interval at `level` from the slopes[0..npairs) (reordered) and
 * t->var_s: the M1-th and (M2+1)-th smallest slopes (1-based), M1 rounded down and M2 + 1
 * rounded up so that the interval errs on the wide side, clamped to [1, npairs]. Since cz >= 0
 * they bracket the two middle slopes: idx stays sorted. */
static void sen_interval(double *slopes, size_t npairs, double level, struct stats_trend *t)
{
        double out[4], cz, m1, m2;
        size_t idx[4];

        cz = stats_norm_quantile((1 + level) / 2) * sqrt(t->var_s > 0 ? t->var_s : 0);
        m1 = fmin(fmax(floor(((double)npairs - cz) / 2), 1), (double)npairs);
        m2 = fmin(fmax(ceil(((double)npairs + cz) / 2 + 1), 1), (double)npairs);
        idx[0] = (size_t)m1 - 1;
        idx[1] = (npairs - 1) / 2;
        idx[2] = npairs / 2;
        idx[3] = (size_t)m2 - 1;
        select_range(slopes, 0, npairs, idx, out, 4);
        t->slope = mid(out[1], out[2]);
        t->slope_low = out[0];
        t->slope_high = out[3];
}

int stats_trend(const double *x, const double *y, size_t n, double level, struct stats_trend *ret)
{
        struct stats_trend t = { 0 };
        struct point *pts = NULL;
        double *slopes = NULL, *scratch = NULL;
        size_t npairs = 0;
        long long s = 0;
        int r = 0;

        if (n < 3 || n > STATS_TREND_MAX || !(level > 0 && level < 1) || !all_finite(x, n) ||
            !all_finite(y, n))
                return -EINVAL;
        pts = malloc(n * sizeof(*pts));
        scratch = malloc(n * sizeof(*scratch));
        slopes = malloc(n * (n - 1) / 2 * sizeof(*slopes));
        if (!pts || !scratch || !slopes) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n; i++)
                pts[i] = (struct point){ x[i], y[i] };
        qsort(pts, n, sizeof(*pts), cmp_point_x);
        if (pts[0].x == pts[n - 1].x) {
                r = -EINVAL;
                goto out;
        }
        r = kendall_pairs(pts, n, slopes, &npairs, &s);
        if (r < 0)
                goto out;

        t.var_s = kendall_var(pts, n, scratch);
        t.s = (double)s;
        if (s != 0 && t.var_s > 0)
                t.z = (t.s - (s > 0 ? 1 : -1)) / sqrt(t.var_s);
        t.p_value = fmin(1, erfc(fabs(t.z) / M_SQRT2));
        sen_interval(slopes, npairs, level, &t);

        for (size_t i = 0; i < n; i++)
                scratch[i] = y[i] - t.slope * x[i];
        t.intercept = median_inplace(scratch, n);
        t.n = (int)n;
        *ret = t;
out:
        free(pts);
        free(scratch);
        free(slopes);
        return r;
}
