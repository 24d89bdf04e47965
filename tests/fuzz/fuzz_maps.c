/* /proc/PID/maps: each line alone ("start-end perms offset dev inode [name]", the name any
 * bytes a process gave it with prctl), classified; and the whole file read from an fd. */
#include "fuzz.h"
#include "maps.h"

#include <sys/mman.h>

static int memfd_of(const uint8_t *data, size_t size)
{
        static int fd = -1;

        if (fd < 0)
                fd = memfd_create("maps", MFD_CLOEXEC);
        FUZZ_ASSERT(fd >= 0);
        FUZZ_ASSERT(ftruncate(fd, 0) == 0);
        FUZZ_ASSERT(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size);
        return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data, *end = p + size;
        struct maps_totals tot;
        char buf[512];

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
                struct maps_entry e;

                if (maps_parse_line(p, n, &e) == 0) {
                        enum maps_class c = maps_classify(&e);
                        FUZZ_ASSERT(c < MAPS_CLASS_MAX && maps_class_name(c) != NULL);
                        FUZZ_ASSERT(e.name_len == 0 || (e.name >= p && e.name + e.name_len <= p + n));
                }
                p += n + (nl ? 1 : 0);
        }
        /* a small buffer, so that lines longer than it come cut */
        maps_scan(memfd_of(data, size), buf, sizeof(buf), &tot);
        return 0;
}
