/* jitmem compare: the JIT-off vs JIT-on experiment (compare.c), its command line and its
 * terminal summary. */
#include "cli.h"
#include "jsonout.h"
#include "compare.h"
#include "kfile.h"
#include "loadgen.h"
#include "python_probe.h"
#include "spawn.h"
#include "util.h"
#include "workload.h"

#include <errno.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


static void compare_usage(FILE *f)
{
        fputs("Usage: jitmem compare [OPTIONS] (--workload NAME | -- COMMAND [ARG...])\n"
              "\n"
              "Runs the command N times with PYTHON_JIT=0 and N times with PYTHON_JIT=1, interleaved\n"
              "(off on on off off on on off ...) so that drift hits both modes alike, each a full\n"
              "recorded run (see jitmem run) under OUT/runs/. Then compares the modes: medians, the\n"
              "shift with a 95% confidence interval (Hodges-Lehmann) and a Mann-Whitney p-value for\n"
              "every figure, memory at equal work done, warm-up and growth, and a verdict from the\n"
              "operators' checklist with the number behind each rule. Writes OUT/comparison.json, and\n"
              "OUT/report.html, a page with charts of it (jitmem report), whose path it prints.\n"
              "\n"
              "When the command is a master with pre-forked workers (its children), each worker is\n"
              "followed too: memory per worker at equal work done, workers at once, restarts (a\n"
              "worker started after another one ended) and the JIT warm-up each restart pays again.\n"
              "\n"
              "With several --python, the interpreters are compared side by side in one experiment:\n"
              "each with the JIT off and, when it has JIT machine code, on; every one of these cells\n"
              "runs once a round, every other round in reverse, so that drift hits them alike. It\n"
              "prints a matrix of interpreter x mode, the JIT's delta and verdict per interpreter, and\n"
              "each interpreter against the first with each mode (comparison.json jitmem.compare/2).\n"
              "A command says where the interpreter goes with {python}:\n"
              "  jitmem compare --python python3.14 --python python3.15 --workload broad\n"
              "  jitmem compare --python python3.14 --python python3.15 -- {python} app.py\n"
              "\n"
              "Options:\n"
              "      --workload NAME     a bundled workload: numeric, dynamic, orm, broad, startup, or\n"
              "                          webapp (a pre-forking web service on a free port, driven\n"
              "                          with its request mix as with --http)\n"
              "      --python PY         interpreter for --workload (default python3), and for {python}\n"
              "                          in the command; again for each interpreter to compare (at\n"
              "                          most 8)\n"
              "      --scale S           the workload's amount of work (default 1)\n"
              "      --runs N            runs per mode (default 5: the fewest for which a Mann-Whitney\n"
              "                          test can reach p < 0.05 and a 95% interval exists)\n"
              "      --warmup            one unmeasured run per mode first\n"
              "      --max-runs N        adaptive (one interpreter): after --runs, add a run per mode\n"
              "                          until the 95% interval of peak memory is within\n"
              "                          --target-width of the median, or N runs per mode are done\n"
              "      --target-width PCT  half-width wanted for --max-runs (default 1)\n"
              "      --resume            reuse the completed runs already in OUT\n"
              "  -o, --out DIR           comparison directory, created with its parents (default\n"
              "                          jitmem-compare-YYYYmmdd-HHMMSS); one that holds a comparison\n"
              "                          already is refused unless --resume or --force\n"
              "      --force             replace the comparison already in OUT (its comparison.json and\n"
              "                          runs; nothing else in OUT is touched)\n"
              "      --limit SIZE        memory limit of the container (default: the cgroup's)\n"
              "      --workers N         worker processes sharing the limit (passed to --workload too)\n"
              "      --restart-every DUR\n"
              "                          how often workers restart (gunicorn --max-requests, a deploy;\n"
              "                          default: as often as they did in the runs, if they did)\n"
              "      --min-per-worker SIZE   per-worker limit below which to take care (default 512M)\n"
              "      --min-headroom PCT      headroom at peak with the JIT on, below: NO-GO (default 40)\n"
              "      --max-delta PCT         JIT memory delta as a share of the headroom, above: NO-GO\n"
              "                              (default 10)\n"
              "  -i, --interval DUR      sampling interval (default 50ms; 2ms for --workload startup)\n"
              "      --trace-jit         record every JIT allocation in each run (see jitmem run --help):\n"
              "                          executors compiled and freed and churn are compared too\n"
              "      --http URL          the command is a server: once URL answers, drive it with an HTTP\n"
              "                          load (jitmem load), then stop it; memory is compared at equal\n"
              "                          requests served, with throughput and latency\n"
              "      --rate R            open model: R requests a second whatever the answers (default:\n"
              "                          closed model, each connection sends when answered)\n"
              "      --duration DUR      how long the measured load lasts (default 30s)\n"
              "      --connections N     connections (default 16)\n"
              "      --requests FILE     the request mix, as jitmem load reads it (default GET URL)\n"
              "      --http-warmup DUR   an unmeasured load first (default none)\n"
              "      --ready-timeout DUR how long to wait for URL to answer (default 30s)\n"
              "      --control           compare even when the interpreter has no JIT machine code (a\n"
              "                          control experiment: no difference expected, no verdict)\n"
              "      --json              print comparison.json on stdout instead of the summary\n"
              "      --no-report         do not write OUT/report.html (the HTML report, see jitmem report)\n"
              "      --pyperf PREFIX     also write the runs' memory figures in pyperf's JSON format,\n"
              "                          PREFIX-off.json and PREFIX-on.json, for python -m pyperf\n"
              "                          compare_to PREFIX-off.json PREFIX-on.json (docs/pyperf.md)\n"
              "      --db PATH           the history database the complete result is added to (default:\n"
              "                          $JITMEM_HISTORY_DB, else $XDG_DATA_HOME/jitmem/history.db, else\n"
              "                          ~/.local/share/jitmem/history.db; see jitmem history)\n"
              "      --no-history        do not add the result to the history\n"
              "      --no-pagemap        count the tree's anonymous memory (the JIT's cost) by Pss_Anon\n"
              "                          even as root, where it is read exactly from the page tables\n"
              "                          (see docs/measurements.md)\n"
              "  -h, --help              this help\n"
              "\n"
              "Exit status: 0 the comparison completed (whatever the verdict); 1 it could not be run\n"
              "(no JIT without --control, OUT holds a comparison, a run failed); 2 usage; 130\n"
              "interrupted (completed runs are kept: rerun with --resume).\n",
              f);
}

static volatile int stop_requested;

static void on_stop_signal(int sig)
{
        (void)sig;
        stop_requested = 1;
}

static void status_cb(const char *line)
{
        cli_error("%s", line);
}

static const char *fmt_value(double v, const char *unit, char *buf, size_t size)
{
        if (isnan(v))
                snprintf(buf, size, "-");
        else if (strcmp(unit, "bytes") == 0)
                util_format_signed_bytes(v, "", buf, size);
        else if (strcmp(unit, "us") == 0)
                fmt_value(v / 1e6, "seconds", buf, size);
        else if (strcmp(unit, "seconds") == 0) {
                if (fabs(v) >= 0.01 || v == 0)
                        snprintf(buf, size, "%.3f s", v);
                else if (fabs(v) >= 1e-5)
                        snprintf(buf, size, "%.3f ms", v * 1e3);
                else
                        snprintf(buf, size, "%.2f us", v * 1e6);
        }
        else
                snprintf(buf, size, "%.1f", v);
        return buf;
}

/* After a delta: nothing when significant, " ?" with too few runs for an interval, " ~0" when
 * the interval holds 0. */
static const char *mark(const struct compare_stat *m)
{
        if (compare_stat_significant(m))
                return "";
        return compare_stat_too_few(m) ? " ?" : " ~0";
}

/* Whether a row of the equivalent points has a figure to show: compared at some point (debug
 * images: a row only where some were registered). */
static int point_row_shown(const struct compare_result *c, enum compare_at f, int debug)
{
        for (int k = 0; k < ANALYSIS_POINTS; k++) {
                const struct compare_stat *m = &c->points[k].fig[f];
                if (m->ok && (!debug || m->s.median_b > 0 || m->s.median_a > 0))
                        return 1;
        }
        return 0;
}

/* The sum of RSS against the sum of PSS, at the last point, with the JIT on. */
static void print_rss_vs_pss(const struct compare_result *c)
{
        const struct compare_point *last = &c->points[ANALYSIS_POINTS - 1];
        double rss = compare_stat_median(&last->fig[COMPARE_AT_RSS], 1), pss = compare_stat_median(&last->fig[COMPARE_AT_PSS], 1);
        char a[32], b[32];

        if (!(isfinite(rss) && isfinite(pss) && pss > 0 && rss > pss * 1.05))
                return;
        /* What is shared depends on what runs: workers forked from a master share its memory;
         * otherwise the shared pages are those of files that other processes (of the tree, or
         * anywhere on the machine) map too. */
        int workers = 0;
        for (int k = 0; k < ANALYSIS_POINTS; k++)
                workers |= isfinite(compare_stat_median(&c->points[k].fig[COMPARE_AT_WORKER_PSS], 1));
        printf("  the RSS sum (%s) is %.1fx the PSS sum (%s): it counts each shared page once per process\n"
               "  that maps it (%s);\n"
               "  PSS divides them among the sharers: judge a limit by PSS\n",
               fmt_value(rss, "bytes", a, sizeof(a)), rss / pss, fmt_value(pss, "bytes", b, sizeof(b)),
               workers ? "pre-forked workers share the interpreter, libraries and copy-on-write heap"
                       : "here the pages of the program's files and libraries, which other processes on the machine map too");
}

/* The deltas at the equivalent points, one row per figure that was measured. */
static void print_points(const struct compare_result *c)
{
        static const struct {
                enum compare_at f;
                const char *label;
                int debug;
        } rows[] = {
                { COMPARE_AT_ANON, "anonymous, counted once", 0 },
                { COMPARE_AT_PSS, "tree PSS (sum)", 0 },
                { COMPARE_AT_RSS, "tree RSS (sum)", 0 },
                { COMPARE_AT_JIT, "  JIT code pages", 0 },
                { COMPARE_AT_DEBUG, "  JIT debug images", 1 },
                { COMPARE_AT_REST, "  the rest", 0 },
                { COMPARE_AT_WORKER_PSS, "PSS per worker", 0 },
                { COMPARE_AT_WORKER_RSS, "RSS per worker", 0 },
                { COMPARE_AT_WORKER_JIT, "  JIT code pages", 0 },
                { COMPARE_AT_WORKER_DEBUG, "  JIT debug images", 1 },
                { COMPARE_AT_WORKER_REST, "  the rest", 0 },
        };
        const char *basis = c->basis;
        int images = 0;
        char b[32], cell[48];

        printf("\n  delta at equal %-15s", !strcmp(basis, "requests") ? "requests served"
                                          : !strcmp(basis, "work") ? "work done" : "time");
        for (int k = 0; k < ANALYSIS_POINTS; k++)
                printf(" %13d%%", c->points[k].percent);
        printf("\n");
        for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
                if (!point_row_shown(c, rows[r].f, rows[r].debug))
                        continue;
                images |= rows[r].debug;
                printf("  %-30s", rows[r].label);
                for (int k = 0; k < ANALYSIS_POINTS; k++) {
                        const struct compare_stat *m = &c->points[k].fig[rows[r].f];
                        if (!m->ok) {
                                printf(" %14s", "-");
                                continue;
                        }
                        snprintf(cell, sizeof(cell), "%s%s", fmt_value(m->s.delta, "bytes", b, sizeof(b)), mark(m));
                        printf(" %14s", cell);
                }
                printf("\n");
        }
        int rest = c->points[ANALYSIS_POINTS - 1].fig[COMPARE_AT_REST].ok;
        if (rest && images)
                printf("  RSS = JIT code pages + JIT debug images (registered with GDB's JIT interface, CPython 3.15+)\n"
                       "  + the rest: what only the comparison shows (executor objects, the optimizer's state); the\n"
                       "  rest is negative where the images took heap that was resident and free. Each delta has its\n"
                       "  own interval (medians of differences need not add up)\n");
        else if (rest)
                printf("  RSS = JIT code pages + the rest: what only the comparison shows (executor objects, the\n"
                       "  optimizer's state). Each delta has its own interval (medians of differences need not add up)\n");
        print_rss_vs_pss(c);
}

/* Workers at once, restarts, and the warm-up each restart pays again. */
static void print_workers(const struct compare_result *c)
{
        const struct compare_workers *off = &c->workers[0], *on = &c->workers[1];
        const struct compare_stat *rw = &c->metrics[COMPARE_RESTARTED_WORKER_WARMUP];
        const struct compare_stat *rj = &c->metrics[COMPARE_RESTARTED_WORKER_JIT];
        const struct compare_stat *fw = &c->metrics[COMPARE_WORKER_WARMUP];
        char a[32], b[32], d[32], e[32];

        if (!off->have && !on->have)
                return;
        snprintf(a, sizeof(a), "%g", off->have ? off->at_once : NAN);
        snprintf(b, sizeof(b), "%g", on->have ? on->at_once : NAN);
        snprintf(d, sizeof(d), "%g", off->have ? off->restarts_per_run : NAN);
        snprintf(e, sizeof(e), "%g", on->have ? on->restarts_per_run : NAN);
        printf("  workers at once: %s off, %s on; restarts per run (median): %s off, %s on\n",
               off->have ? a : "-", on->have ? b : "-", off->have ? d : "-", on->have ? e : "-");
        if (compare_stat_median(rj, 1) > 0)
                printf("  with the JIT on, a restarted worker compiled %s of JIT code again, its JIT growing for %s\n"
                       "  (the first workers' JIT grew for %s)\n",
                       fmt_value(compare_stat_median(rj, 1), "bytes", a, sizeof(a)),
                       fmt_value(compare_stat_median(rw, 1), "seconds", b, sizeof(b)),
                       isfinite(compare_stat_median(fw, 1)) ? fmt_value(compare_stat_median(fw, 1), "seconds", d, sizeof(d)) : "-");
}

/* The verdict first: one sentence, then each rule with its number. */
static void print_verdict(const struct compare_result *c)
{
        const struct verdict *v = &c->verdict;

        printf("%s\n\n", v->sentence);
        if (c->control) {
                int n = 0, differ = 0;
                for (int k = 0; k < COMPARE_METRIC_MAX; k++)
                        if (c->metrics[k].ok) {
                                n++;
                                differ += compare_stat_significant(&c->metrics[k]);
                        }
                printf("  a control experiment, nothing to decide: %d of the %d figures below differ measurably between\n"
                       "  PYTHON_JIT=0 and =1 (p < 0.05; where PYTHON_JIT changes nothing, a figure does so by chance\n"
                       "  at most 1 time in 20).\n",
                       differ, n);
        }
        for (int i = 0; i < v->n; i++)
                printf("  %-13s %-22s %s\n", verdict_status_name(v->rules[i].status), v->rules[i].name, v->rules[i].reason);
}

/* A figure measured in one mode (of: "mode") or interpreter only (none: nothing). */
static void print_one_mode(const char *name, const char *unit, const struct compare_stat *m, const char *of)
{
        char a[32], b[32];

        /* figures this kind of run never has (latency without --http ...) are left out */
        if (m->n_off > 0 || m->n_on > 0)
                printf("  %-32s %12s %12s  (measured in one %s only)\n", name,
                       fmt_value(compare_stat_median(m, 0), unit, a, sizeof(a)),
                       fmt_value(compare_stat_median(m, 1), unit, b, sizeof(b)), of);
}

/* One figure compared: medians, delta, the interval of the shift and p. */
static void print_stat_row(const char *name, const char *unit, const struct compare_stat *m, const char *of)
{
        char a[32], b[32], d[32], lo[32], hi[32], interval[96];

        if (!m->ok) {
                print_one_mode(name, unit, m, of);
                return;
        }
        /* each end in [ ] belongs to the interval, in ( ) not; unbounded: infinite */
        snprintf(interval, sizeof(interval), "%c%s, %s%c%s", m->s.ci_low_closed ? '[' : '(',
                 isfinite(m->s.ci_low) ? fmt_value(m->s.ci_low, unit, lo, sizeof(lo)) : "-inf",
                 isfinite(m->s.ci_high) ? fmt_value(m->s.ci_high, unit, hi, sizeof(hi)) : "+inf",
                 m->s.ci_high_closed ? ']' : ')', mark(m));
        printf("  %-32s %12s %12s %12s  %-27s %7.3f\n", name, fmt_value(compare_stat_median(m, 0), unit, a, sizeof(a)),
               fmt_value(compare_stat_median(m, 1), unit, b, sizeof(b)), fmt_value(m->s.delta, unit, d, sizeof(d)),
               interval, m->s.p_value);
}

/* Every figure compared. */
static void print_metrics(const struct compare_result *c)
{
        printf("\n  %-32s %12s %12s %12s  %-27s %7s\n", "figure (median)", "JIT off", "JIT on", "delta", "95% interval of the shift",
               "p");
        for (int k = 0; k < COMPARE_METRIC_MAX; k++)
                print_stat_row(compare_metrics[k].name, compare_metrics[k].unit, &c->metrics[k], "mode");
}

/* Growth after warm-up per mode, and the class most runs have. */
static void print_growth(const struct compare_result *c)
{
        const struct compare_growth *off = &c->growth[0], *on = &c->growth[1];

        if (off->runs == 0 || on->runs == 0)
                return;
        printf("\n  after warm-up: JIT off %s, JIT on %s", off->shape, on->shape);
        if (strcmp(off->shape, "growing") == 0 && strcmp(on->shape, "growing") == 0)
                printf(" -- growth in both modes: a leak, not the JIT");
        else if (strcmp(on->shape, "growing") == 0)
                printf(" -- growth with the JIT on only");
        printf("\n");
        printf("  growth class over the run (most runs; see jitmem analyze): JIT off %s, JIT on %s\n",
               growth_class_name(off->cls), growth_class_name(on->cls));
}

/* How long before RSS VSZ reached 90% of its growth. */
static void print_lead(const struct compare_result *c)
{
        char b[32];

        if (!c->have_lead[1])
                return;
        double l = c->vsz_lead_s[1];
        if (fabs(l) < 5e-4)
                printf("  VSZ and RSS reached 90%% of their growth at the same tick with the JIT on");
        else
                printf("  VSZ reached 90%% of its growth %.2f s %s RSS with the JIT on", fabs(l), l > 0 ? "before" : "after");
        printf(" (VSZ lead %s with it off)\n", c->have_lead[0] ? fmt_value(c->vsz_lead_s[0], "seconds", b, sizeof(b)) : "-");
}

/* How the anonymous memory was counted, who else mapped the tree's pages, and the legend. */
static void print_notes(const struct compare_result *c)
{
        char a[32], b[32];

        if (c->anon_method)
                printf("  anonymous memory (the JIT's cost) counted once %s\n",
                       strcmp(c->anon_method, "pagemap") == 0 ? "from the page tables (pagemap: exact)"
                                                              : "as the sum of Pss_Anon (exact unless processes outside the tree share it;\n"
                                                                "  run as root to read the page tables)");
        if (c->anon_outside_max > 0)
                printf("  processes outside the tree mapped up to %s of its anonymous memory (in %d runs): a parent it\n"
                       "  was forked from, or KSM; counted once in the tree's all the same\n",
                       fmt_value(c->anon_outside_max, "bytes", a, sizeof(a)), c->anon_outside_runs);
        if (c->file_pss_runs >= 2 && c->outside_sharers_changed)
                printf("  other processes mapping the same files came and went during the comparison: the tree's share\n"
                       "  of its file pages (PSS less anonymous memory, at the end of each run) ranged from %s to %s;\n"
                       "  PSS moved with them, so the JIT's cost is judged on the anonymous memory, which they do not move\n",
                       fmt_value(c->file_pss_min, "bytes", b, sizeof(b)), fmt_value(c->file_pss_max, "bytes", a, sizeof(a)));
        printf("  ~0: the interval holds 0, no measurable difference (exactly when p >= 0.05); ?: too few runs for\n"
               "  a 95%% interval (4 per mode at least). An end in [ ] is in the interval, in ( ) it is not.\n"
               "  Details: comparison.json\n");
}

/* The summary on stdout: the verdict, every figure, growth, memory at the equivalent points,
 * workers, VSZ's lead and the notes. */
static void print_summary(const struct compare_result *c)
{
        if (c->measurement_failed > 0)
                printf("MEASUREMENT FAILED in %d of %d runs: %s. The JIT trace of %s disagrees with /proc (or could\n"
                       "not be read): the trace's figures of %s (executors compiled and freed, churn) are not to be\n"
                       "trusted; the memory figures, read from /proc, stand. Each run's summary.json says more.\n\n",
                       c->measurement_failed, c->runs_completed, c->measurement_failed_runs,
                       c->measurement_failed == 1 ? "that run" : "those runs", c->measurement_failed == 1 ? "that run" : "those runs");
        print_verdict(c);
        print_metrics(c);
        print_growth(c);
        print_points(c);
        print_workers(c);
        print_lead(c);
        print_notes(c);
}


/* The figures a matrix shows on the terminal (comparison.json has every one), and their
 * columns' headings. */
static const enum compare_metric matrix_figures[] = {
        COMPARE_PEAK_PSS, COMPARE_PEAK_ANON, COMPARE_STEADY_PSS, COMPARE_PEAK_JIT, COMPARE_PEAK_DEBUG,
        COMPARE_CPU_PER_UNIT, COMPARE_WALL, COMPARE_THROUGHPUT, COMPARE_LATENCY_P50, COMPARE_LATENCY_P99,
};
static const char *const matrix_heads[] = {
        "peak PSS", "peak anon", "steady PSS", "JIT code", "debug images", "CPU/unit", "wall", "units/s", "p50", "p99",
};
#define MATRIX_FIGURES (sizeof(matrix_figures) / sizeof(matrix_figures[0]))

/* The matrix's columns: the figures some cell measured (debug images: where some were). */
static int matrix_column_shown(const struct compare_result *c, enum compare_metric f)
{
        for (int k = 0; k < c->n_interp; k++)
                for (int on = 0; on <= 1; on++) {
                        double v = compare_stat_median(&c->interp[k]->metrics[f], on);
                        if (isfinite(v) && (f != COMPARE_PEAK_DEBUG || v > 0))
                                return 1;
                }
        return 0;
}

/* A matrix: a row per interpreter and mode with the medians; each interpreter's JIT, on - off,
 * and its verdict; each interpreter against the first, per mode. */
static void print_matrix(const struct compare_result *c, const struct compare_interp *in)
{
        char v[32], head[64];

        for (int k = 0; k < c->n_interp; k++) {
                const struct compare_result *r = c->interp[k];
                if (r->measurement_failed > 0)
                        printf("MEASUREMENT FAILED in %d of %s's %d runs: %s. The JIT trace of %s disagrees with /proc (or\n"
                               "could not be read): its figures (executors compiled and freed, churn) are not to be trusted;\n"
                               "the memory figures, read from /proc, stand. Each run's summary.json says more.\n\n",
                               r->measurement_failed, in[k].label, r->runs_completed, r->measurement_failed_runs,
                               r->measurement_failed == 1 ? "that run" : "those runs");
        }
        printf("%d interpreters, %s; medians of the runs of each (names as in comparison.json below):\n\n  %-22s %-4s %4s", c->n_interp,
               c->complete ? "every run completed" : "NOT every run completed", "interpreter", "JIT", "runs");
        for (size_t f = 0; f < MATRIX_FIGURES; f++)
                if (matrix_column_shown(c, matrix_figures[f]))
                        printf(" %12s", matrix_heads[f]);
        printf("\n");
        for (int k = 0; k < c->n_interp; k++)
                for (int on = 0; on <= in[k].jit; on++) {
                        size_t runs = 0; /* the runs of the cell with a figure */
                        for (int m = 0; m < COMPARE_METRIC_MAX; m++) {
                                const struct compare_stat *st = &c->interp[k]->metrics[m];
                                runs = (on ? st->n_on : st->n_off) > runs ? (on ? st->n_on : st->n_off) : runs;
                        }
                        printf("  %-22s %-4s %4zu", in[k].label, on ? "on" : "off", runs);
                        for (size_t f = 0; f < MATRIX_FIGURES; f++)
                                if (matrix_column_shown(c, matrix_figures[f]))
                                        printf(" %12s", fmt_value(compare_stat_median(&c->interp[k]->metrics[matrix_figures[f]], on),
                                                                  compare_metrics[matrix_figures[f]].unit, v, sizeof(v)));
                        printf("\n");
                }
        for (int k = 0; k < c->n_interp; k++) {
                const struct compare_result *r = c->interp[k];
                if (!in[k].jit) {
                        printf("\n%s: no JIT machine code (JIT: %s), run with the JIT off only: no verdict\n", in[k].label,
                               python_jit_build_text(in[k].python->build));
                        continue;
                }
                printf("\n%s, the JIT on against off: %s\n", in[k].label, r->verdict.sentence);
                printf("  %-32s %12s %12s %12s  %-27s %7s\n", "figure (median)", "JIT off", "JIT on", "delta",
                       "95% interval of the shift", "p");
                for (size_t f = 0; f < MATRIX_FIGURES; f++)
                        print_stat_row(compare_metrics[matrix_figures[f]].name, compare_metrics[matrix_figures[f]].unit,
                                       &r->metrics[matrix_figures[f]], "mode");
        }
        for (int b = 0; b < c->n_between; b++) {
                const struct compare_between *d = &c->between[b];
                printf("\n%s against %s, both with the JIT %s:\n", in[d->other].label, in[d->base].label, d->on ? "on" : "off");
                snprintf(head, sizeof(head), "%.12s", in[d->base].label);
                printf("  %-32s %12s", "figure (median)", head);
                snprintf(head, sizeof(head), "%.12s", in[d->other].label);
                printf(" %12s %12s  %-27s %7s\n", head, "delta", "95% interval of the shift", "p");
                for (size_t f = 0; f < MATRIX_FIGURES; f++)
                        print_stat_row(compare_metrics[matrix_figures[f]].name, compare_metrics[matrix_figures[f]].unit,
                                       &d->metrics[matrix_figures[f]], "interpreter");
        }
        printf("\n  ~0: the interval holds 0, no measurable difference (exactly when p >= 0.05); ?: too few runs for\n"
               "  a 95%% interval (4 per cell at least). An end in [ ] is in the interval, in ( ) it is not.\n"
               "  Every figure, each interpreter's comparison in full and its runs: comparison.json\n");
}

/* jitmem compare's command line as it is read and resolved: the options for compare_experiment and
 * what they point into. */
struct compare_cli {
        struct compare_options o;
        struct cli_workload w;          /* the command and its load (workload.h) */
        struct python_info *pi;         /* the probed interpreter */
        /* several --python: a matrix */
        const char *pythons[COMPARE_INTERP_MAX + 1];
        int n_pythons;
        struct python_info *pis[COMPARE_INTERP_MAX];
        struct compare_interp interps[COMPARE_INTERP_MAX];
        char **argvs[COMPARE_INTERP_MAX + 1]; /* each interpreter's command, then the template */
        char **first_argv;              /* a command's, with the first interpreter, for the setup */
        char resolved[COMPARE_INTERP_MAX][KFILE_PATH_MAX]; /* each --python found on PATH */
        int force, json, interval_set;
        int no_report;                  /* --no-report */
        const char *pyperf;             /* --pyperf PREFIX */
        char default_out[64], err[1024];
};

/* Returned by the steps below to go on to the next one; anything else is the exit status. */
#define GO_ON CLI_WORKLOAD_GO_ON

static const struct option compare_opts[] = {
        { "workload", required_argument, NULL, 'w' },
        { "python", required_argument, NULL, 'p' },
        { "scale", required_argument, NULL, 's' },
        { "runs", required_argument, NULL, 'n' },
        { "warmup", no_argument, NULL, 'W' },
        { "max-runs", required_argument, NULL, 'X' },
        { "target-width", required_argument, NULL, 'T' },
        { "resume", no_argument, NULL, 'R' },
        { "out", required_argument, NULL, 'o' },
        { "limit", required_argument, NULL, 'l' },
        { "workers", required_argument, NULL, 'k' },
        { "restart-every", required_argument, NULL, 'r' },
        { "min-per-worker", required_argument, NULL, 'M' },
        { "min-headroom", required_argument, NULL, 'H' },
        { "max-delta", required_argument, NULL, 'D' },
        { "interval", required_argument, NULL, 'i' },
        { "force", no_argument, NULL, 'F' },
        { "control", no_argument, NULL, 'f' },
        { "trace-jit", no_argument, NULL, 't' },
        { "http", required_argument, NULL, 'U' },
        { "rate", required_argument, NULL, 'q' },
        { "duration", required_argument, NULL, 'd' },
        { "connections", required_argument, NULL, 'c' },
        { "requests", required_argument, NULL, 'Q' },
        { "http-warmup", required_argument, NULL, 'w' + 256 },
        { "ready-timeout", required_argument, NULL, 'y' },
        { "json", no_argument, NULL, 'j' },
        { "no-pagemap", no_argument, NULL, 'g' + 256 },
        { "no-report", no_argument, NULL, 'r' + 256 },
        { "pyperf", required_argument, NULL, 'P' + 256 },
        { "db", required_argument, NULL, CLI_OPT_DB },
        { "no-history", no_argument, NULL, CLI_OPT_NO_HISTORY },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
};

static void compare_cli_init(struct compare_cli *s)
{
        memset(s, 0, sizeof(*s));
        cli_workload_init(&s->w);
        runner_options_default(&s->o.run);
        s->o.run.interval_ns = 50000000ULL;
        s->o.runs = COMPARE_RUNS_DEFAULT;
        s->o.target_width = 0.01;
        s->o.workers = 1;
        verdict_thresholds_default(&s->o.thresholds);
        s->o.status = status_cb;
}

/* The options of the experiment itself: what runs, how many times, where. Returns GO_ON, an
 * exit status, or 0 with *ret_mine 0 when c is not one of them. */
static int parse_run_option(struct compare_cli *s, int c, int *ret_mine)
{
        uint64_t u;

        *ret_mine = 1;
        switch (c) {
        case 'w': s->o.workload = s->w.name = optarg; break;
        case 'p':
                if (cli_empty_value("compare", "--python", optarg, "an interpreter"))
                        return CLI_EXIT_USAGE;
                if (s->n_pythons == COMPARE_INTERP_MAX)
                        return cli_usage_error("compare", "too many --python: at most %d interpreters in one comparison",
                                               COMPARE_INTERP_MAX);
                s->pythons[s->n_pythons++] = optarg;
                if (s->n_pythons == 1)
                        s->w.python = optarg;
                break;
        case 's': {
                double v;
                if (util_parse_number(optarg, &v) < 0 || !(v > 0) || v > 1000)
                        return cli_usage_error("compare", "bad --scale '%s': expected a number above 0, at most 1000", optarg);
                s->w.scale = optarg;
                break;
        }
        case 'n':
                if (util_parse_u64(optarg, strlen(optarg), &u) != (int)strlen(optarg) || u < 1 || u > 50)
                        return cli_usage_error("compare", "bad --runs '%s': expected a whole number from 1 to 50", optarg);
                s->o.runs = (int)u;
                break;
        case 'W': s->o.warmup = 1; break;
        case 'X':
                if (util_parse_u64(optarg, strlen(optarg), &u) != (int)strlen(optarg) || u < 1 || u > 50)
                        return cli_usage_error("compare", "bad --max-runs '%s': expected a whole number from 1 to 50", optarg);
                s->o.max_runs = (int)u;
                break;
        case 'T': {
                double v;
                if (util_parse_number(optarg, &v) < 0 || !(v > 0) || v > 100)
                        return cli_usage_error("compare", "bad --target-width '%s': expected a percentage above 0, at most 100", optarg);
                s->o.target_width = v / 100;
                break;
        }
        case 'R': s->o.resume = 1; break;
        case 'o':
                if (cli_empty_value("compare", "--out", optarg, "a directory"))
                        return CLI_EXIT_USAGE;
                s->o.out = optarg;
                break;
        case 'i':
                s->interval_set = 1;
                if (util_parse_duration(optarg, &s->o.run.interval_ns) < 0 || s->o.run.interval_ns < 1000000ULL ||
                    s->o.run.interval_ns > 3600000000000ULL)
                        return cli_usage_error("compare", "bad --interval '%s': expected a duration from 1ms to 1h; units: " UTIL_DURATION_UNITS, optarg);
                break;
        case 'f': s->force = 1; break;
        case 'F': s->o.force = 1; break;
        case 'j': s->json = 1; break;
        case 'r' + 256: s->no_report = 1; break;
        case 'P' + 256:
                if (cli_empty_value("compare", "--pyperf", optarg, "a file name prefix") || cli_pyperf_check(optarg) < 0)
                        return CLI_EXIT_USAGE;
                s->pyperf = optarg;
                break;
        case 'g' + 256: s->o.run.no_pagemap = 1; break;
        default:
                *ret_mine = 0;
        }
        return GO_ON;
}

/* --trace-jit: the shim beside the binary. */
static int find_shim(struct compare_cli *s)
{
        static char shim[4096];
        static const char *const rel[] = { "libjitshim.so", "../lib/jitmem/libjitshim.so", NULL };

        if (util_find_beside_binary("JITMEM_SHIM", rel, shim, sizeof(shim)) < 0) {
                cli_error("cannot find libjitshim.so beside jitmem (set JITMEM_SHIM to its path)");
                return CLI_EXIT_FAILURE;
        }
        s->o.run.trace_shim = shim;
        return GO_ON;
}

/* The options of the verdict: the limit, the workers sharing it, restarts, thresholds. */
static int parse_verdict_option(struct compare_cli *s, int c, int *ret_mine)
{
        uint64_t u;

        *ret_mine = 1;
        switch (c) {
        case 'l':
                if (util_parse_size(optarg, &s->o.limit_bytes) < 0 || s->o.limit_bytes == 0)
                        return cli_usage_error("compare", "bad --limit '%s': expected a size such as 384M", optarg);
                s->o.have_limit = 1;
                break;
        case 'k':
                if (util_parse_u64(optarg, strlen(optarg), &u) != (int)strlen(optarg) || u < 1 || u > 1024)
                        return cli_usage_error("compare", "bad --workers '%s': expected a whole number from 1 to 1024", optarg);
                s->o.workers = s->w.workers = (int)u;
                s->w.workers_set = 1;
                snprintf(s->w.workers_s, sizeof(s->w.workers_s), "%d", s->o.workers);
                break;
        case 'r':
                if (util_parse_duration(optarg, &s->o.restart_ns) < 0 || s->o.restart_ns == 0)
                        return cli_usage_error("compare", "bad --restart-every '%s': expected a duration such as 10m; units: " UTIL_DURATION_UNITS, optarg);
                break;
        case 'M':
                if (util_parse_size(optarg, &u) < 0)
                        return cli_usage_error("compare", "bad --min-per-worker '%s': expected a size", optarg);
                s->o.thresholds.per_worker_min_bytes = (double)u;
                break;
        case 'H':
        case 'D': {
                double v;
                if (util_parse_number(optarg, &v) < 0 || v > 100)
                        return cli_usage_error("compare", "bad --%s '%s': expected a percentage from 0 to 100",
                                               c == 'H' ? "min-headroom" : "max-delta", optarg);
                if (c == 'H')
                        s->o.thresholds.headroom_min = v / 100;
                else
                        s->o.thresholds.delta_max_of_headroom = v / 100;
                break;
        }
        default:
                *ret_mine = 0;
        }
        return GO_ON;
}

static int parse_options(struct compare_cli *s, int argc, char **argv)
{
        int c, code, mine;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:o:i:h", compare_opts, NULL)) != -1) {
                if (c == 't')
                        code = find_shim(s);
                else if (c == 'h') {
                        compare_usage(stdout);
                        return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
                } else {
                        code = parse_run_option(s, c, &mine);
                        if (!mine)
                                code = parse_verdict_option(s, c, &mine);
                        if (!mine)
                                code = cli_workload_http_option("compare", &s->w, c, optarg, &mine);
                        if (!mine)
                                code = cli_history_option("compare", c, optarg, &mine);
                        if (!mine)
                                return cli_option_error("compare", c, argv);
                }
                if (code != GO_ON)
                        return code;
        }
        return GO_ON;
}

/* Is there a JIT to compare? */
static int check_jit(struct compare_cli *s)
{
        char safe[CLI_TEXT_SIZE], vsafe[4 * 64 + 1]; /* the version is the interpreter's word */

        if (!s->w.probe) {
                cli_error("note: %s is not a Python interpreter jitmem can probe; comparing PYTHON_JIT=0 and =1 as given",
                          cli_text(s->o.argv[0], safe, sizeof(safe)));
                return GO_ON;
        }
        s->pi = calloc(1, sizeof(*s->pi));
        if (!s->pi || python_probe(s->w.interp, PYTHON_PROBE_TIMEOUT_NS, 0, 0, s->pi, s->err, sizeof(s->err)) < 0) {
                cli_error("cannot probe %s: %s", cli_text(s->w.interp, safe, sizeof(safe)), s->err[0] ? s->err : "out of memory");
                return CLI_EXIT_FAILURE;
        }
        s->o.python = s->pi;
        /* A bundled workload runs on the interpreter itself, not through a launcher (a pyenv
         * shim is a shell script whose helpers would be measured too). */
        if (s->o.workload && s->pi->executable[0] && access(s->pi->executable, X_OK) == 0)
                s->w.wargv[0] = s->pi->executable;
        int machine_code = s->pi->build == PY_JIT_BUILT_ON || s->pi->build == PY_JIT_BUILT_OFF;
        if (!machine_code && !s->force) {
                cli_error("%s (Python %s) has no JIT machine code (JIT: %s): comparing PYTHON_JIT=0 and =1 "
                          "would measure nothing. Use a JIT-enabled build (see README.md), or add --control "
                          "to run the comparison as a control experiment.",
                          cli_text(s->w.interp, safe, sizeof(safe)), cli_text(s->pi->version, vsafe, sizeof(vsafe)), python_jit_build_text(s->pi->build));
                return CLI_EXIT_FAILURE;
        }
        if (!machine_code)
                cli_error("control experiment: %s has no JIT machine code, no difference is expected",
                          cli_text(s->w.interp, safe, sizeof(safe)));
        return GO_ON;
}

/* In a command, the argument that stands for each --python. */
#define PY_TOKEN "{python}"

/* A copy of argv (the array; the strings are argv's) with each argument PY_TOKEN replaced by py
 * (NULL: none replaced) and, with first, argv[0] replaced by it; *ret_found counts PY_TOKEN.
 * NULL when out of memory. */
static char **argv_with(char *const *argv, const char *py, int first, int *ret_found)
{
        size_t n = 0;
        char **a;

        while (argv[n])
                n++;
        a = calloc(n + 1, sizeof(*a));
        if (!a)
                return NULL;
        *ret_found = 0;
        for (size_t i = 0; i < n; i++) {
                int token = strcmp(argv[i], PY_TOKEN) == 0;
                *ret_found += token;
                a[i] = (token && py) || (first && i == 0) ? (char *)py : argv[i];
        }
        return a;
}

/* Several --python with a command: it says where the interpreter goes ({python}); the setup
 * reads the command with the first interpreter there. With one --python, {python} is replaced
 * by it too. Returns GO_ON or an exit status. */
static int command_with_python(struct compare_cli *s, int argc, char **argv)
{
        int found = 0;

        if (s->o.workload || optind >= argc || s->n_pythons == 0)
                return GO_ON;
        s->first_argv = argv_with(argv + optind, s->pythons[0], 0, &found);
        if (!s->first_argv) {
                cli_error("out of memory");
                return CLI_EXIT_FAILURE;
        }
        if (!found && s->n_pythons > 1)
                return cli_usage_error("compare", "with several --python, the command says where the interpreter goes: "
                                       "-- " PY_TOKEN " app.py ...");
        s->argvs[COMPARE_INTERP_MAX] = argv_with(argv + optind, NULL, 0, &found); /* the template */
        if (!s->argvs[COMPARE_INTERP_MAX]) {
                cli_error("out of memory");
                return CLI_EXIT_FAILURE;
        }
        return GO_ON;
}

/* A label for interpreter k of the matrix: its version, with " (2)" ... when another has it. */
static void matrix_label(struct compare_cli *s, int k)
{
        char version[40];
        int same = 0;

        /* the version is the interpreter's word: made safe to print (and so valid in JSON too) */
        util_escape_text(s->pis[k]->version, strlen(s->pis[k]->version), version, sizeof(version));
        for (int j = 0; j < k; j++)
                same += strcmp(s->pis[j]->version, s->pis[k]->version) == 0;
        if (same)
                snprintf(s->interps[k].label, sizeof(s->interps[k].label), "%s (%d)", version, same + 1);
        else
                snprintf(s->interps[k].label, sizeof(s->interps[k].label), "%s", version);
}

/* Several --python: each interpreter found, probed and given its command; one without JIT
 * machine code runs with the JIT off only. Returns GO_ON or an exit status. */
static int check_matrix(struct compare_cli *s)
{
        char safe[CLI_TEXT_SIZE], interp[KFILE_PATH_MAX];
        int found;

        for (int k = 0; k < s->n_pythons; k++) {
                const char *py = s->pythons[k];
                char *resolved = s->resolved[k];
                int r = spawn_resolve(py, resolved, sizeof(s->resolved[k]));
                if (r < 0) {
                        cli_error("--python %s: %s", cli_text(py, safe, sizeof(safe)), r == -ENOENT ? "not found" : util_strerror(r));
                        return CLI_EXIT_FAILURE;
                }
                if (python_find_interpreter(resolved, interp, sizeof(interp)) != 1) {
                        cli_error("--python %s is not a Python interpreter jitmem can probe", cli_text(py, safe, sizeof(safe)));
                        return CLI_EXIT_FAILURE;
                }
                s->pis[k] = calloc(1, sizeof(*s->pis[k]));
                if (!s->pis[k] || python_probe(interp, PYTHON_PROBE_TIMEOUT_NS, 0, 0, s->pis[k], s->err, sizeof(s->err)) < 0) {
                        cli_error("cannot probe %s: %s", cli_text(interp, safe, sizeof(safe)), s->err[0] ? s->err : "out of memory");
                        return CLI_EXIT_FAILURE;
                }
                struct compare_interp *in = &s->interps[k];
                in->python = s->pis[k];
                in->jit = s->pis[k]->build == PY_JIT_BUILT_ON || s->pis[k]->build == PY_JIT_BUILT_OFF;
                matrix_label(s, k);
                /* a bundled workload runs on the interpreter itself (not a launcher), a command
                 * with the interpreter named where {python} is */
                if (s->o.workload)
                        s->argvs[k] = argv_with(s->w.argv, s->pis[k]->executable[0] && access(s->pis[k]->executable, X_OK) == 0
                                                ? s->pis[k]->executable : resolved, 1, &found);
                else
                        s->argvs[k] = argv_with(s->argvs[COMPARE_INTERP_MAX], resolved, 0, &found);
                if (!s->argvs[k]) {
                        cli_error("out of memory");
                        return CLI_EXIT_FAILURE;
                }
                in->argv = s->argvs[k];
                if (!in->jit)
                        cli_error("note: %s (Python %s) has no JIT machine code (JIT: %s): it runs with the JIT off only",
                                  cli_text(s->pythons[k], safe, sizeof(safe)), s->interps[k].label,
                                  python_jit_build_text(s->pis[k]->build));
        }
        if (s->o.workload) {
                s->argvs[COMPARE_INTERP_MAX] = argv_with(s->w.argv, PY_TOKEN, 1, &found);
                if (!s->argvs[COMPARE_INTERP_MAX]) {
                        cli_error("out of memory");
                        return CLI_EXIT_FAILURE;
                }
        }
        s->o.argv = s->argvs[COMPARE_INTERP_MAX];
        s->o.python = NULL;
        s->o.interp = s->interps;
        s->o.n_interp = s->n_pythons;
        return GO_ON;
}

/* Runs the comparison and prints it (the summary, or comparison.json with --json). */
static int run_comparison(struct compare_cli *s)
{
        struct compare_result *result = NULL;
        int r, code = CLI_EXIT_FAILURE;

        if (!s->o.out)
                s->o.out = util_new_dir_name("jitmem-compare", s->default_out, sizeof(s->default_out));
        /* A signal between two runs stops the comparison there (during a run, the run's own
         * handling forwards it to the command, which ends the run and the comparison). */
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_stop_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        s->o.stop = &stop_requested;
        r = compare_experiment(&s->o, &result, s->err, sizeof(s->err));
        if (r < 0) {
                char safe[CLI_TEXT_SIZE]; /* it may quote a command, a path or the server's URL */
                cli_error("%s", cli_text(s->err, safe, sizeof(safe)));
        }
        if (result) {
                if (s->json) {
                        if (jsonout_dumpf(result->json, stdout, JSONOUT_DUMP_FLAGS) == 0)
                                fputc('\n', stdout);
                } else if (r == 0 && result->n_interp > 1) {
                        print_matrix(result, s->interps);
                } else if (r == 0) {
                        print_summary(result);
                }
        }
        if (result && result->json && result->runs_completed > 0 && s->pyperf)
                cli_write_pyperf(&result->json, NULL, 1, s->pyperf);
        if (r == 0 && result)
                cli_history_add(s->o.out, result->json, s->w.name, 1);
        if (result && result->runs_completed > 0 && !s->no_report)
                cli_write_report(s->o.out);
        if (cli_close_stdout() < 0)
                cli_error("cannot write to stdout");
        else
                code = r == 0 ? CLI_EXIT_OK : r == -EINTR ? CLI_EXIT_INTERRUPTED : CLI_EXIT_FAILURE;
        compare_result_free(result);
        return code;
}

int cmd_compare(int argc, char **argv)
{
        struct compare_cli s;
        int code;

        compare_cli_init(&s);
        code = parse_options(&s, argc, argv);
        if (code == GO_ON && s.n_pythons > 1 && s.o.max_runs > s.o.runs)
                code = cli_usage_error("compare", "--max-runs takes one interpreter; with several, give --runs");
        if (code == GO_ON)
                code = command_with_python(&s, argc, argv);
        if (code == GO_ON && s.first_argv) {
                int n = 0;
                while (s.first_argv[n])
                        n++;
                code = cli_workload_setup("compare", &s.w, n, s.first_argv, 0);
        } else if (code == GO_ON) {
                code = cli_workload_setup("compare", &s.w, argc, argv, optind);
        }
        if (code == GO_ON) {
                s.o.argv = s.w.argv;
                s.o.workers = s.w.workers;
                if (s.w.have_http)
                        s.o.http = &s.w.http;
                if (s.w.startup && !s.interval_set) {
                        s.o.run.interval_ns = 2000000ULL; /* it lasts tens of milliseconds: */
                        s.o.run.heavy_ns = 2000000ULL;    /* PSS every tick too, or its peak is luck */
                }
                code = s.n_pythons > 1 ? check_matrix(&s) : check_jit(&s);
        }
        if (code == GO_ON)
                code = run_comparison(&s);
        cli_workload_free(&s.w);
        free(s.pi);
        for (int k = 0; k < COMPARE_INTERP_MAX; k++)
                free(s.pis[k]);
        for (int k = 0; k <= COMPARE_INTERP_MAX; k++)
                free(s.argvs[k]);
        free(s.first_argv);
        return code;
}
