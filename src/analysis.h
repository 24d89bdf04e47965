/* What one recorded run says, read back from its directory: peaks, steady state, warm-up end,
 * growth after warm-up, start-up RSS, RSS at equal work done, and whether VSZ growth leads RSS
 * growth. Shared by `jitmem compare` (per run, then across runs) and offline analysis. */
#ifndef JITMEM_ANALYSIS_H
#define JITMEM_ANALYSIS_H

#include <jansson.h>

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
        double worker_peak_rss, worker_peak_pss; /* median over the command's descendants (pre-forked
                                                  * workers) of their peaks; < 0 when it has none */
        double executors_compiled;          /* from --trace-jit (summary "jit"); < 0 without */
        double executors_freed;
        double churn_ratio;
        double rss_at[ANALYSIS_POINTS];     /* tree RSS at 25/50/75/100% */
        double pss_at[ANALYSIS_POINTS];     /* tree PSS at the heavy tick nearest each point (< 0 none) */
};

/* Analyses a series and the run's summary.json content. With fewer than 3 points only the
 * peaks, start-up and run figures are filled; the rest is NaN or negative (not measured).
 * Returns 0 or -EINVAL (no point at all). */
int analysis_run(const struct runfile_series *s, json_t *summary, struct analysis *ret);

#endif
