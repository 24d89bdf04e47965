/* Unit tests for src/record/runner.c, through runner_record on short commands: the errors before
 * anything is created (127, 126), the run directory's checks, the command's environment
 * (PYTHON_JIT, the progress pipe, the trace shim's LD_PRELOAD), the progress pipe's lines,
 * meta.json and summary.json's fields, a driver, and a recording error. No result depends on
 * timing. Works in a temporary directory it removes at the end. Run from the repository root. */
#include "runner.h"
#include "exitcode.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[64];
static char warned[4096]; /* what the runner warned of, one message a line */

static void warn(const char *message)
{
        size_t len = strlen(warned);

        snprintf(warned + len, sizeof(warned) - len, "%s\n", message);
}


/* tmpdir/name, in a static buffer (one of four, used in turn). */
static const char *in_tmp(const char *name)
{
        static char paths[4][PATH_MAX];
        static int next;
        char *p = paths[next++ % 4];

        snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
        return p;
}

static int exists(const char *dir, const char *name)
{
        char p[PATH_MAX];

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return access(p, F_OK) == 0;
}

/* The content of dir/name, or "" (a static buffer). */
static const char *file_text(const char *dir, const char *name)
{
        static char buf[16384];
        char p[PATH_MAX];
        int fd;
        ssize_t n;

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        buf[0] = '\0';
        fd = open(p, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return buf;
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        return buf;
}

static json_t *load(const char *dir, const char *name)
{
        char p[PATH_MAX];

        snprintf(p, sizeof(p), "%s/%s", dir, name);
        return json_load_file(p, 0, NULL);
}

/* How many lines of text are exactly `line`. */
static int count_lines(const char *text, const char *line)
{
        size_t len = strlen(line);
        int n = 0;

        for (const char *p = text; p && *p;) {
                const char *nl = strchr(p, '\n');
                size_t l = nl ? (size_t)(nl - p) : strlen(p);
                if (l == len && strncmp(p, line, len) == 0)
                        n++;
                p = nl ? nl + 1 : NULL;
        }
        return n;
}

static void options(struct runner_options *o, const char *out)
{
        runner_options_default(o);
        o->out = out;
        o->interval_ns = 20000000ULL;
        o->grace_ns = 5000000000ULL;
        o->probe = 0;
        o->warn = warn;
        warned[0] = '\0';
}

/* Runs `sh -c script` into tmpdir/out with o. */
static int run_sh(struct runner_options *o, const char *script, struct runner_result *res)
{
        char *argv[] = { (char *)"sh", (char *)"-c", (char *)script, NULL };

        return runner_record(o, argv, res);
}

static void test_defaults(void)
{
        struct runner_options o;
        struct runner_result res;

        memset(&o, 0x5a, sizeof(o));
        runner_options_default(&o);
        CHECK_EQ_U64(o.interval_ns, 100000000ULL);
        CHECK_EQ_U64(o.heavy_ns, 0);
        CHECK_EQ_U64(o.grace_ns, 10000000000ULL);
        CHECK_EQ_INT(o.probe, 1);
        CHECK_EQ_INT(o.jit, RUNNER_JIT_INHERIT);
        CHECK(o.out == NULL && o.trace_shim == NULL && o.driver == NULL && o.warn == NULL);
        CHECK_EQ_INT(o.cgroup_procs_fd, -1); /* 0 is a valid fd: none is -1 */
        CHECK(o.cgroup_dir == NULL);
        CHECK_EQ_INT(o.force + o.progress + o.capture_output + o.have_limit + o.no_pagemap, 0);
        runner_result_free(NULL);
        memset(&res, 0, sizeof(res));
        res.summary = json_object();
        runner_result_free(&res);
        CHECK(res.summary == NULL);
}

/* A command that cannot be run leaves nothing behind: not even the run directory. */
static void test_not_run(void)
{
        struct runner_options o;
        struct runner_result res;
        const char *out = in_tmp("never");
        char *missing[] = { (char *)"jitmem-no-such-command", NULL };
        char *missing_slash[] = { (char *)"./jitmem-no-such-command", NULL };
        char *noexec[] = { (char *)in_tmp("noexec"), NULL };

        options(&o, out);
        CHECK_EQ_INT(runner_record(&o, missing, &res), -ENOENT);
        CHECK_EQ_INT(res.exit_code, EXIT_CODE_NOT_FOUND);
        CHECK_STR(res.error, "jitmem-no-such-command: command not found (searched PATH)");
        CHECK_EQ_INT(res.started, 0);
        CHECK(res.summary == NULL);
        CHECK(!exists(out, "."));
        CHECK_EQ_INT(runner_record(&o, missing_slash, &res), -ENOENT);
        CHECK_STR(res.error, "./jitmem-no-such-command: command not found");

        unit_write_file(noexec[0], "#!/bin/sh\n", 0644);
        CHECK_EQ_INT(runner_record(&o, noexec, &res), -EACCES);
        CHECK_EQ_INT(res.exit_code, EXIT_CODE_NOT_EXEC);
        CHECK(strstr(res.error, ": found but not executable (check its permissions, or that it is not a directory)") != NULL);
        CHECK(!exists(out, "."));
}

/* A file found and executable that the kernel will not run: the directory holds the run's
 * meta.json and samples.csv' header, and no summary (a stale one is removed with --force). */
static void test_not_executed(void)
{
        struct runner_options o;
        struct runner_result res;
        const char *out = in_tmp("noexecfmt");
        char *argv[] = { (char *)in_tmp("script"), NULL };
        char want[PATH_MAX + 64];

        unit_write_file(argv[0], "echo no #! line\n", 0755);
        mkdir(out, 0755);
        unit_write_file(in_tmp("noexecfmt/summary.json"), "{}", 0644);
        options(&o, out);
        o.force = 1;
        CHECK_EQ_INT(runner_record(&o, argv, &res), -ENOEXEC);
        CHECK_EQ_INT(res.exit_code, EXIT_CODE_NOT_EXEC);
        snprintf(want, sizeof(want), "cannot execute %s: %s (not a binary, and no #! line)", argv[0], strerror(ENOEXEC));
        CHECK_STR(res.error, want);
        CHECK_EQ_INT(res.started, 0);
        CHECK(exists(out, "meta.json"));
        CHECK(strncmp(file_text(out, "samples.csv"), "t_s,scope,pid,", 14) == 0);
        CHECK(!exists(out, "summary.json"));
}

/* cgroup_procs_fd: the command writes "0\n" to it before its exec (a plain file stands in for
 * cgroup.procs here), whatever fd number it has, 0 included; one it cannot write to fails the
 * run as an exec would, before the command runs. */
static void test_cgroup_fd(void)
{
        struct runner_options o;
        struct runner_result res;
        char *argv[] = { (char *)"true", NULL };
        const char *procs = in_tmp("procs");
        int fd, saved;

        unit_write_file(procs, "", 0644);
        fd = open(procs, O_WRONLY | O_CLOEXEC);
        CHECK(fd >= 0);
        options(&o, in_tmp("cgfd"));
        o.cgroup_procs_fd = fd;
        CHECK_EQ_INT(runner_record(&o, argv, &res), 0);
        CHECK_EQ_INT(res.exit_code, 0);
        runner_result_free(&res);
        CHECK_STR(file_text(tmpdir, "procs"), "0\n");

        /* on fd 0, which the child's stdin would otherwise take over */
        close(fd);
        unit_write_file(procs, "", 0644);
        fd = open(procs, O_WRONLY | O_CLOEXEC);
        saved = dup(0);
        CHECK(dup2(fd, 0) == 0);
        close(fd);
        o.cgroup_procs_fd = 0;
        o.force = 1;
        CHECK_EQ_INT(runner_record(&o, argv, &res), 0);
        runner_result_free(&res);
        dup2(saved, 0);
        close(saved);
        CHECK_STR(file_text(tmpdir, "procs"), "0\n");

        fd = open(procs, O_RDONLY | O_CLOEXEC);
        o.cgroup_procs_fd = fd;
        CHECK_EQ_INT(runner_record(&o, argv, &res), -EBADF);
        CHECK_EQ_INT(res.started, 0);
        CHECK(strstr(res.error, "cannot execute") != NULL && strstr(res.error, "cgroup") != NULL);
        runner_result_free(&res);
        close(fd);
}

static void test_run_dir(void)
{
        struct runner_options o;
        struct runner_result res;
        char want[PATH_MAX + 128];
        const char *out = in_tmp("twice");

        options(&o, out);
        CHECK_EQ_INT(run_sh(&o, "exit 0", &res), 0);
        runner_result_free(&res);
        CHECK_EQ_INT(run_sh(&o, "exit 0", &res), -EEXIST);
        CHECK_EQ_INT(res.exit_code, EXIT_CODE_RUN_FAILED);
        snprintf(want, sizeof(want), "%s already holds a run: choose another --out, or add --force to replace it", out);
        CHECK_STR(res.error, want);
        o.force = 1;
        CHECK_EQ_INT(run_sh(&o, "exit 5", &res), 0);
        CHECK_EQ_INT(res.exit_code, 5);
        runner_result_free(&res);

        /* a parent that is a file */
        unit_write_file(in_tmp("afile"), "", 0644);
        out = in_tmp("afile/run");
        options(&o, out);
        CHECK(run_sh(&o, "exit 0", &res) < 0);
        CHECK_EQ_INT(res.exit_code, EXIT_CODE_RUN_FAILED);
        snprintf(want, sizeof(want), "cannot use %s as the run directory: ", out);
        CHECK(strncmp(res.error, want, strlen(want)) == 0);
        CHECK_EQ_INT(res.started, 0);

        /* output.log cannot be written: the command is not started */
        out = in_tmp("nolog");
        mkdir(out, 0755);
        mkdir(in_tmp("nolog/output.log"), 0755);
        options(&o, out);
        o.capture_output = 1;
        CHECK_EQ_INT(run_sh(&o, "exit 0", &res), -EISDIR);
        snprintf(want, sizeof(want), "cannot write %s/output.log: %s", out, strerror(EISDIR));
        CHECK_STR(res.error, want);
        CHECK_EQ_INT(res.started, 0);
        CHECK_EQ_INT(res.exit_code, EXIT_CODE_RUN_FAILED);
}

/* The command's status is the run's, and summary.json says how it ended. */
static void test_exit_status(void)
{
        struct runner_options o;
        struct runner_result res;
        const char *out = in_tmp("status");
        json_t *sum;

        options(&o, out);
        CHECK_EQ_INT(run_sh(&o, "exit 3", &res), 0);
        CHECK_EQ_INT(res.exit_code, 3);
        CHECK_EQ_INT(res.started, 1);
        CHECK_EQ_INT(res.interrupted, 0);
        CHECK_STR(res.error, "");
        CHECK(res.summary != NULL);
        CHECK_EQ_INT(json_integer_value(json_object_get(res.summary, "exit_status")), 3);
        runner_result_free(&res);
        sum = load(out, "summary.json");
        CHECK_STR(json_string_value(json_object_get(sum, "schema")), RUNNER_SUMMARY_SCHEMA);
        CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(sum, "exit"), "code")), 3);
        CHECK(json_is_null(json_object_get(json_object_get(sum, "exit"), "signal")));
        CHECK(json_is_null(json_object_get(sum, "progress")));
        CHECK(json_is_null(json_object_get(sum, "limit")));
        CHECK(json_is_null(json_object_get(sum, "recording_error")));
        CHECK(json_is_null(json_object_get(sum, "jit")) || !json_object_get(sum, "jit"));
        CHECK_EQ_INT(json_integer_value(json_object_get(sum, "leftovers_terminated")), 0);
        json_decref(sum);

        o.force = 1;
        CHECK_EQ_INT(run_sh(&o, "kill -9 $$", &res), 0);
        CHECK_EQ_INT(res.exit_code, 128 + 9);
        CHECK(json_is_null(json_object_get(json_object_get(res.summary, "exit"), "code")));
        CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(res.summary, "exit"), "signal")), 9);
        runner_result_free(&res);
}

/* Runs `env` with o into out/output.log and returns how many lines are exactly `line`. */
static int env_lines(struct runner_options *o, const char *line)
{
        struct runner_result res;
        char *argv[] = { (char *)"env", NULL };
        int r;

        o->capture_output = 1;
        o->force = 1;
        r = runner_record(o, argv, &res);
        runner_result_free(&res);
        if (r < 0 || res.exit_code != 0)
                return -1;
        return count_lines(file_text(o->out, "output.log"), line);
}

static void test_environment(void)
{
        struct runner_options o;
        const char *out = in_tmp("env");
        json_t *meta;

        setenv("PYTHON_JIT", "7", 1);
        options(&o, out);
        CHECK_EQ_INT(env_lines(&o, "PYTHON_JIT=7"), 1); /* inherited */
        CHECK(strstr(file_text(out, "output.log"), "JITMEM_PROGRESS_FD=") == NULL);
        meta = load(out, "meta.json");
        CHECK_STR(json_string_value(json_object_get(meta, "jit_mode")), "inherit");
        CHECK_EQ_INT(json_object_size(json_object_get(meta, "environment_changes")), 0);
        CHECK_STR(json_string_value(json_object_get(meta, "inherited_PYTHON_JIT")), "7");
        CHECK(json_is_false(json_object_get(meta, "progress_offered")));
        json_decref(meta);

        o.jit = RUNNER_JIT_ON;
        CHECK_EQ_INT(env_lines(&o, "PYTHON_JIT=1"), 1);
        CHECK_EQ_INT(count_lines(file_text(out, "output.log"), "PYTHON_JIT=7"), 0); /* replaced */
        meta = load(out, "meta.json");
        CHECK_STR(json_string_value(json_object_get(meta, "jit_mode")), "on");
        CHECK_STR(json_string_value(json_object_get(json_object_get(meta, "environment_changes"), "PYTHON_JIT")), "1");
        json_decref(meta);

        o.jit = RUNNER_JIT_OFF;
        o.progress = 1;
        CHECK_EQ_INT(env_lines(&o, "PYTHON_JIT=0"), 1);
        CHECK(strstr(file_text(out, "output.log"), "JITMEM_PROGRESS_FD=") != NULL);
        meta = load(out, "meta.json");
        CHECK_STR(json_string_value(json_object_get(meta, "jit_mode")), "off");
        CHECK(json_is_true(json_object_get(meta, "progress_offered")));
        json_decref(meta);
        unsetenv("PYTHON_JIT");
        CHECK_EQ_INT(env_lines(&o, "PYTHON_JIT=0"), 1);
        meta = load(out, "meta.json");
        CHECK(json_is_null(json_object_get(meta, "inherited_PYTHON_JIT")));
        json_decref(meta);
}

/* The progress pipe: lines of a decimal count are added up; anything else is a bad line; a
 * last line without its newline is not counted. */
static void test_progress(void)
{
        struct runner_options o;
        struct runner_result res;
        const char *out = in_tmp("progress");
        json_t *p;

        options(&o, out);
        o.progress = 1;
        CHECK_EQ_INT(run_sh(&o, "exec 3>&$JITMEM_PROGRESS_FD; "
                                "printf '5\\n7\\nx\\n\\n 4\\n4 \\n-1\\n' >&3; "
                                "printf '99999999999999999999999\\n' >&3; "                   /* over 2^64 */
                                "printf '%070d\\n' 1 >&3; "                                   /* too long */
                                "printf '30\\n' >&3; printf 1 >&3; printf 00 >&3; echo >&3; " /* 100, in pieces */
                                "printf 9 >&3",                                               /* no newline */
                        &res),
                     0);
        p = json_object_get(res.summary, "progress");
        CHECK_EQ_U64(json_integer_value(json_object_get(p, "units")), 5 + 7 + 30 + 100);
        CHECK_EQ_U64(json_integer_value(json_object_get(p, "bad_lines")), 7);
        runner_result_free(&res);

        /* offered, not used */
        o.force = 1;
        CHECK_EQ_INT(run_sh(&o, "exit 0", &res), 0);
        CHECK(json_is_null(json_object_get(res.summary, "progress")));
        runner_result_free(&res);
        /* only bad lines: seen, as none */
        CHECK_EQ_INT(run_sh(&o, "echo x >&$JITMEM_PROGRESS_FD", &res), 0);
        CHECK(json_is_null(json_object_get(res.summary, "progress")));
        runner_result_free(&res);
}

/* --trace-jit: the shim preloaded ahead of LD_PRELOAD, the trace directory named, and the
 * events of an earlier run removed from it (nothing else). */
static void test_trace_environment(void)
{
        struct runner_options o;
        struct runner_result res;
        const char *out = in_tmp("trace");
        char abs_out[PATH_MAX], want[PATH_MAX + 64];
        const char *log;

        mkdir(out, 0755);
        mkdir(in_tmp("trace/trace"), 0755);
        unit_write_file(in_tmp("trace/trace/events.123"), "stale\n", 0644);
        unit_write_file(in_tmp("trace/trace/notes"), "kept\n", 0644);
        CHECK(realpath(out, abs_out) != NULL);
        options(&o, out);
        o.trace_shim = "/nonexistent/libjitshim.so";
        o.capture_output = 1;
        setenv("LD_PRELOAD", "libearlier.so", 1);
        CHECK_EQ_INT(run_sh(&o, "echo \"LD=$LD_PRELOAD\"; echo \"TD=$JITMEM_TRACE_DIR\"", &res), 0);
        unsetenv("LD_PRELOAD");
        CHECK_EQ_INT(res.exit_code, 0);
        log = file_text(out, "output.log");
        CHECK_EQ_INT(count_lines(log, "LD=/nonexistent/libjitshim.so:libearlier.so"), 1);
        snprintf(want, sizeof(want), "TD=%s/trace", abs_out);
        CHECK_EQ_INT(count_lines(log, want), 1);
        CHECK(!exists(out, "trace/events.123"));
        CHECK(exists(out, "trace/notes"));
        CHECK(json_object_get(res.summary, "jit") != NULL);
        runner_result_free(&res);

        o.force = 1;
        CHECK_EQ_INT(run_sh(&o, "echo \"LD=$LD_PRELOAD\"", &res), 0);
        CHECK_EQ_INT(count_lines(file_text(out, "output.log"), "LD=/nonexistent/libjitshim.so"), 1);
        runner_result_free(&res);
}

/* meta.json: the command, the limit, and the interpreter's probe or why it failed. */
static void test_meta(void)
{
        struct runner_options o;
        struct runner_result res;
        const char *out = in_tmp("meta");
        char fake[PATH_MAX], link[PATH_MAX], want[PATH_MAX + 128];
        json_t *meta;

        options(&o, out);
        o.have_limit = 1;
        o.limit_bytes = 1ULL << 30;
        o.heavy_ns = 500000000ULL;
        CHECK_EQ_INT(run_sh(&o, "exit 0", &res), 0);
        runner_result_free(&res);
        meta = load(out, "meta.json");
        CHECK_STR(json_string_value(json_object_get(meta, "schema")), RUNNER_META_SCHEMA);
        CHECK_STR(json_string_value(json_array_get(json_object_get(meta, "command"), 2)), "exit 0");
        CHECK_EQ_INT(json_array_size(json_object_get(meta, "command")), 3);
        CHECK(strcmp(json_string_value(json_object_get(meta, "executable")), "sh") != 0); /* resolved */
        CHECK_EQ_U64(json_integer_value(json_object_get(meta, "limit_bytes")), 1ULL << 30);
        CHECK(json_number_value(json_object_get(meta, "interval_s")) == 0.02);
        CHECK(json_number_value(json_object_get(meta, "pss_interval_s")) == 0.5);
        CHECK(json_number_value(json_object_get(meta, "grace_s")) == 5.0);
        CHECK(json_is_null(json_object_get(meta, "python")));
        CHECK(json_is_null(json_object_get(meta, "python_problem")));
        json_decref(meta);

        /* A Python by its name: probed (fakepython answers as a 3.13 without a JIT). */
        CHECK(realpath("tests/fixtures/fakepython", fake) != NULL);
        snprintf(link, sizeof(link), "%s/python3.13", tmpdir);
        CHECK_EQ_INT(symlink(fake, link), 0);
        char *py[] = { link, NULL };
        options(&o, out);
        o.force = 1;
        o.probe = 1;
        o.capture_output = 1;
        unsetenv("FAKE_CONFIG");
        setenv("FAKE_VERSION", "3.13.4", 1);
        CHECK_EQ_INT(runner_record(&o, py, &res), 0);
        runner_result_free(&res);
        meta = load(out, "meta.json");
        CHECK_STR(json_string_value(json_object_get(json_object_get(meta, "python"), "version")), "3.13.4");
        CHECK(json_is_null(json_object_get(meta, "python_problem")));
        json_decref(meta);
        o.probe = 0;
        CHECK_EQ_INT(runner_record(&o, py, &res), 0);
        runner_result_free(&res);
        meta = load(out, "meta.json");
        CHECK(json_is_null(json_object_get(meta, "python")));
        json_decref(meta);

        /* A "Python" that does not answer: the run goes on, meta.json says why. */
        snprintf(link, sizeof(link), "%s/python3", tmpdir);
        unit_write_file(link, "#!/bin/sh\nexit 0\n", 0755);
        o.probe = 1;
        CHECK_EQ_INT(runner_record(&o, py, &res), 0);
        CHECK_EQ_INT(res.exit_code, 0);
        runner_result_free(&res);
        meta = load(out, "meta.json");
        CHECK(json_is_null(json_object_get(meta, "python")));
        snprintf(want, sizeof(want), "cannot probe %s: given -c and the probe program, it exited with status 0 without answering", link);
        CHECK_STR(json_string_value(json_object_get(meta, "python_problem")), want);
        json_decref(meta);
}

static void driver(void *ctx, volatile uint64_t *progress, volatile int *command_ended)
{
        (void)command_ended;
        *progress = 42;
        ++*(int *)ctx;
}

static json_t *driver_summary(void *ctx)
{
        return json_pack("{s:i}", "calls", *(int *)ctx);
}

/* A driver: its count is the run's progress, its summary is in summary.json, and the command
 * is sent SIGTERM once it returns. */
static void test_driver(void)
{
        struct runner_options o;
        struct runner_result res;
        int calls = 0;

        options(&o, in_tmp("driver"));
        o.driver = driver;
        o.driver_summary = driver_summary;
        o.driver_ctx = &calls;
        CHECK_EQ_INT(run_sh(&o, "exec sleep 30", &res), 0);
        CHECK_EQ_INT(calls, 1);
        CHECK_EQ_INT(res.exit_code, 128 + 15);
        CHECK_EQ_INT(res.interrupted, 0);
        CHECK_EQ_U64(json_integer_value(json_object_get(json_object_get(res.summary, "progress"), "units")), 42);
        CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(res.summary, "driver"), "calls")), 1);
        CHECK(json_is_number(json_object_get(json_object_get(res.summary, "observer"), "driver_cpu_s")));
        runner_result_free(&res);
}

/* samples.csv cannot grow (RLIMIT_FSIZE): the command is stopped, every whole tick is kept,
 * and the run fails with 125 after writing its summary. */
static void test_record_error(void)
{
        struct runner_options o;
        struct runner_result res;
        struct rlimit old, small = { 8192, 8192 };
        const char *out = in_tmp("full");
        json_t *sum;
        char want[PATH_MAX + 64];

        options(&o, out);
        o.interval_ns = 5000000ULL;
        getrlimit(RLIMIT_FSIZE, &old);
        small.rlim_max = old.rlim_max;
        setrlimit(RLIMIT_FSIZE, &small);
        CHECK_EQ_INT(run_sh(&o, "exec sleep 30", &res), 0);
        setrlimit(RLIMIT_FSIZE, &old);
        CHECK_EQ_INT(res.exit_code, EXIT_CODE_RUN_FAILED);
        snprintf(want, sizeof(want), "cannot write %s/samples.csv: %s (every tick already written is kept)", out,
                 strerror(EFBIG));
        CHECK_STR(res.error, want);
        CHECK(strstr(warned, "; stopping the command (every tick already written is kept)") != NULL);
        runner_result_free(&res);
        sum = load(out, "summary.json");
        CHECK_STR(json_string_value(json_object_get(sum, "recording_error")), strerror(EFBIG));
        CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(sum, "exit"), "signal")), 15);
        json_decref(sum);
        const char *csv = file_text(out, "samples.csv");
        size_t len = strlen(csv);
        CHECK(len > 0 && len <= 8192 && csv[len - 1] == '\n'); /* whole rows only */
}

int main(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/jitmem-test-runner-XXXXXX");
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        test_defaults();
        test_not_run();
        test_not_executed();
        test_cgroup_fd();
        test_run_dir();
        test_exit_status();
        test_environment();
        test_progress();
        test_trace_environment();
        test_meta();
        test_driver();
        test_record_error();
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", tmpdir);
        return unit_finish("test_runner");
}
