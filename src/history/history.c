/* The history database (history.h). One connection per jitmem; every append is one BEGIN
 * IMMEDIATE transaction, so a writer killed at any point leaves every earlier result and
 * either all of its own rows or none. */
#include "history.h"

#include "jsonout.h"
#include "machine.h"
#include "runfile.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PATH_SIZE 4096

struct history {
        sqlite3 *db;
        char path[PATH_SIZE];
        int readonly;
        int version;
};

/* ---- the schema ---- */

/* The migrations, in order: MIGRATIONS[i] takes a database from version i to i + 1. A new
 * version adds one entry (and its test), never edits an old one. */
static const char *const MIGRATIONS[] = {
        /* 1: results, their figures, whole experiments, and the differences between interpreters */
        "CREATE TABLE results ("
        " id INTEGER PRIMARY KEY,"
        " created TEXT NOT NULL,"
        " created_epoch REAL NOT NULL,"
        " kind TEXT NOT NULL CHECK (kind IN ('compare', 'fit', 'run')),"
        " experiment TEXT NOT NULL,"
        " label TEXT,"
        " workload TEXT,"
        " subject TEXT NOT NULL,"
        " command TEXT NOT NULL,"
        " options TEXT NOT NULL,"
        " jit_mode TEXT,"
        " python_path TEXT,"
        " python_version TEXT,"
        " python_jit TEXT,"
        " python_config_args TEXT,"
        " python TEXT,"
        " machine_key TEXT NOT NULL,"
        " hostname TEXT,"
        " kernel TEXT,"
        " cpus INTEGER,"
        " mem_total_bytes INTEGER,"
        " machine TEXT,"
        " cgroup TEXT,"
        " verdict TEXT,"
        " dir TEXT NOT NULL,"
        " document TEXT NOT NULL);"
        "CREATE INDEX results_subject ON results (subject, created_epoch);"
        "CREATE TABLE figures ("
        " result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,"
        " name TEXT NOT NULL,"
        " unit TEXT,"
        " value REAL,"
        " off_median REAL, on_median REAL,"
        " delta REAL, ci_low REAL, ci_high REAL,"
        " n_off INTEGER, n_on INTEGER, significant INTEGER,"
        " off_low REAL, off_high REAL, off_interval TEXT,"
        " on_low REAL, on_high REAL, on_interval TEXT,"
        " PRIMARY KEY (result_id, name));"
        "CREATE TABLE experiments ("
        " id TEXT PRIMARY KEY,"
        " created TEXT NOT NULL,"
        " document TEXT NOT NULL);"
        "CREATE TABLE differences ("
        " experiment TEXT NOT NULL,"
        " base TEXT, other TEXT, mode TEXT NOT NULL, name TEXT NOT NULL, unit TEXT,"
        " base_median REAL, other_median REAL, n_base INTEGER, n_other INTEGER,"
        " delta REAL, ci_low REAL, ci_high REAL, significant INTEGER, finding TEXT);",
};
#define MIGRATIONS_N ((int)(sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0])))
_Static_assert(MIGRATIONS_N == HISTORY_SCHEMA_VERSION, "one migration per schema version");

/* ---- errors ---- */

/* One sentence for what SQLite said about path; returns the -errno it stands for. */
static int say(sqlite3 *db, int rc, const char *path, const char *doing, char *err, size_t err_size)
{
        int prim = rc & 0xff;
        const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);

        switch (prim) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
                util_say(err, err_size, "%s is locked by another process for more than %d s (%s)", path,
                         HISTORY_BUSY_MS / 1000, doing);
                return -EBUSY;
        case SQLITE_NOTADB:
        case SQLITE_CORRUPT:
                util_say(err, err_size, "%s is not a usable history database: %s (corrupt, or another kind of "
                         "file; it was left as it is: move it away, or use --db)", path, msg);
                return -EBADMSG;
        case SQLITE_READONLY:
                util_say(err, err_size, "%s cannot be written: the file or its directory is read only", path);
                return -EROFS;
        case SQLITE_CANTOPEN: {
                int e = db ? sqlite3_system_errno(db) : 0;
                if (e == EACCES || e == EPERM || e == EROFS) {
                        util_say(err, err_size, "%s cannot be opened for writing: %s (the file or its directory is "
                                 "read only)", path, strerror(e));
                        return -EROFS;
                }
                util_say(err, err_size, "cannot open %s: %s", path, e ? strerror(e) : msg);
                return e ? -e : -EIO;
        }
        case SQLITE_FULL:
                util_say(err, err_size, "%s: the disk is full (%s)", path, doing);
                return -ENOSPC;
        case SQLITE_NOMEM:
                util_say(err, err_size, "out of memory");
                return -ENOMEM;
        default:
                util_say(err, err_size, "%s: %s (%s)", path, msg, doing);
                return -EIO;
        }
}

/* ---- opening ---- */

int history_default_path(char *buf, size_t size, char *err, size_t err_size)
{
        const char *env = getenv("JITMEM_HISTORY_DB"), *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
        int n;

        if (env && env[0])
                n = snprintf(buf, size, "%s", env);
        else if (xdg && xdg[0] == '/')
                n = snprintf(buf, size, "%s/jitmem/history.db", xdg);
        else if (home && home[0])
                n = snprintf(buf, size, "%s/.local/share/jitmem/history.db", home);
        else {
                util_say(err, err_size, "no place for the history: neither XDG_DATA_HOME nor HOME is set (use --db)");
                return -ENOENT;
        }
        if (n < 0 || (size_t)n >= size) {
                util_say(err, err_size, "the history's path is too long");
                return -ENAMETOOLONG;
        }
        return 0;
}

static int exec_sql(struct history *h, const char *sql, const char *doing, char *err, size_t err_size)
{
        int rc = sqlite3_exec(h->db, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : say(h->db, rc, h->path, doing, err, err_size);
}

/* An integer from a one-row statement (a PRAGMA). */
static int query_int(struct history *h, const char *sql, long long *ret, char *err, size_t err_size)
{
        sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);

        if (rc == SQLITE_OK) {
                rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        *ret = sqlite3_column_int64(st, 0);
                        rc = SQLITE_OK;
                }
        }
        sqlite3_finalize(st);
        return rc == SQLITE_OK ? 0 : say(h->db, rc, h->path, sql, err, err_size);
}

/* The migrations this database lacks, in one transaction; a newer schema is refused untouched. */
static int migrate(struct history *h, char *err, size_t err_size)
{
        long long v = 0;
        char sql[64];
        int r;

        r = exec_sql(h, "BEGIN IMMEDIATE", "starting the schema's transaction", err, err_size);
        if (r < 0)
                return r;
        r = query_int(h, "PRAGMA user_version", &v, err, err_size);
        if (r == 0 && v > HISTORY_SCHEMA_VERSION) {
                util_say(err, err_size, "%s was written by a newer jitmem (history schema %lld; this jitmem knows up to "
                         "%d): it was left as it is (use that jitmem, or another --db)", h->path, v, HISTORY_SCHEMA_VERSION);
                r = -ENOTSUP;
        }
        for (int i = (int)v; r == 0 && i < MIGRATIONS_N; i++)
                r = exec_sql(h, MIGRATIONS[i], "creating the schema", err, err_size);
        if (r == 0 && v < HISTORY_SCHEMA_VERSION) {
                snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", HISTORY_SCHEMA_VERSION);
                r = exec_sql(h, sql, "setting the schema's version", err, err_size);
        }
        if (r == 0)
                r = exec_sql(h, "COMMIT", "committing the schema", err, err_size);
        if (r < 0) {
                sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
                return r;
        }
        h->version = v > HISTORY_SCHEMA_VERSION ? (int)v : HISTORY_SCHEMA_VERSION;
        return 0;
}

/* WAL, so that readers never wait for the writer; switching may meet another process doing
 * the same, which SQLite's busy handler does not cover: retried for the busy timeout. */
static int set_wal(struct history *h, char *err, size_t err_size)
{
        for (int waited_ms = 0;; waited_ms += 50) {
                sqlite3_stmt *st = NULL;
                int rc = sqlite3_prepare_v2(h->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
                if (rc == SQLITE_OK)
                        rc = sqlite3_step(st);
                if (rc == SQLITE_ROW) {
                        const char *mode = (const char *)sqlite3_column_text(st, 0);
                        int wal = mode && strcmp(mode, "wal") == 0;
                        sqlite3_finalize(st);
                        if (!wal) {
                                util_say(err, err_size, "%s cannot be switched to WAL (its journal mode stays %s): "
                                         "is it on a file system without shared memory?", h->path, mode ? mode : "unknown");
                                return -EIO;
                        }
                        return 0;
                }
                sqlite3_finalize(st);
                if ((rc & 0xff) != SQLITE_BUSY || waited_ms >= HISTORY_BUSY_MS)
                        return say(h->db, rc, h->path, "switching to WAL", err, err_size);
                struct timespec ts = { 0, 50 * 1000000L };
                nanosleep(&ts, NULL);
        }
}

/* path as a file: URI with immutable=1 (for a database in a directory nobody may write). */
static int immutable_uri(const char *path, char *buf, size_t size)
{
        static const char hex[] = "0123456789ABCDEF";
        size_t o = 0;

        o += (size_t)snprintf(buf, size, "file:");
        for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
                if (o + 4 >= size)
                        return -ENAMETOOLONG;
                if (*p == '%' || *p == '?' || *p == '#' || *p < 0x21 || *p >= 0x7f) {
                        buf[o++] = '%';
                        buf[o++] = hex[*p >> 4];
                        buf[o++] = hex[*p & 15];
                } else {
                        buf[o++] = (char)*p;
                }
        }
        if (o + 20 >= size)
                return -ENAMETOOLONG;
        snprintf(buf + o, size - o, "?immutable=1");
        return 0;
}

static int open_readonly(struct history *h, char *err, size_t err_size)
{
        char uri[PATH_SIZE * 3 + 32];
        long long v = 0;
        struct stat st;
        int rc, r;

        if (stat(h->path, &st) < 0) {
                int e = errno;
                util_say(err, err_size, "cannot read %s: %s", h->path, strerror(e));
                return -e;
        }
        rc = sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READONLY, NULL);
        if (rc == SQLITE_OK) {
                sqlite3_busy_timeout(h->db, HISTORY_BUSY_MS);
                r = query_int(h, "PRAGMA user_version", &v, err, err_size);
                if (r != -EROFS && r != -EACCES && r != -EPERM && r != -EIO)
                        goto opened;
        }
        /* A WAL database needs its -shm: when neither it can be created (a read-only
         * directory) nor is there, the file is read as immutable, which nobody can change. */
        sqlite3_close(h->db);
        h->db = NULL;
        if (immutable_uri(h->path, uri, sizeof(uri)) < 0) {
                util_say(err, err_size, "%s: name too long", h->path);
                return -ENAMETOOLONG;
        }
        rc = sqlite3_open_v2(uri, &h->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
        if (rc != SQLITE_OK)
                return say(h->db, rc, h->path, "opening", err, err_size);
        r = query_int(h, "PRAGMA user_version", &v, err, err_size);
opened:
        if (r < 0)
                return r;
        if (v > HISTORY_SCHEMA_VERSION) {
                util_say(err, err_size, "%s was written by a newer jitmem (history schema %lld; this jitmem knows up to %d)",
                         h->path, v, HISTORY_SCHEMA_VERSION);
                return -ENOTSUP;
        }
        if (v < HISTORY_SCHEMA_VERSION) {
                /* empty (0), or older: a writer migrates it; read only, it holds nothing readable */
                util_say(err, err_size, "%s holds no history of schema %d (its schema is %lld: a jitmem that appends to "
                         "it brings it up to date)", h->path, HISTORY_SCHEMA_VERSION, v);
                return v == 0 ? -ENOENT : -ENOTSUP;
        }
        h->version = (int)v;
        return 0;
}

static int open_readwrite(struct history *h, char *err, size_t err_size)
{
        char dir[PATH_SIZE], failed[PATH_SIZE];
        char *slash;
        long long v = 0;
        int rc, r;

        snprintf(dir, sizeof(dir), "%s", h->path);
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
                *slash = '\0';
                r = util_mkdir_p(dir, failed, sizeof(failed));
                if (r < 0) {
                        util_say(err, err_size, "cannot create %s for the history: %s", failed, strerror(-r));
                        return r == -EACCES || r == -EPERM ? -EROFS : r;
                }
        }
        rc = sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
        if (rc != SQLITE_OK)
                return say(h->db, rc, h->path, "opening", err, err_size);
        /* SQLite opens a file it may not write read only, silently: said here, before any work */
        if (sqlite3_db_readonly(h->db, "main") == 1) {
                util_say(err, err_size, "%s cannot be written: the file is read only", h->path);
                return -EROFS;
        }
        sqlite3_busy_timeout(h->db, HISTORY_BUSY_MS);
        sqlite3_extended_result_codes(h->db, 1);
        /* a newer schema is refused before anything is written, the journal mode included */
        r = query_int(h, "PRAGMA user_version", &v, err, err_size);
        if (r == 0 && v > HISTORY_SCHEMA_VERSION) {
                util_say(err, err_size, "%s was written by a newer jitmem (history schema %lld; this jitmem knows up to "
                         "%d): it was left as it is (use that jitmem, or another --db)", h->path, v, HISTORY_SCHEMA_VERSION);
                return -ENOTSUP;
        }
        if (r == 0)
                r = set_wal(h, err, err_size);
        if (r == 0)
                r = exec_sql(h, "PRAGMA foreign_keys = ON", "enabling foreign keys", err, err_size);
        if (r == 0)
                r = migrate(h, err, err_size);
        return r;
}

int history_open(const char *path, int flags, struct history **ret, char *err, size_t err_size)
{
        struct history *h;
        int r;

        err[0] = '\0';
        if (!path || !path[0] || strlen(path) >= PATH_SIZE) {
                util_say(err, err_size, "the history needs a path (at most %d bytes)", PATH_SIZE - 1);
                return -EINVAL;
        }
        h = calloc(1, sizeof(*h));
        if (!h) {
                util_say(err, err_size, "out of memory");
                return -ENOMEM;
        }
        snprintf(h->path, sizeof(h->path), "%s", path);
        h->readonly = (flags & HISTORY_READONLY) != 0;
        r = h->readonly ? open_readonly(h, err, err_size) : open_readwrite(h, err, err_size);
        if (r < 0) {
                history_close(h);
                return r;
        }
        *ret = h;
        return 0;
}

void history_close(struct history *h)
{
        if (!h)
                return;
        sqlite3_close(h->db);
        free(h);
}

int history_schema_version(struct history *h)
{
        return h->version;
}

/* ---- reading documents ---- */

static const char *jstr(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static double jnum(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_number(v) ? json_number_value(v) : NAN;
}

/* path parsed, when a regular file of at most HISTORY_DOC_MAX bytes; else NULL. */
static json_t *load_bounded(const char *path)
{
        return runfile_load_json(path, HISTORY_DOC_MAX);
}

void history_subject_of(json_t *doc, const char *workload, char *buf, size_t size)
{
        json_t *cmd = json_object_get(doc, "command"), *a;
        size_t o = 0, i;

        buf[0] = '\0';
        if (!workload)
                workload = jstr(doc, "workload");
        if (workload && workload[0]) {
                snprintf(buf, size, "%s", workload);
                return;
        }
        json_array_foreach(cmd, i, a)
        {
                const char *s = json_string_value(a);
                int n;
                if (!s)
                        continue;
                n = snprintf(buf + o, size - o, "%s%s", o ? " " : "", s);
                if (n < 0 || (size_t)n >= size - o)
                        break;
                o += (size_t)n;
        }
}

/* The meta.json of the first of doc's runs found under dir/runs/ (or where the run says it
 * is): the machine and cgroup the comparison ran on. NULL when none is found. */
static json_t *first_run_meta(json_t *doc, const char *dir)
{
        json_t *runs = json_object_get(doc, "runs"), *rj;
        char path[PATH_SIZE * 2];
        size_t i;

        json_array_foreach(runs, i, rj)
        {
                const char *d = jstr(rj, "dir"), *base;
                json_t *m;
                if (!d)
                        continue;
                base = strrchr(d, '/') ? strrchr(d, '/') + 1 : d;
                if (base[0] && base[0] != '.' && !strchr(base, '/')) {
                        snprintf(path, sizeof(path), "%s/runs/%s/meta.json", dir, base);
                        if ((m = load_bounded(path)))
                                return m;
                }
                snprintf(path, sizeof(path), "%s/meta.json", d);
                if ((m = load_bounded(path)))
                        return m;
        }
        return NULL;
}

/* The meta.json of a fit's first trial (dir/trials/NAME/meta.json), or NULL. */
static json_t *first_trial_meta(json_t *fit, const char *dir)
{
        char path[PATH_SIZE * 2];
        json_t *t;
        size_t i;

        for (int on = 0; on < 2; on++)
                json_array_foreach(json_object_get(json_object_get(json_object_get(fit, "modes"), on ? "on" : "off"),
                                                   "trial_list"), i, t)
                {
                        const char *d = jstr(t, "dir");
                        json_t *m;
                        if (!d || !d[0] || d[0] == '.' || strchr(d, '/'))
                                continue;
                        snprintf(path, sizeof(path), "%s/trials/%s/meta.json", dir, d);
                        if ((m = load_bounded(path)))
                                return m;
                }
        return NULL;
}

/* ---- one result row ---- */

/* What a row of results holds but its document. Strings are borrowed. */
struct row {
        const char *kind, *experiment, *label, *workload, *jit_mode, *verdict;
        char subject[1024];
        json_t *command, *options, *python, *machine, *cgroup, *document;
        char dir[PATH_SIZE];
};

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
        return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

static int bind_real(sqlite3_stmt *st, int i, double v)
{
        return isfinite(v) ? sqlite3_bind_double(st, i, v) : sqlite3_bind_null(st, i);
}

/* A JSON value bound as its compact text (NULL for NULL or null). */
static int bind_json(sqlite3_stmt *st, int i, json_t *v)
{
        char *s;
        int rc;

        if (!v || json_is_null(v))
                return sqlite3_bind_null(st, i);
        s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY);
        if (!s)
                return SQLITE_NOMEM;
        rc = sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
        free(s);
        return rc;
}

/* A new experiment id: the time and 64 random bits. */
static void new_experiment_id(char *buf, size_t size)
{
        uint64_t rnd = 0;
        time_t t = time(NULL);
        struct tm tm;

        if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
                rnd = util_now_ns() ^ ((uint64_t)getpid() << 32);
        gmtime_r(&t, &tm);
        snprintf(buf, size, "%04d%02d%02dT%02d%02d%02dZ-%016llx", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                 tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned long long)rnd);
}

/* The machine's key for --check (hostname, architecture, CPUs, memory in GiB) is taken from a run's meta.json "machine"
 * or, without one, this machine now. Fills r->machine (a new reference). */
static void fill_machine(struct row *r, json_t *meta)
{
        json_t *m = json_object_get(meta, "machine");

        if (json_is_object(m)) {
                r->machine = json_incref(m);
        } else {
                struct machine_info mi;
                machine_read(&mi);
                r->machine = jsonout_machine(&mi);
        }
}

static int insert_row(struct history *h, const struct row *r, int64_t *ret_id, char *err, size_t err_size)
{
        static const char sql[] =
                "INSERT INTO results (created, created_epoch, kind, experiment, label, workload, subject, command, "
                "options, jit_mode, python_path, python_version, python_jit, python_config_args, python, machine_key, "
                "hostname, kernel, cpus, mem_total_bytes, machine, cgroup, verdict, dir, document) VALUES "
                "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, "
                "?23, ?24, ?25)";
        sqlite3_stmt *st = NULL;
        char created[40], key[256];
        uint64_t now = util_wall_ns();
        json_t *py = json_is_object(r->python) ? r->python : NULL, *jit = json_object_get(py, "jit");
        const char *host = jstr(r->machine, "hostname");
        double cpus = jnum(r->machine, "cpus_online"), mem = jnum(r->machine, "mem_total_bytes");
        int rc;

        jsonout_iso8601(now, created, sizeof(created));
        /* memory in whole GiB: MemTotal moves by a few pages on some virtual machines */
        snprintf(key, sizeof(key), "%s/%s/%.0f/%.0fG", host ? host : "", jstr(r->machine, "arch") ? jstr(r->machine, "arch") : "",
                 isfinite(cpus) ? cpus : 0, isfinite(mem) ? round(mem / (1 << 30)) : 0);
        rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
        if (rc == SQLITE_OK) {
                bind_text(st, 1, created);
                sqlite3_bind_double(st, 2, (double)now / 1e9);
                bind_text(st, 3, r->kind);
                bind_text(st, 4, r->experiment);
                bind_text(st, 5, r->label);
                bind_text(st, 6, r->workload);
                bind_text(st, 7, r->subject);
                if (r->command)
                        bind_json(st, 8, r->command);
                else
                        bind_text(st, 8, "[]");
                bind_json(st, 9, r->options);
                bind_text(st, 10, r->jit_mode);
                bind_text(st, 11, py ? (jstr(py, "path") ? jstr(py, "path") : jstr(py, "executable")) : NULL);
                bind_text(st, 12, py ? jstr(py, "version") : NULL);
                bind_text(st, 13, json_is_object(jit) ? jstr(jit, "build") : NULL);
                bind_text(st, 14, py ? jstr(py, "config_args") : NULL);
                bind_json(st, 15, py);
                bind_text(st, 16, key);
                bind_text(st, 17, host);
                bind_text(st, 18, jstr(r->machine, "kernel"));
                bind_real(st, 19, cpus);
                bind_real(st, 20, mem);
                bind_json(st, 21, r->machine);
                bind_json(st, 22, r->cgroup);
                bind_text(st, 23, r->verdict);
                bind_text(st, 24, r->dir);
                rc = bind_json(st, 25, r->document);
                if (rc == SQLITE_OK)
                        rc = sqlite3_step(st);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
                return say(h->db, rc, h->path, "adding the result", err, err_size);
        *ret_id = sqlite3_last_insert_rowid(h->db);
        return 0;
}

/* ---- figures ---- */

/* One row of figures. NaN: unknown (NULL). */
struct figure {
        const char *name, *unit;
        double value, off, on, delta, ci_low, ci_high;
        double n_off, n_on;
        int significant; /* -1 unknown */
        double lo[2], hi[2];
        const char *interval[2];
};

static void figure_init(struct figure *f, const char *name, const char *unit)
{
        memset(f, 0, sizeof(*f));
        f->name = name;
        f->unit = unit;
        f->value = f->off = f->on = f->delta = f->ci_low = f->ci_high = f->n_off = f->n_on = NAN;
        f->lo[0] = f->lo[1] = f->hi[0] = f->hi[1] = NAN;
        f->significant = -1;
}

static int insert_figure(struct history *h, sqlite3_stmt *st, int64_t id, const struct figure *f, char *err,
                         size_t err_size)
{
        int rc;

        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        sqlite3_bind_int64(st, 1, id);
        bind_text(st, 2, f->name);
        bind_text(st, 3, f->unit);
        bind_real(st, 4, f->value);
        bind_real(st, 5, f->off);
        bind_real(st, 6, f->on);
        bind_real(st, 7, f->delta);
        bind_real(st, 8, f->ci_low);
        bind_real(st, 9, f->ci_high);
        bind_real(st, 10, f->n_off);
        bind_real(st, 11, f->n_on);
        if (f->significant >= 0)
                sqlite3_bind_int(st, 12, f->significant);
        for (int m = 0; m < 2; m++) {
                bind_real(st, 13 + 3 * m, f->lo[m]);
                bind_real(st, 14 + 3 * m, f->hi[m]);
                bind_text(st, 15 + 3 * m, f->interval[m]);
        }
        rc = sqlite3_step(st);
        return rc == SQLITE_DONE ? 0 : say(h->db, rc, h->path, "adding a figure", err, err_size);
}

static int prepare_figure(struct history *h, sqlite3_stmt **st, char *err, size_t err_size)
{
        static const char sql[] = "INSERT INTO figures (result_id, name, unit, value, off_median, on_median, delta, "
                                  "ci_low, ci_high, n_off, n_on, significant, off_low, off_high, off_interval, "
                                  "on_low, on_high, on_interval) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                                  "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
        int rc = sqlite3_prepare_v2(h->db, sql, -1, st, NULL);
        return rc == SQLITE_OK ? 0 : say(h->db, rc, h->path, "adding a figure", err, err_size);
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* The interval of the median of x[0..n) (sorted here): the distribution-free 95% interval
 * [x(k), x(n+1-k)], k the largest with P(Bin(n, 1/2) < k) <= 2.5%, when n >= 6 ("ci95"); with
 * fewer values, none exists and the interval is their range ("range"). */
static const char *median_interval(double *x, size_t n, double *ret_lo, double *ret_hi)
{
        size_t k = 0;
        double cdf = 0;

        qsort(x, n, sizeof(*x), cmp_double);
        for (size_t i = 0; i < n; i++) {
                /* P(B = i) = C(n, i) / 2^n */
                cdf += exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) - (double)n * log(2));
                if (cdf > 0.025 + 1e-12)
                        break;
                k = i + 1;
        }
        if (k >= 1 && 2 * k <= n + 1) {
                *ret_lo = x[k - 1];
                *ret_hi = x[n - k];
                return "ci95";
        }
        *ret_lo = x[0];
        *ret_hi = x[n - 1];
        return "range";
}

/* Each mode's interval of figure name over the analysed runs of a compare/1 document. */
static void run_intervals(json_t *doc, struct figure *f)
{
        json_t *runs = json_object_get(doc, "runs"), *rj;
        size_t cap = json_array_size(runs), i, n[2] = { 0, 0 };
        double *x[2];

        if (cap == 0)
                return;
        x[0] = calloc(cap, sizeof(double));
        x[1] = calloc(cap, sizeof(double));
        if (!x[0] || !x[1])
                goto out;
        json_array_foreach(runs, i, rj)
        {
                const char *mode = jstr(rj, "mode");
                double v = jnum(json_object_get(rj, "figures"), f->name);
                int m = mode && strcmp(mode, "on") == 0 ? 1 : mode && strcmp(mode, "off") == 0 ? 0 : -1;
                if (m < 0 || json_is_false(json_object_get(rj, "analysed")) || !isfinite(v))
                        continue;
                x[m][n[m]++] = v;
        }
        for (int m = 0; m < 2; m++)
                if (n[m] > 0)
                        f->interval[m] = median_interval(x[m], n[m], &f->lo[m], &f->hi[m]);
out:
        free(x[0]);
        free(x[1]);
}

/* The figures of a compare/1 document: every metric, with its runs' intervals. */
static int add_compare_figures(struct history *h, int64_t id, json_t *doc, char *err, size_t err_size)
{
        json_t *metrics = json_object_get(doc, "metrics"), *m;
        sqlite3_stmt *st = NULL;
        const char *name;
        int r = prepare_figure(h, &st, err, err_size);

        json_object_foreach(metrics, name, m)
        {
                struct figure f;
                json_t *ci = json_object_get(m, "ci95");
                if (r < 0)
                        break;
                figure_init(&f, name, jstr(m, "unit"));
                f.off = jnum(m, "off");
                f.on = jnum(m, "on");
                f.delta = jnum(m, "delta");
                f.n_off = jnum(m, "n_off");
                f.n_on = jnum(m, "n_on");
                if (json_is_array(ci) && json_array_size(ci) == 2) {
                        json_t *lo = json_array_get(ci, 0), *hi = json_array_get(ci, 1);
                        f.ci_low = json_is_number(lo) ? json_number_value(lo) : NAN;
                        f.ci_high = json_is_number(hi) ? json_number_value(hi) : NAN;
                }
                if (json_is_boolean(json_object_get(m, "significant")))
                        f.significant = json_is_true(json_object_get(m, "significant"));
                run_intervals(doc, &f);
                r = insert_figure(h, st, id, &f, err, err_size);
        }
        sqlite3_finalize(st);
        return r;
}

/* ---- appending ---- */

/* A test-only pause inside the transaction (DEVELOPERS.md): when JITMEM_HISTORY_TEST_PAUSE
 * names a file, it is created once the rows are written and before the commit, and the
 * process waits there up to 60 s, so that a test can kill it mid-transaction. */
static void test_pause(void)
{
        const char *p = getenv("JITMEM_HISTORY_TEST_PAUSE");
        FILE *f;

        if (!p || !p[0] || !(f = fopen(p, "we")))
                return;
        fclose(f);
        for (int i = 0; i < 600; i++) {
                struct timespec ts = { 0, 100 * 1000000L };
                nanosleep(&ts, NULL);
        }
}

static int begin(struct history *h, char *err, size_t err_size)
{
        if (h->readonly) {
                util_say(err, err_size, "%s was opened read only", h->path);
                return -EROFS;
        }
        return exec_sql(h, "BEGIN IMMEDIATE", "starting the transaction", err, err_size);
}

static int end(struct history *h, int r, char *err, size_t err_size)
{
        if (r == 0) {
                test_pause();
                r = exec_sql(h, "COMMIT", "committing", err, err_size);
        }
        if (r < 0)
                sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return r;
}

static void row_dir(struct row *r, const char *dir)
{
        if (!realpath(dir, r->dir))
                snprintf(r->dir, sizeof(r->dir), "%s", dir);
}

/* A result directory holds one result: what the history has of dir (a kind's) is removed in the
 * transaction that adds it again (a comparison resumed once complete, a result --add'ed twice),
 * with its figures, experiment and differences. Returns 0 or -errno with err set. */
static int replace_dir(struct history *h, const char *dir, const char *kind, char *err, size_t err_size)
{
        static const char *const sql[] = {
                "DELETE FROM differences WHERE experiment IN (SELECT experiment FROM results WHERE dir = ?1 AND kind = ?2)",
                "DELETE FROM experiments WHERE id IN (SELECT experiment FROM results WHERE dir = ?1 AND kind = ?2)",
                "DELETE FROM results WHERE dir = ?1 AND kind = ?2", /* figures: ON DELETE CASCADE */
        };
        struct row r;

        row_dir(&r, dir);
        for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
                sqlite3_stmt *st = NULL;
                int rc = sqlite3_prepare_v2(h->db, sql[i], -1, &st, NULL);
                if (rc == SQLITE_OK) {
                        bind_text(st, 1, r.dir);
                        bind_text(st, 2, kind);
                        rc = sqlite3_step(st);
                }
                sqlite3_finalize(st);
                if (rc != SQLITE_DONE)
                        return say(h->db, rc, h->path, "replacing the directory's earlier result", err, err_size);
        }
        return 0;
}

/* The options of a compare/1 document: what decides how it ran and what it judged. */
static json_t *compare_options(json_t *doc)
{
        static const char *const keys[] = { "runs_per_mode", "runs_completed", "limit_bytes", "workers", "control",
                                            "memory_figure", "cost_figure", "anon_method" };
        json_t *o = json_object();

        for (size_t i = 0; o && i < sizeof(keys) / sizeof(keys[0]); i++)
                if (json_object_get(doc, keys[i]))
                        json_object_set(o, keys[i], json_object_get(doc, keys[i]));
        return o;
}

/* One interpreter's compare/1 document as a row, its figures with it. */
static int add_compare_row(struct history *h, json_t *doc, json_t *python, const char *label, int both_modes,
                           const char *subject, const char *experiment, json_t *meta, const char *dir,
                           const struct history_extra *x, char *err, size_t err_size)
{
        struct row r;
        int64_t id = 0;
        int r_;

        memset(&r, 0, sizeof(r));
        r.kind = "compare";
        r.experiment = experiment;
        r.label = label;
        r.workload = x && x->workload ? x->workload : jstr(doc, "workload");
        if (subject)
                snprintf(r.subject, sizeof(r.subject), "%s", subject);
        else
                history_subject_of(doc, r.workload, r.subject, sizeof(r.subject));
        r.command = json_object_get(doc, "command");
        r.options = x && x->options ? json_incref(x->options) : compare_options(doc);
        r.jit_mode = both_modes ? "off,on" : "off";
        r.python = python ? python : json_object_get(doc, "python");
        if (!json_is_object(r.python))
                r.python = json_object_get(meta, "python");
        fill_machine(&r, meta);
        r.cgroup = json_object_get(meta, "cgroup");
        r.verdict = jstr(json_object_get(doc, "verdict"), "overall");
        r.document = doc;
        row_dir(&r, dir);
        r_ = insert_row(h, &r, &id, err, err_size);
        if (r_ == 0)
                r_ = add_compare_figures(h, id, doc, err, err_size);
        json_decref(r.options);
        json_decref(r.machine);
        return r_;
}

static int is_schema(json_t *doc, const char *schema)
{
        const char *s = jstr(doc, "schema");
        return s && strcmp(s, schema) == 0;
}

static int not_complete(json_t *doc, const char *what, char *err, size_t err_size)
{
        if (json_is_true(json_object_get(doc, "complete")))
                return 0;
        util_say(err, err_size, "the %s is not complete (only complete results are kept in the history)", what);
        return -EINVAL;
}

/* The differences between interpreters of a compare/2 document. */
static int add_differences(struct history *h, json_t *doc, const char *experiment, char *err, size_t err_size)
{
        static const char sql[] = "INSERT INTO differences (experiment, base, other, mode, name, unit, base_median, "
                                  "other_median, n_base, n_other, delta, ci_low, ci_high, significant, finding) VALUES "
                                  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
        json_t *interps = json_object_get(doc, "interpreters"), *b;
        sqlite3_stmt *st = NULL;
        size_t i;
        int rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);

        if (rc != SQLITE_OK)
                return say(h->db, rc, h->path, "adding a difference", err, err_size);
        json_array_foreach(json_object_get(doc, "between"), i, b)
        {
                json_t *base = json_object_get(b, "base");
                json_t *other = json_object_get(b, "other"), *m;
                const char *name, *mode = jstr(b, "mode");
                const char *bl = json_is_integer(base) ? jstr(json_array_get(interps, (size_t)json_integer_value(base)), "label") : NULL;
                const char *ol = json_is_integer(other) ? jstr(json_array_get(interps, (size_t)json_integer_value(other)), "label") : NULL;
                if (!mode)
                        continue;
                json_object_foreach(json_object_get(b, "metrics"), name, m)
                {
                        json_t *ci = json_object_get(m, "ci95"), *sig = json_object_get(m, "significant");
                        sqlite3_reset(st);
                        sqlite3_clear_bindings(st);
                        bind_text(st, 1, experiment);
                        bind_text(st, 2, bl);
                        bind_text(st, 3, ol);
                        bind_text(st, 4, mode);
                        bind_text(st, 5, name);
                        bind_text(st, 6, jstr(m, "unit"));
                        bind_real(st, 7, jnum(m, "base"));
                        bind_real(st, 8, jnum(m, "other"));
                        bind_real(st, 9, jnum(m, "n_base"));
                        bind_real(st, 10, jnum(m, "n_other"));
                        bind_real(st, 11, jnum(m, "delta"));
                        if (json_is_array(ci) && json_array_size(ci) == 2) {
                                json_t *lo = json_array_get(ci, 0), *hi = json_array_get(ci, 1);
                                bind_real(st, 12, json_is_number(lo) ? json_number_value(lo) : NAN);
                                bind_real(st, 13, json_is_number(hi) ? json_number_value(hi) : NAN);
                        }
                        if (json_is_boolean(sig))
                                sqlite3_bind_int(st, 14, json_is_true(sig));
                        bind_text(st, 15, jstr(m, "finding"));
                        rc = sqlite3_step(st);
                        if (rc != SQLITE_DONE) {
                                sqlite3_finalize(st);
                                return say(h->db, rc, h->path, "adding a difference", err, err_size);
                        }
                }
        }
        sqlite3_finalize(st);
        return 0;
}

static int add_experiment(struct history *h, json_t *doc, const char *experiment, char *err, size_t err_size)
{
        sqlite3_stmt *st = NULL;
        char created[40];
        int rc = sqlite3_prepare_v2(h->db, "INSERT INTO experiments (id, created, document) VALUES (?1, ?2, ?3)", -1,
                                    &st, NULL);

        jsonout_iso8601(util_wall_ns(), created, sizeof(created));
        if (rc == SQLITE_OK) {
                bind_text(st, 1, experiment);
                bind_text(st, 2, created);
                rc = bind_json(st, 3, doc);
                if (rc == SQLITE_OK)
                        rc = sqlite3_step(st);
        }
        sqlite3_finalize(st);
        return rc == SQLITE_DONE ? 0 : say(h->db, rc, h->path, "adding the experiment", err, err_size);
}

int history_add_comparison(struct history *h, json_t *doc, const char *dir, const struct history_extra *x, char *err,
                           size_t err_size)
{
        char experiment[64];
        json_t *meta = NULL, *interps, *it;
        size_t i;
        int r, n = 0;

        err[0] = '\0';
        new_experiment_id(experiment, sizeof(experiment));
        if (is_schema(doc, "jitmem.compare/1")) {
                if ((r = not_complete(doc, "comparison", err, err_size)) < 0)
                        return r;
                meta = first_run_meta(doc, dir);
                r = begin(h, err, err_size);
                if (r == 0)
                        r = replace_dir(h, dir, "compare", err, err_size);
                if (r == 0)
                        r = add_compare_row(h, doc, NULL, NULL, 1, NULL, experiment, meta, dir, x, err, err_size);
                n = 1;
        } else if (is_schema(doc, "jitmem.compare/2")) {
                if ((r = not_complete(doc, "comparison", err, err_size)) < 0)
                        return r;
                interps = json_object_get(doc, "interpreters");
                json_array_foreach(interps, i, it)
                {
                        json_t *c = json_object_get(it, "comparison");
                        if (!is_schema(c, "jitmem.compare/1")) {
                                util_say(err, err_size, "interpreter %zu of the comparison has no jitmem.compare/1 document", i + 1);
                                json_decref(meta);
                                return -EINVAL;
                        }
                        if (!meta)
                                meta = first_run_meta(c, dir);
                }
                if (json_array_size(interps) == 0) {
                        util_say(err, err_size, "the comparison names no interpreter");
                        return -EINVAL;
                }
                /* the interpreters' rows share one subject: the workload, or the command with
                 * "{python}" where each interpreter went */
                char subject[sizeof(((struct row *)0)->subject)];
                history_subject_of(doc, x ? x->workload : NULL, subject, sizeof(subject));
                r = begin(h, err, err_size);
                if (r == 0)
                        r = replace_dir(h, dir, "compare", err, err_size);
                json_array_foreach(interps, i, it)
                {
                        json_t *c = json_object_get(it, "comparison");
                        struct history_extra xx = { x ? x->workload : NULL, x ? x->options : NULL };
                        if (r < 0)
                                break;
                        if (!xx.workload)
                                xx.workload = jstr(doc, "workload");
                        /* an interpreter without a JIT ran with it off only */
                        r = add_compare_row(h, c, json_object_get(it, "python"), jstr(it, "label"),
                                            !json_is_false(json_object_get(it, "jit")), subject, experiment, meta, dir, &xx,
                                            err, err_size);
                        n++;
                }
                if (r == 0)
                        r = add_experiment(h, doc, experiment, err, err_size);
                if (r == 0)
                        r = add_differences(h, doc, experiment, err, err_size);
        } else {
                util_say(err, err_size, "not a comparison jitmem knows (schema %s)", jstr(doc, "schema") ? jstr(doc, "schema") : "missing");
                return -EINVAL;
        }
        json_decref(meta);
        r = end(h, r, err, err_size);
        return r < 0 ? r : n;
}

/* The transaction of a fit's or a run's row ended (committed when r is 0, else rolled back), its
 * statement and row freed. Returns 1 (the rows added) or -errno. */
static int end_row(struct history *h, struct row *rw, sqlite3_stmt *st, int r, char *err, size_t err_size)
{
        sqlite3_finalize(st);
        json_decref(rw->options);
        json_decref(rw->machine);
        r = end(h, r, err, err_size);
        return r < 0 ? r : 1;
}

/* A fit's or a run's row begun: a new experiment id, the workload, subject and command of src
 * (fit.json, a run's meta.json). */
static void row_start(struct row *rw, const char *kind, char *experiment, size_t size, json_t *src,
                      const struct history_extra *x)
{
        new_experiment_id(experiment, size);
        memset(rw, 0, sizeof(*rw));
        rw->kind = kind;
        rw->experiment = experiment;
        rw->workload = x && x->workload ? x->workload : jstr(src, "workload");
        history_subject_of(src, rw->workload, rw->subject, sizeof(rw->subject));
        rw->command = json_object_get(src, "command");
}

/* The transaction of a fit's or a run's row: begun, what the history had of dir replaced, the row
 * inserted (*ret_id), the statement of its figures prepared (*ret_st, finalized by the caller). */
static int begin_row(struct history *h, struct row *rw, const char *dir, int64_t *ret_id, sqlite3_stmt **ret_st,
                     char *err, size_t err_size)
{
        int r = begin(h, err, err_size);

        if (r == 0)
                r = replace_dir(h, dir, rw->kind, err, err_size);
        if (r == 0)
                r = insert_row(h, rw, ret_id, err, err_size);
        if (r == 0)
                r = prepare_figure(h, ret_st, err, err_size);
        return r;
}

int history_add_fit(struct history *h, json_t *doc, const char *dir, const struct history_extra *x, char *err,
                    size_t err_size)
{
        static const char *const names[] = { "limit_bytes", "reference_peak_pss_bytes", "reference_cgroup_peak_bytes" };
        json_t *modes = json_object_get(doc, "modes"), *diff = json_object_get(doc, "difference"), *meta;
        char experiment[64];
        sqlite3_stmt *st = NULL;
        struct row rw;
        int64_t id = 0;
        int r;

        err[0] = '\0';
        if (!is_schema(doc, "jitmem.fit/1")) {
                util_say(err, err_size, "not a fit jitmem knows (schema %s)", jstr(doc, "schema") ? jstr(doc, "schema") : "missing");
                return -EINVAL;
        }
        if ((r = not_complete(doc, "fit", err, err_size)) < 0)
                return r;
        row_start(&rw, "fit", experiment, sizeof(experiment), doc, x);
        rw.options = x && x->options ? json_incref(x->options) : json_incref(json_object_get(doc, "search"));
        rw.jit_mode = json_object_get(modes, "off") && json_object_get(modes, "on") ? "off,on"
                      : json_object_get(modes, "on")                                  ? "on"
                                                                                     : "off";
        rw.python = json_object_get(doc, "python");
        meta = first_trial_meta(doc, dir);
        fill_machine(&rw, meta);
        json_decref(meta);
        rw.cgroup = json_object_get(doc, "cgroup");
        rw.document = doc;
        row_dir(&rw, dir);
        r = begin_row(h, &rw, dir, &id, &st, err, err_size);
        for (size_t k = 0; r == 0 && k < sizeof(names) / sizeof(names[0]); k++) {
                json_t *off = json_object_get(modes, "off"), *on = json_object_get(modes, "on");
                struct figure f;
                figure_init(&f, names[k], "bytes");
                f.off = jnum(off, names[k]);
                f.on = jnum(on, names[k]);
                f.n_off = jnum(off, "trials");
                f.n_on = jnum(on, "trials");
                if (k == 0 && json_is_object(diff)) {
                        f.delta = jnum(diff, "bytes");
                        f.ci_low = jnum(diff, "low_bytes");
                        f.ci_high = jnum(diff, "high_bytes");
                        if (json_is_boolean(json_object_get(diff, "established")))
                                f.significant = json_is_true(json_object_get(diff, "established"));
                } else if (isfinite(f.off) && isfinite(f.on)) {
                        f.delta = f.on - f.off;
                }
                if (isfinite(f.off) || isfinite(f.on))
                        r = insert_figure(h, st, id, &f, err, err_size);
        }
        return end_row(h, &rw, st, r, err, err_size);
}

int history_add_run(struct history *h, json_t *summary, json_t *meta, const char *dir, const struct history_extra *x,
                    char *err, size_t err_size)
{
        static const char *const opt_keys[] = { "interval_s", "pss_interval_s", "grace_s", "jit_mode", "limit_bytes" };
        json_t *tree = json_object_get(summary, "tree"), *v, *pj;
        char experiment[64];
        sqlite3_stmt *st = NULL;
        const char *name, *mode;
        struct row rw;
        int64_t id = 0;
        int r, on = -1;

        err[0] = '\0';
        if (!is_schema(summary, "jitmem.run.summary/1") || !is_schema(meta, "jitmem.run.meta/1")) {
                util_say(err, err_size, "not a run jitmem knows (summary.json and meta.json of schema jitmem.run.summary/1 "
                         "and jitmem.run.meta/1)");
                return -EINVAL;
        }
        row_start(&rw, "run", experiment, sizeof(experiment), meta, x);
        if (x && x->options) {
                rw.options = json_incref(x->options);
        } else {
                rw.options = json_object();
                for (size_t k = 0; rw.options && k < sizeof(opt_keys) / sizeof(opt_keys[0]); k++)
                        if (json_object_get(meta, opt_keys[k]))
                                json_object_set(rw.options, opt_keys[k], json_object_get(meta, opt_keys[k]));
        }
        /* the mode: as asked, or for inherit as the probe saw it (else unknown: value only) */
        mode = jstr(meta, "jit_mode");
        pj = json_object_get(json_object_get(meta, "python"), "jit");
        if (mode && strcmp(mode, "on") == 0)
                on = 1;
        else if (mode && strcmp(mode, "off") == 0)
                on = 0;
        else if (json_is_boolean(json_object_get(pj, "enabled_now")))
                on = json_is_true(json_object_get(pj, "enabled_now"));
        rw.jit_mode = on < 0 ? "unknown" : on ? "on" : "off";
        rw.python = json_object_get(meta, "python");
        fill_machine(&rw, meta);
        rw.cgroup = json_object_get(meta, "cgroup");
        rw.document = summary;
        row_dir(&rw, dir);
        r = begin_row(h, &rw, dir, &id, &st, err, err_size);
        json_object_foreach(tree, name, v)
        {
                struct figure f;
                size_t len = strlen(name);
                if (r < 0 || !json_is_number(v))
                        continue;
                if (len > 6 && strcmp(name + len - 6, "_bytes") == 0)
                        figure_init(&f, name, "bytes");
                else if (len > 7 && strcmp(name + len - 7, "_images") == 0)
                        figure_init(&f, name, "count");
                else
                        continue;
                f.value = json_number_value(v);
                if (on == 0) {
                        f.off = f.value;
                        f.n_off = 1;
                } else if (on == 1) {
                        f.on = f.value;
                        f.n_on = 1;
                }
                r = insert_figure(h, st, id, &f, err, err_size);
        }
        return end_row(h, &rw, st, r, err, err_size);
}

int history_add_dir(struct history *h, const char *dir, const struct history_extra *x, char *err, size_t err_size)
{
        char path[PATH_SIZE + 32];
        json_t *doc, *meta;
        int r;

        snprintf(path, sizeof(path), "%s/comparison.json", dir);
        if ((doc = load_bounded(path))) {
                r = history_add_comparison(h, doc, dir, x, err, err_size);
                json_decref(doc);
                return r;
        }
        snprintf(path, sizeof(path), "%s/fit.json", dir);
        if ((doc = load_bounded(path))) {
                r = history_add_fit(h, doc, dir, x, err, err_size);
                json_decref(doc);
                return r;
        }
        snprintf(path, sizeof(path), "%s/summary.json", dir);
        doc = load_bounded(path);
        snprintf(path, sizeof(path), "%s/meta.json", dir);
        meta = load_bounded(path);
        if (doc && meta) {
                r = history_add_run(h, doc, meta, dir, x, err, err_size);
        } else {
                util_say(err, err_size, "%s holds no result jitmem can read (comparison.json, fit.json, or a run's "
                         "summary.json and meta.json, each at most %d MiB)", dir, HISTORY_DOC_MAX >> 20);
                r = -EINVAL;
        }
        json_decref(doc);
        json_decref(meta);
        return r;
}

/* ---- reading back ---- */

int history_version_matches(const char *version, const char *prefix)
{
        size_t n;

        if (!prefix || !prefix[0])
                return 1;
        if (!version)
                return 0;
        n = strlen(prefix);
        return strncmp(version, prefix, n) == 0 && (version[n] < '0' || version[n] > '9');
}

/* "3.15.0rc1" as numbers: major, minor, micro, level (a 0, b 1, rc 2, final 3), serial. */
static int version_parts(const char *v, long p[5])
{
        char *end;

        p[0] = p[1] = p[2] = p[4] = 0;
        p[3] = 3;
        for (int i = 0; i < 3; i++) {
                if (*v < '0' || *v > '9')
                        return i > 0 ? 0 : -1;
                p[i] = strtol(v, &end, 10);
                v = end;
                if (*v == '.')
                        v++;
                else
                        break;
        }
        if (strncmp(v, "rc", 2) == 0)
                p[3] = 2, v += 2;
        else if (*v == 'a')
                p[3] = 0, v++;
        else if (*v == 'b')
                p[3] = 1, v++;
        else
                return 0;
        if (*v >= '0' && *v <= '9')
                p[4] = strtol(v, &end, 10);
        return 0;
}

int history_version_cmp(const char *a, const char *b)
{
        long pa[5], pb[5];

        if (!a || !b)
                return !a - !b;
        if (version_parts(a, pa) < 0 || version_parts(b, pb) < 0)
                return strcmp(a, b);
        for (int i = 0; i < 5; i++)
                if (pa[i] != pb[i])
                        return pa[i] < pb[i] ? -1 : 1;
        return strcmp(a, b);
}

static json_t *col_text(sqlite3_stmt *st, int i)
{
        const unsigned char *s = sqlite3_column_text(st, i);
        return s ? json_string((const char *)s) : json_null();
}

static json_t *col_real(sqlite3_stmt *st, int i)
{
        if (sqlite3_column_type(st, i) == SQLITE_NULL)
                return json_null();
        if (sqlite3_column_type(st, i) == SQLITE_INTEGER)
                return json_integer(sqlite3_column_int64(st, i));
        double v = sqlite3_column_double(st, i);
        return v == floor(v) && fabs(v) < 9e15 ? json_integer((json_int_t)v) : json_real(v);
}

static json_t *col_json(sqlite3_stmt *st, int i)
{
        const char *s = (const char *)sqlite3_column_text(st, i);
        json_t *v = s ? json_loads(s, JSON_DECODE_ANY, NULL) : NULL;
        return v ? v : json_null();
}

static json_t *col_bool(sqlite3_stmt *st, int i)
{
        return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null() : json_boolean(sqlite3_column_int(st, i));
}

/* The figures of result id, as an object by name. */
static int row_figures(struct history *h, sqlite3_stmt *st, int64_t id, json_t **ret, char *err, size_t err_size)
{
        json_t *figs = json_object();
        int rc;

        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, id);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                json_t *f = json_object();
                json_object_set_new(f, "unit", col_text(st, 1));
                json_object_set_new(f, "value", col_real(st, 2));
                json_object_set_new(f, "off", col_real(st, 3));
                json_object_set_new(f, "on", col_real(st, 4));
                json_object_set_new(f, "delta", col_real(st, 5));
                json_object_set_new(f, "ci95", json_pack("[oo]", col_real(st, 6), col_real(st, 7)));
                json_object_set_new(f, "n_off", col_real(st, 8));
                json_object_set_new(f, "n_on", col_real(st, 9));
                json_object_set_new(f, "significant", col_bool(st, 10));
                for (int m = 0; m < 2; m++)
                        json_object_set_new(f, m ? "on_interval" : "off_interval",
                                            sqlite3_column_type(st, 13 + 3 * m) == SQLITE_NULL
                                                    ? json_null()
                                                    : json_pack("{s:o, s:o, s:o}", "low", col_real(st, 11 + 3 * m), "high",
                                                                col_real(st, 12 + 3 * m), "kind", col_text(st, 13 + 3 * m)));
                json_object_set_new(figs, (const char *)sqlite3_column_text(st, 0), f);
        }
        if (rc != SQLITE_DONE) {
                json_decref(figs);
                return say(h->db, rc, h->path, "reading figures", err, err_size);
        }
        *ret = figs;
        return 0;
}

/* The WHERE of a filter (version prefixes are matched in C: SQL's LIKE knows no digits). */
static int select_rows(struct history *h, const struct history_filter *f, const char *cols, sqlite3_stmt **ret,
                       char *err, size_t err_size)
{
        char sql[1024];
        int rc;

        snprintf(sql, sizeof(sql), "SELECT %s FROM results WHERE (?1 IS NULL OR subject = ?1) AND "
                                   "(?2 IS NULL OR kind = ?2) AND (?3 IS NULL OR dir <> ?3) ORDER BY created_epoch DESC, id DESC",
                 cols);
        rc = sqlite3_prepare_v2(h->db, sql, -1, ret, NULL);
        if (rc != SQLITE_OK)
                return say(h->db, rc, h->path, "reading the history", err, err_size);
        if (f) {
                char dir[PATH_SIZE];
                bind_text(*ret, 1, f->subject);
                bind_text(*ret, 2, f->kind);
                if (f->dir) {
                        if (!realpath(f->dir, dir))
                                snprintf(dir, sizeof(dir), "%s", f->dir);
                        bind_text(*ret, 3, dir);
                }
        }
        return 0;
}

/* Prepends v to array a (rows are read newest first, returned oldest first). */
static void prepend(json_t *a, json_t *v)
{
        json_array_insert_new(a, 0, v);
}

int history_query(struct history *h, const struct history_filter *f, json_t **ret, char *err, size_t err_size)
{
        static const char cols[] = "id, created, created_epoch, kind, experiment, label, workload, subject, command, "
                                   "options, jit_mode, python_path, python_version, python_jit, python_config_args, "
                                   "machine_key, hostname, kernel, cpus, mem_total_bytes, cgroup, verdict, dir";
        sqlite3_stmt *st = NULL, *fs = NULL;
        json_t *rows = json_array();
        size_t n = 0;
        int rc, r;

        err[0] = '\0';
        r = select_rows(h, f, cols, &st, err, err_size);
        if (r == 0) {
                rc = sqlite3_prepare_v2(h->db, "SELECT name, unit, value, off_median, on_median, delta, ci_low, ci_high, "
                                               "n_off, n_on, significant, off_low, off_high, off_interval, on_low, "
                                               "on_high, on_interval FROM figures WHERE result_id = ?1 ORDER BY name",
                                        -1, &fs, NULL);
                if (rc != SQLITE_OK)
                        r = say(h->db, rc, h->path, "reading figures", err, err_size);
        }
        while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *ver = (const char *)sqlite3_column_text(st, 12);
                json_t *row, *figs = NULL;
                if (f && f->python_version && !history_version_matches(ver, f->python_version))
                        continue;
                if (f && f->limit && n >= f->limit)
                        break;
                r = row_figures(h, fs, sqlite3_column_int64(st, 0), &figs, err, err_size);
                if (r < 0)
                        break;
                row = json_object();
                json_object_set_new(row, "id", json_integer(sqlite3_column_int64(st, 0)));
                json_object_set_new(row, "created", col_text(st, 1));
                json_object_set_new(row, "created_epoch", json_real(sqlite3_column_double(st, 2)));
                json_object_set_new(row, "kind", col_text(st, 3));
                json_object_set_new(row, "experiment", col_text(st, 4));
                json_object_set_new(row, "label", col_text(st, 5));
                json_object_set_new(row, "workload", col_text(st, 6));
                json_object_set_new(row, "subject", col_text(st, 7));
                json_object_set_new(row, "command", col_json(st, 8));
                json_object_set_new(row, "options", col_json(st, 9));
                json_object_set_new(row, "jit_mode", col_text(st, 10));
                json_object_set_new(row, "python", json_pack("{s:o, s:o, s:o, s:o}", "path", col_text(st, 11), "version",
                                                             col_text(st, 12), "jit", col_text(st, 13), "config_args",
                                                             col_text(st, 14)));
                json_object_set_new(row, "machine", json_pack("{s:o, s:o, s:o, s:o, s:o}", "key", col_text(st, 15),
                                                              "hostname", col_text(st, 16), "kernel", col_text(st, 17),
                                                              "cpus", col_real(st, 18), "mem_total_bytes",
                                                              col_real(st, 19)));
                json_object_set_new(row, "cgroup", col_json(st, 20));
                json_object_set_new(row, "verdict", col_text(st, 21));
                json_object_set_new(row, "dir", col_text(st, 22));
                json_object_set_new(row, "figures", figs);
                prepend(rows, row);
                n++;
        }
        if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = say(h->db, rc, h->path, "reading the history", err, err_size);
        sqlite3_finalize(st);
        sqlite3_finalize(fs);
        if (r < 0) {
                json_decref(rows);
                return r;
        }
        *ret = rows;
        return 0;
}

int history_documents(struct history *h, const struct history_filter *f, json_t **ret, char *err, size_t err_size)
{
        struct history_filter ff = { 0 };
        sqlite3_stmt *st = NULL;
        json_t *docs = json_array();
        size_t n = 0;
        int rc, r;

        if (f)
                ff = *f;
        if (!ff.kind)
                ff.kind = "compare";
        r = select_rows(h, &ff, "python_version, document, id", &st, err, err_size);
        while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
                const char *v = (const char *)sqlite3_column_text(st, 0);
                if (ff.python_version && !history_version_matches(v, ff.python_version))
                        continue;
                if (ff.limit && n >= ff.limit)
                        break;
                prepend(docs, json_pack("{s:I, s:o, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 2), "python_version",
                                        v ? jsonout_text(v) : json_null(), "document", col_json(st, 1)));
                n++;
        }
        if (r == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
                r = say(h->db, rc, h->path, "reading the history", err, err_size);
        sqlite3_finalize(st);
        if (r < 0) {
                json_decref(docs);
                return r;
        }
        *ret = docs;
        return 0;
}

/* ---- trend and check ---- */

static json_t *figure_of(json_t *row, const char *name)
{
        return json_object_get(json_object_get(row, "figures"), name);
}

static const char *row_version(json_t *row)
{
        return jstr(json_object_get(row, "python"), "version");
}

static int cmp_trend(const void *a, const void *b)
{
        json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
        int c = history_version_cmp(row_version(x), row_version(y));
        double tx = jnum(x, "created_epoch"), ty = jnum(y, "created_epoch");

        if (c)
                return c;
        if (tx != ty)
                return tx < ty ? -1 : 1;
        return jnum(x, "id") < jnum(y, "id") ? -1 : 1;
}

json_t *history_trend(json_t *rows)
{
        size_t n = json_array_size(rows), i;
        json_t **v = calloc(n ? n : 1, sizeof(*v)), *out = json_array(), *prev = NULL;

        if (!v || !out) {
                free(v);
                json_decref(out);
                return NULL;
        }
        for (i = 0; i < n; i++)
                v[i] = json_array_get(rows, i);
        qsort(v, n, sizeof(*v), cmp_trend);
        for (i = 0; i < n; i++) {
                json_t *r = json_deep_copy(v[i]), *ch = json_object();
                double on = jnum(figure_of(v[i], "peak_pss_bytes"), "on"), d = jnum(figure_of(v[i], "peak_pss_bytes"), "delta");
                if (prev) {
                        double pon = jnum(figure_of(prev, "peak_pss_bytes"), "on"),
                               pd = jnum(figure_of(prev, "peak_pss_bytes"), "delta");
                        json_object_set_new(ch, "from_id", json_integer((json_int_t)jnum(prev, "id")));
                        json_object_set_new(ch, "peak_pss_on_bytes", jsonout_real_or_null(on - pon));
                        json_object_set_new(ch, "jit_delta_bytes", jsonout_real_or_null(d - pd));
                }
                json_object_set_new(r, "change", prev ? ch : json_null());
                if (!prev)
                        json_decref(ch);
                json_array_append_new(out, r);
                prev = v[i];
        }
        free(v);
        return out;
}

/* One figure of --check: newer's value against older's interval; appended to figs. Returns 1
 * when worse. */
static int check_figure(json_t *figs, const char *name, const char *what, json_t *newer, json_t *older, int delta)
{
        json_t *fn = figure_of(newer, name), *fo = figure_of(older, name), *o = json_object();
        double nv = jnum(fn, delta ? "delta" : "on"), ov = jnum(fo, delta ? "delta" : "on"), lo = NAN, hi = NAN;
        const char *kind = NULL, *why = NULL;
        int worse = 0;

        if (delta) {
                json_t *ci = json_object_get(fo, "ci95");
                lo = json_is_number(json_array_get(ci, 0)) ? json_number_value(json_array_get(ci, 0)) : NAN;
                hi = json_is_number(json_array_get(ci, 1)) ? json_number_value(json_array_get(ci, 1)) : NAN;
                kind = "ci95";
        } else {
                json_t *iv = json_object_get(fo, "on_interval");
                lo = jnum(iv, "low");
                hi = jnum(iv, "high");
                kind = jstr(iv, "kind");
        }
        if (!isfinite(nv))
                why = delta ? "the newer result has no JIT delta" : "the newer result has no value with the JIT on";
        else if (!isfinite(ov))
                why = delta ? "the older result has no JIT delta" : "the older result has no value with the JIT on";
        else if (!isfinite(hi))
                why = delta ? "the older result's delta has no 95% interval (too few runs)"
                            : "the older result has no interval of its runs";
        else
                worse = nv > hi;
        json_object_set_new(o, "name", json_string(name));
        json_object_set_new(o, "what", json_string(what));
        json_object_set_new(o, "unit", json_string(json_is_string(json_object_get(fn, "unit")) ? jstr(fn, "unit") : ""));
        json_object_set_new(o, "newer", jsonout_real_or_null(nv));
        json_object_set_new(o, "older", jsonout_real_or_null(ov));
        json_object_set_new(o, "older_low", jsonout_real_or_null(lo));
        json_object_set_new(o, "older_high", jsonout_real_or_null(hi));
        json_object_set_new(o, "interval", why ? json_null() : json_string(kind ? kind : "range"));
        json_object_set_new(o, "judged", json_boolean(why == NULL));
        json_object_set_new(o, "worse", json_boolean(worse));
        json_object_set_new(o, "by", worse ? json_real(nv - hi) : json_null());
        json_object_set_new(o, "why_not_judged", why ? json_string(why) : json_null());
        json_array_append_new(figs, o);
        return worse;
}

static json_t *result_ref(json_t *row)
{
        return json_pack("{s:O?, s:O?, s:O?, s:O?, s:O?}", "id", json_object_get(row, "id"), "created",
                         json_object_get(row, "created"), "python_version",
                         json_object_get(json_object_get(row, "python"), "version"), "label",
                         json_object_get(row, "label"), "dir", json_object_get(row, "dir"));
}

int history_check(json_t *rows, const char *subject, json_t **ret)
{
        json_t *out = json_array(), *row;
        size_t n = json_array_size(rows), i;
        int worse_subjects = 0;

        if (!out)
                return -ENOMEM;
        /* each subject once, at its newest comparison */
        for (i = n; i-- > 0;) {
                const char *subj, *key;
                json_t *f, *prev = NULL, *figs;
                int seen = 0, worse = 0;

                row = json_array_get(rows, i);
                subj = jstr(row, "subject");
                if (!subj || strcmp(jstr(row, "kind") ? jstr(row, "kind") : "", "compare") != 0)
                        continue;
                if (subject && strcmp(subj, subject) != 0)
                        continue;
                for (size_t k = i + 1; k < n && !seen; k++) {
                        json_t *later = json_array_get(rows, k);
                        seen = jstr(later, "subject") && strcmp(jstr(later, "subject"), subj) == 0 &&
                               strcmp(jstr(later, "kind") ? jstr(later, "kind") : "", "compare") == 0;
                }
                if (seen)
                        continue;
                key = jstr(json_object_get(row, "machine"), "key");
                /* the previous result is of an earlier experiment: the interpreters of one matrix
                 * are not each other's history */
                const char *exp = jstr(row, "experiment");
                for (size_t k = i; k-- > 0 && !prev;) {
                        json_t *earlier = json_array_get(rows, k);
                        const char *ek = jstr(json_object_get(earlier, "machine"), "key");
                        if (exp && jstr(earlier, "experiment") && strcmp(exp, jstr(earlier, "experiment")) == 0)
                                continue;
                        if (jstr(earlier, "subject") && strcmp(jstr(earlier, "subject"), subj) == 0 &&
                            strcmp(jstr(earlier, "kind") ? jstr(earlier, "kind") : "", "compare") == 0 && key && ek &&
                            strcmp(key, ek) == 0)
                                prev = earlier;
                }
                f = json_object();
                figs = json_array();
                json_object_set_new(f, "subject", json_string(subj));
                json_object_set_new(f, "machine", json_string(key ? key : ""));
                json_object_set_new(f, "newer", result_ref(row));
                json_object_set_new(f, "older", prev ? result_ref(prev) : json_null());
                if (prev) {
                        worse += check_figure(figs, "peak_pss_bytes", "peak PSS with the JIT on", row, prev, 0);
                        worse += check_figure(figs, "peak_pss_bytes", "the JIT's delta of peak PSS", row, prev, 1);
                        worse += check_figure(figs, "cpu_s_per_unit", "CPU per unit of work with the JIT on", row, prev, 0);
                }
                json_object_set_new(f, "status", json_string(!prev ? "no previous result" : worse ? "worse" : "fine"));
                json_object_set_new(f, "figures", figs);
                json_array_append_new(out, f);
                worse_subjects += worse > 0;
        }
        *ret = out;
        return worse_subjects;
}
