/* jitmem's exit codes: one table for every layer that decides one (the CLI, and the runner,
 * which returns what `jitmem run` exits with). Documented in `jitmem --help` (CLI_EXIT_CODES_HELP
 * in cli.h), README.md and docs/jitmem.1. */
#ifndef JITMEM_EXITCODE_H
#define JITMEM_EXITCODE_H

enum exitcode {
        EXIT_CODE_OK = 0,
        EXIT_CODE_FAILURE = 1,      /* what was asked could not be done */
        EXIT_CODE_USAGE = 2,        /* bad option or value */
        EXIT_CODE_RUN_FAILED = 125, /* run: jitmem itself failed (output unwritable, disk full, ...) */
        EXIT_CODE_NOT_EXEC = 126,   /* run: the command exists but cannot be executed */
        EXIT_CODE_NOT_FOUND = 127,  /* run: the command was not found */
        EXIT_CODE_INTERRUPTED = 130, /* compare: interrupted (completed runs are kept) */
        EXIT_CODE_MAX
};

#endif
