/* The /metrics endpoint: a small HTTP/1.x server of one exposition (prom.h), driven from its
 * caller's event loop. Nothing here prints. */
#ifndef JITMEM_PROM_SERVER_H
#define JITMEM_PROM_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* HTTP/1.0 and 1.1 on non-blocking sockets, served from one epoll fd that the caller polls.
 * GET and HEAD of /metrics answer the exposition (text/plain; version=0.0.4), of / a page
 * pointing at it; other paths 404, other methods 405, a malformed request 400, another HTTP
 * version 505, a request head over PROM_SERVER_MAX_HEAD bytes 431. A head that can no longer
 * become a request is answered 400 at once rather than waited for: a request line no bytes
 * can make well-formed (HTTP/0.9's "GET /path" without a version, a TLS handshake, garbage:
 * httphead_line_feed), or a head cut short by the client's half-close or EOF. Keep-alive as
 * HTTP/1.1 says (and for 1.0 when asked), up to PROM_SERVER_MAX_REQUESTS requests a
 * connection; a request with a body is answered and the connection closed, its body never read.
 *
 * Limits, so that memory stays bounded and a scrape gets through whatever other clients do: at
 * most PROM_SERVER_MAX_CONNS connections, PROM_SERVER_MAX_PER_PEER of them from one address,
 * each with a PROM_SERVER_MAX_HEAD input buffer. A new connection from an address that holds
 * its share takes the place of one of that address's own; when all slots are taken, of
 * anyone's. The one given up is a connection answered and closing; else the unfinished request
 * head that has waited longest, the slowest; else the connection that has waited longest
 * without a byte of a request. A scrape sends its request as it connects, so a slowloris's
 * heads go before it, and a newcomer has waited least of all: a slowloris cannot keep a scrape
 * out. Only when every candidate is being sent an answer is the newcomer closed at once. A
 * request head must be whole within PROM_SERVER_HEAD_TIMEOUT_NS of its first byte, and a
 * connection waits at most PROM_SERVER_TIMEOUT_NS for a request (an idle keep-alive connection
 * included); that timeout also bounds a whole answer from the moment it is queued: a client
 * that stalls, or reads too slowly, is dropped. An answer holds a reference to the exposition
 * it started with, so at most one exposition per connection, and the current one, are alive.
 * Errors are answered with Connection: close, after which input is read and discarded until
 * the client closes (within the timeout), so the answer is not lost to a reset. SIGPIPE is never raised. */

#define PROM_SERVER_MAX_CONNS 64         /* connections open at once */
#define PROM_SERVER_MAX_PER_PEER 16      /* of them from one address */
#define PROM_SERVER_MAX_HEAD 8192        /* a request's line and headers; longer: 431 */
#define PROM_SERVER_MAX_REQUESTS 100     /* requests answered on one connection */
#define PROM_SERVER_MAX_BODY (64u << 20) /* largest exposition prom_server_set_body takes */
#define PROM_SERVER_TIMEOUT_NS 5000000000ULL      /* waiting for a request; sending an answer */
#define PROM_SERVER_HEAD_TIMEOUT_NS 2000000000ULL /* a request head, from its first byte */

struct prom_server;

/* Counters of what the server did, for tests and for the server's own metrics. */
struct prom_server_stats {
        unsigned live;          /* connections open now */
        unsigned live_max;      /* most open at once */
        uint64_t accepted;      /* connections accepted (refused ones included) */
        uint64_t refused;       /* closed at once: no connection it could replace */
        uint64_t evicted;       /* connections closed to make room for a new one */
        uint64_t timed_out;     /* closed for a request head or a response not done in time */
        uint64_t requests;      /* requests answered, errors included */
        uint64_t errors;        /* answered 4xx or 5xx */
};

/* Parses a listen address: "127.0.0.1:9464", "0.0.0.0:9464", "[::1]:9464", "[::]:9464",
 * "localhost:9464", or ":9464" and "9464", which mean 127.0.0.1: all interfaces only when
 * the address says 0.0.0.0 or [::]. Hosts are numeric (no name lookup but "localhost").
 * Port 0 asks for an ephemeral port. Returns 0, or -EINVAL. */
int prom_server_parse_addr(const char *addr_port, struct sockaddr_storage *ret_addr, socklen_t *ret_len);

/* Opens a listening server on addr_port (see prom_server_parse_addr). Returns 0 with *ret
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

/* Sets the time a connection has to send a whole request head (and no more than
 * PROM_SERVER_HEAD_TIMEOUT_NS from its first byte), and to take a whole answer, before it is
 * closed (0: PROM_SERVER_TIMEOUT_NS, the default). Applies to deadlines set from now on. */
void prom_server_set_timeout_ns(struct prom_server *s, uint64_t ns);

/* Copies the counters into *ret. */
void prom_server_get_stats(const struct prom_server *s, struct prom_server_stats *ret);

/* Closes every connection and the listening socket, and frees s; s may be NULL. */
void prom_server_close(struct prom_server *s);

#endif
