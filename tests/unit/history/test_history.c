/* The history database: the schema created and migrated, a database of schema 1 left usable,
 * a newer or a corrupt one refused untouched; each kind of document added and read back (a
 * comparison of schema 1 and 2, a fit, a run); the interval of a median; --check's judgement;
 * versions matched by prefix and ordered. Run from the repository's root (tests/data). */
#include "history.h"
#include "unit.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>

static char dir[64];

static const char *path_of(const char *name)
{
        static char p[4][256];
        static int i;
        i = (i + 1) % 4;
        snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
        return p[i];
}

/* One integer from path by raw SQLite (what the schema looks like from outside). */
static long long sql_int(const char *path, const char *sql)
{
        sqlite3 *db = NULL;
        sqlite3_stmt *st = NULL;
        long long v = -1;

        if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
            sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                v = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
        sqlite3_close(db);
        return v;
}

static int sql_exec(const char *path, const char *sql)
{
        sqlite3 *db = NULL;
        int rc = sqlite3_open(path, &db);

        if (rc == SQLITE_OK)
                rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
        sqlite3_close(db);
        return rc;
}

static json_t *load(const char *path)
{
        json_t *j = json_load_file(path, 0, NULL);
        CHECK(j != NULL);
        return j;
}

static json_t *fig(json_t *row, const char *name)
{
        return json_object_get(json_object_get(row, "figures"), name);
}

static double num(json_t *o, const char *key)
{
        json_t *v = json_object_get(o, key);
        return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static void test_default_path(void)
{
        char buf[256], err[256];

        setenv("JITMEM_HISTORY_DB", "/x/h.db", 1);
        CHECK_EQ_INT(history_default_path(buf, sizeof(buf), err, sizeof(err)), 0);
        CHECK_STR(buf, "/x/h.db");
        unsetenv("JITMEM_HISTORY_DB");
        setenv("XDG_DATA_HOME", "/data", 1);
        CHECK_EQ_INT(history_default_path(buf, sizeof(buf), err, sizeof(err)), 0);
        CHECK_STR(buf, "/data/jitmem/history.db");
        unsetenv("XDG_DATA_HOME");
        setenv("HOME", "/home/u", 1);
        CHECK_EQ_INT(history_default_path(buf, sizeof(buf), err, sizeof(err)), 0);
        CHECK_STR(buf, "/home/u/.local/share/jitmem/history.db");
        unsetenv("HOME");
        CHECK_EQ_INT(history_default_path(buf, sizeof(buf), err, sizeof(err)), -ENOENT);
        CHECK(strstr(err, "--db") != NULL);
}

static void test_schema(void)
{
        struct history *h = NULL;
        const char *p = path_of("sub/dir/new.db");
        char err[512];

        /* read only, a missing file is -ENOENT and is not created */
        CHECK_EQ_INT(history_open(p, HISTORY_READONLY, &h, err, sizeof(err)), -ENOENT);
        CHECK(access(p, F_OK) != 0);
        CHECK_EQ_INT(history_open(p, 0, &h, err, sizeof(err)), 0);
        CHECK_EQ_INT(history_schema_version(h), HISTORY_SCHEMA_VERSION);
        history_close(h);
        CHECK_EQ_INT(sql_int(p, "PRAGMA user_version"), HISTORY_SCHEMA_VERSION);
        CHECK_EQ_INT(sql_int(p, "SELECT count(*) FROM sqlite_master WHERE name IN ('results', 'figures', 'experiments', "
                                "'differences')"),
                     4);
        CHECK_EQ_INT(sql_int(p, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
        /* opened again: nothing migrated twice */
        CHECK_EQ_INT(history_open(p, 0, &h, err, sizeof(err)), 0);
        history_close(h);
        CHECK_EQ_INT(history_open(p, HISTORY_READONLY, &h, err, sizeof(err)), 0);
        history_close(h);
}

/* A database of schema 1 as the first jitmem with a history wrote it, by hand: still read and
 * appended to by this one (when a version 2 comes, its migration runs over this). */
static void test_version1_left_usable(void)
{
        static const char v1[] =
                "CREATE TABLE results (id INTEGER PRIMARY KEY, created TEXT NOT NULL, created_epoch REAL NOT NULL,"
                " kind TEXT NOT NULL CHECK (kind IN ('compare', 'fit', 'run')), experiment TEXT NOT NULL, label TEXT,"
                " workload TEXT, subject TEXT NOT NULL, command TEXT NOT NULL, options TEXT NOT NULL, jit_mode TEXT,"
                " python_path TEXT, python_version TEXT, python_jit TEXT, python_config_args TEXT, python TEXT,"
                " machine_key TEXT NOT NULL, hostname TEXT, kernel TEXT, cpus INTEGER, mem_total_bytes INTEGER,"
                " machine TEXT, cgroup TEXT, verdict TEXT, dir TEXT NOT NULL, document TEXT NOT NULL);"
                "CREATE INDEX results_subject ON results (subject, created_epoch);"
                "CREATE TABLE figures (result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,"
                " name TEXT NOT NULL, unit TEXT, value REAL, off_median REAL, on_median REAL, delta REAL, ci_low REAL,"
                " ci_high REAL, n_off INTEGER, n_on INTEGER, significant INTEGER, off_low REAL, off_high REAL,"
                " off_interval TEXT, on_low REAL, on_high REAL, on_interval TEXT, PRIMARY KEY (result_id, name));"
                "CREATE TABLE experiments (id TEXT PRIMARY KEY, created TEXT NOT NULL, document TEXT NOT NULL);"
                "CREATE TABLE differences (experiment TEXT NOT NULL, base TEXT, other TEXT, mode TEXT NOT NULL,"
                " name TEXT NOT NULL, unit TEXT, base_median REAL, other_median REAL, n_base INTEGER, n_other INTEGER,"
                " delta REAL, ci_low REAL, ci_high REAL, significant INTEGER, finding TEXT);"
                "INSERT INTO results VALUES (1, '2026-01-01T00:00:00.000Z', 1767225600, 'compare', 'e1', NULL, 'broad',"
                " 'broad', '[\"python3\"]', '{}', 'off,on', '/usr/bin/python3', '3.14.2', 'built_off', NULL, NULL,"
                " 'vm/x86_64/2/24G', 'vm', '6.1', 2, 25000000000, NULL, NULL, 'GO', '/r/old', '{}');"
                "INSERT INTO figures (result_id, name, unit, off_median, on_median, delta, ci_low, ci_high) VALUES"
                " (1, 'peak_pss_bytes', 'bytes', 100, 150, 50, 40, 60);"
                "PRAGMA user_version = 1;";
        struct history *h = NULL;
        struct history_filter f = { 0 };
        const char *p = path_of("v1.db");
        json_t *rows = NULL;
        char err[512];

        CHECK_EQ_INT(sql_exec(p, v1), SQLITE_OK);
        CHECK_EQ_INT(history_open(p, 0, &h, err, sizeof(err)), 0);
        CHECK_EQ_INT(history_query(h, &f, &rows, err, sizeof(err)), 0);
        CHECK_EQ_INT(json_array_size(rows), 1);
        CHECK_STR(str(json_array_get(rows, 0), "dir"), "/r/old");
        CHECK(num(fig(json_array_get(rows, 0), "peak_pss_bytes"), "on") == 150);
        json_decref(rows);
        CHECK_EQ_INT(history_add_dir(h, "tests/data/compare/fakejit-debug", NULL, err, sizeof(err)), 1);
        CHECK_EQ_INT(history_query(h, &f, &rows, err, sizeof(err)), 0);
        CHECK_EQ_INT(json_array_size(rows), 2);
        json_decref(rows);
        history_close(h);
        CHECK_EQ_INT(sql_int(p, "PRAGMA user_version"), 1);
}

/* the bytes of path, to see that a refused file was left as it was */
static size_t slurp(const char *path, char *buf, size_t size)
{
        FILE *f = fopen(path, "rb");
        size_t n = 0;

        if (f) {
                n = fread(buf, 1, size, f);
                fclose(f);
        }
        return n;
}

static void test_newer_refused(void)
{
        static char before[1 << 16], after[1 << 16];
        struct history *h = NULL;
        const char *p = path_of("newer.db");
        size_t nb, na;
        char err[512];

        CHECK_EQ_INT(sql_exec(p, "CREATE TABLE future (x); INSERT INTO future VALUES (1); PRAGMA user_version = 7;"), SQLITE_OK);
        nb = slurp(p, before, sizeof(before));
        CHECK_EQ_INT(history_open(p, 0, &h, err, sizeof(err)), -ENOTSUP);
        CHECK(strstr(err, "newer jitmem") != NULL);
        CHECK(strstr(err, "schema 7") != NULL);
        CHECK(strstr(err, "left as it is") != NULL);
        CHECK_EQ_INT(history_open(p, HISTORY_READONLY, &h, err, sizeof(err)), -ENOTSUP);
        na = slurp(p, after, sizeof(after));
        CHECK(nb > 0 && na == nb && memcmp(before, after, nb) == 0);
        CHECK_EQ_INT(sql_int(p, "PRAGMA user_version"), 7);
        CHECK(access(path_of("newer.db-wal"), F_OK) != 0 || sql_int(p, "SELECT count(*) FROM future") == 1);
}

static void test_corrupt_refused(void)
{
        static const char garbage[] = "this is not a database, just bytes that happen to be here\n";
        struct history *h = NULL;
        const char *p = path_of("garbage.db");
        char err[512], after[256];

        CHECK_EQ_INT(unit_write_file(p, garbage, 0644), 0);
        CHECK_EQ_INT(history_open(p, 0, &h, err, sizeof(err)), -EBADMSG);
        CHECK(strstr(err, "not a usable history database") != NULL);
        CHECK_EQ_INT(history_open(p, HISTORY_READONLY, &h, err, sizeof(err)), -EBADMSG);
        CHECK_EQ_INT(slurp(p, after, sizeof(after)), strlen(garbage));
        CHECK(memcmp(after, garbage, strlen(garbage)) == 0);
}

static struct history *fresh(const char *name)
{
        struct history *h = NULL;
        char err[512];

        CHECK_EQ_INT(history_open(path_of(name), 0, &h, err, sizeof(err)), 0);
        return h;
}

static void test_compare1_round_trip(void)
{
        struct history *h = fresh("c1.db");
        struct history_filter f = { 0 };
        json_t *doc = load("tests/data/compare/fakejit-debug/comparison.json"), *rows = NULL, *row, *pss, *iv;
        char err[512];

        CHECK_EQ_INT(history_add_comparison(h, doc, "tests/data/compare/fakejit-debug", NULL, err, sizeof(err)), 1);
        CHECK_EQ_INT(history_query(h, &f, &rows, err, sizeof(err)), 0);
        CHECK_EQ_INT(json_array_size(rows), 1);
        row = json_array_get(rows, 0);
        CHECK_STR(str(row, "kind"), "compare");
        CHECK_STR(str(row, "verdict"), "GO WITH CONDITIONS");
        CHECK_STR(str(row, "subject"), "/work/main/build/fixtures/fakejit --units 200 --debug-image 32768");
        CHECK(json_is_null(json_object_get(row, "workload")));
        CHECK(strstr(str(row, "dir"), "/tests/data/compare/fakejit-debug") != NULL && str(row, "dir")[0] == '/');
        /* the machine and cgroup of the first run's meta.json */
        CHECK_STR(str(json_object_get(row, "machine"), "hostname"), "vm");
        CHECK_STR(str(json_object_get(row, "machine"), "key"), "vm/x86_64/2/24G");
        CHECK_STR(str(json_object_get(row, "cgroup"), "version"), "hybrid");
        CHECK_EQ_INT(num(json_object_get(row, "options"), "runs_per_mode"), 3);
        pss = fig(row, "peak_pss_bytes");
        CHECK(num(pss, "off") == 153600 && num(pss, "on") == 1141760 && num(pss, "delta") == 988160);
        CHECK(num(pss, "n_off") == 3 && num(pss, "n_on") == 3);
        CHECK(json_is_false(json_object_get(pss, "significant")));
        CHECK(json_is_null(json_array_get(json_object_get(pss, "ci95"), 0)));
        /* three runs a mode: the range of their peaks (1141760, 1141760, 1143808 with the JIT on) */
        iv = json_object_get(pss, "on_interval");
        CHECK_STR(str(iv, "kind"), "range");
        CHECK(num(iv, "low") == 1141760 && num(iv, "high") == 1143808);
        CHECK(num(fig(row, "cpu_s_per_unit"), "on") == 0.0035);
        json_decref(rows);
        /* the stored document is the whole comparison */
        CHECK_EQ_INT(history_documents(h, NULL, &rows, err, sizeof(err)), 0);
        CHECK_EQ_INT(json_array_size(rows), 1);
        CHECK(json_equal(json_object_get(json_array_get(rows, 0), "document"), doc));
        CHECK(json_integer_value(json_object_get(json_array_get(rows, 0), "id")) == 1);
        json_decref(rows);
        /* an incomplete comparison is not added, nor is anything else */
        json_object_set_new(doc, "complete", json_false());
        CHECK_EQ_INT(history_add_comparison(h, doc, "tests/data/compare/fakejit-debug", NULL, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "not complete") != NULL);
        json_object_set_new(doc, "complete", json_true());
        json_object_set_new(doc, "schema", json_string("jitmem.compare/9"));
        CHECK_EQ_INT(history_add_comparison(h, doc, "x", NULL, err, sizeof(err)), -EINVAL);
        CHECK_EQ_INT(history_query(h, &f, &rows, err, sizeof(err)), 0);
        CHECK_EQ_INT(json_array_size(rows), 1);
        json_decref(rows);
        json_decref(doc);
        history_close(h);
}

static void test_compare2_round_trip(void)
{
        struct history *h = fresh("c2.db");
        struct history_filter f = { 0 };
        json_t *rows = NULL, *a, *b;
        char err[512];

        CHECK_EQ_INT(history_add_dir(h, "tests/data/compare/matrix-v2", NULL, err, sizeof(err)), 2);
        CHECK_EQ_INT(history_query(h, &f, &rows, err, sizeof(err)), 0);
        CHECK_EQ_INT(json_array_size(rows), 2);
        a = json_array_get(rows, 0);
        b = json_array_get(rows, 1);
        CHECK_STR(str(a, "label"), "3.14.7");
        CHECK_STR(str(b, "label"), "3.15.0rc1");
        CHECK_STR(str(a, "experiment"), str(b, "experiment"));
        CHECK_STR(str(a, "workload"), "broad");
        CHECK_STR(str(b, "subject"), "broad");
        CHECK_STR(str(json_object_get(a, "python"), "version"), "3.14.7");
        CHECK_STR(str(json_object_get(b, "python"), "version"), "3.15.0rc1");
        CHECK_STR(str(json_object_get(b, "python"), "jit"), "built_off");
        CHECK(num(fig(a, "peak_pss_bytes"), "on") == 1141760);
        CHECK(fabs(num(fig(b, "peak_pss_bytes"), "on") - 1255936) < 1);
        json_decref(rows);
        CHECK_EQ_INT(sql_int(path_of("c2.db"), "SELECT count(*) FROM differences WHERE base = '3.14.7' AND other = "
                                               "'3.15.0rc1' AND name = 'peak_pss_bytes'"),
                     2);
        CHECK_EQ_INT(sql_int(path_of("c2.db"), "SELECT count(*) FROM experiments"), 1);
        /* each row's document is its interpreter's jitmem.compare/1 */
        CHECK_EQ_INT(history_documents(h, NULL, &rows, err, sizeof(err)), 0);
        CHECK_EQ_INT(json_array_size(rows), 2);
        CHECK_STR(str(json_object_get(json_array_get(rows, 1), "document"), "schema"), "jitmem.compare/1");
        CHECK_STR(str(json_array_get(rows, 1), "python_version"), "3.15.0rc1");
        json_decref(rows);
        /* --python-version 3.15 selects the second only */
        f.python_version = "3.15";
        CHECK_EQ_INT(history_query(h, &f, &rows, err, sizeof(err)), 0);
        CHECK_EQ_INT(json_array_size(rows), 1);
        CHECK_STR(str(json_array_get(rows, 0), "label"), "3.15.0rc1");
        json_decref(rows);
        history_close(h);
}

static void test_fit_round_trip(void)
{
        struct history *h = fresh("fit.db");
        struct history_filter f = { 0 };
        struct history_extra x = { "webapp", NULL };
        json_t *doc = json_pack("{s:s, s:b, s:[s,s], s:n, s:{s:s}, s:{s:i}, s:{s:{s:i, s:i, s:i}, s:{s:i, s:i, s:i}}, "
                                "s:{s:f, s:f, s:f, s:f, s:b}}",
                                "schema", "jitmem.fit/1", "complete", 1, "command", "python3", "app.py", "python",
                                "cgroup", "version", "v1", "search", "max_trials", 12, "modes", "off", "limit_bytes",
                                100 << 20, "trials", 7, "reference_peak_pss_bytes", 90 << 20, "on", "limit_bytes",
                                110 << 20, "trials", 8, "reference_peak_pss_bytes", 98 << 20, "difference", "bytes",
                                (double)(10 << 20), "percent", 10.0, "low_bytes", (double)(9 << 20), "high_bytes",
                                (double)(11 << 20), "established", 1);
        json_t *rows = NULL, *row, *lim;
        char err[512];

        CHECK_EQ_INT(history_add_fit(h, doc, "/tmp/nonexistent-fit", &x, err, sizeof(err)), 1);
        CHECK_EQ_INT(history_query(h, &f, &rows, err, sizeof(err)), 0);
        row = json_array_get(rows, 0);
        CHECK_STR(str(row, "kind"), "fit");
        CHECK_STR(str(row, "subject"), "webapp");
        CHECK_STR(str(row, "jit_mode"), "off,on");
        CHECK_STR(str(row, "dir"), "/tmp/nonexistent-fit");
        lim = fig(row, "limit_bytes");
        CHECK(num(lim, "off") == 100 << 20 && num(lim, "on") == 110 << 20 && num(lim, "delta") == 10 << 20);
        CHECK(json_number_value(json_array_get(json_object_get(lim, "ci95"), 0)) == 9 << 20);
        CHECK(json_number_value(json_array_get(json_object_get(lim, "ci95"), 1)) == 11 << 20);
        CHECK(json_is_true(json_object_get(lim, "significant")));
        CHECK(num(fig(row, "reference_peak_pss_bytes"), "delta") == 8 << 20);
        json_decref(rows);
        json_object_set_new(doc, "complete", json_false());
        CHECK_EQ_INT(history_add_fit(h, doc, "/tmp/x", &x, err, sizeof(err)), -EINVAL);
        json_decref(doc);
        history_close(h);
}

static void test_run_round_trip(void)
{
        struct history *h = fresh("run.db");
        struct history_filter f = { 0 };
        json_t *rows = NULL, *row, *pss;
        char err[512];

        CHECK_EQ_INT(history_add_dir(h, "tests/data/runs/py315-broad", NULL, err, sizeof(err)), 1);
        CHECK_EQ_INT(history_add_dir(h, "tests/data/stats", NULL, err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, "holds no result") != NULL);
        f.kind = "run";
        CHECK_EQ_INT(history_query(h, &f, &rows, err, sizeof(err)), 0);
        CHECK_EQ_INT(json_array_size(rows), 1);
        row = json_array_get(rows, 0);
        CHECK_STR(str(json_object_get(row, "python"), "version"), "3.15.0rc1");
        CHECK_STR(str(json_object_get(row, "python"), "path"), "/work/shared/python/3.15/bin/python3.15");
        CHECK_STR(str(row, "subject"), "/work/shared/python/3.15/bin/python3.15 workloads/broad.py --scale 0.2");
        pss = fig(row, "peak_pss_bytes");
        CHECK(num(pss, "value") == 23500800);
        json_decref(rows);
        f.kind = "compare";
        CHECK_EQ_INT(history_query(h, &f, &rows, err, sizeof(err)), 0);
        CHECK_EQ_INT(json_array_size(rows), 0);
        json_decref(rows);
        history_close(h);
}

/* A compare/1 document of made-up runs: n runs a mode, peak PSS on run i (1-based) = i. */
static void test_median_interval(void)
{
        static const int ns[] = { 5, 6, 9 };
        static const double lo[] = { 1, 1, 2 }, hi[] = { 5, 6, 8 };
        static const char *const kind[] = { "range", "ci95", "ci95" };

        for (size_t t = 0; t < 3; t++) {
                char name[32], err[512];
                struct history *h;
                struct history_filter f = { 0 };
                json_t *runs = json_array(), *rows = NULL, *iv;
                json_t *doc = json_pack("{s:s, s:b, s:[s], s:{s:{s:s, s:f, s:f}}, s:o}", "schema", "jitmem.compare/1",
                                        "complete", 1, "command", "x", "metrics", "peak_pss_bytes", "unit", "bytes", "off",
                                        1.0, "on", 2.0, "runs", runs);
                for (int i = ns[t]; i >= 1; i--) /* out of order: the interval sorts */
                        for (int m = 0; m < 2; m++)
                                json_array_append_new(runs, json_pack("{s:s, s:s, s:b, s:{s:i}}", "mode", m ? "on" : "off",
                                                                      "dir", "/nonexistent/r", "analysed", 1, "figures",
                                                                      "peak_pss_bytes", i));
                snprintf(name, sizeof(name), "iv%zu.db", t);
                h = fresh(name);
                CHECK_EQ_INT(history_add_comparison(h, doc, "/nonexistent", NULL, err, sizeof(err)), 1);
                CHECK_EQ_INT(history_query(h, &f, &rows, err, sizeof(err)), 0);
                iv = json_object_get(fig(json_array_get(rows, 0), "peak_pss_bytes"), "on_interval");
                CHECK_STR(str(iv, "kind"), kind[t]);
                CHECK(num(iv, "low") == lo[t] && num(iv, "high") == hi[t]);
                json_decref(rows);
                json_decref(doc);
                history_close(h);
        }
}

/* A row as history_query gives it, for --check: peak PSS on with its interval, the delta
 * with its 95% interval, CPU per unit. */
static json_t *row(int id, const char *subject, const char *machine, const char *kind, double on, double on_hi,
                   double delta, double ci_hi, double cpu, double cpu_hi)
{
        json_t *r = json_pack("{s:i, s:s, s:s, s:f, s:s, s:{s:s}, s:{s:s}, s:{s:{s:s, s:f, s:f, s:[f,f], s:{s:f, s:f, s:s}}, "
                              "s:{s:s, s:f, s:{s:f, s:f, s:s}}}}",
                              "id", id, "subject", subject, "kind", kind, "created_epoch", (double)id, "created",
                              "2026-12-01T00:00:00Z", "python", "version", "3.15.0", "machine", "key", machine, "figures",
                              "peak_pss_bytes", "unit", "bytes", "on", on, "delta", delta, "ci95", delta - 10, ci_hi,
                              "on_interval", "low", on - 5, "high", on_hi, "kind", "range", "cpu_s_per_unit", "unit",
                              "seconds", "on", cpu, "on_interval", "low", cpu, "high", cpu_hi, "kind", "range");
        return r;
}

static json_t *finding_of(json_t *findings, const char *subject)
{
        json_t *f;
        size_t i;

        json_array_foreach(findings, i, f)
                if (strcmp(str(f, "subject"), subject) == 0)
                        return f;
        return NULL;
}

static void test_check(void)
{
        json_t *rows = json_array(), *out = NULL, *f, *fg;

        /* a: worse on peak PSS on (120 above 110, by 10); b: fine (all inside); c: one result only;
         * d: its earlier result on another machine; e: worse on the delta only */
        json_array_append_new(rows, row(1, "a", "m1", "compare", 100, 110, 50, 60, 1.0, 1.2));
        json_array_append_new(rows, row(2, "b", "m1", "compare", 100, 110, 50, 60, 1.0, 1.2));
        json_array_append_new(rows, row(3, "d", "m2", "compare", 100, 110, 50, 60, 1.0, 1.2));
        json_array_append_new(rows, row(4, "e", "m1", "compare", 100, 110, 50, 60, 1.0, 1.2));
        json_array_append_new(rows, row(5, "a", "m1", "compare", 120, 125, 55, 70, 1.1, 1.3));
        json_array_append_new(rows, row(6, "b", "m1", "compare", 110, 115, 60, 70, 1.2, 1.3));
        json_array_append_new(rows, row(7, "c", "m1", "compare", 100, 110, 50, 60, 1.0, 1.2));
        json_array_append_new(rows, row(8, "d", "m1", "compare", 500, 510, 50, 60, 1.0, 1.2));
        json_array_append_new(rows, row(9, "e", "m1", "compare", 105, 110, 61, 70, 1.0, 1.2));
        json_array_append_new(rows, row(10, "b", "m1", "fit", 900, 910, 900, 910, 9, 9)); /* not a comparison */
        CHECK_EQ_INT(history_check(rows, NULL, &out), 2);
        CHECK_EQ_INT(json_array_size(out), 5);
        f = finding_of(out, "a");
        CHECK_STR(str(f, "status"), "worse");
        CHECK_EQ_INT(num(json_object_get(f, "newer"), "id"), 5);
        CHECK_EQ_INT(num(json_object_get(f, "older"), "id"), 1);
        fg = json_array_get(json_object_get(f, "figures"), 0);
        CHECK_STR(str(fg, "what"), "peak PSS with the JIT on");
        CHECK(json_is_true(json_object_get(fg, "worse")) && num(fg, "by") == 10 && num(fg, "older_high") == 110);
        CHECK(json_is_false(json_object_get(json_array_get(json_object_get(f, "figures"), 1), "worse")));
        f = finding_of(out, "b");
        CHECK_STR(str(f, "status"), "fine");
        CHECK_EQ_INT(num(json_object_get(f, "newer"), "id"), 6); /* a fit is not its newest comparison */
        /* exactly at the upper end is not above it */
        CHECK(json_is_false(json_object_get(json_array_get(json_object_get(f, "figures"), 0), "worse")));
        CHECK_STR(str(finding_of(out, "c"), "status"), "no previous result");
        CHECK_STR(str(finding_of(out, "d"), "status"), "no previous result");
        f = finding_of(out, "e");
        CHECK_STR(str(f, "status"), "worse");
        fg = json_array_get(json_object_get(f, "figures"), 1);
        CHECK_STR(str(fg, "what"), "the JIT's delta of peak PSS");
        CHECK(json_is_true(json_object_get(fg, "worse")) && num(fg, "by") == 1);
        json_decref(out);
        /* one subject only */
        CHECK_EQ_INT(history_check(rows, "b", &out), 0);
        CHECK_EQ_INT(json_array_size(out), 1);
        json_decref(out);
        /* an older result without a 95% interval of its delta: that figure is not judged */
        json_array_clear(rows);
        json_array_append_new(rows, row(1, "a", "m1", "compare", 100, 110, 50, 60, 1.0, 1.2));
        json_array_append_new(rows, row(2, "a", "m1", "compare", 100, 110, 500, 600, 1.0, 1.2));
        json_array_set_new(json_object_get(fig(json_array_get(rows, 0), "peak_pss_bytes"), "ci95"), 1, json_null());
        CHECK_EQ_INT(history_check(rows, NULL, &out), 0);
        fg = json_array_get(json_object_get(json_array_get(out, 0), "figures"), 1);
        CHECK(json_is_false(json_object_get(fg, "judged")));
        CHECK(strstr(str(fg, "why_not_judged"), "no 95% interval") != NULL);
        json_decref(out);
        json_decref(rows);
}

static void test_versions(void)
{
        CHECK(history_version_matches("3.15.0rc1", "3.15"));
        CHECK(history_version_matches("3.15", "3.15"));
        CHECK(history_version_matches("3.15.1", "3.15"));
        CHECK(history_version_matches("3.15.0rc1", "3.15.0"));
        CHECK(!history_version_matches("3.150", "3.15"));
        CHECK(!history_version_matches("3.1", "3.15"));
        CHECK(!history_version_matches("3.14.7", "3.15"));
        CHECK(!history_version_matches(NULL, "3.15"));
        CHECK(history_version_matches("3.14.7", NULL));
        CHECK(history_version_cmp("3.14.7", "3.15.0a1") < 0);
        CHECK(history_version_cmp("3.15.0a1", "3.15.0b2") < 0);
        CHECK(history_version_cmp("3.15.0b2", "3.15.0rc1") < 0);
        CHECK(history_version_cmp("3.15.0rc1", "3.15.0rc2") < 0);
        CHECK(history_version_cmp("3.15.0rc2", "3.15.0") < 0);
        CHECK(history_version_cmp("3.15.0", "3.15.1") < 0);
        CHECK(history_version_cmp("3.9.1", "3.10.0") < 0);
        CHECK(history_version_cmp("3.15.0", "3.15.0") == 0);
        CHECK(history_version_cmp("3.15.0", NULL) < 0);
}

static void test_trend(void)
{
        json_t *rows = json_array(), *t, *r;

        /* added 3.15 first, then 3.14 twice: the trend orders by version, then date */
        json_array_append_new(rows, json_pack("{s:i, s:f, s:{s:s}, s:{s:{s:f, s:f}}}", "id", 1, "created_epoch", 10.0,
                                              "python", "version", "3.15.0rc1", "figures", "peak_pss_bytes", "on", 300.0,
                                              "delta", 30.0));
        json_array_append_new(rows, json_pack("{s:i, s:f, s:{s:s}, s:{s:{s:f, s:f}}}", "id", 2, "created_epoch", 20.0,
                                              "python", "version", "3.14.7", "figures", "peak_pss_bytes", "on", 200.0,
                                              "delta", 20.0));
        json_array_append_new(rows, json_pack("{s:i, s:f, s:{s:s}, s:{s:{s:f, s:f}}}", "id", 3, "created_epoch", 5.0,
                                              "python", "version", "3.14.7", "figures", "peak_pss_bytes", "on", 210.0,
                                              "delta", 25.0));
        t = history_trend(rows);
        CHECK_EQ_INT(json_array_size(t), 3);
        CHECK_EQ_INT(num(json_array_get(t, 0), "id"), 3);
        CHECK_EQ_INT(num(json_array_get(t, 1), "id"), 2);
        CHECK_EQ_INT(num(json_array_get(t, 2), "id"), 1);
        CHECK(json_is_null(json_object_get(json_array_get(t, 0), "change")));
        r = json_object_get(json_array_get(t, 2), "change");
        CHECK(num(r, "peak_pss_on_bytes") == 100 && num(r, "jit_delta_bytes") == 10);
        CHECK_EQ_INT(num(r, "from_id"), 2);
        json_decref(t);
        json_decref(rows);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

int main(void)
{
        snprintf(dir, sizeof(dir), "/tmp/jitmem-test-history.XXXXXX");
        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 1;
        }
        test_default_path();
        test_schema();
        test_version1_left_usable();
        test_newer_refused();
        test_corrupt_refused();
        test_compare1_round_trip();
        test_compare2_round_trip();
        test_fit_round_trip();
        test_run_round_trip();
        test_median_interval();
        test_check();
        test_versions();
        test_trend();
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return unit_finish("test_history");
}
