/* A run's recording: streams every tick to samples.csv as it is taken (one write() per tick,
 * so an interrupted run leaves whole rows only) and keeps the figures summary.json needs:
 * per-process and tree peaks and final values. Its memory does not grow with the run's length
 * (per-process state grows with the number of distinct processes, bounded by the sampler). */
#ifndef JITMEM_RECORD_H
#define JITMEM_RECORD_H

#include <jansson.h>
#include <stdint.h>

#include "runfile.h"
#include "sampler.h"

/* The samples.csv header, documented in docs/run-directory.md. */
#define RECORD_CSV_HEADER                                                                              \
        "t_s,scope,pid,ppid,comm,rss_bytes,vsz_bytes,rss_anon_bytes,rss_file_bytes,rss_shmem_bytes,"  \
        "pss_bytes,uss_bytes,swap_bytes,cpu_user_s,cpu_sys_s,jit_code_bytes,jit_mappings,"            \
        "jit_pss_bytes,exec_other_bytes,threads,processes,cgroup_usage_bytes,progress_units,read_t_s,read_err_s,execs,"  \
        "jit_debug_images,jit_debug_bytes,pss_anon_bytes,anon_pagemap_bytes,anon_outside_bytes\n"

#define RECORD_COST_RESERVOIR 4096

struct record;

/* Creates dirfd/samples.csv (truncating) and writes the header. Returns 0 and *ret or -errno. */
int record_open(int dirfd, struct record **ret);

/* What a tree row carries besides the sums. */
struct record_extra {
        int have_cg;
        uint64_t cg_usage;      /* the cgroup's memory usage */
        int have_progress;
        uint64_t progress;      /* work units the command reported so far */
};

/* Appends a tick: a row per sampled process and a tree row (pid = root_pid). Returns 0 or
 * -errno; on failure the file is cut back to its last whole tick and nothing more is written. */
int record_tick(struct record *r, const struct sampler_tick *t, int root_pid,
                const struct record_extra *x);

/* The summary's "tree", "processes" and "ticks" parts (new references), see docs. */
json_t *record_tree_json(const struct record *r);
json_t *record_processes_json(const struct record *r, const struct sampler *s);
json_t *record_ticks_json(const struct record *r);

/* Tree figures for the terminal summary. */
struct record_tree {
        uint64_t ticks, heavy_ticks, rows;
        uint64_t peak_rss, peak_pss, peak_uss, peak_jit, final_jit, peak_jit_pss;
        uint32_t peak_jit_mappings, final_jit_mappings, max_processes;
        double peak_rss_t_s, jit_last_growth_t_s; /* seconds since sampling started */
        uint64_t peak_cgroup;
        int have_pss, have_cgroup, have_final;
        uint64_t final_rss;
        uint64_t tick_cost_median_ns, tick_cost_max_ns;
        /* GDB JIT interface images (have_debug: some process had a readable descriptor) */
        int have_debug, final_debug_known; /* the latter: at the last tick with processes */
        uint64_t peak_debug_bytes, final_debug_bytes, peak_debug_images, final_debug_images;
        uint64_t peak_jit_attributed; /* code pages + debug images, at the same tick */
        uint64_t peak_pss_anon;       /* the sum of Pss_Anon (heavy ticks): anonymous memory counted once */
        int have_pss_anon;            /* ... unless processes outside the tree share it */
        /* the tree's anonymous pages counted once from the page tables (anonpages.h), at the
         * heavy ticks that read them; of them, the most that processes outside the tree mapped too */
        uint64_t peak_anon_pagemap, peak_anon_outside;
        uint64_t anon_pagemap_ticks;
};
void record_tree_figures(const struct record *r, struct record_tree *ret);

/* Per-process figures for the terminal summary; NULL when index was never sampled. */
struct record_proc {
        uint64_t samples;
        struct runfile_peaks peaks; /* of its rows (pss_anon: when it was summed) */
        uint64_t hwm;
        uint64_t exec_other_peak;
        uint64_t cpu_user_ns, cpu_sys_ns;
        int reaped;             /* jitmem reaped it, and maxrss is wait4()'s ru_maxrss */
        uint64_t maxrss;        /* bytes */
};
const struct record_proc *record_proc(const struct record *r, uint32_t index);

/* The kernel's high-water mark of a process jitmem reaped, from wait4()'s rusage (ru_maxrss, in
 * bytes): the process at `index` of the sampler, or, for a process never sampled, index
 * RECORD_UNSAMPLED (it counts in the tree's largest kernel peak only). */
#define RECORD_UNSAMPLED UINT32_MAX
void record_note_reaped(struct record *r, uint32_t index, uint64_t maxrss_bytes);

/* The larger of a process's VmHWM at its last sample and the ru_maxrss it was reaped with. */
uint64_t record_kernel_peak(const struct record_proc *p);

/* A sampled process as the point samples.csv's reader makes of its row (at time t): what its
 * peaks are taken from, here and by jitmem watch. */
struct runfile_point record_point_of_sample(double t, const struct sample *x);

/* Forgets the per-process figures (record_proc, record_processes_json), keeping the tree's and
 * the rows written: for a sampler replaced by a new one, whose indices start again at 0. */
void record_forget_processes(struct record *r);

/* Closes samples.csv and frees. Returns 0 or the -errno of close(). Accepts NULL. */
int record_close(struct record *r);

#endif
