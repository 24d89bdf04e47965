/* Unit tests for src/net/httpdrive.c: the summary of a driver that never got an answer, a server
 * that exits before answering, a URL that refuses until the deadline, and a whole drive against
 * a forked loopback server: ready at its first answer, the warm-up's requests served but not
 * counted, the measured load's bounds, the progress and the summary. */
#include "httpdrive.h"
#include "unit.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* Forks a server on 127.0.0.1 answering every request with a 200, and writing a byte to
 * count_fd for each; *t and url are its URL's. A server that accepts nothing when refuse. */
static pid_t serve(int count_fd, int refuse, struct load_target *t, char *url, size_t url_size)
{
        static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t al = sizeof(a);
        int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        pid_t pid;

        if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(ls, 16) < 0 ||
            getsockname(ls, (struct sockaddr *)&a, &al) < 0)
                return -1;
        snprintf(url, url_size, "http://127.0.0.1:%d/", ntohs(a.sin_port));
        if (load_parse_url(url, t) < 0)
                return -1;
        if (refuse) {
                close(ls); /* the port is free again: connections are refused */
                return 0;
        }
        if ((pid = fork()) != 0) {
                close(ls);
                return pid;
        }
        prctl(PR_SET_PDEATHSIG, SIGKILL); /* not outliving a test that crashed */
        for (;;) {
                int fd = accept(ls, NULL, NULL);
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
                        if (send(fd, answer, sizeof(answer) - 1, MSG_NOSIGNAL) < 0 || write(count_fd, "x", 1) != 1)
                                break;
                }
                if (fd >= 0)
                        close(fd);
        }
}

static void setup(struct httpdrive *d, const struct load_target *t, const char *url, struct load_request **reqs)
{
        size_t n = 0;
        char err[256];

        memset(d, 0, sizeof(*d));
        *reqs = NULL;
        if (load_requests_build(t, NULL, reqs, &n, err, sizeof(err)) < 0)
                return;
        d->url = url;
        d->target = t;
        d->requests = *reqs;
        d->nrequests = n;
        d->connections = 1;
        d->ready_timeout_ns = 5000000000ULL;
        d->timeout_ns = 1000000000ULL;
        d->seed = 1;
}

static void test_summary_not_ready(void)
{
        struct httpdrive d;
        json_t *j;

        memset(&d, 0, sizeof(d));
        j = httpdrive_summary(&d);
        CHECK(j != NULL);
        CHECK(json_is_false(json_object_get(j, "ready")));
        static const char *const nulls[] = { "ready_s", "error", "load", "load_start_monotonic_ns", "load_end_monotonic_ns" };
        for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
                CHECK(json_is_null(json_object_get(j, nulls[i])));
        CHECK_EQ_INT(json_object_size(j), 6);
        json_decref(j);

        snprintf(d.error, sizeof(d.error), "it failed");
        j = httpdrive_summary(&d);
        CHECK_STR(json_string_value(json_object_get(j, "error")), "it failed");
        json_decref(j);
        /* a URL that is not UTF-8 (the user's bytes): in the load's report and in the error */
        d.url = "http://127.0.0.1:1/caf\xe9";
        d.have_result = 1;
        snprintf(d.error, sizeof(d.error), "%s did not answer", d.url);
        j = httpdrive_summary(&d);
        CHECK_STR(json_string_value(json_object_get(j, "error")), "http://127.0.0.1:1/caf\xef\xbf\xbd did not answer");
        CHECK_STR(json_string_value(json_object_get(json_object_get(j, "load"), "url")), "http://127.0.0.1:1/caf\xef\xbf\xbd");
        json_decref(j);
}

static void test_never_ready(void)
{
        struct httpdrive d;
        struct load_target t;
        struct load_request *reqs;
        char url[64];
        volatile uint64_t progress = 0;
        volatile int ended = 1;

        /* the server has exited already */
        CHECK_EQ_INT(serve(-1, 1, &t, url, sizeof(url)), 0);
        setup(&d, &t, url, &reqs);
        httpdrive_main(&d, &progress, &ended);
        char want[128];
        snprintf(want, sizeof(want), "the server exited before %s answered", url);
        CHECK_STR(d.error, want);
        CHECK(!d.ready && !d.have_result && progress == 0);

        /* connections refused until the deadline */
        ended = 0;
        d.ready_timeout_ns = 500000000ULL;
        d.error[0] = '\0';
        uint64_t t0 = util_now_ns();
        httpdrive_main(&d, &progress, &ended);
        uint64_t took = util_now_ns() - t0;
        snprintf(want, sizeof(want), "%s did not answer within 0 s", url); /* 0.5 s, as %.0f */
        CHECK_STR(d.error, want);
        CHECK(!d.ready && !d.have_result && progress == 0);
        CHECK(took >= 500000000ULL && took < 3000000000ULL);
        load_requests_free(reqs, d.nrequests);
}

static void test_drive(void)
{
        struct httpdrive d;
        struct load_target t;
        struct load_request *reqs;
        char url[64];
        int p[2];
        volatile uint64_t progress = 0;
        volatile int ended = 0;

        if (pipe2(p, O_CLOEXEC) < 0)
                return;
        pid_t pid = serve(p[1], 0, &t, url, sizeof(url));
        CHECK(pid > 0);
        if (pid <= 0)
                return;
        close(p[1]);
        setup(&d, &t, url, &reqs);
        d.warmup_ns = 200000000ULL;
        d.duration_ns = 300000000ULL;
        uint64_t t0 = util_now_ns();
        httpdrive_main(&d, &progress, &ended);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);

        /* the requests the server answered: the readiness probe, the warm-up, the load */
        char buf[65536];
        uint64_t served = 0;
        ssize_t k;
        while ((k = read(p[0], buf, sizeof(buf))) > 0)
                served += (uint64_t)k;
        close(p[0]);

        CHECK(d.ready && d.have_result && d.error[0] == '\0');
        CHECK(d.ready_s >= 0 && d.ready_s < 5);
        CHECK(d.result.completed > 0 && d.result.status[2] == d.result.completed);
        CHECK_EQ_U64(progress, d.result.completed);
        CHECK(served > d.result.completed + 1); /* the warm-up answered, not counted */
        CHECK(d.load_start_ns >= t0 && d.load_end_ns - d.load_start_ns >= d.duration_ns);
        CHECK(d.result.elapsed_s >= 0.3 && d.result.elapsed_s * 1e9 <= (double)(d.load_end_ns - d.load_start_ns));
        CHECK(d.used.duration_ns == d.duration_ns && d.used.count == 0 && d.used.nrequests == 1 && d.used.progress);

        json_t *j = httpdrive_summary(&d);
        CHECK(json_is_true(json_object_get(j, "ready")));
        CHECK(json_is_null(json_object_get(j, "error")));
        CHECK(json_real_value(json_object_get(j, "ready_s")) == d.ready_s);
        CHECK_EQ_U64(json_integer_value(json_object_get(j, "load_start_monotonic_ns")), d.load_start_ns);
        CHECK_EQ_U64(json_integer_value(json_object_get(j, "load_end_monotonic_ns")), d.load_end_ns);
        json_t *load = json_object_get(j, "load");
        CHECK_STR(json_string_value(json_object_get(load, "schema")), LOAD_SCHEMA);
        CHECK_STR(json_string_value(json_object_get(load, "url")), url);
        CHECK_EQ_U64(json_integer_value(json_object_get(json_object_get(load, "requests"), "completed")), d.result.completed);
        json_decref(j);
        load_requests_free(reqs, d.nrequests);
}

int main(void)
{
        signal(SIGPIPE, SIG_IGN);
        test_summary_not_ready();
        test_never_ready();
        test_drive();
        return unit_finish("test_httpdrive");
}
