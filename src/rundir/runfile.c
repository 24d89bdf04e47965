#include "runfile.h"
#include "kfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

enum { C_T, C_SCOPE, C_RSS, C_VSZ, C_PSS, C_JIT, C_PROCS, C_PROGRESS, C_PID, C_PPID, C_COMM, C_USS, C_EXECS, C_DEBUG, C_PSS_ANON, C_ANON_PAGEMAP, C_ANON_OUTSIDE,
       C_JIT_MAPPINGS, C_JIT_PSS, C_DEBUG_IMAGES, C_READ_T, C_READ_ERR, C_MAX };
#define C_REQUIRED C_PROGRESS /* the columns before this one must be there */

#define PID_SLOTS 8192 /* open addressing, twice RUNFILE_MAX_LIVES */

struct reader {
        struct runfile_procs *pr;
        int slot[PID_SLOTS];   /* index of a PID's latest life + 1; 0: empty */
        size_t points;         /* kept in all */
        size_t max_points;
};

static int *pid_slot(struct reader *rd, int pid)
{
        unsigned h = ((unsigned)pid * 2654435761u) % PID_SLOTS;

        for (unsigned k = 0; k < PID_SLOTS; k++, h = (h + 1) % PID_SLOTS) {
                int i = rd->slot[h];
                if (i == 0 || rd->pr->l[i - 1].pid == pid)
                        return &rd->slot[h];
        }
        return NULL; /* cannot happen: at most RUNFILE_MAX_LIVES PIDs in PID_SLOTS slots */
}

/* Halves every life's points and doubles the stride. */
static void thin(struct reader *rd)
{
        rd->points = 0;
        for (size_t i = 0; i < rd->pr->n; i++) {
                struct runfile_life *l = &rd->pr->l[i];
                size_t k = 0;
                for (size_t j = 0; j < l->n; j += 2)
                        l->p[k++] = l->p[j];
                l->n = k;
                rd->points += k;
        }
        rd->pr->stride *= 2;
}

static int add_process_row(struct reader *rd, size_t tick, int pid, int ppid, const char *comm, long execs,
                           const struct runfile_ppoint *pt)
{
        struct runfile_procs *pr = rd->pr;
        int *slot = pid_slot(rd, pid);
        struct runfile_life *l = slot && *slot ? &pr->l[*slot - 1] : NULL;

        if (l && l->last_tick == tick)
                return 0; /* the same process twice in one tick: the first row counts */
        if (!l || tick > l->last_tick + RUNFILE_LIFE_GAP || l->ppid != ppid) {
                if (pr->n == RUNFILE_MAX_LIVES || !slot) {
                        pr->rows_dropped++;
                        return 0;
                }
                if (pr->n % 64 == 0) {
                        struct runfile_life *nl = realloc(pr->l, (pr->n + 64) * sizeof(*nl));
                        if (!nl)
                                return -ENOMEM;
                        pr->l = nl;
                }
                l = &pr->l[pr->n];
                memset(l, 0, sizeof(*l));
                l->pid = pid;
                l->ppid = ppid;
                snprintf(l->comm, sizeof(l->comm), "%s", comm ? comm : "");
                l->first_tick = tick;
                l->first_t = pt->t;
                runfile_peaks_init(&l->peaks);
                l->program_t = pt->t;
                l->execs = execs;
                *slot = (int)++pr->n;
        }
        if (execs > l->execs) { /* an exec since its last row: the program it runs from here */
                l->execs = execs;
                l->program_t = pt->t;
        }
        runfile_peaks_add(&l->peaks, &(struct runfile_point){ .t = pt->t, .rss = pt->rss, .vsz = -1, .pss = pt->pss,
                                                              .uss = pt->uss, .jit = pt->jit, .progress = -1,
                                                              .dbg = pt->dbg, .pss_anon = -1, .anon_pagemap = -1,
                                                              .anon_outside = -1, .jit_mappings = -1, .jit_pss = -1,
                                                              .dbg_images = -1, .processes = 1 });
        snprintf(l->last_comm, sizeof(l->last_comm), "%s", comm ? comm : "");
        l->last_tick = tick;
        l->last_t = pt->t;
        if (l->n > 0 && tick % pr->stride != 0)
                return 0;
        struct runfile_ppoint *np = util_grow(l->p, &l->cap, l->n + 1, sizeof(*np), 16);
        if (!np)
                return -ENOMEM;
        l->p = np;
        l->p[l->n++] = *pt;
        if (++rd->points > rd->max_points)
                thin(rd);
        return 0;
}

int runfile_read(const char *dir, struct runfile_series *tree, struct runfile_procs *procs)
{
        return runfile_read_bounded(dir, tree, procs, RUNFILE_MAX_PROC_POINTS);
}

/* samples.csv being read: what the rows make. */
struct csv {
        struct runfile_series s;
        size_t cap;               /* of s.p */
        struct runfile_procs pr;
        struct reader *rd;        /* NULL: process rows are not kept */
};

static const char *const COLUMN_NAMES[C_MAX] = { "t_s", "scope", "rss_bytes", "vsz_bytes", "pss_bytes",
                                                "jit_code_bytes", "processes", "progress_units",
                                                "pid", "ppid", "comm", "uss_bytes", "execs",
                                                "jit_debug_bytes", "pss_anon_bytes", "anon_pagemap_bytes",
                                                "anon_outside_bytes", "jit_mappings", "jit_pss_bytes",
                                                "jit_debug_images", "read_t_s", "read_err_s" };

/* The header: each column's index by name. Returns 0, or -EINVAL when a required one is missing. */
static int read_header(int col[C_MAX], char **fields, int nf)
{
        for (int i = 0; i < C_MAX; i++)
                col[i] = -1;
        for (int i = 0; i < nf; i++)
                for (int k = 0; k < C_MAX; k++)
                        if (strcmp(fields[i], COLUMN_NAMES[k]) == 0)
                                col[k] = i;
        for (int k = 0; k < C_REQUIRED; k++)
                if (col[k] < 0)
                        return -EINVAL;
        return 0;
}

/* A body line being read into a row: its fields by the header's columns, and where what is not
 * as jitmem writes it is noted. */
struct cells {
        const int *col;
        char **fields;
        int nf;
        long line;
        struct runfile_oddity *odd; /* NULL: not noted */
};

static const char *cell(const struct cells *x, int k)
{
        return x->col[k] >= 0 && x->col[k] < x->nf ? x->fields[x->col[k]] : NULL;
}

/* Notes that column k of this line holds f, which jitmem does not write there. */
static void note_cell(const struct cells *x, int k, const char *f)
{
        struct runfile_oddity *o = x->odd;
        size_t i;

        if (!o || o->cells++ > 0)
                return;
        o->cell_line = x->line;
        snprintf(o->column, sizeof(o->column), "%s", COLUMN_NAMES[k]);
        for (i = 0; f[i] && i + 1 < sizeof(o->value); i++)
                o->value[i] = f[i] >= 0x20 && f[i] < 0x7f ? f[i] : '?';
        o->value[i] = '\0';
}

/* A time in seconds as jitmem writes it (a plain decimal from 0 to a year), empty when the cell
 * is empty or absent, else -1 (noted). */
static double cell_seconds(const struct cells *x, int k, double empty)
{
        const char *f = cell(x, k);
        double v;

        if (!f || !*f)
                return empty;
        if (util_parse_number(f, &v) < 0 || v > 366.0 * 86400) {
                note_cell(x, k, f);
                return -1;
        }
        return v;
}

/* A whole number as jitmem writes it (decimal digits only, at most max), else dflt: when the
 * cell is empty or absent, and when it holds anything else (noted). */
static double cell_count(const struct cells *x, int k, double dflt, uint64_t max)
{
        const char *f = cell(x, k);
        uint64_t v;

        if (!f || !*f)
                return dflt;
        if (util_field_u64(f, strlen(f), &v) < 0 || v > max) {
                note_cell(x, k, f);
                return dflt;
        }
        return (double)v;
}

/* One line of the body as a row. Returns 0, or -EINVAL for a line that is not a row. */
static int parse_row(const struct cells *x, struct runfile_row *r)
{
#define BYTES(k) cell_count(x, k, -1, RUNFILE_FIGURE_MAX)
        const char *scope = cell(x, C_SCOPE);

        if (!scope || (strcmp(scope, "tree") != 0 && strcmp(scope, "process") != 0)) {
                note_cell(x, C_SCOPE, scope ? scope : "");
                return -EINVAL;
        }
        memset(r, 0, sizeof(*r));
        r->tree = scope[0] == 't';
        r->pid = (int)cell_count(x, C_PID, -1, INT32_MAX);
        r->ppid = (int)cell_count(x, C_PPID, r->tree ? -1 : 0, INT32_MAX);
        r->comm = cell(x, C_COMM) ? cell(x, C_COMM) : "";
        r->execs = (long)cell_count(x, C_EXECS, 0, INT32_MAX);
        r->read_t = cell_seconds(x, C_READ_T, RUNFILE_NOT_RECORDED);
        r->read_err = cell_seconds(x, C_READ_ERR, RUNFILE_NOT_RECORDED);
        r->p = (struct runfile_point){
                .t = cell_seconds(x, C_T, -1), .rss = BYTES(C_RSS), .vsz = BYTES(C_VSZ), .pss = BYTES(C_PSS),
                .uss = BYTES(C_USS), .jit = BYTES(C_JIT), .progress = BYTES(C_PROGRESS), .dbg = BYTES(C_DEBUG),
                .pss_anon = BYTES(C_PSS_ANON), .anon_pagemap = BYTES(C_ANON_PAGEMAP),
                .anon_outside = BYTES(C_ANON_OUTSIDE), .jit_mappings = BYTES(C_JIT_MAPPINGS),
                .jit_pss = BYTES(C_JIT_PSS), .dbg_images = BYTES(C_DEBUG_IMAGES),
                .processes = (int)cell_count(x, C_PROCS, 0, INT32_MAX),
        };
        if (r->p.t < 0 && (!cell(x, C_T) || !*cell(x, C_T)))
                note_cell(x, C_T, ""); /* every row jitmem writes has its time */
        if (!r->tree && r->pid < 0 && (!cell(x, C_PID) || !*cell(x, C_PID)))
                note_cell(x, C_PID, ""); /* and every process row its PID */
        return 0;
#undef BYTES
}

int runfile_each_row(const char *dir, int (*each)(const struct runfile_row *row, void *ctx), void *ctx)
{
        return runfile_each_row_noting(dir, each, ctx, NULL);
}

int runfile_each_row_noting(const char *dir, int (*each)(const struct runfile_row *row, void *ctx), void *ctx,
                            struct runfile_oddity *odd)
{
        char path[KFILE_PATH_MAX], line[LINE_MAX_LEN];
        int col[C_MAX], header = 1, header_nf = 0, r = 0;
        long lineno = 0;
        FILE *f;

        if (odd)
                memset(odd, 0, sizeof(*odd));
        snprintf(path, sizeof(path), "%s/samples.csv", dir);
        f = fopen(path, "re");
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                char *fields[MAX_FIELDS];
                struct runfile_row row;
                size_t len = strlen(line);
                int nf;

                lineno++;
                if (len == 0 || line[len - 1] != '\n')
                        break; /* an over-long line, or a last line cut short: stop there */
                line[len - 1] = '\0';
                nf = runfile_split_csv(line, fields, MAX_FIELDS);
                if (header) {
                        r = nf < 0 ? -EINVAL : read_header(col, fields, nf);
                        if (r < 0)
                                break;
                        header = 0;
                        header_nf = nf;
                        continue;
                }
                /* A row of more fields than the header (an unquoted comma shifts every column
                 * after it), or with a quote left open, is not one jitmem wrote: none of its
                 * cells can be trusted to be in its column. One of fewer fields has its cells
                 * in their columns, and the missing ones read as empty. */
                if (nf < 0 || nf > header_nf) {
                        nf = nf < 0 ? -1 : nf;
                        if (odd && odd->rows++ == 0) {
                                odd->row_line = lineno;
                                odd->row_fields = nf;
                                odd->header_fields = header_nf;
                        }
                        continue;
                }
                struct cells x = { col, fields, nf, lineno, odd };
                if (parse_row(&x, &row) < 0)
                        continue;
                r = each(&row, ctx);
                if (r != 0)
                        break;
        }
        fclose(f);
        if (r == 0 && header)
                r = -EINVAL;
        return r < 0 ? r : 0;
}

static int read_process_row(struct csv *c, const struct runfile_row *row)
{
        struct runfile_ppoint pt;

        if (!c->rd || row->pid <= 0 || c->s.n == RUNFILE_MAX_ROWS)
                return 0;
        pt.t = row->p.t;
        pt.rss = row->p.rss;
        pt.pss = row->p.pss;
        pt.uss = row->p.uss;
        pt.jit = row->p.jit >= 0 ? row->p.jit : 0;
        pt.dbg = row->p.dbg;
        if (pt.t < 0 || pt.rss < 0)
                return 0;
        return add_process_row(c->rd, c->s.n, row->pid, row->ppid, row->comm, row->execs, &pt);
}

/* A tree row: counted as a tick, kept as a point when it has a process. Returns 0, 1 when the
 * series is full (the rest is dropped), or -ENOMEM. */
static int read_tree_row(struct csv *c, const struct runfile_row *row)
{
        const struct runfile_point *p = &row->p;

        if (c->pr.root_pid == 0)
                c->pr.root_pid = row->pid > 0 ? row->pid : 0;
        if (p->t >= 0 && c->s.ticks < RUNFILE_MAX_ROWS) {
                c->s.ticks++;
                c->s.t_end = p->t;
        }
        if (p->t < 0 || p->rss < 0 || p->processes <= 0)
                return 0;
        if (c->s.n == RUNFILE_MAX_ROWS)
                return 1;
        struct runfile_point *np = util_grow(c->s.p, &c->cap, c->s.n + 1, sizeof(*np), 256);
        if (!np)
                return -ENOMEM;
        c->s.p = np;
        c->s.p[c->s.n++] = *p;
        return 0;
}

static int read_row(const struct runfile_row *row, void *ctx)
{
        return row->tree ? read_tree_row(ctx, row) : read_process_row(ctx, row);
}

/* After the rows: the command's program, and the lives cut to the tree rows read. */
static void finish_lives(struct csv *c)
{
        struct runfile_series *s = &c->s;
        struct runfile_procs *pr = &c->pr;

        /* The command's program: from its last exec (a launcher, such as pyenv's shim, exec'ing
         * the interpreter), when it made one after its first row. */
        for (size_t i = 0; i < pr->n; i++)
                if (pr->l[i].pid == pr->root_pid) {
                        if (pr->l[i].program_t > pr->l[i].first_t)
                                s->program_t = pr->l[i].program_t;
                        break;
                }
        /* Process rows of a last tick with no tree row (a file cut short) are left out. */
        for (size_t i = 0; i < pr->n; i++) {
                struct runfile_life *l = &pr->l[i];
                if (l->first_tick >= s->n) {
                        free(l->p);
                        memmove(l, l + 1, (pr->n - i - 1) * sizeof(*l));
                        pr->n--;
                        i--;
                        continue;
                }
                if (l->last_tick >= s->n) {
                        l->last_tick = s->n - 1;
                        l->last_t = s->p[s->n - 1].t;
                        while (l->n > 1 && l->p[l->n - 1].t > l->last_t)
                                l->n--;
                }
        }
}

int runfile_read_bounded(const char *dir, struct runfile_series *tree, struct runfile_procs *procs, size_t max_points)
{
        struct csv c = { .s = { .t_end = -1, .program_t = -1 }, .pr = { .stride = 1 } };
        int r;

        if (procs) {
                c.rd = calloc(1, sizeof(*c.rd));
                if (!c.rd)
                        return -ENOMEM;
                c.rd->pr = &c.pr;
                c.rd->max_points = max_points > 1 ? max_points : 2;
        }
        r = runfile_each_row_noting(dir, read_row, &c, &c.s.odd);
        if (r == 0)
                finish_lives(&c);
        free(c.rd);
        if (r < 0) {
                free(c.s.p);
                runfile_procs_free(&c.pr);
                return r;
        }
        *tree = c.s;
        if (procs)
                *procs = c.pr;
        return 0;
}

void runfile_peaks_init(struct runfile_peaks *pk)
{
        memset(pk, 0, sizeof(*pk));
        pk->rss_t = pk->jit_growth_end_t = -1;
        pk->pss = pk->uss = pk->jit_pss = pk->pss_anon = -1;
        pk->anon_pagemap = pk->anon_outside = pk->dbg = pk->dbg_images = -1;
}

void runfile_peaks_add(struct runfile_peaks *pk, const struct runfile_point *p)
{
        if (p->processes <= 0)
                return;
        if (p->rss > pk->rss || pk->points == 0) {
                pk->rss = p->rss > pk->rss ? p->rss : pk->rss;
                pk->rss_t = p->t;
        }
        if (p->jit > 0 && (pk->points == 0 || p->jit > pk->last.jit))
                pk->jit_growth_end_t = p->t;
        pk->jit = fmax(pk->jit, p->jit);
        pk->jit_mappings = fmax(pk->jit_mappings, p->jit_mappings);
        pk->attributed = fmax(pk->attributed, fmax(p->jit, 0) + fmax(p->dbg, 0));
        if (p->dbg >= 0) {
                pk->dbg = fmax(pk->dbg, p->dbg);
                pk->dbg_images = fmax(pk->dbg_images, p->dbg_images);
        }
        if (p->processes > pk->processes)
                pk->processes = p->processes;
        if (p->pss >= 0) {
                pk->heavy_points++;
                pk->pss = fmax(pk->pss, p->pss);
                pk->uss = fmax(pk->uss, p->uss);
                pk->jit_pss = fmax(pk->jit_pss, p->jit_pss);
                if (p->pss_anon >= 0)
                        pk->pss_anon = fmax(pk->pss_anon, p->pss_anon);
                if (p->anon_pagemap >= 0) {
                        pk->pagemap_points++;
                        pk->anon_pagemap = fmax(pk->anon_pagemap, p->anon_pagemap);
                        pk->anon_outside = fmax(pk->anon_outside, p->anon_outside);
                }
        }
        pk->points++;
        pk->last = *p;
}

int runfile_read_tree(const char *dir, struct runfile_series *ret)
{
        return runfile_read(dir, ret, NULL);
}

void runfile_procs_free(struct runfile_procs *p)
{
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++)
                free(p->l[i].p);
        free(p->l);
        p->l = NULL;
        p->n = 0;
}

const struct runfile_ppoint *runfile_life_at(const struct runfile_life *l, double t)
{
        size_t lo = 0, hi;

        if (!l || l->n == 0)
                return NULL;
        if (t < l->p[0].t)
                return &l->p[0];
        hi = l->n; /* the last point with p.t <= t: binary search in [lo, hi) */
        while (hi - lo > 1) {
                size_t mid = lo + (hi - lo) / 2;
                if (l->p[mid].t <= t)
                        lo = mid;
                else
                        hi = mid;
        }
        return &l->p[lo];
}

void runfile_series_free(struct runfile_series *s)
{
        if (!s)
                return;
        free(s->p);
        s->p = NULL;
        s->n = 0;
}

/* A figure of summary.json: a number from 0 to max, else dflt. Every figure jitmem writes there
 * is a size, a count, a time or a ratio, none negative; one that is negative, past what a double
 * holds exactly, or not a number was not written by jitmem, and reads as not measured (the
 * rule docs/run-directory.md states for files read back). */
static double json_figure(json_t *o, const char *key, double dflt, double max)
{
        json_t *v = json_object_get(o, key);
        double x = json_number_value(v);

        return json_is_number(v) && x >= 0 && x <= max ? x : dflt;
}

static double json_num(json_t *o, const char *key, double dflt)
{
        return json_figure(o, key, dflt, (double)RUNFILE_FIGURE_MAX);
}

/* A CLOCK_MONOTONIC time in nanoseconds: past 2^53 after 104 days of uptime, so up to 2^63. */
static double json_ns(json_t *o, const char *key)
{
        return json_figure(o, key, -1, 0x1p63);
}

/* Where each figure of summary.json goes: its key, and the double it is read into (absent or
 * not a number: -1). */
struct figure_key {
        const char *key;
        size_t offset;
};

#define TREE_FIGURE(field, key) { key, offsetof(struct runfile_summary_tree, field) }
static const struct figure_key TREE_FIGURES[] = {
        TREE_FIGURE(peak_rss, "peak_rss_bytes"),
        TREE_FIGURE(peak_pss, "peak_pss_bytes"),
        TREE_FIGURE(final_rss, "final_rss_bytes"),
        TREE_FIGURE(peak_jit, "peak_jit_code_bytes"),
        TREE_FIGURE(final_jit, "final_jit_code_bytes"),
        TREE_FIGURE(jit_mappings, "peak_jit_mappings"),
        TREE_FIGURE(max_processes, "max_processes"),
        TREE_FIGURE(jit_last_growth_t_s, "jit_code_last_growth_t_s"),
        TREE_FIGURE(largest_kernel_peak_rss, "largest_process_kernel_peak_rss_bytes"),
        TREE_FIGURE(peak_dbg, "peak_jit_debug_bytes"),
        TREE_FIGURE(peak_dbg_images, "peak_jit_debug_images"),
        TREE_FIGURE(final_dbg, "final_jit_debug_bytes"),
        TREE_FIGURE(final_dbg_images, "final_jit_debug_images"),
        TREE_FIGURE(peak_attributed, "peak_jit_attributed_bytes"),
        TREE_FIGURE(peak_pss_anon, "peak_pss_anon_bytes"),
        TREE_FIGURE(peak_anon_pagemap, "peak_anon_pagemap_bytes"),
        TREE_FIGURE(peak_anon_outside, "peak_anon_outside_bytes"),
        TREE_FIGURE(peak_cgroup, "peak_cgroup_usage_bytes"),
};

/* The trace's figures, by the object of "jit" that holds them. */
enum { TRACE_JIT, TRACE_CROSS_CHECK, TRACE_SIZES, TRACE_FIRST };
#define TRACE_FIGURE(in, field, key) { in, { key, offsetof(struct runfile_summary_trace, field) } }
static const struct {
        int in;
        struct figure_key f;
} TRACE_FIGURES[] = {
        TRACE_FIGURE(TRACE_JIT, processes, "processes_traced"),
        TRACE_FIGURE(TRACE_JIT, compiled, "executors_compiled"),
        TRACE_FIGURE(TRACE_JIT, freed, "executors_freed"),
        TRACE_FIGURE(TRACE_JIT, freed_at_exit, "executors_freed_at_exit"),
        TRACE_FIGURE(TRACE_JIT, inherited_freed, "inherited_executors_freed"),
        TRACE_FIGURE(TRACE_JIT, live_final, "executors_live_final"),
        TRACE_FIGURE(TRACE_JIT, live_bytes_final, "live_bytes_final"),
        TRACE_FIGURE(TRACE_JIT, churned, "churned"),
        TRACE_FIGURE(TRACE_JIT, churn_ratio, "churn_ratio"),
        TRACE_FIGURE(TRACE_SIZES, size_mean, "mean"),
        TRACE_FIGURE(TRACE_SIZES, size_p50, "p50"),
        TRACE_FIGURE(TRACE_SIZES, size_p90, "p90"),
        TRACE_FIGURE(TRACE_SIZES, size_min, "min"),
        TRACE_FIGURE(TRACE_SIZES, size_max, "max"),
        TRACE_FIGURE(TRACE_CROSS_CHECK, samples, "samples"),
        TRACE_FIGURE(TRACE_CROSS_CHECK, disagreed, "disagreed"),
        TRACE_FIGURE(TRACE_CROSS_CHECK, untraced_with_jit, "untraced_with_jit"),
        TRACE_FIGURE(TRACE_CROSS_CHECK, in_flight, "in_flight"),
        TRACE_FIGURE(TRACE_FIRST, first_t_s, "t_s"),
        TRACE_FIGURE(TRACE_FIRST, first_pid, "pid"),
        TRACE_FIGURE(TRACE_FIRST, first_proc_bytes, "proc_bytes"),
        TRACE_FIGURE(TRACE_FIRST, first_events_bytes, "events_bytes"),
};

static void read_figure(json_t *o, const struct figure_key *k, void *base)
{
        double *to = (double *)((char *)base + k->offset);
        *to = json_num(o, k->key, -1);
}

static void summary_tree(json_t *t, struct runfile_summary_tree *r)
{
        const char *am = json_string_value(json_object_get(json_object_get(t, "anon_count"), "method"));

        for (size_t i = 0; i < sizeof(TREE_FIGURES) / sizeof(*TREE_FIGURES); i++)
                read_figure(t, &TREE_FIGURES[i], r);
        snprintf(r->anon_method, sizeof(r->anon_method), "%s", am ? am : "");
}

static void summary_trace(json_t *jit, struct runfile_summary_trace *r)
{
        json_t *cc = json_object_get(jit, "cross_check");
        json_t *in[] = { [TRACE_JIT] = jit, [TRACE_CROSS_CHECK] = cc,
                         [TRACE_SIZES] = json_object_get(jit, "bytes_per_executor"),
                         [TRACE_FIRST] = json_object_get(cc, "first_disagreement") };

        r->traced = json_is_object(jit);
        for (size_t i = 0; i < sizeof(TRACE_FIGURES) / sizeof(*TRACE_FIGURES); i++)
                read_figure(in[TRACE_FIGURES[i].in], &TRACE_FIGURES[i].f, r);
}

/* An integer of o, dflt when it is absent, not an integer or out of int's range. */
static int json_int(json_t *o, const char *key, int dflt)
{
        json_t *v = json_object_get(o, key);
        json_int_t x = json_integer_value(v);

        return json_is_integer(v) && x >= INT_MIN && x <= INT_MAX ? (int)x : dflt;
}

/* summary.json's "processes", in their order. Returns 0 or -ENOMEM. */
static int summary_procs(json_t *procs, struct runfile_summary *r)
{
        json_t *p;
        size_t i;

        r->procs = NULL;
        r->nprocs = 0;
        if (json_array_size(procs) == 0)
                return 0;
        r->procs = calloc(json_array_size(procs), sizeof(*r->procs));
        if (!r->procs)
                return -ENOMEM;
        json_array_foreach(procs, i, p) {
                struct runfile_summary_proc *q = &r->procs[r->nprocs];
                const char *cmd = json_string_value(json_object_get(p, "cmdline"));
                r->cpu_s += json_num(p, "cpu_user_s", 0) + json_num(p, "cpu_sys_s", 0);
                q->pid = json_int(p, "pid", -1);
                q->cmdline = cmd ? strdup(cmd) : NULL;
                if (cmd && !q->cmdline)
                        return -ENOMEM;
                q->peak_rss = json_num(p, "peak_rss_bytes", -1);
                q->kernel_peak_rss = json_num(p, "kernel_peak_rss_bytes", -1);
                q->peak_pss = json_num(p, "peak_pss_bytes", -1);
                q->final_rss = json_num(p, "final_rss_bytes", -1);
                q->peak_jit = json_num(p, "peak_jit_code_bytes", -1);
                q->jit_mappings = json_num(p, "jit_mappings", -1);
                q->maxrss = json_num(p, "maxrss_bytes", -1);
                q->hwm = json_num(p, "hwm_rss_bytes", -1);
                r->nprocs++;
        }
        return 0;
}

int runfile_summary_of(json_t *summary, struct runfile_summary *ret)
{
        json_t *driver = json_object_get(summary, "driver"), *load = json_object_get(driver, "load");
        json_t *jit = json_object_get(summary, "jit"), *progress = json_object_get(summary, "progress");
        json_t *exit_obj = json_object_get(summary, "exit"), *limit = json_object_get(summary, "limit");
        json_t *ticks = json_object_get(summary, "ticks"), *observer = json_object_get(summary, "observer");
        struct runfile_summary r;
        int e;

        memset(&r, 0, sizeof(r));
        r.t0_monotonic_ns = json_ns(summary, "t0_monotonic_ns");
        r.load_start_ns = json_ns(driver, "load_start_monotonic_ns");
        r.load_end_ns = json_ns(driver, "load_end_monotonic_ns");
        r.driven = json_is_object(load);
        r.duration_s = json_num(summary, "duration_s", -1);
        r.units = json_num(progress, "units", -1);
        r.units_per_s = json_num(progress, "units_per_s", -1);
        r.requests_per_s = json_num(json_object_get(load, "requests"), "per_second", -1);
        r.latency_p50_us = json_num(json_object_get(load, "latency_us"), "p50", -1);
        r.latency_p99_us = json_num(json_object_get(load, "latency_us"), "p99", -1);
        r.executors_compiled = json_num(jit, "executors_compiled", -1);
        r.executors_freed = json_num(jit, "executors_freed", -1);
        r.churn_ratio = json_num(jit, "churn_ratio", -1);
        r.exit_status = json_int(summary, "exit_status", -1);
        r.exit_code = json_int(exit_obj, "code", -1);
        r.exit_signal = json_int(exit_obj, "signal", -1);
        r.recording_failed = summary && !json_is_null(json_object_get(summary, "recording_error"));
        r.ticks = json_num(ticks, "count", -1);
        r.tick_cost_median_s = json_num(ticks, "cost_median_s", -1);
        r.unreadable = json_num(summary, "unreadable_processes", -1);
        r.limit_bytes = json_num(limit, "bytes", -1);
        r.limit_pss_fraction = json_num(limit, "peak_pss_fraction", -1);
        r.limit_rss_fraction = json_num(limit, "peak_rss_fraction", -1);
        r.observer_cpu_during_run_s = json_num(observer, "cpu_during_run_s", -1);
        r.observer_cpu_fraction = json_num(observer, "cpu_fraction_of_one_core", -1);
        r.observer_cpu_s = json_num(observer, "cpu_s", -1);
        summary_tree(json_object_get(summary, "tree"), &r.tree);
        summary_trace(jit, &r.trace);
        /* (summaries written before measurement_failures: a trace that disagrees is one) */
        r.measurement_failed = json_array_size(json_object_get(summary, "measurement_failures")) > 0 ||
                               (r.trace.traced && (r.trace.disagreed > 0 || r.trace.untraced_with_jit > 0));
        e = summary_procs(json_object_get(summary, "processes"), &r);
        if (e < 0) {
                runfile_summary_free(&r);
                r.cpu_s = 0;
        }
        *ret = r;
        return e;
}

void runfile_summary_free(struct runfile_summary *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < s->nprocs; i++)
                free(s->procs[i].cmdline);
        free(s->procs);
        s->procs = NULL;
        s->nprocs = 0;
}

json_t *runfile_load_json(const char *path, size_t max)
{
        int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO put in its place never blocks */
        struct stat st;
        char *buf = NULL;
        size_t len = 0;
        json_t *j = NULL;

        if (fd < 0)
                return NULL;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max || !(buf = malloc(max + 1)))
                goto out;
        while (len <= max) {
                ssize_t n = read(fd, buf + len, max + 1 - len);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                len += (size_t)n;
        }
        if (len <= max)
                j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
out:
        free(buf);
        close(fd);
        return j;
}

int runfile_read_summary(const char *dir, struct runfile_summary *ret)
{
        char path[KFILE_PATH_MAX];
        json_t *j;

        int e;

        snprintf(path, sizeof(path), "%s/summary.json", dir);
        j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
        if (!j)
                return access(path, F_OK) == 0 ? -EINVAL : -ENOENT;
        e = runfile_summary_of(j, ret);
        json_decref(j);
        return e;
}
