/* Unit tests for src/net/httphead.c: request and response heads, well-formed and not (a folded
 * line, a name that is not a token, a missing colon, double spaces, a control byte in the
 * target, HTTP/2, a head cut short, too many fields), LF-only line ends, values trimmed,
 * lookups by name whatever the case, and comma-separated lists. */
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

int main(void)
{
        test_request();
        test_response();
        test_lists();
        return unit_finish("test_httphead");
}
