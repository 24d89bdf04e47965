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

/* Two-sample comparison of b against a (b - a). */
struct stats_shift {
        double median_a, median_b;
        double delta;        /* median_b - median_a */
        double delta_rel;    /* delta / median_a; 0 when median_a == 0 */
        double hl;           /* Hodges-Lehmann estimate of the shift: median of all b[j] - a[i] */
        double ci_low, ci_high; /* distribution-free confidence interval for the shift at the asked
                                 * level (from the Mann-Whitney distribution: order statistics of
                                 * the pairwise differences), widened to the nearest achievable
                                 * level; when n is too small for any interval, the range of
                                 * the differences */
        double ci_level;     /* the level actually achieved (>= the asked one where possible) */
        double u;            /* Mann-Whitney U of b over a (pairs with b > a, ties count 1/2) */
        double p_value;      /* two-sided; exact (no ties, na*nb small) or normal approximation with
                              * tie and continuity corrections */
        int exact;           /* p_value is exact */
};

/* At most this many pairwise differences (na * nb); callers thin larger samples. */
#define STATS_SHIFT_PAIRS_MAX 1000000

/* Compares b[0..nb) with a[0..na) at confidence level `level` (e.g. 0.95). The p-value is
 * exact only when all na + nb values are distinct (a tie, even within one sample, changes the
 * null distribution) and na * nb <= 400.
 * Returns 0, -EINVAL when na or nb is 0, a value is not finite or level is not in (0, 1),
 * -E2BIG over STATS_SHIFT_PAIRS_MAX pairs, -ENOMEM. */
int stats_shift(const double *a, size_t na, const double *b, size_t nb, double level,
                struct stats_shift *ret);

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
