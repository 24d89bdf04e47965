#include "cli.h"
#include "history.h"
#include "kfile.h"
#include "report.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

const char *cli_text(const char *s, char *buf, size_t size)
{
        util_escape_text(s, strlen(s), buf, size);
        return buf;
}

void cli_error(const char *fmt, ...)
{
        va_list ap;

        fflush(stdout);
        fputs("jitmem: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
        va_list ap;

        fflush(stdout);
        fputs("jitmem: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry 'jitmem %s%s--help' for more information.\n", cmd ? cmd : "", cmd ? " " : "");
        return CLI_EXIT_USAGE;
}

int cli_empty_value(const char *cmd, const char *option, const char *value, const char *expected)
{
        if (value && *value)
                return 0;
        cli_usage_error(cmd, "empty %s: expected %s", option, expected);
        return 1;
}

int cli_close_stdout(void)
{
        int e = 0;

        if (fflush(stdout) != 0)
                e = errno ? -errno : -EIO;
        if (ferror(stdout) && e == 0)
                e = -EIO;
        return e;
}

int cli_option_error(const char *cmd, int c, char *const argv[])
{
        const char *arg = optind > 0 ? argv[optind - 1] : "";
        char name[64];

        if (optopt > 0 && optopt < 256 && strncmp(arg, "--", 2) != 0)
                snprintf(name, sizeof(name), "-%c", optopt); /* a short option, perhaps in a cluster */
        else
                snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
        if (c == ':')
                return cli_usage_error(cmd, "option '%s' needs a value", name);
        return cli_usage_error(cmd, "unknown option '%s'", name);
}

/* The history options given (one subcommand per process). */
static const char *history_db;
static int history_no, history_yes;

int cli_history_option(const char *cmd, int c, const char *arg, int *ret_mine)
{
        *ret_mine = 1;
        switch (c) {
        case CLI_OPT_DB:
                if (cli_empty_value(cmd, "--db", arg, "a file"))
                        return CLI_EXIT_USAGE;
                history_db = arg;
                break;
        case CLI_OPT_NO_HISTORY: history_no = 1; break;
        case CLI_OPT_HISTORY: history_yes = 1; break;
        default:
                *ret_mine = 0;
        }
        return -1;
}

const char *cli_history_path(char *buf, size_t size, char *err, size_t err_size)
{
        if (history_db) {
                snprintf(buf, size, "%s", history_db);
                return buf;
        }
        return history_default_path(buf, size, err, err_size) < 0 ? NULL : buf;
}

void cli_history_add(const char *dir, json_t *doc, const char *workload, int by_default)
{
        struct history_extra x = { workload, NULL };
        struct history *h = NULL;
        char path[4096], err[1024], safe[CLI_TEXT_SIZE], safe_dir[CLI_TEXT_SIZE];
        int r;

        if (history_no || !(by_default || history_yes || history_db))
                return;
        fflush(stdout);
        if (!cli_history_path(path, sizeof(path), err, sizeof(err)))
                r = -ENOENT;
        else if ((r = history_open(path, 0, &h, err, sizeof(err))) == 0)
                r = doc ? (json_object_get(doc, "modes") ? history_add_fit(h, doc, dir, &x, err, sizeof(err))
                                                         : history_add_comparison(h, doc, dir, &x, err, sizeof(err)))
                        : history_add_dir(h, dir, &x, err, sizeof(err));
        history_close(h);
        if (r < 0)
                cli_error("warning: the result was not added to the history (%s); it is kept in %s",
                          cli_text(err, safe, sizeof(safe)), cli_text(dir, safe_dir, sizeof(safe_dir)));
        else
                fprintf(stderr, "history: %s\n", cli_text(path, safe, sizeof(safe)));
}

void cli_write_report(const char *dir)
{
        char path[KFILE_PATH_MAX + 16], err[1024], safe[CLI_TEXT_SIZE];

        snprintf(path, sizeof(path), "%s/report.html", dir);
        fflush(stdout);
        if (report_write_db(dir, path, history_db, err, sizeof(err)) < 0)
                cli_error("warning: no report.html: %s", cli_text(err, safe, sizeof(safe)));
        else
                fprintf(stderr, "report: %s\n", cli_text(path, safe, sizeof(safe)));
}
