/* /proc/PID/stat: a comm the process chose (any bytes but NUL, parentheses included), then
 * the kernel's numbers. */
#include "fuzz.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct procfs_stat st;

        if (procfs_parse_stat((const char *)data, size, &st) == 0)
                FUZZ_ASSERT(memchr(st.comm, '\0', sizeof(st.comm)) != NULL);
        return 0;
}
