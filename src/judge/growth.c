#include "growth.h"
#include "stats.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TREND_POINTS 400      /* trends are O(n^2): series are thinned to this many points */
#define LEVEL 0.95            /* of every interval */
#define ALPHA 0.05
#define NEGLIGIBLE 0.01       /* a trend moving the level by less than 1% over its span does not matter */
#define SMALL 0.05            /* ... nor one under 5% that is not significant (as in analysis.c) */
#define DEFAULT_SPAN_S 30.0
#define SAW_SIGMAS 6.0        /* a release is a drop of at least this many noise sigmas ... */
#define SAW_MIN_REL 0.02      /* ... and at least 2% of the level */
#define SAW_MIN_CYCLES 3
#define SAW_TEST_TROUGHS 5    /* fewer points cannot make a Mann-Kendall trend significant at 5% */
#define JIT_SETTLE_TOL 0.05   /* JIT code growing by at most 5% of its growth has settled */
#define JIT_MIN_OF_RSS 0.01   /* JIT growth under 1% of RSS's range says nothing about it */
#define RECENT 0.5            /* "lately": the second half of the span */
#define KNEE_STEPS 10         /* knees are looked for in tenths of the part judged */
#define KNEE_LINEAR_MAX 3     /* a leak is judged over at least 70% of the part after JIT warm-up */
#define KNEE_FLAT_MAX 8       /* a flat tail is at least 20% of it */
#define WARMUP_PLATEAU_MAX 0.5 /* a warm-up that ended within the first half leaves a plateau */
#define DECEL_RATIO 0.7       /* slowing down: the second half grows at most 0.7 times as fast ... */
#define DECEL_Z 1.6448536269514722 /* ... and slower at one-sided 5% */
#define MIN_PART_POINTS 4     /* on each side of a deceleration test */

#define MiB (1024.0 * 1024.0)

const char *growth_class_name(enum growth_class c)
{
        static const char *const names[GROWTH_CLASS_MAX] = {
                [GROWTH_NOT_ENOUGH_DATA] = "not_enough_data", [GROWTH_WARMING_UP] = "warming_up",
                [GROWTH_PLATEAU] = "plateau",                 [GROWTH_STEADY] = "steady_growth",
                [GROWTH_SAWTOOTH] = "sawtooth",               [GROWTH_COPY_ON_WRITE] = "copy_on_write",
        };

        if ((unsigned)c >= GROWTH_CLASS_MAX)
                return "unknown";
        return names[c];
}

/* ---- a thinned series ------------------------------------------------------------------------ */

/* At most TREND_POINTS points standing for a series: its first and last points as they are,
 * and in between the median of each block of consecutive points at the block's mean time.
 * Block medians rather than every k-th point: they keep the information of the points left
 * out (less noise, so shorter windows can show a trend) and a spike cannot pull them. */
struct thin {
        double t[TREND_POINTS], y[TREND_POINTS];
        size_t n;
};

static int cmp_double(const void *pa, const void *pb)
{
        double a = *(const double *)pa, b = *(const double *)pb;

        return (a > b) - (a < b);
}

/* Thins (t[i], y[i]) for i in [0, n). scratch holds at least n doubles. */
static void thin_series(const double *t, const double *y, size_t n, double *scratch, struct thin *ret)
{
        size_t inner, blocks, k = 0;

        if (n <= TREND_POINTS) {
                memcpy(ret->t, t, n * sizeof(*t));
                memcpy(ret->y, y, n * sizeof(*y));
                ret->n = n;
                return;
        }
        inner = n - 2;
        blocks = TREND_POINTS - 2;
        ret->t[k] = t[0];
        ret->y[k++] = y[0];
        for (size_t b = 0; b < blocks; b++) {
                size_t lo = 1 + inner * b / blocks, hi = 1 + inner * (b + 1) / blocks, m = hi - lo;
                double st = 0;

                for (size_t i = lo; i < hi; i++) {
                        st += t[i];
                        scratch[i - lo] = y[i];
                }
                qsort(scratch, m, sizeof(*scratch), cmp_double);
                ret->t[k] = st / (double)m;
                ret->y[k++] = m % 2 ? scratch[m / 2] : (scratch[m / 2 - 1] + scratch[m / 2]) / 2;
        }
        ret->t[k] = t[n - 1];
        ret->y[k++] = y[n - 1];
        ret->n = k;
}

/* The first index of s at or after time x. */
static size_t thin_at(const struct thin *s, double x)
{
        size_t lo = 0, hi = s->n;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (s->t[mid] < x)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* The trend of s over [from, to), its p-value and interval widened for noise correlated from
 * point to point: memory wanders, and Mann-Kendall assumes independent points. The variance of
 * S is scaled by (1 + rho) / (1 - rho), rho being the lag-1 autocorrelation of the residuals
 * from the Theil-Sen line (kept within [0, 0.95]), as in Yue and Wang's correction; the
 * interval's half-widths by its square root. */
static int thin_trend(const struct thin *s, size_t from, size_t to, struct stats_trend *ret)
{
        struct stats_trend tr;
        double num = 0, den = 0, prev = 0, rho, f;
        int r;

        if (to > s->n || to < from + 3)
                return -EINVAL;
        r = stats_trend(s->t + from, s->y + from, to - from, LEVEL, &tr);
        if (r < 0)
                return r;
        for (size_t i = from; i < to; i++) {
                double e = s->y[i] - tr.intercept - tr.slope * s->t[i];
                if (i > from)
                        num += e * prev;
                den += e * e;
                prev = e;
        }
        rho = den > 0 ? fmin(fmax(num / den, 0), 0.95) : 0;
        f = sqrt((1 + rho) / (1 - rho));
        tr.z /= f;
        tr.p_value = fmin(1, erfc(fabs(tr.z) / M_SQRT2));
        tr.slope_low = tr.slope - (tr.slope - tr.slope_low) * f;
        tr.slope_high = tr.slope + (tr.slope_high - tr.slope) * f;
        *ret = tr;
        return 0;
}

/* Median of s->y over [from, to); scratch holds TREND_POINTS doubles. */
static double thin_level(const struct thin *s, size_t from, size_t to, double *scratch)
{
        size_t m = to - from;

        memcpy(scratch, s->y + from, m * sizeof(*scratch));
        qsort(scratch, m, sizeof(*scratch), cmp_double);
        return m % 2 ? scratch[m / 2] : (scratch[m / 2 - 1] + scratch[m / 2]) / 2;
}

/* No trend that matters: it moves the level by under 1% over its span, or it is not
 * significant and moves it by under 5% (a short window cannot show significance, so that
 * alone does not make a plateau). */
static int trend_flat(const struct stats_trend *tr, double span, double level)
{
        double moved = fabs(tr->slope) * span;

        return moved == 0 || moved < NEGLIGIBLE * level || (tr->p_value > ALPHA && moved < SMALL * level);
}

/* Standard error of a Theil-Sen slope, from its 95% interval. */
static double slope_se(const struct stats_trend *tr)
{
        return (tr->slope_high - tr->slope_low) / (2 * 1.959963984540054);
}

/* Whether RSS slows down after `mid`: over s[mid, to) it grows at most DECEL_RATIO times as
 * fast as over s[from, mid) and, when `tested`, slower at one-sided 5%. ret_prob gets the
 * one-sided probability that it slows down at all. Returns 1, 0 (or too few points to tell,
 * which is not slowing down), or -errno. */
static int slows_after(const struct thin *s, size_t from, size_t mid, size_t to, int tested, double *ret_prob)
{
        struct stats_trend a, b;
        double se, z;
        int r;

        *ret_prob = 0;
        if (mid < from + MIN_PART_POINTS || to < mid + MIN_PART_POINTS)
                return 0;
        r = thin_trend(s, from, mid, &a);
        if (r < 0)
                return r;
        r = thin_trend(s, mid, to, &b);
        if (r < 0)
                return r;
        se = hypot(slope_se(&a), slope_se(&b));
        if (se > 0)
                z = (a.slope - b.slope) / se;
        else
                z = a.slope > b.slope ? INFINITY : 0;
        *ret_prob = stats_norm_cdf(z);
        return a.slope > 0 && b.slope <= DECEL_RATIO * a.slope && (!tested || z > DECEL_Z);
}

/* Front-loaded growth over s[from, to): after some tenth of it up to the half, RSS grows
 * significantly slower than before. Splits at several points rather than only halves: a
 * Theil-Sen slope (a median) hardly sees a warm-up that takes a small part of a half.
 * ret_prob gets the highest probability of slowing down over the splits. */
static int front_loaded(const struct thin *s, size_t from, size_t to, double *ret_prob)
{
        int found = 0;

        *ret_prob = 0;
        for (int k = 1; k <= KNEE_STEPS / 2; k++) {
                size_t mid = thin_at(s, s->t[from] + (s->t[to - 1] - s->t[from]) * k / KNEE_STEPS);
                double prob;
                int r = slows_after(s, from, mid, to, 1, &prob);

                if (r < 0)
                        return r;
                found |= r;
                *ret_prob = fmax(*ret_prob, prob);
        }
        return found;
}

/* ---- noise and release cycles -------------------------------------------------------------- */

/* Noise sigma: the median absolute deviation of successive differences, scaled to a normal
 * sigma (1.4826) and from a difference to one point (1/sqrt 2). Steps, spikes and a trend
 * barely move it. scratch holds n doubles. */
static double noise_sigma(const double *y, size_t n, double *scratch)
{
        double med;
        size_t m = n - 1;

        if (n < 3)
                return 0;
        for (size_t i = 0; i < m; i++)
                scratch[i] = y[i + 1] - y[i];
        qsort(scratch, m, sizeof(*scratch), cmp_double);
        med = m % 2 ? scratch[m / 2] : (scratch[m / 2 - 1] + scratch[m / 2]) / 2;
        for (size_t i = 0; i < m; i++)
                scratch[i] = fabs(scratch[i] - med);
        qsort(scratch, m, sizeof(*scratch), cmp_double);
        med = m % 2 ? scratch[m / 2] : (scratch[m / 2 - 1] + scratch[m / 2]) / 2;
        return 1.482602218505602 * med / M_SQRT2;
}

/* Upward spikes of one or two points (a transient allocation between two samples, a
 * misread) standing more than d above both neighbours, cut down to the higher neighbour. The
 * peak of a sawtooth loses at most the last step of its ramp: it stands above its drop but not
 * above the point before it, unless the ramp rises by more than d a sample. */
static void despike(const double *y, size_t n, double d, double *out)
{
        memcpy(out, y, n * sizeof(*y));
        for (size_t i = 1; i + 1 < n; i++) {
                double side = fmax(out[i - 1], out[i + 1]);
                if (out[i] - side > d) {
                        out[i] = side;
                        continue;
                }
                if (i + 2 < n) {
                        side = fmax(out[i - 1], out[i + 2]);
                        if (fmin(out[i], out[i + 1]) - side > d)
                                out[i] = out[i + 1] = side;
                }
        }
}

/* Running median of 3: noise shrinks to about two thirds, and a ramp loses one step at its
 * peak and its foot (a median of 5 would take two, too much of a short cycle). */
static void median3(const double *y, size_t n, double *out)
{
        out[0] = y[0];
        out[n - 1] = y[n - 1];
        for (size_t i = 1; i + 1 < n; i++) {
                double a = y[i - 1], b = y[i], c = y[i + 1];
                out[i] = fmax(fmin(a, b), fmin(fmax(a, b), c));
        }
}

/* The end of a rise to a plateau: the time of the first point after the last one that lies
 * below the level of the second half by more than max(4 sigma, 1% of it), in the series
 * cleared of spikes and smoothed by a median of 3. t[0] when no point lies that low. scratch
 * holds 2n doubles. */
static double rise_end(const struct growth_input *in, double sigma, double *scratch)
{
        size_t n = in->n, half = n - n / 2;
        double *y = scratch, *f = scratch + n, level, band;

        memcpy(y, in->rss + n / 2, half * sizeof(*y));
        qsort(y, half, sizeof(*y), cmp_double);
        level = half % 2 ? y[half / 2] : (y[half / 2 - 1] + y[half / 2]) / 2;
        band = fmax(4 * sigma, NEGLIGIBLE * fabs(level));
        despike(in->rss, n, band, y);
        median3(y, n, f);
        for (size_t i = n; i-- > 0;)
                if (f[i] < level - band)
                        return i + 1 < n ? in->t[i + 1] : in->t[n - 1];
        return in->t[0];
}

/* Turning points of f swinging by at least h (a zig-zag): each peak after which f fell by h or
 * more, and the lowest point after that fall (where f rose by h again, or the lowest since,
 * at the end). Indices into f; peak and after hold n entries. */
struct swings {
        size_t *peak, *after;
        size_t n;
};

static void zigzag(const double *f, size_t n, double h, struct swings *sw)
{
        size_t mx = 0, mn = 0, cand = 0;
        int dir = 0;

        sw->n = 0;
        for (size_t i = 1; i < n; i++) {
                if (dir == 0) {
                        if (f[i] > f[mx])
                                mx = i;
                        if (f[i] < f[mn])
                                mn = i;
                        if (f[mx] - f[mn] < h)
                                continue;
                        if (mn < mx) {
                                dir = 1;
                                cand = mx;
                        } else {
                                sw->peak[sw->n] = mx;
                                dir = -1;
                                cand = mn;
                        }
                } else if (dir > 0) {
                        if (f[i] > f[cand]) {
                                cand = i;
                        } else if (f[cand] - f[i] >= h) {
                                sw->peak[sw->n] = cand;
                                dir = -1;
                                cand = i;
                        }
                } else {
                        if (f[i] < f[cand]) {
                                cand = i;
                        } else if (f[i] - f[cand] >= h) {
                                sw->after[sw->n++] = cand;
                                dir = 1;
                                cand = i;
                        }
                }
        }
        if (dir < 0)
                sw->after[sw->n++] = cand;
}

/* Keeps the swings whose fall is a release: at least h within 3 samples somewhere on the way
 * down. Memory is let go at once (a collection, a freed arena, a worker exiting), while noise
 * that wanders (correlated from one sample to the next) comes down as slowly as it went up. */
static void keep_releases(const double *f, double h, struct swings *sw)
{
        size_t kept = 0;

        for (size_t k = 0; k < sw->n; k++) {
                size_t p = sw->peak[k], q = sw->after[k];
                double fastest = 0;

                for (size_t i = p; i < q; i++)
                        fastest = fmax(fastest, f[i] - f[i + 3 < q ? i + 3 : q]);
                if (fastest >= h) {
                        sw->peak[kept] = p;
                        sw->after[kept++] = q;
                }
        }
        sw->n = kept;
}

/* ---- formatting for the explanation --------------------------------------------------------- */



static char *fmt_dur(double s, char *buf, size_t size)
{
        return util_format_seconds(isnan(s) ? INFINITY : s, "never", buf, size);
}

static char *fmt_p(double p, char *buf, size_t size)
{
        if (p < 0.001)
                snprintf(buf, size, "p < 0.001");
        else
                snprintf(buf, size, "p = %.3f", p);
        return buf;
}

/* ---- the classifier --------------------------------------------------------------------------- */

/* What the rules found, beside the result. */
struct judged {
        int jit_driven;           /* warming up because JIT code grew lately */
        int jit_still;            /* ... and grew in the last tenth of the span */
        int ending;               /* warming up, flat only lately */
        int falling;              /* a plateau that falls */
        int saw_leak;             /* steady growth of a sawtooth's troughs */
        double level;             /* median of what was judged */
        double saw_drop, saw_low, saw_high; /* sawtooth: median drop, lowest trough, highest peak */
        double peak_slope;        /* sawtooth: trend of the peaks when significant, else NaN */
        int floor_rises;          /* sawtooth: its troughs move up by as much as a leak's */
        double uss_moved, shared_moved, shared_left;
};

static void set_trend(struct growth_result *g, const struct stats_trend *tr, double span)
{
        g->slope = tr->slope;
        g->slope_low = tr->slope_low;
        g->slope_high = tr->slope_high;
        g->p_value = tr->p_value;
        g->window_s = span;
}

/* How sure a plateau is: the probability (normal approximation of the Theil-Sen interval) that
 * the true slope moves the level by less than NEGLIGIBLE over span, in either direction; for
 * one that falls by more, that it does not rise by as much. */
static double plateau_confidence(const struct stats_trend *tr, double span, double level, int falling)
{
        double thr = NEGLIGIBLE * fabs(level) / span, se = slope_se(tr), p;

        if (!(se > 0))
                return (falling ? tr->slope < thr : fabs(tr->slope) < thr) ? 1 : 0;
        p = stats_norm_cdf((thr - tr->slope) / se);
        if (!falling)
                p -= stats_norm_cdf((-thr - tr->slope) / se);
        return fmax(0, fmin(1, p));
}

/* Copy-on-write over the points of [from_t, T] where USS was measured: USS up, shared down by
 * at least half as much, both significant, USS's move mattering against the level. */
static int judge_cow(const struct growth_input *in, double from_t, double level, double *scratch,
                     struct thin *s, struct growth_result *g, struct judged *j)
{
        double *tu = scratch, *u = scratch + in->n, *sh = scratch + 2 * in->n, *work = scratch + 3 * in->n;
        struct stats_trend tu_tr, sh_tr;
        size_t m = 0;
        double span;
        int r;

        for (size_t i = 0; i < in->n; i++)
                if (in->t[i] >= from_t && in->uss[i] >= 0 && isfinite(in->uss[i])) {
                        tu[m] = in->t[i];
                        u[m] = in->uss[i];
                        sh[m] = in->rss[i] - in->uss[i];
                        m++;
                }
        if (m < 3)
                return 0;
        span = tu[m - 1] - tu[0];
        thin_series(tu, u, m, work, s);
        r = thin_trend(s, 0, s->n, &tu_tr);
        if (r < 0)
                return r == -EINVAL ? 0 : r;
        thin_series(tu, sh, m, work, s);
        r = thin_trend(s, 0, s->n, &sh_tr);
        if (r < 0)
                return r == -EINVAL ? 0 : r;
        g->uss_slope = tu_tr.slope;
        if (!(tu_tr.slope > 0 && tu_tr.p_value <= ALPHA && tu_tr.slope * span >= NEGLIGIBLE * level))
                return 0;
        if (!(sh_tr.slope < 0 && sh_tr.p_value <= ALPHA && -sh_tr.slope >= 0.5 * tu_tr.slope))
                return 0;
        g->confidence = 1 - fmax(tu_tr.p_value, sh_tr.p_value);
        j->uss_moved = tu_tr.slope * span;
        j->shared_moved = sh_tr.slope * span;
        j->shared_left = sh[m - 1];
        return 1;
}

/* Release cycles being looked for: the series cleared of spikes (y) and smoothed (f), the
 * swings found, and per cycle its peak (tt, then y), the trough after it (vv) and their times
 * (tt). The arrays are views of the caller's scratch. */
struct saw {
        const struct growth_input *in;
        double *y, *f, *tt, *vv;
        struct swings sw;
        double h;               /* the least release: max(SAW_SIGMAS sigma, SAW_MIN_REL of the level) */
        double W;               /* the span */
        double need;            /* the least rise of peaks or floor that counts */
};

/* The swings of the series, cleared of spikes and smoothed, that are releases. */
static void saw_find_releases(struct saw *c)
{
        size_t n = c->in->n;

        despike(c->in->rss, n, c->h / 2, c->y);
        median3(c->y, n, c->f);
        zigzag(c->f, n, c->h, &c->sw);
        keep_releases(c->f, c->h, &c->sw);
}

/* Peaks and troughs where the unfiltered (despiked) series has them: the median moved them by
 * a step of the ramp, which varies from cycle to cycle. Then the median drop; y gets the peaks. */
static void saw_extremes(struct saw *c, struct judged *j)
{
        size_t m = c->sw.n, n = c->in->n;

        j->saw_low = INFINITY;
        j->saw_high = -INFINITY;
        for (size_t k = 0; k < m; k++) {
                size_t p = c->sw.peak[k], q = c->sw.after[k];
                double hi = -INFINITY, lo = INFINITY;

                for (size_t i = p >= 1 ? p - 1 : 0; i < p + 2 && i < n; i++)
                        hi = fmax(hi, c->y[i]);
                for (size_t i = q >= 2 ? q - 2 : 0; i < q + 3 && i < n; i++)
                        lo = fmin(lo, c->y[i]);
                c->tt[k] = hi;          /* peak */
                c->vv[k] = lo;          /* trough after it */
                j->saw_high = fmax(j->saw_high, hi);
                j->saw_low = fmin(j->saw_low, lo);
        }
        for (size_t k = 0; k < m; k++)
                c->f[k] = c->tt[k] - c->vv[k];
        qsort(c->f, m, sizeof(*c->f), cmp_double);
        j->saw_drop = m % 2 ? c->f[m / 2] : (c->f[m / 2 - 1] + c->f[m / 2]) / 2;
        memcpy(c->y, c->tt, m * sizeof(*c->y)); /* y: peaks, vv: troughs, tt: times */
}

/* The peaks' trend, for the explanation only. Returns 0 or -errno. */
static int saw_peaks(struct saw *c, struct judged *j)
{
        size_t m = c->sw.n;
        struct stats_trend tr;
        int r;

        j->peak_slope = NAN;
        for (size_t k = 0; k < m; k++)
                c->tt[k] = c->in->t[c->sw.peak[k]];
        if (m < SAW_TEST_TROUGHS)
                return 0;
        r = stats_trend(c->tt, c->y, m, LEVEL, &tr);
        if (r < 0)
                return r;
        if (tr.p_value <= ALPHA && tr.slope > 0 && tr.slope * c->W >= c->need)
                j->peak_slope = tr.slope;
        return 0;
}

/* The floor: what is left after each release. It rises when it moves by 1% of the level and
 * by more than a release we would count: with 5 troughs or more, by a significant trend; with
 * 3 or 4 (too few for any test at 5%), each above the one before. A sawtooth, or a leak under
 * its release cycles. Returns 0 or -errno. */
static int saw_floor(struct saw *c, struct growth_result *g, struct judged *j)
{
        size_t m = c->sw.n;
        struct stats_trend tr;
        int r, rising = 1;

        for (size_t k = 0; k < m; k++) {
                c->tt[k] = c->in->t[c->sw.after[k]];
                if (k > 0 && !(c->vv[k] > c->vv[k - 1]))
                        rising = 0;
        }
        g->cls = GROWTH_SAWTOOTH;
        g->confidence = (double)(m - 2) / (double)(m - 1);
        g->window_s = c->W;
        r = stats_trend(c->tt, c->vv, m, LEVEL, &tr);
        if (r < 0)
                return r;
        set_trend(g, &tr, c->W);
        j->floor_rises = tr.slope * c->W >= c->need;
        if (m >= SAW_TEST_TROUGHS ? tr.p_value <= ALPHA && tr.slope > 0 && tr.slope * c->W >= c->need
                                  : rising && c->vv[m - 1] - c->vv[0] >= c->need) {
                g->cls = GROWTH_STEADY;
                g->confidence = 1 - tr.p_value;
                j->saw_leak = 1;
        }
        return 0;
}

/* Sawtooth, or a leak under release cycles. scratch holds 4n doubles. Returns 1 when it
 * decided, 0 when there are no cycles, or -errno. */
static int judge_sawtooth(const struct growth_input *in, double level, double sigma, double *scratch,
                          struct growth_result *g, struct judged *j)
{
        size_t n = in->n, *idx = malloc(2 * n * sizeof(*idx));
        struct saw c = {
                .in = in, .y = scratch, .f = scratch + n, .tt = scratch + 2 * n, .vv = scratch + 3 * n,
                .sw = { idx, idx ? idx + n : NULL, 0 },
                .h = fmax(SAW_SIGMAS * sigma, SAW_MIN_REL * level), .W = in->t[n - 1] - in->t[0],
        };
        int r = 0;

        if (!idx)
                return -ENOMEM;
        if (!(c.h > 0)) /* a series of zeros: nothing to swing */
                goto out;
        saw_find_releases(&c);
        g->cycles = (int)c.sw.n;
        if (c.sw.n < SAW_MIN_CYCLES)
                goto out;
        saw_extremes(&c, j);
        c.need = fmax(NEGLIGIBLE * level, c.h);
        r = saw_peaks(&c, j);
        if (r == 0)
                r = saw_floor(&c, g, j);
        if (r == 0)
                r = 1;
out:
        free(idx);
        return r;
}

/* JIT code: growth, its share, when it last grew, and when it settled (grew by no more than
 * JIT_SETTLE_TOL of its range after). Returns the settling time, or -INFINITY when JIT code
 * is not measured or did not grow enough to say anything. */
static double judge_jit(const struct growth_input *in, double rss_range, struct growth_result *g)
{
        size_t first = in->n, last = 0;
        double lo = INFINITY, hi = -INFINITY, prev = NAN, tol, run_max = -INFINITY, settled;

        if (!in->jit)
                return -INFINITY;
        for (size_t i = 0; i < in->n; i++) {
                double v = in->jit[i];
                if (!(v >= 0) || !isfinite(v))
                        continue;
                if (first == in->n)
                        first = i;
                last = i;
                lo = fmin(lo, v);
                hi = fmax(hi, v);
                if (v > prev)
                        g->jit_growth_end_t = in->t[i];
                prev = v;
        }
        if (first == in->n)
                return -INFINITY;
        g->jit_growth_bytes = in->jit[last] - in->jit[first];
        if (g->growth_bytes > 0)
                g->jit_share = g->jit_growth_bytes / g->growth_bytes;
        if (!(hi - lo > 0) || hi - in->jit[first] < JIT_MIN_OF_RSS * rss_range)
                return -INFINITY;
        tol = JIT_SETTLE_TOL * (hi - lo);
        settled = in->t[first];
        /* From the end backwards: the earliest point that nothing after exceeds by more than tol. */
        for (size_t i = last + 1; i-- > first;) {
                double v = in->jit[i];
                if (!(v >= 0) || !isfinite(v))
                        continue;
                if (run_max <= v + tol)
                        settled = in->t[i];
                run_max = fmax(run_max, v);
        }
        return settled;
}

static void time_to_limit(const struct growth_input *in, struct growth_result *g)
{
        double cur = in->current >= 0 ? in->current : (in->n > 0 ? in->rss[in->n - 1] : NAN), d;

        g->time_to_limit_s = g->ttl_low = g->ttl_high = NAN;
        if (!(in->limit > 0) || isnan(cur))
                return;
        d = in->limit - cur;
        if (d <= 0) {
                g->time_to_limit_s = g->ttl_low = g->ttl_high = 0;
                return;
        }
        if (g->cls == GROWTH_NOT_ENOUGH_DATA)
                return;
        g->time_to_limit_s = g->ttl_low = g->ttl_high = INFINITY;
        if ((g->cls != GROWTH_WARMING_UP && g->cls != GROWTH_STEADY) || !(g->slope > 0) || !(g->p_value <= ALPHA))
                return;
        g->time_to_limit_s = d / g->slope;
        g->ttl_low = g->slope_high > 0 ? d / g->slope_high : INFINITY;
        g->ttl_high = g->slope_low > 0 ? d / g->slope_low : INFINITY;
}

/* "; the 384 MiB limit in 2.1 h (1.9 to 2.4 h)", or "" when there is nothing to say. */
static void limit_clause(const struct growth_input *in, const struct growth_result *g, char *buf, size_t size)
{
        char l[32], a[32], b[32], c[32];

        buf[0] = '\0';
        if (isnan(g->time_to_limit_s))
                return;
        util_format_signed_bytes(in->limit, "", l, sizeof(l));
        if (g->time_to_limit_s == 0)
                snprintf(buf, size, "; already at or over the %s limit", l);
        else if (isinf(g->time_to_limit_s))
                snprintf(buf, size, "; not approaching the %s limit", l);
        else
                snprintf(buf, size, "; %s limit in %s (%s to %s)", l, fmt_dur(g->time_to_limit_s, a, sizeof(a)),
                         fmt_dur(g->ttl_low, b, sizeof(b)), fmt_dur(g->ttl_high, c, sizeof(c)));
}

/* How much JIT code grew from its first measured value to its highest: "so far" while it grows
 * (the last value may be lower: code freed by the end). NaN without JIT figures. */
static double jit_rise(const struct growth_input *in)
{
        double first = NAN, hi = NAN;

        for (size_t i = 0; in->jit && i < in->n; i++) {
                double v = in->jit[i];
                if (!(v >= 0) || !isfinite(v))
                        continue;
                if (isnan(first))
                        first = v;
                hi = isnan(hi) ? v : fmax(hi, v);
        }
        return hi - first;
}

static void explain(const struct growth_input *in, struct growth_result *g, const struct judged *j)
{
        char a[32], b[32], c[32], d[32], e[32], w[64] = "", lim[128];
        char *x = g->explanation;
        size_t xs = sizeof(g->explanation);

        limit_clause(in, g, lim, sizeof(lim));
        if (g->warmup_s > 0)
                snprintf(w, sizeof(w), " after a warm-up of %s", fmt_dur(g->warmup_s, a, sizeof(a)));
        switch (g->cls) {
        case GROWTH_NOT_ENOUGH_DATA: {
                double span = in->n > 0 ? in->t[in->n - 1] - in->t[0] : 0;
                double need = in->min_span_s > 0 ? in->min_span_s : DEFAULT_SPAN_S;
                snprintf(x, xs, "Not enough data yet: %zu point%s over %.1f s; a judgement needs 3 points spanning %s or more%s.",
                         in->n, in->n == 1 ? "" : "s", span, fmt_dur(need, b, sizeof(b)), lim);
                break;
        }
        case GROWTH_WARMING_UP:
                if (j->jit_driven && j->jit_still)
                        snprintf(x, xs, "Warming up: RSS grows by %s now (95%% CI %s to %s) and JIT code is still "
                                 "growing (+%s so far)%s.", util_format_rate(g->slope, "", a, sizeof(a)),
                                 util_format_rate(g->slope_low, "", b, sizeof(b)), util_format_rate(g->slope_high, "", c, sizeof(c)),
                                 util_format_signed_bytes(jit_rise(in), "", d, sizeof(d)), lim);
                else if (j->jit_driven)
                        snprintf(x, xs, "Warming up: RSS grows by %s now (95%% CI %s to %s); JIT code grew with it "
                                 "(+%s) until %s ago%s.", util_format_rate(g->slope, "", a, sizeof(a)),
                                 util_format_rate(g->slope_low, "", b, sizeof(b)), util_format_rate(g->slope_high, "", c, sizeof(c)),
                                 util_format_signed_bytes(g->jit_growth_bytes, "", d, sizeof(d)),
                                 fmt_dur(in->t[in->n - 1] - g->jit_growth_end_t, e, sizeof(e)), lim);
                else if (j->ending)
                        snprintf(x, xs, "Warming up, about to end: RSS rose by %s over %s and has been flat for "
                                 "the last %s%s.", util_format_signed_bytes(g->growth_bytes, "", a, sizeof(a)),
                                 fmt_dur(g->warmup_s, b, sizeof(b)), fmt_dur(g->window_s, c, sizeof(c)), lim);
                else
                        snprintf(x, xs, "Warming up: RSS rose by %s and its growth is slowing down, now %s "
                                 "(95%% CI %s to %s)%s.", util_format_signed_bytes(g->growth_bytes, "", a, sizeof(a)),
                                 util_format_rate(g->slope, "", b, sizeof(b)), util_format_rate(g->slope_low, "", c, sizeof(c)),
                                 util_format_rate(g->slope_high, "", d, sizeof(d)), lim);
                break;
        case GROWTH_PLATEAU:
                if (j->falling)
                        snprintf(x, xs, "Plateau at %s%s: nothing grows, it falls by %s over the last %s%s.",
                                 util_format_signed_bytes(j->level, "", b, sizeof(b)), w, util_format_rate(-g->slope, "", c, sizeof(c)),
                                 fmt_dur(g->window_s, d, sizeof(d)), lim);
                else
                        snprintf(x, xs, "Plateau at %s%s: no trend that matters over the last %s (%s, 95%% CI "
                                 "%s to %s)%s.", util_format_signed_bytes(j->level, "", b, sizeof(b)), w,
                                 fmt_dur(g->window_s, c, sizeof(c)), util_format_rate(g->slope, "", d, sizeof(d)),
                                 util_format_rate(g->slope_low, "", e, sizeof(e)), util_format_rate(g->slope_high, "", a, sizeof(a)), lim);
                break;
        case GROWTH_STEADY:
                if (j->saw_leak)
                        snprintf(x, xs, "Leak suspect under %d release cycles: what is left after each release "
                                 "rises by %s (95%% CI %s to %s, %s)%s.", g->cycles, util_format_rate(g->slope, "", a, sizeof(a)),
                                 util_format_rate(g->slope_low, "", b, sizeof(b)), util_format_rate(g->slope_high, "", c, sizeof(c)),
                                 fmt_p(g->p_value, d, sizeof(d)), lim);
                else
                        snprintf(x, xs, "Leak suspect: RSS grows steadily by %s (95%% CI %s to %s, %s) over %s%s%s.",
                                 util_format_rate(g->slope, "", a, sizeof(a)), util_format_rate(g->slope_low, "", b, sizeof(b)),
                                 util_format_rate(g->slope_high, "", c, sizeof(c)), fmt_p(g->p_value, d, sizeof(d)),
                                 fmt_dur(g->window_s, e, sizeof(e)), w, lim);
                break;
        case GROWTH_SAWTOOTH:
                snprintf(x, xs, "Sawtooth: %d release cycles over %s, each dropping about %s, between %s and %s; "
                         "%s%s.", g->cycles, fmt_dur(g->window_s, a, sizeof(a)), util_format_signed_bytes(j->saw_drop, "", b, sizeof(b)),
                         util_format_signed_bytes(j->saw_low, "", c, sizeof(c)), util_format_signed_bytes(j->saw_high, "", d, sizeof(d)),
                         j->floor_rises ? "the floor rises, but not steadily enough to call a leak"
                                        : isnan(j->peak_slope) ? "the floor holds" : "the floor holds but peaks rise",
                         lim);
                break;
        case GROWTH_COPY_ON_WRITE:
                snprintf(x, xs, "Copy-on-write: private memory (USS) grew by %s over %s while shared fell by %s and "
                         "RSS held at %s; bounded by the %s still shared%s.", util_format_signed_bytes(j->uss_moved, "", a, sizeof(a)),
                         fmt_dur(g->window_s, b, sizeof(b)), util_format_signed_bytes(-j->shared_moved, "", c, sizeof(c)),
                         util_format_signed_bytes(j->level, "", d, sizeof(d)), util_format_signed_bytes(j->shared_left, "", e, sizeof(e)), lim);
                break;
        default:
                x[0] = '\0';
                break;
        }
}

/* One classification under way: the input and what is being written (result and findings),
 * the thinned RSS, the scratch, and the figures the rules share. */
struct classify_state {
        const struct growth_input *in;
        struct growth_result *g;
        struct judged *j;
        double *scratch;        /* 4n doubles */
        struct thin *s, *su;    /* RSS thinned; su for copy-on-write's series */
        double t0, T, W;        /* the first and last times, the span */
        double sigma, level;    /* the noise, and the median of the thinned RSS */
        double jit_settled;     /* when JIT code settled (judge_jit) */
        struct stats_trend all; /* RSS's trend over the whole span */
        double s0;              /* where a plateau starts, for copy-on-write */
};

/* Thins RSS and takes the figures every rule uses. Returns 0 or -ENOMEM. */
static int state_init(struct classify_state *c, const struct growth_input *in, struct growth_result *g, struct judged *j)
{
        size_t n = in->n;
        double lo, hi;

        memset(c, 0, sizeof(*c));
        c->in = in;
        c->g = g;
        c->j = j;
        c->t0 = in->t[0];
        c->T = in->t[n - 1];
        c->W = c->T - c->t0;
        c->scratch = malloc(4 * n * sizeof(*c->scratch));
        c->s = malloc(sizeof(*c->s));
        c->su = malloc(sizeof(*c->su));
        if (!c->scratch || !c->s || !c->su)
                return -ENOMEM;
        thin_series(in->t, in->rss, n, c->scratch, c->s);
        c->level = j->level = thin_level(c->s, 0, c->s->n, c->scratch);
        c->sigma = noise_sigma(in->rss, n, c->scratch);
        g->warmup_s = 0;
        /* RSS's range without its spikes: from its 10th to its 90th percentile. */
        memcpy(c->scratch, in->rss, n * sizeof(*c->scratch));
        qsort(c->scratch, n, sizeof(*c->scratch), cmp_double);
        lo = c->scratch[n / 10];
        hi = c->scratch[n - 1 - n / 10];
        c->jit_settled = judge_jit(in, hi - lo, g);
        return 0;
}

static void state_free(struct classify_state *c)
{
        free(c->scratch);
        free(c->s);
        free(c->su);
}

/* Nothing grows over the whole span (a decline included): a plateau. A short warm-up at the
 * start hardly moves a median slope: where there was one, the plateau is judged after it.
 * Returns 0 or -errno. */
static int judge_flat(struct classify_state *c)
{
        const struct thin *s = c->s;
        struct growth_result *g = c->g;
        double end = fmax(rise_end(c->in, c->sigma, c->scratch), c->jit_settled), span = c->W, level = c->level;
        struct stats_trend all = c->all, tr;
        size_t from;
        int r;

        /* When JIT code last grew, if that was within the warm-up's bound. */
        if (g->jit_growth_end_t > end && g->jit_growth_end_t - c->t0 <= WARMUP_PLATEAU_MAX * c->W)
                end = g->jit_growth_end_t;
        from = thin_at(s, end);
        g->cls = GROWTH_PLATEAU;
        c->s0 = c->t0;
        if (end > c->t0 && end - c->t0 <= WARMUP_PLATEAU_MAX * c->W && s->n - from >= 3) {
                r = thin_trend(s, from, s->n, &tr);
                if (r < 0)
                        return r;
                if (trend_flat(&tr, c->T - s->t[from], level) || tr.slope < 0) {
                        all = tr;
                        c->s0 = s->t[from];
                        span = c->T - c->s0;
                        g->warmup_s = c->s0 - c->t0;
                        c->j->level = level = thin_level(s, from, s->n, c->scratch);
                        set_trend(g, &all, span);
                }
        }
        c->j->falling = !trend_flat(&all, span, level);
        g->confidence = plateau_confidence(&all, span, level, c->j->falling);
        return 0;
}

/* Still warming up: the current rate is the second half's. Returns 0 or -errno. */
static int judge_warming(struct classify_state *c)
{
        size_t h = thin_at(c->s, c->t0 + c->W / 2);
        struct stats_trend tr;
        int r;

        c->g->cls = GROWTH_WARMING_UP;
        c->g->warmup_s = NAN;
        if (c->s->n - h >= 3) {
                r = thin_trend(c->s, h, c->s->n, &tr);
                if (r < 0)
                        return r;
                set_trend(c->g, &tr, c->T - c->s->t[h]);
        }
        return 0;
}

/* Growth that goes with JIT code growth, which settled only lately. Returns 0 or -errno. */
static int judge_jit_warming(struct classify_state *c)
{
        c->j->jit_driven = 1;
        c->j->jit_still = c->g->jit_growth_end_t >= c->T - c->W / 10;
        c->g->confidence = 1 - c->all.p_value;
        return judge_warming(c);
}

/* RSS is flat from the knee at `from` (trend tr over span, level lv): the warm-up ends no
 * earlier than the rise to the level does (a median slope hardly sees the end of a rise in a
 * long flat part). A plateau when the warm-up ended within the first half of the span, else a
 * warm-up about to end. Returns 1 for a plateau, 0 for a warm-up. */
static int judge_flat_tail(struct classify_state *c, size_t from, struct stats_trend tr, double span, double lv)
{
        const struct thin *s = c->s;
        struct growth_result *g = c->g;
        double re = rise_end(c->in, c->sigma, c->scratch);

        if (re > s->t[from] && re - c->t0 <= WARMUP_PLATEAU_MAX * c->W) {
                size_t f2 = thin_at(s, re);
                struct stats_trend tr2;
                if (s->n - f2 >= 3 && thin_trend(s, f2, s->n, &tr2) == 0 &&
                    trend_flat(&tr2, c->T - s->t[f2], thin_level(s, f2, s->n, c->scratch))) {
                        from = f2;
                        tr = tr2;
                        span = c->T - s->t[from];
                        lv = thin_level(s, from, s->n, c->scratch);
                }
        }
        set_trend(g, &tr, span);
        g->warmup_s = s->t[from] - c->t0;
        c->j->level = lv;
        c->j->falling = !trend_flat(&tr, span, lv);
        if (g->warmup_s <= WARMUP_PLATEAU_MAX * c->W) {
                g->cls = GROWTH_PLATEAU;
                g->confidence = plateau_confidence(&tr, span, lv, c->j->falling);
                c->s0 = s->t[from];
                return 1;
        }
        g->cls = GROWTH_WARMING_UP;
        c->j->ending = 1;
        return 0;
}

/* From the start (or from when JIT code settled), growth is a leak suspect unless it is shown
 * to slow down; once it has been, it is a warm-up until a later part grows on as fast in its
 * second half as in its first (the point estimates decide). Knees are tried at each tenth
 * from s0: the earliest after which RSS is flat ends the warm-up (judge_flat_tail); among the
 * first ones, the earliest after which it does not slow down is a leak. Neither: warming up.
 * Returns 1 for a plateau, 0 when decided otherwise, or -errno. */
static int judge_knees(struct classify_state *c, double s0)
{
        const struct thin *s = c->s;
        struct growth_result *g = c->g;
        struct stats_trend tr;
        double prob;
        int r, dec;

        for (int k = 0; k <= KNEE_FLAT_MAX; k++) {
                size_t from = thin_at(s, s0 + (c->T - s0) * k / KNEE_STEPS);
                double lv, span;

                if (s->n - from < 3)
                        break;
                span = c->T - s->t[from];
                r = thin_trend(s, from, s->n, &tr);
                if (r < 0)
                        return r;
                lv = thin_level(s, from, s->n, c->scratch);
                if (trend_flat(&tr, span, lv) || (k == 0 && tr.slope < 0))
                        return judge_flat_tail(c, from, tr, span, lv);
                if (k > KNEE_LINEAR_MAX)
                        continue;
                if (k == 0)
                        dec = front_loaded(s, from, s->n, &prob);
                else
                        dec = slows_after(s, from, thin_at(s, (s->t[from] + c->T) / 2), s->n, 0, &prob);
                if (dec < 0)
                        return dec;
                if (k == 0)
                        g->confidence = fmin(1 - c->all.p_value, prob);
                if (!dec && tr.slope > 0) {
                        set_trend(g, &tr, span);
                        g->warmup_s = s->t[from] - c->t0;
                        c->j->level = lv;
                        g->cls = GROWTH_STEADY;
                        g->confidence = 1 - tr.p_value;
                        return 0;
                }
        }
        return judge_warming(c);
}

/* RSS is flat from s0: copy-on-write shows in USS and shared only. Returns 0 or -errno. */
static int judge_plateau_cow(struct classify_state *c)
{
        int r;

        if (!c->in->uss)
                return 0;
        r = judge_cow(c->in, c->s0, c->j->level, c->scratch, c->su, c->g, c->j);
        if (r < 0)
                return r;
        if (r > 0)
                c->g->cls = GROWTH_COPY_ON_WRITE;
        return 0;
}

/* Rules 2 to 6 of growth.h on a series long enough to judge. Returns >= 0 or -errno. */
static int classify(const struct growth_input *in, struct growth_result *g, struct judged *j)
{
        struct classify_state c;
        int r = state_init(&c, in, g, j);

        if (r < 0)
                goto out;
        /* Release cycles first: a sawtooth has trends of every kind inside each cycle. */
        r = judge_sawtooth(in, c.level, c.sigma, c.scratch, g, j);
        if (r != 0)
                goto out;
        r = thin_trend(c.s, 0, c.s->n, &c.all);
        if (r < 0)
                goto out;
        set_trend(g, &c.all, c.W);
        if (trend_flat(&c.all, c.W, c.level) || c.all.slope < 0) {
                r = judge_flat(&c);
                if (r == 0)
                        r = judge_plateau_cow(&c);
        } else if (c.jit_settled > c.T - RECENT * c.W) {
                r = judge_jit_warming(&c);
        } else {
                r = judge_knees(&c, fmax(c.jit_settled, c.t0));
                if (r > 0)
                        r = judge_plateau_cow(&c);
        }
out:
        state_free(&c);
        return r;
}

int growth_classify(const struct growth_input *in, struct growth_result *ret)
{
        struct growth_result g;
        struct judged j;
        double need;
        int r;

        if (!in || !ret || (in->n > 0 && (!in->t || !in->rss)))
                return -EINVAL;
        for (size_t i = 0; i < in->n; i++)
                if (!isfinite(in->t[i]) || !isfinite(in->rss[i]) || (i > 0 && !(in->t[i] > in->t[i - 1])))
                        return -EINVAL;

        memset(&g, 0, sizeof(g));
        memset(&j, 0, sizeof(j));
        g.cls = GROWTH_NOT_ENOUGH_DATA;
        g.slope = g.slope_low = g.slope_high = NAN;
        g.p_value = NAN;
        g.window_s = in->n > 0 ? in->t[in->n - 1] - in->t[0] : 0;
        g.growth_bytes = in->n > 0 ? in->rss[in->n - 1] - in->rss[0] : NAN;
        g.jit_growth_bytes = g.jit_share = NAN;
        g.jit_growth_end_t = -1;
        g.warmup_s = NAN;
        g.uss_slope = NAN;
        j.peak_slope = NAN;

        need = in->min_span_s > 0 ? in->min_span_s : DEFAULT_SPAN_S;
        if (in->n < 3 || in->t[in->n - 1] - in->t[0] < need) {
                if (in->n > 0)
                        judge_jit(in, 0, &g);
        } else {
                r = classify(in, &g, &j);
                if (r < 0)
                        return r;
        }
        time_to_limit(in, &g);
        explain(in, &g, &j);
        *ret = g;
        return 0;
}
