/* jitmem: what CPython's JIT costs a workload in memory. The subcommands live in cmd_*.c. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
        fputs("Usage: jitmem COMMAND [OPTIONS]\n"
              "\n"
              "Measures what CPython's JIT costs a workload in memory: JIT code bytes (anonymous\n"
              "executable mappings, which tracemalloc never sees), RSS, PSS and USS of a whole\n"
              "process tree, and the container's limits.\n"
              "\n"
              "Commands:\n"
              "  env       what this Python is, whether it has a JIT and whether it is on, the\n"
              "            start-up RSS with the JIT off and on, the cgroup's limits, the machine\n"
              "  run       run a command and sample its whole process tree until it exits\n"
              "  compare   run it with the JIT off and on, interleaved, and decide with statistics\n"
              "  fit       the smallest memory limit that survives, JIT off and on, found by running\n"
              "            the command in memory cgroups jitmem creates and removes\n"
              "  load      identical HTTP load: a constant rate or N connections, latency percentiles\n"
              "  watch     watch running processes live: warm-up or leak, time to the limit, restarts;\n"
              "            a terminal view, JSON ticks, or Prometheus metrics\n"
              "  analyze   the same growth analysis, offline, on a recorded run\n"
              "  report    an HTML page with charts of a recorded run, comparison, fit or watch\n"
              "            recording\n"
              "  history   the results kept from earlier comparisons, fits and runs; a workload's\n"
              "            trend across interpreter versions; --check for CI\n"
              "\n"
              "Examples:\n"
              "  jitmem env\n"
              "  jitmem env --python /opt/python3.14/bin/python3.14 --json\n"
              "  jitmem run --out runs/r1 -- python3 myjob.py --flag\n"
              "  jitmem run --jit on --interval 20ms --out runs/r2 -- gunicorn -w 4 app:app\n"
              "  jitmem compare --python python3.14 --workload dynamic\n"
              "  jitmem compare --runs 7 --limit 384M --workers 4 -- python3.14 worker.py\n"
              "  jitmem fit --python python3.14 --workload webapp --workers 4 --rate 100 --duration 10s\n"
              "  jitmem watch --match 'gunicorn' --limit 384M --listen 127.0.0.1:9464\n"
              "  jitmem analyze runs/r1\n"
              "  jitmem report runs/r1\n"
              "  jitmem history --workload broad\n"
              "\n"
              "Run 'jitmem COMMAND --help' for a command's options; 'man jitmem' for the whole manual;\n"
              "'jitmem --version' for the version.\n"
              "\n" CLI_EXIT_CODES_HELP,
              f);
}

int main(int argc, char **argv)
{
        const char *cmd = argc > 1 ? argv[1] : NULL;
        int r;

        if (!cmd) {
                usage(stderr);
                return CLI_EXIT_USAGE;
        }
        if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
                usage(stdout);
                return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
        }
        if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
                printf("jitmem %s\n", JITMEM_VERSION);
                return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
        }
        if (strcmp(cmd, "env") == 0)
                r = cmd_env(argc - 1, argv + 1);
        else if (strcmp(cmd, "run") == 0)
                r = cmd_run(argc - 1, argv + 1);
        else if (strcmp(cmd, "compare") == 0)
                r = cmd_compare(argc - 1, argv + 1);
        else if (strcmp(cmd, "fit") == 0)
                r = cmd_fit(argc - 1, argv + 1);
        else if (strcmp(cmd, "load") == 0)
                r = cmd_load(argc - 1, argv + 1);
        else if (strcmp(cmd, "watch") == 0)
                r = cmd_watch(argc - 1, argv + 1);
        else if (strcmp(cmd, "analyze") == 0)
                r = cmd_analyze(argc - 1, argv + 1);
        else if (strcmp(cmd, "report") == 0)
                r = cmd_report(argc - 1, argv + 1);
        else if (strcmp(cmd, "history") == 0)
                r = cmd_history(argc - 1, argv + 1);
        else
                return cli_usage_error(NULL, "unknown command '%s'", cmd);
        return r;
}
