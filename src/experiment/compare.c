#include "compare.h"
#include "growth.h"
#include "analysis.h"
#include "cgroup.h"
#include "jsonout.h"
#include "runfile.h"
#include "stats.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RUNS_MAX COMPARE_RUNS_MAX
#define LEVEL 0.95

/* What a comparison runs: cells of an interpreter and a mode, each run once per round. */
struct cell {
        int interp, on;
};

static void status(const struct compare_options *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void status(const struct compare_options *o, const char *fmt, ...)
{
        char line[512];
        va_list ap;

        if (!o->status)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        o->status(line);
}

/* Where a run is kept: its directory and its summary.json's figures (have_summary: it completed). */
struct run_place {
        char dir[4096];
        struct runfile_summary summary;
        int have_summary;
};

/* Whether dir holds a completed run (exit status 0, or a driven server's, and a whole recording),
 * its summary's figures into ret (freed with runfile_summary_free) when it does. */
static int completed(const char *dir, struct runfile_summary *ret)
{
        if (runfile_read_summary(dir, ret) < 0)
                return 0;
        if ((ret->exit_status == 0 || ret->driven) && !ret->recording_failed)
                return 1;
        runfile_summary_free(ret);
        return 0;
}

static int do_one(const struct compare_options *o, char *const *argv, const char *dir, int on, json_t **ret_summary,
                  char *err, size_t err_size, int *interrupted)
{
        struct runner_options ro = o->run;
        struct runner_result res;
        struct httpdrive drive;
        int r;

        ro.out = dir;
        ro.force = 1;
        ro.jit = on ? RUNNER_JIT_ON : RUNNER_JIT_OFF;
        ro.progress = 1;
        ro.foreground = 0;
        ro.capture_output = 1;
        ro.probe = 0; /* (trace_shim comes with o->run) */
        if (o->have_limit) {
                ro.have_limit = 1;
                ro.limit_bytes = o->limit_bytes;
        }
        if (o->http)
                compare_attach_http(&ro, &drive, o->http);
        r = runner_record(&ro, argv, &res);
        *interrupted = res.interrupted;
        if (o->http && r == 0 && res.summary && !res.interrupted) {
                /* a server: stopped by us once the load was over, whatever its status */
                if (!drive.ready || !drive.have_result) {
                        snprintf(err, err_size, "%s (JIT %s): see %s/output.log", drive.error[0] ? drive.error : "the load did not run",
                                 on ? "on" : "off", dir);
                        runner_result_free(&res);
                        return -ECHILD;
                }
                *ret_summary = res.summary;
                res.summary = NULL;
                return 0;
        }
        if (r < 0 || res.exit_code != 0 || !res.summary) {
                if (res.interrupted)
                        snprintf(err, err_size, "interrupted");
                else if (res.error[0])
                        snprintf(err, err_size, "%s", res.error);
                else
                        snprintf(err, err_size, "the command exited with status %d (JIT %s): see %s/output.log",
                                 res.exit_code, on ? "on" : "off", dir);
                runner_result_free(&res);
                return r < 0 ? r : -ECHILD;
        }
        *ret_summary = res.summary;
        res.summary = NULL;
        return 0;
}

/* A figure of one run (negative or NaN: not measured), at equivalent point k for the figures
 * that have one. */
typedef double (*getter)(const struct compare_sample *r, int k);

static double g_peak_rss(const struct compare_sample *r, int k) { (void)k; return r->a.peak_rss; }
static double g_peak_pss(const struct compare_sample *r, int k) { (void)k; return r->a.peak_pss; }
static double g_peak_anon(const struct compare_sample *r, int k) { (void)k; return r->a.peak_anon; }
static double g_anon_at(const struct compare_sample *r, int k) { return r->a.anon_at[k]; }
static double g_peak_anon_pss(const struct compare_sample *r, int k) { (void)k; return r->a.peak_anon_pss; }
static double g_anon_pss_at(const struct compare_sample *r, int k) { return r->a.anon_pss_at[k]; }
static double g_steady_rss(const struct compare_sample *r, int k) { (void)k; return r->a.steady_rss; }
static double g_steady_pss(const struct compare_sample *r, int k) { (void)k; return r->a.steady_pss; }
static double g_peak_jit(const struct compare_sample *r, int k) { (void)k; return r->a.peak_jit; }
static double g_final_jit(const struct compare_sample *r, int k) { (void)k; return r->a.final_jit; }
static double g_startup(const struct compare_sample *r, int k) { (void)k; return r->a.startup_rss; }
static double g_cpu(const struct compare_sample *r, int k) { (void)k; return r->a.cpu_s; }
static double g_wall(const struct compare_sample *r, int k) { (void)k; return r->a.wall_s; }
static double g_tput(const struct compare_sample *r, int k) { (void)k; return r->a.throughput; }
static double g_warm(const struct compare_sample *r, int k) { (void)k; return r->a.warmup_end_s; }
static double g_rss_at(const struct compare_sample *r, int k) { return r->a.rss_at[k]; }
static double g_p50(const struct compare_sample *r, int k) { (void)k; return r->a.latency_p50_us; }
static double g_wrss(const struct compare_sample *r, int k) { (void)k; return r->a.worker_peak_rss; }
static double g_wpss(const struct compare_sample *r, int k) { (void)k; return r->a.worker_peak_pss; }
static double g_p99(const struct compare_sample *r, int k) { (void)k; return r->a.latency_p99_us; }
static double g_compiled(const struct compare_sample *r, int k) { (void)k; return r->a.executors_compiled; }
static double g_freed(const struct compare_sample *r, int k) { (void)k; return r->a.executors_freed; }
static double g_churn(const struct compare_sample *r, int k) { (void)k; return r->a.churn_ratio; }
static double g_pss_at(const struct compare_sample *r, int k) { return r->a.pss_at[k]; }
static double g_wrss_at(const struct compare_sample *r, int k) { return r->a.worker_rss_at[k]; }
static double g_wpss_at(const struct compare_sample *r, int k) { return r->a.worker_pss_at[k]; }
static double g_wjit_at(const struct compare_sample *r, int k) { return r->a.worker_jit_at[k]; }
static double g_jit_at(const struct compare_sample *r, int k) { return r->a.jit_at[k]; }
static double g_dbg_at(const struct compare_sample *r, int k) { return r->a.dbg_at[k]; }
static double g_rest_at(const struct compare_sample *r, int k) { return r->a.rest_at[k]; }
static double g_wdbg_at(const struct compare_sample *r, int k) { return r->a.worker_dbg_at[k]; }
static double g_wrest_at(const struct compare_sample *r, int k) { return r->a.worker_rest_at[k]; }
static double g_restarts(const struct compare_sample *r, int k) { (void)k; return r->a.restarts; }
static double g_workers_max(const struct compare_sample *r, int k) { (void)k; return r->a.workers_max; }
static double g_first_warm(const struct compare_sample *r, int k) { (void)k; return r->a.first_warmup_s; }
static double g_restart_warm(const struct compare_sample *r, int k) { (void)k; return r->a.restart_warmup_s; }
static double g_restart_jit(const struct compare_sample *r, int k) { (void)k; return r->a.restart_jit; }
static double g_cpu_unit(const struct compare_sample *r, int k) { (void)k; return r->cpu_per_unit; }
static double g_peak_dbg(const struct compare_sample *r, int k) { (void)k; return r->a.peak_dbg; }
static double g_peak_dbg_n(const struct compare_sample *r, int k) { (void)k; return r->a.peak_dbg_images; }
static double g_peak_attr(const struct compare_sample *r, int k) { (void)k; return r->a.peak_attributed; }
static double g_lead(const struct compare_sample *r, int k) { (void)k; return r->a.vsz_lead_s; }
static double g_slope(const struct compare_sample *r, int k) { (void)k; return r->a.slope; }

/* The figures compared, each once: its name in comparison.json's "metrics" (and in a run's
 * "figures" when per_run), its unit and its getter. */
const struct compare_metric_def compare_metrics[COMPARE_METRIC_MAX] = {
        [COMPARE_PEAK_RSS] = { "peak_rss_bytes", "bytes", g_peak_rss, 1 },
        [COMPARE_PEAK_PSS] = { "peak_pss_bytes", "bytes", g_peak_pss, 1 },
        [COMPARE_PEAK_ANON] = { "peak_anon_bytes", "bytes", g_peak_anon, 1 },
        [COMPARE_PEAK_ANON_PSS] = { "peak_anon_pss_bytes", "bytes", g_peak_anon_pss, 0 },
        [COMPARE_STEADY_RSS] = { "steady_rss_bytes", "bytes", g_steady_rss, 1 },
        [COMPARE_STEADY_PSS] = { "steady_pss_bytes", "bytes", g_steady_pss, 1 },
        [COMPARE_WORKER_PEAK_RSS] = { "worker_peak_rss_bytes", "bytes", g_wrss, 0 },
        [COMPARE_WORKER_PEAK_PSS] = { "worker_peak_pss_bytes", "bytes", g_wpss, 0 },
        [COMPARE_PEAK_JIT] = { "peak_jit_code_bytes", "bytes", g_peak_jit, 1 },
        [COMPARE_FINAL_JIT] = { "final_jit_code_bytes", "bytes", g_final_jit, 0 },
        [COMPARE_PEAK_DEBUG] = { "peak_jit_debug_bytes", "bytes", g_peak_dbg, 0 },
        [COMPARE_PEAK_DEBUG_IMAGES] = { "peak_jit_debug_images", "count", g_peak_dbg_n, 0 },
        [COMPARE_PEAK_ATTRIBUTED] = { "peak_jit_attributed_bytes", "bytes", g_peak_attr, 0 },
        [COMPARE_STARTUP_RSS] = { "startup_rss_bytes", "bytes", g_startup, 1 },
        [COMPARE_CPU] = { "cpu_s", "seconds", g_cpu, 1 },
        [COMPARE_CPU_PER_UNIT] = { "cpu_s_per_unit", "seconds", g_cpu_unit, 1 },
        [COMPARE_WALL] = { "wall_s", "seconds", g_wall, 1 },
        [COMPARE_THROUGHPUT] = { "throughput_units_per_s", "units/s", g_tput, 1 },
        [COMPARE_LATENCY_P50] = { "latency_p50_us", "us", g_p50, 0 },
        [COMPARE_LATENCY_P99] = { "latency_p99_us", "us", g_p99, 0 },
        [COMPARE_WARMUP_END] = { "warmup_end_s", "seconds", g_warm, 1 },
        [COMPARE_EXECUTORS_COMPILED] = { "executors_compiled", "count", g_compiled, 0 },
        [COMPARE_EXECUTORS_FREED] = { "executors_freed", "count", g_freed, 0 },
        [COMPARE_CHURN] = { "churn_ratio", "fraction", g_churn, 0 },
        [COMPARE_WORKER_RESTARTS] = { "worker_restarts", "count", g_restarts, 0 },
        [COMPARE_WORKER_WARMUP] = { "worker_warmup_s", "seconds", g_first_warm, 0 },
        [COMPARE_RESTARTED_WORKER_WARMUP] = { "restarted_worker_warmup_s", "seconds", g_restart_warm, 0 },
        [COMPARE_RESTARTED_WORKER_JIT] = { "restarted_worker_jit_code_bytes", "bytes", g_restart_jit, 0 },
};

/* The figures compared at each equivalent point, in bytes: their names in a point of
 * comparison.json's "equivalent_points" and their getters. */
const struct compare_point_def compare_point_figures[COMPARE_AT_MAX] = {
        [COMPARE_AT_RSS] = { "rss_bytes", g_rss_at },
        [COMPARE_AT_PSS] = { "pss_bytes", g_pss_at },
        [COMPARE_AT_WORKER_RSS] = { "worker_rss_bytes", g_wrss_at },
        [COMPARE_AT_WORKER_PSS] = { "worker_pss_bytes", g_wpss_at },
        [COMPARE_AT_WORKER_JIT] = { "worker_jit_code_bytes", g_wjit_at },
        /* the RSS delta decomposed: JIT code pages, debug images, the rest */
        [COMPARE_AT_ANON] = { "anon_bytes", g_anon_at },
        [COMPARE_AT_ANON_PSS] = { "anon_pss_bytes", g_anon_pss_at },
        [COMPARE_AT_JIT] = { "jit_code_bytes", g_jit_at },
        [COMPARE_AT_DEBUG] = { "jit_debug_bytes", g_dbg_at },
        [COMPARE_AT_REST] = { "rss_rest_bytes", g_rest_at },
        [COMPARE_AT_WORKER_DEBUG] = { "worker_jit_debug_bytes", g_wdbg_at },
        [COMPARE_AT_WORKER_REST] = { "worker_rss_rest_bytes", g_wrest_at },
};

/* A run's own figures, as it was analysed (null: not measured): the per_run metrics, then what
 * only a run has. */
static json_t *run_figures(const struct compare_sample *r)
{
        const struct analysis *x = &r->a;
        json_t *o = json_object();

        for (int k = 0; k < COMPARE_METRIC_MAX; k++)
                if (compare_metrics[k].per_run)
                        json_object_set_new(o, compare_metrics[k].name, jsonout_measured(compare_metrics[k].get(r, 0)));
        json_object_set_new(o, "slope_bytes_per_s", jsonout_real_or_null(x->slope));
        json_object_set_new(o, "growing", json_boolean(x->growing));
        json_object_set_new(o, "rss_at_100_bytes", jsonout_measured(x->rss_at[ANALYSIS_POINTS - 1]));
        json_object_set_new(o, "worker_rss_at_100_bytes", jsonout_measured(x->worker_rss_at[ANALYSIS_POINTS - 1]));
        json_object_set_new(o, "vsz_lead_s", jsonout_real_or_null(x->vsz_lead_s));
        json_object_set_new(o, "workers_at_once", x->workers_max < 0 ? json_null() : json_integer(x->workers_max));
        json_object_set_new(o, "worker_restarts", x->restarts < 0 ? json_null() : json_integer(x->restarts));
        json_object_set_new(o, "units_total", jsonout_measured(x->units_total));
        json_object_set_new(o, "load_s", x->load_phase ? json_pack("[f, f]", x->load_from_s, x->load_to_s) : json_null());
        return o;
}

struct compare_stat compare_stat_of(const struct compare_sample *runs, int n, getter g, int k)
{
        double off[RUNS_MAX], on[RUNS_MAX];
        struct compare_stat m;
        size_t noff = 0, non = 0;

        memset(&m, 0, sizeof(m));
        if (n > RUNS_MAX)
                n = RUNS_MAX;
        for (int i = 0; i < n; i++) {
                if (!runs[i].analysed)
                        continue;
                double v = g(&runs[i], k);
                if (isnan(v) || v < 0)
                        continue;
                if (runs[i].on)
                        on[non++] = v;
                else
                        off[noff++] = v;
        }
        m.n_off = noff;
        m.n_on = non;
        m.median_off = m.median_on = NAN;
        if (noff > 0)
                stats_median(off, noff, &m.median_off);
        if (non > 0)
                stats_median(on, non, &m.median_on);
        m.ok = noff > 0 && non > 0 && stats_shift(off, noff, on, non, LEVEL, &m.s) == 0;
        return m;
}

/* A difference is claimed when the 95% interval of the shift excludes 0, which is the same as
 * the test's p < 0.05 (stats.h): one rule for the interval, the p-value and the finding. */
int compare_stat_significant(const struct compare_stat *m)
{
        return m->ok && m->s.significant;
}

/* Too few runs for any outcome to show a difference at 95%: the interval is the whole line. */
int compare_stat_too_few(const struct compare_stat *m)
{
        return m->ok && isinf(m->s.ci_low) && isinf(m->s.ci_high);
}

double compare_stat_median(const struct compare_stat *m, int on)
{
        if (m->ok)
                return on ? m->s.median_b : m->s.median_a;
        return on ? m->median_on : m->median_off; /* measured in one mode only, or in none */
}

json_t *compare_stat_json(const struct compare_stat *m, const char *unit)
{
        if (!m->ok) /* measured in one mode only, or in none: the medians there are */
                return json_pack("{s:s, s:o, s:o, s:I, s:I}", "unit", unit,
                                 "off", jsonout_real_or_null(compare_stat_median(m, 0)),
                                 "on", jsonout_real_or_null(compare_stat_median(m, 1)),
                                 "n_off", (json_int_t)m->n_off, "n_on", (json_int_t)m->n_on);
        int sig = compare_stat_significant(m);
        return json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:[o,o], s:[b,b], s:f, s:f, s:b, s:b, s:I, s:I}",
                         "unit", unit,
                         "finding", compare_stat_too_few(m) ? "too few runs for a 95% interval"
                                    : !sig ? "no measurable difference"
                                    : m->s.ci_low >= 0 ? "higher with the JIT" : "lower with the JIT",
                         "off", compare_stat_median(m, 0), "on", compare_stat_median(m, 1),
                         "delta", m->s.delta, "delta_rel", m->s.delta_rel,
                         "shift_hl", m->s.hl,
                         "ci95", jsonout_real_or_null(m->s.ci_low), jsonout_real_or_null(m->s.ci_high),
                         "ci95_closed", m->s.ci_low_closed, m->s.ci_high_closed,
                         "ci_level", m->s.ci_level,
                         "p_value", m->s.p_value,
                         "p_exact", m->s.exact,
                         "significant", sig,
                         "n_off", (json_int_t)m->n_off, "n_on", (json_int_t)m->n_on);
}

/* What the verdict needs of a compared figure. */
static void verdict_figure_of(const struct compare_stat *m, struct verdict_figure *f)
{
        memset(f, 0, sizeof(*f));
        if (!m->ok)
                return;
        f->have = 1;
        f->off = m->s.median_a;
        f->on = m->s.median_b;
        f->shift = m->s.hl;
        f->significant = compare_stat_significant(m);
        f->too_few = compare_stat_too_few(m);
}

/* The median of a figure over the mode's analysed runs (NaN: none), and how many had it. */
static double median_of(const struct compare_sample *runs, int n, int on, getter g, int *ret_count)
{
        double v[RUNS_MAX], m = NAN;
        size_t k = 0;

        for (int i = 0; i < n; i++) {
                if (!runs[i].analysed || runs[i].on != on)
                        continue;
                double x = g(&runs[i], 0);
                if (!isnan(x))
                        v[k++] = x;
        }
        if (k > 0)
                stats_median(v, k, &m);
        if (ret_count)
                *ret_count = (int)k;
        return m;
}

static void growth_of(const struct compare_sample *runs, int n, int on, struct compare_growth *g)
{
        memset(g, 0, sizeof(*g));
        g->slope = median_of(runs, n, on, g_slope, NULL); /* of the runs judged */
        for (int i = 0; i < n; i++)
                if (runs[i].analysed && runs[i].on == on) {
                        g->runs++;
                        g->growing += runs[i].a.growing;
                        g->warmup_ended += runs[i].a.warmup_ended;
                }
        /* The growth class most runs of the mode have (ties: the first in growth.h's order);
         * the shape says the same in fewer words. */
        int best = 0;
        for (int i = 0; i < n; i++)
                if (runs[i].analysed && runs[i].on == on && runs[i].a.growth_class >= 0 && runs[i].a.growth_class < GROWTH_CLASS_MAX)
                        g->votes[runs[i].a.growth_class]++;
        for (int c = 1; c < GROWTH_CLASS_MAX; c++)
                if (g->votes[c] > g->votes[best])
                        best = c;
        g->cls = (enum growth_class)best;
        g->shape = best == GROWTH_STEADY ? "growing" : best == GROWTH_WARMING_UP ? "warming_up"
                   : best == GROWTH_NOT_ENOUGH_DATA ? "not_enough_data" : "plateau";
}

static json_t *growth_json(const struct compare_growth *g)
{
        if (g->runs == 0)
                return json_null();
        json_t *classes = json_object();
        for (int c = 0; c < GROWTH_CLASS_MAX; c++)
                if (g->votes[c])
                        json_object_set_new(classes, growth_class_name((enum growth_class)c), json_integer(g->votes[c]));
        return json_pack("{s:s, s:o, s:i, s:i, s:i, s:s, s:o}", "shape", g->shape, "slope_bytes_per_s",
                         jsonout_real_or_null(g->slope),
                         "runs_growing", g->growing, "runs_warmup_ended", g->warmup_ended, "runs", g->runs,
                         "class", growth_class_name(g->cls), "classes", classes);
}

/* Frameworks known to lean on dynamic attribute resolution. */
static const char *const framework_names[] = { "django", "sqlalchemy", "celery", "odoo", "pydantic", "marshmallow" };
#define N_FRAMEWORKS (sizeof(framework_names) / sizeof(framework_names[0]))
#define SOURCE_MAX 65536 /* of an application module read for its imports */

/* Whether src (NUL-terminated) has a line "import NAME..." or "from NAME..." (NAME a whole
 * module name, its first component). */
static int imports(const char *src, const char *name)
{
        size_t n = strlen(name);

        for (const char *l = src; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
                while (*l == ' ' || *l == '\t')
                        l++;
                const char *m = strncmp(l, "import ", 7) == 0 ? l + 7 : strncmp(l, "from ", 5) == 0 ? l + 5 : NULL;
                if (!m)
                        continue;
                while (*m == ' ')
                        m++;
                if (strncmp(m, name, n) == 0 && (m[n] == '.' || m[n] == ' ' || m[n] == ',' || m[n] == '\n' || m[n] == '\r' || m[n] == '\0'))
                        return 1;
        }
        return 0;
}

/* The file an argument names as Python source: a path ending in .py, or a module (a.b.c, or a
 * WSGI/ASGI application a.b:app) under dir, as a/b/c.py or a/b/c/__init__.py. Anything else
 * (options, other characters, over-long names) names none. Returns 1 with path filled. */
static int source_of(const char *arg, const char *dir, char *path, size_t size)
{
        char mod[256];
        size_t n = strlen(arg), k = 0;
        struct stat st;

        if (n > 4 && strcmp(arg + n - 3, ".py") == 0 && n < size) {
                snprintf(path, size, "%s", arg);
                return stat(path, &st) == 0 && S_ISREG(st.st_mode);
        }
        if (n == 0 || n >= sizeof(mod) || arg[0] == '-' || arg[0] == '.')
                return 0;
        for (; k < n && arg[k] != ':'; k++) {
                char c = arg[k];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.'))
                        return 0;
                mod[k] = c == '.' ? '/' : c;
        }
        mod[k] = '\0';
        if (k == 0 || mod[k - 1] == '/' || strstr(mod, "//"))
                return 0;
        snprintf(path, size, "%s/%s.py", dir, mod);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
                return 1;
        snprintf(path, size, "%s/%s/__init__.py", dir, mod);
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Frameworks found: named on the command line, DJANGO_SETTINGS_MODULE set for it, or imported
 * by the Python source it names (a script, or an application module such as mysite.wsgi, under
 * the working directory or the --chdir/--pythonpath given). Each with where it was found. */
static void detect_frameworks(char *const *argv, const char *workload, char *out, size_t size)
{
        const char *where[N_FRAMEWORKS] = { NULL };
        char src_of[N_FRAMEWORKS][64];
        char *src = malloc(SOURCE_MAX + 1);
        size_t o = 0;

        out[0] = '\0';
        for (size_t k = 0; k < N_FRAMEWORKS; k++)
                for (int i = 0; argv[i] && !where[k]; i++) {
                        char low[512];
                        size_t j;
                        for (j = 0; argv[i][j] && j + 1 < sizeof(low); j++)
                                low[j] = (char)((argv[i][j] >= 'A' && argv[i][j] <= 'Z') ? argv[i][j] + 32 : argv[i][j]);
                        low[j] = '\0';
                        if (strstr(low, framework_names[k]))
                                where[k] = "on the command line";
                }
        if (!where[0] && getenv("DJANGO_SETTINGS_MODULE"))
                where[0] = "DJANGO_SETTINGS_MODULE is set";
        for (int i = 1; src && argv[i]; i++) {
                const char *dirs[3] = { ".", NULL, NULL };
                char path[4200];
                for (int j = 1; argv[j]; j++) /* gunicorn's --chdir, --pythonpath */
                        if ((strcmp(argv[j - 1], "--chdir") == 0 || strcmp(argv[j - 1], "--pythonpath") == 0) && !dirs[1])
                                dirs[1] = argv[j];
                        else if ((strcmp(argv[j - 1], "--chdir") == 0 || strcmp(argv[j - 1], "--pythonpath") == 0) && !dirs[2])
                                dirs[2] = argv[j];
                for (int d = 0; d < 3 && dirs[d]; d++) {
                        if (!source_of(argv[i], dirs[d], path, sizeof(path)))
                                continue;
                        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                        ssize_t got = fd >= 0 ? read(fd, src, SOURCE_MAX) : -1;
                        if (fd >= 0)
                                close(fd);
                        if (got <= 0)
                                continue;
                        src[got] = '\0';
                        for (size_t k = 0; k < N_FRAMEWORKS; k++)
                                if (!where[k] && imports(src, framework_names[k])) {
                                        const char *base = strrchr(argv[i], '/');
                                        snprintf(src_of[k], sizeof(src_of[k]), "imported by %.40s", base ? base + 1 : argv[i]);
                                        where[k] = src_of[k];
                                }
                        break;
                }
        }
        free(src);
        for (size_t k = 0; k < N_FRAMEWORKS; k++) {
                if (!where[k])
                        continue;
                int w = snprintf(out + o, size - o, "%s%s (%s)", o ? ", " : "", framework_names[k], where[k]);
                if (w < 0 || (size_t)w >= size - o) {
                        out[o] = '\0'; /* no room: the names found so far */
                        break;
                }
                o += (size_t)w;
        }
        (void)workload;
}

/* A name compare gives an entry of OUT/runs: NN-on, NN-off, warmup-on, warmup-off, and in a
 * matrix NN-pyK-on, warmup-pyK-off ... (NN: two digits or more). */
static int is_run_name(const char *n)
{
        const char *mode;

        if (!strncmp(n, "warmup-", 7)) {
                mode = n + 7;
        } else {
                size_t d = strspn(n, "0123456789");
                if (d < 2 || n[d] != '-')
                        return 0;
                mode = n + d + 1;
        }
        if (!strncmp(mode, "py", 2)) {
                size_t d = strspn(mode + 2, "0123456789");
                if (d < 1 || mode[2 + d] != '-')
                        return 0;
                mode += 2 + d + 1;
        }
        return !strcmp(mode, "on") || !strcmp(mode, "off");
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/* Prepares OUT: created with its parents (*ret_created: the prefix created, see
 * util_mkdir_p_created()); refused when it holds a comparison already (its
 * comparison.json or a run of one), unless resuming; with force, the earlier comparison's
 * files are removed first (only those: anything else in OUT is left as it is). */
static int prepare_out(const struct compare_options *o, size_t *ret_created, char *err, size_t err_size)
{
        char path[4200], failed[4096] = "", why[8400];
        int r = util_mkdir_p_created(o->out, failed, sizeof(failed), ret_created), held = 0;
        DIR *d;
        struct dirent *e;

        if (r < 0) {
                snprintf(err, err_size, "cannot use %s as the comparison directory: %s", o->out,
                         r == -ENOENT && util_mkdir_enoent_reason(failed, why, sizeof(why)) ? why : util_strerror(r));
                return r;
        }
        snprintf(path, sizeof(path), "%s/comparison.json", o->out);
        held = access(path, F_OK) == 0;
        snprintf(path, sizeof(path), "%s/runs", o->out);
        d = opendir(path);
        while (d && (e = readdir(d)) != NULL) {
                if (!is_run_name(e->d_name))
                        continue;
                held = 1;
                if (o->force && !o->resume) {
                        char sub[4500];
                        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
                        r = nftw(sub, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
                        if (r != 0) {
                                r = errno ? -errno : -EIO;
                                snprintf(err, err_size, "cannot remove the earlier run %s: %s", sub, util_strerror(r));
                                closedir(d);
                                return r;
                        }
                }
        }
        if (d)
                closedir(d);
        if (held && !o->resume && !o->force) {
                snprintf(err, err_size,
                         "%s already holds a comparison: choose another --out, add --resume to reuse its completed runs, "
                         "or --force to replace it",
                         o->out);
                return -EEXIST;
        }
        if (held && o->force && !o->resume) {
                snprintf(path, sizeof(path), "%s/comparison.json", o->out);
                if (unlink(path) < 0 && errno != ENOENT) {
                        r = -errno;
                        snprintf(err, err_size, "cannot remove %s: %s", path, util_strerror(r));
                        return r;
                }
        }
        snprintf(path, sizeof(path), "%s/runs", o->out);
        if (mkdir(path, 0755) < 0 && errno != EEXIST) {
                r = -errno;
                snprintf(err, err_size, "cannot use %s as the comparison directory: %s", o->out, util_strerror(r));
                return r;
        }
        return 0;
}

/* A comparison under way: the options, the runs and what is computed from them. */
struct experiment {
        const struct compare_options *o;
        char *err;
        size_t err_size;
        struct compare_sample *runs;    /* cap of them: the first done completed */
        struct run_place *place;        /* where each is kept */
        int cap;                        /* the most runs the comparison may make */
        int total;                      /* runs planned (grows with --max-runs) */
        int attempted, done;            /* runs started, runs completed */
        int interrupted;
        double units;                   /* equal work: the smallest total any run served (< 0: none) */
        int anon_pagemap;               /* every run counted its anonymous memory from the page tables */
        struct verdict_inputs in;
        struct compare_result *res;     /* what is computed from the runs */
        size_t out_created;             /* OUT's prefix that this comparison created (0: none) */
        struct cell cells[2 * COMPARE_INTERP_MAX]; /* what a round runs, in its order */
        int ncells;
        int modes;                      /* modes per interpreter: 2, or 1 for one without a JIT in a matrix */
        int borrowed;                   /* a view of one interpreter of a matrix: place[]'s summaries
                                         * are the matrix's */
};

static int is_matrix(const struct compare_options *o)
{
        return o->n_interp > 1;
}

/* Run i's cell: rounds of every cell, every other round in reverse (off on, on off, off on ...;
 * with several interpreters A-off A-on B-off B-on, B-on B-off A-on A-off ...), so that drift
 * hits every cell alike. */
static const struct cell *cell_at(const struct experiment *x, int i)
{
        int round = i / x->ncells, pos = i % x->ncells;

        return &x->cells[round % 2 ? x->ncells - 1 - pos : pos];
}

static char *const *argv_of(const struct compare_options *o, int interp)
{
        return is_matrix(o) ? o->interp[interp].argv : o->argv;
}

/* "JIT on", or in a matrix "3.15.0rc1, JIT on". */
static const char *cell_name(const struct compare_options *o, const struct cell *c, char *buf, size_t size)
{
        snprintf(buf, size, "%s%sJIT %s", is_matrix(o) ? o->interp[c->interp].label : "", is_matrix(o) ? ", " : "",
                 c->on ? "on" : "off");
        return buf;
}

/* A run's directory name below OUT/runs (number: from 1; 0 a warm-up run). */
static void run_dir(const struct compare_options *o, int number, const struct cell *c, char *buf, size_t size)
{
        char num[16], py[16] = "";

        if (number > 0)
                snprintf(num, sizeof(num), "%02d", number);
        else
                snprintf(num, sizeof(num), "warmup");
        if (is_matrix(o))
                snprintf(py, sizeof(py), "py%d-", c->interp + 1);
        snprintf(buf, size, "%s/runs/%s-%s%s", o->out, num, py, c->on ? "on" : "off");
}

/* Checks the plan, prepares OUT and allocates the runs. Returns 0, or -errno with err set
 * (nothing to close then). */
static int experiment_open(struct experiment *x, const struct compare_options *o, char *err, size_t err_size)
{
        int max_runs = o->max_runs > o->runs ? o->max_runs : o->runs;
        int r;

        memset(x, 0, sizeof(*x));
        x->o = o;
        x->err = err;
        x->err_size = err_size;
        x->modes = 2;
        if (o->runs < 1 || o->runs > RUNS_MAX / 2 || max_runs > RUNS_MAX / 2) {
                snprintf(err, err_size, "--runs must be between 1 and %d", RUNS_MAX / 2);
                return -EINVAL;
        }
        if (o->n_interp > COMPARE_INTERP_MAX || (is_matrix(o) && max_runs > o->runs)) {
                snprintf(err, err_size, o->n_interp > COMPARE_INTERP_MAX ? "at most %d interpreters in one comparison"
                                                                         : "adaptive runs (--max-runs) take one interpreter",
                         COMPARE_INTERP_MAX);
                return -EINVAL;
        }
        for (int k = 0; k < (is_matrix(o) ? o->n_interp : 1); k++)
                for (int on = 0; on <= (is_matrix(o) ? o->interp[k].jit : 1); on++)
                        x->cells[x->ncells++] = (struct cell){ k, on };
        x->total = x->ncells * o->runs;
        x->cap = x->ncells * max_runs;
        r = prepare_out(o, &x->out_created, err, err_size);
        if (r < 0)
                return r;
        x->runs = calloc((size_t)x->cap, sizeof(*x->runs));
        x->place = calloc((size_t)x->cap, sizeof(*x->place));
        x->res = calloc(1, sizeof(*x->res));
        if (!x->runs || !x->place || !x->res) {
                free(x->runs);
                free(x->place);
                free(x->res);
                snprintf(err, err_size, "out of memory");
                return -ENOMEM;
        }
        return 0;
}

static void experiment_close(struct experiment *x)
{
        if (x->place && !x->borrowed)
                for (int i = 0; i < x->cap; i++)
                        runfile_summary_free(&x->place[i].summary);
        free(x->place);
        free(x->runs);
        compare_result_free(x->res);
}

void compare_result_free(struct compare_result *r)
{
        if (!r)
                return;
        for (int k = 0; k < r->n_interp; k++)
                compare_result_free(r->interp[k]);
        free(r->between);
        json_decref(r->json);
        free(r);
}

/* Warm-up runs: not counted, they only take the first-run costs (page cache, .pyc). */
static int run_warmups(struct experiment *x)
{
        const struct compare_options *o = x->o;

        if (!o->warmup || o->resume)
                return 0;
        for (int c = 0; c < x->ncells; c++) {
                const struct cell *cell = &x->cells[c];
                json_t *s = NULL;
                char dir[4200], name[96];
                int intr = 0, r;
                run_dir(o, 0, cell, dir, sizeof(dir));
                status(o, "warm-up run, %s (not counted)", cell_name(o, cell, name, sizeof(name)));
                r = do_one(o, argv_of(o, cell->interp), dir, cell->on, &s, x->err, x->err_size, &intr);
                json_decref(s);
                if (r < 0) {
                        x->interrupted = intr;
                        return r;
                }
        }
        return 0;
}

/* A completed run's figures: its analysis, and the CPU per unit of work beside it. */
static void analyse_run(struct compare_sample *s, const struct run_place *p)
{
        struct runfile_series ser;
        struct runfile_procs pr;

        if (runfile_read(p->dir, &ser, &pr) == 0) {
                s->analysed = analysis_of(&ser, &pr, &p->summary, &s->a) == 0;
                runfile_series_free(&ser);
                runfile_procs_free(&pr);
        }
        /* per request served with --http (the requests completed are the run's progress) */
        s->cpu_per_unit = s->analysed && p->summary.units > 0 ? s->a.cpu_s / p->summary.units : -1;
        s->measurement_failed = p->summary.measurement_failed;
}

/* The completed runs whose measurement failed, counted and named in the result. */
static void mark_failed_runs(struct experiment *x)
{
        struct compare_result *res = x->res;
        size_t len = 0;

        res->measurement_failed = 0;
        res->measurement_failed_runs[0] = '\0';
        for (int i = 0; i < x->done; i++) {
                if (!x->runs[i].measurement_failed)
                        continue;
                res->measurement_failed++;
                char one[48];
                const char *base = strrchr(x->place[i].dir, '/');
                /* the run's number, as its directory has it */
                int n = snprintf(one, sizeof(one), "%s%d (JIT %s)", len ? ", " : "", base ? atoi(base + 1) : i + 1,
                                 x->runs[i].on ? "on" : "off");
                if (len + (size_t)n + 4 < sizeof(res->measurement_failed_runs)) {
                        memcpy(res->measurement_failed_runs + len, one, (size_t)n + 1);
                        len += (size_t)n;
                } else if (len + 4 < sizeof(res->measurement_failed_runs)) {
                        memcpy(res->measurement_failed_runs + len, ", ...", 6 < sizeof(res->measurement_failed_runs) - len ? 6 : 1);
                        len = sizeof(res->measurement_failed_runs);
                }
        }
}

/* Run i of the comparison (or, resuming, the one already done), analysed. Returns 0, or the
 * failed run's -errno with err set. */
static int run_next(struct experiment *x, int i)
{
        const struct compare_options *o = x->o;
        struct compare_sample *s = &x->runs[i];
        struct run_place *p = &x->place[i];
        const struct cell *c = cell_at(x, i);
        char mode[96];

        s->on = c->on;
        s->interp = c->interp;
        cell_name(o, c, mode, sizeof(mode));
        run_dir(o, i + 1, c, p->dir, sizeof(p->dir));
        x->attempted++;
        if (o->resume && (p->have_summary = completed(p->dir, &p->summary))) {
                status(o, "run %d of %d, %s: already done", i + 1, x->total, mode);
        } else {
                int intr = 0, r;
                status(o, "run %d of %d, %s", i + 1, x->total, mode);
                json_t *sum = NULL;
                r = do_one(o, argv_of(o, c->interp), p->dir, s->on, &sum, x->err, x->err_size, &intr);
                if (r < 0) {
                        x->interrupted = intr;
                        return r;
                }
                r = runfile_summary_of(sum, &p->summary);
                json_decref(sum);
                if (r < 0) {
                        snprintf(x->err, x->err_size, "out of memory");
                        return r;
                }
                p->have_summary = 1;
        }
        analyse_run(s, p);
        if (s->measurement_failed)
                status(o, "run %d of %d, %s: MEASUREMENT FAILED (the JIT trace disagrees with /proc or could not be read: %s/summary.json)",
                       i + 1, x->total, mode, p->dir);
        return 0;
}

/* Adaptive stopping: after the planned runs, a pair more (one per mode, in the same
 * interleaving) while the memory interval is wider than asked. */
static void extend_if_wide(struct experiment *x)
{
        const struct compare_options *o = x->o;

        if (is_matrix(o) || x->done != x->total || x->total >= x->cap || x->done % 2 != 0)
                return;
        struct compare_stat m = compare_stat_of(x->runs, x->done, compare_metrics[COMPARE_PEAK_PSS].get, 0);
        if (!m.ok)
                m = compare_stat_of(x->runs, x->done, compare_metrics[COMPARE_PEAK_RSS].get, 0);
        double width = m.ok && m.s.median_a > 0 ? (m.s.ci_high - m.s.ci_low) / 2 / m.s.median_a : INFINITY;
        if (m.ok && width <= o->target_width)
                return;
        if (isfinite(width))
                status(o, "the 95%% interval of peak memory is %.2f%% wide (target %.2f%%): two more runs",
                       100 * width, 100 * o->target_width);
        else
                status(o, "no 95%% interval of peak memory yet (too few runs): two more runs");
        x->total += 2;
}

/* The runs, interleaved, until all are done, one fails or a stop is asked for between two.
 * Returns 0, or the failed run's -errno. */
static int run_planned(struct experiment *x)
{
        int r = 0;

        for (int i = 0; i < x->total; i++) {
                if (x->o->stop && *x->o->stop) {
                        x->interrupted = 1; /* between two runs */
                        break;
                }
                r = run_next(x, i);
                if (r < 0)
                        break;
                x->done++;
                extend_if_wide(x);
        }
        return r;
}

/* Equal work across runs: the points at 25..100% of the smallest total any run served (each
 * run's own total would compare 2,728 requests with 6,000). The runs that served more are
 * analysed again at that total. */
static void align_equal_work(struct experiment *x)
{
        double units = INFINITY;
        int all_progress = 0;

        for (int i = 0; i < x->done; i++)
                if (x->runs[i].analysed) {
                        all_progress = x->runs[i].a.by_progress;
                        if (!all_progress)
                                break;
                        units = fmin(units, x->runs[i].a.units_total);
                }
        if (!(all_progress && isfinite(units) && units > 0)) {
                x->units = -1;
                return;
        }
        x->units = units;
        for (int i = 0; i < x->done; i++) {
                struct compare_sample *s = &x->runs[i];
                struct runfile_series ser;
                struct runfile_procs pr;
                if (!s->analysed || s->a.units_total <= units)
                        continue;
                if (runfile_read(x->place[i].dir, &ser, &pr) == 0) {
                        s->analysed = analysis_of_at(&ser, &pr, &x->place[i].summary, units, &s->a) == 0;
                        runfile_series_free(&ser);
                        runfile_procs_free(&pr);
                }
        }
}

/* The tree's anonymous memory is counted one way in every run: from the page tables when all
 * of them read them, else by Pss_Anon in all. */
static void count_anon_one_way(struct experiment *x)
{
        int n_pagemap = 0, n_analysed = 0;

        for (int i = 0; i < x->done; i++)
                if (x->runs[i].analysed) {
                        n_analysed++;
                        n_pagemap += x->runs[i].a.anon_pagemap;
                }
        x->anon_pagemap = n_analysed > 0 && n_pagemap == n_analysed;
        if (x->anon_pagemap)
                return;
        for (int i = 0; i < x->done; i++) {
                struct analysis *a = &x->runs[i].a;
                a->anon_pagemap = 0;
                a->peak_anon = a->peak_anon_pss;
                memcpy(a->anon_at, a->anon_pss_at, sizeof(a->anon_at));
        }
}

/* Statistics: every figure of compare_metrics compared once, and memory at equal work done (or equal
 * time) at each equivalent point. */
static void compute_statistics(struct experiment *x)
{
        struct compare_result *res = x->res;
        int by_progress = 1;

        for (int k = 0; k < COMPARE_METRIC_MAX; k++)
                res->metrics[k] = compare_stat_of(x->runs, x->done, compare_metrics[k].get, 0);
        for (int i = 0; i < x->done; i++)
                if (x->runs[i].analysed && !x->runs[i].a.by_progress)
                        by_progress = 0;
        res->basis = by_progress ? (x->o->http ? "requests" : "work") : "time";
        for (int k = 0; k < ANALYSIS_POINTS; k++) {
                struct compare_point *pt = &res->points[k];
                pt->percent = 25 * (k + 1);
                pt->units = by_progress && x->units > 0 ? x->units * (k + 1) / ANALYSIS_POINTS : -1;
                for (int f = 0; f < COMPARE_AT_MAX; f++)
                        pt->fig[f] = compare_stat_of(x->runs, x->done, compare_point_figures[f].get, k);
        }
}

/* The memory limit: --limit, else the cgroup's, if any. */
static void find_limit(const struct compare_options *o, struct verdict_inputs *in)
{
        struct cgroup_info cg;

        if (o->have_limit) {
                in->have_limit = 1;
                in->limit_bytes = (double)o->limit_bytes;
        } else if (cgroup_detect(0, &cg) == 0 && (cg.have & CGROUP_HAVE_LIMIT) && cg.limit_bytes != CGROUP_NO_LIMIT) {
                in->have_limit = 1;
                in->limit_bytes = (double)cg.limit_bytes;
        }
}

/* Warm-up and restarts with the JIT on: the warm-up each worker restart pays again, every
 * --restart-every or as often as the runs restarted workers. */
static void find_warmup_and_restarts(struct experiment *x)
{
        struct verdict_inputs *in = &x->in;
        const struct compare_sample *runs = x->runs;
        int ended = 0, on_runs = 0, n_workers_on = 0, n_restarts_on = 0;

        in->warmup_s = median_of(runs, x->done, 1, g_warm, &on_runs);
        for (int i = 0; i < x->done; i++)
                if (runs[i].analysed && runs[i].on)
                        ended += runs[i].a.warmup_ended;
        in->have_warmup = on_runs > 0 && ended * 2 > on_runs;
        in->have_restart = x->o->restart_ns > 0;
        in->restart_s = (double)x->o->restart_ns / 1e9;
        double workers_on = median_of(runs, x->done, 1, g_workers_max, &n_workers_on);
        double restarts_on = median_of(runs, x->done, 1, g_restarts, &n_restarts_on);
        if (!in->have_restart && n_restarts_on > 0 && restarts_on > 0 && workers_on > 0) {
                /* each worker restarted every (workers x run time) / restarts, as the runs went */
                in->have_restart = in->restart_observed = 1;
                in->restart_s = workers_on * median_of(runs, x->done, 1, g_wall, NULL) / restarts_on;
        }
}

/* The verdict; none for a control (an interpreter without JIT machine code). */
static void decide(struct experiment *x)
{
        const struct compare_options *o = x->o;
        struct verdict_inputs *in = &x->in;
        struct compare_result *res = x->res;
        const struct compare_stat *peak_pss = &res->metrics[COMPARE_PEAK_PSS], *peak_rss = &res->metrics[COMPARE_PEAK_RSS];

        res->control = o->python && o->python->build != PY_JIT_BUILT_ON && o->python->build != PY_JIT_BUILT_OFF;
        memset(in, 0, sizeof(*in));
        in->workers = o->workers > 0 ? o->workers : 1;
        find_limit(o, in);
        const struct compare_stat *mem = peak_pss->ok ? peak_pss : peak_rss;
        in->memory_figure = peak_pss->ok ? "PSS" : "RSS";
        verdict_figure_of(mem, &in->memory);
        /* The JIT's cost is judged on what the tree itself holds: its anonymous memory counted
         * once (from the page tables, else the sum of Pss_Anon), which processes outside the
         * tree do not move; PSS also divides the interpreter's and libraries' file pages among
         * whoever maps them. */
        if (res->metrics[COMPARE_PEAK_ANON].ok && peak_pss->ok) {
                verdict_figure_of(&res->metrics[COMPARE_PEAK_ANON], &in->cost);
                in->cost_figure = "anonymous memory";
        }
        in->runs = (int)(mem->n_off < mem->n_on ? mem->n_off : mem->n_on);
        verdict_figure_of(&res->metrics[COMPARE_THROUGHPUT], &in->throughput);
        verdict_figure_of(&res->metrics[COMPARE_WALL], &in->wall);
        verdict_figure_of(&res->metrics[COMPARE_CPU_PER_UNIT], &in->cpu_per_unit);
        verdict_figure_of(&res->metrics[COMPARE_LATENCY_P50], &in->latency);
        in->open_model = o->http && o->http->rate > 0; /* throughput is the rate asked for */
        in->control = res->control;
        in->control_build = o->python ? python_jit_build_key(o->python->build) : NULL;
        find_warmup_and_restarts(x);
        detect_frameworks(o->argv, o->workload, in->frameworks, sizeof(in->frameworks));
        verdict_decide(in, &o->thresholds, &res->verdict);
        res->have_limit = in->have_limit;
        res->limit_bytes = in->limit_bytes;
        res->memory_figure = in->memory_figure;
        res->cost_figure = in->cost.have ? (x->anon_pagemap ? "anon_pagemap" : "anon_pss") : in->memory_figure;
        res->anon_method = in->cost.have ? (x->anon_pagemap ? "pagemap" : "pss_anon") : NULL;
}

/* Per mode: warm-up, growth, VSZ's lead over RSS, workers and restarts. */
static void describe_modes(struct experiment *x)
{
        const struct compare_sample *runs = x->runs;
        struct compare_result *res = x->res;

        for (int on = 0; on <= 1; on++) {
                int n_lead = 0, nw = 0, total_restarts = 0;
                res->warmup_end_s[on] = median_of(runs, x->done, on, g_warm, NULL);
                growth_of(runs, x->done, on, &res->growth[on]);
                res->vsz_lead_s[on] = median_of(runs, x->done, on, g_lead, &n_lead);
                res->have_lead[on] = n_lead > 0;
                double wmax = median_of(runs, x->done, on, g_workers_max, &nw);
                for (int i = 0; i < x->done; i++)
                        if (runs[i].analysed && runs[i].on == on && runs[i].a.restarts > 0)
                                total_restarts += runs[i].a.restarts;
                struct compare_workers *w = &res->workers[on];
                w->have = !(nw == 0 || wmax <= 0);
                w->at_once = wmax;
                w->restarts_total = total_restarts;
                w->restarts_per_run = median_of(runs, x->done, on, g_restarts, NULL);
        }
}

/* Who else maps the tree's pages. Pages of files the tree maps (the interpreter, libraries) are
 * divided, in PSS, among every process that maps them, inside the tree or out: their share
 * moving from run to run says other processes came and went. The verdict's cost is the
 * anonymous memory, which they do not move. Anonymous pages of the tree that processes outside
 * it mapped too (a parent the command was forked from, KSM) are counted once in the cost all
 * the same. */
static void find_sharers(struct experiment *x)
{
        struct compare_result *res = x->res;
        double lo = INFINITY, hi = -INFINITY, fv[RUNS_MAX * 2], med = -1;
        int n = 0;

        for (int i = 0; i < x->done; i++) {
                const struct analysis *a = &x->runs[i].a;
                int k = ANALYSIS_POINTS - 1;
                if (!x->runs[i].analysed || a->pss_at[k] < 0 || a->anon_pss_at[k] < 0)
                        continue;
                fv[n] = a->pss_at[k] - a->anon_pss_at[k];
                lo = fmin(lo, fv[n]);
                hi = fmax(hi, fv[n]);
                n++;
        }
        if (n > 0)
                stats_median(fv, (size_t)n, &med);
        res->file_pss_runs = n;
        res->file_pss_min = lo;
        res->file_pss_max = hi;
        res->file_pss_median = med;
        res->outside_sharers_changed = n >= 2 && hi - lo > fmax(1024.0 * 1024.0, 0.05 * med);
        res->anon_outside_max = -1;
        res->anon_outside_runs = 0;
        for (int i = 0; x->anon_pagemap && i < x->done; i++)
                if (x->runs[i].analysed && x->runs[i].a.peak_anon_outside >= 0) {
                        res->anon_outside_max = fmax(res->anon_outside_max, x->runs[i].a.peak_anon_outside);
                        res->anon_outside_runs += x->runs[i].a.peak_anon_outside > 0;
                }
}

/* When the run in dir started: its meta.json's "started_at" (read up to META_MAX bytes), or null. */
#define META_MAX (1 << 20)
static json_t *run_started_at(const char *dir)
{
        char path[4096 + 16];
        json_t *meta, *at = NULL;
        char *buf;
        ssize_t n;
        int fd;

        snprintf(path, sizeof(path), "%s/meta.json", dir);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return json_null();
        buf = malloc(META_MAX);
        n = buf ? read(fd, buf, META_MAX) : -1;
        close(fd);
        meta = n > 0 && n < META_MAX ? json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;
        free(buf);
        if (json_is_string(json_object_get(meta, "started_at")))
                at = json_copy(json_object_get(meta, "started_at"));
        json_decref(meta);
        return at ? at : json_null();
}

/* Every completed run, as it was analysed; figures it did not measure are null. */
static json_t *runs_json(const struct experiment *x)
{
        json_t *a = json_array();

        for (int i = 0; i < x->done; i++) {
                const struct compare_sample *s = &x->runs[i];
                json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:b, s:b, s:o}", "mode", s->on ? "on" : "off", "dir",
                                                   jsonout_text(x->place[i].dir), "started_at", run_started_at(x->place[i].dir),
                                                   "analysed", s->analysed, "measurement_failed",
                                                   s->measurement_failed, "figures", s->analysed ? run_figures(s) : json_null()));
        }
        return a;
}

static json_t *metrics_json(const struct compare_result *res)
{
        json_t *mj = json_object();

        for (int k = 0; k < COMPARE_METRIC_MAX; k++)
                json_object_set_new(mj, compare_metrics[k].name, compare_stat_json(&res->metrics[k], compare_metrics[k].unit));
        return mj;
}

static json_t *points_json(const struct compare_result *res)
{
        json_t *eq = json_array();

        for (int k = 0; k < ANALYSIS_POINTS; k++) {
                const struct compare_point *p = &res->points[k];
                json_t *pt = json_pack("{s:i, s:s, s:o}", "percent", p->percent, "basis", res->basis, "units",
                                       p->units > 0 ? json_real(p->units) : json_null());
                for (int f = 0; f < COMPARE_AT_MAX; f++)
                        json_object_set_new(pt, compare_point_figures[f].name, compare_stat_json(&p->fig[f], "bytes"));
                json_array_append_new(eq, pt);
        }
        return eq;
}

static json_t *mode_workers_json(const struct compare_workers *w)
{
        if (!w->have)
                return json_null();
        return json_pack("{s:f, s:i, s:f}", "workers_at_once", w->at_once, "restarts_in_all_runs", w->restarts_total,
                         "restarts_per_run", w->restarts_per_run);
}

/* The order the runs were started in: off, on, on, off ... */
static json_t *order_json(const struct experiment *x)
{
        json_t *order = json_array();

        for (int i = 0; i < x->attempted; i++)
                json_array_append_new(order, json_string(x->runs[i].on ? "on" : "off"));
        return order;
}

static json_t *command_json(char *const *argv)
{
        json_t *cmd = json_array();

        for (int i = 0; cmd && argv[i]; i++) {
                if (json_array_append_new(cmd, jsonout_text(argv[i])) < 0) {
                        json_decref(cmd);
                        return NULL;
                }
        }
        return cmd;
}

/* comparison.json (docs/compare.md), or NULL when it cannot be made (out of memory). */
static json_t *comparison_json(const struct experiment *x)
{
        const struct compare_options *o = x->o;
        const struct compare_result *res = x->res;
        json_t *c;

        c = json_pack("{s:b, s:s, s:s, s:b, s:o, s:o, s:o, s:i, s:i, s:o, s:o, s:o, s:o, s:{s:o, s:o}, s:{s:o, s:o}, s:{s:o, s:o}, s:o, s:o, s:s, s:{s:o, s:o}}",
                      "control", res->control,
                      "schema", COMPARE_SCHEMA,
                      "jitmem_version", JITMEM_VERSION,
                      "complete", res->complete,
                      "python", o->python ? jsonout_python(o->python) : json_null(),
                      "command", command_json(o->argv),
                      "workload", jsonout_text(o->workload),
                      "runs_per_mode", res->runs_completed / x->modes,
                      "runs_completed", res->runs_completed,
                      "order", order_json(x),
                      "runs", runs_json(x),
                      "metrics", metrics_json(res),
                      "equivalent_points", points_json(res),
                      "warmup_end_s", "off", jsonout_real_or_null(res->warmup_end_s[0]),
                      "on", jsonout_real_or_null(res->warmup_end_s[1]),
                      "growth", "off", growth_json(&res->growth[0]), "on", growth_json(&res->growth[1]),
                      "vsz_leads_rss_s", "off", res->have_lead[0] ? json_real(res->vsz_lead_s[0]) : json_null(),
                      "on", res->have_lead[1] ? json_real(res->vsz_lead_s[1]) : json_null(),
                      "limit_bytes", res->have_limit ? json_real(res->limit_bytes) : json_null(),
                      "verdict", verdict_json(&res->verdict),
                      "memory_figure", res->memory_figure,
                      "workers", "off", mode_workers_json(&res->workers[0]), "on", mode_workers_json(&res->workers[1]));
        if (!c)
                return NULL;
        json_object_set_new(c, "file_pss", res->file_pss_runs < 2 ? json_null()
                            : json_pack("{s:f, s:f, s:f, s:b}", "min_bytes", res->file_pss_min, "max_bytes",
                                        res->file_pss_max, "median_bytes", res->file_pss_median,
                                        "outside_sharers_changed", res->outside_sharers_changed));
        json_object_set_new(c, "cost_figure", json_string(res->cost_figure));
        json_object_set_new(c, "anon_method", res->anon_method ? json_string(res->anon_method) : json_null());
        json_object_set_new(c, "anon_outside", res->anon_outside_max < 0 ? json_null()
                            : json_pack("{s:f, s:i}", "max_bytes", res->anon_outside_max, "runs", res->anon_outside_runs));
        json_object_set_new(c, "runs_measurement_failed", json_integer(res->measurement_failed));
        return c;
}

/* Writes OUT/comparison.json. Returns r, or when r is 0 the write's -errno (err set). */
static int write_comparison(struct experiment *x, json_t *c, int r)
{
        int dfd = open(x->o->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int w = dfd < 0 ? -errno : jsonout_write_atomic(dfd, "comparison.json", c);

        if (dfd >= 0)
                close(dfd);
        if (w < 0 && r == 0) {
                r = w;
                snprintf(x->err, x->err_size, "cannot write %s/comparison.json: %s", x->o->out, util_strerror(w));
        }
        return r;
}

/* The comparison's outcome: r, -EIO when runs are missing, -EINTR (err saying how to resume)
 * when interrupted. */
static int outcome(struct experiment *x, int r)
{
        if (x->done < x->total && r == 0)
                r = -EIO;
        if (x->done < x->total && x->interrupted) {
                r = -EINTR;
                snprintf(x->err, x->err_size,
                         "interrupted after %d of %d runs; the completed runs are kept in %s/runs: add --resume to the same command to go on",
                         x->done, x->total, x->o->out);
        }
        return r;
}

/* A comparison that failed before any run recorded anything (a full file system at the start),
 * in a directory it created: the directories are removed again when they are empty (a run
 * that failed removes its own), and the error says so. */
static void remove_unrecorded(struct experiment *x)
{
        const struct compare_options *o = x->o;
        char path[4200], *run_said;
        size_t len;

        if (x->out_created == 0 || x->done > 0)
                return;
        snprintf(path, sizeof(path), "%s/runs", o->out);
        rmdir(path);
        if (util_rmdir_created(o->out, x->out_created) < 0)
                return;
        run_said = strstr(x->err, " (nothing was recorded: "); /* the run's own: the comparison's says it all */
        if (run_said)
                *run_said = '\0';
        len = strlen(x->err);
        if (len + 1 < x->err_size)
                snprintf(x->err + len, x->err_size - len, " (nothing was recorded: %s, which jitmem had created, was removed)",
                         o->out);
}


/* One interpreter of a matrix as a comparison of its own: its runs (copies; the places' summaries
 * stay the matrix's), its options (vo: its command and interpreter), the matrix's equal work
 * and way of counting anonymous memory. Returns 0 or -ENOMEM (v closed). */
static int view_open(struct experiment *v, struct compare_options *vo, const struct experiment *x, int k)
{
        const struct compare_interp *in = &x->o->interp[k];

        *vo = *x->o;
        vo->argv = in->argv;
        vo->python = in->python;
        vo->interp = NULL;
        vo->n_interp = 0;
        memset(v, 0, sizeof(*v));
        v->o = vo;
        v->err = x->err;
        v->err_size = x->err_size;
        v->borrowed = 1;
        v->modes = in->jit ? 2 : 1;
        v->total = v->modes * x->o->runs;
        v->units = x->units;
        v->anon_pagemap = x->anon_pagemap;
        v->runs = calloc((size_t)x->attempted + 1, sizeof(*v->runs));
        v->place = calloc((size_t)x->attempted + 1, sizeof(*v->place));
        v->res = calloc(1, sizeof(*v->res));
        if (!v->runs || !v->place || !v->res) {
                experiment_close(v);
                return -ENOMEM;
        }
        for (int i = 0; i < x->attempted; i++) {
                if (x->runs[i].interp != k)
                        continue;
                v->runs[v->attempted] = x->runs[i];
                v->place[v->attempted] = x->place[i];
                v->attempted++;
                v->done += i < x->done;
        }
        v->cap = v->attempted;
        return 0;
}

/* One interpreter's comparison of its own runs, as a comparison of one interpreter computes it
 * (the matrix has aligned the work and chosen how anonymous memory is counted): its result,
 * its comparison.json in res->json. */
static int view_compute(struct experiment *v)
{
        struct compare_result *res = v->res;

        res->complete = v->done == v->total;
        res->runs_completed = v->done;
        mark_failed_runs(v);
        compute_statistics(v);
        decide(v);
        describe_modes(v);
        find_sharers(v);
        res->json = comparison_json(v);
        return res->json ? 0 : -ENOMEM;
}

/* The difference between interpreters base and other in one mode: base's runs as "off",
 * other's as "on". Returns 0, or -ENOENT when either has no run in that mode. */
static int between_of(const struct experiment *x, int base, int other, int on, struct compare_between *b)
{
        struct compare_sample *s = calloc((size_t)x->done + 1, sizeof(*s));
        int n = 0, nb = 0, no = 0;

        if (!s)
                return -ENOMEM;
        for (int i = 0; i < x->done; i++) {
                const struct compare_sample *r = &x->runs[i];
                if (r->on != on || (r->interp != base && r->interp != other))
                        continue;
                s[n] = *r;
                s[n].on = r->interp == other;
                nb += !s[n].on;
                no += s[n].on;
                n++;
        }
        memset(b, 0, sizeof(*b));
        b->base = base;
        b->other = other;
        b->on = on;
        if (nb > 0 && no > 0)
                for (int k = 0; k < COMPARE_METRIC_MAX; k++)
                        b->metrics[k] = compare_stat_of(s, n, compare_metrics[k].get, 0);
        free(s);
        return nb > 0 && no > 0 ? 0 : -ENOENT;
}

/* A figure of one interpreter against another, as comparison.json's "between" has it: the keys
 * of compare_stat_json, "off" and "on" named "base" and "other", and its finding in those words. */
static json_t *between_stat_json(const struct compare_stat *m, const char *unit)
{
        json_t *j = compare_stat_json(m, unit);
        static const char *const names[][2] = { { "off", "base" }, { "on", "other" }, { "n_off", "n_base" }, { "n_on", "n_other" } };

        if (!j)
                return NULL;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                json_t *v = json_object_get(j, names[i][0]);
                if (v) {
                        json_object_set(j, names[i][1], v);
                        json_object_del(j, names[i][0]);
                }
        }
        if (m->ok && compare_stat_significant(m) && !compare_stat_too_few(m))
                json_object_set_new(j, "finding", json_string(m->s.ci_low >= 0 ? "higher with the other" : "lower with the other"));
        return j;
}

/* comparison.json of a matrix (jitmem.compare/2, docs/schemas.md): each interpreter's own
 * comparison, the medians of every cell and the differences between interpreters. */
static json_t *matrix_json(const struct experiment *x)
{
        const struct compare_options *o = x->o;
        const struct compare_result *res = x->res;
        json_t *interps = json_array(), *cells = json_array(), *between = json_array(), *order = json_array();

        for (int i = 0; i < x->attempted; i++) {
                char name[32];
                snprintf(name, sizeof(name), "py%d/%s", x->runs[i].interp + 1, x->runs[i].on ? "on" : "off");
                json_array_append_new(order, json_string(name));
        }
        for (int k = 0; k < res->n_interp; k++) {
                const struct compare_interp *in = &o->interp[k];
                const struct compare_result *r = res->interp[k];
                json_array_append_new(interps, json_pack("{s:o, s:o, s:b, s:o, s:O}", "label", jsonout_text(in->label), "python",
                                                         jsonout_python(in->python), "jit", in->jit, "modes",
                                                         in->jit ? json_pack("[s, s]", "off", "on") : json_pack("[s]", "off"),
                                                         "comparison", r->json));
                for (int on = 0; on <= in->jit; on++) {
                        json_t *fig = json_object();
                        int n = 0;
                        for (int i = 0; i < x->done; i++)
                                n += x->runs[i].interp == k && x->runs[i].on == on && x->runs[i].analysed;
                        for (int m = 0; m < COMPARE_METRIC_MAX; m++)
                                json_object_set_new(fig, compare_metrics[m].name,
                                                    jsonout_real_or_null(compare_stat_median(&r->metrics[m], on)));
                        json_array_append_new(cells, json_pack("{s:i, s:s, s:i, s:o}", "interpreter", k, "mode", on ? "on" : "off",
                                                               "runs", n, "figures", fig));
                }
        }
        for (int b = 0; b < res->n_between; b++) {
                const struct compare_between *d = &res->between[b];
                json_t *mj = json_object();
                for (int m = 0; m < COMPARE_METRIC_MAX; m++)
                        json_object_set_new(mj, compare_metrics[m].name, between_stat_json(&d->metrics[m], compare_metrics[m].unit));
                json_array_append_new(between, json_pack("{s:i, s:i, s:s, s:o}", "base", d->base, "other", d->other, "mode",
                                                         d->on ? "on" : "off", "metrics", mj));
        }
        return json_pack("{s:s, s:s, s:b, s:o, s:o, s:i, s:i, s:o, s:o, s:o, s:o}",
                         "schema", COMPARE_MATRIX_SCHEMA,
                         "jitmem_version", JITMEM_VERSION,
                         "complete", res->complete,
                         "command", command_json(o->argv),
                         "workload", jsonout_text(o->workload),
                         "runs_per_cell", o->runs,
                         "runs_completed", res->runs_completed,
                         "order", order,
                         "interpreters", interps,
                         "matrix", cells,
                         "between", between);
}

/* What a matrix found: the work aligned and anonymous memory counted one way over every run,
 * then each interpreter's comparison of its own runs, and every interpreter against the first,
 * per mode. Returns 0 or -ENOMEM. */
static int matrix_compute(struct experiment *x)
{
        const struct compare_options *o = x->o;
        struct compare_result *res = x->res;

        align_equal_work(x);
        count_anon_one_way(x);
        res->n_interp = o->n_interp;
        for (int k = 0; k < o->n_interp; k++) {
                struct experiment v;
                struct compare_options vo;
                int r = view_open(&v, &vo, x, k);
                if (r == 0)
                        r = view_compute(&v);
                if (r == 0) {
                        res->interp[k] = v.res;
                        v.res = NULL;
                }
                experiment_close(&v);
                if (r < 0)
                        return r;
        }
        res->between = calloc(2 * (size_t)o->n_interp, sizeof(*res->between));
        if (!res->between)
                return -ENOMEM;
        for (int on = 0; on <= 1; on++)
                for (int k = 1; k < o->n_interp; k++) {
                        int r = between_of(x, 0, k, on, &res->between[res->n_between]);
                        if (r == -ENOMEM)
                                return r;
                        res->n_between += r == 0;
                }
        res->json = matrix_json(x);
        return res->json ? 0 : -ENOMEM;
}

int compare_experiment(const struct compare_options *o, struct compare_result **ret, char *err, size_t err_size)
{
        struct experiment x;
        json_t *c;
        int r;

        r = experiment_open(&x, o, err, err_size);
        if (r < 0)
                return r;
        r = run_warmups(&x);
        if (r < 0) {
                remove_unrecorded(&x);
                goto out;
        }
        r = run_planned(&x);
        x.res->complete = x.done == x.total;
        x.res->runs_completed = x.done;
        if (is_matrix(o)) {
                int m = matrix_compute(&x);
                if (m < 0) {
                        r = m;
                        snprintf(err, err_size, "out of memory");
                        goto out;
                }
                c = x.res->json;
                x.res->json = NULL;
                goto write;
        }
        mark_failed_runs(&x);
        align_equal_work(&x);
        count_anon_one_way(&x);
        compute_statistics(&x);
        decide(&x);
        describe_modes(&x);
        find_sharers(&x);
        c = comparison_json(&x);
        if (!c) {
                r = -EINVAL;
                snprintf(err, err_size, "the comparison could not be encoded as JSON");
                goto out;
        }
write:
        r = write_comparison(&x, c, r);
        r = outcome(&x, r);
        if (r < 0)
                remove_unrecorded(&x);
        x.res->json = c;
        *ret = x.res;
        x.res = NULL;
out:
        experiment_close(&x);
        return r;
}

void compare_attach_http(struct runner_options *ro, struct httpdrive *drive, const struct httpdrive *http)
{
        *drive = *http;
        drive->ready = drive->have_result = 0;
        drive->error[0] = '\0';
        ro->driver = httpdrive_main;
        ro->driver_summary = httpdrive_summary;
        ro->driver_ctx = drive;
        ro->progress = 0;
}
