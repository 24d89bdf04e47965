/* The --trace-jit streams: events.PID files as the shim writes them ("T ORDER TID OP ADDR LEN
 * A B RES MOD [NAME]"), replayed through jittrace_process, its only entry point, with a
 * samples.csv beside them for the cross-check. The input's parts (FUZZ_SEP between them):
 * events.100, events.101, events.0100 (a second stream naming PID 100), samples.csv, and the
 * monotonic time of the run's start in decimal nanoseconds (T0_NS when absent or not one). */
#include "fuzz.h"
#include "jittrace.h"
#include "util.h"

#include <jansson.h>

#define T0_NS UINT64_C(56032250000000) /* a little before the seeds' first event */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const names[] = { "trace/events.100", "trace/events.101", "trace/events.0100",
                                             "run/samples.csv" };
        struct fuzz_part parts[5];
        char trace[4200], run[4200];
        json_t *jit = NULL;
        uint64_t t0 = T0_NS;
        size_t n;

        snprintf(trace, sizeof(trace), "%s/trace", fuzz_dir());
        snprintf(run, sizeof(run), "%s/run", fuzz_dir());
        mkdir(trace, 0700);
        mkdir(run, 0700);
        n = fuzz_split(data, size, parts, 5);
        if (n == 5 && util_field_u64(parts[4].p, parts[4].n, &t0) < 0)
                t0 = T0_NS;
        for (size_t i = 0; i < 4; i++) {
                char path[4300];

                /* a part the input does not have is no file at all */
                snprintf(path, sizeof(path), "%s/%s", fuzz_dir(), names[i]);
                if (i < n)
                        fuzz_write(names[i], parts[i].p, parts[i].n);
                else
                        unlink(path);
        }
        if (jittrace_process(trace, run, t0, &jit) == 0) {
                FUZZ_ASSERT(json_is_object(jit));
                json_decref(jit);
        }
        return 0;
}
