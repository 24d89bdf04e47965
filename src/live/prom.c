#include "prom.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the exposition text ---- */

#define TEXT_MIN_CAP 4096

void prom_text_init(struct prom_text *t, size_t max)
{
        memset(t, 0, sizeof(*t));
        t->max = max ? max : PROM_TEXT_MAX_DEFAULT;
}

void prom_text_free(struct prom_text *t)
{
        if (!t)
                return;
        free(t->buf);
        free(t->families);
        t->buf = NULL;
        t->families = NULL;
        t->len = t->cap = t->nfamilies = t->families_cap = 0;
}

void prom_text_reset(struct prom_text *t)
{
        t->len = 0;
        t->truncated = 0;
        t->family[0] = '\0';
        t->nfamilies = 0;
}

static int name_char(unsigned char c, int first, int colon)
{
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
                return 1;
        if (c == ':')
                return colon;
        return !first && c >= '0' && c <= '9';
}

static int valid_name(const char *s, int colon)
{
        size_t i;

        if (!s || !*s)
                return 0;
        for (i = 0; s[i]; i++)
                if (i >= PROM_NAME_MAX || !name_char((unsigned char)s[i], i == 0, colon))
                        return 0;
        return 1;
}

int prom_valid_metric_name(const char *s)
{
        return valid_name(s, 1);
}

int prom_valid_label_name(const char *s)
{
        return valid_name(s, 0) && strncmp(s, "__", 2) != 0;
}

static int ends_with(const char *s, const char *suffix)
{
        size_t n = strlen(s), m = strlen(suffix);

        return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Appends n bytes, growing the buffer by doubling up to t->max. */
static int put(struct prom_text *t, const char *s, size_t n)
{
        if (n > t->max - t->len)
                return -ENOBUFS;
        if (t->len + n > t->cap) {
                size_t cap = t->cap ? t->cap : TEXT_MIN_CAP;
                char *p;

                while (cap < t->len + n)
                        cap = cap > t->max / 2 ? t->max : cap * 2;
                if (cap > t->max)
                        cap = t->max;
                p = realloc(t->buf, cap);
                if (!p)
                        return -ENOMEM;
                t->buf = p;
                t->cap = cap;
        }
        memcpy(t->buf + t->len, s, n);
        t->len += n;
        return 0;
}

static int put_str(struct prom_text *t, const char *s)
{
        return put(t, s, strlen(s));
}

/* Appends s escaped for a HELP text (backslash, newline) or, with quote set, for a label
 * value (double quote as well): the only escapes the text format defines. Every other control
 * character (CR, TAB, ESC, DEL, C1) becomes the text \xNN per byte, as util_escape_text prints
 * it (in the exposition "\\x1b", the backslash escaped), so that a scrape shown on a terminal
 * or read line by line passes none of them raw. Bytes that are not UTF-8 become U+FFFD, one
 * per byte, as in jitmem's JSON and as Go decodes them: Prometheus refuses the whole scrape
 * over one bad byte. */
static int put_escaped(struct prom_text *t, const char *s, int quote)
{
        static const char hex[] = "0123456789abcdef";
        size_t n = strlen(s), run = 0, i = 0;
        int r, ctl;

        while (i < n) {
                char esc[2 * 5 + 1]; /* a control character is 1 or 2 bytes, each "\\xNN" */
                const char *rep = NULL;
                unsigned char c = (unsigned char)s[i];
                size_t k = util_utf8_char(s + i, n - i, &ctl);

                if (c == '\\') {
                        rep = "\\\\";
                } else if (c == '\n') {
                        rep = "\\n";
                } else if (c == '"' && quote) {
                        rep = "\\\"";
                } else if (k == 0) {
                        rep = "\xEF\xBF\xBD";
                        k = 1;
                } else if (ctl) {
                        size_t o = 0;
                        for (size_t j = 0; j < k; j++) {
                                unsigned char b = (unsigned char)s[i + j];
                                esc[o++] = '\\';
                                esc[o++] = '\\';
                                esc[o++] = 'x';
                                esc[o++] = hex[b >> 4];
                                esc[o++] = hex[b & 15];
                        }
                        esc[o] = '\0';
                        rep = esc;
                }
                if (!rep) {
                        i += k;
                        run += k;
                        continue;
                }
                r = put(t, s + i - run, run);
                if (r < 0)
                        return r;
                r = put_str(t, rep);
                if (r < 0)
                        return r;
                run = 0;
                i += k;
        }
        return put(t, s + i - run, run);
}

char *prom_format_value(double v, char *buf, size_t size)
{
        if (isnan(v))
                snprintf(buf, size, "NaN");
        else if (isinf(v))
                snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
        else if (v == 0)
                snprintf(buf, size, "0");
        else if (fabs(v) <= 9007199254740992.0 && v == trunc(v))
                snprintf(buf, size, "%lld", (long long)v);
        else {
                /* %g drops trailing zeros, so the first precision that reads back is the
                 * shortest exact form in all but rare cases; 17 digits always read back. */
                for (int prec = 15; prec <= 17; prec++) {
                        snprintf(buf, size, "%.*g", prec, v);
                        if (strtod(buf, NULL) == v)
                                break;
                }
                /* under a locale whose decimal point is a comma */
                for (char *c = buf; *c; c++)
                        if (*c == ',')
                                *c = '.';
        }
        return buf;
}

static int family_seen(const struct prom_text *t, const char *name)
{
        size_t n = strlen(name);

        for (size_t i = 0; i < t->nfamilies; i++) {
                size_t off = t->families[i];
                if (off + n < t->len && memcmp(t->buf + off, name, n) == 0 && t->buf[off + n] == ' ')
                        return 1;
        }
        return 0;
}

static int note_family(struct prom_text *t, size_t off)
{
        size_t *p = util_grow(t->families, &t->families_cap, t->nfamilies + 1, sizeof(*p), 32);
        if (!p)
                return -ENOMEM;
        t->families = p;
        t->families[t->nfamilies++] = off;
        return 0;
}

/* A line that did not fit is taken back whole, and the text closed to further lines. */
static int line_failed(struct prom_text *t, size_t start, int r)
{
        t->len = start;
        t->truncated = 1;
        return r;
}

int prom_family(struct prom_text *t, const char *name, const char *type, const char *help)
{
        size_t start = t->len, off;
        int r, counter;

        if (!prom_valid_metric_name(name) || !type)
                return -EINVAL;
        if (strcmp(type, "gauge") != 0 && strcmp(type, "counter") != 0 && strcmp(type, "untyped") != 0)
                return -EINVAL;
        counter = strcmp(type, "counter") == 0;
        if (counter != ends_with(name, "_total"))
                return -EINVAL;
        if (family_seen(t, name))
                return -EEXIST;
        /* Samples that follow belong to this family even when its lines were dropped, so
         * that they fail for the cap and not for a family they never asked for. */
        snprintf(t->family, sizeof(t->family), "%s", name);
        if (t->truncated)
                return -ENOBUFS;
        r = 0;
        if (help) {
                r = put_str(t, "# HELP ");
                if (r == 0)
                        r = put_str(t, name);
                if (r == 0)
                        r = put(t, " ", 1);
                if (r == 0)
                        r = put_escaped(t, help, 0);
                if (r == 0)
                        r = put(t, "\n", 1);
        }
        if (r == 0)
                r = put_str(t, "# TYPE ");
        off = t->len;
        if (r == 0)
                r = put_str(t, name);
        if (r == 0)
                r = put(t, " ", 1);
        if (r == 0)
                r = put_str(t, type);
        if (r == 0)
                r = put(t, "\n", 1);
        if (r == 0)
                r = note_family(t, off);
        if (r < 0)
                return line_failed(t, start, r);
        return 0;
}

int prom_sample(struct prom_text *t, const char *name, const char *const *labels, size_t npairs, double value)
{
        size_t start = t->len;
        char num[64];
        int r;

        if (!name || strcmp(name, t->family) != 0 || !t->family[0])
                return -ENOENT;
        if (npairs && !labels)
                return -EINVAL;
        for (size_t i = 0; i < npairs; i++) {
                if (!prom_valid_label_name(labels[2 * i]) || !labels[2 * i + 1])
                        return -EINVAL;
                for (size_t j = 0; j < i; j++)
                        if (strcmp(labels[2 * i], labels[2 * j]) == 0)
                                return -EINVAL;
        }
        if (t->truncated)
                return -ENOBUFS;
        r = put_str(t, name);
        for (size_t i = 0; r == 0 && i < npairs; i++) {
                r = put(t, i == 0 ? "{" : ",", 1);
                if (r == 0)
                        r = put_str(t, labels[2 * i]);
                if (r == 0)
                        r = put(t, "=\"", 2);
                if (r == 0)
                        r = put_escaped(t, labels[2 * i + 1], 1);
                if (r == 0)
                        r = put(t, "\"", 1);
        }
        if (r == 0 && npairs)
                r = put(t, "}", 1);
        if (r == 0)
                r = put(t, " ", 1);
        if (r == 0)
                r = put_str(t, prom_format_value(value, num, sizeof(num)));
        if (r == 0)
                r = put(t, "\n", 1);
        if (r < 0)
                return line_failed(t, start, r);
        return 0;
}
