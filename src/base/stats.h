/* Statistics for comparing two sets of runs and for telling growth shapes apart. Robust,
 * distribution-free methods only: medians, Hodges-Lehmann shift with its confidence interval,
 * Mann-Whitney U, Theil-Sen slope, Mann-Kendall trend test. All functions take the caller's
 * arrays (not modified unless said), allocate scratch memory themselves (returning -ENOMEM if
 * that fails), and write out-parameters only on success. */
#ifndef JITMEM_STATS_H
#define JITMEM_STATS_H

#include <stddef.h>

/* Median of x[0..n). Returns 0, or -EINVAL when n == 0 or a value is NaN. */
int stats_median(const double *x, size_t n, double *ret);

/* Quantile q in [0, 1] of x[0..n), linear interpolation between order statistics (the
 * "inclusive" method of Python's statistics.quantiles, R type 7). Returns 0 or -EINVAL. */
int stats_quantile(const double *x, size_t n, double q, double *ret);

/* Two-sample comparison of b against a (b - a).
 *
 * The Mann-Whitney test and the interval for the shift come from one null distribution of U:
 * the permutation distribution of the pooled values' mid-ranks, ties included (exact up to
 * STATS_SHIFT_EXACT_N pooled values; above, the normal approximation with the same ties'
 * variance and a continuity correction). The p-value is two-sided: twice the smaller tail,
 * P(U <= u) or P(U >= u), at most 1. The interval is every shift D that this test does not
 * reject at 1 - level when b is moved by -D: with U(D) = #{b - a > D} + #{b - a == D} / 2
 * counted over all pairs, p(U(D)) >= 1 - level. So it excludes 0 exactly when p < 1 - level.
 * U(D) falls as D rises, and the accepted values of U are a range, so the set is an interval
 * between two of the pairwise differences; an end at a difference belongs to it only when U
 * there (ties at that difference counted as halves) is accepted: each end is open or closed,
 * said by ci_low_closed and ci_high_closed. When the runs are too few for any outcome to reach
 * p < 1 - level (2 / C(na + nb, na) >= 1 - level: 3 v 3 at 95%) the interval is the whole
 * line. */
struct stats_shift {
        double median_a, median_b;
        double delta;        /* median_b - median_a */
        double delta_rel;    /* delta / median_a; 0 when median_a == 0 */
        double hl;           /* Hodges-Lehmann estimate of the shift: median of all b[j] - a[i] */
        double ci_low, ci_high; /* the interval for the shift at the asked level (above); -inf,
                                 * +inf where it is unbounded */
        int ci_low_closed, ci_high_closed; /* the end belongs to the interval */
        double ci_level;     /* its coverage under the null distribution (>= the asked level; 1
                              * when unbounded on both sides) */
        double u;            /* Mann-Whitney U of b over a (pairs with b > a, ties count 1/2) */
        double p_value;      /* two-sided, from the null distribution above */
        int exact;           /* the null distribution is exact (not the normal approximation) */
        int significant;     /* 0 lies outside the interval; the same as p_value < 1 - level */
};

/* At most this many pairwise differences (na * nb); callers thin larger samples. */
#define STATS_SHIFT_PAIRS_MAX 1000000
/* Up to this many pooled values (na + nb) the null distribution is exact. */
#define STATS_SHIFT_EXACT_N 100

/* Compares b[0..nb) with a[0..na) at confidence level `level` (e.g. 0.95).
 * Returns 0, -EINVAL when na or nb is 0, a value is not finite or level is not in (0, 1),
 * -E2BIG over STATS_SHIFT_PAIRS_MAX pairs, -ENOMEM. */
int stats_shift(const double *a, size_t na, const double *b, size_t nb, double level,
                struct stats_shift *ret);

/* Whether the shift x lies in s's interval (its ends included where closed). */
int stats_shift_covers(const struct stats_shift *s, double x);

/* Theil-Sen slope of y over x (median of pairwise slopes over pairs with x[i] != x[j]) with
 * its intercept (median of y - slope * x) and a distribution-free confidence interval for the
 * slope at `level` (Sen 1968, from the Mann-Kendall variance). */
struct stats_trend {
        double slope, intercept;
        double slope_low, slope_high;
        double s;        /* Mann-Kendall S statistic */
        double var_s;    /* its variance, corrected for ties */
        double z;        /* continuity-corrected normal score */
        double p_value;  /* two-sided */
        int n;
};

/* Pairs with equal x count towards neither S nor the slopes (var(S) is Kendall's, with ties in
 * x and y); the slope interval is rounded outwards. Returns 0, -EINVAL when fewer than 3 points,
 * more than STATS_TREND_MAX, all x equal, a value not finite or level not in (0, 1), -ERANGE
 * when a slope overflows, -ENOMEM. Pairs are O(n^2) in memory (16 MB at the maximum): callers
 * thin longer series. */
#define STATS_TREND_MAX 2048
int stats_trend(const double *x, const double *y, size_t n, double level, struct stats_trend *ret);

/* Standard normal CDF and its inverse (for levels and p-values). */
double stats_norm_cdf(double z);
double stats_norm_quantile(double p);

#endif
