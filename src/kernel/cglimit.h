/* Memory cgroups that jitmem creates, limits and removes (jitmem fit). Through kfile.h's root, so fixture trees
 * stand in for /sys/fs/cgroup in tests. Nothing here prints: a refusal comes back as -errno and, where the
 * caller can do something about it, a sentence in `why`. */
#ifndef JITMEM_CGLIMIT_H
#define JITMEM_CGLIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"
#include "kfile.h"

/* The longest name cglimit_create() takes. */
#define CGLIMIT_NAME_MAX 128

/* The prefix of the names jitmem fit gives its cgroups ("jitmem-fit-<pid>-<n>"), which
 * cglimit_sweep_stale() looks for. */
#define CGLIMIT_FIT_PREFIX "jitmem-fit-"

/* Bits of cglimit_events.have: which figures were read. */
enum {
        CGLIMIT_HAVE_OOM_KILLS = 1 << 0,
        CGLIMIT_HAVE_OOM = 1 << 1,
        CGLIMIT_HAVE_MAX_HITS = 1 << 2,
        CGLIMIT_HAVE_PEAK = 1 << 3,
};

struct cglimit_parent {
        enum cgroup_version version;        /* CGROUP_V1 (v1 memory hierarchy, also on hybrid) or CGROUP_V2 */
        char dir[KFILE_PATH_MAX];           /* where children are created (no kfile root prefix) */
};

struct cglimit {
        enum cgroup_version version;
        char dir[KFILE_PATH_MAX];           /* the cgroup created (no kfile root prefix) */
};

struct cglimit_events {
        uint64_t oom_kills;                 /* v2 memory.events oom_kill, v1 memory.oom_control oom_kill */
        uint64_t oom;                       /* v2 memory.events oom (0 on v1 where not available) */
        uint64_t max_hits;                  /* v2 memory.events max, v1 memory.failcnt (+ memory.memsw.failcnt) */
        uint64_t peak_bytes;                /* v2 memory.peak (0 when absent), v1 memory.max_usage_in_bytes */
        unsigned have;                      /* CGLIMIT_HAVE_OOM_KILLS, _PEAK, ... bits: what was read */
};

/* Where to create: parent_dir given (absolute; v1 or v2 recognised by its files), else found from jitmem's own
 * cgroup (cgroup.h's cgroup_detect(0)): v1/hybrid: its directory in the memory hierarchy; v2: its directory when
 * "memory" is in its cgroup.subtree_control or can be added there (a delegated or the root cgroup), else refused.
 * On refusal returns -EACCES/-EPERM/-ENOTSUP/-ENOENT with `why` a sentence saying what to do (run as root;
 * `--cgroup-parent DIR` naming an empty delegated cgroup; enable the memory controller
 * in the parent's cgroup.subtree_control). A directory is v2 when it has cgroup.controllers, v1 when it has
 * memory.limit_in_bytes. -EINVAL (why said too) for a parent_dir that is not absolute or has "..". */
int cglimit_find_parent(const char *parent_dir, struct cglimit_parent *ret, char *why, size_t why_size);

/* Creates parent/NAME (NAME given by the caller, e.g. "jitmem-fit-<pid>-<n>"); -EEXIST if it exists. A name is
 * 1 to CGLIMIT_NAME_MAX bytes of letters, digits, '.', '_' and '-', not starting with '.': else -EINVAL. */
int cglimit_create(const struct cglimit_parent *p, const char *name, struct cglimit *ret, char *why, size_t why_size);

/* Sets the memory limit with swap at 0 (v2 memory.max + memory.swap.max=0; v1 memory.limit_in_bytes +
 * memory.memsw.limit_in_bytes = the same, written in the order the kernel accepts: the memory limit first when
 * the new limit is not above the current memsw limit, else memsw first); CGROUP_NO_LIMIT: "max" / -1. Returns 0,
 * 1 when the memory limit was set but swap could not be limited (no swap file: swap accounting is off, which
 * matters only on a machine with swap), or -errno (-EINVAL for a limit of 0). */
int cglimit_set_limit(const struct cglimit *cg, uint64_t limit_bytes);

/* Opens cgroup.procs for writing (O_WRONLY|O_CLOEXEC): a child writes "0\n" to it between fork and exec to move
 * itself in (async-signal-safe). Returns the fd or -errno. */
int cglimit_open_procs(const struct cglimit *cg);

/* Reads the group's OOM and limit figures; a file that is absent leaves its bit clear. Returns 0, or -errno
 * (-ENOENT when the group's directory is gone). */
int cglimit_read_events(const struct cglimit *cg, struct cglimit_events *ret);

/* How many processes are in it (cgroup.procs lines); -errno on failure. */
int cglimit_count_procs(const struct cglimit *cg);

/* SIGKILLs every process in it (v2 cgroup.kill when present, else each PID of cgroup.procs, repeated until empty,
 * bounded to timeout_ms), then rmdir()s it (retrying EBUSY while the kernel finishes, bounded). Returns 0 or -errno
 * (-ETIMEDOUT when processes stayed; a directory already gone is 0). A PID is signalled through a pidfd opened
 * before cgroup.procs is read again, so a PID reused by a process outside the group is never signalled. A
 * process that is a zombie of the caller's leaves the group only when the caller reaps it. */
int cglimit_destroy(const struct cglimit *cg, int timeout_ms);

/* Removes cgroups named "jitmem-fit-<pid>-*" under the parent whose <pid> is no longer a running jitmem (left by a
 * jitmem that was SIGKILLed before its guard could clean up). Returns how many were removed, or -errno. A PID is a
 * running jitmem when /proc/PID/comm (below the kfile root) reads "jitmem". */
int cglimit_sweep_stale(const struct cglimit_parent *p);

#endif
