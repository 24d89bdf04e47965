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
              "Reads a recorded run (the directory of jitmem run, one of OUT/runs/* of jitmem\n"
              "compare, or that of jitmem watch --record) and gives the analysis jitmem watch\n"
              "gives live: the growth class of the whole tree and of each process (warming up,\n"
              "plateau, steady growth, sawtooth, copy-on-write, not enough data) with a Theil-Sen\n"
              "slope, its 95% interval and a Mann-Kendall p-value; how much of the growth is JIT\n"
              "code and when JIT code stopped growing; the time to the limit; the warm-up end;\n"
              "the workers and their restarts.\n"
              "\n"
              "Options:\n"
              "      --limit SIZE   the limit to judge against (default: the run's, from meta.json)\n"
              "      --json         the analysis as JSON (jitmem.analyze/1) on stdout\n"
              "  -h, --help         this help\n"
              "\n"
              "A comparison directory (jitmem compare --out) is not a run: analyze its runs one at\n"
              "a time, OUT/runs/01-off and so on. A value jitmem does not write (an edited or\n"
              "damaged file) reads as not recorded, with a warning naming its line and column.\n"
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

/* One run directory being analysed. */
struct analyze {
        const char *dir;
        uint64_t limit;
        struct runfile_series s;
        struct runfile_procs pr;
        struct runfile_summary rs;
        json_t *meta;
        size_t lo, hi;                 /* the points judged: the measured load, or the whole run */
        int load_phase;
        double load_from, load_to;
        struct runfile_series win;
        struct growth_result tree;
        struct analysis an;
        int have_an;
        struct shown *sh;              /* the process lives, largest peak first */
};

/* Options into *limit and *json. Returns 0 with *dir set, or an exit code (-1: --help shown). */
static int analyze_args(int argc, char **argv, uint64_t *limit, int *json, const char **dir)
{
        static const struct option opts[] = {
                { "limit", required_argument, NULL, 'L' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
                switch (c) {
                case 'L':
                        if (util_parse_size(optarg, limit) < 0 || *limit == 0)
                                return cli_usage_error("analyze", "bad --limit '%s': expected a size such as 384M", optarg);
                        break;
                case 'j': *json = 1; break;
                case 'h':
                        analyze_usage(stdout);
                        return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : -1;
                default:
                        return cli_option_error("analyze", c, argv);
                }
        }
        if (optind != argc - 1)
                return cli_usage_error("analyze", "expected one run directory");
        *dir = argv[optind];
        return 0;
}

/* The limit the run was recorded with: meta.json's limit_bytes when it is a whole number of
 * bytes from 1 to RUNFILE_FIGURE_MAX (what jitmem writes), else 0 (none: the file was edited
 * or is not jitmem's, and a figure past what a double or a uint64_t holds is no limit). */
static uint64_t meta_limit(json_t *meta)
{
        json_t *v = json_object_get(meta, "limit_bytes");
        double x = json_number_value(v);

        if (!json_is_number(v) || !(x >= 1 && x <= (double)RUNFILE_FIGURE_MAX) || x != floor(x))
                return 0;
        return (uint64_t)x;
}

/* Says what samples.csv held that jitmem does not write, by line and column: the analysis goes
 * on without it (runfile_oddity states the rule), and whoever reads it knows that it did. */
static void say_oddities(const char *dir, const struct runfile_oddity *o)
{
        if (o->cells > 0)
                cli_error("warning: %s/samples.csv line %ld, column %s: \"%s\" is not a value jitmem writes there: "
                          "read as not recorded (%zu such cell%s in the file)", dir, o->cell_line, o->column, o->value,
                          o->cells, o->cells == 1 ? "" : "s");
        if (o->rows > 0 && o->row_fields < 0)
                cli_error("warning: %s/samples.csv line %ld: a quote left open; the row is left out (%zu row%s of "
                          "the wrong shape in the file)", dir, o->row_line, o->rows, o->rows == 1 ? "" : "s");
        else if (o->rows > 0)
                cli_error("warning: %s/samples.csv line %ld: %d fields where the header has %d; the row is left out "
                          "(%zu row%s of the wrong shape in the file)", dir, o->row_line, o->row_fields,
                          o->header_fields, o->rows, o->rows == 1 ? "" : "s");
}

/* Reads the run directory. Returns 0, or -1 when it said why it cannot. */
static int analyze_read(struct analyze *z)
{
        int r;

        if (not_a_run(z->dir))
                return -1;
        r = runfile_read(z->dir, &z->s, &z->pr);
        if (r == 0)
                say_oddities(z->dir, &z->s.odd);
        if (r < 0 || z->s.n == 0) {
                cli_error("%s: %s", z->dir, r == -ENOENT ? "no samples.csv: not a jitmem run directory"
                                            : r == -EINVAL ? "samples.csv is not a jitmem recording"
                                            : r < 0 ? util_strerror(r) : "no sample with a process in samples.csv");
                return -1;
        }
        z->meta = read_json(z->dir, "meta.json");
        /* summary.json is absent when jitmem was killed: the samples still tell */
        if (runfile_read_summary(z->dir, &z->rs) < 0)
                runfile_summary_of(NULL, &z->rs);
        if (!z->limit)
                z->limit = meta_limit(z->meta);
        return 0;
}

/* The tree (over the measured load when the run was driven by one: its start-up and shutdown
 * are not the service's memory), the run's figures, and each process life (its points within
 * the load, when there was one). Returns 0, or -1 when it said why it cannot. */
static int analyze_judge(struct analyze *z)
{
        int r;

        z->load_phase = analysis_load_window(&z->s, &z->rs, &z->lo, &z->hi, &z->load_from, &z->load_to);
        z->win = (struct runfile_series){ .p = z->s.p + z->lo, .n = z->hi - z->lo, .ticks = z->hi - z->lo,
                                          .t_end = z->s.p[z->hi - 1].t, .program_t = -1 };
        r = analysis_tree_growth(&z->win, (double)z->limit, &z->tree);
        if (r < 0) {
                cli_error("%s: %s", z->dir, r == -ENOMEM ? "out of memory" : "the samples' times do not increase");
                return -1;
        }
        z->have_an = analysis_of(&z->s, &z->pr, &z->rs, &z->an) == 0;
        z->sh = calloc(z->pr.n ? z->pr.n : 1, sizeof(*z->sh));
        if (!z->sh) {
                cli_error("out of memory");
                return -1;
        }
        for (size_t i = 0; i < z->pr.n; i++) {
                const struct runfile_life *l = &z->pr.l[i];
                double *pt = malloc(sizeof(double) * (l->n + 1) * 4);
                size_t m = 0;
                z->sh[i].l = l;
                if (!pt)
                        continue;
                for (size_t k = 0; k < l->n; k++) {
                        if (z->load_phase && (l->p[k].t < z->load_from || l->p[k].t > z->load_to))
                                continue;
                        pt[m] = l->p[k].t;
                        pt[l->n + m] = l->p[k].rss;
                        pt[2 * l->n + m] = l->p[k].uss;
                        pt[3 * l->n + m] = l->p[k].jit;
                        m++;
                }
                z->sh[i].ok = m > 0 && classify(pt, pt + l->n, pt + 2 * l->n, pt + 3 * l->n, m, 0, &z->sh[i].g) == 0;
                free(pt);
        }
        qsort(z->sh, z->pr.n, sizeof(*z->sh), by_peak);
        return 0;
}

/* jitmem.analyze/1 on stdout. Returns 0, or -1 when it said why it cannot. */
static int analyze_print_json(const struct analyze *z)
{
        const struct growth_result *tree = &z->tree;
        const struct analysis *an = &z->an;
        json_t *procs = json_array(), *out;

        for (size_t i = 0; i < z->pr.n; i++) {
                const struct runfile_life *l = z->sh[i].l;
                json_array_append_new(procs, json_pack("{s:i, s:i, s:o, s:f, s:f, s:f, s:o, s:f, s:o, s:o}",
                        "pid", l->pid, "ppid", l->ppid, "comm", jsonout_text(l->comm), "first_t_s", l->first_t, "last_t_s", l->last_t,
                        "peak_rss_bytes", l->peaks.rss, "peak_pss_bytes", l->peaks.pss >= 0 ? json_real(l->peaks.pss) : json_null(),
                        "peak_jit_code_bytes", l->peaks.jit,
                        "jit_growth_end_s", l->peaks.jit_growth_end_t >= 0 ? json_real(l->peaks.jit_growth_end_t) : json_null(),
                        "growth", z->sh[i].ok ? growth_obj(&z->sh[i].g) : json_null()));
        }
        out = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "schema", "jitmem.analyze/1", "dir", jsonout_text(z->dir),
                        "command", z->meta ? json_incref(json_object_get(z->meta, "command")) : json_null(),
                        "limit_bytes", z->limit ? json_integer((json_int_t)z->limit) : json_null(),
                        "tree", growth_obj(tree),
                        "warmup", json_pack("{s:o, s:o, s:o}",
                                            "end_s", analysis_warmup_ended(tree) ? json_real(z->win.p[0].t + tree->warmup_s) : json_null(),
                                            "ended", tree->cls == GROWTH_NOT_ENOUGH_DATA ? json_null() : json_boolean(analysis_warmup_ended(tree)),
                                            "jit_growth_end_s", tree->jit_growth_end_t >= 0 ? json_real(tree->jit_growth_end_t) : json_null()),
                        "ticks", json_integer((json_int_t)z->s.ticks),
                        "load", z->load_phase ? json_pack("{s:f, s:f, s:i}", "from_s", z->load_from, "to_s", z->load_to, "ticks", (int)(z->hi - z->lo))
                                              : json_null(),
                        "workers", z->have_an && an->worker_lives > 0
                                ? json_pack("{s:i, s:i, s:i, s:o, s:o, s:o}", "at_once", an->workers_max, "seen", an->worker_lives,
                                            "restarts", an->restarts, "warmup_s", an->first_warmup_s >= 0 ? json_real(an->first_warmup_s) : json_null(),
                                            "restarted_warmup_s", an->restart_warmup_s >= 0 ? json_real(an->restart_warmup_s) : json_null(),
                                            "restarted_jit_code_bytes", an->restart_jit >= 0 ? json_real(an->restart_jit) : json_null())
                                : json_null(),
                        "processes", procs);
        char *txt = out ? jsonout_dumps(out, JSONOUT_DUMP_FLAGS) : NULL;
        json_decref(out);
        if (!txt) {
                cli_error("%s: the analysis could not be encoded as JSON", z->dir);
                return -1;
        }
        printf("%s\n", txt);
        free(txt);
        return 0;
}

/* The tree's part of the text: its class, slope, JIT code, limit, warm-up and workers. */
static void analyze_print_tree(const struct analyze *z)
{
        const struct growth_result *tree = &z->tree;
        char a[32], b[32], d[32];

        printf("tree: %s", growth_class_name(tree->cls));
        if (isfinite(tree->slope))
                printf(", RSS %s [%s, %s] (p = %.3g)", util_format_rate(tree->slope, "+", a, sizeof(a)),
                       util_format_rate(tree->slope_low, "+", b, sizeof(b)), util_format_rate(tree->slope_high, "+", d, sizeof(d)), tree->p_value);
        printf("\n  %s\n", tree->explanation);
        if (isfinite(tree->jit_share))
                printf("  JIT code is %.0f%% of the growth", 100 * tree->jit_share);
        if (tree->jit_growth_end_t >= 0)
                printf("%sJIT code last grew at %.1f s", isfinite(tree->jit_share) ? "; " : "  ", tree->jit_growth_end_t);
        if (isfinite(tree->jit_share) || tree->jit_growth_end_t >= 0)
                printf("\n");
        if (z->limit) {
                printf("  limit %s: ", util_format_bytes(z->limit, a, sizeof(a)));
                if (isinf(tree->time_to_limit_s))
                        printf("not growing toward it\n");
                else if (isfinite(tree->time_to_limit_s))
                        printf("reached in %.0f s at this slope\n", tree->time_to_limit_s);
                else
                        printf("-\n");
        }
        if (analysis_warmup_ended(tree) && tree->warmup_s > 0)
                printf("  warm-up ended at %.1f s\n", z->win.p[0].t + tree->warmup_s);
        if (z->have_an && z->an.worker_lives > 0)
                printf("  workers: %d at once, %d seen, %d restart%s%s\n", z->an.workers_max, z->an.worker_lives,
                       z->an.restarts, z->an.restarts == 1 ? "" : "s",
                       z->an.restart_jit > 0 ? " (each compiled its JIT code again)" : "");
}

/* The text on stdout: the run, the tree, then the largest process lives. */
static void analyze_print_text(const struct analyze *z)
{
        json_t *cmd = json_object_get(z->meta, "command"), *x;
        const struct runfile_series *s = &z->s;
        char a[32], b[32], d[32], safe[CLI_TEXT_SIZE];
        size_t i;

        if (json_is_string(json_object_get(z->meta, "source")) &&
            strcmp(json_string_value(json_object_get(z->meta, "source")), "watch") == 0) {
                /* A recording of jitmem watch: what was watched, not a command. */
                json_t *w = json_object_get(z->meta, "watched");
                printf("watch recording %s:", cli_text(z->dir, safe, sizeof(safe)));
                json_array_foreach(json_object_get(w, "pids"), i, x) printf(" %s%lld", i ? "" : "PIDs ",
                                                                             (long long)json_integer_value(x));
                if (json_is_string(json_object_get(w, "match")))
                        printf(" --match %s", cli_text(json_string_value(json_object_get(w, "match")), safe, sizeof(safe)));
                if (json_is_string(json_object_get(w, "cgroup")))
                        printf(" --cgroup %s", cli_text(json_string_value(json_object_get(w, "cgroup")), safe, sizeof(safe)));
        } else {
                printf("run %s:", cli_text(z->dir, safe, sizeof(safe)));
                json_array_foreach(cmd, i, x) printf(" %s", json_string_value(x) ? cli_text(json_string_value(x), safe, sizeof(safe)) : "?");
        }
        printf("\n%zu ticks over %.1f s, %zu processes\n", s->ticks, (s->t_end >= 0 ? s->t_end : s->p[s->n - 1].t) - s->p[0].t,
               z->pr.n);
        if (z->load_phase)
                printf("measured load from %.1f s to %.1f s (%zu ticks): start-up and shutdown left out\n", z->load_from,
                       z->load_to, z->hi - z->lo);
        printf("\n");
        analyze_print_tree(z);
        printf("\n%8s %8s %-15s %10s %10s %-16s %14s\n", "PID", "PPID", "COMMAND", "PEAK RSS", "PEAK JIT", "GROWTH", "SLOPE");
        for (i = 0; i < z->pr.n && i < SHOWN; i++) {
                const struct runfile_life *l = z->sh[i].l;
                char sl[48], comm[4 * 15 + 1]; /* a process's name is its own to choose: made safe to print */
                size_t cols = util_fit_command(l->comm, 15, comm, sizeof(comm));
                snprintf(sl, sizeof(sl), "%s", z->sh[i].ok ? util_format_rate(z->sh[i].g.slope, "+", d, sizeof(d)) : "-");
                printf("%8d %8d %s%*s %10s %10s %-16s %14s\n", l->pid, l->ppid, comm, (int)(15 - cols), "",
                       util_format_bytes((uint64_t)l->peaks.rss, a, sizeof(a)), util_format_bytes((uint64_t)l->peaks.jit, b, sizeof(b)),
                       z->sh[i].ok ? growth_class_name(z->sh[i].g.cls) : "-", sl);
        }
        if (z->pr.n > SHOWN)
                printf("%8s ... %zu more (--json lists them all)\n", "", z->pr.n - SHOWN);
}

int cmd_analyze(int argc, char **argv)
{
        struct analyze z;
        int json = 0, code = CLI_EXIT_FAILURE, r;

        memset(&z, 0, sizeof(z));
        r = analyze_args(argc, argv, &z.limit, &json, &z.dir);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        if (analyze_read(&z) < 0 || analyze_judge(&z) < 0)
                goto out;
        if (json) {
                if (analyze_print_json(&z) < 0)
                        goto out;
        } else {
                analyze_print_text(&z);
        }
        code = CLI_EXIT_OK;
out:
        free(z.sh);
        json_decref(z.meta);
        runfile_summary_free(&z.rs);
        runfile_series_free(&z.s);
        runfile_procs_free(&z.pr);
        if (cli_close_stdout() < 0 && code == CLI_EXIT_OK)
                code = CLI_EXIT_FAILURE;
        return code;
}
