#include "loadgen.h"
#include "httphead.h"
#include "util.h"

#include <jansson.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <unistd.h>

#define READ_BUF 65536
#define RECONNECT_NS 50000000ULL

/* ---- histogram: values below 128 us exactly, then 64 steps per power of two ---- */

static size_t bucket_of(uint64_t us)
{
        if (us < 128)
                return (size_t)us;
        if (us >= (1ULL << 37))
                us = (1ULL << 37) - 1;
        int e = 63 - __builtin_clzll(us); /* 7..36 */
        int shift = e - 6;
        uint64_t mant = us >> shift;      /* 64..127 */
        return 128 + (size_t)(e - 7) * 64 + (size_t)(mant - 64);
}

static double bucket_mid(size_t b)
{
        if (b < 128)
                return (double)b;
        size_t k = b - 128;
        int e = (int)(k / 64) + 7, shift = e - 6;
        uint64_t lo = (uint64_t)(k % 64 + 64) << shift;
        return (double)lo + (double)(1ULL << shift) / 2.0;
}

void load_hist_add(struct load_hist *h, uint64_t us)
{
        h->counts[bucket_of(us)]++;
        h->total++;
        h->sum_us += (double)us;
        if (us > h->max_us)
                h->max_us = us;
}

double load_hist_quantile(const struct load_hist *h, double q)
{
        uint64_t rank, seen = 0;

        if (h->total == 0)
                return 0;
        if (q >= 1)
                return (double)h->max_us;
        rank = (uint64_t)(q * (double)h->total);
        if (rank >= h->total)
                rank = h->total - 1;
        for (size_t b = 0; b < LOAD_HIST_BUCKETS; b++) {
                seen += h->counts[b];
                if (seen > rank) {
                        double m = bucket_mid(b);
                        return m > (double)h->max_us ? (double)h->max_us : m;
                }
        }
        return (double)h->max_us;
}

/* ---- URL and requests ---- */

int load_parse_url(const char *url, struct load_target *ret)
{
        struct load_target t;
        const char *p, *host, *slash;
        char port[8] = "80";
        struct addrinfo hints, *res = NULL;
        size_t hlen;

        memset(&t, 0, sizeof(t));
        if (strncmp(url, "http://", 7) != 0)
                return -EINVAL;
        host = url + 7;
        slash = strchr(host, '/');
        hlen = slash ? (size_t)(slash - host) : strlen(host);
        if (hlen == 0 || hlen >= sizeof(t.host))
                return -EINVAL;
        memcpy(t.host, host, hlen);
        snprintf(t.path, sizeof(t.path), "%s", slash ? slash : "/");
        /* [v6]:port, host:port, host */
        char name[256];
        snprintf(name, sizeof(name), "%s", t.host);
        if (name[0] == '[') {
                char *close = strchr(name, ']');
                if (!close)
                        return -EINVAL;
                *close = '\0';
                memmove(name, name + 1, strlen(name));
                if (close[1] == ':')
                        snprintf(port, sizeof(port), "%s", close + 2);
        } else if ((p = strrchr(name, ':')) != NULL) {
                snprintf(port, sizeof(port), "%s", p + 1);
                name[p - name] = '\0';
        }
        uint64_t pv;
        if (util_parse_u64(port, strlen(port), &pv) != (int)strlen(port) || pv == 0 || pv > 65535)
                return -EINVAL;
        t.port = (int)pv;
        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(name, port, &hints, &res) != 0 || !res)
                return -ENOENT;
        memcpy(&t.addr, res->ai_addr, res->ai_addrlen);
        t.addrlen = res->ai_addrlen;
        freeaddrinfo(res);
        *ret = t;
        return 0;
}

static int build_one(const struct load_target *t, const char *method, const char *path, const char *headers,
                     const char *body, unsigned weight, struct load_request *r)
{
        size_t blen = body ? strlen(body) : 0;
        size_t cap = strlen(method) + strlen(path) + strlen(t->host) + (headers ? strlen(headers) : 0) + blen + 128;
        int n;

        memset(r, 0, sizeof(*r));
        r->wire = malloc(cap);
        if (!r->wire)
                return -ENOMEM;
        n = snprintf(r->wire, cap, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: jitmem/%s\r\n%s", method, path, t->host,
                     JITMEM_VERSION, headers ? headers : "");
        if (body)
                n += snprintf(r->wire + n, cap - (size_t)n, "Content-Length: %zu\r\n", blen);
        n += snprintf(r->wire + n, cap - (size_t)n, "\r\n");
        if (body) {
                memcpy(r->wire + n, body, blen);
                n += (int)blen;
        }
        r->wire_len = (size_t)n;
        r->weight = weight;
        snprintf(r->method, sizeof(r->method), "%s", method);
        snprintf(r->path, sizeof(r->path), "%s", path);
        return 0;
}

void load_requests_free(struct load_request *r, size_t n)
{
        for (size_t i = 0; r && i < n; i++)
                free(r[i].wire);
        free(r);
}

/* A mix file being read: the request its last lines gave (have), which header lines may still
 * follow, and the requests complete so far. */
struct mix {
        const struct load_target *t;
        const char *file;
        char *err;
        size_t err_size;
        struct load_request *reqs;
        size_t n;
        int lineno, have;
        unsigned weight;
        char line[4096], headers[8192], method[16], path[1024], body[4096];
};

static int mix_error(struct mix *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Says what is wrong in m->err. Returns -EINVAL. */
static int mix_error(struct mix *m, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(m->err, m->err_size, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* An indented line: a header of the request above it. Returns 0 or -EINVAL. */
static int mix_header(struct mix *m)
{
        char *h = m->line + strspn(m->line, " \t");
        size_t used, hl;

        if (!m->have || !strchr(h, ':') || strlen(m->headers) + strlen(h) + 3 > sizeof(m->headers))
                return mix_error(m, "%s:%d: a header line must follow a request and be 'Name: value'", m->file,
                                 m->lineno);
        /* what a server would refuse, or read as more than one header, is refused here */
        if (!httphead_is_token(h, (size_t)(strchr(h, ':') - h)))
                return mix_error(m, "%s:%d: a header's name must be a token (letters, digits, !#$%%&'*+-.^_`|~)",
                                 m->file, m->lineno);
        for (const char *c = h; *c; c++)
                if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
                        return mix_error(m, "%s:%d: a control byte in a header line", m->file, m->lineno);
        used = strlen(m->headers);
        hl = strlen(h);
        memcpy(m->headers + used, h, hl);
        memcpy(m->headers + used + hl, "\r\n", 3);
        return 0;
}

/* The request of the lines above, once no more of its headers can follow. Returns 0 (also with
 * no request pending), -EINVAL past LOAD_MAX_REQUESTS, -ENOMEM. */
static int mix_flush(struct mix *m)
{
        int r;

        if (!m->have)
                return 0;
        if (m->n == LOAD_MAX_REQUESTS)
                return mix_error(m, "%s: more than %d requests", m->file, LOAD_MAX_REQUESTS);
        r = build_one(m->t, m->method, m->path, m->headers, m->body[0] ? m->body : NULL, m->weight, &m->reqs[m->n]);
        if (r < 0)
                return r;
        m->n++;
        m->have = 0;
        m->headers[0] = m->body[0] = '\0';
        return 0;
}

/* A request line, "WEIGHT METHOD /PATH [BODY]", p past its leading blanks: the body is the rest of
 * the line. Returns 0 or -EINVAL. */
static int mix_request(struct mix *m, const char *p)
{
        const char *fw, *fm, *fp;
        size_t nw, nm, np, pos = 0, plen = strlen(p);
        uint64_t w = 0;

        if (!util_next_field(p, plen, &pos, &fw, &nw) || !util_next_field(p, plen, &pos, &fm, &nm) ||
            !util_next_field(p, plen, &pos, &fp, &np) || util_field_u64(fw, nw, &w) < 0 || w == 0 || w > 1000000 ||
            fp[0] != '/')
                return mix_error(m, "%s:%d: expected 'WEIGHT METHOD /PATH [BODY]'", m->file, m->lineno);
        if (nm >= sizeof(m->method) || np >= sizeof(m->path))
                return mix_error(m, "%s:%d: a %s over %zu bytes", m->file, m->lineno,
                                 nm >= sizeof(m->method) ? "method" : "path",
                                 nm >= sizeof(m->method) ? sizeof(m->method) - 1 : sizeof(m->path) - 1);
        memcpy(m->method, fm, nm);
        m->method[nm] = '\0';
        memcpy(m->path, fp, np);
        m->path[np] = '\0';
        pos += strspn(p + pos, " \t");
        for (const char *c = m->method; *c; c++)
                if (!isupper((unsigned char)*c))
                        return mix_error(m, "%s:%d: bad method '%s'", m->file, m->lineno, m->method);
        for (const char *c = m->path; *c; c++)
                if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f)
                        return mix_error(m, "%s:%d: a path byte that is not visible ASCII (percent-encode it)",
                                         m->file, m->lineno);
        m->weight = (unsigned)w;
        snprintf(m->body, sizeof(m->body), "%s", p + pos);
        m->have = 1;
        return 0;
}

/* Reads the mix's lines to its end: a request completes at the next line that is not one of
 * its headers, or at the end. Returns 0 or -errno (m->err says why for -EINVAL). */
static int mix_read(struct mix *m, FILE *f)
{
        int r;

        for (;;) {
                char *s = fgets(m->line, sizeof(m->line), f);
                if (s) {
                        m->lineno++;
                        if (strlen(m->line) == sizeof(m->line) - 1 && m->line[sizeof(m->line) - 2] != '\n')
                                return mix_error(m, "%s:%d: line too long", m->file, m->lineno);
                        m->line[strcspn(m->line, "\r\n")] = '\0';
                        if (m->line[0] == ' ' || m->line[0] == '\t') {
                                r = mix_header(m);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                }
                r = mix_flush(m);
                if (r < 0 || !s)
                        return r;
                const char *p = m->line + strspn(m->line, " \t");
                if (*p == '\0' || *p == '#')
                        continue;
                r = mix_request(m, p);
                if (r < 0)
                        return r;
        }
}

int load_requests_build(const struct load_target *t, const char *mix_path, struct load_request **ret, size_t *ret_n,
                        char *err, size_t err_size)
{
        struct mix m = { .t = t, .file = mix_path, .err = err, .err_size = err_size };
        FILE *f;
        int r;

        m.reqs = calloc(LOAD_MAX_REQUESTS, sizeof(*m.reqs));
        if (!m.reqs)
                return -ENOMEM;
        if (!mix_path) {
                r = build_one(t, "GET", t->path, NULL, NULL, 1, &m.reqs[0]);
                m.n = 1;
        } else if ((f = fopen(mix_path, "re")) == NULL) {
                r = -errno;
                snprintf(err, err_size, "cannot read %s: %s", mix_path, strerror(errno));
        } else {
                r = mix_read(&m, f);
                fclose(f);
                if (r == 0 && m.n == 0)
                        r = mix_error(&m, "%s: no request in it", mix_path);
        }
        if (r < 0) {
                load_requests_free(m.reqs, m.n);
                return r;
        }
        *ret = m.reqs;
        *ret_n = m.n;
        return 0;
}

/* ---- the response reader ---- */

void load_reader_start(struct load_reader *rd, int head_req)
{
        rd->phase = LOAD_READ_HEAD;
        rd->hlen = 0;
        rd->llen = 0;
        rd->status = 0;
        rd->close_after = 0;
        rd->head_req = head_req;
}

/* What follows a parsed head. Returns 1 when the response ends with it, 0 when a body follows
 * (rd->phase says how it is framed), -EBADMSG for a Content-Length that is not a number. */
static int reader_framing(struct load_reader *rd, const struct httphead *h)
{
        const char *v;
        size_t vl;
        uint64_t cl;

        rd->status = h->status;
        if ((v = httphead_get(h, "Connection", &vl)) && httphead_list_has(v, vl, "close"))
                rd->close_after = 1;
        if (h->minor == 0)
                rd->close_after = 1; /* HTTP/1.0 */
        if (rd->head_req || rd->status / 100 == 1 || rd->status == 204 || rd->status == 304)
                return 1;
        if ((v = httphead_get(h, "Transfer-Encoding", &vl)) && httphead_list_has(v, vl, "chunked")) {
                rd->phase = LOAD_READ_CHUNK_SIZE;
                rd->llen = 0;
        } else if ((v = httphead_get(h, "Content-Length", &vl))) {
                if (util_parse_u64(v, vl, &cl) != (int)vl)
                        return -EBADMSG;
                rd->remaining = cl;
                rd->phase = LOAD_READ_BODY;
                if (cl == 0)
                        return 1;
        } else {
                rd->phase = LOAD_READ_UNTIL_CLOSE;
                rd->close_after = 1;
        }
        return 0;
}

/* Head bytes: gathers them up to the blank line and parses the head. Returns as
 * load_reader_feed, *ret_used counting only the head's bytes (those past it are the body's). */
static int reader_head(struct load_reader *rd, const char *buf, size_t n, size_t *ret_used)
{
        size_t take = n, room = LOAD_MAX_HEAD - rd->hlen, from = rd->hlen >= 3 ? rd->hlen - 3 : 0, head_len = 0;
        struct httphead h;

        if (take > room)
                take = room;
        memcpy(rd->head + rd->hlen, buf, take);
        rd->hlen += take;
        for (size_t k = from; k + 3 < rd->hlen; k++)
                if (!memcmp(rd->head + k, "\r\n\r\n", 4)) {
                        head_len = k + 4;
                        break;
                }
        if (head_len == 0) {
                if (rd->hlen == LOAD_MAX_HEAD)
                        return -EBADMSG;
                *ret_used = take;
                return 0;
        }
        *ret_used = take - (rd->hlen - head_len);
        rd->hlen = head_len;
        if (httphead_parse_response(rd->head, head_len, &h) < 0)
                return -EBADMSG;
        return reader_framing(rd, &h);
}

/* Body or chunk bytes, up to what remains of them. Returns 1 when the body ended, else 0. */
static int reader_body(struct load_reader *rd, size_t n, size_t *ret_used)
{
        size_t take = n;

        if (take > rd->remaining)
                take = (size_t)rd->remaining;
        rd->remaining -= take;
        *ret_used = take;
        if (rd->remaining > 0)
                return 0;
        if (rd->phase == LOAD_READ_BODY)
                return 1;
        rd->phase = LOAD_READ_CHUNK_END;
        rd->llen = 0;
        return 0;
}

/* A whole chunk-size line, "HEX[;extensions]" (or a space after the digits). Returns 0 or
 * -EBADMSG. */
static int reader_chunk_size(struct load_reader *rd)
{
        uint64_t sz;
        int k = util_parse_x64(rd->line, strlen(rd->line), &sz);

        if (k < 0 || (rd->line[k] && rd->line[k] != ';' && rd->line[k] != ' '))
                return -EBADMSG;
        if (sz == 0) {
                rd->phase = LOAD_READ_TRAILER;
        } else {
                rd->remaining = sz;
                rd->phase = LOAD_READ_CHUNK_DATA;
        }
        return 0;
}

/* One byte of a line of the chunked framing: a chunk size, the line end after a chunk's data, a
 * trailer. Returns 1 at the blank line that ends the trailers, 0, or -EBADMSG. */
static int reader_line(struct load_reader *rd, char ch)
{
        if (ch != '\n') {
                if (rd->llen >= sizeof(rd->line) - 1)
                        return -EBADMSG;
                rd->line[rd->llen++] = ch;
                return 0;
        }
        while (rd->llen > 0 && rd->line[rd->llen - 1] == '\r')
                rd->llen--;
        rd->line[rd->llen] = '\0';
        rd->llen = 0;
        if (rd->phase == LOAD_READ_CHUNK_END) {
                if (rd->line[0] != '\0')
                        return -EBADMSG;
                rd->phase = LOAD_READ_CHUNK_SIZE;
                return 0;
        }
        if (rd->phase == LOAD_READ_CHUNK_SIZE)
                return reader_chunk_size(rd);
        return rd->line[0] == '\0'; /* the end of the trailers */
}

int load_reader_feed(struct load_reader *rd, const char *buf, size_t n, size_t *ret_used)
{
        size_t i = 0, used = 0;
        int r = 0;

        while (i < n && r == 0) {
                switch (rd->phase) {
                case LOAD_READ_HEAD:
                        r = reader_head(rd, buf + i, n - i, &used);
                        break;
                case LOAD_READ_BODY:
                case LOAD_READ_CHUNK_DATA:
                        r = reader_body(rd, n - i, &used);
                        break;
                case LOAD_READ_UNTIL_CLOSE:
                        used = n - i;
                        break;
                default:
                        r = reader_line(rd, buf[i]);
                        used = 1;
                        break;
                }
                if (r < 0)
                        return r;
                i += used;
        }
        *ret_used = i;
        return r;
}

/* ---- connections ---- */

enum { C_DOWN, C_CONNECTING, C_IDLE, C_BUSY };

struct conn {
        int fd, state;
        const struct load_request *req;
        size_t woff;
        uint64_t intended, deadline, retry_at;
        struct load_reader rd;
};

/* One load: its connections, the request mix's cumulative weights, and its clock. */
struct run {
        const struct load_options *o;
        struct load_result *res;
        struct conn *c;
        int ep, busy;
        uint64_t rng;
        uint64_t *cum;
        uint64_t cum_total;
        uint64_t start, end;  /* end: UINT64_MAX without a duration */
        int sending;          /* 0 once the duration, the count or the stop flag ended sending */
        uint64_t stopped_at, last_progress;
};

static const struct load_request *pick(struct run *R)
{
        if (R->o->nrequests == 1)
                return &R->o->requests[0];
        R->rng ^= R->rng >> 12;
        R->rng ^= R->rng << 25;
        R->rng ^= R->rng >> 27;
        uint64_t x = (R->rng * 2685821657736338717ULL) % R->cum_total;
        for (size_t i = 0; i < R->o->nrequests; i++)
                if (x < R->cum[i])
                        return &R->o->requests[i];
        return &R->o->requests[R->o->nrequests - 1];
}

static void conn_close(struct run *R, struct conn *c, uint64_t now, int backoff)
{
        if (c->fd >= 0) {
                epoll_ctl(R->ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
        }
        if (c->state == C_BUSY)
                R->busy--;
        c->fd = -1;
        c->state = C_DOWN;
        c->retry_at = backoff ? now + RECONNECT_NS : now;
}

static void conn_open(struct run *R, struct conn *c)
{
        const struct load_target *t = R->o->target;
        int fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
        struct epoll_event ev;

        if (fd < 0) {
                R->res->errors[LOAD_ERR_CONNECT]++;
                c->retry_at = util_now_ns() + RECONNECT_NS;
                return;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->fd = fd;
        c->state = C_CONNECTING;
        if (connect(fd, (const struct sockaddr *)&t->addr, t->addrlen) == 0)
                c->state = C_IDLE;
        else if (errno != EINPROGRESS) {
                R->res->errors[LOAD_ERR_CONNECT]++;
                close(fd);
                c->fd = -1;
                c->state = C_DOWN;
                c->retry_at = util_now_ns() + RECONNECT_NS;
                return;
        }
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
        ev.data.ptr = c;
        epoll_ctl(R->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void conn_send(struct run *R, struct conn *c, const struct load_request *req, uint64_t intended, uint64_t now)
{
        c->req = req;
        c->woff = 0;
        c->intended = intended;
        c->deadline = now + R->o->timeout_ns;
        load_reader_start(&c->rd, !strcmp(req->method, "HEAD"));
        c->state = C_BUSY;
        R->busy++;
        R->res->sent++;
        while (c->woff < req->wire_len) {
                ssize_t n = send(c->fd, req->wire + c->woff, req->wire_len - c->woff, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EAGAIN)
                                return; /* the rest on EPOLLOUT */
                        R->res->errors[LOAD_ERR_RESET]++;
                        conn_close(R, c, now, 1);
                        return;
                }
                c->woff += (size_t)n;
        }
}

static void complete(struct run *R, struct conn *c, uint64_t now)
{
        uint64_t us = now > c->intended ? (now - c->intended) / 1000 : 0;
        int cls = c->rd.status / 100;

        load_hist_add(&R->res->hist, us);
        R->res->completed++;
        R->res->status[cls >= 1 && cls <= 5 ? cls : 0]++;
        R->busy--;
        c->state = C_IDLE;
        if (c->rd.close_after) {
                c->state = C_BUSY; /* (conn_close counts busy down) */
                R->busy++;
                conn_close(R, c, now, 0);
        }
}

/* Feeds received bytes to the connection's reader, completing its request when the response
 * ends. Returns 0, or -1 when the response is malformed or bytes come that nobody asked for. */
static int feed(struct run *R, struct conn *c, const char *buf, size_t n, uint64_t now)
{
        size_t i = 0, used;

        while (i < n) {
                if (c->state != C_BUSY)
                        return -1;
                int r = load_reader_feed(&c->rd, buf + i, n - i, &used);
                if (r < 0)
                        return -1;
                i += used;
                if (r == 1)
                        complete(R, c, now);
        }
        return 0;
}

static void on_event(struct run *R, struct conn *c, uint32_t events, uint64_t now)
{
        char buf[READ_BUF];

        if (c->state == C_CONNECTING && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
                int err = 0;
                socklen_t l = sizeof(err);
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err) {
                        R->res->errors[LOAD_ERR_CONNECT]++;
                        conn_close(R, c, now, 1);
                        return;
                }
                c->state = C_IDLE;
                struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.ptr = c };
                epoll_ctl(R->ep, EPOLL_CTL_MOD, c->fd, &ev);
                return;
        }
        if (c->state == C_BUSY && c->woff < c->req->wire_len && (events & EPOLLOUT)) {
                ssize_t n = send(c->fd, c->req->wire + c->woff, c->req->wire_len - c->woff, MSG_NOSIGNAL);
                if (n > 0)
                        c->woff += (size_t)n;
                else if (n < 0 && errno != EAGAIN) {
                        R->res->errors[LOAD_ERR_RESET]++;
                        conn_close(R, c, now, 1);
                        return;
                }
        }
        if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
                for (int rounds = 0; rounds < 64; rounds++) {
                        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
                        if (n > 0) {
                                R->res->bytes_read += (uint64_t)n;
                                if (feed(R, c, buf, (size_t)n, now) < 0) {
                                        R->res->errors[LOAD_ERR_PARSE]++;
                                        conn_close(R, c, now, 0);
                                        return;
                                }
                                if (c->fd < 0)
                                        return; /* closed after a Connection: close answer */
                                continue;
                        }
                        if (n < 0 && errno == EAGAIN)
                                break;
                        /* EOF or reset */
                        if (c->state == C_BUSY && c->rd.phase == LOAD_READ_UNTIL_CLOSE && n == 0) {
                                complete(R, c, now);
                                conn_close(R, c, now, 0);
                        } else {
                                if (c->state == C_BUSY)
                                        R->res->errors[LOAD_ERR_RESET]++;
                                conn_close(R, c, now, c->state == C_BUSY);
                        }
                        return;
                }
        }
}

/* Allocates the result, the connections (each with its head buffer), the cumulative weights
 * and the epoll instance. Returns 0 or -errno; run_free in both cases. */
static int run_init(struct run *R, const struct load_options *o)
{
        memset(R, 0, sizeof(*R));
        R->o = o;
        R->res = calloc(1, sizeof(*R->res));
        R->c = calloc((size_t)o->connections, sizeof(*R->c));
        for (int i = 0; R->c && i < o->connections; i++)
                R->c[i].fd = -1;
        R->cum = calloc(o->nrequests, sizeof(*R->cum));
        R->ep = epoll_create1(EPOLL_CLOEXEC);
        if (!R->res || !R->c || !R->cum || R->ep < 0)
                return R->ep < 0 ? -errno : -ENOMEM;
        R->rng = o->seed ? o->seed : 0x2545F4914F6CDD1DULL;
        for (size_t i = 0; i < o->nrequests; i++) {
                R->cum_total += o->requests[i].weight;
                R->cum[i] = R->cum_total;
        }
        for (int i = 0; i < o->connections; i++) {
                R->c[i].rd.head = malloc(LOAD_MAX_HEAD);
                if (!R->c[i].rd.head)
                        return -ENOMEM;
        }
        return 0;
}

static void run_free(struct run *R)
{
        for (int i = 0; R->c && i < R->o->connections; i++) {
                if (R->c[i].fd >= 0)
                        close(R->c[i].fd);
                free(R->c[i].rd.head);
        }
        free(R->c);
        free(R->cum);
        free(R->res);
        if (R->ep >= 0)
                close(R->ep);
}

/* Starts the clock. The closed model keeps every connection busy from the start; the open model
 * opens one when a request is due and none is free, as clients do: a connection opened ahead and
 * left idle would hold a worker of a server that serves one connection at a time (gunicorn's
 * sync workers) while the requests queue behind it. */
static void run_start(struct run *R)
{
        R->start = util_now_ns();
        R->end = R->o->duration_ns ? R->start + R->o->duration_ns : UINT64_MAX;
        R->sending = 1;
        if (R->o->rate <= 0)
                for (int i = 0; i < R->o->connections; i++)
                        conn_open(R, &R->c[i]);
}

/* The requests --count allows (0 without it). A connection that could not be made uses one up:
 * a server that refuses every connection ends the load rather than holding it forever. */
static uint64_t run_count(const struct run *R)
{
        uint64_t count = R->o->count, failed = R->res->errors[LOAD_ERR_CONNECT];

        if (count)
                count = failed < count ? count - failed : 0;
        return count;
}

/* Whether the load is over: sending stops at the duration, the count or the stop flag, and the
 * load ends when no request is in flight, or a timeout after sending stopped, whatever the
 * server does (those in flight timed out). */
static int run_over(struct run *R, uint64_t now, uint64_t count)
{
        const struct load_options *o = R->o;

        if (R->sending && ((o->stop && *o->stop) || now >= R->end || (o->count && R->res->sent >= count))) {
                R->sending = 0;
                R->stopped_at = now;
        }
        if (!R->sending && R->busy == 0)
                return 1;
        return !R->sending && now - R->stopped_at >= o->timeout_ns;
}

/* The time request number i is due in the open model. */
static uint64_t run_due_at(const struct run *R, uint64_t i)
{
        return R->start + (uint64_t)((double)i * 1e9 / R->o->rate);
}

/* Sends the requests due, on idle connections: all of them in the closed model, by the clock in
 * the open one, which opens a connection that is down when more requests are due than
 * connections are ready (idle or connecting). */
static void run_dispatch(struct run *R, uint64_t now, uint64_t count)
{
        const struct load_options *o = R->o;
        uint64_t due = UINT64_MAX, ready = 0, pending;

        if (o->rate > 0)
                due = (uint64_t)((double)(now - R->start) * o->rate / 1e9) + 1;
        if (o->count && due > count)
                due = count;
        pending = due > R->res->sent ? due - R->res->sent : 0;
        if (o->rate > 0)
                for (int i = 0; i < o->connections; i++)
                        ready += R->c[i].state == C_IDLE || R->c[i].state == C_CONNECTING;
        for (int i = 0; i < o->connections && R->sending; i++) {
                struct conn *c = &R->c[i];
                if (c->state == C_DOWN && now >= c->retry_at && (o->rate <= 0 || ready < pending)) {
                        conn_open(R, c);
                        ready++;
                }
                if (c->state != C_IDLE || R->res->sent >= due)
                        continue;
                conn_send(R, c, pick(R), o->rate > 0 ? run_due_at(R, R->res->sent) : now, now);
        }
}

static void run_timeouts(struct run *R, uint64_t now)
{
        for (int i = 0; i < R->o->connections; i++) {
                struct conn *c = &R->c[i];
                if (c->state == C_BUSY && now >= c->deadline) {
                        R->res->errors[LOAD_ERR_TIMEOUT]++;
                        conn_close(R, c, now, 0);
                }
        }
}

/* When to wake: at the next request due, the nearest deadline, or in 10 ms. */
static uint64_t run_wake(const struct run *R, uint64_t now)
{
        uint64_t wake = now + 10000000ULL;

        if (R->sending && R->o->rate > 0) {
                uint64_t next = run_due_at(R, R->res->sent);
                if (next < wake)
                        wake = next > now ? next : now;
        }
        for (int i = 0; i < R->o->connections; i++)
                if (R->c[i].state == C_BUSY && R->c[i].deadline < wake)
                        wake = R->c[i].deadline;
        return wake;
}

/* Waits for the sockets until wake, handles what they report, and reports progress at most
 * every 100 ms. Returns 0 or -errno. */
static int run_wait(struct run *R, uint64_t now, uint64_t wake)
{
        struct epoll_event evs[64];
        struct timespec ts = { (time_t)((wake - now) / 1000000000ULL), (long)((wake - now) % 1000000000ULL) };
        int n = epoll_pwait2(R->ep, evs, 64, &ts, NULL);

        if (n < 0 && errno == ENOSYS)
                n = epoll_wait(R->ep, evs, 64, (int)((wake - now) / 1000000ULL));
        if (n < 0 && errno != EINTR)
                return -errno;
        now = util_now_ns();
        for (int k = 0; k < n; k++)
                on_event(R, evs[k].data.ptr, evs[k].events, now);
        if (R->o->progress && now - R->last_progress >= 100000000ULL) {
                R->o->progress(R->res->completed, R->o->userdata);
                R->last_progress = now;
        }
        return 0;
}

/* The elapsed time, and in the open model the requests that were due but never sent. */
static void run_finish(struct run *R)
{
        struct load_result *res = R->res;

        res->elapsed_s = (double)(util_now_ns() - R->start) / 1e9;
        if (R->o->rate > 0) {
                uint64_t should = (uint64_t)(res->elapsed_s * R->o->rate);
                if (R->o->count && should > R->o->count)
                        should = R->o->count;
                res->unsent = should > res->sent ? should - res->sent : 0;
        }
}

/* The load, from its start to its end. Returns 0 or -errno when epoll fails. */
static int run_loop(struct run *R)
{
        int r;

        run_start(R);
        for (;;) {
                uint64_t now = util_now_ns(), count = run_count(R);
                if (run_over(R, now, count))
                        break;
                run_dispatch(R, now, count);
                run_timeouts(R, now);
                r = run_wait(R, now, run_wake(R, now));
                if (r < 0)
                        return r;
        }
        run_finish(R);
        return 0;
}

int load_generate(const struct load_options *o, struct load_result *ret)
{
        struct run R;
        int r;

        if (o->connections < 1 || o->connections > LOAD_MAX_CONNECTIONS || o->nrequests < 1 ||
            (o->duration_ns == 0 && o->count == 0))
                return -EINVAL;
        r = run_init(&R, o);
        if (r == 0)
                r = run_loop(&R);
        if (r == 0)
                *ret = *R.res;
        run_free(&R);
        return r;
}

/* A latency quantile, or null when no response was timed. */
static json_t *lat(const struct load_hist *h, double q)
{
        return h->total ? json_real(load_hist_quantile(h, q)) : json_null();
}

json_t *load_result_json(const char *url, const struct load_options *o, const struct load_result *r)
{
        const struct load_hist *h = &r->hist;
        char *u = util_utf8_text(url, strlen(url)); /* the user's bytes, valid UTF-8 for JSON */
        json_t *j;

        if (!u)
                return NULL;
        j = json_pack("{s:s, s:s, s:s, s:o, s:i, s:f, s:{s:I, s:I, s:f, s:I}, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o}, "
                         "s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:I}",
                         "schema", LOAD_SCHEMA,
                         "jitmem_version", JITMEM_VERSION,
                         "url", u,
                         "rate", o->rate > 0 ? json_real(o->rate) : json_null(),
                         "connections", o->connections,
                         "elapsed_s", r->elapsed_s,
                         "requests", "sent", (json_int_t)r->sent, "completed", (json_int_t)r->completed,
                         "per_second", r->elapsed_s > 0 ? (double)r->completed / r->elapsed_s : 0.0,
                         "unsent_due", (json_int_t)r->unsent,
                         "latency_us", "p50", lat(h, 0.50), "p90", lat(h, 0.90), "p99", lat(h, 0.99),
                         "p99_9", lat(h, 0.999), "max", h->total ? json_real((double)h->max_us) : json_null(),
                         "mean", h->total ? json_real(h->sum_us / (double)h->total) : json_null(), "min", lat(h, 0.0),
                         "errors", "connect", (json_int_t)r->errors[LOAD_ERR_CONNECT], "timeout",
                         (json_int_t)r->errors[LOAD_ERR_TIMEOUT], "reset", (json_int_t)r->errors[LOAD_ERR_RESET], "parse",
                         (json_int_t)r->errors[LOAD_ERR_PARSE],
                         "status", "1xx", (json_int_t)r->status[1], "2xx", (json_int_t)r->status[2], "3xx",
                         (json_int_t)r->status[3], "4xx", (json_int_t)r->status[4], "5xx", (json_int_t)r->status[5],
                         "other", (json_int_t)r->status[0],
                         "bytes_read", (json_int_t)r->bytes_read);
        free(u);
        return j;
}

