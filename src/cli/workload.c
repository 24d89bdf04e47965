#include "workload.h"
#include "cli.h"
#include "python_probe.h"
#include "spawn.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GO_ON CLI_WORKLOAD_GO_ON

void cli_workload_init(struct cli_workload *w)
{
        memset(w, 0, sizeof(*w));
        w->python = "python3";
        w->scale = "1";
        w->workers = 1;
        snprintf(w->workers_s, sizeof(w->workers_s), "1");
        w->http.connections = 16;
        w->http.duration_ns = 30000000000ULL;
        w->http.ready_timeout_ns = 30000000000ULL;
        w->http.timeout_ns = 10000000000ULL;
        w->http.seed = 1;
}

void cli_workload_free(struct cli_workload *w)
{
        load_requests_free(w->reqs, w->nreqs);
        w->reqs = NULL;
        w->nreqs = 0;
}

/* The bundled workloads' directory: $JITMEM_WORKLOADS, or beside the binary (the build tree's
 * ../workloads, an install's ../share/jitmem/workloads). */
static int find_workloads(char *out, size_t size)
{
        static const char *const rel[] = { "../workloads/_common.py", "../share/jitmem/workloads/_common.py", NULL };
        const char *tail = "/_common.py";
        size_t n, t = strlen(tail);

        if (util_find_beside_binary("JITMEM_WORKLOADS", rel, out, size) < 0)
                return -ENOENT;
        n = strlen(out);
        if (n > t && strcmp(out + n - t, tail) == 0)
                out[n - t] = '\0'; /* the directory (JITMEM_WORKLOADS names it already) */
        return 0;
}

/* A TCP port free on 127.0.0.1 now (the kernel's choice), or -1. */
static int free_port(void)
{
        struct sockaddr_in a;
        socklen_t l = sizeof(a);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

        if (fd < 0)
                return -1;
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 && getsockname(fd, (struct sockaddr *)&a, &l) == 0)
                port = ntohs(a.sin_port);
        close(fd);
        return port;
}

/* The options of the HTTP load. */
int cli_workload_http_option(const char *cmd, struct cli_workload *s, int c, const char *arg, int *ret_mine)
{
        struct httpdrive *h = &s->http;
        uint64_t u;

        *ret_mine = 1;
        switch (c) {
        case 'U': s->http_url = arg; break;
        case 'Q':
                if (cli_empty_value(cmd, "--requests", arg, "a file of requests"))
                        return CLI_EXIT_USAGE;
                s->mix = arg;
                break;
        case 'q': {
                if (util_parse_number(arg, &h->rate) < 0 || h->rate < LOAD_MIN_RATE || h->rate > LOAD_MAX_RATE)
                        return cli_usage_error(cmd, "bad --rate '%s': expected requests per second from %g to %.0f",
                                               arg, LOAD_MIN_RATE, LOAD_MAX_RATE);
                break;
        }
        case 'c':
                if (util_parse_u64(arg, strlen(arg), &u) != (int)strlen(arg) || u < 1 || u > LOAD_MAX_CONNECTIONS)
                        return cli_usage_error(cmd, "bad --connections '%s'", arg);
                h->connections = (int)u;
                break;
        case 'd':
                if (util_parse_duration(arg, &h->duration_ns) < 0 || h->duration_ns == 0)
                        return cli_usage_error(cmd, "bad --duration '%s': expected a duration such as 30s; units: " UTIL_DURATION_UNITS, arg);
                break;
        case 'w' + 256:
                if (util_parse_duration(arg, &h->warmup_ns) < 0)
                        return cli_usage_error(cmd, "bad --http-warmup '%s': expected a duration such as 30s; units: " UTIL_DURATION_UNITS, arg);
                break;
        case 'y':
                if (util_parse_duration(arg, &h->ready_timeout_ns) < 0 || h->ready_timeout_ns == 0)
                        return cli_usage_error(cmd, "bad --ready-timeout '%s': expected a duration such as 30s; units: " UTIL_DURATION_UNITS, arg);
                break;
        default:
                *ret_mine = 0;
        }
        return GO_ON;
}

/* The bundled web service: a pre-forking server on a free loopback port, driven with its
 * default request mix. */
static int setup_webapp(struct cli_workload *s)
{
        if (!s->name || strcmp(s->name, "webapp") != 0)
                return GO_ON;
        if (find_workloads(s->wdir, sizeof(s->wdir)) < 0) {
                cli_error("cannot find the bundled workloads: set JITMEM_WORKLOADS to their directory");
                return CLI_EXIT_FAILURE;
        }
        int port = free_port();
        if (port < 0) {
                cli_error("cannot find a free port on 127.0.0.1");
                return CLI_EXIT_FAILURE;
        }
        snprintf(s->port_s, sizeof(s->port_s), "%d", port);
        snprintf(s->webapp_url, sizeof(s->webapp_url), "http://127.0.0.1:%d/", port);
        snprintf(s->webapp_mix, sizeof(s->webapp_mix), "%s/webapp-mix.txt", s->wdir);
        if (!s->http_url)
                s->http_url = s->webapp_url;
        if (!s->mix)
                s->mix = s->webapp_mix;
        return GO_ON;
}

/* --http: the target and its request mix. */
static int setup_http(const char *cmd, struct cli_workload *s)
{
        int r;

        if (!s->http_url) {
                if (s->mix)
                        return cli_usage_error(cmd, "--requests goes with --http");
                return GO_ON;
        }
        r = load_parse_url(s->http_url, &s->target);
        if (r == -EINVAL)
                return cli_usage_error(cmd, "bad --http '%s': expected http://HOST[:PORT][/PATH]", s->http_url);
        if (r < 0) {
                char safe[CLI_TEXT_SIZE];
                cli_error("%s: host not found", cli_text(s->http_url, safe, sizeof(safe)));
                return CLI_EXIT_FAILURE;
        }
        r = load_requests_build(&s->target, s->mix, &s->reqs, &s->nreqs, s->err, sizeof(s->err));
        if (r < 0) {
                char safe[CLI_TEXT_SIZE];
                cli_error("%s", cli_text(s->err, safe, sizeof(safe)));
                return r == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
        }
        s->http.url = s->http_url;
        s->http.target = &s->target;
        s->http.requests = s->reqs;
        s->http.nrequests = s->nreqs;
        s->have_http = 1;
        return GO_ON;
}

/* A bundled workload's command: the interpreter running the workload's script. */
static int setup_workload(const char *cmd, struct cli_workload *s)
{
        static const char *const known[] = { "numeric", "dynamic", "orm", "broad", "startup", "webapp" };
        int ok = 0, r;

        for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
                ok |= strcmp(s->name, known[i]) == 0;
        if (!ok)
                return cli_usage_error(cmd, "unknown workload '%s': numeric, dynamic, orm, broad, startup or webapp",
                                       s->name);
        if (find_workloads(s->wdir, sizeof(s->wdir)) < 0) {
                cli_error("cannot find the bundled workloads: set JITMEM_WORKLOADS to their directory");
                return CLI_EXIT_FAILURE;
        }
        r = spawn_resolve(s->python, s->resolved, sizeof(s->resolved));
        if (r < 0) {
                char safe[CLI_TEXT_SIZE];
                cli_error("%s: %s", cli_text(s->python, safe, sizeof(safe)), r == -ENOENT ? "not found" : util_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        snprintf(s->script, sizeof(s->script), "%s/%s.py", s->wdir, s->name);
        s->startup = strcmp(s->name, "startup") == 0;
        s->wargv[0] = s->resolved;
        s->wargv[1] = s->script;
        s->wargv[2] = (char *)"--scale";
        s->wargv[3] = (char *)s->scale;
        s->wargv[4] = (char *)"--workers";
        s->wargv[5] = s->workers_s;
        s->wargv[6] = NULL;
        if (strcmp(s->name, "webapp") == 0) {
                s->wargv[2] = (char *)"--port";
                s->wargv[3] = s->port_s;
                if (s->workers == 1 && !s->workers_set) { /* a web service: 4 workers unless told */
                        s->workers = 4;
                        snprintf(s->workers_s, sizeof(s->workers_s), "4");
                }
        }
        s->argv = s->wargv;
        snprintf(s->interp, sizeof(s->interp), "%s", s->resolved);
        s->probe = 1;
        return GO_ON;
}

/* The command: a bundled workload, or the one given (and the interpreter it runs, if any). */
static int setup_command(const char *cmd, struct cli_workload *s, int argc, char **argv, int first)
{
        int r;

        if (s->name && first < argc)
                return cli_usage_error(cmd, "give either --workload or a command, not both");
        if (!s->name && first >= argc)
                return cli_usage_error(cmd, "no workload: --workload NAME or -- COMMAND [ARG...]");
        if (s->name)
                return setup_workload(cmd, s);
        s->argv = argv + first;
        r = spawn_resolve(s->argv[0], s->resolved, sizeof(s->resolved));
        if (r < 0) {
                char safe[CLI_TEXT_SIZE];
                cli_error("%s: command not found", cli_text(s->argv[0], safe, sizeof(safe)));
                return CLI_EXIT_FAILURE;
        }
        s->probe = python_find_interpreter(s->resolved, s->interp, sizeof(s->interp)) == 1;
        return GO_ON;
}

int cli_workload_setup(const char *cmd, struct cli_workload *w, int argc, char **argv, int first)
{
        int code = setup_webapp(w);

        if (code == GO_ON)
                code = setup_http(cmd, w);
        if (code == GO_ON)
                code = setup_command(cmd, w, argc, argv, first);
        return code;
}
