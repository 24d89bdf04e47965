/* The HTML report (report.h): the page's parts, and the directory kinds it is written for. */
#include "report.h"

#include "analysis.h"
#include "compare.h"
#include "growth.h"
#include "history.h"
#include "runfile.h"
#include "svg.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_SIZE 4352
#define META_MAX_BYTES (4 << 20)      /* meta.json and comparison.json are read only up to this size */
#define EVENTS_MAX 2000000            /* executors' events read from events.jsonl */
#define EVENT_LINE_MAX 4096
#define PROC_LINES 12                 /* per-process lines drawn (the largest, or the workers) */
#define BAND_GRID 400                 /* x values at which the spread of the runs is taken */
#define RUNS_MAX 256

static const char *const MODE_COLOR[2] = { "#1f6fb4", "#e3650b" };
static const char *const MODE_NAME[2] = { "off", "on" };
static const char *const PALETTE[] = { "#1f6fb4", "#e3650b", "#2a9d3a", "#c8272b", "#8a5cc2", "#8c564b",
                                       "#d9489e", "#666666", "#a6a20f", "#12a3b8", "#0b3d91", "#b35806" };

/* One recorded run, read back by the readers. */
struct run {
        char name[72];                /* "01-off", or the directory's last component */
        int mode;                     /* 0 off, 1 on, -1 a run on its own */
        struct runfile_series s;
        struct runfile_procs p;
        struct runfile_summary sum;
        int has_sum;
        struct analysis a;
        int has_a;
        json_t *meta;
        double *ev_t;                 /* events.jsonl: when each executor was compiled or freed */
        char *ev_free;                /* ... 1: freed */
        size_t nev;
        int traced;                   /* events.jsonl was read */
        int windowed;                 /* driven by an HTTP load: over work done, only the points of */
        size_t win_lo, win_hi;        /* [win_lo, win_hi) are drawn, the measured load's, as the
                                       * figures are taken (start-up and shutdown left out) */
};

static int file_exists(const char *dir, const char *name)
{
        char path[PATH_SIZE];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir/name parsed, when it is a regular file of at most META_MAX_BYTES; else NULL. */
static json_t *read_json(const char *dir, const char *name)
{
        char path[PATH_SIZE];

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return runfile_load_json(path, META_MAX_BYTES);
}

static double jreal(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

/* A whole number at or above 0, else -1. */
static long long jcount(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_integer(v) && json_integer_value(v) >= 0 ? (long long)json_integer_value(v) : -1;
}

/* The label of interpreter k of a matrix's "interpreters" (NULL: none). */
static const char *interp_label(json_t *interps, long long k)
{
        return k < 0 ? NULL : jstr(json_array_get(interps, (size_t)k), "label");
}

/* events.jsonl, one JSON object a line: the executors compiled and freed, by time. A line that
 * is not such an object is passed over; the file is read up to EVENTS_MAX events. */
static void read_events(const char *dir, struct run *r)
{
        char path[PATH_SIZE], *line = malloc(EVENT_LINE_MAX);
        size_t cap = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s/events.jsonl", dir);
        f = fopen(path, "re");
        if (!f || !line)
                goto out;
        r->traced = 1;
        while (r->nev < EVENTS_MAX && fgets(line, EVENT_LINE_MAX, f)) {
                size_t len = strlen(line);
                json_t *e;
                const char *kind;
                double t;

                if (len == EVENT_LINE_MAX - 1 && line[len - 1] != '\n') {
                        int c;
                        while ((c = fgetc(f)) != EOF && c != '\n')
                                ;
                        continue;
                }
                e = json_loads(line, JSON_REJECT_DUPLICATES, NULL);
                kind = jstr(e, "event");
                t = jreal(e, "t_s");
                if (kind && isfinite(t) && t >= 0 && (strcmp(kind, "compile") == 0 || strcmp(kind, "free") == 0)) {
                        if (r->nev == cap) {
                                size_t ncap = cap ? 2 * cap : 1024;
                                double *nt = realloc(r->ev_t, ncap * sizeof(*nt));
                                char *nf = nt ? realloc(r->ev_free, ncap) : NULL;
                                if (nt)
                                        r->ev_t = nt;
                                if (!nt || !nf) {
                                        json_decref(e);
                                        break;
                                }
                                r->ev_free = nf;
                                cap = ncap;
                        }
                        r->ev_t[r->nev] = t;
                        r->ev_free[r->nev] = kind[0] == 'f';
                        r->nev++;
                }
                json_decref(e);
        }
out:
        if (f)
                fclose(f);
        free(line);
}

static void run_free(struct run *r)
{
        runfile_series_free(&r->s);
        runfile_procs_free(&r->p);
        if (r->has_sum)
                runfile_summary_free(&r->sum);
        json_decref(r->meta);
        free(r->ev_t);
        free(r->ev_free);
        memset(r, 0, sizeof(*r));
}

/* Reads the run in dir. Returns 0, or -errno with err set. */
static int run_load(const char *dir, const char *name, int mode, struct run *r, char *err, size_t err_size)
{
        int rc;

        memset(r, 0, sizeof(*r));
        snprintf(r->name, sizeof(r->name), "%s", name);
        r->mode = mode;
        rc = runfile_read(dir, &r->s, &r->p);
        if (rc < 0) {
                util_say(err, err_size, "cannot read %s/samples.csv: %s", dir, util_strerror(rc));
                return rc;
        }
        r->has_sum = runfile_read_summary(dir, &r->sum) == 0;
        r->has_a = analysis_of(&r->s, &r->p, r->has_sum ? &r->sum : NULL, &r->a) == 0;
        if (r->has_sum) {
                double from, to;
                r->windowed = analysis_load_window(&r->s, &r->sum, &r->win_lo, &r->win_hi, &from, &to) == 1 &&
                              r->win_lo < r->win_hi;
        }
        r->meta = read_json(dir, "meta.json");
        read_events(dir, r);
        return 0;
}

/* ---- the page's frame ---- */

static const char PAGE_CSS[] =
        "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1b1b1b;margin:0 auto;"
        "max-width:960px;padding:16px 24px;background:#fff}\n"
        "h1{font-size:22px;margin:8px 0}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd}\n"
        "table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;"
        "text-align:left;vertical-align:top}th{background:#f4f4f4}td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
        ".verdict{font-size:18px;font-weight:600;padding:10px 14px;border-radius:6px;margin:10px 0}\n"
        ".v-go{background:#e3f4e5}.v-cond{background:#fff4d6}.v-nogo{background:#fbe0e0}.v-none{background:#eee}\n"
        ".pass{color:#1d7a2c}.fail{color:#b3261e}.na{color:#777}.absent{color:#888;font-style:italic}\n"
        "figure.chart{margin:14px 0}figcaption{font-weight:600;margin-bottom:2px}\n"
        "svg.plot{display:block;max-width:100%;height:auto;font:11px sans-serif}\n"
        "svg.plot .grid line{stroke:#e6e6e6}svg.plot .frame{fill:none;stroke:#999}\n"
        "svg.plot .tx{text-anchor:middle;fill:#444}svg.plot .ty{text-anchor:end;fill:#444}\n"
        "svg.plot .xl,svg.plot .yl{text-anchor:middle;fill:#222}\n"
        "svg.plot .line{fill:none;stroke-width:1.6}svg.plot .dashed{stroke-dasharray:6 4}\n"
        "svg.plot .seg{stroke-width:1.6}svg.plot .band{opacity:.22;stroke:none}svg.plot .err line{stroke-width:1.5}\n"
        "svg.plot .hidden{display:none}\n"
        ".legend{font-size:12px;margin:2px 0 0 80px}.key{margin-right:14px;cursor:pointer;white-space:nowrap}\n"
        ".key i{display:inline-block;width:18px;border-top:3px solid;vertical-align:middle;margin-right:4px}\n"
        ".key i.dashed{border-top-style:dashed}.key.dim{opacity:.35}\n"
        ".note{font-size:12px;color:#555;margin:2px 0 0 80px}.readout{font-size:12px;color:#333;min-height:1.2em;"
        "margin-left:80px}\n"
        "dl{display:grid;grid-template-columns:max-content auto;gap:2px 14px;font-size:13px}dt{color:#555}dd{margin:0}\n"
        "code{font-size:12px;background:#f6f6f6;padding:1px 3px;word-break:break-all}\n";

/* Hover read-outs and series toggles. The page reads the same without it: nothing is hidden
 * until a reader clicks a legend entry. */
static const char PAGE_SCRIPT[] =
        "(function(){\n"
        "function num(e,k){return parseFloat(e.getAttribute('data-'+k));}\n"
        "function pts(p){if(!p._pts){p._pts=p.getAttribute('points').trim().split(/\\s+/).map(function(s){"
        "var a=s.split(',');return [parseFloat(a[0]),parseFloat(a[1])];});}return p._pts;}\n"
        "function fmt(v,scale,unit){var x=v/scale;return (Math.abs(x)>=100?x.toFixed(0):x.toFixed(2))+(unit?' '+unit:'');}\n"
        "document.querySelectorAll('svg.plot').forEach(function(svg){\n"
        " var fig=svg.parentNode,out=document.createElement('div');out.className='readout';fig.appendChild(out);\n"
        " var x0=num(svg,'x0'),x1=num(svg,'x1'),px0=num(svg,'px0'),px1=num(svg,'px1');\n"
        " var y0=num(svg,'y0'),y1=num(svg,'y1'),py0=num(svg,'py0'),py1=num(svg,'py1');\n"
        " svg.addEventListener('mousemove',function(ev){\n"
        "  var r=svg.getBoundingClientRect(),px=(ev.clientX-r.left)*svg.viewBox.baseVal.width/r.width;\n"
        "  var x=x0+(px-px0)*(x1-x0)/(px1-px0),parts=[];\n"
        "  svg.querySelectorAll('polyline').forEach(function(p){if(p.classList.contains('hidden'))return;\n"
        "   var best=null;pts(p).forEach(function(q){if(!best||Math.abs(q[0]-px)<Math.abs(best[0]-px))best=q;});\n"
        "   if(!best)return;var y=y0+(best[1]-py0)*(y1-y0)/(py1-py0);\n"
        "   parts.push((p.getAttribute('data-label')||p.getAttribute('data-series'))+': '+fmt(y,num(svg,'yscale'),svg.getAttribute('data-yunit')));});\n"
        "  out.textContent=fmt(x,num(svg,'xscale'),svg.getAttribute('data-xunit'))+' \\u2014 '+parts.join(' \\u00b7 ');});\n"
        "});\n"
        "document.querySelectorAll('.legend .key').forEach(function(k){k.addEventListener('click',function(){\n"
        " var g=k.getAttribute('data-group'),fig=k.closest('figure');k.classList.toggle('dim');\n"
        " fig.querySelectorAll('[data-group]').forEach(function(e){if(e!==k&&e.getAttribute('data-group')===g&&!e.classList.contains('key'))"
        "e.classList.toggle('hidden');});});});\n"
        "})();\n";

static void page_begin(FILE *f, const char *title)
{
        fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
              f);
        svg_put_text(f, title);
        fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", PAGE_CSS);
}

static void page_end(FILE *f)
{
        fprintf(f, "<p class=\"note\">Written by jitmem %s. Every figure shown was measured; one that was not is "
                   "shown as not measured.</p>\n<script>\n%s</script>\n</body>\n</html>\n",
                JITMEM_VERSION, PAGE_SCRIPT);
}

static void put(FILE *f, const char *s)
{
        svg_put_text(f, s ? s : "");
}

/* A figure in a table cell: "not measured" (in its own style) when it is not. */
static void cell_value(FILE *f, double v, enum svg_unit unit)
{
        char b[64];

        if (!isfinite(v) || v < 0) {
                fputs("<td class=\"absent\">not measured</td>", f);
                return;
        }
        svg_format(v, unit, b, sizeof(b));
        fprintf(f, "<td class=\"n\">%s</td>", b);
}

/* comparison.json's units: "bytes", "seconds", "us", "count", "fraction", "units/s". */
static void format_unit(double v, const char *unit, int sign, char *b, size_t size)
{
        char m[64];
        const char *sg = sign && v > 0 ? "+" : v < 0 ? "-" : "";
        double a = fabs(v);

        if (!isfinite(v)) {
                snprintf(b, size, "not measured");
                return;
        }
        if (!unit)
                unit = "";
        if (strcmp(unit, "bytes") == 0)
                svg_format(a, SVG_BYTES, m, sizeof(m));
        else if (strcmp(unit, "seconds") == 0)
                svg_format(a, SVG_SECONDS, m, sizeof(m));
        else if (strcmp(unit, "us") == 0)
                snprintf(m, sizeof(m), "%.0f us", a);
        else if (strcmp(unit, "fraction") == 0)
                snprintf(m, sizeof(m), "%.1f%%", a * 100);
        else if (strcmp(unit, "units/s") == 0)
                snprintf(m, sizeof(m), "%.1f /s", a);
        else
                svg_format(a, SVG_COUNT, m, sizeof(m));
        snprintf(b, size, "%s%s", sg, m);
}

static void cell_unit(FILE *f, double v, const char *unit, int sign)
{
        char b[64];

        if (!isfinite(v)) {
                fputs("<td class=\"absent\">not measured</td>", f);
                return;
        }
        format_unit(v, unit, sign, b, sizeof(b));
        fprintf(f, "<td class=\"n\">%s</td>", b);
}

/* A comparison.json statistic ({off, on, delta, ci95, p_value, unit}) as cells; a and b name
 * the medians ("off" and "on", or between interpreters "base" and "other"). */
static void cells_stat_of(FILE *f, json_t *st, const char *a_key, const char *b_key)
{
        const char *unit = jstr(st, "unit");
        json_t *ci = json_object_get(st, "ci95");
        double lo = json_is_number(json_array_get(ci, 0)) ? json_number_value(json_array_get(ci, 0)) : NAN;
        double hi = json_is_number(json_array_get(ci, 1)) ? json_number_value(json_array_get(ci, 1)) : NAN;
        double p = jreal(st, "p_value");
        char a[64], b[64];

        cell_unit(f, jreal(st, a_key), unit, 0);
        cell_unit(f, jreal(st, b_key), unit, 0);
        cell_unit(f, jreal(st, "delta"), unit, 1);
        if (isfinite(lo) && isfinite(hi)) {
                format_unit(lo, unit, 1, a, sizeof(a));
                format_unit(hi, unit, 1, b, sizeof(b));
                fprintf(f, "<td class=\"n\">%s to %s</td>", a, b);
        } else {
                fputs("<td class=\"absent\">", f);
                put(f, jstr(st, "finding") ? jstr(st, "finding") : "not measured");
                fputs("</td>", f);
        }
        if (isfinite(p))
                fprintf(f, "<td class=\"n\">%.3g</td>", p);
        else
                fputs("<td class=\"absent\">not measured</td>", f);
}

static void cells_stat(FILE *f, json_t *st)
{
        cells_stat_of(f, st, "off", "on");
}

/* The command a run ran, from its meta.json ("command": its arguments). */
static void put_command(FILE *f, json_t *cmd)
{
        size_t i;
        json_t *v;

        fputs("<code>", f);
        json_array_foreach(cmd, i, v)
        {
                if (i)
                        fputc(' ', f);
                put(f, json_string_value(v));
        }
        fputs("</code>", f);
}

static void dl_text(FILE *f, const char *label, const char *v)
{
        fprintf(f, "<dt>%s</dt>", label);
        if (v) {
                fputs("<dd>", f);
                put(f, v);
                fputs("</dd>\n", f);
        } else {
                fputs("<dd class=\"absent\">not recorded</dd>\n", f);
        }
}

static void dl_value(FILE *f, const char *label, json_t *v, enum svg_unit unit)
{
        char b[64];

        if (json_is_string(v)) {
                dl_text(f, label, json_string_value(v));
                return;
        }
        if (!json_is_number(v) || json_number_value(v) < 0) {
                dl_text(f, label, NULL);
                return;
        }
        svg_format(json_number_value(v), unit, b, sizeof(b));
        dl_text(f, label, b);
}

/* The interpreter, the machine and the cgroup, from a run's meta.json. */
static void section_environment(FILE *f, json_t *meta, json_t *python)
{
        json_t *py = python ? python : json_object_get(meta, "python"), *m = json_object_get(meta, "machine");
        json_t *cg = json_object_get(meta, "cgroup"), *jit = json_object_get(py, "jit");

        fputs("<h2>Interpreter, machine, cgroup</h2>\n<dl>\n", f);
        dl_text(f, "interpreter", jstr(py, "executable"));
        dl_text(f, "version", jstr(py, "version_full"));
        dl_text(f, "JIT build", jstr(jit, "build_text"));
        dl_text(f, "kernel", jstr(m, "kernel"));
        dl_text(f, "architecture", jstr(m, "arch"));
        dl_value(f, "CPUs online", json_object_get(m, "cpus_online"), SVG_COUNT);
        dl_value(f, "memory", json_object_get(m, "mem_total_bytes"), SVG_BYTES);
        dl_value(f, "swap", json_object_get(m, "swap_total_bytes"), SVG_BYTES);
        dl_text(f, "transparent huge pages", jstr(m, "thp_enabled"));
        dl_text(f, "cgroup", jstr(cg, "path"));
        dl_text(f, "cgroup version", jstr(cg, "version"));
        dl_value(f, "cgroup memory limit", json_object_get(cg, "memory_limit_bytes"), SVG_BYTES);
        if (json_is_null(json_object_get(meta, "limit_bytes")))
                dl_text(f, "limit judged against", "none given");
        else
                dl_value(f, "limit judged against", json_object_get(meta, "limit_bytes"), SVG_BYTES);
        fputs("</dl>\n", f);
}

/* ---- the charts of runs ---- */

enum figure { FIG_RSS, FIG_PSS, FIG_JIT, FIG_DBG, FIG_MAX };
static const char *const FIG_ID[FIG_MAX] = { "rss", "pss", "jit", "dbg" };
static const char *const FIG_COLUMN[FIG_MAX] = { "rss_bytes", "pss_bytes", "jit_code_bytes", "jit_debug_bytes" };
static const char *const FIG_TITLE[FIG_MAX] = { "RSS of the tree (sum)", "PSS of the tree (sum)", "JIT code",
                                                "GDB JIT interface debug images" };

static double fig_value(const struct runfile_point *p, enum figure fig)
{
        switch (fig) {
        case FIG_RSS: return p->rss;
        case FIG_PSS: return p->pss;
        case FIG_JIT: return p->jit;
        case FIG_DBG: return p->dbg;
        default: return -1;
        }
}

/* The x of a point: its time, or the work done by then (-1: none reported yet). */
static double point_x(const struct runfile_point *p, int by_work)
{
        return by_work ? p->progress : p->t;
}

/* The x of a run's point i as drawn: over work done, -1 (not drawn) outside the measured load. */
static double run_x(const struct run *r, size_t i, int by_work)
{
        if (by_work && r->windowed && (i < r->win_lo || i >= r->win_hi))
                return -1;
        return point_x(&r->s.p[i], by_work);
}

/* A run's points of one figure as arrays (x, y; y = -1 where not measured or x is none).
 * Returns 0 or -ENOMEM. */
static int run_xy(const struct run *r, enum figure fig, int by_work, double **ret_x, double **ret_y)
{
        size_t n = r->s.n ? r->s.n : 1;
        double *x = malloc(n * sizeof(*x)), *y = malloc(n * sizeof(*y));

        if (!x || !y) {
                free(x);
                free(y);
                return -ENOMEM;
        }
        for (size_t i = 0; i < r->s.n; i++) {
                x[i] = run_x(r, i, by_work);
                y[i] = x[i] >= 0 ? fig_value(&r->s.p[i], fig) : -1;
        }
        *ret_x = x;
        *ret_y = y;
        return 0;
}

static int figure_measured(const struct run *runs, size_t n, enum figure fig)
{
        for (size_t k = 0; k < n; k++)
                for (size_t i = 0; i < runs[k].s.n; i++)
                        if (fig_value(&runs[k].s.p[i], fig) >= 0 && (fig != FIG_DBG || runs[k].s.p[i].dbg_images >= 0))
                                return 1;
        return 0;
}

static void range_of(const struct run *runs, size_t n, enum figure fig, int by_work, double *xmax, double *ymax)
{
        for (size_t k = 0; k < n; k++)
                for (size_t i = 0; i < runs[k].s.n; i++) {
                        double x = run_x(&runs[k], i, by_work), y = fig_value(&runs[k].s.p[i], fig);
                        if (x < 0 || y < 0)
                                continue;
                        if (x > *xmax)
                                *xmax = x;
                        if (y > *ymax)
                                *ymax = y;
                }
}

/* The lowest and highest of the runs (the mode's) at each of BAND_GRID x values: each run's
 * last measured point at or before x, where x is within the run. */
static void band_of(const struct run **runs, size_t n, enum figure fig, int by_work, double xmax, double *gx,
                    double *lo, double *hi)
{
        for (size_t g = 0; g < BAND_GRID; g++) {
                gx[g] = xmax * (double)g / (BAND_GRID - 1);
                lo[g] = hi[g] = -1;
        }
        for (size_t k = 0; k < n; k++) {
                const struct runfile_series *s = &runs[k]->s;
                double last_x = -1, cur = -1;
                size_t i = 0;

                for (size_t j = 0; j < s->n; j++)
                        if (run_x(runs[k], j, by_work) > last_x)
                                last_x = run_x(runs[k], j, by_work);
                for (size_t g = 0; g < BAND_GRID; g++) {
                        for (; i < s->n && run_x(runs[k], i, by_work) <= gx[g]; i++)
                                if (run_x(runs[k], i, by_work) >= 0 && fig_value(&s->p[i], fig) >= 0)
                                        cur = fig_value(&s->p[i], fig);
                        if (cur < 0 || gx[g] > last_x)
                                continue;
                        if (lo[g] < 0 || cur < lo[g])
                                lo[g] = cur;
                        if (cur > hi[g])
                                hi[g] = cur;
                }
        }
}

/* One figure over time (or work done) for one run or the runs of each mode: for a mode, the
 * spread of its runs as a band and its median run as a line. */
static void chart_figure(FILE *f, const struct run *runs, size_t n, const struct run *const median[2],
                         const struct run **const by_mode[2], const size_t n_mode[2], enum figure fig, int by_work,
                         const char *idp)
{
        struct svg_chart c;
        double xmax = 0, ymax = 0, gx[BAND_GRID], lo[BAND_GRID], hi[BAND_GRID];
        char id[64], series[64], label[96], attrs[160];

        range_of(runs, n, fig, by_work, &xmax, &ymax);
        snprintf(id, sizeof(id), "%schart-%s", idp, FIG_ID[fig]);
        svg_chart_begin(&c, f, id, FIG_TITLE[fig], 0, xmax, by_work ? SVG_COUNT : SVG_SECONDS,
                        by_work ? "work done (units, requests served)" : "time", 0, ymax, SVG_BYTES, FIG_TITLE[fig]);
        for (int m = 0; m < 2; m++) {
                double *x, *y;
                if (!median[m])
                        continue;
                if (n_mode[m] > 1) {
                        band_of(by_mode[m], n_mode[m], fig, by_work, xmax, gx, lo, hi);
                        snprintf(series, sizeof(series), "%s-%s-band", FIG_ID[fig], MODE_NAME[m]);
                        svg_band(&c, series, MODE_NAME[m], MODE_COLOR[m], gx, lo, hi, BAND_GRID);
                }
                if (run_xy(median[m], fig, by_work, &x, &y) < 0)
                        continue;
                snprintf(series, sizeof(series), "%s-%s-median", FIG_ID[fig], MODE_NAME[m]);
                snprintf(label, sizeof(label), "JIT %s: median run %s%s", MODE_NAME[m], median[m]->name,
                         n_mode[m] > 1 ? " (band: all runs, lowest to highest)" : "");
                /* where the line's points come from: the run, and samples.csv's columns */
                snprintf(attrs, sizeof(attrs), "data-run=\"%s\" data-xcol=\"%s\" data-ycol=\"%s\"", median[m]->name,
                         by_work ? "progress_units" : "t_s", FIG_COLUMN[fig]);
                if (by_work && median[m]->windowed) /* the rows drawn: those of the measured load */
                        snprintf(attrs + strlen(attrs), sizeof(attrs) - strlen(attrs), " data-t0=\"%.6f\" data-t1=\"%.6f\"",
                                 median[m]->s.p[median[m]->win_lo].t, median[m]->s.p[median[m]->win_hi - 1].t);
                c.line_attrs = attrs;
                svg_line(&c, series, MODE_NAME[m], label, MODE_COLOR[m], 0, x, y, median[m]->s.n);
                free(x);
                free(y);
        }
        svg_chart_end(&c);
}

/* A run's own lines: RSS and PSS sums, and JIT code with debug images. */
static void chart_run_lines(FILE *f, const struct run *r, const enum figure *figs, int nfig, const char *id,
                            const char *title)
{
        struct svg_chart c;
        double xmax = 0, ymax = 0;

        for (int k = 0; k < nfig; k++)
                range_of(r, 1, figs[k], 0, &xmax, &ymax);
        svg_chart_begin(&c, f, id, title, 0, xmax, SVG_SECONDS, "time", 0, ymax, SVG_BYTES, "bytes");
        for (int k = 0; k < nfig; k++) {
                double *x, *y;
                char attrs[96];
                if (!figure_measured(r, 1, figs[k]) || run_xy(r, figs[k], 0, &x, &y) < 0)
                        continue;
                snprintf(attrs, sizeof(attrs), "data-xcol=\"t_s\" data-ycol=\"%s\"", FIG_COLUMN[figs[k]]);
                c.line_attrs = attrs;
                svg_line(&c, FIG_ID[figs[k]], FIG_ID[figs[k]], FIG_TITLE[figs[k]], PALETTE[k], 0, x, y, r->s.n);
                free(x);
                free(y);
        }
        svg_chart_end(&c);
}

static int cmp_peak_desc(const void *a, const void *b, void *ctx)
{
        const struct runfile_procs *p = ctx;
        double x = p->l[*(const size_t *)a].peaks.rss, y = p->l[*(const size_t *)b].peaks.rss;
        return (x < y) - (x > y);
}

/* The lives drawn for a run: its workers (restarted[] says which restarted), or when it has
 * none the PROC_LINES largest by peak RSS. Returns how many (in sel). */
static size_t lives_drawn(const struct run *r, size_t *sel, int *restarted, int *workers)
{
        size_t n = analysis_workers(&r->s, &r->p, sel, restarted);

        *workers = n > 0;
        if (n == 0) {
                for (size_t i = 0; i < r->p.n; i++) {
                        sel[n] = i;
                        restarted[n++] = 0;
                }
                qsort_r(sel, n, sizeof(*sel), cmp_peak_desc, (void *)&r->p);
        }
        return n > PROC_LINES ? PROC_LINES : n;
}

/* Per-process RSS lines of a run, restarts marked. */
static void chart_processes(FILE *f, const struct run *r, const char *id, const char *title)
{
        size_t *sel = malloc((r->p.n ? r->p.n : 1) * sizeof(*sel)), n;
        int *restarted = malloc((r->p.n ? r->p.n : 1) * sizeof(*restarted)), workers = 0, marked = 0;
        double xmax = 0, ymax = 0;
        struct svg_chart c;
        char series[64], label[200], attrs[192];

        if (!sel || !restarted)
                goto out;
        n = lives_drawn(r, sel, restarted, &workers);
        if (n == 0) {
                fputs("<p class=\"absent\">No process rows were recorded.</p>\n", f);
                goto out;
        }
        for (size_t j = 0; j < n; j++) {
                const struct runfile_life *l = &r->p.l[sel[j]];
                for (size_t i = 0; i < l->n; i++) {
                        if (l->p[i].t > xmax)
                                xmax = l->p[i].t;
                        if (l->p[i].rss > ymax)
                                ymax = l->p[i].rss;
                }
        }
        svg_chart_begin(&c, f, id, title, 0, xmax, SVG_SECONDS, "time", 0, ymax, SVG_BYTES, "RSS");
        for (size_t j = 0; j < n; j++) {
                const struct runfile_life *l = &r->p.l[sel[j]];
                double *x = malloc((l->n ? l->n : 1) * sizeof(*x)), *y = malloc((l->n ? l->n : 1) * sizeof(*y));
                if (!x || !y) {
                        free(x);
                        free(y);
                        continue;
                }
                for (size_t i = 0; i < l->n; i++) {
                        x[i] = l->p[i].t;
                        y[i] = l->p[i].rss;
                }
                snprintf(series, sizeof(series), "proc-%d-%zu", l->pid, sel[j]);
                snprintf(attrs, sizeof(attrs), "data-pid=\"%d\" data-xcol=\"t_s\" data-ycol=\"rss_bytes\"%s%s%s", l->pid,
                         r->mode >= 0 ? " data-run=\"" : "", r->mode >= 0 ? r->name : "", r->mode >= 0 ? "\"" : "");
                c.line_attrs = attrs;
                snprintf(label, sizeof(label), "%s (PID %d)%s", l->last_comm, l->pid, restarted[j] ? ", restarted" : "");
                svg_line(&c, series, series, label, PALETTE[j % (sizeof(PALETTE) / sizeof(PALETTE[0]))], 0, x, y, l->n);
                if (restarted[j] && l->n > 0) {
                        snprintf(label, sizeof(label), "restart: PID %d started at %.2f s", l->pid, l->first_t);
                        svg_marker(&c, "restart", series, "#b3261e", x[0], y[0], label);
                        marked++;
                }
                free(x);
                free(y);
        }
        svg_chart_end(&c);
        fprintf(f, "<p class=\"note\">%s%s</p>\n",
                workers ? "Workers (children of one parent running one program, alive together), as the analysis finds them."
                        : "No workers found: the largest processes by peak RSS.",
                marked ? " A triangle marks a worker that started after another had ended (a restart)." : "");
out:
        free(sel);
        free(restarted);
}

/* Executors compiled and freed over time (events.jsonl), for each run given. */
static void chart_executors(FILE *f, const struct run *const *runs, size_t n, const char *id)
{
        struct svg_chart c;
        double xmax = 0, ymax = 0;

        for (size_t k = 0; k < n; k++) {
                size_t comp = 0, fr = 0;
                for (size_t i = 0; i < runs[k]->nev; i++) {
                        comp += !runs[k]->ev_free[i];
                        fr += runs[k]->ev_free[i];
                        if (runs[k]->ev_t[i] > xmax)
                                xmax = runs[k]->ev_t[i];
                }
                if (comp > ymax)
                        ymax = (double)comp;
                if (fr > ymax)
                        ymax = (double)fr;
        }
        svg_chart_begin(&c, f, id, "Executors compiled and freed (--trace-jit)", 0, xmax, SVG_SECONDS, "time", 0, ymax,
                        SVG_COUNT, "executors");
        for (size_t k = 0; k < n; k++) {
                const struct run *r = runs[k];
                double *x = malloc((2 * r->nev + 1) * sizeof(*x)), *yc = malloc((2 * r->nev + 1) * sizeof(*yc)),
                       *yf = malloc((2 * r->nev + 1) * sizeof(*yf));
                size_t m = 0, comp = 0, fr = 0;
                char series[64], label[96];
                int color = r->mode >= 0 ? r->mode : 0;

                if (!x || !yc || !yf)
                        goto next;
                /* cumulative counts as steps: the count before and after each event */
                for (size_t i = 0; i < r->nev; i++) {
                        x[m] = r->ev_t[i];
                        yc[m] = (double)comp;
                        yf[m++] = (double)fr;
                        comp += !r->ev_free[i];
                        fr += r->ev_free[i];
                        x[m] = r->ev_t[i];
                        yc[m] = (double)comp;
                        yf[m++] = (double)fr;
                }
                snprintf(series, sizeof(series), "compiled-%s", r->name);
                snprintf(label, sizeof(label), "compiled (%s)", r->name);
                svg_line(&c, series, series, label, r->mode >= 0 ? MODE_COLOR[color] : PALETTE[0], 0, x, yc, m);
                snprintf(series, sizeof(series), "freed-%s", r->name);
                snprintf(label, sizeof(label), "freed (%s)", r->name);
                svg_line(&c, series, series, label, r->mode >= 0 ? MODE_COLOR[color] : PALETTE[1], 1, x, yf, m);
        next:
                free(x);
                free(yc);
                free(yf);
        }
        svg_chart_end(&c);
}

/* ---- a run ---- */

static void run_figures_table(FILE *f, const struct run *r)
{
        const struct analysis *a = &r->a;
        const struct runfile_summary *s = &r->sum;
        char b[96];

        fputs("<h2>Figures</h2>\n<table>\n<tr><th>figure</th><th>value</th></tr>\n", f);
#define ROW(name, v, unit)                                   \
        do {                                                 \
                fputs("<tr><td>" name "</td>", f);           \
                cell_value(f, r->has_a ? (v) : -1, unit);    \
                fputs("</tr>\n", f);                         \
        } while (0)
        ROW("peak RSS of the tree", a->peak_rss, SVG_BYTES);
        ROW("peak PSS of the tree", a->peak_pss, SVG_BYTES);
        ROW("anonymous memory at its peak (counted once)", a->peak_anon, SVG_BYTES);
        ROW("steady RSS (after the warm-up)", a->steady_rss, SVG_BYTES);
        ROW("steady PSS (after the warm-up)", a->steady_pss, SVG_BYTES);
        ROW("peak JIT code", a->peak_jit, SVG_BYTES);
        ROW("peak debug images", a->peak_dbg, SVG_BYTES);
        ROW("start-up RSS", a->startup_rss, SVG_BYTES);
        ROW("warm-up end", a->warmup_end_s, SVG_SECONDS);
        ROW("wall time", a->wall_s, SVG_SECONDS);
        ROW("CPU time", a->cpu_s, SVG_SECONDS);
        ROW("work done (units)", a->units_total, SVG_COUNT);
        ROW("throughput (units/s)", a->throughput, SVG_COUNT);
        ROW("latency p50 (us)", a->latency_p50_us, SVG_COUNT);
        ROW("latency p99 (us)", a->latency_p99_us, SVG_COUNT);
        ROW("workers at once", a->workers_max, SVG_COUNT);
        ROW("worker restarts", a->restarts, SVG_COUNT);
        ROW("executors compiled (--trace-jit)", r->has_sum ? s->executors_compiled : -1, SVG_COUNT);
        ROW("executors freed (--trace-jit)", r->has_sum ? s->executors_freed : -1, SVG_COUNT);
#undef ROW
        snprintf(b, sizeof(b), "%s", r->has_a ? growth_class_name(a->growth_class) : "not measured");
        fputs("<tr><td>growth class of the tree's RSS</td><td>", f);
        put(f, b);
        fputs("</td></tr>\n<tr><td>slope after the warm-up</td>", f);
        if (r->has_a && isfinite(a->slope)) {
                svg_format(fabs(a->slope), SVG_BYTES, b, sizeof(b));
                fprintf(f, "<td class=\"n\">%s%s/s</td>", a->slope < 0 ? "-" : "", b);
        } else {
                fputs("<td class=\"absent\">not measured</td>", f);
        }
        fputs("</tr>\n</table>\n", f);
}

static double meta_limit(json_t *meta)
{
        double x = jreal(meta, "limit_bytes");
        return isfinite(x) && x >= 1 && x <= (double)RUNFILE_FIGURE_MAX ? x : 0;
}

/* What jitmem watch's recording adds: each process's growth class, slope and time to the
 * limit, and the tree's projection to the limit. */
static void section_watch(FILE *f, const struct run *r)
{
        double limit = meta_limit(r->meta), xmax = 0, ymax = 0;
        struct growth_result g;
        struct svg_chart c;
        char b[64], series[64];
        int have_g = analysis_tree_growth(&r->s, limit, &g) == 0;
        double *x = NULL, *y = NULL;

        fputs("<h2>Growth and the limit</h2>\n", f);
        if (have_g) {
                fputs("<p>The tree: <b>", f);
                put(f, growth_class_name(g.cls));
                fputs("</b>. ", f);
                put(f, g.explanation);
                fputs("</p>\n", f);
        }
        range_of(r, 1, FIG_RSS, 0, &xmax, &ymax);
        int project = have_g && limit > 0 && isfinite(g.time_to_limit_s) && g.time_to_limit_s > 0 && r->s.n > 0;
        double tl = xmax, rl = -1;
        if (r->s.n > 0) {
                tl = r->s.p[r->s.n - 1].t;
                rl = r->s.p[r->s.n - 1].rss;
        }
        double xend = xmax;
        if (project)
                xend = fmin(tl + g.time_to_limit_s, tl + 2 * (xmax > 0 ? xmax : 1)); /* a far limit is cut at 3x the span */
        if (limit > 0 && limit > ymax)
                ymax = limit;
        svg_chart_begin(&c, f, "chart-projection", "RSS of the tree and its projection to the limit", 0,
                        project ? xend : xmax, SVG_SECONDS, "time", 0, ymax, SVG_BYTES, "RSS");
        c.line_attrs = "data-xcol=\"t_s\" data-ycol=\"rss_bytes\"";
        if (run_xy(r, FIG_RSS, 0, &x, &y) == 0)
                svg_line(&c, "watch-rss", "watch-rss", "RSS of the tree (sum)", PALETTE[0], 0, x, y, r->s.n);
        if (limit > 0) {
                svg_format(limit, SVG_BYTES, b, sizeof(b));
                svg_segment(&c, "limit", "limit", "#b3261e", 0, 0, limit, project ? xend : xmax, limit);
        }
        if (project && rl >= 0) {
                double yend = rl + g.slope * (xend - tl);
                snprintf(series, sizeof(series), "projection");
                svg_segment(&c, series, series, "#555555", 1, tl, rl, xend, yend > limit ? limit : yend);
        }
        svg_chart_end(&c);
        free(x);
        free(y);
        if (limit > 0) {
                svg_format(limit, SVG_BYTES, b, sizeof(b));
                fprintf(f, "<p>The limit: %s (red line).", b);
        } else {
                fputs("<p>No limit was recorded: no projection.", f);
        }
        if (project) {
                svg_format(g.time_to_limit_s, SVG_SECONDS, b, sizeof(b));
                fprintf(f, " At the slope judged, the tree reaches it in %s after the last point (dashed line).", b);
        } else if (limit > 0) {
                fputs(" The tree is not growing significantly: no time to the limit.", f);
        }
        fputs("</p>\n<table>\n<tr><th>process</th><th>PID</th><th>growth class</th><th>slope</th><th>time to the limit</th></tr>\n", f);
        for (size_t i = 0; i < r->p.n && i < 64; i++) {
                const struct runfile_life *l = &r->p.l[i];
                double *t = malloc((l->n ? l->n : 1) * sizeof(*t)), *v = malloc((l->n ? l->n : 1) * sizeof(*v));
                struct growth_input in = { 0 };
                struct growth_result pg;
                size_t m = 0;

                if (!t || !v)
                        goto next;
                for (size_t k = 0; k < l->n; k++)
                        if (l->p[k].rss >= 0 && (m == 0 || l->p[k].t > t[m - 1])) {
                                t[m] = l->p[k].t;
                                v[m++] = l->p[k].rss;
                        }
                in.t = t;
                in.rss = v;
                in.n = m;
                in.limit = limit;
                in.current = -1;
                fputs("<tr><td>", f);
                put(f, l->last_comm);
                fprintf(f, "</td><td class=\"n\">%d</td>", l->pid);
                if (growth_classify(&in, &pg) == 0) {
                        fputs("<td>", f);
                        put(f, growth_class_name(pg.cls));
                        fputs("</td>", f);
                        if (isfinite(pg.slope)) {
                                svg_format(fabs(pg.slope), SVG_BYTES, b, sizeof(b));
                                fprintf(f, "<td class=\"n\">%s%s/s</td>", pg.slope < 0 ? "-" : "", b);
                        } else {
                                fputs("<td class=\"absent\">not measured</td>", f);
                        }
                        if (isfinite(pg.time_to_limit_s)) {
                                svg_format(pg.time_to_limit_s, SVG_SECONDS, b, sizeof(b));
                                fprintf(f, "<td class=\"n\">%s</td>", b);
                        } else {
                                fprintf(f, "<td class=\"absent\">%s</td>",
                                        isinf(pg.time_to_limit_s) ? "not growing" : "no limit, or not measured");
                        }
                } else {
                        fputs("<td class=\"absent\">not measured</td><td></td><td></td>", f);
                }
                fputs("</tr>\n", f);
        next:
                free(t);
                free(v);
        }
        fputs("</table>\n", f);
}

static int page_run(FILE *f, const char *dir, char *err, size_t err_size)
{
        struct run r;
        const char *slash = strrchr(dir, '/'), *name = slash && slash[1] ? slash + 1 : dir;
        static const enum figure mem[] = { FIG_RSS, FIG_PSS }, jit[] = { FIG_JIT, FIG_DBG };
        const struct run *one[1];
        int rc, watch;

        rc = run_load(dir, name, -1, &r, err, err_size);
        if (rc < 0)
                return rc;
        watch = jstr(r.meta, "source") && strcmp(jstr(r.meta, "source"), "watch") == 0;
        page_begin(f, watch ? "jitmem report: watch recording" : "jitmem report: run");
        fprintf(f, "<h1>%s: ", watch ? "Watch recording" : "Run");
        put(f, name);
        fputs("</h1>\n<p>", f);
        if (json_is_array(json_object_get(r.meta, "command"))) {
                fputs("Command: ", f);
                put_command(f, json_object_get(r.meta, "command"));
                fputs(". ", f);
        }
        if (jstr(r.meta, "started_at")) {
                fputs("Started at ", f);
                put(f, jstr(r.meta, "started_at"));
                fputs(". ", f);
        }
        fprintf(f, "%zu ticks.</p>\n", r.s.ticks);
        if (watch)
                section_watch(f, &r);
        fputs("<h2>Memory over time</h2>\n", f);
        chart_run_lines(f, &r, mem, 2, "chart-memory", "Memory of the tree (sums over its processes)");
        chart_run_lines(f, &r, jit, figure_measured(&r, 1, FIG_DBG) ? 2 : 1, "chart-jit", "JIT code and debug images");
        if (!figure_measured(&r, 1, FIG_DBG))
                fputs("<p class=\"absent\">Debug images: not measured.</p>\n", f);
        fputs("<h2>Processes</h2>\n", f);
        chart_processes(f, &r, "chart-processes", "RSS of each process");
        if (r.traced) {
                fputs("<h2>Executors</h2>\n", f);
                one[0] = &r;
                chart_executors(f, one, 1, "chart-executors");
        }
        run_figures_table(f, &r);
        section_environment(f, r.meta, NULL);
        page_end(f);
        run_free(&r);
        return 0;
}

/* ---- a comparison ---- */

static const char *verdict_class(const char *overall)
{
        if (!overall)
                return "v-none";
        if (strcmp(overall, "GO") == 0)
                return "v-go";
        if (strncmp(overall, "NO", 2) == 0)
                return "v-nogo";
        return "v-cond";
}

static void section_verdict(FILE *f, json_t *cmp)
{
        json_t *v = json_object_get(cmp, "verdict"), *rules = json_object_get(v, "rules"), *rule;
        size_t i;

        fprintf(f, "<div class=\"verdict %s\">", verdict_class(jstr(v, "overall")));
        put(f, jstr(v, "sentence") ? jstr(v, "sentence") : "No verdict (a control experiment, or an unfinished comparison).");
        fputs("</div>\n", f);
        if (!json_is_array(rules))
                return;
        fputs("<table>\n<tr><th>rule</th><th>status</th><th>value</th><th>threshold</th><th>reason</th></tr>\n", f);
        json_array_foreach(rules, i, rule)
        {
                const char *st = jstr(rule, "status"), *unit = jstr(rule, "unit");
                json_t *passed = json_object_get(rule, "passed");
                fputs("<tr><td>", f);
                put(f, jstr(rule, "name"));
                fprintf(f, "</td><td class=\"%s\">", json_is_true(passed) ? "pass" : json_is_false(passed) ? "fail" : "na");
                put(f, st);
                fputs("</td>", f);
                cell_unit(f, jreal(rule, "value"), unit, 0);
                cell_unit(f, jreal(rule, "threshold"), unit, 0);
                fputs("<td>", f);
                put(f, jstr(rule, "reason"));
                fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
}

static const char *const POINT_FIG[] = { "rss_bytes", "pss_bytes", "anon_bytes", "jit_code_bytes", "jit_debug_bytes" };
static const char *const POINT_TITLE[] = { "RSS", "PSS", "anonymous memory", "JIT code", "debug images" };
#define POINT_FIGS (sizeof(POINT_FIG) / sizeof(POINT_FIG[0]))

/* The delta (on - off) at equal work done, with its 95% interval, at each equivalent point. */
static void section_points(FILE *f, json_t *cmp, const char *idp)
{
        json_t *pts = json_object_get(cmp, "equivalent_points"), *pt;
        double ylo = 0, yhi = 0;
        struct svg_chart c;
        size_t i;
        int by_work = 0;

        fputs("<h2>The JIT's cost at equal work done</h2>\n", f);
        if (!json_is_array(pts) || json_array_size(pts) == 0) {
                fputs("<p class=\"absent\">No equivalent points: not measured.</p>\n", f);
                return;
        }
        json_array_foreach(pts, i, pt)
        {
                by_work |= jstr(pt, "basis") && (strcmp(jstr(pt, "basis"), "work") == 0 ||
                                                 strcmp(jstr(pt, "basis"), "requests") == 0);
                for (size_t k = 0; k < POINT_FIGS; k++) {
                        json_t *st = json_object_get(pt, POINT_FIG[k]), *ci = json_object_get(st, "ci95");
                        double d = jreal(st, "delta");
                        double vals[3] = { d, json_number_value(json_array_get(ci, 0)), json_number_value(json_array_get(ci, 1)) };
                        for (int q = 0; q < 3; q++)
                                if (isfinite(vals[q]) && (q == 0 || json_is_number(json_array_get(ci, q - 1)))) {
                                        ylo = fmin(ylo, vals[q]);
                                        yhi = fmax(yhi, vals[q]);
                                }
                }
        }
        char id[64];
        snprintf(id, sizeof(id), "%schart-points", idp);
        svg_chart_begin(&c, f, id, "Delta with the JIT on (on - off), medians, 95% intervals", 0, 105,
                        SVG_COUNT, by_work ? "work done (% of the work)" : "time (% of the run)", ylo, yhi, SVG_BYTES,
                        "delta");
        svg_segment(&c, "zero", "zero", "#999999", 0, 0, 0, 100, 0);
        for (size_t k = 0; k < POINT_FIGS; k++) {
                char series[64], title[200];
                int any = 0;
                json_array_foreach(pts, i, pt)
                {
                        json_t *st = json_object_get(pt, POINT_FIG[k]), *ci = json_object_get(st, "ci95");
                        double d = jreal(st, "delta"), pc = jreal(pt, "percent");
                        double lo = json_is_number(json_array_get(ci, 0)) ? json_number_value(json_array_get(ci, 0)) : NAN;
                        double hi = json_is_number(json_array_get(ci, 1)) ? json_number_value(json_array_get(ci, 1)) : NAN;
                        char a[64];
                        if (!isfinite(d) || !isfinite(pc))
                                continue;
                        format_unit(d, "bytes", 1, a, sizeof(a));
                        snprintf(title, sizeof(title), "%s at %.0f%%: %s%s", POINT_TITLE[k], pc, a,
                                 isfinite(lo) ? "" : " (no 95% interval: too few runs)");
                        snprintf(series, sizeof(series), "delta-%s", POINT_FIG[k]);
                        svg_errorbar(&c, series, series, PALETTE[k], pc + 1.5 * ((double)k - 2), d, lo, hi, title);
                        any = 1;
                }
                if (any && c.legend_n < SVG_LEGEND_MAX) {
                        snprintf(c.legend[c.legend_n].group, sizeof(c.legend[0].group), "delta-%s", POINT_FIG[k]);
                        snprintf(c.legend[c.legend_n].label, sizeof(c.legend[0].label), "%s", POINT_TITLE[k]);
                        c.legend[c.legend_n].color = PALETTE[k];
                        c.legend[c.legend_n++].dashed = 0;
                }
        }
        svg_chart_end(&c);
        fputs("<table>\n<tr><th>point</th><th>work done</th><th>figure</th><th>JIT off</th><th>JIT on</th><th>delta</th>"
              "<th>95% interval</th><th>p</th></tr>\n",
              f);
        json_array_foreach(pts, i, pt)
        {
                for (size_t k = 0; k < POINT_FIGS; k++) {
                        json_t *st = json_object_get(pt, POINT_FIG[k]);
                        if (!st)
                                continue;
                        fprintf(f, "<tr><td class=\"n\">%.0f%%</td>", jreal(pt, "percent"));
                        if (isfinite(jreal(pt, "units")) && jreal(pt, "units") >= 0)
                                fprintf(f, "<td class=\"n\">%.0f</td>", jreal(pt, "units"));
                        else
                                fputs("<td class=\"absent\">not measured</td>", f);
                        fprintf(f, "<td>%s</td>", POINT_TITLE[k]);
                        cells_stat(f, st);
                        fputs("</tr>\n", f);
                }
        }
        fputs("</table>\n", f);
}

static void section_metrics(FILE *f, json_t *cmp, const char *const *names, size_t n, const char *title)
{
        json_t *metrics = json_object_get(cmp, "metrics"), *st;
        const char *key;

        fprintf(f, "<h2>%s</h2>\n<table>\n<tr><th>figure</th><th>JIT off (median)</th><th>JIT on (median)</th>"
                   "<th>delta</th><th>95%% interval</th><th>p</th></tr>\n",
                title);
        json_object_foreach(metrics, key, st)
        {
                int want = names == NULL;
                for (size_t k = 0; k < n && !want; k++)
                        want = strcmp(names[k], key) == 0;
                if (!want)
                        continue;
                fputs("<tr><td>", f);
                put(f, key);
                fputs("</td>", f);
                cells_stat(f, st);
                fputs("</tr>\n", f);
        }
        fputs("</table>\n", f);
}

static int cmp_run_peak(const void *a, const void *b)
{
        const struct run *x = *(const struct run *const *)a, *y = *(const struct run *const *)b;
        double p = x->has_a ? x->a.peak_rss : -1, q = y->has_a ? y->a.peak_rss : -1;
        return (p > q) - (p < q);
}

/* A run's directory name as comparison.json's "dir" ends, when it is one compare writes
 * ("01-off"): a plain name, nothing that leaves runs/. */
static int plain_name(const char *s)
{
        if (!*s || strlen(s) > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
                return 0;
        for (; *s; s++)
                if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' ||
                      *s == '_' || *s == '.'))
                        return 0;
        return 1;
}

static void section_history(FILE *f, json_t *cmp, const char *dir);

/* A comparison of one interpreter (cmp: its jitmem.compare/1 document; charts' ids begin with
 * idp), its runs read from DIR/runs. */
static int comparison_body(FILE *f, const char *dir, json_t *cmp, const char *idp, char *err, size_t err_size)
{
        json_t *runs_j, *rj;
        struct run *runs = NULL;
        const struct run **by_mode[2] = { NULL, NULL }, *median[2] = { NULL, NULL };
        size_t n = 0, n_mode[2] = { 0, 0 }, i;
        int by_work = 1, traced = 0, rc = 0;
        static const char *const speed[] = { "throughput_units_per_s", "latency_p50_us", "latency_p99_us", "wall_s",
                                             "cpu_s", "cpu_s_per_unit" };

        runs_j = json_object_get(cmp, "runs");
        runs = calloc(RUNS_MAX, sizeof(*runs));
        by_mode[0] = calloc(RUNS_MAX, sizeof(*by_mode[0]));
        by_mode[1] = calloc(RUNS_MAX, sizeof(*by_mode[1]));
        if (!runs || !by_mode[0] || !by_mode[1]) {
                rc = -ENOMEM;
                util_say(err, err_size, "out of memory");
                goto out;
        }
        json_array_foreach(runs_j, i, rj)
        {
                const char *d = jstr(rj, "dir"), *mode = jstr(rj, "mode"), *base;
                char path[PATH_SIZE], e[256];
                int m = mode && strcmp(mode, "on") == 0 ? 1 : mode && strcmp(mode, "off") == 0 ? 0 : -1;

                if (n >= RUNS_MAX || !d || m < 0)
                        continue;
                base = strrchr(d, '/') ? strrchr(d, '/') + 1 : d;
                if (!plain_name(base))
                        continue;
                snprintf(path, sizeof(path), "%s/runs/%s", dir, base);
                if (run_load(path, base, m, &runs[n], e, sizeof(e)) < 0)
                        continue;
                by_work &= runs[n].has_a && runs[n].a.by_progress;
                traced |= runs[n].traced;
                by_mode[m][n_mode[m]++] = &runs[n];
                n++;
        }
        if (n == 0)
                by_work = 0;
        for (int m = 0; m < 2; m++) {
                qsort(by_mode[m], n_mode[m], sizeof(*by_mode[m]), cmp_run_peak);
                if (n_mode[m] > 0)
                        median[m] = by_mode[m][(n_mode[m] - 1) / 2];
        }
        fputs("<p>", f);
        if (json_is_array(json_object_get(cmp, "command"))) {
                fputs("Command: ", f);
                put_command(f, json_object_get(cmp, "command"));
                fputs(". ", f);
        }
        fprintf(f, "%zu runs read (%zu with the JIT off, %zu on).</p>\n", n, n_mode[0], n_mode[1]);
        section_verdict(f, cmp);
        fprintf(f, "<h2>Memory over %s</h2>\n<p>For each mode, the run of median peak RSS as a line, and the lowest "
                   "to highest of all its runs as a band.</p>\n",
                by_work ? "work done" : "time");
        for (int fig = 0; fig < FIG_MAX; fig++) {
                if (!figure_measured(runs, n, (enum figure)fig)) {
                        fprintf(f, "<p class=\"absent\">%s: not measured.</p>\n", FIG_TITLE[fig]);
                        continue;
                }
                chart_figure(f, runs, n, median, by_mode, n_mode, (enum figure)fig,
                             by_work, idp);
        }
        section_points(f, cmp, idp);
        fputs("<h2>Workers and restarts (the median run of each mode)</h2>\n", f);
        for (int m = 0; m < 2; m++) {
                char id[32], title[128];
                if (!median[m])
                        continue;
                snprintf(id, sizeof(id), "%schart-processes-%s", idp, MODE_NAME[m]);
                snprintf(title, sizeof(title), "RSS of each process, JIT %s (run %s)", MODE_NAME[m], median[m]->name);
                chart_processes(f, median[m], id, title);
        }
        if (traced) {
                const struct run *tr[2];
                size_t nt = 0;
                for (int m = 0; m < 2; m++)
                        if (median[m] && median[m]->traced)
                                tr[nt++] = median[m];
                char id[64];
                snprintf(id, sizeof(id), "%schart-executors", idp);
                fputs("<h2>Executors (the median run of each mode)</h2>\n", f);
                chart_executors(f, tr, nt, id);
        }
        section_metrics(f, cmp, speed, sizeof(speed) / sizeof(speed[0]), "Throughput and latency");
        /* the interpreter as compare probed it (comparison.json's "python"), else as the run did */
        section_environment(f, n > 0 ? runs[0].meta : NULL,
                            json_is_object(json_object_get(cmp, "python")) ? json_object_get(cmp, "python") : NULL);
        section_metrics(f, cmp, NULL, 0, "Every figure compared");
out:
        for (size_t k = 0; k < n; k++)
                run_free(&runs[k]);
        free(runs);
        free(by_mode[0]);
        free(by_mode[1]);
        return rc;
}

/* The figures of a matrix's table (comparison.json has every one). */
static const char *const MATRIX_FIG[][2] = {
        { "peak_pss_bytes", "peak PSS" }, { "peak_anon_bytes", "peak anonymous" }, { "steady_pss_bytes", "steady PSS" },
        { "peak_jit_code_bytes", "JIT code" }, { "peak_jit_debug_bytes", "JIT debug images" },
        { "cpu_s_per_unit", "CPU per unit" }, { "wall_s", "wall" }, { "throughput_units_per_s", "throughput" },
        { "latency_p50_us", "latency p50" }, { "latency_p99_us", "latency p99" },
};
#define MATRIX_FIGS (sizeof(MATRIX_FIG) / sizeof(MATRIX_FIG[0]))

/* The unit of a figure, from an interpreter's comparison. */
static const char *matrix_unit(json_t *interps, const char *name)
{
        return jstr(json_object_get(json_object_get(json_object_get(json_array_get(interps, 0), "comparison"), "metrics"),
                                    name), "unit");
}

/* Whether some cell of the matrix measured figure name. */
static int matrix_column_measured(json_t *cells, const char *name)
{
        json_t *cell;
        size_t i;

        json_array_foreach(cells, i, cell)
                if (json_is_number(json_object_get(json_object_get(cell, "figures"), name)))
                        return 1;
        return 0;
}

/* The medians of every cell, the JIT's verdict per interpreter, each interpreter against the
 * first; then each interpreter's comparison of its own runs. */
static int page_matrix(FILE *f, const char *dir, json_t *cmp, char *err, size_t err_size)
{
        json_t *interps = json_object_get(cmp, "interpreters"), *cells = json_object_get(cmp, "matrix"), *cell, *in, *b;
        size_t i, k;
        int rc = 0;

        page_begin(f, "jitmem report: interpreters compared");
        fprintf(f, "<h1>Comparison: %zu interpreters, the JIT off and on</h1>\n<p>", json_array_size(interps));
        if (json_is_array(json_object_get(cmp, "command"))) {
                fputs("Command ({python}: each interpreter): ", f);
                put_command(f, json_object_get(cmp, "command"));
                fputs(". ", f);
        }
        fprintf(f, "%lld runs completed%s.</p>\n", jcount(cmp, "runs_completed"),
                json_is_false(json_object_get(cmp, "complete")) ? ", not every run planned" : "");
        fputs("<h2>Every interpreter and mode (medians of their runs)</h2>\n<table>\n<tr><th>interpreter</th><th>JIT</th>"
              "<th>runs</th>", f);
        for (k = 0; k < MATRIX_FIGS; k++) /* the figures some cell measured */
                if (matrix_column_measured(cells, MATRIX_FIG[k][0]))
                        fprintf(f, "<th>%s</th>", MATRIX_FIG[k][1]);
        fputs("</tr>\n", f);
        json_array_foreach(cells, i, cell)
        {
                json_t *fig = json_object_get(cell, "figures");
                fputs("<tr><td>", f);
                put(f, interp_label(interps, jcount(cell, "interpreter")));
                fputs("</td><td>", f);
                put(f, jstr(cell, "mode"));
                fprintf(f, "</td><td class=\"n\">%lld</td>", jcount(cell, "runs"));
                for (k = 0; k < MATRIX_FIGS; k++)
                        if (matrix_column_measured(cells, MATRIX_FIG[k][0]))
                                cell_unit(f, jreal(fig, MATRIX_FIG[k][0]), matrix_unit(interps, MATRIX_FIG[k][0]), 0);
                fputs("</tr>\n", f);
        }
        fputs("</table>\n<h2>The JIT, per interpreter</h2>\n<ul>\n", f);
        json_array_foreach(interps, i, in)
        {
                fputs("<li><b>", f);
                put(f, jstr(in, "label"));
                fputs("</b>: ", f);
                if (json_is_true(json_object_get(in, "jit")))
                        put(f, jstr(json_object_get(json_object_get(in, "comparison"), "verdict"), "sentence"));
                else
                        fputs("no JIT machine code: run with the JIT off only, no verdict", f);
                fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
        json_array_foreach(json_object_get(cmp, "between"), i, b)
        {
                json_t *metrics = json_object_get(b, "metrics");
                const char *base = interp_label(interps, jcount(b, "base"));
                const char *other = interp_label(interps, jcount(b, "other"));
                fputs("<h2>", f);
                put(f, other);
                fputs(" against ", f);
                put(f, base);
                fputs(", both with the JIT ", f);
                put(f, jstr(b, "mode"));
                fputs("</h2>\n<table>\n<tr><th>figure</th><th>", f);
                put(f, base);
                fputs(" (median)</th><th>", f);
                put(f, other);
                fputs(" (median)</th><th>delta</th><th>95% interval</th><th>p</th></tr>\n", f);
                for (k = 0; k < MATRIX_FIGS; k++) {
                        json_t *st = json_object_get(metrics, MATRIX_FIG[k][0]);
                        if (!json_is_number(json_object_get(st, "base")) && !json_is_number(json_object_get(st, "other")))
                                continue;
                        fprintf(f, "<tr><td>%s</td>", MATRIX_FIG[k][1]);
                        cells_stat_of(f, st, "base", "other");
                        fputs("</tr>\n", f);
                }
                fputs("</table>\n", f);
        }
        json_array_foreach(interps, i, in)
        {
                char idp[32];
                snprintf(idp, sizeof(idp), "py%zu-", i + 1);
                fputs("<h1>", f);
                put(f, jstr(in, "label"));
                fputs(": the JIT off and on</h1>\n", f);
                rc = comparison_body(f, dir, json_object_get(in, "comparison"), idp, err, err_size);
                if (rc < 0)
                        break;
        }
        section_history(f, json_object_get(json_array_get(interps, 0), "comparison"), dir);
        page_end(f);
        return rc;
}

static int page_comparison(FILE *f, const char *dir, char *err, size_t err_size)
{
        json_t *cmp = read_json(dir, "comparison.json");
        const char *schema;
        int rc;

        if (!cmp) {
                util_say(err, err_size, "cannot read %s/comparison.json: not a comparison jitmem wrote", dir);
                return -EINVAL;
        }
        schema = jstr(cmp, "schema");
        if (schema && strcmp(schema, COMPARE_MATRIX_SCHEMA) == 0) {
                rc = page_matrix(f, dir, cmp, err, err_size);
        } else {
                page_begin(f, "jitmem report: comparison");
                fputs("<h1>Comparison: the JIT off and on</h1>\n", f);
                rc = comparison_body(f, dir, cmp, "", err, err_size);
                section_history(f, cmp, dir);
                page_end(f);
        }
        json_decref(cmp);
        return rc;
}

/* The history database report_write_db was given (NULL: the default path). */
static const char *report_history_db;

static void cell_signed_bytes(FILE *f, double v)
{
        char b[64];

        if (!isfinite(v)) {
                fputs("<td class=\"absent\">not measured</td>", f);
                return;
        }
        svg_format(fabs(v), SVG_BYTES, b, sizeof(b));
        fprintf(f, "<td class=\"n\">%s%s</td>", v < 0 ? "-" : "+", b);
}

/* The history's peak PSS, JIT off and on, by result (oldest first): each median with the
 * interval of its runs (docs/history.md), for two results or more. */
static void chart_history(FILE *f, json_t *rows)
{
        size_t n = json_array_size(rows), i;
        double *x = calloc(n ? n : 1, sizeof(double)), *y[2] = { calloc(n ? n : 1, sizeof(double)), calloc(n ? n : 1, sizeof(double)) };
        double ymax = 0;
        struct svg_chart c;
        json_t *row;

        if (n < 2 || !x || !y[0] || !y[1])
                goto out;
        json_array_foreach(rows, i, row)
        {
                json_t *fig = json_object_get(json_object_get(row, "figures"), "peak_pss_bytes");
                x[i] = (double)(i + 1);
                for (int m = 0; m < 2; m++) {
                        json_t *iv = json_object_get(fig, m ? "on_interval" : "off_interval");
                        y[m][i] = jreal(fig, MODE_NAME[m]);
                        if (isfinite(y[m][i]) && y[m][i] > ymax)
                                ymax = y[m][i];
                        if (isfinite(jreal(iv, "high")) && jreal(iv, "high") > ymax)
                                ymax = jreal(iv, "high");
                }
        }
        if (!(ymax > 0))
                goto out;
        svg_chart_begin(&c, f, "chart-history", "Peak PSS of the workload's earlier comparisons", 0, (double)n + 1,
                        SVG_COUNT, "result (oldest first)", 0, ymax, SVG_BYTES, "peak PSS (median)");
        for (int m = 0; m < 2; m++) {
                char series[32], label[32];
                snprintf(series, sizeof(series), "history-%s", MODE_NAME[m]);
                snprintf(label, sizeof(label), "JIT %s", MODE_NAME[m]);
                svg_line(&c, series, MODE_NAME[m], label, MODE_COLOR[m], 0, x, y[m], n);
                json_array_foreach(rows, i, row)
                {
                        json_t *fig = json_object_get(json_object_get(row, "figures"), "peak_pss_bytes");
                        json_t *iv = json_object_get(fig, m ? "on_interval" : "off_interval");
                        const char *ver = jstr(json_object_get(row, "python"), "version");
                        char title[160], b[64];
                        if (!isfinite(y[m][i]))
                                continue;
                        svg_format(y[m][i], SVG_BYTES, b, sizeof(b));
                        snprintf(title, sizeof(title), "result %zu, Python %s, JIT %s: %s (median of its runs)", i + 1,
                                 ver ? ver : "unknown", MODE_NAME[m], b);
                        svg_errorbar(&c, series, MODE_NAME[m], MODE_COLOR[m], x[i], y[m][i], jreal(iv, "low"),
                                     jreal(iv, "high"), title);
                }
        }
        svg_chart_end(&c);
out:
        free(x);
        free(y[0]);
        free(y[1]);
}

/* The other comparisons of the same workload in the history, read only: none, or no
 * database, is no section. */
static void section_history(FILE *f, json_t *cmp, const char *dir)
{
        struct history_filter flt = { 0 };
        struct history *h = NULL;
        char path[PATH_SIZE], subject[1024], err[512];
        json_t *rows = NULL, *row;
        size_t i;

        if (report_history_db)
                snprintf(path, sizeof(path), "%s", report_history_db);
        else if (history_default_path(path, sizeof(path), err, sizeof(err)) < 0)
                return;
        history_subject_of(cmp, NULL, subject, sizeof(subject));
        if (!subject[0] || history_open(path, HISTORY_READONLY, &h, err, sizeof(err)) < 0)
                return;
        flt.subject = subject;
        flt.kind = "compare";
        flt.dir = dir;
        flt.limit = 50;
        if (history_query(h, &flt, &rows, err, sizeof(err)) == 0 && json_array_size(rows) > 0) {
                fputs("<h2>History of this workload</h2>\n<p>The other comparisons of ", f);
                put(f, subject);
                fprintf(f, " in the history (%zu, oldest first; <code>jitmem history --workload</code> shows them "
                           "too).</p>\n<table>\n<tr><th>date (UTC)</th><th>Python</th><th>machine</th><th class=\"n\">peak PSS, "
                           "JIT off</th><th class=\"n\">peak PSS, JIT on</th><th class=\"n\">JIT delta</th>"
                           "<th>95%% interval</th><th>verdict</th></tr>\n",
                        json_array_size(rows));
                json_array_foreach(rows, i, row)
                {
                        json_t *fig = json_object_get(json_object_get(row, "figures"), "peak_pss_bytes");
                        json_t *ci = json_object_get(fig, "ci95");
                        const char *ver = jstr(json_object_get(row, "python"), "version");
                        char date[17];
                        /* "2026-12-04T20:57:34.815Z" as "2026-12-04 20:57" (the heading says UTC) */
                        snprintf(date, sizeof(date), "%s", jstr(row, "created") ? jstr(row, "created") : "");
                        if (strlen(date) > 10)
                                date[10] = ' ';
                        fputs("<tr><td>", f);
                        put(f, date);
                        fputs("</td><td>", f);
                        put(f, ver ? ver : (jstr(row, "label") ? jstr(row, "label") : "unknown"));
                        fputs("</td><td>", f);
                        put(f, jstr(json_object_get(row, "machine"), "hostname") ? jstr(json_object_get(row, "machine"), "hostname") : "");
                        fputs("</td>", f);
                        cell_value(f, jreal(fig, "off"), SVG_BYTES);
                        cell_value(f, jreal(fig, "on"), SVG_BYTES);
                        cell_signed_bytes(f, jreal(fig, "delta"));
                        if (json_is_number(json_array_get(ci, 0)) && json_is_number(json_array_get(ci, 1))) {
                                char a[64], z[64];
                                double lo = json_number_value(json_array_get(ci, 0)), hi = json_number_value(json_array_get(ci, 1));
                                svg_format(fabs(lo), SVG_BYTES, a, sizeof(a));
                                svg_format(fabs(hi), SVG_BYTES, z, sizeof(z));
                                fprintf(f, "<td>%s%s to %s%s</td>", lo < 0 ? "-" : "+", a, hi < 0 ? "-" : "+", z);
                        } else {
                                fputs("<td class=\"absent\">none (too few runs)</td>", f);
                        }
                        fputs("<td>", f);
                        put(f, jstr(row, "verdict") ? jstr(row, "verdict") : "");
                        fputs("</td></tr>\n", f);
                }
                fputs("</table>\n", f);
                chart_history(f, rows);
        }
        json_decref(rows);
        history_close(h);
}

/* ---- a fit ---- */

/* A trial of fit.json's trial_list, or NULL. */
static json_t *fit_trials(json_t *fit, int on)
{
        return json_object_get(json_object_get(json_object_get(fit, "modes"), MODE_NAME[on]), "trial_list");
}

static void fit_cell_bytes(FILE *f, json_t *v)
{
        cell_value(f, json_is_number(v) ? json_number_value(v) : -1, SVG_BYTES);
}

/* The result of each mode, side by side. */
static void section_fit_result(FILE *f, json_t *fit)
{
        static const char *const rows[][2] = {
                { "limit_bytes", "smallest limit that passed" },
                { "highest_failed_bytes", "highest limit that failed" },
                { "precision_bytes", "precision" },
                { "per_worker_limit_bytes", "the limit / workers (arithmetic)" },
                { "reference_cgroup_peak_bytes", "cgroup's peak with no limit" },
                { "reference_peak_pss_bytes", "tree's peak PSS with no limit" },
        };
        json_t *modes = json_object_get(fit, "modes"), *d = json_object_get(fit, "difference");
        char b[64];

        fputs("<h2>Smallest limit</h2>\n<table>\n<tr><th></th>", f);
        for (int on = 0; on < 2; on++)
                if (json_object_get(modes, MODE_NAME[on]))
                        fprintf(f, "<th class=\"n\">JIT %s</th>", MODE_NAME[on]);
        fputs("</tr>\n", f);
        for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
                int any = 0;
                for (int on = 0; on < 2; on++)
                        any |= json_is_number(json_object_get(json_object_get(modes, MODE_NAME[on]), rows[k][0]));
                if (!any && strcmp(rows[k][0], "per_worker_limit_bytes") == 0)
                        continue;  /* no workers */
                fprintf(f, "<tr><td>%s</td>", rows[k][1]);
                for (int on = 0; on < 2; on++) {
                        json_t *m = json_object_get(modes, MODE_NAME[on]);
                        if (m)
                                fit_cell_bytes(f, json_object_get(m, rows[k][0]));
                }
                fputs("</tr>\n", f);
        }
        fputs("<tr><td>trials</td>", f);
        for (int on = 0; on < 2; on++) {
                json_t *m = json_object_get(modes, MODE_NAME[on]);
                if (m)
                        fprintf(f, "<td class=\"n\">%zu</td>", json_array_size(json_object_get(m, "trial_list")));
        }
        fputs("</tr>\n<tr><td>the search</td>", f);
        for (int on = 0; on < 2; on++) {
                json_t *m = json_object_get(modes, MODE_NAME[on]);
                if (!m)
                        continue;
                fputs("<td>", f);
                put(f, jstr(m, "end"));
                if (jstr(m, "why") && jstr(m, "why")[0]) {
                        fputs(": ", f);
                        put(f, jstr(m, "why"));
                }
                fputs("</td>", f);
        }
        fputs("</tr>\n</table>\n<p>", f);
        if (json_is_object(d) && json_is_number(json_object_get(d, "bytes"))) {
                double v = json_number_value(json_object_get(d, "bytes"));
                svg_format(fabs(v), SVG_BYTES, b, sizeof(b));
                fprintf(f, "<b>JIT on needs %s%s", v < 0 ? "-" : "+", b);
                if (json_is_number(json_object_get(d, "percent")))
                        fprintf(f, " (%+.1f%%)", json_number_value(json_object_get(d, "percent")));
                fputs("</b> of limit compared with the JIT off.", f);
                if (json_is_number(json_object_get(d, "low_bytes")) && json_is_number(json_object_get(d, "high_bytes"))) {
                        double lo = json_number_value(json_object_get(d, "low_bytes")),
                               hi = json_number_value(json_object_get(d, "high_bytes"));
                        char a[64], z[64];
                        svg_format(fabs(lo), SVG_BYTES, a, sizeof(a));
                        svg_format(fabs(hi), SVG_BYTES, z, sizeof(z));
                        fprintf(f, " Each mode's smallest limit lies above its highest failure and at most at its "
                                   "smallest pass, so the difference lies between %s%s and %s%s%s.",
                                lo < 0 ? "-" : "+", a, hi < 0 ? "-" : "+", z,
                                lo < 0 && hi > 0 ? ": no difference is established at this precision" : "");
                }
        } else if (!json_object_get(modes, "off") || !json_object_get(modes, "on")) {
                fputs("One mode only was tried: no difference is given.", f);
        } else {
                fputs("No difference is given: a limit was not found in both modes.", f);
        }
        if (json_is_false(json_object_get(fit, "complete")))
                fputs(" The fit was interrupted: these are its finished trials (jitmem fit --resume goes on).", f);
        fputs("</p>\n", f);
}

/* Each trial's limit, by trial number within its mode: passed (dots) and failed (triangles), the
 * unlimited trial at its cgroup's peak, and each mode's limit found as a dashed line. */
static void chart_fit_trials(FILE *f, json_t *fit)
{
        struct svg_chart c;
        double xmax = 1, ymax = 0;
        size_t i;
        json_t *t;

        for (int on = 0; on < 2; on++)
                json_array_foreach(fit_trials(fit, on), i, t)
                {
                        double l = jreal(t, "limit_bytes"), pk = jreal(t, "cgroup_peak_bytes");
                        if ((double)(i + 1) > xmax)
                                xmax = (double)(i + 1);
                        if (isfinite(l) && l > ymax)
                                ymax = l;
                        if (isfinite(pk) && pk > ymax)
                                ymax = pk;
                }
        if (ymax <= 0)
                return;
        svg_chart_begin(&c, f, "chart-trials", "The limit of each trial (no limit: the cgroup's peak)", 0,
                        xmax + 1, SVG_COUNT, "trial of the mode", 0, ymax, SVG_BYTES, "limit");
        for (int on = 0; on < 2; on++) {
                json_t *m = json_object_get(json_object_get(fit, "modes"), MODE_NAME[on]);
                char series[32], label[96], title[256], lim[64];
                json_array_foreach(fit_trials(fit, on), i, t)
                {
                        double l = jreal(t, "limit_bytes"), y = isfinite(l) ? l : jreal(t, "cgroup_peak_bytes");
                        const char *outcome = jstr(t, "outcome"), *reason = jstr(t, "reason");
                        int pass = outcome && strcmp(outcome, "pass") == 0;
                        if (!isfinite(y))
                                continue;
                        svg_format(y, SVG_BYTES, lim, sizeof(lim));
                        snprintf(title, sizeof(title), "trial %zu (JIT %s) %s %s: %s%s%s", i + 1, MODE_NAME[on],
                                 isfinite(l) ? "at" : "with no limit, peak", lim, pass ? "pass" : "fail",
                                 reason && reason[0] ? ", " : "", reason ? reason : "");
                        snprintf(series, sizeof(series), "trials-%s-%s", MODE_NAME[on], pass ? "pass" : "fail");
                        if (pass)
                                svg_errorbar(&c, series, MODE_NAME[on], MODE_COLOR[on], (double)(i + 1), y, NAN, NAN,
                                             title);
                        else
                                svg_marker(&c, series, MODE_NAME[on], MODE_COLOR[on], (double)(i + 1), y, title);
                }
                if (m && json_is_number(json_object_get(m, "limit_bytes"))) {
                        double l = json_number_value(json_object_get(m, "limit_bytes"));
                        snprintf(series, sizeof(series), "limit-%s", MODE_NAME[on]);
                        svg_segment(&c, series, MODE_NAME[on], MODE_COLOR[on], 1, 0, l, xmax + 1, l);
                }
                if (m && c.legend_n < SVG_LEGEND_MAX) {
                        snprintf(label, sizeof(label), "JIT %s: dot passed, triangle failed, dashed the limit found",
                                 MODE_NAME[on]);
                        snprintf(c.legend[c.legend_n].group, sizeof(c.legend[0].group), "%s", MODE_NAME[on]);
                        snprintf(c.legend[c.legend_n].label, sizeof(c.legend[0].label), "%s", label);
                        c.legend[c.legend_n].color = MODE_COLOR[on];
                        c.legend[c.legend_n].dashed = 0;
                        c.legend_n++;
                }
        }
        svg_chart_end(&c);
}

/* The memory of each mode's trial at the limit found, with the limit. */
static void chart_fit_at_limit(FILE *f, const char *dir, json_t *fit)
{
        struct run r[2];
        int have[2] = { 0, 0 };
        double lim[2] = { -1, -1 }, xmax = 0, ymax = 0;
        struct svg_chart c;
        char path[PATH_SIZE], err[256];

        for (int on = 0; on < 2; on++) {
                json_t *m = json_object_get(json_object_get(fit, "modes"), MODE_NAME[on]), *t;
                size_t i;
                if (!m || !json_is_number(json_object_get(m, "limit_bytes")))
                        continue;
                lim[on] = json_number_value(json_object_get(m, "limit_bytes"));
                json_array_foreach(json_object_get(m, "trial_list"), i, t)
                {
                        const char *d = jstr(t, "dir"), *o = jstr(t, "outcome");
                        if (have[on] || !d || !plain_name(d) || !o || strcmp(o, "pass") != 0 ||
                            jreal(t, "limit_bytes") != lim[on])
                                continue;
                        if (snprintf(path, sizeof(path), "%s/trials/%s", dir, d) >= (int)sizeof(path))
                                continue;
                        have[on] = run_load(path, d, on, &r[on], err, sizeof(err)) == 0;
                }
                if (have[on]) {
                        range_of(&r[on], 1, FIG_RSS, 0, &xmax, &ymax);
                        range_of(&r[on], 1, FIG_PSS, 0, &xmax, &ymax);
                        if (lim[on] > ymax)
                                ymax = lim[on];
                }
        }
        if (!have[0] && !have[1])
                return;
        fputs("<h2>Memory at the limit found</h2>\n<p>The trial that passed at each mode's limit: the tree's RSS "
              "and PSS (sums over its processes) against the limit (dashed). The limit is charged with the "
              "cgroup's own pages, which neither sum is exactly.</p>\n", f);
        svg_chart_begin(&c, f, "chart-at-limit", "Memory of the trial at the limit found", 0, xmax, SVG_SECONDS, "time",
                        0, ymax, SVG_BYTES, "bytes");
        for (int on = 0; on < 2; on++) {
                static const enum figure figs[] = { FIG_RSS, FIG_PSS };
                char series[48], label[96], attrs[160];
                if (!have[on])
                        continue;
                for (size_t k = 0; k < 2; k++) {
                        double *x, *y;
                        if (!figure_measured(&r[on], 1, figs[k]) || run_xy(&r[on], figs[k], 0, &x, &y) < 0)
                                continue;
                        snprintf(series, sizeof(series), "%s-%s-at-limit", FIG_ID[figs[k]], MODE_NAME[on]);
                        snprintf(label, sizeof(label), "%s, JIT %s", figs[k] == FIG_RSS ? "RSS" : "PSS", MODE_NAME[on]);
                        snprintf(attrs, sizeof(attrs), "data-run=\"trials/%s\" data-xcol=\"t_s\" data-ycol=\"%s\"",
                                 r[on].name, FIG_COLUMN[figs[k]]);
                        c.line_attrs = attrs;
                        svg_line(&c, series, MODE_NAME[on], label, MODE_COLOR[on], figs[k] == FIG_PSS, x, y, r[on].s.n);
                        c.line_attrs = NULL;
                        free(x);
                        free(y);
                }
                snprintf(series, sizeof(series), "limit-%s-at-limit", MODE_NAME[on]);
                svg_segment(&c, series, MODE_NAME[on], MODE_COLOR[on], 1, 0, lim[on], xmax, lim[on]);
        }
        svg_chart_end(&c);
        for (int on = 0; on < 2; on++)
                if (have[on])
                        run_free(&r[on]);
}

static void table_fit_trials(FILE *f, json_t *fit)
{
        size_t i;
        json_t *t;

        fputs("<h2>Trials</h2>\n<table>\n<tr><th>trial</th><th>JIT</th><th class=\"n\">limit</th><th>outcome</th>"
              "<th class=\"n\">OOM kills</th><th class=\"n\">cgroup peak</th><th class=\"n\">peak PSS</th>"
              "<th class=\"n\">a worker's peak PSS</th><th class=\"n\">duration</th><th class=\"n\">requests/s</th>"
              "<th class=\"n\">p99 latency</th><th>run directory</th></tr>\n", f);
        for (int on = 0; on < 2; on++)
                json_array_foreach(fit_trials(fit, on), i, t)
                {
                        const char *reason = jstr(t, "reason"), *outcome = jstr(t, "outcome");
                        double l = jreal(t, "limit_bytes"), thr = jreal(t, "throughput_per_s"),
                               p99 = jreal(t, "latency_p99_us");
                        fprintf(f, "<tr><td class=\"n\">%zu</td><td>%s</td>", i + 1, MODE_NAME[on]);
                        if (isfinite(l))
                                cell_value(f, l, SVG_BYTES);
                        else
                                fputs("<td class=\"n\">none</td>", f);
                        fputs("<td>", f);
                        put(f, outcome);
                        if (reason && reason[0]) {
                                fputs(": ", f);
                                put(f, reason);
                        }
                        fputs("</td>", f);
                        cell_value(f, jreal(t, "oom_kills"), SVG_COUNT);
                        cell_value(f, jreal(t, "cgroup_peak_bytes"), SVG_BYTES);
                        cell_value(f, jreal(t, "peak_pss_bytes"), SVG_BYTES);
                        cell_value(f, jreal(t, "worker_peak_pss_bytes"), SVG_BYTES);
                        cell_value(f, jreal(t, "duration_s"), SVG_SECONDS);
                        if (isfinite(thr) && thr >= 0)
                                fprintf(f, "<td class=\"n\">%.1f</td>", thr);
                        else
                                fputs("<td class=\"absent\">not measured</td>", f);
                        if (isfinite(p99) && p99 >= 0)
                                fprintf(f, "<td class=\"n\">%.0f us</td>", p99);
                        else
                                fputs("<td class=\"absent\">not measured</td>", f);
                        fputs("<td><code>trials/", f);
                        put(f, jstr(t, "dir"));
                        fputs("</code></td></tr>\n", f);
                }
        fputs("</table>\n", f);
}

static int page_fit(FILE *f, const char *dir, char *err, size_t err_size)
{
        json_t *fit = read_json(dir, "fit.json"), *first = NULL, *meta = NULL;
        char path[PATH_SIZE];

        if (!json_is_object(fit)) {
                json_decref(fit);
                util_say(err, err_size, "cannot read %s/fit.json", dir);
                return -EINVAL;
        }
        page_begin(f, "jitmem report: memory limit fit");
        fputs("<h1>The smallest memory limit, JIT off and on</h1>\n<p>", f);
        if (json_is_array(json_object_get(fit, "command"))) {
                fputs("Command: ", f);
                put_command(f, json_object_get(fit, "command"));
                fputs(". ", f);
        }
        fputs("Each trial ran the command in a memory cgroup of its own with the limit shown and swap at 0; it "
              "passed when no process was OOM-killed, it ended as it did with no limit, and under a load every "
              "request was answered.</p>\n", f);
        section_fit_result(f, fit);
        fputs("<h2>The search</h2>\n", f);
        chart_fit_trials(f, fit);
        chart_fit_at_limit(f, dir, fit);
        table_fit_trials(f, fit);
        first = json_array_get(fit_trials(fit, 0), 0);
        if (!first)
                first = json_array_get(fit_trials(fit, 1), 0);
        if (jstr(first, "dir") && plain_name(jstr(first, "dir")) &&
            snprintf(path, sizeof(path), "%s/trials/%s", dir, jstr(first, "dir")) < (int)sizeof(path))
                meta = read_json(path, "meta.json");
        if (meta)
                section_environment(f, meta, json_is_object(json_object_get(fit, "python")) ?
                                                     json_object_get(fit, "python") : NULL);
        page_end(f);
        json_decref(meta);
        json_decref(fit);
        return 0;
}

/* ---- the kinds of directory ---- */

/* Each kind a report is written for: recognised by its files, the first that matches wins
 * (a comparison holds runs, not samples). Another kind is one more entry. */
static const struct report_kind {
        const char *what;
        const char *file;         /* the file that marks it */
        int (*page)(FILE *f, const char *dir, char *err, size_t err_size);
} KINDS[] = {
        { "fit", "fit.json", page_fit },
        { "comparison", "comparison.json", page_comparison },
        { "run", "samples.csv", page_run },
};

int report_write_db(const char *dir, const char *html_path, const char *history_db, char *err, size_t err_size)
{
        int r;

        report_history_db = history_db;
        r = report_write(dir, html_path, err, err_size);
        report_history_db = NULL;
        return r;
}

int report_write(const char *dir, const char *html_path, char *err, size_t err_size)
{
        const struct report_kind *kind = NULL;
        char tmp[PATH_SIZE];
        struct stat st;
        FILE *f;
        int fd, rc;

        if (stat(dir, &st) < 0) {
                rc = -errno;
                util_say(err, err_size, "cannot read %s: %s", dir, util_strerror(rc));
                return rc;
        }
        if (!S_ISDIR(st.st_mode)) {
                util_say(err, err_size, "%s is not a directory", dir);
                return -ENOTDIR;
        }
        for (size_t k = 0; k < sizeof(KINDS) / sizeof(KINDS[0]) && !kind; k++)
                if (file_exists(dir, KINDS[k].file))
                        kind = &KINDS[k];
        if (!kind) {
                util_say(err, err_size, "%s is not a run directory (samples.csv), a comparison directory "
                                       "(comparison.json) or a fit directory (fit.json)", dir);
                return -EINVAL;
        }
        if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", html_path) >= (int)sizeof(tmp)) {
                util_say(err, err_size, "%s: path too long", html_path);
                return -ENAMETOOLONG;
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                rc = -errno;
                util_say(err, err_size, "cannot write %s: %s", html_path, util_strerror(rc));
                return rc;
        }
        f = fdopen(fd, "w");
        if (!f) {
                rc = -errno;
                close(fd);
                unlink(tmp);
                util_say(err, err_size, "cannot write %s: %s", html_path, util_strerror(rc));
                return rc;
        }
        fchmod(fd, 0644);
        rc = kind->page(f, dir, err, err_size);
        if (fflush(f) != 0 || ferror(f) || fsync(fd) < 0) {
                if (rc == 0) {
                        rc = -(errno ? errno : EIO);
                        util_say(err, err_size, "cannot write %s: %s", html_path, util_strerror(rc));
                }
        }
        if (fclose(f) != 0 && rc == 0) {
                rc = -errno;
                util_say(err, err_size, "cannot write %s: %s", html_path, util_strerror(rc));
        }
        if (rc == 0 && rename(tmp, html_path) < 0) {
                rc = -errno;
                util_say(err, err_size, "cannot write %s: %s", html_path, util_strerror(rc));
        }
        if (rc < 0)
                unlink(tmp);
        return rc;
}
