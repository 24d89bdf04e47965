/* One HTTP/1.x message head (RFC 9112): the start line and the header fields of a request or a
 * response, parsed in place from a buffer that holds the whole head (through the blank line
 * that ends it; lines end with CRLF or a bare LF). Shared by the /metrics server, which parses
 * requests, and the load generator, which parses responses. Fields point into the buffer. */
#ifndef JITMEM_HTTPHEAD_H
#define JITMEM_HTTPHEAD_H

#include <stddef.h>

#define HTTPHEAD_MAX_FIELDS 100 /* header fields kept; a head with more is refused */

struct httphead_field {
        const char *name, *value; /* value without the spaces and tabs around it */
        size_t name_len, value_len;
};

struct httphead {
        const char *method, *target; /* a request's */
        size_t method_len, target_len;
        int status;                  /* a response's three-digit status code */
        int major, minor;            /* HTTP/major.minor */
        size_t nfields;
        struct httphead_field fields[HTTPHEAD_MAX_FIELDS];
};

/* Where a request line judged as it arrives has got to (httphead_line_feed). */
enum httphead_line_part {
        HTTPHEAD_LINE_METHOD,
        HTTPHEAD_LINE_TARGET,
        HTTPHEAD_LINE_VERSION,
        HTTPHEAD_LINE_CR,       /* the CR that may come before the LF */
        HTTPHEAD_LINE_DONE,     /* whole and well-formed */
        HTTPHEAD_LINE_PART_MAX
};

/* A request line judged byte by byte as it arrives, so that a server can answer one that can
 * never be well-formed (HTTP/0.9's "GET /path" with no version, a TLS handshake, a binary
 * protocol) at once, rather than wait for a head that will not come. Zeroed to start. */
struct httphead_line {
        size_t pos;                  /* bytes judged so far */
        enum httphead_line_part part;
        size_t method_len, target_len;
};

/* Judges buf[l->pos..len) as the next bytes of the request line that buf starts with (buf
 * holding the same bytes at every call, and more). Returns 1 when the line is whole and
 * well-formed as httphead_parse_request wants it, l->pos then past its LF; 0 while more bytes
 * could still make it so; -EINVAL when no bytes can (again at every later call). Each byte
 * is judged once, whatever the number of calls. */
int httphead_line_feed(struct httphead_line *l, const char *buf, size_t len);

/* Parses a request head: "METHOD SP TARGET SP HTTP/D.D" (a token, then bytes from '!' to '~',
 * with single spaces; the line judged by httphead_line_feed), then the fields. Returns 0; -EINVAL when malformed (answered 400): a
 * field line folded (starting with a space or a tab, RFC 9112 5.2), without a ':', or whose name
 * is not a token; -EPROTONOSUPPORT for a well-formed request of an HTTP other than 1.x (505);
 * -E2BIG for more than HTTPHEAD_MAX_FIELDS fields. ret is written in all cases, whole on 0. */
int httphead_parse_request(const char *buf, size_t len, struct httphead *ret);

/* Parses a response head: "HTTP/1.D SP DDD [SP reason]", then the fields as above. Returns 0,
 * -EINVAL or -E2BIG. */
int httphead_parse_response(const char *buf, size_t len, struct httphead *ret);

/* Whether s[0..n) is a token (RFC 9110 5.6.2: one or more of letters, digits and
 * !#$%&'*+-.^_`|~), as a method and a field name are. Returns 1 or 0. */
int httphead_is_token(const char *s, size_t n);

/* Whether the field is named name (case-insensitively). Returns 1 or 0. */
int httphead_field_is(const struct httphead_field *f, const char *name);

/* The value of the first field named name (case-insensitively) and its length, or NULL. */
const char *httphead_get(const struct httphead *h, const char *name, size_t *ret_len);

/* How many fields are named name (case-insensitively). */
int httphead_count(const struct httphead *h, const char *name);

/* Whether a comma-separated field value lists token, case-insensitively (Connection: close,
 * Transfer-Encoding: chunked). Returns 1 or 0. */
int httphead_list_has(const char *v, size_t len, const char *token);

#endif
