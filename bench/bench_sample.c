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
 *   "ext NAME V1 V2 ..."    nanosecond samples of an external contender (psutil_tree_rss,
 *                           psutil_rss, psutil_tree_full, psutil_full)
 *   "procs N"               how many processes psutil's discovery read a stat file of
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

/* The tree: the parent forks three children; all four block reading fd 3 until it reaches
 * end of file (this process closing, or losing, the pipe's write end). */
static const char tree_code[] =
        "import os\n"
        "for _ in range(3):\n"
        "    if os.fork() == 0:\n"
        "        os.read(3, 1)\n"
        "        os._exit(0)\n"
        "os.read(3, 1)\n";

/* The rows of the table. A rows: what one cheap tick reads; B rows: what a heavy tick adds;
 * P rows: a cheap tick taken apart, file by file. */
enum contender {
        C_BARE,         /* A1: the cheap tick's reads, nothing parsed */
        C_BARE_QUERY,   /* A1b: A1 + the PROCMAP_QUERY walk */
        C_CHEAP,        /* A2 */
        C_ROLLUP,       /* B1 */
        C_HEAVY,        /* B2w (B2 = B2w - A2) */
        C_BARE_HEAVY,   /* B1h */
        C_P_STAT,
        C_P_STATUS,
        C_P_CHILDREN,
        C_P_CHILDREN_OPEN,
        C_P_QUERY,
        C_P_MAPS,
        C_P_MAPS_SCAN,
        C_P_BARE_MAPS,
        C_P_CHEAP_TEXT,
        C_P_PARSE,
        C_P_PARSE_ROLLUP,
        C_P_ROOT,
        C_N_TIMED,      /* the contenders above are timed here; the ones below come from bench/run */
        C_PSUTIL_TREE_RSS = C_N_TIMED,
        C_PSUTIL_RSS,
        C_PSUTIL_TREE_FULL,
        C_PSUTIL_FULL,
        C_MAX
};

struct contender_info {
        const char *key;  /* for --only and "ext" */
        const char *what; /* for the table */
};

static const struct contender_info info[C_MAX] = {
        [C_BARE] = { "bare", "bare syscalls: pread stat+status+children" },
        [C_BARE_QUERY] = { "bare_query", "A1 + PROCMAP_QUERY walk (maps_query_exec)" },
        [C_CHEAP] = { "cheap", "jitmem cheap tick (sampler_tick)" },
        [C_ROLLUP] = { "rollup", "kernel smaps_rollup (pread)" },
        [C_HEAVY] = { "heavy", "jitmem heavy tick, whole" },
        [C_BARE_HEAVY] = { "bare_heavy", "bare heavy: A1b + smaps_rollup" },
        [C_P_STAT] = { "stat", "pread stat" },
        [C_P_STATUS] = { "status", "pread status" },
        [C_P_CHILDREN] = { "children", "pread children, fd kept open, root too" },
        [C_P_CHILDREN_OPEN] = { "children_open", "children: open+read+close, root too" },
        [C_P_QUERY] = { "query", "PROCMAP_QUERY walk: maps_query_exec()" },
        [C_P_MAPS] = { "maps", "text maps: lseek + read to EOF" },
        [C_P_MAPS_SCAN] = { "maps_scan", "text maps: maps_scan(), read+parse" },
        [C_P_BARE_MAPS] = { "bare_maps", "A1 + text maps (lseek+read)" },
        [C_P_CHEAP_TEXT] = { "cheap_text", "jitmem cheap tick, maps_text = 1" },
        [C_P_PARSE] = { "parse", "parse stat+status+children, no syscall" },
        [C_P_PARSE_ROLLUP] = { "parse_rollup", "parse smaps_rollup text, no syscall" },
        [C_P_ROOT] = { "root", "root alive check: faccessat(stat)" },
        [C_PSUTIL_TREE_RSS] = { "psutil_tree_rss", "psutil: find tree + memory_info() each" },
        [C_PSUTIL_RSS] = { "psutil_rss", "psutil: memory_info(), 4 known pids" },
        [C_PSUTIL_TREE_FULL] = { "psutil_tree_full", "psutil: find tree + memory_full_info()" },
        [C_PSUTIL_FULL] = { "psutil_full", "psutil: memory_full_info(), known pids" },
};

enum pfile { PF_STAT, PF_STATUS, PF_CHILDREN, PF_MAPS, PF_ROLLUP, PF_MAX };

struct proc {
        int pid;
        int dirfd;
        int fd[PF_MAX]; /* kept open, re-read from offset 0 */
        uint64_t threads;
        /* captured once, for the parse-only contenders */
        char stat_text[SMALL_BUF], status_text[SMALL_BUF], children_text[SMALL_BUF], rollup_text[SMALL_BUF];
        size_t stat_len, status_len, children_len, rollup_len;
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
        char self_children_text[SMALL_BUF]; /* captured once: the tree's parent */
        size_t self_children_len;
        struct proc p[NPROC];
        struct sampler *sampler;      /* default options: maps through PROCMAP_QUERY where it exists */
        struct sampler *sampler_text; /* maps_text = 1: the path of kernels before 6.11 */
        char *buf;      /* MAPS_BUF bytes */
        int tree_pid;
        int tree_wfd;   /* the pipe's write end: the tree lives while it is open */
        unsigned rounds_done;
        unsigned jit_mappings;
        uint64_t jit_bytes, text_jit_bytes; /* by A2's sampler, and by the maps_text one */
        int have_query; /* the kernel answers PROCMAP_QUERY */
        unsigned exec_vmas; /* executable VMAs in the tree: the walk's ioctls, not counting names */
        unsigned host_procs; /* processes on the machine, as psutil saw them (0: not told) */
        struct series s[C_MAX];
        double cpu_fraction, observer_rss;
        int have_cpu;
        const char *run_info;
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
        const char *names[PF_MAX] = { "stat", "status", children, "maps", "smaps_rollup" };
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
}

/* Captures the texts the parse-only contenders parse, and the thread count. */
static int proc_capture(struct proc *p)
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
        n = pread0(p->fd[PF_STATUS], p->status_text, sizeof(p->status_text) - 1);
        if (n <= 0)
                return n < 0 ? (int)n : -EIO;
        p->status_len = (size_t)n;
        n = pread0(p->fd[PF_CHILDREN], p->children_text, sizeof(p->children_text) - 1);
        if (n < 0)
                return (int)n; /* empty for a process without children */
        p->children_len = (size_t)n;
        n = pread0(p->fd[PF_ROLLUP], p->rollup_text, sizeof(p->rollup_text) - 1);
        if (n <= 0)
                return n < 0 ? (int)n : -EIO;
        p->rollup_len = (size_t)n;
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
                r = proc_capture(&b->p[i]);
                if (r < 0)
                        return r;
        }
        ssize_t n = pread0(b->self_children, b->self_children_text, sizeof(b->self_children_text) - 1);
        if (n <= 0)
                return n < 0 ? (int)n : -EIO; /* it lists the tree's parent */
        b->self_children_len = (size_t)n;
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

/* The discovery half of a cheap tick: one pread of each kept-open children file, the root's
 * (it lists the tree's parent) and the four processes' (the children's are empty). */
static int run_children(struct bench *b)
{
        char buf[SMALL_BUF];

        if (pread(b->self_children, buf, sizeof(buf), 0) <= 0)
                return -EIO;
        for (int i = 0; i < NPROC; i++)
                if (pread(b->p[i].fd[PF_CHILDREN], buf, sizeof(buf), 0) < 0)
                        return -errno;
        return 0;
}

/* JIT bytes of one process through PROCMAP_QUERY, the same walk as the sampler's, added to
 * *acc_jit, and the executable VMAs it visited (one ioctl each) to *acc_vmas, when not NULL. */
static int query_one(struct bench *b, int i, uint64_t *acc_jit, unsigned *acc_vmas)
{
        struct maps_totals t;
        int r = maps_query_exec(b->p[i].fd[PF_MAPS], &t);

        if (r < 0)
                return r;
        if (acc_jit)
                *acc_jit += t.bytes[MAPS_JIT];
        if (acc_vmas)
                for (int c = 0; c < MAPS_CLASS_MAX; c++)
                        *acc_vmas += t.count[c];
        return 0;
}

enum bare_kind {
        BARE_NO_MAPS, /* A1 */
        BARE_QUERY,   /* A1b: with PROCMAP_QUERY (text maps where the kernel lacks it, as the sampler) */
        BARE_TEXT,    /* A1b's text-maps variant */
        BARE_HEAVY,   /* B1h: A1b + smaps_rollup */
};

/* What a cheap tick reads, in the sampler's order and from the same kept-open fds, with no
 * parsing: per process maps, (smaps_rollup), stat, status; then every children file. */
static int run_bare(struct bench *b, enum bare_kind kind)
{
        char buf[SMALL_BUF];
        int r;

        for (int i = 0; i < NPROC; i++) {
                struct proc *p = &b->p[i];
                if (kind == BARE_TEXT || (kind != BARE_NO_MAPS && !b->have_query))
                        r = maps_read(p->fd[PF_MAPS], b->buf);
                else if (kind != BARE_NO_MAPS)
                        r = query_one(b, i, NULL, NULL);
                else
                        r = 0;
                if (r < 0)
                        return r;
                if (kind == BARE_HEAVY && (r = pread_ok(p->fd[PF_ROLLUP], buf, sizeof(buf))) < 0)
                        return r;
                if ((r = pread_ok(p->fd[PF_STAT], buf, sizeof(buf))) < 0 ||
                    (r = pread_ok(p->fd[PF_STATUS], buf, sizeof(buf))) < 0)
                        return r;
        }
        return run_children(b);
}

static int run_tick(struct sampler *s, int heavy)
{
        struct sampler_tick t;
        int r = sampler_tick(s, heavy, &t);

        if (r < 0)
                return r;
        if (t.n != NPROC || t.heavy != heavy) {
                fprintf(stderr, "bench_sample: a %s tick sampled %zu processes (heavy %d), expected %d (heavy %d)\n",
                        heavy ? "heavy" : "cheap", t.n, t.heavy, NPROC, heavy);
                return -EPROTO;
        }
        return 0;
}

/* One pread of file f per process. */
static int run_file(struct bench *b, enum pfile f)
{
        char buf[SMALL_BUF];
        int r;

        for (int i = 0; i < NPROC; i++)
                if ((r = pread_ok(b->p[i].fd[f], buf, sizeof(buf))) < 0)
                        return r;
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

/* Walks the executable VMAs of the tree with PROCMAP_QUERY. Returns 0 (and how many VMAs it
 * visited in *ret_vmas when not NULL), -ENOTSUP on kernels before 6.11, or -errno. */
static int run_query(struct bench *b, unsigned *ret_vmas)
{
        unsigned vmas = 0;
        int r;

        for (int i = 0; i < NPROC; i++)
                if ((r = query_one(b, i, NULL, &vmas)) < 0)
                        return r;
        if (ret_vmas)
                *ret_vmas = vmas;
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

/* Parses what a cheap tick parses, from texts captured once: stat and status of each process,
 * and the children lists (the root's and the four processes'). */
static int run_parse(struct bench *b)
{
        static volatile uint64_t sink;
        int kids = 0;

        if (procfs_parse_pid_list(b->self_children_text, b->self_children_len, count_cb, &kids) < 0)
                return -EINVAL;
        for (int i = 0; i < NPROC; i++) {
                struct proc *p = &b->p[i];
                struct procfs_stat st;
                struct procfs_status status;

                if (procfs_parse_stat(p->stat_text, p->stat_len, &st) < 0 ||
                    procfs_parse_status(p->status_text, p->status_len, &status) < 0 ||
                    procfs_parse_pid_list(p->children_text, p->children_len, count_cb, &kids) < 0)
                        return -EINVAL;
                sink += st.utime_ticks + status.vm_rss + status.vm_hwm;
        }
        return kids == NPROC ? 0 : -EPROTO;
}

static int run_parse_rollup(struct bench *b)
{
        static volatile uint64_t sink;

        for (int i = 0; i < NPROC; i++) {
                struct procfs_mem mem;

                if (procfs_parse_rollup(b->p[i].rollup_text, b->p[i].rollup_len, &mem) < 0)
                        return -EINVAL;
                sink += mem.pss;
        }
        return 0;
}

static int run_root(struct bench *b)
{
        return faccessat(b->self_dirfd, "stat", F_OK, 0) == 0 ? 0 : -errno;
}

static int run_one(struct bench *b, enum contender c)
{
        switch (c) {
        case C_BARE: return run_bare(b, BARE_NO_MAPS);
        case C_BARE_QUERY: return run_bare(b, BARE_QUERY);
        case C_BARE_HEAVY: return run_bare(b, BARE_HEAVY);
        case C_CHEAP: return run_tick(b->sampler, 0);
        case C_HEAVY: return run_tick(b->sampler, 1);
        case C_ROLLUP: return run_file(b, PF_ROLLUP);
        case C_P_STAT: return run_file(b, PF_STAT);
        case C_P_STATUS: return run_file(b, PF_STATUS);
        case C_P_CHILDREN: return run_children(b);
        case C_P_CHILDREN_OPEN: return run_children_open(b);
        case C_P_QUERY: return run_query(b, NULL);
        case C_P_MAPS: return run_maps(b, 0);
        case C_P_MAPS_SCAN: return run_maps(b, 1);
        case C_P_BARE_MAPS: return run_bare(b, BARE_TEXT);
        case C_P_CHEAP_TEXT: return run_tick(b->sampler_text, 0);
        case C_P_PARSE: return run_parse(b);
        case C_P_PARSE_ROLLUP: return run_parse_rollup(b);
        case C_P_ROOT: return run_root(b);
        case C_PSUTIL_TREE_RSS:
        case C_PSUTIL_RSS:
        case C_PSUTIL_TREE_FULL:
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

#define ROW_FMT "  %-4s %-42s %12s  %-23s %-22s %-8s %s\n"

static void row(const struct bench *b, const char *id, enum contender c, const char *ratio, const char *target,
                const char *result)
{
        const struct series *s = &b->s[c];
        char m[32], lo[32], hi[32], spread[80];

        if (s->n == 0) {
                printf(ROW_FMT, id, info[c].what, "-", "",
                       c >= C_N_TIMED ? "skipped (no psutil)" : "skipped (no data)", "", "SKIP");
                return;
        }
        if (s->have_rounds)
                snprintf(spread, sizeof(spread), "%s..%s", fmt_ns(s->round_median_lo, lo, sizeof(lo)),
                         fmt_ns(s->round_median_hi, hi, sizeof(hi)));
        else
                spread[0] = '\0';
        printf(ROW_FMT, id, info[c].what, fmt_ns(series_median(s), m, sizeof(m)),
               spread, ratio, target, result);
}

static const char *verdict(int ok)
{
        return ok ? "PASS" : "FAIL";
}

/* A row whose ratio is this row's median over the median of `of` (named `of_id`). */
static void row_ratio(const struct bench *b, const char *id, enum contender c, enum contender of, const char *of_id,
                      const char *target, const char *result)
{
        char r[64];
        double x = series_median(&b->s[of]);

        if (b->s[c].n == 0 || x <= 0) {
                row(b, id, c, "", "", "");
                return;
        }
        snprintf(r, sizeof(r), "%.2fx %s", series_median(&b->s[c]) / x, of_id);
        row(b, id, c, r, target, result);
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
        double x_cheap_1b = med[C_CHEAP] / med[C_BARE_QUERY];
        double x_cheap_1 = med[C_CHEAP] / med[C_BARE];
        double x_inc = inc / med[C_ROLLUP];

        printf("\njitmem sampling cost: a 4-process Python tree (%s), %u rounds x %u samples per contender\n"
               "(profile rows P: %u), contenders interleaved in rotating order; ns = median per sample of the whole\n"
               "tree over all rounds; round medians = lowest..highest median of one round (the machine's noise)\n\n",
               b->python, b->rounds_done, b->iters, b->profile_iters);
        printf(ROW_FMT, "", "contender", "median ns", "round medians", "ratio", "target", "result");
        printf("  A. RSS level: one cheap tick (stat, status, tree discovery; JIT code bytes through %s,\n"
               "     walked when VmExe + VmLib moved, and at least once a second: not in this steady tree)\n",
               b->have_query ? "PROCMAP_QUERY" : "text maps: this kernel has no PROCMAP_QUERY");
        row(b, "A1", C_BARE, "reference", "", "");
        row(b, "A1b", C_BARE_QUERY, "with a walk", "", "info");
        snprintf(r1, sizeof(r1), "%.2fx A1", x_cheap_1);
        row(b, "A2", C_CHEAP, r1, "<= 1.20x", verdict(x_cheap_1 <= 1.2));
        fails += x_cheap_1 > 1.2;
        snprintf(r2, sizeof(r2), "%.2fx A1b", x_cheap_1b);
        printf(ROW_FMT, "", "", "", "", r2, "", "info");
        if (b->s[C_PSUTIL_TREE_RSS].n) {
                double x = med[C_PSUTIL_TREE_RSS] / med[C_CHEAP];
                snprintf(r1, sizeof(r1), "%.2fx A2", x);
                row(b, "A3", C_PSUTIL_TREE_RSS, r1, ">= 10x", verdict(x >= 10));
                fails += x < 10;
        } else {
                row(b, "A3", C_PSUTIL_TREE_RSS, "", "", "");
        }
        row_ratio(b, "A3k", C_PSUTIL_RSS, C_CHEAP, "A2", "", "info");
        if (b->host_procs)
                printf("  %-4s psutil finds the tree by reading /proc/PID/stat of every process on the machine: %u here\n",
                       "", b->host_procs);
        printf("  B. PSS level (smaps_rollup: a page-table walk in the kernel)\n");
        row(b, "B1", C_ROLLUP, "reference", "", "");
        {
                char lo[32];
                snprintf(r1, sizeof(r1), "%.2fx B1", x_inc);
                printf(ROW_FMT, "B2", "jitmem heavy increment (B2w - A2)", fmt_ns(inc, lo, sizeof(lo)), "", r1,
                       "<= 1.10x", verdict(x_inc <= 1.1));
                fails += x_inc > 1.1;
        }
        row_ratio(b, "B2w", C_HEAVY, C_ROLLUP, "B1", "", "info");
        snprintf(r1, sizeof(r1), "B2w = %.2fx B1h", med[C_HEAVY] / med[C_BARE_HEAVY]);
        row(b, "B1h", C_BARE_HEAVY, r1, "", "info");
        row_ratio(b, "B3", C_PSUTIL_TREE_FULL, C_HEAVY, "B2w", "", "info");
        row_ratio(b, "B3k", C_PSUTIL_FULL, C_HEAVY, "B2w", "", "info");
        printf("  C. jitmem run -q at default settings (100ms ticks, automatic PSS cadence) on the same tree\n");
        if (b->have_cpu) {
                char v[32], rss[32];
                snprintf(v, sizeof(v), "%.3f%%", 100 * b->cpu_fraction);
                printf(ROW_FMT, "C1", "observer CPU, % of one core", v, "", "", "< 1%", verdict(b->cpu_fraction < 0.01));
                fails += b->cpu_fraction >= 0.01;
                util_format_bytes((uint64_t)b->observer_rss, rss, sizeof(rss));
                printf(ROW_FMT, "C2", "observer max RSS", rss, "", "", "", "info");
                if (b->run_info)
                        printf("  %-4s %s\n", "C3", b->run_info);
        } else {
                printf(ROW_FMT, "C1", "observer CPU, % of one core", "-", "", "skipped (no data)", "", "SKIP");
        }

        printf("\n  Profile: where a cheap tick goes (per sample of the tree, same rounds)\n");
        row(b, "P1", C_P_STAT, "", "", "");
        row(b, "P2", C_P_STATUS, "", "", "");
        row(b, "P3", C_P_CHILDREN, "", "", "");
        row(b, "P4", C_P_CHILDREN_OPEN, "", "", "");
        if (b->have_query)
                row_ratio(b, "P5", C_P_QUERY, C_P_MAPS, "P6", "", "");
        else
                printf("  %-4s %-42s %12s  (this kernel has no PROCMAP_QUERY)\n", "P5", info[C_P_QUERY].what, "-");
        row(b, "P6", C_P_MAPS, "", "", "");
        row(b, "P7", C_P_MAPS_SCAN, "", "", "");
        row_ratio(b, "P8", C_P_BARE_MAPS, C_BARE, "A1", "", "");
        row_ratio(b, "P9", C_P_CHEAP_TEXT, C_P_BARE_MAPS, "P8", "", "");
        row(b, "P10", C_P_PARSE, "", "", "");
        row(b, "P11", C_P_PARSE_ROLLUP, "", "", "");
        row(b, "P12", C_P_ROOT, "", "", "");
        double parts = med[C_P_STAT] + med[C_P_STATUS] + med[C_P_CHILDREN] + med[C_P_PARSE] + med[C_P_ROOT];
        printf("  P1+P2+P3+P10+P12 (what a steady cheap tick does) = %s ns; A2 - that = %s ns of sampler bookkeeping\n"
               "  (plus, once a second or when executable memory changed, a walk: %s)\n",
               fmt_ns(parts, m, sizeof(m)), fmt_ns(med[C_CHEAP] - parts, r1, sizeof(r1)),
               b->have_query ? "P5" : "P7");
        parts = med[C_ROLLUP] + med[C_P_PARSE_ROLLUP];
        printf("  B1+P11 (what the heavy increment adds: a pread of smaps_rollup and its parsing) = %s ns; B2 - that = %s ns\n",
               fmt_ns(parts, m, sizeof(m)), fmt_ns(inc - parts, r1, sizeof(r1)));
        if (b->have_query)
                printf("  P5 makes one ioctl per executable VMA (a second one for the name of each with inode 0):\n"
                       "  %u executable VMAs in the tree, %.0f ns each\n", b->exec_vmas,
                       b->exec_vmas ? med[C_P_QUERY] / b->exec_vmas : 0);
        printf("  JIT mappings in the tree: %u, %" PRIu64 " bytes (text maps: %" PRIu64 " bytes); with any, a heavy\n"
               "  tick reads smaps instead of smaps_rollup\n", b->jit_mappings, b->jit_bytes, b->text_jit_bytes);
        printf("\n  %d target(s) missed\n", fails);
        return 0;
}

/* ---- driving ---- */

/* Creates a sampler of the tree and takes its first tick, untimed: it is always heavy and opens
 * every file. Returns 0 with *ret (the caller frees it) and the tree's JIT figures, or -errno
 * after saying why on stderr. */
static int first_tick(const struct sampler_options *so, struct sampler **ret, unsigned *ret_jit_mappings,
                      uint64_t *ret_jit_bytes, size_t *ret_n)
{
        struct sampler *s;
        struct sampler_tick t;
        unsigned mappings = 0;
        uint64_t bytes = 0;
        int r;

        r = sampler_new(so, &s);
        if (r < 0) {
                fprintf(stderr, "bench_sample: sampler_new: %s\n", strerror(-r));
                return r;
        }
        r = sampler_tick(s, 0, &t);
        if (r < 0 || t.n != NPROC || !t.heavy) {
                fprintf(stderr, "bench_sample: the first tick (maps_text %d) found %zu processes (heavy %d), "
                        "expected %d: %s\n", so->maps_text, r < 0 ? 0 : t.n, r < 0 ? 0 : t.heavy, NPROC,
                        r < 0 ? strerror(-r) : "tree mismatch");
                sampler_free(s);
                return r < 0 ? r : -EPROTO;
        }
        for (size_t i = 0; i < t.n; i++) {
                mappings += t.samples[i].jit_mappings;
                bytes += t.samples[i].jit_bytes;
        }
        *ret = s;
        if (ret_jit_mappings)
                *ret_jit_mappings = mappings;
        if (ret_jit_bytes)
                *ret_jit_bytes = bytes;
        if (ret_n)
                *ret_n = t.n;
        return 0;
}

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

static int parse_uint(const char *s, unsigned max, unsigned *ret)
{
        uint64_t v;
        size_t len = strlen(s);

        if (util_parse_u64(s, len, &v) != (int)len || v == 0 || v > max)
                return -EINVAL;
        *ret = (unsigned)v;
        return 0;
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
                } else if (strncmp(line, "procs ", 6) == 0) {
                        unsigned v;
                        line[strcspn(line, "\n")] = '\0';
                        if (parse_uint(line + 6, 10000000, &v) < 0) {
                                fprintf(stderr, "bench_sample: bad procs line\n");
                                r = -EINVAL;
                                break;
                        }
                        if (v > b->host_procs)
                                b->host_procs = v;
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
        size_t seen = 0;
        r = first_tick(&so, &b->sampler, &b->jit_mappings, &b->jit_bytes, &seen);
        if (r < 0)
                goto out;
        so.maps_text = 1;
        r = first_tick(&so, &b->sampler_text, NULL, &b->text_jit_bytes, NULL);
        if (r < 0)
                goto out;
        r = run_query(b, &b->exec_vmas);
        b->have_query = r == 0;
        if (r < 0 && r != -ENOTSUP) {
                fprintf(stderr, "bench_sample: PROCMAP_QUERY: %s\n", strerror(-r));
                goto out;
        }
        if (b->jit_bytes != b->text_jit_bytes)
                fprintf(stderr, "bench_sample: warning: JIT bytes %" PRIu64 " through PROCMAP_QUERY, %" PRIu64
                        " through text maps\n", b->jit_bytes, b->text_jit_bytes);
        fprintf(stderr, "bench_sample: tree of %d Python processes: %d (parent) %d %d %d; the sampler sees %zu\n",
                NPROC, b->p[0].pid, b->p[1].pid, b->p[2].pid, b->p[3].pid, seen);

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
        sampler_free(b->sampler_text);
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
