#include "prom_textfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int prom_write_textfile(const char *path, const char *text, size_t len)
{
        const char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        int dirlen = slash ? (int)(slash - path + 1) : 0;
        char tmp[PATH_MAX];
        int fd, n, r;

        if (!*base)
                return -EINVAL;
        n = snprintf(tmp, sizeof(tmp), "%.*s.%s.XXXXXX", dirlen, path, base);
        if (n < 0 || (size_t)n >= sizeof(tmp))
                return -ENAMETOOLONG;
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = util_write_all(fd, text, len);
        /* mkostemp makes the file 0600; node_exporter usually runs as another user */
        if (r == 0 && fchmod(fd, 0644) < 0)
                r = -errno;
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && rename(tmp, path) < 0)
                r = -errno;
        if (r < 0)
                unlink(tmp);
        return r;
}
