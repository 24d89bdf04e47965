/* Charts as inline SVG (svg.h). */
#include "svg.h"

#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHART_WIDTH 900
#define CHART_HEIGHT 300

static void unit_of(double v, enum svg_unit unit, double *scale, const char **name)
{
        v = fabs(v);
        *scale = 1;
        *name = "";
        if (unit == SVG_BYTES) {
                *name = "B";
                if (v >= 1024.0 * 1024 * 1024) {
                        *scale = 1024.0 * 1024 * 1024;
                        *name = "GiB";
                } else if (v >= 1024.0 * 1024) {
                        *scale = 1024.0 * 1024;
                        *name = "MiB";
                } else if (v >= 1024) {
                        *scale = 1024;
                        *name = "KiB";
                }
        } else if (unit == SVG_SECONDS) {
                *name = "s";
                if (v >= 7200) {
                        *scale = 3600;
                        *name = "h";
                } else if (v >= 600) {
                        *scale = 60;
                        *name = "min";
                }
        }
}

int svg_ticks(double lo, double hi, int max_ticks, enum svg_unit unit, struct svg_ticks *ret)
{
        static const double mult[] = { 1, 2, 5, 10, 20, 50 };
        struct svg_ticks t;
        double l, h, raw, mag;

        if (!isfinite(lo) || !isfinite(hi))
                return -EINVAL;
        if (max_ticks < 2)
                max_ticks = 2;
        unit_of(fabs(hi) > fabs(lo) ? hi : lo, unit, &t.scale, &t.unit);
        l = lo / t.scale;
        h = hi / t.scale;
        if (!(h > l))
                h = l + (l != 0 ? fabs(l) * 0.1 : 1);
        raw = (h - l) / max_ticks;
        mag = pow(10, floor(log10(raw)));
        if (unit == SVG_COUNT && mag < 1)
                mag = 1; /* counts are whole: no tick between two of them */
        for (size_t k = 0; k < sizeof(mult) / sizeof(mult[0]); k++) {
                double step = mult[k] * mag, a = floor(l / step + 1e-9) * step, b = ceil(h / step - 1e-9) * step;
                int n = (int)lround((b - a) / step) + 1;
                if (step < raw * (1 - 1e-9) || n - 1 > max_ticks)
                        continue;
                if (n < 2) {
                        b = a + step;
                        n = 2;
                }
                t.lo = a * t.scale;
                t.hi = b * t.scale;
                t.step = step * t.scale;
                t.n = n;
                *ret = t;
                return 0;
        }
        return -EINVAL; /* not reached: a step of 50 * mag always fits */
}

void svg_tick_label(const struct svg_ticks *t, double v, char *buf, size_t size)
{
        double step = t->step / t->scale;
        int decimals = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
        double x = v / t->scale;

        if (fabs(x) < step * 1e-6)
                x = 0; /* no "-0" */
        snprintf(buf, size, "%.*f", decimals > 9 ? 9 : decimals, x);
}

void svg_format(double v, enum svg_unit unit, char *buf, size_t size)
{
        double scale;
        const char *name;

        if (!isfinite(v) || v < 0) {
                snprintf(buf, size, "not measured");
                return;
        }
        unit_of(v, unit, &scale, &name);
        if (unit == SVG_BYTES)
                snprintf(buf, size, scale == 1 ? "%.0f %s" : "%.1f %s", v / scale, name);
        else if (unit == SVG_SECONDS)
                snprintf(buf, size, scale == 1 && v < 10 ? "%.3g %s" : "%.1f %s", v / scale, name);
        else if (v == floor(v) && v < 1e15)
                snprintf(buf, size, "%.0f", v);
        else
                snprintf(buf, size, "%.4g", v);
}

size_t svg_escape(const char *s, size_t n, char *out, size_t size)
{
        size_t o = 0;

        if (size == 0)
                return 0;
        for (size_t i = 0; i < n;) {
                char piece[40];
                size_t len, plen;
                int control = 0;

                len = util_utf8_char(s + i, n - i, &control);
                if (len == 0) {
                        memcpy(piece, "\xef\xbf\xbd", 4);
                        len = 1;
                } else if (control) {
                        plen = 0;
                        for (size_t k = 0; k < len; k++)
                                plen += (size_t)snprintf(piece + plen, sizeof(piece) - plen, "\\x%02x",
                                                         (unsigned char)s[i + k]);
                } else if (len == 1 && strchr("&<>\"'", s[i])) {
                        static const char *const ent[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
                        snprintf(piece, sizeof(piece), "%s", ent[strchr("&<>\"'", s[i]) - "&<>\"'"]);
                } else {
                        memcpy(piece, s + i, len);
                        piece[len] = '\0';
                }
                plen = strlen(piece);
                if (o + plen + 1 > size)
                        break;
                memcpy(out + o, piece, plen);
                o += plen;
                i += len;
        }
        out[o] = '\0';
        return o;
}

void svg_put_text(FILE *f, const char *s)
{
        char buf[8 * 256 + 1];
        size_t n = strlen(s);

        /* in slices that end at a character (util_utf8_char), so none is cut in two */
        while (n > 0) {
                size_t take = 0;
                while (take < n && take < 256) {
                        size_t len = util_utf8_char(s + take, n - take, &(int){ 0 });
                        len = len ? len : 1;
                        if (take + len > 256 && take > 0)
                                break;
                        take += len;
                }
                svg_escape(s, take, buf, sizeof(buf));
                fputs(buf, f);
                s += take;
                n -= take;
        }
}

static int measured(double x, double y)
{
        return isfinite(x) && isfinite(y) && y >= 0;
}

size_t svg_reduce(const double *x, const double *y, size_t n, size_t max, size_t *keep, size_t *ret_measured)
{
        size_t m = 0, k = 0, buckets, b = 0, seen = 0;

        for (size_t i = 0; i < n; i++)
                m += measured(x[i], y[i]);
        if (ret_measured)
                *ret_measured = m;
        if (max < 2)
                max = 2;
        if (m <= max) {
                for (size_t i = 0; i < n; i++)
                        if (measured(x[i], y[i]))
                                keep[k++] = i;
                return k;
        }
        buckets = max / 2;
        /* bucket b holds the measured points seen * buckets / m == b */
        for (size_t i = 0; i < n && b < buckets;) {
                size_t lo = SIZE_MAX, hi = SIZE_MAX;
                for (; i < n; i++) {
                        if (!measured(x[i], y[i]))
                                continue;
                        if (seen * buckets / m != b)
                                break;
                        if (lo == SIZE_MAX || y[i] < y[lo])
                                lo = i;
                        if (hi == SIZE_MAX || y[i] > y[hi])
                                hi = i;
                        seen++;
                }
                if (lo != SIZE_MAX) {
                        if (lo == hi) {
                                keep[k++] = lo;
                        } else {
                                keep[k++] = lo < hi ? lo : hi;
                                keep[k++] = lo < hi ? hi : lo;
                        }
                }
                b++;
        }
        return k;
}

double svg_px(const struct svg_chart *c, double x)
{
        return c->px0 + (x - c->xt.lo) * (c->px1 - c->px0) / (c->xt.hi - c->xt.lo);
}

double svg_py(const struct svg_chart *c, double y)
{
        return c->py0 + (y - c->yt.lo) * (c->py1 - c->py0) / (c->yt.hi - c->yt.lo);
}

void svg_chart_begin(struct svg_chart *c, FILE *f, const char *id, const char *title, double xlo, double xhi,
                     enum svg_unit xunit, const char *xlabel, double ylo, double yhi, enum svg_unit yunit,
                     const char *ylabel)
{
        char a[64];

        memset(c, 0, sizeof(*c));
        c->f = f;
        c->width = CHART_WIDTH;
        c->height = CHART_HEIGHT;
        c->px0 = 80;
        c->px1 = CHART_WIDTH - 20;
        c->py0 = CHART_HEIGHT - 50;
        c->py1 = 20;
        c->xunit = xunit;
        c->yunit = yunit;
        if (svg_ticks(xlo, xhi, 10, xunit, &c->xt) < 0)
                svg_ticks(0, 1, 10, xunit, &c->xt);
        if (svg_ticks(ylo, yhi, 6, yunit, &c->yt) < 0)
                svg_ticks(0, 1, 6, yunit, &c->yt);
        fputs("<figure class=\"chart\">\n<figcaption>", f);
        svg_put_text(f, title);
        fprintf(f, "</figcaption>\n<svg id=\"%s\" class=\"plot\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\""
                   " role=\"img\" data-x0=\"%.17g\" data-x1=\"%.17g\" data-px0=\"%.1f\" data-px1=\"%.1f\""
                   " data-y0=\"%.17g\" data-y1=\"%.17g\" data-py0=\"%.1f\" data-py1=\"%.1f\""
                   " data-xscale=\"%.17g\" data-xunit=\"%s\" data-yscale=\"%.17g\" data-yunit=\"%s\">\n",
                id, c->width, c->height, c->width, c->height, c->xt.lo, c->xt.hi, c->px0, c->px1, c->yt.lo,
                c->yt.hi, c->py0, c->py1, c->xt.scale, c->xt.unit, c->yt.scale, c->yt.unit);
        fputs("<title>", f);
        svg_put_text(f, title);
        fputs("</title>\n<g class=\"grid\">\n", f);
        for (int i = 0; i < c->xt.n; i++) {
                double v = c->xt.lo + i * c->xt.step, x = svg_px(c, v);
                svg_tick_label(&c->xt, v, a, sizeof(a));
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><text class=\"tx\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                        x, c->py0, x, c->py1, x, c->py0 + 16, a);
        }
        for (int i = 0; i < c->yt.n; i++) {
                double v = c->yt.lo + i * c->yt.step, y = svg_py(c, v);
                svg_tick_label(&c->yt, v, a, sizeof(a));
                fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><text class=\"ty\" x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                        c->px0, y, c->px1, y, c->px0 - 6, y + 4, a);
        }
        fprintf(f, "</g>\n<rect class=\"frame\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", c->px0, c->py1,
                c->px1 - c->px0, c->py0 - c->py1);
        fprintf(f, "<text class=\"xl\" x=\"%.1f\" y=\"%d\">", (c->px0 + c->px1) / 2, c->height - 12);
        svg_put_text(f, xlabel);
        if (*c->xt.unit)
                fprintf(f, " (%s)", c->xt.unit);
        fprintf(f, "</text>\n<text class=\"yl\" x=\"14\" y=\"%.1f\" transform=\"rotate(-90 14 %.1f)\">",
                (c->py0 + c->py1) / 2, (c->py0 + c->py1) / 2);
        svg_put_text(f, ylabel);
        if (*c->yt.unit)
                fprintf(f, " (%s)", c->yt.unit);
        fputs("</text>\n", f);
}

static void legend_add(struct svg_chart *c, const char *group, const char *label, const char *color, int dashed)
{
        if (!label || c->legend_n >= SVG_LEGEND_MAX)
                return;
        snprintf(c->legend[c->legend_n].group, sizeof(c->legend[0].group), "%s", group);
        snprintf(c->legend[c->legend_n].label, sizeof(c->legend[0].label), "%s", label);
        c->legend[c->legend_n].color = color;
        c->legend[c->legend_n].dashed = dashed;
        c->legend_n++;
}

static void note_reduced(struct svg_chart *c, size_t measured_n, size_t shown)
{
        if (shown < measured_n && measured_n > c->reduced_n) {
                c->reduced_n = measured_n;
                c->reduced_shown = shown;
        }
}

/* ' data-series="..." data-group="..."', escaped: a series may be named after a run's directory. */
static void put_names(FILE *f, const char *series, const char *group)
{
        fputs(" data-series=\"", f);
        svg_put_text(f, series);
        fputs("\" data-group=\"", f);
        svg_put_text(f, group);
        fputs("\"", f);
}

void svg_line(struct svg_chart *c, const char *series, const char *group, const char *label, const char *color,
              int dashed, const double *x, const double *y, size_t n)
{
        size_t *keep = malloc(SVG_MAX_POINTS * sizeof(*keep)), k, m;

        if (!keep)
                return;
        k = svg_reduce(x, y, n, SVG_MAX_POINTS, keep, &m);
        note_reduced(c, m, k);
        fprintf(c->f, "<polyline class=\"line%s\"", dashed ? " dashed" : "");
        put_names(c->f, series, group);
        fprintf(c->f, " data-n=\"%zu\" stroke=\"%s\" points=\"", m, color);
        for (size_t i = 0; i < k; i++)
                fprintf(c->f, "%s%.1f,%.1f", i ? " " : "", svg_px(c, x[keep[i]]), svg_py(c, y[keep[i]]));
        fputs("\"", c->f);
        if (c->line_attrs)
                fprintf(c->f, " %s", c->line_attrs);
        if (label) {
                fputs(" data-label=\"", c->f);
                svg_put_text(c->f, label);
                fputs("\"", c->f);
        }
        fputs("/>\n", c->f);
        legend_add(c, group, label, color, dashed);
        free(keep);
}

void svg_band(struct svg_chart *c, const char *series, const char *group, const char *color, const double *x,
              const double *lo, const double *hi, size_t n)
{
        size_t m = 0, buckets, seen = 0, k = 0;
        double *bx, *blo, *bhi;

        for (size_t i = 0; i < n; i++)
                m += measured(x[i], lo[i]) && measured(x[i], hi[i]);
        if (m == 0)
                return;
        buckets = m > SVG_MAX_POINTS / 2 ? SVG_MAX_POINTS / 2 : m;
        bx = malloc(buckets * sizeof(*bx));
        blo = malloc(buckets * sizeof(*blo));
        bhi = malloc(buckets * sizeof(*bhi));
        if (!bx || !blo || !bhi)
                goto out;
        for (size_t i = 0; i < n; i++) {
                if (!(measured(x[i], lo[i]) && measured(x[i], hi[i])))
                        continue;
                size_t b = seen++ * buckets / m;
                if (b >= k) {
                        k = b + 1;
                        bx[b] = x[i];
                        blo[b] = lo[i];
                        bhi[b] = hi[i];
                } else {
                        blo[b] = lo[i] < blo[b] ? lo[i] : blo[b];
                        bhi[b] = hi[i] > bhi[b] ? hi[i] : bhi[b];
                }
        }
        note_reduced(c, m, 2 * k < 2 * m ? 2 * k : 2 * m);
        fputs("<polygon class=\"band\"", c->f);
        put_names(c->f, series, group);
        fprintf(c->f, " fill=\"%s\" points=\"", color);
        for (size_t i = 0; i < k; i++)
                fprintf(c->f, "%s%.1f,%.1f", i ? " " : "", svg_px(c, bx[i]), svg_py(c, bhi[i]));
        for (size_t i = k; i-- > 0;)
                fprintf(c->f, " %.1f,%.1f", svg_px(c, bx[i]), svg_py(c, blo[i]));
        fputs("\"/>\n", c->f);
out:
        free(bx);
        free(blo);
        free(bhi);
}

void svg_errorbar(struct svg_chart *c, const char *series, const char *group, const char *color, double x, double y,
                  double lo, double hi, const char *title)
{
        double px = svg_px(c, x);

        fputs("<g class=\"err\"", c->f);
        put_names(c->f, series, group);
        fprintf(c->f, " stroke=\"%s\" fill=\"%s\">", color, color);
        if (isfinite(lo) && isfinite(hi))
                fprintf(c->f, "<line class=\"bar\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
                              "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>",
                        px, svg_py(c, lo), px, svg_py(c, hi), px - 5, svg_py(c, lo), px + 5, svg_py(c, lo), px - 5,
                        svg_py(c, hi), px + 5, svg_py(c, hi));
        fprintf(c->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\"><title>", px, svg_py(c, y));
        svg_put_text(c->f, title);
        fputs("</title></circle></g>\n", c->f);
}

void svg_marker(struct svg_chart *c, const char *series, const char *group, const char *color, double x, double y,
                const char *title)
{
        double px = svg_px(c, x), py = svg_py(c, y);

        fputs("<path class=\"marker\"", c->f);
        put_names(c->f, series, group);
        fprintf(c->f, " fill=\"%s\" d=\"M%.1f %.1fl-6 -10h12z\"><title>", color, px, py);
        svg_put_text(c->f, title);
        fputs("</title></path>\n", c->f);
}

void svg_segment(struct svg_chart *c, const char *series, const char *group, const char *color, int dashed, double x0,
                 double y0, double x1, double y1)
{
        fprintf(c->f, "<line class=\"seg%s\"", dashed ? " dashed" : "");
        put_names(c->f, series, group);
        fprintf(c->f, " stroke=\"%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", color, svg_px(c, x0),
                svg_py(c, y0), svg_px(c, x1), svg_py(c, y1));
}

void svg_chart_end(struct svg_chart *c)
{
        FILE *f = c->f;

        fputs("</svg>\n", f);
        if (c->legend_n > 0) {
                fputs("<div class=\"legend\">", f);
                for (int i = 0; i < c->legend_n; i++) {
                        fputs("<span class=\"key\" data-group=\"", f);
                        svg_put_text(f, c->legend[i].group);
                        fprintf(f, "\"><i class=\"%s\" style=\"border-color:%s\"></i>",
                                c->legend[i].dashed ? "dashed" : "solid", c->legend[i].color);
                        svg_put_text(f, c->legend[i].label);
                        fputs("</span>", f);
                }
                fputs("</div>\n", f);
        }
        if (c->reduced_n > 0)
                fprintf(f, "<p class=\"note\" data-reduced=\"%zu\">1 point in %.0f shown; peaks kept (%zu points measured, %zu drawn)</p>\n",
                        c->reduced_n, ceil((double)c->reduced_n / (double)c->reduced_shown), c->reduced_n,
                        c->reduced_shown);
        fputs("</figure>\n", f);
}
