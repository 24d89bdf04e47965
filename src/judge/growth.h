/* The growth classifier: what one memory time series of a live process (or of a process tree)
 * is doing, for an on-call engineer. Warm-up, plateau, leak suspect, sawtooth, copy-on-write, or
 * not enough data yet; how fast it grows (Theil-Sen, with a 95% interval), how sure the class is,
 * how much of the growth is JIT code and when JIT code stopped growing, and how long until a
 * memory limit is reached.
 *
 * A trend "matters" as in analysis.c: it is significant (Mann-Kendall, 5%) and moves the level
 * (the median of the part judged) by 1% or more over its span, or it moves it by 5% or more
 * whatever its p-value. Trends are taken on at most 400 points: the first and the last, and
 * the medians of blocks in between; their p-values and intervals allow for noise correlated
 * from point to point (the variance of S scaled by (1 + rho) / (1 - rho), rho the lag-1
 * autocorrelation of the residuals). The rules, in order:
 *
 *  1. Fewer than 3 points, or a span under min_span_s: GROWTH_NOT_ENOUGH_DATA.
 *  2. Release cycles: with one- and two-point spikes cut and a running median of 3, the series
 *     swings down by h = max(6 sigma, 2% of the level) or more at least 3 times, each time
 *     falling by h within 3 samples somewhere on the way down (memory is released at once;
 *     noise that wanders comes down as slowly as it went up). sigma is the noise, from the
 *     median absolute successive difference. GROWTH_SAWTOOTH, unless the floor (the lowest
 *     point after each release) rises by max(1% of the level, h) or more over the span: with
 *     5 troughs or more by a significant Theil-Sen trend, with 3 or 4 (too few for any test at
 *     5%) each above the one before. Then it is a leak under its release cycles:
 *     GROWTH_STEADY. Peaks that rise over a level floor stay a sawtooth (what is taken is
 *     given back); the explanation says they rise.
 *  3. No upward trend that matters over the whole span (a falling one included):
 *     GROWTH_PLATEAU. A rise to it at the start (the last point below the level by more than
 *     max(4 sigma, 1%)) or JIT code growing until then, within the first half of the span, is
 *     the warm-up: the plateau is judged after it (warmup_s, "after a warm-up of N").
 *  4. JIT code settled (grew by no more than 5% of its own growth after) only in the second
 *     half of the span, its growth being at least 1% of RSS's 10th-90th percentile range:
 *     GROWTH_WARMING_UP (it grows with JIT code, or JIT code stopped growing only lately).
 *  5. From when JIT code settled (or the start), growth is a leak suspect, GROWTH_STEADY, unless
 *     it is shown to slow down: after some tenth up to the half, it grows at most 0.7 times as
 *     fast as before, and slower at one-sided 5%. Once it has been shown, the warm-up's end is
 *     the earliest tenth after which RSS has no trend that matters: within the first half of
 *     the span, GROWTH_PLATEAU (the warm-up has ended; jit_growth_end_t says when JIT code
 *     last grew); later, GROWTH_WARMING_UP (about to end). Or, among the first three tenths, the
 *     earliest after which it grows on (the second half of the rest grows more than 0.7 times as
 *     fast as its first): GROWTH_STEADY, a leak after the warm-up, judged after it. Neither:
 *     GROWTH_WARMING_UP.
 *  6. Copy-on-write, where RSS is a plateau: USS measured at 3 points or more has a
 *     significant upward trend moving it by 1% of the RSS level or more, and RSS - USS (shared)
 *     a significant downward one at least half as fast: GROWTH_COPY_ON_WRITE.
 *
 * The slope, its interval, p_value and window_s are those of: the part after the warm-up
 * (steady_growth, plateau, copy_on_write: RSS's, with uss_slope USS's); the floor's troughs
 * (sawtooth, and steady_growth under release cycles); the second half of the span, the
 * current rate (warming_up; the flat tail when it is about to end).
 *
 * What `confidence` is, per class:
 *   not_enough_data  0.
 *   steady_growth    1 - p of the trend judged.
 *   warming_up       1 - p of the RSS trend over the span, and, when it was shown to slow
 *                    down, at most the one-sided probability that it does (from the normal
 *                    approximation of the Theil-Sen intervals before and after).
 *   plateau          the probability, from the normal approximation of the Theil-Sen interval,
 *                    that the true trend moves the level by less than 1% over the window (for
 *                    a falling one: that it does not rise by as much).
 *   sawtooth         (k - 2) / (k - 1) for k release cycles: 0.5 for 3, 0.9 for 11.
 *   copy_on_write    1 - the larger of the two p-values (USS up, shared down).
 *
 * Time to the limit is given for warming_up and steady_growth with a significant upward
 * trend (p <= 0.05); other classes get INFINITY in all three figures (not growing), and
 * not_enough_data NaN. The current figure at or over the limit gives 0 whatever the class.
 * For warming_up the slope is the current rate of a warm-up that slows down, so the time is
 * a lower bound. */
#ifndef JITMEM_GROWTH_H
#define JITMEM_GROWTH_H

#include <stddef.h>

enum growth_class {
        GROWTH_NOT_ENOUGH_DATA = 0,
        GROWTH_WARMING_UP,      /* growing, and JIT code is growing with it (or stopped growing only lately) */
        GROWTH_PLATEAU,         /* no trend that matters */
        GROWTH_STEADY,          /* a significant, sustained trend up without JIT growth: a leak suspect */
        GROWTH_SAWTOOTH,        /* repeated rises and drops (allocation and release cycles, GC, worker recycling) */
        GROWTH_COPY_ON_WRITE,   /* a pre-forked worker's shared pages becoming private: private (USS) grows while
                                 * RSS stays flat (shared falls by as much); bounded by what it shares */
        GROWTH_CLASS_MAX
};

struct growth_input {
        const double *t;        /* seconds, strictly increasing */
        const double *rss;      /* bytes (the figure judged: RSS, or a PSS sum for a tree) */
        const double *uss;      /* private bytes per point, or NULL; entries < 0 are "not measured" */
        const double *jit;      /* JIT code bytes per point, or NULL; entries < 0 are "not measured" */
        size_t n;
        double limit;           /* bytes; <= 0: no limit known */
        double current;         /* the figure compared with the limit now (e.g. cgroup usage); < 0: the last rss */
        double min_span_s;      /* shortest time span to judge at all (<= 0: default 30 s) */
};

struct growth_result {
        enum growth_class cls;
        double confidence;      /* 0..1: how sure (see above, per class) */
        double slope;           /* Theil-Sen bytes/s over the judged window (the part after a detected warm-up
                                 * for steady growth), NaN when not enough data */
        double slope_low, slope_high; /* its 95% interval */
        double p_value;         /* Mann-Kendall, two-sided */
        double window_s;        /* the span judged */
        double growth_bytes;    /* rss[last] - rss[first] over the whole series */
        double jit_growth_bytes;/* jit[last] - jit[first], NaN without jit */
        double jit_share;       /* jit_growth_bytes / growth_bytes when growth_bytes > 0, else NaN */
        double jit_growth_end_t;/* t of the last point where JIT code grew; < 0 never (or no jit) */
        double time_to_limit_s; /* (limit - current) / slope when growing significantly; INFINITY when not
                                 * growing; NaN without a limit or without data; 0 when already over */
        double ttl_low, ttl_high; /* from slope_high and slope_low (ttl_high INFINITY if slope_low <= 0) */
        char explanation[256];  /* one plain sentence an on-call engineer reads, with the figures */
        double warmup_s;        /* the warm-up found, from the first point: 0 none; NaN when not judged
                                 * (not enough data, or a warm-up still going) */
        int cycles;             /* release cycles seen (rule 2) */
        double uss_slope;       /* Theil-Sen slope of USS over the plateau, bytes/s; NaN when not judged */
};

/* Classifies one series. ret is written only on success. Returns 0, or -EINVAL for bad input:
 * in or ret NULL, t or rss NULL with n > 0, t not strictly increasing, a t or rss value not
 * finite. n < 3 or a span shorter than min_span_s gives GROWTH_NOT_ENOUGH_DATA and returns 0.
 * Returns -ENOMEM when scratch memory (about 6 doubles a point) cannot be had, -ERANGE for
 * values so large that slopes overflow. Costs a few milliseconds at most, whatever n (trends
 * are taken on thinned points). The caller owns everything. */
int growth_classify(const struct growth_input *in, struct growth_result *ret);

/* "not_enough_data", "warming_up", "plateau", "steady_growth", "sawtooth", "copy_on_write";
 * "unknown" out of range. A static string. */
const char *growth_class_name(enum growth_class c);

#endif
