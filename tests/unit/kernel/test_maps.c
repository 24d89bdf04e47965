/* Unit tests for src/kernel/maps.c: parsing and classifying /proc/PID/maps lines, and scanning whole
 * maps and smaps files (tests/data/proc/{maps,smaps}-python-jit, modelled on a CPython 3.13
 * process with its JIT on: three JIT mappings of 4096, 32768 and 8192 bytes, a perf
 * trampoline, a libffi closure, the vdso). Run from the repository root. */
#include "maps.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA "tests/data/proc/"
#define KB 1024ULL

/* Parses s from a heap copy of exactly strlen(s) bytes (ASan sees any over-read); the entry's
 * name is copied out into name (NUL-terminated) before the copy is freed. */
static int parse(const char *s, struct maps_entry *e, char *name, size_t name_size)
{
        size_t len = strlen(s);
        char *p = malloc(len ? len : 1);
        int r;

        if (!p)
                return -ENOMEM;
        memcpy(p, s, len);
        r = maps_parse_line(p, len, e);
        if (r == 0 && name) {
                size_t n = e->name_len < name_size - 1 ? e->name_len : name_size - 1;
                CHECK(e->name >= p && e->name + e->name_len == p + len);
                memcpy(name, e->name, n);
                name[n] = '\0';
        }
        if (r == 0) {
                e->name = name; /* do not leave a dangling pointer */
                e->name_len = name ? strlen(name) : 0;
        }
        free(p);
        return r;
}

static enum maps_class classify(const char *s)
{
        struct maps_entry e;
        char name[256];

        if (parse(s, &e, name, sizeof(name)) < 0)
                return MAPS_CLASS_MAX;
        return maps_classify(&e);
}

static void test_parse_line(void)
{
        struct maps_entry e, before;
        char name[256];

        CHECK_EQ_INT(parse("7f3c10000000-7f3c10001000 r-xp 00000000 00:00 0 ", &e, name, sizeof(name)), 0);
        CHECK_EQ_U64(e.start, 0x7f3c10000000ULL);
        CHECK_EQ_U64(e.end, 0x7f3c10001000ULL);
        CHECK_STR(e.perms, "r-xp");
        CHECK_EQ_U64(e.inode, 0);
        CHECK_EQ_INT(e.name_len, 0);

        /* No trailing space at all. */
        CHECK_EQ_INT(parse("1000-2000 r-xp 00000000 00:00 0", &e, name, sizeof(name)), 0);
        CHECK_EQ_INT(e.name_len, 0);

        CHECK_EQ_INT(parse("7f3c10826000-7f3c1097c000 r-xp 00026000 fe:00 332835                     "
                           "/usr/lib/x86_64-linux-gnu/libc.so.6", &e, name, sizeof(name)), 0);
        CHECK_EQ_U64(e.end - e.start, 0x156000);
        CHECK_EQ_U64(e.inode, 332835);
        CHECK_EQ_U64(e.offset, 0x26000);
        CHECK_STR(name, "/usr/lib/x86_64-linux-gnu/libc.so.6");

        /* A name with spaces is kept whole. */
        CHECK_EQ_INT(parse("7f3c10402000-7f3c10403000 rwxp 00000000 00:01 2051   /memfd:libffi (deleted)",
                           &e, name, sizeof(name)), 0);
        CHECK_STR(e.perms, "rwxp");
        CHECK_EQ_U64(e.inode, 2051);
        CHECK_STR(name, "/memfd:libffi (deleted)");

        CHECK_EQ_INT(parse("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
                           &e, name, sizeof(name)), 0);
        CHECK_EQ_U64(e.start, 0xffffffffff600000ULL);
        CHECK_STR(name, "[vsyscall]");

        /* Upper-case hex, an empty mapping, the largest address. */
        CHECK_EQ_INT(parse("7F3C1000-7F3C2000 r--s 0000ABCD 00:05 12 /dev/shm/x", &e, name, sizeof(name)), 0);
        CHECK_EQ_U64(e.start, 0x7f3c1000);
        CHECK_STR(e.perms, "r--s");
        CHECK_EQ_INT(parse("1000-1000 ---p 0 00:00 0", &e, name, sizeof(name)), 0);
        CHECK_EQ_U64(e.end - e.start, 0);
        CHECK_EQ_INT(parse("0-ffffffffffffffff ---p 0 00:00 0", &e, name, sizeof(name)), 0);
        CHECK_EQ_U64(e.end, UINT64_MAX);

        /* Malformed lines: -EINVAL, the entry left alone. */
        memset(&e, 0x5a, sizeof(e));
        before = e;
        CHECK_EQ_INT(parse("", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("garbage", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000-", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("-2000 r-xp 0 00:00 0", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000 2000 r-xp 0 00:00 0", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("2000-1000 r-xp 0 00:00 0", &e, name, sizeof(name)), -EINVAL); /* end < start */
        CHECK_EQ_INT(parse("1000-2000", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000-2000 r-x", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000-2000 r-x 0 00:00 0", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000-2000 r-xpp 0 00:00 0", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000-2000 r-xp", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000-2000 r-xp ", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000-2000 r-xp zz 00:00 0", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000-2000 r-xp 0", &e, name, sizeof(name)), -EINVAL);   /* no dev */
        CHECK_EQ_INT(parse("1000-2000 r-xp 0 00:00", &e, name, sizeof(name)), -EINVAL); /* no inode */
        CHECK_EQ_INT(parse("1000-2000 r-xp 0 00:00 ", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000-2000 r-xp 0 00:00 x", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000-2000 r-xp 0 00:00 -1", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("10000000000000000-10000000000000001 r-xp 0 00:00 0", &e, name, sizeof(name)),
                     -EINVAL); /* 17 hex digits */
        CHECK_EQ_INT(parse("1000-2000 r-xp 0 00:00 99999999999999999999", &e, name, sizeof(name)), -EINVAL);
        CHECK(memcmp(&e, &before, sizeof(e)) == 0);
}

static void test_classify(void)
{
        struct maps_entry e;

        /* Unnamed, read+execute, anonymous: CPython's JIT. */
        CHECK_EQ_INT(classify("7f3c10000000-7f3c10001000 r-xp 00000000 00:00 0 "), MAPS_JIT);
        CHECK_EQ_INT(classify("7f3c10000000-7f3c10001000 r-xp 00000000 00:00 0"), MAPS_JIT);
        /* Named by CPython: trusted, even when writable. */
        CHECK_EQ_INT(classify("7f3c10200000-7f3c10202000 r-xp 00000000 00:00 0    [anon:cpython:jit]"), MAPS_JIT);
        CHECK_EQ_INT(classify("7f3c10200000-7f3c10202000 rwxp 00000000 00:00 0    [anon:cpython:jit]"), MAPS_JIT);
        CHECK_EQ_INT(classify("7f3c10300000-7f3c10304000 r-xp 00000000 00:00 0    [anon:cpython:perf_trampoline]"),
                     MAPS_PERF_TRAMPOLINE);
        CHECK_EQ_INT(classify("7f3c10300000-7f3c10304000 rwxp 00000000 00:00 0    [anon:cpython:perf_trampoline]"),
                     MAPS_PERF_TRAMPOLINE);
        /* ... but not when it cannot run, and not when backed by a file. */
        CHECK_EQ_INT(classify("7f3c10200000-7f3c10202000 r--p 00000000 00:00 0    [anon:cpython:jit]"), MAPS_OTHER);
        CHECK_EQ_INT(classify("7f3c10200000-7f3c10202000 rw-p 00000000 00:00 0    [anon:cpython:jit]"), MAPS_OTHER);
        CHECK_EQ_INT(classify("7f3c10200000-7f3c10202000 r-xp 00000000 00:05 77   [anon:cpython:jit]"), MAPS_OTHER);
        /* Near misses of the names are some other anonymous code. */
        CHECK_EQ_INT(classify("7f3c10200000-7f3c10202000 r-xp 00000000 00:00 0    [anon:cpython:jitx]"),
                     MAPS_EXEC_ANON_OTHER);
        CHECK_EQ_INT(classify("7f3c10200000-7f3c10202000 r-xp 00000000 00:00 0    [anon:cpython:ji]"),
                     MAPS_EXEC_ANON_OTHER);
        /* Writable and executable: libffi closures, other JITs. */
        CHECK_EQ_INT(classify("7f3c10400000-7f3c10401000 rwxp 00000000 00:00 0 "), MAPS_EXEC_WX);
        CHECK_EQ_INT(classify("7f3c10400000-7f3c10401000 rwxp 00000000 00:00 0    [anon:ffi]"), MAPS_EXEC_WX);
        CHECK_EQ_INT(classify("7f3c10400000-7f3c10401000 -wxp 00000000 00:00 0 "), MAPS_EXEC_WX);
        /* Other named anonymous code. */
        CHECK_EQ_INT(classify("7f3c10500000-7f3c10502000 r-xp 00000000 00:00 0    [anon:other]"),
                     MAPS_EXEC_ANON_OTHER);
        CHECK_EQ_INT(classify("7f3c10500000-7f3c10502000 r-xp 00000000 00:00 0    [anon:]"),
                     MAPS_EXEC_ANON_OTHER);
        /* Kernel mappings, whatever their flags. */
        CHECK_EQ_INT(classify("7ffd2a1fc000-7ffd2a1fe000 r-xp 00000000 00:00 0    [vdso]"), MAPS_OTHER);
        CHECK_EQ_INT(classify("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0  [vsyscall]"), MAPS_OTHER);
        CHECK_EQ_INT(classify("55d4aa1f0000-55d4aa3b4000 rw-p 00000000 00:00 0    [heap]"), MAPS_OTHER);
        CHECK_EQ_INT(classify("55d4aa1f0000-55d4aa3b4000 rwxp 00000000 00:00 0    [heap]"), MAPS_OTHER);
        CHECK_EQ_INT(classify("7ffd2a1c4000-7ffd2a1e5000 rwxp 00000000 00:00 0    [stack]"), MAPS_OTHER);
        CHECK_EQ_INT(classify("7ffd2a1c4000-7ffd2a1e5000 r-xp 00000000 00:00 0    [anon"), MAPS_OTHER);
        /* Files. */
        CHECK_EQ_INT(classify("7f3c10826000-7f3c1097c000 r-xp 00026000 fe:00 332835    /usr/lib/libc.so.6"),
                     MAPS_OTHER);
        CHECK_EQ_INT(classify("7f3c10402000-7f3c10403000 rwxp 00000000 00:01 2051   /memfd:libffi (deleted)"),
                     MAPS_OTHER);
        CHECK_EQ_INT(classify("7f3c10402000-7f3c10403000 r-xp 00000000 00:00 0   /a/path/with/no/inode"),
                     MAPS_OTHER);
        CHECK_EQ_INT(classify("7f3c10402000-7f3c10403000 r-xp 00000000 00:00 0   anything"), MAPS_OTHER);
        /* Not executable. */
        CHECK_EQ_INT(classify("7f3c0fe00000-7f3c0ff00000 r--p 00000000 00:00 0 "), MAPS_OTHER);
        CHECK_EQ_INT(classify("7f3c0fe00000-7f3c0ff00000 rw-p 00000000 00:00 0 "), MAPS_OTHER);
        CHECK_EQ_INT(classify("7f3c0fe00000-7f3c0ff00000 ---p 00000000 00:00 0 "), MAPS_OTHER);
        /* Execute-only anonymous memory is not the JIT's read+execute shape. */
        CHECK_EQ_INT(classify("7f3c10000000-7f3c10001000 --xp 00000000 00:00 0 "), MAPS_EXEC_ANON_OTHER);

        /* classify reads only the entry: a hand-built one with no name at all. */
        memset(&e, 0, sizeof(e));
        memcpy(e.perms, "r-xp", 5);
        e.start = 0x1000;
        e.end = 0x2000;
        e.name = NULL;
        CHECK_EQ_INT(maps_classify(&e), MAPS_JIT);
        e.inode = 1;
        CHECK_EQ_INT(maps_classify(&e), MAPS_OTHER);

        CHECK_STR(maps_class_name(MAPS_OTHER), "other");
        CHECK_STR(maps_class_name(MAPS_JIT), "jit");
        CHECK_STR(maps_class_name(MAPS_PERF_TRAMPOLINE), "perf_trampoline");
        CHECK_STR(maps_class_name(MAPS_EXEC_WX), "exec_writable");
        CHECK_STR(maps_class_name(MAPS_EXEC_ANON_OTHER), "exec_anon_other");
        CHECK_STR(maps_class_name(MAPS_CLASS_MAX), "other");
}

/* The class totals of both fixture files. */
static void check_fixture_totals(const struct maps_totals *t)
{
        CHECK_EQ_U64(t->bytes[MAPS_JIT], 4096 + 32768 + 8192);
        CHECK_EQ_INT(t->count[MAPS_JIT], 3);
        CHECK_EQ_U64(t->bytes[MAPS_PERF_TRAMPOLINE], 16384);
        CHECK_EQ_INT(t->count[MAPS_PERF_TRAMPOLINE], 1);
        CHECK_EQ_U64(t->bytes[MAPS_EXEC_WX], 4096); /* the anonymous libffi closure */
        CHECK_EQ_INT(t->count[MAPS_EXEC_WX], 1);
        CHECK_EQ_U64(t->bytes[MAPS_EXEC_ANON_OTHER], 8192); /* [anon:llvmlite] */
        CHECK_EQ_INT(t->count[MAPS_EXEC_ANON_OTHER], 1);
        /* python3.13 5 x 4 KiB, [heap] 0x1c4000, an arena 1 MiB, JIT data 32 KiB, the libffi
         * memfd 4 KiB, libffi.so 48 KiB, libc.so.6 0x1d5000, anon 52 KiB, [stack] 0x21000,
         * [vvar] 16 KiB, [vdso] 8 KiB, [vsyscall] 4 KiB. */
        CHECK_EQ_U64(t->bytes[MAPS_OTHER], 5 * 4096ULL + 0x1c4000 + 0x100000 + 32768 + 4096 + 49152 +
                                                   0x1d5000 + 53248 + 0x21000 + 16384 + 8192 + 4096);
        CHECK_EQ_U64(t->bytes[MAPS_OTHER], 5144576);
        CHECK_EQ_INT(t->count[MAPS_OTHER], 23);
        /* VmExe + VmLib's share: every r-x mapping (python3.13's text 4 KiB, the JIT's 4 + 32
         * + 8 KiB, the perf arena 16 KiB, llvmlite's 8 KiB, libffi's 28 KiB, libc's 0x156000,
         * [vdso] 8 KiB); not the rwx ones, nor [vsyscall], which is outside the address space. */
        CHECK_EQ_U64(t->exec_vm, 4096 + 4096 + 32768 + 8192 + 16384 + 8192 + 0x7000 + 0x156000 + 8192);
}

static int open_data(const char *name)
{
        int fd = open(name, O_RDONLY | O_CLOEXEC);

        if (fd < 0)
                fprintf(stderr, "cannot open %s\n", name);
        return fd;
}

static void test_scan_fixture(void)
{
        static const size_t caps[] = { 115, 128, 256, 4096, 65536 }; /* longest line: 114 */
        struct maps_totals t;
        char *buf;
        int fd;

        fd = open_data(DATA "maps-python-jit");
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
                buf = malloc(caps[i]);
                if (!buf)
                        break;
                memset(&t, 0x5a, sizeof(t));
                CHECK_EQ_INT(maps_scan(fd, buf, caps[i], &t), 0);
                check_fixture_totals(&t);
                /* Again on the same fd: the scan starts from offset 0. */
                memset(&t, 0x5a, sizeof(t));
                CHECK_EQ_INT(maps_scan(fd, buf, caps[i], &t), 0);
                check_fixture_totals(&t);
                free(buf);
        }
        close(fd);
}

static void test_scan_smaps_fixture(void)
{
        static const size_t caps[] = { 115, 256, 4096, 65536 };
        struct maps_totals t;
        struct procfs_mem all, jit;
        char *buf;
        int fd;

        fd = open_data(DATA "smaps-python-jit");
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
                buf = malloc(caps[i]);
                if (!buf)
                        break;
                memset(&all, 0x5a, sizeof(all));
                memset(&jit, 0x5a, sizeof(jit));
                CHECK_EQ_INT(maps_scan_smaps(fd, buf, caps[i], &t, &all, &jit), 0);
                check_fixture_totals(&t);

                /* The whole process, what smaps_rollup would say. */
                CHECK_EQ_U64(all.rss, 4292 * KB);
                CHECK_EQ_U64(all.pss, 2974 * KB);
                CHECK_EQ_U64(all.shared_clean, 1408 * KB);
                CHECK_EQ_U64(all.shared_dirty, 4 * KB);
                CHECK_EQ_U64(all.private_clean, 4 * KB);
                CHECK_EQ_U64(all.private_dirty, 2876 * KB);
                CHECK_EQ_U64(all.anonymous, 2876 * KB);
                CHECK_EQ_U64(all.swap, 72 * KB);
                CHECK_EQ_U64(all.swap_pss, 72 * KB);
                CHECK_EQ_U64(all.pss_anon, 0); /* smaps has no Pss_Anon lines */
                CHECK_EQ_U64(all.shared_clean + all.shared_dirty + all.private_clean + all.private_dirty,
                             all.rss);

                /* The JIT only: 4 KiB (shared with a forked child, Pss 2), 24 of 32 KiB
                 * resident with 8 swapped out, 8 KiB named [anon:cpython:jit]. */
                CHECK_EQ_U64(jit.rss, (4 + 24 + 8) * KB);
                CHECK_EQ_U64(jit.pss, (2 + 24 + 8) * KB);
                CHECK_EQ_U64(jit.shared_clean, 0);
                CHECK_EQ_U64(jit.shared_dirty, 4 * KB);
                CHECK_EQ_U64(jit.private_clean, 0);
                CHECK_EQ_U64(jit.private_dirty, 32 * KB);
                CHECK_EQ_U64(jit.anonymous, 36 * KB);
                CHECK_EQ_U64(jit.swap, 8 * KB);
                CHECK_EQ_U64(jit.swap_pss, 8 * KB);
                CHECK_EQ_U64(procfs_mem_uss(&jit), 32 * KB);
                free(buf);
        }
        close(fd);
}

/* Writes text to a new temporary file; returns an fd open for reading from offset 0. */
static int temp_file(const char *text, size_t len)
{
        char path[] = "/tmp/jitmem-test-maps-XXXXXX";
        int fd = mkstemp(path);

        if (fd < 0)
                return -1;
        unlink(path);
        if (write(fd, text, len) != (ssize_t)len) {
                close(fd);
                return -1;
        }
        return fd;
}

/* A line longer than the buffer is cut and passed once: its head still parses (a file
 * mapping), and the lines after it are read whole and right. */
static void test_scan_long_line(void)
{
        char text[4096], path[700], buf[256];
        struct maps_totals t;
        struct procfs_mem all, jit;
        size_t n = 0;
        int fd;

        memset(path, 'p', sizeof(path) - 1);
        path[0] = '/';
        path[sizeof(path) - 1] = '\0';
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              "7f0000000000-7f0000100000 r-xp 00000000 fe:00 42        %s\n"
                              "7f3c10000000-7f3c10001000 r-xp 00000000 00:00 0 \n"
                              "7f3c10002000-7f3c10004000 r-xp 00000000 00:00 0    [anon:cpython:jit]\n"
                              "7f3c10004000-7f3c10005000 rwxp 00000000 00:00 0 \n"
                              "7f1000000000-7f1000001000 r-xp 00000000 fe:00 43        %s",
                              path, path);
        fd = temp_file(text, n);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        memset(&t, 0x5a, sizeof(t));
        CHECK_EQ_INT(maps_scan(fd, buf, sizeof(buf), &t), 0);
        CHECK_EQ_INT(t.count[MAPS_OTHER], 2); /* both long lines, counted once each */
        CHECK_EQ_U64(t.bytes[MAPS_OTHER], 0x100000 + 0x1000);
        CHECK_EQ_INT(t.count[MAPS_JIT], 2);
        CHECK_EQ_U64(t.bytes[MAPS_JIT], 0x1000 + 0x2000);
        CHECK_EQ_INT(t.count[MAPS_EXEC_WX], 1);
        CHECK_EQ_INT(t.count[MAPS_PERF_TRAMPOLINE] + t.count[MAPS_EXEC_ANON_OTHER], 0);
        close(fd);

        /* The same in smaps: the long header's fields go to "all", the JIT's to "jit". */
        n = (size_t)snprintf(text, sizeof(text),
                             "7f0000000000-7f0000100000 r-xp 00000000 fe:00 42        %s\n"
                             "Rss:                 100 kB\n"
                             "Pss:                  50 kB\n"
                             "VmFlags: rd ex mr mw me \n"
                             "7f3c10000000-7f3c10001000 r-xp 00000000 00:00 0 \n"
                             "Rss:                   4 kB\n"
                             "Pss:                   4 kB\n"
                             "Private_Dirty:         4 kB\n"
                             "VmFlags: rd ex mr mw me ac \n",
                             path);
        fd = temp_file(text, n);
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        CHECK_EQ_INT(maps_scan_smaps(fd, buf, sizeof(buf), &t, &all, &jit), 0);
        CHECK_EQ_INT(t.count[MAPS_OTHER], 1);
        CHECK_EQ_INT(t.count[MAPS_JIT], 1);
        CHECK_EQ_U64(all.rss, 104 * KB);
        CHECK_EQ_U64(all.pss, 54 * KB);
        CHECK_EQ_U64(jit.rss, 4 * KB);
        CHECK_EQ_U64(jit.pss, 4 * KB);
        CHECK_EQ_U64(procfs_mem_uss(&jit), 4 * KB);
        close(fd);
}

static void test_scan_errors(void)
{
        static const char bad_maps[] = "7f3c10000000-7f3c10001000 r-xp 00000000 00:00 0 \nnot a mapping\n";
        static const char bad_smaps_field[] = "1000-2000 r-xp 0 00:00 0 \nRss: lots kB\n";
        static const char smaps_no_header[] = "Rss: 4 kB\n1000-2000 r-xp 0 00:00 0 \n";
        char buf[256];
        struct maps_totals t, tb;
        struct procfs_mem all, jit, mb;
        int fd;

        memset(&t, 0x5a, sizeof(t));
        tb = t;
        memset(&all, 0x5a, sizeof(all));
        mb = all;
        jit = all;

        fd = temp_file(bad_maps, sizeof(bad_maps) - 1);
        CHECK(fd >= 0);
        if (fd >= 0) {
                CHECK_EQ_INT(maps_scan(fd, buf, sizeof(buf), &t), -EINVAL);
                CHECK(memcmp(&t, &tb, sizeof(t)) == 0);
                close(fd);
        }
        fd = temp_file(bad_smaps_field, sizeof(bad_smaps_field) - 1);
        CHECK(fd >= 0);
        if (fd >= 0) {
                CHECK_EQ_INT(maps_scan_smaps(fd, buf, sizeof(buf), &t, &all, &jit), -EINVAL);
                close(fd);
        }
        fd = temp_file(smaps_no_header, sizeof(smaps_no_header) - 1);
        CHECK(fd >= 0);
        if (fd >= 0) {
                CHECK_EQ_INT(maps_scan_smaps(fd, buf, sizeof(buf), &t, &all, &jit), -EINVAL);
                close(fd);
        }
        CHECK(memcmp(&t, &tb, sizeof(t)) == 0);
        CHECK(memcmp(&all, &mb, sizeof(all)) == 0);
        CHECK(memcmp(&jit, &mb, sizeof(jit)) == 0);

        /* An empty file: all zero. */
        fd = temp_file("", 0);
        CHECK(fd >= 0);
        if (fd >= 0) {
                CHECK_EQ_INT(maps_scan(fd, buf, sizeof(buf), &t), 0);
                for (int c = 0; c < MAPS_CLASS_MAX; c++) {
                        CHECK_EQ_U64(t.bytes[c], 0);
                        CHECK_EQ_INT(t.count[c], 0);
                }
                CHECK_EQ_INT(maps_scan_smaps(fd, buf, sizeof(buf), &t, &all, &jit), 0);
                CHECK_EQ_U64(all.rss, 0);
                close(fd);
        }

        /* A bad fd and a pipe (no lseek) are errors. */
        CHECK_EQ_INT(maps_scan(-1, buf, sizeof(buf), &t), -EBADF);
        {
                int p[2];
                if (pipe(p) == 0) {
                        CHECK_EQ_INT(maps_scan(p[0], buf, sizeof(buf), &t), -ESPIPE);
                        close(p[0]);
                        close(p[1]);
                }
        }
}

static void test_inode_end_checked(void)
{
        struct maps_entry e;
        char name[64];

        CHECK_EQ_INT(parse("1000-2000 r-xp 0 00:00 12abc", &e, name, sizeof(name)), -EINVAL);
        CHECK_EQ_INT(parse("1000-2000 r-xp 0 00:00 12 abc", &e, name, sizeof(name)), 0);
        CHECK_EQ_U64(e.inode, 12);
}

int main(void)
{
        test_inode_end_checked();
        test_parse_line();
        test_classify();
        test_scan_fixture();
        test_scan_smaps_fixture();
        test_scan_long_line();
        test_scan_errors();
        return unit_finish("test_maps");
}
