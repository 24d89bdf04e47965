/* jitmem run: the command line of one recorded run (runner.c does the run). */
#include "cli.h"
#include "runfile.h"
#include "runner.h"
#include "util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TABLE_ROWS 20

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
              "      --no-pagemap        do not read the page tables: the tree's anonymous memory counted\n"
              "                          once is then the sum of Pss_Anon (see docs/measurements.md)\n"
              "      --trace-jit         preload jitmem's shim to record every mmap/mprotect/munmap:\n"
              "                          executors compiled and freed, churn, sizes, in events.jsonl\n"
              "                          and summary.json \"jit\" (see docs/trace-jit.md)\n"
              "      --progress          offer the command a pipe to report work done on: its fd is in\n"
              "                          JITMEM_PROGRESS_FD, one line per write, \"<units>\\n\" (see\n"
              "                          docs/run-directory.md); counted in samples.csv and summary.json\n"
              "      --force             reuse a --out directory that already holds a run\n"
              "  -q, --quiet             no summary table\n"
              "      --history           add the run to the history database (see jitmem history)\n"
              "      --db PATH           that database, and --history implied (default:\n"
              "                          $JITMEM_HISTORY_DB, else $XDG_DATA_HOME/jitmem/history.db, else\n"
              "                          ~/.local/share/jitmem/history.db)\n"
              "  -h, --help              this help\n"
              "\n"
              "Sizes: 4096, 64K, 384M, 1.5G (binary units). Durations need a unit: 250ms, 30s, 5m, 1h.\n"
              "JIT code: anonymous read+execute mappings with no file (see docs/measurements.md).\n"
              "\n" CLI_EXIT_CODES_HELP,
              f);
}


/* The table's first column: "  PID command", the command cut in the middle to fit. */
#define LABEL_COLS 34

static void print_label(FILE *f, double pid, const char *cmdline)
{
        char cmd[4 * LABEL_COLS + 1];
        size_t cols = util_fit_command(cmdline ? cmdline : "?", LABEL_COLS - 8, cmd, sizeof(cmd));

        fprintf(f, "  %7.0f %s%*s", pid, cmd, (int)(LABEL_COLS - 8 - cols), "");
}

/* "jitmem: CMD exited with status N after T s; ...", and why there may be no table. Returns 0
 * when there is no sample to show. */
static int print_head(FILE *f, const struct runfile_summary *sum, const char *cmd, const char *out)
{
        char a[32], safe_cmd[4 * 60 + 1];

        util_fit_command(cmd, 60, safe_cmd, sizeof(safe_cmd));
        fprintf(f, "\njitmem: %s ", safe_cmd);
        if (sum->exit_signal >= 0)
                fprintf(f, "was killed by signal %d", sum->exit_signal);
        else
                fprintf(f, "exited with status %d", sum->exit_code >= 0 ? sum->exit_code : 0);
        fprintf(f, " after %.2f s; %.0f ticks recorded in %s\n", sum->duration_s, sum->ticks, out);
        if (sum->measurement_failed)
                fprintf(f, "jitmem: MEASUREMENT FAILED: %s; jitmem exits with status 125\n",
                        sum->trace.traced && (sum->trace.disagreed > 0 || sum->trace.untraced_with_jit > 0)
                                ? "the JIT trace disagrees with /proc (below)"
                                                                      : "the JIT trace could not be read");
        fprintf(f, "\n");
        if (sum->unreadable > 0)
                fprintf(f, "  %.0f process%s could not be read (permission denied: run jitmem as their owner or as root)\n",
                        sum->unreadable, sum->unreadable == 1 ? "" : "es");
        if (sum->tree.peak_rss >= 0)
                return 1;
        if (sum->unreadable <= 0)
                fprintf(f, "  no sample was taken: the command ended before the first tick\n");
        if (sum->tree.largest_kernel_peak_rss > 0)
                fprintf(f, "  the kernel's high-water mark of its largest process: %s RSS\n",
                        util_format_bytes_or_dash(sum->tree.largest_kernel_peak_rss, a, sizeof(a)));
        return 0;
}

/* The rows: the tree, then the first processes. Returns the process whose kernel high-water
 * mark is furthest above its sampled peak (NULL: none by 5% or more), its gap in *missed_by. */
static const struct runfile_summary_proc *print_rows(FILE *f, const struct runfile_summary *sum, double *missed_by)
{
        const struct runfile_summary_proc *missed = NULL;
        char a[32], b[32], c[32], d[32], e[32];
        size_t shown = 0;

        fprintf(f, "  %-*s %10s %12s %10s %10s %12s %5s\n", LABEL_COLS, "", "peak RSS", "kernel peak", "peak PSS",
                "final RSS", "JIT code", "maps");
        fprintf(f, "  %-*s %10s %12s %10s %10s %12s %5.0f\n", LABEL_COLS, "tree", util_format_bytes_or_dash(sum->tree.peak_rss, a, sizeof(a)),
                "-", util_format_bytes_or_dash(sum->tree.peak_pss, b, sizeof(b)), util_format_bytes_or_dash(sum->tree.final_rss, c, sizeof(c)),
                util_format_bytes_or_dash(sum->tree.peak_jit, d, sizeof(d)), sum->tree.jit_mappings);
        *missed_by = 0;
        for (size_t i = 0; i < sum->nprocs; i++) {
                const struct runfile_summary_proc *p = &sum->procs[i];
                double gap = p->kernel_peak_rss - p->peak_rss;
                if (p->peak_rss >= 0 && gap > *missed_by && gap >= 0.05 * p->peak_rss) {
                        missed = p;
                        *missed_by = gap;
                }
                if (shown >= TABLE_ROWS)
                        continue;
                shown++;
                print_label(f, p->pid, p->cmdline);
                fprintf(f, " %10s %12s %10s %10s %12s %5.0f\n", util_format_bytes_or_dash(p->peak_rss, a, sizeof(a)),
                        util_format_bytes_or_dash(p->kernel_peak_rss, e, sizeof(e)), util_format_bytes_or_dash(p->peak_pss, b, sizeof(b)),
                        util_format_bytes_or_dash(p->final_rss, c, sizeof(c)), util_format_bytes_or_dash(p->peak_jit, d, sizeof(d)), p->jit_mappings);
        }
        if (sum->nprocs > shown)
                fprintf(f, "  ... and %zu more processes (see summary.json)\n", sum->nprocs - shown);
        return missed;
}

/* What the kernel peak column means, and a peak that fell between ticks. */
static void print_kernel_peak(FILE *f, const struct runfile_summary *sum, const struct runfile_summary_proc *missed,
                              double missed_by)
{
        char a[32], b[32], c[32], d[32];

        fprintf(f, "\n  peak RSS: the most seen at a tick (sampled). kernel peak: the kernel's high-water mark,\n"
                   "  VmHWM at the last tick, or wait4's ru_maxrss when jitmem reaped the process (that one\n"
                   "  also covers the children it waited for itself); the kernel keeps none for the tree\n");
        if (!missed)
                return;
        /* ru_maxrss covers the children a process waited for, VmHWM the process alone */
        int from_wait = missed->maxrss > missed->hwm;
        fprintf(f, "  pid %d%s reached %s RSS by the kernel's count,\n"
                   "  %s more than any tick saw of it: a peak fell between ticks (or after the last)",
                missed->pid, from_wait ? " (or a child it waited for)" : "",
                util_format_bytes_or_dash(missed->kernel_peak_rss, a, sizeof(a)), util_format_bytes_or_dash(missed_by, b, sizeof(b)));
        if (sum->tree.largest_kernel_peak_rss > sum->tree.peak_rss)
                fprintf(f, ";\n  so the tree's RSS sum peaked at %s or more, above the %s sampled",
                        util_format_bytes_or_dash(sum->tree.largest_kernel_peak_rss, c, sizeof(c)),
                        util_format_bytes_or_dash(sum->tree.peak_rss, d, sizeof(d)));
        fprintf(f, "\n");
}

/* The tree's JIT code, debug images and anonymous memory. */
static void print_tree_memory(FILE *f, const struct runfile_summary *sum)
{
        const struct runfile_summary_tree *t = &sum->tree;
        char a[32], b[32], c[32];

        fprintf(f, "\n  processes at most %.0f at once, %zu in all; JIT code %s at the end", t->max_processes, sum->nprocs,
                util_format_bytes_or_dash(t->final_jit, a, sizeof(a)));
        if (t->jit_last_growth_t_s >= 0)
                fprintf(f, ", last grew at %.2f s", t->jit_last_growth_t_s);
        fprintf(f, "\n");
        if (t->peak_dbg >= 0) {
                fprintf(f, "  JIT debug images (registered with GDB's JIT interface, on the heap): at most %.0f, %s;\n"
                           "  JIT code + debug images at most %s at one tick",
                        t->peak_dbg_images, util_format_bytes_or_dash(t->peak_dbg, a, sizeof(a)), util_format_bytes_or_dash(t->peak_attributed, b, sizeof(b)));
                if (t->final_dbg_images >= 0)
                        fprintf(f, "; %.0f images, %s at the end", t->final_dbg_images, util_format_bytes_or_dash(t->final_dbg, c, sizeof(c)));
                fprintf(f, "\n");
        }
        if (strcmp(t->anon_method, "pagemap") == 0 && t->peak_anon_pagemap >= 0) {
                fprintf(f, "  anonymous memory, each page counted once (from the page tables): at most %s",
                        util_format_bytes_or_dash(t->peak_anon_pagemap, a, sizeof(a)));
                if (t->peak_anon_outside > 0)
                        fprintf(f, ",\n  up to %s of it mapped by processes outside the tree too (a parent it was forked from, KSM)",
                                util_format_bytes_or_dash(t->peak_anon_outside, b, sizeof(b)));
                fprintf(f, "\n");
        } else if (t->anon_method[0] && t->peak_pss_anon >= 0) {
                fprintf(f, "  anonymous memory counted once (the sum of Pss_Anon: exact unless processes outside the tree\n"
                           "  share it): at most %s\n",
                        util_format_bytes_or_dash(t->peak_pss_anon, a, sizeof(a)));
        }
}

/* The container, the limit, the progress and jitmem's own cost. */
static void print_context(FILE *f, const struct runfile_summary *sum)
{
        char a[32];

        if (sum->tree.peak_cgroup >= 0)
                fprintf(f, "  container (jitmem's cgroup, every process in it, not the command's alone): memory usage\n"
                           "  at most %s at a tick\n",
                        util_format_bytes_or_dash(sum->tree.peak_cgroup, a, sizeof(a)));
        if (sum->limit_bytes > 0) {
                fprintf(f, "  limit %s: tree peak PSS at ", util_format_bytes_or_dash(sum->limit_bytes, a, sizeof(a)));
                if (sum->limit_pss_fraction >= 0)
                        fprintf(f, "%.1f%%", 100.0 * sum->limit_pss_fraction);
                else
                        fprintf(f, "(not measured)");
                fprintf(f, ", peak RSS sum at %.1f%% (counts shared pages once per process)\n", 100.0 * sum->limit_rss_fraction);
        }
        if (sum->units >= 0)
                fprintf(f, "  progress: %.0f units, %.1f per second\n", sum->units, sum->units_per_s);
        fprintf(f, "  jitmem: %.3f s CPU while the command ran", sum->observer_cpu_during_run_s);
        if (sum->observer_cpu_fraction >= 0)
                fprintf(f, " (%.2f%% of one core)", 100.0 * sum->observer_cpu_fraction);
        fprintf(f, ", %.3f s in all; median tick %.0f us\n", sum->observer_cpu_s, sum->tick_cost_median_s * 1e6);
}

/* The table, from summary.json's figures. */
static void print_table(FILE *f, const struct runfile_summary *sum, const char *cmd, const char *out)
{
        const struct runfile_summary_proc *missed;
        double missed_by;

        if (!print_head(f, sum, cmd, out))
                return;
        missed = print_rows(f, sum, &missed_by);
        print_kernel_peak(f, sum, missed, missed_by);
        print_tree_memory(f, sum);
        print_context(f, sum);
}

/* The trace's counts: executors compiled, freed and live at the end, churn, sizes, and an
 * agreeing cross-check. */
static void print_trace_counts(FILE *f, const struct runfile_summary_trace *j)
{
        char a[32], b[32], c[32], d[32], e[32];

        fprintf(f, "\n  JIT trace (%.0f process%s traced): %.0f executor%s compiled, %.0f freed", j->processes,
                j->processes == 1 ? "" : "es", j->compiled, j->compiled == 1 ? "" : "s", j->freed);
        if (j->freed_at_exit > 0)
                fprintf(f, " while running and %.0f as their processes exited", j->freed_at_exit);
        fprintf(f, ", %.0f live when their processes ended (%s)\n", j->live_final, util_format_bytes_or_dash(j->live_bytes_final, a, sizeof(a)));
        if (j->inherited_freed > 0)
                fprintf(f, "    and %.0f copies of executors inherited from a parent process freed in its children\n",
                        j->inherited_freed);
        if (j->compiled > 0) {
                fprintf(f, "    churn: %.0f of %.0f freed within 1 s of being compiled (%.0f%%)\n", j->churned, j->compiled,
                        100.0 * j->churn_ratio);
                fprintf(f, "    bytes per executor: mean %s, median %s, p90 %s, from %s to %s\n",
                        util_format_bytes_or_dash(j->size_mean, a, sizeof(a)), util_format_bytes_or_dash(j->size_p50, b, sizeof(b)),
                        util_format_bytes_or_dash(j->size_p90, c, sizeof(c)), util_format_bytes_or_dash(j->size_min, d, sizeof(d)),
                        util_format_bytes_or_dash(j->size_max, e, sizeof(e)));
        }
        if (j->samples >= 0 && j->disagreed == 0 && j->untraced_with_jit <= 0)
                fprintf(f, "    cross-check against /proc: every one of %.0f samples agrees (%.0f while calls were under way)\n",
                        j->samples, j->in_flight);
}

/* What --trace-jit found. A disagreement is said loudly, even with --quiet: it tells which
 * figures above it can be trusted. */
static void print_trace(FILE *f, const struct runfile_summary_trace *j, int quiet)
{
        char a[32], b[32];

        if (!j->traced)
                return;
        if (!quiet)
                print_trace_counts(f, j);
        if (j->disagreed > 0) {
                fprintf(f, "\njitmem: MEASUREMENT FAILED: the JIT trace disagrees with /proc at %.0f of %.0f samples. First: at %.3f s, "
                           "process %.0f had %s of JIT code in /proc, the trace accounts for %s.\n",
                        j->disagreed, j->samples, j->first_t_s, j->first_pid, util_format_bytes_or_dash(j->first_proc_bytes, a, sizeof(a)),
                        util_format_bytes_or_dash(j->first_events_bytes, b, sizeof(b)));
                if (j->first_proc_bytes > j->first_events_bytes)
                        fprintf(f, "  /proc shows JIT code the trace does not account for (made by calls the shim did not\n"
                                   "  see, or not made the way an executor is): the executor counts, churn and sizes of the\n"
                                   "  trace leave it out. The JIT code figures of the table come from /proc and stand.\n");
                else
                        fprintf(f, "  The trace counts as live executors memory that /proc does not show as JIT code: the\n"
                                   "  trace's live figures overstate it. The JIT code figures of the table come from /proc\n"
                                   "  and stand.\n");
        }
        if (j->untraced_with_jit > 0)
                fprintf(f, "\njitmem: MEASUREMENT FAILED: %.0f samples of processes with JIT code have no trace at all (the shim left\n"
                           "  no record of them; it is not loaded in setuid programs, nor where LD_PRELOAD was removed):\n"
                           "  the trace's figures leave them out.\n",
                        j->untraced_with_jit);
}

void cmd_run_print_summary(FILE *f, json_t *summary, const char *cmd, const char *out, int quiet)
{
        struct runfile_summary sum;

        if (runfile_summary_of(summary, &sum) < 0) {
                cli_error("out of memory");
                return;
        }
        if (!quiet)
                print_table(f, &sum, cmd, out);
        print_trace(f, &sum.trace, quiet);
        runfile_summary_free(&sum);
}

static int parse_args(int argc, char **argv, struct runner_options *o, int *quiet, int *ret_cmd_index)
{
        static const struct option opts[] = {
                { "out", required_argument, NULL, 'o' },
                { "jit", required_argument, NULL, 'J' },
                { "interval", required_argument, NULL, 'i' },
                { "pss-interval", required_argument, NULL, 'P' },
                { "grace", required_argument, NULL, 'g' },
                { "limit", required_argument, NULL, 'l' },
                { "no-probe", no_argument, NULL, 'N' },
                { "no-pagemap", no_argument, NULL, 'M' },
                { "progress", no_argument, NULL, 'G' },
                { "trace-jit", no_argument, NULL, 'T' },
                { "force", no_argument, NULL, 'f' },
                { "quiet", no_argument, NULL, 'q' },
                { "history", no_argument, NULL, CLI_OPT_HISTORY },
                { "db", required_argument, NULL, CLI_OPT_DB },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        optind = 1;
        opterr = 0;
        /* '+': stop at the first non-option, so the command's own options are left alone. */
        while ((c = getopt_long(argc, argv, "+:o:i:qh", opts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        if (cli_empty_value("run", "--out", optarg, "a directory"))
                                return CLI_EXIT_USAGE;
                        o->out = optarg;
                        break;
                case 'J':
                        if (strcmp(optarg, "on") == 0 || strcmp(optarg, "1") == 0)
                                o->jit = RUNNER_JIT_ON;
                        else if (strcmp(optarg, "off") == 0 || strcmp(optarg, "0") == 0)
                                o->jit = RUNNER_JIT_OFF;
                        else if (strcmp(optarg, "inherit") == 0)
                                o->jit = RUNNER_JIT_INHERIT;
                        else
                                return cli_usage_error("run", "bad --jit '%s': expected on, off or inherit", optarg);
                        break;
                case 'i':
                        if (util_parse_duration(optarg, &o->interval_ns) < 0 || o->interval_ns < 1000000ULL ||
                            o->interval_ns > 3600000000000ULL)
                                return cli_usage_error("run", "bad --interval '%s': expected a duration from 1ms to 1h, such as 100ms; units: " UTIL_DURATION_UNITS, optarg);
                        break;
                case 'P':
                        if (strcmp(optarg, "auto") == 0)
                                o->heavy_ns = 0;
                        else if (util_parse_duration(optarg, &o->heavy_ns) < 0 || o->heavy_ns < 1000000ULL)
                                return cli_usage_error("run", "bad --pss-interval '%s': expected auto or a duration of 1ms or more; units: " UTIL_DURATION_UNITS, optarg);
                        break;
                case 'g':
                        if (util_parse_duration(optarg, &o->grace_ns) < 0)
                                return cli_usage_error("run", "bad --grace '%s': expected a duration such as 10s; units: " UTIL_DURATION_UNITS, optarg);
                        break;
                case 'l':
                        if (util_parse_size(optarg, &o->limit_bytes) < 0 || o->limit_bytes == 0)
                                return cli_usage_error("run", "bad --limit '%s': expected a size such as 384M or 1.5G", optarg);
                        o->have_limit = 1;
                        break;
                case 'N': o->probe = 0; break;
                case 'M': o->no_pagemap = 1; break;
                case 'G': o->progress = 1; break;
                case 'T': o->trace_shim = ""; break; /* resolved by cmd_run */
                case 'f': o->force = 1; break;
                case 'q': *quiet = 1; break;
                case 'h':
                        run_usage(stdout);
                        return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : -1;
                case CLI_OPT_HISTORY:
                case CLI_OPT_DB: {
                        int mine, code = cli_history_option("run", c, optarg, &mine);
                        if (code != -1)
                                return code;
                        break;
                }
                default:
                        return cli_option_error("run", c, argv);
                }
        }
        if (optind >= argc)
                return cli_usage_error("run", "no command given: jitmem run [OPTIONS] -- COMMAND [ARG...]");
        *ret_cmd_index = optind;
        return 0;
}

static void warn_cb(const char *message)
{
        cli_error("%s", message);
}

int cmd_run(int argc, char **argv)
{
        struct runner_options o;
        struct runner_result res;
        char default_out[64];
        int quiet = 0, cmd_index = 0, r;

        runner_options_default(&o);
        o.foreground = 1;
        o.warn = warn_cb;
        r = parse_args(argc, argv, &o, &quiet, &cmd_index);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        if (!o.out) /* never reuse a directory by default: a second run in the same second gets -2 */
                o.out = util_new_dir_name("jitmem-run", default_out, sizeof(default_out));
        char shim[4096];
        if (o.trace_shim) {
                static const char *const rel[] = { "libjitshim.so", "../lib/jitmem/libjitshim.so", NULL };
                if (util_find_beside_binary("JITMEM_SHIM", rel, shim, sizeof(shim)) < 0) {
                        cli_error("cannot find libjitshim.so beside jitmem (set JITMEM_SHIM to its path)");
                        return CLI_EXIT_RUN_FAILED;
                }
                o.trace_shim = shim;
        }
        r = runner_record(&o, argv + cmd_index, &res);
        if (res.error[0])
                cli_error("%s", res.error);
        if (r == 0 && res.summary) {
                cmd_run_print_summary(stderr, res.summary, argv[cmd_index], o.out, quiet);
                cli_history_add(o.out, NULL, NULL, 0);
        }
        r = res.exit_code;
        if (res.measurement_failed && r != CLI_EXIT_RUN_FAILED) {
                /* the command's own status is in the summary, and said above */
                if (quiet)
                        cli_error("measurement failed (summary.json's measurement_failures); exiting with status 125");
                r = CLI_EXIT_RUN_FAILED;
        }
        runner_result_free(&res);
        return r;
}
