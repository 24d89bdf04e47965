/* jitmem report: the HTML report of a recorded run, comparison, fit or watch recording. */
#include "cli.h"
#include "report.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void report_usage(FILE *f)
{
        fputs("Usage: jitmem report [OPTIONS] DIR\n"
              "\n"
              "Writes one HTML page that shows what DIR recorded, to read in a browser or attach to a\n"
              "ticket. DIR is a run directory (jitmem run --out), a comparison directory (jitmem\n"
              "compare --out), a fit directory (jitmem fit --out) or a recording of jitmem watch\n"
              "(--record); each is recognised by its files. The page works offline and alone: its\n"
              "charts are inline SVG, nothing is fetched.\n"
              "\n"
              "A comparison: the verdict and each rule with its value and threshold; memory over time\n"
              "(or work done) for each mode, the median run as a line and all runs as a band, for RSS,\n"
              "PSS, JIT code and debug images; the delta at equal work done with 95% intervals; each\n"
              "worker's memory with restarts marked; executors compiled and freed (--trace-jit);\n"
              "throughput and latency; the interpreter, the machine and the cgroup; every figure;\n"
              "the other comparisons of the same workload kept in the history (jitmem history), when\n"
              "there are any.\n"
              "A run: the same for one run. A watch recording adds each process's growth class and\n"
              "the projection of the tree's memory to the limit. A fit: both limits and their\n"
              "difference, each trial's limit and outcome, the memory of the trial at each limit.\n"
              "\n"
              "Options:\n"
              "  -o, --out FILE   where to write the page (default DIR/report.html)\n"
              "      --db PATH    the history database a comparison's history is read from (default:\n"
              "                   $JITMEM_HISTORY_DB, else $XDG_DATA_HOME/jitmem/history.db, else\n"
              "                   ~/.local/share/jitmem/history.db); read only, none is no section\n"
              "  -h, --help       this help\n"
              "\n"
              "Prints the path written on stdout. jitmem compare and jitmem fit write OUT/report.html\n"
              "by themselves.\n"
              "\n"
              "Examples:\n"
              "  jitmem report runs/r1\n"
              "  jitmem report jitmem-compare-20260101-120000 -o /tmp/jit.html\n"
              "\n"
              "Exit status: 0; 1 DIR is not a run, comparison, fit or watch directory, or cannot be read,\n"
              "or the page cannot be written; 2 usage.\n",
              f);
}

int cmd_report(int argc, char **argv)
{
        static const struct option opts[] = {
                { "out", required_argument, NULL, 'o' },
                { "db", required_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        const char *out = NULL, *db = NULL, *dir;
        char path[4352], err[1024], safe[CLI_TEXT_SIZE];
        int c, r;

        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
                switch (c) {
                case 'o':
                        if (cli_empty_value("report", "--out", optarg, "a file"))
                                return CLI_EXIT_USAGE;
                        out = optarg;
                        break;
                case 'd':
                        if (cli_empty_value("report", "--db", optarg, "a file"))
                                return CLI_EXIT_USAGE;
                        db = optarg;
                        break;
                case 'h':
                        report_usage(stdout);
                        return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
                default:
                        return cli_option_error("report", c, argv);
                }
        }
        if (optind >= argc)
                return cli_usage_error("report", "a directory is required");
        if (optind + 1 < argc)
                return cli_usage_error("report", "one directory only (got '%s' too)",
                                       cli_text(argv[optind + 1], safe, sizeof(safe)));
        dir = argv[optind];
        if (!*dir)
                return cli_usage_error("report", "empty directory: expected a run, comparison, fit or watch directory");
        if (!out) {
                if (snprintf(path, sizeof(path), "%s/report.html", dir) >= (int)sizeof(path))
                        return cli_usage_error("report", "directory name too long");
                out = path;
        }
        r = report_write_db(dir, out, db, err, sizeof(err));
        if (r < 0) {
                cli_error("%s", cli_text(err, safe, sizeof(safe)));
                return CLI_EXIT_FAILURE;
        }
        printf("%s\n", out);
        return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
