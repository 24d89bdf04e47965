/* Unit tests for src/kernel/procfs.c against files captured from a live system and hand-written
 * malformed ones in tests/data/proc/. Every buffer handed to a parser is a heap copy of exactly
 * its length, with no terminating NUL, so that ASan reports any read past the end. Run from
 * the repository root. */
#include "procfs.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DATA "tests/data/proc/"
#define KB 1024ULL

/* Reads DATA name into a malloc'd buffer of exactly its size (at least 1 byte allocated).
 * Returns NULL on error. */
static char *load(const char *name, size_t *ret_len)
{
        char path[256], tmp[65536];
        size_t len = 0;
        ssize_t n;
        char *buf;
        int fd;

        snprintf(path, sizeof(path), DATA "%s", name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "cannot open %s\n", path);
                return NULL;
        }
        while ((n = read(fd, tmp + len, sizeof(tmp) - len)) > 0)
                len += (size_t)n;
        close(fd);
        if (n < 0 || len == sizeof(tmp))
                return NULL;
        buf = malloc(len ? len : 1);
        if (!buf)
                return NULL;
        memcpy(buf, tmp, len);
        *ret_len = len;
        return buf;
}

/* A heap copy of s without its NUL. */
static char *dup_exact(const char *s, size_t len)
{
        char *p = malloc(len ? len : 1);

        if (p)
                memcpy(p, s, len);
        return p;
}

static int stat_str(const char *s, struct procfs_stat *ret)
{
        size_t len = strlen(s);
        char *p = dup_exact(s, len);
        int r = procfs_parse_stat(p, len, ret);

        free(p);
        return r;
}

static int stat_file(const char *name, struct procfs_stat *ret)
{
        size_t len;
        char *p = load(name, &len);
        int r;

        if (!p)
                return -ENOENT;
        r = procfs_parse_stat(p, len, ret);
        free(p);
        return r;
}

/* The fields after comm in the hand-written stat files: pid 4242, S, ppid 1, pgrp 4242,
 * utime 250, stime 75, 4 threads, starttime 123456, vsize 104857600, rss 2560 pages. */
#define STAT_TAIL                                                                           \
        "S 1 4242 4242 34816 4242 4194560 1500 20 3 0 250 75 10 5 20 0 4 0 123456 104857600 " \
        "2560 18446744073709551615 94866519228416 94866519246345 140733124413712 0 0 0 0 "     \
        "4096 134234626 0 0 0 17 1 0 0 0 0 0 94866519260432 94866519261696 94866995589120 "   \
        "140733124422281 140733124422290 140733124422290 140733124423657 0\n"

static void check_tail(const struct procfs_stat *st)
{
        CHECK_EQ_INT(st->pid, 4242);
        CHECK_EQ_INT(st->state, 'S');
        CHECK_EQ_INT(st->ppid, 1);
        CHECK_EQ_INT(st->pgrp, 4242);
        CHECK_EQ_U64(st->flags, 4194560); /* PF_RANDOMIZE | PF_FORKNOEXEC: not exiting */
        CHECK(!(st->flags & PROCFS_PF_EXITING));
        CHECK_EQ_U64(st->utime_ticks, 250);
        CHECK_EQ_U64(st->stime_ticks, 75);
        CHECK_EQ_U64(st->num_threads, 4);
        CHECK_EQ_U64(st->starttime_ticks, 123456);
        CHECK_EQ_U64(st->vsize_bytes, 104857600);
        CHECK_EQ_U64(st->rss_pages, 2560);
}

static void test_stat_exiting(void)
{
        struct procfs_stat st;
        const char line[] = "77 (py) R 1 77 77 0 -1 4194564 0 0 0 0 1 2 0 0 20 0 1 0 99 0 0 "
                            "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";

        CHECK_EQ_INT(procfs_parse_stat(line, sizeof(line) - 1, &st), 0);
        CHECK(st.flags & PROCFS_PF_EXITING);
}

static void test_stat_captured(void)
{
        struct procfs_stat st;

        /* sleep 60, captured on this machine. */
        CHECK_EQ_INT(stat_file("stat-sleep", &st), 0);
        CHECK_EQ_INT(st.pid, 27502);
        CHECK_STR(st.comm, "sleep");
        CHECK_EQ_INT(st.state, 'S');
        CHECK_EQ_INT(st.ppid, 27497);
        CHECK_EQ_INT(st.pgrp, 27497);
        CHECK_EQ_U64(st.utime_ticks, 0);
        CHECK_EQ_U64(st.stime_ticks, 0);
        CHECK_EQ_U64(st.num_threads, 1);
        CHECK_EQ_U64(st.starttime_ticks, 92562);
        CHECK_EQ_U64(st.vsize_bytes, 2990080);
        CHECK_EQ_U64(st.rss_pages, 396);

        /* kthreadd: ppid 0, tpgid -1, no memory at all. */
        CHECK_EQ_INT(stat_file("stat-kthread", &st), 0);
        CHECK_EQ_INT(st.pid, 2);
        CHECK_STR(st.comm, "kthreadd");
        CHECK_EQ_INT(st.ppid, 0);
        CHECK_EQ_INT(st.pgrp, 0);
        CHECK_EQ_U64(st.starttime_ticks, 24);
        CHECK_EQ_U64(st.vsize_bytes, 0);
        CHECK_EQ_U64(st.rss_pages, 0);
}

static void test_stat_comm(void)
{
        struct procfs_stat st;
        char line[512], longcomm[80];

        CHECK_EQ_INT(stat_file("stat-comm-paren", &st), 0);
        CHECK_STR(st.comm, "a) b");
        check_tail(&st);

        CHECK_EQ_INT(stat_file("stat-comm-nested", &st), 0);
        CHECK_STR(st.comm, "x) (y");
        check_tail(&st);

        CHECK_EQ_INT(stat_file("stat-comm-spaces", &st), 0);
        CHECK_STR(st.comm, "Isolated Web Co");
        CHECK_EQ_INT(strlen(st.comm), 15);
        check_tail(&st);

        /* A comm that forges the fields after it: the last ')' still wins. */
        CHECK_EQ_INT(stat_str("4242 (evil) R 999 999) " STAT_TAIL, &st), 0);
        CHECK_STR(st.comm, "evil) R 999 999");
        check_tail(&st);

        /* comm may hold a newline (PR_SET_NAME takes any byte); stat prints it raw. */
        CHECK_EQ_INT(stat_str("4242 (a\nb) " STAT_TAIL, &st), 0);
        CHECK_STR(st.comm, "a\nb");
        check_tail(&st);

        CHECK_EQ_INT(stat_str("4242 () " STAT_TAIL, &st), 0);
        CHECK_STR(st.comm, "");
        check_tail(&st);

        CHECK_EQ_INT(stat_str("4242 ((() " STAT_TAIL, &st), 0);
        CHECK_STR(st.comm, "((");

        /* Longer than the struct holds: cut to 63 bytes. */
        memset(longcomm, 'k', 70);
        longcomm[70] = '\0';
        snprintf(line, sizeof(line), "4242 (%s) %s", longcomm, STAT_TAIL);
        CHECK_EQ_INT(stat_str(line, &st), 0);
        CHECK_EQ_INT(strlen(st.comm), PROCFS_COMM_MAX - 1);
        CHECK(strspn(st.comm, "k") == PROCFS_COMM_MAX - 1);
        check_tail(&st);
}

static void test_stat_malformed(void)
{
        struct procfs_stat st, before;
        size_t len, p24;
        char *full;
        int first_bad = -1;

        memset(&st, 0x5a, sizeof(st));
        before = st;
        CHECK_EQ_INT(stat_file("stat-truncated", &st), -EINVAL);  /* cut after field 10 */
        CHECK_EQ_INT(stat_file("stat-noclose", &st), -EINVAL);    /* no ')' */
        CHECK_EQ_INT(stat_file("stat-overflow", &st), -EINVAL);   /* utime of 20 digits > 2^64 */
        CHECK_EQ_INT(stat_file("stat-bad-ppid", &st), -EINVAL);   /* ppid "--1" */
        CHECK(memcmp(&st, &before, sizeof(st)) == 0);

        CHECK_EQ_INT(stat_str("", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("4242", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("4242 (a)", &st), -EINVAL);          /* no state */
        CHECK_EQ_INT(stat_str("4242 (a) ", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("4242 (a) S", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("4242 (a) S\n", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("4242 a) " STAT_TAIL, &st), -EINVAL); /* no '(' */
        CHECK_EQ_INT(stat_str("4242 )a( " STAT_TAIL, &st), -EINVAL);
        CHECK_EQ_INT(stat_str("(a) " STAT_TAIL, &st), -EINVAL);      /* no pid */
        CHECK_EQ_INT(stat_str("x (a) " STAT_TAIL, &st), -EINVAL);
        CHECK_EQ_INT(stat_str("2147483648 (a) " STAT_TAIL, &st), -EINVAL);
        CHECK_EQ_INT(stat_str("99999999999999999999 (a) " STAT_TAIL, &st), -EINVAL);
        /* ppid: negative numbers are parsed, malformed ones are not. */
        CHECK_EQ_INT(stat_str("4242 (a) S - 1 1 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0 5 6 7 0\n", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("4242 (a) S -x 1 1 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0 5 6 7 0\n", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("4242 (a) S 1-2 1 1 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0 5 6 7 0\n", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("4242 (a) S 2147483648 1 1 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0 5 6 7 0\n", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("4242 (a) S -2147483649 1 1 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0 5 6 7 0\n", &st), -EINVAL);
        CHECK(memcmp(&st, &before, sizeof(st)) == 0);
        /* A negative unsigned field (minflt) and a huge one (vsize 2^64). */
        CHECK_EQ_INT(stat_str("4242 (a) S 1 1 1 0 0 0 -5 0 0 0 1 2 0 0 20 0 1 0 5 6 7 0\n", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("4242 (a) S 1 1 1 0 0 0 0 0 0 0 1 2 0 0 20 0 1 0 5 18446744073709551616 7 0\n", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("4242 (a) S 1 1 1 0 0 0 0 0 0 0 1x 2 0 0 20 0 1 0 5 6 7 0\n", &st), -EINVAL);
        CHECK(memcmp(&st, &before, sizeof(st)) == 0);

        /* The edges that are fine: -1 ppid (signed field), 2^64 - 1 vsize, negative priority
         * and nice (a real-time thread), pid INT32_MAX. */
        CHECK_EQ_INT(stat_str("2147483647 (rt) S -1 -2147483648 1 0 -1 0 0 0 0 0 1 2 -3 -4 -100 -20 1 0 5 "
                              "18446744073709551615 7 0\n", &st), 0);
        CHECK_EQ_INT(st.pid, 2147483647);
        CHECK_EQ_INT(st.ppid, -1);
        CHECK_EQ_INT(st.pgrp, INT32_MIN);
        CHECK_EQ_U64(st.utime_ticks, 1);
        CHECK_EQ_U64(st.stime_ticks, 2);
        CHECK_EQ_U64(st.vsize_bytes, UINT64_MAX);
        CHECK_EQ_U64(st.rss_pages, 7);

        /* Every prefix that stops before field 24 (rss) is refused. */
        full = load("stat-comm-paren", &len);
        CHECK(full != NULL);
        if (!full)
                return;
        p24 = (size_t)(strstr(full, " 2560 ") - full); /* the space before rss */
        for (size_t n = 0; n <= p24; n++) {
                char *cut = dup_exact(full, n);
                if (procfs_parse_stat(cut, n, &st) != -EINVAL && first_bad < 0)
                        first_bad = (int)n;
                free(cut);
        }
        CHECK_EQ_INT(first_bad, -1);
        /* A line cut inside field 24 is refused (field 25 must follow it whole). */
        {
                char *cut = dup_exact(full, p24 + 5);
                CHECK_EQ_INT(procfs_parse_stat(cut, p24 + 5, &st), -EINVAL);
                CHECK_EQ_INT(procfs_parse_stat(cut, p24 + 3, &st), -EINVAL);
                free(cut);
        }
        free(full);
}

static int statm_str(const char *s, uint64_t page, struct procfs_statm *ret)
{
        size_t len = strlen(s);
        char *p = dup_exact(s, len);
        int r = procfs_parse_statm(p, len, page, ret);

        free(p);
        return r;
}

static void test_statm(void)
{
        struct procfs_statm sm, before;
        size_t len;
        char *buf;

        buf = load("statm-sleep", &len); /* "730 439 412 5 0 89 0" */
        CHECK(buf != NULL);
        if (buf) {
                CHECK_EQ_INT(procfs_parse_statm(buf, len, 4096, &sm), 0);
                CHECK_EQ_U64(sm.size, 730 * 4096ULL);
                CHECK_EQ_U64(sm.size, 2990080); /* the vsize of stat-sleep */
                CHECK_EQ_U64(sm.resident, 439 * 4096ULL);
                CHECK_EQ_U64(sm.shared, 412 * 4096ULL);
                CHECK_EQ_INT(procfs_parse_statm(buf, len, 65536, &sm), 0); /* arm64 pages */
                CHECK_EQ_U64(sm.resident, 439 * 65536ULL);
                free(buf);
        }

        memset(&sm, 0x5a, sizeof(sm));
        before = sm;
        buf = load("statm-truncated", &len);
        CHECK(buf != NULL);
        if (buf) {
                CHECK_EQ_INT(procfs_parse_statm(buf, len, 4096, &sm), -EINVAL);
                free(buf);
        }
        buf = load("statm-garbage", &len);
        CHECK(buf != NULL);
        if (buf) {
                CHECK_EQ_INT(procfs_parse_statm(buf, len, 4096, &sm), -EINVAL);
                free(buf);
        }
        CHECK_EQ_INT(statm_str("", 4096, &sm), -EINVAL);
        CHECK_EQ_INT(statm_str("1 2 3 4 5 6 7\n", 0, &sm), -EINVAL); /* no page size: no division by 0 */
        CHECK_EQ_INT(statm_str("1 2", 4096, &sm), -EINVAL);
        CHECK_EQ_INT(statm_str("1 2 ", 4096, &sm), -EINVAL);
        CHECK_EQ_INT(statm_str("1 2 3x", 4096, &sm), -EINVAL);
        CHECK_EQ_INT(statm_str("1 -2 3", 4096, &sm), -EINVAL);
        CHECK_EQ_INT(statm_str("1\n2 3", 4096, &sm), -EINVAL);
        CHECK_EQ_INT(statm_str("99999999999999999999 1 1", 4096, &sm), -EINVAL);
        CHECK_EQ_INT(statm_str("4503599627370496 1 1", 4096, &sm), -EINVAL); /* 2^52 pages = 2^64 B */
        CHECK_EQ_INT(statm_str("1 1 4503599627370496", 4096, &sm), -EINVAL);
        CHECK(memcmp(&sm, &before, sizeof(sm)) == 0);

        CHECK_EQ_INT(statm_str("4503599627370495 0 0", 4096, &sm), 0);
        CHECK_EQ_U64(sm.size, UINT64_MAX - 4095);
        CHECK_EQ_INT(statm_str(" 1 2 3", 1, &sm), 0);
        CHECK_EQ_U64(sm.size, 1);
        CHECK_EQ_U64(sm.resident, 2);
        CHECK_EQ_U64(sm.shared, 3);
}

static int status_str(const char *s, struct procfs_status *ret)
{
        size_t len = strlen(s);
        char *p = dup_exact(s, len);
        int r = procfs_parse_status(p, len, ret);

        free(p);
        return r;
}

static int status_file(const char *name, struct procfs_status *ret)
{
        size_t len;
        char *p = load(name, &len);
        int r;

        if (!p)
                return -ENOENT;
        r = procfs_parse_status(p, len, ret);
        free(p);
        return r;
}

static void test_status(void)
{
        struct procfs_status st, before;
        const unsigned all = PROCFS_ST_VMSIZE | PROCFS_ST_VMRSS | PROCFS_ST_VMHWM |
                             PROCFS_ST_RSSANON | PROCFS_ST_RSSFILE | PROCFS_ST_RSSSHMEM |
                             PROCFS_ST_VMSWAP | PROCFS_ST_VMEXE | PROCFS_ST_VMLIB;

        CHECK_EQ_INT(status_file("status-sleep", &st), 0);
        CHECK_EQ_INT(st.have, all);
        CHECK_EQ_U64(st.vm_exe, 20 * KB);
        CHECK_EQ_U64(st.vm_lib, 1528 * KB);
        CHECK_EQ_U64(st.vm_size, 2920 * KB);
        CHECK_EQ_U64(st.vm_rss, 1756 * KB);
        CHECK_EQ_U64(st.vm_hwm, 1756 * KB);
        CHECK_EQ_U64(st.rss_anon, 108 * KB);
        CHECK_EQ_U64(st.rss_file, 1648 * KB);
        CHECK_EQ_U64(st.rss_shmem, 0);
        CHECK_EQ_U64(st.vm_swap, 0);
        CHECK_EQ_U64(st.rss_anon + st.rss_file + st.rss_shmem, st.vm_rss);

        /* A kernel thread: no Vm lines at all, not an error. */
        memset(&st, 0x5a, sizeof(st));
        CHECK_EQ_INT(status_file("status-kthread", &st), 0);
        CHECK_EQ_INT(st.have, 0);
        CHECK_EQ_U64(st.vm_rss, 0);
        CHECK_EQ_U64(st.vm_size, 0);

        memset(&st, 0x5a, sizeof(st));
        before = st;
        CHECK_EQ_INT(status_file("status-malformed", &st), -EINVAL); /* VmRSS: abc kB */
        CHECK_EQ_INT(status_file("status-overflow", &st), -EINVAL);  /* 2^54 kB = 2^64 B */
        CHECK_EQ_INT(status_str("VmRSS:\n", &st), -EINVAL);
        CHECK_EQ_INT(status_str("VmRSS:", &st), -EINVAL);
        CHECK_EQ_INT(status_str("VmRSS:\t 12\n", &st), -EINVAL);     /* no unit */
        CHECK_EQ_INT(status_str("VmRSS:\t 12 MB\n", &st), -EINVAL);
        CHECK_EQ_INT(status_str("VmRSS:\t 12 k", &st), -EINVAL);
        CHECK_EQ_INT(status_str("VmRSS:\t -12 kB\n", &st), -EINVAL);
        CHECK_EQ_INT(status_str("VmSize:\t 1 kB\nVmSwap:\t99999999999999999999 kB\n", &st), -EINVAL);
        CHECK(memcmp(&st, &before, sizeof(st)) == 0);

        /* The largest value that fits once multiplied by 1024. */
        CHECK_EQ_INT(status_str("VmRSS:\t18014398509481983 kB", &st), 0);
        CHECK_EQ_U64(st.vm_rss, UINT64_MAX - 1023);
        CHECK_EQ_INT(st.have, PROCFS_ST_VMRSS);

        /* Lookalikes are not the field: no colon, another name, a name inside a value. */
        CHECK_EQ_INT(status_str("VmRSS 12 kB\nVmRSSx:\t1 kB\nName:\tVmRSS: 5 kB\nVmRS:\tjunk\n", &st), 0);
        CHECK_EQ_INT(st.have, 0);
        CHECK_EQ_INT(status_str("", &st), 0);
        CHECK_EQ_INT(st.have, 0);
        CHECK_EQ_INT(status_str("\n\n\n", &st), 0);
        CHECK_EQ_INT(st.have, 0);
        /* Unknown lines with junk are skipped; tabs and no spaces both work. */
        CHECK_EQ_INT(status_str("Groups:\t \nVmSwap:\t\t  7 kB\nRssShmem:3 kB\nSigQ:\t0/96365", &st), 0);
        CHECK_EQ_INT(st.have, PROCFS_ST_VMSWAP | PROCFS_ST_RSSSHMEM);
        CHECK_EQ_U64(st.vm_swap, 7 * KB);
        CHECK_EQ_U64(st.rss_shmem, 3 * KB);
}

static int rollup_file(const char *name, struct procfs_mem *ret)
{
        size_t len;
        char *p = load(name, &len);
        int r;

        if (!p)
                return -ENOENT;
        r = procfs_parse_rollup(p, len, ret);
        free(p);
        return r;
}

static int rollup_str(const char *s, struct procfs_mem *ret)
{
        size_t len = strlen(s);
        char *p = dup_exact(s, len);
        int r = procfs_parse_rollup(p, len, ret);

        free(p);
        return r;
}

static void test_rollup(void)
{
        struct procfs_mem m, before;

        CHECK_EQ_INT(rollup_file("smaps_rollup-sleep", &m), 0);
        CHECK_EQ_U64(m.rss, 1756 * KB);
        CHECK_EQ_U64(m.pss, 399 * KB);
        CHECK_EQ_U64(m.pss_anon, 108 * KB);
        CHECK_EQ_U64(m.pss_file, 291 * KB);
        CHECK_EQ_U64(m.pss_shmem, 0);
        CHECK_EQ_U64(m.shared_clean, 1648 * KB);
        CHECK_EQ_U64(m.shared_dirty, 0);
        CHECK_EQ_U64(m.private_clean, 0);
        CHECK_EQ_U64(m.private_dirty, 108 * KB);
        CHECK_EQ_U64(m.anonymous, 108 * KB);
        CHECK_EQ_U64(m.swap, 0);
        CHECK_EQ_U64(m.swap_pss, 0);
        CHECK_EQ_U64(procfs_mem_uss(&m), 108 * KB);
        CHECK_EQ_U64(m.shared_clean + m.shared_dirty + m.private_clean + m.private_dirty, m.rss);

        memset(&m, 0x5a, sizeof(m));
        before = m;
        CHECK_EQ_INT(rollup_file("smaps_rollup-norss", &m), -EINVAL);
        CHECK_EQ_INT(rollup_str("", &m), -EINVAL);
        CHECK_EQ_INT(rollup_str("55abd4ece000-7fffcdfbd000 ---p 00000000 00:00 0   [rollup]\n", &m), -EINVAL);
        CHECK_EQ_INT(rollup_str("Rss:\tabc kB\n", &m), -EINVAL);
        CHECK_EQ_INT(rollup_str("Rss: 4 kB\nPss: 2 MB\n", &m), -EINVAL);
        CHECK_EQ_INT(rollup_str("Rssx: 4 kB\nPss: 2 kB\n", &m), -EINVAL); /* not an Rss line */
        CHECK(memcmp(&m, &before, sizeof(m)) == 0);

        /* Rss on the last line, no newline; Pss_Dirty (not a field) ignored. */
        CHECK_EQ_INT(rollup_str("Pss_Dirty: 8 kB\nPrivate_Clean: 3 kB\nPrivate_Dirty: 5 kB\nRss: 8 kB", &m), 0);
        CHECK_EQ_U64(m.rss, 8 * KB);
        CHECK_EQ_U64(m.pss, 0);
        CHECK_EQ_U64(procfs_mem_uss(&m), 8 * KB);
        /* Repeated fields add up, as in smaps. */
        CHECK_EQ_INT(rollup_str("Rss: 4 kB\nRss: 6 kB\n", &m), 0);
        CHECK_EQ_U64(m.rss, 10 * KB);
}

static int add_line(const char *s, struct procfs_mem *acc)
{
        size_t len = strlen(s);
        char *p = dup_exact(s, len);
        int r = procfs_mem_add_line(p, len, acc);

        free(p);
        return r;
}

static void test_mem_add_line(void)
{
        struct procfs_mem acc, before;

        memset(&acc, 0, sizeof(acc));
        CHECK_EQ_INT(add_line("Rss:                1756 kB", &acc), 1);
        CHECK_EQ_INT(add_line("Rss:  4 kB", &acc), 1);
        CHECK_EQ_U64(acc.rss, 1760 * KB);
        CHECK_EQ_INT(add_line("Pss:4 kB", &acc), 1);
        CHECK_EQ_U64(acc.pss, 4 * KB);
        CHECK_EQ_INT(add_line("Pss_Anon:  1 kB", &acc), 1);
        CHECK_EQ_INT(add_line("Pss_File:  2 kB", &acc), 1);
        CHECK_EQ_INT(add_line("Pss_Shmem:  3 kB", &acc), 1);
        CHECK_EQ_INT(add_line("Shared_Clean:  5 kB", &acc), 1);
        CHECK_EQ_INT(add_line("Shared_Dirty:  6 kB", &acc), 1);
        CHECK_EQ_INT(add_line("Private_Clean:  7 kB", &acc), 1);
        CHECK_EQ_INT(add_line("Private_Dirty:  8 kB", &acc), 1);
        CHECK_EQ_INT(add_line("Anonymous:  9 kB", &acc), 1);
        CHECK_EQ_INT(add_line("Swap:  10 kB", &acc), 1);
        CHECK_EQ_INT(add_line("SwapPss:  11 kB", &acc), 1);
        CHECK_EQ_U64(acc.pss, 4 * KB); /* Pss_* did not touch Pss */
        CHECK_EQ_U64(acc.pss_anon, 1 * KB);
        CHECK_EQ_U64(acc.pss_file, 2 * KB);
        CHECK_EQ_U64(acc.pss_shmem, 3 * KB);
        CHECK_EQ_U64(acc.shared_clean, 5 * KB);
        CHECK_EQ_U64(acc.shared_dirty, 6 * KB);
        CHECK_EQ_U64(acc.private_clean, 7 * KB);
        CHECK_EQ_U64(acc.private_dirty, 8 * KB);
        CHECK_EQ_U64(acc.anonymous, 9 * KB);
        CHECK_EQ_U64(acc.swap, 10 * KB); /* SwapPss did not touch Swap */
        CHECK_EQ_U64(acc.swap_pss, 11 * KB);
        CHECK_EQ_U64(procfs_mem_uss(&acc), 15 * KB);

        before = acc;
        /* Other fields and non-field lines: 0, nothing changes. */
        CHECK_EQ_INT(add_line("Size:  4 kB", &acc), 0);
        CHECK_EQ_INT(add_line("Pss_Dirty:  4 kB", &acc), 0);
        CHECK_EQ_INT(add_line("Referenced:  4 kB", &acc), 0);
        CHECK_EQ_INT(add_line("THPeligible:           0", &acc), 0);
        CHECK_EQ_INT(add_line("VmFlags: rd ex mr mw me ", &acc), 0);
        CHECK_EQ_INT(add_line("7f3c10000000-7f3c10001000 r-xp 00000000 00:00 0 ", &acc), 0);
        CHECK_EQ_INT(add_line("", &acc), 0);
        CHECK_EQ_INT(add_line("Rss", &acc), 0);
        CHECK_EQ_INT(add_line("rss: 4 kB", &acc), 0);
        CHECK_EQ_INT(add_line(": 4 kB", &acc), 0);
        /* Malformed values of known fields: -EINVAL, nothing changes. */
        CHECK_EQ_INT(add_line("Rss:", &acc), -EINVAL);
        CHECK_EQ_INT(add_line("Rss: x kB", &acc), -EINVAL);
        CHECK_EQ_INT(add_line("Rss: 4", &acc), -EINVAL);
        CHECK_EQ_INT(add_line("Rss: 4 B", &acc), -EINVAL);
        CHECK_EQ_INT(add_line("Swap: 18014398509481984 kB", &acc), -EINVAL);
        CHECK(memcmp(&acc, &before, sizeof(acc)) == 0);

        /* The sum saturates instead of wrapping. */
        acc.rss = UINT64_MAX - 1024;
        CHECK_EQ_INT(add_line("Rss: 1 kB", &acc), 1);
        CHECK_EQ_U64(acc.rss, UINT64_MAX);
        CHECK_EQ_INT(add_line("Rss: 1 kB", &acc), 1);
        CHECK_EQ_U64(acc.rss, UINT64_MAX);

        /* len bounds the line: "Rss: 12 kB" cut before the unit is malformed. */
        CHECK_EQ_INT(procfs_mem_add_line("Rss: 12 kB", 7, &acc), -EINVAL);
        CHECK_EQ_INT(procfs_mem_add_line("Rss: 12 kB", 3, &acc), 0);
}

static int meminfo_str(const char *s, struct procfs_meminfo *ret)
{
        size_t len = strlen(s);
        char *p = dup_exact(s, len);
        int r = procfs_parse_meminfo(p, len, ret);

        free(p);
        return r;
}

static void test_meminfo(void)
{
        struct procfs_meminfo mi, before;
        size_t len;
        char *buf;

        buf = load("meminfo", &len);
        CHECK(buf != NULL);
        if (buf) {
                CHECK_EQ_INT(procfs_parse_meminfo(buf, len, &mi), 0);
                CHECK_EQ_U64(mi.mem_total, 24684084 * KB);
                CHECK_EQ_U64(mi.mem_available, 24350036 * KB);
                CHECK_EQ_U64(mi.swap_total, 0);
                CHECK_EQ_U64(mi.swap_free, 0);
                free(buf);
        }

        memset(&mi, 0x5a, sizeof(mi));
        before = mi;
        buf = load("meminfo-nototal", &len);
        CHECK(buf != NULL);
        if (buf) {
                CHECK_EQ_INT(procfs_parse_meminfo(buf, len, &mi), -EINVAL);
                free(buf);
        }
        CHECK_EQ_INT(meminfo_str("", &mi), -EINVAL);
        CHECK_EQ_INT(meminfo_str("MemTotal: x kB\n", &mi), -EINVAL);
        CHECK_EQ_INT(meminfo_str("MemTotal: 1 kB\nSwapFree: 1 MB\n", &mi), -EINVAL);
        CHECK_EQ_INT(meminfo_str("MemTotalx: 1 kB\n", &mi), -EINVAL);
        CHECK(memcmp(&mi, &before, sizeof(mi)) == 0);

        /* Before Linux 3.14 there is no MemAvailable; HugePages lines have no unit. */
        CHECK_EQ_INT(meminfo_str("MemTotal:  2048 kB\nMemFree:  1024 kB\nHugePages_Total:       0\n"
                                 "SwapTotal:  4096 kB\nSwapFree:  1000 kB", &mi), 0);
        CHECK_EQ_U64(mi.mem_total, 2048 * KB);
        CHECK_EQ_U64(mi.mem_available, 0);
        CHECK_EQ_U64(mi.swap_total, 4096 * KB);
        CHECK_EQ_U64(mi.swap_free, 1000 * KB);
}

struct pids {
        int pid[16];
        int n;
        int stop_at; /* return 42 on this call (1-based); 0 never */
};

static int collect(int pid, void *userdata)
{
        struct pids *p = userdata;

        if (p->n < (int)(sizeof(p->pid) / sizeof(p->pid[0])))
                p->pid[p->n] = pid;
        p->n++;
        return p->n == p->stop_at ? 42 : 0;
}

static int pids_str(const char *s, struct pids *p)
{
        size_t len = strlen(s);
        char *buf = dup_exact(s, len);
        int r;

        memset(p, 0, sizeof(*p));
        r = procfs_parse_pid_list(buf, len, collect, p);
        free(buf);
        return r;
}

static void test_pid_list(void)
{
        struct pids p;
        size_t len;
        char *buf;

        /* Captured: bash with four children, a trailing space as the kernel writes it. */
        buf = load("children-bash", &len);
        CHECK(buf != NULL);
        if (buf) {
                memset(&p, 0, sizeof(p));
                CHECK_EQ_INT(procfs_parse_pid_list(buf, len, collect, &p), 0);
                CHECK_EQ_INT(p.n, 4);
                CHECK_EQ_INT(p.pid[0], 27513);
                CHECK_EQ_INT(p.pid[1], 27514);
                CHECK_EQ_INT(p.pid[2], 27515);
                CHECK_EQ_INT(p.pid[3], 27517);
                free(buf);
        }
        buf = load("children-empty", &len);
        CHECK(buf != NULL);
        if (buf) {
                memset(&p, 0, sizeof(p));
                CHECK_EQ_INT(procfs_parse_pid_list(buf, len, collect, &p), 0);
                CHECK_EQ_INT(p.n, 0);
                free(buf);
        }
        /* "12 x": 12 is delivered, then the junk is an error. */
        buf = load("children-bad", &len);
        CHECK(buf != NULL);
        if (buf) {
                memset(&p, 0, sizeof(p));
                CHECK_EQ_INT(procfs_parse_pid_list(buf, len, collect, &p), -EINVAL);
                CHECK_EQ_INT(p.n, 1);
                CHECK_EQ_INT(p.pid[0], 12);
                free(buf);
        }

        CHECK_EQ_INT(pids_str(" ", &p), 0);
        CHECK_EQ_INT(p.n, 0);
        CHECK_EQ_INT(pids_str("\n", &p), 0);
        CHECK_EQ_INT(p.n, 0);
        CHECK_EQ_INT(pids_str("7", &p), 0);
        CHECK_EQ_INT(p.n, 1);
        CHECK_EQ_INT(p.pid[0], 7);
        CHECK_EQ_INT(pids_str("  7  8 \n", &p), 0);
        CHECK_EQ_INT(p.n, 2);
        CHECK_EQ_INT(p.pid[1], 8);
        CHECK_EQ_INT(pids_str("2147483647 ", &p), 0);
        CHECK_EQ_INT(p.pid[0], INT32_MAX);

        CHECK_EQ_INT(pids_str("0", &p), -EINVAL);
        CHECK_EQ_INT(p.n, 0);
        CHECK_EQ_INT(pids_str("1 0", &p), -EINVAL);
        CHECK_EQ_INT(p.n, 1);
        CHECK_EQ_INT(pids_str("2147483648", &p), -EINVAL);
        CHECK_EQ_INT(p.n, 0);
        CHECK_EQ_INT(pids_str("99999999999999999999", &p), -EINVAL);
        CHECK_EQ_INT(pids_str("-1", &p), -EINVAL);
        CHECK_EQ_INT(pids_str("12x", &p), -EINVAL);
        CHECK_EQ_INT(p.n, 0); /* "12x" is refused whole: 12 is not delivered */
        CHECK_EQ_INT(pids_str("1\t2", &p), -EINVAL);

        /* The callback's non-zero value stops the walk and is returned. */
        memset(&p, 0, sizeof(p));
        p.stop_at = 2;
        CHECK_EQ_INT(procfs_parse_pid_list("5 6 7 8", 7, collect, &p), 42);
        CHECK_EQ_INT(p.n, 2);
}

static size_t cmdline(const char *s, size_t len, char *out, size_t out_size)
{
        char *p = dup_exact(s, len);
        size_t n = procfs_cmdline_to_string(p, len, out, out_size);

        free(p);
        return n;
}

static void test_cmdline(void)
{
        char out[128], *tight;
        size_t len;
        char *buf;

        buf = load("cmdline-sleep", &len); /* "sleep\0" "60\0" */
        CHECK(buf != NULL);
        if (buf) {
                CHECK_EQ_INT(procfs_cmdline_to_string(buf, len, out, sizeof(out)), 8);
                CHECK_STR(out, "sleep 60");
                free(buf);
        }
        buf = load("cmdline-control", &len);
        CHECK(buf != NULL);
        if (buf) {
                CHECK_EQ_INT(procfs_cmdline_to_string(buf, len, out, sizeof(out)), 33);
                CHECK_STR(out, "python3 -X jit -c print(1)\tx\x1b[31m"); /* kept: escaped where printed */
                /* Truncation: out_size - 1 bytes and a NUL, into a buffer of exactly out_size. */
                tight = malloc(8);
                if (tight) {
                        CHECK_EQ_INT(procfs_cmdline_to_string(buf, len, tight, 8), 7);
                        CHECK_STR(tight, "python3");
                        CHECK_EQ_INT(procfs_cmdline_to_string(buf, len, tight, 1), 0);
                        CHECK_STR(tight, "");
                        free(tight);
                }
                free(buf);
        }

        memset(out, 'z', sizeof(out));
        CHECK_EQ_INT(cmdline("abc", 3, out, 0), 0);
        CHECK_EQ_INT(out[0], 'z'); /* out_size 0: nothing written */
        CHECK_EQ_INT(cmdline("", 0, out, sizeof(out)), 0);
        CHECK_STR(out, "");
        CHECK_EQ_INT(cmdline("\0\0\0", 3, out, sizeof(out)), 0);
        CHECK_STR(out, "");
        CHECK_EQ_INT(cmdline("a\0\0b\0", 5, out, sizeof(out)), 4);
        CHECK_STR(out, "a  b"); /* an empty argument */
        CHECK_EQ_INT(cmdline("\0a", 2, out, sizeof(out)), 2);
        CHECK_STR(out, " a");
        CHECK_EQ_INT(cmdline("no-nul", 6, out, sizeof(out)), 6);
        CHECK_STR(out, "no-nul");
        CHECK_EQ_INT(cmdline("x\ny\rz\x7f\x01", 7, out, sizeof(out)), 7);
        CHECK_STR(out, "x\ny\rz\x7f\x01"); /* control bytes are kept too */
        CHECK_EQ_INT(cmdline("caf\xc3\xa9", 5, out, sizeof(out)), 5);
        CHECK_STR(out, "caf\xc3\xa9"); /* UTF-8 bytes are kept */
}

static void test_stat_pid_end_checked(void)
{
        struct procfs_stat st;

        CHECK_EQ_INT(stat_str("12x (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 100 2 18446744073709551615\n", &st), -EINVAL);
        CHECK_EQ_INT(stat_str("12 (a) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 100 2 18446744073709551615\n", &st), 0);
        CHECK_EQ_INT(st.pid, 12);
}

int main(void)
{
        test_stat_pid_end_checked();
        test_stat_captured();
        test_stat_exiting();
        test_stat_comm();
        test_stat_malformed();
        test_statm();
        test_status();
        test_rollup();
        test_mem_add_line();
        test_meminfo();
        test_pid_list();
        test_cmdline();
        return unit_finish("test_procfs");
}
