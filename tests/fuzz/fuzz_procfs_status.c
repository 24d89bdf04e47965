/* /proc/PID/status: "Name:\tvalue" lines, the memory ones in kB. */
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct procfs_status st;

        if (procfs_parse_status((const char *)data, size, &st) == 0)
                FUZZ_ASSERT((st.have & ~0x1ffu) == 0);
        return 0;
}
