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

#define RUNS_MAX 100
#define LEVEL 0.95

/* The interleaving: run i of the comparison is JIT on when this is 1 (A B B A A B B A ...). */
static int mode_on(int i)
{
        return ((i + 1) / 2) % 2 == 1;
}

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

struct one {
        int on;
        char dir[4096];
        json_t *summary;
        struct analysis a;
        int analysed;
        double cpu_per_unit;   /* CPU seconds of the tree per unit of work (request served); < 0 none */
};

/* A completed run already in dir: its summary.json, with exit status 0. */
static json_t *completed(const char *dir)
{
        char path[4200];
        json_t *j;

        snprintf(path, sizeof(path), "%s/summary.json", dir);
        j = json_load_file(path, 0, NULL);
        int driven = json_is_object(json_object_get(json_object_get(j, "driver"), "load"));
        if (j && (json_integer_value(json_object_get(j, "exit_status")) == 0 || driven) &&
            json_is_null(json_object_get(j, "recording_error")))
                return j;
        json_decref(j);
        return NULL;
}

static int do_one(const struct compare_options *o, const char *dir, int on, json_t **ret_summary, char *err,
                  size_t err_size, int *interrupted)
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
        if (o->http) {
                drive = *o->http;
                drive.ready = drive.have_result = 0;
                drive.error[0] = '\0';
                ro.driver = httpdrive_run;
                ro.driver_summary = httpdrive_summary;
                ro.driver_ctx = &drive;
                ro.progress = 0;
        }
        r = runner_run(&ro, o->argv, &res);
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

/* A figure of one run: negative or NaN is "not measured". */
/* One metric across runs: the figure of each run, by mode. */
typedef double (*getter)(const struct analysis *a, int k);

static double g_peak_rss(const struct analysis *a, int k) { (void)k; return a->peak_rss; }
static double g_peak_pss(const struct analysis *a, int k) { (void)k; return a->peak_pss; }
static double g_peak_anon(const struct analysis *a, int k) { (void)k; return a->peak_anon; }
static double g_anon_at(const struct analysis *a, int k) { return a->anon_at[k]; }
static double g_peak_anon_pss(const struct analysis *a, int k) { (void)k; return a->peak_anon_pss; }
static double g_anon_pss_at(const struct analysis *a, int k) { return a->anon_pss_at[k]; }
static double g_steady_rss(const struct analysis *a, int k) { (void)k; return a->steady_rss; }
static double g_steady_pss(const struct analysis *a, int k) { (void)k; return a->steady_pss; }
static double g_peak_jit(const struct analysis *a, int k) { (void)k; return a->peak_jit; }
static double g_final_jit(const struct analysis *a, int k) { (void)k; return a->final_jit; }
static double g_startup(const struct analysis *a, int k) { (void)k; return a->startup_rss; }
static double g_cpu(const struct analysis *a, int k) { (void)k; return a->cpu_s; }
static double g_wall(const struct analysis *a, int k) { (void)k; return a->wall_s; }
static double g_tput(const struct analysis *a, int k) { (void)k; return a->throughput; }
static double g_warm(const struct analysis *a, int k) { (void)k; return a->warmup_end_s; }
static double g_rss_at(const struct analysis *a, int k) { return a->rss_at[k]; }
static double g_p50(const struct analysis *a, int k) { (void)k; return a->latency_p50_us; }
static double g_wrss(const struct analysis *a, int k) { (void)k; return a->worker_peak_rss; }
static double g_wpss(const struct analysis *a, int k) { (void)k; return a->worker_peak_pss; }
static double g_p99(const struct analysis *a, int k) { (void)k; return a->latency_p99_us; }
static double g_compiled(const struct analysis *a, int k) { (void)k; return a->executors_compiled; }
static double g_freed(const struct analysis *a, int k) { (void)k; return a->executors_freed; }
static double g_churn(const struct analysis *a, int k) { (void)k; return a->churn_ratio; }
static double g_pss_at(const struct analysis *a, int k) { return a->pss_at[k]; }
static double g_wrss_at(const struct analysis *a, int k) { return a->worker_rss_at[k]; }
static double g_wpss_at(const struct analysis *a, int k) { return a->worker_pss_at[k]; }
static double g_wjit_at(const struct analysis *a, int k) { return a->worker_jit_at[k]; }
static double g_jit_at(const struct analysis *a, int k) { return a->jit_at[k]; }
static double g_dbg_at(const struct analysis *a, int k) { return a->dbg_at[k]; }
static double g_rest_at(const struct analysis *a, int k) { return a->rest_at[k]; }
static double g_wdbg_at(const struct analysis *a, int k) { return a->worker_dbg_at[k]; }
static double g_wrest_at(const struct analysis *a, int k) { return a->worker_rest_at[k]; }
static double g_restarts(const struct analysis *a, int k) { (void)k; return a->restarts; }
static double g_workers_max(const struct analysis *a, int k) { (void)k; return a->workers_max; }
static double g_first_warm(const struct analysis *a, int k) { (void)k; return a->first_warmup_s; }
static double g_restart_warm(const struct analysis *a, int k) { (void)k; return a->restart_warmup_s; }
static double g_restart_jit(const struct analysis *a, int k) { (void)k; return a->restart_jit; }
/* Figures of the run beside its analysis: every analysis compared here is the `a` of a struct one. */
static const struct one *run_of(const struct analysis *a)
{
        return (const struct one *)(const void *)((const char *)a - offsetof(struct one, a));
}
static double g_cpu_unit(const struct analysis *a, int k) { (void)k; return run_of(a)->cpu_per_unit; }
/* A figure of the run's summary.json "tree" (NaN when null or absent: not measured). */
static double tree_figure(const struct analysis *a, const char *key)
{
        json_t *v = json_object_get(json_object_get(run_of(a)->summary, "tree"), key);
        return json_is_number(v) ? json_number_value(v) : NAN;
}
static double g_peak_dbg(const struct analysis *a, int k) { (void)k; return tree_figure(a, "peak_jit_debug_bytes"); }
static double g_peak_dbg_n(const struct analysis *a, int k) { (void)k; return tree_figure(a, "peak_jit_debug_images"); }
static double g_peak_attr(const struct analysis *a, int k) { (void)k; return tree_figure(a, "peak_jit_attributed_bytes"); }

/* The figures compared, each once: its name in comparison.json's "metrics" (and in a run's
 * "figures" when per_run), its unit and its getter. */
enum metric_id {
        M_PEAK_RSS, M_PEAK_PSS, M_PEAK_ANON, M_PEAK_ANON_PSS, M_STEADY_RSS, M_STEADY_PSS, M_WORKER_PEAK_RSS,
        M_WORKER_PEAK_PSS, M_PEAK_JIT, M_FINAL_JIT, M_PEAK_DEBUG, M_PEAK_DEBUG_IMAGES, M_PEAK_ATTRIBUTED,
        M_STARTUP_RSS, M_CPU, M_CPU_PER_UNIT, M_WALL, M_THROUGHPUT, M_LATENCY_P50, M_LATENCY_P99, M_WARMUP_END,
        M_EXECUTORS_COMPILED, M_EXECUTORS_FREED, M_CHURN, M_WORKER_RESTARTS, M_WORKER_WARMUP,
        M_RESTARTED_WORKER_WARMUP, M_RESTARTED_WORKER_JIT, M_MAX
};
static const struct metric_def {
        const char *name, *unit;
        getter g;
        int per_run;
} METRICS[M_MAX] = {
        [M_PEAK_RSS] = { "peak_rss_bytes", "bytes", g_peak_rss, 1 },
        [M_PEAK_PSS] = { "peak_pss_bytes", "bytes", g_peak_pss, 1 },
        [M_PEAK_ANON] = { "peak_anon_bytes", "bytes", g_peak_anon, 1 },
        [M_PEAK_ANON_PSS] = { "peak_anon_pss_bytes", "bytes", g_peak_anon_pss, 0 },
        [M_STEADY_RSS] = { "steady_rss_bytes", "bytes", g_steady_rss, 0 },
        [M_STEADY_PSS] = { "steady_pss_bytes", "bytes", g_steady_pss, 0 },
        [M_WORKER_PEAK_RSS] = { "worker_peak_rss_bytes", "bytes", g_wrss, 0 },
        [M_WORKER_PEAK_PSS] = { "worker_peak_pss_bytes", "bytes", g_wpss, 0 },
        [M_PEAK_JIT] = { "peak_jit_code_bytes", "bytes", g_peak_jit, 1 },
        [M_FINAL_JIT] = { "final_jit_code_bytes", "bytes", g_final_jit, 0 },
        [M_PEAK_DEBUG] = { "peak_jit_debug_bytes", "bytes", g_peak_dbg, 0 },
        [M_PEAK_DEBUG_IMAGES] = { "peak_jit_debug_images", "count", g_peak_dbg_n, 0 },
        [M_PEAK_ATTRIBUTED] = { "peak_jit_attributed_bytes", "bytes", g_peak_attr, 0 },
        [M_STARTUP_RSS] = { "startup_rss_bytes", "bytes", g_startup, 1 },
        [M_CPU] = { "cpu_s", "seconds", g_cpu, 1 },
        [M_CPU_PER_UNIT] = { "cpu_s_per_unit", "seconds", g_cpu_unit, 1 },
        [M_WALL] = { "wall_s", "seconds", g_wall, 1 },
        [M_THROUGHPUT] = { "throughput_units_per_s", "units/s", g_tput, 1 },
        [M_LATENCY_P50] = { "latency_p50_us", "us", g_p50, 0 },
        [M_LATENCY_P99] = { "latency_p99_us", "us", g_p99, 0 },
        [M_WARMUP_END] = { "warmup_end_s", "seconds", g_warm, 1 },
        [M_EXECUTORS_COMPILED] = { "executors_compiled", "count", g_compiled, 0 },
        [M_EXECUTORS_FREED] = { "executors_freed", "count", g_freed, 0 },
        [M_CHURN] = { "churn_ratio", "fraction", g_churn, 0 },
        [M_WORKER_RESTARTS] = { "worker_restarts", "count", g_restarts, 0 },
        [M_WORKER_WARMUP] = { "worker_warmup_s", "seconds", g_first_warm, 0 },
        [M_RESTARTED_WORKER_WARMUP] = { "restarted_worker_warmup_s", "seconds", g_restart_warm, 0 },
        [M_RESTARTED_WORKER_JIT] = { "restarted_worker_jit_code_bytes", "bytes", g_restart_jit, 0 },
};

/* A run's own figures, as it was analysed (null: not measured): the per_run metrics, then what
 * only a run has. */
static json_t *run_figures(const struct one *r)
{
        const struct analysis *x = &r->a;
        json_t *o = json_object();

        for (int k = 0; k < M_MAX; k++)
                if (METRICS[k].per_run)
                        json_object_set_new(o, METRICS[k].name, jsonout_measured(METRICS[k].g(x, 0)));
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

struct metric_result {
        int ok;
        struct stats_shift s;
        size_t n_off, n_on;
        double median_off, median_on;   /* NaN when the mode has no figure */
};

/* Collects the metric over the analysed runs (figures < 0 are "not measured") and compares. */
static struct metric_result compare_metric(struct one *runs, int n, getter g, int k, int allow_negative)
{
        double off[RUNS_MAX], on[RUNS_MAX];
        struct metric_result m;
        size_t noff = 0, non = 0;

        memset(&m, 0, sizeof(m));
        for (int i = 0; i < n; i++) {
                if (!runs[i].analysed)
                        continue;
                double v = g(&runs[i].a, k);
                if (isnan(v) || (!allow_negative && v < 0))
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
static int metric_significant(const struct metric_result *m)
{
        return m->ok && m->s.significant;
}

/* Too few runs for any outcome to show a difference at 95%: the interval is the whole line. */
static int metric_too_few(const struct metric_result *m)
{
        return m->ok && isinf(m->s.ci_low) && isinf(m->s.ci_high);
}

static json_t *metric_json(const struct metric_result *m, const char *unit)
{
        if (!m->ok) /* measured in one mode only, or in none: the medians there are */
                return json_pack("{s:s, s:o, s:o, s:I, s:I}", "unit", unit,
                                 "off", jsonout_real_or_null(m->median_off),
                                 "on", jsonout_real_or_null(m->median_on),
                                 "n_off", (json_int_t)m->n_off, "n_on", (json_int_t)m->n_on);
        int sig = metric_significant(m);
        return json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:[o,o], s:[b,b], s:f, s:f, s:b, s:b, s:I, s:I}",
                         "unit", unit,
                         "finding", metric_too_few(m) ? "too few runs for a 95% interval"
                                    : !sig ? "no measurable difference"
                                    : m->s.ci_low >= 0 ? "higher with the JIT" : "lower with the JIT",
                         "off", m->s.median_a, "on", m->s.median_b,
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
static void verdict_figure_of(const struct metric_result *m, struct verdict_figure *f)
{
        memset(f, 0, sizeof(*f));
        if (!m->ok)
                return;
        f->have = 1;
        f->off = m->s.median_a;
        f->on = m->s.median_b;
        f->shift = m->s.hl;
        f->significant = metric_significant(m);
        f->too_few = metric_too_few(m);
}

static double median_of(struct one *runs, int n, int on, getter g, int *ret_count, int (*ok)(const struct analysis *))
{
        double v[RUNS_MAX], m = NAN;
        size_t k = 0;

        for (int i = 0; i < n; i++) {
                if (!runs[i].analysed || runs[i].on != on)
                        continue;
                if (ok && !ok(&runs[i].a))
                        continue;
                double x = g(&runs[i].a, 0);
                if (!isnan(x))
                        v[k++] = x;
        }
        if (k > 0)
                stats_median(v, k, &m);
        if (ret_count)
                *ret_count = (int)k;
        return m;
}

static double g_slope(const struct analysis *a, int k) { (void)k; return a->slope; }
static double g_lead(const struct analysis *a, int k) { (void)k; return a->vsz_lead_s; }
static double g_growing(const struct analysis *a, int k) { (void)k; return a->growing; }
static double g_ended(const struct analysis *a, int k) { (void)k; return a->warmup_ended; }

static json_t *growth_json(struct one *runs, int n, int on)
{
        int count = 0; /* the mode's runs analysed, those too short to judge included */
        double slope = median_of(runs, n, on, g_slope, NULL, NULL); /* of the runs judged */
        double growing = 0, ended = 0;

        for (int i = 0; i < n; i++)
                if (runs[i].analysed && runs[i].on == on) {
                        count++;
                        growing += g_growing(&runs[i].a, 0);
                        ended += g_ended(&runs[i].a, 0);
                }
        if (count == 0)
                return json_null();
        /* The growth class most runs of the mode have (ties: the first in growth.h's order);
         * the shape says the same in fewer words. */
        int votes[GROWTH_CLASS_MAX] = { 0 }, best = 0;
        for (int i = 0; i < n; i++)
                if (runs[i].analysed && runs[i].on == on && runs[i].a.growth_class >= 0 && runs[i].a.growth_class < GROWTH_CLASS_MAX)
                        votes[runs[i].a.growth_class]++;
        for (int c = 1; c < GROWTH_CLASS_MAX; c++)
                if (votes[c] > votes[best])
                        best = c;
        const char *shape = best == GROWTH_STEADY ? "growing" : best == GROWTH_WARMING_UP ? "warming_up"
                            : best == GROWTH_NOT_ENOUGH_DATA ? "not_enough_data" : "plateau";
        json_t *classes = json_object();
        for (int c = 0; c < GROWTH_CLASS_MAX; c++)
                if (votes[c])
                        json_object_set_new(classes, growth_class_name((enum growth_class)c), json_integer(votes[c]));
        return json_pack("{s:s, s:o, s:i, s:i, s:i, s:s, s:o}", "shape", shape, "slope_bytes_per_s",
                         jsonout_real_or_null(slope),
                         "runs_growing", (int)growing, "runs_warmup_ended", (int)ended, "runs", count,
                         "class", growth_class_name((enum growth_class)best), "classes", classes);
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

/* A name compare gives an entry of OUT/runs: NN-on, NN-off, warmup-on, warmup-off. */
static int is_run_name(const char *n)
{
        const char *mode;

        if (!strncmp(n, "warmup-", 7))
                mode = n + 7;
        else if (n[0] >= '0' && n[0] <= '9' && n[1] >= '0' && n[1] <= '9' && n[2] == '-')
                mode = n + 3;
        else
                return 0;
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

/* Prepares OUT: created with its parents; refused when it holds a comparison already (its
 * comparison.json or a run of one), unless resuming; with force, the earlier comparison's
 * files are removed first (only those: anything else in OUT is left as it is). */
static int prepare_out(const struct compare_options *o, char *err, size_t err_size)
{
        char path[4200], failed[4096] = "", why[8400];
        int r = util_mkdir_p(o->out, failed, sizeof(failed)), held = 0;
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

int compare_run(const struct compare_options *o, json_t **ret, char *err, size_t err_size)
{
        struct one *runs = NULL;
        int max_runs = o->max_runs > o->runs ? o->max_runs : o->runs;
        int total = 2 * o->runs, cap = 2 * max_runs, done = 0, r = 0, interrupted = 0;
        json_t *order = NULL, *runs_json = NULL, *result = NULL;

        if (o->runs < 1 || o->runs > RUNS_MAX / 2 || max_runs > RUNS_MAX / 2) {
                snprintf(err, err_size, "--runs must be between 1 and %d", RUNS_MAX / 2);
                return -EINVAL;
        }
        r = prepare_out(o, err, err_size);
        if (r < 0)
                return r;
        runs = calloc((size_t)cap, sizeof(*runs));
        order = json_array();
        runs_json = json_array();
        if (!runs || !order || !runs_json) {
                r = -ENOMEM;
                snprintf(err, err_size, "out of memory");
                goto out;
        }

        /* Warm-up runs: not counted, they only take the first-run costs (page cache, .pyc). */
        if (o->warmup && !o->resume) {
                for (int on = 0; on <= 1; on++) {
                        json_t *s = NULL;
                        char dir[4200];
                        int intr = 0;
                        snprintf(dir, sizeof(dir), "%s/runs/warmup-%s", o->out, on ? "on" : "off");
                        status(o, "warm-up run, JIT %s (not counted)", on ? "on" : "off");
                        r = do_one(o, dir, on, &s, err, err_size, &intr);
                        json_decref(s);
                        if (r < 0) {
                                interrupted = intr;
                                goto out;
                        }
                }
        }

        for (int i = 0; i < total; i++) {
                struct one *x = &runs[i];
                if (o->stop && *o->stop) {
                        interrupted = 1; /* between two runs */
                        break;
                }
                x->on = mode_on(i);
                snprintf(x->dir, sizeof(x->dir), "%s/runs/%02d-%s", o->out, i + 1, x->on ? "on" : "off");
                json_array_append_new(order, json_string(x->on ? "on" : "off"));
                if (o->resume && (x->summary = completed(x->dir)) != NULL) {
                        status(o, "run %d of %d, JIT %s: already done", i + 1, total, x->on ? "on" : "off");
                } else {
                        int intr = 0;
                        status(o, "run %d of %d, JIT %s", i + 1, total, x->on ? "on" : "off");
                        r = do_one(o, x->dir, x->on, &x->summary, err, err_size, &intr);
                        if (r < 0) {
                                interrupted = intr;
                                break;
                        }
                }
                struct runfile_series s;
                struct runfile_procs pr;
                if (runfile_read(x->dir, &s, &pr) == 0) {
                        struct runfile_summary rs;
                        runfile_summary_of(x->summary, &rs);
                        x->analysed = analysis_of(&s, &pr, &rs, &x->a) == 0;
                        runfile_summary_free(&rs);
                        runfile_series_free(&s);
                        runfile_procs_free(&pr);
                }
                /* CPU per unit of work: per request served with --http (the requests completed
                 * are the run's progress) */
                {
                        json_t *units = json_object_get(json_object_get(x->summary, "progress"), "units");
                        x->cpu_per_unit = x->analysed && json_is_number(units) && json_number_value(units) > 0
                                                  ? x->a.cpu_s / json_number_value(units)
                                                  : -1;
                }
                done++;
                /* Adaptive stopping: after the planned runs, a pair more (one per mode, in the
                 * same interleaving) while the memory interval is wider than asked. */
                if (done == total && total < cap && done % 2 == 0) {
                        struct metric_result m = compare_metric(runs, done, METRICS[M_PEAK_PSS].g, 0, 0);
                        if (!m.ok)
                                m = compare_metric(runs, done, METRICS[M_PEAK_RSS].g, 0, 0);
                        double width = m.ok && m.s.median_a > 0 ? (m.s.ci_high - m.s.ci_low) / 2 / m.s.median_a : INFINITY;
                        if (!m.ok || !(width <= o->target_width)) {
                                if (isfinite(width))
                                        status(o, "the 95%% interval of peak memory is %.2f%% wide (target %.2f%%): two more runs",
                                               100 * width, 100 * o->target_width);
                                else
                                        status(o, "no 95%% interval of peak memory yet (too few runs): two more runs");
                                total += 2;
                        }
                }
        }

        /* Equal work across runs: the points at 25..100% of the smallest total any run served
         * (each run's own total would compare 2,728 requests with 6,000). */
        double units = INFINITY;
        int all_progress = 0;
        for (int i = 0; i < done; i++)
                if (runs[i].analysed) {
                        all_progress = runs[i].a.by_progress;
                        if (!all_progress)
                                break;
                        units = fmin(units, runs[i].a.units_total);
                }
        if (all_progress && isfinite(units) && units > 0)
                for (int i = 0; i < done; i++) {
                        struct runfile_series s;
                        struct runfile_procs pr;
                        if (!runs[i].analysed || runs[i].a.units_total <= units)
                                continue;
                        if (runfile_read(runs[i].dir, &s, &pr) == 0) {
                                struct runfile_summary rs;
                                runfile_summary_of(runs[i].summary, &rs);
                                runs[i].analysed = analysis_of_at(&s, &pr, &rs, units, &runs[i].a) == 0;
                                runfile_summary_free(&rs);
                                runfile_series_free(&s);
                                runfile_procs_free(&pr);
                        }
                }
        else
                units = -1;

        /* The tree's anonymous memory is counted one way in every run: from the page tables
         * when all of them read them, else by Pss_Anon in all. */
        int n_pagemap = 0, n_analysed = 0;
        for (int i = 0; i < done; i++)
                if (runs[i].analysed) {
                        n_analysed++;
                        n_pagemap += runs[i].a.anon_pagemap;
                }
        int anon_pagemap = n_analysed > 0 && n_pagemap == n_analysed;
        if (!anon_pagemap)
                for (int i = 0; i < done; i++) {
                        struct analysis *x = &runs[i].a;
                        x->anon_pagemap = 0;
                        x->peak_anon = x->peak_anon_pss;
                        memcpy(x->anon_at, x->anon_pss_at, sizeof(x->anon_at));
                }

        /* Every completed run, as it was analysed; figures it did not measure are null. */
        for (int i = 0; i < done; i++) {
                json_array_append_new(runs_json,
                                      json_pack("{s:s, s:s, s:b, s:o}", "mode", runs[i].on ? "on" : "off", "dir",
                                                runs[i].dir, "analysed", runs[i].analysed,
                                                "figures", runs[i].analysed
                                                        ? run_figures(&runs[i])
                                                        : json_null()));
        }

        /* Statistics: every figure of METRICS, compared once. */
        struct metric_result res[M_MAX];
        json_t *mj = json_object();
        for (int k = 0; k < M_MAX; k++) {
                res[k] = compare_metric(runs, done, METRICS[k].g, 0, 0);
                json_object_set_new(mj, METRICS[k].name, metric_json(&res[k], METRICS[k].unit));
        }
        const struct metric_result *peak_pss = &res[M_PEAK_PSS], *peak_rss = &res[M_PEAK_RSS], *peak_anon = &res[M_PEAK_ANON];

        /* Equivalent points: memory at equal work done (or equal time). */
        json_t *eq = json_array();
        int by_progress = 1;
        for (int i = 0; i < done; i++)
                if (runs[i].analysed && !runs[i].a.by_progress)
                        by_progress = 0;
        for (int k = 0; k < ANALYSIS_POINTS; k++) {
                struct metric_result mr = compare_metric(runs, done, g_rss_at, k, 0);
                struct metric_result mp = compare_metric(runs, done, g_pss_at, k, 0);
                struct metric_result wr = compare_metric(runs, done, g_wrss_at, k, 0);
                struct metric_result wp = compare_metric(runs, done, g_wpss_at, k, 0);
                struct metric_result wj = compare_metric(runs, done, g_wjit_at, k, 0);
                /* the RSS delta decomposed: JIT code pages, debug images, the rest */
                struct metric_result an = compare_metric(runs, done, g_anon_at, k, 0);
                struct metric_result jc = compare_metric(runs, done, g_jit_at, k, 0);
                struct metric_result jd = compare_metric(runs, done, g_dbg_at, k, 0);
                struct metric_result rr = compare_metric(runs, done, g_rest_at, k, 0);
                struct metric_result wd = compare_metric(runs, done, g_wdbg_at, k, 0);
                struct metric_result wrr = compare_metric(runs, done, g_wrest_at, k, 0);
                json_t *pt = json_pack("{s:i, s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "percent", 25 * (k + 1), "basis",
                                                    by_progress ? (o->http ? "requests" : "work") : "time",
                                                    "units", by_progress && units > 0 ? json_real(units * (k + 1) / ANALYSIS_POINTS) : json_null(),
                                                    "rss_bytes",
                                                    metric_json(&mr, "bytes"), "pss_bytes", metric_json(&mp, "bytes"),
                                                    "worker_rss_bytes", metric_json(&wr, "bytes"),
                                                    "worker_pss_bytes", metric_json(&wp, "bytes"),
                                                    "worker_jit_code_bytes", metric_json(&wj, "bytes"));
                struct metric_result ap = compare_metric(runs, done, g_anon_pss_at, k, 0);
                json_object_set_new(pt, "anon_bytes", metric_json(&an, "bytes"));
                json_object_set_new(pt, "anon_pss_bytes", metric_json(&ap, "bytes"));
                json_object_set_new(pt, "jit_code_bytes", metric_json(&jc, "bytes"));
                json_object_set_new(pt, "jit_debug_bytes", metric_json(&jd, "bytes"));
                json_object_set_new(pt, "rss_rest_bytes", metric_json(&rr, "bytes"));
                json_object_set_new(pt, "worker_jit_debug_bytes", metric_json(&wd, "bytes"));
                json_object_set_new(pt, "worker_rss_rest_bytes", metric_json(&wrr, "bytes"));
                json_array_append_new(eq, pt);
        }

        /* The verdict; none for a control (an interpreter without JIT machine code). */
        int control = o->python && o->python->build != PY_JIT_BUILT_ON && o->python->build != PY_JIT_BUILT_OFF;
        struct verdict_inputs in;
        struct verdict v;
        memset(&in, 0, sizeof(in));
        in.workers = o->workers > 0 ? o->workers : 1;
        if (o->have_limit) {
                in.have_limit = 1;
                in.limit_bytes = (double)o->limit_bytes;
        } else {
                struct cgroup_info cg;
                if (cgroup_detect(0, &cg) == 0 && (cg.have & CGROUP_HAVE_LIMIT) && cg.limit_bytes != CGROUP_NO_LIMIT) {
                        in.have_limit = 1;
                        in.limit_bytes = (double)cg.limit_bytes;
                }
        }
        const struct metric_result *mem = peak_pss->ok ? peak_pss : peak_rss;
        in.memory_figure = peak_pss->ok ? "PSS" : "RSS";
        verdict_figure_of(mem, &in.memory);
        /* The JIT's cost is judged on what the tree itself holds: its anonymous memory counted
         * once (from the page tables, else the sum of Pss_Anon), which processes outside the
         * tree do not move; PSS also divides the interpreter's and libraries' file pages among
         * whoever maps them. */
        if (peak_anon->ok && peak_pss->ok) {
                verdict_figure_of(peak_anon, &in.cost);
                in.cost_figure = "anonymous memory";
        }
        in.runs = (int)(mem->n_off < mem->n_on ? mem->n_off : mem->n_on);
        verdict_figure_of(&res[M_THROUGHPUT], &in.throughput);
        verdict_figure_of(&res[M_WALL], &in.wall);
        verdict_figure_of(&res[M_CPU_PER_UNIT], &in.cpu_per_unit);
        verdict_figure_of(&res[M_LATENCY_P50], &in.latency);
        in.open_model = o->http && o->http->rate > 0; /* throughput is the rate asked for */
        in.control = control;
        in.control_build = o->python ? python_jit_build_key(o->python->build) : NULL;
        int ended = 0, on_runs = 0;
        double warm_on = median_of(runs, done, 1, g_warm, &on_runs, NULL);
        for (int i = 0; i < done; i++)
                if (runs[i].analysed && runs[i].on)
                        ended += runs[i].a.warmup_ended;
        in.have_warmup = on_runs > 0 && ended * 2 > on_runs;
        in.warmup_s = warm_on;
        in.have_restart = o->restart_ns > 0;
        in.restart_s = (double)o->restart_ns / 1e9;
        int n_workers_on = 0, n_restarts_on = 0;
        double workers_on = median_of(runs, done, 1, g_workers_max, &n_workers_on, NULL);
        double restarts_on = median_of(runs, done, 1, g_restarts, &n_restarts_on, NULL);
        if (!in.have_restart && n_restarts_on > 0 && restarts_on > 0 && workers_on > 0) {
                /* each worker restarted every (workers x run time) / restarts, as the runs went */
                in.have_restart = in.restart_observed = 1;
                in.restart_s = workers_on * median_of(runs, done, 1, g_wall, NULL, NULL) / restarts_on;
        }
        detect_frameworks(o->argv, o->workload, in.frameworks, sizeof(in.frameworks));
        verdict_decide(&in, &o->thresholds, &v);

        int n_lead_off = 0, n_lead_on = 0;
        double lead_off = median_of(runs, done, 0, g_lead, &n_lead_off, NULL);
        double lead_on = median_of(runs, done, 1, g_lead, &n_lead_on, NULL);
        double warm_off = median_of(runs, done, 0, g_warm, NULL, NULL);

        json_t *workers_json = json_object();
        for (int on = 0; on <= 1; on++) {
                int nw = 0, total_restarts = 0;
                double wmax = median_of(runs, done, on, g_workers_max, &nw, NULL);
                for (int i = 0; i < done; i++)
                        if (runs[i].analysed && runs[i].on == on && runs[i].a.restarts > 0)
                                total_restarts += runs[i].a.restarts;
                json_object_set_new(workers_json, on ? "on" : "off",
                                    nw == 0 || wmax <= 0 ? json_null()
                                    : json_pack("{s:f, s:i, s:f}", "workers_at_once", wmax, "restarts_in_all_runs",
                                                total_restarts, "restarts_per_run",
                                                median_of(runs, done, on, g_restarts, NULL, NULL)));
        }

        result = json_pack("{s:b, s:s, s:s, s:b, s:o, s:o, s:o, s:i, s:i, s:o, s:o, s:o, s:o, s:{s:o, s:o}, s:{s:o, s:o}, s:{s:o, s:o}, s:o, s:o, s:s, s:o}",
                           "control", control,
                           "schema", COMPARE_SCHEMA,
                           "jitmem_version", JITMEM_VERSION,
                           "complete", done == total,
                           "python", o->python ? jsonout_python(o->python) : json_null(),
                           "command", json_array(),
                           "workload", o->workload ? json_string(o->workload) : json_null(),
                           "runs_per_mode", done / 2,
                           "runs_completed", done,
                           "order", order,
                           "runs", runs_json,
                           "metrics", mj,
                           "equivalent_points", eq,
                           "warmup_end_s", "off", jsonout_real_or_null(warm_off),
                           "on", jsonout_real_or_null(warm_on),
                           "growth", "off", growth_json(runs, done, 0), "on", growth_json(runs, done, 1),
                           "vsz_leads_rss_s", "off", n_lead_off ? json_real(lead_off) : json_null(),
                           "on", n_lead_on ? json_real(lead_on) : json_null(),
                           "limit_bytes", in.have_limit ? json_real(in.limit_bytes) : json_null(),
                           "verdict", verdict_json(&v),
                           "memory_figure", in.memory_figure,
                           "workers", workers_json);
        order = runs_json = NULL;
        if (!result) {
                r = -ENOMEM;
                snprintf(err, err_size, "out of memory");
                goto out;
        }
        {
                /* Pages of files the tree maps (the interpreter, libraries) are divided, in PSS,
                 * among every process that maps them, inside the tree or out: their share moving
                 * from run to run says other processes came and went. The verdict's cost is the
                 * anonymous memory, which they do not move. */
                double lo = INFINITY, hi = -INFINITY, fv[RUNS_MAX * 2];
                int n = 0;
                for (int i = 0; i < done; i++) {
                        const struct analysis *x = &runs[i].a;
                        int k = ANALYSIS_POINTS - 1;
                        if (!runs[i].analysed || x->pss_at[k] < 0 || x->anon_pss_at[k] < 0)
                                continue;
                        fv[n] = x->pss_at[k] - x->anon_pss_at[k];
                        lo = fmin(lo, fv[n]);
                        hi = fmax(hi, fv[n]);
                        n++;
                }
                double med = -1;
                if (n > 0)
                        stats_median(fv, (size_t)n, &med);
                int moved = n >= 2 && hi - lo > fmax(1024.0 * 1024.0, 0.05 * med);
                json_object_set_new(result, "file_pss", n < 2 ? json_null()
                                    : json_pack("{s:f, s:f, s:f, s:b}", "min_bytes", lo, "max_bytes", hi, "median_bytes", med,
                                                "outside_sharers_changed", moved));
                json_object_set_new(result, "cost_figure",
                                    json_string(in.cost.have ? (anon_pagemap ? "anon_pagemap" : "anon_pss") : in.memory_figure));
                json_object_set_new(result, "anon_method", in.cost.have ? json_string(anon_pagemap ? "pagemap" : "pss_anon") : json_null());
                /* Anonymous pages of the tree that processes outside it mapped too (a parent the
                 * command was forked from, KSM): counted once in the cost all the same. */
                double out_max = -1;
                int out_runs = 0;
                for (int i = 0; anon_pagemap && i < done; i++)
                        if (runs[i].analysed && runs[i].a.peak_anon_outside >= 0) {
                                out_max = fmax(out_max, runs[i].a.peak_anon_outside);
                                out_runs += runs[i].a.peak_anon_outside > 0;
                        }
                json_object_set_new(result, "anon_outside", out_max < 0 ? json_null()
                                    : json_pack("{s:f, s:i}", "max_bytes", out_max, "runs", out_runs));
        }
        json_t *cmd = json_object_get(result, "command");
        for (int i = 0; o->argv[i]; i++) {
                json_t *s = json_string(o->argv[i]);
                json_array_append_new(cmd, s ? s : json_string("(not UTF-8)"));
        }
        {
                int dfd = open(o->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                int w = dfd < 0 ? -errno : jsonout_write_atomic(dfd, "comparison.json", result);
                if (dfd >= 0)
                        close(dfd);
                if (w < 0 && r == 0) {
                        r = w;
                        snprintf(err, err_size, "cannot write %s/comparison.json: %s", o->out, util_strerror(w));
                }
        }
        if (done < total && r == 0)
                r = -EIO;
        if (done < total && interrupted) {
                r = -EINTR;
                snprintf(err, err_size,
                         "interrupted after %d of %d runs; the completed runs are kept in %s/runs: add --resume to the same command to go on",
                         done, total, o->out);
        }
        *ret = result;
        result = NULL;
out:
        if (runs)
                for (int i = 0; i < cap; i++)
                        json_decref(runs[i].summary);
        free(runs);
        json_decref(order);
        json_decref(runs_json);
        json_decref(result);
        return r;
}
