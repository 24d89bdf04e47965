/* jitmem env: the interpreter, its JIT, the container and the machine. */
#include "cgroup.h"
#include "cli.h"
#include "jsonout.h"
#include "kfile.h"
#include "machine.h"
#include "python_probe.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define ENV_SCHEMA "jitmem.env/1"

static void env_usage(FILE *f)
{
        fputs("Usage: jitmem env [--python PY] [--json] [OPTIONS]\n"
              "\n"
              "Tells what an interpreter is and what its JIT does, by running it with a short probe\n"
              "program (no shell, under a timeout); measures its start-up RSS and PSS with the JIT\n"
              "off and on; reads the memory cgroup's limits and usage and the machine's memory.\n"
              "\n"
              "Options:\n"
              "  --python PY        interpreter to probe (default: python3 on PATH)\n"
              "  --json             print one JSON object (schema " ENV_SCHEMA ", see docs/schemas.md)\n"
              "  --runs N           start-up measurements per mode, medians reported (default 3)\n"
              "  --no-startup       skip the start-up measurement\n"
              "  --timeout DUR      bound on each interpreter launch (default 10s)\n"
              "  --root DIR         read /proc and /sys facts below DIR (a host's root mounted in a\n"
              "                     container, or a fixture tree); the interpreter runs locally\n"
              "  -h, --help         this help\n"
              "\n"
              "JIT status is one of: not built in; built in, off by default (yes-off); built in, on by\n"
              "default; tier-2 interpreter only, no machine code (interpreter build). PYTHON_JIT turns\n"
              "it on for any non-empty value not starting with '0', off for one starting with '0'.\n"
              "\n" CLI_EXIT_CODES_HELP,
              f);
}

static const char *yes_no_unknown(int v, const char *yes, const char *no)
{
        return v < 0 ? "unknown" : v ? yes : no;
}

static void print_bytes_line(const char *label, int known, uint64_t v)
{
        char b[32];

        printf("  %-16s %s\n", label, known ? util_format_bytes(v, b, sizeof(b)) : "unknown");
}

static void print_python(const struct python_info *pi)
{
        char a[32], b[32], c[32], safe[CLI_TEXT_SIZE];

        printf("Interpreter\n");
        printf("  %-16s %s", "path", cli_text(pi->path, safe, sizeof(safe)));
        if (pi->executable[0] && strcmp(pi->executable, pi->path) != 0)
                printf("  (sys.executable %s)", cli_text(pi->executable, safe, sizeof(safe)));
        printf("\n  %-16s %s (%s%s)\n", "version", pi->version, pi->implementation,
               pi->free_threaded ? ", free-threaded" : "");
        printf("  %-16s %s", "JIT", python_jit_build_text(pi->build));
        if (pi->config_jit[0])
                printf("  [%s]", pi->config_jit);
        printf("\n");
        if (pi->build != PY_JIT_NOT_BUILT) {
                printf("  %-16s %s\n", "on by default", yes_no_unknown(pi->jit_default, "yes", "no"));
                printf("  %-16s %s  (from %s)\n", "on now", yes_no_unknown(pi->jit_now, "yes", "no"),
                       pi->jit_now_evidence);
        }
        if (pi->env_python_jit_set) {
                int eff = python_jit_env_effect(pi->env_python_jit);
                int machine_code = pi->build == PY_JIT_BUILT_ON || pi->build == PY_JIT_BUILT_OFF;
                printf("  %-16s \"%s\": %s\n", "PYTHON_JIT", pi->env_python_jit,
                       !machine_code && pi->build != PY_JIT_INTERPRETER_ONLY
                               ? "no effect: this interpreter has no JIT"
                       : eff < 0 ? "empty, no effect (the build default applies)"
                       : eff ? "turns the JIT on (non-empty, not starting with 0)"
                             : "turns the JIT off (starts with 0)");
        } else {
                printf("  %-16s unset%s\n", "PYTHON_JIT",
                       pi->build == PY_JIT_NOT_BUILT ? " (no JIT to switch)" : ": the build default applies");
        }
        if (pi->perf_disables_jit >= 0)
                printf("  %-16s %s (measured with -X perf)\n", "perf support",
                       pi->perf_disables_jit ? "turns the JIT off" : "leaves the JIT on");
        if (pi->isolated_ignores_env >= 0)
                printf("  %-16s %s (measured with PYTHON_JIT=%s -I)\n", "isolated mode",
                       pi->isolated_ignores_env ? "-I (and -E, which it implies) ignore PYTHON_JIT: the build default applies"
                                                : "-I keeps PYTHON_JIT in effect",
                       pi->build == PY_JIT_BUILT_ON ? "0" : "1");
        if (pi->build == PY_JIT_BUILT_ON || pi->build == PY_JIT_BUILT_OFF)
                printf("  %-16s its benchmark workers get a fresh environment without PYTHON_JIT unless\n"
                       "  %-16s given --inherit-environ=PYTHON_JIT (or --copy-env) (documented: pyperf's\n"
                       "  %-16s create_environ, pyperf/_utils.py)\n", "pyperf", "", "");
        if (pi->perf_env_set)
                printf("  %-16s PYTHONPERFSUPPORT is set: perf trampolines (anonymous executable memory) are on%s\n",
                       "note", pi->perf_disables_jit == 1 ? ", and they turn the JIT off" : "");
        if (pi->startup_measured_off && pi->startup_measured_on) {
                int64_t d = (int64_t)pi->startup_rss_on - (int64_t)pi->startup_rss_off;
                printf("  %-16s RSS %s off, %s on (%s%s); PSS %s off, %s on  (median of %d)\n", "start-up",
                       util_format_bytes(pi->startup_rss_off, a, sizeof(a)),
                       util_format_bytes(pi->startup_rss_on, b, sizeof(b)), d < 0 ? "-" : "+",
                       util_format_bytes((uint64_t)(d < 0 ? -d : d), c, sizeof(c)),
                       util_format_bytes(pi->startup_pss_off, a, sizeof(a)),
                       util_format_bytes(pi->startup_pss_on, b, sizeof(b)), pi->startup_runs);
        } else if (pi->startup_measured_off) {
                printf("  %-16s RSS %s, PSS %s  (median of %d)\n", "start-up",
                       util_format_bytes(pi->startup_rss_off, a, sizeof(a)),
                       util_format_bytes(pi->startup_pss_off, b, sizeof(b)), pi->startup_runs);
        }
}

static void print_limit(const char *label, const struct cgroup_info *cg, unsigned bit, uint64_t v)
{
        char b[32];

        if (!(cg->have & bit))
                printf("  %-16s unknown\n", label);
        else if (v == CGROUP_NO_LIMIT)
                printf("  %-16s no limit\n", label);
        else
                printf("  %-16s %s (%" PRIu64 " bytes)\n", label, util_format_bytes(v, b, sizeof(b)), v);
}

static void print_cgroup(const struct cgroup_info *cg)
{
        printf("\nContainer (cgroup %s)\n", cgroup_version_name(cg->version));
        if (cg->version == CGROUP_NONE) {
                printf("  no memory cgroup found: no limit but the machine's\n");
                return;
        }
        printf("  %-16s %s\n", "cgroup", cg->path);
        printf("  %-16s %s%s\n", "directory", kfile_root(), cg->dir);
        print_limit("memory limit", cg, CGROUP_HAVE_LIMIT, cg->limit_bytes);
        if ((cg->have & CGROUP_HAVE_LIMIT) && cg->limit_bytes != CGROUP_NO_LIMIT && cg->limit_dir[0] &&
            strcmp(cg->limit_dir, cg->dir) != 0)
                printf("  %-16s set by %s\n", "", cg->limit_dir);
        print_bytes_line("usage", cg->have & CGROUP_HAVE_USAGE, cg->usage_bytes);
        print_bytes_line("peak", cg->have & CGROUP_HAVE_PEAK, cg->peak_bytes);
        print_bytes_line("working set", cg->have & CGROUP_HAVE_WORKING_SET, cg->working_set_bytes);
        if (cg->have & CGROUP_HAVE_OOM_KILLS)
                printf("  %-16s %" PRIu64 "\n", "OOM kills", cg->oom_kills);
        else
                printf("  %-16s unknown\n", "OOM kills");
        print_limit("swap limit", cg, CGROUP_HAVE_SWAP_LIMIT, cg->swap_limit_bytes);
        if (!(cg->have & CGROUP_HAVE_CPU))
                printf("  %-16s unknown\n", "CPU quota");
        else if (cg->cpu_quota_us < 0)
                printf("  %-16s no quota\n", "CPU quota");
        else
                printf("  %-16s %.2f CPUs (%" PRId64 " us per %" PRIu64 " us)\n", "CPU quota",
                       (double)cg->cpu_quota_us / (double)(cg->cpu_period_us ? cg->cpu_period_us : 1),
                       cg->cpu_quota_us, cg->cpu_period_us);
}

static void print_machine(const struct machine_info *m)
{
        char a[32], b[32];

        printf("\nMachine\n");
        printf("  %-16s %s %s, %ld CPUs online\n", "kernel", m->kernel, m->arch, m->cpus_online);
        printf("  %-16s %" PRIu64 " bytes\n", "page size", m->page_size);
        printf("  %-16s %s\n", "THP", m->thp_enabled[0] ? m->thp_enabled : "unknown");
        if (m->anon_vma_name == 0)
                printf("  %-16s not supported by this kernel (no CONFIG_ANON_VMA_NAME; measured): no mapping\n"
                       "  %-16s is ever named [anon:cpython:jit] here (CPython 3.15 names its JIT code only under\n"
                       "  %-16s -X dev or in a debug build); jitmem counts unnamed JIT code alike\n",
                       "named memory", "", "");
        else if (m->anon_vma_name == 1)
                printf("  %-16s supported (CONFIG_ANON_VMA_NAME; measured): CPython 3.15 names its JIT code\n"
                       "  %-16s [anon:cpython:jit] under -X dev or in a debug build\n", "named memory", "");
        if (m->have_meminfo) {
                printf("  %-16s %s total, %s available\n", "memory",
                       util_format_bytes(m->meminfo.mem_total, a, sizeof(a)),
                       util_format_bytes(m->meminfo.mem_available, b, sizeof(b)));
                if (m->meminfo.swap_total == 0)
                        printf("  %-16s none\n", "swap");
                else
                        printf("  %-16s %s total, %s free\n", "swap",
                               util_format_bytes(m->meminfo.swap_total, a, sizeof(a)),
                               util_format_bytes(m->meminfo.swap_free, b, sizeof(b)));
        }
}

/* What jitmem env was asked for. */
struct env_options {
        const char *python;   /* --python, or NULL: python3 on PATH */
        const char *root;     /* --root, or NULL */
        int json;
        int startup;          /* measure the start-up RSS and PSS */
        int runs;
        uint64_t timeout_ns;
};

/* What jitmem env found: the interpreter (or why not), the cgroup, the machine. */
struct env_report {
        struct python_info *pi;
        int have_python;
        const char *py_problem;       /* why there is no interpreter to report, or NULL */
        char py_problem_buf[1024];
        struct cgroup_info *cg;
        int have_cg;
        struct machine_info m;
};

/* Parses the command line into *o. Returns 0 to go on, -1 when the help was printed, or the
 * exit status of a usage error (said on stderr) or of a failed write of the help. */
static int env_parse(int argc, char **argv, struct env_options *o)
{
        static const struct option opts[] = {
                { "python", required_argument, NULL, 'p' },
                { "json", no_argument, NULL, 'j' },
                { "runs", required_argument, NULL, 'n' },
                { "no-startup", no_argument, NULL, 'S' },
                { "timeout", required_argument, NULL, 't' },
                { "root", required_argument, NULL, 'r' },
                { "help", no_argument, NULL, 'h' },
                { NULL, 0, NULL, 0 },
        };
        int c;

        memset(o, 0, sizeof(*o));
        o->startup = 1;
        o->runs = 3;
        o->timeout_ns = PYTHON_PROBE_TIMEOUT_NS;
        optind = 1;
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
                switch (c) {
                case 'p': o->python = optarg; break;
                case 'j': o->json = 1; break;
                case 'S': o->startup = 0; break;
                case 'r': o->root = optarg; break;
                case 'n': {
                        uint64_t v;
                        if (util_parse_u64(optarg, strlen(optarg), &v) != (int)strlen(optarg) || v < 1 || v > 15)
                                return cli_usage_error("env", "bad --runs '%s': expected a whole number from 1 to 15", optarg);
                        o->runs = (int)v;
                        break;
                }
                case 't':
                        if (util_parse_duration(optarg, &o->timeout_ns) < 0 || o->timeout_ns < 1000000ULL)
                                return cli_usage_error("env", "bad --timeout '%s': expected a duration such as 5s or 500ms; units: " UTIL_DURATION_UNITS, optarg);
                        break;
                case 'h':
                        env_usage(stdout);
                        return cli_close_stdout() < 0 ? CLI_EXIT_FAILURE : -1;
                default:
                        return cli_option_error("env", c, argv);
                }
        }
        if (optind < argc)
                return cli_usage_error("env", "unexpected argument '%s'", argv[optind]);
        if (o->root && kfile_set_root(o->root) < 0)
                return cli_usage_error("env", "bad --root '%s': path too long", o->root);
        return 0;
}

/* Finds and probes the interpreter: rep->have_python, or the sentence rep->py_problem. */
static void env_probe_python(const struct env_options *o, struct env_report *rep)
{
        const char *name = o->python ? o->python : "python3";
        char resolved[KFILE_PATH_MAX], err[512] = "";
        int r;

        r = spawn_resolve(name, resolved, sizeof(resolved));
        if (r < 0) {
                snprintf(rep->py_problem_buf, sizeof(rep->py_problem_buf), "%s %s", name,
                         r == -ENOENT ? (o->python ? "does not exist" : "is not on PATH")
                                      : r == -EACCES ? "is not executable" : util_strerror(r));
                rep->py_problem = rep->py_problem_buf;
                return;
        }
        r = python_probe(resolved, o->timeout_ns, o->startup, o->runs, rep->pi, err, sizeof(err));
        if (r == -ENOEXEC) {
                snprintf(rep->py_problem_buf, sizeof(rep->py_problem_buf), "%s is not a Python interpreter (%s)", resolved, err);
                rep->py_problem = rep->py_problem_buf;
        } else if (r < 0) {
                snprintf(rep->py_problem_buf, sizeof(rep->py_problem_buf), "cannot probe %s: %s", resolved,
                         err[0] ? err : util_strerror(r));
                rep->py_problem = rep->py_problem_buf;
        } else {
                rep->have_python = 1;
        }
}

/* The machine, and the cgroup of this process (a failure said on stderr, the rest reported). */
static void env_read_system(struct env_report *rep)
{
        int r;

        machine_read(&rep->m);
        r = cgroup_detect(0, rep->cg);
        if (r == 0)
                rep->have_cg = 1;
        else
                cli_error("cannot read the cgroup of this process: %s", util_strerror(r));
}

/* One JSON object on stdout. Returns 0, or -EIO (said on stderr). */
static int env_print_json(const struct env_report *rep)
{
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}",
                              "schema", ENV_SCHEMA,
                              "jitmem_version", JITMEM_VERSION,
                              "python", rep->have_python ? jsonout_python(rep->pi) : json_null(),
                              "python_problem", jsonout_text(rep->py_problem),
                              "cgroup", rep->have_cg ? jsonout_cgroup(rep->cg) : json_null(),
                              "machine", jsonout_machine(&rep->m));

        if (!o || jsonout_dumpf(o, stdout, JSONOUT_DUMP_FLAGS) < 0) {
                json_decref(o);
                cli_error("cannot write JSON to stdout");
                return -EIO;
        }
        fputc('\n', stdout);
        json_decref(o);
        return 0;
}

static void env_print_text(const struct env_report *rep)
{
        char safe[CLI_TEXT_SIZE];

        if (rep->have_python)
                print_python(rep->pi);
        else
                printf("Interpreter\n  %s\n", cli_text(rep->py_problem, safe, sizeof(safe)));
        if (rep->have_cg)
                print_cgroup(rep->cg);
        print_machine(&rep->m);
}

int cmd_env(int argc, char **argv)
{
        struct env_options o;
        struct env_report rep;
        int exit_code = CLI_EXIT_OK, r;

        r = env_parse(argc, argv, &o);
        if (r != 0)
                return r < 0 ? CLI_EXIT_OK : r;
        memset(&rep, 0, sizeof(rep));
        rep.pi = calloc(1, sizeof(*rep.pi));
        rep.cg = calloc(1, sizeof(*rep.cg));
        if (!rep.pi || !rep.cg) {
                cli_error("out of memory");
                exit_code = CLI_EXIT_FAILURE;
                goto out;
        }
        env_probe_python(&o, &rep);
        if (rep.py_problem && o.python) {
                /* Asked for by name: a failure is the answer. */
                char safe[CLI_TEXT_SIZE];
                cli_error("%s", cli_text(rep.py_problem, safe, sizeof(safe)));
                exit_code = CLI_EXIT_FAILURE;
                goto out;
        }
        env_read_system(&rep);
        if (o.json) {
                if (env_print_json(&rep) < 0) {
                        exit_code = CLI_EXIT_FAILURE;
                        goto out;
                }
        } else {
                env_print_text(&rep);
        }
        if (cli_close_stdout() < 0) {
                cli_error("cannot write to stdout: %s", strerror(errno ? errno : EIO));
                exit_code = CLI_EXIT_FAILURE;
        }
out:
        free(rep.pi);
        free(rep.cg);
        return exit_code;
}
