#include "tree.h"
#include "kfile.h"
#include "procfs.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A children file lists PIDs of up to 10 digits separated by spaces; 64 KiB holds thousands. */
#define CHILDREN_BUF 65536

static int read_children(int dirfd, const char *name, tree_pid_cb cb, void *userdata)
{
        char buf[CHILDREN_BUF];
        ssize_t n = kfile_read_at(dirfd, name, buf, sizeof(buf));

        if (n < 0)
                return (int)n;
        return procfs_parse_pid_list(buf, (size_t)n, cb, userdata);
}

int tree_have_children_files(void)
{
        char path[64];
        int fd;

        snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
        fd = kfile_open(path, 0);
        if (fd < 0)
                return 0;
        close(fd);
        return 1;
}

int tree_children(int dirfd, int pid, uint64_t threads, tree_pid_cb cb, void *userdata)
{
        char name[64];
        DIR *d;
        int fd, r = 0;
        struct dirent *de;

        if (threads <= 1) {
                snprintf(name, sizeof(name), "task/%d/children", pid);
                return read_children(dirfd, name, cb, userdata);
        }
        fd = openat(dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d)) != NULL) {
                uint64_t tid;
                if (util_parse_u64(de->d_name, strlen(de->d_name), &tid) != (int)strlen(de->d_name))
                        continue;
                snprintf(name, sizeof(name), "task/%d/children", (int)tid);
                r = read_children(dirfd, name, cb, userdata);
                if (r == -ESRCH) { /* that thread ended meanwhile */
                        r = 0;
                        continue;
                }
                if (r != 0)
                        break;
        }
        closedir(d);
        return r;
}

int tree_scan_all(int (*cb)(int pid, int ppid, void *userdata), void *userdata)
{
        int fd = kfile_open("/proc", O_DIRECTORY);
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (fd < 0)
                return fd;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d)) != NULL) {
                char name[32], buf[1024];
                struct procfs_stat st;
                uint64_t pid;
                size_t len = strlen(de->d_name);
                ssize_t n;

                if (util_parse_u64(de->d_name, len, &pid) != (int)len)
                        continue;
                snprintf(name, sizeof(name), "%d/stat", (int)pid);
                n = kfile_read_at(dirfd(d), name, buf, sizeof(buf));
                if (n < 0 || procfs_parse_stat(buf, (size_t)n, &st) < 0)
                        continue; /* gone, or not ours to read */
                r = cb((int)pid, st.ppid, userdata);
                if (r != 0)
                        break;
        }
        closedir(d);
        return r;
}
