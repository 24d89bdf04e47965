/* JSON forms (jansson) of what jitmem reads: machine, cgroup, interpreter. Shared by
 * `jitmem env --json` and a run's meta.json so that both say the same thing the same way.
 * Sizes are in bytes, durations in seconds; unknown figures are null, never 0. */
#ifndef JITMEM_JSONOUT_H
#define JITMEM_JSONOUT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "cgroup.h"
#include "machine.h"
#include "python_probe.h"

/* Each returns a new reference (NULL when out of memory). */
json_t *jsonout_machine(const struct machine_info *m);
json_t *jsonout_cgroup(const struct cgroup_info *cg);
json_t *jsonout_python(const struct python_info *pi);

/* A string from outside jitmem (a process's name, command line or path, a file's text, a
 * command given by the user), made valid UTF-8 by util_utf8_text (each byte that is not UTF-8,
 * and NUL, becomes U+FFFD); null when s is NULL. Every such string goes into JSON through it:
 * json_string() refuses what is not UTF-8, and one refused string loses the whole document.
 * Returns a new reference, NULL only when out of memory. */
json_t *jsonout_text(const char *s);

/* An integer, or null when !known. */
json_t *jsonout_u64_or_null(int known, uint64_t v);

/* A real, or null when v is not finite (NaN: not judged, not measured). */
json_t *jsonout_real_or_null(double v);

/* A real, or null when v is not finite or negative (figures that say "not measured" with -1). */
json_t *jsonout_measured(double v);

/* How every JSON document jitmem writes is dumped (files, stdout, the one-line ticks):
 * reals with 10 significant digits (0.008788213, not 0.0087882129999999996). */
#define JSONOUT_REAL_DIGITS 10
#define JSONOUT_DUMP_FLAGS (JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(JSONOUT_REAL_DIGITS))
#define JSONOUT_DUMP_LINE (JSON_COMPACT | JSON_REAL_PRECISION(JSONOUT_REAL_DIGITS))

/* Integers as integers, throughout obj (in place): a real with a whole value becomes an
 * integer (15207424, not 15207424.0), and so does any real under a key ending in "_bytes"
 * (rounded: a median of byte counts is no more precise than a byte). */
void jsonout_tidy(json_t *obj);

/* jsonout_tidy(), then json_dumps() / json_dumpf() with flags (JSONOUT_DUMP_FLAGS or
 * JSONOUT_DUMP_LINE). */
char *jsonout_dumps(json_t *obj, size_t flags);
int jsonout_dumpf(json_t *obj, FILE *f, size_t flags);

/* Writes obj (tidied, JSONOUT_DUMP_FLAGS) to dir/name atomically: a temporary file in dir, fsync, rename.
 * Returns 0 or -errno: -EINVAL when obj cannot be dumped as JSON. */
int jsonout_write_atomic(int dirfd, const char *name, json_t *obj);

/* ISO 8601 UTC time ("2026-11-25T10:00:00.123Z") of a CLOCK_REALTIME value in ns. */
void jsonout_iso8601(uint64_t wall_ns, char *buf, size_t size);

#endif
