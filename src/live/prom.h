/* Prometheus exposition: the text format 0.0.4 built in a bounded buffer, a small /metrics
 * HTTP server driven from its caller's event loop, and node_exporter textfiles written
 * atomically. Nothing here prints. */
#ifndef JITMEM_PROM_H
#define JITMEM_PROM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* ---- the exposition text ---- */

#define PROM_TEXT_MAX_DEFAULT (4u << 20) /* the buffer's cap when prom_text_init is given 0 */
#define PROM_NAME_MAX 200                /* longest metric or label name accepted, in bytes */

/* The text being built. buf holds len bytes of whole lines (not NUL-terminated; len may be 0
 * and buf NULL). truncated is set once a line did not fit under max, or memory ran out: from
 * then on every call fails with -ENOBUFS and adds nothing, so the text ends on a whole line
 * and never holds a family whose lines were cut in half. The other fields are private. */
struct prom_text {
        char *buf;
        size_t len, cap, max;
        int truncated;
        char family[PROM_NAME_MAX + 1]; /* the family samples may be added to now */
        size_t *families;               /* offsets in buf of each family's name, on its TYPE line */
        size_t nfamilies, families_cap;
};

/* Prepares an empty text that will hold at most max bytes (0: PROM_TEXT_MAX_DEFAULT).
 * Allocates nothing until the first line; prom_text_free releases it. */
void prom_text_init(struct prom_text *t, size_t max);

/* Frees the buffer; t may be NULL. t can be reused after prom_text_init. */
void prom_text_free(struct prom_text *t);

/* Empties the text for the next exposition and clears truncated; keeps the allocation. */
void prom_text_reset(struct prom_text *t);

/* Starts a family: a "# HELP" line (left out when help is NULL; backslashes and newlines
 * escaped, bytes that are not UTF-8 replaced by U+FFFD) and a "# TYPE" line. type is
 * "gauge", "counter" or "untyped"; a counter's name ends in "_total", and nothing else's does.
 * The samples of a family follow it with no other family between: prom_sample accepts only
 * the name of the family started last, and each name may start one family per text.
 * Returns 0, -EINVAL (a bad name or type), -EEXIST (that family was started already),
 * -ENOBUFS (over the cap; truncated is set), -ENOMEM. */
int prom_family(struct prom_text *t, const char *name, const char *type, const char *help);

/* Adds one sample line of the current family: name{k="v",...} value. labels holds npairs
 * pairs (key, value, key, value, ...); keys match [a-zA-Z_][a-zA-Z0-9_]*, do not start with
 * "__" and are not repeated; values are escaped (backslash, double quote, newline), with any
 * bytes that are not UTF-8 replaced by U+FFFD, so a process name from the kernel can be
 * passed as it is. The value is printed in the shortest form that reads back exactly (every
 * integer up to 2^53 in full), NaN and infinities as "NaN", "+Inf", "-Inf". The caller keeps
 * label sets distinct within a family: a repeated set is not detected.
 * Returns 0, -EINVAL (bad label name or NULL value), -ENOENT (name is not the current
 * family), -ENOBUFS (over the cap; truncated is set), -ENOMEM. */
int prom_sample(struct prom_text *t, const char *name, const char *const *labels, size_t npairs, double value);

/* Whether s is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*, at most PROM_NAME_MAX bytes),
 * or a valid label name (no ':', not starting with "__"). Return 1 or 0. */
int prom_valid_metric_name(const char *s);
int prom_valid_label_name(const char *s);

/* Writes v as the exposition spells it into buf (at least 32 bytes); returns buf. */
char *prom_format_value(double v, char *buf, size_t size);

/* ---- the /metrics endpoint ----
 *
 * HTTP/1.0 and 1.1 on non-blocking sockets, served from one epoll fd that the caller polls.
 * GET and HEAD of /metrics answer the exposition (text/plain; version=0.0.4), of / a page
 * pointing at it; other paths 404, other methods 405, a malformed request 400, another HTTP
 * version 505, a request head over PROM_SERVER_MAX_HEAD bytes 431. Keep-alive as HTTP/1.1
 * says (and for 1.0 when asked), up to PROM_SERVER_MAX_REQUESTS requests a connection; a
 * request with a body is answered and the connection closed, its body never read.
 *
 * Limits, so that memory stays bounded whatever clients do: at most PROM_SERVER_MAX_CONNS
 * connections, each with a PROM_SERVER_MAX_HEAD input buffer. When all are taken, a new
 * connection replaces the one that has waited longest without a byte of a request (or is
 * closing); when every one is in the middle of a request or an answer, the newcomer is
 * closed at once. One timeout (PROM_SERVER_TIMEOUT_NS) bounds a whole request head from the
 * moment the connection starts waiting for it (an idle keep-alive connection included), and a
 * whole answer from the moment it is queued: a client that stalls, or reads too slowly, is
 * dropped. An answer holds a reference to the exposition it started with, so at most one
 * exposition per connection, and the current one, are alive. Errors are answered with
 * Connection: close, after which input is read and discarded until the client closes (within
 * the timeout), so the answer is not lost to a reset. SIGPIPE is never raised. */

#define PROM_SERVER_MAX_CONNS 64         /* connections open at once */
#define PROM_SERVER_MAX_HEAD 8192        /* a request's line and headers; longer: 431 */
#define PROM_SERVER_MAX_REQUESTS 100     /* requests answered on one connection */
#define PROM_SERVER_MAX_BODY (64u << 20) /* largest exposition prom_server_set_body takes */
#define PROM_SERVER_TIMEOUT_NS 5000000000ULL

struct prom_server;

/* Counters of what the server did, for tests and for the server's own metrics. */
struct prom_server_stats {
        unsigned live;          /* connections open now */
        unsigned live_max;      /* most open at once */
        uint64_t accepted;      /* connections accepted (refused ones included) */
        uint64_t refused;       /* closed at once: the table was full of busy connections */
        uint64_t evicted;       /* idle connections closed to make room for a new one */
        uint64_t timed_out;     /* closed for a request head or a response not done in time */
        uint64_t requests;      /* requests answered, errors included */
        uint64_t errors;        /* answered 4xx or 5xx */
};

/* Parses a listen address: "127.0.0.1:9464", "0.0.0.0:9464", "[::1]:9464", "[::]:9464",
 * "localhost:9464", or ":9464" and "9464", which mean 127.0.0.1: all interfaces only when
 * the address says 0.0.0.0 or [::]. Hosts are numeric (no name lookup but "localhost").
 * Port 0 asks for an ephemeral port. Returns 0, or -EINVAL. */
int prom_parse_addr(const char *addr_port, struct sockaddr_storage *ret_addr, socklen_t *ret_len);

/* Opens a listening server on addr_port (see prom_parse_addr). Returns 0 with *ret
 * (prom_server_close), or -errno with a sentence in err: "cannot listen on 127.0.0.1:9464:
 * Address already in use". */
int prom_server_open(const char *addr_port, struct prom_server **ret, char *err, size_t errsize);

/* The port bound (useful after asking for port 0). */
int prom_server_port(const struct prom_server *s);

/* An fd (epoll) that becomes readable when the server has work: a connection, a request, a
 * socket ready for more of a response, or a timeout due (an internal timer is part of it, so
 * the caller needs no timer of its own for the server). Poll it for POLLIN and then call
 * prom_server_service. Owned by the server. */
int prom_server_fd(const struct prom_server *s);

/* Does all the work ready now without ever blocking: accepts, reads requests, answers them,
 * continues partial writes, closes connections past their deadline. now_ns is the monotonic
 * clock (util_now_ns). Returns the number of requests answered (>= 0), or -errno if the
 * event loop itself failed. */
int prom_server_service(struct prom_server *s, uint64_t now_ns);

/* Serves text[0..len) at /metrics from now on; the server keeps its own copy, and answers
 * under way finish with the text they started with. Until the first call, /metrics answers
 * 503. Returns 0, -E2BIG (over PROM_SERVER_MAX_BODY), -ENOMEM. */
int prom_server_set_body(struct prom_server *s, const char *text, size_t len);

/* Sets the time a connection has to send a whole request head, and to take a whole
 * answer, before it is closed (0: PROM_SERVER_TIMEOUT_NS, the default). Applies to
 * deadlines set from now on. */
void prom_server_set_timeout_ns(struct prom_server *s, uint64_t ns);

/* Copies the counters into *ret. */
void prom_server_get_stats(const struct prom_server *s, struct prom_server_stats *ret);

/* Closes every connection and the listening socket, and frees s; s may be NULL. */
void prom_server_close(struct prom_server *s);

/* ---- node_exporter textfile ---- */

/* Replaces path with text[0..len) atomically: a temporary file in the same directory, named
 * with a leading '.' so that node_exporter's *.prom glob never reads it half written, written
 * fully, fsync'd, made mode 0644 and renamed over path. Returns 0 or -errno; the temporary
 * file is removed on failure. */
int prom_write_textfile(const char *path, const char *text, size_t len);

#endif
