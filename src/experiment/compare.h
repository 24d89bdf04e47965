/* The JIT-off vs JIT-on experiment: N runs per mode, interleaved A B B A ... so that drift hits
 * both modes alike, each a full recorded run (runner.h) in OUT/runs/; then per-run analysis
 * (analysis.h), the statistics of every delta (stats.h) and the verdict (verdict.h), written to
 * OUT/comparison.json (schema jitmem.compare/1, docs/compare.md). */
#ifndef JITMEM_COMPARE_H
#define JITMEM_COMPARE_H

#include <jansson.h>
#include <stdint.h>

#include "analysis.h"
#include "growth.h"
#include "httpdrive.h"
#include "python_probe.h"
#include "runner.h"
#include "stats.h"
#include "verdict.h"

#define COMPARE_SCHEMA "jitmem.compare/1"
#define COMPARE_MATRIX_SCHEMA "jitmem.compare/2"
#define COMPARE_RUNS_DEFAULT 5

/* At most this many interpreters in one comparison. */
#define COMPARE_INTERP_MAX 8

/* One interpreter of a comparison of several (compare --python A --python B ...). */
struct compare_interp {
        char *const *argv;              /* the command with this interpreter */
        const struct python_info *python; /* probed */
        int jit;                        /* it has JIT machine code: it runs with the JIT on too */
        char label[64];                 /* its name in the matrix: its version, made unique */
};

struct compare_options {
        char *const *argv;            /* the command */
        const char *workload;         /* the bundled workload's name, or NULL */
        const char *out;
        int runs;                     /* per mode */
        int max_runs;                 /* adaptive stopping: add pairs of runs up to this many per
                                       * mode while the memory interval is wider than target_width
                                       * (<= runs: off) */
        double target_width;          /* half-width of the 95% interval, fraction of the median */
        int warmup;                   /* one unmeasured run per mode first */
        int resume;                   /* reuse completed runs already in OUT/runs */
        int force;                    /* replace a comparison already in OUT */
        struct runner_options run;    /* interval and the like; out and jit are set per run */
        int have_limit;
        uint64_t limit_bytes;
        int workers;
        uint64_t restart_ns;          /* 0: none */
        struct verdict_thresholds thresholds;
        const struct python_info *python; /* the probed interpreter, or NULL */
        void (*status)(const char *line); /* told of each run as it starts and ends; may be NULL */
        volatile int *stop;           /* set (by a signal handler) to stop before the next run; may be NULL */
        const struct httpdrive *http; /* the command is a server: drive it with this load (a copy per
                                       * run), then stop it; NULL: the command is the workload */
        const struct compare_interp *interp; /* n_interp > 1: a matrix of these interpreters (argv and
                                       * python above are then unused), each with the JIT off and,
                                       * when it has one, on; comparison.json is jitmem.compare/2 */
        int n_interp;
};

/* At most this many runs in a comparison (both modes). */
#define COMPARE_RUNS_MAX 100

/* One run as the statistics see it: its mode, its analysis and the figures beside it. */
struct compare_sample {
        int on;                         /* JIT on */
        int interp;                     /* which of compare_options.interp (0 when there is one) */
        int analysed;                   /* a holds the run's analysis */
        struct analysis a;
        double cpu_per_unit;            /* CPU seconds of the tree per unit of work (request served); < 0 none */
        int measurement_failed;         /* its summary's measurement_failures is not empty */
};

/* The figures compared, each once (compare_metrics[] below, by id). */
enum compare_metric {
        COMPARE_PEAK_RSS, COMPARE_PEAK_PSS, COMPARE_PEAK_ANON, COMPARE_PEAK_ANON_PSS, COMPARE_STEADY_RSS,
        COMPARE_STEADY_PSS, COMPARE_WORKER_PEAK_RSS, COMPARE_WORKER_PEAK_PSS, COMPARE_PEAK_JIT,
        COMPARE_FINAL_JIT, COMPARE_PEAK_DEBUG, COMPARE_PEAK_DEBUG_IMAGES, COMPARE_PEAK_ATTRIBUTED,
        COMPARE_STARTUP_RSS, COMPARE_CPU, COMPARE_CPU_PER_UNIT, COMPARE_WALL, COMPARE_THROUGHPUT,
        COMPARE_LATENCY_P50, COMPARE_LATENCY_P99, COMPARE_WARMUP_END, COMPARE_EXECUTORS_COMPILED,
        COMPARE_EXECUTORS_FREED, COMPARE_CHURN, COMPARE_WORKER_RESTARTS, COMPARE_WORKER_WARMUP,
        COMPARE_RESTARTED_WORKER_WARMUP, COMPARE_RESTARTED_WORKER_JIT, COMPARE_METRIC_MAX
};

/* A figure compared: its name in comparison.json's "metrics" (and in a run's "figures" when
 * per_run), its unit ("bytes", "seconds", "count", "units/s", "us", "fraction") and its getter
 * (the run's figure; k is ignored; negative or NaN: not measured). */
struct compare_metric_def {
        const char *name, *unit;
        double (*get)(const struct compare_sample *r, int k);
        int per_run;
};
extern const struct compare_metric_def compare_metrics[COMPARE_METRIC_MAX];

/* The figures compared at each equivalent point (compare_point_figures[] below, by id). */
enum compare_at {
        COMPARE_AT_RSS, COMPARE_AT_PSS, COMPARE_AT_WORKER_RSS, COMPARE_AT_WORKER_PSS, COMPARE_AT_WORKER_JIT,
        COMPARE_AT_ANON, COMPARE_AT_ANON_PSS, COMPARE_AT_JIT, COMPARE_AT_DEBUG, COMPARE_AT_REST,
        COMPARE_AT_WORKER_DEBUG, COMPARE_AT_WORKER_REST, COMPARE_AT_MAX
};

/* A figure at the equivalent points, in bytes: its name in a point of comparison.json's
 * "equivalent_points" and its getter (the run's figure at point k; negative or NaN: not measured). */
struct compare_point_def {
        const char *name;
        double (*get)(const struct compare_sample *r, int k);
};
extern const struct compare_point_def compare_point_figures[COMPARE_AT_MAX];

/* One figure compared between the modes. */
struct compare_stat {
        int ok;                         /* measured in both modes and compared: s is filled */
        struct stats_shift s;
        size_t n_off, n_on;
        double median_off, median_on;   /* NaN when the mode has no figure */
};

/* The memory at one equivalent point (25, 50, 75, 100% of the work, or of the time). */
struct compare_point {
        int percent;
        double units;                   /* the work done there; < 0 when the basis is not work */
        struct compare_stat fig[COMPARE_AT_MAX];
};

/* A mode's growth after warm-up, over its runs analysed. */
struct compare_growth {
        int runs;                       /* the mode's runs analysed, those too short to judge
                                         * included (0: none; nothing else is set) */
        double slope;                   /* median Theil-Sen slope of the runs judged (NaN: none) */
        int growing, warmup_ended;      /* runs growing, runs whose warm-up ended */
        int votes[GROWTH_CLASS_MAX];    /* runs per growth class */
        enum growth_class cls;          /* the class most runs have (ties: the first in growth.h) */
        const char *shape;              /* the same in fewer words: "growing", "warming_up",
                                         * "not_enough_data", "plateau" */
};

/* A mode's workers (have: some run had workers). */
struct compare_workers {
        int have;
        double at_once;                 /* median of the most workers alive at one tick */
        int restarts_total;             /* restarts in all the mode's runs */
        double restarts_per_run;        /* median */
};

/* The difference between two interpreters in one mode: every figure of compare_metrics, the
 * base interpreter's runs in the place of "off", the other's in the place of "on". */
struct compare_between {
        int base, other;                /* indices into compare_options.interp */
        int on;                         /* the mode compared */
        struct compare_stat metrics[COMPARE_METRIC_MAX];
};

/* What the comparison found, computed once from the runs; comparison.json says the same. */
struct compare_result {
        int control;                    /* no verdict: the interpreter has no JIT machine code */
        int complete;                   /* every planned run completed */
        int runs_completed;
        int measurement_failed;         /* completed runs whose measurement failed (the JIT trace's) */
        char measurement_failed_runs[256]; /* which: "3 (JIT on), 6 (JIT off)", cut with "..." */
        struct compare_stat metrics[COMPARE_METRIC_MAX];
        const char *basis;              /* of the equivalent points: "requests", "work", "time" */
        struct compare_point points[ANALYSIS_POINTS];
        double warmup_end_s[2];         /* median per mode, off then on (NaN: none) */
        struct compare_growth growth[2];
        int have_lead[2];
        double vsz_lead_s[2];           /* median of how long before RSS VSZ reached 90% of its growth */
        int have_limit;
        double limit_bytes;
        struct verdict verdict;
        const char *memory_figure;      /* "PSS" or "RSS": what the limit is judged on */
        const char *cost_figure;        /* "anon_pagemap", "anon_pss", or the memory figure */
        const char *anon_method;        /* "pagemap", "pss_anon", or NULL: the cost was not measured apart */
        struct compare_workers workers[2];
        int file_pss_runs;              /* runs with the tree's share of its file pages (< 2: none) */
        double file_pss_min, file_pss_max, file_pss_median;
        int outside_sharers_changed;    /* that share moved by more than 1 MiB and 5% */
        double anon_outside_max;        /* the most anonymous memory mapped from outside (< 0: not counted) */
        int anon_outside_runs;          /* runs where some was */
        json_t *json;                   /* comparison.json, as written */
        /* A matrix (n_interp > 1): each interpreter's comparison of its own runs (the fields above
         * are then unset but for complete, runs_completed and json), and the differences between
         * interpreters, each against the first, per mode. */
        int n_interp;
        struct compare_result *interp[COMPARE_INTERP_MAX];
        int n_between;
        struct compare_between *between;
};

/* Compares figure get (at point k) over the analysed runs of runs[0..n) (n at most
 * COMPARE_RUNS_MAX; figures negative or NaN are not measured): the medians of each mode and, when
 * both have some, the shift between them (stats_shift at 95%). */
struct compare_stat compare_stat_of(const struct compare_sample *runs, int n,
                                    double (*get)(const struct compare_sample *r, int k), int k);

/* 1 when a difference is claimed: the 95% interval of the shift excludes 0 (the same as the
 * test's p < 0.05). */
int compare_stat_significant(const struct compare_stat *m);

/* 1 when there are too few runs for any outcome to show a difference at 95% (the interval is
 * the whole line). */
int compare_stat_too_few(const struct compare_stat *m);

/* The mode's median that comparison.json gives (on: 1 the JIT on): the one compared, else the
 * mode's own; NaN when the mode has none. */
double compare_stat_median(const struct compare_stat *m, int on);

/* A compared figure as comparison.json has it (the caller decrefs): unit, medians and counts,
 * and when compared the finding, delta, interval, p-value and significance. */
json_t *compare_stat_json(const struct compare_stat *m, const char *unit);

/* Runs the experiment. Returns 0 with *ret (what the comparison found, its comparison.json
 * also written to OUT; compare_result_free) when every run completed; -EINTR when interrupted
 * (*ret holds what the completed runs say, complete 0, and err says how to resume); another
 * -errno with err set when a run failed or comparison.json could not be written (*ret then holds
 * what the completed runs say), or when OUT could not be prepared, a warm-up run failed or
 * memory ran out (*ret untouched). */
int compare_experiment(const struct compare_options *o, struct compare_result **ret, char *err, size_t err_size);

/* Makes a run drive the server with a copy of http (in drive, which must outlive the run): the
 * load in the run's driver thread, its requests served as the run's progress. */
void compare_attach_http(struct runner_options *ro, struct httpdrive *drive, const struct httpdrive *http);

/* Frees r and its JSON; NULL is fine. */
void compare_result_free(struct compare_result *r);

#endif
