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
/* Largest na * nb for which the Mann-Whitney null distribution is computed exactly. Up to
 * 20 x 20 the counts, at most C(40, 20) ~ 1.4e11, are exact in 64-bit integers. */
#define SHIFT_EXACT_MAX 400u

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

/* Null distribution of the Mann-Whitney U for samples of sizes m and n without ties: stores in
 * c[u], u = 0..m*n, the number of the C(m+n, m) equally likely rankings that give U = u. These
 * are the coefficients of the Gaussian binomial [m+n choose m]_q, built one factor
 * (1 - q^(n+i)) / (1 - q^i) at a time; every intermediate is a polynomial with integer
 * coefficients. c needs m*n + m + 1 entries; m*n <= SHIFT_EXACT_MAX keeps them in range. */
static void mw_counts(size_t m, size_t n, int64_t *c)
{
        size_t len = m * n + m + 1;

        memset(c, 0, len * sizeof(*c));
        c[0] = 1;
        for (size_t i = 1; i <= m; i++) {
                size_t deg = (i - 1) * n, step = n + i;

                for (size_t u = deg + step; u >= step; u--)
                        c[u] -= c[u - step];
                for (size_t u = i; u <= deg + step; u++)
                        c[u] += c[u - i];
        }
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

/* Fills the confidence interval and the Mann-Whitney test of ret from the pairwise differences
 * d[0..na*nb), which it reorders, and the pooled values pool[0..na+nb), sorted. */
static void shift_tests(double *d, const double *pool, size_t na, size_t nb, double level,
                        double u, struct stats_shift *ret)
{
        size_t m = na * nb, npool = na + nb, k, idx[4];
        double tie_sum = 0, out[4], coverage;
        int ties = 0;

        for (size_t i = 0; i < npool;) {
                size_t j = i + 1;

                while (j < npool && pool[j] == pool[i])
                        j++;
                if (j - i > 1) {
                        double t = (double)(j - i);
                        ties = 1;
                        tie_sum += t * t * t - t;
                }
                i = j;
        }

        /* The exact null distribution assumes all na + nb values distinct (as R's wilcox.test
         * and SciPy do): a tie even within one sample changes the permutation distribution. */
        ret->exact = 0;
        if (m <= SHIFT_EXACT_MAX) {
                size_t small = na < nb ? na : nb, big = na + nb - small;
                int64_t c[SHIFT_EXACT_MAX + 20 + 2], total = 0; /* small <= 20 */
                double cum_lo, cum_hi;

                mw_counts(small, big, c);
                for (size_t i = 1; i <= m; i++)
                        c[i] += c[i - 1]; /* c[u] = #(U <= u) */
                total = c[m];
                /* Largest k with coverage 1 - 2 P(U <= k-1) >= level; k = 1 if none. */
                k = 1;
                while (k + 1 <= (m + 1) / 2 &&
                       1 - 2 * (double)c[k] / (double)total >= level - 1e-12)
                        k++;
                coverage = 1 - 2 * (double)c[k - 1] / (double)total;
                if (!ties) {
                        /* no ties: U is an integer; P(U >= u) = P(U <= m - u) by symmetry */
                        size_t ui = (size_t)u;

                        cum_lo = (double)c[ui] / (double)total;
                        cum_hi = (double)c[m - ui] / (double)total;
                        ret->p_value = fmin(1, 2 * fmin(cum_lo, cum_hi));
                        ret->exact = 1;
                }
        } else {
                double sd = sqrt((double)na * (double)nb * (double)(npool + 1) / 12);
                double kf = floor((double)m / 2 - stats_norm_quantile((1 + level) / 2) * sd);

                k = kf < 1 ? 1 : (size_t)kf;
                if (k == 1) /* exact whatever the sizes: only one ranking gives U = 0 */
                        coverage = 1 - 2 * inv_choose(na, nb);
                else
                        coverage = 1 - 2 * stats_norm_cdf(((double)k - 0.5 - (double)m / 2) / sd);
        }
        if (!ret->exact) {
                double mu = (double)m / 2, n = (double)npool;
                double var = (double)na * (double)nb / 12 * ((n + 1) - tie_sum / (n * (n - 1)));
                double dev = fabs(u - mu) - 0.5;

                if (var <= 0 || dev <= 0)
                        ret->p_value = 1;
                else
                        ret->p_value = fmin(1, erfc(dev / sqrt(var) / M_SQRT2));
        }

        idx[0] = k - 1;
        idx[1] = (m - 1) / 2;
        idx[2] = m / 2;
        idx[3] = m - k;
        select_range(d, 0, m, idx, out, 4);
        ret->ci_low = out[0];
        ret->ci_high = out[3];
        ret->hl = mid(out[1], out[2]);
        ret->ci_level = coverage;
        ret->u = u;
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

        shift_tests(d, pool, na, nb, level, u, &s);
        *ret = s;
        r = 0;
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

int stats_trend(const double *x, const double *y, size_t n, double level, struct stats_trend *ret)
{
        struct stats_trend t = { 0 };
        struct point *pts = NULL;
        double *slopes = NULL, *scratch = NULL, tx[3], ty[3], nn = (double)n;
        double out[4], cz, m1, m2;
        size_t npairs = 0, idx[4];
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

        /* Pairs with equal x have no slope and no order in time: they count in neither. */
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++) {
                        double dy = pts[j].y - pts[i].y, dx = pts[j].x - pts[i].x;

                        if (dx <= 0)
                                continue;
                        s += (dy > 0) - (dy < 0);
                        slopes[npairs] = dy / dx;
                        if (isnan(slopes[npairs])) { /* inf / inf: coordinates near DBL_MAX */
                                r = -ERANGE;
                                goto out;
                        }
                        npairs++;
                }

        /* Kendall's variance of S with ties in y and, should they occur, in x. */
        for (size_t i = 0; i < n; i++)
                scratch[i] = pts[i].x;
        tie_sums(scratch, n, tx);
        for (size_t i = 0; i < n; i++)
                scratch[i] = pts[i].y;
        qsort(scratch, n, sizeof(*scratch), cmp_double);
        tie_sums(scratch, n, ty);
        t.var_s = (nn * (nn - 1) * (2 * nn + 5) - tx[0] - ty[0]) / 18 +
                  tx[1] * ty[1] / (9 * nn * (nn - 1) * (nn - 2)) +
                  tx[2] * ty[2] / (2 * nn * (nn - 1));
        t.s = (double)s;
        if (s != 0 && t.var_s > 0)
                t.z = (t.s - (s > 0 ? 1 : -1)) / sqrt(t.var_s);
        t.p_value = fmin(1, erfc(fabs(t.z) / M_SQRT2));

        /* Sen's interval: the M1-th and (M2+1)-th smallest slopes (1-based), M1 rounded down
         * and M2 + 1 rounded up so that the interval errs on the wide side, clamped to
         * [1, npairs]. Since cz >= 0 they bracket the two middle slopes: idx stays sorted. */
        cz = stats_norm_quantile((1 + level) / 2) * sqrt(t.var_s > 0 ? t.var_s : 0);
        m1 = fmin(fmax(floor(((double)npairs - cz) / 2), 1), (double)npairs);
        m2 = fmin(fmax(ceil(((double)npairs + cz) / 2 + 1), 1), (double)npairs);
        idx[0] = (size_t)m1 - 1;
        idx[1] = (npairs - 1) / 2;
        idx[2] = npairs / 2;
        idx[3] = (size_t)m2 - 1;
        select_range(slopes, 0, npairs, idx, out, 4);
        t.slope = mid(out[1], out[2]);
        t.slope_low = out[0];
        t.slope_high = out[3];

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
