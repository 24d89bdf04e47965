/* jitmem load: identical synthetic HTTP load (loadgen.c), with a wrk2-like summary or JSON. */
#include "cli.h"
#include "jsonout.h"
#include "loadgen.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>


static void load_usage(FILE *f)
{
        fputs("Usage: jitmem load URL [OPTIONS]\n"
              "\n"
              "Sends HTTP/1.1 requests to URL over keep-alive connections and reports throughput,\n"
              "latency percentiles and errors. With --rate, an open model: requests are due at a\n"
              "constant rate and each one's latency is measured from when it was due, not from when\n"
              "a busy connection got round to sending it (no coordinated omission, as wrk2). Without,\n"
              "a closed model: each connection sends again as soon as it has its answer.\n"
              "\n"
              "Options:\n"
              "  -r, --rate R            requests per second (open model), 0.01 to 10000000\n"
              "  -c, --connections N     connections (default 10; up to 1024)\n"
              "  -d, --duration DUR      how long to send (default 10s unless --count)\n"
              "  -n, --count N           how many requests to send (a connection that cannot be made\n"
              "                          uses one up)\n"
              "      --requests FILE     a request mix: lines 'WEIGHT METHOD /PATH [BODY]', each followed\n"
              "                          by indented 'Header: value' lines; replayed in the same order\n"
              "                          for the same --seed (default: GET of the URL's path)\n"
              "      --seed N            the mix's random seed (default 1)\n"
              "      --timeout DUR       per request (default 10s)\n"
              "      --json              print one JSON object (schema " LOAD_SCHEMA ")\n"
              "  -h, --help              this help\n"
              "\n"
              "Exit status: 0 the load ran and at least one request had a response (errors are\n"
              "counted in the report); 1 it could not start (host not found), or not one request\n"
              "had a response (refused, reset, timed out, unparsable: the report says which);\n"
              "2 usage error.\n",
              f);
}

static volatile int stop_flag;

static void on_signal(int sig)
{
        (void)sig;
        stop_flag = 1;
}

static void print_us(const char *label, double us)
{
        if (us >= 1e6)
                printf("  %-8s %10.2f s\n", label, us / 1e6);
        else if (us >= 1e3)
                printf("  %-8s %10.2f ms\n", label, us / 1e3);
        else
                printf("  %-8s %10.0f us\n", label, us);
}

/* One invocation: what the options asked for, the target and its requests, the result. */
struct load_cmd {
        struct load_options o;
        struct load_target target;
        struct load_result res;
        struct load_request *reqs;
        size_t nreqs;
        const char *mix, *url;
        int json, duration_set;
};

#define GO_ON (-1) /* a step's "carry on", beside the exit statuses it returns otherwise */

/* One option from getopt_long. Returns GO_ON or an exit status (--help, a usage error). */
static int parse_option(struct load_cmd *L, int c, char **argv)
{
        struct load_options *o = &L->o;
        uint64_t u;

        switch (c) {
        case 'r':
                if (util_parse_number(optarg, &o->rate) < 0 || o->rate < LOAD_MIN_RATE || o->rate > LOAD_MAX_RATE)
                        return cli_usage_error("load", "bad --rate '%s': expected requests per second from %g to %.0f",
                                               optarg, LOAD_MIN_RATE, LOAD_MAX_RATE);
                return GO_ON;
        case 'c':
                if (util_parse_u64(optarg, strlen(optarg), &u) != (int)strlen(optarg) || u < 1 || u > LOAD_MAX_CONNECTIONS)
                        return cli_usage_error("load", "bad --connections '%s': expected 1 to %d", optarg, LOAD_MAX_CONNECTIONS);
                o->connections = (int)u;
                return GO_ON;
        case 'd':
                if (util_parse_duration(optarg, &o->duration_ns) < 0 || o->duration_ns == 0)
                        return cli_usage_error("load", "bad --duration '%s': expected a duration such as 30s; units: " UTIL_DURATION_UNITS, optarg);
                L->duration_set = 1;
                return GO_ON;
        case 'n':
                if (util_parse_u64(optarg, strlen(optarg), &o->count) != (int)strlen(optarg) || o->count == 0)
                        return cli_usage_error("load", "bad --count '%s': expected a whole number above 0", optarg);
                return GO_ON;
        case 'R':
                if (cli_empty_value("load", "--requests", optarg, "a file of requests"))
                        return CLI_EXIT_USAGE;
                L->mix = optarg;
                return GO_ON;
        case 's':
                if (util_parse_u64(optarg, strlen(optarg), &o->seed) != (int)strlen(optarg))
                        return cli_usage_error("load", "bad --seed '%s'", optarg);
                return GO_ON;
        case 't':
                if (util_parse_duration(optarg, &o->timeout_ns) < 0 || o->timeout_ns < 1000000ULL)
                        return cli_usage_error("load", "bad --timeout '%s': expected a duration of 1ms or more; units: " UTIL_DURATION_UNITS, optarg);
                return GO_ON;
        case 'j': L->json = 1; return GO_ON;
        case 'h':
                load_usage(stdout);
                return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
        default:
                return cli_option_error("load", c, argv);
        }
}

/* The defaults, the options and the URL. Returns GO_ON or an exit status. */
static int parse_args(struct load_cmd *L, int argc, char **argv)
{
        static const struct option opts[] = {
                { "rate", required_argument, NULL, 'r' },
                { "connections", required_argument, NULL, 'c' },
                { "duration", required_argument, NULL, 'd' },
                { "count", required_argument, NULL, 'n' },
                { "requests", required_argument, NULL, 'R' },
                { "seed", required_argument, NULL, 's' },
                { "timeout", required_argument, NULL, 't' },
                { "json", no_argument, NULL, 'j' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c, r;

        memset(L, 0, sizeof(*L));
        L->o.connections = 10;
        L->o.duration_ns = 10000000000ULL;
        L->o.timeout_ns = 10000000000ULL;
        L->o.seed = 1;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":r:c:d:n:h", opts, NULL)) != -1)
                if ((r = parse_option(L, c, argv)) != GO_ON)
                        return r;
        if (optind != argc - 1)
                return cli_usage_error("load", optind >= argc ? "no URL given" : "more than one URL given");
        L->url = argv[optind];
        if (L->o.count && !L->duration_set)
                L->o.duration_ns = 0;
        return GO_ON;
}

/* The URL's address and the requests to send. Returns GO_ON or an exit status. */
static int prepare(struct load_cmd *L)
{
        char err[512] = "", url[CLI_TEXT_SIZE];
        int r;

        r = load_parse_url(L->url, &L->target);
        if (r == -EINVAL)
                return cli_usage_error("load", "bad URL '%s': expected http://HOST[:PORT][/PATH]",
                                       cli_text(L->url, url, sizeof(url)));
        if (r < 0) {
                cli_error("%s: host not found", cli_text(L->url, url, sizeof(url)));
                return CLI_EXIT_FAILURE;
        }
        r = load_requests_build(&L->target, L->mix, &L->reqs, &L->nreqs, err, sizeof(err));
        if (r < 0) {
                cli_error("%s", err[0] ? cli_text(err, url, sizeof(url)) : util_strerror(r)); /* it may quote the mix file */
                return r == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
        }
        return GO_ON;
}

/* The load itself, until its end or SIGINT/SIGTERM. Returns GO_ON or an exit status. */
static int run_load(struct load_cmd *L)
{
        int r;

        L->o.target = &L->target;
        L->o.requests = L->reqs;
        L->o.nrequests = L->nreqs;
        L->o.stop = &stop_flag;
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, SIG_IGN);
        r = load_generate(&L->o, &L->res);
        load_requests_free(L->reqs, L->nreqs);
        L->reqs = NULL;
        if (r < 0) {
                cli_error("the load could not run: %s", util_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        return GO_ON;
}

/* The wrk2-like text report on stdout. */
static void print_text(const struct load_cmd *L)
{
        const struct load_result *res = &L->res;
        char url[CLI_TEXT_SIZE];

        printf("%s: %llu requests in %.2f s, %.1f per second (%s, %d connections)\n", cli_text(L->url, url, sizeof(url)),
               (unsigned long long)res->completed, res->elapsed_s,
               res->elapsed_s > 0 ? (double)res->completed / res->elapsed_s : 0.0,
               L->o.rate > 0 ? "open model" : "closed model", L->o.connections);
        if (L->o.rate > 0)
                printf("  asked for %.1f per second; latency from each request's intended send time\n", L->o.rate);
        if (res->hist.total) {
                printf("\nLatency\n");
                print_us("p50", load_hist_quantile(&res->hist, 0.50));
                print_us("p90", load_hist_quantile(&res->hist, 0.90));
                print_us("p99", load_hist_quantile(&res->hist, 0.99));
                print_us("p99.9", load_hist_quantile(&res->hist, 0.999));
                print_us("max", (double)res->hist.max_us);
        } else {
                printf("\nLatency: none measured (no response was received)\n");
        }
        printf("\nResponses: %llu 2xx, %llu 3xx, %llu 4xx, %llu 5xx\n", (unsigned long long)res->status[2],
               (unsigned long long)res->status[3], (unsigned long long)res->status[4], (unsigned long long)res->status[5]);
        printf("Errors:    %llu connect, %llu timeout, %llu reset, %llu parse\n",
               (unsigned long long)res->errors[LOAD_ERR_CONNECT], (unsigned long long)res->errors[LOAD_ERR_TIMEOUT],
               (unsigned long long)res->errors[LOAD_ERR_RESET], (unsigned long long)res->errors[LOAD_ERR_PARSE]);
        if (res->unsent)
                printf("Behind:    %llu requests were due but never sent (the server could not keep up)\n",
                       (unsigned long long)res->unsent);
}

/* The report, JSON or text, and the exit status: 1 when not one request had a response. */
static int report(const struct load_cmd *L)
{
        const struct load_result *res = &L->res;

        if (L->json) {
                json_t *j = load_result_json(L->url, &L->o, res);
                if (!j || jsonout_dumpf(j, stdout, JSONOUT_DUMP_FLAGS) < 0) {
                        json_decref(j);
                        cli_error("cannot write JSON");
                        return CLI_EXIT_FAILURE;
                }
                fputc('\n', stdout);
                json_decref(j);
        } else {
                print_text(L);
        }
        if (cli_close_stdout() < 0)
                return CLI_EXIT_FAILURE;
        if (res->completed == 0) {
                char url[CLI_TEXT_SIZE];
                cli_error("%s: not one request had a response (errors: %llu connect, %llu timeout, %llu reset, %llu parse)",
                          cli_text(L->url, url, sizeof(url)), (unsigned long long)res->errors[LOAD_ERR_CONNECT],
                          (unsigned long long)res->errors[LOAD_ERR_TIMEOUT], (unsigned long long)res->errors[LOAD_ERR_RESET],
                          (unsigned long long)res->errors[LOAD_ERR_PARSE]);
                return CLI_EXIT_FAILURE;
        }
        return CLI_EXIT_OK;
}

int cmd_load(int argc, char **argv)
{
        struct load_cmd L;
        int r;

        r = parse_args(&L, argc, argv);
        if (r == GO_ON)
                r = prepare(&L);
        if (r == GO_ON)
                r = run_load(&L);
        if (r == GO_ON)
                r = report(&L);
        return r;
}
