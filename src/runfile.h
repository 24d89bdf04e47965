/* Reading a run directory back: the tree rows of samples.csv as a time series. */
#ifndef JITMEM_RUNFILE_H
#define JITMEM_RUNFILE_H

#include <stddef.h>

/* One tree row. Figures a tick did not measure are negative (-1). */
struct runfile_point {
        double t;          /* seconds since sampling started */
        double rss, vsz, pss, jit, progress;
        int processes;
};

struct runfile_series {
        struct runfile_point *p;
        size_t n;
};

/* At most this many tree rows are read (a week at 1 s); the rest are dropped, not an error. */
#define RUNFILE_MAX_ROWS 1000000

/* Reads the tree rows of DIR/samples.csv, ticks with no process left out. Columns are found
 * by the header's names, so files with more columns read alike. Returns 0, -ENOENT, -EINVAL
 * (not a jitmem samples.csv: a required column is missing), -ENOMEM or another -errno. */
int runfile_read_tree(const char *dir, struct runfile_series *ret);

/* Frees a series' points. Accepts NULL. */
void runfile_series_free(struct runfile_series *s);

/* Splits one CSV line into at most max fields (RFC 4180 quoting; the quotes are removed in
 * place, so fields point into line). Returns the number of fields, or -EINVAL for an
 * unterminated quote. */
int runfile_split_csv(char *line, char **fields, int max);

#endif
