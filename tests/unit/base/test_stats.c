/* Unit tests for src/base/stats.c. Expected values are computed independently of the code under
 * test: by tests/data/stats/expected.py (Python's standard library: statistics, math,
 * itertools), by hand (shown in comments), from published tables, or by brute-force
 * enumeration and plain sorting written here. */
#include "stats.h"
#include "unit.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_NEAR(a, b, tol)                                                                 \
        do {                                                                                  \
                double va_ = (a), vb_ = (b);                                                  \
                if (va_ == vb_ || fabs(va_ - vb_) <= (tol)) {                                 \
                        unit_passed++;                                                        \
                } else {                                                                      \
                        unit_failed++;                                                        \
                        fprintf(stderr, "FAIL %s:%d: %s ~= %s (%.17g != %.17g)\n", __FILE__, \
                                __LINE__, #a, #b, va_, vb_);                                  \
                }                                                                             \
        } while (0)

/* Relative tolerance, for p-values that span many orders of magnitude. */
#define CHECK_REL(a, b, rel) CHECK_NEAR(a, b, (rel) * fabs((double)(b)))

#define N_OF(x) (sizeof(x) / sizeof((x)[0]))

static uint64_t lcg_state = 12345;

/* A fixed pseudo-random sequence (Knuth's MMIX LCG), the same on every run. */
static uint64_t lcg(void)
{
        lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
        return lcg_state >> 33;
}

static int cmp_double(const void *pa, const void *pb)
{
        double a = *(const double *)pa, b = *(const double *)pb;

        return (a > b) - (a < b);
}

/* The median by full sorting, as a reference for the selection code. */
static double median_by_sort(const double *x, size_t n)
{
        double *v = malloc(n * sizeof(*v)), r;

        if (!v)
                abort();
        memcpy(v, x, n * sizeof(*v));
        qsort(v, n, sizeof(*v), cmp_double);
        r = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        free(v);
        return r;
}

/* ---- median and quantiles ---------------------------------------------------------------- */

static void test_median_quantile(void)
{
        /* A and B and every expected value below: statistics.median and
         * statistics.quantiles(..., method='inclusive') in tests/data/stats/expected.py. */
        static const double A[] = { 3, 1, 4, 1, 5, 9, 2, 6 };
        static const double B[] = { 2.5, -1, 7, 3.25, 0, 11, 4 };
        static const double deciles_a[] = { 1.0, 1.4, 2.1, 2.8, 3.5, 4.2, 4.9, 5.6, 6.9 };
        double copy[N_OF(A)], v = 0;

        memcpy(copy, A, sizeof(A));
        CHECK_EQ_INT(stats_median(A, N_OF(A), &v), 0);
        CHECK_NEAR(v, 3.5, 1e-12);
        CHECK(memcmp(copy, A, sizeof(A)) == 0); /* the input is not reordered */
        CHECK_EQ_INT(stats_quantile(A, N_OF(A), 0.25, &v), 0);
        CHECK_NEAR(v, 1.75, 1e-12);
        CHECK_EQ_INT(stats_quantile(A, N_OF(A), 0.5, &v), 0);
        CHECK_NEAR(v, 3.5, 1e-12);
        CHECK_EQ_INT(stats_quantile(A, N_OF(A), 0.75, &v), 0);
        CHECK_NEAR(v, 5.25, 1e-12);
        for (int i = 0; i < 9; i++) {
                CHECK_EQ_INT(stats_quantile(A, N_OF(A), (i + 1) / 10.0, &v), 0);
                CHECK_NEAR(v, deciles_a[i], 1e-12);
        }
        CHECK_EQ_INT(stats_quantile(A, N_OF(A), 0, &v), 0);
        CHECK_NEAR(v, 1, 0);
        CHECK_EQ_INT(stats_quantile(A, N_OF(A), 1, &v), 0);
        CHECK_NEAR(v, 9, 0);

        CHECK_EQ_INT(stats_median(B, N_OF(B), &v), 0);
        CHECK_NEAR(v, 3.25, 1e-12);
        CHECK_EQ_INT(stats_quantile(B, N_OF(B), 0.25, &v), 0);
        CHECK_NEAR(v, 1.25, 1e-12);
        CHECK_EQ_INT(stats_quantile(B, N_OF(B), 0.75, &v), 0);
        CHECK_NEAR(v, 5.5, 1e-12);
        CHECK_EQ_INT(stats_quantile(B, N_OF(B), 0.01, &v), 0);
        CHECK_NEAR(v, -0.94, 1e-12);
        CHECK_EQ_INT(stats_quantile(B, N_OF(B), 0.33, &v), 0);
        CHECK_NEAR(v, 2.45, 1e-12);
        CHECK_EQ_INT(stats_quantile(B, N_OF(B), 0.99, &v), 0);
        CHECK_NEAR(v, 10.76, 1e-12);

        /* one value; all equal; extremes that would overflow (a + b) / 2 */
        {
                const double one[] = { 42 }, same[] = { 5, 5, 5, 5 };
                const double big[] = { DBL_MAX, DBL_MAX }, wide[] = { -DBL_MAX, DBL_MAX };

                CHECK_EQ_INT(stats_median(one, 1, &v), 0);
                CHECK_NEAR(v, 42, 0);
                CHECK_EQ_INT(stats_quantile(one, 1, 0.3, &v), 0);
                CHECK_NEAR(v, 42, 0);
                CHECK_EQ_INT(stats_median(same, 4, &v), 0);
                CHECK_NEAR(v, 5, 0);
                CHECK_EQ_INT(stats_median(big, 2, &v), 0);
                CHECK_NEAR(v, DBL_MAX, 0);
                CHECK_EQ_INT(stats_median(wide, 2, &v), 0);
                CHECK_NEAR(v, 0, 0);
        }

        /* errors leave the out-parameter alone */
        v = 7;
        CHECK_EQ_INT(stats_median(A, 0, &v), -EINVAL);
        CHECK_EQ_INT(stats_quantile(A, 0, 0.5, &v), -EINVAL);
        CHECK_EQ_INT(stats_quantile(A, N_OF(A), -0.01, &v), -EINVAL);
        CHECK_EQ_INT(stats_quantile(A, N_OF(A), 1.01, &v), -EINVAL);
        CHECK_EQ_INT(stats_quantile(A, N_OF(A), NAN, &v), -EINVAL);
        {
                const double withnan[] = { 1, NAN, 3 };

                CHECK_EQ_INT(stats_median(withnan, 3, &v), -EINVAL);
                CHECK_EQ_INT(stats_quantile(withnan, 3, 0.5, &v), -EINVAL);
        }
        CHECK_NEAR(v, 7, 0);
}

/* The selection code against sorting, on inputs that trouble quickselect: sorted, reversed,
 * organ pipe, few distinct values, random. */
static void test_median_selection(void)
{
        enum { N = 10001 };
        double *x = malloc(N * sizeof(*x)), v;
        int bad = 0;

        if (!x)
                abort();
        for (int shape = 0; shape < 5; shape++) {
                for (size_t len = 1; len <= N; len += len < 40 ? 1 : 997) {
                        for (size_t i = 0; i < len; i++) {
                                switch (shape) {
                                case 0: x[i] = (double)i; break;
                                case 1: x[i] = (double)(len - i); break;
                                case 2: x[i] = (double)(i < len / 2 ? i : len - i); break;
                                case 3: x[i] = (double)(lcg() % 3); break;
                                default: x[i] = (double)(lcg() % 1000003) / 7; break;
                                }
                        }
                        if (stats_median(x, len, &v) != 0 || v != median_by_sort(x, len)) {
                                fprintf(stderr, "median: shape %d, n %zu\n", shape, len);
                                bad++;
                        }
                }
        }
        CHECK_EQ_INT(bad, 0);
        free(x);
}

/* ---- normal distribution ----------------------------------------------------------------- */

static void test_norm(void)
{
        /* NormalDist().cdf and .inv_cdf, in tests/data/stats/expected.py */
        CHECK_NEAR(stats_norm_cdf(0), 0.5, 1e-15);
        CHECK_NEAR(stats_norm_cdf(1), 0.8413447460685429, 1e-15);
        CHECK_NEAR(stats_norm_cdf(-1), 0.15865525393145707, 1e-15);
        CHECK_NEAR(stats_norm_cdf(1.959963984540054), 0.975, 1e-15);
        CHECK_REL(stats_norm_cdf(-3.5), 0.0002326290790355401, 1e-12);
        CHECK_NEAR(stats_norm_cdf(6), 0.9999999990134123, 1e-15);
        CHECK_NEAR(stats_norm_quantile(0.975), 1.9599639845400536, 1e-12);
        CHECK_NEAR(stats_norm_quantile(0.025), -1.9599639845400538, 1e-12);
        CHECK_NEAR(stats_norm_quantile(0.995), 2.5758293035489, 1e-12);
        CHECK_NEAR(stats_norm_quantile(0.5), 0, 1e-15);
        CHECK_NEAR(stats_norm_quantile(0.3), -0.5244005127080407, 1e-12);
        CHECK_NEAR(stats_norm_quantile(0.9), 1.2815515655446008, 1e-12);
        CHECK_NEAR(stats_norm_quantile(1e-10), -6.361340902404056, 1e-10);
        CHECK_NEAR(stats_norm_quantile(1 - 1e-6), 4.753424308817089, 1e-9);
        CHECK_NEAR(stats_norm_quantile(1e-300), -37.0470962993612, 1e-9);
        CHECK(isinf(stats_norm_quantile(0)) && stats_norm_quantile(0) < 0);
        CHECK(isinf(stats_norm_quantile(1)) && stats_norm_quantile(1) > 0);
        CHECK(isnan(stats_norm_quantile(NAN)));

        /* round trips across the whole range, both directions, and symmetry */
        {
                int bad = 0;

                for (int i = 1; i < 1000; i++) {
                        double p = i / 1000.0, z = stats_norm_quantile(p);

                        bad += fabs(stats_norm_cdf(z) - p) > 1e-14;
                        bad += fabs(stats_norm_quantile(1 - p) + z) > 1e-12;
                }
                /* above z ~ 5 Phi(z) is within a few ulps of 1 and no inverse can recover z;
                 * the upper tail is the lower one by symmetry, checked above */
                for (double z = -8; z <= 5; z += 0.125)
                        bad += fabs(stats_norm_quantile(stats_norm_cdf(z)) - z) > 1e-9;
                for (double z = -37; z <= -1; z += 0.5) /* the far lower tail, relative */
                        bad += fabs(stats_norm_quantile(stats_norm_cdf(z)) - z) > 1e-9 * -z;
                CHECK_EQ_INT(bad, 0);
        }
}

/* ---- Mann-Whitney and Hodges-Lehmann ----------------------------------------------------- */

/* Mann-Whitney null distribution by enumerating every split of ranks 0..na+nb-1 into the two
 * groups: cnt[u] = number of splits whose U (b over a) is u. Returns the number of splits. */
static uint64_t enumerate_u(size_t na, size_t nb, uint64_t *cnt)
{
        size_t n = na + nb;
        uint64_t total = 0;

        memset(cnt, 0, (na * nb + 1) * sizeof(*cnt));
        for (uint32_t mask = 0; mask < (1u << n); mask++) {
                size_t below_a = 0, u = 0, bits = 0;

                for (uint32_t w = mask; w; w &= w - 1)
                        bits++;
                if (bits != na)
                        continue;
                for (size_t r = 0; r < n; r++) {
                        if (mask & (1u << r))
                                below_a++; /* rank r belongs to a */
                        else
                                u += below_a; /* a b above below_a values of a */
                }
                cnt[u]++;
                total++;
        }
        return total;
}

/* Sorted differences b[j] - a[i], for locating the interval ends. */
static double *sorted_diffs(const double *a, size_t na, const double *b, size_t nb)
{
        double *d = malloc(na * nb * sizeof(*d));

        if (!d)
                abort();
        for (size_t j = 0; j < nb; j++)
                for (size_t i = 0; i < na; i++)
                        d[j * na + i] = b[j] - a[i];
        qsort(d, na * nb, sizeof(*d), cmp_double);
        return d;
}

/* The null distribution of U by brute force: every choice of nb of the pooled values'
 * mid-ranks as b's. cnt[v] (v = 2U, 0..2 na nb) counts the choices. pooled = a then b. */
static uint64_t enumerate_u_ties(const double *pooled, size_t na, size_t nb, uint64_t *cnt)
{
        size_t n = na + nb;
        uint64_t total = 0;
        size_t r2[32]; /* doubled mid-ranks: lowest rank + highest rank of the tie group */

        for (size_t i = 0; i < n; i++) {
                size_t below = 0, equal = 0;

                for (size_t j = 0; j < n; j++) {
                        below += pooled[j] < pooled[i];
                        equal += pooled[j] == pooled[i];
                }
                r2[i] = (below + 1) + (below + equal);
        }
        memset(cnt, 0, (2 * na * nb + 1) * sizeof(*cnt));
        for (uint32_t mask = 0; mask < (1u << n); mask++) {
                size_t bits = 0, sum = 0;

                for (size_t i = 0; i < n; i++)
                        if (mask & (1u << i)) {
                                bits++;
                                sum += r2[i];
                        }
                if (bits != nb)
                        continue;
                cnt[sum - nb * (nb + 1)]++;
                total++;
        }
        return total;
}

/* Two-sided p of 2U = v from brute-force counts: twice the smaller tail, at most 1. */
static double p_of(const uint64_t *cnt, uint64_t total, size_t m2, size_t v)
{
        uint64_t lo = 0, hi = 0;

        for (size_t x = 0; x <= m2; x++) {
                if (x <= v)
                        lo += cnt[x];
                if (x >= v)
                        hi += cnt[x];
        }
        return fmin(1, 2 * fmin((double)lo / (double)total, (double)hi / (double)total));
}

/* 2U(D) = 2 #{b - a > D} + #{b - a == D}, counted directly. */
static size_t u2_at(const double *a, size_t na, const double *b, size_t nb, double shift)
{
        size_t v = 0;

        for (size_t i = 0; i < na; i++)
                for (size_t j = 0; j < nb; j++)
                        v += b[j] - a[i] > shift ? 2 : b[j] - a[i] == shift ? 1 : 0;
        return v;
}

/* 0 in the interval, from the fields (not through stats_shift_covers). */
static int holds_zero(const struct stats_shift *s)
{
        return (s->ci_low < 0 || (s->ci_low == 0 && s->ci_low_closed)) &&
               (s->ci_high > 0 || (s->ci_high == 0 && s->ci_high_closed));
}

/* A sample of n values: from a small set of page multiples (ties everywhere), from {0, 1}, or
 * continuous; b moved by `shift` pages. */
static void draw(double *x, size_t n, int kind, int shift)
{
        for (size_t i = 0; i < n; i++) {
                if (kind == 0)
                        x[i] = (double)(lcg() % 4 + (uint64_t)shift) * 4096;
                else if (kind == 1)
                        x[i] = (double)(lcg() % 2 + (uint64_t)(shift > 1));
                else
                        x[i] = (double)(lcg() % 1000000) / 7 + shift * 50000.0;
        }
}

/* The interval and the test agree for every input: 0 lies outside the interval exactly when
 * p < 1 - level, and `significant` says the same. Sizes 1..12 per side; values with frequent
 * ties and continuous ones; with and without a real shift. */
static void test_shift_agreement(void)
{
        static const double levels[] = { 0.95, 0.9, 0.99 };
        int disagree = 0, flagged_wrong = 0, covers_wrong = 0, cases = 0, significant = 0;

        for (int c = 0; c < 30000; c++) {
                size_t na = 1 + lcg() % 12, nb = 1 + lcg() % 12;
                int kind = c % 3, shift = (int)(lcg() % 3);
                double a[12], b[12], level = levels[c % 3 == 0 ? (c / 3) % 3 : 0];
                struct stats_shift s;

                draw(a, na, kind, 0);
                draw(b, nb, kind, shift);
                if (stats_shift(a, na, b, nb, level, &s) != 0) {
                        CHECK(0);
                        continue;
                }
                cases++;
                significant += s.significant;
                disagree += !holds_zero(&s) != (s.p_value < 1 - level);
                flagged_wrong += s.significant != (s.p_value < 1 - level);
                covers_wrong += stats_shift_covers(&s, 0) != holds_zero(&s);
        }
        /* above STATS_SHIFT_EXACT_N pooled values: the normal approximation, the same rule */
        for (int c = 0; c < 300; c++) {
                size_t na = 45 + lcg() % 26, nb = 45 + lcg() % 26;
                double a[70], b[70];
                struct stats_shift s;

                draw(a, na, c % 3, 0);
                draw(b, nb, c % 3, (int)(lcg() % 2));
                if (stats_shift(a, na, b, nb, 0.95, &s) != 0) {
                        CHECK(0);
                        continue;
                }
                cases++;
                significant += s.significant;
                disagree += !holds_zero(&s) != (s.p_value < 1 - 0.95);
                flagged_wrong += s.significant != (s.p_value < 1 - 0.95);
                covers_wrong += stats_shift_covers(&s, 0) != holds_zero(&s);
        }
        CHECK_EQ_INT(disagree, 0);
        CHECK_EQ_INT(flagged_wrong, 0);
        CHECK_EQ_INT(covers_wrong, 0);
        CHECK(significant > cases / 10 && significant < cases - cases / 10); /* both outcomes occur */
        if (disagree || flagged_wrong)
                fprintf(stderr, "  %d of %d samples: interval and test disagree (%d flagged wrongly)\n",
                        disagree, cases, flagged_wrong);
}

/* Against brute force (pooled sizes up to 14): the p-value is the exact permutation p over the
 * mid-ranks, ties included; the interval is exactly the set of shifts the same test accepts
 * (each distinct pairwise difference, each gap between two, and beyond both ends are tried);
 * its level is the null probability of the accepted U. */
static void test_shift_inversion(void)
{
        static uint64_t cnt[2 * 7 * 7 + 1];
        int p_wrong = 0, member_wrong = 0, level_wrong = 0, cases = 0, bounded = 0, open_end = 0;

        for (int c = 0; c < 3000; c++) {
                size_t na = 1 + lcg() % 7, nb = 1 + lcg() % 7, m = na * nb;
                int kind = c % 3, shift = (int)(lcg() % 3);
                double a[7], b[7], pooled[14], d[49], alpha = 1 - 0.95;
                struct stats_shift s;
                uint64_t total;

                draw(a, na, kind, 0);
                draw(b, nb, kind, shift);
                if (stats_shift(a, na, b, nb, 0.95, &s) != 0) {
                        CHECK(0);
                        continue;
                }
                cases++;
                memcpy(pooled, a, na * sizeof(*a));
                memcpy(pooled + na, b, nb * sizeof(*b));
                total = enumerate_u_ties(pooled, na, nb, cnt);
                p_wrong += s.exact != 1 || s.u * 2 != (double)u2_at(a, na, b, nb, 0) ||
                           fabs(s.p_value - p_of(cnt, total, 2 * m, u2_at(a, na, b, nb, 0))) > 1e-12;

                /* too few runs for any p below alpha: the whole line */
                if (2.0 / (double)total >= alpha) {
                        member_wrong += !(isinf(s.ci_low) && s.ci_low < 0 && isinf(s.ci_high) && s.ci_high > 0);
                        level_wrong += s.ci_level != 1;
                        continue;
                }
                bounded += isfinite(s.ci_low) && isfinite(s.ci_high);
                open_end += (isfinite(s.ci_low) && !s.ci_low_closed) || (isfinite(s.ci_high) && !s.ci_high_closed);
                for (size_t j = 0, k = 0; j < nb; j++)
                        for (size_t i = 0; i < na; i++)
                                d[k++] = b[j] - a[i];
                qsort(d, m, sizeof(*d), cmp_double);
                for (size_t k = 0; k <= 2 * m; k++) {
                        double x;
                        if (k % 2 == 1)
                                x = d[k / 2]; /* a difference */
                        else if (k == 0)
                                x = d[0] - 1; /* below all */
                        else if (k == 2 * m)
                                x = d[m - 1] + 1; /* above all */
                        else if (d[k / 2 - 1] < d[k / 2])
                                x = d[k / 2 - 1] + (d[k / 2] - d[k / 2 - 1]) / 2; /* a gap */
                        else
                                continue;
                        int accepted = p_of(cnt, total, 2 * m, u2_at(a, na, b, nb, x)) >= alpha;
                        if (accepted != stats_shift_covers(&s, x)) {
                                if (member_wrong++ < 3)
                                        fprintf(stderr, "  %zu v %zu: shift %g accepted %d, in the interval %d\n", na,
                                                nb, x, accepted, !accepted);
                        }
                }
                /* level: the null probability of an accepted 2U */
                double acc = 0;
                for (size_t v = 0; v <= 2 * m; v++)
                        if (p_of(cnt, total, 2 * m, v) >= alpha)
                                acc += (double)cnt[v];
                level_wrong += fabs(s.ci_level - acc / (double)total) > 1e-12 || s.ci_level < 0.95;
        }
        CHECK_EQ_INT(p_wrong, 0);
        CHECK_EQ_INT(member_wrong, 0);
        CHECK_EQ_INT(level_wrong, 0);
        CHECK(bounded > cases / 10);  /* the checks above met real intervals */
        CHECK(open_end > 0);          /* and ends of both kinds */
}

static void test_mw_known(void)
{
        struct stats_shift s;

        /* a={1,2,3} b={4,5,6}: every b above every a, U = 9 = na nb; only 1 of C(6,3) = 20
         * splits gives U = 9 (and 1 gives U = 0): two-sided p = 2/20. No outcome of 3 v 3 can
         * reach p < 0.05, so the 95% interval is the whole line. */
        {
                const double a[] = { 1, 2, 3 }, b[] = { 4, 5, 6 };

                CHECK_EQ_INT(stats_shift(a, 3, b, 3, 0.95, &s), 0);
                CHECK_NEAR(s.u, 9, 0);
                CHECK_NEAR(s.p_value, 0.1, 1e-15);
                CHECK_EQ_INT(s.exact, 1);
                CHECK(isinf(s.ci_low) && s.ci_low < 0 && isinf(s.ci_high) && s.ci_high > 0);
                CHECK_NEAR(s.ci_level, 1, 0);
                CHECK_EQ_INT(s.significant, 0);
                CHECK_EQ_INT(stats_shift(b, 3, a, 3, 0.95, &s), 0);
                CHECK_NEAR(s.u, 0, 0);
                CHECK_NEAR(s.p_value, 0.1, 1e-15);
                /* at 80%: P(U <= 0) = 1/20, 2/20 < 0.2 <= 2 P(U <= 1) = 4/20: U = 0 and 9 are
                 * rejected; U(D) = 9 - #{d <= D} - ... gives the open interval (D(1), D(9)) */
                CHECK_EQ_INT(stats_shift(a, 3, b, 3, 0.8, &s), 0);
                CHECK_NEAR(s.ci_low, 1, 0);
                CHECK_NEAR(s.ci_high, 5, 0);
                CHECK(!s.ci_low_closed && !s.ci_high_closed);
                CHECK_NEAR(s.ci_level, 0.9, 1e-15);
                CHECK_EQ_INT(s.significant, 1); /* p = 0.1 < 0.2 */
        }
        /* 5 vs 5, complete separation: p = 2/C(10,5) = 2/252. Published tables (e.g. Mann &
         * Whitney 1947; enumerated in expected.py: counts of U = 0..6 are 1,1,2,3,5,7,9) give
         * 2 P(U <= 2) = 8/252 < 0.05 <= 2 P(U <= 3) = 14/252: U in 3..22 is accepted. The
         * differences j - i + 5 for i, j in 1..5 sorted are 1,2,2,3,3,3,4,4,4,4,5x5,6x4,7x3,
         * 8x2,9: U(2) = 22 + 2/2 = 23 is rejected, U just above 2 is 22: the interval is
         * (2, 8), both ends open, covering 1 - 8/252. */
        {
                const double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 };

                CHECK_EQ_INT(stats_shift(a, 5, b, 5, 0.95, &s), 0);
                CHECK_NEAR(s.u, 25, 0);
                CHECK_NEAR(s.p_value, 2.0 / 252, 1e-15);
                CHECK_EQ_INT(s.exact, 1);
                CHECK_NEAR(s.hl, 5, 0);
                CHECK_NEAR(s.ci_low, 2, 0);
                CHECK_NEAR(s.ci_high, 8, 0);
                CHECK(!s.ci_low_closed && !s.ci_high_closed);
                CHECK(!stats_shift_covers(&s, 2) && stats_shift_covers(&s, 2.001) && !stats_shift_covers(&s, 8));
                CHECK_NEAR(s.ci_level, 1 - 8.0 / 252, 1e-15);
                CHECK_EQ_INT(s.significant, 1);
                /* 99%: 2 P(U <= 0) = 2/252 < 0.01 <= 4/252: U = 0 and 25 rejected, (1, 9) */
                CHECK_EQ_INT(stats_shift(a, 5, b, 5, 0.99, &s), 0);
                CHECK_NEAR(s.ci_low, 1, 0);
                CHECK_NEAR(s.ci_high, 9, 0);
                CHECK_NEAR(s.ci_level, 1 - 2.0 / 252, 1e-15);
        }
        /* Closed ends: a = {0 x5}, b = {0, 0, 1, 1, 1} (page counts that tie). Pooled
         * mid-ranks: 0 x7 -> 4, 1 x3 -> 9; b holds k of the three 1s in C(3,k) C(7,5-k) of the
         * 252 ways, and U = 5 + 5k: P(U = 5, 10, 15, 20) = 21, 105, 105, 21 of 252. Observed
         * U = 20 (two ties at 0 count 5, three 1s over five 0s 15): p = 2 x 21/252. Every U
         * from 5 to 20 has p >= 0.05, none outside. Differences: 0 x10, 1 x15; U(0) = 15 +
         * 10/2 = 20 and U(1) = 15/2 are accepted, U just below 0 (25) and just above 1 (0) are
         * not: the interval is [0, 1], both ends closed, holding 0 as p says. */
        {
                const double a[] = { 0, 0, 0, 0, 0 }, b[] = { 0, 0, 1, 1, 1 };

                CHECK_EQ_INT(stats_shift(a, 5, b, 5, 0.95, &s), 0);
                CHECK_NEAR(s.u, 20, 0);
                CHECK_EQ_INT(s.exact, 1);
                CHECK_NEAR(s.p_value, 2.0 * 21 / 252, 1e-15);
                CHECK_NEAR(s.ci_low, 0, 0);
                CHECK_NEAR(s.ci_high, 1, 0);
                CHECK(s.ci_low_closed && s.ci_high_closed);
                CHECK(stats_shift_covers(&s, 0) && !s.significant);
                CHECK_NEAR(s.ci_level, 1, 1e-15); /* every possible U is accepted */
        }
        /* 10 vs 10: the tabled two-sided 5% critical value of U is 23 (also found by
         * enumeration in expected.py), so U in 24..76 is accepted and the interval is the open
         * (D(24), D(77)). The differences j - i + 2.5 + 0.01 j are all distinct. */
        {
                double a[10], b[10], *d;

                for (int i = 0; i < 10; i++) {
                        a[i] = i;
                        b[i] = i + 2.5 + 0.01 * i;
                }
                d = sorted_diffs(a, 10, b, 10);
                CHECK_EQ_INT(stats_shift(a, 10, b, 10, 0.95, &s), 0);
                CHECK_EQ_INT(s.exact, 1);
                CHECK_NEAR(s.ci_low, d[23], 0);
                CHECK_NEAR(s.ci_high, d[76], 0);
                CHECK(!s.ci_low_closed && !s.ci_high_closed);
                CHECK_NEAR(s.hl, (d[49] + d[50]) / 2, 1e-12);
                CHECK(s.ci_level >= 0.95);
                free(d);
        }
        /* a single pair: U is 0 or 1 with probability 1/2 each; p = 1, the whole line */
        {
                const double a[] = { 1 }, b[] = { 2 };

                CHECK_EQ_INT(stats_shift(a, 1, b, 1, 0.95, &s), 0);
                CHECK_NEAR(s.u, 1, 0);
                CHECK_NEAR(s.p_value, 1, 0);
                CHECK_NEAR(s.hl, 1, 0);
                CHECK(isinf(s.ci_low) && isinf(s.ci_high));
                CHECK_NEAR(s.ci_level, 1, 0);
        }
}

/* Exact p-values and intervals against enumeration, on tie-free pseudo-random data. */
static void test_mw_bruteforce(void)
{
        static const size_t sizes[][2] = { { 1, 5 }, { 2, 3 }, { 3, 3 }, { 4, 6 }, { 5, 5 },
                                           { 3, 9 }, { 7, 8 }, { 6, 10 }, { 8, 8 },
                                           { 10, 10 }, { 2, 14 } };
        static const double levels[] = { 0.8, 0.9, 0.95, 0.99 };
        static uint64_t cnt[401];

        for (size_t t = 0; t < N_OF(sizes); t++) {
                size_t na = sizes[t][0], nb = sizes[t][1], m = na * nb;
                uint64_t total = enumerate_u(na, nb, cnt);

                for (int rep = 0; rep < 3; rep++) {
                        double a[16], b[16], pool[32], *d, lo = 0, hi = 0;
                        size_t u = 0, k;
                        struct stats_shift s;
                        int distinct;

                        do { /* draw until all na + nb values differ; b shifted by rep */
                                for (size_t i = 0; i < na; i++)
                                        a[i] = pool[i] = (double)(lcg() % 100000) / 100;
                                for (size_t j = 0; j < nb; j++)
                                        b[j] = pool[na + j] =
                                                (double)(lcg() % 100000) / 100 + rep * 300.0;
                                qsort(pool, na + nb, sizeof(*pool), cmp_double);
                                distinct = 1;
                                for (size_t i = 1; i < na + nb; i++)
                                        distinct &= pool[i] != pool[i - 1];
                        } while (!distinct);
                        for (size_t i = 0; i < na; i++)
                                for (size_t j = 0; j < nb; j++)
                                        u += b[j] > a[i];
                        for (size_t v = 0; v <= m; v++) {
                                if (v <= u)
                                        lo += (double)cnt[v];
                                if (v >= u)
                                        hi += (double)cnt[v];
                        }
                        d = sorted_diffs(a, na, b, nb);
                        for (size_t l = 0; l < N_OF(levels); l++) {
                                double alpha = 1 - levels[l], cum = 0;

                                CHECK_EQ_INT(stats_shift(a, na, b, nb, levels[l], &s), 0);
                                CHECK_EQ_INT(s.exact, 1);
                                CHECK_NEAR(s.u, (double)u, 0);
                                CHECK_NEAR(s.p_value, fmin(1, 2 * fmin(lo, hi) / (double)total),
                                           1e-14);
                                CHECK_NEAR(s.hl, (d[(m - 1) / 2] + d[m / 2]) / 2, 1e-12);
                                if (2.0 / (double)total >= alpha) { /* no p can be below alpha */
                                        CHECK(isinf(s.ci_low) && isinf(s.ci_high));
                                        continue;
                                }
                                /* without ties: c, the largest U with 2 P(U <= c) < alpha, and
                                 * the open interval (D(c + 1), D(m - c)), covering 1 - 2 P(U <= c) */
                                for (k = 0; k <= m && 2 * (cum + (double)cnt[k]) / (double)total < alpha; k++)
                                        cum += (double)cnt[k];
                                /* k = c + 1 */
                                CHECK_NEAR(s.ci_low, d[k - 1], 0);
                                CHECK_NEAR(s.ci_high, d[m - k], 0);
                                CHECK(!s.ci_low_closed && !s.ci_high_closed);
                                CHECK_NEAR(s.ci_level, 1 - 2 * cum / (double)total, 1e-14);
                                CHECK(s.ci_level >= levels[l]);
                        }
                        free(d);
                }
        }
}

static void test_mw_ties_and_normal(void)
{
        struct stats_shift s;

        /* Ties, exact: a = {1,2,2,3,4}, b = {2,3,5,5,6,7}: U = [b=2: 1 + 2 x 0.5] + [b=3: 3 +
         * 0.5] + [b=5: 5] x 2 + [b=6: 5] + [b=7: 5] = 25.5; over the 462 choices of b's
         * mid-ranks p = 2/33 (mw_exact tie case in expected.py; the normal approximation would
         * say 0.064). */
        {
                const double a[] = { 1, 2, 2, 3, 4 }, b[] = { 2, 3, 5, 5, 6, 7 };

                CHECK_EQ_INT(stats_shift(a, 5, b, 6, 0.95, &s), 0);
                CHECK_NEAR(s.u, 25.5, 0);
                CHECK_EQ_INT(s.exact, 1);
                CHECK_REL(s.p_value, 2.0 / 33, 1e-14);
                CHECK_EQ_INT(s.significant, 0);
                CHECK(stats_shift_covers(&s, 0));
        }
        /* No ties, 21 x 20, exact: a = 0..20, b = 3.5..22.5; U = 267, p = 0.1418371246002277
         * (expected.py, by the counting recursion). */
        {
                double a[21], b[20];

                for (int i = 0; i < 21; i++)
                        a[i] = i;
                for (int j = 0; j < 20; j++)
                        b[j] = j + 3.5;
                CHECK_EQ_INT(stats_shift(a, 21, b, 20, 0.95, &s), 0);
                CHECK_NEAR(s.u, 267, 0);
                CHECK_EQ_INT(s.exact, 1);
                CHECK_REL(s.p_value, 0.1418371246002277, 1e-12);
                CHECK(s.ci_level >= 0.95 && s.ci_level < 1);
        }
        /* Above 100 pooled values, the normal approximation: a = 0..60, b = 3.5..62.5; U = 2007,
         * var = 61*60*122/12 = 37210, p = 0.3601985090503428 (expected.py). The interval is the
         * shifts D whose U(D) has a normal p >= 0.05, tried at every distinct difference and
         * between them. */
        {
                double a[61], b[60], *d;
                int wrong = 0;

                for (int i = 0; i < 61; i++)
                        a[i] = i;
                for (int j = 0; j < 60; j++)
                        b[j] = j + 3.5;
                CHECK_EQ_INT(stats_shift(a, 61, b, 60, 0.95, &s), 0);
                CHECK_NEAR(s.u, 2007, 0);
                CHECK_EQ_INT(s.exact, 0);
                CHECK_REL(s.p_value, 0.3601985090503428, 1e-12);
                CHECK(s.ci_level >= 0.95 && s.ci_level < 1);
                CHECK(stats_shift_covers(&s, 0) && !s.significant);
                d = sorted_diffs(a, 61, b, 60);
                for (size_t k = 0; k < 3660; k++) {
                        double x[2] = { d[k], k + 1 < 3660 ? (d[k] + d[k + 1]) / 2 : d[k] + 1 };
                        for (int e = 0; e < 2; e++) {
                                double u = (double)u2_at(a, 61, b, 60, x[e]) / 2;
                                double dev = fmax(0, fabs(u - 1830) - 0.5);
                                int accepted = erfc(dev / sqrt(37210.0) / M_SQRT2) >= 1 - 0.95;
                                wrong += accepted != stats_shift_covers(&s, x[e]);
                        }
                }
                CHECK_EQ_INT(wrong, 0);
                CHECK(isfinite(s.ci_low) && isfinite(s.ci_high) && s.ci_low < s.hl && s.hl < s.ci_high);
                free(d);
        }
        /* All values equal: U = na nb / 2 whatever the split; p = 1, shift 0. 3 v 2 cannot
         * reach p < 0.05 (2/10): the whole line. */
        {
                const double a[] = { 3, 3, 3 }, b[] = { 3, 3 };

                CHECK_EQ_INT(stats_shift(a, 3, b, 2, 0.95, &s), 0);
                CHECK_NEAR(s.u, 3, 0);
                CHECK_NEAR(s.p_value, 1, 0);
                CHECK_EQ_INT(s.exact, 1);
                CHECK_NEAR(s.hl, 0, 0);
                CHECK(isinf(s.ci_low) && isinf(s.ci_high));
        }
        /* 5 v 5 all equal (JIT code 0 B in every run of a control): U is always 12.5, any other
         * U is impossible; the interval is the single shift 0, closed. */
        {
                const double a[] = { 0, 0, 0, 0, 0 }, b[] = { 0, 0, 0, 0, 0 };

                CHECK_EQ_INT(stats_shift(a, 5, b, 5, 0.95, &s), 0);
                CHECK_NEAR(s.p_value, 1, 0);
                CHECK_NEAR(s.ci_low, 0, 0);
                CHECK_NEAR(s.ci_high, 0, 0);
                CHECK(s.ci_low_closed && s.ci_high_closed && !s.significant);
        }
        /* A tie within one sample only: exact all the same, p = 2/20 (expected.py) */
        {
                const double a[] = { 1, 1, 2 }, b[] = { 5, 6, 7 };

                CHECK_EQ_INT(stats_shift(a, 3, b, 3, 0.95, &s), 0);
                CHECK_EQ_INT(s.exact, 1);
                CHECK_NEAR(s.p_value, 0.1, 1e-15);
        }
        /* The case that was reported: peak RSS in pages, 5 v 5, that once printed an interval
         * [0 B, ...] holding 0 beside p = 0.045. Now either both say "different" or neither. */
        {
                const double a[] = { 100, 100, 100, 101, 102 }, b[] = { 100, 102, 103, 104, 104 };

                for (int i = 0; i < 2; i++) {
                        double x[5], y[5];
                        for (int k = 0; k < 5; k++) {
                                x[k] = a[k] * 4096;
                                y[k] = b[k] * 4096;
                        }
                        CHECK_EQ_INT(stats_shift(i ? y : x, 5, i ? x : y, 5, 0.95, &s), 0);
                        CHECK_EQ_INT(s.significant, s.p_value < 0.05);
                        CHECK_EQ_INT(!stats_shift_covers(&s, 0), s.p_value < 0.05);
                }
        }
}

static void test_hl(void)
{
        struct stats_shift s;
        /* a = {1,2,3}, b = {2,4,6}: differences b - a = 1,0,-1, 3,2,1, 5,4,3, sorted
         * -1,0,1,1,2,3,3,4,5: median 2. Medians 2 and 4: delta 2, delta_rel 1. U = 7.5 with a
         * tie at 2; exact p over the mid-ranks = 0.3 (expected.py). */
        const double a[] = { 1, 2, 3 }, b[] = { 2, 4, 6 };
        double ca[3], cb[3];

        memcpy(ca, a, sizeof(a));
        memcpy(cb, b, sizeof(b));
        CHECK_EQ_INT(stats_shift(a, 3, b, 3, 0.95, &s), 0);
        CHECK(memcmp(ca, a, sizeof(a)) == 0 && memcmp(cb, b, sizeof(b)) == 0);
        CHECK_NEAR(s.median_a, 2, 0);
        CHECK_NEAR(s.median_b, 4, 0);
        CHECK_NEAR(s.delta, 2, 0);
        CHECK_NEAR(s.delta_rel, 1, 0);
        CHECK_NEAR(s.hl, 2, 0);
        CHECK_NEAR(s.u, 7.5, 0);
        CHECK_EQ_INT(s.exact, 1);
        CHECK_NEAR(s.p_value, 0.3, 1e-15);

        /* even number of differences: the mean of the two middle ones; median_a = 0 */
        {
                const double z[] = { -1, 1 }, w[] = { 10, 20 };

                /* differences 11, 9, 21, 19: sorted 9, 11, 19, 21 -> 15 */
                CHECK_EQ_INT(stats_shift(z, 2, w, 2, 0.5, &s), 0);
                CHECK_NEAR(s.hl, 15, 0);
                CHECK_NEAR(s.median_a, 0, 0);
                CHECK_NEAR(s.delta, 15, 0);
                CHECK_NEAR(s.delta_rel, 0, 0);
        }
}

static void test_shift_large(void)
{
        enum { NA = 1000, NB = 1000 };
        double *a = malloc((NA + 1) * sizeof(*a)), *b = malloc(NB * sizeof(*b)), *d;
        struct stats_shift s, keep;

        if (!a || !b)
                abort();
        for (int i = 0; i <= NA; i++)
                a[i] = 100 + (double)(lcg() % 1000000) / 1e5; /* 100 + U(0, 10) */
        for (int j = 0; j < NB; j++)
                b[j] = 105 + (double)(lcg() % 1000000) / 1e5; /* shifted by 5 */
        CHECK_EQ_INT(stats_shift(a, NA, b, NB, 0.95, &s), 0);
        d = sorted_diffs(a, NA, b, NB);
        CHECK_NEAR(s.hl, (d[NA * NB / 2 - 1] + d[NA * NB / 2]) / 2, 1e-12);
        CHECK(s.ci_low <= s.hl && s.hl <= s.ci_high);
        CHECK(s.ci_level >= 0.95);
        CHECK(fabs(s.hl - 5) < 0.5);
        CHECK(s.ci_low > 4 && s.ci_high < 6);
        CHECK(s.p_value < 1e-10);
        CHECK_EQ_INT(s.exact, 0);
        free(d);

        /* 1001 x 1000 is one row of pairs too many */
        memset(&keep, 0x5a, sizeof(keep));
        s = keep;
        CHECK_EQ_INT(stats_shift(a, NA + 1, b, NB, 0.95, &s), -E2BIG);
        CHECK(memcmp(&s, &keep, sizeof(s)) == 0);
        free(a);
        free(b);
}

static void test_shift_errors(void)
{
        const double a[] = { 1, 2, 3 }, b[] = { 4, 5 };
        const double bad_nan[] = { 1, NAN }, bad_inf[] = { INFINITY, 2 };
        struct stats_shift s, keep;

        memset(&keep, 0x5a, sizeof(keep));
        s = keep;
        CHECK_EQ_INT(stats_shift(a, 0, b, 2, 0.95, &s), -EINVAL);
        CHECK_EQ_INT(stats_shift(a, 3, b, 0, 0.95, &s), -EINVAL);
        CHECK_EQ_INT(stats_shift(a, 3, b, 2, 0, &s), -EINVAL);
        CHECK_EQ_INT(stats_shift(a, 3, b, 2, 1, &s), -EINVAL);
        CHECK_EQ_INT(stats_shift(a, 3, b, 2, -0.5, &s), -EINVAL);
        CHECK_EQ_INT(stats_shift(a, 3, b, 2, NAN, &s), -EINVAL);
        CHECK_EQ_INT(stats_shift(bad_nan, 2, b, 2, 0.95, &s), -EINVAL);
        CHECK_EQ_INT(stats_shift(a, 3, bad_inf, 2, 0.95, &s), -EINVAL);
        CHECK(memcmp(&s, &keep, sizeof(s)) == 0);
}

/* ---- Theil-Sen and Mann-Kendall ---------------------------------------------------------- */

static void test_trend_line(void)
{
        double x[10], y[10];
        struct stats_trend t;

        /* y = 2x + 1, x = 0..9: every pairwise slope is 2. Strictly increasing, n = 10:
         * S = 45, var = 10*9*25/18 = 125, z = 44/sqrt(125) = 3.9354796403996297,
         * p = 2(1 - Phi(z)) = 8.303070332660312e-05 (mk in expected.py). */
        for (int i = 0; i < 10; i++) {
                x[i] = i;
                y[i] = 2 * i + 1;
        }
        CHECK_EQ_INT(stats_trend(x, y, 10, 0.95, &t), 0);
        CHECK_NEAR(t.slope, 2, 0);
        CHECK_NEAR(t.intercept, 1, 0);
        CHECK_NEAR(t.slope_low, 2, 0);
        CHECK_NEAR(t.slope_high, 2, 0);
        CHECK_NEAR(t.s, 45, 0);
        CHECK_NEAR(t.var_s, 125, 1e-12);
        CHECK_NEAR(t.z, 44 / sqrt(125), 1e-12);
        CHECK_NEAR(t.z, 3.9354796403996297, 1e-12);
        CHECK_REL(t.p_value, 8.303070332660312e-05, 1e-9);
        CHECK_EQ_INT(t.n, 10);

        /* one outlier: 9 of the 45 slopes change, the median stays 2; intercept stays 1 */
        y[9] = 100;
        CHECK_EQ_INT(stats_trend(x, y, 10, 0.95, &t), 0);
        CHECK_NEAR(t.slope, 2, 0);
        CHECK_NEAR(t.intercept, 1, 0);
        CHECK(t.slope_low <= 2 && t.slope_high >= 2);

        /* decreasing: S = -45, z = (S + 1)/sqrt(var) */
        for (int i = 0; i < 10; i++)
                y[i] = -(double)i;
        CHECK_EQ_INT(stats_trend(x, y, 10, 0.95, &t), 0);
        CHECK_NEAR(t.slope, -1, 0);
        CHECK_NEAR(t.s, -45, 0);
        CHECK_NEAR(t.z, -3.9354796403996297, 1e-12);
        CHECK_REL(t.p_value, 8.303070332660312e-05, 1e-9);

        /* plateau: all slopes 0, S = 0; all y tied, so var = (n(n-1)(2n+5) - the same)/18 = 0;
         * z = 0 and p = 1 */
        for (int i = 0; i < 10; i++)
                y[i] = 5;
        CHECK_EQ_INT(stats_trend(x, y, 10, 0.95, &t), 0);
        CHECK_NEAR(t.slope, 0, 0);
        CHECK_NEAR(t.intercept, 5, 0);
        CHECK_NEAR(t.slope_low, 0, 0);
        CHECK_NEAR(t.slope_high, 0, 0);
        CHECK_NEAR(t.s, 0, 0);
        CHECK_NEAR(t.var_s, 0, 1e-12);
        CHECK_NEAR(t.z, 0, 0);
        CHECK_NEAR(t.p_value, 1, 0);
}

static void test_trend_ties_and_order(void)
{
        struct stats_trend t, u;

        /* Ties in y: x = 1..8, y = {1,2,2,3,3,3,4,5}. 28 pairs, 1 + 3 tied, the rest rising:
         * S = 24. var = [8*7*21 - 2*1*9 - 3*2*11]/18 = (1176 - 18 - 66)/18 = 60.666...;
         * z = 23/sqrt(var) = 2.9529273983252993, p = 0.0031477598557005937 (expected.py). */
        {
                const double x[] = { 1, 2, 3, 4, 5, 6, 7, 8 }, y[] = { 1, 2, 2, 3, 3, 3, 4, 5 };

                CHECK_EQ_INT(stats_trend(x, y, 8, 0.95, &t), 0);
                CHECK_NEAR(t.s, 24, 0);
                CHECK_NEAR(t.var_s, 1092.0 / 18, 1e-12);
                CHECK_NEAR(t.z, 2.9529273983252993, 1e-12);
                CHECK_REL(t.p_value, 0.0031477598557005937, 1e-9);
        }
        /* Noisy line, and the same points shuffled: identical results. Slope, intercept, S,
         * var, z, p and Sen's interval (the 18th and 49th of the 66 sorted slopes:
         * C = 1.96 sqrt(212.67) = 28.58, M1 = floor(18.7), M2 + 1 = ceil(48.3)) from
         * expected.py. */
        {
                const double x[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
                const double y[] = { 2.1, 3.9, 6.2, 7.0, 10.5, 11.9,
                                     13.1, 16.3, 17.7, 21.2, 22.4, 23.6 };
                static const int perm[] = { 7, 2, 11, 0, 9, 4, 6, 1, 10, 3, 8, 5 };
                double px[12], py[12];

                CHECK_EQ_INT(stats_trend(x, y, 12, 0.95, &t), 0);
                CHECK_NEAR(t.slope, 2.0267857142857144, 1e-12);
                CHECK_NEAR(t.intercept, -0.04017857142857162, 1e-12);
                CHECK_NEAR(t.slope_low, 1.9000000000000001, 1e-12);
                CHECK_NEAR(t.slope_high, 2.15, 1e-12);
                CHECK_NEAR(t.s, 66, 0);
                CHECK_NEAR(t.var_s, 212.66666666666666, 1e-12);
                CHECK_NEAR(t.z, 4.45721562860432, 1e-12);
                CHECK_REL(t.p_value, 8.303107353668793e-06, 1e-9);
                for (int i = 0; i < 12; i++) {
                        px[i] = x[perm[i]];
                        py[i] = y[perm[i]];
                }
                CHECK_EQ_INT(stats_trend(px, py, 12, 0.95, &u), 0);
                CHECK(t.slope == u.slope && t.intercept == u.intercept);
                CHECK(t.slope_low == u.slope_low && t.slope_high == u.slope_high);
                CHECK(t.s == u.s && t.var_s == u.var_s && t.z == u.z);
                CHECK(t.p_value == u.p_value && t.n == u.n);
        }
        /* Ties in x: pairs with equal x have neither a slope nor a sign. x = {1,1,2,3},
         * y = {1,2,3,4}: the 5 pairs with distinct x all rise, S = 5 whatever the order of
         * the tied points; slopes 2, 1.5, 1, 1, 1 -> median 1; intercept median(y - x) = 1.
         * Kendall's variance with ties in both variables, x tie group t = 2, none in y:
         * [4*3*13 - 2*1*9 - 0]/18 + 0 + 0 = 138/18. */
        {
                const double x1[] = { 1, 1, 2, 3 }, y1[] = { 1, 2, 3, 4 };
                const double x2[] = { 1, 1, 2, 3 }, y2[] = { 2, 1, 3, 4 };

                CHECK_EQ_INT(stats_trend(x1, y1, 4, 0.95, &t), 0);
                CHECK_NEAR(t.s, 5, 0);
                CHECK_NEAR(t.slope, 1, 0);
                CHECK_NEAR(t.intercept, 1, 0);
                CHECK_NEAR(t.var_s, 138.0 / 18, 1e-12);
                CHECK_NEAR(t.z, 4 / sqrt(138.0 / 18), 1e-12);
                CHECK_EQ_INT(stats_trend(x2, y2, 4, 0.95, &u), 0);
                CHECK(t.s == u.s && t.slope == u.slope && t.var_s == u.var_s);
        }
}

static void test_trend_large(void)
{
        enum { N = 1000, BIG = STATS_TREND_MAX };
        double *x = malloc(BIG * sizeof(*x)), *y = malloc(BIG * sizeof(*y));
        double *sl = malloc((size_t)N * (N - 1) / 2 * sizeof(*sl));
        struct stats_trend t;
        size_t k = 0;

        if (!x || !y || !sl)
                abort();
        /* Against full sorting of the 499500 slopes */
        for (int i = 0; i < N; i++) {
                x[i] = i;
                y[i] = 0.5 * i + (double)(lcg() % 100000) / 1000;
        }
        for (int i = 0; i < N; i++)
                for (int j = i + 1; j < N; j++)
                        sl[k++] = (y[j] - y[i]) / (x[j] - x[i]);
        qsort(sl, k, sizeof(*sl), cmp_double);
        CHECK_EQ_INT(stats_trend(x, y, N, 0.95, &t), 0);
        CHECK_NEAR(t.slope, (sl[k / 2 - 1] + sl[k / 2]) / 2, 1e-15);
        CHECK(t.slope_low < t.slope && t.slope < t.slope_high);
        CHECK(fabs(t.slope - 0.5) < 0.05);
        free(sl);

        /* The largest allowed n */
        for (int i = 0; i < BIG; i++) {
                x[i] = i;
                y[i] = 0.25 * i + (double)(lcg() % 100000) / 100;
        }
        CHECK_EQ_INT(stats_trend(x, y, BIG, 0.9, &t), 0);
        CHECK(t.slope_low <= t.slope && t.slope <= t.slope_high);
        CHECK(fabs(t.slope - 0.25) < 0.05);
        CHECK(t.p_value < 1e-10);
        CHECK_EQ_INT(t.n, BIG);
        free(x);
        free(y);
}

static void test_trend_errors(void)
{
        const double x[] = { 1, 2, 3 }, y[] = { 1, 2, 3 }, same[] = { 4, 4, 4 };
        const double bad[] = { 1, NAN, 3 }, inf[] = { 1, 2, INFINITY };
        static double big[STATS_TREND_MAX + 1];
        struct stats_trend t, keep;

        memset(&keep, 0x5a, sizeof(keep));
        t = keep;
        CHECK_EQ_INT(stats_trend(x, y, 0, 0.95, &t), -EINVAL);
        CHECK_EQ_INT(stats_trend(x, y, 2, 0.95, &t), -EINVAL);
        CHECK_EQ_INT(stats_trend(same, y, 3, 0.95, &t), -EINVAL);
        CHECK_EQ_INT(stats_trend(x, y, 3, 0, &t), -EINVAL);
        CHECK_EQ_INT(stats_trend(x, y, 3, 1, &t), -EINVAL);
        CHECK_EQ_INT(stats_trend(x, y, 3, NAN, &t), -EINVAL);
        CHECK_EQ_INT(stats_trend(bad, y, 3, 0.95, &t), -EINVAL);
        CHECK_EQ_INT(stats_trend(x, inf, 3, 0.95, &t), -EINVAL);
        for (int i = 0; i <= STATS_TREND_MAX; i++)
                big[i] = i;
        CHECK_EQ_INT(stats_trend(big, big, STATS_TREND_MAX + 1, 0.95, &t), -EINVAL);
        CHECK(memcmp(&t, &keep, sizeof(t)) == 0);
        /* a slope of inf / inf: coordinates that span more than DBL_MAX; *ret untouched */
        {
                const double huge[] = { -1e308, 0, 1e308 };
                CHECK_EQ_INT(stats_trend(huge, huge, 3, 0.95, &t), -ERANGE);
                CHECK(memcmp(&t, &keep, sizeof(t)) == 0);
        }
        /* the smallest valid input */
        CHECK_EQ_INT(stats_trend(x, y, 3, 0.95, &t), 0);
        CHECK_NEAR(t.slope, 1, 0);
        CHECK_NEAR(t.s, 3, 0);
}

int main(void)
{
        test_median_quantile();
        test_median_selection();
        test_norm();
        test_mw_known();
        test_mw_bruteforce();
        test_mw_ties_and_normal();
        test_hl();
        test_shift_agreement();
        test_shift_inversion();
        test_shift_large();
        test_shift_errors();
        test_trend_line();
        test_trend_ties_and_order();
        test_trend_large();
        test_trend_errors();
        return unit_finish("test_stats");
}
