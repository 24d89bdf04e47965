#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

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

int cli_close_stdout(void)
{
        int e = 0;

        if (fflush(stdout) != 0)
                e = errno ? -errno : -EIO;
        if (ferror(stdout) && e == 0)
                e = -EIO;
        return e;
}
