/* The JIT-off vs JIT-on experiment: N runs per mode, interleaved A B B A ... so that drift hits
 * both modes alike, each a full recorded run (runner.h) in OUT/runs/; then per-run analysis
 * (analysis.h), the statistics of every delta (stats.h) and the verdict (verdict.h), written to
 * OUT/comparison.json (schema jitmem.compare/1, docs/compare.md). */
#ifndef JITMEM_COMPARE_H
#define JITMEM_COMPARE_H

#include <jansson.h>
#include <stdint.h>

#include "httpdrive.h"
#include "python_probe.h"
#include "runner.h"
#include "verdict.h"

#define COMPARE_SCHEMA "jitmem.compare/1"
#define COMPARE_RUNS_DEFAULT 5

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
};

/* Runs the experiment. Returns 0 with *ret (the comparison, also written to OUT/comparison.json;
 * the caller decrefs) when every run completed; -EINTR when interrupted (*ret holds what the
 * completed runs say, "complete": false, and err says how to resume); another -errno with err
 * set when a run failed or nothing could be written. */
int compare_run(const struct compare_options *o, json_t **ret, char *err, size_t err_size);

#endif
