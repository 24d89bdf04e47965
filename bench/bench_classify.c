/* bench_classify: how well the growth classifier (src/judge/growth.c) tells the classes apart, on a
 * labelled corpus of generated series and, when given, on recorded runs.
 *
 *   bench_classify [--per-class N] [--seed S] [--verbose] [DIR]
 *
 * The generated corpus: for each class, N series (default 200) from a seeded generator, the
 * same on every run. Every series draws a level of 20 MiB..2 GiB, a sampling interval of
 * 1..15 s (each tick moved by up to 10% of it), a length of 5 min..6 h and white noise of
 * 0.1%..2% of the level (all log-uniform); half of them get 1 to 6 upward spikes of one or two
 * points, 3%..20% of the level, apart from each other; values are rounded to 4 KiB pages. JIT
 * code, when a series has it (in 16 KiB steps), is flat unless said below. Let
 * se = sigma * sqrt(12 / n), the standard error of a fitted line's move over the window under
 * white noise of sigma over n points: a feature of a few se cannot be told from noise by any
 * method, so each class's feature is given a floor in se. A warm-up below is a rise of
 * 10%..50% of the final level that slows down to a stop (1 - (1 - u/end)^p, p = 1..3) at its
 * end, JIT code growing with it (1..64 MiB) in 7 series of 10. The classes:
 *
 *   plateau         no trend that matters: a drift of at most 0.3% of the level over the
 *                   window; half of them after a warm-up ending within the first 2%..30%.
 *   warming_up      either JIT code (2..64 MiB, at least 2% of RSS's rise) and RSS (+5%..100%
 *                   of its start, at least 5 se) growing together to a stop at 80%..150% of
 *                   the window (p = 1..2; past 100%, still growing at the end); or, JIT code
 *                   flat or absent, a rise of 10%..100%, at least 15 se, that slows down as it
 *                   goes: exponentially with a time constant of 30%..60% of the window, or to
 *                   a stop at 75%..125% (p = 2..3).
 *   steady_growth   a leak growing by 3%..50% of the level over the window, at least 5 se:
 *                   linear (4 in 10); linear after a warm-up ending within the first 25%
 *                   (3 in 10); in 5 to 30 equal steps, one at a random time in each equal part
 *                   of the window (15 in 100); or linear under 6 or more of 6..20 release
 *                   cycles like the sawtooth's (up to 20% high), the leak at least 10 sigma
 *                   (15 in 100).
 *   sawtooth        3 or more of 3..40 release cycles on a floor drifting as a plateau's, each
 *                   at least 8 samples long, rising by 3%..50% of the level and at least
 *                   10 sigma (linearly, or slowing down in 4 of 10) and dropping back in one
 *                   or two samples; period and height vary by up to 25% from cycle to cycle.
 *                   A cycle counts when its rise of at least 4 samples and its drop are in the
 *                   window.
 *   copy_on_write   RSS as a flat plateau; USS 10%..50% of RSS at first, measured every 1..10
 *                   points (at least 10 of them; the others "not measured"), with noise of
 *                   0.2..1 times RSS's, rising by 3%..40% of RSS, at least 5 se of its own
 *                   points, linearly or slowing down; shared (RSS - USS) falls by as much.
 *   not_enough_data 0 to 2 points, or 3 or more over less than 30 s.
 *
 * Then, for information and with no target, the same corpus with the noise correlated from
 * point to point (AR(1), lag-1 autocorrelation 0.7, the same marginal sigma): memory wanders
 * rather than jitters, and this shows how far rules made for independent noise carry.
 *
 * Recorded runs: every samples.csv below DIR (its tree rows: t_s, scope, rss_bytes, uss_bytes,
 * jit_code_bytes) with a file "label" beside it holding the class name; they are scored apart.
 *
 * Prints a confusion matrix, precision and recall per class, the overall accuracy, and whether
 * the target (95% precision and recall per class on the generated corpus) is met. Exits 0
 * whatever the scores (it is a report); 1 on an internal error, 2 on a usage error. */
#include "growth.h"
#include "runfile.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MiB (1024.0 * 1024.0)
#define GiB (1024.0 * MiB)
#define PAGE 4096.0
#define NCLS GROWTH_CLASS_MAX
#define TARGET 0.95
#define MAX_TRIES 100000

/* ---- a seeded generator (splitmix64) --------------------------------------------------------- */

static uint64_t rng_state;
static double noise_rho; /* lag-1 autocorrelation of the noise: 0 for the corpus judged */

static uint64_t rnd_u64(void)
{
        uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static double rnd_unit(void) /* [0, 1) */
{
        return (double)(rnd_u64() >> 11) * 0x1.0p-53;
}

static double rnd_range(double a, double b)
{
        return a + (b - a) * rnd_unit();
}

static double rnd_log(double a, double b)
{
        return exp(rnd_range(log(a), log(b)));
}

static int rnd_int(int a, int b) /* [a, b] */
{
        return a + (int)(rnd_unit() * (b - a + 1));
}

static double rnd_normal(void)
{
        double u = rnd_unit(), v = rnd_unit();
        return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

/* ---- one series -------------------------------------------------------------------------------- */

struct series {
        double *t, *rss, *uss, *jit;
        size_t n, cap;
        int has_uss, has_jit;
        enum growth_class label;
        char desc[128];
};

/* The draws every class shares. */
struct common {
        double level, dt, dur, sigma;
        size_t n;
};

static int series_alloc(struct series *s, size_t n)
{
        if (n > s->cap) {
                size_t cap = n + 1;
                double *t = realloc(s->t, cap * sizeof(double));
                if (t)
                        s->t = t;
                double *r = realloc(s->rss, cap * sizeof(double));
                if (r)
                        s->rss = r;
                double *u = realloc(s->uss, cap * sizeof(double));
                if (u)
                        s->uss = u;
                double *j = realloc(s->jit, cap * sizeof(double));
                if (j)
                        s->jit = j;
                if (!t || !r || !u || !j)
                        return -ENOMEM;
                s->cap = cap;
        }
        s->n = n;
        s->has_uss = s->has_jit = 0;
        return 0;
}

static void common_draw(struct common *c)
{
        c->level = rnd_log(20 * MiB, 2 * GiB);
        c->dt = rnd_log(1, 15);
        c->dur = rnd_log(300, 6 * 3600);
        c->sigma = rnd_log(0.001, 0.02) * c->level;
        c->n = (size_t)(c->dur / c->dt) + 1;
}

/* The standard error of a fitted line's move over the window, under white noise. */
static double line_se(double sigma, size_t n)
{
        return sigma * sqrt(12.0 / (double)n);
}

static void fill_times(struct series *s, const struct common *c)
{
        for (size_t i = 0; i < s->n; i++)
                s->t[i] = ((double)i + rnd_range(-0.1, 0.1)) * c->dt;
        s->t[0] = 0;
}

/* Noise, spikes and rounding to pages, over a noiseless shape already in rss. */
static void finish_rss(struct series *s, const struct common *c)
{
        double ar = 0;
        for (size_t i = 0; i < s->n; i++) {
                ar = noise_rho * ar + sqrt(1 - noise_rho * noise_rho) * rnd_normal();
                s->rss[i] += c->sigma * ar;
        }
        if (rnd_unit() < 0.5) {
                int k = rnd_int(1, 6);
                size_t last_end = 0;
                for (int q = 0; q < k; q++) {
                        /* Spikes apart from each other: two touching ones would be a longer
                         * allocation, not a spike. */
                        size_t at = (size_t)(rnd_unit() * (double)s->n), w = (size_t)rnd_int(1, 2);
                        double hgt = rnd_range(0.03, 0.2) * c->level;
                        if (q > 0 && at < last_end + 3)
                                continue;
                        for (size_t i = at; i < at + w && i < s->n; i++)
                                s->rss[i] += hgt;
                        last_end = at + w;
                }
        }
        for (size_t i = 0; i < s->n; i++)
                s->rss[i] = PAGE * round(fmax(s->rss[i], PAGE) / PAGE);
}

/* JIT code in 16 KiB steps: start + size * shape. */
static double jit_bytes(double start, double size, double shape)
{
        return 16384.0 * floor((start + size * shape) / 16384.0);
}

/* A rise from 0 at u = 0 to 1 at u = end, slowing down (power p > 1) or not (p = 1), and 1
 * after: a warm-up that ends. */
static double ramp(double u, double end, double p)
{
        return u >= end ? 1 : 1 - pow(1 - u / end, p);
}

static double flat_drift(void)
{
        return rnd_range(-0.003, 0.003);
}

/* A warm-up like the plateau's: height (fraction of the final level), its end (fraction of the
 * window) and how it slows down; JIT code grows with it. */
struct warm {
        double height, end, p, jit_size, jit_start;
        int jit;
};

static void warm_draw(struct warm *w, double end_max)
{
        w->height = rnd_range(0.1, 0.5);
        w->end = rnd_range(0.02, end_max);
        w->p = rnd_range(1, 3);
        w->jit = rnd_unit() < 0.7;
        w->jit_start = rnd_range(0, 4) * MiB;
        w->jit_size = rnd_log(1, 64) * MiB;
}

static int gen_plateau(struct series *s, struct common *c)
{
        double drift = flat_drift();
        int warm = rnd_unit() < 0.5;
        struct warm w;

        warm_draw(&w, 0.3);
        if (series_alloc(s, c->n) < 0)
                return -ENOMEM;
        fill_times(s, c);
        double W = s->t[s->n - 1];
        for (size_t i = 0; i < s->n; i++) {
                double u = s->t[i] / W;
                s->rss[i] = c->level * (1 + drift * u);
                if (warm)
                        s->rss[i] -= c->level * w.height * (1 - ramp(u, w.end, w.p));
                s->jit[i] = jit_bytes(w.jit_start, w.jit_size, warm ? ramp(u, w.end, w.p) : 0);
        }
        s->has_jit = w.jit;
        if (warm)
                snprintf(s->desc, sizeof(s->desc), "warm-up +%.0f%% ending at %.2f (power %.1f), drift %.2f%%",
                         w.height * 100, w.end, w.p, drift * 100);
        else
                snprintf(s->desc, sizeof(s->desc), "flat, drift %.2f%%", drift * 100);
        return 1;
}

static int gen_warming(struct series *s, struct common *c)
{
        int by_jit = rnd_unit() < 0.6;
        double se = line_se(c->sigma, c->n);

        if (series_alloc(s, c->n) < 0)
                return -ENOMEM;
        fill_times(s, c);
        double W = s->t[s->n - 1];
        if (by_jit) {
                double rise = rnd_range(0.05, 1.0), end = rnd_range(0.8, 1.5), p = rnd_range(1, 2);
                double j0 = rnd_range(0, 4) * MiB, J = rnd_log(2, 64) * MiB;
                if (rise * c->level < 5 * se)
                        return 0;
                J = fmax(J, 0.02 * rise * c->level);
                for (size_t i = 0; i < s->n; i++) {
                        double g = ramp(s->t[i] / W, end, p);
                        s->rss[i] = c->level * (1 + rise * g);
                        s->jit[i] = jit_bytes(j0, J, g);
                }
                s->has_jit = 1;
                snprintf(s->desc, sizeof(s->desc), "JIT-driven rise %.0f%% ending at %.2f, power %.1f", rise * 100,
                         end, p);
        } else {
                double rise = rnd_range(0.1, 1.0), tau = rnd_range(0.3, 0.6), end = rnd_range(0.75, 1.25);
                double p = rnd_range(2, 3);
                int expo = rnd_unit() < 0.5;
                if (rise * c->level < 15 * se)
                        return 0;
                for (size_t i = 0; i < s->n; i++) {
                        double u = s->t[i] / W;
                        s->rss[i] = c->level * (1 + rise * (expo ? 1 - exp(-u / tau) : ramp(u, end, p)));
                        s->jit[i] = 2 * MiB;
                }
                s->has_jit = rnd_unit() < 0.5;
                if (expo)
                        snprintf(s->desc, sizeof(s->desc), "front-loaded rise %.0f%%, tau %.2f", rise * 100, tau);
                else
                        snprintf(s->desc, sizeof(s->desc), "front-loaded rise %.0f%% ending at %.2f (power %.1f)",
                                 rise * 100, end, p);
        }
        return 1;
}

/* Release cycles on a floor: adds them to rss. Returns the number made, or 0 when they
 * cannot have 8 samples each. */
static int add_cycles(struct series *s, const struct common *c, int cycles, double amp, int concave)
{
        double W = s->t[s->n - 1], period = W / cycles, phase = rnd_unit();
        double start = -phase * period;
        int made = 0;

        if (period < 8 * c->dt)
                return 0;
        size_t i = 0;
        while (start < W) {
                double p = period * rnd_range(0.75, 1.25), a = amp * rnd_range(0.75, 1.25);
                int slow_drop = rnd_unit() < 0.5;
                size_t first = i;
                for (; i < s->n && s->t[i] < start + p; i++) {
                        double ph = (s->t[i] - start) / p;
                        s->rss[i] += a * (concave ? 1 - (1 - ph) * (1 - ph) : ph);
                }
                /* The release: in one sample, or half of it in the first of two. */
                if (slow_drop && i < s->n && i > first)
                        s->rss[i] += a * 0.5;
                start += p;
                /* A release counts when it is seen: inside the window, after a rise of at
                 * least 4 samples. */
                if (start < W && i - first >= 4)
                        made++;
        }
        return made;
}

static int gen_steady(struct series *s, struct common *c)
{
        double grow = rnd_range(0.03, 0.5), se = line_se(c->sigma, c->n);
        double v = rnd_unit();
        struct warm w;

        if (grow * c->level < 5 * se)
                return 0;
        warm_draw(&w, 0.25);
        if (series_alloc(s, c->n) < 0)
                return -ENOMEM;
        fill_times(s, c);
        double W = s->t[s->n - 1];
        if (v < 0.4) {
                for (size_t i = 0; i < s->n; i++) {
                        s->rss[i] = c->level * (1 + grow * s->t[i] / W);
                        s->jit[i] = 3 * MiB;
                }
                s->has_jit = rnd_unit() < 0.5;
                snprintf(s->desc, sizeof(s->desc), "linear %.1f%%", grow * 100);
        } else if (v < 0.7) {
                for (size_t i = 0; i < s->n; i++) {
                        double u = s->t[i] / W;
                        s->rss[i] = c->level * (1 - w.height * (1 - ramp(u, w.end, w.p)) + grow * u);
                        s->jit[i] = jit_bytes(w.jit_start, w.jit_size, ramp(u, w.end, w.p));
                }
                s->has_jit = w.jit;
                snprintf(s->desc, sizeof(s->desc), "warm-up +%.0f%% ending at %.2f (power %.1f), linear %.1f%%",
                         w.height * 100, w.end, w.p, grow * 100);
        } else if (v < 0.85) {
                int steps = rnd_int(5, 30);
                double at[30];
                for (int k = 0; k < steps; k++)
                        at[k] = (k + rnd_unit()) / steps;
                for (size_t i = 0; i < s->n; i++) {
                        double u = s->t[i] / W, level = c->level;
                        for (int k = 0; k < steps; k++)
                                if (u >= at[k])
                                        level += c->level * grow / steps;
                        s->rss[i] = level;
                        s->jit[i] = 3 * MiB;
                }
                s->has_jit = rnd_unit() < 0.5;
                snprintf(s->desc, sizeof(s->desc), "%d steps, %.1f%%", steps, grow * 100);
        } else {
                int cycles = rnd_int(6, 20);
                double amp = rnd_range(fmax(10 * c->sigma, 0.03 * c->level), fmax(10 * c->sigma, 0.2 * c->level));
                if (grow * c->level < 10 * c->sigma)
                        return 0;
                for (size_t i = 0; i < s->n; i++) {
                        s->rss[i] = c->level * (1 + grow * s->t[i] / W);
                        s->jit[i] = 3 * MiB;
                }
                int made = add_cycles(s, c, cycles, amp, 0);
                if (made < 6)
                        return 0;
                snprintf(s->desc, sizeof(s->desc), "leak %.1f%% under %d cycles of %.1f%%", grow * 100, made,
                         amp / c->level * 100);
        }
        return 1;
}

static int gen_sawtooth(struct series *s, struct common *c)
{
        int cycles = rnd_int(3, 40), concave = rnd_unit() < 0.4;
        double amp = rnd_range(0.03, 0.5) * c->level, drift = flat_drift();

        if (amp < 10 * c->sigma)
                return 0;
        if (series_alloc(s, c->n) < 0)
                return -ENOMEM;
        fill_times(s, c);
        double W = s->t[s->n - 1];
        for (size_t i = 0; i < s->n; i++) {
                s->rss[i] = c->level * (1 + drift * s->t[i] / W);
                s->jit[i] = 5 * MiB;
        }
        int made = add_cycles(s, c, cycles, amp, concave);
        if (made < 3)
                return 0;
        s->has_jit = rnd_unit() < 0.5;
        snprintf(s->desc, sizeof(s->desc), "%d cycles of %.1f%%%s", made, amp / c->level * 100,
                 concave ? ", slowing" : "");
        return 1;
}

static int gen_cow(struct series *s, struct common *c)
{
        double u0 = rnd_range(0.1, 0.5), grow = rnd_range(0.03, 0.4), drift = flat_drift();
        double su = c->sigma * rnd_range(0.2, 1), tau = rnd_range(0.2, 1);
        int every = rnd_int(1, 10), linear = rnd_unit() < 0.5;
        size_t nu = (c->n + (size_t)every - 1) / (size_t)every;

        if (nu < 10 || grow * c->level < 5 * line_se(hypot(c->sigma, su), nu))
                return 0;
        if (series_alloc(s, c->n) < 0)
                return -ENOMEM;
        fill_times(s, c);
        double W = s->t[s->n - 1];
        for (size_t i = 0; i < s->n; i++) {
                double u = s->t[i] / W, g = linear ? u : (1 - exp(-u / tau)) / (1 - exp(-1 / tau));
                s->rss[i] = c->level * (1 + drift * u);
                if (i % (size_t)every == 0)
                        s->uss[i] = PAGE * round((c->level * (u0 + grow * g) + su * rnd_normal()) / PAGE);
                else
                        s->uss[i] = -1;
                s->jit[i] = 4 * MiB;
        }
        s->has_uss = 1;
        s->has_jit = rnd_unit() < 0.5;
        snprintf(s->desc, sizeof(s->desc), "USS +%.1f%% %s, every %d", grow * 100, linear ? "linear" : "slowing",
                 every);
        return 1;
}

static int gen_short(struct series *s, struct common *c)
{
        size_t n;

        if (rnd_unit() < 0.1) {
                n = (size_t)rnd_int(0, 2);
        } else {
                c->dt = rnd_range(1, 15);
                n = (size_t)rnd_int(3, (int)(29.0 / c->dt) + 1);
                if (n < 3)
                        n = 3;
        }
        c->n = n;
        if (series_alloc(s, n + 1) < 0)
                return -ENOMEM;
        s->n = n;
        for (size_t i = 0; i < n; i++) {
                s->t[i] = (double)i * c->dt;
                s->rss[i] = c->level * (1 + 0.05 * (double)i);
                s->jit[i] = 1 * MiB;
        }
        if (n > 0 && s->t[n - 1] >= 30)
                return 0;
        finish_rss(s, c);
        snprintf(s->desc, sizeof(s->desc), "%zu points over %.0f s", n, n ? s->t[n - 1] : 0.0);
        return 2; /* finished already */
}

/* One labelled series of class cls. Returns 0 or -ENOMEM. */
static int generate(enum growth_class cls, struct series *s)
{
        struct common c;

        for (int tries = 0; tries < MAX_TRIES; tries++) {
                int r = 0;
                common_draw(&c);
                switch (cls) {
                case GROWTH_NOT_ENOUGH_DATA: r = gen_short(s, &c); break;
                case GROWTH_WARMING_UP: r = gen_warming(s, &c); break;
                case GROWTH_PLATEAU: r = gen_plateau(s, &c); break;
                case GROWTH_STEADY: r = gen_steady(s, &c); break;
                case GROWTH_SAWTOOTH: r = gen_sawtooth(s, &c); break;
                case GROWTH_COPY_ON_WRITE: r = gen_cow(s, &c); break;
                default: return -EINVAL;
                }
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                if (r == 1)
                        finish_rss(s, &c);
                s->label = cls;
                {
                        size_t len = strlen(s->desc);
                        snprintf(s->desc + len, sizeof(s->desc) - len, " | %.0f MiB, dt %.1f s, %.1f h, noise %.2f%%",
                                 c.level / MiB, c.dt, c.n * c.dt / 3600, c.sigma / c.level * 100);
                }
                return 0;
        }
        return -EDOM;
}

/* ---- scoring ----------------------------------------------------------------------------------- */

struct score {
        long m[NCLS][NCLS]; /* [truth][predicted] */
        long total;
};

/* min_span_s: 0 for the default (30 s); a recorded run is judged however short, as jitmem
 * analyze judges it. */
static int classify_series(const struct series *s, double min_span_s, enum growth_class *ret, char *why, size_t why_size)
{
        struct growth_input in = {
                .t = s->t, .rss = s->rss, .uss = s->has_uss ? s->uss : NULL, .jit = s->has_jit ? s->jit : NULL,
                .n = s->n, .limit = 0, .current = -1, .min_span_s = min_span_s,
        };
        struct growth_result g;
        int r = growth_classify(&in, &g);

        if (r < 0)
                return r;
        *ret = g.cls;
        if (why)
                snprintf(why, why_size, "%s", g.explanation);
        return 0;
}

/* Prints the table; returns 1 when every class present has precision and recall >= TARGET. */
static int report(const char *title, const struct score *sc)
{
        long correct = 0;
        int met = 1;

        printf("\n%s: %ld series\n\n", title, sc->total);
        printf("%-16s", "truth \\ said");
        for (int p = 0; p < NCLS; p++)
                printf(" %15s", growth_class_name((enum growth_class)p));
        printf("\n");
        for (int t = 0; t < NCLS; t++) {
                printf("%-16s", growth_class_name((enum growth_class)t));
                for (int p = 0; p < NCLS; p++)
                        printf(" %15ld", sc->m[t][p]);
                printf("\n");
                correct += sc->m[t][t];
        }
        printf("\n%-16s %9s %9s %7s\n", "class", "precision", "recall", "n");
        for (int k = 0; k < NCLS; k++) {
                long said = 0, truth = 0;
                for (int q = 0; q < NCLS; q++) {
                        said += sc->m[q][k];
                        truth += sc->m[k][q];
                }
                if (truth == 0 && said == 0)
                        continue;
                double prec = said ? (double)sc->m[k][k] / (double)said : NAN;
                double rec = truth ? (double)sc->m[k][k] / (double)truth : NAN;
                printf("%-16s", growth_class_name((enum growth_class)k));
                if (said)
                        printf(" %8.1f%%", prec * 100);
                else
                        printf(" %9s", "-");
                if (truth)
                        printf(" %8.1f%%", rec * 100);
                else
                        printf(" %9s", "-");
                printf(" %7ld\n", truth);
                if (truth > 0 && !(prec >= TARGET && rec >= TARGET))
                        met = 0;
        }
        printf("overall accuracy %.1f%% (%ld of %ld)\n", sc->total ? 100.0 * (double)correct / (double)sc->total : 0,
               correct, sc->total);
        return met;
}

/* ---- recorded runs ----------------------------------------------------------------------------- */

static struct score recorded;
static int recorded_error;

static int label_of(const char *dir, enum growth_class *ret)
{
        char path[4096], buf[64];
        FILE *f;

        snprintf(path, sizeof(path), "%s/label", dir);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        if (!fgets(buf, sizeof(buf), f)) {
                fclose(f);
                return -EINVAL;
        }
        fclose(f);
        buf[strcspn(buf, " \t\r\n")] = '\0';
        for (int k = 0; k < NCLS; k++)
                if (strcmp(buf, growth_class_name((enum growth_class)k)) == 0) {
                        *ret = (enum growth_class)k;
                        return 0;
                }
        return -EINVAL;
}


/* A tree row of samples.csv into the series: rows out of order or unmeasured are left out (the
 * classifier needs t strictly increasing). */
static int add_tree_row(const struct runfile_row *row, void *ctx)
{
        struct series *s = ctx;
        size_t n = s->n;

        if (!row->tree || row->p.t < 0 || row->p.rss < 0 || (n > 0 && !(row->p.t > s->t[n - 1])))
                return 0;
        if (n + 1 > s->cap && series_alloc(s, 2 * s->cap + 256) < 0)
                return -ENOMEM;
        s->t[n] = row->p.t;
        s->rss[n] = row->p.rss;
        s->uss[n] = row->p.uss;
        s->jit[n] = row->p.jit;
        s->has_uss |= row->p.uss >= 0;
        s->has_jit |= row->p.jit >= 0;
        s->n = n + 1;
        return 0;
}

/* The tree rows of DIR/samples.csv, through its one reader. Returns 0 or -errno. */
static int read_tree_rows(const char *dir, struct series *s)
{
        s->n = 0;
        s->has_uss = s->has_jit = 0;
        return runfile_each_row(dir, add_tree_row, s);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        struct series s = { 0 };
        enum growth_class label = GROWTH_NOT_ENOUGH_DATA, said = GROWTH_NOT_ENOUGH_DATA;
        char dir[4096], why[256] = "";
        int r;

        (void)st;
        if (type != FTW_F || strcmp(path + ftw->base, "samples.csv") != 0)
                return 0;
        snprintf(dir, sizeof(dir), "%.*s", ftw->base > 1 ? ftw->base - 1 : ftw->base, path);
        if (label_of(dir, &label) < 0) {
                printf("  %s: no label file naming a class, skipped\n", dir);
                return 0;
        }
        r = read_tree_rows(dir, &s);
        if (r == -ENOMEM) {
                recorded_error = 1;
                goto out;
        }
        if (r < 0) {
                printf("  %s: cannot read samples.csv (%s), skipped\n", dir, strerror(-r));
                goto out;
        }
        r = classify_series(&s, 1, &said, why, sizeof(why));
        if (r < 0) {
                printf("  %s: the classifier refused it (%s), skipped\n", dir, strerror(-r));
                goto out;
        }
        recorded.m[label][said]++;
        recorded.total++;
        printf("  %s: %s, said %s%s%s\n", dir, growth_class_name(label), growth_class_name(said),
               said == label ? "" : ": ", said == label ? "" : why);
out:
        free(s.t);
        free(s.rss);
        free(s.uss);
        free(s.jit);
        return 0;
}

/* ---- main -------------------------------------------------------------------------------------- */

static double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Generates and classifies per_class series of each class into sc, and ret_ms gets the
 * classifier's average time per series. Returns 0 or -1 (said on stderr). */
static int run_corpus(long per_class, uint64_t seed, double rho, int verbose, struct score *sc, double *ret_ms)
{
        struct series s = { 0 };
        double spent = 0;
        int r = 0;

        rng_state = seed;
        noise_rho = rho;
        for (int cls = 0; cls < NCLS && r == 0; cls++)
                for (long k = 0; k < per_class; k++) {
                        enum growth_class said;
                        char why[256];

                        r = generate((enum growth_class)cls, &s);
                        if (r < 0) {
                                fprintf(stderr, "bench_classify: cannot generate a series: %s\n", strerror(-r));
                                break;
                        }
                        double t0 = now_s();
                        r = classify_series(&s, 0, &said, why, sizeof(why));
                        spent += now_s() - t0;
                        if (r < 0) {
                                fprintf(stderr, "bench_classify: the classifier failed on %s: %s\n", s.desc,
                                        strerror(-r));
                                break;
                        }
                        sc->m[cls][said]++;
                        sc->total++;
                        if (verbose && said != (enum growth_class)cls)
                                printf("  miss: %s said %s: %s\n        %s\n",
                                       growth_class_name((enum growth_class)cls), growth_class_name(said), s.desc, why);
                }
        *ret_ms = spent * 1000 / (double)(sc->total ? sc->total : 1);
        free(s.t);
        free(s.rss);
        free(s.uss);
        free(s.jit);
        return r < 0 ? -1 : 0;
}


int main(int argc, char **argv)
{
        long per_class = 200;
        uint64_t seed = 20240601;
        int verbose = 0, met;
        const char *dir = NULL;
        struct score sc = { 0 };
        double ms;

        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "--per-class") == 0 && i + 1 < argc)
                        per_class = strtol(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
                        seed = strtoull(argv[++i], NULL, 10);
                else if (strcmp(argv[i], "--verbose") == 0)
                        verbose = 1;
                else if (argv[i][0] != '-' && !dir)
                        dir = argv[i];
                else {
                        fprintf(stderr, "usage: bench_classify [--per-class N] [--seed S] [--verbose] [DIR]\n");
                        return 2;
                }
        }
        if (per_class < 1 || per_class > 100000) {
                fprintf(stderr, "bench_classify: --per-class must be 1..100000\n");
                return 2;
        }

        printf("== growth classifier: %ld generated series per class (seed %llu)\n", per_class,
               (unsigned long long)seed);
        if (run_corpus(per_class, seed, 0, verbose, &sc, &ms) < 0)
                return 1;
        met = report("generated corpus", &sc);
        printf("the classifier took %.1f ms per series on average\n", ms);
        printf("target >= 95%% precision and recall per class on the generated corpus: %s\n", met ? "met" : "missed");

        /* The same corpus with noise that wanders: no target, it shows how far the rules,
         * made for independent noise, carry. */
        memset(&sc, 0, sizeof(sc));
        if (run_corpus(per_class, seed, 0.7, 0, &sc, &ms) < 0)
                return 1;
        report("information: the same corpus, noise correlated from point to point (AR(1), rho 0.7)", &sc);

        if (!dir) {
                printf("\nrecorded runs: none given (bench_classify DIR reads every DIR/**/samples.csv with a label "
                       "file beside it)\n");
        } else {
                printf("\n== recorded runs under %s\n", dir);
                if (nftw(dir, visit, 16, FTW_PHYS) < 0) {
                        printf("  cannot walk %s: %s, skipped\n", dir, strerror(errno));
                } else if (recorded_error) {
                        fprintf(stderr, "bench_classify: out of memory reading the recorded runs\n");
                        return 1;
                } else if (recorded.total == 0) {
                        printf("  no labelled samples.csv found, skipped\n");
                } else {
                        report("recorded runs", &recorded);
                }
        }
        return 0;
}
