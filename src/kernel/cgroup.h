/* The memory and CPU limits of the cgroup a process runs in, for cgroup v1, v2 and the hybrid
 * layout (v1 controllers plus a v2 tree at /sys/fs/cgroup/unified). Everything is read through
 * kfile.h, so a fixture tree set with kfile_set_root() stands in for the real one.
 *
 * Where the files are found: /proc/PID/mountinfo gives each cgroup mount (its mount point and
 * the root of the hierarchy it shows, which differs inside a cgroup namespace); /proc/PID/cgroup
 * gives the process's path in each hierarchy ("0::/path" for v2, "N:memory:/path" for v1). The
 * directory is mount point + (path - mount root). */
#ifndef JITMEM_CGROUP_H
#define JITMEM_CGROUP_H

#include <stdint.h>

#include "kfile.h"

enum cgroup_version {
        CGROUP_NONE,   /* no memory cgroup found */
        CGROUP_V1,     /* v1 controllers only */
        CGROUP_V2,     /* the unified hierarchy only */
        CGROUP_HYBRID, /* v1 controllers (memory among them) and a v2 tree beside them */
        CGROUP_VERSION_MAX
};

/* Bits of cgroup_info.have: which figures were read. A figure whose bit is clear is unknown
 * (the file is missing or unreadable), which is not the same as "no limit". */
enum {
        CGROUP_HAVE_LIMIT = 1 << 0,
        CGROUP_HAVE_USAGE = 1 << 1,
        CGROUP_HAVE_PEAK = 1 << 2,
        CGROUP_HAVE_WORKING_SET = 1 << 3,
        CGROUP_HAVE_OOM_KILLS = 1 << 4,
        CGROUP_HAVE_SWAP_LIMIT = 1 << 5,
        CGROUP_HAVE_CPU = 1 << 6,
        CGROUP_HAVE_SWAP_USAGE = 1 << 7,
};

#define CGROUP_NO_LIMIT UINT64_MAX

struct cgroup_info {
        enum cgroup_version version;
        int memory_on_v2;                /* 1 when the memory controller is on the v2 hierarchy */
        char path[KFILE_PATH_MAX];       /* the process's path in the memory hierarchy, e.g. "/kubepods/pod1/c1" */
        char dir[KFILE_PATH_MAX];        /* its directory, e.g. "/sys/fs/cgroup/kubepods/pod1/c1" (no root prefix) */
        unsigned have;
        uint64_t limit_bytes;            /* effective limit: the smallest of this cgroup and its ancestors; CGROUP_NO_LIMIT if none */
        char limit_dir[KFILE_PATH_MAX];  /* the directory whose limit binds ("" when no limit) */
        uint64_t usage_bytes;            /* v2 memory.current, v1 memory.usage_in_bytes */
        uint64_t peak_bytes;             /* v2 memory.peak (Linux 5.19+), v1 memory.max_usage_in_bytes */
        uint64_t inactive_file_bytes;    /* from memory.stat (v1: total_inactive_file) */
        uint64_t working_set_bytes;      /* usage - inactive_file, floored at 0: what kubelet evicts on */
        uint64_t oom_kills;              /* v2 memory.events oom_kill, v1 memory.oom_control oom_kill */
        uint64_t swap_limit_bytes;       /* v2 memory.swap.max, v1 memsw limit - memory limit (smallest up the tree); CGROUP_NO_LIMIT if none */
        uint64_t swap_usage_bytes;       /* v2 memory.swap.current; v1 memsw usage - usage */
        int64_t cpu_quota_us;            /* -1: no quota */
        uint64_t cpu_period_us;
};

/* Detects the cgroup of pid (0: the calling process, through /proc/self) and reads its memory
 * and CPU figures into *ret, which is written only on success.
 *
 * Version: a v1 mount with the memory controller gives CGROUP_V1, or CGROUP_HYBRID when a
 * cgroup2 mount exists too; otherwise a cgroup2 mount gives CGROUP_V2; otherwise CGROUP_NONE.
 * A hierarchy counts only when /proc/PID/cgroup has a line for it. When a hierarchy is mounted
 * twice, the mount below /sys/fs/cgroup wins.
 *
 * Figures: a missing or malformed file leaves its bit clear and its field at the default
 * (CGROUP_NO_LIMIT for the limits, -1 for the quota, 0 otherwise). "max" and any value of
 * 2^62 or more (v1's PAGE_COUNTER_MAX) mean no limit. The memory and swap limits are the
 * smallest from the cgroup up to the mount point (v1 also uses memory.stat's hierarchical_*
 * figures, which see ancestors above the mount's root; limit_dir is then the cgroup's own
 * directory). CPU comes from the v1 cpu hierarchy when one is mounted, else from cpu.max in
 * the v2 directory; it is the cgroup's own quota, not its ancestors'.
 *
 * A path with ".." (a process outside the reader's cgroup namespace) cannot be reached: the
 * version and path are given, dir stays "" and no figure is read. Paths are resolved in the
 * reader's mount namespace.
 *
 * Returns 0 (with version CGROUP_NONE when there is no memory cgroup to read), -EINVAL for a
 * negative pid or a NULL ret, -ESRCH when /proc/PID is gone, -ENOMEM, or another -errno when
 * /proc/PID/mountinfo or /proc/PID/cgroup cannot be read. Nothing to free. */
int cgroup_detect(int pid, struct cgroup_info *ret);

/* Reads the memory figures of one cgroup directory (without the kfile root), v2 when it has
 * memory.current, v1 when it has memory.usage_in_bytes: for watching a cgroup named by the
 * user rather than found from a process. The limit is the smallest from the directory up to
 * its mount point (from jitmem's own mountinfo; the directory alone when it is not found).
 * version is CGROUP_V2 or CGROUP_V1. Returns 0, -EINVAL (not an absolute path, or ".."),
 * -ENOENT (no such directory), -ENOTSUP (not a memory cgroup directory) or -ENOMEM. */
int cgroup_read_dir(const char *dir, struct cgroup_info *ret);

/* "none", "v1", "v2", "hybrid" ("unknown" for any other value). A static string. */
const char *cgroup_version_name(enum cgroup_version v);

/* Opens the cgroup's current-usage file (v2 memory.current, v1 memory.usage_in_bytes) for
 * repeated reading: keep it open, read it with cgroup_read_usage(). Returns an O_CLOEXEC fd
 * the caller closes, or -errno (-ENOENT when there is no memory cgroup directory). */
int cgroup_open_usage(const struct cgroup_info *cg);

/* Reads the usage in bytes from an fd opened by cgroup_open_usage(), with one pread() at
 * offset 0. Returns 0, or -errno (-EINVAL when the file holds no plain number, -ERANGE when
 * it overflows). */
int cgroup_read_usage(int fd, uint64_t *ret);

#endif
