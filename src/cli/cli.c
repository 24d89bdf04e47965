#include "cli.h"
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

void cli_write_report(const char *dir)
{
        char path[KFILE_PATH_MAX + 16], err[1024], safe[CLI_TEXT_SIZE];

        snprintf(path, sizeof(path), "%s/report.html", dir);
        fflush(stdout);
        if (report_write(dir, path, err, sizeof(err)) < 0)
                cli_error("warning: no report.html: %s", cli_text(err, safe, sizeof(safe)));
        else
                fprintf(stderr, "report: %s\n", cli_text(path, safe, sizeof(safe)));
}
