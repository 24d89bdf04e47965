/* An HTTP/1.1 load generator: keep-alive connections over epoll, an open model (a constant
 * rate, latency measured from each request's intended send time, so that a stalled server
 * cannot hide its stall: no coordinated omission) or a closed one (each connection sends again
 * as soon as it has its answer), a weighted request mix replayed with a fixed seed, and a
 * latency histogram in fixed memory. */
#ifndef JITMEM_LOADGEN_H
#define JITMEM_LOADGEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define LOAD_HIST_BUCKETS 2176 /* 1 us to 2^37 us, ~0.8% steps */
#define LOAD_MAX_CONNECTIONS 1024
/* The --rate taken (requests per second): from one every 100 s, so that a request's due time
 * in nanoseconds stays far within uint64_t, to one every 100 ns, past what one thread sends. */
#define LOAD_MIN_RATE 0.01
#define LOAD_MAX_RATE 1e7
#define LOAD_MAX_REQUESTS 1024  /* lines of a mix */
#define LOAD_MAX_HEAD 16384     /* a response's status line and headers */

struct load_request {
        unsigned weight;
        char *wire;       /* the whole request, as sent */
        size_t wire_len;
        char method[16];
        char path[1024];
};

struct load_target {
        struct sockaddr_storage addr;
        socklen_t addrlen;
        char host[256];   /* for the Host header */
        int port;
        char path[1024];  /* the URL's path, the default request */
};

/* Parses "http://host[:port][/path]" and resolves host (numeric, or a name through
 * getaddrinfo). Returns 0, -EINVAL (not an http URL), -ENOENT (host not found). */
int load_parse_url(const char *url, struct load_target *ret);

/* Builds the request list: from a mix file, or the URL's path as a single GET when path is
 * NULL. Mix file lines: "WEIGHT METHOD PATH [BODY]" (the body runs to the end of the line),
 * followed by any number of "  Header-Name: value" lines (indented); '#' starts a comment.
 * Returns 0 with the list (load_requests_free), or -EINVAL with err saying which line. */
int load_requests_build(const struct load_target *t, const char *mix_path, struct load_request **ret, size_t *ret_n,
                        char *err, size_t err_size);
void load_requests_free(struct load_request *r, size_t n);

struct load_options {
        const struct load_target *target;
        const struct load_request *requests;
        size_t nrequests;
        int connections;
        double rate;            /* requests per second; 0: closed model */
        uint64_t duration_ns;   /* 0: until count */
        uint64_t count;         /* 0: until duration */
        uint64_t timeout_ns;    /* per request */
        uint64_t seed;
        volatile int *stop;     /* set from a signal handler to end early; may be NULL */
        /* called with the number of responses completed so far, at most every 100 ms; may be NULL */
        void (*progress)(uint64_t completed, void *userdata);
        void *userdata;
};

/* The reader of one response, exposed for its unit tests (tests/unit/net/test_loadgen.c);
 * load_generate keeps one per connection. A response ends with its Content-Length, with its last
 * chunk and the trailers (chunk extensions are ignored), with its head alone (the answer to a
 * HEAD, 1xx, 204, 304), or, when it announces no length, with the connection's close
 * (LOAD_READ_UNTIL_CLOSE, which the caller completes on EOF). */
enum {
        LOAD_READ_HEAD,
        LOAD_READ_BODY,
        LOAD_READ_CHUNK_SIZE,
        LOAD_READ_CHUNK_DATA,
        LOAD_READ_CHUNK_END,
        LOAD_READ_TRAILER,
        LOAD_READ_UNTIL_CLOSE,
        LOAD_READ_MAX
};

struct load_reader {
        int phase;          /* LOAD_READ_* */
        int status;         /* the status code, once the head is read */
        int close_after;    /* the server closes after it: Connection: close, HTTP/1.0, no length */
        int head_req;       /* the answer to a HEAD: no body */
        uint64_t remaining; /* bytes of the body or of the chunk */
        char *head;         /* LOAD_MAX_HEAD bytes, the caller's */
        size_t hlen;
        char line[256];     /* a chunk size or trailer line */
        size_t llen;
};

/* Starts reading the response to a request into rd (head_req: the request was a HEAD); rd->head
 * is left as it is. */
void load_reader_start(struct load_reader *rd, int head_req);

/* Reads received bytes buf[0..n). Returns 1 when the response ended after the first *ret_used
 * bytes (load_reader_start again before the next one), 0 when all n were taken and more are
 * needed, or -EBADMSG when the response is malformed: a head over LOAD_MAX_HEAD bytes or that
 * httphead refuses, a Content-Length that is not a number, a bad chunk size, a chunk-size or
 * trailer line over 255 bytes before its LF (a CR included), or data where a chunk's line end
 * belongs. */
int load_reader_feed(struct load_reader *rd, const char *buf, size_t n, size_t *ret_used);

struct load_hist {
        uint64_t counts[LOAD_HIST_BUCKETS];
        uint64_t total;
        uint64_t max_us;
        double sum_us;
};

void load_hist_add(struct load_hist *h, uint64_t us);
/* The latency at quantile q (0..1), in us (the midpoint of its bucket; max for q = 1). */
double load_hist_quantile(const struct load_hist *h, double q);

enum { LOAD_ERR_CONNECT, LOAD_ERR_TIMEOUT, LOAD_ERR_RESET, LOAD_ERR_PARSE, LOAD_ERR_MAX };

struct load_result {
        uint64_t sent, completed;
        uint64_t status[6];          /* by class: [1] 1xx ... [5] 5xx, [0] other */
        uint64_t errors[LOAD_ERR_MAX];
        uint64_t bytes_read;
        double elapsed_s;
        uint64_t unsent;             /* open model: requests due but never sent (ran out of time) */
        struct load_hist hist;       /* completed responses, from intended send time */
};

#define LOAD_SCHEMA "jitmem.load/1"

/* The result as JSON (schema LOAD_SCHEMA, docs/load.md); a new reference. */
struct json_t;
struct json_t *load_result_json(const char *url, const struct load_options *o, const struct load_result *r);

/* Runs the load. Returns 0 (errors are counted, not returned) or -errno when it cannot start. */
int load_generate(const struct load_options *o, struct load_result *ret);

#endif
