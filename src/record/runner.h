/* One recorded run: start a command (fork + exec, no shell) in its own process group, sample
 * its whole process tree until it exits, stream the run directory (meta.json, samples.csv,
 * summary.json). `jitmem run` is one runner_record(); `jitmem compare` is many. */
#ifndef JITMEM_RUNNER_H
#define JITMEM_RUNNER_H

/* The shortest run whose observer CPU is given as a share of one core (summary.json). */
#define RUNNER_CPU_SHARE_MIN_S 1.0

#include <jansson.h>
#include <stdint.h>

#define RUNNER_META_SCHEMA "jitmem.run.meta/1"
#define RUNNER_SUMMARY_SCHEMA "jitmem.run.summary/1"
/* The environment variable naming the fd a command may report progress on (docs/run-directory.md, "Progress"). */
#define RUNNER_PROGRESS_ENV "JITMEM_PROGRESS_FD"

enum runner_jit { RUNNER_JIT_INHERIT, RUNNER_JIT_ON, RUNNER_JIT_OFF };

struct runner_options {
        const char *out;            /* run directory, created if needed (required) */
        int force;                  /* replace a run already in it */
        enum runner_jit jit;        /* PYTHON_JIT=1, =0, or the environment as it is */
        uint64_t interval_ns;       /* sampling interval */
        uint64_t heavy_ns;          /* heavy cadence; 0: automatic */
        uint64_t grace_ns;          /* leftovers' time after the command exits */
        int have_limit;
        uint64_t limit_bytes;       /* a limit to judge against (else the cgroup's, if any) */
        int probe;                  /* probe the interpreter for meta.json */
        int progress;               /* offer RUNNER_PROGRESS_ENV to the command */
        int foreground;             /* on a terminal, make the command the foreground job */
        int capture_output;         /* the command's stdout and stderr go to OUT/output.log */
        int no_pagemap;             /* count anonymous memory by Pss_Anon even where the page tables
                                     * could be read (anonpages.h) */
        const char *trace_shim;     /* --trace-jit: the shim library to preload (NULL: no tracing);
                                     * its events go to OUT/trace/, then OUT/events.jsonl and the
                                     * summary's "jit" object (jittrace.h) */
        void (*warn)(const char *message); /* told what goes wrong during the run; may be NULL */
        /* A cgroup to run the command in (jitmem fit): its cgroup.procs open for writing, which
         * the child writes "0\n" to between fork and exec, so the command and all it starts are
         * in the cgroup from their first instruction (a failed write fails the run as an exec
         * would); -1: none (the default; 0 is a valid fd). The guard (spawn.h) is given
         * cgroup_dir (a full path, the kfile root included; NULL: none) to empty and remove
         * should jitmem be killed; its usage and limit are the run's cgroup figures (meta.json, samples.csv's
         * cgroup_usage_bytes) in place of jitmem's own cgroup's. Nothing else jitmem starts goes into it. */
        int cgroup_procs_fd;
        const char *cgroup_dir;
        /* A driver run in a thread of its own once the command has started (an HTTP load, say):
         * it may count work done in *progress (then recorded as progress_units, in place of the
         * progress pipe), should stop soon after *command_ended becomes 1, and when it returns
         * the command is sent SIGTERM. driver_summary, if set, adds "driver" to summary.json. */
        void (*driver)(void *ctx, volatile uint64_t *progress, volatile int *command_ended);
        json_t *(*driver_summary)(void *ctx);
        void *driver_ctx;
};

struct runner_result {
        int exit_code;       /* what `jitmem run` exits with: the command's status, 128+signal,
                              * or EXIT_CODE_RUN_FAILED, _NOT_EXEC, _NOT_FOUND (exitcode.h) */
        int started;         /* the command was started */
        int interrupted;     /* signals were forwarded to it */
        char error[1024];    /* why jitmem failed, one sentence ("" when it did not) */
        int measurement_failed; /* summary.json's measurement_failures is not empty: a figure asked
                                 * for could not be measured truthfully (`jitmem run` exits 125) */
        json_t *summary;     /* summary.json's content (the caller decrefs); NULL if none */
};

/* Fills the options with the defaults of `jitmem run` (100 ms, automatic heavy cadence, 10 s
 * grace, probe on). */
void runner_options_default(struct runner_options *o);

/* Runs argv (argv[0] searched on PATH) and records it in o->out. Returns 0 once the command
 * has run (ret->exit_code is its status; a recording failure makes it 125 with ret->error set),
 * or -errno when it could not be run at all (ret->error says why, ret->exit_code is 125, 126
 * or 127). ret is always written. */
int runner_record(const struct runner_options *o, char *const argv[], struct runner_result *ret);

/* Frees what a result holds (its summary). */
void runner_result_free(struct runner_result *ret);

#endif
