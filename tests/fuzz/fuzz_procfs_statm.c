/* /proc/PID/statm: pages, turned into bytes with a page size (the input's first byte picks it:
 * 4 KiB to 2^63, so that the product overflows). */
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct procfs_statm st;
        uint64_t page;

        if (size < 1)
                return 0;
        page = UINT64_C(4096) << (data[0] % 52);
        procfs_parse_statm((const char *)data + 1, size - 1, page, &st);
        return 0;
}
