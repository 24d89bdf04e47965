/* The Prometheus text writer (prom.h) against the exposition format 0.0.4: metrics built from
 * the input (names, label names and values of any bytes, any double, a cap on the text), then
 * every line of the text checked against the format's grammar:
 *   # HELP name text            text: UTF-8, only \\ and \n escaped, no raw line feed
 *   # TYPE name type            counter, gauge, histogram, summary or untyped, once per name
 *   name{label="value",...} v   name [a-zA-Z_:][a-zA-Z0-9_:]*, label [a-zA-Z_][a-zA-Z0-9_]*,
 *                               value UTF-8 with only \\ \" \n escaped, v a float (NaN, +Inf,
 *                               -Inf) that reads back as the double given
 * and the samples of a family right after its TYPE line. Raw control bytes (CR, TAB, ESC, DEL,
 * ...) in a label value or a HELP text are findings too: the format allows them, but a label
 * value is printed by whoever reads it (prom.h writes them as the text \xNN). */
#include "fuzz.h"
#include "prom.h"

#include <math.h>

struct input {
        const uint8_t *p;
        size_t n, pos;
};

static unsigned take_byte(struct input *in)
{
        return in->pos < in->n ? in->p[in->pos++] : 0;
}

/* A string of up to 255 bytes (its length first); a NUL in it ends it early. */
static char *take_str(struct input *in)
{
        size_t len = take_byte(in);

        if (len > in->n - in->pos)
                len = in->n - in->pos;
        in->pos += len;
        return fuzz_strndup(in->p + in->pos - len, len);
}

static double take_double(struct input *in)
{
        unsigned char b[8] = { 0 };
        double v;

        for (size_t i = 0; i < sizeof(b); i++)
                b[i] = (unsigned char)take_byte(in);
        memcpy(&v, b, sizeof(v));
        return v;
}

/* ---- the format's grammar ---- */

static size_t utf8_len(const unsigned char *s, size_t n)
{
        unsigned char c = s[0];
        size_t k;
        uint32_t cp;

        if (c < 0x80)
                return 1;
        if ((c & 0xE0) == 0xC0)
                k = 2, cp = c & 0x1F;
        else if ((c & 0xF0) == 0xE0)
                k = 3, cp = c & 0x0F;
        else if ((c & 0xF8) == 0xF0)
                k = 4, cp = c & 0x07;
        else
                return 0;
        if (n < k)
                return 0;
        for (size_t i = 1; i < k; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = cp << 6 | (s[i] & 0x3F);
        }
        if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return 0;
        return k;
}

/* An escaped text from s[*i] to the end of the line or, with quote set, to its closing quote
 * (not included). Returns 1 when well-formed. */
static int text_ok(const char *s, size_t n, size_t *i, int quote)
{
        while (*i < n) {
                unsigned char c = (unsigned char)s[*i];
                size_t k;

                if (quote && c == '"')
                        return 1;
                if (c == '\\') {
                        if (*i + 1 >= n)
                                return 0;
                        c = (unsigned char)s[*i + 1];
                        if (c != '\\' && c != 'n' && !(quote && c == '"'))
                                return 0;
                        *i += 2;
                        continue;
                }
                if (c == '\n')
                        return 0;
                if (c < 0x20 || c == 0x7f)
                        return 0;
                k = utf8_len((const unsigned char *)s + *i, n - *i);
                if (k == 0)
                        return 0;
                *i += k;
        }
        return !quote;
}

static size_t name_len(const char *s, size_t n, int colon)
{
        size_t i = 0;

        while (i < n) {
                char c = s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                      (colon && c == ':') || (i > 0 && c >= '0' && c <= '9')))
                        break;
                i++;
        }
        return i;
}

/* A Go float as Prometheus parses it, in the forms a writer may choose. Returns 1 when s[0..n)
 * is one. */
static int float_ok(const char *s, size_t n)
{
        size_t i = 0, digits = 0;

        if ((n == 3 && memcmp(s, "NaN", 3) == 0) || (n == 4 && (memcmp(s, "+Inf", 4) == 0 || memcmp(s, "-Inf", 4) == 0)))
                return 1;
        if (i < n && (s[i] == '-' || s[i] == '+'))
                i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
                digits++;
        if (i < n && s[i] == '.')
                for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
                        digits++;
        if (digits == 0)
                return 0;
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
                size_t e = 0;
                i++;
                if (i < n && (s[i] == '-' || s[i] == '+'))
                        i++;
                for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
                        e++;
                if (e == 0)
                        return 0;
        }
        return i == n;
}

struct checker {
        char family[PROM_NAME_MAX + 1]; /* the name of the last TYPE line */
        char help[PROM_NAME_MAX + 1];   /* the name of a HELP line waiting for its TYPE */
        char **seen;                    /* the names of every TYPE line */
        size_t nseen;
};

static void check_line(struct checker *c, const char *s, size_t n)
{
        size_t i, k;

        FUZZ_ASSERT(n > 0);
        if (s[0] == '#') {
                int help = n > 7 && memcmp(s, "# HELP ", 7) == 0;
                int type = n > 7 && memcmp(s, "# TYPE ", 7) == 0;

                FUZZ_ASSERT(help || type);
                FUZZ_ASSERT(!c->help[0] || type); /* a HELP line is followed by its TYPE */
                s += 7;
                n -= 7;
                k = name_len(s, n, 1);
                FUZZ_ASSERT(k > 0 && k <= PROM_NAME_MAX && k < n && s[k] == ' ');
                if (help) {
                        memcpy(c->help, s, k);
                        c->help[k] = '\0';
                        i = k + 1;
                        FUZZ_ASSERT(text_ok(s, n, &i, 0));
                        return;
                }
                FUZZ_ASSERT(!c->help[0] || (strlen(c->help) == k && memcmp(c->help, s, k) == 0));
                c->help[0] = '\0';
                memcpy(c->family, s, k);
                c->family[k] = '\0';
                for (size_t j = 0; j < c->nseen; j++)
                        FUZZ_ASSERT(strcmp(c->seen[j], c->family) != 0);
                c->seen = realloc(c->seen, (c->nseen + 1) * sizeof(*c->seen));
                FUZZ_ASSERT(c->seen != NULL);
                c->seen[c->nseen++] = fuzz_strndup(s, k);
                s += k + 1;
                n -= k + 1;
                FUZZ_ASSERT((n == 7 && memcmp(s, "counter", 7) == 0) || (n == 5 && memcmp(s, "gauge", 5) == 0) ||
                            (n == 9 && memcmp(s, "histogram", 9) == 0) || (n == 7 && memcmp(s, "summary", 7) == 0) ||
                            (n == 7 && memcmp(s, "untyped", 7) == 0));
                return;
        }
        FUZZ_ASSERT(!c->help[0]);
        k = name_len(s, n, 1);
        FUZZ_ASSERT(k > 0 && strlen(c->family) == k && memcmp(s, c->family, k) == 0);
        i = k;
        if (i < n && s[i] == '{') {
                i++;
                for (;;) {
                        k = name_len(s + i, n - i, 0);
                        FUZZ_ASSERT(k > 0);
                        i += k;
                        FUZZ_ASSERT(i + 1 < n && s[i] == '=' && s[i + 1] == '"');
                        i += 2;
                        FUZZ_ASSERT(text_ok(s, n, &i, 1));
                        i++; /* the closing quote */
                        FUZZ_ASSERT(i < n);
                        if (s[i] == '}')
                                break;
                        FUZZ_ASSERT(s[i] == ',');
                        i++;
                }
                i++;
        }
        FUZZ_ASSERT(i < n && s[i] == ' ');
        i++;
        FUZZ_ASSERT(float_ok(s + i, n - i));
}

static void check_text(const struct prom_text *t)
{
        struct checker c;
        const char *s, *end;

        memset(&c, 0, sizeof(c));
        if (t->len == 0)
                return;
        s = t->buf;
        end = t->buf + t->len;
        FUZZ_ASSERT(t->buf[t->len - 1] == '\n');
        FUZZ_ASSERT(t->len <= t->max);
        while (s < end) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                FUZZ_ASSERT(nl != NULL);
                check_line(&c, s, (size_t)(nl - s));
                s = nl + 1;
        }
        FUZZ_ASSERT(!c.help[0]);
        for (size_t j = 0; j < c.nseen; j++)
                free(c.seen[j]);
        free(c.seen);
}

/* The value on the last line of the text reads back as v. */
static void check_value(const struct prom_text *t, double v)
{
        const char *end = t->buf + t->len - 1, *sp = end;
        char num[64];

        while (sp > t->buf && sp[-1] != ' ')
                sp--;
        FUZZ_ASSERT((size_t)(end - sp) < sizeof(num));
        memcpy(num, sp, (size_t)(end - sp));
        num[end - sp] = '\0';
        if (isnan(v))
                FUZZ_ASSERT(strcmp(num, "NaN") == 0);
        else
                FUZZ_ASSERT(strtod(num, NULL) == v);
}

static const char *const types[] = { "gauge", "counter", "untyped", "histogram" };
static const char *const keys[] = { "comm", "pid", "le", "__x" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct input in = { data, size, 0 };
        struct prom_text t;
        unsigned cap = take_byte(&in);

        prom_text_init(&t, cap < 128 ? 0 : 64 + (size_t)(cap & 127) * 16);
        while (in.pos < in.n) {
                unsigned op = take_byte(&in) % 3;
                size_t before = t.len;
                int r;

                if (op == 0) {
                        char *name = take_str(&in);
                        unsigned b = take_byte(&in);
                        char *help = b & 4 ? take_str(&in) : NULL;

                        r = prom_family(&t, name, types[b % 4], help);
                        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -EEXIST || r == -ENOBUFS);
                        if (r == 0)
                                FUZZ_ASSERT(t.len > before && t.buf[t.len - 1] == '\n');
                        else
                                FUZZ_ASSERT(t.len == before);
                        free(name);
                        free(help);
                } else {
                        char *name = op == 1 ? fuzz_strndup(t.family, strlen(t.family)) : take_str(&in);
                        unsigned b = take_byte(&in);
                        size_t npairs = b % 4;
                        char *labels[6];
                        double v;

                        for (size_t i = 0; i < npairs; i++) {
                                labels[2 * i] = b & (16 << i) ? take_str(&in) : fuzz_strndup(keys[i], strlen(keys[i]));
                                labels[2 * i + 1] = take_str(&in);
                        }
                        v = take_double(&in);
                        r = prom_sample(&t, name, (const char *const *)labels, npairs, v);
                        FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ENOENT || r == -ENOBUFS);
                        if (r == 0) {
                                FUZZ_ASSERT(t.len > before && memchr(t.buf + before, '\n', t.len - before) == t.buf + t.len - 1);
                                check_value(&t, v);
                        } else {
                                FUZZ_ASSERT(t.len == before);
                        }
                        for (size_t i = 0; i < 2 * npairs; i++)
                                free(labels[i]);
                        free(name);
                }
        }
        check_text(&t);
        prom_text_free(&t);
        return 0;
}
