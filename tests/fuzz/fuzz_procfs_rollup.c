/* /proc/PID/smaps_rollup as a whole, and each of its lines alone (the smaps reader adds lines
 * one at a time). */
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data, *end = p + size;
        struct procfs_mem m, acc;

        procfs_parse_rollup(p, size, &m);
        memset(&acc, 0, sizeof(acc));
        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                int r = procfs_mem_add_line(p, n, &acc);

                FUZZ_ASSERT(r == 0 || r == 1 || r == -EINVAL);
                p += n + (nl ? 1 : 0);
        }
        return 0;
}
