/* Tells CPython's JIT code apart from everything else in /proc/PID/maps and /proc/PID/smaps.
 *
 * CPython's JIT (3.13+) maps its code as private anonymous memory, writes it, then makes it
 * read+execute: an anonymous executable mapping that is not writable and has no backing file.
 * Rules, in order:
 *   - not executable, or backed by a file (inode != 0, or a path)      -> other
 *   - named [anon:cpython:jit]                                         -> JIT (the name is trusted)
 *   - named [anon:cpython:perf_trampoline]                             -> perf trampoline
 *   - [vdso], [vsyscall] and other [bracketed] kernel mappings         -> other
 *   - writable and executable (libffi closures, other JITs; CPython's JIT never keeps W+X on Linux)
 *                                                                      -> writable+executable
 *   - any other [anon:NAME], or execute-only (--x)                    -> other anonymous executable
 *   - unnamed, read+execute, anonymous                                 -> JIT
 * The kernel merges neighbouring mappings with equal flags, so a "mapping" here is a VMA: one
 * mapping may hold several JIT allocations. */
#ifndef JITMEM_MAPS_H
#define JITMEM_MAPS_H

#include <stddef.h>
#include <stdint.h>

#include "procfs.h"

enum maps_class {
        MAPS_OTHER,
        MAPS_JIT,
        MAPS_PERF_TRAMPOLINE,
        MAPS_EXEC_WX,
        MAPS_EXEC_ANON_OTHER,
        MAPS_CLASS_MAX
};

struct maps_entry {
        uint64_t start;
        uint64_t end;
        char perms[5];
        uint64_t offset; /* in the file mapped (0 for anonymous memory) */
        uint64_t inode;
        const char *name; /* points into the line; not NUL-terminated */
        size_t name_len;
};

/* Parses one maps line ("start-end perms offset dev inode [name]"). Returns 0 or -EINVAL.
 * ret->name points into line. */
int maps_parse_line(const char *line, size_t len, struct maps_entry *ret);

/* Classifies a parsed mapping by the rules above. */
enum maps_class maps_classify(const struct maps_entry *e);

/* A stable lower-case name for a class ("jit", "perf_trampoline", ...). */
const char *maps_class_name(enum maps_class c);

/* Bytes and mapping counts per class, and exec_vm: the bytes of the mappings the kernel counts
 * in VmExe + VmLib (executable and not writable; [vsyscall] lies outside the address space).
 * A walk whose exec_vm differs from status's VmExe + VmLib read around it saw the mappings
 * change under it. */
struct maps_totals {
        uint64_t bytes[MAPS_CLASS_MAX];
        uint32_t count[MAPS_CLASS_MAX];
        uint64_t exec_vm;
};

/* Reads /proc/PID/maps from an open fd (from offset 0) through the caller's buffer and sums
 * each class. Returns 0 or -errno (-ESRCH when the process is gone). */
int maps_scan(int fd, char *buf, size_t cap, struct maps_totals *ret);

/* Sums each class like maps_scan(), but asks the kernel with the PROCMAP_QUERY ioctl (Linux
 * 6.11+) on an open /proc/PID/maps fd for executable mappings only, and for the names of the
 * anonymous ones only: no line of text is formatted (printing every library's path is most of
 * the cost of reading maps). Totals of MAPS_OTHER cover executable mappings only.
 * Returns 0, -ENOTSUP when the kernel lacks the ioctl, or -errno (-ESRCH: process gone). */
int maps_query_exec(int fd, struct maps_totals *ret);

/* Reads /proc/PID/smaps from an open fd: the class totals, the sum over all mappings (what
 * smaps_rollup would say) and the sum over JIT mappings only (their PSS above all).
 * Returns 0 or -errno. Out-parameters are written only on success. */
int maps_scan_smaps(int fd, char *buf, size_t cap, struct maps_totals *ret_totals,
                    struct procfs_mem *ret_all, struct procfs_mem *ret_jit);

#endif
