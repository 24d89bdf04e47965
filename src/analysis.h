/* What one recorded run says, read back from its directory: peaks, steady state, warm-up end,
 * growth after warm-up, start-up RSS, RSS at equal work done, and whether VSZ growth leads RSS
 * growth. Shared by `jitmem compare` (per run, then across runs) and offline analysis. */
#ifndef JITMEM_ANALYSIS_H
#define JITMEM_ANALYSIS_H

#include <jansson.h>

#include "growth.h"
#include "runfile.h"

#define ANALYSIS_POINTS 4 /* equivalent points: 25, 50, 75, 100% of the work (or of the time) */

struct analysis {
        double peak_rss, peak_pss;          /* bytes; peak_pss < 0 when never measured */
        double steady_rss, steady_pss;      /* medians after the warm-up */
        double peak_jit, final_jit;
        double startup_rss;                 /* tree RSS once the first unit of work is reported
                                             * (without progress: at 5% of the run) */
        double wall_s, cpu_s;
        double throughput;                  /* units per second, or < 0 without progress */
        double warmup_end_s;                /* when JIT code stopped growing and RSS stopped trending */
        int warmup_ended;                   /* 0: RSS still trends at the end of the run */
        double jit_growth_end_s;            /* when JIT code last grew (< 0: never any) */
        double slope;                       /* Theil-Sen slope of RSS after the warm-up, bytes/s */
        double slope_p;                     /* Mann-Kendall p-value of that trend */
        int growing;                        /* a significant trend that matters (see analysis.c) */
        double vsz_lead_s;                  /* how long before RSS VSZ reached 90% of its growth
                                             * (negative: it lagged); NaN when neither grew */
        int by_progress;                    /* the equivalent points are by work done */
        double latency_p50_us, latency_p99_us; /* under an HTTP load (summary "driver"); < 0 without */
        double worker_peak_rss, worker_peak_pss; /* median over the workers (below) of their peaks;
                                                  * < 0 when there are none */
        double executors_compiled;          /* from --trace-jit (summary "jit"); < 0 without */
        double executors_freed;
        double churn_ratio;
        double rss_at[ANALYSIS_POINTS];     /* tree RSS at 25/50/75/100% */
        double pss_at[ANALYSIS_POINTS];     /* tree PSS at the heavy tick nearest each point (< 0 none) */

        /* Workers: the command's children (pre-forked workers under a master), or, when it has
         * one child only and that child has children, the latter (a launcher before the
         * master). From the process rows; all < 0 without them or without workers. */
        int workers_max;                    /* most workers alive at one tick */
        int worker_lives;                   /* workers seen in all */
        int restarts;                       /* workers started after another one had ended */
        double worker_rss_at[ANALYSIS_POINTS]; /* median over the workers alive at each point */
        double worker_pss_at[ANALYSIS_POINTS]; /* ... at each one's heavy tick nearest the point */
        double worker_jit_at[ANALYSIS_POINTS];
        double first_warmup_s;              /* median, over the first workers with JIT code, time from
                                             * their start to their JIT code's last growth */
        double restart_warmup_s;            /* the same over the restarted workers: the warm-up paid again */
        double restart_jit;                 /* median peak JIT code of the restarted workers */

        /* The growth class of the tree's RSS over the run (growth.h, as jitmem watch and
         * analyze give it); GROWTH_NOT_ENOUGH_DATA when it could not be judged. */
        int growth_class;
};

/* Analyses a series, the run's process lives (may be NULL: no per-worker figures) and the
 * run's summary.json content. With fewer than 3 points only the
 * peaks, start-up and run figures are filled; the rest is NaN or negative (not measured).
 * Returns 0 or -EINVAL (no point at all). */
int analysis_run(const struct runfile_series *s, const struct runfile_procs *procs, json_t *summary,
                 struct analysis *ret);

/* The growth class of a run's tree (its RSS, with USS and JIT code where measured), judged
 * however short the run (growth.h), against limit (<= 0: none). Returns 0, -EINVAL (no point,
 * or times that do not increase) or -ENOMEM. */
int analysis_tree_growth(const struct runfile_series *s, double limit, struct growth_result *ret);

#endif
