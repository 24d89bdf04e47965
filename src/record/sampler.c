#include "sampler.h"
#include "anonpages.h"
#include "jitdebug.h"
#include "kfile.h"
#include "spawn.h"
#include "tree.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SCAN_BUF (64 * 1024)
#define SMALL_BUF 4096
#define CHILDREN_BUF 16384 /* over a thousand PIDs; more reads as -EFBIG and falls back */

/* F_CHILDREN is task/PID/children, the main thread's: its name is built per process. */
enum { F_STAT, F_STATUS, F_MAPS, F_ROLLUP, F_SMAPS, F_CHILDREN, F_MAX };
static const char *const file_names[F_MAX] = { "stat", "status", "maps", "smaps_rollup", "smaps", NULL };

struct live {
        uint32_t index;
        int pid;
        int dirfd;
        int fd[F_MAX];
        uint64_t threads;
        char comm[PROCFS_COMM_MAX];
        int sampled;  /* 0 for a root that is not sampled (jitmem itself) */
        int exec_seen; /* its address space was replaced (an exec) since the last sample */
        uint32_t execs; /* programs it changed to (execs) since it was found */
        int cmdline_tries; /* reads of an empty command line left (see sample_one) */
        int walked;            /* the fields below hold a walk of its executable mappings */
        struct maps_totals totals;
        uint64_t exec_vm;      /* VmExe + VmLib at that walk */
        uint64_t walk_ns;
        /* the GDB JIT interface: looked for until dbg_until_ns, then found (dbg_fd >= 0) or not */
        int dbg_fd;           /* /proc/PID/mem, when a descriptor was found */
        int dbg_looked;       /* looked for at least once since discovery or the last exec */
        uint64_t dbg_until_ns;
        uint64_t dbg_addr;
        int dbg_valid;        /* dbg holds a consistent read */
        struct jitdebug_list dbg;
        int heavy_now;         /* sampled at this tick, and it is a heavy one */
        int gone;
};

struct sampler {
        struct sampler_options opt;
        uint64_t t0_ns;
        uint64_t page_size;
        uint64_t clk_tck;
        int children_files;
        struct live *live;
        size_t nlive;
        struct sampler_proc *procs;
        size_t nprocs, procs_cap;
        struct sample *samples;
        uint64_t next_heavy_ns;
        char *scan_buf;
        uint32_t untracked;
        int use_query; /* maps through PROCMAP_QUERY (until the kernel says it lacks it) */
        int have_rollup; /* the kernel has smaps_rollup (4.14+); else heavy ticks read smaps */
        int have_pss_anon; /* ... with Pss_Anon (5.9+), which smaps lacks */
        struct anonpages *anon; /* the tree's anonymous pages from the page tables (or NULL) */
        int anon_status;        /* see sampler_anon_pages_status() */
        uint64_t next_anon_ns;  /* automatic cadence: the first heavy tick at or after it counts */
        uint64_t anon_outside_prev; /* the last count's pages mapped outside the tree (bytes) */
        /* scratch for discovery */
        int *found;
        size_t nfound;
};

static void debug_forget(struct live *l, uint64_t now)
{
        if (l->dbg_fd >= 0)
                close(l->dbg_fd);
        l->dbg_fd = -1;
        l->dbg_looked = 0;
        l->dbg_valid = 0;
        l->dbg_until_ns = now + SAMPLER_DEBUG_LOCATE_NS;
}

static void live_close(struct live *l)
{
        debug_forget(l, 0);
        for (int i = 0; i < F_MAX; i++)
                if (l->fd[i] >= 0) {
                        close(l->fd[i]);
                        l->fd[i] = -1;
                }
        if (l->dirfd >= 0) {
                close(l->dirfd);
                l->dirfd = -1;
        }
}

static struct live *live_find(struct sampler *s, int pid)
{
        for (size_t i = 0; i < s->nlive; i++)
                if (s->live[i].pid == pid)
                        return &s->live[i];
        return NULL;
}

/* Opens (once) and returns the fd of one of a process's files, or -errno. */
static int live_fd(struct live *l, int which)
{
        if (l->fd[which] < 0) {
                char name[48];
                if (which == F_CHILDREN)
                        snprintf(name, sizeof(name), "task/%d/children", l->pid);
                int fd = kfile_openat(l->dirfd, which == F_CHILDREN ? name : file_names[which]);
                if (fd < 0)
                        return fd;
                l->fd[which] = fd;
        }
        return l->fd[which];
}

static void live_reopen(struct live *l, int which)
{
        if (l->fd[which] >= 0) {
                close(l->fd[which]);
                l->fd[which] = -1;
        }
}

static void read_cmdline(struct sampler *s, struct live *l)
{
        char buf[SAMPLER_CMDLINE_MAX], out[SAMPLER_CMDLINE_MAX];
        int fd = kfile_openat(l->dirfd, "cmdline");
        ssize_t n;
        char *copy;

        if (fd < 0)
                return;
        do
                n = pread(fd, buf, sizeof(buf), 0);
        while (n < 0 && errno == EINTR);
        close(fd);
        if (n <= 0)
                return; /* kernel threads and exiting processes have none: keep the old one */
        procfs_cmdline_to_string(buf, (size_t)n, out, sizeof(out));
        copy = strdup(out);
        if (!copy)
                return;
        free(s->procs[l->index].cmdline);
        s->procs[l->index].cmdline = copy;
}

/* Starts tracking pid, found as a child of ppid (or the root when ppid is 0).
 * Returns 1 when added, 0 when skipped (gone, reused, not ours, over the limits), -errno. */
static int live_add(struct sampler *s, int pid, int ppid, int sampled)
{
        char path[64], buf[SMALL_BUF];
        struct procfs_stat st;
        struct live l;
        ssize_t n;
        int fd;

        if (s->opt.exclude_pid > 0 && pid == s->opt.exclude_pid)
                return 0;
        if (s->nlive >= SAMPLER_MAX_LIVE + 1 || s->nprocs >= SAMPLER_MAX_SEEN) {
                s->untracked++;
                return 0;
        }
        snprintf(path, sizeof(path), "/proc/%d", pid);
        fd = kfile_open(path, O_DIRECTORY);
        if (fd < 0)
                return fd == -ENOENT || fd == -ESRCH || fd == -EACCES ? 0 : fd;
        n = kfile_read_at(fd, "stat", buf, sizeof(buf));
        if (n < 0 || procfs_parse_stat(buf, (size_t)n, &st) < 0 || st.pid != pid ||
            (ppid > 0 && st.ppid != ppid) || st.state == 'Z' || st.state == 'X') {
                /* Gone, or the PID now names a process that is not the child we were told of. */
                close(fd);
                return 0;
        }
        struct sampler_proc *grown = util_grow(s->procs, &s->procs_cap, s->nprocs + 1, sizeof(*grown), 64);
        if (!grown) {
                close(fd);
                return -ENOMEM;
        }
        s->procs = grown;
        memset(&l, 0, sizeof(l));
        l.index = (uint32_t)s->nprocs;
        l.pid = pid;
        l.dirfd = fd;
        for (int i = 0; i < F_MAX; i++)
                l.fd[i] = -1;
        l.dbg_fd = -1;
        l.dbg_until_ns = util_now_ns() - s->t0_ns + SAMPLER_DEBUG_LOCATE_NS;
        l.threads = st.num_threads;
        l.sampled = sampled;
        memcpy(l.comm, st.comm, sizeof(l.comm));

        struct sampler_proc *p = &s->procs[s->nprocs++];
        memset(p, 0, sizeof(*p));
        p->pid = pid;
        p->ppid = st.ppid;
        p->starttime_ticks = st.starttime_ticks;
        p->alive = 1;
        l.cmdline_tries = 10;
        s->live[s->nlive++] = l;
        read_cmdline(s, &s->live[s->nlive - 1]);
        return 1;
}

int sampler_new(const struct sampler_options *opt, struct sampler **ret)
{
        struct sampler *s;
        long ps, tck;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->opt = *opt;
        s->t0_ns = util_now_ns();
        ps = sysconf(_SC_PAGESIZE);
        tck = sysconf(_SC_CLK_TCK);
        s->page_size = ps > 0 ? (uint64_t)ps : 4096;
        s->clk_tck = tck > 0 ? (uint64_t)tck : 100;
        s->children_files = !opt->scan_proc && tree_have_children_files();
        s->use_query = !opt->maps_text;
        if (!opt->no_rollup) {
                char path[64];
                snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)getpid());
                int fd = kfile_open(path, 0);
                s->have_rollup = fd >= 0;
                if (fd >= 0) {
                        char b[SMALL_BUF];
                        ssize_t n = kfile_pread(fd, b, sizeof(b));
                        s->have_pss_anon = n > 0 && memmem(b, (size_t)n, "\nPss_Anon:", 10) != NULL;
                        close(fd);
                }
        }
        s->anon_status = -ENOTSUP;
        if (opt->anon_pages) {
                s->anon_status = anonpages_new(&s->anon);
                if (s->anon_status == -ENOMEM) {
                        sampler_free(s);
                        return -ENOMEM;
                }
        }
        s->live = calloc(SAMPLER_MAX_LIVE + 1, sizeof(*s->live));
        s->samples = calloc(SAMPLER_MAX_LIVE + 1, sizeof(*s->samples));
        s->found = calloc(SAMPLER_MAX_LIVE * 2, sizeof(*s->found));
        s->scan_buf = malloc(SCAN_BUF);
        if (!s->live || !s->samples || !s->found || !s->scan_buf) {
                sampler_free(s);
                return -ENOMEM;
        }
        if (opt->root_pid > 0) {
                r = live_add(s, opt->root_pid, 0, opt->include_root);
                if (r <= 0) {
                        sampler_free(s);
                        return r == 0 ? -ESRCH : r;
                }
        }
        *ret = s;
        return 0;
}

int sampler_add_root(struct sampler *s, int pid)
{
        if (!s || pid <= 0)
                return -EINVAL;
        if (live_find(s, pid))
                return 0;
        return live_add(s, pid, 0, 1);
}

void sampler_exclude(struct sampler *s, int pid)
{
        if (s)
                s->opt.exclude_pid = pid;
}

void sampler_free(struct sampler *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->nlive; i++)
                live_close(&s->live[i]);
        for (size_t i = 0; i < s->nprocs; i++)
                free(s->procs[i].cmdline);
        free(s->procs);
        free(s->live);
        free(s->samples);
        free(s->found);
        free(s->scan_buf);
        anonpages_free(s->anon);
        free(s);
}

static int found_cb(int pid, void *userdata)
{
        struct sampler *s = userdata;

        if (s->nfound < SAMPLER_MAX_LIVE * 2)
                s->found[s->nfound++] = pid;
        return 0;
}

static int discover_children(struct sampler *s)
{
        /* Every live process is asked for its children, so descendants of a root that has
         * exited are still followed. New processes are appended and visited in turn. */
        for (size_t i = 0; i < s->nlive; i++) {
                struct live *l = &s->live[i];
                int parent = l->pid, r;

                if (l->gone)
                        continue;
                s->nfound = 0;
                if (l->threads <= 1) {
                        /* One thread: its children file stays open and is re-read. */
                        char buf[CHILDREN_BUF];
                        int fd = live_fd(l, F_CHILDREN);
                        ssize_t n = fd < 0 ? fd : kfile_pread(fd, buf, sizeof(buf));
                        r = n < 0 ? (int)n : procfs_parse_pid_list(buf, (size_t)n, found_cb, s);
                        if (r == -EFBIG) {
                                s->nfound = 0;
                                r = tree_children(l->dirfd, l->pid, l->threads, found_cb, s);
                        }
                } else {
                        r = tree_children(l->dirfd, l->pid, l->threads, found_cb, s);
                }
                if (r == -ESRCH) {
                        continue; /* it is ending; the tick notices */
                }
                if (r < 0)
                        continue;
                for (size_t k = 0; k < s->nfound; k++) {
                        if (live_find(s, s->found[k]))
                                continue;
                        r = live_add(s, s->found[k], parent, 1);
                        if (r < 0)
                                return r;
                        l = &s->live[i]; /* (the array does not move, but stay explicit) */
                }
        }
        return 0;
}

struct scan_ctx {
        struct sampler *s;
        int added;
        int err;
};

static int scan_cb(int pid, int ppid, void *userdata)
{
        struct scan_ctx *c = userdata;
        struct live *parent;
        int r;

        if (live_find(c->s, pid))
                return 0;
        parent = live_find(c->s, ppid);
        if (!parent || parent->gone)
                return 0;
        r = live_add(c->s, pid, ppid, 1);
        if (r < 0) {
                c->err = r;
                return 1;
        }
        c->added += r;
        return 0;
}

static int discover_scan(struct sampler *s)
{
        struct scan_ctx c = { s, 0, 0 };
        int rounds = 0;

        /* A new grandchild may be listed before its new parent: repeat while anything was added. */
        do {
                c.added = 0;
                int r = tree_scan_all(scan_cb, &c);
                if (c.err)
                        return c.err;
                if (r < 0)
                        return r;
        } while (c.added > 0 && ++rounds < 8);
        return 0;
}

/* Reads the maps-type file `which` (maps or smaps) of a process. A kept-open maps fd follows
 * the address space it was opened on: after an exec it reads empty, so reopen once. */
static int read_maps(struct sampler *s, struct live *l, int which, struct maps_totals *t,
                     struct procfs_mem *all, struct procfs_mem *jit)
{
        for (int attempt = 0; attempt < 2; attempt++) {
                int fd = live_fd(l, which), r;
                if (fd < 0)
                        return fd;
                if (which == F_MAPS && s->use_query) {
                        r = maps_query_exec(fd, t);
                        if (r == -ENOTSUP) {
                                s->use_query = 0; /* a kernel before 6.11: read the text */
                                r = maps_scan(fd, s->scan_buf, SCAN_BUF, t);
                        }
                } else if (which == F_MAPS)
                        r = maps_scan(fd, s->scan_buf, SCAN_BUF, t);
                else
                        r = maps_scan_smaps(fd, s->scan_buf, SCAN_BUF, t, all, jit);
                if (r == -ESRCH && attempt == 0) {
                        live_reopen(l, which);
                        l->exec_seen = 1;
                        continue;
                }
                if (r < 0)
                        return r;
                uint32_t total = 0;
                for (int c = 0; c < MAPS_CLASS_MAX; c++)
                        total += t->count[c];
                if (total > 0) {
                        if (attempt > 0)
                                l->exec_seen = 1;
                        return 0;
                }
                live_reopen(l, which);
        }
        return -ESRCH;
}

static int read_small(struct live *l, int which, char *buf, size_t size)
{
        for (int attempt = 0; attempt < 2; attempt++) {
                int fd = live_fd(l, which);
                ssize_t n;
                if (fd < 0)
                        return fd;
                n = kfile_pread(fd, buf, size);
                if (n > 0)
                        return (int)n;
                if (which != F_ROLLUP || (n < 0 && n != -ESRCH))
                        return n < 0 ? (int)n : -ESRCH;
                /* smaps_rollup is bound to the address space it was opened on: after an exec
                 * it reads -ESRCH (or nothing) although the process lives. Reopen once. */
                live_reopen(l, which);
        }
        return -ESRCH;
}

/* What a failed read means for a sample: -EAGAIN (unparsable or too long this time: skip the
 * tick), -EACCES (not ours to read), or 0 (the process ended). */
static int read_failure(int r)
{
        if (r == -EINVAL || r == -EFBIG || r == -EAGAIN)
                return -EAGAIN;
        if (r == -EACCES || r == -EPERM)
                return -EACCES;
        return 0;
}

/* VmExe + VmLib of a status read, or UINT64_MAX when it lacks them. */
static uint64_t status_exec_vm(const struct procfs_status *st)
{
        if ((st->have & (PROCFS_ST_VMEXE | PROCFS_ST_VMLIB)) != (PROCFS_ST_VMEXE | PROCFS_ST_VMLIB))
                return UINT64_MAX;
        return st->vm_exe + st->vm_lib;
}

/* A moment, relative to sampler_new(): within err_ns of t_ns. */
struct moment {
        uint64_t t_ns, err_ns;
};

/* The middle of [start, now] (absolute), and half its length. */
static struct moment moment_since(const struct sampler *s, uint64_t start)
{
        uint64_t half = (util_now_ns() - start) / 2;
        return (struct moment){ start + half - s->t0_ns, half };
}

/* The moment that covers both a and b: from the earlier start to the later end. */
static struct moment moment_union(struct moment a, struct moment b)
{
        uint64_t lo = a.t_ns - a.err_ns < b.t_ns - b.err_ns ? a.t_ns - a.err_ns : b.t_ns - b.err_ns;
        uint64_t hi = a.t_ns + a.err_ns > b.t_ns + b.err_ns ? a.t_ns + a.err_ns : b.t_ns + b.err_ns;

        return (struct moment){ lo + (hi - lo) / 2, (hi - lo + 1) / 2 };
}

/* Reads and parses status; *when gets the moment of the read, which its figures are of.
 * Returns 0 or -errno (-EINVAL: unparsable). */
static int read_status(struct sampler *s, struct live *l, struct procfs_status *st, struct moment *when)
{
        char buf[SMALL_BUF];
        uint64_t t0 = util_now_ns();
        int n = read_small(l, F_STATUS, buf, sizeof(buf));

        if (n < 0)
                return n;
        *when = moment_since(s, t0);
        return procfs_parse_status(buf, (size_t)n, st) < 0 ? -EINVAL : 0;
}

/* Walks a process's mappings (maps, or smaps with all and jit) until a walk agrees with the
 * kernel's own count of executable memory, VmExe + VmLib, read just before or just after it,
 * at most `tries` times. A walk is not atomic: mappings made or freed while it runs may be
 * seen in part (a region freed behind it and another made ahead of it are both counted), and
 * such a walk is a state the process was never in; a mapping may also be gone by the time the
 * walk asks for its name (-EAGAIN), which is no reason to think the process ended.
 *
 * On entry *exec_vm and *when are the count and time of the last read of status; on return,
 * *exec_vm is that of the read the walk agrees with, and *when covers that read and the walk:
 * the walk shows the mappings as they were at some time while it ran, or a mixture of those
 * times (a walk may have been held up for tens of ms on a loaded machine), and what is known
 * of when is the span from the earlier start of the two to the later end. Returns 1 when a
 * walk agrees, 0 when none did (*t holds the last whole one, *when the time it took), or
 * -errno (-EAGAIN: no walk was whole). */
static int walk_consistent(struct sampler *s, struct live *l, int which, int tries, uint64_t *exec_vm,
                           struct moment *when, struct maps_totals *t, struct procfs_mem *all,
                           struct procfs_mem *jit)
{
        int whole = 0;

        for (int attempt = 0; attempt < tries; attempt++) {
                struct procfs_status st;
                struct moment after_t;
                uint64_t after, start = util_now_ns();
                int r, e;

                r = read_maps(s, l, which, t, all, jit);
                if (r < 0 && r != -EAGAIN)
                        return r;
                struct moment walk = moment_since(s, start);
                if (r == 0) {
                        if (*exec_vm != UINT64_MAX && t->exec_vm == *exec_vm) {
                                *when = moment_union(*when, walk);
                                return 1;
                        }
                        whole = 1;
                        *when = walk;
                }
                e = read_status(s, l, &st, &after_t);
                if (e < 0)
                        return e;
                after = status_exec_vm(&st);
                if (after == UINT64_MAX && r == 0)
                        return 0; /* nothing to check a walk against */
                *exec_vm = after;
                if (r == 0 && t->exec_vm == after) {
                        *when = moment_union(walk, after_t);
                        return 1;
                }
        }
        return whole ? 0 : -EAGAIN;
}

/* The GDB JIT interface's images (see sampler.h): out->jit_debug_images < 0 when unknown. */
static void sample_debug(struct live *l, int walked, uint64_t now, struct sample *out)
{
        uint64_t first;
        int r;

        out->jit_debug_images = -1;
        if (l->dbg_fd < 0) {
                /* look at the first sample, then at walks (the loader maps more) for a while */
                if ((l->dbg_looked && !walked) || (l->dbg_looked && now > l->dbg_until_ns))
                        return;
                l->dbg_looked = 1;
                if (jitdebug_locate(l->dirfd, &l->dbg_addr) != 1)
                        return;
                l->dbg_fd = kfile_openat(l->dirfd, "mem");
                if (l->dbg_fd < 0) {
                        l->dbg_fd = -1;
                        l->dbg_until_ns = 0; /* not ours to read: stop looking */
                        return;
                }
                l->dbg_valid = 0;
        }
        r = jitdebug_read_first(l->dbg_fd, l->dbg_addr, &first);
        if (r == 0 && (walked || !l->dbg_valid || first != l->dbg.first)) {
                struct jitdebug_list d;
                r = jitdebug_read(l->dbg_fd, l->dbg_addr, &d);
                l->dbg_valid = r == 0;
                if (r == 0)
                        l->dbg = d;
        }
        if (r == -EPROTO || r == -E2BIG) {
                /* not a descriptor (any longer), or a list past every bound: stop reading it */
                close(l->dbg_fd);
                l->dbg_fd = -1;
                l->dbg_until_ns = 0;
                l->dbg_valid = 0;
                return;
        }
        if (r < 0 || !l->dbg_valid)
                return; /* kept changing, or unreadable: unknown at this tick */
        out->jit_debug_images = l->dbg.images;
        out->jit_debug_bytes = l->dbg.bytes;
}

/* One process's sample under way (sample_one): what its first reads found, and the sample. */
struct one {
        struct sampler *s;
        struct live *l;
        uint64_t now;
        struct sample *out;
        struct procfs_stat st;       /* stat, read first */
        struct procfs_status status; /* status, read next */
        struct moment when;          /* the moment the figures are of (see walk_consistent()) */
        uint64_t exec_vm;            /* VmExe + VmLib at that moment, UINT64_MAX when unknown */
        int walked;                  /* the mappings were walked at this tick */
};

static int stat_exiting(const struct procfs_stat *st)
{
        return st->state == 'Z' || st->state == 'X' || (st->flags & PROCFS_PF_EXITING);
}

/* Reads and parses stat. Returns 1, or what sample_one() returns for a failed read. */
static int read_stat(struct live *l, struct procfs_stat *st)
{
        char buf[SMALL_BUF];
        int n = read_small(l, F_STAT, buf, sizeof(buf));

        if (n < 0)
                return read_failure(n);
        return procfs_parse_stat(buf, (size_t)n, st) < 0 ? -EAGAIN : 1;
}

/* Reads and parses smaps_rollup. Returns 1, or what sample_one() returns for a failed read. */
static int read_rollup(struct live *l, struct procfs_mem *mem)
{
        char buf[SMALL_BUF];
        int n = read_small(l, F_ROLLUP, buf, sizeof(buf));

        if (n < 0)
                return read_failure(n);
        return procfs_parse_rollup(buf, (size_t)n, mem) < 0 ? -EAGAIN : 1;
}

/* The executable mappings' figures of a walk: JIT code, and the other anonymous code. */
static void set_exec_figures(struct sample *out, const struct maps_totals *t)
{
        out->jit_bytes = t->bytes[MAPS_JIT];
        out->jit_mappings = t->count[MAPS_JIT];
        out->exec_other_bytes = out->exec_other_mappings = 0;
        for (int c = MAPS_PERF_TRAMPOLINE; c < MAPS_CLASS_MAX; c++) {
                out->exec_other_bytes += t->bytes[c];
                out->exec_other_mappings += t->count[c];
        }
}

/* stat, then status: a process that is exiting, or has no address space, has ended. Returns 1
 * to go on, or what sample_one() returns. */
static int one_first_reads(struct one *o)
{
        int r = read_stat(o->l, &o->st);

        if (r != 1)
                return r;
        if (stat_exiting(&o->st))
                return 0;
        r = read_status(o->s, o->l, &o->status, &o->when);
        if (r < 0)
                return read_failure(r);
        if (!(o->status.have & PROCFS_ST_VMRSS) || o->status.vm_size == 0)
                return 0; /* no address space: exiting (or a kernel thread) */
        o->exec_vm = status_exec_vm(&o->status);
        return 1;
}

/* JIT code. The kernel's count of executable, non-writable memory (VmExe + VmLib) moves with
 * every JIT region made executable or freed: while it stands still, the last walk's figures
 * stand. Only a walk that agreed with that count is kept for reuse (see walk_consistent()); one
 * that never agreed is reported, and the next tick walks again. Walk anyway after an exec, and
 * at least every SAMPLER_WALK_MAX_AGE_NS, which bounds how stale a rare equal-sized swap can
 * leave them (a JIT region freed as a library of the very same size is mapped). Returns 1 to go
 * on, or what sample_one() returns. */
static int one_exec_mappings(struct one *o)
{
        struct live *l = o->l;
        struct maps_totals t;
        int r;

        o->walked = !l->walked || o->exec_vm == UINT64_MAX || o->exec_vm != l->exec_vm ||
                    strcmp(l->comm, o->st.comm) != 0 || o->now - l->walk_ns >= SAMPLER_WALK_MAX_AGE_NS;
        if (o->walked) {
                r = walk_consistent(o->s, l, F_MAPS, SAMPLER_WALK_TRIES, &o->exec_vm, &o->when, &t, NULL, NULL);
                if (r < 0)
                        return read_failure(r);
                l->totals = t;
                l->exec_vm = o->exec_vm;
                l->walk_ns = o->now;
                l->walked = r;
        } else {
                t = l->totals;
        }
        set_exec_figures(o->out, &t);
        return 1;
}

/* A heavy tick's walk of smaps, for the PSS of JIT code (and every figure, where the kernel
 * lacks smaps_rollup) into *mem. Returns 1 to go on, or what sample_one() returns. */
static int one_smaps(struct one *o, struct procfs_mem *mem)
{
        struct live *l = o->l;
        struct maps_totals t2;
        struct procfs_mem jit;
        uint64_t smaps_vm = o->exec_vm;
        struct moment smaps_when = o->when;
        int r;

        r = walk_consistent(o->s, l, F_SMAPS, SAMPLER_SMAPS_TRIES, &smaps_vm, &smaps_when, &t2, mem, &jit);
        if (r < 0)
                return read_failure(r);
        o->out->jit_pss = jit.pss;
        if (r == 1) {
                /* smaps lists every mapping: a walk for free */
                set_exec_figures(o->out, &t2);
                o->when = smaps_when;
                l->totals = t2;
                l->exec_vm = smaps_vm;
                l->walk_ns = o->now;
                l->walked = 1;
        }
        /* else JIT bytes and mappings stay those of maps, read just before (the PSS of JIT
         * code is this walk's all the same) */
        if (o->s->have_pss_anon) {
                /* smaps has no Pss_Anon per mapping: the rollup, right after */
                struct procfs_mem rm;
                r = read_rollup(l, &rm);
                if (r != 1)
                        return r;
                mem->pss_anon = rm.pss_anon;
        }
        return 1;
}

/* A heavy tick's figures: PSS, USS and the PSS of JIT code, from smaps where there is JIT code
 * (or no smaps_rollup), else from smaps_rollup alone. Its CPU time is added to *cost_ns.
 * Returns 1 to go on, or what sample_one() returns. */
static int one_heavy(struct one *o, uint64_t *cost_ns)
{
        uint64_t h0 = util_thread_cpu_ns(); /* CPU, not wall: waiting for a CPU costs none */
        struct sample *out = o->out;
        struct procfs_mem mem;
        int r;

        if (out->jit_mappings > 0 || !o->s->have_rollup) {
                r = one_smaps(o, &mem);
        } else {
                r = read_rollup(o->l, &mem);
                out->jit_pss = 0;
        }
        if (r != 1)
                return r;
        out->pss = mem.pss;
        out->pss_anon = mem.pss_anon;
        out->have_pss_anon = o->s->have_pss_anon;
        out->uss = procfs_mem_uss(&mem);
        out->heavy = 1;
        *cost_ns += util_thread_cpu_ns() - h0;
        return 1;
}

/* A process that began to exit after the first read may have had part of its address space
 * torn down under the walk (the kernel unmaps on exit while maps is read): when mappings were
 * read this tick, make sure it was not exiting by then. Returns 1 to go on, or what
 * sample_one() returns. */
static int one_still_running(struct one *o)
{
        struct procfs_stat st2;
        int r = read_stat(o->l, &st2);

        if (r != 1)
                return r;
        if (stat_exiting(&st2)) {
                o->l->walked = 0; /* the walk may be partial: not to be reused */
                return 0;
        }
        return 1;
}

/* The figures of stat and status, and the moment they are of. */
static void one_fill(struct one *o)
{
        struct sample *out = o->out;
        uint64_t tick_ns = 1000000000ULL / o->s->clk_tck;

        out->t_ns = o->when.t_ns;
        out->t_err_ns = o->when.err_ns;
        out->index = o->l->index;
        out->pid = o->l->pid;
        out->ppid = o->st.ppid;
        memcpy(out->comm, o->st.comm, sizeof(out->comm));
        out->rss = o->status.vm_rss;
        out->vsz = o->status.vm_size;
        out->rss_anon = o->status.rss_anon;
        out->rss_file = o->status.rss_file;
        out->rss_shmem = o->status.rss_shmem;
        out->swap = o->status.vm_swap;
        out->hwm = o->status.vm_hwm;
        out->cpu_user_ns = o->st.utime_ticks * tick_ns;
        out->cpu_sys_ns = o->st.stime_ticks * tick_ns;
        out->threads = (uint32_t)(o->st.num_threads > UINT32_MAX ? UINT32_MAX : o->st.num_threads);
        o->l->threads = o->st.num_threads;
}

/* The command line, read again while it is empty, and an exec noticed. */
static void one_note_exec(struct one *o)
{
        struct sampler *s = o->s;
        struct live *l = o->l;

        /* Read in the middle of an exec (the new name set, the arguments not yet), a command
         * line is empty: read it again at the next few ticks. */
        if (!s->procs[l->index].cmdline && l->cmdline_tries > 0) {
                l->cmdline_tries--;
                read_cmdline(s, l);
        }
        if (l->exec_seen || strcmp(l->comm, o->st.comm) != 0) {
                /* A new program image (exec): its command line changed too. The name alone
                 * may not change (a script named python3 exec'ing python3), the address
                 * space always does. */
                memcpy(l->comm, o->st.comm, sizeof(l->comm));
                l->exec_seen = 0;
                l->execs++;
                read_cmdline(s, l);
                debug_forget(l, o->now); /* another program: its descriptor, if any, is elsewhere */
        }
}

/* Samples one process. Returns 1 with *out filled, 0 when the process ended (or is ending),
 * -EAGAIN when its files could not be parsed this time, -EACCES when they may not be read. */
static int sample_one(struct sampler *s, struct live *l, int heavy, uint64_t now, struct sample *out,
                      uint64_t *heavy_cost_ns)
{
        struct one o;
        int r;

        memset(&o, 0, sizeof(o));
        o.s = s;
        o.l = l;
        o.now = now;
        o.out = out;
        memset(out, 0, sizeof(*out));
        r = one_first_reads(&o);
        if (r != 1)
                return r;
        r = one_exec_mappings(&o);
        if (r != 1)
                return r;
        if (heavy) {
                r = one_heavy(&o, heavy_cost_ns);
                if (r != 1)
                        return r;
        }
        if (o.walked || heavy) {
                r = one_still_running(&o);
                if (r != 1)
                        return r;
        }
        one_fill(&o);
        one_note_exec(&o);
        out->execs = l->execs;
        sample_debug(l, o.walked, now, out);
        s->procs[l->index].ppid = o.st.ppid;
        return 1;
}

static void live_compact(struct sampler *s)
{
        size_t w = 0;

        for (size_t i = 0; i < s->nlive; i++) {
                if (s->live[i].gone) {
                        live_close(&s->live[i]);
                        s->procs[s->live[i].index].alive = 0;
                        continue;
                }
                s->live[w++] = s->live[i];
        }
        s->nlive = w;
}

/* The tree's anonymous pages, each counted once: every process sampled at this heavy tick,
 * read after them all. A process that ended meanwhile, or a bound passed, leaves the figure
 * unknown at this tick. */
static void count_anon_pages(struct sampler *s, struct sampler_tick *ret, uint64_t *heavy_cost_ns)
{
        uint64_t h0 = util_thread_cpu_ns();
        struct anonpages_result a;
        int r = 0;

        anonpages_begin(s->anon);
        for (size_t i = 0; i < s->nlive && r >= 0; i++)
                if (!s->live[i].gone && s->live[i].heavy_now)
                        r = anonpages_add_process(s->anon, s->live[i].dirfd);
        if (r >= 0)
                r = anonpages_end(s->anon, &a);
        else
                anonpages_begin(s->anon);
        if (r >= 0) {
                /* A process that a process of the tree forks during the count shares its
                 * parent's pages and is found at the next tick only: for this count it maps
                 * them from outside. Pages are called outside when two counts in a row say so. */
                uint64_t outside = a.outside_pages * a.page_size;
                ret->have_anon_pages = 1;
                ret->anon_pages_bytes = a.pages * a.page_size;
                ret->anon_outside_bytes = outside < s->anon_outside_prev ? outside : s->anon_outside_prev;
                s->anon_outside_prev = outside;
        }
        *heavy_cost_ns += util_thread_cpu_ns() - h0;
}

int sampler_tick(struct sampler *s, int force_heavy, struct sampler_tick *ret)
{
        uint64_t start = util_now_ns(), heavy_cost = 0;
        uint64_t t = start - s->t0_ns;
        int heavy, r;
        size_t n = 0;

        heavy = force_heavy || t >= s->next_heavy_ns;
        s->untracked = 0;
        /* Known processes first, so that one that has ended is dropped before discovery
         * meets its PID again (reused by a newcomer); then the newcomers. */
        for (int pass = 0; pass < 2; pass++) {
                size_t from = 0;
                if (pass == 1) {
                        live_compact(s);
                        from = s->nlive;
                        r = s->children_files ? discover_children(s) : discover_scan(s);
                        if (r < 0)
                                return r;
                }
                for (size_t i = from; i < s->nlive; i++) {
                        struct live *l = &s->live[i];
                        l->heavy_now = 0;
                        if (l->gone)
                                continue;
                        if (!l->sampled) {
                                /* the root when it is not sampled, or an unreadable process:
                                 * only check that it still exists */
                                if (faccessat(l->dirfd, "stat", F_OK, 0) != 0)
                                        l->gone = 1;
                                continue;
                        }
                        r = sample_one(s, l, heavy, t, &s->samples[n], &heavy_cost);
                        l->heavy_now = r == 1 && heavy;
                        if (r == 1) {
                                struct sampler_proc *p = &s->procs[l->index];
                                if (p->first_ns == 0)
                                        p->first_ns = t ? t : 1;
                                p->last_ns = t;
                                n++;
                        } else if (r == 0) {
                                l->gone = 1;
                        } else if (r == -EACCES) {
                                /* e.g. a setuid program: say so, stop sampling it, but keep
                                 * following it (its children may be readable) until it ends */
                                s->procs[l->index].unreadable = 1;
                                l->sampled = 0;
                        }
                        /* -EAGAIN: unparsable this time; left out of this tick */
                }
        }
        live_compact(s);
        ret->have_anon_pages = 0;
        ret->anon_pages_bytes = ret->anon_outside_bytes = 0;
        /* The count from the page tables is a heavy figure too. With an automatic cadence the
         * budget is halved between the two: PSS at the heavy ticks its own cost leaves room for
         * in one half, the count at those its cost leaves room for in the other. */
        int halves = s->anon && s->opt.heavy_interval_ns == 0;
        if (heavy && s->anon && n > 0 && (!halves || force_heavy || t >= s->next_anon_ns)) {
                uint64_t anon_cost = 0;
                count_anon_pages(s, ret, &anon_cost);
                s->next_anon_ns = t + (uint64_t)((double)anon_cost / (SAMPLER_HEAVY_BUDGET / 2));
        }
        if (heavy) {
                uint64_t gap = s->opt.heavy_interval_ns;
                if (gap == 0)
                        gap = (uint64_t)((double)heavy_cost / (halves ? SAMPLER_HEAVY_BUDGET / 2 : SAMPLER_HEAVY_BUDGET));
                s->next_heavy_ns = t + gap;
        }
        ret->t_ns = t;
        ret->cost_ns = util_now_ns() - start;
        ret->heavy = heavy;
        ret->n = n;
        ret->samples = s->samples;
        ret->untracked = s->untracked;
        ret->unreadable = 0;
        for (size_t i = 0; i < s->nlive; i++)
                if (!s->live[i].gone && s->procs[s->live[i].index].unreadable)
                        ret->unreadable++;
        return 0;
}

int sampler_signal(struct sampler *s, uint32_t index, int sig)
{
        struct live *l = NULL;
        int pidfd, r = 0;

        for (size_t i = 0; i < s->nlive; i++)
                if (s->live[i].index == index && !s->live[i].gone)
                        l = &s->live[i];
        if (!l)
                return -ESRCH;
        pidfd = spawn_pidfd_open(l->pid);
        if (pidfd == -ENOSYS) {
                /* Before Linux 5.3: check, then kill(), with the small race that leaves. */
                if (faccessat(l->dirfd, "stat", F_OK, 0) != 0)
                        return -ESRCH;
                return kill(l->pid, sig) < 0 ? -errno : 0;
        }
        if (pidfd < 0)
                return pidfd;
        /* The pidfd names whatever holds the PID now; the directory fd, the process found at
         * discovery. If the latter still reads, they are one and the same. */
        if (faccessat(l->dirfd, "stat", F_OK, 0) != 0) {
                r = -ESRCH;
        } else if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0) {
                r = -errno;
        }
        close(pidfd);
        return r;
}

const struct sampler_proc *sampler_proc(const struct sampler *s, uint32_t index)
{
        if (!s || index >= s->nprocs)
                return NULL;
        return &s->procs[index];
}

int sampler_anon_pages_status(const struct sampler *s)
{
        return s->anon_status;
}

uint64_t sampler_t0_ns(const struct sampler *s)
{
        return s->t0_ns;
}

uint32_t sampler_nprocs(const struct sampler *s)
{
        return (uint32_t)s->nprocs;
}

uint32_t sampler_nlive(const struct sampler *s)
{
        uint32_t n = 0;

        for (size_t i = 0; i < s->nlive; i++)
                n += !s->live[i].gone && (s->live[i].sampled || s->live[i].index != 0);
        return n;
}
