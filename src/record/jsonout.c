#include "jsonout.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

json_t *jsonout_real_or_null(double v)
{
        return isfinite(v) ? json_real(v) : json_null();
}

json_t *jsonout_measured(double v)
{
        return isfinite(v) && v >= 0 ? json_real(v) : json_null();
}

json_t *jsonout_u64_or_null(int known, uint64_t v)
{
        if (!known)
                return json_null();
        if (v > (uint64_t)INT64_MAX)
                return json_null();
        return json_integer((json_int_t)v);
}

json_t *jsonout_text(const char *s)
{
        char *t;
        json_t *j;

        if (!s)
                return json_null();
        t = util_utf8_text(s, strlen(s));
        if (!t)
                return NULL;
        j = json_string(t);
        free(t);
        return j;
}

static json_t *str_or_null(const char *s)
{
        return s && *s ? jsonout_text(s) : json_null();
}

static json_t *tristate(int v)
{
        return v < 0 ? json_null() : json_boolean(v);
}

json_t *jsonout_machine(const struct machine_info *m)
{
        const struct procfs_meminfo *mi = &m->meminfo;

        json_t *o = json_pack("{s:o, s:o, s:o, s:I, s:o, s:I, s:o, s:o, s:o, s:o}",
                         "kernel", str_or_null(m->kernel),
                         "arch", str_or_null(m->arch),
                         "hostname", str_or_null(m->hostname),
                         "page_size_bytes", (json_int_t)m->page_size,
                         "thp_enabled", str_or_null(m->thp_enabled),
                         "cpus_online", (json_int_t)m->cpus_online,
                         "mem_total_bytes", jsonout_u64_or_null(m->have_meminfo, mi->mem_total),
                         "mem_available_bytes", jsonout_u64_or_null(m->have_meminfo, mi->mem_available),
                         "swap_total_bytes", jsonout_u64_or_null(m->have_meminfo, mi->swap_total),
                         "swap_free_bytes", jsonout_u64_or_null(m->have_meminfo, mi->swap_free));
        if (o)
                json_object_set_new(o, "anon_vma_name", m->anon_vma_name < 0 ? json_null() : json_boolean(m->anon_vma_name));
        return o;
}

static json_t *limit_json(int known, uint64_t v)
{
        if (!known)
                return json_null();
        if (v == CGROUP_NO_LIMIT)
                return json_string("max");
        return jsonout_u64_or_null(1, v);
}

json_t *jsonout_cgroup(const struct cgroup_info *cg)
{
        json_t *cpu;
        unsigned h = cg->have;

        if (!(h & CGROUP_HAVE_CPU))
                cpu = json_null();
        else if (cg->cpu_quota_us < 0)
                cpu = json_pack("{s:s, s:I, s:n}", "quota", "max", "period_us", (json_int_t)cg->cpu_period_us,
                                "cores");
        else
                cpu = json_pack("{s:I, s:I, s:f}", "quota_us", (json_int_t)cg->cpu_quota_us,
                                "period_us", (json_int_t)cg->cpu_period_us,
                                "cores", cg->cpu_period_us ? (double)cg->cpu_quota_us / (double)cg->cpu_period_us : 0.0);
        return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                         "version", cgroup_version_name(cg->version),
                         "path", str_or_null(cg->version == CGROUP_NONE ? "" : cg->path),
                         "dir", str_or_null(cg->version == CGROUP_NONE ? "" : cg->dir),
                         "memory_limit_bytes", limit_json(h & CGROUP_HAVE_LIMIT, cg->limit_bytes),
                         "memory_limit_dir", str_or_null(cg->limit_dir),
                         "memory_usage_bytes", jsonout_u64_or_null(h & CGROUP_HAVE_USAGE, cg->usage_bytes),
                         "memory_peak_bytes", jsonout_u64_or_null(h & CGROUP_HAVE_PEAK, cg->peak_bytes),
                         "working_set_bytes", jsonout_u64_or_null(h & CGROUP_HAVE_WORKING_SET, cg->working_set_bytes),
                         "oom_kills", jsonout_u64_or_null(h & CGROUP_HAVE_OOM_KILLS, cg->oom_kills),
                         "swap_limit_bytes", limit_json(h & CGROUP_HAVE_SWAP_LIMIT, cg->swap_limit_bytes),
                         "swap_usage_bytes", jsonout_u64_or_null(h & CGROUP_HAVE_SWAP_USAGE, cg->swap_usage_bytes),
                         "cpu", cpu);
}

json_t *jsonout_python(const struct python_info *pi)
{
        json_t *startup = json_pack("{s:i, s:o, s:o, s:o, s:o}",
                                    "runs", pi->startup_runs,
                                    "rss_jit_off_bytes", jsonout_u64_or_null(pi->startup_measured_off, pi->startup_rss_off),
                                    "pss_jit_off_bytes", jsonout_u64_or_null(pi->startup_measured_off, pi->startup_pss_off),
                                    "rss_jit_on_bytes", jsonout_u64_or_null(pi->startup_measured_on, pi->startup_rss_on),
                                    "pss_jit_on_bytes", jsonout_u64_or_null(pi->startup_measured_on, pi->startup_pss_on));
        json_t *jit = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
                                "build", python_jit_build_key(pi->build),
                                "build_text", python_jit_build_text(pi->build),
                                "configure_arg", str_or_null(pi->config_jit),
                                "machine_code", json_boolean(pi->build == PY_JIT_BUILT_ON || pi->build == PY_JIT_BUILT_OFF),
                                "sys_jit_available", tristate(pi->has_sys_jit ? pi->jit_available : -1),
                                "enabled_by_default", tristate(pi->jit_default),
                                "enabled_now", tristate(pi->jit_now),
                                "enabled_now_evidence", str_or_null(pi->jit_now_evidence),
                                "env_PYTHON_JIT", pi->env_python_jit_set ? jsonout_text(pi->env_python_jit) : json_null(),
                                "env_PYTHON_JIT_effect",
                                !pi->env_python_jit_set || python_jit_env_effect(pi->env_python_jit) < 0 ||
                                                pi->build == PY_JIT_NOT_BUILT
                                        ? json_string("none")
                                        : json_string(python_jit_env_effect(pi->env_python_jit) ? "on" : "off"),
                                "perf_support_disables_jit", tristate(pi->perf_disables_jit));
        if (jit) {
                json_object_set_new(jit, "isolated_mode_ignores_PYTHON_JIT", tristate(pi->isolated_ignores_env));
                /* documented, not measured: pyperf's create_environ (pyperf/_utils.py) */
                json_object_set_new(jit, "pyperf_workers_inherit_PYTHON_JIT", json_false());
        }
        return json_pack("{s:o, s:o, s:o, s:o, s:[i,i,i], s:o, s:b, s:o, s:o, s:o, s:o, s:b}",
                         "path", jsonout_text(pi->path),
                         "executable", str_or_null(pi->executable),
                         "version", jsonout_text(pi->version),
                         "version_full", jsonout_text(pi->version_full),
                         "version_info", pi->major, pi->minor, pi->micro,
                         "implementation", jsonout_text(pi->implementation),
                         "free_threaded", pi->free_threaded,
                         "gil_enabled", tristate(pi->gil_enabled),
                         "config_args", jsonout_text(pi->config_args),
                         "jit", jit,
                         "startup", startup,
                         "env_PYTHONPERFSUPPORT", pi->perf_env_set);
}

/* 2^53: every integer below it is exact as a double. */
#define EXACT_MAX 9007199254740992.0

static json_t *tidy_value(json_t *v, int bytes)
{
        if (!json_is_real(v))
                return NULL;
        double x = json_real_value(v);
        if (!isfinite(x) || fabs(x) >= EXACT_MAX)
                return NULL;
        if (bytes)
                return json_integer((json_int_t)llround(x));
        if (x == floor(x))
                return json_integer((json_int_t)x);
        return NULL;
}

static int ends_with_bytes(const char *key)
{
        size_t n = strlen(key);

        return n >= 6 && strcmp(key + n - 6, "_bytes") == 0;
}

static void tidy(json_t *j, int bytes)
{
        if (json_is_object(j)) {
                for (void *it = json_object_iter(j); it; it = json_object_iter_next(j, it)) {
                        json_t *v = json_object_iter_value(it);
                        int b = ends_with_bytes(json_object_iter_key(it));
                        json_t *n = tidy_value(v, b);
                        if (n)
                                json_object_iter_set_new(j, it, n);
                        else if (json_is_array(v))
                                tidy(v, b);
                        else
                                tidy(v, 0);
                }
        } else if (json_is_array(j)) {
                for (size_t i = 0; i < json_array_size(j); i++) {
                        json_t *v = json_array_get(j, i);
                        json_t *n = tidy_value(v, bytes);
                        if (n)
                                json_array_set_new(j, i, n);
                        else
                                tidy(v, json_is_array(v) ? bytes : 0);
                }
        }
}

void jsonout_tidy(json_t *obj)
{
        tidy(obj, 0);
}

char *jsonout_dumps(json_t *obj, size_t flags)
{
        jsonout_tidy(obj);
        return json_dumps(obj, flags);
}

int jsonout_dumpf(json_t *obj, FILE *f, size_t flags)
{
        jsonout_tidy(obj);
        return json_dumpf(obj, f, flags);
}

int jsonout_write_atomic(int dirfd, const char *name, json_t *obj)
{
        char tmp[256];
        char *text;
        int fd, r;

        snprintf(tmp, sizeof(tmp), ".%s.tmp.%d", name, (int)getpid());
        text = jsonout_dumps(obj, JSONOUT_DUMP_FLAGS);
        if (!text)
                return -EINVAL; /* jansson does not say why: not memory alone (a string that is not UTF-8, a NULL) */
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
                r = -errno;
                free(text);
                return r;
        }
        r = util_write_all(fd, text, strlen(text));
        if (r == 0)
                r = util_write_all(fd, "\n", 1);
        free(text);
        if (r == 0 && fsync(fd) < 0)
                r = -errno;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
                r = -errno;
        if (r < 0)
                unlinkat(dirfd, tmp, 0);
        return r;
}

void jsonout_iso8601(uint64_t wall_ns, char *buf, size_t size)
{
        time_t s = (time_t)(wall_ns / 1000000000ULL);
        struct tm tm;
        char base[32];

        gmtime_r(&s, &tm);
        strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf, size, "%s.%03uZ", base, (unsigned)((wall_ns / 1000000ULL) % 1000));
}
