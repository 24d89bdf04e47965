/* Unit tests for src/net/httphead.c: request and response heads, well-formed and not (a folded
 * line, a name that is not a token, a missing colon, double spaces, a control byte in the
 * target, HTTP/2, a head cut short, too many fields), LF-only line ends, values trimmed,
 * lookups by name whatever the case, and comma-separated lists; a request line judged as it
 * arrives: refused at the first byte that no well-formed line can have, and in agreement with
 * the parser of whole heads. */
#include "httphead.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int req(const char *s, struct httphead *h)
{
        return httphead_parse_request(s, strlen(s), h);
}

static int resp(const char *s, struct httphead *h)
{
        return httphead_parse_response(s, strlen(s), h);
}

static void test_request(void)
{
        struct httphead h;
        const char *v;
        size_t n;

        CHECK_EQ_INT(req("GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept:  text/plain \t\r\nhost: b\r\n\r\n", &h), 0);
        CHECK(h.method_len == 3 && memcmp(h.method, "GET", 3) == 0);
        CHECK(h.target_len == 12 && memcmp(h.target, "/metrics?x=1", 12) == 0);
        CHECK(h.major == 1 && h.minor == 1);
        CHECK_EQ_INT(h.nfields, 3);
        v = httphead_get(&h, "ACCEPT", &n);
        CHECK(v && n == 10 && memcmp(v, "text/plain", 10) == 0); /* trimmed both sides */
        CHECK_EQ_INT(httphead_count(&h, "Host"), 2);
        CHECK(httphead_get(&h, "Missing", &n) == NULL);
        CHECK(httphead_field_is(&h.fields[0], "hOST"));

        /* LF alone ends lines too; an empty value */
        CHECK_EQ_INT(req("HEAD / HTTP/1.0\nX-Empty:\n\n", &h), 0);
        CHECK(h.minor == 0 && h.nfields == 1 && h.fields[0].value_len == 0);

        /* malformed: 400 */
        CHECK_EQ_INT(req("GET  / HTTP/1.1\r\n\r\n", &h), -EINVAL);        /* two spaces */
        CHECK_EQ_INT(req("GET / HTTP/1.1 \r\n\r\n", &h), -EINVAL);        /* trailing space */
        CHECK_EQ_INT(req("GET /a\x01 HTTP/1.1\r\n\r\n", &h), -EINVAL);    /* control byte */
        CHECK_EQ_INT(req("G(T / HTTP/1.1\r\n\r\n", &h), -EINVAL);         /* not a token */
        CHECK_EQ_INT(req("GET / HTTP/1.x\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(req("GET / FTP/1.1\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(req("GET /\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(req("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(req("GET / HTTP/1.1\r\nNo colon\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(req("GET / HTTP/1.1\r\nBad name: x\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(req("GET / HTTP/1.1\r\n: x\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(req("GET / HTTP/1.1\r\nHost: a\r\n", &h), -EINVAL);  /* no blank line */
        CHECK_EQ_INT(req("", &h), -EINVAL);
        /* another HTTP: 505 */
        CHECK_EQ_INT(req("GET / HTTP/2.0\r\n\r\n", &h), -EPROTONOSUPPORT);

        /* the bound on fields */
        char big[8192];
        size_t len = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\n");
        for (int i = 0; i < HTTPHEAD_MAX_FIELDS; i++)
                len += (size_t)snprintf(big + len, sizeof(big) - len, "X%d: v\r\n", i);
        snprintf(big + len, sizeof(big) - len, "\r\n");
        CHECK_EQ_INT(req(big, &h), 0);
        CHECK_EQ_INT(h.nfields, HTTPHEAD_MAX_FIELDS);
        snprintf(big + len, sizeof(big) - len, "One: more\r\n\r\n");
        CHECK_EQ_INT(req(big, &h), -E2BIG);
}

static void test_response(void)
{
        struct httphead h;
        const char *v;
        size_t n;

        CHECK_EQ_INT(resp("HTTP/1.1 200 OK\r\nContent-Length: 12\r\nConnection: keep-alive, Close\r\n\r\n", &h), 0);
        CHECK_EQ_INT(h.status, 200);
        CHECK_EQ_INT(h.minor, 1);
        v = httphead_get(&h, "connection", &n);
        CHECK(v && httphead_list_has(v, n, "close") && httphead_list_has(v, n, "keep-alive"));
        CHECK(!httphead_list_has(v, n, "keep"));
        CHECK_EQ_INT(resp("HTTP/1.0 404\r\n\r\n", &h), 0); /* no reason phrase */
        CHECK(h.status == 404 && h.minor == 0);
        CHECK_EQ_INT(resp("HTTP/1.1 20 OK\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(resp("HTTP/1.1 2000 OK\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(resp("HTTP/2.0 200 OK\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(resp("HTTP/1.1  200 OK\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(resp("HTTP/1.1 200 OK\r\nbroken\r\n\r\n", &h), -EINVAL);
        CHECK_EQ_INT(resp("ICY 200 OK\r\n\r\n", &h), -EINVAL);
}

static void test_lists(void)
{
        CHECK(httphead_list_has("gzip, chunked", 13, "chunked"));
        CHECK(httphead_list_has(" ,CHUNKED ,", 11, "chunked"));
        CHECK(!httphead_list_has("chunkedx", 8, "chunked"));
        CHECK(!httphead_list_has("", 0, "chunked"));
}

/* Feeds line a byte at a time: returns the number of bytes after which the answer was no
 * longer 0 (the whole length if it never was), and that answer in *ret. Each answer must be
 * the one the same bytes get in one call. */
static size_t feed_bytes(const char *line, size_t len, int *ret)
{
        struct httphead_line l, once;
        size_t n;
        int r = 0;

        memset(&l, 0, sizeof(l));
        for (n = 1; n <= len && r == 0; n++) {
                r = httphead_line_feed(&l, line, n);
                memset(&once, 0, sizeof(once));
                if (httphead_line_feed(&once, line, n) != r) {
                        CHECK(!"byte by byte and at once differ");
                        fprintf(stderr, "  at %zu bytes of \"%s\"\n", n, line);
                }
        }
        *ret = r;
        /* more calls, with more bytes or none, keep the answer */
        if (r != 0) {
                CHECK_EQ_INT(httphead_line_feed(&l, line, n - 1), r);
                CHECK_EQ_INT(httphead_line_feed(&l, line, len), r);
        }
        return n - 1;
}

static void test_line(void)
{
        static const struct {
                const char *line;
                size_t at;  /* bytes after which the answer is known */
                int want;
        } cases[] = {
                { "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 23, 1 },
                { "HEAD / HTTP/1.0\nX: y\n\n", 16, 1 },
                { "GET http://h/metrics?x=%20 HTTP/9.9\r\n", 37, 1 }, /* well-formed; 505 later */
                { "GET /metrics\r\n", 13, -EINVAL },                /* HTTP/0.9: the CR */
                { "GET /metrics\n", 13, -EINVAL },
                { "GET /\n", 6, -EINVAL },
                { "\x16\x03\x01\x02\x00\x01", 1, -EINVAL },         /* a TLS handshake */
                { "\x01garbage\r\n\r\n", 1, -EINVAL },
                { "GET  / HTTP/1.1\r\n", 5, -EINVAL },                /* two spaces */
                { " GET / HTTP/1.1\r\n", 1, -EINVAL },
                { "G(T / HTTP/1.1\r\n", 2, -EINVAL },                 /* not a token */
                { "GET /a\x01 HTTP/1.1\r\n", 7, -EINVAL },           /* a control byte */
                { "GET /\xc3\xa9 HTTP/1.1\r\n", 6, -EINVAL },        /* a byte past '~' */
                { "GET / FTP/1.1\r\n", 7, -EINVAL },
                { "GET / HTTP/1.x\r\n", 14, -EINVAL },
                { "GET / HTTP/1.1 \r\n", 15, -EINVAL },               /* trailing space */
                { "GET / HTTP/1.11\r\n", 15, -EINVAL },
                { "GET / HTTP/1.1\r\r\n", 16, -EINVAL },
                { "GET / HTTP/1.1\rX", 16, -EINVAL },
                { "GET /metr", 9, 0 },                                 /* not known yet */
                { "GET / HTTP/1.1\r", 15, 0 },
                { "", 0, 0 },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *line = cases[i].line;
                int r;
                size_t at = feed_bytes(line, strlen(line), &r);

                if (at != cases[i].at || r != cases[i].want)
                        fprintf(stderr, "  case %zu: %zu bytes, %d\n", i, at, r);
                CHECK_EQ_INT(at, cases[i].at);
                CHECK_EQ_INT(r, cases[i].want);
        }
        /* bytes that are not text: a NUL first */
        int r;
        CHECK_EQ_INT(feed_bytes("\0GET", 4, &r), 1);
        CHECK_EQ_INT(r, -EINVAL);

        /* once whole, pos is past the LF, where the fields begin */
        struct httphead_line l;
        memset(&l, 0, sizeof(l));
        CHECK_EQ_INT(httphead_line_feed(&l, "GET /m HTTP/1.1\r\nHost: x\r\n\r\n", 30), 1);
        CHECK_EQ_INT(l.pos, 17);
        CHECK_EQ_INT(l.method_len, 3);
        CHECK_EQ_INT(l.target_len, 2);

        /* the parser of whole heads judges the line the same way */
        static const char *const lines[] = {
                "GET / HTTP/1.1", "GET / HTTP/2.0", "GET /", "GET / HTTP/1.1 ", "GET  / HTTP/1.1",
                "G@T / HTTP/1.1", "GET /\x7f HTTP/1.1", "GET / HTTP/1.", "GET / HTTP/1.1\r", "x y HTTP/0.0",
        };
        for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
                char head[64];
                struct httphead h;
                int n = snprintf(head, sizeof(head), "%s\r\n\r\n", lines[i]);

                memset(&l, 0, sizeof(l));
                r = httphead_line_feed(&l, head, (size_t)n);
                int p = httphead_parse_request(head, (size_t)n, &h);
                CHECK_EQ_INT(r == 1, p == 0 || p == -EPROTONOSUPPORT);
        }
}

int main(void)
{
        test_request();
        test_response();
        test_lists();
        test_line();
        return unit_finish("test_httphead");
}
