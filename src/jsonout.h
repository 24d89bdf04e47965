/* JSON forms (jansson) of what jitmem reads: machine, cgroup, interpreter. Shared by
 * `jitmem env --json` and a run's meta.json so that both say the same thing the same way.
 * Sizes are in bytes, durations in seconds; unknown figures are null, never 0. */
#ifndef JITMEM_JSONOUT_H
#define JITMEM_JSONOUT_H

#include <jansson.h>
#include <stdint.h>

#include "cgroup.h"
#include "machine.h"
#include "python_probe.h"

/* Each returns a new reference (NULL when out of memory). */
json_t *jsonout_machine(const struct machine_info *m);
json_t *jsonout_cgroup(const struct cgroup_info *cg);
json_t *jsonout_python(const struct python_info *pi);

/* An integer, or null when !known. */
json_t *jsonout_u64_or_null(int known, uint64_t v);

/* Writes obj to dir/name atomically: a temporary file in dir, fsync, rename.
 * Returns 0 or -errno. */
int jsonout_write_atomic(int dirfd, const char *name, json_t *obj);

/* ISO 8601 UTC time ("2026-11-25T10:00:00.123Z") of a CLOCK_REALTIME value in ns. */
void jsonout_iso8601(uint64_t wall_ns, char *buf, size_t size);

#endif
