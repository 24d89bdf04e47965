/* Every /proc and /sys path jitmem reads goes through here, below one configurable root
 * ("" by default; a fixture tree in tests, or a host's root mounted into a container). */
#ifndef JITMEM_KFILE_H
#define JITMEM_KFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define KFILE_PATH_MAX 4096

/* Sets the root prefix (NULL or "" for the real root). Returns 0 or -ENAMETOOLONG. */
int kfile_set_root(const char *root);

/* The current root prefix ("" when none). */
const char *kfile_root(void);

/* Writes root + path into buf. Returns 0 or -ENAMETOOLONG. */
int kfile_path(char *buf, size_t size, const char *path);

/* Opens root + path (O_RDONLY|O_CLOEXEC plus flags). Returns an fd or -errno. */
int kfile_open(const char *path, int flags);

/* Opens a path of jitmem's own /proc (no root prefix): for processes jitmem started itself,
 * which live in its PID namespace whatever the root. Returns an fd or -errno. */
int kfile_open_local(const char *path, int flags);

/* Opens name relative to dirfd (O_RDONLY|O_CLOEXEC). Returns an fd or -errno;
 * -ENOENT from a /proc/PID directory means the process is gone and becomes -ESRCH. */
int kfile_openat(int dirfd, const char *name);

/* Reads a small kernel file from offset 0 with one pread() (retried on EINTR) into buf and
 * NUL-terminates it. Reads size - 1 bytes at most; when the file fills them, the content may
 * be truncated and -EFBIG is returned. Returns the length or -errno (ESRCH: process gone). */
ssize_t kfile_pread(int fd, char *buf, size_t size);

/* Opens, reads and closes root + path like kfile_pread(). */
ssize_t kfile_read(const char *path, char *buf, size_t size);

/* Opens name below dirfd, reads like kfile_pread() and closes. */
ssize_t kfile_read_at(int dirfd, const char *name, char *buf, size_t size);

/* Reads a file holding one unsigned decimal number (cgroup style). "max" gives -ERANGE
 * so callers can treat it as "no limit". Returns 0 or -errno. */
int kfile_read_u64(const char *path, uint64_t *ret);

/* Streams a text file of any length line by line through a fixed buffer of `cap` bytes
 * (the caller's), from offset 0 of an open fd (lseek + read), without the newline. A line
 * longer than the buffer is passed once, cut to the buffer's length.
 * cb returns 0 to go on, > 0 to stop early, < 0 to fail. Returns 0, the cb's value, or -errno. */
typedef int (*kfile_line_cb)(const char *line, size_t len, void *userdata);
int kfile_scan_lines(int fd, char *buf, size_t cap, kfile_line_cb cb, void *userdata);

#endif
