#include "analysis.h"
#include "growth.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define WORKERS_TOGETHER_TICKS 3    /* workers: two of a kind alive together at this many ticks ... */
#define WORKERS_TOGETHER_SHARE 0.10 /* ... spanning this share of the run at least */
#define DEPTH_MAX 64

int analysis_load_window(const struct runfile_series *s, const struct runfile_summary *sum, size_t *lo, size_t *hi,
                         double *from_s, double *to_s)
{
        double t0 = sum ? sum->t0_monotonic_ns : -1, a = sum ? sum->load_start_ns : -1, b = sum ? sum->load_end_ns : -1;
        size_t i, j;

        *lo = 0;
        *hi = s ? s->n : 0;
        *from_s = *to_s = NAN;
        /* From the command's last exec: a launcher's own time is not the program's. */
        if (s && s->program_t > 0)
                while (*lo + 1 < *hi && s->p[*lo].t < s->program_t)
                        (*lo)++;
        if (!s || s->n == 0 || t0 < 0 || a < t0 || b < a)
                return 0;
        *from_s = (a - t0) / 1e9;
        *to_s = (b - t0) / 1e9;
        for (i = *lo; i < s->n && s->p[i].t < *from_s; i++)
                ;
        for (j = i; j < s->n && s->p[j].t <= *to_s; j++)
                ;
        if (j == i) {
                /* A load shorter than a tick: the last tick before its end stands for it. */
                if (i == *lo)
                        return 0;
                i--;
                j = i + 1;
        }
        *lo = i;
        *hi = j;
        return 1;
}

static double median_of(double *v, size_t n)
{
        double m = -1;

        if (n > 0)
                stats_median(v, n, &m);
        return m;
}

/* Median of RSS (or PSS, where measured) over [from, to). */
static double median_range(const struct runfile_series *s, size_t from, size_t to, int pss)
{
        double *v = malloc(sizeof(double) * (to - from + 1)), m;
        size_t k = 0;

        if (!v)
                return -1;
        for (size_t i = from; i < to; i++) {
                double x = pss ? s->p[i].pss : s->p[i].rss;
                if (x >= 0)
                        v[k++] = x;
        }
        m = median_of(v, k);
        free(v);
        return m;
}

static size_t first_at_time(const struct runfile_series *s, size_t lo, size_t hi, double t)
{
        for (size_t i = lo; i < hi; i++)
                if (s->p[i].t >= t)
                        return i;
        return hi - 1;
}

enum heavy_figure { HEAVY_PSS, HEAVY_PSS_ANON, HEAVY_ANON_PAGEMAP };

static double heavy_value(const struct runfile_point *p, enum heavy_figure f)
{
        if (p->pss < 0)
                return -1;
        return f == HEAVY_PSS ? p->pss : f == HEAVY_PSS_ANON ? p->pss_anon : p->anon_pagemap;
}

/* A figure of the heavy tick nearest to index i within [lo, hi) that measured it and had as
 * many processes as tick i (a sum over another set of processes is another figure), or -1. */
static double heavy_near(const struct runfile_series *s, size_t i, size_t lo, size_t hi, enum heavy_figure f)
{
        int procs = s->p[i].processes;

        for (size_t d = 0; d < hi - lo; d++) {
                if (i >= lo + d && s->p[i - d].processes == procs && heavy_value(&s->p[i - d], f) >= 0)
                        return heavy_value(&s->p[i - d], f);
                if (i + d < hi && s->p[i + d].processes == procs && heavy_value(&s->p[i + d], f) >= 0)
                        return heavy_value(&s->p[i + d], f);
        }
        return -1;
}

static double pss_near(const struct runfile_series *s, size_t i, size_t lo, size_t hi)
{
        return heavy_near(s, i, lo, hi, HEAVY_PSS);
}

/* When a figure (RSS or VSZ) first reached 90% of its growth over the run; NAN if it never grew. */
static double t90(const struct runfile_series *s, int vsz)
{
        double v0 = vsz ? s->p[0].vsz : s->p[0].rss, vmax = v0;

        for (size_t i = 0; i < s->n; i++)
                vmax = fmax(vmax, vsz ? s->p[i].vsz : s->p[i].rss);
        if (vmax <= v0)
                return NAN;
        for (size_t i = 0; i < s->n; i++)
                if ((vsz ? s->p[i].vsz : s->p[i].rss) >= v0 + 0.9 * (vmax - v0))
                        return s->p[i].t;
        return NAN;
}

/* The life of the parent of life i (the latest life of its parent's PID started no later), or
 * SIZE_MAX when its parent was not recorded. */
static size_t parent_of(const struct runfile_procs *pr, size_t i)
{
        size_t best = SIZE_MAX;

        for (size_t k = 0; k < pr->n; k++)
                if (k != i && pr->l[k].pid == pr->l[i].ppid && pr->l[k].first_tick <= pr->l[i].first_tick)
                        best = k;
        return best;
}

static int cmp_long(const void *a, const void *b)
{
        long x = *(const long *)a, y = *(const long *)b;
        return (x > y) - (x < y);
}

/* The workers among the lives (see analysis.h): fills sel[] with their indices and returns how
 * many. Lives are grouped by parent and program (the name at their last row); a group is
 * workers when two of them were alive together at WORKERS_TOGETHER_TICKS ticks or more,
 * spanning WORKERS_TOGETHER_SHARE of the run. Of such groups, the one nearest the command
 * (then the one with the most alive at once, then the most lives). Launchers and helpers, one
 * at a time, are no group. */
static size_t select_workers(const struct runfile_series *s, const struct runfile_procs *pr, size_t *sel)
{
        size_t n = pr->n, best_n = 0;
        size_t *group = malloc(n * sizeof(*group)), *parent = malloc(n * sizeof(*parent));
        long *ev = malloc(2 * n * sizeof(*ev));
        int best_depth = DEPTH_MAX + 1, best_max = 0;
        double span = s->p[s->n - 1].t - s->p[0].t;

        if (!group || !parent || !ev)
                goto out;
        for (size_t i = 0; i < n; i++)
                parent[i] = parent_of(pr, i);
        /* group[i]: the first life with i's parent and program */
        for (size_t i = 0; i < n; i++) {
                group[i] = i;
                for (size_t k = 0; k < i; k++)
                        if (group[k] == k && pr->l[k].ppid == pr->l[i].ppid && parent[k] == parent[i] &&
                            strcmp(pr->l[k].last_comm, pr->l[i].last_comm) == 0) {
                                group[i] = k;
                                break;
                        }
        }
        for (size_t g = 0; g < n; g++) {
                size_t m = 0, together_ticks = 0;
                double together_s = 0;
                int cur = 0, most = 0, depth = 0;

                /* Workers have a recorded parent (the command or one below it): not the command
                 * itself, nor orphans handed to jitmem (a subreaper) when their parent ended. */
                if (group[g] != g || pr->l[g].pid == pr->root_pid || parent[g] == SIZE_MAX)
                        continue;
                /* Alive together: a sweep over first ticks (+) and ends (-), the ends first at a tick. */
                for (size_t i = g; i < n; i++)
                        if (group[i] == g) {
                                ev[m++] = (long)pr->l[i].first_tick * 2 + 1;
                                ev[m++] = (long)(pr->l[i].last_tick + 1) * 2;
                        }
                if (m < 4)
                        continue;
                qsort(ev, m, sizeof(*ev), cmp_long);
                for (size_t k = 0; k < m; k++) {
                        size_t tick = (size_t)(ev[k] / 2);
                        if (cur >= 2 && k > 0) {
                                size_t from = (size_t)(ev[k - 1] / 2);
                                if (tick > from) {
                                        together_ticks += tick - from;
                                        together_s += s->p[tick < s->n ? tick : s->n - 1].t - s->p[from].t;
                                }
                        }
                        cur += ev[k] % 2 ? 1 : -1;
                        if (cur > most)
                                most = cur;
                }
                if (most < 2 || together_ticks < WORKERS_TOGETHER_TICKS || together_s < WORKERS_TOGETHER_SHARE * span)
                        continue;
                for (size_t p = parent[g]; p != SIZE_MAX && depth <= DEPTH_MAX; p = parent[p])
                        depth++;
                size_t lives = 0;
                for (size_t i = g; i < n; i++)
                        lives += group[i] == g;
                if (depth < best_depth || (depth == best_depth && (most > best_max || (most == best_max && lives > best_n)))) {
                        best_depth = depth;
                        best_max = most;
                        best_n = 0;
                        for (size_t i = g; i < n; i++)
                                if (group[i] == g)
                                        sel[best_n++] = i;
                }
        }
out:
        free(group);
        free(parent);
        free(ev);
        return best_n;
}

/* A life's PSS at the heavy point nearest time t within [tlo, thi], or -1. */
static double life_pss_near(const struct runfile_life *l, double t, double tlo, double thi)
{
        const struct runfile_ppoint *at = runfile_life_at(l, t);
        size_t i;

        if (!at)
                return -1;
        i = (size_t)(at - l->p);
        for (size_t d = 0; d < l->n; d++) {
                int up = i + d < l->n && l->p[i + d].pss >= 0 && l->p[i + d].t >= tlo && l->p[i + d].t <= thi;
                int down = i >= d && l->p[i - d].pss >= 0 && l->p[i - d].t >= tlo && l->p[i - d].t <= thi;
                if (up && (!down || l->p[i + d].t - t <= t - l->p[i - d].t))
                        return l->p[i + d].pss;
                if (down)
                        return l->p[i - d].pss;
        }
        return -1;
}

/* The workers of one run being analysed: their lives (sel[], indices into pr->l), scratch
 * arrays of that many values, and the window judged. */
struct workers {
        const struct runfile_series *s;
        const struct runfile_procs *pr;
        size_t lo, hi;
        double tlo, thi;
        size_t *sel, n;
        double *v, *w;
        size_t earliest_end; /* the first tick at which a worker was last seen */
};

#define WORKER(ws, j) (&(ws)->pr->l[(ws)->sel[j]])

/* Most alive at once within [lo, hi): a sweep over first and last ticks. Returns -ENOMEM or 0. */
static int workers_most_alive(struct workers *ws, struct analysis *a)
{
        long *alive = calloc(ws->s->n + 1, sizeof(*alive));

        if (!alive)
                return -ENOMEM;
        ws->earliest_end = SIZE_MAX;
        for (size_t j = 0; j < ws->n; j++) {
                const struct runfile_life *l = WORKER(ws, j);
                alive[l->first_tick]++;
                alive[l->last_tick + 1]--;
                if (l->last_tick < ws->earliest_end)
                        ws->earliest_end = l->last_tick;
        }
        for (size_t i = 0, cur = 0; i < ws->hi; i++) {
                cur += (size_t)alive[i];
                if (i >= ws->lo && (int)cur > a->workers_max)
                        a->workers_max = (int)cur;
        }
        free(alive);
        return 0;
}

/* Restarts (workers started after one of them had ended), and the warm-up of the first
 * workers against the restarted ones'. */
static void workers_restarts(struct workers *ws, struct analysis *a)
{
        size_t nf = 0, nr = 0, nj = 0;

        for (size_t j = 0; j < ws->n; j++) {
                const struct runfile_life *l = WORKER(ws, j);
                int restarted = l->first_tick > ws->earliest_end;
                a->restarts += restarted;
                if (l->peaks.jit_growth_end_t < 0)
                        continue;
                if (restarted)
                        ws->w[nr++] = l->peaks.jit_growth_end_t - l->first_t;
                else
                        ws->v[nf++] = l->peaks.jit_growth_end_t - l->first_t;
        }
        a->first_warmup_s = median_of(ws->v, nf);
        a->restart_warmup_s = median_of(ws->w, nr);
        for (size_t j = 0; j < ws->n; j++) {
                const struct runfile_life *l = WORKER(ws, j);
                if (l->first_tick > ws->earliest_end)
                        ws->v[nj++] = l->peaks.jit;
        }
        a->restart_jit = median_of(ws->v, nj);
}

/* Peaks: the median worker's, over [lo, hi) (every row's for the whole run; the kept points'
 * within a load). */
static void workers_peaks(struct workers *ws, struct analysis *a)
{
        int whole = ws->lo == 0 && ws->hi == ws->s->n;
        size_t np = 0, nq = 0;

        for (size_t j = 0; j < ws->n; j++) {
                const struct runfile_life *l = WORKER(ws, j);
                double pr_ = -1, pp = -1;
                if (whole) {
                        pr_ = l->peaks.rss;
                        pp = l->peaks.pss;
                } else {
                        for (size_t k = 0; k < l->n; k++)
                                if (l->p[k].t >= ws->tlo && l->p[k].t <= ws->thi) {
                                        pr_ = fmax(pr_, l->p[k].rss);
                                        if (l->p[k].pss >= 0)
                                                pp = fmax(pp, l->p[k].pss);
                                }
                }
                if (pr_ >= 0)
                        ws->v[np++] = pr_;
                if (pp >= 0)
                        ws->w[nq++] = pp;
        }
        a->worker_peak_rss = median_of(ws->v, np);
        a->worker_peak_pss = median_of(ws->w, nq);
}

/* At the equivalent point k (tree index idx): the medians of the workers alive at that tick. */
static void workers_at(struct workers *ws, int k, size_t idx, struct analysis *a)
{
        double t = ws->s->p[idx].t;
        size_t m = 0, q = 0;

#define EACH_ALIVE(l, p)                                                                                        \
        for (size_t j = 0; j < ws->n; j++)                                                                      \
                if ((l = WORKER(ws, j))->first_tick <= idx && l->last_tick >= idx && (p = runfile_life_at(l, t)))
        const struct runfile_life *l;
        const struct runfile_ppoint *p;
        EACH_ALIVE(l, p) {
                double pss = life_pss_near(l, t, ws->tlo, ws->thi);
                ws->v[m++] = p->rss;
                if (pss >= 0)
                        ws->w[q++] = pss;
        }
        a->worker_rss_at[k] = median_of(ws->v, m);
        a->worker_pss_at[k] = median_of(ws->w, q);
        m = 0;
        EACH_ALIVE(l, p) ws->v[m++] = p->jit;
        a->worker_jit_at[k] = median_of(ws->v, m);
        m = q = 0;
        EACH_ALIVE(l, p) {
                if (p->dbg >= 0)
                        ws->v[m++] = p->dbg;
                ws->w[q++] = p->rss - p->jit - (p->dbg > 0 ? p->dbg : 0);
        }
#undef EACH_ALIVE
        a->worker_dbg_at[k] = median_of(ws->v, m);
        a->worker_rest_at[k] = median_of(ws->w, q);
}

/* Per-worker figures over [lo, hi) of the tree (the load, or the whole run): at the equivalent
 * points (tree indices idx[]), peaks; restarts and warm-ups over the run. */
static void analyse_workers(const struct runfile_series *s, const struct runfile_procs *pr, size_t lo, size_t hi,
                            const size_t idx[ANALYSIS_POINTS], struct analysis *a)
{
        struct workers ws = { .s = s, .pr = pr, .lo = lo, .hi = hi };

        a->workers_max = a->worker_lives = a->restarts = -1;
        a->first_warmup_s = a->restart_warmup_s = a->restart_jit = -1;
        a->worker_peak_rss = a->worker_peak_pss = -1;
        for (int k = 0; k < ANALYSIS_POINTS; k++) {
                a->worker_rss_at[k] = a->worker_pss_at[k] = a->worker_jit_at[k] = -1;
                a->worker_dbg_at[k] = a->worker_rest_at[k] = -1;
        }
        if (!pr || s->n == 0)
                return;
        a->workers_max = a->worker_lives = a->restarts = 0;
        if (pr->n == 0)
                return;
        ws.tlo = s->p[lo].t;
        ws.thi = s->p[hi - 1].t;
        ws.sel = malloc(pr->n * sizeof(*ws.sel));
        ws.v = malloc(pr->n * sizeof(*ws.v));
        ws.w = malloc(pr->n * sizeof(*ws.w));
        if (!ws.sel || !ws.v || !ws.w)
                goto out;
        ws.n = select_workers(s, pr, ws.sel);
        if (ws.n == 0)
                goto out;
        a->worker_lives = (int)ws.n;
        if (workers_most_alive(&ws, a) < 0)
                goto out;
        workers_restarts(&ws, a);
        workers_peaks(&ws, a);
        for (int k = 0; k < ANALYSIS_POINTS; k++)
                workers_at(&ws, k, idx[k], a);
out:
        free(ws.sel);
        free(ws.v);
        free(ws.w);
}

size_t analysis_workers(const struct runfile_series *s, const struct runfile_procs *procs, size_t *sel,
                        int *restarted)
{
        size_t n, earliest_end = SIZE_MAX;

        if (!s || !procs || s->n == 0 || procs->n == 0)
                return 0;
        n = select_workers(s, procs, sel);
        for (size_t j = 0; j < n; j++)
                if (procs->l[sel[j]].last_tick < earliest_end)
                        earliest_end = procs->l[sel[j]].last_tick;
        if (restarted)
                for (size_t j = 0; j < n; j++)
                        restarted[j] = procs->l[sel[j]].first_tick > earliest_end;
        return n;
}

int analysis_warmup_ended(const struct growth_result *g)
{
        return (g->cls == GROWTH_PLATEAU || g->cls == GROWTH_COPY_ON_WRITE || g->cls == GROWTH_SAWTOOTH) &&
               isfinite(g->warmup_s);
}

int analysis_tree_growth(const struct runfile_series *s, double limit, struct growth_result *ret)
{
        double *buf;
        struct growth_input in;
        int r;

        if (!s || s->n == 0)
                return -EINVAL;
        buf = malloc(sizeof(double) * 4 * s->n);
        if (!buf)
                return -ENOMEM;
        for (size_t i = 0; i < s->n; i++) {
                buf[i] = s->p[i].t;
                buf[s->n + i] = s->p[i].rss;
                buf[2 * s->n + i] = s->p[i].uss;
                buf[3 * s->n + i] = s->p[i].jit;
        }
        memset(&in, 0, sizeof(in));
        in.t = buf;
        in.rss = buf + s->n;
        in.uss = buf + 2 * s->n;
        in.jit = buf + 3 * s->n;
        in.n = s->n;
        in.limit = limit;
        in.current = -1;
        in.min_span_s = 1; /* a run is judged however short; the class says when data is thin */
        r = growth_classify(&in, ret);
        free(buf);
        return r;
}

int analysis_of(const struct runfile_series *s, const struct runfile_procs *lives, const struct runfile_summary *sum,
                struct analysis *ret)
{
        return analysis_of_at(s, lives, sum, -1, ret);
}

/* Peaks over [lo, hi), taken as `jitmem run` takes the whole run's. The tree's anonymous
 * memory counted once: from the page tables when this run read them (as root), else the sum
 * of Pss_Anon (anonpages.h says when the two differ). */
static void analyse_peaks(const struct runfile_series *s, size_t lo, size_t hi, struct analysis *a)
{
        struct runfile_peaks pk;

        runfile_peaks_init(&pk);
        for (size_t i = lo; i < hi; i++)
                runfile_peaks_add(&pk, &s->p[i]);
        a->peak_rss = pk.rss;
        a->peak_pss = pk.pss;
        a->peak_jit = pk.jit;
        a->peak_dbg = pk.dbg;
        a->peak_dbg_images = pk.dbg_images;
        a->peak_attributed = pk.attributed;
        a->peak_anon_pss = pk.pss_anon;
        a->anon_pagemap = pk.pagemap_points > 0;
        a->peak_anon_outside = pk.anon_outside;
        a->peak_anon = a->anon_pagemap ? pk.anon_pagemap : pk.pss_anon;
        a->final_jit = s->p[hi - 1].jit;
}

/* Figures of the whole run, from summary.json (sum may be NULL). */
static void analyse_run_figures(const struct runfile_series *s, const struct runfile_summary *sum, struct analysis *a)
{
        a->wall_s = sum && sum->duration_s >= 0 ? sum->duration_s : s->p[s->n - 1].t - s->p[0].t;
        a->cpu_s = sum ? sum->cpu_s : 0;
        a->throughput = sum ? sum->units_per_s : -1;
        a->latency_p50_us = sum ? sum->latency_p50_us : -1;
        a->latency_p99_us = sum ? sum->latency_p99_us : -1;
        if (sum && sum->driven && sum->requests_per_s >= 0) /* per second over the measured load, not the whole run */
                a->throughput = sum->requests_per_s;
        a->executors_compiled = sum ? sum->executors_compiled : -1;
        a->executors_freed = sum ? sum->executors_freed : -1;
        a->churn_ratio = sum ? sum->churn_ratio : -1;
}

/* The growth class over [lo, hi) decides what is said of the trend: warm-up end, growth,
 * steady state. */
static void analyse_trend(const struct runfile_series *s, size_t lo, size_t hi, struct analysis *a)
{
        struct runfile_series w = { .p = s->p + lo, .n = hi - lo, .ticks = hi - lo, .t_end = s->p[hi - 1].t, .program_t = -1 };
        struct growth_result g;

        if (analysis_tree_growth(&w, 0, &g) < 0) {
                memset(&g, 0, sizeof(g));
                g.cls = GROWTH_NOT_ENOUGH_DATA;
                g.warmup_s = g.slope = NAN;
                g.p_value = 1;
        }
        a->growth_class = (int)g.cls;
        a->warmup_ended = analysis_warmup_ended(&g);
        a->warmup_end_s = a->warmup_ended ? s->p[lo].t + g.warmup_s : NAN;
        a->growing = g.cls == GROWTH_STEADY;
        a->slope = g.cls != GROWTH_NOT_ENOUGH_DATA ? g.slope : NAN;
        a->slope_p = isfinite(g.p_value) ? g.p_value : 1;
        a->steady_rss = a->steady_pss = -1;
        if (a->warmup_ended) {
                size_t from = first_at_time(s, lo, hi, a->warmup_end_s);
                a->steady_rss = median_range(s, from, hi, 0);
                a->steady_pss = median_range(s, from, hi, 1);
        }
}

/* Start-up RSS (of the whole run): once the first unit of work is reported, else at 5% of it. */
static void analyse_startup(const struct runfile_series *s, struct analysis *a)
{
        a->startup_rss = s->p[first_at_time(s, 0, s->n, s->p[0].t + 0.05 * (s->p[s->n - 1].t - s->p[0].t))].rss;
        if (a->by_progress)
                for (size_t i = 0; i < s->n; i++)
                        if (s->p[i].progress >= 1) {
                                a->startup_rss = s->p[i].rss;
                                break;
                        }
}

/* The equivalent points: at 25..100% of total units of work within [lo, hi), else of its
 * time; their tree indices into at[]. */
static void analyse_points(const struct runfile_series *s, size_t lo, size_t hi, double total, struct analysis *a,
                           size_t at[ANALYSIS_POINTS])
{
        double t0 = s->p[lo].t, T = s->p[hi - 1].t;

        for (int k = 0; k < ANALYSIS_POINTS; k++) {
                size_t i = hi - 1;
                a->units_at[k] = -1;
                if (a->by_progress) {
                        double target = total * (k + 1) / ANALYSIS_POINTS;
                        for (size_t j = lo; j < hi; j++)
                                if (s->p[j].progress >= target) {
                                        i = j;
                                        break;
                                }
                        a->units_at[k] = target;
                } else if (hi - lo >= 3) {
                        i = first_at_time(s, lo, hi, t0 + (T - t0) * (k + 1) / ANALYSIS_POINTS);
                }
                a->rss_at[k] = s->p[i].rss;
                a->jit_at[k] = s->p[i].jit;
                a->dbg_at[k] = s->p[i].dbg;
                a->rest_at[k] = s->p[i].rss - (s->p[i].jit > 0 ? s->p[i].jit : 0) - (s->p[i].dbg > 0 ? s->p[i].dbg : 0);
                a->pss_at[k] = pss_near(s, i, lo, hi);
                a->anon_pss_at[k] = heavy_near(s, i, lo, hi, HEAVY_PSS_ANON);
                a->anon_at[k] = a->anon_pagemap ? heavy_near(s, i, lo, hi, HEAVY_ANON_PAGEMAP) : a->anon_pss_at[k];
                at[k] = i;
        }
}

int analysis_of_at(const struct runfile_series *s, const struct runfile_procs *lives, const struct runfile_summary *sum,
                   double units, struct analysis *ret)
{
        size_t at[ANALYSIS_POINTS], lo, hi;
        struct analysis a;
        double total;

        if (!s || s->n < 1)
                return -EINVAL;
        memset(&a, 0, sizeof(a));
        a.load_phase = analysis_load_window(s, sum, &lo, &hi, &a.load_from_s, &a.load_to_s);
        analyse_peaks(s, lo, hi, &a);
        analyse_run_figures(s, sum, &a);
        analyse_trend(s, lo, hi, &a);
        total = s->p[hi - 1].progress;
        a.by_progress = total > 0;
        a.units_total = a.by_progress ? total : -1;
        analyse_startup(s, &a);
        if (a.by_progress && units > 0 && units < total)
                total = units; /* equal counts across runs: the smallest total bounds the points */
        analyse_points(s, lo, hi, total, &a, at);
        a.vsz_lead_s = s->n >= 3 ? t90(s, 0) - t90(s, 1) : NAN;
        analyse_workers(s, lives, lo, hi, at, &a);
        *ret = a;
        return 0;
}
