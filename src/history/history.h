/* The history of results: a local SQLite database that compare, fit and run append to, and
 * that `jitmem history`, `--check` and the report read back. docs/history.md says what is
 * stored, the schema and its migrations, and what each failure means.
 *
 * Every function returns >= 0 or -errno and writes one sentence into err on failure; none
 * prints. A failure here never touches the result directory it was given. */
#ifndef JITMEM_HISTORY_H
#define JITMEM_HISTORY_H

#include <jansson.h>
#include <stddef.h>

/* The schema this jitmem writes (PRAGMA user_version). A database of a higher version is
 * refused, never altered. */
#define HISTORY_SCHEMA_VERSION 1

/* How long a writer waits for another one before it gives up (SQLite's busy_timeout). */
#define HISTORY_BUSY_MS 5000

/* history_open's flags: read only (no migration, no WAL switch; a missing file is -ENOENT). */
#define HISTORY_READONLY 1

/* The largest result document read from a directory (comparison.json, fit.json, summary.json). */
#define HISTORY_DOC_MAX (16 << 20)

struct history;

/* The database's path: env (JITMEM_HISTORY_DB) when set and not empty, else
 * $XDG_DATA_HOME/jitmem/history.db, else $HOME/.local/share/jitmem/history.db. Returns 0, or
 * -ENOENT when neither XDG_DATA_HOME nor HOME is set (err says so), -ENAMETOOLONG. */
int history_default_path(char *buf, size_t size, char *err, size_t err_size);

/* Opens path. Without HISTORY_READONLY: its directory is created, the file too, WAL and the
 * busy timeout set, and the migrations up to HISTORY_SCHEMA_VERSION applied in one
 * transaction. With it: the file is opened read only (immutable when its directory cannot be
 * written), nothing is changed. Returns 0 with *ret (free with history_close), or -ENOENT (read
 * only, no file), -ENOTSUP (a newer schema), -EBADMSG (not a database, or corrupt), -EROFS
 * (the file or its directory cannot be written), -EBUSY (locked past HISTORY_BUSY_MS),
 * -ENOSPC, -EIO, -ENOMEM. */
int history_open(const char *path, int flags, struct history **ret, char *err, size_t err_size);

/* Closes h (NULL is fine). */
void history_close(struct history *h);

/* The schema version of the open database (its user_version). */
int history_schema_version(struct history *h);

/* What the caller knows beside the document: the workload's name (NULL: the document's own
 * "workload", else none) and the options as a JSON object (NULL: taken from the document). */
struct history_extra {
        const char *workload;
        json_t *options;
};

/* Appends a comparison: a jitmem.compare/1 document (one row) or a jitmem.compare/2 document
 * (one row per interpreter, its "comparison", sharing an experiment id; the differences
 * between interpreters in the differences table). dir is the comparison directory (its
 * runs/ give the machine and cgroup; stored as an absolute path). Only a complete document is
 * added (-EINVAL otherwise). Each call is one transaction. Returns the number of rows added. */
int history_add_comparison(struct history *h, json_t *doc, const char *dir, const struct history_extra *x, char *err,
                           size_t err_size);

/* Appends a fit (jitmem.fit/1, complete). Returns 1 or -errno. */
int history_add_fit(struct history *h, json_t *doc, const char *dir, const struct history_extra *x, char *err,
                    size_t err_size);

/* Appends a run from its summary.json and meta.json. Returns 1 or -errno. */
int history_add_run(struct history *h, json_t *summary, json_t *meta, const char *dir, const struct history_extra *x,
                    char *err, size_t err_size);

/* Appends what dir holds (comparison.json, fit.json, or summary.json with meta.json), read
 * bounded by HISTORY_DOC_MAX. Returns the number of rows added or -errno. */
int history_add_dir(struct history *h, const char *dir, const struct history_extra *x, char *err, size_t err_size);

/* Which results a query selects; NULL / 0 members select all. */
struct history_filter {
        const char *subject;        /* a workload's name, or a command as history stores it */
        const char *python_version; /* a prefix of whole parts: 3.15 selects 3.15.0rc1, not 3.150 */
        const char *kind;           /* compare, fit or run */
        const char *dir;            /* leaves out the results of this directory */
        size_t limit;               /* the newest this many */
};

/* The selected results, oldest first, as a new JSON array (docs/schemas.md, jitmem.history/1's
 * "results"): each row's columns and its "figures" object. Returns 0 with *ret, or -errno. */
int history_query(struct history *h, const struct history_filter *f, json_t **ret, char *err, size_t err_size);

/* The stored documents of the selected results, oldest first, as a new JSON array of
 * {"id", "python_version", "document" (a jitmem.compare/1, fit.json or a run's summary)}, read in
 * one query; kind defaults to compare. For exporters. */
int history_documents(struct history *h, const struct history_filter *f, json_t **ret, char *err, size_t err_size);

/* Whether version is prefix or begins with it followed by a non-digit. */
int history_version_matches(const char *version, const char *prefix);

/* Orders two Python versions ("3.14.7" < "3.15.0a1" < "3.15.0rc1" < "3.15.0"); NULL last. */
int history_version_cmp(const char *a, const char *b);

/* The rows of rows (history_query's form) ordered by Python version, then date, each with
 * "change" objects: the difference of peak PSS with the JIT on and of the JIT's delta from
 * the row before. Returns a new array, or NULL when out of memory. */
json_t *history_trend(json_t *rows);

/* The judgement of --check over rows (history_query's form, oldest first): for each subject
 * (or only subject when given), its newest comparison against the comparison before it on the
 * same machine. A figure is worse when the newer median lies above the older one's interval
 * (docs/history.md): peak PSS with the JIT on and CPU per unit against the interval of the
 * older result's median with the JIT on, the JIT's delta of peak PSS against the older
 * delta's 95% interval. Returns the number of subjects found worse (>= 0) with *ret the
 * findings (a new array), or -ENOMEM. */
int history_check(json_t *rows, const char *subject, json_t **ret);

/* The subject a document is filed under: its workload's name, else its command's words joined
 * by spaces. Writes "" when it has neither. */
void history_subject_of(json_t *doc, const char *workload, char *buf, size_t size);

#endif
