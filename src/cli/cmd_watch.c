/* jitmem watch: the command line, the loop (a timerfd, a signalfd, the /metrics endpoint) and
 * the terminal view. The figures come from watch.c. */
#include "cli.h"
#include "jsonout.h"
#include "prom.h"
#include "prom_server.h"
#include "prom_textfile.h"
#include "util.h"
#include "watch.h"
#include "watchrec.h"

#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <malloc.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define VIEW_ROWS 30      /* processes shown in the live view (the largest) */
#define SPARK_POINTS 24

static void watch_usage(FILE *f)
{
        fputs("Usage: jitmem watch [OPTIONS] [PID...]\n"
              "\n"
              "Watches processes that are already running, without restarting them: the PIDs given\n"
              "and their descendants, those whose command line matches --match (new ones are picked\n"
              "up as they appear), or those in a cgroup. For each process and for the total: RSS,\n"
              "PSS, JIT code, and a growth class over the last --window: warming up (growing while\n"
              "JIT code grows), plateau, steady growth (a leak suspect), sawtooth, copy-on-write\n"
              "(a pre-forked worker's shared pages becoming private), or not enough data; with a\n"
              "robust slope (Theil-Sen) and its 95% interval, and the time left until the limit.\n"
              "Workers that end and are replaced are counted as restarts: each pays the JIT warm-up\n"
              "again.\n"
              "\n"
              "On a terminal the view refreshes in place; otherwise one line per tick (and one per\n"
              "event). --json prints one JSON object per tick instead. --listen serves the same\n"
              "figures to Prometheus at /metrics; --textfile writes them for node_exporter.\n"
              "\n"
              "Options:\n"
              "      --match REGEX       processes whose command line (arguments joined by spaces)\n"
              "                          matches this POSIX extended regular expression\n"
              "      --cgroup DIR        processes in this cgroup directory (v1 or v2), and its\n"
              "                          usage, working set, limit and OOM kills\n"
              "      --limit SIZE        the memory limit to judge against (default: the cgroup's)\n"
              "  -i, --interval DUR      sampling interval (default 1s)\n"
              "      --window DUR        how far back the growth analysis looks (default 30m)\n"
              "      --rescan DUR        how often --match and --cgroup look for new processes\n"
              "                          (default 5s)\n"
              "      --pss-interval DUR|auto  interval of the page-table walks (PSS, USS); auto keeps\n"
              "                          their cost under 0.5% of one CPU (default auto)\n"
              "      --listen ADDR:PORT  serve /metrics (Prometheus text format); the address\n"
              "                          defaults to 127.0.0.1 (\":9464\"); 0.0.0.0 must be asked for.\n"
              "                          At most 64 connections, 16 from one address, a request\n"
              "                          head whole within 2 s: slow clients give way to a scrape\n"
              "      --textfile PATH     write the metrics to PATH at every tick, atomically\n"
              "      --max-series N      processes exported one by one, the largest (default 64);\n"
              "                          the totals count them all\n"
              "      --json              one JSON object per tick on stdout (jitmem.watch/1)\n"
              "      --record DIR        also write what is sampled to DIR as a run directory\n"
              "                          (meta.json, samples.csv, summary.json at the end), which\n"
              "                          jitmem analyze reads; a DIR holding a run is refused\n"
              "      --force             with --record, replace the run DIR holds\n"
              "  -n, --count N           stop after N ticks\n"
              "      --duration DUR      stop after this long\n"
              "  -h, --help              this help\n"
              "\n"
              "Examples:\n"
              "  jitmem watch 4211 4212\n"
              "  jitmem watch --match 'gunicorn: worker' --limit 384M\n"
              "  jitmem watch --match uvicorn --listen 127.0.0.1:9464\n"
              "  jitmem watch --match 'gunicorn: worker' --duration 1h --record watch-run\n"
              "  jitmem watch --cgroup /sys/fs/cgroup/kubepods.slice/... --textfile /var/lib/node_exporter/jitmem.prom\n"
              "\n"
              "Processes of another user can be read only by root (or with CAP_SYS_PTRACE): they are\n"
              "reported once, left out and counted as untracked. jitmem never watches itself. Stops\n"
              "on SIGINT or SIGTERM. Exit status: 0, 1 when nothing can be watched (no such process,\n"
              "bad cgroup, only another user's processes named), nothing was ever watched (no\n"
              "process matched --match, none in --cgroup), the endpoint cannot listen or the\n"
              "recording cannot be written, 2 usage.\n",
              f);
}



static const char *duration(double s, char *buf, size_t size)
{
        return util_format_seconds(s, "not growing", buf, size);
}

/* The last points of a history as a sparkline (UTF-8 blocks). */
static void sparkline(const struct watch_ring *r, char *out, size_t size)
{
        static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588" };
        double t[WATCH_RING], v[WATCH_RING], u[WATCH_RING], j[WATCH_RING], lo = INFINITY, hi = -INFINITY;
        size_t n = watch_ring_copy(r, t, v, u, j), from = n > SPARK_POINTS ? n - SPARK_POINTS : 0, o = 0;

        out[0] = '\0';
        for (size_t i = from; i < n; i++) {
                lo = fmin(lo, v[i]);
                hi = fmax(hi, v[i]);
        }
        for (size_t i = from; i < n && o + 4 < size; i++) {
                int b = hi > lo ? (int)((v[i] - lo) / (hi - lo) * 7.999) : 0;
                o += (size_t)snprintf(out + o, size - o, "%s", blocks[b]);
        }
}

static const char *class_of(const struct growth_result *g, int valid)
{
        return valid ? growth_class_name(g->cls) : "not_enough_data";
}

/* A growth class in words, for the plain lines. */
static const char *class_words(enum growth_class c)
{
        switch (c) {
        case GROWTH_WARMING_UP: return "warming up";
        case GROWTH_PLATEAU: return "plateau";
        case GROWTH_STEADY: return "steady growth (leak suspect)";
        case GROWTH_SAWTOOTH: return "sawtooth (grows and is released)";
        case GROWTH_COPY_ON_WRITE: return "copy-on-write (workers unsharing pages)";
        default: return "not judged yet";
        }
}

static void print_events(FILE *f, const struct watch *w, const char *ts)
{
        for (size_t i = 0; i < w->nev; i++) {
                const struct watch_event *e = &w->ev[i];
                char comm[4 * 16 + 1]; /* a process's name is its own to choose: made safe to print */
                util_fit_command(e->comm, 16, comm, sizeof(comm));
                switch (e->kind) {
                case WATCH_EV_STARTED:
                        fprintf(f, "%s  pid %d (%s) appeared, child of %d\n", ts, e->pid, comm, e->ppid);
                        break;
                case WATCH_EV_RESTARTED:
                        fprintf(f, "%s  pid %d (%s) restarted a worker of %d: restart %lu, it pays the JIT warm-up again\n", ts,
                                e->pid, comm, e->ppid, w->restarts);
                        break;
                case WATCH_EV_ENDED:
                        fprintf(f, "%s  pid %d (%s) ended after %.0f s\n", ts, e->pid, comm, e->lived_s);
                        break;
                case WATCH_EV_UNREADABLE:
                        fprintf(f, "%s  pid %d cannot be read (another user's process): left out; run jitmem as root or as its owner\n",
                                ts, e->pid);
                        break;
                }
        }
}

static void print_line(FILE *f, const struct watch *w, const char *ts)
{
        char a[32], b[32], c[32], d[32], e[32];

        print_events(f, w, ts);
        int judged = w->g_valid && w->g.cls != GROWTH_NOT_ENOUGH_DATA;
        fprintf(f, "%s  %d process%s  RSS %s  %s %s  JIT %s  ", ts, w->tot.processes, w->tot.processes == 1 ? "" : "es",
               util_format_bytes_or_dash((double)w->tot.rss, a, sizeof(a)), w->tot.judged_name, util_format_bytes_or_dash(w->tot.judged, b, sizeof(b)),
               util_format_bytes_or_dash((double)w->tot.jit, c, sizeof(c)));
        if (w->tot.have_debug)
                fprintf(f, "executors %" PRIu64 " (debug images %s)  ", w->tot.jit_debug_images,
                       util_format_bytes_or_dash((double)w->tot.jit_debug_bytes, e, sizeof(e)));
        if (judged)
                fprintf(f, "%s, %s", class_words(w->g.cls), util_format_rate(w->g.slope, "+", d, sizeof(d)));
        else
                fprintf(f, "growth not judged yet (too short a history)");
        if (w->limit && judged && isinf(w->g.time_to_limit_s))
                fprintf(f, "  limit %s, not growing toward it", util_format_bytes_or_dash((double)w->limit, e, sizeof(e)));
        else if (w->limit && judged)
                fprintf(f, "  limit %s, reached in %s", util_format_bytes_or_dash((double)w->limit, e, sizeof(e)),
                       duration(w->g.time_to_limit_s, a, sizeof(a)));
        else if (w->limit)
                fprintf(f, "  limit %s", util_format_bytes_or_dash((double)w->limit, e, sizeof(e)));
        if (w->restarts)
                fprintf(f, "  restarts %lu", w->restarts);
        fprintf(f, "\n");
}

static int by_rss_desc(const void *x, const void *y)
{
        const struct watch_proc *p = *(const struct watch_proc *const *)x, *q = *(const struct watch_proc *const *)y;
        return p->rss < q->rss ? 1 : p->rss > q->rss ? -1 : p->pid - q->pid;
}

static void print_view(FILE *f, const struct watch *w, double interval_s, const char *ts)
{
        const struct watch_proc *rows[WATCH_MAX_PROCS];
        size_t n = 0;
        char a[32], b[32], c[32], d[32], e[32], sp[SPARK_POINTS * 4 + 1], cgdir[CLI_TEXT_SIZE];

        for (int i = 0; i < WATCH_MAX_PROCS; i++)
                if (w->procs[i].used && w->procs[i].alive)
                        rows[n++] = &w->procs[i];
        qsort(rows, n, sizeof(rows[0]), by_rss_desc);
        fprintf(f, "\033[H\033[2J");
        fprintf(f, "jitmem watch: %d processes, every %.3g s, %.0f s watched; growth over the last %s\n\n", w->tot.processes,
               interval_s, w->t, duration((double)(w->opt.window_ns ? w->opt.window_ns : 1800000000000ULL) / 1e9, a, sizeof(a)));
        fprintf(f, "%8s %-7s %-15s %10s %10s %10s %6s %-16s %12s  %s\n", "PID", "ROLE", "COMMAND", "RSS", "PSS", "JIT", "EXECS",
               "GROWTH", "SLOPE", "RSS, recent");
        for (size_t i = 0; i < n && i < VIEW_ROWS; i++) {
                const struct watch_proc *p = rows[i];
                char comm[4 * 15 + 1];
                size_t cols = util_fit_command(p->comm, 15, comm, sizeof(comm));
                sparkline(&p->ring, sp, sizeof(sp));
                char ex[24] = "-";
                if (p->jit_debug_images >= 0)
                        snprintf(ex, sizeof(ex), "%" PRId64, p->jit_debug_images);
                fprintf(f, "%8d %-7s %s%*s %10s %10s %10s %6s %-16s %12s  %s%s\n", p->pid, watch_role_name(p->role), comm, (int)(15 - cols), "",
                       util_format_bytes_or_dash((double)p->rss, a, sizeof(a)), p->have_pss ? util_format_bytes_or_dash((double)p->pss, b, sizeof(b)) : "-",
                       util_format_bytes_or_dash((double)p->jit, c, sizeof(c)), ex, class_of(&p->g, p->g_valid), p->g_valid ? util_format_rate(p->g.slope, "+", d, sizeof(d)) : "-",
                       sp, p->restarted ? "  (restarted)" : "");
        }
        if (n > VIEW_ROWS)
                fprintf(f, "%8s ... %zu more (all in the totals)\n", "", n - VIEW_ROWS);
        sparkline(&w->ring, sp, sizeof(sp));
        fprintf(f, "\n  total    RSS %s   %s %s   JIT %s   %s\n", util_format_bytes_or_dash((double)w->tot.rss, a, sizeof(a)), w->tot.judged_name,
               util_format_bytes_or_dash(w->tot.judged, b, sizeof(b)), util_format_bytes_or_dash((double)w->tot.jit, c, sizeof(c)), sp);
        if (w->tot.have_debug)
                fprintf(f, "  JIT      %" PRIu64 " executors registered with GDB's JIT interface (EXECS), their debug images %s\n"
                       "           on the heap beside %s of JIT code\n",
                       w->tot.jit_debug_images, util_format_bytes_or_dash((double)w->tot.jit_debug_bytes, a, sizeof(a)), util_format_bytes_or_dash((double)w->tot.jit, b, sizeof(b)));
        if (w->g_valid && w->g.cls == GROWTH_NOT_ENOUGH_DATA) {
                fprintf(f, "  growth   %s\n", w->g.explanation);
        } else if (w->g_valid) {
                fprintf(f, "  growth   %s, %s [%s, %s] (p = %.3g)\n", class_of(&w->g, 1), util_format_rate(w->g.slope, "+", a, sizeof(a)),
                       util_format_rate(w->g.slope_low, "+", b, sizeof(b)), util_format_rate(w->g.slope_high, "+", c, sizeof(c)), w->g.p_value);
                if (w->g.explanation[0])
                        fprintf(f, "           %s\n", w->g.explanation);
        }
        if (w->limit) {
                double used = w->current;
                fprintf(f, "  limit    %s (%s): %s used, %.1f%%; time to the limit %s", util_format_bytes_or_dash((double)w->limit, a, sizeof(a)),
                       w->limit_source, util_format_bytes_or_dash(used, b, sizeof(b)), 100.0 * used / (double)w->limit,
                       w->g_valid ? duration(w->g.time_to_limit_s, c, sizeof(c)) : "-");
                if (w->g_valid && isfinite(w->g.time_to_limit_s))
                        fprintf(f, " [%s, %s]", duration(w->g.ttl_low, d, sizeof(d)), duration(w->g.ttl_high, e, sizeof(e)));
                fprintf(f, "\n");
        } else {
                fprintf(f, "  limit    none known (use --limit or --cgroup)\n");
        }
        if (w->have_cgroup && (w->cg.have & CGROUP_HAVE_OOM_KILLS))
                fprintf(f, "  cgroup   %s, working set %s, OOM kills %llu\n", cli_text(w->cg.dir, cgdir, sizeof(cgdir)),
                       w->cg.have & CGROUP_HAVE_WORKING_SET ? util_format_bytes_or_dash((double)w->cg.working_set_bytes, a, sizeof(a)) : "-",
                       (unsigned long long)w->cg.oom_kills);
        fprintf(f, "  restarts %lu worker%s replaced\n", w->restarts, w->restarts == 1 ? "" : "s");
        if (w->untracked)
                fprintf(f, "  left out %u process%s not watched: %u another user's that cannot be read, the others over jitmem's limits\n",
                        w->untracked, w->untracked == 1 ? "" : "es", w->unreadable_now);
        fprintf(f, "  jitmem   %.2f s CPU, %s peak RSS\n", w->self_cpu_s, util_format_bytes_or_dash((double)w->self_rss, a, sizeof(a)));
        print_events(f, w, ts);
}

/* One `jitmem watch`: its options, the loop's descriptors, the endpoint and the watch. */
void cmd_watch_print(FILE *f, const struct watch *w, int view, double interval_s, const char *clock)
{
        if (view)
                print_view(f, w, interval_s, clock);
        else
                print_line(f, w, clock);
}

struct watch_run {
        struct watch_options o;
        int pids[WATCH_MAX_PIDS];
        const char *listen, *textfile;
        uint64_t count, duration_ns;
        int json, tty;
        int sfd, tfd;
        struct prom_server *srv;
        struct prom_text text;
        struct watch w;
        uint64_t start;
        int stop, watched_any;
        /* --record */
        const char *record_dir;
        int force;
        struct watchrec *rec;
        enum watchrec_end end;          /* how the loop ended */
        int stop_signal;
        char error[512];                /* what stopped it, with WATCHREC_END_ERROR */
};

/* One option. Returns -1 to go on, or the exit status (a usage error, or --help shown). */
static int parse_option(struct watch_run *run, int c, char **argv)
{
        struct watch_options *o = &run->o;
        uint64_t v;

        switch (c) {
        case 'm':
                if (cli_empty_value("watch", "--match", optarg, "a regular expression (an empty one would match every process)"))
                        return CLI_EXIT_USAGE;
                o->match = optarg;
                break;
        case 'g':
                if (cli_empty_value("watch", "--cgroup", optarg, "a cgroup directory"))
                        return CLI_EXIT_USAGE;
                o->cgroup_dir = optarg;
                break;
        case 'L':
                if (util_parse_size(optarg, &v) < 0 || v == 0)
                        return cli_usage_error("watch", "bad --limit '%s': expected a size such as 384M", optarg);
                o->limit_bytes = v;
                break;
        case 'i':
                if (util_parse_duration(optarg, &o->interval_ns) < 0 || o->interval_ns < 1000000ULL ||
                    o->interval_ns > 3600ULL * 1000000000ULL)
                        return cli_usage_error("watch", "bad --interval '%s': expected a duration from 1ms to 1h; units: " UTIL_DURATION_UNITS, optarg);
                break;
        case 'w':
                if (util_parse_duration(optarg, &o->window_ns) < 0 || o->window_ns < 1000000000ULL)
                        return cli_usage_error("watch", "bad --window '%s': expected a duration of 1s or more; units: " UTIL_DURATION_UNITS, optarg);
                break;
        case 'r':
                if (util_parse_duration(optarg, &o->rescan_ns) < 0 || o->rescan_ns == 0)
                        return cli_usage_error("watch", "bad --rescan '%s': expected a duration; units: " UTIL_DURATION_UNITS, optarg);
                break;
        case 'P':
                if (strcmp(optarg, "auto") == 0)
                        o->heavy_interval_ns = 0;
                else if (util_parse_duration(optarg, &o->heavy_interval_ns) < 0 || o->heavy_interval_ns == 0)
                        return cli_usage_error("watch", "bad --pss-interval '%s': expected a duration or auto; units: " UTIL_DURATION_UNITS, optarg);
                break;
        case 'l': {
                struct sockaddr_storage ss;
                socklen_t sl;
                if (prom_server_parse_addr(optarg, &ss, &sl) < 0)
                        return cli_usage_error("watch", "bad --listen '%s': expected HOST:PORT, :PORT or [V6]:PORT, with a port from 0 to 65535",
                                               optarg);
                run->listen = optarg;
                break;
        }
        case 't':
                if (cli_empty_value("watch", "--textfile", optarg, "a file"))
                        return CLI_EXIT_USAGE;
                run->textfile = optarg;
                break;
        case 'S':
                if (util_parse_u64(optarg, strlen(optarg), &v) != (int)strlen(optarg) || v > WATCH_MAX_PROCS)
                        return cli_usage_error("watch", "bad --max-series '%s': expected 0 to %d", optarg, WATCH_MAX_PROCS);
                o->max_series = (int)v;
                break;
        case 'j': run->json = 1; break;
        case 'R':
                if (cli_empty_value("watch", "--record", optarg, "a directory"))
                        return CLI_EXIT_USAGE;
                run->record_dir = optarg;
                break;
        case 'F': run->force = 1; break;
        case 'n':
                if (util_parse_u64(optarg, strlen(optarg), &run->count) != (int)strlen(optarg) || run->count == 0)
                        return cli_usage_error("watch", "bad --count '%s': expected a whole number of ticks", optarg);
                break;
        case 'd':
                if (util_parse_duration(optarg, &run->duration_ns) < 0 || run->duration_ns == 0)
                        return cli_usage_error("watch", "bad --duration '%s': expected a duration such as 30s; units: " UTIL_DURATION_UNITS, optarg);
                break;
        case 'h':
                watch_usage(stdout);
                return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
        default:
                return cli_option_error("watch", c, argv);
        }
        return -1;
}

/* The command line. Returns -1 to go on, or the exit status. */
static int parse_args(struct watch_run *run, int argc, char **argv)
{
        static const struct option opts[] = {
                { "match", required_argument, NULL, 'm' },
                { "cgroup", required_argument, NULL, 'g' },
                { "limit", required_argument, NULL, 'L' },
                { "interval", required_argument, NULL, 'i' },
                { "window", required_argument, NULL, 'w' },
                { "rescan", required_argument, NULL, 'r' },
                { "pss-interval", required_argument, NULL, 'P' },
                { "listen", required_argument, NULL, 'l' },
                { "textfile", required_argument, NULL, 't' },
                { "max-series", required_argument, NULL, 'S' },
                { "json", no_argument, NULL, 'j' },
                { "record", required_argument, NULL, 'R' },
                { "force", no_argument, NULL, 'F' },
                { "count", required_argument, NULL, 'n' },
                { "duration", required_argument, NULL, 'd' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        struct watch_options *o = &run->o;
        int c, code;

        o->interval_ns = 1000000000ULL;
        o->window_ns = 1800ULL * 1000000000ULL;
        o->rescan_ns = 5000000000ULL;
        o->max_series = 64;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":i:n:h", opts, NULL)) != -1)
                if ((code = parse_option(run, c, argv)) >= 0)
                        return code;
        for (int i = optind; i < argc; i++) {
                uint64_t pid;
                if (util_parse_u64(argv[i], strlen(argv[i]), &pid) != (int)strlen(argv[i]) || pid == 0 || pid > INT32_MAX)
                        return cli_usage_error("watch", "'%s' is not a PID", argv[i]);
                if (o->npids == WATCH_MAX_PIDS)
                        return cli_usage_error("watch", "at most %d PIDs", WATCH_MAX_PIDS);
                run->pids[o->npids++] = (int)pid;
        }
        o->pids = run->pids;
        if (o->npids == 0 && !o->match && !o->cgroup_dir)
                return cli_usage_error("watch", "nothing to watch: give PIDs, --match REGEX or --cgroup DIR");
        if (run->force && !run->record_dir)
                return cli_usage_error("watch", "--force replaces a recording: it goes with --record DIR");
        return -1;
}

/* The loop's descriptors: SIGINT and SIGTERM through a signalfd (a clean stop flushes the last
 * tick), and the tick's timerfd. Returns 0, or -1 said on stderr. */
static int open_loop(struct watch_run *run)
{
        sigset_t mask;

        /* A fixed mmap threshold: the sampler is rebuilt now and then (see watch.h), and glibc's
         * adaptive threshold would otherwise move its large, short-lived tables onto the heap,
         * where they fragment it; mapped, they go back to the kernel whole. */
        mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        signal(SIGPIPE, SIG_IGN);
        run->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
        run->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        if (run->sfd < 0 || run->tfd < 0) {
                cli_error("cannot set up the loop: %s", strerror(errno));
                return -1;
        }
        return 0;
}

/* The watch set up. Returns -1 to go on, or the exit status (a bad pattern is a usage error). */
static int start_watch(struct watch_run *run)
{
        char err[512];
        int r = watch_init(&run->w, &run->o, err, sizeof(err));

        if (r == -EINVAL)
                return cli_usage_error("watch", "%s", err);
        if (r < 0) {
                cli_error("%s", err);
                return CLI_EXIT_FAILURE;
        }
        return -1;
}

/* The recording, when --record asks for one. Returns 0, or -1 said on stderr. */
static int open_record(struct watch_run *run)
{
        char err[2 * KFILE_PATH_MAX + 256];

        if (!run->record_dir)
                return 0;
        if (watchrec_open(run->record_dir, run->force, &run->w, &run->rec, err, sizeof(err)) < 0) {
                cli_error("%s", err);
                return -1;
        }
        return 0;
}

/* summary.json written, how the watch ended said in it. Returns the exit status. */
static int finish_record(struct watch_run *run, int code)
{
        char err[2 * KFILE_PATH_MAX + 256];

        if (!run->rec)
                return code;
        if (watchrec_finish(run->rec, &run->w, run->end, run->stop_signal, run->error, code, err, sizeof(err)) < 0) {
                cli_error("%s", err);
                if (code == CLI_EXIT_OK)
                        code = CLI_EXIT_FAILURE;
        }
        run->rec = NULL;
        return code;
}

/* The /metrics endpoint, when --listen asks for one. Returns 0, or -1 said on stderr. */
static int open_endpoint(struct watch_run *run)
{
        char err[512];

        if (!run->listen)
                return 0;
        if (prom_server_open(run->listen, &run->srv, err, sizeof(err)) < 0) {
                cli_error("%s", err);
                return -1;
        }
        if (!run->json)
                fprintf(stderr, "jitmem: serving /metrics on port %d\n", prom_server_port(run->srv));
        return 0;
}

/* Waits for the timer, serving the endpoint and taking signals meanwhile. Returns 1 when a tick
 * is due, 0 when not (or when stopping), -1 when poll failed. */
static int wait_for_tick(struct watch_run *run)
{
        struct pollfd pf[3] = { { run->tfd, POLLIN, 0 }, { run->sfd, POLLIN, 0 }, { run->srv ? prom_server_fd(run->srv) : -1, POLLIN, 0 } };
        uint64_t expirations;

        if (poll(pf, 3, -1) < 0 && errno != EINTR)
                return -1;
        if (pf[1].revents & POLLIN) {
                struct signalfd_siginfo si;
                while (read(run->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
                        run->stop = 1;
                        run->stop_signal = (int)si.ssi_signo;
                        run->end = WATCHREC_END_SIGNAL;
                }
        }
        if (run->srv && (pf[2].revents & POLLIN))
                (void)prom_server_service(run->srv, util_now_ns());
        if (!(pf[0].revents & POLLIN) || run->stop)
                return 0;
        return read(run->tfd, &expirations, sizeof(expirations)) < 0 ? 0 : 1;
}

/* The tick as Prometheus text, to the endpoint and the textfile. Returns 0, or -1 said. */
static int export_metrics(struct watch_run *run)
{
        struct prom_text *text = &run->text;
        int r;

        if (!run->srv && !run->textfile)
                return 0;
        watch_prometheus(&run->w, text);
        if (run->srv)
                (void)prom_server_set_body(run->srv, text->buf ? text->buf : "", text->len);
        if (run->textfile) {
                r = prom_write_textfile(run->textfile, text->buf ? text->buf : "", text->len);
                if (r < 0) {
                        cli_error("cannot write %s: %s", run->textfile, util_strerror(r));
                        return -1;
                }
        }
        return 0;
}

/* The tick on stdout: a JSON line, the terminal view or a plain line. */
static void print_tick(struct watch_run *run)
{
        if (run->json) {
                json_t *j = watch_json(&run->w);
                char *s = j ? jsonout_dumps(j, JSONOUT_DUMP_LINE) : NULL;
                if (s) {
                        printf("%s\n", s);
                        fflush(stdout);
                }
                free(s);
                json_decref(j);
        } else {
                char ts[32];
                time_t now = time(NULL);
                struct tm tm;
                localtime_r(&now, &tm);
                strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
                cmd_watch_print(stdout, &run->w, run->tty, (double)run->o.interval_ns / 1e9, ts);
                fflush(stdout);
        }
}

/* Why the processes found could not be watched, when some cannot be read: "" or a clause. */
static const char *unreadable_clause(const struct watch *w, char *buf, size_t size)
{
        if (!w->unreadable_now)
                return "";
        snprintf(buf, size, ": %u process%s of another user cannot be read (run jitmem as root or as the owner)",
                 w->unreadable_now, w->unreadable_now == 1 ? "" : "es");
        return buf;
}

/* The first tick found nothing it could watch: with PIDs alone nothing new can come (the
 * processes named, their descendants unreadable or gone), an exit 1 said at once; with --match
 * or --cgroup, said, and looked for again at every rescan. Returns CLI_EXIT_OK to go on. */
static int nothing_at_first_tick(const struct watch_run *run)
{
        const struct watch_options *o = &run->o;
        char why[160];

        if (!o->match && !o->cgroup_dir) {
                cli_error("nothing could be watched%s", run->w.unreadable_now ? unreadable_clause(&run->w, why, sizeof(why))
                                                                               : ": the processes named have ended");
                return CLI_EXIT_FAILURE;
        }
        cli_error("no process %s yet%s; looking again every %.3g s", o->match ? "that matches --match can be watched" : "in --cgroup can be watched",
                  unreadable_clause(&run->w, why, sizeof(why)), (double)o->rescan_ns / 1e9);
        return CLI_EXIT_OK;
}

/* One tick: sampled, recorded, exported and printed (a first tick with nothing to watch too:
 * its events name the processes that cannot be read). Returns CLI_EXIT_OK, or CLI_EXIT_FAILURE
 * said (and run->end set). */
static int one_tick(struct watch_run *run)
{
        int r = watch_tick(&run->w), code = CLI_EXIT_OK;

        run->end = WATCHREC_END_ERROR;
        if (r < 0) {
                snprintf(run->error, sizeof(run->error), "sampling failed: %s", util_strerror(r));
                cli_error("%s", run->error);
                return CLI_EXIT_FAILURE;
        }
        if (run->rec && watchrec_tick(run->rec, &run->w, run->error, sizeof(run->error)) < 0) {
                cli_error("%s", run->error);
                return CLI_EXIT_FAILURE;
        }
        if (export_metrics(run) < 0) {
                snprintf(run->error, sizeof(run->error), "the metrics could not be written");
                return CLI_EXIT_FAILURE;
        }
        print_tick(run);
        if (run->w.tot.processes > 0)
                run->watched_any = 1;
        else if (run->w.ticks == 1)
                code = nothing_at_first_tick(run);
        if (code != CLI_EXIT_OK)
                run->end = WATCHREC_END_NOTHING;
        else if (ferror(stdout))
                snprintf(run->error, sizeof(run->error), "stdout cannot be written");
        return ferror(stdout) ? CLI_EXIT_FAILURE : code;
}

/* Ticks until a signal, --count or --duration. Returns the exit status. */
static int run_loop(struct watch_run *run)
{
        struct itimerspec its = { { (time_t)(run->o.interval_ns / 1000000000ULL), (long)(run->o.interval_ns % 1000000000ULL) },
                                  { 0, 1 } };
        int code = CLI_EXIT_OK, due;

        timerfd_settime(run->tfd, 0, &its, NULL);
        run->tty = !run->json && isatty(STDOUT_FILENO);
        run->start = util_now_ns();
        while (!run->stop) {
                if ((due = wait_for_tick(run)) < 0) {
                        run->end = WATCHREC_END_ERROR;
                        snprintf(run->error, sizeof(run->error), "poll failed: %s", strerror(errno));
                        break;
                }
                if (!due)
                        continue;
                if ((code = one_tick(run)) != CLI_EXIT_OK)
                        break;
                run->end = WATCHREC_END_SIGNAL;
                if (run->count && run->w.ticks >= run->count) {
                        run->stop = 1;
                        run->end = WATCHREC_END_COUNT;
                } else if (run->duration_ns && util_now_ns() - run->start >= run->duration_ns) {
                        run->stop = 1;
                        run->end = WATCHREC_END_DURATION;
                }
        }
        return code;
}

/* A watch that ended with nothing to watch at any tick is a failure, said. */
static int nothing_watched(const struct watch_run *run)
{
        const struct watch *w = &run->w;

        const char *unread = w->unreadable ? " that could be read (those of another user cannot be: run jitmem as root or as the owner)" : "";

        if (run->o.match)
                cli_error("no process matched --match '%s' in %llu tick%s%s", run->o.match,
                          (unsigned long long)w->ticks, w->ticks == 1 ? "" : "s", unread);
        else if (run->o.cgroup_dir)
                cli_error("no process was in the cgroup %s in %llu tick%s%s", run->o.cgroup_dir,
                          (unsigned long long)w->ticks, w->ticks == 1 ? "" : "s", unread);
        else
                cli_error("none of the processes named could be watched");
        return CLI_EXIT_FAILURE;
}

int cmd_watch(int argc, char **argv)
{
        static struct watch_run run;
        int code;

        memset(&run, 0, sizeof(run));
        code = parse_args(&run, argc, argv);
        if (code >= 0)
                return code;
        code = CLI_EXIT_FAILURE;
        if (open_loop(&run) < 0)
                goto out;
        code = start_watch(&run);
        if (code >= 0)
                goto out;
        code = CLI_EXIT_FAILURE;
        prom_text_init(&run.text, 0);
        if (open_endpoint(&run) < 0)
                goto out_watch;
        if (open_record(&run) < 0) {
                prom_server_close(run.srv);
                goto out_watch;
        }
        code = run_loop(&run);
        if (code == CLI_EXIT_OK && !run.watched_any)
                code = nothing_watched(&run);
        code = finish_record(&run, code);
        prom_server_close(run.srv);
out_watch:
        prom_text_free(&run.text);
        watch_free(&run.w);
out:
        if (run.sfd >= 0)
                close(run.sfd);
        if (run.tfd >= 0)
                close(run.tfd);
        if (cli_close_stdout() < 0 && code == CLI_EXIT_OK)
                code = CLI_EXIT_FAILURE;
        return code;
}
