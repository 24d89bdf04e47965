#include "httphead.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

static int tchar(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int httphead_is_token(const char *s, size_t n)
{
        if (n == 0)
                return 0;
        for (size_t i = 0; i < n; i++)
                if (!tchar((unsigned char)s[i]))
                        return 0;
        return 1;
}

/* The line at buf[*pos..len): its length without CR LF; *pos moves past its end. Returns 0 when
 * there is no line end left. */
static int next_line(const char *buf, size_t len, size_t *pos, const char **ret_line, size_t *ret_len)
{
        const char *p = buf + *pos, *eol = memchr(p, '\n', len - *pos);
        size_t n;

        if (!eol)
                return 0;
        n = (size_t)(eol - p);
        if (n && p[n - 1] == '\r')
                n--;
        *ret_line = p;
        *ret_len = n;
        *pos = (size_t)(eol - buf) + 1;
        return 1;
}

/* The field lines from *pos to the blank line. */
static int parse_fields(const char *buf, size_t len, size_t pos, struct httphead *h)
{
        const char *line;
        size_t n;

        while (next_line(buf, len, &pos, &line, &n)) {
                const char *colon, *v;
                size_t nl, vl;

                if (n == 0)
                        return 0;
                colon = memchr(line, ':', n);
                if (line[0] == ' ' || line[0] == '\t' || !colon || colon == line)
                        return -EINVAL;
                nl = (size_t)(colon - line);
                for (size_t k = 0; k < nl; k++)
                        if (!tchar((unsigned char)line[k]))
                                return -EINVAL;
                v = colon + 1;
                vl = n - nl - 1;
                while (vl && (*v == ' ' || *v == '\t')) {
                        v++;
                        vl--;
                }
                while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
                        vl--;
                if (h->nfields == HTTPHEAD_MAX_FIELDS)
                        return -E2BIG;
                h->fields[h->nfields++] = (struct httphead_field){ line, v, nl, vl };
        }
        return -EINVAL; /* no blank line: not a whole head */
}

/* "HTTP/D.D" at p[0..8). */
static int version(const char *p, size_t n, struct httphead *h)
{
        if (n < 8 || memcmp(p, "HTTP/", 5) != 0 || p[5] < '0' || p[5] > '9' || p[6] != '.' || p[7] < '0' ||
            p[7] > '9')
                return -EINVAL;
        h->major = p[5] - '0';
        h->minor = p[7] - '0';
        return 0;
}

/* Whether c can be byte k of "HTTP/D.D" (D a digit). */
static int version_byte(size_t k, unsigned char c)
{
        static const char form[] = "HTTP/D.D";

        return form[k] == 'D' ? c >= '0' && c <= '9' : c == (unsigned char)form[k];
}

int httphead_line_feed(struct httphead_line *l, const char *buf, size_t len)
{
        for (; l->pos < len && l->part != HTTPHEAD_LINE_DONE; l->pos++) {
                unsigned char c = (unsigned char)buf[l->pos];
                size_t vpos;

                switch (l->part) {
                case HTTPHEAD_LINE_METHOD:
                        if (c == ' ' && l->method_len)
                                l->part = HTTPHEAD_LINE_TARGET;
                        else if (tchar(c))
                                l->method_len++;
                        else
                                return -EINVAL;
                        break;
                case HTTPHEAD_LINE_TARGET:
                        if (c == ' ' && l->target_len)
                                l->part = HTTPHEAD_LINE_VERSION;
                        else if (c > 0x20 && c < 0x7f)
                                l->target_len++;
                        else
                                return -EINVAL; /* a line end here is HTTP/0.9's request */
                        break;
                case HTTPHEAD_LINE_VERSION:
                        vpos = l->pos - l->method_len - l->target_len - 2;
                        if (vpos < 8 && version_byte(vpos, c))
                                break;
                        if (vpos == 8 && c == '\r')
                                l->part = HTTPHEAD_LINE_CR;
                        else if (vpos == 8 && c == '\n')
                                l->part = HTTPHEAD_LINE_DONE;
                        else
                                return -EINVAL;
                        break;
                case HTTPHEAD_LINE_CR:
                        if (c != '\n')
                                return -EINVAL;
                        l->part = HTTPHEAD_LINE_DONE;
                        break;
                case HTTPHEAD_LINE_DONE:
                case HTTPHEAD_LINE_PART_MAX:
                        return -EINVAL;
                }
        }
        return l->part == HTTPHEAD_LINE_DONE ? 1 : 0;
}

int httphead_parse_request(const char *buf, size_t len, struct httphead *ret)
{
        struct httphead_line l;
        int r;

        memset(ret, 0, sizeof(*ret));
        memset(&l, 0, sizeof(l));
        if (httphead_line_feed(&l, buf, len) != 1)
                return -EINVAL;
        ret->method = buf;
        ret->method_len = l.method_len;
        ret->target = buf + l.method_len + 1;
        ret->target_len = l.target_len;
        (void)version(buf + l.method_len + l.target_len + 2, 8, ret); /* well-formed: judged above */
        r = parse_fields(buf, len, l.pos, ret);
        if (r < 0)
                return r;
        return ret->major == 1 ? 0 : -EPROTONOSUPPORT;
}

int httphead_parse_response(const char *buf, size_t len, struct httphead *ret)
{
        const char *line;
        size_t n, pos = 0;

        memset(ret, 0, sizeof(*ret));
        if (!next_line(buf, len, &pos, &line, &n))
                return -EINVAL;
        if (version(line, n, ret) < 0 || ret->major != 1 || n < 12 || line[8] != ' ')
                return -EINVAL;
        for (int k = 9; k < 12; k++) {
                if (line[k] < '0' || line[k] > '9')
                        return -EINVAL;
                ret->status = ret->status * 10 + (line[k] - '0');
        }
        if (n > 12 && line[12] != ' ')
                return -EINVAL;
        return parse_fields(buf, len, pos, ret);
}

int httphead_field_is(const struct httphead_field *f, const char *name)
{
        return strlen(name) == f->name_len && strncasecmp(f->name, name, f->name_len) == 0;
}

const char *httphead_get(const struct httphead *h, const char *name, size_t *ret_len)
{
        for (size_t i = 0; i < h->nfields; i++)
                if (httphead_field_is(&h->fields[i], name)) {
                        *ret_len = h->fields[i].value_len;
                        return h->fields[i].value;
                }
        return NULL;
}

int httphead_count(const struct httphead *h, const char *name)
{
        int n = 0;

        for (size_t i = 0; i < h->nfields; i++)
                n += httphead_field_is(&h->fields[i], name);
        return n;
}

int httphead_list_has(const char *v, size_t len, const char *token)
{
        size_t i = 0, tl = strlen(token);

        while (i < len) {
                size_t j, e;
                while (i < len && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
                        i++;
                j = i;
                while (j < len && v[j] != ',')
                        j++;
                e = j;
                while (e > i && (v[e - 1] == ' ' || v[e - 1] == '\t'))
                        e--;
                if (e - i == tl && strncasecmp(v + i, token, tl) == 0)
                        return 1;
                i = j;
        }
        return 0;
}
