/* The JIT's allocations, exactly: the events the LD_PRELOAD shim (shim/jitshim.c) wrote for a
 * run (TRACE_DIR/events.PID) turned into executors compiled and freed, live and peak bytes,
 * churn, sizes, and a cross-check against the /proc mapping figures of samples.csv.
 *
 * An executor, as the shim sees it: an anonymous private mapping made read+write, then
 * mprotect()ed to read+execute (compiled), later munmap()ed (freed). Mappings made writable and
 * executable at once (libffi closures) are counted apart; read+write mappings never made
 * executable (allocator arenas, abandoned compiles) are counted apart too. */
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
