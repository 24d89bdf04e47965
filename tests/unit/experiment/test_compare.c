/* The comparison's middle layer: the table of figures compared (METRICS, by id), the points'
 * figures, one figure's statistics over synthetic runs, and its JSON form in comparison.json. */
#include "compare.h"
#include "unit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A run whose every figure differs from every other one: field i holds base + i (an array's
 * point k, base + 100 * (k + 1) + i). */
static void fill_distinct(struct compare_sample *s, double base)
{
        struct analysis *a = &s->a;
        double v = base;

        memset(s, 0, sizeof(*s));
        s->analysed = 1;
        a->peak_rss = v++;
        a->peak_pss = v++;
        a->peak_anon = v++;
        a->peak_anon_pss = v++;
        a->steady_rss = v++;
        a->steady_pss = v++;
        a->worker_peak_rss = v++;
        a->worker_peak_pss = v++;
        a->peak_jit = v++;
        a->final_jit = v++;
        a->startup_rss = v++;
        a->cpu_s = v++;
        a->wall_s = v++;
        a->throughput = v++;
        a->latency_p50_us = v++;
        a->latency_p99_us = v++;
        a->warmup_end_s = v++;
        a->executors_compiled = v++;
        a->executors_freed = v++;
        a->churn_ratio = v++;
        a->restarts = (int)v++;
        a->first_warmup_s = v++;
        a->restart_warmup_s = v++;
        a->restart_jit = v++;
        s->cpu_per_unit = v++;
        a->peak_dbg = v++;
        a->peak_dbg_images = v++;
        a->peak_attributed = v++;
        for (int k = 0; k < ANALYSIS_POINTS; k++) {
                double p = base + 100 * (k + 1);
                a->rss_at[k] = p + 0;
                a->pss_at[k] = p + 1;
                a->worker_rss_at[k] = p + 2;
                a->worker_pss_at[k] = p + 3;
                a->worker_jit_at[k] = p + 4;
                a->anon_at[k] = p + 5;
                a->anon_pss_at[k] = p + 6;
                a->jit_at[k] = p + 7;
                a->dbg_at[k] = p + 8;
                a->rest_at[k] = p + 9;
                a->worker_dbg_at[k] = p + 10;
                a->worker_rest_at[k] = p + 11;
        }
}

/* Every entry: its id at its place, a name, a unit its name agrees with, and a getter that reads
 * the figure the name says. */
static void test_metrics_table(void)
{
        static const struct {
                enum compare_metric id;
                const char *name, *unit;
                size_t offset;          /* of the figure in struct compare_sample */
                int is_int;             /* an int there, not a double */
                int per_run;
        } want[] = {
#define A(f) offsetof(struct compare_sample, a.f)
#define S(f) offsetof(struct compare_sample, f)
                { COMPARE_PEAK_RSS, "peak_rss_bytes", "bytes", A(peak_rss), 0, 1 },
                { COMPARE_PEAK_PSS, "peak_pss_bytes", "bytes", A(peak_pss), 0, 1 },
                { COMPARE_PEAK_ANON, "peak_anon_bytes", "bytes", A(peak_anon), 0, 1 },
                { COMPARE_PEAK_ANON_PSS, "peak_anon_pss_bytes", "bytes", A(peak_anon_pss), 0, 0 },
                { COMPARE_STEADY_RSS, "steady_rss_bytes", "bytes", A(steady_rss), 0, 1 },
                { COMPARE_STEADY_PSS, "steady_pss_bytes", "bytes", A(steady_pss), 0, 1 },
                { COMPARE_WORKER_PEAK_RSS, "worker_peak_rss_bytes", "bytes", A(worker_peak_rss), 0, 0 },
                { COMPARE_WORKER_PEAK_PSS, "worker_peak_pss_bytes", "bytes", A(worker_peak_pss), 0, 0 },
                { COMPARE_PEAK_JIT, "peak_jit_code_bytes", "bytes", A(peak_jit), 0, 1 },
                { COMPARE_FINAL_JIT, "final_jit_code_bytes", "bytes", A(final_jit), 0, 0 },
                { COMPARE_PEAK_DEBUG, "peak_jit_debug_bytes", "bytes", S(a.peak_dbg), 0, 0 },
                { COMPARE_PEAK_DEBUG_IMAGES, "peak_jit_debug_images", "count", S(a.peak_dbg_images), 0, 0 },
                { COMPARE_PEAK_ATTRIBUTED, "peak_jit_attributed_bytes", "bytes", S(a.peak_attributed), 0, 0 },
                { COMPARE_STARTUP_RSS, "startup_rss_bytes", "bytes", A(startup_rss), 0, 1 },
                { COMPARE_CPU, "cpu_s", "seconds", A(cpu_s), 0, 1 },
                { COMPARE_CPU_PER_UNIT, "cpu_s_per_unit", "seconds", S(cpu_per_unit), 0, 1 },
                { COMPARE_WALL, "wall_s", "seconds", A(wall_s), 0, 1 },
                { COMPARE_THROUGHPUT, "throughput_units_per_s", "units/s", A(throughput), 0, 1 },
                { COMPARE_LATENCY_P50, "latency_p50_us", "us", A(latency_p50_us), 0, 0 },
                { COMPARE_LATENCY_P99, "latency_p99_us", "us", A(latency_p99_us), 0, 0 },
                { COMPARE_WARMUP_END, "warmup_end_s", "seconds", A(warmup_end_s), 0, 1 },
                { COMPARE_EXECUTORS_COMPILED, "executors_compiled", "count", A(executors_compiled), 0, 0 },
                { COMPARE_EXECUTORS_FREED, "executors_freed", "count", A(executors_freed), 0, 0 },
                { COMPARE_CHURN, "churn_ratio", "fraction", A(churn_ratio), 0, 0 },
                { COMPARE_WORKER_RESTARTS, "worker_restarts", "count", A(restarts), 1, 0 },
                { COMPARE_WORKER_WARMUP, "worker_warmup_s", "seconds", A(first_warmup_s), 0, 0 },
                { COMPARE_RESTARTED_WORKER_WARMUP, "restarted_worker_warmup_s", "seconds", A(restart_warmup_s), 0, 0 },
                { COMPARE_RESTARTED_WORKER_JIT, "restarted_worker_jit_code_bytes", "bytes", A(restart_jit), 0, 0 },
#undef A
#undef S
        };
        struct compare_sample s;
        int seen[COMPARE_METRIC_MAX] = { 0 };

        CHECK_EQ_INT(sizeof(want) / sizeof(want[0]), COMPARE_METRIC_MAX);
        fill_distinct(&s, 1000);
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                const struct compare_metric_def *d = &compare_metrics[want[i].id];
                const char *field = (const char *)&s + want[i].offset;
                double v = want[i].is_int ? *(const int *)(const void *)field : *(const double *)(const void *)field;
                seen[want[i].id]++;
                CHECK_STR(d->name, want[i].name);
                CHECK_STR(d->unit, want[i].unit);
                CHECK_EQ_INT(d->per_run, want[i].per_run);
                CHECK(d->get != NULL && d->get(&s, 0) == v);
                CHECK(d->get != NULL && d->get(&s, ANALYSIS_POINTS - 1) == v); /* k is no point here */
        }
        for (int k = 0; k < COMPARE_METRIC_MAX; k++)
                CHECK_EQ_INT(seen[k], 1);
        /* the unit follows the name: a reader of comparison.json can rely on either */
        for (int k = 0; k < COMPARE_METRIC_MAX; k++) {
                const char *n = compare_metrics[k].name, *u = compare_metrics[k].unit;
                size_t l = strlen(n);
                if (l > 6 && !strcmp(n + l - 6, "_bytes"))
                        CHECK_STR(u, "bytes");
                else if (l > 6 && !strcmp(n + l - 6, "_per_s"))
                        CHECK_STR(u, "units/s");
                else if ((l > 2 && !strcmp(n + l - 2, "_s")) || strstr(n, "_s_per_unit"))
                        CHECK_STR(u, "seconds");
                else if (l > 3 && !strcmp(n + l - 3, "_us"))
                        CHECK_STR(u, "us");
                else
                        CHECK(!strcmp(u, "count") || !strcmp(u, "fraction"));
                for (int j = 0; j < k; j++)
                        CHECK(strcmp(compare_metrics[j].name, n) != 0);
        }
}

/* Every point figure reads its own array at the point asked for. */
static void test_point_figures(void)
{
        static const char *const names[COMPARE_AT_MAX] = {
                [COMPARE_AT_RSS] = "rss_bytes", [COMPARE_AT_PSS] = "pss_bytes",
                [COMPARE_AT_WORKER_RSS] = "worker_rss_bytes", [COMPARE_AT_WORKER_PSS] = "worker_pss_bytes",
                [COMPARE_AT_WORKER_JIT] = "worker_jit_code_bytes", [COMPARE_AT_ANON] = "anon_bytes",
                [COMPARE_AT_ANON_PSS] = "anon_pss_bytes", [COMPARE_AT_JIT] = "jit_code_bytes",
                [COMPARE_AT_DEBUG] = "jit_debug_bytes", [COMPARE_AT_REST] = "rss_rest_bytes",
                [COMPARE_AT_WORKER_DEBUG] = "worker_jit_debug_bytes", [COMPARE_AT_WORKER_REST] = "worker_rss_rest_bytes",
        };
        /* fill_distinct's order of the arrays */
        static const enum compare_at order[COMPARE_AT_MAX] = {
                COMPARE_AT_RSS, COMPARE_AT_PSS, COMPARE_AT_WORKER_RSS, COMPARE_AT_WORKER_PSS, COMPARE_AT_WORKER_JIT,
                COMPARE_AT_ANON, COMPARE_AT_ANON_PSS, COMPARE_AT_JIT, COMPARE_AT_DEBUG, COMPARE_AT_REST,
                COMPARE_AT_WORKER_DEBUG, COMPARE_AT_WORKER_REST,
        };
        struct compare_sample s;

        fill_distinct(&s, 0);
        for (int i = 0; i < COMPARE_AT_MAX; i++) {
                const struct compare_point_def *d = &compare_point_figures[order[i]];
                CHECK_STR(d->name, names[order[i]]);
                for (int k = 0; k < ANALYSIS_POINTS; k++)
                        CHECK(d->get(&s, k) == 100 * (k + 1) + i);
        }
}

/* Runs of both modes with peak RSS off[i] and on[i] (a negative or NaN figure: not measured). */
static int make_runs(struct compare_sample *runs, const double *off, int noff, const double *on, int non)
{
        int n = 0;

        for (int i = 0; i < noff || i < non; i++) {
                if (i < noff) {
                        fill_distinct(&runs[n], 0);
                        runs[n].a.peak_rss = off[i];
                        runs[n++].on = 0;
                }
                if (i < non) {
                        fill_distinct(&runs[n], 0);
                        runs[n].a.peak_rss = on[i];
                        runs[n++].on = 1;
                }
        }
        return n;
}

static struct compare_stat stat_of(const double *off, int noff, const double *on, int non)
{
        struct compare_sample runs[40];
        int n = make_runs(runs, off, noff, on, non);

        return compare_stat_of(runs, n, compare_metrics[COMPARE_PEAK_RSS].get, 0);
}

/* The statistics of one figure: by mode, over the analysed runs that measured it. */
static void test_stat_of(void)
{
        static const double off[] = { 100, 104, 101, 103, 102 }, on[] = { 204, 200, 203, 201, 202 };
        struct compare_sample runs[16];
        struct compare_stat m;
        int n;

        m = stat_of(off, 5, on, 5);
        CHECK(m.ok);
        CHECK_EQ_INT(m.n_off, 5);
        CHECK_EQ_INT(m.n_on, 5);
        CHECK(m.median_off == 102 && m.median_on == 202);
        CHECK(m.s.median_a == 102 && m.s.median_b == 202 && m.s.delta == 100);
        CHECK(m.s.hl == 100);
        CHECK(fabs(m.s.p_value - 2.0 / 252) < 1e-9); /* exact: 2 of the C(10,5) orders are as extreme */
        CHECK(compare_stat_significant(&m));
        CHECK(!compare_stat_too_few(&m));
        CHECK(m.s.ci_low > 0 && isfinite(m.s.ci_high) && m.s.ci_low <= 100 && m.s.ci_high >= 100);
        CHECK(compare_stat_median(&m, 0) == 102 && compare_stat_median(&m, 1) == 202);

        /* swapped: lower with the JIT, and the same interval mirrored */
        struct compare_stat w = stat_of(on, 5, off, 5);
        CHECK(w.ok && compare_stat_significant(&w) && w.s.delta == -100);
        CHECK(w.s.ci_high == -m.s.ci_low && w.s.ci_low == -m.s.ci_high);

        /* runs not analysed, and figures negative or NaN, are left out */
        n = make_runs(runs, off, 5, on, 5);
        runs[0].analysed = 0;         /* an off run: 100 */
        runs[1].a.peak_rss = -1;      /* an on run: 204 */
        runs[3].a.peak_rss = NAN;     /* an on run: 200 */
        m = compare_stat_of(runs, n, compare_metrics[COMPARE_PEAK_RSS].get, 0);
        CHECK(m.ok);
        CHECK_EQ_INT(m.n_off, 4);
        CHECK_EQ_INT(m.n_on, 3);
        CHECK(m.median_off == 102.5 && m.median_on == 202);

        /* the point asked for */
        n = make_runs(runs, off, 5, on, 5);
        for (int i = 0; i < n; i++)
                runs[i].a.rss_at[2] = runs[i].on ? 7000 + i : 5000 + i;
        m = compare_stat_of(runs, n, compare_point_figures[COMPARE_AT_RSS].get, 2);
        CHECK(m.ok && m.median_off == 5004 && m.median_on == 7005);

        /* too few runs for a 95% interval: 2 against 2 */
        m = stat_of(off, 2, on, 2);
        CHECK(m.ok && compare_stat_too_few(&m) && !compare_stat_significant(&m));
        CHECK(isinf(m.s.ci_low) && isinf(m.s.ci_high));

        /* the same in both modes: no difference */
        m = stat_of(off, 5, off, 5);
        CHECK(m.ok && !compare_stat_significant(&m) && !compare_stat_too_few(&m) && m.s.delta == 0);
        CHECK(m.s.ci_low <= 0 && m.s.ci_high >= 0);

        /* measured with the JIT off only: medians, no comparison */
        m = stat_of(off, 3, NULL, 0);
        CHECK(!m.ok && !compare_stat_significant(&m) && !compare_stat_too_few(&m));
        CHECK_EQ_INT(m.n_off, 3);
        CHECK_EQ_INT(m.n_on, 0);
        CHECK(compare_stat_median(&m, 0) == 101 && isnan(compare_stat_median(&m, 1)));

        /* nothing at all */
        m = compare_stat_of(runs, 0, compare_metrics[COMPARE_PEAK_RSS].get, 0);
        CHECK(!m.ok && m.n_off == 0 && m.n_on == 0 && isnan(m.median_off) && isnan(m.median_on));
}

static double jnum(json_t *o, const char *k)
{
        json_t *v = json_object_get(o, k);
        return json_is_number(v) ? json_number_value(v) : NAN;
}

/* One figure's JSON form, as comparison.json's "metrics" and points have it. */
static void test_stat_json(void)
{
        static const double off[] = { 100, 104, 101, 103, 102 }, on[] = { 204, 200, 203, 201, 202 };
        struct compare_stat m;
        json_t *j, *ci, *closed;

        /* significant, higher with the JIT */
        m = stat_of(off, 5, on, 5);
        j = compare_stat_json(&m, "bytes");
        CHECK(j != NULL);
        CHECK_STR(json_string_value(json_object_get(j, "unit")), "bytes");
        CHECK_STR(json_string_value(json_object_get(j, "finding")), "higher with the JIT");
        CHECK(jnum(j, "off") == 102 && jnum(j, "on") == 202 && jnum(j, "delta") == 100);
        CHECK(fabs(jnum(j, "delta_rel") - 100.0 / 102) < 1e-12);
        CHECK(jnum(j, "shift_hl") == 100);
        CHECK(json_is_true(json_object_get(j, "significant")));
        CHECK(json_is_true(json_object_get(j, "p_exact")));
        CHECK(fabs(jnum(j, "p_value") - 2.0 / 252) < 1e-9);
        CHECK(jnum(j, "n_off") == 5 && jnum(j, "n_on") == 5);
        ci = json_object_get(j, "ci95");
        closed = json_object_get(j, "ci95_closed");
        CHECK(json_array_size(ci) == 2 && json_number_value(json_array_get(ci, 0)) == m.s.ci_low &&
              json_number_value(json_array_get(ci, 1)) == m.s.ci_high);
        /* differences tied at the ends (104 - 100 = 101 - 97 ...): ends that are not in the interval */
        CHECK(!m.s.ci_low_closed && !m.s.ci_high_closed);
        CHECK(json_is_false(json_array_get(closed, 0)) && json_is_false(json_array_get(closed, 1)));
        CHECK(jnum(j, "ci_level") >= 0.95 && jnum(j, "ci_level") < 1);
        json_decref(j);

        /* a closed interval (stats' example of page counts that tie): [0, 1], each end in it,
         * holding 0: no difference */
        static const double zeros[] = { 0, 0, 0, 0, 0 }, some[] = { 0, 0, 1, 1, 1 };
        m = stat_of(zeros, 5, some, 5);
        j = compare_stat_json(&m, "count");
        ci = json_object_get(j, "ci95");
        closed = json_object_get(j, "ci95_closed");
        CHECK(m.ok && m.s.ci_low_closed && m.s.ci_high_closed);
        CHECK(json_number_value(json_array_get(ci, 0)) == 0 && json_number_value(json_array_get(ci, 1)) == 1);
        CHECK(json_is_true(json_array_get(closed, 0)) && json_is_true(json_array_get(closed, 1)));
        CHECK_STR(json_string_value(json_object_get(j, "finding")), "no measurable difference");
        CHECK(json_is_false(json_object_get(j, "significant")));
        json_decref(j);

        /* lower with the JIT */
        m = stat_of(on, 5, off, 5);
        j = compare_stat_json(&m, "bytes");
        CHECK_STR(json_string_value(json_object_get(j, "finding")), "lower with the JIT");
        CHECK(jnum(j, "delta") == -100);
        json_decref(j);

        /* too few runs: the interval is the whole line, written as nulls, its ends open */
        m = stat_of(off, 2, on, 2);
        j = compare_stat_json(&m, "seconds");
        CHECK_STR(json_string_value(json_object_get(j, "finding")), "too few runs for a 95% interval");
        ci = json_object_get(j, "ci95");
        closed = json_object_get(j, "ci95_closed");
        CHECK(json_array_size(ci) == 2 && json_is_null(json_array_get(ci, 0)) && json_is_null(json_array_get(ci, 1)));
        CHECK(json_is_false(json_array_get(closed, 0)) && json_is_false(json_array_get(closed, 1)));
        CHECK(json_is_false(json_object_get(j, "significant")));
        CHECK(jnum(j, "ci_level") == 1);
        json_decref(j);

        /* no difference */
        m = stat_of(off, 5, off, 5);
        j = compare_stat_json(&m, "count");
        CHECK_STR(json_string_value(json_object_get(j, "finding")), "no measurable difference");
        CHECK(jnum(j, "delta") == 0 && jnum(j, "delta_rel") == 0);
        CHECK(json_is_false(json_object_get(j, "significant")));
        json_decref(j);

        /* measured in one mode only: the medians there are, the other null, nothing compared */
        m = stat_of(NULL, 0, on, 3);
        j = compare_stat_json(&m, "bytes");
        CHECK(j != NULL && json_object_size(j) == 5);
        CHECK(json_is_null(json_object_get(j, "off")) && jnum(j, "on") == 203);
        CHECK(jnum(j, "n_off") == 0 && jnum(j, "n_on") == 3);
        CHECK(!json_object_get(j, "finding") && !json_object_get(j, "significant") && !json_object_get(j, "ci95"));
        json_decref(j);

        /* measured in neither */
        m = stat_of(NULL, 0, NULL, 0);
        j = compare_stat_json(&m, "us");
        CHECK(json_is_null(json_object_get(j, "off")) && json_is_null(json_object_get(j, "on")));
        CHECK_STR(json_string_value(json_object_get(j, "unit")), "us");
        json_decref(j);
}

/* Freeing nothing is fine. */
static void test_result_free(void)
{
        compare_result_free(NULL);
        struct compare_result *r = calloc(1, sizeof(*r));
        CHECK(r != NULL);
        if (r) {
                r->json = json_object();
                compare_result_free(r);
        }
}

int main(void)
{
        test_metrics_table();
        test_point_figures();
        test_stat_of();
        test_stat_json();
        test_result_free();
        return unit_finish("test_compare");
}
