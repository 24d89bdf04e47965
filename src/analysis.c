#include "analysis.h"
#include "growth.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TREND_POINTS 2000     /* series are thinned to this many points for the O(n^2) trend */
#define TREND_ALPHA 0.05
#define NEGLIGIBLE 0.01       /* a trend moving RSS by less than 1% over its window does not matter */
#define SMALL 0.05            /* ... nor one under 5% that is not significant */

static double json_num(json_t *o, const char *key, double dflt)
{
        json_t *v = json_object_get(o, key);
        return json_is_number(v) ? json_number_value(v) : dflt;
}

/* Trend of RSS over the points from index `from` to the end, thinned. */
static int trend_from(const struct runfile_series *s, size_t from, struct stats_trend *ret)
{
        size_t n = s->n - from, stride = n / TREND_POINTS + 1, k = 0;
        double *x, *y;
        int r;

        if (n < 3)
                return -EINVAL;
        x = malloc(sizeof(double) * (n / stride + 1));
        y = malloc(sizeof(double) * (n / stride + 1));
        if (!x || !y) {
                free(x);
                free(y);
                return -ENOMEM;
        }
        for (size_t i = from; i < s->n; i += stride) {
                x[k] = s->p[i].t;
                y[k] = s->p[i].rss;
                k++;
        }
        r = k >= 3 ? stats_trend(x, y, k, 0.95, ret) : -EINVAL;
        free(x);
        free(y);
        return r;
}

static double median_from(const struct runfile_series *s, size_t from, int pss)
{
        double *v = malloc(sizeof(double) * (s->n - from + 1)), m = -1;
        size_t k = 0;

        if (!v)
                return -1;
        for (size_t i = from; i < s->n; i++) {
                double x = pss ? s->p[i].pss : s->p[i].rss;
                if (x >= 0)
                        v[k++] = x;
        }
        if (k > 0)
                stats_median(v, k, &m);
        free(v);
        return m;
}

static size_t first_at_time(const struct runfile_series *s, double t)
{
        for (size_t i = 0; i < s->n; i++)
                if (s->p[i].t >= t)
                        return i;
        return s->n - 1;
}

/* The PSS of the heavy tick nearest to index i, or -1. */
static double pss_near(const struct runfile_series *s, size_t i)
{
        for (size_t d = 0; d < s->n; d++) {
                if (i >= d && s->p[i - d].pss >= 0)
                        return s->p[i - d].pss;
                if (i + d < s->n && s->p[i + d].pss >= 0)
                        return s->p[i + d].pss;
        }
        return -1;
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

/* The workers among the lives (see analysis.h): fills sel[] with their indices, returns how many. */
static size_t select_workers(const struct runfile_procs *pr, size_t *sel)
{
        size_t n = 0, parent = SIZE_MAX;

        for (size_t i = 0; i < pr->n; i++)
                if (pr->l[i].ppid == pr->root_pid && pr->l[i].pid != pr->root_pid) {
                        parent = i;
                        sel[n++] = i;
                }
        if (n == 1) {
                size_t m = 0;
                for (size_t i = 0; i < pr->n; i++)
                        if (pr->l[i].ppid == pr->l[parent].pid && i != parent && pr->l[i].first_tick >= pr->l[parent].first_tick)
                                sel[m++] = i;
                if (m > 0)
                        n = m;
        }
        return n;
}

/* A life's PSS at the heavy point nearest time t, or -1. */
static double life_pss_near(const struct runfile_life *l, double t)
{
        const struct runfile_ppoint *at = runfile_life_at(l, t);
        size_t i;

        if (!at)
                return -1;
        i = (size_t)(at - l->p);
        for (size_t d = 0; d < l->n; d++) {
                if (i + d < l->n && l->p[i + d].pss >= 0 && (i < d || l->p[i - d].pss < 0 ||
                                                             l->p[i + d].t - t <= t - l->p[i - d].t))
                        return l->p[i + d].pss;
                if (i >= d && l->p[i - d].pss >= 0)
                        return l->p[i - d].pss;
        }
        return -1;
}

static double median_or(double *v, size_t n)
{
        double m = -1;

        if (n > 0)
                stats_median(v, n, &m);
        return m;
}

/* Per-worker figures: at the equivalent points (tree indices idx[]), restarts, warm-ups. */
static void analyse_workers(const struct runfile_series *s, const struct runfile_procs *pr,
                            const size_t idx[ANALYSIS_POINTS], struct analysis *a)
{
        size_t *sel = NULL, n, earliest_end = SIZE_MAX;
        double *v = NULL, *w = NULL;
        long *alive = NULL;

        a->workers_max = a->worker_lives = a->restarts = -1;
        a->first_warmup_s = a->restart_warmup_s = a->restart_jit = -1;
        for (int k = 0; k < ANALYSIS_POINTS; k++)
                a->worker_rss_at[k] = a->worker_pss_at[k] = a->worker_jit_at[k] = -1;
        if (!pr || pr->n == 0 || s->n == 0)
                return;
        sel = malloc(pr->n * sizeof(*sel));
        v = malloc(pr->n * sizeof(*v));
        w = malloc(pr->n * sizeof(*w));
        alive = calloc(s->n + 1, sizeof(*alive));
        if (!sel || !v || !w || !alive)
                goto out;
        n = select_workers(pr, sel);
        a->workers_max = a->worker_lives = a->restarts = 0;
        if (n == 0)
                goto out;
        a->worker_lives = (int)n;

        /* Most alive at once: a sweep over first and last ticks. */
        for (size_t j = 0; j < n; j++) {
                const struct runfile_life *l = &pr->l[sel[j]];
                alive[l->first_tick]++;
                alive[l->last_tick + 1]--;
                if (l->last_tick < earliest_end)
                        earliest_end = l->last_tick;
        }
        for (size_t i = 0, cur = 0; i < s->n; i++) {
                cur += (size_t)alive[i];
                if ((int)cur > a->workers_max)
                        a->workers_max = (int)cur;
        }

        /* Restarts, and the warm-up of the first workers against the restarted ones'. */
        size_t nf = 0, nr = 0, nj = 0;
        for (size_t j = 0; j < n; j++) {
                const struct runfile_life *l = &pr->l[sel[j]];
                int restarted = l->first_tick > earliest_end;
                a->restarts += restarted;
                if (l->jit_growth_end_t < 0)
                        continue;
                if (restarted)
                        w[nr++] = l->jit_growth_end_t - l->first_t;
                else
                        v[nf++] = l->jit_growth_end_t - l->first_t;
        }
        a->first_warmup_s = median_or(v, nf);
        a->restart_warmup_s = median_or(w, nr);
        for (size_t j = 0; j < n; j++) {
                const struct runfile_life *l = &pr->l[sel[j]];
                if (l->first_tick > earliest_end)
                        v[nj++] = l->peak_jit;
        }
        a->restart_jit = median_or(v, nj);

        /* Peaks: the median worker's. */
        size_t np = 0, nq = 0;
        for (size_t j = 0; j < n; j++) {
                const struct runfile_life *l = &pr->l[sel[j]];
                v[np++] = l->peak_rss;
                if (l->peak_pss >= 0)
                        w[nq++] = l->peak_pss;
        }
        a->worker_peak_rss = median_or(v, np);
        a->worker_peak_pss = median_or(w, nq);

        /* At the equivalent points: the workers alive at that tick. */
        for (int k = 0; k < ANALYSIS_POINTS; k++) {
                double t = s->p[idx[k]].t;
                size_t m = 0, q = 0;
                for (size_t j = 0; j < n; j++) {
                        const struct runfile_life *l = &pr->l[sel[j]];
                        if (l->first_tick > idx[k] || l->last_tick < idx[k])
                                continue;
                        const struct runfile_ppoint *p = runfile_life_at(l, t);
                        double pss = life_pss_near(l, t);
                        if (!p)
                                continue;
                        v[m++] = p->rss;
                        if (pss >= 0)
                                w[q++] = pss;
                }
                a->worker_rss_at[k] = median_or(v, m);
                a->worker_pss_at[k] = median_or(w, q);
                m = 0;
                for (size_t j = 0; j < n; j++) {
                        const struct runfile_life *l = &pr->l[sel[j]];
                        const struct runfile_ppoint *p;
                        if (l->first_tick > idx[k] || l->last_tick < idx[k] || !(p = runfile_life_at(l, t)))
                                continue;
                        v[m++] = p->jit;
                }
                a->worker_jit_at[k] = median_or(v, m);
        }
out:
        free(sel);
        free(v);
        free(w);
        free(alive);
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

int analysis_run(const struct runfile_series *s, const struct runfile_procs *lives, json_t *summary,
                 struct analysis *ret)
{
        size_t at[ANALYSIS_POINTS];
        struct analysis a;
        struct stats_trend tr;
        double t0, T, total;
        size_t from;

        if (!s || s->n < 1)
                return -EINVAL;
        memset(&a, 0, sizeof(a));
        t0 = s->p[0].t;
        T = s->p[s->n - 1].t;
        a.peak_pss = -1;
        a.jit_growth_end_s = -1;
        for (size_t i = 0; i < s->n; i++) {
                const struct runfile_point *p = &s->p[i];
                a.peak_rss = fmax(a.peak_rss, p->rss);
                if (p->pss >= 0)
                        a.peak_pss = fmax(a.peak_pss, p->pss);
                a.peak_jit = fmax(a.peak_jit, p->jit);
                if (p->jit > 0 && (i == 0 || p->jit > s->p[i - 1].jit))
                        a.jit_growth_end_s = p->t;
        }
        a.final_jit = s->p[s->n - 1].jit;

        /* Figures of the whole run, from summary.json. */
        a.wall_s = json_num(summary, "duration_s", T - t0);
        a.cpu_s = 0;
        json_t *procs = json_object_get(summary, "processes"), *p;
        size_t idx;
        json_array_foreach(procs, idx, p) a.cpu_s += json_num(p, "cpu_user_s", 0) + json_num(p, "cpu_sys_s", 0);
        a.throughput = json_num(json_object_get(summary, "progress"), "units_per_s", -1);
        /* Per worker: the processes after the first (the command itself: a master). */
        {
                double rv[256], pv[256];
                size_t nr = 0, np = 0;
                a.worker_peak_rss = a.worker_peak_pss = -1;
                json_array_foreach(procs, idx, p) {
                        if (idx == 0 || nr == 256)
                                continue;
                        double r1 = json_num(p, "peak_rss_bytes", -1), p1 = json_num(p, "peak_pss_bytes", -1);
                        if (r1 > 0)
                                rv[nr++] = r1;
                        if (p1 > 0)
                                pv[np++] = p1;
                }
                if (nr > 0)
                        stats_median(rv, nr, &a.worker_peak_rss);
                if (np > 0)
                        stats_median(pv, np, &a.worker_peak_pss);
        }
        json_t *load = json_object_get(json_object_get(summary, "driver"), "load");
        a.latency_p50_us = json_num(json_object_get(load, "latency_us"), "p50", -1);
        a.latency_p99_us = json_num(json_object_get(load, "latency_us"), "p99", -1);
        if (json_is_object(load)) /* requests per second over the measured load, not the whole run */
                a.throughput = json_num(json_object_get(load, "requests"), "per_second", a.throughput);
        json_t *jit = json_object_get(summary, "jit");
        a.executors_compiled = json_num(jit, "executors_compiled", -1);
        a.executors_freed = json_num(jit, "executors_freed", -1);
        a.churn_ratio = json_num(jit, "churn_ratio", -1);

        if (s->n < 3) {
                /* Too short for any trend (a start-up, or a coarse interval): the peaks only. */
                a.warmup_end_s = NAN;
                a.steady_rss = a.steady_pss = -1;
                a.slope = NAN;
                a.slope_p = 1;
                a.startup_rss = s->p[0].rss;
                a.by_progress = s->p[s->n - 1].progress > 0;
                for (int k = 0; k < ANALYSIS_POINTS; k++) {
                        a.rss_at[k] = s->p[s->n - 1].rss;
                        a.pss_at[k] = pss_near(s, s->n - 1);
                        at[k] = s->n - 1;
                }
                a.vsz_lead_s = NAN;
                analyse_workers(s, lives, at, &a);
                a.growth_class = GROWTH_NOT_ENOUGH_DATA;
                *ret = a;
                return 0;
        }

        /* Warm-up: the earliest start, in tenths of the run, after which RSS shows no trend that
         * matters; and JIT code no longer grows. */
        double rss_end = -1;
        for (int tenth = 0; tenth <= 8; tenth++) {
                double start = t0 + (T - t0) * tenth / 10.0;
                size_t i = first_at_time(s, start);
                double med = median_from(s, i, 0);
                if (trend_from(s, i, &tr) < 0)
                        break;
                /* No trend that matters: negligible in size, or not significant and small (a short
                 * tail cannot show significance, so that alone is not a plateau). */
                double moved = fabs(tr.slope) * (T - start);
                if (moved < NEGLIGIBLE * med || (tr.p_value > TREND_ALPHA && moved < SMALL * med)) {
                        rss_end = s->p[i].t;
                        break;
                }
        }
        a.warmup_ended = rss_end >= 0;
        if (rss_end < 0)
                rss_end = t0 + (T - t0) * 0.8;
        a.warmup_end_s = fmax(rss_end, a.jit_growth_end_s);
        from = first_at_time(s, a.warmup_end_s);
        if (s->n - from < 3)
                from = s->n >= 3 ? s->n - 3 : 0;
        a.steady_rss = median_from(s, from, 0);
        a.steady_pss = median_from(s, from, 1);
        /* Growth: after the warm-up; when RSS never stopped trending, over the whole run after
         * JIT code stopped growing (a leak shows from the start). */
        if (!a.warmup_ended)
                from = first_at_time(s, fmax(t0, a.jit_growth_end_s));
        if (trend_from(s, from, &tr) == 0) {
                a.slope = tr.slope;
                a.slope_p = tr.p_value;
                a.growing = tr.p_value <= TREND_ALPHA &&
                            tr.slope * (T - s->p[from].t) >= NEGLIGIBLE * a.steady_rss;
        } else {
                a.slope_p = 1;
        }

        /* Start-up, and the equivalent points. */
        total = s->p[s->n - 1].progress;
        a.by_progress = total > 0;
        a.startup_rss = s->p[first_at_time(s, t0 + 0.05 * (T - t0))].rss;
        if (a.by_progress)
                for (size_t i = 0; i < s->n; i++)
                        if (s->p[i].progress >= 1) {
                                a.startup_rss = s->p[i].rss;
                                break;
                        }
        for (int k = 0; k < ANALYSIS_POINTS; k++) {
                size_t i = s->n - 1;
                if (a.by_progress) {
                        double target = total * (k + 1) / ANALYSIS_POINTS;
                        for (size_t j = 0; j < s->n; j++)
                                if (s->p[j].progress >= target) {
                                        i = j;
                                        break;
                                }
                } else {
                        i = first_at_time(s, t0 + (T - t0) * (k + 1) / ANALYSIS_POINTS);
                }
                a.rss_at[k] = s->p[i].rss;
                a.pss_at[k] = pss_near(s, i);
                at[k] = i;
        }
        a.vsz_lead_s = t90(s, 0) - t90(s, 1);
        analyse_workers(s, lives, at, &a);
        struct growth_result g;
        a.growth_class = analysis_tree_growth(s, 0, &g) == 0 ? (int)g.cls : GROWTH_NOT_ENOUGH_DATA;
        *ret = a;
        return 0;
}
