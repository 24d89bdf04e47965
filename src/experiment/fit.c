#include "fit.h"
#include "analysis.h"
#include "compare.h"
#include "exitcode.h"
#include "jsonout.h"
#include "kfile.h"
#include "machine.h"
#include "runfile.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The largest trial.json or fit.json read back. */
#define FIT_JSON_MAX (1 << 20)
/* How long the removal of a trial's cgroup may wait for its processes to go. */
#define FIT_DESTROY_MS 10000

/* ---- The search ---- */

void fit_params_default(struct fit_params *p)
{
        long page = sysconf(_SC_PAGESIZE);

        memset(p, 0, sizeof(*p));
        p->page = page > 0 ? (uint64_t)page : 4096;
        p->margin = FIT_MARGIN_DEFAULT;
        p->precision_share = FIT_PRECISION_DEFAULT;
        p->max_trials = FIT_MAX_TRIALS_DEFAULT;
}

static uint64_t align_up(double v, uint64_t page)
{
        if (!(v > 0))
                return page;
        if (v >= (double)FIT_LIMIT_MAX)
                return FIT_LIMIT_MAX;
        uint64_t u = (uint64_t)ceil(v);
        return (u + page - 1) / page * page;
}

static uint64_t align_down(uint64_t v, uint64_t page)
{
        return v / page * page;
}

/* The peak the search starts from: the unlimited trial's tree PSS or its cgroup's peak usage,
 * whichever is larger. The PSS is sampled and may miss a short peak (a command that lasts less
 * than the heavy cadence); the cgroup's is the kernel's own high-water mark, page cache
 * included. */
static double reference_peak(const struct fit_step *s, size_t n)
{
        double p;

        if (n == 0 || !s[0].unlimited || !s[0].passed)
                return -1;
        p = fmax(s[0].peak_pss, s[0].peak_cgroup);
        return p > 0 ? p : -1;
}

void fit_bracket_of(const struct fit_params *p, const struct fit_step *steps, size_t n, struct fit_bracket *ret)
{
        memset(ret, 0, sizeof(*ret));
        ret->reference_peak = reference_peak(steps, n);
        if (ret->reference_peak > 0) {
                double prec = p->precision_bytes ? (double)p->precision_bytes : p->precision_share * ret->reference_peak;
                ret->precision_bytes = prec < (double)p->page ? p->page : (uint64_t)prec;
        }
        for (size_t i = 0; i < n; i++)
                if (!steps[i].unlimited && steps[i].passed &&
                    (!ret->have_pass || steps[i].limit_bytes < ret->pass_bytes)) {
                        ret->have_pass = 1;
                        ret->pass_bytes = steps[i].limit_bytes;
                }
        for (size_t i = 0; i < n; i++) {
                if (steps[i].unlimited || steps[i].passed)
                        continue;
                if (ret->have_pass && steps[i].limit_bytes >= ret->pass_bytes) {
                        ret->inconsistent = 1;
                        continue;
                }
                if (!ret->have_fail || steps[i].limit_bytes > ret->fail_bytes) {
                        ret->have_fail = 1;
                        ret->fail_bytes = steps[i].limit_bytes;
                }
        }
}

/* step << k, saturated at FIT_LIMIT_MAX. */
static uint64_t widened(uint64_t step, int k)
{
        while (k-- > 0 && step < FIT_LIMIT_MAX)
                step *= 2;
        return step < FIT_LIMIT_MAX ? step : FIT_LIMIT_MAX;
}

enum fit_next_kind fit_next(const struct fit_params *p, const struct fit_step *steps, size_t n, uint64_t *ret_limit)
{
        struct fit_bracket b;
        uint64_t page = p->page, step, next;
        int passes = 0, fails = 0;

        if (n == 0)
                return FIT_TRY_UNLIMITED;
        if (!steps[0].unlimited || !steps[0].passed)
                return FIT_STOP_REFERENCE;
        fit_bracket_of(p, steps, n, &b);
        if (b.reference_peak <= 0)
                return FIT_STOP_NO_PEAK;
        if (b.have_pass && b.have_fail && b.pass_bytes - b.fail_bytes <= b.precision_bytes)
                return FIT_DONE;
        if (b.have_pass && !b.have_fail && b.pass_bytes <= page)
                return FIT_STOP_LOW;
        if (!b.have_pass && b.have_fail && b.fail_bytes >= FIT_LIMIT_MAX)
                return FIT_STOP_HIGH;
        if ((int)n >= p->max_trials)
                return FIT_STOP_TRIALS;
        if (n == 1) {
                *ret_limit = align_up(b.reference_peak * (1 + p->margin), page);
                return FIT_TRY;
        }
        for (size_t i = 1; i < n; i++) {
                passes += steps[i].passed;
                fails += !steps[i].passed;
        }
        /* Away from the first limit by the margin (at least the precision), twice as far at
         * each further step, until the other side is found. */
        step = align_up(fmax(p->margin * b.reference_peak, (double)b.precision_bytes), page);
        if (b.have_pass && !b.have_fail) {
                uint64_t d = widened(step, passes - 1);
                next = b.pass_bytes > d ? align_down(b.pass_bytes - d, page) : page;
                if (next >= b.pass_bytes)
                        next = b.pass_bytes - page;
                *ret_limit = next < page ? page : next;
                return FIT_TRY;
        }
        if (!b.have_pass) {
                uint64_t d = widened(step, fails - 1);
                next = b.fail_bytes + d;
                *ret_limit = next > FIT_LIMIT_MAX || next < b.fail_bytes ? FIT_LIMIT_MAX : align_up((double)next, page);
                return FIT_TRY;
        }
        next = align_down(b.fail_bytes + (b.pass_bytes - b.fail_bytes) / 2, page);
        if (next <= b.fail_bytes)
                next = b.fail_bytes + page;
        if (next >= b.pass_bytes)
                return FIT_DONE;
        *ret_limit = next;
        return FIT_TRY;
}

const char *fit_stop_text(enum fit_next_kind k)
{
        switch (k) {
        case FIT_DONE: return "found within the precision";
        case FIT_STOP_TRIALS: return "stopped by --max-trials before the precision was reached";
        case FIT_STOP_REFERENCE: return "the trial with no limit failed: there is no limit to find";
        case FIT_STOP_NO_PEAK: return "the trial with no limit measured no peak to start from";
        case FIT_STOP_HIGH: return "it failed at every limit tried";
        case FIT_STOP_LOW: return "it passed at a limit of one page";
        default: return "";
        }
}

char *fit_format_limit(uint64_t bytes, char *buf, size_t size)
{
        if (bytes >= (1ULL << 30) * 100)
                snprintf(buf, size, "%.2f GiB", (double)bytes / (double)(1ULL << 30));
        else if (bytes >= (1ULL << 20))
                snprintf(buf, size, "%.2f MiB", (double)bytes / (double)(1ULL << 20));
        else
                snprintf(buf, size, "%.0f KiB", (double)bytes / 1024.0);
        return buf;
}

void fit_trial_name(int index, int on, const struct fit_step *s, char *buf, size_t size)
{
        if (s->unlimited)
                snprintf(buf, size, "%02d-%s-unlimited", index, on ? "on" : "off");
        else
                snprintf(buf, size, "%02d-%s-%lluK", index, on ? "on" : "off",
                         (unsigned long long)(s->limit_bytes / 1024));
}

/* ---- trial.json ---- */

static json_t *num_or_null(double v)
{
        return jsonout_real_or_null(v >= 0 && isfinite(v) ? v : NAN);
}

static json_t *trial_json(const struct fit_trial *t)
{
        json_t *j = json_object();
        const char *slash = strrchr(t->dir, '/');

        if (!j)
                return NULL;
        json_object_set_new(j, "schema", json_string(FIT_TRIAL_SCHEMA));
        json_object_set_new(j, "index", json_integer(t->index));
        json_object_set_new(j, "mode", json_string(t->on ? "on" : "off"));
        json_object_set_new(j, "limit_bytes", t->step.unlimited ? json_null() : json_integer((json_int_t)t->step.limit_bytes));
        json_object_set_new(j, "outcome", json_string(t->step.passed ? "pass" : "fail"));
        json_object_set_new(j, "reason", jsonout_text(t->reason));
        json_object_set_new(j, "oom_kills", num_or_null(t->oom_kills));
        json_object_set_new(j, "exit_code", json_integer(t->exit_code));
        json_object_set_new(j, "cgroup_peak_bytes", num_or_null(t->step.peak_cgroup));
        json_object_set_new(j, "peak_pss_bytes", num_or_null(t->step.peak_pss));
        json_object_set_new(j, "peak_rss_bytes", num_or_null(t->peak_rss));
        json_object_set_new(j, "workers", json_integer(t->workers));
        json_object_set_new(j, "worker_peak_pss_bytes", num_or_null(t->worker_peak_pss));
        json_object_set_new(j, "duration_s", num_or_null(t->duration_s));
        json_object_set_new(j, "throughput_per_s", num_or_null(t->throughput));
        json_object_set_new(j, "latency_p50_us", num_or_null(t->latency_p50_us));
        json_object_set_new(j, "latency_p99_us", num_or_null(t->latency_p99_us));
        json_object_set_new(j, "dir", jsonout_text(slash ? slash + 1 : t->dir));
        return j;
}

static double get_num(json_t *j, const char *key)
{
        json_t *v = json_object_get(j, key);
        double d = json_is_number(v) ? json_number_value(v) : -1;
        return isfinite(d) && d >= 0 && d <= 9007199254740992.0 ? d : -1;
}

/* A JSON file of at most FIT_JSON_MAX bytes. */
static json_t *load_json(const char *path)
{
        struct stat st;
        json_error_t e;

        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > FIT_JSON_MAX)
                return NULL;
        return json_load_file(path, 0, &e);
}

/* OUT/trials/NAME read back: 0 with *t when it holds a finished trial (trial.json and a
 * summary.json), else -ENOENT or -EINVAL. */
static int trial_read(const char *trials, const char *name, struct fit_trial *t)
{
        char path[4096 + 300];
        struct runfile_summary sum;
        json_t *j, *v;
        const char *mode, *outcome, *reason;
        double idx, lim;

        memset(t, 0, sizeof(*t));
        snprintf(t->dir, sizeof(t->dir), "%s/%s", trials, name);
        if (runfile_read_summary(t->dir, &sum) < 0)
                return -ENOENT;
        runfile_summary_free(&sum);
        snprintf(path, sizeof(path), "%s/trial.json", t->dir);
        j = load_json(path);
        if (!j)
                return -ENOENT;
        v = json_object_get(j, "schema");
        mode = json_string_value(json_object_get(j, "mode"));
        outcome = json_string_value(json_object_get(j, "outcome"));
        reason = json_string_value(json_object_get(j, "reason"));
        idx = get_num(j, "index");
        lim = get_num(j, "limit_bytes");
        if (!json_is_string(v) || strcmp(json_string_value(v), FIT_TRIAL_SCHEMA) != 0 || !mode || !outcome ||
            (strcmp(mode, "on") != 0 && strcmp(mode, "off") != 0) ||
            (strcmp(outcome, "pass") != 0 && strcmp(outcome, "fail") != 0) || idx < 1 || idx > 10000 ||
            (json_is_null(json_object_get(j, "limit_bytes")) ? 0 : lim < 1)) {
                json_decref(j);
                return -EINVAL;
        }
        t->index = (int)idx;
        t->on = strcmp(mode, "on") == 0;
        t->step.unlimited = json_is_null(json_object_get(j, "limit_bytes"));
        t->step.limit_bytes = t->step.unlimited ? 0 : (uint64_t)lim;
        t->step.passed = strcmp(outcome, "pass") == 0;
        t->step.peak_pss = get_num(j, "peak_pss_bytes");
        t->step.peak_cgroup = get_num(j, "cgroup_peak_bytes");
        snprintf(t->reason, sizeof(t->reason), "%s", reason ? reason : "");
        t->oom_kills = get_num(j, "oom_kills");
        t->peak_rss = get_num(j, "peak_rss_bytes");
        t->worker_peak_pss = get_num(j, "worker_peak_pss_bytes");
        t->workers = (int)fmax(0, fmin(get_num(j, "workers"), 1 << 20));
        t->duration_s = get_num(j, "duration_s");
        t->throughput = get_num(j, "throughput_per_s");
        t->latency_p50_us = get_num(j, "latency_p50_us");
        t->latency_p99_us = get_num(j, "latency_p99_us");
        v = json_object_get(j, "exit_code");
        t->exit_code = json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) < 256
                ? (int)json_integer_value(v) : -1;
        json_decref(j);
        return 0;
}

static int cmp_trial(const void *a, const void *b)
{
        const struct fit_trial *x = a, *y = b;
        return (x->index > y->index) - (x->index < y->index);
}

/* ---- The driver ---- */

struct fit_run {
        const struct fit_options *o;
        struct fit_result *res;
        char trials_dir[4096];
        int next_index;
        int name_seq;
        uint64_t t0_ns, longest_ns;
        char *err;
        size_t err_size;
};

static void status(const struct fit_run *F, const char *fmt, ...)
{
        char line[1024];
        va_list ap;

        if (!F->o->status)
                return;
        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        F->o->status(line);
}

static int add_trial(struct fit_mode_result *m, const struct fit_trial *t)
{
        struct fit_trial *nt = realloc(m->trials, (m->ntrials + 1) * sizeof(*nt));

        if (!nt)
                return -ENOMEM;
        m->trials = nt;
        m->trials[m->ntrials++] = *t;
        return 0;
}

/* The finished trials under OUT/trials (--resume), into their modes in index order; the next
 * index goes past every directory there, finished or not. */
static int read_trials(struct fit_run *F)
{
        DIR *d = opendir(F->trials_dir);
        struct dirent *de;
        struct fit_trial *all = NULL, t;
        size_t n = 0;
        int r = 0;

        if (!d)
                return errno == ENOENT ? 0 : -errno;
        while ((de = readdir(d))) {
                int idx = 0;
                if (de->d_name[0] < '0' || de->d_name[0] > '9')
                        continue;
                for (const char *c = de->d_name; *c >= '0' && *c <= '9' && idx < 100000; c++)
                        idx = idx * 10 + (*c - '0');
                if (idx >= F->next_index)
                        F->next_index = idx + 1;
                if (trial_read(F->trials_dir, de->d_name, &t) < 0)
                        continue;
                if (n >= 1000) {
                        r = -E2BIG;
                        break;
                }
                struct fit_trial *na = realloc(all, (n + 1) * sizeof(*na));
                if (!na) {
                        r = -ENOMEM;
                        break;
                }
                all = na;
                all[n++] = t;
        }
        closedir(d);
        if (r == 0) {
                qsort(all, n, sizeof(*all), cmp_trial);
                for (size_t i = 0; i < n && r == 0; i++)
                        r = add_trial(&F->res->mode[all[i].on], &all[i]);
        }
        free(all);
        return r;
}

/* Removes a trial directory left by an earlier fit (--force): its files and its files'
 * directories, two levels deep at most (a run directory and its trace/). */
static void remove_tree(int parent, const char *name, int depth)
{
        int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d;
        struct dirent *de;

        if (fd >= 0 && depth < 3 && (d = fdopendir(fd))) {
                while ((de = readdir(d)))
                        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
                            unlinkat(dirfd(d), de->d_name, 0) < 0 && (errno == EISDIR || errno == EPERM))
                                remove_tree(dirfd(d), de->d_name, depth + 1);
                closedir(d);
        } else if (fd >= 0) {
                close(fd);
        }
        unlinkat(parent, name, AT_REMOVEDIR);
}

static void remove_trial(int dfd, const char *name, void *ctx)
{
        (void)ctx;
        if (name[0] >= '0' && name[0] <= '9')
                remove_tree(dfd, name, 0);
}

static void remove_trials(struct fit_run *F)
{
        util_dir_each(F->trials_dir, remove_trial, NULL);
}

/* The figures of a finished run: its summary's, and the workers' from its samples. */
static void trial_figures(const char *dir, json_t *summary, struct fit_trial *t)
{
        struct runfile_summary sum;
        struct runfile_series ser;
        struct runfile_procs pr;
        struct analysis a;

        t->step.peak_pss = t->peak_rss = t->worker_peak_pss = t->duration_s = -1;
        t->throughput = t->latency_p50_us = t->latency_p99_us = -1;
        if (runfile_summary_of(summary, &sum) < 0)
                return;
        t->step.peak_pss = sum.tree.peak_pss;
        t->peak_rss = sum.tree.peak_rss;
        t->duration_s = sum.duration_s;
        if (sum.driven) {
                t->throughput = sum.requests_per_s;
                t->latency_p50_us = sum.latency_p50_us;
                t->latency_p99_us = sum.latency_p99_us;
        }
        if (runfile_read(dir, &ser, &pr) == 0) {
                if (analysis_of(&ser, &pr, &sum, &a) == 0 && a.workers_max > 0) {
                        t->workers = a.workers_max;
                        t->worker_peak_pss = a.worker_peak_pss;
                }
                runfile_series_free(&ser);
                runfile_procs_free(&pr);
        }
        runfile_summary_free(&sum);
}

/* Whether a server's exit status matches the reference's: stopped with SIGTERM by the load
 * driver, it may exit 0 or 128+15 either way. */
static int same_exit(const struct fit_run *F, int code, int ref)
{
        if (code == ref)
                return 1;
        return F->o->http && (code == 0 || code == 128 + 15) && (ref == 0 || ref == 128 + 15);
}

/* Whether this machine has swap (SwapTotal above 0; 0 when it cannot be read). */
static int machine_has_swap(void)
{
        struct machine_info m;

        return machine_read(&m) == 0 && m.have_meminfo && m.meminfo.swap_total > 0;
}

/* One trial: a cgroup made for it (limited unless unlimited), the command recorded in it, the
 * outcome judged, the cgroup removed, trial.json written. Returns 0, -EINTR (interrupted: the
 * trial is not kept) or -errno with F->err set. */
static int run_trial(struct fit_run *F, struct fit_mode_result *m, int on, const struct fit_step *want)
{
        const struct fit_options *o = F->o;
        struct fit_trial t;
        struct cglimit cg;
        struct cglimit_events e0, e1;
        struct runner_options ro = o->run;
        struct runner_result res;
        struct httpdrive drive;
        char name[64], cgname[64], why[512], cgfull[KFILE_PATH_MAX];
        uint64_t start = util_now_ns();
        int r, fd, dirfd;

        memset(&t, 0, sizeof(t));
        t.index = F->next_index;
        t.on = on;
        t.step = *want;
        fit_trial_name(t.index, on, want, name, sizeof(name));
        snprintf(t.dir, sizeof(t.dir), "%s/%s", F->trials_dir, name);
        snprintf(cgname, sizeof(cgname), "jitmem-fit-%d-%d", (int)getpid(), ++F->name_seq);
        r = cglimit_create(o->parent, cgname, &cg, why, sizeof(why));
        if (r < 0) {
                snprintf(F->err, F->err_size, "cannot create the cgroup %s/%s: %s", o->parent->dir, cgname,
                         why[0] ? why : util_strerror(r));
                return r;
        }
        r = cglimit_set_limit(&cg, want->unlimited ? CGROUP_NO_LIMIT : want->limit_bytes);
        if (r < 0) {
                snprintf(F->err, F->err_size, "cannot set the limit of the cgroup %s: %s", cg.dir, util_strerror(r));
                cglimit_destroy(&cg, FIT_DESTROY_MS);
                return r;
        }
        if (r == 1 && machine_has_swap()) {
                /* Its processes would be swapped out where the pod's are OOM-killed: the limit found
                 * would be too small. */
                snprintf(F->err, F->err_size, "the cgroup %s cannot limit swap (swap accounting is off: no "
                         "memory.swap.max or memory.memsw.limit_in_bytes) and this machine has swap; turn "
                         "swap off (swapoff -a) or boot with swap accounting (swapaccount=1 on v1)", cg.dir);
                cglimit_destroy(&cg, FIT_DESTROY_MS);
                return -ENOTSUP;
        }
        memset(&e0, 0, sizeof(e0));
        cglimit_read_events(&cg, &e0);
        fd = cglimit_open_procs(&cg);
        if (fd < 0 || kfile_path(cgfull, sizeof(cgfull), cg.dir) < 0) {
                r = fd < 0 ? fd : -ENAMETOOLONG;
                snprintf(F->err, F->err_size, "cannot open %s/cgroup.procs: %s", cg.dir, util_strerror(r));
                if (fd >= 0)
                        close(fd);
                cglimit_destroy(&cg, FIT_DESTROY_MS);
                return r;
        }
        ro.out = t.dir;
        ro.force = 1;
        ro.jit = on ? RUNNER_JIT_ON : RUNNER_JIT_OFF;
        ro.progress = 1;
        ro.foreground = 0;
        ro.capture_output = 1;
        ro.probe = 0;
        ro.cgroup_procs_fd = fd;
        ro.cgroup_dir = cgfull;
        if (!want->unlimited) {
                ro.have_limit = 1;
                ro.limit_bytes = want->limit_bytes;
        }
        if (o->http)
                compare_attach_http(&ro, &drive, o->http);
        r = runner_record(&ro, o->argv, &res);
        close(fd);
        memset(&e1, 0, sizeof(e1));
        int have_events = cglimit_read_events(&cg, &e1) == 0;
        int d = cglimit_destroy(&cg, FIT_DESTROY_MS);
        if (d < 0) {
                /* Said first, whatever else happened: a cgroup left behind is never silent. */
                snprintf(F->err, F->err_size, "cannot remove the cgroup %s: %s", cg.dir, util_strerror(d));
                runner_result_free(&res);
                return d;
        }
        if (res.interrupted) {
                runner_result_free(&res);
                return -EINTR;
        }
        if (r < 0 || !res.summary || (res.exit_code == EXIT_CODE_RUN_FAILED && res.error[0])) {
                /* jitmem's own failure (a full disk, say) is no outcome of the limit: the search stops. */
                snprintf(F->err, F->err_size, "%s", res.error[0] ? res.error : "the trial was not recorded");
                runner_result_free(&res);
                return r < 0 ? r : -EIO;
        }
        if (!have_events || !(e1.have & CGLIMIT_HAVE_OOM_KILLS) || !(e0.have & CGLIMIT_HAVE_OOM_KILLS)) {
                /* Without the count an OOM kill that the command survives (a worker replaced, a pool's
                 * child) would pass: no outcome is judged. */
                snprintf(F->err, F->err_size, "cannot read the OOM kills of the cgroup %s (memory.events oom_kill, "
                         "or memory.oom_control's oom_kill, Linux 4.13+)", cg.dir);
                runner_result_free(&res);
                return -ENOTSUP;
        }
        t.exit_code = res.exit_code;
        t.oom_kills = (double)(e1.oom_kills - e0.oom_kills);
        t.step.peak_cgroup = have_events && (e1.have & CGLIMIT_HAVE_PEAK) ? (double)e1.peak_bytes : -1;
        trial_figures(t.dir, res.summary, &t);
        runner_result_free(&res);
        t.step.passed = 1;
        if (t.oom_kills > 0) {
                t.step.passed = 0;
                snprintf(t.reason, sizeof(t.reason), "oom_kill %.0f", t.oom_kills);
        } else if (o->http && (!drive.ready || !drive.have_result)) {
                t.step.passed = 0;
                snprintf(t.reason, sizeof(t.reason), "load failed: %s", drive.error[0] ? drive.error : "the load did not run");
        } else if (o->http) {
                uint64_t errs = 0;
                for (int i = 0; i < LOAD_ERR_MAX; i++)
                        errs += drive.result.errors[i];
                if (errs) {
                        t.step.passed = 0;
                        snprintf(t.reason, sizeof(t.reason), "load failed: %llu of %llu requests not answered "
                                 "(connection errors or timeouts)", (unsigned long long)errs,
                                 (unsigned long long)drive.result.sent);
                } else if (drive.result.status[5]) {
                        t.step.passed = 0;
                        snprintf(t.reason, sizeof(t.reason), "load failed: %llu of %llu requests answered 5xx",
                                 (unsigned long long)drive.result.status[5], (unsigned long long)drive.result.sent);
                }
        }
        if (t.step.passed) {
                int ref = want->unlimited ? 0 : m->trials[0].exit_code;
                int ok = want->unlimited ? (t.exit_code == 0 || (o->http && same_exit(F, t.exit_code, 0)))
                                         : same_exit(F, t.exit_code, ref);
                if (!ok) {
                        t.step.passed = 0;
                        if (t.exit_code > 128 && t.exit_code < 128 + 65)
                                snprintf(t.reason, sizeof(t.reason), "killed by signal %d", t.exit_code - 128);
                        else
                                snprintf(t.reason, sizeof(t.reason), "exit status %d", t.exit_code);
                }
        }
        uint64_t took = util_now_ns() - start;
        if (took > F->longest_ns)
                F->longest_ns = took;
        json_t *j = trial_json(&t);
        dirfd = open(t.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        r = !j ? -ENOMEM : dirfd < 0 ? -errno : jsonout_write_atomic(dirfd, "trial.json", j);
        if (dirfd >= 0)
                close(dirfd);
        json_decref(j);
        if (r < 0) {
                snprintf(F->err, F->err_size, "cannot write %s/trial.json: %s", t.dir, util_strerror(r));
                return r;
        }
        F->next_index++;
        r = add_trial(m, &t);
        if (r < 0) {
                snprintf(F->err, F->err_size, "out of memory");
                return r;
        }
        char lim[32], pk[32];
        if (want->unlimited)
                snprintf(lim, sizeof(lim), "no limit");
        else
                fit_format_limit(want->limit_bytes, lim, sizeof(lim));
        if (t.step.peak_cgroup >= 0)
                fit_format_limit((uint64_t)t.step.peak_cgroup, pk, sizeof(pk));
        else
                snprintf(pk, sizeof(pk), "not read");
        status(F, "trial %d (JIT %s) at %s: %s%s%s (cgroup peak %s, %.1f s)", t.index, on ? "on" : "off", lim,
               t.step.passed ? "pass" : "fail", t.reason[0] ? ", " : "", t.reason, pk, (double)took / 1e9);
        return 0;
}

static void steps_of(const struct fit_mode_result *m, struct fit_step *steps)
{
        for (size_t i = 0; i < m->ntrials; i++)
                steps[i] = m->trials[i].step;
}

/* One mode's search, from the trials it has. Returns 0 when it ended, -EINTR, or -errno. */
static int run_mode(struct fit_run *F, int on)
{
        struct fit_mode_result *m = &F->res->mode[on];
        struct fit_step *steps = NULL;
        int r = 0;

        m->ran = 1;
        for (;;) {
                struct fit_step want = { 0 };
                uint64_t limit = 0;
                struct fit_step *ns = realloc(steps, (m->ntrials + 1) * sizeof(*ns));
                if (!ns) {
                        r = -ENOMEM;
                        break;
                }
                steps = ns;
                steps_of(m, steps);
                enum fit_next_kind k = fit_next(&F->o->params, steps, m->ntrials, &limit);
                fit_bracket_of(&F->o->params, steps, m->ntrials, &m->bracket);
                m->end = k;
                if (k != FIT_TRY && k != FIT_TRY_UNLIMITED) {
                        if (k == FIT_STOP_REFERENCE && m->ntrials && m->trials[0].reason[0])
                                snprintf(m->why, sizeof(m->why), "%s (%s; see %s/output.log)", fit_stop_text(k),
                                         m->trials[0].reason, m->trials[0].dir);
                        else
                                snprintf(m->why, sizeof(m->why), "%s", fit_stop_text(k));
                        break;
                }
                if (F->o->stop && *F->o->stop) {
                        r = -EINTR;
                        break;
                }
                uint64_t spent = util_now_ns() - F->t0_ns;
                if (F->o->budget_ns && spent + F->longest_ns > F->o->budget_ns) {
                        m->end = FIT_STOP_TRIALS;
                        snprintf(m->why, sizeof(m->why), "stopped by --budget before the precision was reached "
                                 "(%.0f s spent, another trial would not fit)", (double)spent / 1e9);
                        break;
                }
                want.unlimited = k == FIT_TRY_UNLIMITED;
                want.limit_bytes = limit;
                r = run_trial(F, m, on, &want);
                if (r < 0)
                        break;
        }
        free(steps);
        return r;
}

static json_t *mode_json(const struct fit_options *o, const struct fit_mode_result *m)
{
        json_t *j = json_object(), *arr = json_array();
        const struct fit_bracket *b = &m->bracket;
        int found = m->end == FIT_DONE;

        if (!j || !arr) {
                json_decref(j);
                json_decref(arr);
                return NULL;
        }
        json_object_set_new(j, "found", json_boolean(found));
        json_object_set_new(j, "end", json_string(m->end == FIT_DONE ? "found" : m->end == FIT_STOP_TRIALS ? "bound"
                                                  : m->end == FIT_TRY || m->end == FIT_TRY_UNLIMITED ? "interrupted"
                                                  : "failed"));
        json_object_set_new(j, "why", json_string(m->why));
        json_object_set_new(j, "limit_bytes", b->have_pass ? json_integer((json_int_t)b->pass_bytes) : json_null());
        json_object_set_new(j, "highest_failed_bytes", b->have_fail ? json_integer((json_int_t)b->fail_bytes) : json_null());
        json_object_set_new(j, "precision_bytes", b->precision_bytes ? json_integer((json_int_t)b->precision_bytes) : json_null());
        json_object_set_new(j, "inconsistent", json_boolean(b->inconsistent));
        json_object_set_new(j, "trials", json_integer((json_int_t)m->ntrials));
        json_object_set_new(j, "reference_peak_bytes", num_or_null(b->reference_peak));
        json_object_set_new(j, "reference_peak_pss_bytes",
                            m->ntrials ? num_or_null(m->trials[0].step.peak_pss) : json_null());
        json_object_set_new(j, "reference_cgroup_peak_bytes",
                            m->ntrials ? num_or_null(m->trials[0].step.peak_cgroup) : json_null());
        json_object_set_new(j, "per_worker_limit_bytes",
                            b->have_pass && o->workers > 1 ? json_real((double)b->pass_bytes / o->workers) : json_null());
        for (size_t i = 0; i < m->ntrials; i++)
                json_array_append_new(arr, trial_json(&m->trials[i]));
        json_object_set_new(j, "trial_list", arr);
        return j;
}

static json_t *result_json(const struct fit_options *o, const struct fit_result *res)
{
        json_t *j = json_object(), *modes = json_object(), *argv = json_array(), *p = json_object();

        if (!j || !modes || !argv || !p) {
                json_decref(j);
                json_decref(modes);
                json_decref(argv);
                json_decref(p);
                return NULL;
        }
        json_object_set_new(j, "schema", json_string(FIT_SCHEMA));
        json_object_set_new(j, "complete", json_boolean(res->complete));
        for (size_t i = 0; o->argv[i]; i++)
                json_array_append_new(argv, jsonout_text(o->argv[i]));
        json_object_set_new(j, "command", argv);
        json_object_set_new(j, "python", o->python ? jsonout_python(o->python) : json_null());
        json_object_set_new(j, "cgroup", json_pack("{s:s, s:o}", "version", o->parent->version == CGROUP_V2 ? "v2" : "v1",
                                                   "parent", jsonout_text(o->parent->dir)));
        json_object_set_new(p, "page_bytes", json_integer((json_int_t)o->params.page));
        json_object_set_new(p, "margin", json_real(o->params.margin));
        json_object_set_new(p, "precision", jsonout_text(o->precision_text ? o->precision_text : "1%"));
        json_object_set_new(p, "max_trials", json_integer(o->params.max_trials));
        json_object_set_new(p, "budget_s", o->budget_ns ? json_real((double)o->budget_ns / 1e9) : json_null());
        json_object_set_new(p, "http", json_boolean(o->http != NULL));
        json_object_set_new(p, "workers", json_integer(o->workers));
        json_object_set_new(j, "search", p);
        for (int on = 0; on < 2; on++)
                if (res->mode[on].ran || res->mode[on].ntrials)
                        json_object_set_new(modes, on ? "on" : "off", mode_json(o, &res->mode[on]));
        json_object_set_new(j, "modes", modes);
        json_object_set_new(j, "difference",
                            res->have_difference
                                    ? json_pack("{s:f, s:f, s:f, s:f, s:b}", "bytes", res->difference_bytes, "percent",
                                                res->difference_pct, "low_bytes", res->difference_low_bytes, "high_bytes",
                                                res->difference_high_bytes, "established",
                                                res->difference_low_bytes >= 0 || res->difference_high_bytes <= 0)
                                    : json_null());
        return j;
}

int fit_experiment(const struct fit_options *o, struct fit_result **ret, char *err, size_t err_size)
{
        struct fit_run F;
        char failed[4096], path[4096 + 16];
        int r = 0, dirfd;

        *ret = NULL;
        err[0] = '\0';
        memset(&F, 0, sizeof(F));
        F.o = o;
        F.err = err;
        F.err_size = err_size;
        F.next_index = 1;
        F.t0_ns = util_now_ns();
        F.res = calloc(1, sizeof(*F.res));
        if (!F.res) {
                snprintf(err, err_size, "out of memory");
                return -ENOMEM;
        }
        if (snprintf(F.trials_dir, sizeof(F.trials_dir), "%s/trials", o->out) >= (int)sizeof(F.trials_dir)) {
                snprintf(err, err_size, "%s: name too long", o->out);
                fit_result_free(F.res);
                return -ENAMETOOLONG;
        }
        snprintf(path, sizeof(path), "%s/fit.json", o->out);
        struct stat st;
        if (!o->resume && !o->force && (stat(path, &st) == 0 || stat(F.trials_dir, &st) == 0)) {
                snprintf(err, err_size, "%s holds a fit already: add --resume to go on with it, or --force to replace it",
                         o->out);
                fit_result_free(F.res);
                return -EEXIST;
        }
        if (o->force && !o->resume) {
                remove_trials(&F);
                unlink(path);
        }
        r = util_mkdir_p(F.trials_dir, failed, sizeof(failed));
        if (r < 0) {
                char why[512];
                snprintf(err, err_size, "cannot create %s: %s", failed,
                         r == -ENOENT && util_mkdir_enoent_reason(failed, why, sizeof(why)) ? why : util_strerror(r));
                fit_result_free(F.res);
                return r;
        }
        if (o->resume) {
                r = read_trials(&F);
                if (r < 0) {
                        snprintf(err, err_size, "cannot read %s: %s", F.trials_dir, util_strerror(r));
                        fit_result_free(F.res);
                        return r;
                }
                for (int on = 0; on < 2; on++)
                        if (F.res->mode[on].ntrials)
                                status(&F, "resuming: %zu finished trial%s with the JIT %s", F.res->mode[on].ntrials,
                                       F.res->mode[on].ntrials == 1 ? "" : "s", on ? "on" : "off");
        }
        cglimit_sweep_stale(o->parent);
        /* One mode after the other, JIT off first: each search goes on from its own trials
         * only, so interleaving them would change nothing but the order, and a budget that runs
         * out then leaves one mode's answer whole rather than two halves. */
        for (int on = 0; on < 2 && r == 0; on++)
                if (o->modes & (1 << on))
                        r = run_mode(&F, on);
        F.res->interrupted = r == -EINTR;
        F.res->complete = r == 0;
        struct fit_bracket *b0 = &F.res->mode[0].bracket, *b1 = &F.res->mode[1].bracket;
        if (F.res->complete && F.res->mode[0].end == FIT_DONE && F.res->mode[1].end == FIT_DONE && b0->have_pass &&
            b1->have_pass) {
                F.res->have_difference = 1;
                F.res->difference_bytes = (double)b1->pass_bytes - (double)b0->pass_bytes;
                F.res->difference_pct = 100.0 * F.res->difference_bytes / (double)b0->pass_bytes;
                F.res->difference_low_bytes = (double)b1->fail_bytes - (double)b0->pass_bytes;
                F.res->difference_high_bytes = (double)b1->pass_bytes - (double)b0->fail_bytes;
        }
        if (r == -EINTR)
                snprintf(err, err_size, "interrupted: the finished trials are kept in %s: add --resume to the same "
                         "command to go on", F.trials_dir);
        if (r == 0 || r == -EINTR) {
                F.res->json = result_json(o, F.res);
                dirfd = open(o->out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                int w = !F.res->json ? -ENOMEM : dirfd < 0 ? -errno : jsonout_write_atomic(dirfd, "fit.json", F.res->json);
                if (dirfd >= 0)
                        close(dirfd);
                if (w < 0 && r == 0) {
                        snprintf(err, err_size, "cannot write %s: %s", path, util_strerror(w));
                        r = w;
                }
        }
        *ret = F.res;
        return r;
}

void fit_result_free(struct fit_result *r)
{
        if (!r)
                return;
        for (int i = 0; i < 2; i++)
                free(r->mode[i].trials);
        json_decref(r->json);
        free(r);
}
