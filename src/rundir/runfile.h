/* Reading a run directory back: the tree rows of samples.csv as a time series, and the process
 * rows as one series per process life. */
#ifndef JITMEM_RUNFILE_H
#define JITMEM_RUNFILE_H

#include <jansson.h>
#include <stddef.h>

/* One tree row. Figures a tick did not measure are negative (-1). */
struct runfile_point {
        double t;          /* seconds since sampling started */
        double rss, vsz, pss, uss, jit, progress; /* pss, uss: heavy ticks only */
        double dbg;        /* GDB JIT interface image bytes (-1: no process's list was read) */
        double pss_anon;   /* the sum of Pss_Anon, heavy ticks only (-1 otherwise, or an older file) */
        double anon_pagemap, anon_outside; /* the tree's anonymous pages counted once from the page
                                            * tables, and those mapped outside it too (heavy ticks
                                            * that read them; -1 otherwise) */
        double jit_mappings;   /* JIT code mappings (-1: not in the file) */
        double jit_pss;        /* PSS of the JIT code, heavy ticks only */
        double dbg_images;     /* GDB JIT interface images (-1 as dbg) */
        int processes;
};


/* What a reader of samples.csv found that jitmem does not write, the first of each kind kept to
 * name it by line (1: the header) and column. The rule for a file read back: a cell that is
 * not empty and not as jitmem writes it (a figure that is not decimal digits or is past
 * RUNFILE_FIGURE_MAX, a time that is not a plain decimal from 0 to a year, a PID past
 * INT32_MAX; so any sign, exponent, nan, inf or junk) reads as not recorded, as an empty cell
 * does, as do the cells a row of fewer fields than the header lacks; a row without a time, or a
 * process row without a PID, is then not used; a row with a scope other than tree or process,
 * or with more fields than the header (an unquoted comma shifts every column after it) or a
 * quote left open, is left out whole. The file is refused only
 * when it has no header with the required columns. */
struct runfile_oddity {
        size_t cells;              /* cells read as not recorded although not empty (and empty
                                    * times and PIDs, and scopes that are neither) */
        long cell_line;            /* the first one's line; 0: none */
        char column[24];           /* its column's name */
        char value[40];            /* its text, cut, bytes outside printable ASCII as '?' */
        size_t rows;               /* rows left out for their fields (too many, a quote open) */
        long row_line;             /* the first one's line; 0: none */
        int row_fields, header_fields; /* its fields (< 0: a quote left open) and the header's */
};

struct runfile_series {
        struct runfile_point *p;
        size_t n;
        size_t ticks;      /* tree rows read, those with no process included (the run's tick count) */
        double t_end;      /* the last tree row's time, with or without a process; < 0 when none */
        double program_t;  /* when the command's process last exec'd, after its first row (a
                            * launcher exec'ing its program: pyenv's shim, `uv run`, `sh -c`);
                            * < 0 when it did not, or the process rows were not read */
        struct runfile_oddity odd; /* what the file held that jitmem does not write */
};

/* At most this many tree rows are read (a week at 1 s); the rest are dropped, not an error. */
#define RUNFILE_MAX_ROWS 1000000

/* Reads the tree rows of DIR/samples.csv, ticks with no process left out of the points (but
 * counted in ticks). Columns are found
 * by the header's names, so files with more columns read alike. Returns 0, -ENOENT, -EINVAL
 * (not a jitmem samples.csv: a required column is missing), -ENOMEM or another -errno. */
int runfile_read_tree(const char *dir, struct runfile_series *ret);

/* The peaks of a sequence of points (a tree's, or one process's), decided here once: `jitmem run`
 * adds each tick as it records it (summary.json's "tree" and "processes"), and the readers add
 * the rows they read back (a process life; the part of the run an analysis judges), so both
 * take a figure the same way. Points with no process are
 * not counted. Figures a point did not measure (negative) leave a peak alone; a peak no point
 * measured stays -1. */
struct runfile_peaks {
        size_t points, heavy_points; /* points added; of them, heavy ones (with PSS) */
        size_t pagemap_points;       /* heavy points with a page-table count of anonymous memory */
        double rss, rss_t;           /* the largest RSS sum, and the first time it was reached */
        double jit, jit_mappings;    /* JIT code (0 when none) */
        double attributed;           /* JIT code + debug images at one point */
        double jit_growth_end_t;     /* the last point at which the JIT code grew (-1: never) */
        double pss, uss, jit_pss;    /* heavy points */
        double pss_anon;             /* heavy points that summed Pss_Anon */
        double anon_pagemap, anon_outside; /* pagemap points */
        double dbg, dbg_images;      /* points at which some process's debug images were read */
        int processes;               /* most processes at one point */
        struct runfile_point last;   /* the last point added */
};
void runfile_peaks_init(struct runfile_peaks *pk);
void runfile_peaks_add(struct runfile_peaks *pk, const struct runfile_point *p);

/* One process row, kept. pss < 0 when the tick was not a heavy one. */
struct runfile_ppoint {
        double t, rss, pss, uss, jit;
        double dbg; /* GDB JIT interface image bytes; -1 when not read */
};

/* One life of a process: a PID seen at ticks no more than RUNFILE_LIFE_GAP apart with the same
 * parent (a PID that comes back later, or with another parent, is a new life: a tick may miss a
 * process whose files could not be read whole, which does not end it). The peaks and the JIT
 * growth are taken over every row; the points may be thinned (see runfile_procs.stride). */
#define RUNFILE_LIFE_GAP 3
struct runfile_life {
        int pid, ppid;
        char comm[4 * 16 + 1];              /* the name at its first row (15 bytes, each may be "\xNN") */
        char last_comm[4 * 16 + 1];         /* ... and at its last (after an exec: the program run) */
        size_t first_tick, last_tick;       /* indices into the tree series */
        double first_t, last_t;
        struct runfile_peaks peaks;         /* over every row (peaks.last: its last row) */
        double program_t;                   /* its first row, or the row after its last exec */
        long execs;                         /* execs seen (samples.csv's execs column; 0 without) */
        struct runfile_ppoint *p;
        size_t n, cap;
};

struct runfile_procs {
        int root_pid;                       /* the command's PID (the tree rows' pid) */
        struct runfile_life *l;             /* in order of first appearance */
        size_t n;
        unsigned stride;                    /* points are kept at every stride-th tick (1: all) */
        size_t rows_dropped;                /* rows of lives over RUNFILE_MAX_LIVES, not kept */
};

/* Bounds: lives kept, and process points kept in all (past it, every life's points are halved
 * and the stride doubled, so a long recording is thinned evenly, never cut). */
#define RUNFILE_MAX_LIVES 4096
#define RUNFILE_MAX_PROC_POINTS (1u << 20)

/* The largest figure a row may hold (8 PiB): what a double holds exactly. A larger one is not a
 * figure jitmem writes, and reads as not measured. */
#define RUNFILE_FIGURE_MAX (1ULL << 53)

#define RUNFILE_NOT_RECORDED (-2.0)

/* One row of samples.csv as its one reader gives it. */
struct runfile_row {
        int tree;                 /* a tree row; else a process row */
        int pid, ppid;            /* -1 when not a PID; a tree row's ppid -1, a process's 0 when empty */
        const char *comm;         /* as written (CSV quoting undone), "" when none; valid during the call */
        long execs;               /* execs seen (0 without the column) */
        double read_t, read_err;  /* when a process's files were read, give or take (s);
                                   * RUNFILE_NOT_RECORDED when empty, -1 when not a time */
        struct runfile_point p;   /* t (-1: not a time jitmem writes), the figures (-1: empty, or not a
                                   * whole number), processes (0 when empty) */
};

/* Calls each(row, ctx) for every row of DIR/samples.csv in order, its columns found by the
 * header's names. A line that is not a row is passed over; one over 4 KiB, or a last line cut
 * short, ends the file. each returns 0 to go on, > 0 to stop, < 0 to fail. Returns 0, -ENOENT,
 * -EINVAL (not a jitmem samples.csv: no header, or a required column missing), another -errno,
 * or what each failed with. */
int runfile_each_row(const char *dir, int (*each)(const struct runfile_row *row, void *ctx), void *ctx);

/* The same, noting into *odd (cleared first; may be NULL) what the file held that jitmem does
 * not write (struct runfile_oddity states the rule). */
int runfile_each_row_noting(const char *dir, int (*each)(const struct runfile_row *row, void *ctx), void *ctx,
                            struct runfile_oddity *odd);

/* runfile_read_tree, and with procs non-NULL the process rows too. */
int runfile_read(const char *dir, struct runfile_series *tree, struct runfile_procs *procs);

/* The same with another bound on the process points (for tests). */
int runfile_read_bounded(const char *dir, struct runfile_series *tree, struct runfile_procs *procs, size_t max_points);

/* Frees the lives. Accepts NULL. */
void runfile_procs_free(struct runfile_procs *p);

/* The kept point of a life at or before time t (the first one when t is earlier), or NULL
 * when the life has no point. */
const struct runfile_ppoint *runfile_life_at(const struct runfile_life *l, double t);

/* Frees a series' points. Accepts NULL. */
void runfile_series_free(struct runfile_series *s);

/* Splits one CSV line into at most max fields (RFC 4180 quoting; the quotes are removed in
 * place, so fields point into line). Returns the number of fields, or -EINVAL for an
 * unterminated quote. */
int runfile_split_csv(char *line, char **fields, int max);

/* One process of summary.json's "processes". */
struct runfile_summary_proc {
        int pid;
        char *cmdline;                 /* as the process gave it (hostile bytes: escape to print) */
        double peak_rss, kernel_peak_rss, peak_pss, final_rss, peak_jit, jit_mappings;
        double maxrss, hwm;            /* wait4's ru_maxrss (when reaped), VmHWM at the last tick */
};

/* summary.json's "tree": the sums' peaks and final values. */
struct runfile_summary_tree {
        double peak_rss, peak_pss, final_rss, peak_jit, final_jit, jit_mappings, max_processes;
        double jit_last_growth_t_s;
        double largest_kernel_peak_rss; /* the largest process's kernel high-water mark */
        double peak_dbg, peak_dbg_images, final_dbg, final_dbg_images, peak_attributed;
        double peak_pss_anon, peak_anon_pagemap, peak_anon_outside, peak_cgroup;
        char anon_method[16];          /* "pagemap", "pss_anon" or "" */
};

/* summary.json's "jit", what --trace-jit found (traced == 0: no trace). */
struct runfile_summary_trace {
        int traced;
        double processes, compiled, freed, freed_at_exit, inherited_freed, live_final, live_bytes_final;
        double churned, churn_ratio;
        double size_mean, size_p50, size_p90, size_min, size_max; /* bytes per executor */
        double samples, disagreed, untraced_with_jit, in_flight; /* the cross-check against /proc */
        double first_t_s, first_pid, first_proc_bytes, first_events_bytes; /* its first disagreement */
};

/* A run's summary.json, read once here (runfile_summary_of, runfile_read_summary) for the
 * analyses, compare and what `jitmem run` prints. A figure the file does not hold is negative. */
struct runfile_summary {
        double t0_monotonic_ns;        /* when sampling started (CLOCK_MONOTONIC) */
        double load_start_ns, load_end_ns; /* the driver's measured load, on the same clock */
        int driven;                    /* a load driver ran (summary's driver.load) */
        double duration_s;
        double cpu_s;                  /* user + system time of every process, 0 when none */
        double units, units_per_s;     /* the work done (progress), and its rate */
        double requests_per_s;         /* of the driver's load */
        double latency_p50_us, latency_p99_us;
        double executors_compiled, executors_freed, churn_ratio; /* --trace-jit */
        int exit_status;               /* < 0: none (killed, or absent) */
        int exit_code, exit_signal;    /* the command's: exit.code, or exit.signal (< 0: none) */
        int recording_failed;          /* recording_error is set (the run's figures are not whole) */
        int measurement_failed;        /* measurement_failures is not empty (a figure asked for could
                                        * not be measured truthfully: the JIT trace's, so far) */
        double ticks, tick_cost_median_s, unreadable;
        double limit_bytes, limit_pss_fraction, limit_rss_fraction;
        double observer_cpu_during_run_s, observer_cpu_fraction, observer_cpu_s;
        struct runfile_summary_tree tree;
        struct runfile_summary_proc *procs;
        size_t nprocs;
        struct runfile_summary_trace trace;
};

/* Reads summary (a parsed summary.json, or NULL: every figure absent) into ret, which
 * runfile_summary_free frees. Returns 0 or -ENOMEM (then ret holds no process). */
int runfile_summary_of(json_t *summary, struct runfile_summary *ret);

/* A JSON document of at most max bytes read from path (a file jitmem wrote, perhaps altered or
 * replaced since: any bytes), through one descriptor: a regular file, read up to max + 1 bytes
 * whatever its size said, duplicate keys refused. NULL when it is not such a file or document. */
json_t *runfile_load_json(const char *path, size_t max);

/* Reads DIR/summary.json. Returns 0, -ENOENT (none: jitmem was killed), -EINVAL or -ENOMEM. */
int runfile_read_summary(const char *dir, struct runfile_summary *ret);

/* Frees what runfile_summary_of allocated. Accepts NULL. */
void runfile_summary_free(struct runfile_summary *s);

#endif
