/* What every subcommand shares: exit codes, messages, stdout handling. Only the CLI prints. */
#ifndef JITMEM_CLI_H
#define JITMEM_CLI_H

#include <stdio.h>

#include "exitcode.h"

/* Exit codes (exitcode.h: the table in `jitmem --help`, README.md and docs/jitmem.1), under the
 * names the subcommands use. */
enum {
        CLI_EXIT_OK = EXIT_CODE_OK,
        CLI_EXIT_FAILURE = EXIT_CODE_FAILURE,
        CLI_EXIT_USAGE = EXIT_CODE_USAGE,
        CLI_EXIT_RUN_FAILED = EXIT_CODE_RUN_FAILED,
        CLI_EXIT_NOT_EXEC = EXIT_CODE_NOT_EXEC,
        CLI_EXIT_NOT_FOUND = EXIT_CODE_NOT_FOUND,
        CLI_EXIT_INTERRUPTED = EXIT_CODE_INTERRUPTED,
};

#define CLI_EXIT_CODES_HELP                                                                         \
        "Exit status:\n"                                                                            \
        "  0    success (run: the command's own status is returned; 128+N when killed by signal N)\n" \
        "  1    env: the interpreter could not be probed; compare: it could not be run; fit: a limit\n" \
        "       was not found; load: no\n"                                                           \
        "       request completed; watch: nothing to watch, or it cannot listen; analyze: not a\n"    \
        "       run directory; report: not a run, comparison or watch directory; history: the\n"     \
        "       database cannot be read, or --check found a workload worse than before\n"           \
        "  2    usage error: unknown option, bad size, duration or value\n"                          \
        "  125  run: jitmem failed (output directory unwritable, disk full, ...), or a measurement\n"  \
        "       failed (--trace-jit: the trace disagrees with /proc)\n"                            \
        "  126  run: the command was found but cannot be executed\n"                                \
        "  127  run: the command was not found\n"                                                   \
        "  130  compare, fit: interrupted (completed runs are kept: rerun with --resume)\n"

/* s (a command, a path, a process's name: any bytes) made safe to print by util_escape_text
 * into buf, which CLI_TEXT_SIZE bytes make enough for a path (a longer s is cut). Returns buf. */
#define CLI_TEXT_SIZE (4 * 4096 + 1)
const char *cli_text(const char *s, char *buf, size_t size);

/* Prints "jitmem: <message>\n" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints a usage error and a pointer to --help for the subcommand; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Whether an option's value is the empty string where a path, pattern or address is expected
 * (an empty --out names no directory, an empty --match would match every process): then says
 * the usage error ("empty --out: expected a directory") and returns 1; else returns 0. */
int cli_empty_value(const char *cmd, const char *option, const char *value, const char *expected);

/* The usage error for what getopt_long() returned as c ('?' or ':') when its option string
 * starts with ':' (after any '+'): one line naming the option, and the pointer to --help.
 * Returns CLI_EXIT_USAGE. */
int cli_option_error(const char *cmd, int c, char *const argv[]);

/* Flushes and checks stdout (a failed write of stdout is an error). Returns 0 or -errno. */
int cli_close_stdout(void);

int cmd_env(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* What `jitmem run` prints on stderr when the command has ended, from its summary.json: the
 * table (unless quiet) and the JIT trace's findings (warnings even when quiet). cmd names the
 * command, out the run directory. */
struct json_t;
void cmd_run_print_summary(FILE *f, struct json_t *summary, const char *cmd, const char *out, int quiet);
int cmd_compare(int argc, char **argv);
int cmd_fit(int argc, char **argv);
int cmd_load(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* What `jitmem watch` prints at a tick, from its state: the terminal view (view) or one line
 * for logs, each event before it; clock is the time of day shown ("12:00:01"). */
struct watch;
void cmd_watch_print(FILE *f, const struct watch *w, int view, double interval_s, const char *clock);
int cmd_analyze(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* --pyperf PREFIX: whether the files can be made there (PREFIX's directory opens, its last
 * component is not too long); else says the usage error. Returns 0 or -errno. */
int cli_pyperf_check(const char *prefix);

/* Writes what pyperf_export (pyperf.h) makes of docs[0..n) (labels: NULL or one per document),
 * each file PREFIX-SUFFIX.json (DIR/SUFFIX.json when PREFIX ends with '/'; a final ".json" of
 * PREFIX dropped) written atomically; prints each path on stderr ("pyperf: PATH"), what was left
 * out and the warnings. A file that cannot be written is a warning. Returns the number of files
 * written, or -errno when none could be made. */
struct json_t;
int cli_write_pyperf(struct json_t *const *docs, const char *const *labels, size_t n, const char *prefix);

/* Writes DIR/report.html (jitmem report) and prints its path on stderr ("report: PATH"), or a
 * warning: a comparison or a fit whose report cannot be written has not failed. */
void cli_write_report(const char *dir);

/* The history options of compare, fit and run (docs/history.md): --db PATH names the database
 * (else JITMEM_HISTORY_DB, else the default path), --no-history leaves it alone, --history
 * (run) adds to it. Each subcommand names them in its long options with these values and
 * passes them to cli_history_option(). */
#define CLI_OPT_DB 0x3000
#define CLI_OPT_NO_HISTORY 0x3001
#define CLI_OPT_HISTORY 0x3002

/* Takes c when it is one of the history options: returns -1 (go on) or an exit status, with
 * *ret_mine 1; else *ret_mine 0. */
int cli_history_option(const char *cmd, int c, const char *arg, int *ret_mine);

/* The history's path as the options and the environment give it, or NULL (err says why). */
const char *cli_history_path(char *buf, size_t size, char *err, size_t err_size);

/* Appends the complete result in DIR to the history (doc: its comparison.json or fit.json
 * document; NULL: read from DIR, a run's), when the options want it: compare and fit by
 * default (by_default 1), run only with --history or --db. Prints "history: PATH" on success,
 * or the warning that the result was not added and is kept in DIR; never changes the exit
 * status. workload: the bundled workload's name, or NULL. */
struct json_t;
void cli_history_add(const char *dir, struct json_t *doc, const char *workload, int by_default);
int cmd_history(int argc, char **argv);

#endif
