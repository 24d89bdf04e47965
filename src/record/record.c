#include "record.h"
#include "jsonout.h"
#include "runfile.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROW_MAX 512

struct record {
        int fd;
        off_t good; /* length of the file up to its last whole tick */
        int failed;
        char *buf;
        size_t buf_cap;
        struct record_proc *procs;
        size_t nprocs;
        struct record_tree tree;   /* counts, cost and the cgroup's peak; the rest from peaks */
        struct runfile_peaks peaks; /* of the tree rows */
        uint64_t costs[RECORD_COST_RESERVOIR];
        uint64_t ncosts;
        uint64_t rng;
        uint64_t unsampled_maxrss; /* the largest ru_maxrss of processes reaped but never sampled */
};

int record_open(int dirfd, struct record **ret)
{
        struct record *r = calloc(1, sizeof(*r));
        int e;

        if (!r)
                return -ENOMEM;
        r->rng = 0x9e3779b97f4a7c15ULL;
        runfile_peaks_init(&r->peaks);
        r->fd = openat(dirfd, "samples.csv", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (r->fd < 0) {
                e = -errno;
                free(r);
                return e;
        }
        e = util_write_all(r->fd, RECORD_CSV_HEADER, strlen(RECORD_CSV_HEADER));
        if (e < 0) {
                close(r->fd);
                free(r);
                return e;
        }
        r->good = (off_t)strlen(RECORD_CSV_HEADER);
        *ret = r;
        return 0;
}

/* Appends fmt to the tick buffer, growing it. */
static int append(struct record *r, size_t *len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int append(struct record *r, size_t *len, const char *fmt, ...)
{
        va_list ap;
        int n;

        char *b = util_grow(r->buf, &r->buf_cap, *len + ROW_MAX, 1, 64 * 1024);
        if (!b)
                return -ENOMEM;
        r->buf = b;
        va_start(ap, fmt);
        n = vsnprintf(r->buf + *len, r->buf_cap - *len, fmt, ap);
        va_end(ap);
        if (n < 0 || (size_t)n >= r->buf_cap - *len)
                return -EOVERFLOW;
        *len += (size_t)n;
        return 0;
}

/* The most a comm takes in samples.csv: each byte escaped as \xNN, quotes and a NUL. */
#define CSV_COMM_MAX (4 * PROCFS_COMM_MAX + 3)

/* comm, quoted for CSV: made safe to print by util_escape_text (control bytes and bytes that
 * are not UTF-8 as \xNN, so that samples.csv is UTF-8, one line per row), double quotes
 * doubled. */
static void csv_comm(const char *in, char *out, size_t size)
{
        char safe[4 * PROCFS_COMM_MAX + 1];
        size_t o = 0;

        util_escape_text(in, strnlen(in, PROCFS_COMM_MAX), safe, sizeof(safe));
        out[o++] = '"';
        for (const char *s = safe; *s && o + 3 < size; s++) {
                if (*s == '"')
                        out[o++] = '"';
                out[o++] = *s;
        }
        out[o++] = '"';
        out[o] = '\0';
}

static int ensure_procs(struct record *r, uint32_t index)
{
        if (index < r->nprocs)
                return 0;
        size_t n = r->nprocs ? r->nprocs : 16;
        while (n <= index)
                n *= 2;
        struct record_proc *p = realloc(r->procs, n * sizeof(*p));
        if (!p)
                return -ENOMEM;
        memset(p + r->nprocs, 0, (n - r->nprocs) * sizeof(*p));
        for (size_t i = r->nprocs; i < n; i++)
                runfile_peaks_init(&p[i].peaks);
        r->procs = p;
        r->nprocs = n;
        return 0;
}

/* The figures of one CSV row (a process, or the sums of a tree). */
struct row {
        uint64_t rss, vsz, anon, file, shmem, pss, uss, swap, cpu_user_ns, cpu_sys_ns, jit, jit_maps, jit_pss, other;
        uint64_t threads;
        int64_t execs; /* < 0: an empty cell (the tree row) */
        int64_t debug_images; /* < 0: empty cells (no GDB JIT descriptor read) */
        uint64_t debug_bytes;
        uint64_t pss_anon;    /* heavy ticks only, as pss (when have_pss_anon) */
        int have_pss_anon;
        int have_anon_pages;  /* the tree row of a heavy tick that read the page tables */
        uint64_t anon_pages, anon_outside;
};

/* Appends one row in RECORD_CSV_HEADER's order. PSS, USS and JIT PSS are empty cells unless
 * heavy (not measured at this tick); ppid < 0, nproc/cg/progress NULL or "" and read_ts < 0
 * (with read_err) are empty cells too. */
static int append_row(struct record *r, size_t *len, double ts, const char *scope, int pid, int ppid,
                      const char *comm, int heavy, const struct row *x, const char *nproc, const char *cg,
                      const char *progress, double read_ts, double read_err)
{
        char pp[16] = "", pss[24] = "", uss[24] = "", jpss[24] = "", rt[24] = "", re[24] = "", ex[16] = "";
        char di[24] = "", db[24] = "", pa[24] = "", ap[24] = "", ao[24] = "";

        if (ppid >= 0)
                snprintf(pp, sizeof(pp), "%d", ppid);
        if (read_ts >= 0) {
                snprintf(rt, sizeof(rt), "%.6f", read_ts);
                snprintf(re, sizeof(re), "%.6f", read_err);
        }
        if (x->execs >= 0)
                snprintf(ex, sizeof(ex), "%" PRId64, x->execs);
        if (x->debug_images >= 0) {
                snprintf(di, sizeof(di), "%" PRId64, x->debug_images);
                snprintf(db, sizeof(db), "%" PRIu64, x->debug_bytes);
        }
        if (heavy) {
                snprintf(pss, sizeof(pss), "%" PRIu64, x->pss);
                snprintf(uss, sizeof(uss), "%" PRIu64, x->uss);
                snprintf(jpss, sizeof(jpss), "%" PRIu64, x->jit_pss);
                if (x->have_pss_anon)
                        snprintf(pa, sizeof(pa), "%" PRIu64, x->pss_anon);
                if (x->have_anon_pages) {
                        snprintf(ap, sizeof(ap), "%" PRIu64, x->anon_pages);
                        snprintf(ao, sizeof(ao), "%" PRIu64, x->anon_outside);
                }
        }
        return append(r, len,
                      "%.6f,%s,%d,%s,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%s,%s,%" PRIu64
                      ",%.3f,%.3f,%" PRIu64 ",%" PRIu64 ",%s,%" PRIu64 ",%" PRIu64 ",%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n",
                      ts, scope, pid, pp, comm, x->rss, x->vsz, x->anon, x->file, x->shmem, pss, uss, x->swap,
                      (double)x->cpu_user_ns / 1e9, (double)x->cpu_sys_ns / 1e9, x->jit, x->jit_maps, jpss, x->other,
                      x->threads, nproc ? nproc : "", cg ? cg : "", progress ? progress : "", rt, re, ex, di, db, pa, ap, ao);
}

#define MAX_SET(a, b) do { if ((b) > (a)) (a) = (b); } while (0)

static void note_cost(struct record *r, uint64_t cost)
{
        /* Reservoir sampling keeps a uniform sample of all tick costs in fixed memory. */
        if (r->ncosts < RECORD_COST_RESERVOIR) {
                r->costs[r->ncosts] = cost;
        } else {
                r->rng ^= r->rng << 13;
                r->rng ^= r->rng >> 7;
                r->rng ^= r->rng << 17;
                uint64_t k = r->rng % (r->ncosts + 1);
                if (k < RECORD_COST_RESERVOIR)
                        r->costs[k] = cost;
        }
        r->ncosts++;
        MAX_SET(r->tree.tick_cost_max_ns, cost);
}

/* A sampled process's row. */
static struct row row_of_sample(const struct sample *x)
{
        return (struct row){ x->rss, x->vsz, x->rss_anon, x->rss_file, x->rss_shmem, x->pss, x->uss, x->swap,
                             x->cpu_user_ns, x->cpu_sys_ns, x->jit_bytes, x->jit_mappings, x->jit_pss,
                             x->exec_other_bytes, x->threads, x->execs, x->jit_debug_images, x->jit_debug_bytes,
                             x->pss_anon, x->have_pss_anon, 0, 0, 0 };
}

/* Adds a process's row into the tree's sums (debug images: of the processes whose list was read). */
static void row_add(struct row *sum, const struct row *x)
{
        sum->rss += x->rss;
        sum->vsz += x->vsz;
        sum->anon += x->anon;
        sum->file += x->file;
        sum->shmem += x->shmem;
        sum->pss += x->pss;
        sum->uss += x->uss;
        sum->swap += x->swap;
        sum->cpu_user_ns += x->cpu_user_ns;
        sum->cpu_sys_ns += x->cpu_sys_ns;
        sum->jit += x->jit;
        sum->jit_maps += x->jit_maps;
        sum->jit_pss += x->jit_pss;
        sum->other += x->other;
        sum->threads += x->threads;
        sum->pss_anon += x->pss_anon;
        if (x->debug_images >= 0) {
                sum->debug_images = (sum->debug_images > 0 ? sum->debug_images : 0) + x->debug_images;
                sum->debug_bytes += x->debug_bytes;
        }
}

/* A row as the point samples.csv's reader makes of it (what a cell leaves empty is -1), so
 * that the peaks kept here are those taken from the file read back. */
static struct runfile_point point_of_row(double ts, const struct row *w, int heavy, int processes)
{
        int dbg = w->debug_images >= 0;

        return (struct runfile_point){
                .t = ts, .rss = (double)w->rss, .vsz = (double)w->vsz, .jit = (double)w->jit,
                .jit_mappings = (double)w->jit_maps, .processes = processes, .progress = -1,
                .pss = heavy ? (double)w->pss : -1, .uss = heavy ? (double)w->uss : -1,
                .jit_pss = heavy ? (double)w->jit_pss : -1,
                .pss_anon = heavy && w->have_pss_anon ? (double)w->pss_anon : -1,
                .anon_pagemap = heavy && w->have_anon_pages ? (double)w->anon_pages : -1,
                .anon_outside = heavy && w->have_anon_pages ? (double)w->anon_outside : -1,
                .dbg = dbg ? (double)w->debug_bytes : -1, .dbg_images = dbg ? (double)w->debug_images : -1,
        };
}

struct runfile_point record_point_of_sample(double t, const struct sample *x)
{
        struct row w = row_of_sample(x);
        return point_of_row(t, &w, x->heavy, 1);
}

/* One process's part of a tick: its figures kept, its row appended, its sums added. */
static int record_process(struct record *r, size_t *len, double ts, const struct sample *x, struct row *sum)
{
        char comm[CSV_COMM_MAX];
        struct row w = row_of_sample(x);
        struct record_proc *p;
        int e;

        e = ensure_procs(r, x->index);
        if (e < 0)
                return e;
        p = &r->procs[x->index];
        p->samples++;
        struct runfile_point pt = record_point_of_sample(ts, x);
        runfile_peaks_add(&p->peaks, &pt);
        MAX_SET(p->exec_other_peak, x->exec_other_bytes);
        p->cpu_user_ns = x->cpu_user_ns;
        p->cpu_sys_ns = x->cpu_sys_ns;
        MAX_SET(p->hwm, x->hwm);
        row_add(sum, &w);
        csv_comm(x->comm, comm, sizeof(comm));
        return append_row(r, len, ts, "process", x->pid, x->ppid, comm, x->heavy, &w, NULL, NULL, NULL,
                          (double)x->t_ns / 1e9, (double)x->t_err_ns / 1e9);
}

/* The tree's row: the sums, the process count, the cgroup's usage and the progress. */
static int record_tree_row(struct record *r, size_t *len, double ts, const struct sampler_tick *t, int root_pid,
                           const struct record_extra *extra, const struct row *sum)
{
        char cg[32] = "", nproc[16], prog[24] = "";

        if (extra->have_cg)
                snprintf(cg, sizeof(cg), "%" PRIu64, extra->cg_usage);
        snprintf(nproc, sizeof(nproc), "%zu", t->n);
        if (extra->have_progress)
                snprintf(prog, sizeof(prog), "%" PRIu64, extra->progress);
        return append_row(r, len, ts, "tree", root_pid, -1, "", t->heavy && t->n > 0, sum, nproc, cg, prog, -1, 0);
}

/* Writes the tick's rows in one write; on failure the file is cut back to its last whole tick. */
static int flush_tick(struct record *r, size_t len)
{
        int e = util_write_all(r->fd, r->buf, len);

        if (e < 0) {
                if (ftruncate(r->fd, r->good) == 0)
                        lseek(r->fd, r->good, SEEK_SET);
                r->failed = 1;
                return e;
        }
        r->good += (off_t)len;
        return 0;
}

int record_tick(struct record *r, const struct sampler_tick *t, int root_pid,
                const struct record_extra *extra)
{
        struct row sum = { .execs = -1, .debug_images = -1 };
        double ts = (double)t->t_ns / 1e9;
        size_t len = 0;
        int e;

        if (r->failed)
                return -EIO;
        for (size_t i = 0; i < t->n; i++) {
                e = record_process(r, &len, ts, &t->samples[i], &sum);
                if (e < 0)
                        return e;
        }
        sum.have_pss_anon = t->n > 0 && t->samples[0].have_pss_anon;
        sum.have_anon_pages = t->have_anon_pages;
        sum.anon_pages = t->anon_pages_bytes;
        sum.anon_outside = t->anon_outside_bytes;
        e = record_tree_row(r, &len, ts, t, root_pid, extra, &sum);
        if (e < 0)
                return e;
        e = flush_tick(r, len);
        if (e < 0)
                return e;

        r->tree.ticks++;
        r->tree.rows += t->n + 1;
        note_cost(r, t->cost_ns);
        /* The tree's peaks, as the analyses take them from this row read back. */
        struct runfile_point pt = point_of_row(ts, &sum, t->heavy, (int)t->n);
        runfile_peaks_add(&r->peaks, &pt);
        if (extra->have_cg) {
                MAX_SET(r->tree.peak_cgroup, extra->cg_usage);
                r->tree.have_cgroup = 1;
        }
        return 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

void record_tree_figures(const struct record *r, struct record_tree *ret)
{
        uint64_t tmp[RECORD_COST_RESERVOIR];
        size_t n = r->ncosts < RECORD_COST_RESERVOIR ? (size_t)r->ncosts : RECORD_COST_RESERVOIR;

        const struct runfile_peaks *pk = &r->peaks;
        struct record_tree t = r->tree;

        t.have_final = pk->points > 0;
        t.heavy_ticks = pk->heavy_points;
        t.have_pss = pk->heavy_points > 0;
        t.have_pss_anon = pk->pss_anon >= 0;
        t.have_debug = pk->dbg >= 0;
        t.anon_pagemap_ticks = pk->pagemap_points;
        t.peak_rss = (uint64_t)pk->rss;
        t.peak_rss_t_s = pk->rss_t;
        t.peak_jit = (uint64_t)pk->jit;
        t.peak_jit_mappings = (uint32_t)pk->jit_mappings;
        t.peak_jit_attributed = (uint64_t)pk->attributed;
        t.jit_last_growth_t_s = pk->jit_growth_end_t;
        t.max_processes = (uint32_t)pk->processes;
        t.peak_pss = t.have_pss ? (uint64_t)pk->pss : 0;
        t.peak_uss = t.have_pss ? (uint64_t)pk->uss : 0;
        t.peak_jit_pss = t.have_pss ? (uint64_t)pk->jit_pss : 0;
        t.peak_pss_anon = t.have_pss_anon ? (uint64_t)pk->pss_anon : 0;
        t.peak_debug_bytes = t.have_debug ? (uint64_t)pk->dbg : 0;
        t.peak_debug_images = t.have_debug ? (uint64_t)pk->dbg_images : 0;
        t.peak_anon_pagemap = pk->pagemap_points ? (uint64_t)pk->anon_pagemap : 0;
        t.peak_anon_outside = pk->pagemap_points ? (uint64_t)pk->anon_outside : 0;
        t.final_rss = (uint64_t)fmax(pk->last.rss, 0);
        t.final_jit = (uint64_t)fmax(pk->last.jit, 0);
        t.final_jit_mappings = (uint32_t)fmax(pk->last.jit_mappings, 0);
        t.final_debug_known = pk->points > 0 && pk->last.dbg >= 0;
        t.final_debug_bytes = t.final_debug_known ? (uint64_t)pk->last.dbg : 0;
        t.final_debug_images = t.final_debug_known ? (uint64_t)pk->last.dbg_images : 0;
        *ret = t;
        if (n > 0) {
                memcpy(tmp, r->costs, n * sizeof(*tmp));
                qsort(tmp, n, sizeof(*tmp), cmp_u64);
                ret->tick_cost_median_ns = n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
        }
}

const struct record_proc *record_proc(const struct record *r, uint32_t index)
{
        if (index >= r->nprocs || r->procs[index].samples == 0)
                return NULL;
        return &r->procs[index];
}

void record_note_reaped(struct record *r, uint32_t index, uint64_t maxrss_bytes)
{
        if (index < r->nprocs && r->procs[index].samples > 0) {
                r->procs[index].reaped = 1;
                r->procs[index].maxrss = maxrss_bytes;
        } else {
                MAX_SET(r->unsampled_maxrss, maxrss_bytes);
        }
}

uint64_t record_kernel_peak(const struct record_proc *p)
{
        return p->reaped && p->maxrss > p->hwm ? p->maxrss : p->hwm;
}

/* The largest kernel high-water mark of any one process of the tree. */
static uint64_t largest_kernel_peak(const struct record *r)
{
        uint64_t m = r->unsampled_maxrss;

        for (size_t i = 0; i < r->nprocs; i++)
                if (r->procs[i].samples > 0)
                        MAX_SET(m, record_kernel_peak(&r->procs[i]));
        return m;
}

json_t *record_tree_json(const struct record *r)
{
        struct record_tree t;
        uint64_t kpeak = largest_kernel_peak(r);

        record_tree_figures(r, &t);
        json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:o, s:o}",
                         "peak_rss_bytes", jsonout_u64_or_null(t.have_final, t.peak_rss),
                         "peak_rss_t_s", t.have_final ? json_real(t.peak_rss_t_s) : json_null(),
                         "final_rss_bytes", jsonout_u64_or_null(t.have_final, t.final_rss),
                         "peak_pss_bytes", jsonout_u64_or_null(t.have_pss, t.peak_pss),
                         "peak_uss_bytes", jsonout_u64_or_null(t.have_pss, t.peak_uss),
                         "peak_jit_code_bytes", jsonout_u64_or_null(t.have_final, t.peak_jit),
                         "final_jit_code_bytes", jsonout_u64_or_null(t.have_final, t.final_jit),
                         "peak_jit_mappings", jsonout_u64_or_null(t.have_final, t.peak_jit_mappings),
                         "final_jit_mappings", jsonout_u64_or_null(t.have_final, t.final_jit_mappings),
                         "max_processes", (int)t.max_processes,
                         "peak_jit_pss_bytes", jsonout_u64_or_null(t.have_pss, t.peak_jit_pss),
                         "jit_code_last_growth_t_s",
                         t.have_final && t.peak_jit > 0 ? json_real(t.jit_last_growth_t_s) : json_null(),
                         "peak_cgroup_usage_bytes", jsonout_u64_or_null(t.have_cgroup, t.peak_cgroup));
        if (o) {
                json_object_set_new(o, "largest_process_kernel_peak_rss_bytes", jsonout_u64_or_null(kpeak > 0, kpeak));
                json_object_set_new(o, "peak_jit_debug_images", jsonout_u64_or_null(t.have_debug, t.peak_debug_images));
                json_object_set_new(o, "peak_jit_debug_bytes", jsonout_u64_or_null(t.have_debug, t.peak_debug_bytes));
                json_object_set_new(o, "final_jit_debug_images", jsonout_u64_or_null(t.final_debug_known, t.final_debug_images));
                json_object_set_new(o, "final_jit_debug_bytes", jsonout_u64_or_null(t.final_debug_known, t.final_debug_bytes));
                json_object_set_new(o, "peak_jit_attributed_bytes", jsonout_u64_or_null(t.have_final, t.peak_jit_attributed));
                json_object_set_new(o, "peak_pss_anon_bytes", jsonout_u64_or_null(t.have_pss_anon, t.peak_pss_anon));
                json_object_set_new(o, "peak_anon_pagemap_bytes", jsonout_u64_or_null(t.anon_pagemap_ticks > 0, t.peak_anon_pagemap));
                json_object_set_new(o, "peak_anon_outside_bytes", jsonout_u64_or_null(t.anon_pagemap_ticks > 0, t.peak_anon_outside));
                json_object_set_new(o, "anon_pagemap_ticks", json_integer((json_int_t)t.anon_pagemap_ticks));
        }
        return o;
}

json_t *record_ticks_json(const struct record *r)
{
        struct record_tree t;

        record_tree_figures(r, &t);
        return json_pack("{s:I, s:I, s:I, s:f, s:f}",
                         "count", (json_int_t)t.ticks,
                         "heavy", (json_int_t)t.heavy_ticks,
                         "rows", (json_int_t)t.rows,
                         "cost_median_s", (double)t.tick_cost_median_ns / 1e9,
                         "cost_max_s", (double)t.tick_cost_max_ns / 1e9);
}

/* A peak as JSON: the number when it was measured (known, and not the -1 of a figure no point
 * measured), else null. The -1 is never converted to an unsigned type. */
static json_t *figure_or_null(int known, double v)
{
        return jsonout_u64_or_null(known && v >= 0, known && v >= 0 ? (uint64_t)v : 0);
}

json_t *record_processes_json(const struct record *r, const struct sampler *s)
{
        json_t *arr = json_array();

        if (!arr)
                return NULL;
        for (uint32_t i = 0; i < sampler_nprocs(s); i++) {
                const struct sampler_proc *sp = sampler_proc(s, i);
                const struct record_proc *p = record_proc(r, i);
                if (!sp || !p)
                        continue;
                const struct runfile_peaks *k = &p->peaks;
                int have_pss = k->heavy_points > 0, have_dbg = k->dbg >= 0, final_dbg = k->last.dbg >= 0;
                json_t *o = json_pack("{s:i, s:i, s:o, s:I, s:f, s:f, s:I, s:o, s:o, s:I, s:I, s:I, s:i, s:i, s:o, s:I, s:I, s:f, s:f}",
                                      "pid", sp->pid,
                                      "ppid", sp->ppid,
                                      "cmdline", jsonout_text(sp->cmdline ? sp->cmdline : ""),
                                      "samples", (json_int_t)p->samples,
                                      "first_t_s", (double)sp->first_ns / 1e9,
                                      "last_t_s", (double)sp->last_ns / 1e9,
                                      "peak_rss_bytes", (json_int_t)k->rss,
                                      "peak_pss_bytes", figure_or_null(have_pss, k->pss),
                                      "peak_uss_bytes", figure_or_null(have_pss, k->uss),
                                      "hwm_rss_bytes", (json_int_t)p->hwm,
                                      "peak_jit_code_bytes", (json_int_t)k->jit,
                                      "final_jit_code_bytes", (json_int_t)k->last.jit,
                                      "jit_mappings", (int)k->jit_mappings,
                                      "final_jit_mappings", (int)k->last.jit_mappings,
                                      "peak_jit_pss_bytes", figure_or_null(have_pss, k->jit_pss),
                                      "peak_exec_other_bytes", (json_int_t)p->exec_other_peak,
                                      "final_rss_bytes", (json_int_t)k->last.rss,
                                      "cpu_user_s", (double)p->cpu_user_ns / 1e9,
                                      "cpu_sys_s", (double)p->cpu_sys_ns / 1e9);
                if (o) {
                        json_object_set_new(o, "maxrss_bytes", jsonout_u64_or_null(p->reaped, p->maxrss));
                        json_object_set_new(o, "kernel_peak_rss_bytes", json_integer((json_int_t)record_kernel_peak(p)));
                        json_object_set_new(o, "peak_pss_anon_bytes", figure_or_null(k->pss_anon >= 0, k->pss_anon));
                        json_object_set_new(o, "peak_jit_debug_images", figure_or_null(have_dbg, k->dbg_images));
                        json_object_set_new(o, "peak_jit_debug_bytes", figure_or_null(have_dbg, k->dbg));
                        json_object_set_new(o, "final_jit_debug_images", figure_or_null(final_dbg, k->last.dbg_images));
                        json_object_set_new(o, "final_jit_debug_bytes", figure_or_null(final_dbg, k->last.dbg));
                }
                if (!o || json_array_append_new(arr, o) < 0) {
                        json_decref(arr);
                        return NULL;
                }
        }
        return arr;
}

void record_forget_processes(struct record *r)
{
        free(r->procs);
        r->procs = NULL;
        r->nprocs = 0;
}

int record_close(struct record *r)
{
        int e = 0;

        if (!r)
                return 0;
        if (r->fd >= 0 && close(r->fd) < 0)
                e = -errno;
        free(r->buf);
        free(r->procs);
        free(r);
        return e;
}
