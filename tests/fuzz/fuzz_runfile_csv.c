/* samples.csv read back: a header naming the columns, then tree and process rows (RFC 4180
 * quoting, a comm of any bytes), through the one reader (runfile_each_row) and what reads the
 * series and the lives with it (runfile_read). The CSV splitter alone too. */
#include "fuzz.h"
#include "runfile.h"

static int each(const struct runfile_row *row, void *ctx)
{
        FUZZ_ASSERT(row->comm != NULL);
        (void)strlen(row->comm);
        (*(size_t *)ctx)++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct runfile_series tree;
        struct runfile_procs procs;
        char dir[4200], *line, *fields[64];
        size_t rows = 0;
        int n;

        fuzz_write("run/samples.csv", data, size);
        snprintf(dir, sizeof(dir), "%s/run", fuzz_dir());
        runfile_each_row(dir, each, &rows);
        if (runfile_read(dir, &tree, &procs) == 0) {
                for (size_t i = 0; i < procs.n; i++) {
                        FUZZ_ASSERT(memchr(procs.l[i].comm, '\0', sizeof(procs.l[i].comm)) != NULL);
                        runfile_life_at(&procs.l[i], tree.t_end);
                }
                runfile_series_free(&tree);
                runfile_procs_free(&procs);
        }
        /* a bound on the points small enough that long inputs thin the lives */
        if (runfile_read_bounded(dir, &tree, &procs, 8) == 0) {
                runfile_series_free(&tree);
                runfile_procs_free(&procs);
        }

        line = fuzz_strndup(data, size);
        n = runfile_split_csv(line, fields, 64);
        FUZZ_ASSERT(n <= 64);
        for (int i = 0; i < n; i++)
                FUZZ_ASSERT(fields[i] >= line && fields[i] <= line + size);
        free(line);
        return 0;
}
