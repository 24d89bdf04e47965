/* svg: ticks at round values, scaling, escaping, and reduction that keeps the peaks. */
#include "svg.h"
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define MiB (1024.0 * 1024)

static void test_ticks(void)
{
        struct svg_ticks t;
        char b[32];

        CHECK_EQ_INT(svg_ticks(0, 3.3 * MiB, 8, SVG_BYTES, &t), 0);
        CHECK(strcmp(t.unit, "MiB") == 0);
        CHECK(t.step == 0.5 * MiB);
        CHECK(t.lo == 0 && t.hi == 3.5 * MiB);
        CHECK_EQ_INT(t.n, 8);
        svg_tick_label(&t, 1.5 * MiB, b, sizeof(b));
        CHECK(strcmp(b, "1.5") == 0);
        svg_tick_label(&t, 0, b, sizeof(b));
        CHECK(strcmp(b, "0.0") == 0);

        CHECK_EQ_INT(svg_ticks(0, 37, 10, SVG_SECONDS, &t), 0);
        CHECK(strcmp(t.unit, "s") == 0 && t.step == 5 && t.hi == 40);
        svg_tick_label(&t, 35, b, sizeof(b));
        CHECK(strcmp(b, "35") == 0);

        /* an hour: in minutes, every 10 */
        CHECK_EQ_INT(svg_ticks(0, 3600, 10, SVG_SECONDS, &t), 0);
        CHECK(strcmp(t.unit, "min") == 0 && t.step == 600 && t.hi == 3600);

        /* a range that does not start at 0, and kilobytes */
        CHECK_EQ_INT(svg_ticks(3000, 9000, 6, SVG_BYTES, &t), 0);
        CHECK(strcmp(t.unit, "KiB") == 0);
        CHECK(t.lo <= 3000 && t.hi >= 9000);
        CHECK(fmod(t.lo / 1024, t.step / 1024) == 0);

        /* counts are whole: no step under 1 */
        CHECK_EQ_INT(svg_ticks(0, 3, 10, SVG_COUNT, &t), 0);
        CHECK(t.step == 1 && t.hi == 3);

        /* a negative delta and an empty range */
        CHECK_EQ_INT(svg_ticks(-2 * MiB, 5 * MiB, 6, SVG_BYTES, &t), 0);
        CHECK(t.lo <= -2 * MiB && t.hi >= 5 * MiB && t.n <= 7);
        CHECK_EQ_INT(svg_ticks(0, 0, 6, SVG_BYTES, &t), 0);
        CHECK(t.hi > t.lo && t.n >= 2);
        CHECK_EQ_INT(svg_ticks(NAN, 1, 6, SVG_BYTES, &t), -EINVAL);
        CHECK_EQ_INT(svg_ticks(0, INFINITY, 6, SVG_BYTES, &t), -EINVAL);

        /* every tick count stays within the bound asked, whatever the range */
        int within = 1;
        for (double hi = 1; hi < 1e12; hi *= 1.37) {
                if (svg_ticks(0, hi, 6, SVG_BYTES, &t) < 0 || t.n - 1 > 6 || t.hi < hi || t.lo > 0)
                        within = 0;
        }
        CHECK(within);
}

static void test_format(void)
{
        char b[64];

        svg_format(1.5 * MiB, SVG_BYTES, b, sizeof(b));
        CHECK(strcmp(b, "1.5 MiB") == 0);
        svg_format(-1, SVG_BYTES, b, sizeof(b));
        CHECK(strcmp(b, "not measured") == 0);
        svg_format(NAN, SVG_SECONDS, b, sizeof(b));
        CHECK(strcmp(b, "not measured") == 0);
        svg_format(0, SVG_BYTES, b, sizeof(b));
        CHECK(strcmp(b, "0 B") == 0);
        svg_format(1.25, SVG_SECONDS, b, sizeof(b));
        CHECK(strcmp(b, "1.25 s") == 0);
        svg_format(1234, SVG_COUNT, b, sizeof(b));
        CHECK(strcmp(b, "1234") == 0);
}

static void test_escape(void)
{
        char b[256];

        svg_escape("</script><svg onload=alert(1)>", 30, b, sizeof(b));
        CHECK(strchr(b, '<') == NULL && strchr(b, '>') == NULL);
        CHECK(strcmp(b, "&lt;/script&gt;&lt;svg onload=alert(1)&gt;") == 0);
        svg_escape("a&b'\"", 5, b, sizeof(b));
        CHECK(strcmp(b, "a&amp;b&#39;&quot;") == 0);
        /* invalid UTF-8 as U+FFFD, valid kept, control characters as \xNN */
        svg_escape("caf\xe9 \xc3\xa9\x1b[1m", 11, b, sizeof(b));
        CHECK(strcmp(b, "caf\xef\xbf\xbd \xc3\xa9\\x1b[1m") == 0);
        /* cut at a character, never in the middle of a reference */
        CHECK_EQ_INT(svg_escape("<<<<", 4, b, 10), 8);
        CHECK(strcmp(b, "&lt;&lt;") == 0);

        /* svg_put_text: the same, streamed, for a text longer than its slices */
        char *big = malloc(1001), *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);
        for (int i = 0; i < 1000; i++)
                big[i] = i % 100 == 99 ? '<' : "\xc3\xa9"[i % 2];
        big[1000] = '\0';
        svg_put_text(f, big);
        fclose(f);
        CHECK(strchr(out, '<') == NULL);
        CHECK(strstr(out, "&lt;") != NULL);
        free(out);
        free(big);
}

static void test_reduce(void)
{
        enum { N = 10000 };
        double *x = malloc(N * sizeof(*x)), *y = malloc(N * sizeof(*y));
        size_t keep[SVG_MAX_POINTS], k, m, has_peak = 0, has_dip = 0, ordered = 1, skipped = 1;

        for (int i = 0; i < N; i++) {
                x[i] = i;
                y[i] = 1000 + (i % 7);
        }
        y[4321] = 99999;        /* a one-point peak */
        y[777] = 5;             /* a one-point dip */
        y[10] = -1;             /* not measured */
        k = svg_reduce(x, y, N, SVG_MAX_POINTS, keep, &m);
        CHECK(k <= SVG_MAX_POINTS);
        CHECK(k >= SVG_MAX_POINTS - 2);
        CHECK_EQ_INT(m, N - 1);
        for (size_t i = 0; i < k; i++) {
                has_peak |= keep[i] == 4321;
                has_dip |= keep[i] == 777;
                if (i && keep[i] <= keep[i - 1])
                        ordered = 0;
                if (keep[i] == 10)
                        skipped = 0;
        }
        CHECK(has_peak && has_dip && ordered && skipped);

        /* short series: everything measured kept */
        k = svg_reduce(x, y, 20, SVG_MAX_POINTS, keep, &m);
        CHECK_EQ_INT(k, 19);
        CHECK_EQ_INT(m, 19);
        free(x);
        free(y);
}

static void test_chart(void)
{
        enum { N = 3600 };
        double *x = malloc(N * sizeof(*x)), *y = malloc(N * sizeof(*y));
        struct svg_chart c;
        char *out = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&out, &len);

        for (int i = 0; i < N; i++) {
                x[i] = i;
                y[i] = 10 * MiB + i;
        }
        svg_chart_begin(&c, f, "t", "A <title>", 0, N, SVG_SECONDS, "time", 0, 12 * MiB, SVG_BYTES, "RSS");
        /* the scaling: the range's ends at the plot area's edges */
        CHECK(fabs(svg_px(&c, 0) - c.px0) < 1e-9);
        CHECK(fabs(svg_px(&c, 3600) - c.px1) < 1e-9);
        CHECK(fabs(svg_py(&c, 0) - c.py0) < 1e-9);
        CHECK(fabs(svg_py(&c, 12 * MiB) - c.py1) < 1e-9);
        CHECK(fabs(svg_px(&c, 1800) - (c.px0 + c.px1) / 2) < 1e-9);
        svg_line(&c, "rss", "rss", "RSS <b>", "#000", 0, x, y, N);
        /* a series named after a directory ("x\" onmouseover=...") stays inside its attribute */
        svg_line(&c, "c-x\" onmouseover=\"alert(1)", "g\"<", "run x\"", "#000", 0, x, y, 2);
        svg_band(&c, "b\"", "g\"<", "#000", x, y, y, 2);
        svg_errorbar(&c, "e\"", "g\"<", "#000", 1, 1, NAN, NAN, "t");
        svg_marker(&c, "m\"", "g\"<", "#000", 1, 1, "t");
        svg_segment(&c, "s\"", "g\"<", "#000", 1, 0, 1, 2, 1);
        svg_chart_end(&c);
        fclose(f);
        CHECK(strstr(out, "data-series=\"rss\"") != NULL);
        CHECK(strstr(out, "1 point in 4 shown; peaks kept") != NULL);
        CHECK(strstr(out, "A &lt;title&gt;") != NULL && strstr(out, "<title>A <") == NULL);
        CHECK(strstr(out, "RSS &lt;b&gt;") != NULL);
        CHECK(strstr(out, "http") == NULL);
        CHECK(strstr(out, "c-x&quot; onmouseover=&quot;alert(1)") != NULL);
        CHECK(strstr(out, "onmouseover=\"") == NULL);
        CHECK(strstr(out, "data-group=\"g&quot;&lt;\"") != NULL);
        CHECK(strstr(out, "data-group=\"g\"") == NULL);
        free(out);
        free(x);
        free(y);
}

int main(void)
{
        test_ticks();
        test_format();
        test_escape();
        test_reduce();
        test_chart();
        return unit_finish("test_svg");
}
