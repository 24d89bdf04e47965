#include "python_probe.h"
#include "procfs.h"
#include "spawn.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define PROBE_OUT_MAX (64 * 1024)
#define PROBE_ERR_MAX 512
#define STARTUP_RUNS_MAX 15

/* Runs under Python 2.7 and 3.x alike; prints one JSON object. */
static const char probe_src[] =
        "import sys, os, json, platform\n"
        "o = {}\n"
        "o['executable'] = sys.executable\n"
        "o['version'] = sys.version.split()[0]\n"
        "o['version_full'] = sys.version.splitlines()[0]\n"
        "o['version_info'] = list(sys.version_info[:3])\n"
        "o['implementation'] = platform.python_implementation()\n"
        "try:\n"
        "    import sysconfig\n"
        "    cv = sysconfig.get_config_var\n"
        "except Exception:\n"
        "    cv = lambda k: None\n"
        "o['config_args'] = cv('CONFIG_ARGS') or ''\n"
        "o['gil_disabled_build'] = bool(cv('Py_GIL_DISABLED'))\n"
        "g = getattr(sys, '_is_gil_enabled', None)\n"
        "o['gil_enabled'] = g() if g else None\n"
        "j = getattr(sys, '_jit', None)\n"
        "o['has_sys_jit'] = j is not None\n"
        "o['jit_available'] = bool(j.is_available()) if j is not None else None\n"
        "o['jit_enabled'] = bool(j.is_enabled()) if j is not None else None\n"
        "o['optimizer'] = None\n"
        "if j is None and sys.version_info[:2] >= (3, 13):\n"
        "    try:\n"
        "        import _testinternalcapi\n"
        "        opt = _testinternalcapi.get_optimizer()\n"
        "        o['optimizer'] = 'none' if opt is None else type(opt).__name__\n"
        "    except Exception:\n"
        "        pass\n"
        "t = getattr(sys, 'is_stack_trampoline_active', None)\n"
        "o['perf_trampoline_active'] = t() if t else None\n"
        "sys.stdout.write(json.dumps(o) + '\\n')\n";

/* Start-up measurement: the interpreter starts, says it is ready, and waits for stdin to close. */
static const char hold_src[] = "import sys\nsys.stdout.write('ready\\n')\nsys.stdout.flush()\nsys.stdin.read()\n";

int python_jit_env_effect(const char *value)
{
        if (!value || !*value)
                return -1;
        return value[0] == '0' ? 0 : 1;
}

const char *python_jit_build_text(enum python_jit_build b)
{
        switch (b) {
        case PY_JIT_NOT_BUILT: return "not built in";
        case PY_JIT_BUILT_OFF: return "built in, off by default (yes-off)";
        case PY_JIT_BUILT_ON: return "built in, on by default";
        case PY_JIT_INTERPRETER_ONLY: return "tier-2 interpreter only, no machine code (interpreter build)";
        case PY_JIT_UNKNOWN:
        case PY_JIT_BUILD_MAX: break;
        }
        return "unknown";
}

const char *python_jit_build_key(enum python_jit_build b)
{
        switch (b) {
        case PY_JIT_NOT_BUILT: return "not_built";
        case PY_JIT_BUILT_OFF: return "built_off";
        case PY_JIT_BUILT_ON: return "built_on";
        case PY_JIT_INTERPRETER_ONLY: return "interpreter_only";
        case PY_JIT_UNKNOWN:
        case PY_JIT_BUILD_MAX: break;
        }
        return "unknown";
}

struct launch {
        char out[PROBE_OUT_MAX];
        size_t out_len;
        char err[PROBE_ERR_MAX];
        size_t err_len;
        int status;
        uint64_t rss, pss; /* hold mode */
        int measured;
};

static void kill_wait(int pid, int *status)
{
        kill(pid, SIGKILL);
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
                ;
}

static void measure_pid(int pid, struct launch *L)
{
        char path[64], buf[4096];
        struct procfs_statm sm;
        struct procfs_mem mem;
        long ps = sysconf(_SC_PAGESIZE);
        int fd;
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/statm", pid);
        fd = kfile_open_local(path, 0);
        if (fd < 0)
                return;
        n = kfile_pread(fd, buf, sizeof(buf));
        close(fd);
        if (n <= 0 || procfs_parse_statm(buf, (size_t)n, (uint64_t)ps, &sm) < 0)
                return;
        snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", pid);
        fd = kfile_open_local(path, 0);
        if (fd < 0)
                return;
        n = kfile_pread(fd, buf, sizeof(buf));
        close(fd);
        if (n <= 0 || procfs_parse_rollup(buf, (size_t)n, &mem) < 0)
                return;
        L->rss = sm.resident;
        L->pss = mem.pss;
        L->measured = 1;
}

/* The pipes of one launch: stdin (hold mode) or /dev/null, stdout, stderr; -1 when closed. */
struct launch_fds {
        int in[2], out[2], err[2], devnull;
};

/* Opens the launch's pipes, and /dev/null for stdin unless in hold mode. Returns 0 or -errno;
 * launch_fds_close() closes what is open either way. */
static int launch_fds_open(struct launch_fds *f, int hold)
{
        f->in[0] = f->in[1] = f->out[0] = f->out[1] = f->err[0] = f->err[1] = f->devnull = -1;
        if (pipe2(f->out, O_CLOEXEC) < 0 || pipe2(f->err, O_CLOEXEC) < 0)
                return -errno;
        if (hold)
                return pipe2(f->in, O_CLOEXEC) < 0 ? -errno : 0;
        f->devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
        return f->devnull < 0 ? -errno : 0;
}

static void launch_fds_close(struct launch_fds *f)
{
        for (int i = 0; i < 2; i++) {
                if (f->in[i] >= 0)
                        close(f->in[i]);
                if (f->out[i] >= 0)
                        close(f->out[i]);
                if (f->err[i] >= 0)
                        close(f->err[i]);
        }
        if (f->devnull >= 0)
                close(f->devnull);
}

/* Appends what stdout's pipe holds to L->out (kept NUL-terminated). Returns whether to read on:
 * 0 at its end, on an error, or once L->out is full. */
static int read_out(struct launch *L, int fd)
{
        ssize_t n = read(fd, L->out + L->out_len, sizeof(L->out) - 1 - L->out_len);
        int more = !(n <= 0 || L->out_len + (size_t)n >= sizeof(L->out) - 1);

        if (n > 0)
                L->out_len += (size_t)n;
        L->out[L->out_len] = '\0';
        return more;
}

/* Appends what stderr's pipe holds to L->err, as much as fits (the head is kept). Returns
 * whether to read on: 0 at its end or on an error. */
static int read_err(struct launch *L, int fd)
{
        char tmp[1024];
        ssize_t n = read(fd, tmp, sizeof(tmp));

        if (n <= 0)
                return 0;
        size_t room = sizeof(L->err) - 1 - L->err_len;
        size_t k = (size_t)n < room ? (size_t)n : room;
        memcpy(L->err + L->err_len, tmp, k);
        L->err_len += k;
        L->err[L->err_len] = '\0';
        return 1;
}

/* Reads the child's stdout and stderr until both end. Unless *released, the child is measured
 * at its first line of output, then released (its stdin closed). Returns 0, or -ETIMEDOUT or
 * -errno with the child killed and reaped. */
static int collect(struct launch *L, struct launch_fds *f, int pid, uint64_t deadline, int *released)
{
        int out_open = 1, err_open = 1;

        while (out_open || err_open) {
                struct pollfd p[2] = { { out_open ? f->out[0] : -1, POLLIN, 0 },
                                       { err_open ? f->err[0] : -1, POLLIN, 0 } };
                uint64_t now = util_now_ns();
                if (now >= deadline) {
                        kill_wait(pid, &L->status);
                        return -ETIMEDOUT;
                }
                if (poll(p, 2, (int)((deadline - now) / 1000000 + 1)) < 0 && errno != EINTR) {
                        int r = -errno;
                        kill_wait(pid, &L->status);
                        return r;
                }
                if (out_open && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                        out_open = read_out(L, f->out[0]);
                        if (!*released && memchr(L->out, '\n', L->out_len)) {
                                measure_pid(pid, L);
                                close(f->in[1]);
                                f->in[1] = -1;
                                *released = 1;
                        }
                }
                if (err_open && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
                        err_open = read_err(L, f->err[0]);
        }
        return 0;
}

/* Runs path with argv/envp, collecting stdout and the head of stderr, under a deadline.
 * In hold mode the process is measured once it prints its first line, then released. */
static int launch(const char *path, char *const argv[], char *const envp[], uint64_t timeout_ns,
                  int hold, struct launch *L)
{
        struct launch_fds f;
        struct spawn_options o;
        struct spawn_child c;
        uint64_t deadline = util_now_ns() + timeout_ns;
        int released = !hold, r;

        memset(L, 0, sizeof(*L));
        r = launch_fds_open(&f, hold);
        if (r < 0)
                goto close_all;
        memset(&o, 0, sizeof(o));
        o.path = path;
        o.argv = argv;
        o.envp = envp;
        o.stdin_fd = hold ? f.in[0] : f.devnull;
        o.stdout_fd = f.out[1];
        o.stderr_fd = f.err[1];
        r = spawn_start(&o, &c);
        if (r < 0)
                goto close_all;
        close(f.out[1]);
        f.out[1] = -1;
        close(f.err[1]);
        f.err[1] = -1;
        if (c.pidfd >= 0)
                close(c.pidfd);
        r = collect(L, &f, c.pid, deadline, &released);
        if (r < 0)
                goto close_all;
        if (!released && f.in[1] >= 0) {
                close(f.in[1]);
                f.in[1] = -1;
        }
        while (waitpid(c.pid, &L->status, 0) < 0) {
                if (errno != EINTR) {
                        r = -errno;
                        goto close_all;
                }
        }
        r = 0;
close_all:
        launch_fds_close(&f);
        return r;
}

static void first_line(const char *s, char *out, size_t size)
{
        size_t n = strcspn(s, "\n");

        /* Python tracebacks end with the useful line: prefer the last non-empty line. */
        const char *last = s, *p = s;
        while (*p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t)(nl - p) : strlen(p);
                if (len > 0)
                        last = p;
                if (!nl)
                        break;
                p = nl + 1;
        }
        n = strcspn(last, "\n");
        if (n >= size)
                n = size - 1;
        memcpy(out, last, n);
        out[n] = '\0';
}

/* Whether what a program wrote to stderr is what a Python interpreter writes when it fails:
 * a traceback, or a fatal error. */
static int looks_like_python(const char *err)
{
        return strstr(err, "Traceback (most recent call last):") || strstr(err, "Fatal Python error");
}

static int json_bool_or(json_t *o, const char *key, int dflt)
{
        json_t *v = json_object_get(o, key);

        if (json_is_boolean(v))
                return json_is_true(v);
        return dflt;
}

static void copy_str(json_t *o, const char *key, char *dst, size_t size)
{
        const char *v = json_string_value(json_object_get(o, key));

        snprintf(dst, size, "%s", v ? v : "");
}

/* Finds --enable-experimental-jit[=X] in CONFIG_ARGS (quoted words) and sets the build kind. */
static enum python_jit_build build_from_config(const char *args, char *arg_out, size_t size)
{
        const char *p = strstr(args, "--enable-experimental-jit");
        size_t n;

        arg_out[0] = '\0';
        if (!p)
                return PY_JIT_NOT_BUILT;
        n = strcspn(p, "' \"");
        if (n >= size)
                n = size - 1;
        memcpy(arg_out, p, n);
        arg_out[n] = '\0';
        if (strcmp(arg_out, "--enable-experimental-jit") == 0 ||
            strcmp(arg_out, "--enable-experimental-jit=yes") == 0)
                return PY_JIT_BUILT_ON;
        if (strcmp(arg_out, "--enable-experimental-jit=yes-off") == 0)
                return PY_JIT_BUILT_OFF;
        if (strncmp(arg_out, "--enable-experimental-jit=interpreter", 37) == 0)
                return PY_JIT_INTERPRETER_ONLY;
        if (strcmp(arg_out, "--enable-experimental-jit=no") == 0)
                return PY_JIT_NOT_BUILT;
        return PY_JIT_UNKNOWN;
}

/* Runs the probe with PYTHON_JIT set to value (NULL: unset; `keep`: the environment as is) and
 * optional extra argument (-X perf). Parses its JSON into *ret_json (caller decrefs). */
static int run_probe(const char *path, const char *value, int keep, const char *xopt,
                     uint64_t timeout_ns, json_t **ret_json, char *err, size_t err_size)
{
        static struct launch L; /* 64 KiB: not on the stack */
        char *argv[6];
        char **envp = NULL;
        json_error_t je;
        json_t *j;
        int k = 0, r;

        argv[k++] = (char *)path;
        if (xopt && xopt[0] == '-') {
                argv[k++] = (char *)xopt; /* a flag of its own (-I) */
        } else if (xopt) {
                argv[k++] = (char *)"-X";
                argv[k++] = (char *)xopt;
        }
        argv[k++] = (char *)"-c";
        argv[k++] = (char *)probe_src;
        argv[k] = NULL;
        if (!keep) {
                envp = spawn_env_with(environ, "PYTHON_JIT", value);
                if (!envp)
                        return -ENOMEM;
        }
        r = launch(path, argv, keep ? environ : envp, timeout_ns, 0, &L);
        spawn_env_free(envp);
        if (r < 0) {
                if (r == -ETIMEDOUT)
                        snprintf(err, err_size, "it did not answer within %.1f s",
                                 (double)timeout_ns / 1e9);
                return r;
        }
        j = json_loadb(L.out, L.out_len, JSON_DISABLE_EOF_CHECK, &je);
        if (!j || !json_is_object(j)) {
                char line[200];
                first_line(L.err_len ? L.err : L.out, line, sizeof(line));
                for (char *c = line; *c; c++) /* its output is not ours to send to a terminal */
                        if ((unsigned char)*c < 0x20 || *c == 0x7f)
                                *c = '?';
                json_decref(j);
                if (!looks_like_python(L.err)) {
                        /* Not a Python that failed: a program that did not run the probe (and
                         * whatever it said quotes the probe program back, so none of it is shown). */
                        if (WIFSIGNALED(L.status))
                                snprintf(err, err_size, "given -c and the probe program, it was killed by signal %d without answering",
                                         WTERMSIG(L.status));
                        else
                                snprintf(err, err_size, "given -c and the probe program, it exited with status %d without answering",
                                         WIFEXITED(L.status) ? WEXITSTATUS(L.status) : -1);
                        return -ENOEXEC;
                }
                if (WIFEXITED(L.status) && WEXITSTATUS(L.status) != 0)
                        snprintf(err, err_size, "it exited with status %d%s%s", WEXITSTATUS(L.status),
                                 line[0] ? ": " : "", line);
                else if (WIFSIGNALED(L.status))
                        snprintf(err, err_size, "it was killed by signal %d", WTERMSIG(L.status));
                else
                        snprintf(err, err_size, "its output is not a probe answer");
                return -EPROTO;
        }
        *ret_json = j;
        return 0;
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static uint64_t median_u64(uint64_t *v, int n)
{
        qsort(v, (size_t)n, sizeof(*v), cmp_u64);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int measure_startup(const char *path, const char *value, uint64_t timeout_ns,
                           uint64_t *ret_rss, uint64_t *ret_pss)
{
        static struct launch L;
        char *argv[] = { (char *)path, (char *)"-c", (char *)hold_src, NULL };
        char **envp = spawn_env_with(environ, "PYTHON_JIT", value);
        int r;

        if (!envp)
                return -ENOMEM;
        r = launch(path, argv, envp, timeout_ns, 1, &L);
        spawn_env_free(envp);
        if (r < 0)
                return r;
        if (!L.measured)
                return -EPROTO;
        *ret_rss = L.rss;
        *ret_pss = L.pss;
        return 0;
}

/* Whether a probe's answer says the JIT is on: sys._jit.is_enabled(), else whether an optimizer
 * is installed (_testinternalcapi); -1 when it says neither. When it says, *ret_evidence names
 * which. */
static int answer_jit_on(json_t *answer, const char **ret_evidence)
{
        int v = json_bool_or(answer, "jit_enabled", -1);
        const char *opt;

        if (v >= 0) {
                *ret_evidence = "sys._jit.is_enabled()";
                return v;
        }
        opt = json_string_value(json_object_get(answer, "optimizer"));
        if (!opt)
                return -1;
        *ret_evidence = "_testinternalcapi.get_optimizer()";
        return strcmp(opt, "none") != 0;
}

/* Fills pi from the probe's answer in jitmem's environment, and from that environment
 * (PYTHON_JIT's value envval, PYTHONPERFSUPPORT's perfval); what is measured later is unknown. */
static void read_answer(struct python_info *pi, json_t *j, const char *envval, const char *perfval)
{
        json_t *vi = json_object_get(j, "version_info");

        copy_str(j, "executable", pi->executable, sizeof(pi->executable));
        copy_str(j, "version", pi->version, sizeof(pi->version));
        copy_str(j, "version_full", pi->version_full, sizeof(pi->version_full));
        copy_str(j, "implementation", pi->implementation, sizeof(pi->implementation));
        copy_str(j, "config_args", pi->config_args, sizeof(pi->config_args));
        pi->major = (int)json_integer_value(json_array_get(vi, 0));
        pi->minor = (int)json_integer_value(json_array_get(vi, 1));
        pi->micro = (int)json_integer_value(json_array_get(vi, 2));
        pi->free_threaded = json_bool_or(j, "gil_disabled_build", 0);
        pi->gil_enabled = json_bool_or(j, "gil_enabled", -1);
        pi->has_sys_jit = json_bool_or(j, "has_sys_jit", 0);
        pi->jit_available = json_bool_or(j, "jit_available", -1);
        pi->env_python_jit_set = envval != NULL;
        snprintf(pi->env_python_jit, sizeof(pi->env_python_jit), "%s", envval ? envval : "");
        pi->perf_env_set = perfval && *perfval && perfval[0] != '0';
        pi->perf_disables_jit = -1;
        pi->isolated_ignores_env = -1;
}

/* The build, from the configure arguments (pi->config_jit set) and sys._jit when there is one. */
static enum python_jit_build build_of(struct python_info *pi)
{
        enum python_jit_build cfg = build_from_config(pi->config_args, pi->config_jit, sizeof(pi->config_jit));

        if (strcmp(pi->implementation, "CPython") != 0 || pi->major < 3 || (pi->major == 3 && pi->minor < 13))
                return PY_JIT_NOT_BUILT;
        if (pi->has_sys_jit && pi->jit_available == 1)
                return cfg == PY_JIT_BUILT_ON || cfg == PY_JIT_BUILT_OFF ? cfg : PY_JIT_UNKNOWN;
        if (pi->has_sys_jit && pi->jit_available == 0)
                return cfg == PY_JIT_INTERPRETER_ONLY ? cfg : PY_JIT_NOT_BUILT;
        return cfg;
}

/* Whether the JIT is on by default (the answer jd, with PYTHON_JIT unset) and now (j, in
 * jitmem's environment, whose PYTHON_JIT is envval), each from the answer when it says, else
 * from the PYTHON_JIT rule; a build still unknown is told by its default. */
static void jit_default_and_now(struct python_info *pi, json_t *jd, json_t *j, const char *envval)
{
        json_t *answers[2] = { jd, j };
        int *targets[2] = { &pi->jit_default, &pi->jit_now };
        const char *ev = "PYTHON_JIT rule";

        for (int i = 0; i < 2; i++) {
                int v = answer_jit_on(answers[i], &ev);
                if (v < 0) {
                        int dflt = pi->build == PY_JIT_BUILT_ON || pi->build == PY_JIT_INTERPRETER_ONLY;
                        int eff = i == 1 ? python_jit_env_effect(envval) : -1;
                        v = pi->build == PY_JIT_UNKNOWN ? -1 : eff >= 0 ? eff : dflt;
                }
                *targets[i] = v;
        }
        snprintf(pi->jit_now_evidence, sizeof(pi->jit_now_evidence), "%s", ev);
        if (pi->build == PY_JIT_UNKNOWN && pi->jit_default == 1)
                pi->build = PY_JIT_BUILT_ON;
        else if (pi->build == PY_JIT_UNKNOWN && pi->jit_default == 0 && pi->jit_available == 1)
                pi->build = PY_JIT_BUILT_OFF;
}

/* What switches a built-in JIT off unseen: perf support (-X perf, with the JIT asked for), and
 * whether isolated mode (-I, which implies -E) reads PYTHON_JIT (asked for the opposite of the
 * build's default). Each stays unknown (-1) when its probe fails; err is left empty. */
static void probe_switches(const char *path, uint64_t timeout_ns, struct python_info *pi, char *err, size_t err_size)
{
        int dflt = pi->build == PY_JIT_BUILT_ON;
        const char *ev;
        json_t *jp = NULL, *ji = NULL;

        if (run_probe(path, "1", 0, "perf", timeout_ns, &jp, err, err_size) == 0) {
                int v = answer_jit_on(jp, &ev);
                pi->perf_disables_jit = v < 0 ? -1 : !v;
                json_decref(jp);
        }
        if (run_probe(path, dflt ? "0" : "1", 0, "-I", timeout_ns, &ji, err, err_size) == 0) {
                int v = json_bool_or(ji, "jit_enabled", -1);
                pi->isolated_ignores_env = v < 0 ? -1 : v == dflt;
                json_decref(ji);
        }
        err[0] = '\0';
}

/* Start-up RSS and PSS, medians of `runs` launches (1 to STARTUP_RUNS_MAX) per mode: JIT off
 * (or the only mode of a build without a JIT) and on, interleaved. */
static void measure_startups(const char *path, uint64_t timeout_ns, int runs, struct python_info *pi)
{
        uint64_t rss_off[STARTUP_RUNS_MAX], pss_off[STARTUP_RUNS_MAX];
        uint64_t rss_on[STARTUP_RUNS_MAX], pss_on[STARTUP_RUNS_MAX];
        int has_jit = pi->build == PY_JIT_BUILT_ON || pi->build == PY_JIT_BUILT_OFF;
        int n_off = 0, n_on = 0;

        if (runs < 1)
                runs = 1;
        if (runs > STARTUP_RUNS_MAX)
                runs = STARTUP_RUNS_MAX;
        for (int i = 0; i < runs; i++) {
                if (measure_startup(path, has_jit ? "0" : NULL, timeout_ns, &rss_off[n_off], &pss_off[n_off]) == 0)
                        n_off++;
                if (has_jit && measure_startup(path, "1", timeout_ns, &rss_on[n_on], &pss_on[n_on]) == 0)
                        n_on++;
        }
        pi->startup_runs = runs;
        if (n_off > 0) {
                pi->startup_rss_off = median_u64(rss_off, n_off);
                pi->startup_pss_off = median_u64(pss_off, n_off);
                pi->startup_measured_off = 1;
        }
        if (n_on > 0) {
                pi->startup_rss_on = median_u64(rss_on, n_on);
                pi->startup_pss_on = median_u64(pss_on, n_on);
                pi->startup_measured_on = 1;
        }
}

int python_probe(const char *path, uint64_t timeout_ns, int want_startup, int runs,
                 struct python_info *ret, char *ret_err, size_t err_size)
{
        struct python_info *pi;
        json_t *j = NULL, *jd = NULL;
        const char *envval = getenv("PYTHON_JIT"), *perfval = getenv("PYTHONPERFSUPPORT");
        int r;

        pi = calloc(1, sizeof(*pi));
        if (!pi)
                return -ENOMEM;
        snprintf(pi->path, sizeof(pi->path), "%s", path);
        r = run_probe(path, NULL, 1, NULL, timeout_ns, &j, ret_err, err_size);
        if (r < 0)
                goto out;
        read_answer(pi, j, envval, perfval);
        pi->build = build_of(pi);
        if (pi->build == PY_JIT_NOT_BUILT) {
                pi->jit_default = 0;
                pi->jit_now = 0;
                snprintf(pi->jit_now_evidence, sizeof(pi->jit_now_evidence), "no JIT in this build");
        } else {
                r = run_probe(path, NULL, 0, NULL, timeout_ns, &jd, ret_err, err_size);
                if (r < 0)
                        goto out;
                jit_default_and_now(pi, jd, j, envval);
                if (pi->build == PY_JIT_BUILT_ON || pi->build == PY_JIT_BUILT_OFF)
                        probe_switches(path, timeout_ns, pi, ret_err, err_size);
        }
        if (want_startup)
                measure_startups(path, timeout_ns, runs, pi);
        *ret = *pi;
        r = 0;
out:
        json_decref(j);
        json_decref(jd);
        free(pi);
        return r;
}

int python_find_interpreter(const char *resolved_path, char *ret_interp, size_t size)
{
        const char *base = strrchr(resolved_path, '/');
        char buf[256];
        ssize_t n;
        int fd;

        base = base ? base + 1 : resolved_path;
        if (strncmp(base, "python", 6) == 0 &&
            (base[6] == '\0' || (base[6] >= '0' && base[6] <= '9'))) {
                snprintf(ret_interp, size, "%s", resolved_path);
                return 1;
        }
        fd = open(resolved_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n < 3 || buf[0] != '#' || buf[1] != '!')
                return 0;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        /* "#!/usr/bin/python3 -u" or "#!/usr/bin/env python3" */
        char *p = buf + 2, *words[3] = { NULL, NULL, NULL };
        int k = 0;
        while (*p && k < 3) {
                while (*p == ' ' || *p == '\t')
                        p++;
                if (!*p)
                        break;
                words[k++] = p;
                while (*p && *p != ' ' && *p != '\t')
                        p++;
                if (*p)
                        *p++ = '\0';
        }
        if (!words[0])
                return 0;
        const char *interp = words[0];
        const char *b = strrchr(interp, '/');
        b = b ? b + 1 : interp;
        if (strcmp(b, "env") == 0 && words[1]) {
                char found[KFILE_PATH_MAX];
                if (spawn_resolve(words[1], found, sizeof(found)) < 0)
                        return 0;
                const char *b2 = strrchr(words[1], '/');
                b2 = b2 ? b2 + 1 : words[1];
                if (strncmp(b2, "python", 6) != 0)
                        return 0;
                snprintf(ret_interp, size, "%s", found);
                return 1;
        }
        if (strncmp(b, "python", 6) != 0)
                return 0;
        snprintf(ret_interp, size, "%s", interp);
        return 1;
}
