/* Unit tests for src/record/python_probe.c: the PYTHON_JIT rule, the build's names, finding the
 * interpreter of a command (#! lines, env), and the probe's reading of answers: malformed ones
 * from stand-in programs written to a temporary directory, and each JIT build kind from
 * tests/fixtures/fakepython. Run from the repository root. */
#include "python_probe.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TIMEOUT_NS 10000000000ULL

static char tmpdir[64];
static char fakepython[PATH_MAX];


/* Writes tmpdir/name with text, executable; returns its path in a static buffer. */
static const char *script(const char *name, const char *text)
{
        static char path[256];

        snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
        if (unit_write_file(path, text, 0755) < 0)
                fprintf(stderr, "cannot write %s\n", path);
        return path;
}

static void test_env_effect(void)
{
        CHECK_EQ_INT(python_jit_env_effect(NULL), -1);
        CHECK_EQ_INT(python_jit_env_effect(""), -1);
        CHECK_EQ_INT(python_jit_env_effect("0"), 0);
        CHECK_EQ_INT(python_jit_env_effect("00"), 0);
        CHECK_EQ_INT(python_jit_env_effect("0x"), 0);
        CHECK_EQ_INT(python_jit_env_effect("1"), 1);
        CHECK_EQ_INT(python_jit_env_effect("off"), 1); /* CPython's rule: not '0' is on */
        CHECK_EQ_INT(python_jit_env_effect(" 0"), 1);
}

static void test_build_names(void)
{
        CHECK_STR(python_jit_build_key(PY_JIT_NOT_BUILT), "not_built");
        CHECK_STR(python_jit_build_key(PY_JIT_BUILT_OFF), "built_off");
        CHECK_STR(python_jit_build_key(PY_JIT_BUILT_ON), "built_on");
        CHECK_STR(python_jit_build_key(PY_JIT_INTERPRETER_ONLY), "interpreter_only");
        CHECK_STR(python_jit_build_key(PY_JIT_UNKNOWN), "unknown");
        CHECK_STR(python_jit_build_key(PY_JIT_BUILD_MAX), "unknown");
        CHECK_STR(python_jit_build_text(PY_JIT_NOT_BUILT), "not built in");
        CHECK_STR(python_jit_build_text(PY_JIT_BUILT_OFF), "built in, off by default (yes-off)");
        CHECK_STR(python_jit_build_text(PY_JIT_BUILT_ON), "built in, on by default");
        CHECK_STR(python_jit_build_text(PY_JIT_INTERPRETER_ONLY),
                  "tier-2 interpreter only, no machine code (interpreter build)");
        CHECK_STR(python_jit_build_text(PY_JIT_UNKNOWN), "unknown");
}

/* find(text) writes a script and returns python_find_interpreter's answer on it. */
static int find(const char *text, char *interp, size_t size)
{
        strcpy(interp, "(untouched)");
        return python_find_interpreter(script("prog", text), interp, size);
}

static void test_find_interpreter(void)
{
        char interp[PATH_MAX], want[PATH_MAX], path[256];
        char *old_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

        /* by name alone, without reading the file */
        CHECK_EQ_INT(python_find_interpreter("/nowhere/python3.14", interp, sizeof(interp)), 1);
        CHECK_STR(interp, "/nowhere/python3.14");
        CHECK_EQ_INT(python_find_interpreter("python", interp, sizeof(interp)), 1);
        CHECK_STR(interp, "python");
        /* a name that only starts with "python" is read: here it does not exist */
        CHECK_EQ_INT(python_find_interpreter("/nowhere/pythonista", interp, sizeof(interp)), -ENOENT);

        CHECK_EQ_INT(find("#!/usr/bin/python3 -u\nimport x\n", interp, sizeof(interp)), 1);
        CHECK_STR(interp, "/usr/bin/python3");
        CHECK_EQ_INT(find("#! \t/opt/py/python3.15\n", interp, sizeof(interp)), 1);
        CHECK_STR(interp, "/opt/py/python3.15");
        CHECK_EQ_INT(find("#!/bin/sh\nexec python3 \"$@\"\n", interp, sizeof(interp)), 0);
        CHECK_STR(interp, "(untouched)");
        CHECK_EQ_INT(find("#!", interp, sizeof(interp)), 0);
        CHECK_EQ_INT(find("#!   \n/usr/bin/python3\n", interp, sizeof(interp)), 0);
        CHECK_EQ_INT(find("python3 -c pass\n", interp, sizeof(interp)), 0);
        CHECK_EQ_INT(find("", interp, sizeof(interp)), 0);
        CHECK_EQ_INT(find("#!/usr/bin/env\n", interp, sizeof(interp)), 0);
        CHECK_STR(interp, "(untouched)");

        /* env: the name is searched on PATH */
        snprintf(path, sizeof(path), "%s/bin", tmpdir);
        mkdir(path, 0755);
        snprintf(want, sizeof(want), "%s/python3", path);
        unit_write_file(want, "#!/bin/sh\n", 0755);
        setenv("PATH", path, 1);
        CHECK_EQ_INT(find("#!/usr/bin/env python3\n", interp, sizeof(interp)), 1);
        CHECK_STR(interp, want);
        CHECK_EQ_INT(find("#!/usr/bin/env python3.99\n", interp, sizeof(interp)), 0); /* not on PATH */
        CHECK_STR(interp, "(untouched)");
        snprintf(want, sizeof(want), "%s/sh", path);
        unit_write_file(want, "#!/bin/sh\n", 0755);
        CHECK_EQ_INT(find("#!/usr/bin/env sh\n", interp, sizeof(interp)), 0); /* found, not a Python */
        CHECK_STR(interp, "(untouched)");
        if (old_path) {
                setenv("PATH", old_path, 1);
                free(old_path);
        } else {
                unsetenv("PATH");
        }
}

/* Probes path; ret is filled with a mark first, so that a failure leaving it alone shows. */
static int probe(const char *path, struct python_info *pi, char *err, size_t size)
{
        memset(pi, 0x5a, sizeof(*pi));
        strcpy(err, "(untouched)");
        return python_probe(path, TIMEOUT_NS, 0, 0, pi, err, size);
}

static void test_malformed_answers(void)
{
        struct python_info pi;
        char err[512];

        /* Not a Python: nothing on stderr says an interpreter failed, and its output is not shown. */
        CHECK_EQ_INT(probe(script("garbage", "#!/bin/sh\necho hello\n"), &pi, err, sizeof(err)), -ENOEXEC);
        CHECK_STR(err, "given -c and the probe program, it exited with status 0 without answering");
        CHECK_EQ_INT(pi.major, 0x5a5a5a5a); /* ret written only on success */
        CHECK_EQ_INT(probe(script("silent3", "#!/bin/sh\nexit 3\n"), &pi, err, sizeof(err)), -ENOEXEC);
        CHECK_STR(err, "given -c and the probe program, it exited with status 3 without answering");
        CHECK_EQ_INT(probe(script("array", "#!/bin/sh\necho '[1, 2]'\n"), &pi, err, sizeof(err)), -ENOEXEC);
        CHECK_STR(err, "given -c and the probe program, it exited with status 0 without answering");
        CHECK_EQ_INT(probe(script("killed", "#!/bin/sh\nkill -9 $$\n"), &pi, err, sizeof(err)), -ENOEXEC);
        CHECK_STR(err, "given -c and the probe program, it was killed by signal 9 without answering");

        /* A Python that failed: the traceback's last line, control characters made harmless. */
        CHECK_EQ_INT(probe(script("tb", "#!/bin/sh\n"
                                        "echo 'Traceback (most recent call last):' >&2\n"
                                        "echo '  File \"<string>\", line 1' >&2\n"
                                        "printf 'ImportError: no \\033[31mjson\\n\\n' >&2\n"
                                        "exit 1\n"),
                           &pi, err, sizeof(err)), -EPROTO);
        CHECK_STR(err, "it exited with status 1: ImportError: no ?[31mjson");
        CHECK_EQ_INT(probe(script("fatal", "#!/bin/sh\necho 'Fatal Python error: boom' >&2\nkill -6 $$\n"),
                           &pi, err, sizeof(err)), -EPROTO);
        CHECK_STR(err, "it was killed by signal 6");
        CHECK_EQ_INT(probe(script("tb0", "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\necho '{'\n"),
                           &pi, err, sizeof(err)), -EPROTO);
        CHECK_STR(err, "its output is not a probe answer");

        /* An answer of the wrong types: read as unknown, never trusted. */
        CHECK_EQ_INT(probe(script("types", "#!/bin/sh\n"
                                           "echo '{\"version\": 3, \"version_info\": \"3.14\", \"implementation\": \"CPython\","
                                           " \"config_args\": \"--enable-experimental-jit\", \"has_sys_jit\": 1,"
                                           " \"gil_enabled\": \"yes\"}'\n"),
                           &pi, err, sizeof(err)), 0);
        CHECK_STR(pi.version, "");
        CHECK_EQ_INT(pi.major, 0);
        CHECK_EQ_INT(pi.has_sys_jit, 0);
        CHECK_EQ_INT(pi.gil_enabled, -1);
        CHECK_EQ_INT(pi.jit_available, -1);
        CHECK_EQ_INT(pi.build, PY_JIT_NOT_BUILT); /* a version before 3.13, as far as can be told */
        CHECK_STR(pi.config_jit, "--enable-experimental-jit");
        CHECK_EQ_INT(pi.jit_now, 0);
        CHECK_STR(pi.jit_now_evidence, "no JIT in this build");

        /* A program that does not answer in time, and one that does not exist. */
        const char *slow = script("slow", "#!/bin/sh\nexec sleep 5\n");
        memset(&pi, 0x5a, sizeof(pi));
        CHECK_EQ_INT(python_probe(slow, 100000000ULL, 0, 0, &pi, err, sizeof(err)), -ETIMEDOUT);
        CHECK_STR(err, "it did not answer within 0.1 s");
        char missing[128];
        snprintf(missing, sizeof(missing), "%s/missing", tmpdir);
        CHECK_EQ_INT(probe(missing, &pi, err, sizeof(err)), -ENOENT);
}

/* Probes fakepython answering as `version` built with `config`; sysjit: it has sys._jit, else
 * _testinternalcapi's optimizer. PYTHON_JIT is set to pyjit (NULL: unset). */
static int fake(const char *version, const char *config, int sysjit, const char *pyjit, struct python_info *pi)
{
        char err[512];
        int r;

        setenv("FAKE_VERSION", version, 1);
        setenv("FAKE_CONFIG", config, 1);
        setenv("FAKE_SYSJIT", sysjit ? "1" : "0", 1);
        setenv("FAKE_OPT", sysjit ? "0" : "1", 1);
        if (pyjit)
                setenv("PYTHON_JIT", pyjit, 1);
        else
                unsetenv("PYTHON_JIT");
        r = probe(fakepython, pi, err, sizeof(err));
        if (r < 0)
                fprintf(stderr, "probe of fakepython: %s\n", err);
        return r;
}

static void test_builds(void)
{
        struct python_info pi;

        CHECK_EQ_INT(fake("3.13.1", "'--enable-experimental-jit'", 0, NULL, &pi), 0);
        CHECK_STR(pi.version, "3.13.1");
        CHECK_EQ_INT(pi.major * 10000 + pi.minor * 100 + pi.micro, 31301);
        CHECK_STR(pi.implementation, "CPython");
        CHECK_STR(pi.executable, fakepython);
        CHECK_STR(pi.path, fakepython);
        CHECK_EQ_INT(pi.build, PY_JIT_BUILT_ON);
        CHECK_STR(pi.config_jit, "--enable-experimental-jit");
        CHECK_EQ_INT(pi.jit_default, 1);
        CHECK_EQ_INT(pi.jit_now, 1);
        CHECK_STR(pi.jit_now_evidence, "_testinternalcapi.get_optimizer()");
        CHECK_EQ_INT(pi.env_python_jit_set, 0);
        CHECK_EQ_INT(pi.perf_disables_jit, 0);    /* the fake ignores -X perf */
        CHECK_EQ_INT(pi.isolated_ignores_env, -1); /* told by sys._jit only, which 3.13 lacks */

        CHECK_EQ_INT(fake("3.14.0", "'--enable-experimental-jit=yes-off'", 1, "1", &pi), 0);
        CHECK_EQ_INT(pi.build, PY_JIT_BUILT_OFF);
        CHECK_EQ_INT(pi.jit_available, 1);
        CHECK_EQ_INT(pi.jit_default, 0);
        CHECK_EQ_INT(pi.jit_now, 1);
        CHECK_STR(pi.jit_now_evidence, "sys._jit.is_enabled()");
        CHECK_EQ_INT(pi.env_python_jit_set, 1);
        CHECK_STR(pi.env_python_jit, "1");
        CHECK_EQ_INT(pi.isolated_ignores_env, 1); /* asked PYTHON_JIT=1 under -I: still off */
        setenv("FAKE_ISOLATED_READS_ENV", "1", 1);
        CHECK_EQ_INT(fake("3.14.0", "'--enable-experimental-jit=yes-off'", 1, NULL, &pi), 0);
        CHECK_EQ_INT(pi.isolated_ignores_env, 0);
        unsetenv("FAKE_ISOLATED_READS_ENV");

        /* sys._jit says no machine code: a tier-2 interpreter build, or none at all */
        setenv("FAKE_AVAILABLE", "0", 1);
        CHECK_EQ_INT(fake("3.14.0", "'--enable-experimental-jit=interpreter'", 1, "1", &pi), 0);
        CHECK_EQ_INT(pi.build, PY_JIT_INTERPRETER_ONLY);
        CHECK_EQ_INT(pi.jit_available, 0);
        CHECK_EQ_INT(pi.perf_disables_jit, -1); /* not measured without machine code */
        CHECK_EQ_INT(pi.isolated_ignores_env, -1);
        CHECK_EQ_INT(fake("3.14.0", "'--enable-experimental-jit'", 1, NULL, &pi), 0);
        CHECK_EQ_INT(pi.build, PY_JIT_NOT_BUILT);
        CHECK_STR(pi.jit_now_evidence, "no JIT in this build");
        unsetenv("FAKE_AVAILABLE");

        /* an argument jitmem does not know, told by what the build does by default */
        CHECK_EQ_INT(fake("3.14.0", "'--enable-experimental-jit=maybe'", 1, NULL, &pi), 0);
        CHECK_STR(pi.config_jit, "--enable-experimental-jit=maybe");
        CHECK_EQ_INT(pi.build, PY_JIT_BUILT_ON);

        /* neither sys._jit nor the optimizer: CPython's PYTHON_JIT rule */
        setenv("FAKE_OPT", "0", 1);
        unsetenv("FAKE_SYSJIT");
        setenv("FAKE_VERSION", "3.13.2", 1);
        setenv("FAKE_CONFIG", "'--enable-experimental-jit=yes-off'", 1);
        setenv("PYTHON_JIT", "7", 1);
        char err[512];
        CHECK_EQ_INT(probe(fakepython, &pi, err, sizeof(err)), 0);
        CHECK_EQ_INT(pi.build, PY_JIT_BUILT_OFF);
        CHECK_EQ_INT(pi.jit_default, 0);
        CHECK_EQ_INT(pi.jit_now, 1);
        CHECK_STR(pi.jit_now_evidence, "PYTHON_JIT rule");
        CHECK_EQ_INT(pi.perf_disables_jit, -1); /* the answers say nothing */

        /* before 3.13 there is no JIT, whatever the configure arguments say */
        CHECK_EQ_INT(fake("3.12.4", "'--enable-experimental-jit'", 0, NULL, &pi), 0);
        CHECK_EQ_INT(pi.build, PY_JIT_NOT_BUILT);
        CHECK_EQ_INT(pi.jit_default, 0);

        setenv("PYTHONPERFSUPPORT", "1", 1);
        CHECK_EQ_INT(fake("3.14.0", "", 1, NULL, &pi), 0);
        CHECK_EQ_INT(pi.perf_env_set, 1);
        setenv("PYTHONPERFSUPPORT", "0", 1);
        CHECK_EQ_INT(fake("3.14.0", "", 1, NULL, &pi), 0);
        CHECK_EQ_INT(pi.perf_env_set, 0);
        unsetenv("PYTHONPERFSUPPORT");
}

static void test_startup(void)
{
        struct python_info pi;
        char err[512];

        setenv("FAKE_VERSION", "3.14.0", 1);
        setenv("FAKE_CONFIG", "'--enable-experimental-jit=yes-off'", 1);
        setenv("FAKE_SYSJIT", "1", 1);
        unsetenv("PYTHON_JIT");
        CHECK_EQ_INT(python_probe(fakepython, TIMEOUT_NS, 1, 0, &pi, err, sizeof(err)), 0);
        CHECK_EQ_INT(pi.startup_runs, 1); /* at least one */
        CHECK_EQ_INT(pi.startup_measured_off, 1);
        CHECK_EQ_INT(pi.startup_measured_on, 1);
        CHECK(pi.startup_rss_off > 0 && pi.startup_pss_off > 0);
        CHECK(pi.startup_rss_on > 0 && pi.startup_pss_on > 0);
        CHECK_EQ_INT(python_probe(fakepython, TIMEOUT_NS, 1, 99, &pi, err, sizeof(err)), 0);
        CHECK_EQ_INT(pi.startup_runs, 15); /* at most STARTUP_RUNS_MAX */

        setenv("FAKE_CONFIG", "", 1);
        setenv("FAKE_SYSJIT", "0", 1);
        CHECK_EQ_INT(python_probe(fakepython, TIMEOUT_NS, 1, 2, &pi, err, sizeof(err)), 0);
        CHECK_EQ_INT(pi.build, PY_JIT_NOT_BUILT);
        CHECK_EQ_INT(pi.startup_runs, 2);
        CHECK_EQ_INT(pi.startup_measured_off, 1);
        CHECK_EQ_INT(pi.startup_measured_on, 0); /* no JIT to switch on */
        CHECK_EQ_U64(pi.startup_rss_on, 0);
}

int main(void)
{
        if (!realpath("tests/fixtures/fakepython", fakepython)) {
                fprintf(stderr, "run from the repository root\n");
                return 1;
        }
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/jitmem-test-probe-XXXXXX");
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        test_env_effect();
        test_build_names();
        test_find_interpreter();
        test_malformed_answers();
        test_builds();
        test_startup();
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        if (system(cmd) != 0)
                fprintf(stderr, "cannot remove %s\n", tmpdir);
        return unit_finish("test_python_probe");
}
