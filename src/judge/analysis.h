/* What one recorded run says, read back from its directory: peaks, steady state, warm-up end,
 * growth after warm-up, start-up RSS, RSS at equal work done, and whether VSZ growth leads RSS
 * growth. Shared by `jitmem compare` (per run, then across runs) and offline analysis.
 *
 * A server driven by an HTTP load (summary.json's "driver" names when the measured load started
 * and ended) is measured over the load only: its start-up, unmeasured warm-up and shutdown are
 * left out of every memory figure, the growth class and the equivalent points. The trend
 * figures (warm-up end, growth, steady state) are the growth classifier's (growth.h), so that
 * they always agree with the class. */
#ifndef JITMEM_ANALYSIS_H
#define JITMEM_ANALYSIS_H

#include "growth.h"
#include "runfile.h"

#define ANALYSIS_POINTS 4 /* equivalent points: 25, 50, 75, 100% of the work (or of the time) */

struct analysis {
        double peak_rss, peak_pss;          /* bytes; peak_pss < 0 when never measured */
        double peak_anon;                   /* the tree's anonymous memory counted once at its peak:
                                             * from the page tables when anon_pagemap, else the sum
                                             * of Pss_Anon; < 0 when never measured */
        int anon_pagemap;                   /* the run read the page tables (anonpages.h) */
        double peak_anon_pss;               /* the sum of Pss_Anon at its peak (< 0: never measured) */
        double peak_anon_outside;           /* the most of the tree's anonymous memory that processes
                                             * outside it mapped too (< 0: not anon_pagemap) */
        double steady_rss, steady_pss;      /* medians after the warm-up, when the class has no trend
                                             * (plateau, copy-on-write, sawtooth); < 0 otherwise */
        double peak_jit, final_jit;
        double peak_dbg, peak_dbg_images;   /* GDB JIT interface images (< 0: no list was read) */
        double peak_attributed;             /* JIT code + debug images at one tick */
        double startup_rss;                 /* tree RSS once the first unit of work is reported
                                             * (without progress: at 5% of the run) */
        double wall_s, cpu_s;
        double throughput;                  /* units per second, or < 0 without progress */
        double warmup_end_s;                /* the classifier's warm-up end (NaN: not judged, or still
                                             * warming up) */
        int warmup_ended;                   /* the classifier found where the warm-up ended */
        double slope;                       /* the classifier's Theil-Sen slope, bytes/s (NaN: not judged) */
        double slope_p;                     /* its Mann-Kendall p-value */
        int growing;                        /* the class is steady_growth (a leak suspect) */
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
        double pss_at[ANALYSIS_POINTS];     /* tree PSS at the heavy tick nearest each point with as
                                             * many processes, within the load (< 0 none) */
        /* The JIT's memory at those points, attributed: code pages, GDB JIT interface images
         * (-1: not read, no descriptor), and the rest of RSS (RSS less both) */
        double jit_at[ANALYSIS_POINTS], dbg_at[ANALYSIS_POINTS], rest_at[ANALYSIS_POINTS];
        double anon_at[ANALYSIS_POINTS];    /* peak_anon's figure at the heavy tick nearest each point (< 0 none) */
        double anon_pss_at[ANALYSIS_POINTS]; /* the sum of Pss_Anon there (< 0 none) */
        double units_total;                 /* work done (requests served) as of the last tick of the
                                             * load (or of the run); < 0 without progress */
        double units_at[ANALYSIS_POINTS];   /* the work done at each point; < 0 without progress */
        int load_phase;                     /* the figures are the measured load's ... */
        double load_from_s, load_to_s;      /* ... from and to these times (NaN: the whole run) */

        /* Workers: children of one parent running one program (the name at their last row),
         * alive together, two or more of them at 3 ticks or more spanning a tenth of the run:
         * pre-forked workers under a master, wherever it is below the command (launchers in
         * front of it, a pyenv shim, `uv run`, `sh -c`, are not). Of such groups, the one
         * nearest the command. Helpers, one at a time, are not workers. From the process rows;
         * -1 without them, 0 without workers. */
        int workers_max;                    /* most workers alive at one tick (within the load) */
        int worker_lives;                   /* workers seen in all */
        int restarts;                       /* workers started after another one of the group had ended */
        double worker_rss_at[ANALYSIS_POINTS]; /* median over the workers alive at each point */
        double worker_pss_at[ANALYSIS_POINTS]; /* ... at each one's heavy tick nearest the point */
        double worker_jit_at[ANALYSIS_POINTS];
        double worker_dbg_at[ANALYSIS_POINTS];  /* median of the images of the workers whose list was read */
        double worker_rest_at[ANALYSIS_POINTS]; /* median of each worker's RSS less its code and images */
        double first_warmup_s;              /* median, over the first workers with JIT code, time from
                                             * their start to their JIT code's last growth */
        double restart_warmup_s;            /* the same over the restarted workers: the warm-up paid again */
        double restart_jit;                 /* median peak JIT code of the restarted workers */

        /* The growth class of the tree's RSS over the run (growth.h, as jitmem watch and
         * analyze give it); GROWTH_NOT_ENOUGH_DATA when it could not be judged. */
        int growth_class;
};

/* Analyses a series, the run's process lives (may be NULL: no per-worker figures) and the
 * figures of its summary.json (may be NULL). With fewer than 3 points only the
 * peaks, start-up and run figures are filled; the rest is NaN or negative (not measured).
 * Returns 0 or -EINVAL (no point at all). */
int analysis_of(const struct runfile_series *s, const struct runfile_procs *procs, const struct runfile_summary *sum,
                struct analysis *ret);

/* The same with the equivalent points at 25, 50, 75 and 100% of `units` of work (requests)
 * rather than of the run's own total, when the run reports progress and units is smaller:
 * runs compared at equal counts (units <= 0: the run's own total). */
int analysis_of_at(const struct runfile_series *s, const struct runfile_procs *procs, const struct runfile_summary *sum,
                   double units, struct analysis *ret);

/* The workers among a run's lives, by the rule above (over the whole run): writes their indices
 * into sel (room for procs->n) and, when restarted is not NULL, whether each started after one
 * of them had ended (a restart) into restarted[j]. Returns how many (0: none, or no memory). */
size_t analysis_workers(const struct runfile_series *s, const struct runfile_procs *procs, size_t *sel,
                        int *restarted);

/* Whether the class says the warm-up is over and no trend follows it (plateau, copy-on-write,
 * sawtooth): then g->warmup_s, from the first point, is where it ended (0: none was needed). */
int analysis_warmup_ended(const struct growth_result *g);

/* The measured load of a run driven by an HTTP load: the indices [*lo, *hi) of the points taken
 * during it and its times (samples' clock). Returns 1, or 0 when the summary names no load
 * (then [0, n) and NaN times). Either way the window starts no earlier than the command's
 * program (s->program_t: a launcher's helpers and the time before its exec are not the
 * program's memory). */
int analysis_load_window(const struct runfile_series *s, const struct runfile_summary *sum, size_t *lo, size_t *hi,
                         double *from_s, double *to_s);

/* The growth class of a run's tree (its RSS, with USS and JIT code where measured), judged
 * however short the run (growth.h), against limit (<= 0: none). Returns 0, -EINVAL (no point,
 * or times that do not increase) or -ENOMEM. */
int analysis_tree_growth(const struct runfile_series *s, double limit, struct growth_result *ret);

#endif
