/* Parsers for the /proc files jitmem samples. They take a buffer the caller read (see
 * kfile.h), never read anything themselves, check every bound, and write their out-parameter
 * only on success. Sizes come back in bytes. */
#ifndef JITMEM_PROCFS_H
#define JITMEM_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROCFS_COMM_MAX 64

/* /proc/PID/stat, the fields jitmem uses. */
struct procfs_stat {
        int pid;
        char comm[PROCFS_COMM_MAX]; /* as the kernel gives it, at most 63 bytes */
        char state;                 /* R S D Z T t X I ... */
        uint64_t flags;             /* the kernel's PF_* flags (PROCFS_PF_EXITING: tearing down) */
        int ppid;
        int pgrp;
        uint64_t utime_ticks;
        uint64_t stime_ticks;
        uint64_t num_threads;
        uint64_t starttime_ticks; /* since boot, in clock ticks: with the pid, a process's identity */
        uint64_t vsize_bytes;
        uint64_t rss_pages;
};

#define PROCFS_PF_EXITING 0x4 /* include/linux/sched.h: set before the address space is torn down */

/* Parses /proc/PID/stat. comm may contain spaces and parentheses: its end is the last ')'.
 * Returns 0, or -EINVAL on a malformed or truncated line. */
int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *ret);

/* /proc/PID/statm in bytes. shared is RssFile + RssShmem, so resident - shared is RssAnon. */
struct procfs_statm {
        uint64_t size;
        uint64_t resident;
        uint64_t shared;
};

/* Parses /proc/PID/statm with the given page size. Returns 0 or -EINVAL. */
int procfs_parse_statm(const char *buf, size_t len, uint64_t page_size, struct procfs_statm *ret);

/* /proc/PID/status memory lines, in bytes. `have` has a bit per field found (PROCFS_ST_*). */
enum {
        PROCFS_ST_VMSIZE = 1 << 0,
        PROCFS_ST_VMRSS = 1 << 1,
        PROCFS_ST_VMHWM = 1 << 2,
        PROCFS_ST_RSSANON = 1 << 3,
        PROCFS_ST_RSSFILE = 1 << 4,
        PROCFS_ST_RSSSHMEM = 1 << 5,
        PROCFS_ST_VMSWAP = 1 << 6,
        PROCFS_ST_VMEXE = 1 << 7,
        PROCFS_ST_VMLIB = 1 << 8,
};
struct procfs_status {
        uint64_t vm_size;
        uint64_t vm_rss;
        uint64_t vm_hwm;
        uint64_t rss_anon;
        uint64_t rss_file;
        uint64_t rss_shmem;
        uint64_t vm_swap;
        uint64_t vm_exe; /* VmExe + VmLib: every executable, non-writable mapping (JIT code too) */
        uint64_t vm_lib;
        unsigned have;
};

/* Parses /proc/PID/status. Kernel threads and zombies have no Vm lines: have == 0.
 * Returns 0, or -EINVAL when a line it knows is malformed. */
int procfs_parse_status(const char *buf, size_t len, struct procfs_status *ret);

/* The fields of /proc/PID/smaps_rollup (and of each entry of /proc/PID/smaps), in bytes. */
struct procfs_mem {
        uint64_t rss;
        uint64_t pss;
        uint64_t pss_anon;
        uint64_t pss_file;
        uint64_t pss_shmem;
        uint64_t shared_clean;
        uint64_t shared_dirty;
        uint64_t private_clean;
        uint64_t private_dirty;
        uint64_t anonymous;
        uint64_t swap;
        uint64_t swap_pss;
};

/* USS: the pages only this process maps (Private_Clean + Private_Dirty). */
uint64_t procfs_mem_uss(const struct procfs_mem *m);

/* Adds one "Name:   123 kB" line to *acc when Name is a field of struct procfs_mem.
 * Returns 1 when it was one, 0 when the line is some other field, -EINVAL when malformed. */
int procfs_mem_add_line(const char *line, size_t len, struct procfs_mem *acc);

/* Parses a whole smaps_rollup buffer. Returns 0, or -EINVAL when no Rss line was found. */
int procfs_parse_rollup(const char *buf, size_t len, struct procfs_mem *ret);

/* /proc/meminfo, in bytes. */
struct procfs_meminfo {
        uint64_t mem_total;
        uint64_t mem_available;
        uint64_t swap_total;
        uint64_t swap_free;
};

/* Parses /proc/meminfo. Returns 0, or -EINVAL when MemTotal is missing. */
int procfs_parse_meminfo(const char *buf, size_t len, struct procfs_meminfo *ret);

/* Calls cb for every PID in a space-separated list (/proc/PID/task/TID/children).
 * Returns 0, the first non-zero value of cb, or -EINVAL on a malformed entry. */
int procfs_parse_pid_list(const char *buf, size_t len, int (*cb)(int pid, void *userdata),
                          void *userdata);

/* Copies a NUL-separated /proc/PID/cmdline into out as one line: arguments separated by
 * spaces, every other byte as it is (any bytes: util_escape_text before it is printed,
 * jsonout_text before it goes into JSON). Returns the length written. */
size_t procfs_cmdline_to_string(const char *buf, size_t len, char *out, size_t out_size);

#endif
