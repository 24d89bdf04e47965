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
#include "tree.h"
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

static json_t *argv_json(char *const *argv)
{
        json_t *a = json_array();

        for (int i = 0; a && argv[i]; i++) {
                if (json_array_append_new(a, jsonout_text(argv[i])) < 0) {
                        json_decref(a);
                        return NULL;
                }
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
        struct spawn_guard guard;       /* kills the command's group if jitmem dies (spawn.h) */
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
        int code;                   /* what the run exits with (runner_result's exit_code) */
        char **envp;                /* the command's environment; NULL: jitmem's own */
        int progress_pipe[2];       /* the progress pipe, until the command has started */
        char trace_dir[KFILE_PATH_MAX]; /* --trace-jit: OUT/trace, absolute ("" without) */
        size_t dir_created;             /* OUT's prefix that this run created (0: none), see util_mkdir_p_created() */
        sigset_t oldmask;           /* the signal mask to restore, once signals_blocked */
        int signals_blocked;
        /* The poll loop's ending: leftovers' grace, then SIGTERM, then SIGKILL. */
        uint64_t grace_deadline, kill_deadline;
        int term_sent, kill_sent, root_seen_done, driver_stopped;
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
                if (R->guard.pid > 0 && si.si_pid == R->guard.pid) {
                        /* the guard, killed with the group at the teardown: not the tree's */
                        if (wait4(si.si_pid, &st, WNOHANG | WUNTRACED, NULL) > 0 && (WIFEXITED(st) || WIFSIGNALED(st))) {
                                R->guard.pid = 0;
                                close(R->guard.fd);
                                R->guard.fd = -1;
                        }
                        continue;
                }
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

struct other_child {
        int except, found;
};

static int other_child_cb(int pid, void *userdata)
{
        struct other_child *c = userdata;

        if (pid == c->except)
                return 0;
        c->found = 1;
        return 1;
}

static int other_child_scan_cb(int pid, int ppid, void *userdata)
{
        return ppid == (int)getpid() ? other_child_cb(pid, userdata) : 0;
}

/* Whether jitmem has a child left, alive or not yet reaped, the guard aside: as a subreaper,
 * every descendant still running is one, or below one. */
static int has_children(const struct run *R)
{
        struct other_child c = { R->guard.pid, 0 };
        siginfo_t si;
        int dirfd, r;

        memset(&si, 0, sizeof(si));
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0)
                return 0;
        if (R->guard.pid <= 0 || (si.si_pid != 0 && si.si_pid != R->guard.pid))
                return 1;
        if (!tree_have_children_files())
                return tree_scan_all(other_child_scan_cb, &c) < 0 || c.found;
        dirfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return 1;
        r = tree_children(dirfd, (int)getpid(), 2, other_child_cb, &c); /* 2: every thread's children */
        close(dirfd);
        return r < 0 || c.found;
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

/* meta.json's content, or NULL with *err saying what could not be encoded. */
static json_t *meta_json(struct run *R, const struct python_info *pi, int have_pi, const char *probe_problem,
                         json_error_t *err)
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
        return json_pack_ex(err, 0, "{s:s, s:s, s:o, s:o, s:o, s:s, s:o, s:o, s:f, s:o, s:f, s:o, s:o, s:o, s:o, s:o, s:o, s:b}",
                         "schema", RUNNER_META_SCHEMA,
                         "jitmem_version", JITMEM_VERSION,
                         "command", argv_json(R->argv),
                         "executable", jsonout_text(R->path),
                         "cwd", jsonout_text(cwd),
                         "started_at", started,
                         "jit_mode", json_string(R->o.jit == RUNNER_JIT_ON ? "on" : R->o.jit == RUNNER_JIT_OFF ? "off" : "inherit"),
                         "environment_changes", env,
                         "interval_s", (double)R->o.interval_ns / 1e9,
                         "pss_interval_s", R->o.heavy_ns ? json_real((double)R->o.heavy_ns / 1e9) : json_string("auto"),
                         "grace_s", (double)R->o.grace_ns / 1e9,
                         "inherited_PYTHON_JIT", jsonout_text(inherited),
                         "limit_bytes", jsonout_u64_or_null(R->have_limit, R->limit),
                         "python", have_pi ? jsonout_python(pi) : json_null(),
                         "python_problem", jsonout_text(probe_problem),
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
                            long maxrss_kb, int code, json_error_t *err)
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
        json_t *o = json_pack_ex(err, 0, "{s:s, s:i, s:o, s:f, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:o, s:{s:f, s:f, s:f, s:f, s:I}}",
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
        o->cgroup_procs_fd = -1;
}

void runner_result_free(struct runner_result *ret)
{
        if (!ret)
                return;
        json_decref(ret->summary);
        ret->summary = NULL;
}

/* A run's state before anything is done: every fd closed, the exit code a failure's. Returns
 * NULL when out of memory; run_free() frees it. */
static struct run *run_new(const struct runner_options *o, char *const argv[], struct runner_result *ret)
{
        struct run *R = calloc(1, sizeof(*R));

        if (!R)
                return NULL;
        R->o = *o;
        R->res = ret;
        R->argv = argv;
        R->code = EXIT_CODE_RUN_FAILED;
        R->dirfd = R->sfd = R->tfd = R->cgfd = R->tty = R->progress_fd = -1;
        R->progress_pipe[0] = R->progress_pipe[1] = -1;
        R->child.pid = -1;
        R->child.pidfd = -1;
        R->guard.fd = -1;
        return R;
}

/* The command must exist before anything is created: a command not found is 127, one that
 * cannot be executed 126. Returns 0 with the path in R->path, or -errno. */
static int resolve_command(struct run *R)
{
        int r = spawn_resolve(R->argv[0], R->path, sizeof(R->path));
        char cmd[sizeof(R->res->error)];

        if (r >= 0)
                return 0;
        util_escape_text(R->argv[0], strlen(R->argv[0]), cmd, sizeof(cmd)); /* the message is printed */
        if (r == -ENOENT)
                set_error(R->res, "%s: command not found%s", cmd, strchr(R->argv[0], '/') ? "" : " (searched PATH)");
        else if (r == -EACCES)
                set_error(R->res, "%s: found but not executable (check its permissions, or that it is not a directory)",
                          cmd);
        else
                set_error(R->res, "%s: %s", cmd, util_strerror(r));
        R->code = r == -ENOENT ? EXIT_CODE_NOT_FOUND : EXIT_CODE_NOT_EXEC;
        return r;
}

/* The run directory, created if needed, writable, and holding no run unless --force. Also
 * notes when the run began (its wall clock, and jitmem's own CPU). Returns 0 or -errno. */
static int open_run_dir(struct run *R)
{
        char failed[KFILE_PATH_MAX] = "", why[2 * KFILE_PATH_MAX + 128];
        struct rusage ru0;
        int r;

        R->wall_start_ns = util_wall_ns();
        if (getrusage(RUSAGE_SELF, &ru0) == 0) {
                R->cpu_user0 = tv_s(ru0.ru_utime);
                R->cpu_sys0 = tv_s(ru0.ru_stime);
        }
        r = util_mkdir_p_created(R->o.out, failed, sizeof(failed), &R->dir_created);
        if (r == -ENOENT && util_mkdir_enoent_reason(failed, why, sizeof(why))) {
                set_error(R->res, "cannot use %s as the run directory: %s", R->o.out, why);
                return r;
        }
        if (r == 0) {
                R->dirfd = open(R->o.out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (R->dirfd < 0)
                        r = -errno;
        }
        if (r == 0 && faccessat(R->dirfd, ".", W_OK, AT_EACCESS) != 0)
                r = -errno;
        if (r < 0) {
                set_error(R->res, "cannot use %s as the run directory: %s", R->o.out, util_strerror(r));
                return r;
        }
        if (!R->o.force && (faccessat(R->dirfd, "samples.csv", F_OK, 0) == 0 ||
                            faccessat(R->dirfd, "summary.json", F_OK, 0) == 0)) {
                set_error(R->res, "%s already holds a run: choose another --out, or add --force to replace it", R->o.out);
                return -EEXIST;
        }
        return 0;
}

/* What is being run, when it is a Python program and o->probe is set: the interpreter's
 * answers in *ret_pi (the caller frees it), or NULL and why not in `problem` ("" when the
 * command is not a Python program). */
static void probe_command(struct run *R, struct python_info **ret_pi, char *problem, size_t size)
{
        char interp[KFILE_PATH_MAX], err[512] = "";
        struct python_info *pi;

        *ret_pi = NULL;
        if (!R->o.probe || python_find_interpreter(R->path, interp, sizeof(interp)) != 1)
                return;
        pi = calloc(1, sizeof(*pi));
        if (pi && python_probe(interp, PYTHON_PROBE_TIMEOUT_NS, 0, 0, pi, err, sizeof(err)) == 0) {
                *ret_pi = pi;
                return;
        }
        free(pi);
        snprintf(problem, size, "cannot probe %s: %s", interp, err[0] ? err : "out of memory");
}

/* The cgroup the run is in (the one the command is put in, else jitmem's own), and the limit to
 * judge against: --limit, else the cgroup's. */
static void find_limit(struct run *R)
{
        if (R->o.cgroup_dir ? cgroup_read_dir(R->o.cgroup_dir, &R->cg) == 0 : cgroup_detect(0, &R->cg) == 0)
                R->have_cg = 1;
        if (R->o.have_limit) {
                R->have_limit = 1;
                R->limit = R->o.limit_bytes;
        } else if (R->have_cg && (R->cg.have & CGROUP_HAVE_LIMIT) && R->cg.limit_bytes != CGROUP_NO_LIMIT) {
                R->have_limit = 1;
                R->limit = R->cg.limit_bytes;
        }
}

/* meta.json, written atomically. Returns 0 or -errno. */
static int write_meta(struct run *R)
{
        struct python_info *pi;
        char probe_problem[768] = "";
        json_error_t err;
        json_t *meta;
        int r;

        probe_command(R, &pi, probe_problem, sizeof(probe_problem));
        find_limit(R);
        meta = meta_json(R, pi, pi != NULL, probe_problem[0] ? probe_problem : NULL, &err);
        r = meta ? jsonout_write_atomic(R->dirfd, "meta.json", meta) : -EINVAL;
        json_decref(meta);
        free(pi);
        if (!meta)
                set_error(R->res, "cannot write %s/meta.json: it could not be encoded as JSON (%s)", R->o.out, err.text);
        else if (r < 0)
                set_error(R->res, "cannot write %s/meta.json: %s", R->o.out, util_strerror(r));
        return r;
}

/* samples.csv, its header written, and no stale summary.json beside it (with --force).
 * Returns 0 or -errno. */
static int open_samples(struct run *R)
{
        int r = record_open(R->dirfd, &R->rec);

        if (r < 0) {
                set_error(R->res, "cannot write %s/samples.csv: %s", R->o.out, util_strerror(r));
                return r;
        }
        unlinkat(R->dirfd, "summary.json", 0);
        return 0;
}

/* Signals: a failed write must be an error, not a death; the rest come through a signalfd, and
 * the ticks through a timerfd. jitmem becomes a child subreaper: orphaned descendants are
 * reparented to it, so the tree stays whole and is reaped here. Returns 0 or -errno. */
static int take_signals(struct run *R)
{
        sigset_t mask;

        signal(SIGPIPE, SIG_IGN);
        signal(SIGXFSZ, SIG_IGN);
        sigemptyset(&mask);
        sigaddset(&mask, SIGCHLD);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigaddset(&mask, SIGQUIT);
        sigprocmask(SIG_BLOCK, &mask, &R->oldmask);
        R->signals_blocked = 1;
        R->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        R->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (R->sfd < 0 || R->tfd < 0) {
                int r = -errno;
                set_error(R->res, "cannot set up signals and timers: %s", strerror(-r));
                return r;
        }
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        return 0;
}

/* Sets NAME=value (NULL: unsets NAME) in the command's environment, a copy of jitmem's made at
 * the first change. Returns 0 or -ENOMEM. */
static int env_set(struct run *R, const char *name, const char *value)
{
        char **envp = spawn_env_with(R->envp ? R->envp : environ, name, value);

        if (!envp) {
                set_error(R->res, "out of memory");
                return -ENOMEM;
        }
        spawn_env_free(R->envp);
        R->envp = envp;
        return 0;
}

/* The command's environment: PYTHON_JIT as --jit asks, and the progress pipe's write end named
 * in RUNNER_PROGRESS_ENV when it is offered. Returns 0 or -errno. */
static int prepare_environment(struct run *R)
{
        char num[16];
        int r;

        if (R->o.jit != RUNNER_JIT_INHERIT) {
                r = env_set(R, "PYTHON_JIT", R->o.jit == RUNNER_JIT_ON ? "1" : "0");
                if (r < 0)
                        return r;
        }
        if (!R->o.progress)
                return 0;
        if (pipe2(R->progress_pipe, O_CLOEXEC) < 0) {
                r = -errno;
                set_error(R->res, "cannot make the progress pipe: %s", strerror(-r));
                return r;
        }
        fcntl(R->progress_pipe[0], F_SETFL, O_NONBLOCK);
        snprintf(num, sizeof(num), "%d", R->progress_pipe[1]);
        return env_set(R, RUNNER_PROGRESS_ENV, num);
}

/* The sampler of jitmem's descendants, and the cgroup's usage file. Returns 0 or -errno. */
static int open_sampler(struct run *R)
{
        struct sampler_options so = { .root_pid = getpid(), .include_root = 0, .heavy_interval_ns = R->o.heavy_ns,
                                      .anon_pages = !R->o.no_pagemap };
        int r = sampler_new(&so, &R->sampler);

        if (r < 0) {
                set_error(R->res, "cannot read /proc/%d: %s", (int)getpid(), util_strerror(r));
                return r;
        }
        if (R->have_cg) {
                R->cgfd = cgroup_open_usage(&R->cg);
                if (R->cgfd < 0)
                        R->cgfd = -1;
        }
        return 0;
}

static void unlink_events(int dfd, const char *name, void *ctx)
{
        (void)ctx;
        if (strncmp(name, "events.", 7) == 0)
                unlinkat(dfd, name, 0);
}

/* Removes the events of an earlier run from the trace directory, so that none mix in. */
static void clear_trace_events(const char *dir)
{
        util_dir_each(dir, unlink_events, NULL);
}

/* --trace-jit: OUT/trace made and emptied of old events, the shim preloaded ahead of any
 * LD_PRELOAD, and JITMEM_TRACE_DIR naming the directory. Returns 0 or -errno. */
static int prepare_trace(struct run *R)
{
        char abs_out[KFILE_PATH_MAX], preload[2 * KFILE_PATH_MAX];
        const char *old = getenv("LD_PRELOAD");
        int r;

        if (!R->o.trace_shim)
                return 0;
        if (!realpath(R->o.out, abs_out)) {
                r = -errno;
                set_error(R->res, "cannot resolve %s: %s", R->o.out, strerror(-r));
                return r;
        }
        snprintf(R->trace_dir, sizeof(R->trace_dir), "%s/trace", abs_out);
        if (mkdir(R->trace_dir, 0755) < 0 && errno != EEXIST) {
                r = -errno;
                set_error(R->res, "cannot create %s: %s", R->trace_dir, strerror(-r));
                return r;
        }
        clear_trace_events(R->trace_dir);
        snprintf(preload, sizeof(preload), "%s%s%s", R->o.trace_shim, old && *old ? ":" : "", old ? old : "");
        r = env_set(R, "LD_PRELOAD", preload);
        if (r < 0)
                return r;
        return env_set(R, "JITMEM_TRACE_DIR", R->trace_dir);
}

/* Starts the command in a process group of its own (the terminal's foreground job when run
 * from an interactive shell), its output to OUT/output.log if asked. Then only the command
 * holds the progress pipe's write end. Returns 0 or -errno (R->code then 126 or 127 when the
 * exec failed). */
static int start_command(struct run *R)
{
        struct rusage ru0;
        int logfd = -1, cgfd = 0, r;

        if (R->o.capture_output) {
                logfd = openat(R->dirfd, "output.log", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (logfd < 0) {
                        r = -errno;
                        set_error(R->res, "cannot write %s/output.log: %s", R->o.out, strerror(-r));
                        return r;
                }
        }
        if (R->o.cgroup_procs_fd >= 0) {
                /* above 2, where the child's dup2()s onto 0, 1 and 2 cannot reach it */
                cgfd = fcntl(R->o.cgroup_procs_fd, F_DUPFD_CLOEXEC, 3);
                if (cgfd < 0) {
                        r = -errno;
                        if (logfd >= 0)
                                close(logfd);
                        set_error(R->res, "cannot use the cgroup's cgroup.procs: %s", strerror(-r));
                        return r;
                }
        }
        struct spawn_options sp = {
                .path = R->path, .argv = R->argv, .envp = R->envp ? R->envp : environ,
                .new_pgrp = 1, .stdin_fd = -1, .stdout_fd = logfd, .stderr_fd = logfd,
                .keep_fd = R->progress_pipe[1] > 2 ? R->progress_pipe[1] : 0,
                .cgroup_procs_fd = cgfd,
                .hold = 1, /* the exec waits for the group's guard */
        };
        /* Run from an interactive shell, the command gets the terminal (it may read it, and ^C
         * and ^Z reach it directly), as a shell gives it to a job. */
        if (R->o.foreground && isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp()) {
                R->tty = STDIN_FILENO;
                sp.foreground = 1;
        }
        R->t_start_ns = util_now_ns();
        if (getrusage(RUSAGE_SELF, &ru0) == 0) /* on the run's own count, as cpu_s is */
                R->cpu_at_start_s = tv_s(ru0.ru_utime) - R->cpu_user0 + tv_s(ru0.ru_stime) - R->cpu_sys0;
        r = spawn_start(&sp, &R->child);
        if (logfd >= 0)
                close(logfd);
        if (cgfd > 2)
                close(cgfd);
        if (r == 0) {
                /* The command's own children in its group die with jitmem too (SIGKILL
                 * included): the guard joins the group before the command runs, so that none
                 * can be forked before it is there. */
                int g = spawn_guard_start_cgroup(R->child.pid, R->o.cgroup_dir, &R->guard);
                if (g < 0)
                        warnf(R, "cannot start the guard of the command's process group: %s (if jitmem is killed, "
                              "the command's children may outlive it)", util_strerror(g));
                else
                        sampler_exclude(R->sampler, R->guard.pid);
                r = spawn_release(&R->child);
                if (r < 0)
                        spawn_guard_stop(&R->guard);
        }
        if (r < 0) {
                char path[sizeof(R->res->error)];
                util_escape_text(R->path, strlen(R->path), path, sizeof(path));
                if (cgfd > 2 && access(R->path, X_OK) == 0 && r != -ENOEXEC)
                        set_error(R->res, "cannot execute %s: %s (or cannot enter its cgroup)", path, util_strerror(r));
                else
                        set_error(R->res, "cannot execute %s: %s%s", path, util_strerror(r),
                                  r == -ENOEXEC ? " (not a binary, and no #! line)" : "");
                R->code = r == -ENOENT ? EXIT_CODE_NOT_FOUND : EXIT_CODE_NOT_EXEC;
                return r;
        }
        R->res->started = 1;
        if (R->progress_pipe[1] >= 0) {
                close(R->progress_pipe[1]); /* the command's copies remain: EOF once they all end */
                R->progress_pipe[1] = -1;
                R->progress_fd = R->progress_pipe[0];
                R->progress_pipe[0] = -1;
        }
        return 0;
}

/* The timer armed at the interval, a first tick at once (heavy), and the driver's thread. */
static void begin_sampling(struct run *R)
{
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
}

/* A tick in the loop; a failure to sample is a recording error. */
static void loop_tick(struct run *R)
{
        int r = do_tick(R, 0);

        if (r < 0) {
                warnf(R, "sampling failed: %s", util_strerror(r));
                R->record_error = r;
        }
}

/* Signals that arrived: SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to the command's
 * group (and to the leftovers once the command has ended), the third of them as SIGKILL;
 * SIGCHLD only wakes the loop. Then the children that ended are reaped. */
static void on_signals(struct run *R)
{
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

/* The timer expired: a tick, and the ticks missed while one outlasted the interval counted. */
static void on_timer(struct run *R)
{
        uint64_t expirations;

        if (read(R->tfd, &expirations, sizeof(expirations)) <= 0)
                return;
        if (expirations > 1)
                R->ticks_missed += expirations - 1;
        loop_tick(R);
}

/* A recording error: the command and its leftovers are stopped (SIGTERM, SIGKILL after
 * TERM_WAIT_NS), and every tick already written is kept. */
static void stop_on_record_error(struct run *R)
{
        warnf(R, "cannot write %s/%s: %s; stopping the command (every tick already written is kept)",
              R->o.out, R->record_error_what[0] ? R->record_error_what : "samples.csv",
              util_strerror(R->record_error));
        signal_group(R, SIGTERM);
        signal_leftovers(R, SIGTERM);
        R->term_sent = 1;
        R->kill_deadline = util_now_ns() + TERM_WAIT_NS;
}

enum loop_next { LOOP_ON, LOOP_AGAIN, LOOP_END };

/* Once the command has been reaped: the run ends when no descendant is left; leftovers get
 * --grace, then SIGTERM. LOOP_AGAIN: poll again at once, without the teardown's checks. */
static enum loop_next after_command(struct run *R)
{
        uint64_t now = util_now_ns();

        if (sampler_nlive(R->sampler) == 0) {
                /* One more look for late children before ending; and none may be left: a child
                 * the sampler could not read whole at this tick (one in the middle of an exec)
                 * is still a descendant. */
                struct sampler_tick t;
                if (sampler_tick(R->sampler, 0, &t) < 0 || t.n > 0)
                        return LOOP_AGAIN;
                if (!has_children(R))
                        return LOOP_END;
                /* else: one not seen yet; the grace below applies to it too */
        }
        if (!R->grace_deadline)
                R->grace_deadline = now + R->o.grace_ns;
        if (now >= R->grace_deadline && !R->term_sent) {
                R->leftovers_terminated = signal_leftovers(R, SIGTERM);
                R->term_sent = 1;
                R->kill_deadline = now + TERM_WAIT_NS;
        }
        return LOOP_ON;
}

/* SIGKILL to what outlived SIGTERM by TERM_WAIT_NS. Returns whether the run is over: a
 * descendant that outlived SIGKILL by a further wait (one jitmem may not signal) does not
 * hold it open. */
static int teardown_over(struct run *R)
{
        if (R->term_sent && !R->kill_sent && R->kill_deadline && util_now_ns() >= R->kill_deadline) {
                signal_group(R, SIGKILL);
                signal_leftovers(R, SIGKILL);
                R->kill_sent = 1;
        }
        return R->kill_sent && util_now_ns() >= R->kill_deadline + TERM_WAIT_NS;
}

/* The run's loop: poll the signalfd, the timerfd and the progress pipe until the command and
 * its leftovers are gone (or the teardown is over). */
static void poll_loop(struct run *R)
{
        for (;;) {
                struct pollfd p[3] = { { R->sfd, POLLIN, 0 }, { R->tfd, POLLIN, 0 }, { R->progress_fd, POLLIN, 0 } };
                if (poll(p, 3, 1000) < 0 && errno != EINTR) {
                        warnf(R, "poll: %s", strerror(errno));
                        break;
                }
                if (R->progress_fd >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)))
                        read_progress(R);
                if (p[0].revents & POLLIN)
                        on_signals(R);
                if (p[1].revents & POLLIN)
                        on_timer(R);
                reap(R);
                if (R->record_error && !R->term_sent)
                        stop_on_record_error(R);
                if (R->root_done)
                        __atomic_store_n(&R->command_ended, 1, __ATOMIC_RELEASE);
                if (R->driver_running && !R->driver_stopped && __atomic_load_n(&R->driver_done, __ATOMIC_ACQUIRE)) {
                        R->driver_stopped = 1; /* the load is over: the server may go */
                        signal_group(R, SIGTERM);
                }
                if (R->root_done && !R->root_seen_done) {
                        /* A tick now, not at the next interval: what is left of the tree (if
                         * anything) is sampled, and a run that is over ends at once. */
                        R->root_seen_done = 1;
                        loop_tick(R);
                }
                enum loop_next next = R->root_done ? after_command(R) : LOOP_ON;
                if (next == LOOP_AGAIN)
                        continue;
                if (next == LOOP_END || teardown_over(R))
                        break;
        }
}

/* After the loop: the driver stopped and joined, the last children reaped, the terminal taken
 * back, and the progress counted to the end. */
static void end_run(struct run *R)
{
        __atomic_store_n(&R->command_ended, 1, __ATOMIC_RELEASE);
        if (R->driver_running)
                pthread_join(R->driver, NULL);
        spawn_guard_stop(&R->guard);
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
}

/* What the run was asked to measure and could not measure truthfully, as stable names (an
 * empty array when none): "jit_trace_unreadable" (--trace-jit, and its streams could not be
 * read), "jit_trace_disagrees_with_proc" (the trace's live JIT bytes disagree with /proc's at
 * some sample, or /proc shows JIT code in a process the trace has no record of: the trace's
 * figures are not to be trusted). docs/trace-jit.md. */
static json_t *measurement_failures(const struct run *R, json_t *jit)
{
        json_t *a = json_array();
        json_t *cc = json_object_get(jit, "cross_check");
        json_int_t disagreed = json_integer_value(json_object_get(cc, "disagreed")) +
                               json_integer_value(json_object_get(cc, "untraced_with_jit"));

        if (!a || !R->o.trace_shim)
                return a;
        if (!json_is_object(jit))
                json_array_append_new(a, json_string("jit_trace_unreadable"));
        else if (disagreed > 0)
                json_array_append_new(a, json_string("jit_trace_disagrees_with_proc"));
        return a;
}

/* summary.json's content for a run that exits with `code`: its figures, the observer's CPU
 * (this run's, not the process's since it began, as compare runs many, and without the
 * driver's thread: the load generator is not the observer), the JIT trace's and the driver's
 * objects. NULL, with *err saying what could not be encoded, when it cannot be made. */
static json_t *run_summary(struct run *R, int code, json_error_t *err)
{
        uint64_t end = R->root_done ? R->t_root_end_ns : util_now_ns();
        double duration = (double)(end - R->t_start_ns) / 1e9;
        struct rusage ru;
        double cu = 0, cs = 0;
        long maxrss = 0;

        if (getrusage(RUSAGE_SELF, &ru) == 0) {
                cu = tv_s(ru.ru_utime) - R->cpu_user0 - R->driver_user_s;
                cs = tv_s(ru.ru_stime) - R->cpu_sys0 - R->driver_sys_s;
                cu = cu > 0 ? cu : 0;
                cs = cs > 0 ? cs : 0;
                maxrss = ru.ru_maxrss;
        }
        R->unreadable = count_unreadable(R->sampler);
        json_t *sum = summary_json(R, duration, cu + cs, cu, cs, maxrss, code, err);
        if (!sum)
                return NULL;
        if (R->o.trace_shim) {
                json_t *jit = NULL;
                char abs_out[KFILE_PATH_MAX];
                int tr = realpath(R->o.out, abs_out) ? jittrace_process(R->trace_dir, abs_out, sampler_t0_ns(R->sampler), &jit)
                                                     : -errno;
                if (tr < 0)
                        warnf(R, "cannot read the JIT trace in %s: %s", R->trace_dir, util_strerror(tr));
                json_object_set_new(sum, "jit", jit ? jit : json_null());
        }
        json_object_set_new(sum, "measurement_failures", measurement_failures(R, json_object_get(sum, "jit")));
        if (R->o.driver_summary)
                json_object_set_new(sum, "driver", R->o.driver_summary(R->o.driver_ctx));
        if (R->o.driver)
                json_object_set_new(json_object_get(sum, "observer"), "driver_cpu_s",
                                    json_real(R->driver_user_s + R->driver_sys_s));
        json_object_set_new(sum, "t0_monotonic_ns", json_integer((json_int_t)sampler_t0_ns(R->sampler)));
        return sum;
}

/* summary.json, written atomically and kept in the result; the run's exit code: the command's
 * status, or EXIT_CODE_RUN_FAILED after a recording error. */
static void write_summary(struct run *R)
{
        int code = R->root_done ? exit_code_of(R->root_status) : EXIT_CODE_RUN_FAILED;
        json_error_t err;
        json_t *sum = run_summary(R, code, &err);
        int r = sum ? jsonout_write_atomic(R->dirfd, "summary.json", sum) : -EINVAL;

        if (!sum) {
                set_error(R->res, "cannot write %s/summary.json: it could not be encoded as JSON (%s; samples.csv "
                          "holds every tick written)", R->o.out, err.text);
                R->record_error = r;
        } else if (r < 0) {
                set_error(R->res, "cannot write %s/summary.json: %s (samples.csv holds every tick written)",
                          R->o.out, util_strerror(r));
                R->record_error = r;
        } else if (R->record_error) {
                set_error(R->res, "cannot write %s/%s: %s (every tick already written is kept)", R->o.out,
                          R->record_error_what[0] ? R->record_error_what : "samples.csv",
                          util_strerror(R->record_error));
        }
        R->res->summary = sum;
        R->res->interrupted = R->nsignals > 0;
        R->res->measurement_failed = json_array_size(json_object_get(sum, "measurement_failures")) > 0;
        R->code = R->record_error ? EXIT_CODE_RUN_FAILED : code;
}

/* Restores the signal mask, closes samples.csv (a failure to is the run's failure, unless it
 * failed already) and every fd, and frees the run. Returns the run's exit code. */
static int run_free(struct run *R)
{
        int code = R->code, r;

        if (R->signals_blocked)
                sigprocmask(SIG_SETMASK, &R->oldmask, NULL);
        spawn_guard_stop(&R->guard);
        spawn_env_free(R->envp);
        for (int i = 0; i < 2; i++)
                if (R->progress_pipe[i] >= 0)
                        close(R->progress_pipe[i]);
        if (R->progress_fd >= 0)
                close(R->progress_fd);
        sampler_free(R->sampler);
        if (R->rec) {
                r = record_close(R->rec);
                if (r < 0 && code != EXIT_CODE_RUN_FAILED) {
                        set_error(R->res, "cannot close %s/samples.csv: %s", R->o.out, util_strerror(r));
                        code = EXIT_CODE_RUN_FAILED;
                }
        }
        if (R->child.pidfd >= 0)
                close(R->child.pidfd);
        if (R->dirfd >= 0)
                close(R->dirfd);
        if (R->sfd >= 0)
                close(R->sfd);
        if (R->tfd >= 0)
                close(R->tfd);
        if (R->cgfd >= 0)
                close(R->cgfd);
        free(R);
        return code;
}

/* A run that failed before its command started, in a directory it created itself (a full file
 * system at the start): what it wrote there is removed, and the directories it created, so
 * that no empty run is left behind; the error says so. */
static void remove_unrecorded(struct run *R)
{
        static const char *const names[] = { "meta.json", "samples.csv", "summary.json", "output.log" };
        size_t len = strlen(R->res->error);

        if (R->res->started || R->dir_created == 0 || R->dirfd < 0)
                return;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                unlinkat(R->dirfd, names[i], 0);
        if (R->trace_dir[0])
                rmdir(R->trace_dir);
        if (util_rmdir_created(R->o.out, R->dir_created) == 0 && len + 1 < sizeof(R->res->error))
                snprintf(R->res->error + len, sizeof(R->res->error) - len,
                         " (nothing was recorded: %s, which jitmem had created, was removed)", R->o.out);
}

/* The data flow of docs/ARCHITECTURE.md ("Data flow of jitmem run"): each step returns >= 0, or
 * -errno with ret->error set, and a failed step ends the run there. */
int runner_record(const struct runner_options *o, char *const argv[], struct runner_result *ret)
{
        struct run *R;
        int r;

        memset(ret, 0, sizeof(*ret));
        ret->exit_code = EXIT_CODE_RUN_FAILED;
        R = run_new(o, argv, ret);
        if (!R) {
                set_error(ret, "out of memory");
                return -ENOMEM;
        }
        r = resolve_command(R);
        if (r >= 0)
                r = open_run_dir(R);
        if (r >= 0)
                r = write_meta(R);
        if (r >= 0)
                r = open_samples(R);
        if (r >= 0)
                r = take_signals(R);
        if (r >= 0)
                r = prepare_environment(R);
        if (r >= 0)
                r = open_sampler(R);
        if (r >= 0)
                r = prepare_trace(R);
        if (r >= 0)
                r = start_command(R);
        if (r >= 0) {
                begin_sampling(R);
                poll_loop(R);
                end_run(R);
                write_summary(R);
        } else {
                remove_unrecorded(R);
        }
        ret->exit_code = run_free(R);
        return r < 0 ? r : 0;
}
