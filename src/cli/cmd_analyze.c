/* jitmem analyze: the growth analysis of jitmem watch, offline, on a recorded run directory
 * (jitmem run, or one run of jitmem compare): the tree's growth class, each process's, the
 * workers and their restarts, and the warm-up. */
#include "analysis.h"
#include "cli.h"
#include "growth.h"
#include "jsonout.h"
#include "runfile.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>

#define SHOWN 20 /* processes in the report (the largest) */

static void analyze_usage(FILE *f)
{
        fputs("Usage: jitmem analyze [OPTIONS] RUN-DIR\n"
              "\n"
              "Reads a recorded run (the directory of jitmem run, or one of OUT/runs/* of jitmem\n"
              "compare) and gives the analysis jitmem watch gives live: the growth class of the\n"
              "whole tree and of each process (warming up, plateau, steady growth, sawtooth,\n"
              "copy-on-write, not enough data) with a Theil-Sen slope, its 95% interval and a\n"
              "Mann-Kendall p-value; how much of the growth is JIT code and when JIT code stopped\n"
              "growing; the time to the limit; the warm-up end; the workers and their restarts.\n"
              "\n"
              "Options:\n"
              "      --limit SIZE   the limit to judge against (default: the run's, from meta.json)\n"
              "      --json         the analysis as JSON (jitmem.analyze/1) on stdout\n"
              "  -h, --help         this help\n"
              "\n"
              "A comparison directory (jitmem compare --out) is not a run: analyze its runs one at\n"
              "a time, OUT/runs/01-off and so on.\n"
              "\n"
              "Exit status: 0; 1 the directory holds no readable run; 2 usage.\n",
              f);
}

static int name_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A name fit to print: what compare names its runs ("01-off"), nothing a terminal acts on. */
static int plain_name(const char *s)
{
        if (!*s || strlen(s) > 64)
                return 0;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                      *s == '-' || *s == '_' || *s == '.'))
                        return 0;
        return 1;
}

/* Says why dir cannot be analyzed, when that is plain before reading it: it does not exist,
 * is not a directory, or is a comparison (its runs are in runs/). Returns 1 when it said so. */
static int not_a_run(const char *dir)
{
        char path[4200];
        struct stat st;

        if (stat(dir, &st) < 0) {
                if (errno == ENOENT)
                        cli_error("%s does not exist", dir);
                else
                        cli_error("cannot read %s: %s", dir, strerror(errno));
                return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
                cli_error("%s is not a directory: analyze reads the run directory that jitmem run wrote", dir);
                return 1;
        }
        snprintf(path, sizeof(path), "%s/samples.csv", dir);
        if (access(path, F_OK) == 0)
                return 0;
        snprintf(path, sizeof(path), "%s/comparison.json", dir);
        if (access(path, F_OK) != 0)
                return 0;
        /* A comparison: each of its runs is a run directory, analyzed one at a time. */
        snprintf(path, sizeof(path), "%s/runs", dir);
        DIR *d = opendir(path);
        char *names[256];
        size_t n = 0, runs = 0;
        struct dirent *de;
        while (d && (de = readdir(d)) != NULL) {
                char csv[4400];
                if (de->d_name[0] == '.')
                        continue;
                snprintf(csv, sizeof(csv), "%s/%s/samples.csv", path, de->d_name);
                if (access(csv, F_OK) != 0)
                        continue;
                runs++;
                if (n < ARRAY_SIZE(names) && plain_name(de->d_name) && (names[n] = strdup(de->d_name)) != NULL)
                        n++;
        }
        if (d)
                closedir(d);
        qsort(names, n, sizeof(*names), name_cmp);
        if (runs == 0)
                cli_error("%s is a comparison directory (comparison.json) with no recorded run in %s/runs", dir, dir);
        else if (n == 0)
                cli_error("%s is a comparison directory (comparison.json): analyze one of its %zu runs, in %s/runs",
                          dir, runs, dir);
        else
                cli_error("%s is a comparison directory (comparison.json): analyze one of its %zu run%s, such as\n"
                          "  jitmem analyze %s/runs/%s", dir, runs, runs == 1 ? "" : "s", dir, names[0]);
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        return 1;
}

static json_t *read_json(const char *dir, const char *name)
{
        char path[4200];
        json_error_t e;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return json_load_file(path, JSON_REJECT_DUPLICATES, &e);
}

static json_t *growth_obj(const struct growth_result *g)
{
        return json_pack("{s:s, s:o, s:o, s:[o, o], s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}",
                         "class", growth_class_name(g->cls), "confidence", jsonout_real_or_null(g->confidence),
                         "slope_bytes_per_s", jsonout_real_or_null(g->slope), "slope_ci95", jsonout_real_or_null(g->slope_low), jsonout_real_or_null(g->slope_high),
                         "p_value", jsonout_real_or_null(g->p_value), "window_s", jsonout_real_or_null(g->window_s), "growth_bytes", jsonout_real_or_null(g->growth_bytes),
                         "jit_growth_bytes", jsonout_real_or_null(g->jit_growth_bytes), "jit_share", jsonout_real_or_null(g->jit_share),
                         "jit_growth_end_s", g->jit_growth_end_t >= 0 ? json_real(g->jit_growth_end_t) : json_null(),
                         "time_to_limit_s", isinf(g->time_to_limit_s) ? json_string("not growing") : jsonout_real_or_null(g->time_to_limit_s),
                         "explanation", g->explanation);
}

/* Growth of a series given as separate arrays. */
static int classify(const double *t, const double *v, const double *uss, const double *jit, size_t n, double limit,
                    struct growth_result *g)
{
        struct growth_input in;

        memset(&in, 0, sizeof(in));
        in.t = t;
        in.rss = v;
        in.uss = uss;
        in.jit = jit;
        in.n = n;
        in.limit = limit;
        in.current = -1;
        in.min_span_s = 1; /* a recorded run is judged however short; the class says when data is thin */
        return growth_classify(&in, g);
}

/* "+1.5 MiB/s", "-12 KiB/s", "-" when not a number. */
static const char *signed_rate(double v, char *buf, size_t size)
{
        char b[32];

        if (!isfinite(v))
                snprintf(buf, size, "-");
        else
                snprintf(buf, size, "%s%s/s", v < 0 ? "-" : "+", util_format_bytes((uint64_t)fabs(v), b, sizeof(b)));
        return buf;
}

struct shown {
        const struct runfile_life *l;
        struct growth_result g;
        int ok;
};

static int by_peak(const void *a, const void *b)
{
        const struct shown *x = a, *y = b;
        return x->l->peaks.rss < y->l->peaks.rss ? 1 : x->l->peaks.rss > y->l->peaks.rss ? -1 : 0;
}

int cmd_analyze(int argc, char **argv)
{
        static const struct option opts[] = {
                { "limit", required_argument, NULL, 'L' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int json = 0, c, code = CLI_EXIT_FAILURE, r;
        uint64_t limit = 0;
        struct runfile_series s = { NULL, 0, 0, -1, -1 };
        struct runfile_procs pr;
        json_t *meta = NULL, *out = NULL;
        struct shown *sh = NULL;
        char a[32], b[32], d[32];

        memset(&pr, 0, sizeof(pr));
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
                switch (c) {
                case 'L':
                        if (util_parse_size(optarg, &limit) < 0 || limit == 0)
                                return cli_usage_error("analyze", "bad --limit '%s': expected a size such as 384M", optarg);
                        break;
                case 'j': json = 1; break;
                case 'h':
                        analyze_usage(stdout);
                        return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
                default:
                        return cli_option_error("analyze", c, argv);
                }
        }
        if (optind != argc - 1)
                return cli_usage_error("analyze", "expected one run directory");
        const char *dir = argv[optind];
        if (not_a_run(dir))
                goto out;
        r = runfile_read(dir, &s, &pr);
        if (r < 0 || s.n == 0) {
                cli_error("%s: %s", dir, r == -ENOENT ? "no samples.csv: not a jitmem run directory"
                                         : r == -EINVAL ? "samples.csv is not a jitmem recording"
                                         : r < 0 ? util_strerror(r) : "no sample with a process in samples.csv");
                goto out;
        }
        meta = read_json(dir, "meta.json");
        struct runfile_summary rs; /* absent when jitmem was killed: the samples still tell */
        if (runfile_read_summary(dir, &rs) < 0)
                runfile_summary_of(NULL, &rs);
        if (!limit && json_is_number(json_object_get(meta, "limit_bytes")))
                limit = (uint64_t)json_number_value(json_object_get(meta, "limit_bytes"));

        /* The tree: over the measured load when the run was driven by one (its start-up and
         * shutdown are not the service's memory), else over the whole run. */
        size_t lo, hi;
        double load_from, load_to;
        int load_phase = analysis_load_window(&s, &rs, &lo, &hi, &load_from, &load_to);
        struct runfile_series win = { s.p + lo, hi - lo, hi - lo, s.p[hi - 1].t, -1 };
        struct growth_result tree;
        r = analysis_tree_growth(&win, (double)limit, &tree);
        if (r < 0) {
                cli_error("%s: %s", dir, r == -ENOMEM ? "out of memory" : "the samples' times do not increase");
                goto out;
        }
        struct analysis an;
        int have_an = analysis_of(&s, &pr, &rs, &an) == 0;

        /* Each process life (its points within the load, when there was one). */
        sh = calloc(pr.n ? pr.n : 1, sizeof(*sh));
        if (!sh) {
                cli_error("out of memory");
                goto out;
        }
        for (size_t i = 0; i < pr.n; i++) {
                const struct runfile_life *l = &pr.l[i];
                double *pt = malloc(sizeof(double) * (l->n + 1) * 4);
                size_t m = 0;
                sh[i].l = l;
                if (!pt)
                        continue;
                for (size_t k = 0; k < l->n; k++) {
                        if (load_phase && (l->p[k].t < load_from || l->p[k].t > load_to))
                                continue;
                        pt[m] = l->p[k].t;
                        pt[l->n + m] = l->p[k].rss;
                        pt[2 * l->n + m] = l->p[k].uss;
                        pt[3 * l->n + m] = l->p[k].jit;
                        m++;
                }
                sh[i].ok = m > 0 && classify(pt, pt + l->n, pt + 2 * l->n, pt + 3 * l->n, m, 0, &sh[i].g) == 0;
                free(pt);
        }
        qsort(sh, pr.n, sizeof(*sh), by_peak);

        if (json) {
                json_t *procs = json_array();
                for (size_t i = 0; i < pr.n; i++) {
                        const struct runfile_life *l = sh[i].l;
                        json_array_append_new(procs, json_pack("{s:i, s:i, s:s, s:f, s:f, s:f, s:o, s:f, s:o, s:o}",
                                "pid", l->pid, "ppid", l->ppid, "comm", l->comm, "first_t_s", l->first_t, "last_t_s", l->last_t,
                                "peak_rss_bytes", l->peaks.rss, "peak_pss_bytes", l->peaks.pss >= 0 ? json_real(l->peaks.pss) : json_null(),
                                "peak_jit_code_bytes", l->peaks.jit,
                                "jit_growth_end_s", l->peaks.jit_growth_end_t >= 0 ? json_real(l->peaks.jit_growth_end_t) : json_null(),
                                "growth", sh[i].ok ? growth_obj(&sh[i].g) : json_null()));
                }
                out = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "schema", "jitmem.analyze/1", "dir", dir,
                                "command", meta ? json_incref(json_object_get(meta, "command")) : json_null(),
                                "limit_bytes", limit ? json_integer((json_int_t)limit) : json_null(),
                                "tree", growth_obj(&tree),
                                "warmup", json_pack("{s:o, s:o, s:o}",
                                                    "end_s", analysis_warmup_ended(&tree) ? json_real(win.p[0].t + tree.warmup_s) : json_null(),
                                                    "ended", tree.cls == GROWTH_NOT_ENOUGH_DATA ? json_null() : json_boolean(analysis_warmup_ended(&tree)),
                                                    "jit_growth_end_s", tree.jit_growth_end_t >= 0 ? json_real(tree.jit_growth_end_t) : json_null()),
                                "ticks", json_integer((json_int_t)s.ticks),
                                "load", load_phase ? json_pack("{s:f, s:f, s:i}", "from_s", load_from, "to_s", load_to, "ticks", (int)(hi - lo))
                                                   : json_null(),
                                "workers", have_an && an.worker_lives > 0
                                        ? json_pack("{s:i, s:i, s:i, s:o, s:o, s:o}", "at_once", an.workers_max, "seen", an.worker_lives,
                                                    "restarts", an.restarts, "warmup_s", an.first_warmup_s >= 0 ? json_real(an.first_warmup_s) : json_null(),
                                                    "restarted_warmup_s", an.restart_warmup_s >= 0 ? json_real(an.restart_warmup_s) : json_null(),
                                                    "restarted_jit_code_bytes", an.restart_jit >= 0 ? json_real(an.restart_jit) : json_null())
                                        : json_null(),
                                "processes", procs);
                char *txt = out ? jsonout_dumps(out, JSONOUT_DUMP_FLAGS) : NULL;
                if (!txt) {
                        cli_error("out of memory");
                        goto out;
                }
                printf("%s\n", txt);
                free(txt);
        } else {
                json_t *cmd = json_object_get(meta, "command"), *x;
                size_t i;
                printf("run %s:", dir);
                json_array_foreach(cmd, i, x) printf(" %s", json_string_value(x) ? json_string_value(x) : "?");
                printf("\n%zu ticks over %.1f s, %zu processes\n", s.ticks, (s.t_end >= 0 ? s.t_end : s.p[s.n - 1].t) - s.p[0].t, pr.n);
                if (load_phase)
                        printf("measured load from %.1f s to %.1f s (%zu ticks): start-up and shutdown left out\n", load_from, load_to, hi - lo);
                printf("\n");
                printf("tree: %s", growth_class_name(tree.cls));
                if (isfinite(tree.slope))
                        printf(", RSS %s [%s, %s] (p = %.3g)", signed_rate(tree.slope, a, sizeof(a)),
                               signed_rate(tree.slope_low, b, sizeof(b)), signed_rate(tree.slope_high, d, sizeof(d)), tree.p_value);
                printf("\n  %s\n", tree.explanation);
                if (isfinite(tree.jit_share))
                        printf("  JIT code is %.0f%% of the growth", 100 * tree.jit_share);
                if (tree.jit_growth_end_t >= 0)
                        printf("%sJIT code last grew at %.1f s", isfinite(tree.jit_share) ? "; " : "  ", tree.jit_growth_end_t);
                if (isfinite(tree.jit_share) || tree.jit_growth_end_t >= 0)
                        printf("\n");
                if (limit) {
                        printf("  limit %s: ", util_format_bytes(limit, a, sizeof(a)));
                        if (isinf(tree.time_to_limit_s))
                                printf("not growing toward it\n");
                        else if (isfinite(tree.time_to_limit_s))
                                printf("reached in %.0f s at this slope\n", tree.time_to_limit_s);
                        else
                                printf("-\n");
                }
                if (analysis_warmup_ended(&tree) && tree.warmup_s > 0)
                        printf("  warm-up ended at %.1f s\n", win.p[0].t + tree.warmup_s);
                if (have_an) {
                        if (an.worker_lives > 0)
                                printf("  workers: %d at once, %d seen, %d restart%s%s\n", an.workers_max, an.worker_lives, an.restarts,
                                       an.restarts == 1 ? "" : "s",
                                       an.restart_jit > 0 ? " (each compiled its JIT code again)" : "");
                }
                printf("\n%8s %8s %-15s %10s %10s %-16s %14s\n", "PID", "PPID", "COMMAND", "PEAK RSS", "PEAK JIT", "GROWTH", "SLOPE");
                for (i = 0; i < pr.n && i < SHOWN; i++) {
                        const struct runfile_life *l = sh[i].l;
                        char sl[48];
                        snprintf(sl, sizeof(sl), "%s", sh[i].ok ? signed_rate(sh[i].g.slope, d, sizeof(d)) : "-");
                        printf("%8d %8d %-15s %10s %10s %-16s %14s\n", l->pid, l->ppid, l->comm,
                               util_format_bytes((uint64_t)l->peaks.rss, a, sizeof(a)), util_format_bytes((uint64_t)l->peaks.jit, b, sizeof(b)),
                               sh[i].ok ? growth_class_name(sh[i].g.cls) : "-", sl);
                }
                if (pr.n > SHOWN)
                        printf("%8s ... %zu more (--json lists them all)\n", "", pr.n - SHOWN);
        }
        code = CLI_EXIT_OK;
out:
        free(sh);
        json_decref(meta);
        json_decref(out);
        runfile_series_free(&s);
        runfile_procs_free(&pr);
        if (cli_close_stdout() < 0 && code == CLI_EXIT_OK)
                code = CLI_EXIT_FAILURE;
        return code;
}
