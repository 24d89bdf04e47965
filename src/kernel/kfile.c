#include "kfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static char root_prefix[KFILE_PATH_MAX];

int kfile_set_root(const char *root)
{
        size_t n;

        if (!root || !*root) {
                root_prefix[0] = '\0';
                return 0;
        }
        n = strlen(root);
        while (n > 1 && root[n - 1] == '/')
                n--;
        if (n >= sizeof(root_prefix))
                return -ENAMETOOLONG;
        memcpy(root_prefix, root, n);
        root_prefix[n] = '\0';
        if (strcmp(root_prefix, "/") == 0)
                root_prefix[0] = '\0';
        return 0;
}

const char *kfile_root(void)
{
        return root_prefix;
}

int kfile_path(char *buf, size_t size, const char *path)
{
        size_t a = strlen(root_prefix), b = strlen(path);

        if (a + b + 1 > size)
                return -ENAMETOOLONG;
        memcpy(buf, root_prefix, a);
        memcpy(buf + a, path, b + 1);
        return 0;
}

int kfile_open(const char *path, int flags)
{
        char full[KFILE_PATH_MAX];
        int fd, r;

        r = kfile_path(full, sizeof(full), path);
        if (r < 0)
                return r;
        fd = open(full, O_RDONLY | O_CLOEXEC | flags);
        return fd < 0 ? -errno : fd;
}

int kfile_open_local(const char *path, int flags)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC | flags);

        return fd < 0 ? -errno : fd;
}

int kfile_openat(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        return fd;
}

ssize_t kfile_pread(int fd, char *buf, size_t size)
{
        ssize_t n;

        if (size < 2)
                return -EINVAL;
        do
                n = pread(fd, buf, size - 1, 0);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        buf[n] = '\0';
        if ((size_t)n == size - 1)
                return -EFBIG;
        return n;
}

ssize_t kfile_read(const char *path, char *buf, size_t size)
{
        int fd = kfile_open(path, 0);
        ssize_t n;

        if (fd < 0)
                return fd;
        n = kfile_pread(fd, buf, size);
        close(fd);
        return n;
}

ssize_t kfile_read_at(int dirfd, const char *name, char *buf, size_t size)
{
        int fd = kfile_openat(dirfd, name);
        ssize_t n;

        if (fd < 0)
                return fd;
        n = kfile_pread(fd, buf, size);
        close(fd);
        return n;
}

int kfile_read_u64(const char *path, uint64_t *ret)
{
        char buf[64];
        ssize_t n = kfile_read(path, buf, sizeof(buf));
        uint64_t v;
        int r;

        if (n < 0)
                return (int)n;
        if (strncmp(buf, "max", 3) == 0)
                return -ERANGE;
        r = util_parse_u64(buf, (size_t)n, &v);
        if (r < 0)
                return r;
        for (ssize_t i = r; i < n; i++)
                if (buf[i] != '\n' && buf[i] != ' ')
                        return -EINVAL;
        *ret = v;
        return 0;
}

int kfile_scan_lines(int fd, char *buf, size_t cap, kfile_line_cb cb, void *userdata)
{
        size_t have = 0;
        int skipping = 0;

        if (cap < 2)
                return -EINVAL;
        if (lseek(fd, 0, SEEK_SET) < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        for (;;) {
                ssize_t n;
                size_t start = 0;

                do
                        n = read(fd, buf + have, cap - have);
                while (n < 0 && errno == EINTR);
                if (n < 0)
                        return errno == ENOENT ? -ESRCH : -errno;
                if (n == 0) {
                        if (have > 0 && !skipping)
                                return cb(buf, have, userdata);
                        return 0;
                }
                have += (size_t)n;
                for (;;) {
                        char *nl = memchr(buf + start, '\n', have - start);
                        if (!nl)
                                break;
                        size_t len = (size_t)(nl - (buf + start));
                        if (!skipping) {
                                int r = cb(buf + start, len, userdata);
                                if (r != 0)
                                        return r;
                        }
                        skipping = 0;
                        start += len + 1;
                }
                if (start == 0 && have == cap) {
                        /* A line longer than the buffer: pass its head, drop the rest. */
                        if (!skipping) {
                                int r = cb(buf, have, userdata);
                                if (r != 0)
                                        return r;
                        }
                        skipping = 1;
                        have = 0;
                        continue;
                }
                memmove(buf, buf + start, have - start);
                have -= start;
        }
}
