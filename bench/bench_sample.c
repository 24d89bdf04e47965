/* bench_sample: what it costs to sample a 4-process Python tree, jitmem's sampler against the
 * bare system calls that carry the same information (and, fed in by bench/run, psutil).
 *
 * It starts the tree itself (fork + exec of the interpreter, which forks three children), so
 * that the tree descends from this process, the sampler's root (include_root = 0). Every
 * contender takes one sample of the whole tree per call; each call is timed on its own with
 * CLOCK_MONOTONIC. A round runs every contender for --iters samples, in an order that rotates
 * from round to round, so that drift on a shared machine hits all of them alike. Figures are
 * medians over all the samples of all rounds.
 *
 *   bench_sample [--python PATH] [--rounds N] [--iters N]    run the rounds, print the table
 *   bench_sample --only NAME ...                            time one contender (for perf)
 *   bench_sample --serve ...                                driven by bench/run, see below
 *
 * --serve: prints "pids P1 P2 P3 P4" on stdout, then reads commands on stdin, one a line:
 *   "round"                 run one round of every C contender, answer "ok"
 *   "ext NAME V1 V2 ..."    nanosecond samples of an external contender (psutil_rss, psutil_full)
 *   "table" or end of input stop the tree, print the table and exit
 * The tree is killed and reaped on every way out; should this process die without cleaning
 * up, the tree still ends: it blocks reading a pipe whose only writer is this process. */
#include "kfile.h"
#include "maps.h"
#include "procfs.h"
#include "sampler.h"
#include "tree.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NPROC 4
#define MAPS_BUF (64 * 1024)
#define SMALL_BUF 4096
#define MAX_ROUNDS 1000
#define MAX_ITERS 1000000
#define WARMUP 2   /* untimed samples before each slice */
#define CHUNK 50   /* samples of one contender in a row */
#define TREE_WAIT_NS (10ULL * 1000000000ULL)

/* PROCMAP_QUERY (Linux 6.11, include/uapi/linux/fs.h), for headers that predate it: asks
 * /proc/PID/maps for one VMA at a time, filtered by flags, without formatting every line. */
#ifndef PROCMAP_QUERY
struct procmap_query {
        uint64_t size;
        uint64_t query_flags;
        uint64_t query_addr;
        uint64_t vma_start;
        uint64_t vma_end;
        uint64_t vma_flags;
        uint64_t vma_page_size;
        uint64_t vma_offset;
        uint64_t inode;
        uint32_t dev_major;
        uint32_t dev_minor;
        uint32_t vma_name_size;
        uint32_t build_id_size;
        uint64_t vma_name_addr;
        uint64_t build_id_addr;
};
#define PROCMAP_QUERY_VMA_EXECUTABLE 0x04
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)
#endif

/* The tree: the parent forks three children; all four block reading fd 3 until it reaches
 * end of file (this process closing, or losing, the pipe's write end). */
static const char tree_code[] =
        "import os\n"
        "for _ in range(3):\n"
        "    if os.fork() == 0:\n"
        "        os.read(3, 1)\n"
        "        os._exit(0)\n"
        "os.read(3, 1)\n";

enum contender {
        C_BARE,         /* A1 */
        C_BARE_MAPS,    /* A1b */
        C_CHEAP,        /* A2 */
        C_ROLLUP,       /* B1 */
        C_HEAVY,        /* B2 (full heavy tick) */
        C_BARE_HEAVY,
        C_P_STAT,
        C_P_STATM,
        C_P_CHILDREN,
        C_P_CHILDREN_OPEN,
        C_P_MAPS,
        C_P_MAPS_SCAN,
        C_P_PARSE,
        C_P_ROOT,
        C_P_STATUS,
        C_P_PARSE_HEAVY,
        C_P_QUERY,
        C_P_ROLLUP_STATUS,
        C_N_TIMED,      /* the contenders above are timed here; the ones below come from bench/run */
        C_PSUTIL_RSS = C_N_TIMED,
        C_PSUTIL_FULL,
        C_MAX
};

struct contender_info {
        const char *key;  /* for --only and "ext" */
        const char *what; /* for the table */
};

static const struct contender_info info[C_MAX] = {
        [C_BARE] = { "bare", "bare syscalls: pread stat+statm+children" },
        [C_BARE_MAPS] = { "bare_maps", "bare syscalls + maps (lseek+read)" },
        [C_CHEAP] = { "cheap", "jitmem cheap tick (sampler_tick)" },
        [C_ROLLUP] = { "rollup", "kernel smaps_rollup (pread)" },
        [C_HEAVY] = { "heavy", "jitmem heavy tick, whole" },
        [C_P_ROLLUP_STATUS] = { "rollup_status", "pread status + smaps_rollup" },
        [C_P_STAT] = { "stat", "pread stat" },
        [C_P_STATM] = { "statm", "pread statm" },
        [C_P_CHILDREN] = { "children", "pread children, fd kept open, root too" },
        [C_P_CHILDREN_OPEN] = { "children_open", "children: open+read+close, root too" },
        [C_P_MAPS] = { "maps", "maps: lseek + read to EOF" },
        [C_P_MAPS_SCAN] = { "maps_scan", "maps_scan(): read + parse + classify" },
        [C_P_PARSE] = { "parse", "parse stat+statm+maps text, no syscall" },
        [C_P_ROOT] = { "root", "root alive check: faccessat(stat)" },
        [C_P_STATUS] = { "status", "pread status" },
        [C_BARE_HEAVY] = { "bare_heavy", "bare heavy: A1b + status + smaps_rollup" },
        [C_P_QUERY] = { "query", "PROCMAP_QUERY ioctl: exec VMAs only" },
        [C_P_PARSE_HEAVY] = { "parse_heavy", "parse status+smaps_rollup text, no syscall" },
        [C_PSUTIL_RSS] = { "psutil_rss", "psutil memory_info()" },
        [C_PSUTIL_FULL] = { "psutil_full", "psutil memory_full_info()" },
};

enum pfile { PF_STAT, PF_STATM, PF_CHILDREN, PF_MAPS, PF_STATUS, PF_ROLLUP, PF_MAX };

struct proc {
        int pid;
        int dirfd;
        int fd[PF_MAX]; /* kept open, re-read from offset 0 */
        uint64_t threads;
        /* captured once, for the parse-only contender */
        char stat_text[SMALL_BUF], statm_text[SMALL_BUF], status_text[SMALL_BUF], rollup_text[SMALL_BUF];
        size_t stat_len, statm_len, status_len, rollup_len;
        char *maps_text;
        size_t maps_len;
};

struct series {
        uint64_t *v;
        size_t n, cap;
        double round_median_lo, round_median_hi;
        int have_rounds;
};

struct bench {
        const char *python;
        unsigned rounds_wanted, iters, profile_iters; /* profile rows take fewer samples */
        int self_pid;
        int self_dirfd;
        int self_children; /* /proc/self/task/PID/children, kept open */
        struct proc p[NPROC];
        struct sampler *sampler;
        char *buf;      /* MAPS_BUF bytes */
        int tree_pid;
        int tree_wfd;   /* the pipe's write end: the tree lives while it is open */
        unsigned rounds_done;
        unsigned jit_mappings;
        uint64_t jit_bytes, query_jit_bytes;
        int have_query; /* the kernel answers PROCMAP_QUERY */
        struct series s[C_MAX];
        double cpu_fraction, observer_rss;
        int have_cpu;
        const char *run_info;
        int no_psutil;
};

static volatile sig_atomic_t tree_pgid;

static void on_signal(int sig)
{
        if (tree_pgid > 0)
                kill(-(pid_t)tree_pgid, SIGKILL);
        signal(sig, SIG_DFL);
        raise(sig);
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

        return x < y ? -1 : x > y;
}

/* Median of v[0..n) (sorted in place). */
static double median_sort(uint64_t *v, size_t n)
{
        if (n == 0)
                return 0;
        qsort(v, n, sizeof(*v), cmp_u64);
        return n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
}

static int series_push(struct series *s, uint64_t x)
{
        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 4096;
                uint64_t *v = realloc(s->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        s->v[s->n++] = x;
        return 0;
}

/* Folds the median of the last `n` samples of s into its range of round medians. */
static int series_close_round(struct series *s, size_t n)
{
        uint64_t *tmp;
        double m;

        if (n == 0 || n > s->n)
                return 0;
        tmp = malloc(n * sizeof(*tmp));
        if (!tmp)
                return -ENOMEM;
        memcpy(tmp, s->v + s->n - n, n * sizeof(*tmp));
        m = median_sort(tmp, n);
        free(tmp);
        if (!s->have_rounds || m < s->round_median_lo)
                s->round_median_lo = m;
        if (!s->have_rounds || m > s->round_median_hi)
                s->round_median_hi = m;
        s->have_rounds = 1;
        return 0;
}

static double series_median(const struct series *s)
{
        uint64_t *tmp;
        double m;

        if (s->n == 0)
                return 0;
        tmp = malloc(s->n * sizeof(*tmp));
        if (!tmp)
                return 0;
        memcpy(tmp, s->v, s->n * sizeof(*tmp));
        m = median_sort(tmp, s->n);
        free(tmp);
        return m;
}

/* ---- the tree ---- */

static int open_in(int dirfd, const char *name)
{
        int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

        return fd < 0 ? -errno : fd;
}

static ssize_t pread0(int fd, char *buf, size_t size)
{
        ssize_t n;

        do
                n = pread(fd, buf, size, 0);
        while (n < 0 && errno == EINTR);
        return n < 0 ? -errno : n;
}

/* Reads the PIDs listed in an open children file into out. Returns how many, or -errno. */
static int read_pid_list(int fd, int *out, int max)
{
        char buf[SMALL_BUF];
        ssize_t n = pread0(fd, buf, sizeof(buf) - 1);
        int k = 0;
        size_t i = 0;

        if (n < 0)
                return (int)n;
        while (i < (size_t)n) {
                uint64_t v;
                int r;
                while (i < (size_t)n && buf[i] == ' ')
                        i++;
                if (i >= (size_t)n)
                        break;
                r = util_parse_u64(buf + i, (size_t)n - i, &v);
                if (r < 0)
                        return -EINVAL;
                if (k < max)
                        out[k] = (int)v;
                k++;
                i += (size_t)r;
        }
        return k;
}

static int tree_start(struct bench *b)
{
        int pfd[2], pid;

        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                int r = -errno;
                close(pfd[0]);
                close(pfd[1]);
                return r;
        }
        if (pid == 0) {
                setpgid(0, 0);
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != b->self_pid)
                        _exit(127);
                /* the read end as fd 3, without FD_CLOEXEC (dup2 onto itself would keep it) */
                if (pfd[0] == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(pfd[0], 3) < 0)
                        _exit(127);
                execlp(b->python, b->python, "-c", tree_code, (char *)NULL);
                fprintf(stderr, "bench_sample: cannot run %s: %s\n", b->python, strerror(errno));
                _exit(127);
        }
        setpgid(pid, pid);
        tree_pgid = pid;
        close(pfd[0]);
        b->tree_pid = pid;
        b->tree_wfd = pfd[1];
        return 0;
}

static void tree_stop(struct bench *b)
{
        if (b->tree_wfd >= 0) {
                close(b->tree_wfd);
                b->tree_wfd = -1;
        }
        if (b->tree_pid > 0) {
                kill(-b->tree_pid, SIGKILL);
                /* This process is a child subreaper: the parent's children come back to it
                 * once the parent is gone, and are reaped here too. */
                for (;;) {
                        pid_t w = waitpid(-1, NULL, 0);
                        if (w < 0 && errno != EINTR)
                                break; /* ECHILD: all reaped */
                }
                tree_pgid = 0;
                b->tree_pid = 0;
        }
}

static void proc_init(struct proc *p, int pid)
{
        memset(p, 0, sizeof(*p));
        p->pid = pid;
        p->dirfd = -1;
        for (int i = 0; i < PF_MAX; i++)
                p->fd[i] = -1;
}

/* Opens /proc/PID and every file a contender reads. Returns 0 or -errno; proc_close() frees. */
static int proc_open(struct proc *p, int pid)
{
        char children[64];
        const char *names[PF_MAX] = { "stat", "statm", children, "maps", "status", "smaps_rollup" };
        char path[64];

        proc_init(p, pid);
        snprintf(path, sizeof(path), "/proc/%d", pid);
        p->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (p->dirfd < 0)
                return -errno;
        snprintf(children, sizeof(children), "task/%d/children", pid);
        for (int i = 0; i < PF_MAX; i++) {
                p->fd[i] = open_in(p->dirfd, names[i]);
                if (p->fd[i] < 0)
                        return p->fd[i];
        }
        return 0;
}

static void proc_close(struct proc *p)
{
        for (int i = 0; i < PF_MAX; i++)
                if (p->fd[i] >= 0) {
                        close(p->fd[i]);
                        p->fd[i] = -1;
                }
        if (p->dirfd >= 0) {
                close(p->dirfd);
                p->dirfd = -1;
        }
        free(p->maps_text);
        p->maps_text = NULL;
}

/* Captures the texts the parse-only contender parses, and the thread count. */
static int proc_capture(struct proc *p, char *buf)
{
        struct procfs_stat st;
        ssize_t n;

        n = pread0(p->fd[PF_STAT], p->stat_text, sizeof(p->stat_text) - 1);
        if (n <= 0)
                return n < 0 ? (int)n : -EIO;
        p->stat_len = (size_t)n;
        if (procfs_parse_stat(p->stat_text, p->stat_len, &st) < 0)
                return -EINVAL;
        p->threads = st.num_threads;
        n = pread0(p->fd[PF_STATM], p->statm_text, sizeof(p->statm_text) - 1);
        if (n <= 0)
                return n < 0 ? (int)n : -EIO;
        p->statm_len = (size_t)n;
        n = pread0(p->fd[PF_STATUS], p->status_text, sizeof(p->status_text) - 1);
        if (n <= 0)
                return n < 0 ? (int)n : -EIO;
        p->status_len = (size_t)n;
        n = pread0(p->fd[PF_ROLLUP], p->rollup_text, sizeof(p->rollup_text) - 1);
        if (n <= 0)
                return n < 0 ? (int)n : -EIO;
        p->rollup_len = (size_t)n;
        if (lseek(p->fd[PF_MAPS], 0, SEEK_SET) < 0)
                return -errno;
        n = read(p->fd[PF_MAPS], buf, MAPS_BUF);
        if (n <= 0 || n == MAPS_BUF)
                return n < 0 ? -errno : -EIO; /* one read must hold it all for the parse test */
        p->maps_text = malloc((size_t)n);
        if (!p->maps_text)
                return -ENOMEM;
        memcpy(p->maps_text, buf, (size_t)n);
        p->maps_len = (size_t)n;
        return 0;
}

/* Waits until the tree is whole: the parent with three children, all four asleep. */
static int tree_wait(struct bench *b)
{
        uint64_t deadline = now_ns() + TREE_WAIT_NS;
        int kids[8], r;

        for (;;) {
                struct proc parent;
                int ok = 0;

                r = proc_open(&parent, b->tree_pid);
                if (r == 0) {
                        char path[64];
                        ssize_t n;
                        r = read_pid_list(parent.fd[PF_CHILDREN], kids, 8);
                        if (r == 3) {
                                ok = 1;
                                for (int i = 0; i < 3 && ok; i++) {
                                        char buf[SMALL_BUF];
                                        struct procfs_stat st;
                                        snprintf(path, sizeof(path), "/proc/%d/stat", kids[i]);
                                        n = kfile_read(path, buf, sizeof(buf));
                                        ok = n > 0 && procfs_parse_stat(buf, (size_t)n, &st) == 0 &&
                                             st.state == 'S' && st.ppid == b->tree_pid;
                                }
                        }
                }
                proc_close(&parent);
                if (ok)
                        break;
                if (r > 3) {
                        fprintf(stderr, "bench_sample: the tree has %d children, expected 3\n", r);
                        return -EINVAL;
                }
                if (waitpid(b->tree_pid, NULL, WNOHANG) == b->tree_pid) {
                        b->tree_pid = 0;
                        tree_pgid = 0;
                        fprintf(stderr, "bench_sample: %s exited before forming the tree\n", b->python);
                        return -ESRCH;
                }
                if (now_ns() > deadline) {
                        fprintf(stderr, "bench_sample: the tree did not form within 10 s\n");
                        return -ETIMEDOUT;
                }
                usleep(10000);
        }
        /* parent first, then the children in the kernel's order */
        int pids[NPROC] = { b->tree_pid, kids[0], kids[1], kids[2] };
        for (int i = 0; i < NPROC; i++) {
                r = proc_open(&b->p[i], pids[i]);
                if (r < 0)
                        return r;
                r = proc_capture(&b->p[i], b->buf);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- the contenders: each takes one sample of the whole tree ---- */

static int pread_ok(int fd, char *buf, size_t size)
{
        ssize_t n = pread(fd, buf, size, 0);

        return n > 0 ? 0 : n < 0 ? -errno : -EIO;
}

static int maps_read(int fd, char *buf)
{
        ssize_t n, total = 0;

        if (lseek(fd, 0, SEEK_SET) < 0)
                return -errno;
        while ((n = read(fd, buf, MAPS_BUF)) > 0)
                total += n;
        if (n < 0)
                return -errno;
        return total > 0 ? 0 : -EIO;
}

/* with_maps: 0 (A1), 1 (A1b), 2 (A1b plus the heavy files, in the sampler's order) */
static int run_bare(struct bench *b, int with_maps)
{
        char buf[SMALL_BUF];
        int r;

        for (int i = 0; i < NPROC; i++) {
                struct proc *p = &b->p[i];
                if (with_maps && (r = maps_read(p->fd[PF_MAPS], b->buf)) < 0)
                        return r;
                if (with_maps == 2 && ((r = pread_ok(p->fd[PF_STATUS], buf, sizeof(buf))) < 0 ||
                                       (r = pread_ok(p->fd[PF_ROLLUP], buf, sizeof(buf))) < 0))
                        return r;
                if ((r = pread_ok(p->fd[PF_STAT], buf, sizeof(buf))) < 0 ||
                    (r = pread_ok(p->fd[PF_STATM], buf, sizeof(buf))) < 0)
                        return r;
                /* the children of a child are an empty file: a 0-byte read is the answer */
                if (pread(p->fd[PF_CHILDREN], buf, sizeof(buf), 0) < 0)
                        return -errno;
        }
        return 0;
}

static int run_tick(struct bench *b, int heavy)
{
        struct sampler_tick t;
        int r = sampler_tick(b->sampler, heavy, &t);

        if (r < 0)
                return r;
        if (t.n != NPROC || t.heavy != heavy) {
                fprintf(stderr, "bench_sample: a %s tick sampled %zu processes (heavy %d), expected %d (heavy %d)\n",
                        heavy ? "heavy" : "cheap", t.n, t.heavy, NPROC, heavy);
                return -EPROTO;
        }
        return 0;
}

/* One pread of file f (and of f2 unless PF_MAX) per process. */
static int run_files(struct bench *b, enum pfile f, enum pfile f2)
{
        char buf[SMALL_BUF];
        int r;

        for (int i = 0; i < NPROC; i++) {
                struct proc *p = &b->p[i];
                if ((r = pread_ok(p->fd[f], buf, sizeof(buf))) < 0)
                        return r;
                if (f2 != PF_MAX && (r = pread_ok(p->fd[f2], buf, sizeof(buf))) < 0)
                        return r;
        }
        return 0;
}

static int count_cb(int pid, void *userdata)
{
        (void)pid;
        (*(int *)userdata)++;
        return 0;
}

static int run_children_open(struct bench *b)
{
        int n = 0, r;

        r = tree_children(b->self_dirfd, b->self_pid, 1, count_cb, &n);
        if (r < 0)
                return r;
        for (int i = 0; i < NPROC; i++) {
                r = tree_children(b->p[i].dirfd, b->p[i].pid, b->p[i].threads, count_cb, &n);
                if (r < 0)
                        return r;
        }
        return n == NPROC ? 0 : -EPROTO;
}

static int run_children(struct bench *b)
{
        char buf[SMALL_BUF];

        if (pread(b->self_children, buf, sizeof(buf), 0) <= 0)
                return -EIO; /* the root lists the tree's parent */
        for (int i = 0; i < NPROC; i++)
                if (pread(b->p[i].fd[PF_CHILDREN], buf, sizeof(buf), 0) < 0)
                        return -errno;
        return 0;
}

static int run_maps(struct bench *b, int parse)
{
        for (int i = 0; i < NPROC; i++) {
                struct maps_totals t;
                int r = parse ? maps_scan(b->p[i].fd[PF_MAPS], b->buf, MAPS_BUF, &t) : maps_read(b->p[i].fd[PF_MAPS], b->buf);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_maps_line(const char *line, size_t len, struct maps_totals *t)
{
        struct maps_entry e;
        enum maps_class c;

        if (maps_parse_line(line, len, &e) < 0)
                return -EINVAL;
        c = maps_classify(&e);
        t->bytes[c] += e.end - e.start;
        t->count[c]++;
        return 0;
}

static int run_parse(struct bench *b)
{
        static volatile uint64_t sink;

        for (int i = 0; i < NPROC; i++) {
                struct proc *p = &b->p[i];
                struct procfs_stat st;
                struct procfs_statm sm;
                struct maps_totals t;
                const char *s = p->maps_text, *end = s + p->maps_len;

                if (procfs_parse_stat(p->stat_text, p->stat_len, &st) < 0 ||
                    procfs_parse_statm(p->statm_text, p->statm_len, 4096, &sm) < 0)
                        return -EINVAL;
                memset(&t, 0, sizeof(t));
                while (s < end) {
                        const char *nl = memchr(s, '\n', (size_t)(end - s));
                        size_t len = nl ? (size_t)(nl - s) : (size_t)(end - s);
                        if (parse_maps_line(s, len, &t) < 0)
                                return -EINVAL;
                        s += len + 1;
                }
                sink += st.utime_ticks + sm.resident + t.bytes[MAPS_JIT];
        }
        return 0;
}

static int run_parse_heavy(struct bench *b)
{
        static volatile uint64_t sink;

        for (int i = 0; i < NPROC; i++) {
                struct proc *p = &b->p[i];
                struct procfs_status st;
                struct procfs_mem mem;

                if (procfs_parse_status(p->status_text, p->status_len, &st) < 0 ||
                    procfs_parse_rollup(p->rollup_text, p->rollup_len, &mem) < 0)
                        return -EINVAL;
                sink += st.vm_hwm + mem.pss;
        }
        return 0;
}

/* Sums the anonymous executable VMAs of every process of the tree the way maps.h classifies
 * them, with PROCMAP_QUERY: one ioctl per executable VMA, and a name only for those with no
 * file. Returns 0 (and the JIT bytes in *ret_jit when not NULL), -ENOTTY on older kernels. */
static int run_query(struct bench *b, uint64_t *ret_jit)
{
        uint64_t jit = 0;

        for (int i = 0; i < NPROC; i++) {
                uint64_t addr = 0;
                for (;;) {
                        struct procmap_query q;
                        char name[80];
                        memset(&q, 0, sizeof(q));
                        q.size = sizeof(q);
                        q.query_flags = PROCMAP_QUERY_VMA_EXECUTABLE | PROCMAP_QUERY_COVERING_OR_NEXT_VMA;
                        q.query_addr = addr;
                        if (ioctl(b->p[i].fd[PF_MAPS], PROCMAP_QUERY, &q) < 0) {
                                if (errno == ENOENT)
                                        break; /* no executable VMA above addr */
                                return -errno;
                        }
                        addr = q.vma_end;
                        if (q.inode != 0)
                                continue; /* file-backed: never JIT, and no d_path() */
                        q.query_flags = 0;
                        q.query_addr = q.vma_start;
                        q.vma_name_size = sizeof(name);
                        q.vma_name_addr = (uint64_t)(uintptr_t)name;
                        if (ioctl(b->p[i].fd[PF_MAPS], PROCMAP_QUERY, &q) < 0)
                                return -errno;
                        struct maps_entry e = { .start = q.vma_start, .end = q.vma_end, .inode = q.inode,
                                                .name = name, .name_len = q.vma_name_size ? q.vma_name_size - 1 : 0 };
                        snprintf(e.perms, sizeof(e.perms), "%c%c%c%c", q.vma_flags & 1 ? 'r' : '-',
                                 q.vma_flags & 2 ? 'w' : '-', q.vma_flags & 4 ? 'x' : '-', q.vma_flags & 8 ? 's' : 'p');
                        if (maps_classify(&e) == MAPS_JIT)
                                jit += q.vma_end - q.vma_start;
                }
        }
        if (ret_jit)
                *ret_jit = jit;
        return 0;
}

static int run_root(struct bench *b)
{
        return faccessat(b->self_dirfd, "stat", F_OK, 0) == 0 ? 0 : -errno;
}

static int run_one(struct bench *b, enum contender c)
{
        switch (c) {
        case C_BARE: return run_bare(b, 0);
        case C_BARE_MAPS: return run_bare(b, 1);
        case C_BARE_HEAVY: return run_bare(b, 2);
        case C_P_QUERY: return run_query(b, NULL);
        case C_CHEAP: return run_tick(b, 0);
        case C_HEAVY: return run_tick(b, 1);
        case C_ROLLUP: return run_files(b, PF_ROLLUP, PF_MAX);
        case C_P_ROLLUP_STATUS: return run_files(b, PF_STATUS, PF_ROLLUP);
        case C_P_STAT: return run_files(b, PF_STAT, PF_MAX);
        case C_P_STATM: return run_files(b, PF_STATM, PF_MAX);
        case C_P_STATUS: return run_files(b, PF_STATUS, PF_MAX);
        case C_P_CHILDREN: return run_children(b);
        case C_P_CHILDREN_OPEN: return run_children_open(b);
        case C_P_MAPS: return run_maps(b, 0);
        case C_P_MAPS_SCAN: return run_maps(b, 1);
        case C_P_PARSE: return run_parse(b);
        case C_P_ROOT: return run_root(b);
        case C_P_PARSE_HEAVY: return run_parse_heavy(b);
        case C_PSUTIL_RSS:
        case C_PSUTIL_FULL:
        case C_MAX: break;
        }
        return -EINVAL;
}

/* Times `iters` samples of one contender after a short warm-up; the round's figures are
 * folded in by run_round(). */
static int time_block(struct bench *b, enum contender c, unsigned iters)
{
        int r;

        for (unsigned i = 0; i < WARMUP; i++)
                if ((r = run_one(b, c)) < 0)
                        goto fail;
        for (unsigned i = 0; i < iters; i++) {
                uint64_t t0 = now_ns();
                r = run_one(b, c);
                uint64_t t1 = now_ns();
                if (r < 0)
                        goto fail;
                if ((r = series_push(&b->s[c], t1 - t0)) < 0)
                        return r;
        }
        return 0;
fail:
        fprintf(stderr, "bench_sample: %s failed: %s\n", info[c].key, strerror(-r));
        return r;
}

static int contender_enabled(const struct bench *b, enum contender c)
{
        return c != C_P_QUERY || b->have_query;
}

/* One round: `iters` samples of every main contender (profile_iters of each profile one),
 * taken in CHUNK-sized slices; the contenders take turns slice by slice, in an order that
 * moves on by one each time, so that a burst of noise lands on all of them alike. */
static int run_round(struct bench *b)
{
        unsigned nchunks = b->iters / CHUNK ? b->iters / CHUNK : 1;
        size_t before[C_N_TIMED];
        int r;

        for (int c = 0; c < C_N_TIMED; c++)
                before[c] = b->s[c].n;
        for (unsigned k = 0; k < nchunks; k++) {
                unsigned first = (b->rounds_done * nchunks + k) % C_N_TIMED;
                for (unsigned j = 0; j < C_N_TIMED; j++) {
                        enum contender c = (enum contender)((first + j) % C_N_TIMED);
                        unsigned want = c < C_P_STAT ? b->iters : b->profile_iters;
                        /* this slice's share, so that the slices add up to `want` exactly */
                        unsigned n = (unsigned)((uint64_t)want * (k + 1) / nchunks - (uint64_t)want * k / nchunks);
                        if (!contender_enabled(b, c))
                                continue;
                        if ((r = time_block(b, c, n)) < 0)
                                return r;
                }
        }
        for (int c = 0; c < C_N_TIMED; c++)
                if ((r = series_close_round(&b->s[c], b->s[c].n - before[c])) < 0)
                        return r;
        b->rounds_done++;
        return 0;
}

/* ---- the table ---- */

/* Formats a nanosecond figure with thousands separators ("-1,234"), locale-free. Returns buf. */
static const char *fmt_ns(double ns, char *buf, size_t size)
{
        char digits[32];
        size_t n, o = 0;

        snprintf(digits, sizeof(digits), "%.0f", ns < 0 ? -ns : ns);
        n = strlen(digits);
        if (ns <= -0.5 && size > 1)
                buf[o++] = '-';
        for (size_t i = 0; i < n && o + 2 < size; i++) {
                buf[o++] = digits[i];
                if ((n - i - 1) % 3 == 0 && i + 1 < n)
                        buf[o++] = ',';
        }
        buf[o] = '\0';
        return buf;
}

static void row(const struct bench *b, const char *id, enum contender c, const char *ratio, const char *target,
                const char *result)
{
        const struct series *s = &b->s[c];
        char m[32], lo[32], hi[32], spread[80];

        if (s->n == 0) {
                printf("  %-4s %-42s %12s  %-23s %-22s %-8s %s\n", id, info[c].what, "-", "",
                       c >= C_N_TIMED ? "skipped (no psutil)" : "skipped (no data)", "", "SKIP");
                return;
        }
        if (s->have_rounds)
                snprintf(spread, sizeof(spread), "%s..%s", fmt_ns(s->round_median_lo, lo, sizeof(lo)),
                         fmt_ns(s->round_median_hi, hi, sizeof(hi)));
        else
                spread[0] = '\0';
        printf("  %-4s %-42s %12s  %-23s %-22s %-8s %s\n", id, info[c].what, fmt_ns(series_median(s), m, sizeof(m)),
               spread, ratio, target, result);
}

static const char *verdict(int ok)
{
        return ok ? "PASS" : "FAIL";
}

static int print_table(struct bench *b)
{
        double med[C_MAX];
        char r1[64], r2[64], m[32];
        int fails = 0;

        for (int c = 0; c < C_MAX; c++)
                med[c] = series_median(&b->s[c]);
        for (int c = 0; c < C_N_TIMED; c++)
                if (c != C_P_QUERY && b->s[c].n == 0)
                        return -ENODATA;

        double inc = med[C_HEAVY] - med[C_CHEAP];
        double x_cheap_1b = med[C_CHEAP] / med[C_BARE_MAPS];
        double x_cheap_1 = med[C_CHEAP] / med[C_BARE];
        double x_inc = inc / med[C_ROLLUP];

        printf("\njitmem sampling cost: a 4-process Python tree (%s), %u rounds x %u samples per contender\n"
               "(profile rows P: %u), contenders interleaved in rotating order; ns = median per sample of the whole\n"
               "tree over all rounds; round medians = lowest..highest median of one round (the machine's noise)\n\n",
               b->python, b->rounds_done, b->iters, b->profile_iters);
        printf("  %-4s %-42s %12s  %-23s %-22s %-8s %s\n", "", "contender", "median ns", "round medians", "ratio",
               "target", "result");
        printf("  A. RSS level (statm, stat, tree discovery; maps for JIT code bytes)\n");
        row(b, "A1", C_BARE, "reference", "", "");
        row(b, "A1b", C_BARE_MAPS, "reference", "", "");
        snprintf(r1, sizeof(r1), "%.2fx A1b", x_cheap_1b);
        row(b, "A2", C_CHEAP, r1, "<= 1.20x", verdict(x_cheap_1b <= 1.2));
        fails += x_cheap_1b > 1.2;
        snprintf(r2, sizeof(r2), "%.2fx A1", x_cheap_1);
        printf("  %-4s %-42s %12s  %-23s %-22s %-8s %s\n", "", "", "", "", r2, "", "info");
        if (b->s[C_PSUTIL_RSS].n) {
                double x = med[C_PSUTIL_RSS] / med[C_CHEAP];
                snprintf(r1, sizeof(r1), "%.2fx A2", x);
                row(b, "A3", C_PSUTIL_RSS, r1, ">= 10x", verdict(x >= 10));
                fails += x < 10;
        } else {
                row(b, "A3", C_PSUTIL_RSS, "", "", "");
        }
        printf("  B. PSS level (smaps_rollup: a page-table walk in the kernel)\n");
        row(b, "B1", C_ROLLUP, "reference", "", "");
        {
                char lo[32];
                snprintf(r1, sizeof(r1), "%.2fx B1", x_inc);
                printf("  %-4s %-42s %12s  %-23s %-22s %-8s %s\n", "B2", "jitmem heavy increment (B2w - A2)",
                       fmt_ns(inc, lo, sizeof(lo)), "", r1, "<= 1.10x", verdict(x_inc <= 1.1));
                fails += x_inc > 1.1;
        }
        snprintf(r1, sizeof(r1), "%.2fx B1", med[C_HEAVY] / med[C_ROLLUP]);
        row(b, "B2w", C_HEAVY, r1, "", "info");
        snprintf(r1, sizeof(r1), "B2w = %.2fx B1h", med[C_HEAVY] / med[C_BARE_HEAVY]);
        row(b, "B1h", C_BARE_HEAVY, r1, "", "info");
        if (b->s[C_PSUTIL_FULL].n) {
                snprintf(r1, sizeof(r1), "%.2fx B2w", med[C_PSUTIL_FULL] / med[C_HEAVY]);
                row(b, "B3", C_PSUTIL_FULL, r1, "", "info");
        } else {
                row(b, "B3", C_PSUTIL_FULL, "", "", "");
        }
        printf("  C. jitmem run -q at default settings (100ms ticks, automatic PSS cadence) on the same tree\n");
        if (b->have_cpu) {
                char v[32], rss[32];
                snprintf(v, sizeof(v), "%.3f%%", 100 * b->cpu_fraction);
                printf("  %-4s %-42s %12s  %-23s %-22s %-8s %s\n", "C1", "observer CPU, % of one core", v, "", "",
                       "< 1%", verdict(b->cpu_fraction < 0.01));
                fails += b->cpu_fraction >= 0.01;
                util_format_bytes((uint64_t)b->observer_rss, rss, sizeof(rss));
                printf("  %-4s %-42s %12s  %-23s %-22s %-8s %s\n", "C2", "observer max RSS", rss, "", "", "", "info");
                if (b->run_info)
                        printf("  %-4s %s\n", "C3", b->run_info);
        } else {
                printf("  %-4s %-42s %12s  %-23s %-22s %-8s %s\n", "C1", "observer CPU, % of one core", "-", "",
                       "skipped (no data)", "", "SKIP");
        }

        printf("\n  Profile: where a cheap tick goes (per sample of the tree, same rounds)\n");
        row(b, "P1", C_P_STAT, "", "", "");
        row(b, "P2", C_P_STATM, "", "", "");
        row(b, "P3", C_P_CHILDREN, "", "", "");
        row(b, "P4", C_P_CHILDREN_OPEN, "", "", "");
        row(b, "P5", C_P_MAPS, "", "", "");
        row(b, "P6", C_P_MAPS_SCAN, "", "", "");
        row(b, "P7", C_P_PARSE, "", "", "");
        row(b, "P8", C_P_ROOT, "", "", "");
        row(b, "P9", C_P_STATUS, "", "", "");
        row(b, "P10", C_P_PARSE_HEAVY, "", "", "");
        snprintf(r1, sizeof(r1), "%.2fx B1", med[C_P_ROLLUP_STATUS] / med[C_ROLLUP]);
        row(b, "P11", C_P_ROLLUP_STATUS, r1, "", "");
        if (b->have_query) {
                snprintf(r1, sizeof(r1), "%.3fx P5", med[C_P_QUERY] / med[C_P_MAPS]);
                row(b, "P12", C_P_QUERY, r1, "", "");
        } else {
                printf("  %-4s %-42s %12s  (this kernel has no PROCMAP_QUERY)\n", "P12", info[C_P_QUERY].what, "-");
        }
        double parts = med[C_P_STAT] + med[C_P_STATM] + med[C_P_CHILDREN] + med[C_P_MAPS_SCAN] + med[C_P_ROOT];
        printf("  P1+P2+P3+P6+P8 (what the cheap tick does) = %s ns; A2 - that = %s ns of sampler bookkeeping\n",
               fmt_ns(parts, m, sizeof(m)), fmt_ns(med[C_CHEAP] - parts, r1, sizeof(r1)));
        parts = med[C_P_ROLLUP_STATUS] + med[C_P_PARSE_HEAVY];
        printf("  P11+P10 (what the heavy increment adds: two preads and their parsing) = %s ns; B2 - that = %s ns\n",
               fmt_ns(parts, m, sizeof(m)), fmt_ns(inc - parts, r1, sizeof(r1)));
        printf("  JIT mappings in the tree: %u, %" PRIu64 " bytes (PROCMAP_QUERY: %" PRIu64 " bytes); with any, a heavy\n"
               "  tick reads smaps instead of smaps_rollup\n", b->jit_mappings, b->jit_bytes, b->query_jit_bytes);
        printf("\n  %d target(s) missed\n", fails);
        return 0;
}

/* ---- driving ---- */

static int add_external(struct bench *b, char *line)
{
        char *save = NULL, *tok = strtok_r(line, " \t\n", &save);
        enum contender c = C_MAX;
        size_t n = 0;

        if (!tok)
                return -EINVAL;
        for (int i = C_N_TIMED; i < C_MAX; i++)
                if (strcmp(tok, info[i].key) == 0)
                        c = (enum contender)i;
        if (c == C_MAX)
                return -EINVAL;
        while ((tok = strtok_r(NULL, " \t\n", &save)) != NULL) {
                uint64_t v;
                size_t len = strlen(tok);
                if (util_parse_u64(tok, len, &v) != (int)len)
                        return -EINVAL;
                int r = series_push(&b->s[c], v);
                if (r < 0)
                        return r;
                n++;
        }
        return series_close_round(&b->s[c], n);
}

static int serve(struct bench *b)
{
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        int r = 0;

        printf("pids %d %d %d %d\n", b->p[0].pid, b->p[1].pid, b->p[2].pid, b->p[3].pid);
        fflush(stdout);
        while ((len = getline(&line, &cap, stdin)) > 0) {
                if (strncmp(line, "round", 5) == 0) {
                        r = run_round(b);
                        if (r < 0)
                                break;
                        printf("ok\n");
                        fflush(stdout);
                } else if (strncmp(line, "ext ", 4) == 0) {
                        r = add_external(b, line + 4);
                        if (r < 0) {
                                fprintf(stderr, "bench_sample: bad ext line\n");
                                break;
                        }
                } else if (strncmp(line, "table", 5) == 0) {
                        break;
                } else {
                        fprintf(stderr, "bench_sample: unknown command: %s", line);
                        r = -EINVAL;
                        break;
                }
        }
        free(line);
        return r;
}

static int parse_uint(const char *s, unsigned max, unsigned *ret)
{
        uint64_t v;
        size_t len = strlen(s);

        if (util_parse_u64(s, len, &v) != (int)len || v == 0 || v > max)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
}

static void usage(FILE *f)
{
        fprintf(f, "Usage: bench_sample [--python PATH] [--rounds N] [--iters N] [--only NAME | --serve]\n"
                   "                    [--cpu-fraction F --observer-rss BYTES --run-info TEXT]\n"
                   "Contenders for --only:");
        for (int c = 0; c < C_N_TIMED; c++)
                fprintf(f, " %s", info[c].key);
        fprintf(f, "\n");
}

int main(int argc, char **argv)
{
        static const struct option longopts[] = {
                { "python", required_argument, NULL, 'p' },
                { "rounds", required_argument, NULL, 'r' },
                { "iters", required_argument, NULL, 'n' },
                { "only", required_argument, NULL, 'o' },
                { "serve", no_argument, NULL, 's' },
                { "cpu-fraction", required_argument, NULL, 'c' },
                { "observer-rss", required_argument, NULL, 'm' },
                { "run-info", required_argument, NULL, 'i' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct bench *b;
        const char *only = NULL;
        int serve_mode = 0, opt, r, code = 1;
        enum contender only_c = C_MAX;

        b = calloc(1, sizeof(*b));
        if (!b)
                return 1;
        b->python = "python3";
        b->rounds_wanted = 5;
        b->iters = 1200;
        b->tree_wfd = -1;
        b->self_dirfd = -1;
        b->self_children = -1;
        for (int i = 0; i < NPROC; i++)
                proc_init(&b->p[i], 0);
        while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
                char *end;
                switch (opt) {
                case 'p': b->python = optarg; break;
                case 'r':
                        if (parse_uint(optarg, MAX_ROUNDS, &b->rounds_wanted) < 0)
                                goto bad;
                        break;
                case 'n':
                        if (parse_uint(optarg, MAX_ITERS, &b->iters) < 0)
                                goto bad;
                        break;
                case 'o': only = optarg; break;
                case 's': serve_mode = 1; break;
                case 'c':
                        b->cpu_fraction = strtod(optarg, &end);
                        if (*end || end == optarg)
                                goto bad;
                        b->have_cpu = 1;
                        break;
                case 'm':
                        b->observer_rss = strtod(optarg, &end);
                        if (*end || end == optarg)
                                goto bad;
                        break;
                case 'i': b->run_info = optarg; break;
                case 'h': usage(stdout); free(b); return 0;
                default: usage(stderr); free(b); return 2;
                }
        }
        if (optind != argc)
                goto bad;
        b->profile_iters = b->iters / 4 > 100 ? b->iters / 4 : b->iters;
        if (only) {
                for (int c = 0; c < C_N_TIMED; c++)
                        if (strcmp(only, info[c].key) == 0)
                                only_c = (enum contender)c;
                if (only_c == C_MAX)
                        goto bad;
        }

        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);

        b->self_pid = (int)getpid();
        prctl(PR_SET_CHILD_SUBREAPER, 1); /* to reap the whole tree at the end, not just its parent */
        b->buf = malloc(MAPS_BUF);
        if (!b->buf)
                goto out;
        b->self_dirfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (b->self_dirfd < 0) {
                fprintf(stderr, "bench_sample: cannot open /proc/self: %s\n", strerror(errno));
                goto out;
        }
        {
                char name[64];
                snprintf(name, sizeof(name), "task/%d/children", b->self_pid);
                b->self_children = open_in(b->self_dirfd, name);
                if (b->self_children < 0) {
                        fprintf(stderr, "bench_sample: cannot open /proc/self/%s: %s\n", name,
                                strerror(-b->self_children));
                        goto out;
                }
        }
        r = tree_start(b);
        if (r < 0) {
                fprintf(stderr, "bench_sample: cannot start %s: %s\n", b->python, strerror(-r));
                goto out;
        }
        r = tree_wait(b);
        if (r < 0) {
                if (r != -ESRCH && r != -ETIMEDOUT && r != -EINVAL)
                        fprintf(stderr, "bench_sample: cannot open the tree's /proc files: %s\n", strerror(-r));
                goto out;
        }

        struct sampler_options so = { .root_pid = b->self_pid, .include_root = 0,
                                      .heavy_interval_ns = 3600ULL * 1000000000ULL };
        struct sampler_tick t;
        r = sampler_new(&so, &b->sampler);
        if (r < 0) {
                fprintf(stderr, "bench_sample: sampler_new: %s\n", strerror(-r));
                goto out;
        }
        /* The first tick is always heavy (and opens every file): untimed. */
        r = sampler_tick(b->sampler, 0, &t);
        if (r < 0 || t.n != NPROC || !t.heavy) {
                fprintf(stderr, "bench_sample: the first tick found %zu processes (heavy %d), expected %d: %s\n",
                        r < 0 ? 0 : t.n, r < 0 ? 0 : t.heavy, NPROC, r < 0 ? strerror(-r) : "tree mismatch");
                goto out;
        }
        for (size_t i = 0; i < t.n; i++) {
                b->jit_mappings += t.samples[i].jit_mappings;
                b->jit_bytes += t.samples[i].jit_bytes;
        }
        r = run_query(b, &b->query_jit_bytes);
        b->have_query = r == 0;
        if (r < 0 && r != -ENOTTY && r != -EINVAL)
                fprintf(stderr, "bench_sample: PROCMAP_QUERY: %s\n", strerror(-r));
        fprintf(stderr, "bench_sample: tree of %d Python processes: %d (parent) %d %d %d; the sampler sees %zu\n",
                NPROC, b->p[0].pid, b->p[1].pid, b->p[2].pid, b->p[3].pid, t.n);

        if (only_c != C_MAX) {
                for (unsigned k = 0; k < b->rounds_wanted; k++)
                        if ((r = time_block(b, only_c, b->iters)) < 0)
                                goto out;
                b->rounds_done = b->rounds_wanted;
                char m[32];
                printf("%s: median %s ns per sample of the tree over %zu samples\n", info[only_c].key,
                       fmt_ns(series_median(&b->s[only_c]), m, sizeof(m)), b->s[only_c].n);
                code = 0;
                goto out;
        }
        if (serve_mode) {
                r = serve(b);
                if (r < 0)
                        goto out;
        } else {
                for (unsigned k = 0; k < b->rounds_wanted; k++)
                        if ((r = run_round(b)) < 0)
                                goto out;
        }
        tree_stop(b);
        r = print_table(b);
        if (r < 0) {
                fprintf(stderr, "bench_sample: no round was run\n");
                goto out;
        }
        code = fflush(stdout) == 0 ? 0 : 1;
out:
        tree_stop(b);
        sampler_free(b->sampler);
        for (int i = 0; i < NPROC; i++)
                proc_close(&b->p[i]);
        if (b->self_dirfd >= 0)
                close(b->self_dirfd);
        if (b->self_children >= 0)
                close(b->self_children);
        for (int c = 0; c < C_MAX; c++)
                free(b->s[c].v);
        free(b->buf);
        free(b);
        return code;
bad:
        usage(stderr);
        free(b);
        return 2;
}
