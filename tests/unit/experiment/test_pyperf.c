/* Comparisons in pyperf's JSON format: a recorded comparison (tests/data/compare/fakejit-debug),
 * the same comparison as jitmem writes it now (tests/data/pyperf/current.json: the part of
 * tests/data/golden/compare-fakejit-debug.json the export reads, with steady figures and start
 * times per run), edited copies of it, and a comparison of three interpreters
 * (tests/data/pyperf/matrix.json, jitmem.compare/2, made by hand from those two). Run from the
 * repository's root. */
#include "pyperf.h"
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *load(const char *path)
{
        json_error_t e;
        json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &e);

        if (!j)
                fprintf(stderr, "cannot load %s: %s\n", path, e.text);
        return j;
}

static json_t *file_of(json_t *ex, const char *suffix)
{
        size_t i;
        json_t *f;

        json_array_foreach(json_object_get(ex, "files"), i, f)
                if (strcmp(json_string_value(json_object_get(f, "suffix")), suffix) == 0)
                        return f;
        return NULL;
}

static json_t *bench_of(json_t *file, const char *name)
{
        size_t i;
        json_t *b;

        json_array_foreach(json_object_get(json_object_get(file, "suite"), "benchmarks"), i, b)
                if (strcmp(json_string_value(json_object_get(json_object_get(b, "metadata"), "name")), name) == 0)
                        return b;
        return NULL;
}

static const char *meta(json_t *file, const char *key)
{
        return json_string_value(json_object_get(json_object_get(json_object_get(file, "suite"), "metadata"), key));
}

/* Whether a sentence of list (left_out or warnings) holds every one of the parts. */
static int said(json_t *ex, const char *list, const char *a, const char *b)
{
        size_t i;
        json_t *s;

        json_array_foreach(json_object_get(ex, list), i, s) {
                const char *t = json_string_value(s);
                if (strstr(t, a) && (!b || strstr(t, b)))
                        return 1;
        }
        return 0;
}

/* The rules pyperf 2.10 applies when it loads a file (pyperf/_bench.py, _metadata.py), checked on
 * every file: version "1.0"; each benchmark named, in unit "byte"; each run's values numbers
 * above 0; each metadata value a non-empty string without a line break, an integer or a real;
 * each run with a duration >= 0. */
static void check_rules(json_t *ex)
{
        size_t i, j, k;
        json_t *f, *b, *r, *v;
        const char *key;

        json_array_foreach(json_object_get(ex, "files"), i, f) {
                json_t *suite = json_object_get(f, "suite");

                CHECK_STR(json_string_value(json_object_get(suite, "version")), "1.0");
                CHECK(json_array_size(json_object_get(suite, "benchmarks")) > 0);
                json_object_foreach(json_object_get(suite, "metadata"), key, v) {
                        const char *s = json_string_value(v);
                        CHECK(json_is_integer(v) || json_is_real(v) || (s && s[0] && !strchr(s, '\n') && !strchr(s, '\r')));
                }
                json_array_foreach(json_object_get(suite, "benchmarks"), j, b) {
                        json_t *bm = json_object_get(b, "metadata");
                        CHECK(json_string_value(json_object_get(bm, "name")) != NULL);
                        CHECK_STR(json_string_value(json_object_get(bm, "unit")), "byte");
                        CHECK(json_array_size(json_object_get(b, "runs")) > 0);
                        json_array_foreach(json_object_get(b, "runs"), k, r) {
                                json_t *vals = json_object_get(r, "values");
                                json_t *d = json_object_get(json_object_get(r, "metadata"), "duration");
                                CHECK_EQ_INT(json_array_size(vals), 1);
                                CHECK(json_is_number(json_array_get(vals, 0)) && json_number_value(json_array_get(vals, 0)) > 0);
                                CHECK(json_is_number(d) && json_number_value(d) >= 0);
                        }
                }
        }
}

static json_t *export1(json_t *doc, const char *label, int *ret)
{
        json_t *ex = NULL;
        char err[256];

        *ret = pyperf_export(&doc, label ? (const char *const[]){ label } : NULL, 1, &ex, err, sizeof(err));
        if (*ret < 0)
                fprintf(stderr, "pyperf_export: %s\n", err);
        return ex;
}

/* The recorded comparison: a file per mode, a run per jitmem run, in the runs' order, with their
 * figures as values and their wall time as duration; JIT code with the JIT off (0 bytes) and the
 * steady figures (not in that document) left out and said. */
static void test_recorded(void)
{
        json_t *doc = load("tests/data/compare/fakejit-debug/comparison.json");
        json_t *ex, *off, *on, *b, *run;
        int r;

        ex = export1(doc, NULL, &r);
        CHECK_EQ_INT(r, 0);
        if (!ex)
                return;
        check_rules(ex);
        CHECK_EQ_INT(json_array_size(json_object_get(ex, "files")), 2);
        off = file_of(ex, "off");
        on = file_of(ex, "on");
        CHECK(off && on);
        if (!off || !on)
                return;
        CHECK(json_is_null(json_object_get(off, "label")));
        CHECK_STR(meta(off, "python_jit"), "0");
        CHECK_STR(meta(on, "python_jit"), "1");
        CHECK_STR(meta(on, "jitmem_mode"), "on");
        CHECK_STR(meta(on, "jitmem_version"), "0.1.0");
        CHECK_STR(meta(on, "jitmem_command"), "/work/main/build/fixtures/fakejit --units 200 --debug-image 32768");
        CHECK(meta(on, "python_executable") == NULL); /* the fixture is no interpreter: python is null */
        CHECK(meta(on, "jitmem_interpreter") == NULL);
        CHECK(meta(on, "jitmem_workload") == NULL);

        /* off: runs 1, 4 and 5 of the comparison */
        b = bench_of(off, "peak_rss");
        CHECK(b != NULL);
        CHECK_EQ_INT(json_array_size(json_object_get(b, "runs")), 3);
        run = json_array_get(json_object_get(b, "runs"), 1);
        CHECK_EQ_INT(json_integer_value(json_array_get(json_object_get(run, "values"), 0)), 1183744);
        CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(run, "metadata"), "jitmem_run")), 4);
        CHECK(fabs(json_real_value(json_object_get(json_object_get(run, "metadata"), "duration")) - 1.308560074) < 1e-9);
        CHECK(json_object_get(json_object_get(run, "metadata"), "date") == NULL); /* not in that document */
        CHECK_STR(json_string_value(json_object_get(json_object_get(run, "metadata"), "jitmem_run_dir")),
                  "/tmp/gold2/fakejit-debug/runs/04-off");
        CHECK_STR(json_string_value(json_object_get(json_object_get(b, "metadata"), "jitmem_figure")), "peak_rss_bytes");
        CHECK(bench_of(off, "peak_pss") && bench_of(off, "peak_anon"));

        CHECK(bench_of(off, "jit_code") == NULL);
        CHECK(said(ex, "left_out", "JIT off: jit_code left out: 3 of 3 runs measured 0 bytes", "above 0"));
        b = bench_of(on, "jit_code");
        CHECK(b != NULL);
        CHECK_EQ_INT(json_integer_value(json_array_get(json_object_get(json_array_get(json_object_get(b, "runs"), 0), "values"), 0)),
                     655360);
        CHECK(bench_of(on, "steady_pss") == NULL && bench_of(off, "steady_rss") == NULL);
        CHECK(said(ex, "left_out", "JIT on: steady_pss left out: no run measured it", NULL));
        CHECK(said(ex, "left_out", "JIT off: steady_rss left out: no run measured it", NULL));
        /* three values against three that vary: compare_to's t-test runs, nothing to warn of */
        CHECK_EQ_INT(json_array_size(json_object_get(ex, "warnings")), 0);
        json_decref(ex);

        /* a label names the files */
        ex = export1(doc, "base", &r);
        CHECK(ex && file_of(ex, "base-off") && file_of(ex, "base-on") && !file_of(ex, "off"));
        CHECK_STR(meta(file_of(ex, "base-on"), "jitmem_interpreter"), "base");
        CHECK(said(ex, "left_out", "base, JIT off: jit_code left out", NULL));
        json_decref(ex);
        json_decref(doc);
}

/* The comparison as jitmem writes it now: steady figures per run (one run of JIT on has none:
 * counted and said), start times as pyperf's dates, and the value counts that differ warned of. */
static void test_current(void)
{
        json_t *doc = load("tests/data/pyperf/current.json");
        json_t *ex, *on, *b, *m;
        int r;

        ex = export1(doc, NULL, &r);
        CHECK_EQ_INT(r, 0);
        if (!ex)
                return;
        check_rules(ex);
        on = file_of(ex, "on");
        b = bench_of(on, "steady_pss");
        CHECK(b != NULL);
        CHECK_EQ_INT(json_array_size(json_object_get(b, "runs")), 2);
        CHECK(said(ex, "left_out", "JIT on: steady_pss: 1 of 3 runs left out: they did not measure it", NULL));
        m = json_object_get(json_array_get(json_object_get(b, "runs"), 0), "metadata");
        CHECK_STR(json_string_value(json_object_get(m, "date")), "2026-12-04T09:11:19.835+00:00");
        CHECK_EQ_INT(json_integer_value(json_object_get(m, "jitmem_run")), 2);
        CHECK_EQ_INT(json_array_size(json_object_get(bench_of(file_of(ex, "off"), "steady_pss"), "runs")), 3);
        CHECK(said(ex, "warnings", "off against on: steady_pss has 3 values against 2", "ERROR"));
        CHECK(said(ex, "warnings", "off against on: steady_rss has 3 values against 2", NULL));
        CHECK(!said(ex, "warnings", "peak_pss", NULL));
        json_decref(ex);
        json_decref(doc);
}

/* Edited copies: a run not analysed, a run without its wall time, a figure negative (not
 * measured), reals, a command with a line break, a workload of blanks, a date of another form,
 * values all equal on both sides, a single run a side. */
static void test_edited(void)
{
        json_t *doc = load("tests/data/pyperf/current.json");
        json_t *runs, *ex, *off, *on, *b;
        int r;

        if (!doc)
                return;
        runs = json_object_get(doc, "runs");
        json_object_set_new(json_array_get(runs, 0), "figures", json_null());                     /* run 1, off */
        json_object_set_new(json_object_get(json_array_get(runs, 3), "figures"), "wall_s", json_null()); /* run 4, off */
        json_object_set_new(json_object_get(json_array_get(runs, 1), "figures"), "peak_pss_bytes", json_integer(-1));
        json_object_set_new(json_object_get(json_array_get(runs, 5), "figures"), "peak_pss_bytes", json_real(1141760.5));
        json_object_set_new(json_array_get(runs, 4), "started_at", json_string("04/12/2026 09:11"));
        json_array_append_new(json_object_get(doc, "command"), json_string("--name\nsecond line"));
        json_object_set_new(doc, "workload", json_string("   "));
        ex = export1(doc, NULL, &r);
        CHECK_EQ_INT(r, 0);
        if (!ex)
                return;
        check_rules(ex);
        off = file_of(ex, "off");
        on = file_of(ex, "on");
        CHECK(said(ex, "left_out", "JIT off: run 1 left out: it was not analysed", NULL));
        CHECK(said(ex, "left_out", "JIT off: run 4 left out: its wall time was not measured", "duration"));
        CHECK_EQ_INT(json_array_size(json_object_get(bench_of(off, "peak_rss"), "runs")), 1);
        b = bench_of(on, "peak_pss");
        CHECK_EQ_INT(json_array_size(json_object_get(b, "runs")), 2);
        CHECK(said(ex, "left_out", "JIT on: peak_pss: 1 of 3 runs left out", NULL));
        CHECK(json_is_real(json_array_get(json_object_get(json_array_get(json_object_get(b, "runs"), 1), "values"), 0)));
        CHECK(said(ex, "left_out", "metadata jitmem_command left out: its value holds a line break", NULL));
        CHECK(said(ex, "left_out", "metadata jitmem_workload left out: its value is empty", NULL));
        CHECK(meta(on, "jitmem_command") == NULL && meta(on, "jitmem_workload") == NULL);
        CHECK(json_object_get(json_object_get(json_array_get(json_object_get(bench_of(off, "peak_rss"), "runs"), 0),
                                              "metadata"), "date") == NULL);
        CHECK(said(ex, "warnings", "off against on: peak_rss has 1 values against 3", NULL));
        json_decref(ex);

        /* one run a side, then the same values in every run on both sides */
        json_t *two = json_pack("{s:s, s:[o, o]}", "schema", "jitmem.compare/1", "runs",
                                json_deep_copy(json_array_get(runs, 2)), json_deep_copy(json_array_get(runs, 5)));
        json_object_set_new(json_array_get(json_object_get(two, "runs"), 0), "mode", json_string("off"));
        ex = export1(two, NULL, &r);
        CHECK(ex && said(ex, "warnings", "off against on: peak_rss has one value on each side", "ERROR"));
        json_decref(ex);
        json_t *flat = json_pack("{s:s, s:[O, O, O, O]}", "schema", "jitmem.compare/1", "runs", json_array_get(runs, 1),
                                 json_array_get(runs, 1), json_array_get(runs, 2), json_array_get(runs, 2));
        json_t *copy = json_deep_copy(flat);
        json_object_set_new(json_array_get(json_object_get(copy, "runs"), 0), "mode", json_string("off"));
        json_object_set_new(json_array_get(json_object_get(copy, "runs"), 1), "mode", json_string("off"));
        ex = export1(copy, NULL, &r);
        CHECK(ex && said(ex, "warnings", "off against on: jit_code has the same value in every run on both sides", "ERROR"));
        CHECK(ex && said(ex, "warnings", "off against on: peak_rss has the same value", NULL));
        CHECK(ex && !said(ex, "warnings", "peak_pss", NULL)); /* JIT off has none: run 2 did not measure it */
        json_decref(ex);
        json_decref(copy);
        json_decref(flat);
        json_decref(two);
        json_decref(doc);
}

/* Three interpreters (jitmem.compare/2): files by label and mode, the interpreter without a JIT
 * with its JIT-off file only, the interpreter in each file's metadata, and warnings for the
 * pairs compare_to is meant for: the modes of an interpreter, and a mode of two interpreters. */
static void test_matrix(void)
{
        json_t *doc = load("tests/data/pyperf/matrix.json");
        json_t *ex, *f;
        int r;

        ex = export1(doc, NULL, &r);
        CHECK_EQ_INT(r, 0);
        if (!ex)
                return;
        check_rules(ex);
        CHECK_EQ_INT(json_array_size(json_object_get(ex, "files")), 5);
        CHECK(file_of(ex, "3.14.7-off") && file_of(ex, "3.14.7-on") && file_of(ex, "3.15.0rc1-off") &&
              file_of(ex, "3.15.0rc1-on") && file_of(ex, "3.13.1-off") && !file_of(ex, "3.13.1-on"));
        f = file_of(ex, "3.15.0rc1-on");
        CHECK_STR(json_string_value(json_object_get(f, "label")), "3.15.0rc1");
        CHECK_STR(meta(f, "jitmem_interpreter"), "3.15.0rc1");
        CHECK_STR(meta(f, "python_version"), "3.15.0rc1");
        CHECK_STR(meta(f, "python_executable"), "/opt/python/3.15/bin/python3.15");
        CHECK_STR(meta(f, "python_implementation"), "CPython");
        CHECK_STR(meta(f, "jitmem_jit_build"), "built_off");
        CHECK_STR(meta(f, "jitmem_workload"), "broad");
        CHECK_STR(meta(f, "python_jit"), "1");
        CHECK(said(ex, "left_out", "3.14.7, JIT off: jit_code left out", NULL));
        CHECK(said(ex, "left_out", "3.13.1, JIT off: jit_code left out", NULL));
        CHECK(said(ex, "warnings", "3.15.0rc1-off against 3.15.0rc1-on: steady_pss has 3 values against 2", NULL));
        /* JIT off of two interpreters: 3.14.7's steady figures are not in its document */
        CHECK(said(ex, "warnings", "3.14.7-on against 3.15.0rc1-on: peak_rss", NULL) == 0);
        /* never a pair of another interpreter and another mode */
        CHECK(!said(ex, "warnings", "3.14.7-off against 3.15.0rc1-on", NULL));
        CHECK(!said(ex, "warnings", "3.15.0rc1-on against 3.13.1-off", NULL));
        json_decref(ex);

        /* a label for the document prefixes its interpreters' */
        ex = export1(doc, "dec", &r);
        CHECK(ex && file_of(ex, "dec-3.14.7-on") && file_of(ex, "dec-3.13.1-off"));
        json_decref(ex);
        json_decref(doc);
}

/* Several documents: labels from the interpreter's version, or the document's number; a label
 * met again kept apart; labels made safe for a file name; what is not a comparison refused. */
static void test_several(void)
{
        json_t *rec = load("tests/data/compare/fakejit-debug/comparison.json");
        json_t *cur = load("tests/data/pyperf/current.json");
        json_t *docs[3] = { rec, cur, NULL }, *ex = NULL;
        char err[256];
        int r;

        r = pyperf_export(docs, NULL, 2, &ex, err, sizeof(err));
        CHECK_EQ_INT(r, 0);
        CHECK(ex && file_of(ex, "1-off") && file_of(ex, "2-on"));
        json_decref(ex);

        const char *same[2] = { "x", "x" };
        r = pyperf_export(docs, same, 2, &ex, err, sizeof(err));
        CHECK(r == 0 && file_of(ex, "x-off") && file_of(ex, "x-2-off") && file_of(ex, "x-2-on"));
        CHECK(r == 0 && !said(ex, "warnings", "x-off against x-2-off: peak_rss", NULL)); /* 3 against 3, varying */
        CHECK(r == 0 && said(ex, "warnings", "x-off against x-2-off: peak_anon has the same value", NULL));
        CHECK(r == 0 && !said(ex, "warnings", "x-off against x-2-on", NULL));
        json_decref(ex);

        const char *odd[1] = { "3.14 /rc\"1" };
        r = pyperf_export(docs, odd, 1, &ex, err, sizeof(err));
        CHECK(r == 0 && file_of(ex, "3.14__rc_1-off"));
        CHECK(r == 0 && file_of(ex, "3.14__rc_1-off") &&
              strcmp(meta(file_of(ex, "3.14__rc_1-off"), "jitmem_interpreter"), "3.14 /rc\"1") == 0);
        json_decref(ex);

        json_object_set_new(cur, "python", json_pack("{s:s}", "version", "3.15.0"));
        json_object_set_new(rec, "python", json_pack("{s:s}", "version", "3.15.0"));
        r = pyperf_export(docs, NULL, 2, &ex, err, sizeof(err));
        CHECK(r == 0 && file_of(ex, "3.15.0-on") && file_of(ex, "3.15.0-2-on"));
        json_decref(ex);

        ex = NULL;
        docs[2] = json_pack("{s:s}", "schema", "jitmem.run/1");
        r = pyperf_export(docs, NULL, 3, &ex, err, sizeof(err));
        CHECK_EQ_INT(r, -EINVAL);
        CHECK(ex == NULL && strstr(err, "comparison 3 is not a comparison") != NULL);
        json_decref(docs[2]);
        docs[2] = json_pack("{s:s, s:[{s:s, s:{s:s}}]}", "schema", "jitmem.compare/2", "interpreters", "label", "a",
                            "comparison", "schema", "jitmem.compare/2");
        r = pyperf_export(docs, NULL, 3, &ex, err, sizeof(err));
        CHECK_EQ_INT(r, -EINVAL);
        CHECK(strstr(err, "interpreter 1 of comparison 3 is not a comparison") != NULL);
        json_decref(docs[2]);
        json_decref(rec);
        json_decref(cur);
}

/* The machine, when a document has it (a /2 document's stands for its interpreters'), as pyperf
 * names it; a command too long cut, and said to be. */
static void test_machine(void)
{
        json_t *doc = load("tests/data/pyperf/current.json");
        json_t *ex, *m;
        char big[5001];
        int r;

        if (!doc)
                return;
        json_object_set_new(doc, "machine", json_pack("{s:s, s:s, s:s, s:i}", "hostname", "box", "kernel", "6.1.0-13-amd64",
                                                      "arch", "x86_64", "cpus_online", 2));
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        json_array_append_new(json_object_get(doc, "command"), json_string(big));
        ex = export1(doc, NULL, &r);
        CHECK_EQ_INT(r, 0);
        if (!ex)
                return;
        check_rules(ex);
        m = json_object_get(json_object_get(file_of(ex, "on"), "suite"), "metadata");
        CHECK_STR(json_string_value(json_object_get(m, "hostname")), "box");
        CHECK_STR(json_string_value(json_object_get(m, "platform")), "Linux-6.1.0-13-amd64-x86_64");
        CHECK_EQ_INT(json_integer_value(json_object_get(m, "cpu_count")), 2);
        const char *cmd = json_string_value(json_object_get(m, "jitmem_command"));
        CHECK(cmd && strlen(cmd) == 4004 && strcmp(cmd + 4000, " ...") == 0 && strncmp(cmd, "BUILD/fixtures/fakejit --units 200 --debug-image 32768 aaa", 58) == 0);
        json_decref(ex);

        json_t *two = json_pack("{s:s, s:{s:s}, s:[{s:s, s:O}]}", "schema", "jitmem.compare/2", "machine", "hostname", "host2",
                                "interpreters", "label", "3.14.7", "comparison", doc);
        json_object_del(doc, "machine");
        ex = export1(two, NULL, &r);
        CHECK(r == 0 && ex);
        m = json_object_get(json_object_get(file_of(ex, "3.14.7-off"), "suite"), "metadata");
        CHECK_STR(json_string_value(json_object_get(m, "hostname")), "host2");
        CHECK(json_object_get(m, "platform") == NULL);
        json_decref(ex);
        json_decref(two);
        json_decref(doc);
}

int main(void)
{
        test_recorded();
        test_current();
        test_edited();
        test_matrix();
        test_several();
        test_machine();
        return unit_finish("test_pyperf");
}
