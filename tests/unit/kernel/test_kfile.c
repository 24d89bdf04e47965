/* Unit tests for src/kernel/kfile.c: the root prefix, whole-file reads with truncation detection, the
 * number reader and the line scanner. Fixtures: tests/data/proc/ (read through a root of
 * "tests/data") and small files written to a temporary directory. Run from the repository
 * root. */
#include "kfile.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];

/* Writes tmpdir/name with text. Returns 0 or -1. */
static int put(const char *name, const char *text, size_t len)
{
        char path[256];
        int fd;
        ssize_t n;

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -1;
        n = write(fd, text, len);
        close(fd);
        return n == (ssize_t)len ? 0 : -1;
}

static void rm(const char *name)
{
        char path[256];

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        unlink(path);
}

static void test_root(void)
{
        char buf[64], *longroot;

        CHECK_EQ_INT(kfile_set_root(NULL), 0);
        CHECK_STR(kfile_root(), "");
        CHECK_EQ_INT(kfile_path(buf, sizeof(buf), "/proc/1/stat"), 0);
        CHECK_STR(buf, "/proc/1/stat");

        CHECK_EQ_INT(kfile_set_root("tests/data"), 0);
        CHECK_STR(kfile_root(), "tests/data");
        CHECK_EQ_INT(kfile_path(buf, sizeof(buf), "/proc/meminfo"), 0);
        CHECK_STR(buf, "tests/data/proc/meminfo");

        /* Trailing slashes go; a root of only slashes is no root. */
        CHECK_EQ_INT(kfile_set_root("tests/data///"), 0);
        CHECK_STR(kfile_root(), "tests/data");
        CHECK_EQ_INT(kfile_set_root("/host/"), 0);
        CHECK_STR(kfile_root(), "/host");
        CHECK_EQ_INT(kfile_path(buf, sizeof(buf), "/proc/self/maps"), 0);
        CHECK_STR(buf, "/host/proc/self/maps");
        CHECK_EQ_INT(kfile_set_root("/"), 0);
        CHECK_STR(kfile_root(), "");
        CHECK_EQ_INT(kfile_set_root("///"), 0);
        CHECK_STR(kfile_root(), "");
        CHECK_EQ_INT(kfile_set_root("/host"), 0);
        CHECK_EQ_INT(kfile_set_root(""), 0);
        CHECK_STR(kfile_root(), "");

        /* kfile_path: exactly fitting, one byte short. */
        CHECK_EQ_INT(kfile_set_root("tests/data"), 0);
        CHECK_EQ_INT(kfile_path(buf, 24, "/proc/meminfo"), 0); /* 23 bytes + NUL */
        CHECK_STR(buf, "tests/data/proc/meminfo");
        CHECK_EQ_INT(kfile_path(buf, 23, "/proc/meminfo"), -ENAMETOOLONG);
        CHECK_EQ_INT(kfile_path(buf, 0, ""), -ENAMETOOLONG);
        CHECK_EQ_INT(kfile_path(buf, 11, ""), 0);
        CHECK_STR(buf, "tests/data");

        /* A root too long for the prefix buffer is refused and the old root is kept. */
        longroot = malloc(KFILE_PATH_MAX + 2);
        CHECK(longroot != NULL);
        if (!longroot)
                return;
        memset(longroot, 'r', KFILE_PATH_MAX + 1);
        longroot[0] = '/';
        longroot[KFILE_PATH_MAX] = '\0'; /* 4096 characters */
        CHECK_EQ_INT(kfile_set_root(longroot), -ENAMETOOLONG);
        CHECK_STR(kfile_root(), "tests/data");
        longroot[KFILE_PATH_MAX] = '/'; /* 4096 + a slash that goes: still too long */
        longroot[KFILE_PATH_MAX + 1] = '\0';
        CHECK_EQ_INT(kfile_set_root(longroot), -ENAMETOOLONG);
        CHECK_STR(kfile_root(), "tests/data");
        longroot[KFILE_PATH_MAX - 1] = '/'; /* 4095 + a slash: 4095 fits */
        longroot[KFILE_PATH_MAX] = '\0';
        CHECK_EQ_INT(kfile_set_root(longroot), 0);
        CHECK_EQ_INT(strlen(kfile_root()), KFILE_PATH_MAX - 1);
        /* ... but nothing below it does. */
        {
                char *big = malloc(KFILE_PATH_MAX * 2);
                if (big) {
                        CHECK_EQ_INT(kfile_path(big, KFILE_PATH_MAX * 2, "/proc/meminfo"), 0);
                        CHECK_EQ_INT(strlen(big), KFILE_PATH_MAX - 1 + 13);
                        free(big);
                }
        }
        CHECK_EQ_INT(kfile_open("/proc/meminfo", 0), -ENAMETOOLONG);
        CHECK_EQ_INT(kfile_read("/proc/meminfo", buf, sizeof(buf)), -ENAMETOOLONG);
        free(longroot);
        CHECK_EQ_INT(kfile_set_root(NULL), 0);
}

static void test_read(void)
{
        char buf[4096], small[16];
        ssize_t n;
        int fd;

        CHECK_EQ_INT(kfile_set_root("tests/data"), 0);
        n = kfile_read("/proc/statm-sleep", buf, sizeof(buf));
        CHECK_EQ_INT(n, 21);
        CHECK_STR(buf, "730 439 412 5 0 89 0\n");
        n = kfile_read("/proc/meminfo", buf, sizeof(buf));
        CHECK_EQ_INT(n, 1503);
        CHECK(strncmp(buf, "MemTotal:", 9) == 0);
        CHECK_EQ_INT(strlen(buf), 1503);

        /* Filling the buffer is truncation: -EFBIG, with what fit NUL-terminated. */
        memset(small, 'z', sizeof(small));
        CHECK_EQ_INT(kfile_read("/proc/meminfo", small, sizeof(small)), -EFBIG);
        CHECK_STR(small, "MemTotal:      ");
        /* A file of exactly size - 1 bytes cannot be told from a longer one: -EFBIG too. */
        CHECK_EQ_INT(kfile_read("/proc/statm-sleep", buf, 23), 21);
        CHECK_EQ_INT(kfile_read("/proc/statm-sleep", buf, 22), -EFBIG);
        CHECK_STR(buf, "730 439 412 5 0 89 0\n");
        CHECK_EQ_INT(kfile_read("/proc/statm-sleep", buf, 21), -EFBIG);
        CHECK_EQ_INT(strlen(buf), 20);
        CHECK_EQ_INT(kfile_read("/proc/statm-sleep", buf, 1), -EINVAL);
        CHECK_EQ_INT(kfile_read("/proc/children-empty", buf, sizeof(buf)), 0);
        CHECK_STR(buf, "");

        CHECK_EQ_INT(kfile_read("/proc/no-such-file", buf, sizeof(buf)), -ENOENT);
        CHECK_EQ_INT(kfile_read("/proc", buf, sizeof(buf)), -EISDIR);

        /* kfile_pread re-reads from offset 0 whatever the fd's position. */
        fd = kfile_open("/proc/statm-sleep", 0);
        CHECK(fd >= 0);
        if (fd >= 0) {
                CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
                CHECK_EQ_INT(lseek(fd, 5, SEEK_SET), 5);
                CHECK_EQ_INT(kfile_pread(fd, buf, sizeof(buf)), 21);
                CHECK_EQ_INT(kfile_pread(fd, buf, sizeof(buf)), 21);
                CHECK_STR(buf, "730 439 412 5 0 89 0\n");
                CHECK_EQ_INT(kfile_pread(fd, buf, 4), -EFBIG);
                CHECK_STR(buf, "730");
                CHECK_EQ_INT(kfile_pread(fd, buf, 0), -EINVAL);
                close(fd);
        }
        CHECK_EQ_INT(kfile_pread(-1, buf, sizeof(buf)), -EBADF);

        /* kfile_open_local ignores the root. */
        fd = kfile_open_local("tests/data/proc/statm-sleep", 0);
        CHECK(fd >= 0);
        if (fd >= 0) {
                CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
                close(fd);
        }
        CHECK_EQ_INT(kfile_open_local("/proc/statm-sleep", 0), -ENOENT);
        CHECK_EQ_INT(kfile_set_root(NULL), 0);
}

static void test_read_at(void)
{
        char buf[256];
        int dirfd, fd;

        dirfd = open("tests/data/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK(dirfd >= 0);
        if (dirfd < 0)
                return;
        CHECK_EQ_INT(kfile_read_at(dirfd, "statm-sleep", buf, sizeof(buf)), 21);
        CHECK_STR(buf, "730 439 412 5 0 89 0\n");
        CHECK_EQ_INT(kfile_read_at(dirfd, "statm-sleep", buf, 8), -EFBIG);
        /* ENOENT below a /proc/PID directory: the process is gone. */
        CHECK_EQ_INT(kfile_read_at(dirfd, "no-such-file", buf, sizeof(buf)), -ESRCH);
        CHECK_EQ_INT(kfile_openat(dirfd, "no-such-file"), -ESRCH);
        CHECK_EQ_INT(kfile_openat(dirfd, "statm-sleep/x"), -ENOTDIR);
        fd = kfile_openat(dirfd, "statm-sleep");
        CHECK(fd >= 0);
        if (fd >= 0) {
                CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
                close(fd);
        }
        close(dirfd);
        CHECK_EQ_INT(kfile_read_at(-1, "statm-sleep", buf, sizeof(buf)), -EBADF);
}

static void test_read_u64(void)
{
        uint64_t v;
        char path[128];

        CHECK_EQ_INT(put("num", "123\n", 4), 0);
        CHECK_EQ_INT(put("max", "max\n", 4), 0);
        CHECK_EQ_INT(put("big", "18446744073709551615\n", 21), 0);
        CHECK_EQ_INT(put("huge", "18446744073709551616\n", 21), 0);
        CHECK_EQ_INT(put("empty", "", 0), 0);
        CHECK_EQ_INT(put("junk", "junk\n", 5), 0);
        CHECK_EQ_INT(put("neg", "-1\n", 3), 0);
        CHECK_EQ_INT(put("space", " 5\n", 3), 0);
        CHECK_EQ_INT(put("long", "1234567890123456789012345678901234567890123456789012345678901234567890\n", 71), 0);
        CHECK_EQ_INT(put("tail", "123abc\n", 7), 0);

        CHECK_EQ_INT(kfile_set_root(tmpdir), 0);
        v = 7;
        CHECK_EQ_INT(kfile_read_u64("/num", &v), 0);
        CHECK_EQ_U64(v, 123);
        CHECK_EQ_INT(kfile_read_u64("/big", &v), 0);
        CHECK_EQ_U64(v, UINT64_MAX);

        v = 7;
        CHECK_EQ_INT(kfile_read_u64("/max", &v), -ERANGE); /* "no limit" */
        CHECK_EQ_INT(kfile_read_u64("/huge", &v), -ERANGE);
        CHECK_EQ_INT(kfile_read_u64("/empty", &v), -EINVAL);
        CHECK_EQ_INT(kfile_read_u64("/junk", &v), -EINVAL);
        CHECK_EQ_INT(kfile_read_u64("/neg", &v), -EINVAL);
        CHECK_EQ_INT(kfile_read_u64("/space", &v), -EINVAL);
        CHECK_EQ_INT(kfile_read_u64("/long", &v), -EFBIG);
        CHECK_EQ_INT(kfile_read_u64("/missing", &v), -ENOENT);
        CHECK_EQ_U64(v, 7);
        /* Trailing junk after the digits is an error, not a silently shorter number. */
        v = 123456;
        CHECK_EQ_INT(kfile_read_u64("/tail", &v), -EINVAL);
        CHECK_EQ_U64(v, 123456);

        /* The root is a prefix, not a chroot: with no root the same file is reached by its
         * full path. */
        CHECK_EQ_INT(kfile_set_root(NULL), 0);
        snprintf(path, sizeof(path), "%s/num", tmpdir);
        v = 0;
        CHECK_EQ_INT(kfile_read_u64(path, &v), 0);
        CHECK_EQ_U64(v, 123);

        rm("num");
        rm("max");
        rm("big");
        rm("huge");
        rm("empty");
        rm("junk");
        rm("neg");
        rm("space");
        rm("long");
        rm("tail");
}

#define MAX_LINES 32

struct lines {
        char text[MAX_LINES][64];
        size_t len[MAX_LINES];
        int n;
        int stop_at;  /* return stop_value on this line (1-based); 0 never */
        int stop_value;
};

static int record(const char *line, size_t len, void *userdata)
{
        struct lines *l = userdata;

        if (l->n < MAX_LINES) {
                size_t k = len < sizeof(l->text[0]) - 1 ? len : sizeof(l->text[0]) - 1;
                memcpy(l->text[l->n], line, k);
                l->text[l->n][k] = '\0';
                l->len[l->n] = len;
        }
        l->n++;
        return l->n == l->stop_at ? l->stop_value : 0;
}

/* Scans text (written to a temporary file) with a heap buffer of exactly cap bytes. */
static int scan(const char *text, size_t cap, struct lines *l)
{
        char *buf;
        int fd, r;

        if (put("scan", text, strlen(text)) < 0)
                return -EIO;
        {
                char path[128];
                snprintf(path, sizeof(path), "%s/scan", tmpdir);
                fd = open(path, O_RDONLY | O_CLOEXEC);
        }
        rm("scan");
        if (fd < 0)
                return -EIO;
        buf = malloc(cap ? cap : 1);
        if (!buf) {
                close(fd);
                return -ENOMEM;
        }
        r = kfile_scan_lines(fd, buf, cap, record, l);
        free(buf);
        close(fd);
        return r;
}

static void test_scan_lines(void)
{
        struct lines l;

        /* Lines split across refills of an 8-byte buffer. */
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("alpha\nbeta\ngamma\ndelta\n", 8, &l), 0);
        CHECK_EQ_INT(l.n, 4);
        CHECK_STR(l.text[0], "alpha");
        CHECK_STR(l.text[1], "beta");
        CHECK_STR(l.text[2], "gamma");
        CHECK_STR(l.text[3], "delta");

        /* The same with the smallest buffer allowed. */
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("a\nb\n\nc\n", 2, &l), 0);
        CHECK_EQ_INT(l.n, 4);
        CHECK_STR(l.text[0], "a");
        CHECK_STR(l.text[1], "b");
        CHECK_STR(l.text[2], "");
        CHECK_STR(l.text[3], "c");

        /* The last line without a newline. */
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("one\ntwo", 8, &l), 0);
        CHECK_EQ_INT(l.n, 2);
        CHECK_STR(l.text[1], "two");
        CHECK_EQ_INT(l.len[1], 3);

        /* Empty lines and an empty file. */
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("\n\n", 8, &l), 0);
        CHECK_EQ_INT(l.n, 2);
        CHECK_EQ_INT(l.len[0], 0);
        CHECK_EQ_INT(l.len[1], 0);
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("", 8, &l), 0);
        CHECK_EQ_INT(l.n, 0);

        /* A line longer than the buffer: passed once, cut to 8 bytes; the next one intact. */
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("short\nabcdefghijklmnopqrstuvwxyz0123456789\nafter\nend\n", 8, &l), 0);
        CHECK_EQ_INT(l.n, 4);
        CHECK_STR(l.text[0], "short");
        CHECK_STR(l.text[1], "abcdefgh");
        CHECK_EQ_INT(l.len[1], 8);
        CHECK_STR(l.text[2], "after");
        CHECK_STR(l.text[3], "end");

        /* Long enough to need several refills of the buffer while skipping. */
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("0123456789012345678901234567890123456789\nx\n", 4, &l), 0);
        CHECK_EQ_INT(l.n, 2);
        CHECK_STR(l.text[0], "0123");
        CHECK_STR(l.text[1], "x");

        /* Exactly the buffer's length: passed whole, its newline does not make an empty line. */
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("12345678\nnext\n", 8, &l), 0);
        CHECK_EQ_INT(l.n, 2);
        CHECK_STR(l.text[0], "12345678");
        CHECK_STR(l.text[1], "next");

        /* One byte over. */
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("123456789\nnext\n", 8, &l), 0);
        CHECK_EQ_INT(l.n, 2);
        CHECK_STR(l.text[0], "12345678");
        CHECK_STR(l.text[1], "next");

        /* A long last line with no newline: cut once, nothing after. */
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("a\nbcdefghijklmnop", 8, &l), 0);
        CHECK_EQ_INT(l.n, 2);
        CHECK_STR(l.text[1], "bcdefghi");

        /* A long line that starts after a partial refill (not at offset 0 of a read). */
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("abc\ndefghijklmnopqrst\nuv\n", 8, &l), 0);
        CHECK_EQ_INT(l.n, 3);
        CHECK_STR(l.text[0], "abc");
        CHECK_STR(l.text[1], "defghijk");
        CHECK_STR(l.text[2], "uv");

        /* The callback's value stops the scan and is returned, positive or negative. */
        memset(&l, 0, sizeof(l));
        l.stop_at = 2;
        l.stop_value = 7;
        CHECK_EQ_INT(scan("a\nb\nc\nd\n", 8, &l), 7);
        CHECK_EQ_INT(l.n, 2);
        memset(&l, 0, sizeof(l));
        l.stop_at = 3;
        l.stop_value = -EIO;
        CHECK_EQ_INT(scan("a\nb\nc\nd\n", 8, &l), -EIO);
        CHECK_EQ_INT(l.n, 3);
        /* ... also on the cut head of a long line and on a last line without newline. */
        memset(&l, 0, sizeof(l));
        l.stop_at = 1;
        l.stop_value = 3;
        CHECK_EQ_INT(scan("0123456789\nz\n", 4, &l), 3);
        CHECK_EQ_INT(l.n, 1);
        memset(&l, 0, sizeof(l));
        l.stop_at = 2;
        l.stop_value = 9;
        CHECK_EQ_INT(scan("a\nb", 8, &l), 9);

        /* A buffer too small, a bad fd, a pipe (no lseek). */
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(scan("a\n", 1, &l), -EINVAL);
        CHECK_EQ_INT(l.n, 0);
        {
                char buf[8];
                int p[2];
                CHECK_EQ_INT(kfile_scan_lines(-1, buf, sizeof(buf), record, &l), -EBADF);
                if (pipe(p) == 0) {
                        CHECK_EQ_INT(kfile_scan_lines(p[0], buf, sizeof(buf), record, &l), -ESPIPE);
                        close(p[0]);
                        close(p[1]);
                }
        }
}

/* The same fd scanned twice gives the same lines: the scan starts from offset 0. */
static void test_scan_twice(void)
{
        struct lines l;
        char buf[16];
        int fd = open("tests/data/proc/children-bash", O_RDONLY | O_CLOEXEC);

        CHECK(fd >= 0);
        if (fd < 0)
                return;
        for (int i = 0; i < 2; i++) {
                memset(&l, 0, sizeof(l));
                CHECK_EQ_INT(kfile_scan_lines(fd, buf, sizeof(buf), record, &l), 0);
                CHECK_EQ_INT(l.n, 1);
                CHECK_STR(l.text[0], "27513 27514 2751"); /* 24 bytes through 16: cut */
        }
        close(fd);
}

int main(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/jitmem-test-kfile-XXXXXX");
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        test_root();
        test_read();
        test_read_at();
        test_read_u64();
        test_scan_lines();
        test_scan_twice();
        rmdir(tmpdir);
        return unit_finish("test_kfile");
}
