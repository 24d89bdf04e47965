/* Unit tests for src/net/loadgen.c: the response reader (Content-Length, chunked bodies with
 * extensions and trailers, heads without a body, responses cut at every byte and fed a byte at a
 * time, two responses in one buffer, malformed ones, the bound on a head, the close of the
 * connection), the latency histogram (exact below 128 us, within its step of a sorted reference
 * above, the bounds), the request mix (weights, methods, paths, bodies, headers, comments, and
 * every malformed line named), and whole loads against a forked loopback server: bytes past a
 * response, a body cut by the close, a response that ends with the connection, and latency
 * counted from each request's intended send time. */
#include "loadgen.h"
#include "unit.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char head_buf[LOAD_MAX_HEAD];

static void start(struct load_reader *rd, int head_req)
{
        memset(rd, 0, sizeof(*rd));
        rd->head = head_buf;
        load_reader_start(rd, head_req);
}

/* Feeds s whole to a new reader; returns what load_reader_feed returned. */
static int read_all(struct load_reader *rd, const char *s, size_t len, int head_req, size_t *used)
{
        start(rd, head_req);
        *used = (size_t)-1;
        return load_reader_feed(rd, s, len, used);
}

/* Cuts s at every byte and checks that the first part is taken whole and the rest ends the
 * response; then feeds it a byte at a time. Returns the number of cuts that went wrong. */
static int cut_everywhere(const char *s, int status)
{
        struct load_reader rd;
        size_t len = strlen(s), used;
        int bad = 0;

        for (size_t k = 1; k < len; k++) {
                start(&rd, 0);
                if (load_reader_feed(&rd, s, k, &used) != 0 || used != k)
                        bad++;
                else if (load_reader_feed(&rd, s + k, len - k, &used) != 1 || used != len - k || rd.status != status)
                        bad++;
        }
        start(&rd, 0);
        for (size_t k = 0; k < len; k++) {
                int r = load_reader_feed(&rd, s + k, 1, &used);
                if (r != (k + 1 == len) || used != 1)
                        bad++;
        }
        return bad;
}

static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";
/* the fixture server's chunked answer: an extension, a chunk that is a bare LF, a trailer */
static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "5\r\nhello\r\n7\r\n, world\r\n1;ext=1\r\n\n\r\n0\r\nX-Trailer: 1\r\n\r\n";

static void test_reader_lengths(void)
{
        struct load_reader rd;
        size_t used;

        CHECK_EQ_INT(read_all(&rd, ok, strlen(ok), 0, &used), 1);
        CHECK_EQ_U64(used, strlen(ok));
        CHECK_EQ_INT(rd.status, 200);
        CHECK_EQ_INT(rd.close_after, 0);

        CHECK_EQ_INT(read_all(&rd, chunked, strlen(chunked), 0, &used), 1);
        CHECK_EQ_U64(used, strlen(chunked));
        CHECK_EQ_INT(rd.status, 200);

        /* upper-case hex, a space after the size, LF alone, several trailers */
        const char *c2 = "HTTP/1.1 201 Created\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
                         "A \r\n0123456789\r\n1a;name=\"v\"\n" "abcdefghijklmnopqrstuvwxyz\n0\nA: 1\r\nB: 2\n\n";
        CHECK_EQ_INT(read_all(&rd, c2, strlen(c2), 0, &used), 1);
        CHECK_EQ_U64(used, strlen(c2));
        CHECK_EQ_INT(rd.status, 201);

        /* no body: a HEAD's answer whatever its Content-Length, 1xx, 204, 304, Content-Length: 0 */
        const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
        CHECK_EQ_INT(read_all(&rd, h, strlen(h), 1, &used), 1);
        CHECK_EQ_U64(used, strlen(h));
        CHECK_EQ_INT(read_all(&rd, h, strlen(h), 0, &used), 0); /* the same head to a GET: 100 bytes due */
        CHECK_EQ_INT(rd.phase, LOAD_READ_BODY);
        CHECK_EQ_U64(rd.remaining, 100);
        static const char *const empty[] = { "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n",
                                             "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
                                             "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n" };
        static const int empty_status[] = { 100, 204, 304, 404 };
        for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
                CHECK_EQ_INT(read_all(&rd, empty[i], strlen(empty[i]), 0, &used), 1);
                CHECK_EQ_U64(used, strlen(empty[i]));
                CHECK_EQ_INT(rd.status, empty_status[i]);
        }
}

static void test_reader_close(void)
{
        struct load_reader rd;
        size_t used;

        /* the server says it closes: Connection as a list, or HTTP/1.0 */
        const char *c1 = "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 3\r\n\r\nbye";
        CHECK_EQ_INT(read_all(&rd, c1, strlen(c1), 0, &used), 1);
        CHECK_EQ_INT(rd.close_after, 1);
        const char *c2 = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nbye";
        CHECK_EQ_INT(read_all(&rd, c2, strlen(c2), 0, &used), 1);
        CHECK_EQ_INT(rd.close_after, 1);
        const char *c3 = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nbye";
        CHECK_EQ_INT(read_all(&rd, c3, strlen(c3), 0, &used), 1);
        CHECK_EQ_INT(rd.close_after, 0);

        /* no length: the body runs to the close, every byte taken */
        const char *c4 = "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nsome body";
        CHECK_EQ_INT(read_all(&rd, c4, strlen(c4), 0, &used), 0);
        CHECK_EQ_U64(used, strlen(c4));
        CHECK_EQ_INT(rd.phase, LOAD_READ_UNTIL_CLOSE);
        CHECK_EQ_INT(rd.close_after, 1);
        CHECK_EQ_INT(load_reader_feed(&rd, "more", 4, &used), 0);
        CHECK_EQ_U64(used, 4);

        /* a body cut short by the close: still waiting for it, not ending at the close */
        CHECK_EQ_INT(read_all(&rd, ok, strlen(ok) - 2, 0, &used), 0);
        CHECK_EQ_INT(rd.phase, LOAD_READ_BODY);
        CHECK_EQ_U64(rd.remaining, 2);
        CHECK_EQ_INT(read_all(&rd, chunked, strlen(chunked) - 2, 0, &used), 0);
        CHECK_EQ_INT(rd.phase, LOAD_READ_TRAILER);
}

static void test_reader_split(void)
{
        CHECK_EQ_INT(cut_everywhere(ok, 200), 0);
        CHECK_EQ_INT(cut_everywhere(chunked, 200), 0);
        CHECK_EQ_INT(cut_everywhere("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", 503), 0);
        CHECK_EQ_INT(cut_everywhere("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "3;a=b;c\r\nabc\r\n0;last\r\nT: 1\r\n\r\n", 200), 0);
}

/* Two responses in one buffer: the reader stops at the end of the first, the rest is the next's
 * (load_generate counts bytes past a response it did not ask for as a parse error). */
static void test_reader_pipelined(void)
{
        struct load_reader rd;
        char two[512];
        size_t used;

        snprintf(two, sizeof(two), "%s%s", chunked, ok);
        CHECK_EQ_INT(read_all(&rd, two, strlen(two), 0, &used), 1);
        CHECK_EQ_U64(used, strlen(chunked));
        load_reader_start(&rd, 0);
        CHECK_EQ_INT(load_reader_feed(&rd, two + used, strlen(two) - used, &used), 1);
        CHECK_EQ_U64(used, strlen(ok));

        snprintf(two, sizeof(two), "%sEXTRA", ok); /* a body longer than announced */
        CHECK_EQ_INT(read_all(&rd, two, strlen(two), 0, &used), 1);
        CHECK_EQ_U64(used, strlen(ok));
}

static int bad(const char *s)
{
        struct load_reader rd;
        size_t used = 12345;
        int r = read_all(&rd, s, strlen(s), 0, &used);

        return r == -EBADMSG && used == (size_t)-1; /* ret_used untouched on failure */
}

static void test_reader_malformed(void)
{
        CHECK(bad("BLAH BLAH\r\n\r\n"));
        CHECK(bad("HTTP/1.1 2000 OK\r\n\r\n"));
        CHECK(bad("HTTP/2 200 OK\r\n\r\n"));
        CHECK(bad("HTTP/1.1 200 OK\r\nNo colon\r\n\r\n"));
        CHECK(bad("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n"));
        CHECK(bad("HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n"));
        CHECK(bad("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"));
        CHECK(bad("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n"));
        /* chunk sizes: not hex, hex then junk, empty, beyond 64 bits */
        CHECK(bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));
        CHECK(bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n"));
        CHECK(bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n"));
        CHECK(bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\n"));
        CHECK(bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"));
        /* data where the chunk's line end belongs */
        CHECK(bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n"));
        /* a chunk line is bounded at 255 bytes before its LF, a CR included */
        char line[600];
        int n = snprintf(line, sizeof(line), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;");
        struct load_reader rd;
        size_t used;
        memset(line + n, 'e', 253);
        snprintf(line + n + 253, sizeof(line) - (size_t)n - 253, "\nx\r\n0\r\n\r\n"); /* 255 and LF */
        CHECK_EQ_INT(read_all(&rd, line, strlen(line), 0, &used), 1);
        snprintf(line + n + 252, sizeof(line) - (size_t)n - 252, "\r\nx\r\n0\r\n\r\n"); /* 254, CR, LF */
        CHECK_EQ_INT(read_all(&rd, line, strlen(line), 0, &used), 1);
        snprintf(line + n + 253, sizeof(line) - (size_t)n - 253, "\r\nx\r\n0\r\n\r\n"); /* 255, CR, LF */
        CHECK(bad(line));
}

/* The head's bound: LOAD_MAX_HEAD bytes through its blank line are read, one more is refused,
 * whether it comes at once or a byte at a time. */
static void test_reader_head_bound(void)
{
        static char big[LOAD_MAX_HEAD + 64];
        const char *start_line = "HTTP/1.1 200 OK\r\nX-Pad: ";
        const char *end = "\r\nContent-Length: 0\r\n\r\n";
        struct load_reader rd;
        size_t used, fill = LOAD_MAX_HEAD - strlen(start_line) - strlen(end);
        int r = 0;

        strcpy(big, start_line);
        memset(big + strlen(start_line), 'p', fill);
        strcpy(big + strlen(start_line) + fill, end);
        CHECK_EQ_U64(strlen(big), LOAD_MAX_HEAD);
        CHECK_EQ_INT(read_all(&rd, big, strlen(big), 0, &used), 1);
        CHECK_EQ_U64(used, LOAD_MAX_HEAD);

        memset(big + strlen(start_line), 'p', fill + 1);
        strcpy(big + strlen(start_line) + fill + 1, end);
        CHECK(bad(big));
        start(&rd, 0);
        for (size_t k = 0; k < strlen(big) && r == 0; k++)
                r = load_reader_feed(&rd, big + k, 1, &used);
        CHECK_EQ_INT(r, -EBADMSG);
        CHECK_EQ_U64(rd.hlen, LOAD_MAX_HEAD);

        /* a head that never ends */
        memset(big, 'h', LOAD_MAX_HEAD);
        big[LOAD_MAX_HEAD] = '\0';
        CHECK_EQ_INT(read_all(&rd, big, LOAD_MAX_HEAD - 1, 0, &used), 0);
        CHECK_EQ_INT(load_reader_feed(&rd, "h", 1, &used), -EBADMSG);
}

/* ---- the histogram ---- */

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rng(void)
{
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

static const double qs[] = { 0.0, 0.001, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 0.9999 };

static void test_hist_exact(void)
{
        static struct load_hist h;
        uint64_t v[128];

        memset(&h, 0, sizeof(h));
        CHECK(load_hist_quantile(&h, 0.5) == 0);
        CHECK(load_hist_quantile(&h, 1.0) == 0);
        for (int i = 0; i < 128; i++) {
                v[i] = (uint64_t)(127 - i);
                load_hist_add(&h, v[i]);
        }
        qsort(v, 128, sizeof(v[0]), cmp_u64);
        CHECK_EQ_U64(h.total, 128);
        CHECK_EQ_U64(h.max_us, 127);
        CHECK(h.sum_us == 127.0 * 128 / 2);
        /* below 128 us every value has a bucket of its own: the quantile is the reference's */
        int wrong = 0;
        for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
                wrong += load_hist_quantile(&h, qs[i]) != (double)v[(size_t)(qs[i] * 128)];
        CHECK_EQ_INT(wrong, 0);
        CHECK(load_hist_quantile(&h, 0.0) == 0);
        CHECK(load_hist_quantile(&h, 1.0) == 127);
        CHECK(load_hist_quantile(&h, 2.0) == 127);
}

static void test_hist_reference(void)
{
        static struct load_hist h;
        static uint64_t v[20000];
        size_t n = sizeof(v) / sizeof(v[0]);
        double sum = 0;

        memset(&h, 0, sizeof(h));
        for (size_t i = 0; i < n; i++) {
                /* log-uniform from 1 us to about 34 s, as latencies spread */
                v[i] = 1 + (rng() >> (64 - 35)) / (1ULL << (rng() % 35));
                load_hist_add(&h, v[i]);
                sum += (double)v[i];
        }
        qsort(v, n, sizeof(v[0]), cmp_u64);
        CHECK_EQ_U64(h.total, n);
        CHECK_EQ_U64(h.max_us, v[n - 1]);
        CHECK(h.sum_us == sum);
        /* each quantile is its bucket's midpoint: within half a step (1/128 of the value) */
        int wrong = 0;
        for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
                double ref = (double)v[(size_t)(qs[i] * (double)n)], got = load_hist_quantile(&h, qs[i]);
                if (got < ref - ref / 128 - 0.5 || got > ref + ref / 128 + 0.5) {
                        fprintf(stderr, "q %g: %g against %g\n", qs[i], got, ref);
                        wrong++;
                }
        }
        CHECK_EQ_INT(wrong, 0);
        CHECK(load_hist_quantile(&h, 1.0) == (double)v[n - 1]);
        /* the quantiles never decrease */
        double prev = 0;
        int down = 0;
        for (double q = 0; q < 1; q += 0.001) {
                double x = load_hist_quantile(&h, q);
                down += x < prev;
                prev = x;
        }
        CHECK_EQ_INT(down, 0);
}

static void test_hist_bounds(void)
{
        static struct load_hist h;

        /* a midpoint above the largest value is the largest value */
        memset(&h, 0, sizeof(h));
        load_hist_add(&h, 128);
        CHECK(load_hist_quantile(&h, 0.5) == 128); /* bucket [128, 130): midpoint 129, max 128 */
        load_hist_add(&h, 129);
        CHECK(load_hist_quantile(&h, 0.0) == 129);
        CHECK(load_hist_quantile(&h, 0.99) == 129);

        /* beyond 2^37 us (38 hours) values share the last bucket; max and the mean stay exact */
        memset(&h, 0, sizeof(h));
        load_hist_add(&h, 1ULL << 40);
        load_hist_add(&h, UINT64_MAX);
        CHECK_EQ_U64(h.max_us, UINT64_MAX);
        CHECK(h.sum_us == (double)(1ULL << 40) + (double)UINT64_MAX);
        CHECK(load_hist_quantile(&h, 0.0) == 127.5 * (double)(1ULL << 30));
        CHECK(load_hist_quantile(&h, 0.5) == 127.5 * (double)(1ULL << 30));
        CHECK(load_hist_quantile(&h, 1.0) == (double)UINT64_MAX);
        load_hist_add(&h, (1ULL << 37) - 1);
        CHECK(load_hist_quantile(&h, 0.0) == 127.5 * (double)(1ULL << 30));
}

/* ---- the request mix ---- */

static char tmpdir[] = "/tmp/test_loadgen.XXXXXX";

static const char *mix_file(const char *name, const char *text)
{
        static char path[256];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        f = fopen(path, "w");
        if (!f)
                return path;
        fputs(text, f);
        fclose(f);
        return path;
}

static struct load_target target(void)
{
        struct load_target t;

        memset(&t, 0, sizeof(t));
        snprintf(t.host, sizeof(t.host), "example:8080");
        snprintf(t.path, sizeof(t.path), "/default?x=1");
        return t;
}

static int wire_is(const struct load_request *r, const char *s)
{
        return r->wire_len == strlen(s) && memcmp(r->wire, s, r->wire_len) == 0;
}

#define UA "User-Agent: jitmem/" JITMEM_VERSION "\r\n"

static void test_mix_good(void)
{
        struct load_target t = target();
        struct load_request *r = NULL;
        size_t n = 0;
        char err[512] = "";

        /* no mix: the URL's path */
        CHECK_EQ_INT(load_requests_build(&t, NULL, &r, &n, err, sizeof(err)), 0);
        CHECK_EQ_U64(n, 1);
        CHECK(wire_is(&r[0], "GET /default?x=1 HTTP/1.1\r\nHost: example:8080\r\n" UA "\r\n"));
        CHECK_STR(r[0].method, "GET");
        CHECK_EQ_INT(r[0].weight, 1);
        load_requests_free(r, n);

        const char *p;
        p = mix_file("good.txt", "# weight method path [body]\n"
                                 "\n"
                                 "3 GET /ok\n"
                                 "1\tPOST  /form?a=b   {\"a\": 1} x \r\n"
                                 "  X-Test: yes\n"
                                 "\tX-Other: a:b\n"
                                 "1000000 HEAD /h\n"
                                 "# the end\n"
                                 "2 DELETE /last");
        CHECK_EQ_INT(load_requests_build(&t, p, &r, &n, err, sizeof(err)), 0);
        CHECK_EQ_U64(n, 4);
        if (n != 4)
                return;
        CHECK_EQ_INT(r[0].weight, 3);
        CHECK(wire_is(&r[0], "GET /ok HTTP/1.1\r\nHost: example:8080\r\n" UA "\r\n"));
        CHECK_EQ_INT(r[1].weight, 1);
        CHECK_STR(r[1].method, "POST");
        CHECK_STR(r[1].path, "/form?a=b");
        /* the body runs to the end of the line, its spaces kept, the CR not */
        CHECK(wire_is(&r[1], "POST /form?a=b HTTP/1.1\r\nHost: example:8080\r\n" UA "X-Test: yes\r\nX-Other: a:b\r\n"
                             "Content-Length: 11\r\n\r\n{\"a\": 1} x "));
        CHECK_EQ_INT(r[2].weight, 1000000);
        CHECK(wire_is(&r[2], "HEAD /h HTTP/1.1\r\nHost: example:8080\r\n" UA "\r\n"));
        CHECK_EQ_INT(r[3].weight, 2); /* the last line without its line end */
        CHECK(wire_is(&r[3], "DELETE /last HTTP/1.1\r\nHost: example:8080\r\n" UA "\r\n"));
        load_requests_free(r, n);
        load_requests_free(NULL, 0);

        /* a method of 15 bytes, a path of 1023 */
        char line[1200];
        snprintf(line, sizeof(line), "1 ABCDEFGHIJKLMNO /%01022d\n", 0);
        p = mix_file("long.txt", line);
        CHECK_EQ_INT(load_requests_build(&t, p, &r, &n, err, sizeof(err)), 0);
        CHECK(n == 1 && strlen(r[0].method) == 15 && strlen(r[0].path) == 1023);
        load_requests_free(r, n);

        /* LOAD_MAX_REQUESTS lines */
        static char many[LOAD_MAX_REQUESTS * 12 + 16];
        size_t off = 0;
        for (int i = 0; i < LOAD_MAX_REQUESTS; i++)
                off += (size_t)snprintf(many + off, sizeof(many) - off, "1 GET /%d\n", i);
        p = mix_file("many.txt", many);
        CHECK_EQ_INT(load_requests_build(&t, p, &r, &n, err, sizeof(err)), 0);
        CHECK_EQ_U64(n, LOAD_MAX_REQUESTS);
        load_requests_free(r, n);
        snprintf(many + off, sizeof(many) - off, "1 GET /one-more\n");
        p = mix_file("many.txt", many);
        r = NULL;
        n = 7;
        CHECK_EQ_INT(load_requests_build(&t, p, &r, &n, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "many.txt: more than 1024 requests") != NULL);
        CHECK(r == NULL && n == 7); /* out-parameters untouched on failure */
}

/* The number of requests built from a mix, or the error. */
static int built(const char *text)
{
        struct load_target t = target();
        struct load_request *r = NULL;
        size_t n = 0;
        char err[512];
        int rc = load_requests_build(&t, mix_file("built.txt", text), &r, &n, err, sizeof(err));

        if (rc < 0)
                return rc;
        load_requests_free(r, n);
        return (int)n;
}

/* A mix that must be refused with the message that ends in want. */
static int refused(const char *text, const char *want)
{
        struct load_target t = target();
        struct load_request *r = NULL;
        size_t n = 0;
        char err[512] = "", full[600];
        const char *p = mix_file("bad.txt", text);
        int rc = load_requests_build(&t, p, &r, &n, err, sizeof(err));

        snprintf(full, sizeof(full), "%s%s", p, want);
        if (rc != -EINVAL || strcmp(err, full) != 0) {
                fprintf(stderr, "mix %.40s: %d '%s', expected '%s'\n", text, rc, err, full);
                return 0;
        }
        return r == NULL;
}

static void test_mix_bad(void)
{
        static const char expected[] = ": expected 'WEIGHT METHOD /PATH [BODY]'";
        static char big[12000];
        char want[200];

        snprintf(want, sizeof(want), ":1%s", expected);
        CHECK(refused("x GET /\n", want));
        CHECK(refused("0 GET /\n", want));
        CHECK(refused("1000001 GET /\n", want));
        CHECK(refused("-1 GET /\n", want));
        CHECK(refused("1 GET\n", want));
        CHECK(refused("1 GET ok\n", want));
        CHECK(refused("1\n", want));
        snprintf(want, sizeof(want), ":3%s", expected);
        CHECK(refused("# c\n1 GET /\n2x GET /\n", want));
        CHECK(refused("1 get /\n", ":1: bad method 'get'"));
        CHECK(refused("1 GET /\n1 G-T /\n", ":2: bad method 'G-T'"));
        CHECK(refused("1 ABCDEFGHIJKLMNOP /\n", ":1: a method over 15 bytes"));
        snprintf(big, sizeof(big), "1 GET /%01023d\n", 0);
        CHECK(refused(big, ":1: a path over 1023 bytes"));
        /* a line of 4095 bytes and its line end is too long; 4094 is not */
        memset(big, 'b', sizeof(big));
        memcpy(big, "1 POST / ", 9);
        big[4095] = '\n';
        big[4096] = '\0';
        CHECK(refused(big, ":1: line too long"));
        big[4094] = '\n';
        big[4095] = '\0';
        CHECK_EQ_INT(built(big), 1);
        /* header lines */
        static const char hdr[] = ": a header line must follow a request and be 'Name: value'";
        snprintf(want, sizeof(want), ":1%s", hdr);
        CHECK(refused("  X: y\n1 GET /\n", want));
        snprintf(want, sizeof(want), ":2%s", hdr);
        CHECK(refused("1 GET /\n  no colon\n", want));
        /* a name that is not a token, a control byte: a request no server would read as sent */
        static const char token[] = ": a header's name must be a token (letters, digits, !#$%&'*+-.^_`|~)";
        snprintf(want, sizeof(want), ":2%s", token);
        CHECK(refused("1 GET /\n  Con\x88tent-Type: x\n", want));
        CHECK(refused("1 GET /\n  : empty name\n", want));
        CHECK(refused("1 GET /\n  X Y: spaced name\n", want));
        CHECK(refused("1 GET /\n  X\x01: y\n", want));
        CHECK(refused("1 GET /\n  X: a\x1b[2Jb\n", ":2: a control byte in a header line"));
        CHECK(refused("1 GET /\n  X: a\x7f\n", ":2: a control byte in a header line"));
        CHECK_EQ_INT(built("1 GET /\n  X-Tab: a\tb\n  X-Utf8: caf\xc3\xa9\n"), 1);
        static const char path[] = ": a path byte that is not visible ASCII (percent-encode it)";
        snprintf(want, sizeof(want), ":1%s", path);
        CHECK(refused("1 GET /caf\xc3\xa9\n", want));
        CHECK(refused("1 GET /a\x0bb\n", want));
        CHECK(refused("1 GET /a\x7f\n", want));
        /* headers: 8 KiB in all, each with its CRLF; a header of 206 bytes takes 208, and the 40th
         * is refused (39 * 208 + 206 + 2 is over 8191) */
        size_t off = (size_t)snprintf(big, sizeof(big), "1 GET /\n");
        for (int i = 0; i < 39; i++)
                off += (size_t)snprintf(big + off, sizeof(big) - off, "  X-%02d: %0200d\n", i, 0);
        CHECK_EQ_INT(built(big), 1);
        snprintf(big + off, sizeof(big) - off, "  X-39: %0200d\n", 0);
        snprintf(want, sizeof(want), ":41%s", hdr);
        CHECK(refused(big, want));
        /* nothing in it */
        CHECK(refused("", ": no request in it"));
        CHECK(refused("# only\n\n# comments\n", ": no request in it"));

        /* a file that cannot be read */
        struct load_target t = target();
        struct load_request *r = NULL;
        size_t n = 0;
        char err[512] = "";
        CHECK_EQ_INT(load_requests_build(&t, "/nonexistent/mix.txt", &r, &n, err, sizeof(err)), -ENOENT);
        CHECK_STR(err, "cannot read /nonexistent/mix.txt: No such file or directory");
}

/* ---- whole loads against a loopback server ---- */

struct scenario {
        const char *answer;    /* written whole for each request */
        int close;             /* then the connection is closed */
        int delay_first_ms;    /* the first answer waits this long */
        int refuse;            /* no server: every connection is refused */
        int accept_fd;         /* if above 0, a byte written to it for each connection accepted */
};

/* Forks a server answering every request on 127.0.0.1 as sc says; *t is its URL's target. */
static pid_t serve(const struct scenario *sc, struct load_target *t)
{
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(a);
        int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), first = 1;
        char url[64];
        pid_t pid;

        if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 16) < 0 ||
            getsockname(ls, (struct sockaddr *)&a, &al) < 0)
                return -1;
        snprintf(url, sizeof(url), "http://127.0.0.1:%d/", ntohs(a.sin_port));
        if (load_parse_url(url, t) < 0)
                return -1;
        if (sc->refuse) {
                close(ls); /* the port is free again */
                return 0;
        }
        if ((pid = fork()) < 0)
                return -1;
        if (pid > 0) {
                close(ls);
                return pid;
        }
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* not outliving a test that crashed */
        for (;;) {
                int fd = accept(ls, NULL, NULL);
                if (fd >= 0 && sc->accept_fd > 0 && write(sc->accept_fd, "a", 1) != 1)
                        _exit(1);
                char buf[4096];
                size_t len = 0;
                ssize_t k;
                while (fd >= 0 && (k = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) > 0) {
                        len += (size_t)k;
                        buf[len] = '\0';
                        char *end = strstr(buf, "\r\n\r\n");
                        if (!end)
                                continue;
                        len -= (size_t)(end + 4 - buf);
                        memmove(buf, end + 4, len);
                        if (first && sc->delay_first_ms) {
                                struct timespec ts = { 0, sc->delay_first_ms * 1000000L };
                                nanosleep(&ts, NULL);
                        }
                        first = 0;
                        if (send(fd, sc->answer, strlen(sc->answer), MSG_NOSIGNAL) < 0 || sc->close)
                                break;
                }
                if (fd >= 0)
                        close(fd);
        }
}

static int load(const struct scenario *sc, double rate, uint64_t count, struct load_result *res)
{
        struct load_target t;
        struct load_request *reqs = NULL;
        size_t nreqs = 0;
        char err[256];
        struct load_options o;
        pid_t pid = serve(sc, &t);
        int r;

        memset(res, 0, sizeof(*res));
        if (pid < 0 || load_requests_build(&t, NULL, &reqs, &nreqs, err, sizeof(err)) < 0)
                return -1;
        memset(&o, 0, sizeof(o));
        o.target = &t;
        o.requests = reqs;
        o.nrequests = nreqs;
        o.connections = 1;
        o.rate = rate;
        o.count = count;
        o.duration_ns = 5000000000ULL; /* and count: whichever ends first */
        o.timeout_ns = 5000000000ULL;
        o.seed = 1;
        r = load_generate(&o, res);
        if (pid > 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
        load_requests_free(reqs, nreqs);
        return r;
}

static void test_load(void)
{
        struct load_result res;
        struct scenario sc = { .answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" };

        CHECK_EQ_INT(load(&sc, 0, 5, &res), 0);
        CHECK(res.sent == 5 && res.completed == 5 && res.status[2] == 5 && res.hist.total == 5);
        CHECK_EQ_U64(res.bytes_read, 5 * strlen(sc.answer));
        CHECK_EQ_U64(res.errors[LOAD_ERR_PARSE] + res.errors[LOAD_ERR_RESET] + res.errors[LOAD_ERR_CONNECT], 0);

        /* bytes past the response: it counts, and so does a parse error */
        sc.answer = "HTTP/1.1 404 No\r\nContent-Length: 2\r\n\r\nokEXTRA";
        CHECK_EQ_INT(load(&sc, 0, 4, &res), 0);
        CHECK(res.completed == 4 && res.status[4] == 4 && res.errors[LOAD_ERR_PARSE] == 4);
        sc.answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        CHECK_EQ_INT(load(&sc, 0, 4, &res), 0);
        CHECK(res.completed == 4 && res.errors[LOAD_ERR_PARSE] == 4);

        /* Connection: close, the server closing after it: a new connection for each request */
        sc = (struct scenario){ .answer = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", .close = 1 };
        CHECK_EQ_INT(load(&sc, 0, 3, &res), 0);
        CHECK(res.completed == 3 && res.status[2] == 3 && res.errors[LOAD_ERR_RESET] + res.errors[LOAD_ERR_PARSE] == 0);

        /* Connection: close from a server that leaves it open: closed all the same */
        int p[2];
        if (pipe(p) == 0) {
                sc.close = 0;
                sc.accept_fd = p[1];
                CHECK_EQ_INT(load(&sc, 0, 3, &res), 0);
                close(p[1]);
                char buf[16];
                CHECK_EQ_INT(read(p[0], buf, sizeof(buf)), 3);
                close(p[0]);
                CHECK(res.completed == 3 && res.errors[LOAD_ERR_RESET] + res.errors[LOAD_ERR_PARSE] == 0);
                sc.accept_fd = 0;
        }

        /* refused: each connection that cannot be made uses up a request of the count, so that
         * the load ends at once rather than at its duration */
        sc.refuse = 1;
        CHECK_EQ_INT(load(&sc, 0, 3, &res), 0);
        CHECK(res.completed == 0 && res.sent == 0 && res.errors[LOAD_ERR_CONNECT] == 3 && res.hist.total == 0);
        CHECK(res.elapsed_s < 2.5);

        /* a response that ends with the connection; a body cut short by it */
        sc = (struct scenario){ .answer = "HTTP/1.1 500 Err\r\n\r\nto the end", .close = 1 };
        CHECK_EQ_INT(load(&sc, 0, 3, &res), 0);
        CHECK(res.completed == 3 && res.status[5] == 3 && res.errors[LOAD_ERR_RESET] == 0);
        sc.answer = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
        CHECK_EQ_INT(load(&sc, 0, 3, &res), 0);
        CHECK(res.completed == 0 && res.errors[LOAD_ERR_RESET] == 3 && res.hist.total == 0);
        sc.answer = "garbage\r\n\r\n";
        CHECK_EQ_INT(load(&sc, 0, 3, &res), 0);
        CHECK(res.completed == 0 && res.errors[LOAD_ERR_PARSE] == 3);

        /* the open model: the first answer stalls 300 ms; the four requests due meanwhile (at
         * 50 per second) wait for the one connection, and their latency counts from when each
         * was due, not from when it went out (which would be well under a millisecond) */
        sc = (struct scenario){ .answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", .delay_first_ms = 300 };
        CHECK_EQ_INT(load(&sc, 50, 5, &res), 0);
        CHECK_EQ_U64(res.completed, 5);
        CHECK(load_hist_quantile(&res.hist, 0.0) >= 200000);
        CHECK(res.hist.max_us >= 300000);
}

int main(void)
{
        if (!mkdtemp(tmpdir))
                return 1;
        test_reader_lengths();
        test_reader_close();
        test_reader_split();
        test_reader_pipelined();
        test_reader_malformed();
        test_reader_head_bound();
        test_hist_exact();
        test_hist_reference();
        test_hist_bounds();
        test_mix_good();
        test_mix_bad();
        test_load();
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
                return 1;
        return unit_finish("test_loadgen");
}
