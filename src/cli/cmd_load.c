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
              "  -r, --rate R            requests per second (open model)\n"
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

int cmd_load(int argc, char **argv)
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
        struct load_options o;
        struct load_target target;
        struct load_result res;
        struct load_request *reqs = NULL;
        size_t nreqs = 0;
        const char *mix = NULL, *url;
        char err[512] = "";
        int json = 0, c, r, duration_set = 0;
        uint64_t u;

        memset(&o, 0, sizeof(o));
        o.connections = 10;
        o.duration_ns = 10000000000ULL;
        o.timeout_ns = 10000000000ULL;
        o.seed = 1;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":r:c:d:n:h", opts, NULL)) != -1) {
                switch (c) {
                case 'r': {
                        char *end;
                        o.rate = strtod(optarg, &end);
                        if (*end || !(o.rate > 0) || o.rate > 1e7)
                                return cli_usage_error("load", "bad --rate '%s': expected requests per second above 0", optarg);
                        break;
                }
                case 'c':
                        if (util_parse_u64(optarg, strlen(optarg), &u) != (int)strlen(optarg) || u < 1 || u > LOAD_MAX_CONNECTIONS)
                                return cli_usage_error("load", "bad --connections '%s': expected 1 to %d", optarg, LOAD_MAX_CONNECTIONS);
                        o.connections = (int)u;
                        break;
                case 'd':
                        if (util_parse_duration(optarg, &o.duration_ns) < 0 || o.duration_ns == 0)
                                return cli_usage_error("load", "bad --duration '%s': expected a duration such as 30s; units: " UTIL_DURATION_UNITS, optarg);
                        duration_set = 1;
                        break;
                case 'n':
                        if (util_parse_u64(optarg, strlen(optarg), &o.count) != (int)strlen(optarg) || o.count == 0)
                                return cli_usage_error("load", "bad --count '%s': expected a whole number above 0", optarg);
                        break;
                case 'R': mix = optarg; break;
                case 's':
                        if (util_parse_u64(optarg, strlen(optarg), &o.seed) != (int)strlen(optarg))
                                return cli_usage_error("load", "bad --seed '%s'", optarg);
                        break;
                case 't':
                        if (util_parse_duration(optarg, &o.timeout_ns) < 0 || o.timeout_ns < 1000000ULL)
                                return cli_usage_error("load", "bad --timeout '%s': expected a duration of 1ms or more; units: " UTIL_DURATION_UNITS, optarg);
                        break;
                case 'j': json = 1; break;
                case 'h':
                        load_usage(stdout);
                        return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
                default:
                        return cli_option_error("load", c, argv);
                }
        }
        if (optind != argc - 1)
                return cli_usage_error("load", optind >= argc ? "no URL given" : "more than one URL given");
        url = argv[optind];
        if (o.count && !duration_set)
                o.duration_ns = 0;
        r = load_parse_url(url, &target);
        if (r == -EINVAL)
                return cli_usage_error("load", "bad URL '%s': expected http://HOST[:PORT][/PATH]", url);
        if (r < 0) {
                cli_error("%s: host not found", url);
                return CLI_EXIT_FAILURE;
        }
        r = load_requests_build(&target, mix, &reqs, &nreqs, err, sizeof(err));
        if (r < 0) {
                cli_error("%s", err[0] ? err : util_strerror(r));
                return r == -EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_FAILURE;
        }
        o.target = &target;
        o.requests = reqs;
        o.nrequests = nreqs;
        o.stop = &stop_flag;
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        signal(SIGPIPE, SIG_IGN);
        r = load_run(&o, &res);
        load_requests_free(reqs, nreqs);
        if (r < 0) {
                cli_error("the load could not run: %s", util_strerror(r));
                return CLI_EXIT_FAILURE;
        }
        if (json) {
                json_t *j = load_result_json(url, &o, &res);
                if (!j || jsonout_dumpf(j, stdout, JSONOUT_DUMP_FLAGS) < 0) {
                        json_decref(j);
                        cli_error("cannot write JSON");
                        return CLI_EXIT_FAILURE;
                }
                fputc('\n', stdout);
                json_decref(j);
        } else {
                printf("%s: %llu requests in %.2f s, %.1f per second (%s, %d connections%s)\n", url,
                       (unsigned long long)res.completed, res.elapsed_s,
                       res.elapsed_s > 0 ? (double)res.completed / res.elapsed_s : 0.0,
                       o.rate > 0 ? "open model" : "closed model", o.connections, o.rate > 0 ? "" : "");
                if (o.rate > 0)
                        printf("  asked for %.1f per second; latency from each request's intended send time\n", o.rate);
                if (res.hist.total) {
                        printf("\nLatency\n");
                        print_us("p50", load_hist_quantile(&res.hist, 0.50));
                        print_us("p90", load_hist_quantile(&res.hist, 0.90));
                        print_us("p99", load_hist_quantile(&res.hist, 0.99));
                        print_us("p99.9", load_hist_quantile(&res.hist, 0.999));
                        print_us("max", (double)res.hist.max_us);
                } else {
                        printf("\nLatency: none measured (no response was received)\n");
                }
                printf("\nResponses: %llu 2xx, %llu 3xx, %llu 4xx, %llu 5xx\n", (unsigned long long)res.status[2],
                       (unsigned long long)res.status[3], (unsigned long long)res.status[4], (unsigned long long)res.status[5]);
                printf("Errors:    %llu connect, %llu timeout, %llu reset, %llu parse\n",
                       (unsigned long long)res.errors[LOAD_ERR_CONNECT], (unsigned long long)res.errors[LOAD_ERR_TIMEOUT],
                       (unsigned long long)res.errors[LOAD_ERR_RESET], (unsigned long long)res.errors[LOAD_ERR_PARSE]);
                if (res.unsent)
                        printf("Behind:    %llu requests were due but never sent (the server could not keep up)\n",
                               (unsigned long long)res.unsent);
        }
        if (cli_close_stdout() < 0)
                return CLI_EXIT_FAILURE;
        if (res.completed == 0) {
                cli_error("%s: not one request had a response (errors: %llu connect, %llu timeout, %llu reset, %llu parse)",
                          url, (unsigned long long)res.errors[LOAD_ERR_CONNECT],
                          (unsigned long long)res.errors[LOAD_ERR_TIMEOUT], (unsigned long long)res.errors[LOAD_ERR_RESET],
                          (unsigned long long)res.errors[LOAD_ERR_PARSE]);
                return CLI_EXIT_FAILURE;
        }
        return CLI_EXIT_OK;
}
