/* jitmem watch, the engine: see watch.h. */
#include "watch.h"
#include "jsonout.h"
#include "kfile.h"
#include "prom.h"
#include "record.h"
#include "sampler.h"
#include "tree.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define REBUILD_SLACK 256   /* processes seen but gone before the sampler is rebuilt */
#define CMDLINE_CAP 4096

const char *watch_role_name(enum watch_role r)
{
        switch (r) {
        case WATCH_ROLE_MASTER: return "master";
        case WATCH_ROLE_WORKER: return "worker";
        case WATCH_ROLE_PROCESS: break;
        }
        return "process";
}

/* ---- history ---- */

void watch_ring_add(struct watch_ring *r, unsigned stride, double t, double rss, double uss, double jit)
{
        r->acc_ticks++;
        r->acc_t += t;
        r->acc_rss += rss;
        r->acc_jit += jit;
        if (uss >= 0) {
                r->acc_uss += uss;
                r->acc_uss_n++;
        }
        if (r->acc_ticks < (stride ? stride : 1))
                return;
        size_t i = (r->start + r->n) % WATCH_RING;
        if (r->n == WATCH_RING)
                r->start = (r->start + 1) % WATCH_RING; /* the oldest point goes */
        else
                r->n++;
        r->t[i] = r->acc_t / r->acc_ticks;
        r->rss[i] = r->acc_rss / r->acc_ticks;
        r->jit[i] = r->acc_jit / r->acc_ticks;
        r->uss[i] = r->acc_uss_n ? r->acc_uss / r->acc_uss_n : -1;
        r->acc_ticks = r->acc_uss_n = 0;
        r->acc_t = r->acc_rss = r->acc_uss = r->acc_jit = 0;
}

size_t watch_ring_copy(const struct watch_ring *r, double *t, double *rss, double *uss, double *jit)
{
        for (size_t k = 0; k < r->n; k++) {
                size_t i = (r->start + k) % WATCH_RING;
                t[k] = r->t[i];
                rss[k] = r->rss[i];
                uss[k] = r->uss[i];
                jit[k] = r->jit[i];
        }
        return r->n;
}

static void classify(const struct watch_ring *r, double window_s, double limit, double current, struct growth_result *g,
                     int *valid)
{
        double t[WATCH_RING], rss[WATCH_RING], uss[WATCH_RING], jit[WATCH_RING];
        struct growth_input in;

        memset(&in, 0, sizeof(in));
        in.n = watch_ring_copy(r, t, rss, uss, jit);
        in.t = t;
        in.rss = rss;
        in.uss = uss;
        in.jit = jit;
        in.limit = limit;
        in.current = current;
        in.min_span_s = window_s / 2 < 30 ? window_s / 2 : 30; /* a short --window is judged sooner */
        *valid = growth_classify(&in, g) == 0;
}

/* ---- finding processes ---- */

static double window_s(const struct watch *w)
{
        return (double)(w->opt.window_ns ? w->opt.window_ns : 1800ULL * 1000000000ULL) / 1e9;
}

static int proc_slot(struct watch *w, int pid, uint64_t starttime)
{
        for (int i = 0; i < WATCH_MAX_PROCS; i++)
                if (w->procs[i].used && w->procs[i].pid == pid && w->procs[i].starttime == starttime)
                        return i;
        return -1;
}

static struct watch_proc *alive_pid(struct watch *w, int pid)
{
        for (int i = 0; i < WATCH_MAX_PROCS; i++)
                if (w->procs[i].used && w->procs[i].alive && w->procs[i].pid == pid)
                        return &w->procs[i];
        return NULL;
}

static int match_cb(int pid, int ppid, void *userdata)
{
        struct watch *w = userdata;
        char path[64], buf[CMDLINE_CAP];
        ssize_t n;

        (void)ppid;
        if (pid == (int)getpid() || alive_pid(w, pid))
                return 0;
        snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
        n = kfile_read(path, buf, sizeof(buf));
        if (n <= 0 && n != -EFBIG)
                return 0; /* gone, or a kernel thread (no command line) */
        if (n == -EFBIG)
                n = (ssize_t)sizeof(buf) - 1;
        for (ssize_t i = 0; i < n; i++)
                if (buf[i] == '\0')
                        buf[i] = ' ';
        while (n > 0 && buf[n - 1] == ' ')
                n--;
        buf[n] = '\0';
        if (regexec(&w->re, buf, 0, NULL, 0) == 0)
                (void)sampler_add_root(w->sampler, pid);
        return 0;
}

static int cgroup_pid_line(const char *line, size_t len, void *userdata)
{
        struct watch *w = userdata;
        uint64_t pid;

        if (util_parse_u64(line, len, &pid) == (int)len && pid > 0 && pid < INT32_MAX && (int)pid != (int)getpid())
                (void)sampler_add_root(w->sampler, (int)pid);
        return 0;
}

static void rescan(struct watch *w)
{
        if (w->have_re)
                (void)tree_scan_all(match_cb, w);
        if (w->opt.cgroup_dir) {
                char path[KFILE_PATH_MAX], line[64];
                if (snprintf(path, sizeof(path), "%s/cgroup.procs", w->opt.cgroup_dir) < (int)sizeof(path)) {
                        int fd = kfile_open(path, 0);
                        if (fd >= 0) {
                                (void)kfile_scan_lines(fd, line, sizeof(line), cgroup_pid_line, w);
                                close(fd);
                        }
                }
        }
}

static int new_sampler(struct watch *w)
{
        struct sampler_options so;

        memset(&so, 0, sizeof(so));
        so.heavy_interval_ns = w->opt.heavy_interval_ns;
        so.exclude_pid = (int)getpid(); /* `watch` of an ancestor (the shell that started jitmem) */
        return sampler_new(&so, &w->sampler);
}

/* A fresh sampler that follows the live processes: the old one remembers every process it ever
 * saw, which over days of worker recycling is more than what is alive. */
static int rebuild_sampler(struct watch *w)
{
        struct sampler *old = w->sampler;
        int r = new_sampler(w);

        if (r < 0) {
                w->sampler = old;
                return r;
        }
        sampler_free(old);
        w->sampler_rebuilds++;
        for (size_t i = 0; i < w->opt.npids; i++)
                (void)sampler_add_root(w->sampler, w->opt.pids[i]);
        for (int i = 0; i < WATCH_MAX_PROCS; i++)
                if (w->procs[i].used && w->procs[i].alive)
                        (void)sampler_add_root(w->sampler, w->procs[i].pid);
        return 0;
}

struct pid_find {
        int pid, found;
};

static int pid_find_line(const char *line, size_t len, void *userdata)
{
        struct pid_find *f = userdata;
        uint64_t v;

        if (util_parse_u64(line, len, &v) == (int)len && (int)v == f->pid) {
                f->found = 1;
                return 1;
        }
        return 0;
}

/* The memory cgroup of pid, if jitmem can see that directory as the process's own: in a
 * container without its own cgroup namespace the path the process reports may resolve, in
 * jitmem's mount namespace, to another cgroup (jitmem's own), whose limit would be wrong to
 * judge by. The directory must list the process. */
static int detect_cgroup(int pid, struct cgroup_info *ret)
{
        char path[KFILE_PATH_MAX], line[64];
        struct cgroup_info c;
        struct pid_find f = { pid, 0 };
        int fd;

        if (cgroup_detect(pid, &c) < 0 || !c.dir[0] ||
            snprintf(path, sizeof(path), "%s/cgroup.procs", c.dir) >= (int)sizeof(path))
                return -ENOENT;
        fd = kfile_open(path, 0);
        if (fd < 0)
                return fd;
        (void)kfile_scan_lines(fd, line, sizeof(line), pid_find_line, &f);
        close(fd);
        if (!f.found)
                return -ENOENT;
        *ret = c;
        return 0;
}

int watch_init(struct watch *w, const struct watch_options *o, char *err, size_t errsize)
{
        int r;

        memset(w, 0, sizeof(*w));
        w->opt = *o;
        if (o->npids == 0 && !o->match && !o->cgroup_dir) {
                snprintf(err, errsize, "nothing to watch: give PIDs, --match or --cgroup");
                return -EINVAL;
        }
        if (o->match) {
                r = regcomp(&w->re, o->match, REG_EXTENDED | REG_NOSUB);
                if (r != 0) {
                        char msg[128];
                        regerror(r, &w->re, msg, sizeof(msg));
                        snprintf(err, errsize, "bad --match pattern '%s': %s", o->match, msg);
                        return -EINVAL;
                }
                w->have_re = 1;
        }
        w->procs = calloc(WATCH_MAX_PROCS, sizeof(*w->procs));
        if (!w->procs) {
                watch_free(w);
                return -ENOMEM;
        }
        if (o->cgroup_dir) {
                r = cgroup_read_dir(o->cgroup_dir, &w->cg);
                if (r < 0) {
                        snprintf(err, errsize, "cannot watch the cgroup %s: %s", o->cgroup_dir,
                                 r == -ENOTSUP ? "not a memory cgroup directory (no memory.current or memory.usage_in_bytes)"
                                 : r == -EINVAL ? "expected an absolute path without '..'"
                                               : util_strerror(r));
                        watch_free(w);
                        return r;
                }
                w->have_cgroup = 1;
        }
        r = new_sampler(w);
        if (r < 0) {
                snprintf(err, errsize, "cannot start sampling: %s", util_strerror(r));
                watch_free(w);
                return r;
        }
        for (size_t i = 0; i < o->npids; i++) {
                if (o->pids[i] == (int)getpid()) {
                        snprintf(err, errsize, "pid %d is jitmem itself, which it never watches", o->pids[i]);
                        watch_free(w);
                        return -EINVAL;
                }
                r = sampler_add_root(w->sampler, o->pids[i]);
                if (r < 0 || (r == 0 && kill(o->pids[i], 0) < 0 && errno == ESRCH)) {
                        snprintf(err, errsize, "no process %d", o->pids[i]);
                        watch_free(w);
                        return -ESRCH;
                }
        }
        if (!w->have_cgroup && o->npids > 0 && detect_cgroup(o->pids[0], &w->cg) == 0)
                w->have_cgroup = 1;
        if (o->limit_bytes > 0) {
                w->limit = o->limit_bytes;
                w->limit_source = "--limit";
        } else if (w->have_cgroup && (w->cg.have & CGROUP_HAVE_LIMIT) && w->cg.limit_bytes != CGROUP_NO_LIMIT) {
                w->limit = w->cg.limit_bytes;
                w->limit_source = "cgroup";
        }
        uint64_t window = o->window_ns ? o->window_ns : 1800ULL * 1000000000ULL;
        uint64_t interval = o->interval_ns ? o->interval_ns : 1000000000ULL;
        w->stride = (unsigned)(window / interval / WATCH_RING);
        if (w->stride < 1)
                w->stride = 1;
        w->t0_ns = util_now_ns();
        rescan(w);
        w->last_rescan_ns = w->t0_ns;
        return 0;
}

void watch_free(struct watch *w)
{
        if (!w)
                return;
        sampler_free(w->sampler);
        w->sampler = NULL;
        if (w->have_re)
                regfree(&w->re);
        w->have_re = 0;
        free(w->procs);
        w->procs = NULL;
}

static void event(struct watch *w, enum watch_event_kind k, const struct watch_proc *p, double lived)
{
        struct watch_event *e;

        if (w->nev == WATCH_EVENTS) {
                w->events_dropped++;
                return;
        }
        e = &w->ev[w->nev++];
        e->kind = k;
        e->pid = p->pid;
        e->ppid = p->ppid;
        memcpy(e->comm, p->comm, sizeof(e->comm));
        e->t = w->t;
        e->lived_s = lived;
}

static int new_proc(struct watch *w, const struct sample *s, uint64_t st, int first)
{
        struct watch_proc *p;
        int i;

        for (i = 0; i < WATCH_MAX_PROCS && w->procs[i].used; i++)
                ;
        if (i == WATCH_MAX_PROCS) {
                w->untracked++;
                return -1;
        }
        p = &w->procs[i];
        memset(p, 0, sizeof(*p));
        p->used = 1;
        p->pid = s->pid;
        p->ppid = s->ppid;
        p->starttime = st;
        p->first_t = w->t;
        runfile_peaks_init(&p->peaks);
        memcpy(p->comm, s->comm, sizeof(p->comm));
        if (!first) {
                struct watch_proc *parent = alive_pid(w, s->ppid);
                if (parent && parent->ended_children > 0) {
                        parent->ended_children--;
                        p->restarted = 1;
                        w->restarts++;
                        event(w, WATCH_EV_RESTARTED, p, 0);
                } else {
                        event(w, WATCH_EV_STARTED, p, 0);
                }
        }
        return i;
}

static void update_proc(struct watch *w, struct watch_proc *p, const struct sample *s)
{
        p->alive = 1;
        p->last_t = w->t;
        p->ppid = s->ppid;
        memcpy(p->comm, s->comm, sizeof(p->comm));
        struct runfile_point pt = record_point_of_sample(w->t, s);
        runfile_peaks_add(&p->peaks, &pt);
        p->rss = s->rss;
        p->vsz = s->vsz;
        p->jit = s->jit_bytes;
        p->jit_mappings = s->jit_mappings;
        p->jit_debug_images = s->jit_debug_images;
        p->jit_debug_bytes = s->jit_debug_images >= 0 ? s->jit_debug_bytes : 0;
        if (s->heavy) {
                p->pss = s->pss;
                p->uss = s->uss;
                p->have_pss = 1;
        }
        watch_ring_add(&p->ring, w->stride, w->t, (double)s->rss, s->heavy ? (double)s->uss : -1, (double)s->jit_bytes);
        if (p->ring.acc_ticks == 0) /* a new point: judge again */
                classify(&p->ring, window_s(w), 0, -1, &p->g, &p->g_valid);
}

/* Ended: a slot not sampled this tick whose process is gone (one left out of a tick while it
 * is still alive keeps its history). The parent of an ended worker expects a replacement. */
static void find_ended(struct watch *w)
{
        for (int i = 0; i < WATCH_MAX_PROCS; i++) {
                struct watch_proc *p = &w->procs[i];
                if (!p->used || p->alive)
                        continue;
                if (kill(p->pid, 0) == 0 || errno == EPERM) {
                        char path[64], buf[512];
                        struct procfs_stat st;
                        ssize_t n;
                        snprintf(path, sizeof(path), "/proc/%d/stat", p->pid);
                        n = kfile_read(path, buf, sizeof(buf));
                        if (n > 0 && procfs_parse_stat(buf, (size_t)n, &st) == 0 && st.starttime_ticks == p->starttime &&
                            st.state != 'Z' && st.state != 'X' && w->t - p->last_t < 60) {
                                p->alive = 1;
                                continue;
                        }
                }
                struct watch_proc *parent = alive_pid(w, p->ppid);
                if (parent && p->role == WATCH_ROLE_WORKER)
                        parent->ended_children++;
                event(w, WATCH_EV_ENDED, p, watch_proc_age(w, p, p->last_t));
                p->used = 0;
        }
}

/* --match and --cgroup look for new processes every --rescan (the first tick has just looked). */
static void rescan_when_due(struct watch *w, int first)
{
        uint64_t now = util_now_ns();

        if (!first && (w->have_re || w->opt.cgroup_dir) && now - w->last_rescan_ns >= w->opt.rescan_ns) {
                rescan(w);
                w->last_rescan_ns = now;
        }
}

/* Seconds since the start, and CLOCK_BOOTTIME's offset from them (for ages from starttime). */
static double note_clock(struct watch *w)
{
        double t = (double)(util_now_ns() - w->t0_ns) / 1e9;
        struct timespec boot;

        if (clock_gettime(CLOCK_BOOTTIME, &boot) == 0)
                w->boot_offset_s = (double)boot.tv_sec + (double)boot.tv_nsec / 1e9 - t;
        return t;
}

/* Processes that could not be read, among the sampler's from index `from` on: said once each. */
static void report_unreadable(struct watch *w, uint32_t from)
{
        for (uint32_t i = from; i < sampler_nprocs(w->sampler); i++) {
                const struct sampler_proc *sp = sampler_proc(w->sampler, i);
                if (sp && sp->unreadable) {
                        struct watch_proc tmp;
                        memset(&tmp, 0, sizeof(tmp));
                        tmp.pid = sp->pid;
                        tmp.ppid = sp->ppid;
                        w->unreadable++;
                        event(w, WATCH_EV_UNREADABLE, &tmp, 0);
                }
        }
}

/* A sample's start time as the sampler read it (0 when it has none): with the PID, the
 * identity of a process. */
static uint64_t sample_starttime(const struct watch *w, const struct sample *s)
{
        const struct sampler_proc *sp = sampler_proc(w->sampler, s->index);

        return sp ? sp->starttime_ticks : 0;
}

/* Known processes first, then the ended ones, then the new ones: a worker that ended and its
 * replacement seen in the same tick are a restart. */
static void match_samples(struct watch *w, const struct sample *samples, size_t n, int first)
{
        for (int i = 0; i < WATCH_MAX_PROCS; i++)
                if (w->procs[i].used)
                        w->procs[i].alive = 0;
        for (int pass = 0; pass < 2; pass++) {
                if (pass == 1)
                        find_ended(w);
                for (size_t k = 0; k < n; k++) {
                        const struct sample *s = &samples[k];
                        uint64_t st = sample_starttime(w, s);
                        int i = proc_slot(w, s->pid, st);
                        if ((pass == 0) != (i >= 0))
                                continue;
                        if (i < 0 && (i = new_proc(w, s, st, first)) < 0)
                                continue;
                        update_proc(w, &w->procs[i], s);
                }
        }
}

/* Roles: a worker's parent is watched; a master has workers. */
static void assign_roles(struct watch *w)
{
        for (int i = 0; i < WATCH_MAX_PROCS; i++)
                if (w->procs[i].used)
                        w->procs[i].role = WATCH_ROLE_PROCESS;
        for (int i = 0; i < WATCH_MAX_PROCS; i++) {
                struct watch_proc *p = &w->procs[i], *parent;
                if (!p->used || !p->alive || !(parent = alive_pid(w, p->ppid)))
                        continue;
                p->role = WATCH_ROLE_WORKER;
                if (parent->role == WATCH_ROLE_PROCESS)
                        parent->role = WATCH_ROLE_MASTER;
        }
}

/* The sums over the live processes, and the figure judged: the PSS sum once a process has a
 * PSS (RSS for those without), else the RSS sum. */
static void sum_totals(struct watch *w)
{
        memset(&w->tot, 0, sizeof(w->tot));
        for (int i = 0; i < WATCH_MAX_PROCS; i++) {
                const struct watch_proc *p = &w->procs[i];
                if (!p->used || !p->alive)
                        continue;
                w->tot.processes++;
                w->tot.rss += p->rss;
                w->tot.jit += p->jit;
                if (p->jit_debug_images >= 0) {
                        w->tot.have_debug = 1;
                        w->tot.jit_debug_images += (uint64_t)p->jit_debug_images;
                        w->tot.jit_debug_bytes += p->jit_debug_bytes;
                }
                w->tot.pss += p->have_pss ? p->pss : p->rss;
                w->tot.uss += p->have_pss ? p->uss : 0;
                w->tot.have_pss |= p->have_pss;
        }
        w->tot.judged = w->tot.have_pss ? (double)w->tot.pss : (double)w->tot.rss;
        w->tot.judged_name = w->tot.have_pss ? "PSS sum" : "RSS sum";
}

/* The cgroup read again (its limit taken unless --limit was given); watching by pattern, the
 * cgroup of the first process found. */
static void follow_cgroup(struct watch *w)
{
        if (w->have_cgroup) {
                struct cgroup_info c;
                if (cgroup_read_dir(w->cg.dir, &c) == 0) {
                        w->cg = c;
                        if (!w->opt.limit_bytes && (c.have & CGROUP_HAVE_LIMIT) && c.limit_bytes != CGROUP_NO_LIMIT) {
                                w->limit = c.limit_bytes;
                                w->limit_source = "cgroup";
                        }
                }
        } else if (!w->limit && w->tot.processes > 0) {
                for (int i = 0; i < WATCH_MAX_PROCS && !w->have_cgroup; i++)
                        if (w->procs[i].used && detect_cgroup(w->procs[i].pid, &w->cg) == 0)
                                w->have_cgroup = 1;
        }
}

/* The total's history and growth. Against the cgroup's own limit, its usage is what the OOM
 * killer judges; against a --limit for the watched processes, their PSS sum (a cgroup found
 * from a process may hold much else). */
static void judge_total(struct watch *w)
{
        double current = w->tot.judged;

        if (w->have_cgroup && (w->cg.have & CGROUP_HAVE_USAGE) && (w->opt.cgroup_dir || !w->opt.limit_bytes))
                current = (double)w->cg.usage_bytes;
        w->current = current;
        watch_ring_add(&w->ring, w->stride, w->t, w->tot.judged, w->tot.have_pss ? (double)w->tot.uss : -1, (double)w->tot.jit);
        if (w->ring.acc_ticks == 0 || !w->g_valid)
                classify(&w->ring, window_s(w), w->limit ? (double)w->limit : 0, current, &w->g, &w->g_valid);
}

/* jitmem's own CPU time and peak RSS. */
static void note_self(struct watch *w)
{
        struct rusage ru;

        if (getrusage(RUSAGE_SELF, &ru) == 0) {
                w->self_cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                                ru.ru_stime.tv_usec / 1e6;
                w->self_rss = (uint64_t)ru.ru_maxrss * 1024;
        }
}

void watch_apply(struct watch *w, double t, const struct sample *samples, size_t n, uint32_t untracked)
{
        int first = w->ticks == 0;

        w->t = t;
        w->ticks++;
        w->untracked = untracked;
        match_samples(w, samples, n, first);
        assign_roles(w);
        sum_totals(w);
        follow_cgroup(w);
        judge_total(w);
}

int watch_tick(struct watch *w)
{
        struct sampler_tick tk;
        int first = w->ticks == 0, r;
        uint32_t seen_before;

        w->nev = 0;
        w->have_last_tick = 0;
        rescan_when_due(w, first);
        if (sampler_nprocs(w->sampler) > sampler_nlive(w->sampler) + (w->opt.rebuild_slack ? w->opt.rebuild_slack : REBUILD_SLACK))
                (void)rebuild_sampler(w);
        seen_before = sampler_nprocs(w->sampler);
        r = sampler_tick(w->sampler, first, &tk);
        if (r < 0)
                return r;
        w->t = note_clock(w);
        report_unreadable(w, first ? 0 : seen_before);
        w->unreadable_now = tk.unreadable;
        w->last_tick = tk;
        w->have_last_tick = 1;
        watch_apply(w, w->t, tk.samples, tk.n, tk.untracked + tk.unreadable);
        note_self(w);
        return 0;
}

/* ---- output ---- */

static json_t *growth_json(const struct growth_result *g, int valid)
{
        if (!valid)
                return json_null();
        return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}",
                         "class", growth_class_name(g->cls),
                         "confidence", jsonout_real_or_null(g->confidence),
                         "slope_bytes_per_s", jsonout_real_or_null(g->slope),
                         "slope_ci95", json_pack("[o, o]", jsonout_real_or_null(g->slope_low), jsonout_real_or_null(g->slope_high)),
                         "p_value", jsonout_real_or_null(g->p_value),
                         "window_s", jsonout_real_or_null(g->window_s),
                         "jit_share", jsonout_real_or_null(g->jit_share),
                         "jit_growth_end_s", g->jit_growth_end_t >= 0 ? json_real(g->jit_growth_end_t) : json_null(),
                         "time_to_limit_s", isinf(g->time_to_limit_s) ? json_string("not growing") : jsonout_real_or_null(g->time_to_limit_s),
                         "time_to_limit_low_s", jsonout_real_or_null(g->ttl_low),
                         "time_to_limit_high_s", isinf(g->ttl_high) ? json_string("unbounded") : jsonout_real_or_null(g->ttl_high),
                         "explanation", g->explanation);
}

static const char *event_name(enum watch_event_kind k)
{
        switch (k) {
        case WATCH_EV_STARTED: return "started";
        case WATCH_EV_ENDED: return "ended";
        case WATCH_EV_RESTARTED: return "restarted";
        case WATCH_EV_UNREADABLE: return "unreadable";
        }
        return "?";
}

double watch_proc_age(const struct watch *w, const struct watch_proc *p, double t)
{
        long hz = sysconf(_SC_CLK_TCK);

        /* starttime counts clock ticks since boot, as CLOCK_BOOTTIME does seconds */
        if (hz <= 0 || w->boot_offset_s <= 0)
                return t - p->first_t;
        double age = t + w->boot_offset_s - (double)p->starttime / (double)hz;
        return age > 0 ? age : 0;
}

json_t *watch_json(const struct watch *w)
{
        json_t *procs = json_array(), *events = json_array(), *cg = json_null();

        for (int i = 0; i < WATCH_MAX_PROCS; i++) {
                const struct watch_proc *p = &w->procs[i];
                if (!p->used || !p->alive)
                        continue;
                json_array_append_new(procs, json_pack("{s:i, s:i, s:o, s:s, s:b, s:I, s:I, s:o, s:o, s:I, s:I, s:o, s:f, s:o}",
                        "pid", p->pid, "ppid", p->ppid, "comm", jsonout_text(p->comm), "role", watch_role_name(p->role),
                        "restarted", p->restarted,
                        "rss_bytes", (json_int_t)p->rss, "vsz_bytes", (json_int_t)p->vsz,
                        "pss_bytes", p->have_pss ? json_integer((json_int_t)p->pss) : json_null(),
                        "uss_bytes", p->have_pss ? json_integer((json_int_t)p->uss) : json_null(),
                        "jit_code_bytes", (json_int_t)p->jit, "jit_mappings", (json_int_t)p->jit_mappings,
                        "jit_growth_end_s", p->peaks.jit_growth_end_t >= 0 ? json_real(p->peaks.jit_growth_end_t) : json_null(),
                        "age_s", watch_proc_age(w, p, w->t),
                        "growth", growth_json(&p->g, p->g_valid)));
                json_t *o = json_array_get(procs, json_array_size(procs) - 1);
                json_object_set_new(o, "jit_debug_images", p->jit_debug_images >= 0 ? json_integer(p->jit_debug_images) : json_null());
                json_object_set_new(o, "jit_debug_bytes", p->jit_debug_images >= 0 ? json_integer((json_int_t)p->jit_debug_bytes) : json_null());
        }
        for (size_t i = 0; i < w->nev; i++) {
                const struct watch_event *e = &w->ev[i];
                json_array_append_new(events, json_pack("{s:s, s:i, s:i, s:o, s:o}", "event", event_name(e->kind), "pid", e->pid,
                                                        "ppid", e->ppid, "comm", jsonout_text(e->comm[0] ? e->comm : NULL),
                                                        "lived_s", e->kind == WATCH_EV_ENDED ? json_real(e->lived_s) : json_null()));
        }
        if (w->have_cgroup) {
                const struct cgroup_info *c = &w->cg;
                cg = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "version", cgroup_version_name(c->version), "dir", jsonout_text(c->dir),
                               "usage_bytes", c->have & CGROUP_HAVE_USAGE ? json_integer((json_int_t)c->usage_bytes) : json_null(),
                               "working_set_bytes", c->have & CGROUP_HAVE_WORKING_SET ? json_integer((json_int_t)c->working_set_bytes) : json_null(),
                               "limit_bytes", (c->have & CGROUP_HAVE_LIMIT) && c->limit_bytes != CGROUP_NO_LIMIT ? json_integer((json_int_t)c->limit_bytes) : json_null(),
                               "oom_kills", c->have & CGROUP_HAVE_OOM_KILLS ? json_integer((json_int_t)c->oom_kills) : json_null());
        }
        json_t *doc = json_pack("{s:s, s:f, s:I, s:{s:i, s:I, s:o, s:o, s:I, s:f, s:s}, s:o, s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:{s:f, s:I}}",
                         "schema", "jitmem.watch/1", "t_s", w->t, "tick", (json_int_t)w->ticks,
                         "totals", "processes", w->tot.processes, "rss_bytes", (json_int_t)w->tot.rss,
                         "pss_bytes", w->tot.have_pss ? json_integer((json_int_t)w->tot.pss) : json_null(),
                         "uss_bytes", w->tot.have_pss ? json_integer((json_int_t)w->tot.uss) : json_null(),
                         "jit_code_bytes", (json_int_t)w->tot.jit, "judged_bytes", w->tot.judged, "judged", w->tot.judged_name,
                         "growth", growth_json(&w->g, w->g_valid),
                         "limit_bytes", w->limit ? json_integer((json_int_t)w->limit) : json_null(),
                         "limit_source", jsonout_text(w->limit_source),
                         "worker_restarts", (json_int_t)w->restarts,
                         "untracked_processes", (json_int_t)w->untracked,
                         "cgroup", cg,
                         "processes", procs, "events", events,
                         "observer", "cpu_s", w->self_cpu_s, "max_rss_bytes", (json_int_t)w->self_rss);
        json_t *tot = json_object_get(doc, "totals");
        if (tot) {
                json_object_set_new(tot, "jit_debug_images", w->tot.have_debug ? json_integer((json_int_t)w->tot.jit_debug_images) : json_null());
                json_object_set_new(tot, "jit_debug_bytes", w->tot.have_debug ? json_integer((json_int_t)w->tot.jit_debug_bytes) : json_null());
        }
        return doc;
}

/* ---- Prometheus ---- */

struct labels {
        const char *kv[8];
        char pid[16];
};

static size_t proc_labels(const struct watch_proc *p, struct labels *l)
{
        snprintf(l->pid, sizeof(l->pid), "%d", p->pid);
        l->kv[0] = "pid";
        l->kv[1] = l->pid;
        l->kv[2] = "role";
        l->kv[3] = watch_role_name(p->role);
        l->kv[4] = "command";
        l->kv[5] = p->comm;
        return 3;
}

/* The processes exported one by one: the largest by RSS, at most max_series of them. */
static size_t top_procs(const struct watch *w, const struct watch_proc **out, size_t max)
{
        size_t n = 0;

        for (int i = 0; i < WATCH_MAX_PROCS; i++) {
                const struct watch_proc *p = &w->procs[i];
                if (!p->used || !p->alive)
                        continue;
                if (n < max) {
                        out[n++] = p;
                } else {
                        size_t m = 0;
                        for (size_t k = 1; k < n; k++)
                                if (out[k]->rss < out[m]->rss)
                                        m = k;
                        if (p->rss > out[m]->rss)
                                out[m] = p;
                }
        }
        return n;
}

typedef double (*proc_figure)(const struct watch_proc *p);
static double f_rss(const struct watch_proc *p) { return (double)p->rss; }
static double f_pss(const struct watch_proc *p) { return p->have_pss ? (double)p->pss : NAN; }
static double f_uss(const struct watch_proc *p) { return p->have_pss ? (double)p->uss : NAN; }
static double f_jit(const struct watch_proc *p) { return (double)p->jit; }
static double f_jitmap(const struct watch_proc *p) { return (double)p->jit_mappings; }
static double f_dbg(const struct watch_proc *p) { return p->jit_debug_images >= 0 ? (double)p->jit_debug_images : NAN; }
static double f_dbgb(const struct watch_proc *p) { return p->jit_debug_images >= 0 ? (double)p->jit_debug_bytes : NAN; }
static double f_slope(const struct watch_proc *p) { return p->g_valid ? p->g.slope : NAN; }

static void class_set(struct prom_text *t, const char *name, const char *const *base, size_t nbase,
                      const struct growth_result *g, int valid)
{
        for (int c = 0; c < GROWTH_CLASS_MAX; c++) {
                const char *kv[10];
                size_t k = 0;
                for (; k < nbase * 2; k++)
                        kv[k] = base[k];
                kv[k++] = "class";
                kv[k++] = growth_class_name((enum growth_class)c);
                prom_sample(t, name, kv, nbase + 1,
                            valid ? (g->cls == (enum growth_class)c) : (c == GROWTH_NOT_ENOUGH_DATA));
        }
}

/* The per-process families, over the processes exported one by one. */
static void prom_processes(struct prom_text *t, const struct watch_proc *const *top, size_t ntop)
{
        static const struct {
                const char *name, *help;
                proc_figure f;
        } pf[] = {
                { "jitmem_process_resident_memory_bytes", "Resident set size (VmRSS) of a watched process.", f_rss },
                { "jitmem_process_proportional_memory_bytes", "Proportional set size (PSS) of a watched process, from its last page-table walk.", f_pss },
                { "jitmem_process_private_memory_bytes", "Unique set size (USS: private clean + dirty) of a watched process, from its last page-table walk.", f_uss },
                { "jitmem_process_jit_code_bytes", "JIT machine code of a watched process: anonymous read+execute mappings.", f_jit },
                { "jitmem_process_jit_mappings", "Number of JIT code mappings of a watched process.", f_jitmap },
                { "jitmem_process_jit_debug_images", "Images registered with GDB's JIT interface by a watched process (CPython 3.15+: one per live executor).", f_dbg },
                { "jitmem_process_jit_debug_image_bytes", "Bytes of the images registered with GDB's JIT interface by a watched process (on its heap).", f_dbgb },
                { "jitmem_process_growth_slope_bytes_per_second", "Theil-Sen slope of the process's RSS over the analysis window.", f_slope },
        };
        struct labels l;

        for (size_t m = 0; m < sizeof(pf) / sizeof(pf[0]); m++) {
                prom_family(t, pf[m].name, "gauge", pf[m].help);
                for (size_t k = 0; k < ntop; k++) {
                        double v = pf[m].f(top[k]);
                        if (isnan(v))
                                continue; /* not measured (yet): no sample rather than a made-up one */
                        size_t n = proc_labels(top[k], &l);
                        prom_sample(t, pf[m].name, l.kv, n, v);
                }
        }
        prom_family(t, "jitmem_process_growth_class", "gauge", "Growth class of a watched process (1 for the current class).");
        for (size_t k = 0; k < ntop; k++) {
                size_t n = proc_labels(top[k], &l);
                class_set(t, "jitmem_process_growth_class", l.kv, n, &top[k]->g, top[k]->g_valid);
        }
}

/* One family of one unlabelled sample. */
static void prom_one(struct prom_text *t, const char *name, const char *type, const char *help, double v)
{
        prom_family(t, name, type, help);
        prom_sample(t, name, NULL, 0, v);
}

/* The sums over every watched process, exported one by one or not. */
static void prom_totals(const struct watch *w, struct prom_text *t)
{
        prom_one(t, "jitmem_processes", "gauge", "Processes watched now.", w->tot.processes);
        prom_one(t, "jitmem_untracked_processes", "gauge", "Processes found but not watched (over jitmem's limits, or another user's that cannot be read).", w->untracked);
        prom_one(t, "jitmem_total_resident_memory_bytes", "gauge",
                 "Sum of RSS over the watched processes (counts shared pages once per process).", (double)w->tot.rss);
        if (w->tot.have_pss) {
                prom_one(t, "jitmem_total_proportional_memory_bytes", "gauge",
                         "Sum of PSS over the watched processes (RSS where not measured yet).", (double)w->tot.pss);
                prom_one(t, "jitmem_total_private_memory_bytes", "gauge", "Sum of USS over the watched processes.", (double)w->tot.uss);
        }
        prom_one(t, "jitmem_total_jit_code_bytes", "gauge", "Sum of JIT machine code over the watched processes.", (double)w->tot.jit);
        if (w->tot.have_debug) {
                prom_one(t, "jitmem_total_jit_debug_images", "gauge",
                         "Sum of GDB JIT interface images over the watched processes whose list was read.",
                         (double)w->tot.jit_debug_images);
                prom_one(t, "jitmem_total_jit_debug_image_bytes", "gauge",
                         "Sum of GDB JIT interface image bytes over the watched processes whose list was read.",
                         (double)w->tot.jit_debug_bytes);
        }
        prom_one(t, "jitmem_worker_restarts_total", "counter", "Workers started in place of one that ended, since jitmem started.",
                 (double)w->restarts);
}

/* A family of an estimate and its 95% bounds (label bound), leaving out the values skip says. */
static void prom_bounds(struct prom_text *t, const char *name, const char *help, const double v[3], int (*skip)(double))
{
        static const char *const b[3][2] = { { "bound", "estimate" }, { "bound", "low" }, { "bound", "high" } };

        prom_family(t, name, "gauge", help);
        for (int k = 0; k < 3; k++)
                if (!skip(v[k]))
                        prom_sample(t, name, b[k], 1, v[k]);
}

static int not_finite(double v) { return !isfinite(v); }
static int is_nan(double v) { return isnan(v); }

/* The total's growth: its slope, its class, the limit and the time to it. */
static void prom_growth(const struct watch *w, struct prom_text *t)
{
        if (w->g_valid && isfinite(w->g.slope)) {
                double v[3] = { w->g.slope, w->g.slope_low, w->g.slope_high };
                prom_bounds(t, "jitmem_growth_slope_bytes_per_second",
                            "Theil-Sen slope of the total (PSS sum) over the analysis window, with its 95% interval.", v, not_finite);
        }
        prom_family(t, "jitmem_growth_class", "gauge", "Growth class of the total (1 for the current class).");
        class_set(t, "jitmem_growth_class", NULL, 0, &w->g, w->g_valid);
        if (!w->limit)
                return;
        prom_one(t, "jitmem_limit_bytes", "gauge", "The memory limit judged against (--limit, or the cgroup's).", (double)w->limit);
        if (w->g_valid && !isnan(w->g.time_to_limit_s)) {
                double v[3] = { w->g.time_to_limit_s, w->g.ttl_low, w->g.ttl_high };
                prom_bounds(t, "jitmem_time_to_limit_seconds",
                            "Time until the limit at the current growth, with its 95% interval; +Inf when not growing.", v, is_nan);
        }
}

/* The cgroup's own figures, those it has. */
static void prom_cgroup(const struct watch *w, struct prom_text *t)
{
        const struct cgroup_info *c = &w->cg;

        if (!w->have_cgroup)
                return;
        if (c->have & CGROUP_HAVE_USAGE)
                prom_one(t, "jitmem_cgroup_memory_usage_bytes", "gauge",
                         "The cgroup's memory usage (v2 memory.current, v1 memory.usage_in_bytes).", (double)c->usage_bytes);
        if (c->have & CGROUP_HAVE_WORKING_SET)
                prom_one(t, "jitmem_cgroup_memory_working_set_bytes", "gauge",
                         "The cgroup's usage less inactive file pages (what kubelet evicts on).", (double)c->working_set_bytes);
        if ((c->have & CGROUP_HAVE_LIMIT) && c->limit_bytes != CGROUP_NO_LIMIT)
                prom_one(t, "jitmem_cgroup_memory_limit_bytes", "gauge",
                         "The cgroup's effective memory limit (the smallest up the tree).", (double)c->limit_bytes);
        if (c->have & CGROUP_HAVE_OOM_KILLS)
                prom_one(t, "jitmem_cgroup_oom_kills_total", "counter", "Processes the OOM killer killed in the cgroup.",
                         (double)c->oom_kills);
}

int watch_prometheus(const struct watch *w, struct prom_text *t)
{
        const struct watch_proc *top[WATCH_MAX_PROCS];
        size_t ntop = top_procs(w, top, w->opt.max_series > 0 ? (size_t)w->opt.max_series : 64);
        char ver[32];
        const char *vkv[2] = { "version", ver };

        prom_text_reset(t);
        snprintf(ver, sizeof(ver), "%s", JITMEM_VERSION);
        prom_family(t, "jitmem_info", "gauge", "jitmem's version; always 1.");
        prom_sample(t, "jitmem_info", vkv, 1, 1);
        prom_processes(t, top, ntop);
        prom_totals(w, t);
        prom_growth(w, t);
        prom_cgroup(w, t);
        prom_one(t, "jitmem_self_cpu_seconds_total", "counter", "CPU time jitmem itself used.", w->self_cpu_s);
        prom_one(t, "jitmem_self_max_resident_memory_bytes", "gauge", "jitmem's own peak RSS.", (double)w->self_rss);
        prom_one(t, "jitmem_ticks_total", "counter", "Samples taken.", (double)w->ticks);
        return t->truncated ? -E2BIG : 0;
}
