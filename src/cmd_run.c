/* jitmem run: start a command (fork + exec, no shell) in its own process group and sample its
 * whole process tree until it exits, streaming to a run directory. */
#include "cgroup.h"
#include "cli.h"
#include "jsonout.h"
#include "kfile.h"
#include "machine.h"
#include "python_probe.h"
#include "record.h"
#include "sampler.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
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

#define META_SCHEMA "jitmem.run.meta/1"
#define SUMMARY_SCHEMA "jitmem.run.summary/1"
#define TERM_WAIT_NS 2000000000ULL /* after SIGTERM to leftovers, SIGKILL */
#define TABLE_ROWS 20

enum jit_mode { JIT_INHERIT, JIT_ON, JIT_OFF };

struct run_opts {
        const char *out;
        enum jit_mode jit;
        uint64_t interval_ns;
        uint64_t heavy_ns; /* 0: auto */
        uint64_t grace_ns;
        uint64_t limit_bytes;
        int have_limit;
        int quiet;
        int force;
        int probe;
};

static void run_usage(FILE *f)
{
        fputs("Usage: jitmem run [OPTIONS] -- COMMAND [ARG...]\n"
              "\n"
              "Starts COMMAND (fork + exec, never a shell) in a process group of its own and samples\n"
              "it and every descendant (forked workers, exec'd grandchildren, processes that appear\n"
              "later) until it exits. Writes a run directory: meta.json, samples.csv (streamed, one\n"
              "row per process per tick plus a tree row) and summary.json; prints a summary table\n"
              "to stderr. SIGINT, SIGTERM, SIGHUP and SIGQUIT are forwarded to the command's group;\n"
              "a third one kills the group. On a terminal the command is the foreground job: it can\n"
              "read the terminal, and ^C and ^Z reach it directly. jitmem exits with the command's\n"
              "status.\n"
              "\n"
              "Options:\n"
              "  -o, --out DIR           run directory (default: jitmem-run-YYYYmmdd-HHMMSS)\n"
              "      --jit on|off|inherit  set PYTHON_JIT=1 or PYTHON_JIT=0 for the command, or leave\n"
              "                          the environment alone (default inherit)\n"
              "  -i, --interval DUR      sampling interval, 1ms to 1h (default 100ms)\n"
              "      --pss-interval DUR|auto\n"
              "                          interval of the page-table-walking figures (PSS, USS, swap,\n"
              "                          PSS of JIT code); auto keeps their cost under 0.5% of one CPU\n"
              "                          (default auto)\n"
              "      --grace DUR         once the command exits, how long its leftover descendants may\n"
              "                          run on (sampled) before SIGTERM, then SIGKILL (default 10s)\n"
              "      --limit SIZE        the memory limit to judge against (e.g. 384M); recorded in\n"
              "                          meta.json and summary.json (default: the cgroup's limit)\n"
              "      --no-probe          do not probe the interpreter for meta.json\n"
              "      --force             reuse a --out directory that already holds a run\n"
              "  -q, --quiet             no summary table\n"
              "  -h, --help              this help\n"
              "\n"
              "Sizes: 4096, 64K, 384M, 1.5G (binary units). Durations: 250ms, 30s, 5m, 1h.\n"
              "JIT code: anonymous read+execute mappings with no file (see docs/measurements.md).\n"
              "\n" CLI_EXIT_CODES_HELP,
              f);
}

static int mkdir_p(const char *path)
{
        char buf[KFILE_PATH_MAX];
        size_t n = strlen(path);

        if (n == 0 || n >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, n + 1);
        for (size_t i = 1; i <= n; i++) {
                if (buf[i] != '/' && buf[i] != '\0')
                        continue;
                char save = buf[i];
                buf[i] = '\0';
                if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                        return -errno;
                buf[i] = save;
        }
        return 0;
}

static json_t *argv_json(char **argv)
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
        struct run_opts o;
        char **argv;
        char path[KFILE_PATH_MAX];
        int dirfd;
        struct record *rec;
        struct sampler *sampler;
        struct spawn_child child;
        int sfd, tfd, cgfd;
        int tty; /* the controlling terminal handed to the command, or -1 */
        int root_done, root_status;
        uint64_t t_start_ns, wall_start_ns, t_root_end_ns;
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
};

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

static void reap(struct run *R)
{
        for (;;) {
                int st;
                pid_t p = waitpid(-1, &st, WNOHANG | WUNTRACED);
                if (p <= 0)
                        break;
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
        return CLI_EXIT_RUN_FAILED;
}

/* Signals the command's process group, while the command is unreaped (its PID, and so its
 * group's ID, cannot be reused before that). */
static void signal_group(struct run *R, int sig)
{
        if (!R->root_done)
                kill(-R->child.pid, sig);
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
        r = record_tick(R->rec, R->sampler, &t, R->child.pid, have_cg, cg_usage);
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
        if (R->o.jit == JIT_ON)
                env = json_pack("{s:s}", "PYTHON_JIT", "1");
        else if (R->o.jit == JIT_OFF)
                env = json_pack("{s:s}", "PYTHON_JIT", "0");
        else
                env = json_object();
        const char *inherited = getenv("PYTHON_JIT");
        return json_pack("{s:s, s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:f, s:o, s:f, s:o, s:o, s:o, s:o, s:o, s:o}",
                         "schema", META_SCHEMA,
                         "jitmem_version", JITMEM_VERSION,
                         "command", argv_json(R->argv),
                         "executable", R->path,
                         "cwd", cwd,
                         "started_at", started,
                         "jit_mode", json_string(R->o.jit == JIT_ON ? "on" : R->o.jit == JIT_OFF ? "off" : "inherit"),
                         "environment_changes", env,
                         "interval_s", (double)R->o.interval_ns / 1e9,
                         "pss_interval_s", R->o.heavy_ns ? json_real((double)R->o.heavy_ns / 1e9) : json_string("auto"),
                         "grace_s", (double)R->o.grace_ns / 1e9,
                         "inherited_PYTHON_JIT", inherited ? json_string(inherited) : json_null(),
                         "limit_bytes", jsonout_u64_or_null(R->have_limit, R->limit),
                         "python", have_pi ? jsonout_python(pi) : json_null(),
                         "python_problem", probe_problem ? json_string(probe_problem) : json_null(),
                         "machine", jsonout_machine(&m),
                         "cgroup", R->have_cg ? jsonout_cgroup(&R->cg) : json_null());
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
        return json_pack("{s:s, s:i, s:o, s:f, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:{s:f, s:f, s:f, s:f, s:I}}",
                         "schema", SUMMARY_SCHEMA,
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
                         "observer",
                         "cpu_s", cpu_s, "cpu_user_s", cpu_user, "cpu_sys_s", cpu_sys,
                         "cpu_fraction_of_one_core", duration > 0 ? cpu_s / duration : 0.0,
                         "max_rss_bytes", (json_int_t)maxrss_kb * 1024);
}

static void print_table(struct run *R, double duration, double cpu_s, int code)
{
        struct record_tree t;
        char a[32], b[32], c[32], d[32];
        uint32_t shown = 0, total = 0;

        record_tree_figures(R->rec, &t);
        fprintf(stderr, "\njitmem: %s ", R->argv[0]);
        if (R->root_done && WIFSIGNALED(R->root_status))
                fprintf(stderr, "was killed by signal %d", WTERMSIG(R->root_status));
        else
                fprintf(stderr, "exited with status %d", code);
        fprintf(stderr, " after %.2f s; %" PRIu64 " ticks recorded in %s\n\n", duration, t.ticks, R->o.out);
        if (R->unreadable)
                fprintf(stderr, "  %u process%s could not be read (permission denied: run jitmem as their owner or as root)\n",
                        R->unreadable, R->unreadable == 1 ? "" : "es");
        if (!t.have_final) {
                if (!R->unreadable)
                        fprintf(stderr, "  no sample was taken: the command ended before the first tick\n");
                return;
        }
        fprintf(stderr, "  %-34s %10s %10s %10s %12s %5s\n", "", "peak RSS", "peak PSS", "final RSS", "JIT code", "maps");
        fprintf(stderr, "  %-34s %10s %10s %10s %12s %5u\n", "tree", util_format_bytes(t.peak_rss, a, sizeof(a)),
                t.have_pss ? util_format_bytes(t.peak_pss, b, sizeof(b)) : "-",
                util_format_bytes(t.final_rss, c, sizeof(c)), util_format_bytes(t.peak_jit, d, sizeof(d)),
                t.peak_jit_mappings);
        for (uint32_t i = 0; i < sampler_nprocs(R->sampler); i++) {
                const struct sampler_proc *sp = sampler_proc(R->sampler, i);
                const struct record_proc *p = record_proc(R->rec, i);
                char label[40];
                if (!sp || !p)
                        continue;
                total++;
                if (shown >= TABLE_ROWS)
                        continue;
                shown++;
                snprintf(label, sizeof(label), "%7d %s", sp->pid, sp->cmdline ? sp->cmdline : "?");
                fprintf(stderr, "  %-34.34s %10s %10s %10s %12s %5u\n", label,
                        util_format_bytes(p->peak_rss, a, sizeof(a)),
                        p->have_pss ? util_format_bytes(p->peak_pss, b, sizeof(b)) : "-",
                        util_format_bytes(p->final_rss, c, sizeof(c)), util_format_bytes(p->peak_jit, d, sizeof(d)),
                        p->peak_jit_mappings);
        }
        if (total > shown)
                fprintf(stderr, "  ... and %u more processes (see summary.json)\n", total - shown);
        fprintf(stderr, "\n  processes at most %u at once, %u in all; JIT code %s at the end",
                t.max_processes, total, util_format_bytes(t.final_jit, a, sizeof(a)));
        if (t.peak_jit > 0)
                fprintf(stderr, ", last grew at %.2f s", (double)t.jit_last_growth_t_ns / 1e9);
        fprintf(stderr, "\n");
        if (t.have_cgroup)
                fprintf(stderr, "  cgroup usage peak %s\n", util_format_bytes(t.peak_cgroup, a, sizeof(a)));
        if (R->have_limit) {
                fprintf(stderr, "  limit %s: tree peak PSS at ", util_format_bytes(R->limit, a, sizeof(a)));
                if (t.have_pss)
                        fprintf(stderr, "%.1f%%", 100.0 * (double)t.peak_pss / (double)R->limit);
                else
                        fprintf(stderr, "(not measured)");
                fprintf(stderr, ", peak RSS sum at %.1f%% (counts shared pages once per process)\n",
                        100.0 * (double)t.peak_rss / (double)R->limit);
        }
        fprintf(stderr, "  jitmem: %.3f s CPU (%.2f%% of one core), median tick %.0f us\n", cpu_s,
                duration > 0 ? 100.0 * cpu_s / duration : 0.0, (double)t.tick_cost_median_ns / 1e3);
}

static int parse_args(int argc, char **argv, struct run_opts *o, int *ret_cmd_index)
{
        static const struct option opts[] = {
                { "out", required_argument, NULL, 'o' },
                { "jit", required_argument, NULL, 'J' },
                { "interval", required_argument, NULL, 'i' },
                { "pss-interval", required_argument, NULL, 'P' },
                { "grace", required_argument, NULL, 'g' },
                { "limit", required_argument, NULL, 'l' },
                { "no-probe", no_argument, NULL, 'N' },
                { "force", no_argument, NULL, 'f' },
                { "quiet", no_argument, NULL, 'q' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        optind = 1;
        /* '+': stop at the first non-option, so the command's own options are left alone. */
        while ((c = getopt_long(argc, argv, "+o:i:qh", opts, NULL)) != -1) {
                switch (c) {
                case 'o': o->out = optarg; break;
                case 'J':
                        if (strcmp(optarg, "on") == 0 || strcmp(optarg, "1") == 0)
                                o->jit = JIT_ON;
                        else if (strcmp(optarg, "off") == 0 || strcmp(optarg, "0") == 0)
                                o->jit = JIT_OFF;
                        else if (strcmp(optarg, "inherit") == 0)
                                o->jit = JIT_INHERIT;
                        else
                                return cli_usage_error("run", "bad --jit '%s': expected on, off or inherit", optarg);
                        break;
                case 'i':
                        if (util_parse_duration(optarg, &o->interval_ns) < 0 || o->interval_ns < 1000000ULL ||
                            o->interval_ns > 3600000000000ULL)
                                return cli_usage_error("run", "bad --interval '%s': expected a duration from 1ms to 1h, such as 100ms", optarg);
                        break;
                case 'P':
                        if (strcmp(optarg, "auto") == 0)
                                o->heavy_ns = 0;
                        else if (util_parse_duration(optarg, &o->heavy_ns) < 0 || o->heavy_ns < 1000000ULL)
                                return cli_usage_error("run", "bad --pss-interval '%s': expected auto or a duration of 1ms or more", optarg);
                        break;
                case 'g':
                        if (util_parse_duration(optarg, &o->grace_ns) < 0)
                                return cli_usage_error("run", "bad --grace '%s': expected a duration such as 10s", optarg);
                        break;
                case 'l':
                        if (util_parse_size(optarg, &o->limit_bytes) < 0 || o->limit_bytes == 0)
                                return cli_usage_error("run", "bad --limit '%s': expected a size such as 384M or 1.5G", optarg);
                        o->have_limit = 1;
                        break;
                case 'N': o->probe = 0; break;
                case 'f': o->force = 1; break;
                case 'q': o->quiet = 1; break;
                case 'h':
                        run_usage(stdout);
                        return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : -1;
                default:
                        return cli_usage_error("run", "unknown or incomplete option");
                }
        }
        if (optind >= argc)
                return cli_usage_error("run", "no command given: jitmem run [OPTIONS] -- COMMAND [ARG...]");
        *ret_cmd_index = optind;
        return 0;
}

int cmd_run(int argc, char **argv)
{
        struct run *R;
        struct python_info *pi = NULL;
        char interp[KFILE_PATH_MAX], default_out[64], err[512] = "", probe_problem[768] = "";
        char **envp = NULL;
        int cmd_index = 0, r, code = CLI_EXIT_RUN_FAILED, have_pi = 0;
        sigset_t mask, oldmask;
        json_t *meta = NULL;

        R = calloc(1, sizeof(*R));
        if (!R) {
                cli_error("out of memory");
                return CLI_EXIT_RUN_FAILED;
        }
        R->dirfd = R->sfd = R->tfd = R->cgfd = R->tty = -1;
        R->child.pid = -1;
        R->child.pidfd = -1;
        R->o.interval_ns = 100000000ULL;
        R->o.grace_ns = 10000000000ULL;
        R->o.probe = 1;
        r = parse_args(argc, argv, &R->o, &cmd_index);
        if (r != 0) {
                free(R);
                return r < 0 ? CLI_EXIT_OK : r;
        }
        R->argv = argv + cmd_index;

        /* The command must exist before anything is created. */
        r = spawn_resolve(R->argv[0], R->path, sizeof(R->path));
        if (r < 0) {
                if (r == -ENOENT)
                        cli_error("%s: command not found%s", R->argv[0],
                                  strchr(R->argv[0], '/') ? "" : " (searched PATH)");
                else if (r == -EACCES)
                        cli_error("%s: found but not executable (check its permissions, or that it is not a directory)",
                                  R->argv[0]);
                else
                        cli_error("%s: %s", R->argv[0], util_strerror(r));
                free(R);
                return r == -ENOENT ? CLI_EXIT_NOT_FOUND : CLI_EXIT_NOT_EXEC;
        }

        /* The run directory. */
        R->wall_start_ns = util_wall_ns();
        if (!R->o.out) {
                time_t now = (time_t)(R->wall_start_ns / 1000000000ULL);
                struct tm tm;
                localtime_r(&now, &tm);
                char base[48];
                strftime(base, sizeof(base), "jitmem-run-%Y%m%d-%H%M%S", &tm);
                /* Never reuse a directory by default: a second run in the same second gets -2. */
                snprintf(default_out, sizeof(default_out), "%s", base);
                for (int k = 2; k < 1000 && access(default_out, F_OK) == 0; k++)
                        snprintf(default_out, sizeof(default_out), "%s-%d", base, k);
                R->o.out = default_out;
        }
        r = mkdir_p(R->o.out);
        if (r == 0) {
                R->dirfd = open(R->o.out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (R->dirfd < 0)
                        r = -errno;
        }
        if (r == 0 && faccessat(R->dirfd, ".", W_OK, AT_EACCESS) != 0)
                r = -errno;
        if (r < 0) {
                cli_error("cannot use %s as the run directory: %s", R->o.out, util_strerror(r));
                goto out;
        }
        if (!R->o.force && (faccessat(R->dirfd, "samples.csv", F_OK, 0) == 0 ||
                            faccessat(R->dirfd, "summary.json", F_OK, 0) == 0)) {
                cli_error("%s already holds a run: choose another --out, or add --force to replace it", R->o.out);
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
                cli_error("cannot write %s/meta.json: %s", R->o.out, util_strerror(r));
                goto out;
        }
        r = record_open(R->dirfd, &R->rec);
        if (r < 0) {
                cli_error("cannot write %s/samples.csv: %s", R->o.out, util_strerror(r));
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
                cli_error("cannot set up signals and timers: %s", strerror(errno));
                goto out_restore;
        }
        /* Orphaned descendants are reparented to us, so the tree stays whole and is reaped here. */
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

        if (R->o.jit != JIT_INHERIT) {
                envp = spawn_env_with(environ, "PYTHON_JIT", R->o.jit == JIT_ON ? "1" : "0");
                if (!envp) {
                        cli_error("out of memory");
                        goto out_restore;
                }
        }
        struct sampler_options so = { .root_pid = getpid(), .include_root = 0, .heavy_interval_ns = R->o.heavy_ns };
        r = sampler_new(&so, &R->sampler);
        if (r < 0) {
                cli_error("cannot read /proc/%d: %s", (int)getpid(), util_strerror(r));
                goto out_restore;
        }
        if (R->have_cg) {
                R->cgfd = cgroup_open_usage(&R->cg);
                if (R->cgfd < 0)
                        R->cgfd = -1;
        }

        struct spawn_options sp = {
                .path = R->path, .argv = R->argv, .envp = envp ? envp : environ,
                .new_pgrp = 1, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,
        };
        /* Run from an interactive shell, the command gets the terminal (it may read it, and ^C
         * and ^Z reach it directly), as a shell gives it to a job. */
        if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp()) {
                R->tty = STDIN_FILENO;
                sp.foreground = 1;
        }
        R->t_start_ns = util_now_ns();
        r = spawn_start(&sp, &R->child);
        if (r < 0) {
                cli_error("cannot execute %s: %s%s", R->path, util_strerror(r),
                          r == -ENOEXEC ? " (not a binary, and no #! line)" : "");
                code = r == -ENOENT ? CLI_EXIT_NOT_FOUND : CLI_EXIT_NOT_EXEC;
                goto out_restore;
        }

        struct itimerspec its = {
                .it_interval = { (time_t)(R->o.interval_ns / 1000000000ULL), (long)(R->o.interval_ns % 1000000000ULL) },
                .it_value = { (time_t)(R->o.interval_ns / 1000000000ULL), (long)(R->o.interval_ns % 1000000000ULL) },
        };
        timerfd_settime(R->tfd, 0, &its, NULL);
        do_tick(R, 1);

        uint64_t grace_deadline = 0, kill_deadline = 0;
        int term_sent = 0, kill_sent = 0;
        for (;;) {
                struct pollfd p[2] = { { R->sfd, POLLIN, 0 }, { R->tfd, POLLIN, 0 } };
                if (poll(p, 2, 1000) < 0 && errno != EINTR) {
                        cli_error("poll: %s", strerror(errno));
                        break;
                }
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
                                        cli_error("sampling failed: %s", util_strerror(r));
                                        R->record_error = r;
                                }
                        }
                }
                reap(R);
                if (R->record_error && !term_sent) {
                        cli_error("cannot write %s/%s: %s; stopping the command (every tick already written is kept)",
                                  R->o.out, R->record_error_what[0] ? R->record_error_what : "samples.csv",
                                  util_strerror(R->record_error));
                        signal_group(R, SIGTERM);
                        signal_leftovers(R, SIGTERM);
                        term_sent = 1;
                        kill_deadline = util_now_ns() + TERM_WAIT_NS;
                }
                if (R->root_done) {
                        uint64_t now = util_now_ns();
                        if (sampler_nlive(R->sampler) == 0) {
                                /* One more look for late children before ending. */
                                struct sampler_tick t;
                                if (sampler_tick(R->sampler, 0, &t) == 0 && t.n == 0)
                                        break;
                                continue;
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
        }
        reap(R);
        if (R->tty >= 0) {
                signal(SIGTTOU, SIG_IGN);
                tcsetpgrp(R->tty, getpgrp());
                signal(SIGTTOU, SIG_DFL);
        }

        /* The summary. */
        {
                uint64_t end = R->root_done ? R->t_root_end_ns : util_now_ns();
                double duration = (double)(end - R->t_start_ns) / 1e9;
                struct rusage ru;
                double cu = 0, cs = 0;
                if (getrusage(RUSAGE_SELF, &ru) == 0) {
                        cu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
                        cs = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
                }
                code = R->root_done ? exit_code_of(R->root_status) : CLI_EXIT_RUN_FAILED;
                R->unreadable = count_unreadable(R->sampler);
                json_t *sum = summary_json(R, duration, cu + cs, cu, cs, ru.ru_maxrss, code);
                r = sum ? jsonout_write_atomic(R->dirfd, "summary.json", sum) : -ENOMEM;
                json_decref(sum);
                if (r < 0) {
                        cli_error("cannot write %s/summary.json: %s (samples.csv holds every tick written)",
                                  R->o.out, util_strerror(r));
                        R->record_error = r;
                }
                if (!R->o.quiet)
                        print_table(R, duration, cu + cs, code);
                if (R->record_error)
                        code = CLI_EXIT_RUN_FAILED;
        }

out_restore:
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
out:
        json_decref(meta);
        spawn_env_free(envp);
        free(pi);
        sampler_free(R->sampler);
        if (R->rec) {
                r = record_close(R->rec);
                if (r < 0 && code != CLI_EXIT_RUN_FAILED) {
                        cli_error("cannot close %s/samples.csv: %s", R->o.out, util_strerror(r));
                        code = CLI_EXIT_RUN_FAILED;
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
        return code;
}
