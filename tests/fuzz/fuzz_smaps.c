/* /proc/PID/smaps: maps lines, each followed by its "Field:  N kB" lines, read from an fd. */
#include "fuzz.h"
#include "maps.h"

#include <sys/mman.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static int fd = -1;
        struct maps_totals tot;
        struct procfs_mem all, jit;
        char buf[512];

        if (fd < 0)
                fd = memfd_create("smaps", MFD_CLOEXEC);
        FUZZ_ASSERT(fd >= 0);
        FUZZ_ASSERT(ftruncate(fd, 0) == 0);
        FUZZ_ASSERT(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size);
        maps_scan_smaps(fd, buf, sizeof(buf), &tot, &all, &jit);
        return 0;
}
