#include "runfile.h"
#include "kfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FIELDS 64
#define LINE_MAX_LEN 4096

int runfile_split_csv(char *line, char **fields, int max)
{
        int n = 0;
        char *p = line;

        for (;;) {
                if (n == max)
                        return n;
                if (*p == '"') {
                        char *w = ++p;
                        fields[n++] = w;
                        for (;;) {
                                if (*p == '\0')
                                        return -EINVAL;
                                if (*p == '"') {
                                        if (p[1] == '"') {
                                                *w++ = '"';
                                                p += 2;
                                                continue;
                                        }
                                        p++;
                                        break;
                                }
                                *w++ = *p++;
                        }
                        *w = '\0';
                        if (*p == ',') {
                                p++;
                                continue;
                        }
                        return n;
                }
                fields[n++] = p;
                char *comma = strchr(p, ',');
                if (!comma)
                        return n;
                *comma = '\0';
                p = comma + 1;
        }
}

static double num_or(const char *s, double dflt)
{
        char *end;
        double v;

        if (!s || !*s)
                return dflt;
        v = strtod(s, &end);
        return *end == '\0' ? v : dflt;
}

enum { C_T, C_SCOPE, C_RSS, C_VSZ, C_PSS, C_JIT, C_PROCS, C_PROGRESS, C_MAX };

int runfile_read_tree(const char *dir, struct runfile_series *ret)
{
        static const char *const names[C_MAX] = { "t_s", "scope", "rss_bytes", "vsz_bytes", "pss_bytes",
                                                  "jit_code_bytes", "processes", "progress_units" };
        char path[KFILE_PATH_MAX], line[LINE_MAX_LEN];
        int col[C_MAX], header = 1, r = 0;
        struct runfile_series s = { NULL, 0 };
        size_t cap = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s/samples.csv", dir);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        for (int i = 0; i < C_MAX; i++)
                col[i] = -1;
        while (fgets(line, sizeof(line), f)) {
                char *fields[MAX_FIELDS];
                size_t len = strlen(line);
                int nf;

                if (len == 0 || line[len - 1] != '\n')
                        break; /* an over-long line, or a last line cut short: stop there */
                line[len - 1] = '\0';
                nf = runfile_split_csv(line, fields, MAX_FIELDS);
                if (nf < 0)
                        continue;
                if (header) {
                        for (int i = 0; i < nf; i++)
                                for (int c = 0; c < C_MAX; c++)
                                        if (strcmp(fields[i], names[c]) == 0)
                                                col[c] = i;
                        for (int c = 0; c < C_PROGRESS; c++)
                                if (col[c] < 0) {
                                        r = -EINVAL;
                                        goto out;
                                }
                        header = 0;
                        continue;
                }
                if (col[C_SCOPE] >= nf || strcmp(fields[col[C_SCOPE]], "tree") != 0)
                        continue;
                struct runfile_point p;
#define F(c) (col[c] >= 0 && col[c] < nf ? fields[col[c]] : NULL)
                p.t = num_or(F(C_T), -1);
                p.rss = num_or(F(C_RSS), -1);
                p.vsz = num_or(F(C_VSZ), -1);
                p.pss = num_or(F(C_PSS), -1);
                p.jit = num_or(F(C_JIT), -1);
                p.progress = num_or(F(C_PROGRESS), -1);
                p.processes = (int)num_or(F(C_PROCS), 0);
#undef F
                if (p.t < 0 || p.rss < 0 || p.processes <= 0)
                        continue;
                if (s.n == RUNFILE_MAX_ROWS)
                        break;
                if (s.n == cap) {
                        size_t ncap = cap ? cap * 2 : 256;
                        struct runfile_point *np = realloc(s.p, ncap * sizeof(*np));
                        if (!np) {
                                r = -ENOMEM;
                                goto out;
                        }
                        s.p = np;
                        cap = ncap;
                }
                s.p[s.n++] = p;
        }
        if (header)
                r = -EINVAL;
out:
        fclose(f);
        if (r < 0) {
                free(s.p);
                return r;
        }
        *ret = s;
        return 0;
}

void runfile_series_free(struct runfile_series *s)
{
        if (!s)
                return;
        free(s->p);
        s->p = NULL;
        s->n = 0;
}
