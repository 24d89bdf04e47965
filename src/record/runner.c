/* One recorded run (see runner.h): the run loop of signalfd, timerfd and the progress pipe,
 * around the sampler and the recorder. */
#include "runner.h"
#include "cgroup.h"
#include "exitcode.h"
#include "jittrace.h"
#include "jsonout.h"
#include "kfile.h"
#include "machine.h"
#include "python_probe.h"
#include "record.h"
#include "sampler.h"
#include "spawn.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TERM_WAIT_NS 2000000000ULL /* after SIGTERM to leftovers, SIGKILL */
/* Exit statuses, as cli.h numbers them. */

static json_t *argv_json(char *const *argv)
{
        json_t *a = json_array();

        for (int i = 0; a && argv[i]; i++) {
                json_t *s = json_string(argv[i]); /* NULL when not UTF-8 */
                json_array_append_new(a, s ? s : json_string("(not UTF-8)"));
        }
        return a;
}

/* The state of one run. */
struct run {
        struct runner_options o;
        struct runner_result *res;
        char *const *argv;
        char path[KFILE_PATH_MAX];
        int dirfd;
        struct record *rec;
        struct sampler *sampler;
        struct spawn_child child;
        int sfd, tfd, cgfd;
        int tty; /* the controlling terminal handed to the command, or -1 */
        int root_done, root_status;
        uint64_t t_start_ns, wall_start_ns, t_root_end_ns;
        double cpu_at_start_s;      /* jitmem's own CPU when the command was started */
        int forwarded[4]; /* SIGINT, SIGTERM, SIGHUP, SIGQUIT */
        int nsignals;
        int record_error;
        char record_error_what[64];
        uint32_t leftovers_terminated;
        uint32_t unreadable;
        uint64_t ticks_missed;
        uint32_t untracked_max;
        int have_limit;
        uint64_t limit;
        struct cgroup_info cg;
        int have_cg;
        int progress_fd;            /* read end of the progress pipe, or -1 */
        uint64_t progress_units;
        int progress_seen;          /* at least one line arrived */
        uint64_t progress_bad;      /* lines that were not a count */
        char progress_buf[64];      /* a partial line */
        size_t progress_len;
        pthread_t driver;
        int driver_running;
        volatile int driver_done;
        volatile int command_ended;
        volatile uint64_t driver_progress;
        double cpu_user0, cpu_sys0;  /* jitmem's own CPU when the run began (a comparison runs many) */
        double driver_user_s, driver_sys_s; /* the driver thread's CPU (an HTTP load generator), apart */
};

static double tv_s(struct timeval tv)
{
        return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void *driver_main(void *arg)
{
        struct run *R = arg;

        struct rusage ru;

        R->o.driver(R->o.driver_ctx, &R->driver_progress, &R->command_ended);
        if (getrusage(RUSAGE_THREAD, &ru) == 0) {
                R->driver_user_s = tv_s(ru.ru_utime);
                R->driver_sys_s = tv_s(ru.ru_stime);
        }
        __atomic_store_n(&R->driver_done, 1, __ATOMIC_RELEASE);
        return NULL;
}

/* The command was stopped from the terminal (^Z): stop with it, so the shell sees the job
 * stopped, and when continued give the terminal back to the command and continue it. */
static void follow_stop(struct run *R)
{
        if (R->tty < 0)
                return;
        signal(SIGTTOU, SIG_IGN);
        tcsetpgrp(R->tty, getpgrp());
        kill(getpid(), SIGSTOP);
        /* continued (fg) */
        tcsetpgrp(R->tty, R->child.pid);
        signal(SIGTTOU, SIG_DFL);
        kill(-R->child.pid, SIGCONT);
}

/* The sampler's index of the process that is the zombie `pid`, told from an earlier process
 * with the same PID by its start time (read while it is still a zombie), and among the entries
 * of that process (a zombie found again by discovery gets a new one, never sampled) the one
 * that was sampled; or RECORD_UNSAMPLED. */
static uint32_t zombie_index(struct run *R, pid_t pid)
{
        char path[64], buf[1024];
        struct procfs_stat st;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        ssize_t n = kfile_read(path, buf, sizeof(buf));
        if (n <= 0 || procfs_parse_stat(buf, (size_t)n, &st) < 0)
                return RECORD_UNSAMPLED;
        for (uint32_t i = sampler_nprocs(R->sampler); i-- > 1;) { /* 0 is jitmem itself */
                const struct sampler_proc *sp = sampler_proc(R->sampler, i);
                if (sp && sp->pid == pid && sp->starttime_ticks == st.starttime_ticks && record_proc(R->rec, i))
                        return i;
        }
        return RECORD_UNSAMPLED;
}

static void reap(struct run *R)
{
        for (;;) {
                int st;
                siginfo_t si;
                struct rusage ru;
                uint32_t index = RECORD_UNSAMPLED;
                /* Which child has something to report, without reaping it yet: an ended one is
                 * still a zombie, whose start time tells which process the sampler knew it as. */
                memset(&si, 0, sizeof(si));
                if (waitid(P_ALL, 0, &si, WEXITED | WSTOPPED | WNOHANG | WNOWAIT) < 0 || si.si_pid == 0)
                        break;
                if (si.si_code == CLD_EXITED || si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED)
                        index = zombie_index(R, si.si_pid);
                pid_t p = wait4(si.si_pid, &st, WNOHANG | WUNTRACED, &ru);
                if (p <= 0)
                        break;
                if (WIFEXITED(st) || WIFSIGNALED(st)) {
                        /* ru_maxrss: the kernel's high-water mark, in KiB, over every program the
                         * process ran and the descendants it waited for itself */
                        if (R->rec)
                                record_note_reaped(R->rec, index, (uint64_t)ru.ru_maxrss * 1024);
                }
                if (p == R->child.pid && WIFSTOPPED(st)) {
                        follow_stop(R);
                        continue;
                }
                if (WIFSTOPPED(st))
                        continue;
                if (p == R->child.pid) {
                        R->root_done = 1;
                        R->root_status = st;
                        R->t_root_end_ns = util_now_ns();
                }
        }
}

static int exit_code_of(int st)
{
        if (WIFEXITED(st))
                return WEXITSTATUS(st);
        if (WIFSIGNALED(st))
                return 128 + WTERMSIG(st);
        return EXIT_CODE_RUN_FAILED;
}

/* Signals the command's process group, while the command is unreaped (its PID, and so its
 * group's ID, cannot be reused before that). */
static void signal_group(struct run *R, int sig)
{
        if (!R->root_done)
                kill(-R->child.pid, sig);
}

/* Whether jitmem has a child left, alive or not yet reaped: as a subreaper, every descendant
 * still running is one, or below one. */
static int has_children(void)
{
        siginfo_t si;

        memset(&si, 0, sizeof(si));
        return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0;
}

/* Signals every descendant still in the tree, each through a pidfd checked against the
 * process found at discovery (sampler_signal), then the group. Returns how many were signalled. */
static uint32_t signal_leftovers(struct run *R, int sig)
{
        uint32_t n = 0;

        for (uint32_t i = 1; i < sampler_nprocs(R->sampler); i++) /* 0 is jitmem itself */
                if (sampler_signal(R->sampler, i, sig) == 0)
                        n++;
        signal_group(R, sig);
        return n;
}

static int do_tick(struct run *R, int force_heavy)
{
        struct sampler_tick t;
        uint64_t cg_usage = 0;
        int have_cg = 0, r;

        r = sampler_tick(R->sampler, force_heavy, &t);
        if (r < 0)
                return r;
        if (t.untracked > R->untracked_max)
                R->untracked_max = t.untracked;
        if (R->cgfd >= 0 && cgroup_read_usage(R->cgfd, &cg_usage) == 0)
                have_cg = 1;
        if (R->record_error)
                return 0;
        uint64_t units = R->o.driver ? __atomic_load_n(&R->driver_progress, __ATOMIC_ACQUIRE) : R->progress_units;
        struct record_extra x = { have_cg, cg_usage, R->o.progress || R->o.driver != NULL, units };
        r = record_tick(R->rec, &t, R->child.pid, &x);
        if (r < 0) {
                R->record_error = r;
                snprintf(R->record_error_what, sizeof(R->record_error_what), "samples.csv");
        }
        return 0;
}

static json_t *meta_json(struct run *R, const struct python_info *pi, int have_pi, const char *probe_problem)
{
        struct machine_info m;
        char started[64], cwd[KFILE_PATH_MAX];
        json_t *env;

        machine_read(&m);
        jsonout_iso8601(R->wall_start_ns, started, sizeof(started));
        if (!getcwd(cwd, sizeof(cwd)))
                cwd[0] = '\0';
        if (R->o.jit == RUNNER_JIT_ON)
                env = json_pack("{s:s}", "PYTHON_JIT", "1");
        else if (R->o.jit == RUNNER_JIT_OFF)
                env = json_pack("{s:s}", "PYTHON_JIT", "0");
        else
                env = json_object();
        const char *inherited = getenv("PYTHON_JIT");
        return json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:f, s:o, s:f, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
                         "schema", RUNNER_META_SCHEMA,
                         "jitmem_version", JITMEM_VERSION,
                         "command", argv_json(R->argv),
                         "executable", R->path,
                         "cwd", cwd,
                         "started_at", started,
                         "jit_mode", json_string(R->o.jit == RUNNER_JIT_ON ? "on" : R->o.jit == RUNNER_JIT_OFF ? "off" : "inherit"),
                         "environment_changes", env,
                         "interval_s", (double)R->o.interval_ns / 1e9,
                         "pss_interval_s", R->o.heavy_ns ? json_real((double)R->o.heavy_ns / 1e9) : json_string("auto"),
                         "grace_s", (double)R->o.grace_ns / 1e9,
                         "inherited_PYTHON_JIT", inherited ? json_string(inherited) : json_null(),
                         "limit_bytes", jsonout_u64_or_null(R->have_limit, R->limit),
                         "python", have_pi ? jsonout_python(pi) : json_null(),
                         "python_problem", probe_problem ? json_string(probe_problem) : json_null(),
                         "machine", jsonout_machine(&m),
                         "cgroup", R->have_cg ? jsonout_cgroup(&R->cg) : json_null(),
                         "progress_offered", R->o.progress);
}

static json_t *ticks_json(struct run *R)
{
        json_t *t = record_ticks_json(R->rec);

        if (t)
                json_object_set_new(t, "missed", json_integer((json_int_t)R->ticks_missed));
        return t;
}

static uint32_t count_unreadable(const struct sampler *s)
{
        uint32_t n = 0;

        for (uint32_t i = 0; i < sampler_nprocs(s); i++)
                n += sampler_proc(s, i)->unreadable;
        return n;
}

/* How the tree's anonymous memory was counted, and why not from the page tables when not. */
static json_t *anon_count_json(struct run *R, const struct record_tree *t)
{
        int st = sampler_anon_pages_status(R->sampler);
        const char *why;

        if (st == 0)
                return json_pack("{s:s, s:n}", "method", "pagemap", "why_not_pagemap");
        if (st == -EPERM)
                why = "the kernel shows page frame numbers to CAP_SYS_ADMIN only (run jitmem as root for the exact count)";
        else if (st == -ENOTSUP)
                why = "--no-pagemap";
        else if (st == -ENOENT)
                why = "this kernel has no /proc/PID/pagemap (CONFIG_PROC_PAGE_MONITOR)";
        else
                why = util_strerror(st);
        return json_pack("{s:s?, s:s}", "method", t->have_pss_anon ? "pss_anon" : NULL, "why_not_pagemap", why);
}

static json_t *summary_json(struct run *R, double duration, double cpu_s, double cpu_user, double cpu_sys,
                            long maxrss_kb, int code)
{
        json_t *exit_obj, *stopped;
        const char *sig_names[4] = { "SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT" };

        if (!R->root_done)
                exit_obj = json_null();
        else if (WIFSIGNALED(R->root_status))
                exit_obj = json_pack("{s:n, s:i}", "code", "signal", WTERMSIG(R->root_status));
        else
                exit_obj = json_pack("{s:i, s:n}", "code", WEXITSTATUS(R->root_status), "signal");
        stopped = json_object();
        for (int i = 0; i < 4; i++)
                if (R->forwarded[i])
                        json_object_set_new(stopped, sig_names[i], json_integer(R->forwarded[i]));
        struct record_tree t;
        record_tree_figures(R->rec, &t);
        json_t *limit = json_null();
        if (R->have_limit && t.have_final)
                limit = json_pack("{s:I, s:f, s:o}", "bytes", (json_int_t)R->limit,
                                  "peak_rss_fraction", (double)t.peak_rss / (double)R->limit,
                                  "peak_pss_fraction",
                                  t.have_pss ? json_real((double)t.peak_pss / (double)R->limit) : json_null());
        json_t *progress = json_null();
        if (R->progress_seen)
                progress = json_pack("{s:I, s:f, s:I}", "units", (json_int_t)R->progress_units,
                                     "units_per_s", duration > 0 ? (double)R->progress_units / duration : 0.0,
                                     "bad_lines", (json_int_t)R->progress_bad);
        json_t *o = json_pack("{s:s, s:i, s:o, s:f, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:o, s:{s:f, s:f, s:f, s:f, s:I}}",
                         "schema", RUNNER_SUMMARY_SCHEMA,
                         "exit_status", code,
                         "exit", exit_obj,
                         "duration_s", duration,
                         "signals_forwarded", stopped,
                         "tree", record_tree_json(R->rec),
                         "processes", record_processes_json(R->rec, R->sampler),
                         "ticks", ticks_json(R),
                         "limit", limit,
                         "leftovers_terminated", (json_int_t)R->leftovers_terminated,
                         "untracked_processes_max", (json_int_t)R->untracked_max,
                         "unreadable_processes", (json_int_t)R->unreadable,
                         "recording_error", R->record_error ? json_string(util_strerror(R->record_error)) : json_null(),
                         "progress", progress,
                         "observer",
                         "cpu_s", cpu_s, "cpu_user_s", cpu_user, "cpu_sys_s", cpu_sys,
                         "cpu_during_run_s", cpu_s - R->cpu_at_start_s,
                         "max_rss_bytes", (json_int_t)maxrss_kb * 1024);
        if (o)
                json_object_set_new(json_object_get(o, "tree"), "anon_count", anon_count_json(R, &t));
        /* A share of one core only over a run long enough for it to mean something: over 10 ms a
         * few scheduler ticks of CPU are 100%. */
        if (o)
                json_object_set_new(json_object_get(o, "observer"), "cpu_fraction_of_one_core",
                                    duration >= RUNNER_CPU_SHARE_MIN_S ? json_real((cpu_s - R->cpu_at_start_s) / duration) : json_null());
        return o;
}

/* Reads what the command reported on the progress pipe: lines of "<units>\n". */
static void read_progress(struct run *R)
{
        char buf[4096];
        ssize_t n;

        while ((n = read(R->progress_fd, buf, sizeof(buf))) > 0) {
                for (ssize_t i = 0; i < n; i++) {
                        char c = buf[i];
                        if (c != '\n') {
                                if (R->progress_len < sizeof(R->progress_buf) - 1)
                                        R->progress_buf[R->progress_len++] = c;
                                else
                                        R->progress_len = sizeof(R->progress_buf); /* too long: bad */
                                continue;
                        }
                        uint64_t v;
                        size_t len = R->progress_len;
                        if (len < sizeof(R->progress_buf) &&
                            util_parse_u64(R->progress_buf, len, &v) == (int)len && len > 0) {
                                R->progress_units += v;
                                R->progress_seen = 1;
                        } else {
                                R->progress_bad++;
                        }
                        R->progress_len = 0;
                }
        }
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                close(R->progress_fd); /* every writer is gone */
                R->progress_fd = -1;
        }
}

static void warnf(struct run *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnf(struct run *R, const char *fmt, ...)
{
        char msg[1024];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (R->o.warn)
                R->o.warn(msg);
}

static void set_error(struct runner_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_error(struct runner_result *res, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(res->error, sizeof(res->error), fmt, ap);
        va_end(ap);
}

void runner_options_default(struct runner_options *o)
{
        memset(o, 0, sizeof(*o));
        o->interval_ns = 100000000ULL;
        o->grace_ns = 10000000000ULL;
        o->probe = 1;
}

void runner_result_free(struct runner_result *ret)
{
        if (!ret)
                return;
        json_decref(ret->summary);
        ret->summary = NULL;
}

int runner_run(const struct runner_options *o, char *const argv[], struct runner_result *ret)
{
        struct run *R;
        struct python_info *pi = NULL;
        char interp[KFILE_PATH_MAX], err[512] = "", probe_problem[768] = "";
        char **envp = NULL, **envp2 = NULL, **envp3 = NULL, **envp4 = NULL;
        char trace_dir[KFILE_PATH_MAX] = "";
        int r, code = EXIT_CODE_RUN_FAILED, have_pi = 0, rc = -EIO;
        int progress_pipe[2] = { -1, -1 };
        sigset_t mask, oldmask;
        json_t *meta = NULL;

        memset(ret, 0, sizeof(*ret));
        ret->exit_code = EXIT_CODE_RUN_FAILED;
        R = calloc(1, sizeof(*R));
        if (!R) {
                set_error(ret, "out of memory");
                return -ENOMEM;
        }
        R->o = *o;
        R->res = ret;
        R->argv = argv;
        R->dirfd = R->sfd = R->tfd = R->cgfd = R->tty = R->progress_fd = -1;
        R->child.pid = -1;
        R->child.pidfd = -1;

        /* The command must exist before anything is created. */
        r = spawn_resolve(R->argv[0], R->path, sizeof(R->path));
        if (r < 0) {
                if (r == -ENOENT)
                        set_error(ret, "%s: command not found%s", R->argv[0],
                                  strchr(R->argv[0], '/') ? "" : " (searched PATH)");
                else if (r == -EACCES)
                        set_error(ret, "%s: found but not executable (check its permissions, or that it is not a directory)",
                                  R->argv[0]);
                else
                        set_error(ret, "%s: %s", R->argv[0], util_strerror(r));
                ret->exit_code = r == -ENOENT ? EXIT_CODE_NOT_FOUND : EXIT_CODE_NOT_EXEC;
                free(R);
                return r;
        }

        /* The run directory. */
        R->wall_start_ns = util_wall_ns();
        {
                struct rusage ru0;
                if (getrusage(RUSAGE_SELF, &ru0) == 0) {
                        R->cpu_user0 = tv_s(ru0.ru_utime);
                        R->cpu_sys0 = tv_s(ru0.ru_stime);
                }
        }
        char failed[KFILE_PATH_MAX] = "", why[2 * KFILE_PATH_MAX + 128];
        r = util_mkdir_p(R->o.out, failed, sizeof(failed));
        if (r == -ENOENT && util_mkdir_enoent_reason(failed, why, sizeof(why))) {
                set_error(ret, "cannot use %s as the run directory: %s", R->o.out, why);
                rc = r;
                goto out;
        }
        if (r == 0) {
                R->dirfd = open(R->o.out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (R->dirfd < 0)
                        r = -errno;
        }
        if (r == 0 && faccessat(R->dirfd, ".", W_OK, AT_EACCESS) != 0)
                r = -errno;
        if (r < 0) {
                set_error(ret, "cannot use %s as the run directory: %s", R->o.out, util_strerror(r));
                rc = r;
                goto out;
        }
        if (!R->o.force && (faccessat(R->dirfd, "samples.csv", F_OK, 0) == 0 ||
                            faccessat(R->dirfd, "summary.json", F_OK, 0) == 0)) {
                set_error(ret, "%s already holds a run: choose another --out, or add --force to replace it", R->o.out);
                rc = -EEXIST;
                goto out;
        }

        /* What is being run. */
        if (R->o.probe && python_find_interpreter(R->path, interp, sizeof(interp)) == 1) {
                pi = calloc(1, sizeof(*pi));
                if (pi && python_probe(interp, 10000000000ULL, 0, 0, pi, err, sizeof(err)) == 0)
                        have_pi = 1;
                else
                        snprintf(probe_problem, sizeof(probe_problem), "cannot probe %s: %s", interp,
                                 err[0] ? err : "out of memory");
        }
        if (cgroup_detect(0, &R->cg) == 0)
                R->have_cg = 1;
        if (R->o.have_limit) {
                R->have_limit = 1;
                R->limit = R->o.limit_bytes;
        } else if (R->have_cg && (R->cg.have & CGROUP_HAVE_LIMIT) && R->cg.limit_bytes != CGROUP_NO_LIMIT) {
                R->have_limit = 1;
                R->limit = R->cg.limit_bytes;
        }

        meta = meta_json(R, pi, have_pi, probe_problem[0] ? probe_problem : NULL);
        r = meta ? jsonout_write_atomic(R->dirfd, "meta.json", meta) : -ENOMEM;
        if (r < 0) {
                set_error(ret, "cannot write %s/meta.json: %s", R->o.out, util_strerror(r));
                rc = r;
                goto out;
        }
        r = record_open(R->dirfd, &R->rec);
        if (r < 0) {
                set_error(ret, "cannot write %s/samples.csv: %s", R->o.out, util_strerror(r));
                rc = r;
                goto out;
        }
        unlinkat(R->dirfd, "summary.json", 0); /* with --force: no stale summary beside new samples */

        /* Signals: a failed write must be an error, not a death; the rest come through a signalfd. */
        signal(SIGPIPE, SIG_IGN);
        signal(SIGXFSZ, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGQUIT);
        sigprocmask(SIG_BLOCK, &mask, &oldmask);
        R->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        R->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (R->sfd < 0 || R->tfd < 0) {
                rc = -errno;
                set_error(ret, "cannot set up signals and timers: %s", strerror(errno));
                goto out_restore;
        }
        /* Orphaned descendants are reparented to us, so the tree stays whole and is reaped here. */
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

        if (R->o.jit != RUNNER_JIT_INHERIT) {
                envp = spawn_env_with(environ, "PYTHON_JIT", R->o.jit == RUNNER_JIT_ON ? "1" : "0");
                if (!envp) {
                        rc = -ENOMEM;
                        set_error(ret, "out of memory");
                        goto out_restore;
                }
        }
        if (R->o.progress) {
                char num[16];
                if (pipe2(progress_pipe, O_CLOEXEC) < 0) {
                        rc = -errno;
                        set_error(ret, "cannot make the progress pipe: %s", strerror(errno));
                        goto out_restore;
                }
                fcntl(progress_pipe[0], F_SETFL, O_NONBLOCK);
                snprintf(num, sizeof(num), "%d", progress_pipe[1]);
                envp2 = spawn_env_with(envp ? envp : environ, RUNNER_PROGRESS_ENV, num);
                if (!envp2) {
                        rc = -ENOMEM;
                        set_error(ret, "out of memory");
                        goto out_restore;
                }
        }
        struct sampler_options so = { .root_pid = getpid(), .include_root = 0, .heavy_interval_ns = R->o.heavy_ns,
                                      .anon_pages = !R->o.no_pagemap };
        r = sampler_new(&so, &R->sampler);
        if (r < 0) {
                rc = r;
                set_error(ret, "cannot read /proc/%d: %s", (int)getpid(), util_strerror(r));
                goto out_restore;
        }
        if (R->have_cg) {
                R->cgfd = cgroup_open_usage(&R->cg);
                if (R->cgfd < 0)
                        R->cgfd = -1;
        }

        if (R->o.trace_shim) {
                char abs_out[KFILE_PATH_MAX], preload[2 * KFILE_PATH_MAX];
                const char *old = getenv("LD_PRELOAD");
                if (!realpath(R->o.out, abs_out)) {
                        rc = -errno;
                        set_error(ret, "cannot resolve %s: %s", R->o.out, strerror(errno));
                        goto out_restore;
                }
                snprintf(trace_dir, sizeof(trace_dir), "%s/trace", abs_out);
                if (mkdir(trace_dir, 0755) < 0 && errno != EEXIST) {
                        rc = -errno;
                        set_error(ret, "cannot create %s: %s", trace_dir, strerror(errno));
                        goto out_restore;
                }
                /* events of an earlier run in a reused directory must not mix in */
                int tfd = open(trace_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (tfd >= 0) {
                        DIR *d = fdopendir(tfd);
                        struct dirent *de;
                        while (d && (de = readdir(d)) != NULL)
                                if (strncmp(de->d_name, "events.", 7) == 0)
                                        unlinkat(tfd, de->d_name, 0);
                        if (d)
                                closedir(d);
                        else
                                close(tfd);
                }
                snprintf(preload, sizeof(preload), "%s%s%s", R->o.trace_shim, old && *old ? ":" : "", old ? old : "");
                char **base = envp2 ? envp2 : envp ? envp : environ;
                envp3 = spawn_env_with(base, "LD_PRELOAD", preload);
                envp4 = envp3 ? spawn_env_with(envp3, "JITMEM_TRACE_DIR", trace_dir) : NULL;
                if (!envp4) {
                        rc = -ENOMEM;
                        set_error(ret, "out of memory");
                        goto out_restore;
                }
        }
        int logfd = -1;
        if (R->o.capture_output) {
                logfd = openat(R->dirfd, "output.log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (logfd < 0) {
                        rc = -errno;
                        set_error(ret, "cannot write %s/output.log: %s", R->o.out, strerror(errno));
                        goto out_restore;
                }
        }
        struct spawn_options sp = {
                .path = R->path, .argv = R->argv, .envp = envp4 ? envp4 : envp2 ? envp2 : envp ? envp : environ,
                .new_pgrp = 1, .stdin_fd = -1, .stdout_fd = logfd, .stderr_fd = logfd,
                .keep_fd = progress_pipe[1] > 2 ? progress_pipe[1] : 0,
        };
        /* Run from an interactive shell, the command gets the terminal (it may read it, and ^C
         * and ^Z reach it directly), as a shell gives it to a job. */
        if (R->o.foreground && isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp()) {
                R->tty = STDIN_FILENO;
                sp.foreground = 1;
        }
        R->t_start_ns = util_now_ns();
        struct rusage ru0;
        if (getrusage(RUSAGE_SELF, &ru0) == 0) /* on the run's own count, as cpu_s is */
                R->cpu_at_start_s = tv_s(ru0.ru_utime) - R->cpu_user0 + tv_s(ru0.ru_stime) - R->cpu_sys0;
        r = spawn_start(&sp, &R->child);
        if (logfd >= 0)
                close(logfd);
        if (r < 0) {
                set_error(ret, "cannot execute %s: %s%s", R->path, util_strerror(r),
                          r == -ENOEXEC ? " (not a binary, and no #! line)" : "");
                code = r == -ENOENT ? EXIT_CODE_NOT_FOUND : EXIT_CODE_NOT_EXEC;
                rc = r;
                goto out_restore;
        }
        ret->started = 1;
        if (progress_pipe[1] >= 0) {
                close(progress_pipe[1]); /* the command's copies remain: EOF once they all end */
                progress_pipe[1] = -1;
                R->progress_fd = progress_pipe[0];
                progress_pipe[0] = -1;
        }

        struct itimerspec its = {
                .it_interval = { (time_t)(R->o.interval_ns / 1000000000ULL), (long)(R->o.interval_ns % 1000000000ULL) },
                .it_value = { (time_t)(R->o.interval_ns / 1000000000ULL), (long)(R->o.interval_ns % 1000000000ULL) },
        };
        timerfd_settime(R->tfd, 0, &its, NULL);
        do_tick(R, 1);
        if (R->o.driver) {
                /* the driver's thread must not take our signals: they are blocked here already */
                if (pthread_create(&R->driver, NULL, driver_main, R) == 0)
                        R->driver_running = 1;
                else
                        warnf(R, "cannot start the load driver: %s", strerror(errno));
        }
        int driver_stopped = 0;

        uint64_t grace_deadline = 0, kill_deadline = 0;
        int term_sent = 0, kill_sent = 0, root_seen_done = 0;
        for (;;) {
                struct pollfd p[3] = { { R->sfd, POLLIN, 0 }, { R->tfd, POLLIN, 0 }, { R->progress_fd, POLLIN, 0 } };
                if (poll(p, 3, 1000) < 0 && errno != EINTR) {
                        warnf(R, "poll: %s", strerror(errno));
                        break;
                }
                if (R->progress_fd >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)))
                        read_progress(R);
                if (p[0].revents & POLLIN) {
                        struct signalfd_siginfo si;
                        while (read(R->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                                int sig = (int)si.ssi_signo;
                                if (sig == SIGCHLD)
                                        continue;
                                R->nsignals++;
                                if (sig == SIGINT) R->forwarded[0]++;
                                if (sig == SIGTERM) R->forwarded[1]++;
                                if (sig == SIGHUP) R->forwarded[2]++;
                                if (sig == SIGQUIT) R->forwarded[3]++;
                                signal_group(R, R->nsignals >= 3 ? SIGKILL : sig);
                                if (R->root_done)
                                        signal_leftovers(R, R->nsignals >= 3 ? SIGKILL : sig);
                        }
                        reap(R);
                }
                if (p[1].revents & POLLIN) {
                        uint64_t expirations;
                        if (read(R->tfd, &expirations, sizeof(expirations)) > 0) {
                                if (expirations > 1)
                                        R->ticks_missed += expirations - 1; /* a tick outlasted the interval */
                                r = do_tick(R, 0);
                                if (r < 0) {
                                        warnf(R, "sampling failed: %s", util_strerror(r));
                                        R->record_error = r;
                                }
                        }
                }
                reap(R);
                if (R->record_error && !term_sent) {
                        warnf(R, "cannot write %s/%s: %s; stopping the command (every tick already written is kept)",
                                  R->o.out, R->record_error_what[0] ? R->record_error_what : "samples.csv",
                                  util_strerror(R->record_error));
                        signal_group(R, SIGTERM);
                        signal_leftovers(R, SIGTERM);
                        term_sent = 1;
                        kill_deadline = util_now_ns() + TERM_WAIT_NS;
                }
                if (R->root_done)
                        __atomic_store_n(&R->command_ended, 1, __ATOMIC_RELEASE);
                if (R->driver_running && !driver_stopped && __atomic_load_n(&R->driver_done, __ATOMIC_ACQUIRE)) {
                        driver_stopped = 1; /* the load is over: the server may go */
                        signal_group(R, SIGTERM);
                }
                if (R->root_done && !root_seen_done) {
                        /* A tick now, not at the next interval: what is left of the tree (if
                         * anything) is sampled, and a run that is over ends at once. */
                        root_seen_done = 1;
                        r = do_tick(R, 0);
                        if (r < 0) {
                                warnf(R, "sampling failed: %s", util_strerror(r));
                                R->record_error = r;
                        }
                }
                if (R->root_done) {
                        uint64_t now = util_now_ns();
                        if (sampler_nlive(R->sampler) == 0) {
                                /* One more look for late children before ending; and none may be
                                 * left: a child the sampler could not read whole at this tick
                                 * (one in the middle of an exec) is still a descendant. */
                                struct sampler_tick t;
                                if (sampler_tick(R->sampler, 0, &t) < 0 || t.n > 0)
                                        continue;
                                if (!has_children())
                                        break;
                                /* else: one not seen yet; the grace below applies to it too */
                        }
                        if (!grace_deadline)
                                grace_deadline = now + R->o.grace_ns;
                        if (now >= grace_deadline && !term_sent) {
                                R->leftovers_terminated = signal_leftovers(R, SIGTERM);
                                term_sent = 1;
                                kill_deadline = now + TERM_WAIT_NS;
                        }
                }
                if (term_sent && !kill_sent && kill_deadline && util_now_ns() >= kill_deadline) {
                        signal_group(R, SIGKILL);
                        signal_leftovers(R, SIGKILL);
                        kill_sent = 1;
                }
                /* A descendant that outlived SIGKILL by a further wait (one jitmem may not signal)
                 * does not hold the run open. */
                if (kill_sent && util_now_ns() >= kill_deadline + TERM_WAIT_NS)
                        break;
        }
        __atomic_store_n(&R->command_ended, 1, __ATOMIC_RELEASE);
        if (R->driver_running)
                pthread_join(R->driver, NULL);
        reap(R);
        if (R->tty >= 0) {
                signal(SIGTTOU, SIG_IGN);
                tcsetpgrp(R->tty, getpgrp());
                signal(SIGTTOU, SIG_DFL);
        }

        if (R->progress_fd >= 0)
                read_progress(R); /* what is left in the pipe */
        if (R->o.driver && R->driver_progress > 0) {
                R->progress_units = R->driver_progress;
                R->progress_seen = 1;
        }

        /* The summary. */
        {
                uint64_t end = R->root_done ? R->t_root_end_ns : util_now_ns();
                double duration = (double)(end - R->t_start_ns) / 1e9;
                struct rusage ru;
                double cu = 0, cs = 0;
                long maxrss = 0;
                if (getrusage(RUSAGE_SELF, &ru) == 0) {
                        /* this run's, not the process's since it began (compare runs many), and
                         * without the driver's thread (the load generator is not the observer) */
                        cu = tv_s(ru.ru_utime) - R->cpu_user0 - R->driver_user_s;
                        cs = tv_s(ru.ru_stime) - R->cpu_sys0 - R->driver_sys_s;
                        cu = cu > 0 ? cu : 0;
                        cs = cs > 0 ? cs : 0;
                        maxrss = ru.ru_maxrss;
                }
                code = R->root_done ? exit_code_of(R->root_status) : EXIT_CODE_RUN_FAILED;
                R->unreadable = count_unreadable(R->sampler);
                json_t *sum = summary_json(R, duration, cu + cs, cu, cs, maxrss, code);
                if (sum && R->o.trace_shim) {
                        json_t *jit = NULL;
                        char abs_out[KFILE_PATH_MAX];
                        int tr = realpath(R->o.out, abs_out) ? jittrace_process(trace_dir, abs_out, sampler_t0_ns(R->sampler), &jit)
                                                             : -errno;
                        if (tr < 0)
                                warnf(R, "cannot read the JIT trace in %s: %s", trace_dir, util_strerror(tr));
                        json_object_set_new(sum, "jit", jit ? jit : json_null());
                }
                if (sum && R->o.driver_summary)
                        json_object_set_new(sum, "driver", R->o.driver_summary(R->o.driver_ctx));
                if (sum && R->o.driver)
                        json_object_set_new(json_object_get(sum, "observer"), "driver_cpu_s",
                                            json_real(R->driver_user_s + R->driver_sys_s));
                if (sum)
                        json_object_set_new(sum, "t0_monotonic_ns", json_integer((json_int_t)sampler_t0_ns(R->sampler)));
                r = sum ? jsonout_write_atomic(R->dirfd, "summary.json", sum) : -ENOMEM;
                if (r < 0) {
                        set_error(ret, "cannot write %s/summary.json: %s (samples.csv holds every tick written)",
                                  R->o.out, util_strerror(r));
                        R->record_error = r;
                } else if (R->record_error) {
                        set_error(ret, "cannot write %s/%s: %s (every tick already written is kept)", R->o.out,
                                  R->record_error_what[0] ? R->record_error_what : "samples.csv",
                                  util_strerror(R->record_error));
                }
                ret->summary = sum;
                ret->interrupted = R->nsignals > 0;
                if (R->record_error)
                        code = EXIT_CODE_RUN_FAILED;
                rc = 0;
        }

out_restore:
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
out:
        json_decref(meta);
        spawn_env_free(envp);
        spawn_env_free(envp2);
        spawn_env_free(envp3);
        spawn_env_free(envp4);
        for (int i = 0; i < 2; i++)
                if (progress_pipe[i] >= 0)
                        close(progress_pipe[i]);
        if (R->progress_fd >= 0)
                close(R->progress_fd);
        free(pi);
        sampler_free(R->sampler);
        if (R->rec) {
                r = record_close(R->rec);
                if (r < 0 && code != EXIT_CODE_RUN_FAILED) {
                        set_error(ret, "cannot close %s/samples.csv: %s", R->o.out, util_strerror(r));
                        code = EXIT_CODE_RUN_FAILED;
                }
        }
        if (R->child.pidfd >= 0)
                close(R->child.pidfd);
        for (int *fd = &R->dirfd; fd; fd = NULL)
                if (*fd >= 0)
                        close(*fd);
        if (R->sfd >= 0)
                close(R->sfd);
        if (R->tfd >= 0)
                close(R->tfd);
        if (R->cgfd >= 0)
                close(R->cgfd);
        free(R);
        ret->exit_code = code;
        return rc;
}
