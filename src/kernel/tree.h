/* Finding the processes of a tree: children of every thread of a process through
 * /proc/PID/task/TID/children, or, where the kernel lacks that file
 * (CONFIG_PROC_CHILDREN=n), a scan of every /proc/PID/stat for its parent. */
#ifndef JITMEM_TREE_H
#define JITMEM_TREE_H

#include <stdint.h>

typedef int (*tree_pid_cb)(int pid, void *userdata);

/* Calls cb for each child of the process whose /proc/PID directory is open as dirfd.
 * threads is its thread count (from stat): with one thread only task/PID/children is read,
 * otherwise every task/TID/children. Returns 0, a non-zero value from cb, -ESRCH when the
 * process is gone. */
int tree_children(int dirfd, int pid, uint64_t threads, tree_pid_cb cb, void *userdata);

/* 1 when this kernel has /proc/PID/task/TID/children files, else 0. */
int tree_have_children_files(void);

/* Scans all of /proc and calls cb(pid, ppid) for every process. Returns 0, cb's non-zero
 * value, or -errno when /proc cannot be listed. */
int tree_scan_all(int (*cb)(int pid, int ppid, void *userdata), void *userdata);

#endif
