/* The JIT's allocations, exactly: the events the LD_PRELOAD shim (shim/jitshim.c) wrote for a
 * run (TRACE_DIR/events.PID) turned into executors compiled and freed, live and peak bytes,
 * churn, sizes, and a cross-check against the /proc mapping figures of samples.csv.
 *
 * The streams are replayed over a page-exact map of each process's anonymous private memory
 * (mmap, mprotect, munmap, mremap, fork). JIT code is what /proc calls it (maps.h): pages
 * read+execute, not writable, not a perf arena. An executor is a contiguous range of pages one
 * call made JIT code (for CPython, whose JIT maps each executor apart: one compile); it is freed
 * when its last page stops being JIT code, by whatever call. docs/trace-jit.md has the rules. */
#ifndef JITMEM_JITTRACE_H
#define JITMEM_JITTRACE_H

#include <jansson.h>
#include <stdint.h>

#define JITTRACE_CHURN_NS 1000000000ULL /* freed within 1 s of being compiled: churn */

/* Reads every events.PID file in trace_dir, writes run_dir/events.jsonl (one JSON object per
 * compile and free, time-ordered per process) and returns the summary's "jit" object (new
 * reference). t0_ns is the monotonic time of the run's t_s = 0, used for event times and for
 * the cross-check against run_dir/samples.csv. Returns 0 or -errno. */
int jittrace_process(const char *trace_dir, const char *run_dir, uint64_t t0_ns, json_t **ret);

#endif
