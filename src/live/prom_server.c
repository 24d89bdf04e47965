#include "prom_server.h"
#include "httphead.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define ACCEPTS_PER_SERVICE 16         /* so a flood of connections cannot starve the answers */
#define READ_PER_SERVICE 65536         /* bytes read from one connection per call, so none starves the rest */
#define ACCEPT_PAUSE_NS 100000000ULL   /* out of fds: try accepting again after this */
#define TAG_LISTEN UINT64_MAX
#define TAG_TIMER (UINT64_MAX - 1)

static const char CT_METRICS[] = "text/plain; version=0.0.4; charset=utf-8";
static const char CT_TEXT[] = "text/plain; charset=utf-8";
static const char CT_HTML[] = "text/html; charset=utf-8";
static const char INDEX_HTML[] =
        "<!DOCTYPE html>\n"
        "<html><head><title>jitmem</title></head>\n"
        "<body><h1>jitmem</h1><p><a href=\"/metrics\">Metrics</a></p></body></html>\n";

/* An exposition, shared by the server and the answers still sending it. */
struct prom_body {
        size_t refs;
        size_t len;
        char data[];
};

enum conn_state {
        CONN_FREE,
        CONN_READ,      /* waiting for (the rest of) a request head */
        CONN_WRITE,     /* an answer is being sent */
        CONN_LINGER,    /* answered and shut down for writing; input discarded until EOF */
        CONN_STATE_MAX
};

struct prom_conn {
        enum conn_state state;
        int fd;
        uint32_t gen;          /* tells a stale epoll event from one for the slot's new connection */
        uint32_t events;       /* the epoll interest set now */
        struct in6_addr peer;  /* the client's address (IPv4 as ::ffff:a.b.c.d) */
        char *in;              /* PROM_SERVER_MAX_HEAD bytes */
        size_t inlen, scan;
        struct httphead_line line; /* the request line at the start of in, judged so far */
        char head[512];        /* the status line and headers of the answer being sent */
        size_t hlen, hoff;
        const char *body;
        size_t blen, boff;
        struct prom_body *ref; /* holds body when it is an exposition */
        int close_after;
        unsigned nreq;
        uint64_t deadline;
        uint64_t idle_seq;     /* order in which connections began waiting for a request */
};

struct prom_server {
        int lfd, ep, tfd;
        int port;
        int accept_paused;
        uint64_t accept_resume;
        uint64_t timeout_ns;
        uint64_t seq;
        struct prom_body *body;
        struct prom_server_stats stats;
        struct prom_conn conns[PROM_SERVER_MAX_CONNS];
};

static void body_unref(struct prom_body *b)
{
        if (b && --b->refs == 0)
                free(b);
}

int prom_server_parse_addr(const char *addr_port, struct sockaddr_storage *ret_addr, socklen_t *ret_len)
{
        char host[64];
        const char *port;
        size_t hlen;
        uint64_t pv;
        struct sockaddr_storage ss;
        socklen_t len;

        if (!addr_port)
                return -EINVAL;
        if (addr_port[0] == '[') {
                const char *rb = strchr(addr_port, ']');
                if (!rb || rb[1] != ':')
                        return -EINVAL;
                hlen = (size_t)(rb - addr_port - 1);
                if (hlen == 0 || hlen >= sizeof(host))
                        return -EINVAL;
                memcpy(host, addr_port + 1, hlen);
                host[hlen] = '\0';
                port = rb + 2;
        } else {
                const char *colon = strrchr(addr_port, ':');
                if (colon) {
                        hlen = (size_t)(colon - addr_port);
                        if (hlen >= sizeof(host) || memchr(addr_port, ':', hlen))
                                return -EINVAL;
                        memcpy(host, addr_port, hlen);
                        host[hlen] = '\0';
                        port = colon + 1;
                } else {
                        host[0] = '\0';
                        port = addr_port;
                }
                if (!host[0] || strcmp(host, "localhost") == 0)
                        snprintf(host, sizeof(host), "127.0.0.1");
        }
        if (!*port || util_parse_u64(port, strlen(port), &pv) != (int)strlen(port) || pv > 65535)
                return -EINVAL;
        memset(&ss, 0, sizeof(ss));
        if (addr_port[0] == '[') {
                struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
                if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
                        return -EINVAL;
                a6->sin6_family = AF_INET6;
                a6->sin6_port = htons((uint16_t)pv);
                len = sizeof(*a6);
        } else {
                struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
                if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
                        return -EINVAL;
                a4->sin_family = AF_INET;
                a4->sin_port = htons((uint16_t)pv);
                len = sizeof(*a4);
        }
        *ret_addr = ss;
        *ret_len = len;
        return 0;
}

static int epoll_add(int ep, int fd, uint32_t events, uint64_t tag)
{
        struct epoll_event ev;

        memset(&ev, 0, sizeof(ev));
        ev.events = events;
        ev.data.u64 = tag;
        return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int prom_server_open(const char *addr_port, struct prom_server **ret, char *err, size_t errsize)
{
        struct sockaddr_storage ss;
        socklen_t len;
        struct prom_server *s;
        int one = 1, r;
        const char *what = "cannot listen on";

        r = prom_server_parse_addr(addr_port, &ss, &len);
        if (r < 0) {
                snprintf(err, errsize, "bad listen address %s (expected HOST:PORT, :PORT or [V6]:PORT)",
                         addr_port ? addr_port : "(null)");
                return r;
        }
        s = calloc(1, sizeof(*s));
        if (!s) {
                snprintf(err, errsize, "out of memory");
                return -ENOMEM;
        }
        s->ep = s->tfd = -1;
        s->timeout_ns = PROM_SERVER_TIMEOUT_NS;
        for (size_t i = 0; i < PROM_SERVER_MAX_CONNS; i++)
                s->conns[i].fd = -1;
        s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s->lfd < 0)
                goto fail;
        setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(s->lfd, (struct sockaddr *)&ss, len) < 0 || listen(s->lfd, 128) < 0)
                goto fail;
        len = sizeof(ss);
        if (getsockname(s->lfd, (struct sockaddr *)&ss, &len) < 0)
                goto fail;
        s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
        what = "cannot set up the server for";
        s->ep = epoll_create1(EPOLL_CLOEXEC);
        if (s->ep < 0)
                goto fail;
        s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (s->tfd < 0)
                goto fail;
        r = epoll_add(s->ep, s->lfd, EPOLLIN, TAG_LISTEN);
        if (r == 0)
                r = epoll_add(s->ep, s->tfd, EPOLLIN, TAG_TIMER);
        if (r < 0) {
                errno = -r;
                goto fail;
        }
        *ret = s;
        return 0;
fail:
        r = -errno;
        snprintf(err, errsize, "%s %s: %s", what, addr_port, util_strerror(r));
        prom_server_close(s);
        return r;
}

int prom_server_port(const struct prom_server *s)
{
        return s->port;
}

int prom_server_fd(const struct prom_server *s)
{
        return s->ep;
}

void prom_server_set_timeout_ns(struct prom_server *s, uint64_t ns)
{
        s->timeout_ns = ns ? ns : PROM_SERVER_TIMEOUT_NS;
}

void prom_server_get_stats(const struct prom_server *s, struct prom_server_stats *ret)
{
        *ret = s->stats;
}

int prom_server_set_body(struct prom_server *s, const char *text, size_t len)
{
        struct prom_body *b;

        if (len > PROM_SERVER_MAX_BODY)
                return -E2BIG;
        b = malloc(sizeof(*b) + (len ? len : 1));
        if (!b)
                return -ENOMEM;
        b->refs = 1;
        b->len = len;
        if (len)
                memcpy(b->data, text, len);
        body_unref(s->body);
        s->body = b;
        return 0;
}

static void conn_close(struct prom_server *s, struct prom_conn *c)
{
        epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
        free(c->in);
        body_unref(c->ref);
        c->in = NULL;
        c->ref = NULL;
        c->fd = -1;
        c->state = CONN_FREE;
        c->gen++;
        s->stats.live--;
}

static uint64_t conn_tag(const struct prom_server *s, const struct prom_conn *c)
{
        return (uint64_t)c->gen << 32 | (uint64_t)(c - s->conns);
}

static void conn_want(struct prom_server *s, struct prom_conn *c, uint32_t events)
{
        struct epoll_event ev;

        if (c->events == events)
                return;
        memset(&ev, 0, sizeof(ev));
        ev.events = events;
        ev.data.u64 = conn_tag(s, c);
        if (epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev) == 0)
                c->events = events;
}

static const char *reason(int status)
{
        switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 431: return "Request Header Fields Too Large";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Error";
        }
}

/* The Date header an origin server must send, spelled without the locale. */
static void http_date(char *buf, size_t size)
{
        static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        time_t now = time(NULL);
        struct tm tm;

        gmtime_r(&now, &tm);
        snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
                 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

struct answer {
        int status;
        const char *ctype;
        const char *body;
        size_t blen;
        struct prom_body *ref; /* a reference the connection takes over */
        int head_only;
        int keep_alive_header; /* an HTTP/1.0 client asked for keep-alive */
        const char *extra;     /* more header lines, each ending in CRLF */
};

static void conn_answer(struct prom_server *s, struct prom_conn *c, const struct answer *a, uint64_t now)
{
        char date[64];
        int n;

        http_date(date, sizeof(date));
        n = snprintf(c->head, sizeof(c->head),
                     "HTTP/1.1 %d %s\r\nDate: %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s%s\r\n",
                     a->status, reason(a->status), date, a->ctype, a->blen,
                     c->close_after ? "Connection: close\r\n" : a->keep_alive_header ? "Connection: keep-alive\r\n" : "",
                     a->extra ? a->extra : "");
        c->hlen = n > 0 && (size_t)n < sizeof(c->head) ? (size_t)n : 0;
        c->hoff = 0;
        c->body = a->head_only ? NULL : a->body;
        c->blen = a->head_only ? 0 : a->blen;
        c->boff = 0;
        c->ref = a->ref;
        c->state = CONN_WRITE;
        c->deadline = now + s->timeout_ns;
        c->nreq++;
        s->stats.requests++;
        if (a->status >= 400)
                s->stats.errors++;
}

static void conn_error(struct prom_server *s, struct prom_conn *c, int status, uint64_t now)
{
        struct answer a;

        memset(&a, 0, sizeof(a));
        a.status = status;
        a.ctype = CT_TEXT;
        a.body = status == 431   ? "request header fields too large\n"
                 : status == 505 ? "HTTP version not supported\n"
                                 : "bad request\n";
        a.blen = strlen(a.body);
        c->close_after = 1;
        conn_answer(s, c, &a, now);
}

/* A request's head, and what its answer depends on. */
struct request {
        struct httphead h;
        int want_close, want_keep;  /* Connection: close, keep-alive */
        int has_body;               /* a body follows (never read) */
        const char *path;           /* the target's path, its query and fragment left out */
        size_t plen;
};

/* The header fields the answer depends on. Returns 0, or -EINVAL for a 400: a Content-Length
 * that is not a number, or in HTTP/1.1 not exactly one Host (RFC 9112 3.2). */
static int request_fields(struct request *q)
{
        for (size_t k = 0; k < q->h.nfields; k++) {
                const struct httphead_field *f = &q->h.fields[k];
                if (httphead_field_is(f, "Connection")) {
                        q->want_close |= httphead_list_has(f->value, f->value_len, "close");
                        q->want_keep |= httphead_list_has(f->value, f->value_len, "keep-alive");
                } else if (httphead_field_is(f, "Content-Length")) {
                        uint64_t cl;
                        if (util_parse_u64(f->value, f->value_len, &cl) != (int)f->value_len)
                                return -EINVAL;
                        q->has_body |= cl > 0;
                } else if (httphead_field_is(f, "Transfer-Encoding")) {
                        q->has_body = 1;
                }
        }
        if (q->h.minor >= 1 && httphead_count(&q->h, "Host") != 1)
                return -EINVAL;
        return 0;
}

/* The path of the target, in origin-form or absolute-form (RFC 9112 3.2.2: http://host/path),
 * without its query or fragment. Returns 0, or -EINVAL for a 400. */
static int request_path(struct request *q)
{
        const char *target = q->h.target;
        size_t tlen = q->h.target_len;

        q->path = target;
        q->plen = tlen;
        if ((tlen >= 7 && strncasecmp(target, "http://", 7) == 0) ||
            (tlen >= 8 && strncasecmp(target, "https://", 8) == 0)) {
                const char *auth = memchr(target, '/', tlen) + 2;
                const char *slash = memchr(auth, '/', (size_t)(target + tlen - auth));
                q->path = slash ? slash : "/";
                q->plen = slash ? (size_t)(target + tlen - slash) : 1;
        }
        if (q->path[0] != '/')
                return -EINVAL;
        for (size_t k = 0; k < q->plen; k++)
                if (q->path[k] == '?' || q->path[k] == '#') {
                        q->plen = k;
                        break;
                }
        return 0;
}

/* Whether the connection ends after this answer: as HTTP/1.1 says (for 1.0, unless asked to keep
 * it), and always after a request with a body, which is not read (answer, then close, rather
 * than find where it ends), or the last request a connection may make. */
static void request_close_after(struct prom_conn *c, const struct request *q, struct answer *a)
{
        if (q->h.minor == 0)
                c->close_after = !q->want_keep || q->want_close;
        else
                c->close_after = q->want_close;
        c->close_after |= q->has_body || c->nreq + 1 >= PROM_SERVER_MAX_REQUESTS;
        a->keep_alive_header = q->h.minor == 0 && !c->close_after;
}

/* The answer to a well-formed request: the exposition at /metrics (a reference to it taken for a
 * GET), the index page at /, 404 elsewhere, 405 for a method but GET and HEAD, 503 before the
 * first exposition. */
static void route(struct prom_server *s, const struct request *q, struct answer *a)
{
        int head_only = q->h.method_len == 4 && memcmp(q->h.method, "HEAD", 4) == 0;
        int metrics = q->plen == 8 && memcmp(q->path, "/metrics", 8) == 0;

        a->head_only = head_only;
        a->ctype = CT_TEXT;
        if (!metrics && !(q->plen == 1 && q->path[0] == '/')) {
                a->status = 404;
                a->body = "not found: the figures are at /metrics\n";
        } else if (!head_only && !(q->h.method_len == 3 && memcmp(q->h.method, "GET", 3) == 0)) {
                a->status = 405;
                a->body = "method not allowed\n";
                a->extra = "Allow: GET, HEAD\r\n";
        } else if (!metrics) {
                a->status = 200;
                a->ctype = CT_HTML;
                a->body = INDEX_HTML;
        } else if (!s->body) {
                a->status = 503;
                a->body = "no figures yet: the first sample has not been taken\n";
        } else {
                a->status = 200;
                a->ctype = CT_METRICS;
                a->body = s->body->data;
                a->blen = s->body->len;
                if (!head_only) {
                        a->ref = s->body;
                        s->body->refs++;
                }
        }
        if (a->status != 200 || !metrics)
                a->blen = strlen(a->body);
}

/* Answers the request whose head is c->in[0..end) and drops it from the buffer. */
static void conn_request(struct prom_server *s, struct prom_conn *c, size_t end, uint64_t now)
{
        struct request q;
        struct answer a;
        int r;

        memset(&q, 0, sizeof(q));
        memset(&a, 0, sizeof(a));
        r = httphead_parse_request(c->in, end, &q.h);
        if (r == -EPROTONOSUPPORT) {
                conn_error(s, c, 505, now);
        } else if (r < 0 || request_fields(&q) < 0 || request_path(&q) < 0) {
                conn_error(s, c, 400, now);
        } else {
                request_close_after(c, &q, &a);
                route(s, &q, &a);
                conn_answer(s, c, &a, now);
        }
        memmove(c->in, c->in + end, c->inlen - end);
        c->inlen -= end;
        c->scan = 0;
        memset(&c->line, 0, sizeof(c->line));
}

/* The length of the complete request head at the start of c->in, or 0 while it is not all
 * there. Blank lines before a request line are skipped (RFC 9112 2.2). */
static size_t conn_head_end(struct prom_conn *c)
{
        size_t k = 0, i;

        while (k < c->inlen && (c->in[k] == '\r' || c->in[k] == '\n'))
                k++;
        if (k) {
                memmove(c->in, c->in + k, c->inlen - k);
                c->inlen -= k;
                c->scan = 0;
                memset(&c->line, 0, sizeof(c->line));
        }
        for (i = c->scan; i < c->inlen; i++) {
                if (c->in[i] != '\n')
                        continue;
                if (i + 1 < c->inlen && c->in[i + 1] == '\n')
                        return i + 2;
                if (i + 2 < c->inlen && c->in[i + 1] == '\r' && c->in[i + 2] == '\n')
                        return i + 3;
        }
        c->scan = c->inlen > 2 ? c->inlen - 2 : 0;
        return 0;
}

/* Sends what it can of the answer. Returns 1 when all is sent, 0 when the socket is full,
 * -errno when the peer is gone. */
static int conn_flush(struct prom_conn *c)
{
        while (c->hoff < c->hlen || c->boff < c->blen) {
                struct iovec iov[2];
                struct msghdr m;
                size_t n = 0;
                ssize_t w;

                if (c->hoff < c->hlen)
                        iov[n++] = (struct iovec){ c->head + c->hoff, c->hlen - c->hoff };
                if (c->boff < c->blen)
                        iov[n++] = (struct iovec){ (void *)(c->body + c->boff), c->blen - c->boff };
                memset(&m, 0, sizeof(m));
                m.msg_iov = iov;
                m.msg_iovlen = n;
                w = sendmsg(c->fd, &m, MSG_NOSIGNAL);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return 0;
                        return -errno;
                }
                size_t hw = (size_t)w < c->hlen - c->hoff ? (size_t)w : c->hlen - c->hoff;
                c->hoff += hw;
                c->boff += (size_t)w - hw;
        }
        return 1;
}

/* One call's work on a connection: what conn_work returns, and the bound on what it reads. */
struct conn_round {
        int answered;          /* requests answered */
        size_t received;       /* bytes read, up to READ_PER_SERVICE */
};

/* A recv() that brought no bytes (n <= 0): returns 1 to try again (EINTR), else 0, having
 * asked for input when the socket is drained, or closed the connection at EOF or an error. */
static int conn_recv_none(struct prom_server *s, struct prom_conn *c, ssize_t n)
{
        if (n < 0 && errno == EINTR)
                return 1;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                conn_want(s, c, EPOLLIN);
        else
                conn_close(s, c);
        return 0;
}

/* The first byte of a request head is in: the whole head must follow within
 * PROM_SERVER_HEAD_TIMEOUT_NS of it, and the connection's time waiting for it is not
 * lengthened. */
static void conn_head_begins(struct prom_conn *c, uint64_t now)
{
        if (now + PROM_SERVER_HEAD_TIMEOUT_NS < c->deadline)
                c->deadline = now + PROM_SERVER_HEAD_TIMEOUT_NS;
}

/* CONN_WRITE: sends what the socket takes; once the answer is all sent, waits for the next
 * request, or lingers after an answer that ends the connection. Returns 1 to go on with the
 * connection's new state, 0 to stop for now. */
static int conn_write_step(struct prom_server *s, struct prom_conn *c, uint64_t now)
{
        int r = conn_flush(c);

        if (r < 0) {
                conn_close(s, c);
                return 0;
        }
        if (r == 0) {
                conn_want(s, c, EPOLLOUT);
                return 0;
        }
        body_unref(c->ref);
        c->ref = NULL;
        c->body = NULL;
        c->idle_seq = ++s->seq;
        c->deadline = now + s->timeout_ns;
        if (c->close_after) {
                /* Closing with unread input would reset the connection and could destroy the
                 * answer in flight: shut down the sending side and drain until the client
                 * closes. */
                shutdown(c->fd, SHUT_WR);
                c->state = CONN_LINGER;
        } else {
                c->state = CONN_READ;
                if (c->inlen)
                        conn_head_begins(c, now); /* pipelined */
        }
        return 1;
}

/* CONN_READ: answers a complete request head in the buffer; 400 at once for one that cannot
 * become a request (its line cannot be one, or the client has sent all it will), 431 for one too
 * long; else reads more, up to the round's bound. Returns 1 to go on, 0 to stop for now. */
static int conn_read_step(struct prom_server *s, struct prom_conn *c, uint64_t now, struct conn_round *w)
{
        size_t end = conn_head_end(c);
        ssize_t n;

        if (end) {
                conn_request(s, c, end, now);
                w->answered++;
                return 1;
        }
        if (httphead_line_feed(&c->line, c->in, c->inlen) < 0) {
                /* HTTP/0.9's "GET /path", a TLS handshake, garbage: waiting for more is no use */
                conn_error(s, c, 400, now);
                w->answered++;
                return 1;
        }
        if (c->inlen >= PROM_SERVER_MAX_HEAD) {
                conn_error(s, c, 431, now);
                w->answered++;
                return 1;
        }
        /* Nothing complete is left in the buffer here, so stopping leaves no request that only a
         * new event would bring back. */
        if (w->received >= READ_PER_SERVICE) {
                conn_want(s, c, EPOLLIN);
                return 0;
        }
        n = recv(c->fd, c->in + c->inlen, PROM_SERVER_MAX_HEAD - c->inlen, 0);
        if (n == 0 && c->inlen > 0) {
                /* a half-close in the middle of a head: the client can still read the answer */
                conn_error(s, c, 400, now);
                w->answered++;
                return 1;
        }
        if (n <= 0)
                return conn_recv_none(s, c, n);
        if (c->inlen == 0)
                conn_head_begins(c, now);
        c->inlen += (size_t)n;
        w->received += (size_t)n;
        return 1;
}

/* CONN_LINGER: reads and discards input until the client closes, up to the round's bound.
 * Returns 1 to go on, 0 to stop for now. */
static int conn_linger_step(struct prom_server *s, struct prom_conn *c, struct conn_round *w)
{
        char sink[4096];
        ssize_t n = recv(c->fd, sink, sizeof(sink), 0);

        if (n <= 0)
                return conn_recv_none(s, c, n);
        w->received += (size_t)n;
        if (w->received < READ_PER_SERVICE)
                return 1;
        conn_want(s, c, EPOLLIN);
        return 0;
}

/* Moves a connection along as far as it can go without blocking: answers every complete
 * request it holds, sends, reads. Returns the number of requests answered. */
static int conn_work(struct prom_server *s, struct prom_conn *c, uint64_t now)
{
        struct conn_round w = { 0, 0 };
        int more = 1;

        while (more) {
                switch (c->state) {
                case CONN_WRITE: more = conn_write_step(s, c, now); break;
                case CONN_READ: more = conn_read_step(s, c, now, &w); break;
                case CONN_LINGER: more = conn_linger_step(s, c, &w); break;
                case CONN_FREE:
                case CONN_STATE_MAX: more = 0; break;
                }
        }
        return w.answered;
}

/* The client's address, IPv4 written as IPv4-mapped IPv6, so that one comparison serves both. */
static void peer_of(const struct sockaddr_storage *ss, struct in6_addr *ret)
{
        memset(ret, 0, sizeof(*ret));
        if (ss->ss_family == AF_INET) {
                ret->s6_addr[10] = ret->s6_addr[11] = 0xff;
                memcpy(&ret->s6_addr[12], &((const struct sockaddr_in *)ss)->sin_addr, 4);
        } else if (ss->ss_family == AF_INET6) {
                *ret = ((const struct sockaddr_in6 *)ss)->sin6_addr;
        }
}

/* How readily a connection is given up for a newcomer, most readily first: 0 answered and
 * closing (CONN_LINGER), 1 in the middle of a request head, 2 waiting without a byte of one; 3
 * never (free, or being sent an answer). */
static int expendable(const struct prom_conn *c)
{
        if (c->state == CONN_LINGER)
                return 0;
        if (c->state == CONN_READ)
                return c->inlen > 0 ? 1 : 2;
        return 3;
}

/* The connection to give up for a newcomer, among those from peer (NULL: among all): one
 * answered and closing first; else the unfinished head that has waited longest, the slowest
 * (a client that sends its request as it connects never waits long); else the connection that
 * has waited longest without a byte of a request. A newcomer has waited least of all. NULL when
 * every one is being sent an answer, which PROM_SERVER_TIMEOUT_NS bounds. */
static struct prom_conn *victim(struct prom_server *s, const struct in6_addr *peer)
{
        struct prom_conn *best = NULL;
        int best_rank = 3;

        for (size_t i = 0; i < PROM_SERVER_MAX_CONNS; i++) {
                struct prom_conn *c = &s->conns[i];
                int rank = expendable(c);

                if (rank == 3 || (peer && memcmp(&c->peer, peer, sizeof(*peer)) != 0))
                        continue;
                if (rank < best_rank || (rank == best_rank && c->idle_seq < best->idle_seq)) {
                        best = c;
                        best_rank = rank;
                }
        }
        return best;
}

/* A slot for a new connection from peer: a free one, unless peer holds
 * PROM_SERVER_MAX_PER_PEER connections already; then one of peer's own given up for it, or,
 * when every slot is taken, anyone's (victim). NULL when none can be given up. */
static struct prom_conn *slot_for(struct prom_server *s, const struct in6_addr *peer)
{
        struct prom_conn *free_slot = NULL, *c;
        unsigned mine = 0;

        for (size_t i = 0; i < PROM_SERVER_MAX_CONNS; i++) {
                c = &s->conns[i];
                if (c->state == CONN_FREE)
                        free_slot = free_slot ? free_slot : c;
                else
                        mine += memcmp(&c->peer, peer, sizeof(*peer)) == 0;
        }
        if (mine < PROM_SERVER_MAX_PER_PEER && free_slot)
                return free_slot;
        c = victim(s, mine >= PROM_SERVER_MAX_PER_PEER ? peer : NULL);
        if (c) {
                conn_close(s, c);
                s->stats.evicted++;
        }
        return c;
}

static void pause_accepting(struct prom_server *s, uint64_t now)
{
        struct epoll_event ev;

        memset(&ev, 0, sizeof(ev));
        ev.data.u64 = TAG_LISTEN;
        if (epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lfd, &ev) == 0) {
                s->accept_paused = 1;
                s->accept_resume = now + ACCEPT_PAUSE_NS;
        }
}

static int accept_some(struct prom_server *s, uint64_t now)
{
        int answered = 0;

        for (int k = 0; k < ACCEPTS_PER_SERVICE; k++) {
                struct sockaddr_storage ss;
                socklen_t sl = sizeof(ss);
                struct in6_addr peer;
                struct prom_conn *c;
                int fd;

                memset(&ss, 0, sizeof(ss)); /* a family of 0 should no address come back */
                fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

                if (fd < 0) {
                        if (errno == EINTR || errno == ECONNABORTED)
                                continue;
                        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
                                pause_accepting(s, now); /* else the listening socket stays readable */
                        break;
                }
                s->stats.accepted++;
                peer_of(&ss, &peer);
                c = slot_for(s, &peer);
                if (!c || !(c->in = malloc(PROM_SERVER_MAX_HEAD))) {
                        close(fd);
                        s->stats.refused++;
                        continue;
                }
                c->fd = fd;
                c->peer = peer;
                c->state = CONN_READ;
                c->events = EPOLLIN;
                c->inlen = c->scan = 0;
                memset(&c->line, 0, sizeof(c->line));
                c->hlen = c->hoff = c->blen = c->boff = 0;
                c->body = NULL;
                c->close_after = 0;
                c->nreq = 0;
                c->idle_seq = ++s->seq;
                c->deadline = now + s->timeout_ns;
                if (epoll_add(s->ep, fd, EPOLLIN, conn_tag(s, c)) < 0) {
                        free(c->in);
                        c->in = NULL;
                        c->state = CONN_FREE;
                        c->fd = -1;
                        close(fd);
                        s->stats.refused++;
                        continue;
                }
                s->stats.live++;
                if (s->stats.live > s->stats.live_max)
                        s->stats.live_max = s->stats.live;
                /* the request is often there already */
                answered += conn_work(s, c, now);
        }
        return answered;
}

/* Arms the timer for the earliest deadline, so that the epoll fd wakes the caller for it. */
static void arm_timer(struct prom_server *s, uint64_t now)
{
        uint64_t first = UINT64_MAX;
        struct itimerspec its;

        for (size_t i = 0; i < PROM_SERVER_MAX_CONNS; i++)
                if (s->conns[i].state != CONN_FREE && s->conns[i].deadline < first)
                        first = s->conns[i].deadline;
        if (s->accept_paused && s->accept_resume < first)
                first = s->accept_resume;
        memset(&its, 0, sizeof(its));
        if (first != UINT64_MAX) {
                uint64_t rel = first > now ? first - now : 1;
                its.it_value.tv_sec = (time_t)(rel / 1000000000ULL);
                its.it_value.tv_nsec = (long)(rel % 1000000000ULL);
        }
        timerfd_settime(s->tfd, 0, &its, NULL);
}

int prom_server_service(struct prom_server *s, uint64_t now_ns)
{
        struct epoll_event evs[PROM_SERVER_MAX_CONNS + 2];
        uint64_t expirations;
        int n, answered = 0;

        while (read(s->tfd, &expirations, sizeof(expirations)) < 0 && errno == EINTR)
                ;
        if (s->accept_paused && now_ns >= s->accept_resume) {
                struct epoll_event ev;
                memset(&ev, 0, sizeof(ev));
                ev.events = EPOLLIN;
                ev.data.u64 = TAG_LISTEN;
                if (epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lfd, &ev) == 0)
                        s->accept_paused = 0;
        }
        n = epoll_wait(s->ep, evs, (int)ARRAY_SIZE(evs), 0);
        if (n < 0 && errno != EINTR)
                return -errno;
        for (int k = 0; k < n; k++) {
                uint64_t tag = evs[k].data.u64;
                struct prom_conn *c;

                if (tag == TAG_LISTEN) {
                        answered += accept_some(s, now_ns);
                        continue;
                }
                if (tag == TAG_TIMER || (tag & 0xffffffffu) >= PROM_SERVER_MAX_CONNS)
                        continue;
                c = &s->conns[tag & 0xffffffffu];
                if (c->state == CONN_FREE || c->gen != (uint32_t)(tag >> 32))
                        continue; /* closed earlier in this batch */
                answered += conn_work(s, c, now_ns);
        }
        for (size_t i = 0; i < PROM_SERVER_MAX_CONNS; i++) {
                struct prom_conn *c = &s->conns[i];
                if (c->state != CONN_FREE && now_ns >= c->deadline) {
                        if (c->state != CONN_LINGER)
                                s->stats.timed_out++;
                        conn_close(s, c);
                }
        }
        arm_timer(s, now_ns);
        return answered;
}

void prom_server_close(struct prom_server *s)
{
        if (!s)
                return;
        for (size_t i = 0; i < PROM_SERVER_MAX_CONNS; i++)
                if (s->conns[i].state != CONN_FREE)
                        conn_close(s, &s->conns[i]);
        if (s->lfd >= 0)
                close(s->lfd);
        if (s->tfd >= 0)
                close(s->tfd);
        if (s->ep >= 0)
                close(s->ep);
        body_unref(s->body);
        free(s);
}
