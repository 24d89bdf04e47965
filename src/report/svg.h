/* Charts as inline SVG for the HTML report: axes with ticks at round values in the unit of
 * their figures (MiB, s), lines, bands, error bars, markers and a legend. Every number is
 * written in the C locale; every text is escaped for HTML and XML. The SVG carries no xmlns
 * (HTML5 does not need it) and no reference to anything outside the page.
 *
 * Each chart's <svg> element says how to turn its pixels back into data (data-x0, data-x1,
 * data-px0, data-px1 and the same for y: x = x0 + (px - px0) * (x1 - x0) / (px1 - px0)), and
 * each series' element is named by data-series, so that a reader of the page (the tests, the
 * page's own script) can recover the values plotted. */
#ifndef JITMEM_SVG_H
#define JITMEM_SVG_H

#include <stddef.h>
#include <stdio.h>

enum svg_unit {
        SVG_BYTES,      /* shown in B, KiB, MiB or GiB, whichever suits the range */
        SVG_SECONDS,    /* s, min or h */
        SVG_COUNT,      /* a plain number */
        SVG_UNIT_MAX
};

/* At most this many points of a series are drawn; a longer one is reduced to the smallest and
 * largest point of each of SVG_MAX_POINTS / 2 buckets, so its peaks survive. */
#define SVG_MAX_POINTS 1000

/* Ticks at round values: a step of 1, 2 or 5 times a power of ten of the unit shown (for bytes,
 * of KiB, MiB or GiB), from a multiple of the step at or below lo to one at or above hi. */
struct svg_ticks {
        double lo, hi, step;   /* in the figure's own unit (bytes, seconds) */
        int n;                 /* ticks from lo to hi, both included */
        double scale;          /* the unit shown: 1, 1024, 1048576, 60 ... */
        const char *unit;      /* its name: "B", "KiB", "MiB", "GiB", "s", "min", "h", "" */
};

/* Chooses at most max_ticks + 1 ticks (max_ticks >= 2) covering [lo, hi]. An empty or reversed
 * range is widened around lo. Returns 0, or -EINVAL when lo or hi is not finite. */
int svg_ticks(double lo, double hi, int max_ticks, enum svg_unit unit, struct svg_ticks *ret);

/* v in the unit t shows, with as many decimals as the step needs ("1.5", "250"), C locale. */
void svg_tick_label(const struct svg_ticks *t, double v, char *buf, size_t size);

/* v as a reader wants it in a table: bytes as "12.3 MiB", seconds as "1.52 s", a count as
 * "1234" or "12.5"; "not measured" when v is negative or not finite. */
void svg_format(double v, enum svg_unit unit, char *buf, size_t size);

/* s (any bytes: text from a process) made safe inside HTML or XML text and attribute values:
 * & < > " ' as character references, control characters as \xNN (util_escape_text's rule),
 * each byte that begins no valid UTF-8 sequence as U+FFFD (util_utf8_text's rule). Writes at
 * most size bytes, NUL-terminated, cut at a character. Returns strlen(out). 8 * n + 1 bytes
 * hold any result. */
size_t svg_escape(const char *s, size_t n, char *out, size_t size);

/* The same, written to f. */
void svg_put_text(FILE *f, const char *s);

/* Reduces the points (x[i], y[i]) with y[i] >= 0 and both finite (others are not measured
 * and not drawn) to at most max (>= 2): when more, the points are cut into max / 2 buckets of
 * consecutive points and each bucket keeps its smallest and largest y, in order. Writes the
 * indices kept to keep (room for max) and returns how many; *ret_measured (may be NULL) gets
 * the points measured. */
size_t svg_reduce(const double *x, const double *y, size_t n, size_t max, size_t *keep, size_t *ret_measured);

#define SVG_LEGEND_MAX 24

/* One chart being written to f: svg_chart_begin, the series, svg_chart_end. */
struct svg_chart {
        FILE *f;
        int width, height;
        double px0, px1, py0, py1;  /* the plot area: left and right, bottom and top, in pixels */
        struct svg_ticks xt, yt;
        enum svg_unit xunit, yunit;
        size_t reduced_n, reduced_shown; /* the most reduced series: its points, and those shown */
        const char *line_attrs;     /* attributes written as they are into the next lines' elements
                                     * (the caller's own, never text from outside); NULL: none */
        int legend_n;
        struct { char group[32]; char label[96]; const char *color; int dashed; } legend[SVG_LEGEND_MAX];
};

/* Starts a chart of the data range [xlo, xhi] x [ylo, yhi] (widened to round ticks): the <svg>
 * element, its title, grid, ticks and axis labels. id names it (a plain word). */
void svg_chart_begin(struct svg_chart *c, FILE *f, const char *id, const char *title, double xlo, double xhi,
                     enum svg_unit xunit, const char *xlabel, double ylo, double yhi, enum svg_unit yunit,
                     const char *ylabel);

/* Pixel coordinates of a data point. */
double svg_px(const struct svg_chart *c, double x);
double svg_py(const struct svg_chart *c, double y);

/* A line through the measured points (svg_reduce's rule), named series, in group (what the
 * legend's toggle hides and shows), with a legend entry label (NULL: none). */
void svg_line(struct svg_chart *c, const char *series, const char *group, const char *label, const char *color,
              int dashed, const double *x, const double *y, size_t n);

/* A band from lo[i] to hi[i] at x[i] (points where either is negative are left out); reduced,
 * when longer than SVG_MAX_POINTS, to each bucket's lowest lo and highest hi. */
void svg_band(struct svg_chart *c, const char *series, const char *group, const char *color, const double *x,
              const double *lo, const double *hi, size_t n);

/* A point at (x, y) with an error bar from lo to hi (lo or hi not finite: no bar), titled. */
void svg_errorbar(struct svg_chart *c, const char *series, const char *group, const char *color, double x, double y,
                  double lo, double hi, const char *title);

/* A marker (a small triangle) at (x, y), titled. */
void svg_marker(struct svg_chart *c, const char *series, const char *group, const char *color, double x, double y,
                const char *title);

/* A straight segment from (x0, y0) to (x1, y1), dashed or not. */
void svg_segment(struct svg_chart *c, const char *series, const char *group, const char *color, int dashed, double x0,
                 double y0, double x1, double y1);

/* Ends the chart: the legend, and the note "1 point in N shown; peaks kept" when a series was
 * reduced. */
void svg_chart_end(struct svg_chart *c);

#endif
