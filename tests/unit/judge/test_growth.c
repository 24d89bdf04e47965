/* Unit tests for src/judge/growth.c: each class on deterministic synthetic series, the boundaries
 * (no data, bad input, short spans), and the figures that can be checked exactly: time to a
 * limit on a noiseless line, JIT growth, its share and when it ended. Noise comes from a fixed
 * generator (splitmix64 and Box-Muller), the same on every run and every machine. */
#include "growth.h"
#include "stats.h"
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1024.0 * 1024.0)
#define NMAX 20000

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

#define CHECK_CLASS(g, c)                                                                       \
        do {                                                                                    \
                CHECK_STR(growth_class_name((g).cls), growth_class_name(c));                    \
                if ((g).cls != (c))                                                             \
                        fprintf(stderr, "      explanation: %s\n", (g).explanation);            \
        } while (0)

static double t[NMAX], rss[NMAX], uss[NMAX], jit[NMAX];
static uint64_t rng;

static double unit_rand(void) /* [0, 1) */
{
        uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        return (double)(z >> 11) * 0x1.0p-53;
}

static double gauss(void)
{
        double u = unit_rand(), v = unit_rand();
        return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

/* Times 0, dt, 2 dt, ... and a fresh noise sequence. */
static void setup(size_t n, double dt, uint64_t seed)
{
        rng = seed;
        for (size_t i = 0; i < n; i++) {
                t[i] = (double)i * dt;
                rss[i] = uss[i] = jit[i] = 0;
        }
}

static struct growth_input input(size_t n)
{
        struct growth_input in = { .t = t, .rss = rss, .n = n, .limit = 0, .current = -1, .min_span_s = 0 };
        return in;
}

static int classify(const struct growth_input *in, struct growth_result *g)
{
        memset(g, 0x5a, sizeof(*g));
        return growth_classify(in, g);
}

static int contains(const char *s, const char *what)
{
        if (strstr(s, what))
                return 1;
        fprintf(stderr, "      \"%s\" not in: %s\n", what, s);
        return 0;
}

static void test_names(void)
{
        CHECK_STR(growth_class_name(GROWTH_NOT_ENOUGH_DATA), "not_enough_data");
        CHECK_STR(growth_class_name(GROWTH_WARMING_UP), "warming_up");
        CHECK_STR(growth_class_name(GROWTH_PLATEAU), "plateau");
        CHECK_STR(growth_class_name(GROWTH_STEADY), "steady_growth");
        CHECK_STR(growth_class_name(GROWTH_SAWTOOTH), "sawtooth");
        CHECK_STR(growth_class_name(GROWTH_COPY_ON_WRITE), "copy_on_write");
        CHECK_STR(growth_class_name(GROWTH_CLASS_MAX), "unknown");
        CHECK_STR(growth_class_name((enum growth_class)-1), "unknown");
}

static void test_bad_input(void)
{
        struct growth_input in;
        struct growth_result g, before;

        setup(10, 10, 1);
        for (int i = 0; i < 10; i++)
                rss[i] = 100 * MiB;
        in = input(10);
        CHECK_EQ_INT(growth_classify(NULL, &g), -EINVAL);
        CHECK_EQ_INT(growth_classify(&in, NULL), -EINVAL);

        /* ret is left alone on failure. */
        memset(&g, 0x5a, sizeof(g));
        before = g;
        t[5] = t[4];
        CHECK_EQ_INT(growth_classify(&in, &g), -EINVAL);
        CHECK(memcmp(&g, &before, sizeof(g)) == 0);
        t[5] = t[4] - 1;
        CHECK_EQ_INT(growth_classify(&in, &g), -EINVAL);
        t[5] = 50;
        rss[3] = NAN;
        CHECK_EQ_INT(growth_classify(&in, &g), -EINVAL);
        rss[3] = 100 * MiB;
        t[9] = INFINITY;
        CHECK_EQ_INT(growth_classify(&in, &g), -EINVAL);
        t[9] = 90;
        CHECK_EQ_INT(growth_classify(&in, &g), 0);

        in.t = NULL;
        CHECK_EQ_INT(growth_classify(&in, &g), -EINVAL);
        in.t = t;
        in.rss = NULL;
        CHECK_EQ_INT(growth_classify(&in, &g), -EINVAL);
        /* With no points, the arrays are not needed. */
        in.t = NULL;
        in.n = 0;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_NOT_ENOUGH_DATA);
}

static void test_not_enough_data(void)
{
        struct growth_input in;
        struct growth_result g;

        setup(NMAX, 10, 2);
        for (int i = 0; i < 20; i++)
                rss[i] = (100 + i) * MiB;
        for (size_t n = 0; n <= 2; n++) {
                in = input(n);
                CHECK_EQ_INT(classify(&in, &g), 0);
                CHECK_CLASS(g, GROWTH_NOT_ENOUGH_DATA);
                CHECK(isnan(g.slope) && isnan(g.slope_low) && isnan(g.slope_high));
                CHECK(g.confidence == 0);
                CHECK(isnan(g.time_to_limit_s));
                CHECK(isnan(g.jit_growth_bytes) && isnan(g.jit_share) && g.jit_growth_end_t < 0);
                CHECK(contains(g.explanation, "Not enough data"));
        }
        CHECK(isnan(g.growth_bytes) == 0 && g.growth_bytes == 1 * MiB); /* n = 2 */
        in = input(0);
        classify(&in, &g);
        CHECK(isnan(g.growth_bytes));
        in = input(1);
        classify(&in, &g);
        CHECK(g.growth_bytes == 0);

        /* 3 points over 20 s: under the default 30 s. */
        in = input(3);
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_NOT_ENOUGH_DATA);
        CHECK(g.window_s == 20);
        CHECK(contains(g.explanation, "3 points over 20.0 s"));
        /* 4 points over 30 s: judged. */
        in = input(4);
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.cls != GROWTH_NOT_ENOUGH_DATA);
        /* A longer minimum span, and a shorter one. */
        in = input(20);
        in.min_span_s = 200;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_NOT_ENOUGH_DATA);
        in = input(3);
        in.min_span_s = 20;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.cls != GROWTH_NOT_ENOUGH_DATA);

        /* Not enough data, but already over the limit: that is known. */
        in = input(2);
        in.limit = 50 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.time_to_limit_s == 0 && g.ttl_low == 0 && g.ttl_high == 0);
        in.limit = 500 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(isnan(g.time_to_limit_s));
}

static void test_constant(void)
{
        struct growth_input in;
        struct growth_result g;

        setup(100, 5, 3);
        for (int i = 0; i < 100; i++)
                rss[i] = 300 * MiB;
        in = input(100);
        in.limit = 1024 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_PLATEAU);
        CHECK(g.slope == 0 && g.slope_low == 0 && g.slope_high == 0);
        CHECK(g.p_value == 1);
        CHECK(g.confidence == 1);
        CHECK(g.growth_bytes == 0);
        CHECK(g.cycles == 0);
        CHECK(isinf(g.time_to_limit_s) && isinf(g.ttl_low) && isinf(g.ttl_high));
        CHECK(contains(g.explanation, "Plateau at 300 MiB"));
        CHECK(contains(g.explanation, "not approaching the 1.00 GiB limit"));

        /* At the limit exactly, though nothing grows: 0, not "never". */
        in.limit = 300 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.time_to_limit_s == 0 && g.ttl_low == 0 && g.ttl_high == 0);
        in.limit = 0;

        /* All zeros: nothing to divide by, nothing that swings. */
        for (int i = 0; i < 100; i++)
                rss[i] = 0;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_PLATEAU);
        CHECK(g.cycles == 0);
}

static void test_plateau_noisy(void)
{
        struct growth_input in;
        struct growth_result g;
        size_t n = 1440; /* 2 h at 5 s */

        /* 800 MiB, noise 1%, five spikes of 15% of one or two points. */
        setup(n, 5, 4);
        for (size_t i = 0; i < n; i++)
                rss[i] = 800 * MiB * (1 + 0.01 * gauss());
        for (size_t k = 1; k <= 5; k++) {
                rss[k * 230] += 120 * MiB;
                rss[k * 230 + (k % 2)] += 120 * MiB;
        }
        in = input(n);
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_PLATEAU);
        CHECK(g.window_s == t[n - 1]);
        CHECK(g.warmup_s == 0);
        CHECK(g.cycles < 3);
        CHECK(g.confidence > 0.9);
        CHECK(g.slope_low <= g.slope && g.slope <= g.slope_high);
        CHECK(fabs(g.slope) * g.window_s < 0.01 * 800 * MiB);
}

static void test_plateau_after_warmup(void)
{
        struct growth_input in;
        struct growth_result g;
        size_t n = 720; /* 1 h at 5 s */

        /* 200 -> 300 MiB over the first 10 minutes, slowing down; JIT code 1 -> 9 MiB in
         * 64 KiB steps, the last one at t = 600 s; noise 0.5%. */
        setup(n, 5, 5);
        for (size_t i = 0; i < n; i++) {
                double u = fmin(t[i] / 600, 1);
                rss[i] = (200 + 100 * (1 - (1 - u) * (1 - u))) * MiB * (1 + 0.005 * gauss());
                jit[i] = 1 * MiB + 8 * MiB * floor(u * 128) / 128;
        }
        in = input(n);
        in.jit = jit;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_PLATEAU);
        CHECK(g.jit_growth_end_t == 600);
        CHECK(g.jit_growth_bytes == 8 * MiB);
        CHECK(g.warmup_s >= 600 && g.warmup_s <= 0.5 * t[n - 1]);
        CHECK(g.window_s == t[n - 1] - g.warmup_s);
        CHECK(contains(g.explanation, "after a warm-up of"));

        /* Without the JIT code: the same, from RSS alone. */
        in.jit = NULL;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_PLATEAU);
        CHECK(g.warmup_s >= 360 && g.warmup_s <= 0.5 * t[n - 1]);
        CHECK(g.jit_growth_end_t < 0 && isnan(g.jit_growth_bytes));
        CHECK(contains(g.explanation, "after a warm-up of"));
}

static void test_steady(void)
{
        struct growth_input in;
        struct growth_result g;
        size_t n = 2160; /* 3 h at 5 s */
        double slope = 50 * MiB / 10800; /* +10% of 500 MiB in 3 h */

        setup(n, 5, 6);
        for (size_t i = 0; i < n; i++) {
                rss[i] = 500 * MiB + slope * t[i] + 5 * MiB * gauss();
                jit[i] = 6 * MiB;
        }
        in = input(n);
        in.jit = jit;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_STEADY);
        CHECK(g.slope_low <= slope && slope <= g.slope_high);
        CHECK(fabs(g.slope - slope) < 0.1 * slope);
        CHECK(g.p_value < 1e-6);
        CHECK(g.confidence > 0.999);
        CHECK(g.warmup_s == 0);
        CHECK(g.window_s == t[n - 1]);
        CHECK(g.jit_growth_bytes == 0 && g.jit_growth_end_t < 0);
        CHECK(g.jit_share == 0);
        CHECK(contains(g.explanation, "Leak suspect"));

        /* The same leak after a warm-up with JIT code growing in the first 15 minutes: judged
         * after the warm-up. */
        for (size_t i = 0; i < n; i++) {
                double u = fmin(t[i] / 900, 1);
                rss[i] += 150 * MiB * (1 - (1 - u) * (1 - u)) - 150 * MiB;
                jit[i] = 1 * MiB + 12 * MiB * floor(u * 96) / 96;
        }
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_STEADY);
        CHECK(g.jit_growth_end_t == 900);
        CHECK(g.warmup_s >= 800 && g.warmup_s < 0.3 * t[n - 1]);
        CHECK(g.slope_low <= slope && slope <= g.slope_high);
        CHECK(contains(g.explanation, "after a warm-up of"));

        /* A leak in steps (a cache growing by chunks), each 2% of the level. */
        setup(n, 5, 7);
        for (size_t i = 0; i < n; i++)
                rss[i] = 500 * MiB * (1 + 0.02 * floor(t[i] / 1200)) + 2 * MiB * gauss();
        in = input(n);
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_STEADY);
}

static void test_warming_up(void)
{
        struct growth_input in;
        struct growth_result g;
        size_t n = 360; /* 30 min at 5 s */

        /* RSS and JIT code growing together to the end. */
        setup(n, 5, 8);
        for (size_t i = 0; i < n; i++) {
                double u = t[i] / t[n - 1];
                rss[i] = (120 + 60 * sqrt(u)) * MiB * (1 + 0.003 * gauss());
                jit[i] = 16384 * floor(u * 400);
        }
        in = input(n);
        in.jit = jit;
        in.limit = 512 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_WARMING_UP);
        CHECK(g.jit_growth_end_t == t[n - 1]);
        CHECK(g.slope > 0 && g.p_value <= 0.05);
        CHECK(g.window_s == t[n - 1] - t[n / 2]);
        CHECK(g.time_to_limit_s > 0 && isfinite(g.time_to_limit_s));
        CHECK(g.ttl_low <= g.time_to_limit_s && g.time_to_limit_s <= g.ttl_high);
        CHECK(contains(g.explanation, "JIT code is still growing (+6.25 MiB so far)"));

        /* The last point after the processes freed their JIT code (a shutdown): what grew so far
         * is still what grew, not the last value's difference from the first (+0 B). */
        double last = jit[n - 1];
        jit[n - 1] = 0;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_WARMING_UP);
        CHECK(contains(g.explanation, "JIT code is still growing (+6.22 MiB so far)"));
        jit[n - 1] = last;

        /* JIT code stopped at 70% of the span, RSS still rising slowly after: still a warm-up
         * (JIT code stopped growing only lately). */
        for (size_t i = 0; i < n; i++) {
                double u = t[i] / t[n - 1];
                jit[i] = 16384 * floor(fmin(u, 0.7) * 400);
        }
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_WARMING_UP);
        CHECK(contains(g.explanation, "until"));

        /* No JIT code: a rise that slows down exponentially and is still going. */
        setup(n, 5, 9);
        for (size_t i = 0; i < n; i++)
                rss[i] = (100 + 80 * (1 - exp(-t[i] / 700))) * MiB * (1 + 0.004 * gauss());
        in = input(n);
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_WARMING_UP);
        CHECK(contains(g.explanation, "slowing down"));

        /* A rise that ended at 80% of the span: flat only lately, a warm-up about to end. */
        for (size_t i = 0; i < n; i++) {
                double u = fmin(t[i] / (0.8 * t[n - 1]), 1);
                rss[i] = (100 + 80 * (1 - (1 - u) * (1 - u))) * MiB * (1 + 0.004 * gauss());
        }
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_WARMING_UP);
        CHECK(contains(g.explanation, "about to end"));
}

/* Cycles of `period` seconds rising by amp bytes linearly, then dropping back in one sample. */
static void add_sawtooth(size_t n, double period, double amp, double phase)
{
        for (size_t i = 0; i < n; i++)
                rss[i] += amp * fmod(t[i] + phase, period) / period;
}

static void test_sawtooth(void)
{
        struct growth_input in;
        struct growth_result g;
        size_t n = 720; /* 1 h at 5 s */

        /* 8 cycles of 450 s (7 drops fall inside the hour after a phase of 100 s), 60 MiB on
         * a 400 MiB floor, noise 0.3%, and a spike. */
        setup(n, 5, 10);
        for (size_t i = 0; i < n; i++)
                rss[i] = 400 * MiB * (1 + 0.003 * gauss());
        add_sawtooth(n, 450, 60 * MiB, 100);
        rss[333] += 80 * MiB;
        in = input(n);
        in.limit = 2048 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_SAWTOOTH);
        CHECK_EQ_INT(g.cycles, 8);
        CHECK(g.confidence == 6.0 / 7.0);
        CHECK(isinf(g.time_to_limit_s));
        CHECK(contains(g.explanation, "8 release cycles"));
        CHECK(contains(g.explanation, "the floor holds"));

        /* Peaks rising, floor level: what is taken is given back, still a sawtooth. */
        setup(n, 5, 11);
        for (size_t i = 0; i < n; i++)
                rss[i] = 400 * MiB * (1 + 0.003 * gauss()) + (20 * MiB + 60 * MiB * t[i] / t[n - 1]) *
                                                                   fmod(t[i] + 100, 450) / 450;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_SAWTOOTH);
        CHECK(contains(g.explanation, "peaks rise"));

        /* The floor rising by 40 MiB (10%) under the cycles: a leak under its release cycles. */
        setup(n, 5, 12);
        for (size_t i = 0; i < n; i++)
                rss[i] = 400 * MiB * (1 + 0.003 * gauss()) + 40 * MiB * t[i] / t[n - 1];
        add_sawtooth(n, 450, 60 * MiB, 100);
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_STEADY);
        CHECK_EQ_INT(g.cycles, 8);
        CHECK(g.slope_low <= 40 * MiB / t[n - 1] && 40 * MiB / t[n - 1] <= g.slope_high);
        CHECK(g.p_value <= 0.05);
        CHECK(isfinite(g.time_to_limit_s));
        CHECK(contains(g.explanation, "release"));

        /* Four cycles, the floor rising by 40 MiB, the series beginning halfway up a ramp:
         * the first point is no trough (it would spoil "each trough above the one before",
         * the rule for 3 or 4 troughs). */
        setup(n, 5, 14);
        for (size_t i = 0; i < n; i++)
                rss[i] = 400 * MiB * (1 + 0.003 * gauss()) + 40 * MiB * t[i] / t[n - 1];
        add_sawtooth(n, 1000, 60 * MiB, 500);
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_STEADY);
        CHECK_EQ_INT(g.cycles, 4);
        /* The same floor held level: a sawtooth. */
        for (size_t i = 0; i < n; i++)
                rss[i] -= 40 * MiB * t[i] / t[n - 1];
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_SAWTOOTH);

        /* Memory that comes down as slowly as it went up (a triangle of 900 s, 60 MiB high)
         * releases nothing at once: no cycles, a plateau. */
        setup(n, 5, 15);
        for (size_t i = 0; i < n; i++) {
                double ph = fmod(t[i], 900) / 900;
                rss[i] = 400 * MiB * (1 + 0.003 * gauss()) + 60 * MiB * (1 - fabs(2 * ph - 1));
        }
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_PLATEAU);
        CHECK_EQ_INT(g.cycles, 0);

        /* Two drops are not cycles. */
        setup(n, 5, 13);
        for (size_t i = 0; i < n; i++)
                rss[i] = 400 * MiB * (1 + 0.003 * gauss());
        add_sawtooth(n, 1300, 60 * MiB, 0);
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.cls != GROWTH_SAWTOOTH);
        CHECK_EQ_INT(g.cycles, 2);
}

static void test_copy_on_write(void)
{
        struct growth_input in;
        struct growth_result g;
        size_t n = 720; /* 1 h at 5 s */

        /* A worker at 600 MiB RSS; USS 150 -> 270 MiB, measured every 6th tick. */
        setup(n, 5, 14);
        for (size_t i = 0; i < n; i++) {
                rss[i] = 600 * MiB * (1 + 0.004 * gauss());
                uss[i] = i % 6 ? -1 : (150 + 120 * t[i] / t[n - 1]) * MiB + 1 * MiB * gauss();
        }
        in = input(n);
        in.uss = uss;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_COPY_ON_WRITE);
        CHECK(fabs(g.uss_slope - 120 * MiB / t[n - 1]) < 0.1 * 120 * MiB / t[n - 1]);
        CHECK(g.confidence > 0.99);
        CHECK(contains(g.explanation, "Copy-on-write"));

        /* Without USS it is a plateau; with USS flat too. */
        in.uss = NULL;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_PLATEAU);
        CHECK(isnan(g.uss_slope));
        for (size_t i = 0; i < n; i++)
                uss[i] = i % 6 ? -1 : 150 * MiB + 1 * MiB * gauss();
        in.uss = uss;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_PLATEAU);

        /* USS growing with RSS: not copy-on-write (RSS itself grows). */
        for (size_t i = 0; i < n; i++) {
                rss[i] += 120 * MiB * t[i] / t[n - 1];
                uss[i] = i % 6 ? -1 : (150 + 120 * t[i] / t[n - 1]) * MiB;
        }
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_STEADY);

        /* USS measured at two points only: nothing to judge it by. */
        for (size_t i = 0; i < n; i++) {
                rss[i] = 600 * MiB;
                uss[i] = -1;
        }
        uss[0] = 150 * MiB;
        uss[n - 1] = 300 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_PLATEAU);
}

static void test_falling(void)
{
        struct growth_input in;
        struct growth_result g;
        size_t n = 360;

        setup(n, 10, 15);
        for (size_t i = 0; i < n; i++)
                rss[i] = (900 - 100 * t[i] / t[n - 1]) * MiB * (1 + 0.002 * gauss());
        in = input(n);
        in.limit = 1024 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_PLATEAU);
        CHECK(g.slope < 0 && g.p_value < 0.001);
        CHECK(isinf(g.time_to_limit_s));
        CHECK(g.confidence > 0.99);
        CHECK(contains(g.explanation, "falls"));
}

static void test_time_to_limit(void)
{
        struct growth_input in;
        struct growth_result g;

        /* 100 MiB + 1 MiB/s for 50 s: the last point is 150 MiB, the limit 200 MiB: 50 s. */
        setup(51, 1, 16);
        for (int i = 0; i <= 50; i++)
                rss[i] = 100 * MiB + 1 * MiB * t[i];
        in = input(51);
        in.limit = 200 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_STEADY);
        CHECK(g.slope == 1 * MiB);
        CHECK(g.growth_bytes == 50 * MiB);
        CHECK(g.time_to_limit_s == 50);
        CHECK(g.ttl_low == 50 && g.ttl_high == 50);
        CHECK(contains(g.explanation, "200 MiB limit in 50 s"));
        /* The same with current given (cgroup usage, say). */
        in.current = 150 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.time_to_limit_s == 50);
        in.current = 190 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.time_to_limit_s == 10);
        /* Already there, or over. */
        in.current = 200 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.time_to_limit_s == 0 && g.ttl_low == 0 && g.ttl_high == 0);
        CHECK(contains(g.explanation, "already at or over"));
        in.current = -1;
        in.limit = 120 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.time_to_limit_s == 0);
        /* No limit known. */
        in.limit = 0;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(isnan(g.time_to_limit_s) && isnan(g.ttl_low) && isnan(g.ttl_high));
        CHECK(!strstr(g.explanation, "limit"));
        in.limit = -5;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(isnan(g.time_to_limit_s));

        /* A noisy leak: the interval brackets the estimate, from slope_high and slope_low. */
        setup(2000, 3, 17);
        for (int i = 0; i < 2000; i++)
                rss[i] = 1024 * MiB + 20 * 1024.0 * t[i] + 4 * MiB * gauss();
        in = input(2000);
        in.limit = 2048 * MiB;
        in.current = 1200 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_STEADY);
        CHECK(g.ttl_low < g.time_to_limit_s && g.time_to_limit_s < g.ttl_high);
        CHECK_NEAR(g.time_to_limit_s, 848 * MiB / g.slope, 1e-6);
        CHECK_NEAR(g.ttl_low, 848 * MiB / g.slope_high, 1e-6);
        CHECK_NEAR(g.ttl_high, 848 * MiB / g.slope_low, 1e-6);
        CHECK(g.ttl_low < 848 * MiB / (20 * 1024.0) && 848 * MiB / (20 * 1024.0) < g.ttl_high);
}

static void test_jit_share(void)
{
        struct growth_input in;
        struct growth_result g;

        /* RSS 100 MiB + 1 MiB/s for 100 s; JIT code 4 MiB + 0.1 MiB/s until t = 40, then flat:
         * 4 MiB of JIT growth in 100 MiB of growth. Some ticks did not measure JIT code. */
        setup(101, 1, 18);
        for (int i = 0; i <= 100; i++) {
                rss[i] = 100 * MiB + 1 * MiB * t[i];
                jit[i] = 4 * MiB + 0.1 * MiB * fmin(t[i], 40);
        }
        jit[10] = jit[55] = -1;
        jit[41] = NAN;
        in = input(101);
        in.jit = jit;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.growth_bytes == 100 * MiB);
        CHECK_NEAR(g.jit_growth_bytes, 4 * MiB, 1e-6);
        CHECK_NEAR(g.jit_share, 0.04, 1e-12);
        CHECK(g.jit_growth_end_t == 40);
        /* The unmeasured ends do not count: first and last measured. */
        jit[0] = -1;
        jit[100] = -1;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_NEAR(g.jit_growth_bytes, 4 * MiB - 0.1 * MiB, 1e-6);
        /* No growth of RSS: no share. */
        for (int i = 0; i <= 100; i++)
                rss[i] = 100 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.growth_bytes == 0 && isnan(g.jit_share));
        CHECK(g.jit_growth_end_t == 40);
        /* JIT code that never grows: never. */
        for (int i = 0; i <= 100; i++)
                jit[i] = 4 * MiB;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK(g.jit_growth_bytes == 0 && g.jit_growth_end_t < 0);
        /* Too short to judge still reports JIT code. */
        jit[1] = 5 * MiB;
        in.n = 3;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_NOT_ENOUGH_DATA);
        CHECK(g.jit_growth_bytes == 0 && g.jit_growth_end_t == 1);
}

static void test_correlated_noise(void)
{
        struct growth_input in;
        struct growth_result g;
        struct stats_trend plain;
        size_t n = 300;

        /* A leak of 100 MiB with a slow wave of 2 MiB around it: the residuals are correlated
         * from point to point (lag-1 autocorrelation near 1, kept at 0.95), so the interval is
         * sqrt(1.95 / 0.05) times as wide as Mann-Kendall's for independent points. */
        setup(n, 10, 20);
        for (size_t i = 0; i < n; i++)
                rss[i] = 500 * MiB + 100 * MiB * t[i] / t[n - 1] + 2 * MiB * sin(2 * M_PI * t[i] / 1500);
        in = input(n);
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_STEADY);
        CHECK(g.window_s == t[n - 1]);
        CHECK_EQ_INT(stats_trend(t, rss, n, 0.95, &plain), 0);
        CHECK(g.slope == plain.slope);
        CHECK_NEAR((g.slope_high - g.slope_low) / (plain.slope_high - plain.slope_low), sqrt(1.95 / 0.05), 1e-9);
        CHECK(g.p_value > plain.p_value);
}

static void test_long_series(void)
{
        struct growth_input in;
        struct growth_result g, again;

        /* 20,000 points (thinned to block medians): a noiseless line keeps its exact slope, and
         * the same input gives the same answer. */
        setup(NMAX, 1, 19);
        for (size_t i = 0; i < NMAX; i++)
                rss[i] = 64 * MiB + 1024.0 * t[i];
        in = input(NMAX);
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_STEADY);
        CHECK_NEAR(g.slope, 1024.0, 1e-9);
        CHECK(g.window_s == t[NMAX - 1]);
        CHECK_EQ_INT(classify(&in, &again), 0);
        CHECK(again.cls == g.cls && again.slope == g.slope && again.p_value == g.p_value &&
              strcmp(again.explanation, g.explanation) == 0);
}

/* A plateau found at a knee, after growth over the whole span: its warm-up ends where the rise
 * to the level does, not at the tenth whose median slope first looks flat; and copy-on-write
 * judged from there. */
static void test_knee_plateau(void)
{
        struct growth_input in;
        struct growth_result g;
        size_t n = 720; /* 1 h at 5 s */

        /* 200 -> 290 MiB over the first 1080 s, a step to 300 MiB at 1260 s, then level; noise
         * 0.3%. The step is a fourteenth of the tail from the fourth tenth (1078.5 s): a median
         * slope hardly sees it. */
        setup(n, 5, 21);
        for (size_t i = 0; i < n; i++) {
                double base = t[i] < 1080 ? 200 + 90 * t[i] / 1080 : t[i] < 1260 ? 290 : 300;
                rss[i] = base * MiB * (1 + 0.003 * gauss());
        }
        in = input(n);
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_PLATEAU);
        CHECK(g.warmup_s >= 1260 && g.warmup_s <= 1300);
        CHECK(g.window_s == t[n - 1] - g.warmup_s);
        CHECK(contains(g.explanation, "Plateau at 300 MiB after a warm-up of"));

        /* USS measured every 6th tick: rising with RSS, then 150 -> 230 MiB while RSS holds
         * (shared falling as much): copy-on-write over the plateau after the warm-up. */
        for (size_t i = 0; i < n; i++)
                uss[i] = i % 6 ? -1 : t[i] < 1260 ? 0.5 * rss[i] : (150 + 80 * (t[i] - 1260) / (t[n - 1] - 1260)) * MiB;
        in.uss = uss;
        CHECK_EQ_INT(classify(&in, &g), 0);
        CHECK_CLASS(g, GROWTH_COPY_ON_WRITE);
        CHECK(g.warmup_s >= 1260 && g.warmup_s <= 1300);
        CHECK(fabs(g.uss_slope - 80 * MiB / (t[n - 1] - 1260)) < 0.1 * 80 * MiB / (t[n - 1] - 1260));
        CHECK(contains(g.explanation, "Copy-on-write"));
}

int main(void)
{
        test_names();
        test_bad_input();
        test_not_enough_data();
        test_constant();
        test_plateau_noisy();
        test_plateau_after_warmup();
        test_steady();
        test_warming_up();
        test_sawtooth();
        test_copy_on_write();
        test_falling();
        test_time_to_limit();
        test_jit_share();
        test_correlated_noise();
        test_long_series();
        test_knee_plateau();
        return unit_finish("test_growth");
}
