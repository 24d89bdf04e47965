/* jitmem compare's summary, printed from a synthetic comparison (struct compare_result). The
 * printer is static to the command's file, which is compiled in here whole. */
#include "cmd_compare.c"
#include "unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIB (1024.0 * 1024.0)

/* Runs with nothing measured but what each test sets. */
static void blank_runs(struct compare_sample *runs, int n)
{
        memset(runs, 0, sizeof(*runs) * (size_t)n);
        for (int i = 0; i < n; i++) {
                struct analysis *a = &runs[i].a;
                runs[i].on = i % 2;
                runs[i].analysed = 1;
                a->peak_rss = a->peak_pss = a->peak_anon = a->peak_anon_pss = a->steady_rss = a->steady_pss = -1;
                a->worker_peak_rss = a->worker_peak_pss = a->peak_jit = a->final_jit = a->startup_rss = -1;
                a->cpu_s = a->wall_s = a->throughput = a->warmup_end_s = a->latency_p50_us = a->latency_p99_us = -1;
                a->executors_compiled = a->executors_freed = a->churn_ratio = -1;
                a->restarts = -1;
                a->first_warmup_s = a->restart_warmup_s = a->restart_jit = -1;
                runs[i].cpu_per_unit = -1;
                a->peak_dbg = a->peak_dbg_images = a->peak_attributed = -1;
                for (int k = 0; k < ANALYSIS_POINTS; k++)
                        a->rss_at[k] = a->pss_at[k] = a->worker_rss_at[k] = a->worker_pss_at[k] = a->worker_jit_at[k] =
                                a->anon_at[k] = a->anon_pss_at[k] = a->jit_at[k] = a->dbg_at[k] = a->rest_at[k] =
                                        a->worker_dbg_at[k] = a->worker_rest_at[k] = -1;
        }
}

/* The comparison of those runs, as compare_experiment computes it. */
static void compare_runs(struct compare_result *c, const struct compare_sample *runs, int n)
{
        for (int k = 0; k < COMPARE_METRIC_MAX; k++)
                c->metrics[k] = compare_stat_of(runs, n, compare_metrics[k].get, 0);
        c->basis = "work";
        for (int k = 0; k < ANALYSIS_POINTS; k++) {
                c->points[k].percent = 25 * (k + 1);
                for (int f = 0; f < COMPARE_AT_MAX; f++)
                        c->points[k].fig[f] = compare_stat_of(runs, n, compare_point_figures[f].get, k);
        }
        c->verdict.overall = "GO";
        snprintf(c->verdict.sentence, sizeof(c->verdict.sentence), "GO: a sentence");
        c->verdict.n = 2;
        c->verdict.rules[0].name = "headroom_at_peak";
        c->verdict.rules[0].status = VERDICT_PASS;
        snprintf(c->verdict.rules[0].reason, sizeof(c->verdict.rules[0].reason), "62%% left");
        c->verdict.rules[1].name = "speed_vs_memory";
        c->verdict.rules[1].status = VERDICT_NOT_EVALUATED;
        snprintf(c->verdict.rules[1].reason, sizeof(c->verdict.rules[1].reason), "no speed");
        c->anon_outside_max = -1;
}

/* The interpreters print_matrix is given (printed() prints a matrix when it has them). */
static const struct compare_interp *matrix_interps;

/* What print_summary (or print_matrix) writes on stdout, in a buffer the caller frees. */
static char *printed(const struct compare_result *c)
{
        FILE *f = tmpfile();
        int saved = dup(STDOUT_FILENO);
        char *buf = calloc(1, 65536);

        if (!f || saved < 0 || !buf)
                return buf;
        fflush(stdout);
        dup2(fileno(f), STDOUT_FILENO);
        if (c->n_interp > 1)
                print_matrix(c, matrix_interps);
        else
                print_summary(c);
        fflush(stdout);
        dup2(saved, STDOUT_FILENO);
        close(saved);
        rewind(f);
        size_t n = fread(buf, 1, 65535, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

/* The line of out that starts with start (NULL: none), copied into line. */
static const char *line_of(const char *out, const char *start, char *line, size_t size)
{
        size_t n = strlen(start);

        for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
                if (strncmp(l, start, n) == 0) {
                        size_t k = strcspn(l, "\n");
                        snprintf(line, size, "%.*s", (int)k, l);
                        return line;
                }
        return NULL;
}

static int has(const char *out, const char *s)
{
        return out && strstr(out, s) != NULL;
}

/* Ten runs, five per mode, of a process whose JIT takes 640 KiB. */
static void test_summary(void)
{
        struct compare_sample runs[10];
        struct compare_result *c = calloc(1, sizeof(*c));
        char line[512];

        blank_runs(runs, 10);
        for (int i = 0; i < 10; i++) {
                struct analysis *a = &runs[i].a;
                double jit = runs[i].on ? 655360 : 0;
                a->peak_rss = 100 * MIB + jit + 1000 * i;
                a->peak_jit = jit;
                a->cpu_s = 1.5 + 0.001 * i;
                a->vsz_lead_s = 0.25;
                if (runs[i].on)
                        a->first_warmup_s = 0.5;
                for (int k = 0; k < ANALYSIS_POINTS; k++) {
                        a->rss_at[k] = 50 * MIB + jit * (k + 1) / 4 + 1000 * i;
                        a->pss_at[k] = 20 * MIB + jit * (k + 1) / 4 + 1000 * i;
                        a->jit_at[k] = jit * (k + 1) / 4;
                        a->dbg_at[k] = 0;
                        a->rest_at[k] = 1000 * i;
                }
        }
        compare_runs(c, runs, 10);
        c->growth[0].runs = c->growth[1].runs = 5;
        c->growth[0].shape = "plateau";
        c->growth[0].cls = GROWTH_PLATEAU;
        c->growth[1].shape = "growing";
        c->growth[1].cls = GROWTH_STEADY;
        c->have_lead[1] = 1;
        c->vsz_lead_s[1] = 0.25;
        c->anon_method = "pagemap";
        char *out = printed(c);

        CHECK(out && strncmp(out, "GO: a sentence\n\n", 16) == 0);
        CHECK(line_of(out, "  pass          headroom_at_peak ", line, sizeof(line)) && has(line, " 62% left"));
        CHECK(line_of(out, "  not evaluated speed_vs_memory ", line, sizeof(line)) && has(line, "no speed"));
        CHECK(!has(out, "a control experiment"));
        /* every figure measured in both modes has a row; the rest none */
        CHECK(line_of(out, "  peak_jit_code_bytes ", line, sizeof(line)) != NULL);
        CHECK(has(line, " 0 B ") && has(line, " 640 KiB ") && has(line, "[640 KiB, 640 KiB] ") && has(line, "0.008"));
        CHECK(!has(line, "~0") && !has(line, "?"));
        CHECK(line_of(out, "  peak_rss_bytes ", line, sizeof(line)) && has(line, "100 MiB") && has(line, "(635 KiB, 647 KiB) ") &&
              has(line, "0.008"));
        CHECK(line_of(out, "  cpu_s ", line, sizeof(line)) && has(line, "(-5.000 ms, 7.000 ms) ~0 "));
        CHECK(line_of(out, "  cpu_s ", line, sizeof(line)) && has(line, "1.504 s") && has(line, "1.505 s"));
        CHECK(!has(out, "latency_p50_us") && !has(out, "peak_pss_bytes") && !has(out, "peak_jit_debug_bytes"));
        /* measured with the JIT on only */
        CHECK(line_of(out, "  worker_warmup_s ", line, sizeof(line)) && has(line, "(measured in one mode only)") &&
              has(line, "0.500 s") && has(line, " - "));
        CHECK(has(out, "\n  after warm-up: JIT off plateau, JIT on growing -- growth with the JIT on only\n"));
        CHECK(has(out, "JIT off plateau, JIT on steady_growth\n"));
        /* memory at equal work: the rows measured, no debug images where none were registered */
        CHECK(line_of(out, "  delta at equal work done ", line, sizeof(line)) && has(line, "25%") && has(line, "100%"));
        CHECK(line_of(out, "  tree RSS (sum) ", line, sizeof(line)) && has(line, "161 KiB") && has(line, "641 KiB"));
        CHECK(line_of(out, "    JIT code pages ", line, sizeof(line)) && has(line, "480 KiB"));
        CHECK(line_of(out, "    the rest ", line, sizeof(line)) && has(line, "~0"));
        CHECK(!has(out, "JIT debug images") && !has(out, "PSS per worker") && !has(out, "anonymous, counted once"));
        CHECK(has(out, "  RSS = JIT code pages + the rest: what only the comparison shows"));
        /* RSS 50 MiB against PSS 20 MiB: one process, so the files' pages */
        CHECK(has(out, "is 2.5x the PSS sum") && has(out, "here the pages of the program's files and libraries"));
        CHECK(!has(out, "workers at once"));
        CHECK(has(out, "  VSZ reached 90% of its growth 0.25 s before RSS with the JIT on (VSZ lead - with it off)\n"));
        CHECK(has(out, "  anonymous memory (the JIT's cost) counted once from the page tables (pagemap: exact)\n"));
        CHECK(!has(out, "processes outside the tree") && !has(out, "came and went"));
        CHECK(has(out, "  Details: comparison.json\n"));
        free(out);

        /* workers, restarts, sharers outside the tree, debug images */
        for (int i = 0; i < 10; i++) {
                for (int k = 0; k < ANALYSIS_POINTS; k++) {
                        runs[i].a.dbg_at[k] = runs[i].on ? 327680 : 0;
                        runs[i].a.worker_pss_at[k] = 10 * MIB + (runs[i].on ? 65536 : 0);
                }
                runs[i].a.restart_jit = runs[i].on ? 131072 : 0;
                runs[i].a.restart_warmup_s = runs[i].on ? 0.75 : -1;
        }
        compare_runs(c, runs, 10);
        c->workers[0] = (struct compare_workers){ 1, 4, 10, 2 };
        c->workers[1] = (struct compare_workers){ 1, 4, 12, 2.5 };
        c->anon_outside_max = 2 * MIB;
        c->anon_outside_runs = 3;
        c->file_pss_runs = 10;
        c->file_pss_min = 20 * MIB;
        c->file_pss_max = 30 * MIB;
        c->outside_sharers_changed = 1;
        c->anon_method = "pss_anon";
        c->have_lead[0] = 1;
        c->vsz_lead_s[0] = 0;
        c->vsz_lead_s[1] = -0.0001;
        out = printed(c);
        CHECK(line_of(out, "    JIT debug images ", line, sizeof(line)) && has(line, "320 KiB"));
        CHECK(line_of(out, "  PSS per worker ", line, sizeof(line)) && has(line, "64.0 KiB"));
        CHECK(has(out, "  RSS = JIT code pages + JIT debug images (registered with GDB's JIT interface, CPython 3.15+)\n"));
        CHECK(has(out, "(pre-forked workers share the interpreter, libraries and copy-on-write heap)"));
        CHECK(has(out, "  workers at once: 4 off, 4 on; restarts per run (median): 2 off, 2.5 on\n"));
        CHECK(has(out, "  with the JIT on, a restarted worker compiled 128 KiB of JIT code again, its JIT growing for 0.750 s\n"
                       "  (the first workers' JIT grew for 0.500 s)\n"));
        CHECK(has(out, "  VSZ and RSS reached 90% of their growth at the same tick with the JIT on (VSZ lead 0.000 s with it off)\n"));
        CHECK(has(out, "counted once as the sum of Pss_Anon (exact unless processes outside the tree share it;\n"));
        CHECK(has(out, "  processes outside the tree mapped up to 2.00 MiB of its anonymous memory (in 3 runs): a parent it\n"));
        CHECK(has(out, "  of its file pages (PSS less anonymous memory, at the end of each run) ranged from 20.0 MiB to 30.0 MiB;\n"));
        free(out);
        free(c);
}

/* Too few runs, and a control: what it says instead of a decision. */
static void test_too_few_control(void)
{
        struct compare_sample runs[4];
        struct compare_result *c = calloc(1, sizeof(*c));
        char line[512];

        blank_runs(runs, 4);
        for (int i = 0; i < 4; i++) {
                runs[i].a.peak_rss = 100 * MIB + 4096 * i;
                runs[i].a.peak_pss = 50 * MIB;
                runs[i].a.wall_s = 0.005 + 0.001 * runs[i].on;
        }
        compare_runs(c, runs, 4);
        c->control = 1;
        c->basis = "requests";
        char *out = printed(c);
        /* three figures compared, none measurably different */
        CHECK(has(out, "  a control experiment, nothing to decide: 0 of the 3 figures below differ measurably between\n"));
        CHECK(line_of(out, "  peak_rss_bytes ", line, sizeof(line)) && has(line, "(-inf, +inf) ?") && has(line, "4.00 KiB"));
        CHECK(line_of(out, "  peak_pss_bytes ", line, sizeof(line)) && has(line, "50.0 MiB") && has(line, " 0 B "));
        CHECK(line_of(out, "  wall_s ", line, sizeof(line)) && has(line, "5.000 ms") && has(line, "6.000 ms"));
        CHECK(has(out, "  delta at equal requests served"));
        CHECK(!has(out, "after warm-up") && !has(out, "VSZ") && !has(out, "anonymous memory (the JIT's cost)"));
        free(out);
        free(c);
}

/* Two interpreters: one with a JIT (10 MiB off, 11 MiB on), one without (12 MiB, the JIT off
 * only); the matrix's rows, the JIT's verdict for the first, none for the second, the second
 * against the first with the JIT off (+2 MiB), and no row of a mode an interpreter did not run. */
static void test_matrix(void)
{
        struct compare_sample runs[15], mine[10], between[10];
        struct compare_result *c = calloc(1, sizeof(*c));
        struct compare_interp in[2];
        struct python_info py[2];
        char line[512];
        int n = 0;

        memset(in, 0, sizeof(in));
        memset(py, 0, sizeof(py));
        py[0].build = PY_JIT_BUILT_OFF;
        py[1].build = PY_JIT_NOT_BUILT;
        in[0] = (struct compare_interp){ .python = &py[0], .jit = 1, .label = "3.15.0rc1" };
        in[1] = (struct compare_interp){ .python = &py[1], .jit = 0, .label = "3.13.1" };
        blank_runs(runs, 15);
        for (int i = 0; i < 15; i++) {
                runs[i].interp = i < 10 ? 0 : 1;
                runs[i].on = i < 10 ? i % 2 : 0;
                runs[i].a.peak_pss = (runs[i].interp ? 12 : runs[i].on ? 11 : 10) * MIB + 4096 * (i % 3);
                runs[i].a.peak_jit = runs[i].on ? 655360 : 0;
        }
        c->n_interp = 2;
        c->complete = 1;
        for (int k = 0; k < 2; k++) {
                c->interp[k] = calloc(1, sizeof(*c->interp[k]));
                n = 0;
                for (int i = 0; i < 15; i++)
                        if (runs[i].interp == k)
                                mine[n++] = runs[i];
                compare_runs(c->interp[k], mine, n);
                snprintf(c->interp[k]->verdict.sentence, sizeof(c->interp[k]->verdict.sentence), "GO: the JIT of %s",
                         in[k].label);
        }
        n = 0;
        for (int i = 0; i < 15; i++)
                if (!runs[i].on) {
                        between[n] = runs[i];
                        between[n++].on = runs[i].interp == 1;
                }
        c->between = calloc(1, sizeof(*c->between));
        c->n_between = 1;
        c->between[0] = (struct compare_between){ .base = 0, .other = 1, .on = 0 };
        for (int k = 0; k < COMPARE_METRIC_MAX; k++)
                c->between[0].metrics[k] = compare_stat_of(between, n, compare_metrics[k].get, 0);
        c->interp[1]->measurement_failed = 1;
        c->interp[1]->runs_completed = 5;
        snprintf(c->interp[1]->measurement_failed_runs, sizeof(c->interp[1]->measurement_failed_runs), "12 (JIT off)");
        matrix_interps = in;
        char *out = printed(c);
        CHECK(has(out, "MEASUREMENT FAILED in 1 of 3.13.1's 5 runs: 12 (JIT off). The JIT trace of that run disagrees"));
        CHECK(!has(out, "of 3.15.0rc1's"));
        CHECK(has(out, "2 interpreters, every run completed;"));
        CHECK(line_of(out, "  3.15.0rc1              off     5 ", line, sizeof(line)) && has(line, "10.0 MiB") && has(line, " 0 B"));
        CHECK(line_of(out, "  3.15.0rc1              on      5 ", line, sizeof(line)) && has(line, "11.0 MiB") && has(line, "640 KiB"));
        CHECK(line_of(out, "  3.13.1                 off     5 ", line, sizeof(line)) && has(line, "12.0 MiB"));
        CHECK(!line_of(out, "  3.13.1                 on", line, sizeof(line)));
        CHECK(has(out, "\n3.15.0rc1, the JIT on against off: GO: the JIT of 3.15.0rc1\n"));
        CHECK(has(out, "\n3.13.1: no JIT machine code (JIT: not built in), run with the JIT off only: no verdict\n"));
        CHECK(!has(out, "the JIT of 3.13.1"));
        CHECK(has(out, "\n3.13.1 against 3.15.0rc1, both with the JIT off:\n"));
        const char *after = strstr(out ? out : "", "against 3.15.0rc1");
        /* base first, then the other, then the shift: +2 MiB, measurable with 5 v 5 */
        CHECK(after && line_of(after, "  peak_pss_bytes ", line, sizeof(line)) && has(line, "10.0 MiB     12.0 MiB     2.00 MiB") &&
              !has(line, "~0") && !has(line, "?"));
        free(out);
        for (int k = 0; k < 2; k++)
                free(c->interp[k]);
        c->n_interp = 0;
        free(c->between);
        free(c);
}

int main(void)
{
        test_summary();
        test_too_few_control();
        test_matrix();
        return unit_finish("test_cmd_compare");
}
