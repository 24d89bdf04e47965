/* What an interpreter is and what its JIT does, learnt by running it: a short probe program
 * passed with -c (no shell, no file written), under a timeout, with its output bounded.
 *
 * JIT status, in order of evidence:
 *   - sys._jit (3.14+): is_available() says whether machine code can be made; is_enabled()
 *     whether it is on in this process.
 *   - the configure arguments (sysconfig CONFIG_ARGS): --enable-experimental-jit[=yes|yes-off|
 *     interpreter|no]; used on 3.13, where PY_CORE_CFLAGS may lack -D_Py_JIT, and to tell a
 *     tier-2-interpreter-only build from no JIT at all.
 *   - _testinternalcapi.get_optimizer() (3.13, early 3.14), when that test module is installed:
 *     whether the tier-2 optimizer is installed in this process.
 *   - the rule CPython applies to PYTHON_JIT: a non-empty value not starting with '0' turns the
 *     JIT on, a value starting with '0' turns it off, unset or empty leaves the build default. */
#ifndef JITMEM_PYTHON_PROBE_H
#define JITMEM_PYTHON_PROBE_H

#include <stdint.h>

#include "kfile.h"

enum python_jit_build {
        PY_JIT_UNKNOWN,          /* the probe could not tell */
        PY_JIT_NOT_BUILT,        /* no JIT in this build (or a version before 3.13) */
        PY_JIT_BUILT_OFF,        /* built in, off by default (--enable-experimental-jit=yes-off) */
        PY_JIT_BUILT_ON,         /* built in, on by default */
        PY_JIT_INTERPRETER_ONLY, /* tier-2 interpreter only: traces optimized, no machine code */
        PY_JIT_BUILD_MAX
};

struct python_info {
        char path[KFILE_PATH_MAX];       /* what was run */
        char executable[KFILE_PATH_MAX]; /* sys.executable */
        char version[64];                /* "3.14.0a0" */
        char version_full[256];          /* sys.version, first line */
        int major, minor, micro;
        char implementation[32];         /* CPython, PyPy ... */
        int free_threaded;               /* Py_GIL_DISABLED build */
        int gil_enabled;                 /* sys._is_gil_enabled(); -1 unknown */
        char config_args[1024];
        char config_jit[64];             /* the --enable-experimental-jit argument, "" if none */
        int has_sys_jit;                 /* sys._jit exists */
        int jit_available;               /* sys._jit.is_available(); -1 unknown */
        enum python_jit_build build;
        int jit_default;                 /* on with PYTHON_JIT unset: 1/0, -1 unknown */
        int jit_now;                     /* on in the current environment: 1/0, -1 unknown */
        char jit_now_evidence[64];       /* "sys._jit.is_enabled()", "_testinternalcapi", "PYTHON_JIT rule" */
        int env_python_jit_set;          /* PYTHON_JIT is set in jitmem's environment */
        char env_python_jit[64];         /* its value (truncated) */
        int perf_env_set;                /* PYTHONPERFSUPPORT set (non-empty, not "0") */
        int perf_disables_jit;           /* measured with -X perf: 1 yes, 0 no, -1 not measurable */
        int isolated_ignores_env;        /* -I (isolated mode) ignores PYTHON_JIT: 1, 0, -1 not measured */
        /* start-up, measured: RSS/PSS of `python -c pass`-like process once started, medians */
        int startup_runs;
        uint64_t startup_rss_off, startup_pss_off; /* JIT off (or the only mode without a JIT) */
        uint64_t startup_rss_on, startup_pss_on;   /* JIT on; 0 when there is no JIT */
        int startup_measured_off, startup_measured_on;
};

/* What PYTHON_JIT=value does: 1 turns the JIT on, 0 off, -1 no effect (NULL or empty). */
int python_jit_env_effect(const char *value);

/* A short phrase for the build status ("not built in", "built in, off by default (yes-off)" ...). */
const char *python_jit_build_text(enum python_jit_build b);

/* A stable key for the build status ("not_built", "built_off", "built_on", "interpreter_only", "unknown"). */
const char *python_jit_build_key(enum python_jit_build b);

/* How long a launch of the probe may take, unless told otherwise (env --timeout). */
#define PYTHON_PROBE_TIMEOUT_NS 10000000000ULL

/* Runs the interpreter `path` (already resolved) with the probe and fills *ret; with
 * measure_startup, also measures start-up RSS/PSS, `runs` times per mode.
 * timeout_ns bounds each launch. Returns 0, -ETIMEDOUT, -EPROTO (not a Python, or its output
 * was not understood: ret_err says why), or another -errno. */
int python_probe(const char *path, uint64_t timeout_ns, int measure_startup, int runs,
                 struct python_info *ret, char *ret_err, size_t err_size);

/* Guesses whether argv names a Python program: an interpreter (python, python3.14, ...) or
 * a script whose #! line names one (gunicorn, uvicorn ...). On success writes the
 * interpreter's path. Returns 1 (found), 0 (not Python), or -errno. */
int python_find_interpreter(const char *resolved_path, char *ret_interp, size_t size);

#endif
