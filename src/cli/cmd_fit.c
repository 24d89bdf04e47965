/* jitmem fit: the smallest memory limit that survives, JIT off and on (fit.c), its command line
 * and its terminal summary. */
#include "cli.h"
#include "cglimit.h"
#include "fit.h"
#include "jsonout.h"
#include "python_probe.h"
#include "util.h"
#include "workload.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GO_ON CLI_WORKLOAD_GO_ON

static void fit_usage(FILE *f)
{
        fputs("Usage: jitmem fit [OPTIONS] (--workload NAME | -- COMMAND [ARG...])\n"
              "\n"
              "Finds the smallest memory limit at which the command completes with no OOM kill,\n"
              "with the JIT off and with it on, by running it in memory cgroups that jitmem creates,\n"
              "limits (swap at 0) and removes: a first trial with no limit measures the peak, the\n"
              "next runs at the peak PSS plus --margin, then the search finds a limit that fails\n"
              "and bisects until the bracket is within --precision. A trial passes when no OOM kill\n"
              "happened in its cgroup, the command ended as it did with no limit, and with --http\n"
              "every request of the load was answered. Each trial is a run directory under\n"
              "OUT/trials/ (with its trial.json); OUT/fit.json holds the result (docs/fit.md) and\n"
              "OUT/report.html shows it (jitmem report), whose path it prints.\n"
              "Needs root, or a cgroup v2 subtree delegated to you with the memory controller.\n"
              "\n"
              "Options:\n"
              "      --workload NAME     a bundled workload: numeric, dynamic, orm, broad, startup, or\n"
              "                          webapp (a pre-forking web service on a free port, driven\n"
              "                          with its request mix as with --http)\n"
              "      --python PY         interpreter for --workload (default python3)\n"
              "      --scale S           the workload's amount of work (default 1)\n"
              "      --workers N         worker processes (passed to --workload; limits per worker)\n"
              "      --modes LIST        off, on, or off,on (default off,on; off only for a Python\n"
              "                          without JIT machine code)\n"
              "      --precision SIZE|PCT  done when the smallest limit that passed and the highest\n"
              "                          that failed are this close (default 1% of the peak; never\n"
              "                          below a page)\n"
              "      --margin PCT        the first limit: the peak PSS plus this (default 10)\n"
              "      --max-trials N      trials per mode, the unlimited one included (default 12)\n"
              "      --budget DUR        time for the whole fit (default 1h): no trial is started that\n"
              "                          the longest one so far says would not end within it\n"
              "      --cgroup-parent DIR where to create the cgroups (default: jitmem's own cgroup in\n"
              "                          the memory hierarchy)\n"
              "  -o, --out DIR           fit directory (default jitmem-fit-YYYYmmdd-HHMMSS); one that\n"
              "                          holds a fit is refused unless --resume or --force\n"
              "      --resume            go on from the finished trials in OUT\n"
              "      --force             replace the fit in OUT (its fit.json and trials)\n"
              "  -i, --interval DUR      sampling interval (default 50ms)\n"
              "      --http URL          the command is a server: once URL answers, drive it with an HTTP\n"
              "                          load, then stop it (as jitmem compare --http)\n"
              "      --rate R            open model: R requests a second (default: closed model)\n"
              "      --duration DUR      how long the load lasts (default 30s)\n"
              "      --connections N     connections (default 16)\n"
              "      --requests FILE     the request mix, as jitmem load reads it (default GET URL)\n"
              "      --http-warmup DUR   an unmeasured load first (default none)\n"
              "      --ready-timeout DUR how long to wait for URL to answer (default 30s)\n"
              "      --json              print fit.json on stdout instead of the summary\n"
              "      --no-report         do not write OUT/report.html (the HTML report, see jitmem report)\n"
              "      --db PATH           the history database the complete result is added to (default:\n"
              "                          $JITMEM_HISTORY_DB, else $XDG_DATA_HOME/jitmem/history.db, else\n"
              "                          ~/.local/share/jitmem/history.db; see jitmem history)\n"
              "      --no-history        do not add the result to the history\n"
              "  -h, --help              this help\n"
              "\n"
              "Exit status: 0 every limit asked for was found; 1 not (a bound stopped the search, the\n"
              "command failed with no limit, a cgroup cannot be created: the message says why); 2\n"
              "usage; 130 interrupted (finished trials are kept: rerun with --resume).\n",
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

struct fit_cli {
        struct fit_options o;
        struct cli_workload w;
        struct cglimit_parent parent;
        struct python_info *pi;
        const char *parent_dir, *modes_text;
        int json, modes_set, python_set;
        int no_report;                  /* --no-report */
        char default_out[64], err[1024];
};

static const struct option fit_opts[] = {
        { "workload", required_argument, NULL, 'W' },
        { "python", required_argument, NULL, 'p' },
        { "scale", required_argument, NULL, 's' },
        { "workers", required_argument, NULL, 'k' },
        { "modes", required_argument, NULL, 'm' },
        { "precision", required_argument, NULL, 'P' },
        { "margin", required_argument, NULL, 'M' },
        { "max-trials", required_argument, NULL, 'N' },
        { "budget", required_argument, NULL, 'B' },
        { "cgroup-parent", required_argument, NULL, 'G' },
        { "out", required_argument, NULL, 'o' },
        { "resume", no_argument, NULL, 'R' },
        { "force", no_argument, NULL, 'F' },
        { "interval", required_argument, NULL, 'i' },
        { "http", required_argument, NULL, 'U' },
        { "rate", required_argument, NULL, 'q' },
        { "duration", required_argument, NULL, 'd' },
        { "connections", required_argument, NULL, 'c' },
        { "requests", required_argument, NULL, 'Q' },
        { "http-warmup", required_argument, NULL, 'w' + 256 },
        { "ready-timeout", required_argument, NULL, 'y' },
        { "json", no_argument, NULL, 'j' },
        { "no-report", no_argument, NULL, 'r' + 256 },
        { "db", required_argument, NULL, CLI_OPT_DB },
        { "no-history", no_argument, NULL, CLI_OPT_NO_HISTORY },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
};

/* --precision: a size ("4K", "1M") or a share of the peak ("1%"). */
static int parse_precision(struct fit_cli *s, const char *arg)
{
        size_t n = strlen(arg);

        if (n > 1 && arg[n - 1] == '%') {
                char num[32];
                double v;
                if (n - 1 >= sizeof(num))
                        return -EINVAL;
                memcpy(num, arg, n - 1);
                num[n - 1] = '\0';
                if (util_parse_number(num, &v) < 0 || !(v > 0) || v > 50)
                        return -EINVAL;
                s->o.params.precision_share = v / 100;
                s->o.params.precision_bytes = 0;
                return 0;
        }
        uint64_t b;
        if (util_parse_size(arg, &b) < 0 || b == 0)
                return -EINVAL;
        s->o.params.precision_bytes = b;
        return 0;
}

static int parse_fit_option(struct fit_cli *s, int c, int *ret_mine)
{
        uint64_t u;
        double v;

        *ret_mine = 1;
        switch (c) {
        case 'W': s->w.name = optarg; break;
        case 'p':
                if (cli_empty_value("fit", "--python", optarg, "an interpreter"))
                        return CLI_EXIT_USAGE;
                if (s->python_set++)
                        return cli_usage_error("fit", "one --python: a fit finds the limits of one interpreter "
                                               "(jitmem compare --python A --python B puts interpreters side by side)");
                s->w.python = optarg;
                break;
        case 's':
                if (util_parse_number(optarg, &v) < 0 || !(v > 0) || v > 1000)
                        return cli_usage_error("fit", "bad --scale '%s': expected a number above 0, at most 1000", optarg);
                s->w.scale = optarg;
                break;
        case 'k':
                if (util_parse_u64(optarg, strlen(optarg), &u) != (int)strlen(optarg) || u < 1 || u > 1024)
                        return cli_usage_error("fit", "bad --workers '%s': expected a whole number from 1 to 1024", optarg);
                s->w.workers = (int)u;
                s->w.workers_set = 1;
                snprintf(s->w.workers_s, sizeof(s->w.workers_s), "%d", s->w.workers);
                break;
        case 'm':
                if (strcmp(optarg, "off") == 0)
                        s->o.modes = 1;
                else if (strcmp(optarg, "on") == 0)
                        s->o.modes = 2;
                else if (strcmp(optarg, "off,on") == 0 || strcmp(optarg, "on,off") == 0)
                        s->o.modes = 3;
                else
                        return cli_usage_error("fit", "bad --modes '%s': expected off, on or off,on", optarg);
                s->modes_set = 1;
                break;
        case 'P':
                if (parse_precision(s, optarg) < 0)
                        return cli_usage_error("fit", "bad --precision '%s': expected a size such as 1M or 4K, or a "
                                               "percentage of the peak above 0, at most 50, such as 1%%", optarg);
                s->o.precision_text = optarg;
                break;
        case 'M':
                if (util_parse_number(optarg, &v) < 0 || v > 1000)
                        return cli_usage_error("fit", "bad --margin '%s': expected a percentage from 0 to 1000", optarg);
                s->o.params.margin = v / 100;
                break;
        case 'N':
                if (util_parse_u64(optarg, strlen(optarg), &u) != (int)strlen(optarg) || u < 2 || u > FIT_MAX_TRIALS)
                        return cli_usage_error("fit", "bad --max-trials '%s': expected a whole number from 2 to %d", optarg,
                                               FIT_MAX_TRIALS);
                s->o.params.max_trials = (int)u;
                break;
        case 'B':
                if (util_parse_duration(optarg, &s->o.budget_ns) < 0 || s->o.budget_ns == 0)
                        return cli_usage_error("fit", "bad --budget '%s': expected a duration such as 1h; units: " UTIL_DURATION_UNITS, optarg);
                break;
        case 'G':
                if (cli_empty_value("fit", "--cgroup-parent", optarg, "a cgroup directory"))
                        return CLI_EXIT_USAGE;
                if (optarg[0] != '/')
                        return cli_usage_error("fit", "bad --cgroup-parent '%s': expected an absolute directory", optarg);
                s->parent_dir = optarg;
                break;
        case 'o':
                if (cli_empty_value("fit", "--out", optarg, "a directory"))
                        return CLI_EXIT_USAGE;
                s->o.out = optarg;
                break;
        case 'R': s->o.resume = 1; break;
        case 'F': s->o.force = 1; break;
        case 'j': s->json = 1; break;
        case 'r' + 256: s->no_report = 1; break;
        case 'i':
                if (util_parse_duration(optarg, &s->o.run.interval_ns) < 0 || s->o.run.interval_ns < 1000000ULL ||
                    s->o.run.interval_ns > 3600000000000ULL)
                        return cli_usage_error("fit", "bad --interval '%s': expected a duration from 1ms to 1h; units: " UTIL_DURATION_UNITS, optarg);
                break;
        default:
                *ret_mine = 0;
        }
        return GO_ON;
}

static int parse_options(struct fit_cli *s, int argc, char **argv)
{
        int c, code, mine;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:o:i:h", fit_opts, NULL)) != -1) {
                if (c == 'h') {
                        fit_usage(stdout);
                        return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
                }
                code = parse_fit_option(s, c, &mine);
                if (!mine)
                        code = cli_workload_http_option("fit", &s->w, c, optarg, &mine);
                if (!mine)
                        code = cli_history_option("fit", c, optarg, &mine);
                if (!mine)
                        return cli_option_error("fit", c, argv);
                if (code != GO_ON)
                        return code;
        }
        if (s->o.resume && s->o.force)
                return cli_usage_error("fit", "--resume goes on with the fit in OUT, --force replaces it: not both");
        if (s->o.resume && !s->o.out)
                return cli_usage_error("fit", "--resume needs the --out of the fit to go on with");
        return GO_ON;
}

/* The modes: both unless told, off only where the interpreter has no JIT machine code. */
static int check_jit(struct fit_cli *s)
{
        char safe[CLI_TEXT_SIZE], vsafe[4 * 64 + 1]; /* the version is the interpreter's word */

        if (!s->w.probe)
                return GO_ON;
        s->pi = calloc(1, sizeof(*s->pi));
        if (!s->pi || python_probe(s->w.interp, PYTHON_PROBE_TIMEOUT_NS, 0, 0, s->pi, s->err, sizeof(s->err)) < 0) {
                cli_error("cannot probe %s: %s", cli_text(s->w.interp, safe, sizeof(safe)), s->err[0] ? s->err : "out of memory");
                return CLI_EXIT_FAILURE;
        }
        s->o.python = s->pi;
        if (s->w.name && s->pi->executable[0] && access(s->pi->executable, X_OK) == 0)
                s->w.wargv[0] = s->pi->executable;
        if (s->pi->build == PY_JIT_BUILT_ON || s->pi->build == PY_JIT_BUILT_OFF)
                return GO_ON;
        if (s->modes_set && (s->o.modes & 2)) {
                cli_error("%s (Python %s) has no JIT machine code (JIT: %s): --modes on would measure nothing",
                          cli_text(s->w.interp, safe, sizeof(safe)), cli_text(s->pi->version, vsafe, sizeof(vsafe)), python_jit_build_text(s->pi->build));
                return CLI_EXIT_FAILURE;
        }
        s->o.modes = 1;
        cli_error("note: %s (Python %s) has no JIT machine code (JIT: %s): fitting with the JIT off only",
                  cli_text(s->w.interp, safe, sizeof(safe)), cli_text(s->pi->version, vsafe, sizeof(vsafe)), python_jit_build_text(s->pi->build));
        return GO_ON;
}

static int find_parent(struct fit_cli *s)
{
        char why[1024] = "";
        int r = cglimit_find_parent(s->parent_dir, &s->parent, why, sizeof(why));

        if (r < 0) {
                char safe[CLI_TEXT_SIZE];
                cli_error("cannot create memory cgroups: %s", cli_text(why[0] ? why : util_strerror(r), safe, sizeof(safe)));
                return CLI_EXIT_FAILURE;
        }
        s->o.parent = &s->parent;
        return GO_ON;
}

static const char *bytes_or_dash(int have, uint64_t v, char *buf, size_t size)
{
        if (!have)
                return "-";
        return fit_format_limit(v, buf, size);
}

static void print_summary(const struct fit_cli *s, const struct fit_result *r)
{
        const char *names[2] = { "JIT off", "JIT on" };
        char a[2][32];
        int shown[2], nshown = 0;

        for (int on = 0; on < 2; on++)
                nshown += shown[on] = r->mode[on].ran || r->mode[on].ntrials;
        if (!nshown)
                return;
        printf("%-24s", "");
        for (int on = 0; on < 2; on++)
                if (shown[on])
                        printf("%16s", names[on]);
        printf("\n%-24s", "smallest limit passed");
        for (int on = 0; on < 2; on++)
                if (shown[on])
                        printf("%16s", bytes_or_dash(r->mode[on].bracket.have_pass, r->mode[on].bracket.pass_bytes, a[on], 32));
        printf("\n%-24s", "highest limit failed");
        for (int on = 0; on < 2; on++)
                if (shown[on])
                        printf("%16s", bytes_or_dash(r->mode[on].bracket.have_fail, r->mode[on].bracket.fail_bytes, a[on], 32));
        printf("\n%-24s", "precision");
        for (int on = 0; on < 2; on++)
                if (shown[on])
                        printf("%16s", bytes_or_dash(r->mode[on].bracket.precision_bytes > 0,
                                                     r->mode[on].bracket.precision_bytes, a[on], 32));
        printf("\n%-24s", "trials");
        for (int on = 0; on < 2; on++)
                if (shown[on])
                        printf("%16zu", r->mode[on].ntrials);
        if (s->w.workers > 1) {
                char label[40];
                snprintf(label, sizeof(label), "per worker (/%d)", s->w.workers);
                printf("\n%-24s", label);
                for (int on = 0; on < 2; on++)
                        if (shown[on])
                                printf("%16s", bytes_or_dash(r->mode[on].bracket.have_pass,
                                                             r->mode[on].bracket.pass_bytes / (uint64_t)s->w.workers, a[on], 32));
        }
        printf("\n");
        for (int on = 0; on < 2; on++) {
                if (!shown[on])
                        continue;
                const struct fit_mode_result *m = &r->mode[on];
                if (m->end == FIT_DONE)
                        printf("%s: found within the precision%s\n", names[on],
                               m->bracket.inconsistent ? " (note: a limit at or above it failed once: the command "
                                                         "does not fail at one limit every time)" : "");
                else if (m->end == FIT_TRY || m->end == FIT_TRY_UNLIMITED)
                        printf("%s: not finished (interrupted)\n", names[on]);
                else
                        printf("%s: not found: %s%s\n", names[on], m->why,
                               m->bracket.have_pass ? "; the bracket reached is above" : "");
        }
        if (r->have_difference) {
                char d[32];
                char lo[32], hi[32];
                util_format_signed_bytes(r->difference_bytes, "+", d, sizeof(d));
                util_format_signed_bytes(r->difference_low_bytes, "+", lo, sizeof(lo));
                util_format_signed_bytes(r->difference_high_bytes, "+", hi, sizeof(hi));
                printf("JIT on - off: %s (%+.1f%%); from the brackets, between %s and %s%s\n", d, r->difference_pct, lo, hi,
                       r->difference_low_bytes < 0 && r->difference_high_bytes > 0
                               ? ": no difference established at this precision" : "");
        }
        printf("trials in %s/trials, the result in %s/fit.json\n", s->o.out, s->o.out);
}

static int run_fit(struct fit_cli *s)
{
        struct fit_result *result = NULL;
        struct sigaction sa;
        int r, code = CLI_EXIT_FAILURE;

        if (!s->o.out)
                s->o.out = util_new_dir_name("jitmem-fit", s->default_out, sizeof(s->default_out));
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_stop_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        s->o.stop = &stop_requested;
        r = fit_experiment(&s->o, &result, s->err, sizeof(s->err));
        if (r < 0) {
                char safe[CLI_TEXT_SIZE];
                cli_error("%s", cli_text(s->err, safe, sizeof(safe)));
        }
        if (result && result->json) {
                if (s->json) {
                        if (jsonout_dumpf(result->json, stdout, JSONOUT_DUMP_FLAGS) == 0)
                                fputc('\n', stdout);
                } else {
                        print_summary(s, result);
                }
                if (r == 0)
                        cli_history_add(s->o.out, result->json, s->w.name, 1);
                if (!s->no_report)
                        cli_write_report(s->o.out);
        }
        if (cli_close_stdout() < 0) {
                cli_error("cannot write to stdout");
        } else if (r == -EINTR) {
                code = CLI_EXIT_INTERRUPTED;
        } else if (r == 0) {
                int found = 1;
                for (int on = 0; on < 2; on++)
                        if ((s->o.modes & (1 << on)) && result->mode[on].end != FIT_DONE) {
                                found = 0;
                                cli_error("no limit found with the JIT %s: %s", on ? "on" : "off", result->mode[on].why);
                        }
                code = found ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
        }
        fit_result_free(result);
        return code;
}

int cmd_fit(int argc, char **argv)
{
        struct fit_cli s;
        int code;

        memset(&s, 0, sizeof(s));
        cli_workload_init(&s.w);
        runner_options_default(&s.o.run);
        s.o.run.interval_ns = 50000000ULL;
        fit_params_default(&s.o.params);
        s.o.modes = 3;
        s.o.budget_ns = 3600000000000ULL;
        s.o.status = status_cb;
        code = parse_options(&s, argc, argv);
        if (code == GO_ON)
                code = cli_workload_setup("fit", &s.w, argc, argv, optind);
        if (code == GO_ON) {
                s.o.argv = s.w.argv;
                s.o.workers = s.w.workers;
                if (s.w.have_http)
                        s.o.http = &s.w.http;
                code = check_jit(&s);
        }
        if (code == GO_ON)
                code = find_parent(&s);
        if (code == GO_ON)
                code = run_fit(&s);
        cli_workload_free(&s.w);
        free(s.pi);
        return code;
}
