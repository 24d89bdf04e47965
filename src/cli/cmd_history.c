/* jitmem history: the results kept in the history database, a workload's trend across
 * interpreter versions, and --check, the judgement for CI (docs/history.md). */
#include "cli.h"
#include "history.h"
#include "jsonout.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static void history_usage(FILE *f)
{
        fputs("Usage: jitmem history [OPTIONS]\n"
              "\n"
              "The results kept in the history: every complete jitmem compare and jitmem fit adds its\n"
              "result when it ends (unless --no-history), jitmem run with --history. A result holds\n"
              "when, the workload or command and its options, the interpreter (path, version, JIT\n"
              "build, configure arguments), the machine and cgroup, every figure with its interval,\n"
              "the verdict and the result directory. docs/history.md says what is kept and where.\n"
              "\n"
              "Shows a table of the results, oldest first: date, kind, workload, Python, its JIT build,\n"
              "peak PSS with the JIT off and on (medians; a fit: the peak with no limit), the JIT's\n"
              "delta of peak PSS with its 95% interval, the verdict and the directory. With --workload,\n"
              "also the trend: that workload's comparisons by Python version, then date, and the change\n"
              "of peak PSS with the JIT on and of the JIT's delta from one to the next.\n"
              "\n"
              "Options:\n"
              "      --db PATH              the database (default: $JITMEM_HISTORY_DB, else\n"
              "                             $XDG_DATA_HOME/jitmem/history.db, else\n"
              "                             ~/.local/share/jitmem/history.db)\n"
              "  -w, --workload W           only W: a bundled workload's name, or a command as the table\n"
              "                             shows it\n"
              "  -p, --python-version V     only interpreters of version V or below it: 3.15 selects\n"
              "                             3.15.0rc1 and 3.15.1, not 3.150\n"
              "  -k, --kind K               only compare, fit or run results\n"
              "  -n, --limit N              only the newest N results\n"
              "      --json                 the results as JSON (docs/schemas.md, jitmem.history/1)\n"
              "      --check                for CI: for each workload (or W), its newest comparison against\n"
              "                             the comparison before it on the same machine, of an earlier\n"
              "                             experiment (a matrix's interpreters are not each other's\n"
              "                             previous result); exits 1 when a figure is worse by more\n"
              "                             than the older result's interval: its peak PSS with the JIT\n"
              "                             on or CPU per unit above the interval of the older median\n"
              "                             (95% when it has 6 runs or more, else the range of its runs),\n"
              "                             or the JIT's delta above the older delta's 95% interval;\n"
              "                             says which figure and by how much\n"
              "      --add DIR              adds the result in DIR (a comparison, fit or run directory)\n"
              "                             to the history, as compare and fit do when they end\n"
              "      --pyperf PREFIX        writes the selected comparisons' runs in pyperf's JSON format,\n"
              "                             a file per result and mode, PREFIX-ID-VERSION-off.json and\n"
              "                             -on.json, for python3 -m pyperf compare_to (docs/pyperf.md)\n"
              "  -h, --help                 this help\n"
              "\n"
              "Examples:\n"
              "  jitmem history\n"
              "  jitmem history --workload broad --python-version 3.15\n"
              "  jitmem history --check --workload broad    # in CI, after jitmem compare\n"
              "  jitmem history --add jitmem-compare-20260101-120000\n"
              "  jitmem history --workload broad --pyperf out/broad-\n"
              "\n"
              "Exit status: 0; 1 the database cannot be read (or, --add, written), or --check found a\n"
              "workload worse than before; 2 usage.\n",
              f);
}

struct history_cli {
        const char *db, *add, *pyperf;
        struct history_filter flt;
        int json, check;
        char path[4096];
};

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static double jnum(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A string of a stored document (its bytes are the history's, any bytes) made safe to print
 * into b (cut to fit), or dash when there is none. */
static const char *safe_or_dash(const char *s, char *b, size_t size)
{
        return s ? cli_text(s, b, size) : "-";
}

/* A figure in its unit: bytes for people, seconds with 4 digits, else the number. */
static const char *fmt(double v, const char *unit, int sign, char *b, size_t size)
{
        if (!isfinite(v))
                snprintf(b, size, "-");
        else if (unit && strcmp(unit, "bytes") == 0)
                sign ? util_format_signed_bytes(v, "+", b, size) : util_format_bytes_or_dash(v, b, size);
        else if (unit && strcmp(unit, "seconds") == 0)
                snprintf(b, size, sign ? "%+.4g s" : "%.4g s", v);
        else
                snprintf(b, size, sign ? "%+.4g" : "%.4g", v);
        return b;
}

/* The peak PSS a row shows: a comparison's medians, a fit's peaks with no limit, a run's own. */
static json_t *row_peak(json_t *row)
{
        json_t *figs = json_object_get(row, "figures");
        const char *kind = jstr(row, "kind");

        if (kind && strcmp(kind, "fit") == 0)
                return json_object_get(figs, "reference_peak_pss_bytes");
        return json_object_get(figs, "peak_pss_bytes");
}

static void print_table(json_t *rows)
{
        json_t *row;
        size_t i;

        printf("%4s  %-16s  %-7s  %-20s  %-10s  %-9s  %10s  %10s  %-34s  %-18s  %s\n", "id", "date (UTC)", "kind",
               "workload", "python", "jit", "PSS off", "PSS on", "JIT delta [95% interval]", "verdict", "dir");
        json_array_foreach(rows, i, row)
        {
                json_t *py = json_object_get(row, "python"), *fig = row_peak(row), *ci = json_object_get(fig, "ci95");
                char date[17], off[32], on[32], d[32], lo[32], hi[32], delta[96], subj[4 * 20 + 1], s2[CLI_TEXT_SIZE];
                char t_ver[64], t_jit[64], t_kind[32], t_verdict[64], t_date[64];
                size_t cols;
                const char *ver = jstr(py, "version") ? jstr(py, "version") : jstr(row, "label");

                snprintf(date, sizeof(date), "%s", safe_or_dash(jstr(row, "created"), t_date, sizeof(t_date)));
                if (strlen(date) > 10)
                        date[10] = ' ';
                cols = util_fit_command(jstr(row, "subject") ? jstr(row, "subject") : "", 20, subj, sizeof(subj));
                fmt(jnum(fig, "delta"), "bytes", 1, d, sizeof(d));
                if (json_is_number(json_array_get(ci, 0)) && json_is_number(json_array_get(ci, 1)))
                        snprintf(delta, sizeof(delta), "%s [%s, %s]", d,
                                 fmt(json_number_value(json_array_get(ci, 0)), "bytes", 1, lo, sizeof(lo)),
                                 fmt(json_number_value(json_array_get(ci, 1)), "bytes", 1, hi, sizeof(hi)));
                else
                        snprintf(delta, sizeof(delta), "%s", d);
                printf("%4lld  %-16s  %-7s  %s%*s  %-10s  %-9s  %10s  %10s  %-34s  %-18s  %s\n",
                       (long long)jnum(row, "id"), date, safe_or_dash(jstr(row, "kind"), t_kind, sizeof(t_kind)), subj,
                       (int)(cols < 20 ? 20 - cols : 0), "", safe_or_dash(ver, t_ver, sizeof(t_ver)),
                       safe_or_dash(jstr(py, "jit"), t_jit, sizeof(t_jit)),
                       fmt(jnum(fig, "off"), "bytes", 0, off, sizeof(off)),
                       fmt(jnum(fig, "on"), "bytes", 0, on, sizeof(on)), delta,
                       safe_or_dash(jstr(row, "verdict"), t_verdict, sizeof(t_verdict)),
                       cli_text(jstr(row, "dir") ? jstr(row, "dir") : "", s2, sizeof(s2)));
        }
}

static void print_trend(json_t *trend, const char *subject)
{
        char safe[CLI_TEXT_SIZE];
        json_t *row;
        size_t i, n = 0;

        json_array_foreach(trend, i, row)
                n += jstr(row, "kind") && strcmp(jstr(row, "kind"), "compare") == 0;
        printf("\nTrend of %s: its %zu comparison%s by Python version, then date\n", cli_text(subject, safe, sizeof(safe)),
               n, n == 1 ? "" : "s");
        if (n == 0)
                return;
        printf("%4s  %-10s  %-16s  %10s  %12s  %12s  %12s\n", "id", "python", "date (UTC)", "PSS on", "change", "JIT delta",
               "change");
        json_array_foreach(trend, i, row)
        {
                json_t *fig = json_object_get(json_object_get(row, "figures"), "peak_pss_bytes"),
                       *ch = json_object_get(row, "change");
                char date[17], on[32], c1[32], d[32], c2[32], t_ver[64], t_date[64];
                const char *ver = jstr(json_object_get(row, "python"), "version");
                if (!jstr(row, "kind") || strcmp(jstr(row, "kind"), "compare") != 0)
                        continue;
                snprintf(date, sizeof(date), "%s", safe_or_dash(jstr(row, "created"), t_date, sizeof(t_date)));
                if (strlen(date) > 10)
                        date[10] = ' ';
                printf("%4lld  %-10s  %-16s  %10s  %12s  %12s  %12s\n", (long long)jnum(row, "id"),
                       safe_or_dash(ver ? ver : jstr(row, "label"), t_ver, sizeof(t_ver)), date,
                       fmt(jnum(fig, "on"), "bytes", 0, on, sizeof(on)), fmt(jnum(ch, "peak_pss_on_bytes"), "bytes", 1, c1, sizeof(c1)),
                       fmt(jnum(fig, "delta"), "bytes", 1, d, sizeof(d)), fmt(jnum(ch, "jit_delta_bytes"), "bytes", 1, c2, sizeof(c2)));
        }
}

static void print_ref(json_t *ref)
{
        const char *ver = jstr(ref, "python_version") ? jstr(ref, "python_version") : jstr(ref, "label");
        char t_ver[64], t_date[64];
        printf("result %lld (%s, %s)", (long long)jnum(ref, "id"), ver ? cli_text(ver, t_ver, sizeof(t_ver)) : "unknown Python",
               jstr(ref, "created") ? cli_text(jstr(ref, "created"), t_date, sizeof(t_date)) : "");
}

static void print_check(json_t *findings)
{
        char safe[CLI_TEXT_SIZE];
        json_t *fd, *fg;
        size_t i, k;

        if (json_array_size(findings) == 0)
                printf("no comparison in the history to check\n");
        json_array_foreach(findings, i, fd)
        {
                const char *status = jstr(fd, "status");
                char t_machine[256];
                printf("%s on %s: ", cli_text(jstr(fd, "subject") ? jstr(fd, "subject") : "", safe, sizeof(safe)),
                       safe_or_dash(jstr(fd, "machine"), t_machine, sizeof(t_machine)));
                print_ref(json_object_get(fd, "newer"));
                if (json_is_null(json_object_get(fd, "older"))) {
                        printf(": no previous result on the same machine, nothing to check against\n");
                        continue;
                }
                printf(" against ");
                print_ref(json_object_get(fd, "older"));
                printf(": %s\n", strcmp(status, "worse") == 0 ? "WORSE" : "fine, no figure worse by more than its interval");
                json_array_foreach(json_object_get(fd, "figures"), k, fg)
                {
                        const char *unit = jstr(fg, "unit");
                        char a[32], b[32], c[32], d[32];
                        if (json_is_false(json_object_get(fg, "judged"))) {
                                printf("  %s: not judged: %s\n", jstr(fg, "what"), jstr(fg, "why_not_judged"));
                                continue;
                        }
                        printf("  %s: %s %s the older result's %s %s to %s", jstr(fg, "what"),
                               fmt(jnum(fg, "newer"), unit, 0, a, sizeof(a)),
                               json_is_true(json_object_get(fg, "worse")) ? "is above" : "is not above",
                               strcmp(jstr(fg, "interval"), "ci95") == 0 ? "95% interval" : "range of runs",
                               fmt(jnum(fg, "older_low"), unit, 0, b, sizeof(b)), fmt(jnum(fg, "older_high"), unit, 0, c, sizeof(c)));
                        if (json_is_true(json_object_get(fg, "worse")))
                                printf(": worse by %s", fmt(jnum(fg, "by"), unit, 0, d, sizeof(d)));
                        printf("\n");
                }
        }
}

static int parse(struct history_cli *s, int argc, char **argv)
{
        static const struct option opts[] = {
                { "db", required_argument, NULL, 'd' },
                { "workload", required_argument, NULL, 'w' },
                { "python-version", required_argument, NULL, 'p' },
                { "kind", required_argument, NULL, 'k' },
                { "limit", required_argument, NULL, 'n' },
                { "json", no_argument, NULL, 'j' },
                { "check", no_argument, NULL, 'c' },
                { "add", required_argument, NULL, 'a' },
                { "pyperf", required_argument, NULL, 'P' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        uint64_t u;
        int c;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":w:p:k:n:h", opts, NULL)) != -1) {
                switch (c) {
                case 'd':
                        if (cli_empty_value("history", "--db", optarg, "a file"))
                                return CLI_EXIT_USAGE;
                        s->db = optarg;
                        break;
                case 'w':
                        if (cli_empty_value("history", "--workload", optarg, "a workload"))
                                return CLI_EXIT_USAGE;
                        s->flt.subject = optarg;
                        break;
                case 'p':
                        if (cli_empty_value("history", "--python-version", optarg, "a version such as 3.15"))
                                return CLI_EXIT_USAGE;
                        s->flt.python_version = optarg;
                        break;
                case 'k':
                        if (strcmp(optarg, "compare") != 0 && strcmp(optarg, "fit") != 0 && strcmp(optarg, "run") != 0)
                                return cli_usage_error("history", "bad --kind '%s': expected compare, fit or run", optarg);
                        s->flt.kind = optarg;
                        break;
                case 'n':
                        if (util_parse_u64(optarg, strlen(optarg), &u) < 0 || u == 0 || u > 1000000)
                                return cli_usage_error("history", "bad --limit '%s': expected a number from 1 to 1000000", optarg);
                        s->flt.limit = (size_t)u;
                        break;
                case 'j': s->json = 1; break;
                case 'c': s->check = 1; break;
                case 'a':
                        if (cli_empty_value("history", "--add", optarg, "a result directory"))
                                return CLI_EXIT_USAGE;
                        s->add = optarg;
                        break;
                case 'P':
                        if (cli_empty_value("history", "--pyperf", optarg, "a file prefix"))
                                return CLI_EXIT_USAGE;
                        s->pyperf = optarg;
                        break;
                case 'h':
                        history_usage(stdout);
                        return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : -2;
                default:
                        return cli_option_error("history", c, argv);
                }
        }
        if (optind < argc)
                return cli_usage_error("history", "unexpected argument '%s'", argv[optind]);
        if (s->add && (s->check || s->json || s->flt.subject || s->flt.python_version || s->flt.kind || s->flt.limit))
                return cli_usage_error("history", "--add takes no other option but --db");
        if (s->pyperf && (s->check || s->json || s->add))
                return cli_usage_error("history", "--pyperf takes the options that select results, not --check, --json or --add");
        if (s->pyperf && s->flt.kind && strcmp(s->flt.kind, "compare") != 0)
                return cli_usage_error("history", "--pyperf exports comparisons: --kind compare or none");
        return -1;
}

static int add(struct history_cli *s)
{
        struct history *h = NULL;
        char err[1024], safe[CLI_TEXT_SIZE], safe2[CLI_TEXT_SIZE];
        int r;

        r = history_open(s->path, 0, &h, err, sizeof(err));
        if (r == 0)
                r = history_add_dir(h, s->add, NULL, err, sizeof(err));
        history_close(h);
        if (r < 0) {
                cli_error("%s", cli_text(err, safe, sizeof(safe)));
                return CLI_EXIT_FAILURE;
        }
        fprintf(stderr, "history: %d result%s of %s added to %s\n", r, r == 1 ? "" : "s",
                cli_text(s->add, safe2, sizeof(safe2)), cli_text(s->path, safe, sizeof(safe)));
        return CLI_EXIT_OK;
}

/* --pyperf: the selected comparisons' runs in pyperf's format, each result labelled by its id and
 * its interpreter's version. Returns the exit status. */
static int export_pyperf(struct history_cli *s, struct history *h)
{
        json_t *docs = NULL, *row;
        const char **labels = NULL;
        json_t **items = NULL;
        char err[1024], safe[CLI_TEXT_SIZE], (*text)[64] = NULL;
        size_t i, n;
        int r, code = CLI_EXIT_FAILURE;

        s->flt.kind = "compare";
        r = history_documents(h, &s->flt, &docs, err, sizeof(err));
        if (r < 0) {
                cli_error("%s", cli_text(err, safe, sizeof(safe)));
                goto out;
        }
        n = json_array_size(docs);
        if (n == 0) {
                cli_error("no comparison in the history matches: nothing to export");
                goto out;
        }
        labels = calloc(n, sizeof(*labels));
        text = calloc(n, sizeof(*text));
        items = calloc(n, sizeof(*items));
        if (!labels || !text || !items) {
                cli_error("out of memory");
                goto out;
        }
        json_array_foreach(docs, i, row)
        {
                const char *v = jstr(row, "python_version");
                snprintf(text[i], sizeof(text[i]), "%lld-%.40s", (long long)json_integer_value(json_object_get(row, "id")),
                         v ? v : "unknown");
                labels[i] = text[i];
                items[i] = json_object_get(row, "document");
        }
        code = cli_write_pyperf(items, labels, n, s->pyperf) > 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
out:
        free(items);
        free(labels);
        free(text);
        json_decref(docs);
        return code;
}

int cmd_history(int argc, char **argv)
{
        struct history_cli s;
        struct history *h = NULL;
        char err[1024], safe[CLI_TEXT_SIZE];
        json_t *rows = NULL, *out = NULL;
        int code, r, worse = 0;

        memset(&s, 0, sizeof(s));
        code = parse(&s, argc, argv);
        if (code != -1)
                return code == -2 ? CLI_EXIT_OK : code;
        if (s.db)
                snprintf(s.path, sizeof(s.path), "%s", s.db);
        else if (history_default_path(s.path, sizeof(s.path), err, sizeof(err)) < 0) {
                cli_error("%s", err);
                return CLI_EXIT_FAILURE;
        }
        if (s.add)
                return add(&s);
        r = history_open(s.path, HISTORY_READONLY, &h, err, sizeof(err));
        if (r == -ENOENT && s.pyperf) {
                cli_error("no comparison in the history matches: nothing to export (%s does not exist)",
                          cli_text(s.path, safe, sizeof(safe)));
                return CLI_EXIT_FAILURE;
        }
        if (r == -ENOENT) {
                rows = json_array(); /* no history yet: nothing to show, not an error */
                if (!s.json)
                        fprintf(stderr, "history: no results yet in %s\n", cli_text(s.path, safe, sizeof(safe)));
        } else if (r == 0 && s.pyperf) {
                code = export_pyperf(&s, h);
                history_close(h);
                return code;
        } else if (r == 0) {
                r = history_query(h, &s.flt, &rows, err, sizeof(err));
        }
        history_close(h);
        if (r < 0 && r != -ENOENT) {
                cli_error("%s", cli_text(err, safe, sizeof(safe)));
                return CLI_EXIT_FAILURE;
        }
        if (s.check) {
                json_t *findings = NULL;
                worse = history_check(rows, s.flt.subject, &findings);
                if (worse < 0) {
                        cli_error("out of memory");
                        json_decref(rows);
                        return CLI_EXIT_FAILURE;
                }
                if (s.json) {
                        out = json_pack("{s:s, s:o, s:i, s:o}", "schema", "jitmem.history.check/1", "db",
                                        jsonout_text(s.path), "worse", worse, "findings", findings);
                        if (jsonout_dumpf(out, stdout, JSONOUT_DUMP_FLAGS) == 0)
                                fputc('\n', stdout);
                } else {
                        print_check(findings);
                        json_decref(findings);
                }
        } else if (s.json) {
                out = json_pack("{s:s, s:o, s:O}", "schema", "jitmem.history/1", "db", jsonout_text(s.path), "results", rows);
                if (s.flt.subject && out)
                        json_object_set_new(out, "trend", history_trend(rows));
                if (jsonout_dumpf(out, stdout, JSONOUT_DUMP_FLAGS) == 0)
                        fputc('\n', stdout);
        } else {
                print_table(rows);
                if (s.flt.subject) {
                        json_t *trend = history_trend(rows);
                        print_trend(trend, s.flt.subject);
                        json_decref(trend);
                }
        }
        json_decref(out);
        json_decref(rows);
        if (cli_close_stdout() < 0) {
                cli_error("cannot write to stdout");
                return CLI_EXIT_FAILURE;
        }
        return worse > 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
