/* The process-tree sampler: finds a root process and all its descendants (forked and exec'd,
 * including processes that appear later), and takes one consistent sample of each per tick.
 *
 * Identity: every process is held by a pidfd and an open /proc/PID directory fd, and the files
 * read every tick stay open and are re-read with pread(). A /proc/PID directory fd is bound to
 * the process it was opened for: once that process is gone, reads fail instead of reading a
 * newcomer that reused the PID.
 *
 * Consistency: per process, stat, then status, then maps (and on heavy ticks smaps_rollup or
 * smaps), then, when mappings were read, stat again. A process whose stat says zombie or
 * exiting (PF_EXITING) at either read, whose status has no address space, or any of whose
 * reads fails is left out of that tick entirely: a sample is whole or absent. (The kernel
 * unmaps an exiting process's mappings while maps can still be read: without the second stat
 * a last sample could count only part of them.)
 *
 * The GDB JIT interface's list (CPython 3.15+: a debug image per executor, see jitdebug.h) is
 * read with the mappings: walked again when the mappings were, or when the descriptor's first
 * entry (one read every tick) changed.
 *
 * Cost: "cheap" figures (status: RSS, VSZ, RssAnon/File/Shmem, swap, VmHWM; stat: CPU; maps:
 * JIT code, through the PROCMAP_QUERY ioctl where the kernel has it) are read every tick; the
 * walk of executable mappings is skipped while VmExe + VmLib stand still (at most 1 s), and a
 * walk is reused only when it agreed with VmExe + VmLib (mappings that change while it runs
 * can be seen in part).
 * "Heavy" ones (PSS, USS, the PSS of JIT mappings) need a page-table walk in the kernel; by
 * default their cadence adapts so that they cost at most SAMPLER_HEAVY_BUDGET of one CPU,
 * measured as the sampling thread's CPU time (on a busy machine the wall time of a walk
 * includes waiting for a CPU, and would stretch the cadence for nothing). The tree's anonymous
 * pages from the page tables (options.anon_pages) are a heavy figure too: with an automatic
 * cadence each of the two has half the budget (so the count is made at some heavy ticks
 * only); with heavy_interval_ns set, both are read at every heavy tick. */
#ifndef JITMEM_SAMPLER_H
#define JITMEM_SAMPLER_H

#include <stddef.h>
#include <stdint.h>

#include "maps.h"
#include "procfs.h"

/* Fraction of one CPU that heavy reads may take when their cadence is automatic. */
#define SAMPLER_HEAVY_BUDGET 0.005
/* The executable mappings are walked at least this often even when nothing executable
 * seems to have changed (see sample_one() in sampler.c). */
#define SAMPLER_WALK_MAX_AGE_NS 1000000000ULL
/* A walk of maps that disagrees with VmExe + VmLib (the JIT changed its mappings while it ran)
 * is made again, at most this many times in all; smaps (a page-table walk) this many. */
#define SAMPLER_WALK_TRIES 4
#define SAMPLER_SMAPS_TRIES 2
/* A process's GDB JIT descriptor is looked for at its walks of maps during this long after it
 * was found or exec'd (a libpython*.so is mapped by the dynamic loader after the exec). */
#define SAMPLER_DEBUG_LOCATE_NS 2000000000ULL
/* At most this many processes are sampled at once; more are counted in `untracked`. */
#define SAMPLER_MAX_LIVE 4096
/* At most this many distinct processes are remembered over a sampler's life. */
#define SAMPLER_MAX_SEEN 100000
#define SAMPLER_CMDLINE_MAX 4096

struct sample {
        uint32_t index; /* the process's stable index in this sampler (see sampler_proc()) */
        int pid;
        int ppid;
        char comm[PROCFS_COMM_MAX];
        /* when its mappings were read (relative to sampler_new()): the moment of the read of
         * status whose VmExe + VmLib its walk of maps agreed with, or that showed them
         * unchanged since the last walk (the walk itself when no walk agreed), give or take
         * t_err_ns: half the time that read took (microseconds, unless jitmem was held up in
         * it). A tick reads its processes one after another: under load t_ns is tens of ms
         * after the tick's. */
        uint64_t t_ns, t_err_ns;
        /* every tick */
        uint64_t rss, vsz, rss_anon, rss_file, rss_shmem, swap, hwm; /* status (counters) */
        uint64_t cpu_user_ns, cpu_sys_ns;                            /* stat */
        uint64_t jit_bytes;                       /* maps: anonymous read+exec, see maps.h */
        uint32_t jit_mappings;
        uint64_t exec_other_bytes; /* perf trampolines, W+X and other named anonymous exec */
        uint32_t exec_other_mappings;
        uint32_t threads;
        uint32_t execs;   /* execs seen since the process was found (a launcher exec'ing its program) */
        /* GDB JIT interface (jitdebug.h): images registered for debuggers and their bytes;
         * jit_debug_images < 0 when the process has no descriptor or it could not be read */
        int64_t jit_debug_images;
        uint64_t jit_debug_bytes;
        /* heavy ticks only (heavy != 0) */
        int heavy;
        uint64_t pss, uss, jit_pss; /* smaps_rollup, or smaps when there are JIT mappings */
        int have_pss_anon;          /* the kernel gives Pss_Anon (smaps_rollup, Linux 5.9+) */
        uint64_t pss_anon;          /* anonymous memory's PSS: the process's shares of its anonymous pages */
};

struct sampler_proc {
        int pid;
        int ppid;
        uint64_t starttime_ticks;
        char *cmdline; /* owned by the sampler; updated after an exec */
        uint64_t first_ns, last_ns; /* first and last sample, relative to sampler_new() */
        int alive;
        int unreadable; /* its files could not be read (permission denied): never sampled since */
};

struct sampler_tick {
        uint64_t t_ns;       /* monotonic time of the tick, relative to sampler_new() */
        uint64_t cost_ns;    /* how long the tick took (discovery + reads) */
        int heavy;           /* heavy figures were read for every sample of this tick */
        size_t n;
        const struct sample *samples; /* owned by the sampler, valid until the next tick */
        uint32_t untracked;  /* processes found at this tick but not sampled (over the limits) */
        uint32_t unreadable; /* live processes of the tree that cannot be read (permission
                              * denied): followed, never sampled */
        /* heavy ticks with options.anon_pages, when every sampled process's page tables were
         * read (anonpages.h): its anonymous pages counted once, and those of them that processes
         * outside the tree map too, at this count and the one before (a process forked during a
         * count is found at the next tick: at the first count, 0) */
        int have_anon_pages;
        uint64_t anon_pages_bytes, anon_outside_bytes;
};

struct sampler_options {
        int root_pid;       /* the tree's root; 0: none yet (see sampler_add_root()) */
        int include_root;   /* sample the root itself (0 when the root is jitmem) */
        int exclude_pid;    /* a process never followed, nor anything below it: jitmem itself
                             * when it watches processes it may descend from (0: none) */
        uint64_t heavy_interval_ns; /* 0: automatic, within SAMPLER_HEAVY_BUDGET */
        int maps_text;              /* read maps as text even where PROCMAP_QUERY exists */
        int no_rollup;              /* read smaps even where smaps_rollup exists (Linux < 4.14 has none) */
        int scan_proc;              /* find children by scanning /proc even where children files exist */
        int anon_pages;             /* on heavy ticks, count the tree's anonymous pages once each from
                                     * the page tables, where the kernel shows PFNs (anonpages.h) */
};

struct sampler;

/* Creates a sampler. Returns 0 and *ret, or -errno (-ESRCH when the root does not exist). */
int sampler_new(const struct sampler_options *opt, struct sampler **ret);

/* Adds another root: pid and, from the next tick, its descendants (for watching processes that
 * were not started by jitmem: several PIDs, or those matching a pattern as they appear).
 * Returns 1 when added, 0 when already sampled or gone, or -errno. */
int sampler_add_root(struct sampler *s, int pid);

/* Sets options.exclude_pid: a process of jitmem's own found after the sampler was made (the
 * guard of the command's group, spawn.h) is never followed from the next tick on. */
void sampler_exclude(struct sampler *s, int pid);

/* Frees the sampler, closing every fd. Accepts NULL. */
void sampler_free(struct sampler *s);

/* Discovers the tree and samples it. Heavy figures are read when due, or when force_heavy.
 * Returns 0 and *ret (valid until the next call), or -errno on a failure that is not a
 * process ending (a process ending is never an error). */
int sampler_tick(struct sampler *s, int force_heavy, struct sampler_tick *ret);

/* Sends sig to the process with the given stable index, if it is still the process that index
 * names: through a pidfd opened now and checked against the /proc/PID directory fd held since
 * discovery, so a PID reused by another process is never signalled. Returns 0, -ESRCH when
 * that process is gone, or -errno. */
int sampler_signal(struct sampler *s, uint32_t index, int sig);

/* The process with the given stable index, or NULL. */
const struct sampler_proc *sampler_proc(const struct sampler *s, uint32_t index);

/* How the tree's anonymous memory is counted: 0 when from the page tables (options.anon_pages,
 * and anonpages_new() succeeded), else why not: -EPERM (PFNs hidden: not CAP_SYS_ADMIN),
 * -ENOENT (no pagemap in this kernel), -ENOTSUP (options.anon_pages not set), or -errno. */
int sampler_anon_pages_status(const struct sampler *s);

/* The monotonic time (CLOCK_MONOTONIC, ns) that tick times are relative to. */
uint64_t sampler_t0_ns(const struct sampler *s);

/* Number of distinct processes seen so far (indices are 0 .. n-1). */
uint32_t sampler_nprocs(const struct sampler *s);

/* Number of live processes in the tree, the root aside when it is not sampled (processes
 * that cannot be read count: they are in the tree). */
uint32_t sampler_nlive(const struct sampler *s);

#endif
