#include "watchrec.h"
#include "jsonout.h"
#include "machine.h"
#include "record.h"
#include "runner.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct watchrec {
        char dir[KFILE_PATH_MAX];
        int dirfd;
        struct record *rec;
        uint64_t t0_ns;                 /* the first sampler's clock: samples.csv's times count from it */
        unsigned long rebuilds;         /* the watch's sampler rebuilds already taken into account */
        double processes_since_t;       /* when the processes summary.json lists began (-1: the start) */
        int failed;
        char error[256];                /* why recording stopped, "" while it goes on */
        uint32_t untracked_max;
        struct sample *copy;            /* a tick's samples moved to samples.csv's clock */
        size_t copy_cap;
};


const char *watchrec_dir(const struct watchrec *r)
{
        return r->dir;
}

/* What was watched: the PIDs named, --match, --cgroup. */
static json_t *watched_json(const struct watch_options *o)
{
        json_t *pids = json_array();

        for (size_t i = 0; pids && i < o->npids; i++)
                json_array_append_new(pids, json_integer(o->pids[i]));
        return json_pack("{s:o, s:o, s:o}", "pids", pids ? pids : json_null(), "match", jsonout_text(o->match),
                         "cgroup", jsonout_text(o->cgroup_dir));
}

static json_t *meta_json(const struct watch *w, json_error_t *err)
{
        const struct watch_options *o = &w->opt;
        struct machine_info m;
        char started[64];

        machine_read(&m);
        jsonout_iso8601(util_wall_ns(), started, sizeof(started));
        return json_pack_ex(err, 0, "{s:s, s:s, s:s, s:o, s:n, s:s, s:f, s:o, s:f, s:f, s:o, s:o, s:o, s:o}",
                            "schema", RUNNER_META_SCHEMA,
                            "jitmem_version", JITMEM_VERSION,
                            "source", "watch",
                            "watched", watched_json(o),
                            "command",
                            "started_at", started,
                            "interval_s", (double)o->interval_ns / 1e9,
                            "pss_interval_s", o->heavy_interval_ns ? json_real((double)o->heavy_interval_ns / 1e9) : json_string("auto"),
                            "window_s", (double)o->window_ns / 1e9,
                            "rescan_s", (double)o->rescan_ns / 1e9,
                            "limit_bytes", jsonout_u64_or_null(w->limit > 0, w->limit),
                            "limit_source", w->limit_source ? json_string(w->limit_source) : json_null(),
                            "machine", jsonout_machine(&m),
                            "cgroup", w->have_cgroup ? jsonout_cgroup(&w->cg) : json_null());
}

/* The directory, created if needed, writable, and holding no run unless force. */
static int open_dir(struct watchrec *r, int force, char *err, size_t errsize)
{
        char failed[KFILE_PATH_MAX] = "", why[2 * KFILE_PATH_MAX + 128];
        size_t created = 0;
        int e;

        e = util_mkdir_p_created(r->dir, failed, sizeof(failed), &created);
        if (e == -ENOENT && util_mkdir_enoent_reason(failed, why, sizeof(why))) {
                util_say(err, errsize, "cannot use %s as the run directory: %s", r->dir, why);
                return e;
        }
        if (e == 0) {
                r->dirfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (r->dirfd < 0)
                        e = -errno;
        }
        if (e == 0 && faccessat(r->dirfd, ".", W_OK, AT_EACCESS) != 0)
                e = -errno;
        if (e < 0) {
                util_say(err, errsize, "cannot use %s as the run directory: %s", r->dir, util_strerror(e));
                return e;
        }
        if (!force && (faccessat(r->dirfd, "samples.csv", F_OK, 0) == 0 ||
                       faccessat(r->dirfd, "summary.json", F_OK, 0) == 0)) {
                util_say(err, errsize, "%s already holds a run: choose another --record, or add --force to replace it",
                    r->dir);
                return -EEXIST;
        }
        return 0;
}

int watchrec_open(const char *dir, int force, const struct watch *w, struct watchrec **ret, char *err,
                  size_t errsize)
{
        struct watchrec *r;
        json_error_t jerr;
        json_t *meta;
        int e;

        if (!dir || !*dir || !w || !ret)
                return -EINVAL;
        if (strlen(dir) >= KFILE_PATH_MAX) {
                util_say(err, errsize, "the run directory's path is too long");
                return -ENAMETOOLONG;
        }
        r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        snprintf(r->dir, sizeof(r->dir), "%s", dir);
        r->dirfd = -1;
        r->processes_since_t = -1;
        r->rebuilds = w->sampler_rebuilds;
        r->t0_ns = sampler_t0_ns(w->sampler);
        e = open_dir(r, force, err, errsize);
        if (e == 0) {
                memset(&jerr, 0, sizeof(jerr));
                meta = meta_json(w, &jerr);
                e = meta ? jsonout_write_atomic(r->dirfd, "meta.json", meta) : -EINVAL;
                json_decref(meta);
                if (!meta)
                        util_say(err, errsize, "cannot write %s/meta.json: it could not be encoded as JSON (%s)", dir, jerr.text);
                else if (e < 0)
                        util_say(err, errsize, "cannot write %s/meta.json: %s", dir, util_strerror(e));
        }
        if (e == 0) {
                e = record_open(r->dirfd, &r->rec);
                if (e < 0)
                        util_say(err, errsize, "cannot write %s/samples.csv: %s", dir, util_strerror(e));
        }
        if (e < 0) {
                if (r->dirfd >= 0)
                        close(r->dirfd);
                free(r);
                return e;
        }
        /* a summary.json left by the run --force replaces would describe another recording */
        unlinkat(r->dirfd, "summary.json", 0);
        *ret = r;
        return 0;
}

/* The tick on samples.csv's clock: the sampler's times count from its creation, and a rebuilt
 * sampler's from later. Returns the tick to record (t itself when no shift is needed). */
static int shift_tick(struct watchrec *r, const struct watch *w, struct sampler_tick *t)
{
        uint64_t t0 = sampler_t0_ns(w->sampler), shift = t0 > r->t0_ns ? t0 - r->t0_ns : 0;

        if (shift == 0)
                return 0;
        if (t->n > 0) {
                struct sample *c = util_grow(r->copy, &r->copy_cap, t->n, sizeof(*c), 64);
                if (!c)
                        return -ENOMEM;
                r->copy = c;
                memcpy(c, t->samples, t->n * sizeof(*c));
                for (size_t i = 0; i < t->n; i++)
                        c[i].t_ns += shift;
                t->samples = c;
        }
        t->t_ns += shift;
        return 0;
}

int watchrec_tick(struct watchrec *r, const struct watch *w, char *err, size_t errsize)
{
        struct record_extra x = { 0 };
        struct sampler_tick t;
        int e;

        if (r->failed)
                return -EIO;
        if (!w->have_last_tick)
                return 0;
        if (w->sampler_rebuilds != r->rebuilds) {
                /* new indices: the processes summary.json lists start again here */
                record_forget_processes(r->rec);
                r->rebuilds = w->sampler_rebuilds;
                r->processes_since_t = -2;
        }
        t = w->last_tick;
        e = shift_tick(r, w, &t);
        if (r->processes_since_t == -2)
                r->processes_since_t = (double)t.t_ns / 1e9;
        if (w->have_cgroup && (w->cg.have & CGROUP_HAVE_USAGE)) {
                x.have_cg = 1;
                x.cg_usage = w->cg.usage_bytes;
        }
        if (e == 0)
                e = record_tick(r->rec, &t, w->opt.npids == 1 ? w->opt.pids[0] : 0, &x);
        if (t.untracked + t.unreadable > r->untracked_max)
                r->untracked_max = t.untracked + t.unreadable;
        if (e < 0) {
                r->failed = 1;
                snprintf(r->error, sizeof(r->error), "%s", util_strerror(e));
                util_say(err, errsize, "cannot write %s/samples.csv: %s (the ticks written before stay)", r->dir,
                    util_strerror(e));
        }
        return e;
}

static const char *end_name(enum watchrec_end end)
{
        switch (end) {
        case WATCHREC_END_SIGNAL: return "signal";
        case WATCHREC_END_COUNT: return "count";
        case WATCHREC_END_DURATION: return "duration";
        case WATCHREC_END_NOTHING: return "nothing to watch";
        case WATCHREC_END_ERROR: return "error";
        }
        return "error";
}

/* summary.json's "processes": the sampler's processes (since its last rebuild), their times on
 * samples.csv's clock. */
static json_t *processes_json(const struct watchrec *r, const struct watch *w)
{
        json_t *a = record_processes_json(r->rec, w->sampler), *p;
        uint64_t t0 = sampler_t0_ns(w->sampler);
        double shift = t0 > r->t0_ns ? (double)(t0 - r->t0_ns) / 1e9 : 0;
        size_t i;

        if (a && shift > 0) {
                json_array_foreach(a, i, p) {
                        const char *keys[] = { "first_t_s", "last_t_s" };
                        for (size_t k = 0; k < 2; k++) {
                                json_t *v = json_object_get(p, keys[k]);
                                if (json_is_number(v))
                                        json_object_set_new(p, keys[k], json_real(json_number_value(v) + shift));
                        }
                }
        }
        return a;
}

static json_t *summary_json(const struct watchrec *r, const struct watch *w, enum watchrec_end end, int sig,
                            const char *error, int exit_status, json_error_t *err)
{
        struct record_tree t;
        json_t *limit = json_null(), *ended, *o;
        const char *signame = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : NULL;

        record_tree_figures(r->rec, &t);
        if (w->limit > 0 && t.have_final)
                limit = json_pack("{s:I, s:f, s:o}", "bytes", (json_int_t)w->limit,
                                  "peak_rss_fraction", (double)t.peak_rss / (double)w->limit,
                                  "peak_pss_fraction",
                                  t.have_pss ? json_real((double)t.peak_pss / (double)w->limit) : json_null());
        ended = json_pack("{s:s, s:o, s:o}", "reason", end_name(end),
                          "signal", end == WATCHREC_END_SIGNAL && signame ? json_string(signame) : json_null(),
                          "error", jsonout_text(end == WATCHREC_END_ERROR ? error : NULL));
        o = json_pack_ex(err, 0, "{s:s, s:s, s:o, s:i, s:n, s:f, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:o, s:n}",
                         "schema", RUNNER_SUMMARY_SCHEMA,
                         "source", "watch",
                         "ended", ended,
                         "exit_status", exit_status,
                         "exit",
                         "duration_s", w->t,
                         "signals_forwarded", json_object(),
                         "tree", record_tree_json(r->rec),
                         "processes", processes_json(r, w),
                         "processes_since_t_s", r->processes_since_t >= 0 ? json_real(r->processes_since_t) : json_null(),
                         "ticks", record_ticks_json(r->rec),
                         "limit", limit,
                         "untracked_processes_max", (json_int_t)r->untracked_max,
                         "unreadable_processes", (json_int_t)w->unreadable,
                         "restarts", (json_int_t)w->restarts,
                         "recording_error", r->error[0] ? json_string(r->error) : json_null(),
                         "progress");
        return o;
}

int watchrec_finish(struct watchrec *r, const struct watch *w, enum watchrec_end end, int signal,
                    const char *error, int exit_status, char *err, size_t errsize)
{
        json_error_t jerr;
        json_t *sum;
        int e, c;

        if (!r)
                return 0;
        memset(&jerr, 0, sizeof(jerr));
        sum = summary_json(r, w, end, signal, error, exit_status, &jerr);
        e = sum ? jsonout_write_atomic(r->dirfd, "summary.json", sum) : -EINVAL;
        json_decref(sum);
        if (!sum)
                util_say(err, errsize, "cannot write %s/summary.json: it could not be encoded as JSON (%s; samples.csv "
                    "holds every tick written)", r->dir, jerr.text);
        else if (e < 0)
                util_say(err, errsize, "cannot write %s/summary.json: %s (samples.csv holds every tick written)", r->dir,
                    util_strerror(e));
        c = record_close(r->rec);
        if (c < 0 && e == 0) {
                e = c;
                util_say(err, errsize, "cannot write %s/samples.csv: %s", r->dir, util_strerror(c));
        }
        close(r->dirfd);
        free(r->copy);
        free(r);
        return e;
}
