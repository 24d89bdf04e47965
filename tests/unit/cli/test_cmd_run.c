/* What `jitmem run` prints when its command has ended, from recorded summary.json files, against
 * the text kept in tests/data/golden/run-NAME.txt (run from the repository's root). When a
 * change of the table is meant, JITMEM_GOLDEN_WRITE=1 writes the files again. */
#include "cli.h"
#include "unit.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX (64 * 1024)

/* The file's text into buf; -1 when it cannot be opened. */
static long slurp(const char *path, char *buf, size_t size)
{
        FILE *f = fopen(path, "re");
        size_t n;

        if (!f)
                return -1;
        n = fread(buf, 1, size - 1, f);
        buf[n] = '\0';
        fclose(f);
        return (long)n;
}

static void golden(const char *name, const char *summary_path, int quiet)
{
        static char got[TEXT_MAX], want[TEXT_MAX];
        char gold[512];
        json_error_t jerr;
        json_t *sum = json_load_file(summary_path, 0, &jerr);
        FILE *f;
        size_t n;

        CHECK(sum != NULL);
        if (!sum)
                return;
        f = fmemopen(got, sizeof(got) - 1, "w");
        CHECK(f != NULL);
        if (!f) {
                json_decref(sum);
                return;
        }
        cmd_run_print_summary(f, sum, "python3", "DIR", quiet);
        n = (size_t)ftell(f);
        fclose(f);
        got[n] = '\0';
        json_decref(sum);
        snprintf(gold, sizeof(gold), "tests/data/golden/%s", name);
        if (getenv("JITMEM_GOLDEN_WRITE")) {
                FILE *w = fopen(gold, "we");
                CHECK(w != NULL && fwrite(got, 1, n, w) == n && fclose(w) == 0);
                return;
        }
        CHECK(slurp(gold, want, sizeof(want)) >= 0);
        if (strcmp(got, want) != 0) {
                fprintf(stderr, "%s differs from %s; printed:\n%s", name, gold, got);
                CHECK(0);
        } else {
                CHECK(1);
        }
}

int main(void)
{
        golden("run-pyenv-shim.txt", "tests/data/runs/pyenv-shim/summary.json", 0);
        golden("run-pyenv-prefork.txt", "tests/data/runs/pyenv-prefork/summary.json", 0);
        golden("run-py315-broad.txt", "tests/data/runs/py315-broad/summary.json", 0);
        golden("run-fakejit-debug.txt", "tests/data/compare/fakejit-debug/runs/02-on/summary.json", 0);
        golden("run-py315-broad-quiet.txt", "tests/data/runs/py315-broad/summary.json", 1);
        /* Summaries edited from those (tests/data/summaries/README.md) for what runs rarely show. */
        static const char *const edited[] = { "trace-disagrees-killed-limit", "trace-overstates-pss-anon",
                                              "kernel-peaks-many-processes", "no-sample", "unreadable-empty",
                                              "hostile-cmdline-outside" };
        for (size_t i = 0; i < sizeof(edited) / sizeof(*edited); i++) {
                char name[128], path[256];
                for (int quiet = 0; quiet <= 1; quiet++) {
                        snprintf(name, sizeof(name), "run-%s%s.txt", edited[i], quiet ? "-quiet" : "");
                        snprintf(path, sizeof(path), "tests/data/summaries/%s.json", edited[i]);
                        golden(name, path, quiet);
                }
        }
        return unit_finish("test_cmd_run");
}
