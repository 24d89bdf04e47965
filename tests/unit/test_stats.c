/* Unit tests for src/stats.c. Expected values are computed independently of the code under
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

static void test_mw_known(void)
{
        struct stats_shift s;

        /* a={1,2,3} b={4,5,6}: every b above every a, U = 9 = na nb; only 1 of C(6,3) = 20
         * splits gives U = 9 (and 1 gives U = 0): two-sided p = 2/20. */
        {
                const double a[] = { 1, 2, 3 }, b[] = { 4, 5, 6 };

                CHECK_EQ_INT(stats_shift(a, 3, b, 3, 0.95, &s), 0);
                CHECK_NEAR(s.u, 9, 0);
                CHECK_NEAR(s.p_value, 0.1, 1e-15);
                CHECK_EQ_INT(s.exact, 1);
                CHECK_EQ_INT(stats_shift(b, 3, a, 3, 0.95, &s), 0);
                CHECK_NEAR(s.u, 0, 0);
                CHECK_NEAR(s.p_value, 0.1, 1e-15);
        }
        /* 5 vs 5, complete separation: p = 2/C(10,5) = 2/252. Published tables (e.g. Mann &
         * Whitney 1947; enumerated in expected.py: counts of U = 0..6 are 1,1,2,3,5,7,9) give
         * P(U <= 2) = 4/252 <= 0.025 < P(U <= 3) = 7/252, so the 95% interval uses the 3rd
         * order statistic of the differences, covering 1 - 8/252. The differences j - i + 5
         * for i, j in 1..5 sorted are 1,2,2,3,3,3,4,4,4,4,5x5,6x4,7x3,8x2,9. */
        {
                const double a[] = { 1, 2, 3, 4, 5 }, b[] = { 6, 7, 8, 9, 10 };

                CHECK_EQ_INT(stats_shift(a, 5, b, 5, 0.95, &s), 0);
                CHECK_NEAR(s.u, 25, 0);
                CHECK_NEAR(s.p_value, 2.0 / 252, 1e-15);
                CHECK_EQ_INT(s.exact, 1);
                CHECK_NEAR(s.hl, 5, 0);
                CHECK_NEAR(s.ci_low, 2, 0);
                CHECK_NEAR(s.ci_high, 8, 0);
                CHECK_NEAR(s.ci_level, 1 - 8.0 / 252, 1e-15);
                /* 99%: P(U <= 0) = 1/252 <= 0.005 < P(U <= 1) = 2/252: k = 1, the full range */
                CHECK_EQ_INT(stats_shift(a, 5, b, 5, 0.99, &s), 0);
                CHECK_NEAR(s.ci_low, 1, 0);
                CHECK_NEAR(s.ci_high, 9, 0);
                CHECK_NEAR(s.ci_level, 1 - 2.0 / 252, 1e-15);
        }
        /* 10 vs 10: the tabled two-sided 5% critical value of U is 23 (also found by
         * enumeration in expected.py), so the interval is [D(24), D(77)]. The differences
         * j - i + 2.5 + 0.01 j are all distinct. */
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
                CHECK_NEAR(s.hl, (d[49] + d[50]) / 2, 1e-12);
                CHECK(s.ci_level >= 0.95);
                free(d);
        }
        /* a single pair: U is 0 or 1 with probability 1/2 each; p = 1 */
        {
                const double a[] = { 1 }, b[] = { 2 };

                CHECK_EQ_INT(stats_shift(a, 1, b, 1, 0.95, &s), 0);
                CHECK_NEAR(s.u, 1, 0);
                CHECK_NEAR(s.p_value, 1, 0);
                CHECK_NEAR(s.hl, 1, 0);
                CHECK_NEAR(s.ci_low, 1, 0);
                CHECK_NEAR(s.ci_high, 1, 0);
                CHECK_NEAR(s.ci_level, 0, 1e-15); /* 1 - 2 * 1/2 */
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
                                double cum = 0, cov, cov_next;

                                CHECK_EQ_INT(stats_shift(a, na, b, nb, levels[l], &s), 0);
                                CHECK_EQ_INT(s.exact, 1);
                                CHECK_NEAR(s.u, (double)u, 0);
                                CHECK_NEAR(s.p_value, fmin(1, 2 * fmin(lo, hi) / (double)total),
                                           1e-14);
                                /* k: position of ci_low among the sorted differences */
                                for (k = 1; k < m && d[k - 1] < s.ci_low; k++)
                                        ;
                                CHECK_NEAR(d[k - 1], s.ci_low, 0);
                                CHECK_NEAR(d[m - k], s.ci_high, 0);
                                /* [D(k), D(m+1-k)] covers 1 - 2 P(U <= k - 1) */
                                for (size_t v = 0; v < k; v++)
                                        cum += (double)cnt[v];
                                cov = 1 - 2 * cum / (double)total;
                                cov_next = cov - 2 * (double)cnt[k] / (double)total;
                                CHECK_NEAR(s.ci_level, cov, 1e-14);
                                /* the achieved level reaches the asked one, unless even the
                                 * full range (k = 1) cannot; and k is the largest such */
                                CHECK(cov >= levels[l] - 1e-12 || k == 1);
                                CHECK(cov_next < levels[l] || 2 * (k + 1) > m + 1);
                                CHECK_NEAR(s.hl, (d[(m - 1) / 2] + d[m / 2]) / 2, 1e-12);
                        }
                        free(d);
                }
        }
}

static void test_mw_normal(void)
{
        struct stats_shift s;

        /* Ties (the normal approximation). a = {1,2,2,3,4}, b = {2,3,5,5,6,7}:
         * U = [b=2: 1 + 2 x 0.5] + [b=3: 3 + 0.5] + [b=5: 5] x 2 + [b=6: 5] + [b=7: 5] = 25.5.
         * Pooled tie groups: 2 (x3), 3 (x2), 5 (x2): sum(t^3 - t) = 24 + 6 + 6 = 36; N = 11;
         * var = 5*6/12 * (12 - 36/110) = 29.1818...; z = (|25.5 - 15| - 0.5)/sqrt(var);
         * p = 2(1 - Phi(z)) = 0.06414661873440441 (mw_normal in expected.py). */
        {
                const double a[] = { 1, 2, 2, 3, 4 }, b[] = { 2, 3, 5, 5, 6, 7 };

                CHECK_EQ_INT(stats_shift(a, 5, b, 6, 0.95, &s), 0);
                CHECK_NEAR(s.u, 25.5, 0);
                CHECK_EQ_INT(s.exact, 0);
                CHECK_REL(s.p_value, 0.06414661873440441, 1e-12);
        }
        /* No ties but 21 x 20 = 420 > 400 pairs: a = 0..20, b = 3.5..22.5; U = 267,
         * var = 21*20*42/12 = 1470, p = 0.14058002714895768 (expected.py). The interval uses
         * k = floor(420/2 - 1.95996 sqrt(1470)) = floor(134.85) = 134. */
        {
                double a[21], b[20], *d;

                for (int i = 0; i < 21; i++)
                        a[i] = i;
                for (int j = 0; j < 20; j++)
                        b[j] = j + 3.5;
                CHECK_EQ_INT(stats_shift(a, 21, b, 20, 0.95, &s), 0);
                CHECK_NEAR(s.u, 267, 0);
                CHECK_EQ_INT(s.exact, 0);
                CHECK_REL(s.p_value, 0.14058002714895768, 1e-12);
                d = sorted_diffs(a, 21, b, 20);
                CHECK_NEAR(s.ci_low, d[133], 0);
                CHECK_NEAR(s.ci_high, d[420 - 134], 0);
                CHECK(s.ci_level >= 0.95 && s.ci_level < 1);
                free(d);
        }
        /* All values equal: U = na nb / 2, zero variance; p = 1, shift 0 */
        {
                const double a[] = { 3, 3, 3 }, b[] = { 3, 3 };

                CHECK_EQ_INT(stats_shift(a, 3, b, 2, 0.95, &s), 0);
                CHECK_NEAR(s.u, 3, 0);
                CHECK_NEAR(s.p_value, 1, 0);
                CHECK_EQ_INT(s.exact, 0);
                CHECK_NEAR(s.hl, 0, 0);
                CHECK_NEAR(s.ci_low, 0, 0);
                CHECK_NEAR(s.ci_high, 0, 0);
        }
        /* A tie within one sample only still rules out the exact distribution */
        {
                const double a[] = { 1, 1, 2 }, b[] = { 5, 6, 7 };

                CHECK_EQ_INT(stats_shift(a, 3, b, 3, 0.95, &s), 0);
                CHECK_EQ_INT(s.exact, 0);
        }
}

static void test_hl(void)
{
        struct stats_shift s;
        /* a = {1,2,3}, b = {2,4,6}: differences b - a = 1,0,-1, 3,2,1, 5,4,3, sorted
         * -1,0,1,1,2,3,3,4,5: median 2. Medians 2 and 4: delta 2, delta_rel 1. 3 vs 3 cannot
         * reach 95% (the full range covers 1 - 2/20 = 0.9), so the interval is [-1, 5] at 0.9.
         * U = 7.5 with a tie at 2: normal approximation, p = 0.26828588367711736 (expected.py). */
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
        CHECK_NEAR(s.ci_low, -1, 0);
        CHECK_NEAR(s.ci_high, 5, 0);
        CHECK_NEAR(s.ci_level, 0.9, 1e-15);
        CHECK_NEAR(s.u, 7.5, 0);
        CHECK_EQ_INT(s.exact, 0);
        CHECK_REL(s.p_value, 0.26828588367711736, 1e-12);
        /* asking for exactly what 3 vs 3 can give */
        CHECK_EQ_INT(stats_shift(a, 3, b, 3, 0.9, &s), 0);
        CHECK_NEAR(s.ci_low, -1, 0);
        CHECK_NEAR(s.ci_high, 5, 0);
        CHECK_NEAR(s.ci_level, 0.9, 1e-15);
        /* 80% of 3 vs 3: P(U <= 1) = 2/20 <= 0.1 < P(U <= 2) = 4/20: k = 2, level 0.8 */
        CHECK_EQ_INT(stats_shift(a, 3, b, 3, 0.8, &s), 0);
        CHECK_NEAR(s.ci_low, 0, 0);
        CHECK_NEAR(s.ci_high, 4, 0);
        CHECK_NEAR(s.ci_level, 0.8, 1e-15);

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
        test_mw_normal();
        test_hl();
        test_shift_large();
        test_shift_errors();
        test_trend_line();
        test_trend_ties_and_order();
        test_trend_large();
        test_trend_errors();
        return unit_finish("test_stats");
}
