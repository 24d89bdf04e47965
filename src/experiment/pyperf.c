#include "pyperf.h"
#include "compare.h"
#include "jsonout.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MAX 64                    /* a label's bytes in a file's suffix */
#define COMMAND_MAX 4000                /* a command's bytes in the metadata, then " ..." */
#define NOTE_MAX 600

/* The memory figures of a run, in bytes, as pyperf benchmarks. */
const struct pyperf_figure pyperf_figures[PYPERF_FIGURES] = {
        { "peak_rss", "peak_rss_bytes" },
        { "peak_pss", "peak_pss_bytes" },
        { "steady_rss", "steady_rss_bytes" },
        { "steady_pss", "steady_pss_bytes" },
        { "peak_anon", "peak_anon_bytes" },
        { "jit_code", "peak_jit_code_bytes" },
};

static const char *const modes[2] = { "off", "on" };

struct export {
        json_t *files, *left_out, *warnings;
        json_t *suffixes;               /* the suffixes' labels taken, to keep them apart */
        int nomem;
};

static void note(struct export *x, json_t *list, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(struct export *x, json_t *list, const char *fmt, ...)
{
        char line[NOTE_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        /* labels come from the documents: a cut may split a character, which jsonout_text mends */
        if (json_array_append_new(list, jsonout_text(line)) < 0)
                x->nomem = 1;
}

static void set(struct export *x, json_t *obj, const char *key, json_t *v)
{
        if (!v || json_object_set_new(obj, key, v) < 0)
                x->nomem = 1;
}

/* "3.14.7, JIT off" or "JIT off": whose figures a sentence is about. */
static void whose(const char *label, const char *mode, char *buf, size_t size)
{
        if (label)
                snprintf(buf, size, "%s, JIT %s", label, mode);
        else
                snprintf(buf, size, "JIT %s", mode);
}

/* A text value of pyperf's metadata: pyperf strips it, then refuses it empty or with a line
 * break; such a value is left out and said. NULL: nothing to say, nothing set. */
static void put_text(struct export *x, json_t *meta, const char *key, const char *v, const char *who)
{
        size_t len;

        if (!v)
                return;
        while (*v == ' ' || *v == '\t' || *v == '\f' || *v == '\v')
                v++;
        len = strlen(v);
        while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\f' || v[len - 1] == '\v'))
                len--;
        if (len == 0) {
                note(x, x->left_out, "%s: metadata %s left out: its value is empty, which pyperf refuses", who, key);
                return;
        }
        if (memchr(v, '\n', len) || memchr(v, '\r', len)) {
                note(x, x->left_out, "%s: metadata %s left out: its value holds a line break, which pyperf refuses",
                     who, key);
                return;
        }
        char *s = strndup(v, len);
        if (!s) {
                x->nomem = 1;
                return;
        }
        set(x, meta, key, jsonout_text(s));
        free(s);
}

static const char *str_of(json_t *obj, const char *key)
{
        return json_string_value(json_object_get(obj, key));
}

/* The command, its arguments joined by spaces (cut after COMMAND_MAX bytes), or NULL. */
static char *command_text(json_t *cmd)
{
        char *s = calloc(1, COMMAND_MAX + 8);
        size_t len = 0, i;
        json_t *a;

        if (!s || !json_is_array(cmd) || json_array_size(cmd) == 0) {
                free(s);
                return NULL;
        }
        json_array_foreach(cmd, i, a) {
                const char *arg = json_string_value(a);
                size_t n = arg ? strlen(arg) : 0;

                if (i > 0 && len < COMMAND_MAX)
                        s[len++] = ' ';
                if (len + n > COMMAND_MAX) {
                        memcpy(s + len, arg, COMMAND_MAX - len);
                        memcpy(s + COMMAND_MAX, " ...", 5);
                        return s;
                }
                if (n)
                        memcpy(s + len, arg, n);
                len += n;
        }
        s[len] = '\0';
        return s;
}

/* What every run of a suite shares: the interpreter, the mode, jitmem, the command. */
static json_t *suite_metadata(struct export *x, json_t *doc, json_t *python, json_t *machine, const char *version,
                              const char *label, int on, const char *who)
{
        json_t *m = json_object();
        char *cmd;

        if (!m) {
                x->nomem = 1;
                return NULL;
        }
        put_text(x, m, "jitmem_version", version, who);
        put_text(x, m, "jitmem_mode", modes[on], who);
        /* the PYTHON_JIT jitmem set for each run of the mode */
        put_text(x, m, "python_jit", on ? "1" : "0", who);
        put_text(x, m, "jitmem_interpreter", label, who);
        put_text(x, m, "jitmem_workload", str_of(doc, "workload"), who);
        cmd = command_text(json_object_get(doc, "command"));
        put_text(x, m, "jitmem_command", cmd, who);
        free(cmd);
        if (json_is_object(python)) {
                const char *exe = str_of(python, "executable");

                put_text(x, m, "python_executable", exe && exe[0] ? exe : str_of(python, "path"), who);
                put_text(x, m, "python_version", str_of(python, "version"), who);
                put_text(x, m, "python_implementation", str_of(python, "implementation"), who);
                put_text(x, m, "jitmem_jit_build", str_of(json_object_get(python, "jit"), "build"), who);
        }
        if (json_is_object(machine)) {
                const char *kernel = str_of(machine, "kernel"), *arch = str_of(machine, "arch");
                json_t *cpus = json_object_get(machine, "cpus_online");

                put_text(x, m, "hostname", str_of(machine, "hostname"), who);
                if (kernel && arch) {
                        char platform[256];

                        snprintf(platform, sizeof(platform), "Linux-%s-%s", kernel, arch);
                        put_text(x, m, "platform", platform, who);
                }
                if (json_is_integer(cpus) && json_integer_value(cpus) >= 1)
                        set(x, m, "cpu_count", json_integer(json_integer_value(cpus)));
        }
        return m;
}

/* A figure's value as pyperf takes it: 1 a number above 0 (into *ret), 0 zero, -1 none. */
static int value_of(json_t *v, json_t **ret)
{
        if (json_is_integer(v)) {
                if (json_integer_value(v) < 0)
                        return -1;
                if (json_integer_value(v) == 0)
                        return 0;
                *ret = json_integer(json_integer_value(v));
                return 1;
        }
        if (json_is_real(v)) {
                double d = json_real_value(v);

                if (!isfinite(d) || d < 0)
                        return -1;
                if (d == 0)
                        return 0;
                *ret = json_real(d);
                return 1;
        }
        return -1;
}

/* comparison.json's "2026-11-25T10:00:00.123Z" as pyperf's "date" ("2026-11-25T10:00:00.123+00:00",
 * which datetime.fromisoformat reads from Python 3.7 on), or 0 when it is not that form. */
static int date_of(const char *s, char *buf, size_t size)
{
        static const char form[] = "dddd-dd-ddTdd:dd:dd";
        size_t n, i;

        if (!s)
                return 0;
        n = strlen(s);
        if (n < sizeof(form) || n > 40 || s[n - 1] != 'Z')
                return 0;
        for (i = 0; i < sizeof(form) - 1; i++)
                if (form[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != form[i])
                        return 0;
        if (i < n - 1) {
                /* a fraction of 3 or 6 digits, the only ones Python 3.7 to 3.10 read */
                size_t digits = n - 1 - i - 1;

                if (s[i] != '.' || (digits != 3 && digits != 6))
                        return 0;
                for (i++; i < n - 1; i++)
                        if (!(s[i] >= '0' && s[i] <= '9'))
                                return 0;
        }
        snprintf(buf, size, "%.*s+00:00", (int)(n - 1), s);
        return 1;
}

/* A run's number in the comparison, as its directory's name begins ("07-py2-on": 7; in a
 * comparison of several interpreters the runs of one are not numbered 1, 2 ...), else its place
 * among the document's runs, from 1. */
static size_t run_number(json_t *run, size_t index)
{
        const char *dir = str_of(run, "dir"), *base = dir ? strrchr(dir, '/') : NULL;
        size_t n = 0, k;

        base = base ? base + 1 : dir;
        for (k = 0; base && k < 6 && base[k] >= '0' && base[k] <= '9'; k++)
                n = n * 10 + (size_t)(base[k] - '0');
        return k >= 2 && k < 6 && base[k] == '-' && n > 0 ? n : index + 1;
}

/* A run's own metadata: its duration (without it pyperf takes the sum of the values as seconds),
 * its start, its number and directory in the comparison. */
static json_t *run_metadata(struct export *x, json_t *run, size_t index, double wall, const char *who)
{
        json_t *m = json_pack("{s:f, s:I}", "duration", wall, "jitmem_run", (json_int_t)run_number(run, index));
        char date[64];

        if (!m) {
                x->nomem = 1;
                return NULL;
        }
        if (date_of(str_of(run, "started_at"), date, sizeof(date)))
                set(x, m, "date", json_string(date));
        put_text(x, m, "jitmem_run_dir", str_of(run, "dir"), who);
        return m;
}

/* The runs of a mode pyperf can take: analysed, with a wall time. The others are said. Returns
 * how many runs the mode has; usable[i] says which can be taken. */
static size_t usable_runs(struct export *x, json_t *runs, const char *mode, const char *who, char *usable)
{
        size_t i, count = 0;
        json_t *run;

        json_array_foreach(runs, i, run) {
                json_t *fig = json_object_get(run, "figures");
                json_t *wall = json_object_get(fig, "wall_s");

                usable[i] = 0;
                if (!str_of(run, "mode") || strcmp(str_of(run, "mode"), mode) != 0)
                        continue;
                count++;
                if (!json_is_object(fig))
                        note(x, x->left_out, "%s: run %zu left out: it was not analysed", who, run_number(run, i));
                else if (!json_is_number(wall) || !(json_number_value(wall) >= 0))
                        note(x, x->left_out, "%s: run %zu left out: its wall time was not measured, and pyperf "
                             "needs each run's duration", who, run_number(run, i));
                else
                        usable[i] = 1;
        }
        return count;
}

/* A benchmark of figure f over the usable runs, or NULL when it is left out (said). */
static json_t *benchmark(struct export *x, json_t *runs, const char *usable, const struct pyperf_figure *f,
                         const char *who)
{
        size_t i, taken = 0, missing = 0, zeros = 0;
        json_t *run, *bruns = json_array(), *b;

        if (!bruns) {
                x->nomem = 1;
                return NULL;
        }
        json_array_foreach(runs, i, run) {
                json_t *fig, *v = NULL;
                int k;

                if (!usable[i])
                        continue;
                fig = json_object_get(run, "figures");
                k = value_of(json_object_get(fig, f->figure), &v);
                if (k < 0) {
                        missing++;
                        continue;
                }
                if (k == 0) {
                        zeros++;
                        continue;
                }
                json_t *r = json_pack("{s:[o], s:o}", "values", v, "metadata",
                                      run_metadata(x, run, i, json_number_value(json_object_get(fig, "wall_s")), who));
                if (!r || json_array_append_new(bruns, r) < 0)
                        x->nomem = 1;
                taken++;
        }
        if (zeros > 0) {
                note(x, x->left_out, "%s: %s left out: %zu of %zu runs measured 0 bytes, and pyperf takes only values "
                     "above 0", who, f->name, zeros, zeros + taken + missing);
                json_decref(bruns);
                return NULL;
        }
        if (taken == 0) {
                if (missing > 0)
                        note(x, x->left_out, "%s: %s left out: no run measured it", who, f->name);
                json_decref(bruns);
                return NULL;
        }
        if (missing > 0)
                note(x, x->left_out, "%s: %s: %zu of %zu runs left out: they did not measure it", who, f->name, missing,
                     missing + taken);
        b = json_pack("{s:{s:s, s:s, s:s}, s:o}", "metadata", "name", f->name, "unit", "byte", "jitmem_figure",
                      f->figure, "runs", bruns);
        if (!b)
                x->nomem = 1;
        return b;
}

/* The label's form in a file name, kept apart from those taken: letters, digits and ". _ + -",
 * others as '_', then "-2", "-3" ... when taken. */
static void suffix_label(struct export *x, const char *label, char *buf, size_t size)
{
        char base[LABEL_MAX + 1];
        size_t i;

        for (i = 0; label[i] && i < LABEL_MAX; i++) {
                char c = label[i];

                base[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                                          c == '_' || c == '+' || c == '-'
                                  ? c
                                  : '_';
        }
        base[i] = '\0';
        snprintf(buf, size, "%s", base[0] ? base : "_");
        for (int k = 2; json_object_get(x->suffixes, buf); k++)
                snprintf(buf, size, "%s-%d", base[0] ? base : "_", k);
        if (json_object_set_new(x->suffixes, buf, json_true()) < 0)
                x->nomem = 1;
}

/* A comparison.json of one interpreter ("jitmem.compare/1"): a file per mode that kept a
 * benchmark. python, machine and version stand in for what doc lacks (a /2 document's). */
static int export_one(struct export *x, json_t *doc, const char *label, json_t *python, json_t *machine,
                      const char *version, const char *what, char *err, size_t err_size)
{
        json_t *runs = json_object_get(doc, "runs");
        char slabel[LABEL_MAX + 16];
        char *usable;

        if (!json_is_object(doc) || !str_of(doc, "schema") || strcmp(str_of(doc, "schema"), COMPARE_SCHEMA) != 0 ||
            !json_is_array(runs)) {
                snprintf(err, err_size, "%s is not a comparison (%s with runs)", what, COMPARE_SCHEMA);
                return -EINVAL;
        }
        if (json_is_object(json_object_get(doc, "python")))
                python = json_object_get(doc, "python");
        if (json_is_object(json_object_get(doc, "machine")))
                machine = json_object_get(doc, "machine");
        if (str_of(doc, "jitmem_version"))
                version = str_of(doc, "jitmem_version");
        if (label)
                suffix_label(x, label, slabel, sizeof(slabel));
        usable = calloc(json_array_size(runs) + 1, 1);
        if (!usable)
                return -ENOMEM;
        for (int on = 0; on < 2; on++) {
                char who[LABEL_MAX * 4 + 32], suffix[sizeof(slabel) + 8];
                json_t *benchmarks, *b, *suite;

                whose(label, modes[on], who, sizeof(who));
                if (usable_runs(x, runs, modes[on], who, usable) == 0)
                        continue;
                benchmarks = json_array();
                if (!benchmarks) {
                        x->nomem = 1;
                        break;
                }
                for (int k = 0; k < PYPERF_FIGURES; k++)
                        if ((b = benchmark(x, runs, usable, &pyperf_figures[k], who)) &&
                            json_array_append_new(benchmarks, b) < 0)
                                x->nomem = 1;
                if (json_array_size(benchmarks) == 0) {
                        note(x, x->left_out, "%s: no file: no figure is left", who);
                        json_decref(benchmarks);
                        continue;
                }
                snprintf(suffix, sizeof(suffix), "%s%s%s", label ? slabel : "", label ? "-" : "", modes[on]);
                suite = json_pack("{s:s, s:o, s:o}", "version", PYPERF_FORMAT_VERSION, "benchmarks", benchmarks,
                                  "metadata", suite_metadata(x, doc, python, machine, version, label, on, who));
                json_t *file = suite ? json_pack("{s:s, s:o, s:s, s:o}", "suffix", suffix, "label",
                                                 label ? jsonout_text(slabel) : json_null(),
                                                 "mode", modes[on], "suite", suite)
                                     : NULL;
                if (!file || json_array_append_new(x->files, file) < 0)
                        x->nomem = 1;
        }
        free(usable);
        return x->nomem ? -ENOMEM : 0;
}

/* A benchmark's values: how many, and whether they are all the same. */
static size_t values_of(json_t *suite, const char *name, int *ret_same)
{
        size_t i, j, n = 0;
        json_t *b, *run;
        double first = 0;

        *ret_same = 1;
        json_array_foreach(json_object_get(suite, "benchmarks"), i, b) {
                if (!str_of(json_object_get(b, "metadata"), "name") ||
                    strcmp(str_of(json_object_get(b, "metadata"), "name"), name) != 0)
                        continue;
                json_array_foreach(json_object_get(b, "runs"), j, run) {
                        double v = json_number_value(json_array_get(json_object_get(run, "values"), 0));

                        if (n++ == 0)
                                first = v;
                        else if (v != first)
                                *ret_same = 0;
                }
        }
        return n;
}

static int same_label(json_t *a, json_t *b)
{
        const char *la = str_of(a, "label"), *lb = str_of(b, "label");

        return la == lb || (la && lb && strcmp(la, lb) == 0);
}

/* Where compare_to of two files (the modes of a label, or a mode of two labels) has no t-test:
 * it prints "ERROR when testing if values are significant" and takes the difference as
 * significant all the same (pyperf/_compare.py). */
static void check_pairs(struct export *x)
{
        size_t i, j;
        json_t *a, *b;

        json_array_foreach(x->files, i, a) {
                json_array_foreach(x->files, j, b) {
                        int modes_differ = strcmp(str_of(a, "mode"), str_of(b, "mode")) != 0;

                        if (j <= i || modes_differ == !same_label(a, b))
                                continue;
                        for (int k = 0; k < PYPERF_FIGURES; k++) {
                                const char *name = pyperf_figures[k].name;
                                int same_a, same_b;
                                size_t na = values_of(json_object_get(a, "suite"), name, &same_a);
                                size_t nb = values_of(json_object_get(b, "suite"), name, &same_b);
                                const char *sa = str_of(a, "suffix"), *sb = str_of(b, "suffix");

                                if (na == 0 || nb == 0)
                                        continue;
                                if (na != nb)
                                        note(x, x->warnings, "%s against %s: %s has %zu values against %zu, and pyperf "
                                             "compare_to's t-test needs as many on each side: it prints an ERROR and "
                                             "takes the difference as significant", sa, sb, name, na, nb);
                                else if (na == 1)
                                        note(x, x->warnings, "%s against %s: %s has one value on each side, too few for "
                                             "pyperf compare_to's t-test: it prints an ERROR and takes the "
                                             "difference as significant", sa, sb, name);
                                else if (same_a && same_b)
                                        note(x, x->warnings, "%s against %s: %s has the same value in every run on both "
                                             "sides, no variance for pyperf compare_to's t-test: it prints an ERROR and "
                                             "takes the difference as significant", sa, sb, name);
                        }
                }
        }
}

/* A document's label: the one given, else a /1 document's interpreter version when there are
 * several documents (its number when it has none), else none. */
static const char *doc_label(json_t *doc, const char *given, size_t index, size_t n, char *buf, size_t size)
{
        const char *v = str_of(json_object_get(doc, "python"), "version");

        if (given)
                return given;
        if (n < 2)
                return NULL;
        if (v && v[0])
                return v;
        snprintf(buf, size, "%zu", index + 1);
        return buf;
}

/* A /2 document: each interpreter's comparison in turn. */
static int export_interpreters(struct export *x, json_t *doc, const char *given, size_t index, char *err,
                               size_t err_size)
{
        json_t *list = json_object_get(doc, "interpreters"), *it;
        size_t i;
        int r;

        if (!json_is_array(list)) {
                snprintf(err, err_size, "comparison %zu (jitmem.compare/2) has no interpreters", index + 1);
                return -EINVAL;
        }
        json_array_foreach(list, i, it) {
                json_t *python = json_object_get(it, "python");
                const char *l = str_of(it, "label"), *v = str_of(python, "version");
                char label[LABEL_MAX * 4 + 8], what[64];

                if (l && l[0])
                        snprintf(label, sizeof(label), "%s%s%s", given ? given : "", given ? "-" : "", l);
                else if (v && v[0])
                        snprintf(label, sizeof(label), "%s%s%s", given ? given : "", given ? "-" : "", v);
                else
                        snprintf(label, sizeof(label), "%s%s%zu", given ? given : "", given ? "-" : "", i + 1);
                snprintf(what, sizeof(what), "interpreter %zu of comparison %zu", i + 1, index + 1);
                r = export_one(x, json_object_get(it, "comparison"), label, python, json_object_get(doc, "machine"),
                               str_of(doc, "jitmem_version"), what, err, err_size);
                if (r < 0)
                        return r;
        }
        return 0;
}

int pyperf_export(json_t *const *docs, const char *const *labels, size_t n, json_t **ret_export, char *err,
                  size_t err_size)
{
        struct export x = { json_array(), json_array(), json_array(), json_object(), 0 };
        int r = 0;

        err[0] = '\0';
        if (!x.files || !x.left_out || !x.warnings || !x.suffixes)
                r = -ENOMEM;
        for (size_t i = 0; r == 0 && i < n; i++) {
                const char *schema = str_of(docs[i], "schema"), *given = labels ? labels[i] : NULL;
                char buf[32], what[32];

                snprintf(what, sizeof(what), "comparison %zu", i + 1);
                if (schema && strcmp(schema, "jitmem.compare/2") == 0)
                        r = export_interpreters(&x, docs[i], given, i, err, err_size);
                else
                        r = export_one(&x, docs[i], doc_label(docs[i], given, i, n, buf, sizeof(buf)), NULL, NULL, NULL,
                                       what, err, err_size);
        }
        if (r == 0)
                check_pairs(&x);
        if (r == 0 && x.nomem)
                r = -ENOMEM;
        json_t *out = r == 0 ? json_pack("{s:O, s:O, s:O}", "files", x.files, "left_out", x.left_out, "warnings",
                                         x.warnings)
                             : NULL;
        if (r == 0 && !out)
                r = -ENOMEM;
        if (r == -ENOMEM)
                snprintf(err, err_size, "out of memory");
        json_decref(x.files);
        json_decref(x.left_out);
        json_decref(x.warnings);
        json_decref(x.suffixes);
        if (r == 0)
                *ret_export = out;
        return r;
}
