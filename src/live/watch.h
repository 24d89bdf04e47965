/* Watching processes that are already running: which ones (PIDs, a command-line pattern, a
 * cgroup), their figures tick by tick, a bounded history of each, the growth class of each and of
 * the total (growth.h), worker restarts, and the same figures as JSON and as Prometheus text.
 * The CLI (cmd_watch.c) owns the loop, the terminal view and the endpoint.
 *
 * Memory is bounded whatever the watched processes do: at most WATCH_MAX_PROCS processes have
 * state (the others are counted as untracked), each keeps WATCH_RING points (decimated so that
 * they span the analysis window), and the sampler is rebuilt from the live processes when the
 * number of processes it has ever seen grows past what is alive (worker recycling over a week). */
#ifndef JITMEM_WATCH_H
#define JITMEM_WATCH_H

#include <jansson.h>
#include <regex.h>
#include <stdint.h>

#include "cgroup.h"
#include "growth.h"
#include "procfs.h"
#include "runfile.h"
#include "sampler.h"

#define WATCH_RING 240          /* history points per process and for the total */
#define WATCH_MAX_PROCS 256     /* processes with state at once */
#define WATCH_MAX_PIDS 256      /* PIDs named on the command line */
#define WATCH_EVENTS 64         /* events kept for the current tick's output */

/* One point of history: the mean of the ticks it stands for. uss < 0: not measured then. */
struct watch_ring {
        double t[WATCH_RING], rss[WATCH_RING], uss[WATCH_RING], jit[WATCH_RING];
        size_t start, n;        /* a circular buffer of n points from start */
        unsigned acc_ticks, acc_uss_n;
        double acc_t, acc_rss, acc_uss, acc_jit;
};

enum watch_role { WATCH_ROLE_PROCESS, WATCH_ROLE_MASTER, WATCH_ROLE_WORKER };

struct watch_proc {
        int used;
        int pid, ppid;
        uint64_t starttime;     /* with pid: the identity of a process (PIDs are reused) */
        char comm[PROCFS_COMM_MAX];
        enum watch_role role;
        int alive, restarted;   /* restarted: a worker that replaced one that ended */
        double first_t, last_t;
        uint64_t rss, vsz, pss, uss, jit, jit_mappings;
        int64_t jit_debug_images; /* GDB JIT interface images (one per executor in CPython 3.15+); < 0: none read */
        uint64_t jit_debug_bytes;
        int have_pss;           /* pss and uss hold a measurement (carried from the last heavy tick) */
        struct runfile_peaks peaks; /* over its ticks (jit_growth_end_t < 0: its JIT code never grew) */
        unsigned ended_children;/* children that ended and were not replaced yet */
        int unreadable_reported;
        struct watch_ring ring;
        struct growth_result g;
        int g_valid;
};

enum watch_event_kind { WATCH_EV_STARTED, WATCH_EV_ENDED, WATCH_EV_RESTARTED, WATCH_EV_UNREADABLE };

struct watch_event {
        enum watch_event_kind kind;
        int pid, ppid;
        char comm[PROCFS_COMM_MAX];
        double t, lived_s;
};

struct watch_options {
        const int *pids;        /* watched with their descendants */
        size_t npids;
        const char *match;      /* POSIX extended regex on the command line (NULL: none) */
        const char *cgroup_dir; /* a cgroup directory (NULL: none) */
        uint64_t interval_ns;
        uint64_t window_ns;     /* the growth analysis looks this far back */
        uint64_t rescan_ns;     /* how often --match and --cgroup look for new processes */
        uint64_t limit_bytes;   /* 0: the cgroup's */
        uint64_t heavy_interval_ns; /* 0: automatic */
        int max_series;         /* processes exported one by one (the largest); the rest only in totals */
        unsigned rebuild_slack; /* processes seen but gone before the sampler is rebuilt (0: 256) */
};

struct watch_totals {
        int processes;
        uint64_t rss, pss, uss, jit;    /* sums over the live processes (pss, uss carried) */
        int have_pss;
        int have_debug;                 /* some process's GDB JIT images were read at this tick */
        uint64_t jit_debug_images, jit_debug_bytes; /* sums over those processes */
        double judged;                  /* the figure compared with the limit: cgroup usage, else PSS sum, else RSS sum */
        const char *judged_name;        /* "cgroup usage", "PSS sum", "RSS sum" */
};

struct watch {
        struct watch_options opt;
        struct sampler *sampler;
        regex_t re;
        int have_re;
        struct watch_proc *procs;       /* WATCH_MAX_PROCS slots */
        uint32_t untracked;             /* live processes not watched: beyond the slots or the sampler's
                                         * limits, or unreadable (another user's) */
        uint32_t unreadable_now;        /* of those, the ones that cannot be read, at the last tick */
        uint64_t t0_ns, last_rescan_ns;
        double t;                       /* seconds since the start, at the last tick */
        double boot_offset_s;           /* CLOCK_BOOTTIME less t, at the last tick */
        uint64_t ticks;
        unsigned stride;                /* ticks per history point */
        unsigned long restarts;
        struct watch_totals tot;
        struct watch_ring ring;         /* of the total (judged figure in rss, uss sum, jit sum) */
        struct growth_result g;
        int g_valid;
        /* the cgroup */
        int have_cgroup;
        struct cgroup_info cg;
        uint64_t limit;                 /* 0: none known */
        double current;                 /* the figure compared with the limit (see watch_tick) */
        const char *limit_source;       /* "--limit", "cgroup", NULL */
        /* this tick's events */
        struct watch_event ev[WATCH_EVENTS];
        size_t nev;
        unsigned long events_dropped;
        unsigned long unreadable;       /* processes that could not be read, reported once each */
        double self_cpu_s;
        uint64_t self_rss;
        /* the sampler's last tick, as watch_tick took it (its samples are the sampler's, valid
         * until the next watch_tick), for a recording (watchrec.h); and how many times the
         * sampler was rebuilt, each time with new indices and a new clock (sampler_t0_ns) */
        struct sampler_tick last_tick;
        int have_last_tick;
        unsigned long sampler_rebuilds;
};

/* Seconds from a watched process's start (stat's starttime) to t (seconds since the watch
 * started); from when the watch first saw it, when its start cannot be placed. */
double watch_proc_age(const struct watch *w, const struct watch_proc *p, double t);

/* Sets up the watch: compiles --match, reads --cgroup, adds the named PIDs. err gets a message
 * for the user. Returns 0, -EINVAL (bad pattern, nothing to watch), -ESRCH (a named PID does not
 * exist), -ENOENT/-ENOTSUP (the cgroup directory), or -errno. */
int watch_init(struct watch *w, const struct watch_options *o, char *err, size_t errsize);

/* One tick: rescans when due, samples, updates the state, history, growth and events.
 * Returns 0 or -errno. */
int watch_tick(struct watch *w);

struct sample;

/* One tick's samples applied to the state, as watch_tick does once it has sampled (apart, so
 * that tests can give samples of their own): t is seconds since the start, untracked the
 * processes the sampler found but did not sample (over its limits, or unreadable). A sample's process is known by its PID and
 * the start time the sampler read (0 without one); a known process missing from the samples
 * has ended when it is gone (kill(pid, 0), /proc/PID/stat), and a new one whose parent lost a
 * worker is a restart. Then roles, totals, the cgroup, the total's history and growth. Events
 * are added to the tick's (watch_tick empties them first). The samples stay the caller's. */
void watch_apply(struct watch *w, double t, const struct sample *samples, size_t n, uint32_t untracked);

void watch_free(struct watch *w);

/* The tick as one JSON object (schema jitmem.watch/1): see docs/watch.md. */
json_t *watch_json(const struct watch *w);

/* The tick as Prometheus text into t (reset first). */
struct prom_text;
int watch_prometheus(const struct watch *w, struct prom_text *t);

const char *watch_role_name(enum watch_role r);

/* Adds one sample to a history ring; every `stride` calls make one point. For tests. */
void watch_ring_add(struct watch_ring *r, unsigned stride, double t, double rss, double uss, double jit);

/* Copies the ring in time order into the arrays (WATCH_RING each). Returns the point count. */
size_t watch_ring_copy(const struct watch_ring *r, double *t, double *rss, double *uss, double *jit);

#endif
