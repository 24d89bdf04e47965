/* Starting programs: fork + execve, never a shell. PATH is searched here, not by execvp(),
 * because execvp() hands a file without a valid format (ENOEXEC) to /bin/sh. */
#ifndef JITMEM_SPAWN_H
#define JITMEM_SPAWN_H

#include <signal.h>
#include <stddef.h>

/* Resolves cmd as execvp() would: a name with '/' is used as is, otherwise each PATH entry is
 * tried. Returns 0 with the path in ret_path, -ENOENT when not found, -EACCES when found but
 * not executable (or a directory), -ENAMETOOLONG. */
int spawn_resolve(const char *cmd, char *ret_path, size_t size);

struct spawn_options {
        const char *path;      /* resolved program (spawn_resolve) */
        char *const *argv;
        char *const *envp;
        int new_pgrp;          /* put the child in a new process group of its own */
        int foreground;        /* with new_pgrp: make the child's group the foreground process group
                                * of the terminal on stdin, so that it can read the terminal and
                                * gets ^C and ^Z from it directly (0: leave the terminal alone) */
        int stdin_fd;          /* -1 to inherit, else dup2()'d onto 0 */
        int stdout_fd;         /* -1 to inherit, else dup2()'d onto 1 */
        int stderr_fd;         /* -1 to inherit, else dup2()'d onto 2 */
        int keep_fd;           /* an fd above 2 that the program inherits (its close-on-exec flag
                                * is cleared in the child); 0: none */
        int cgroup_procs_fd;   /* an fd above 2 on a cgroup's cgroup.procs, open for writing: the
                                * child writes "0\n" to it before the exec, so the program and all
                                * it starts run in that cgroup from their first instruction (a
                                * failed write fails the start as an exec would); 0: none, as
                                * keep_fd (runner.c moves a lower fd above 2) */
        int hold;              /* the child waits, all set up, for spawn_release() before its exec:
                                * what must exist before the program starts (the group's guard)
                                * is made in between; when jitmem dies first, it exits unexec'd */
};

struct spawn_child {
        int pid;
        int pidfd; /* -1 where the kernel has no pidfd_open (before Linux 5.3) */
        int go_fd, err_fd; /* a held child's pipes (-1: none) */
};

/* Starts the program. In the child every signal goes back to its default disposition and the
 * signal mask is emptied, and PR_SET_PDEATHSIG asks for SIGKILL when jitmem dies (checked
 * against the race: a child whose parent is already gone exits before the exec). The kernel
 * sends it when the *thread* that forked ends, so call this from a thread that outlives the
 * child (jitmem starts every program from its main thread). It is not inherited by the
 * program's own children (see spawn_guard_start()), and an exec of a set-user-ID or
 * set-group-ID program, or of one with file capabilities, clears it. Returns 0 and *ret once
 * the exec has succeeded, or the exec's -errno (the failed child is already reaped). */
int spawn_start(const struct spawn_options *o, struct spawn_child *ret);

/* With o->hold, spawn_start() returns 0 once the child is forked, in its group, and waiting;
 * spawn_release() lets it exec and returns 0 once the exec has succeeded, or the exec's -errno
 * (the failed child is then reaped). Either way the child's pipes are closed. */
int spawn_release(struct spawn_child *c);

/* A guard of a process group: a small process forked from jitmem (no exec) that joins the
 * group pgid and holds one end of a socket pair. When jitmem ends without stopping it first
 * (SIGKILL, a crash), the guard reads EOF and sends SIGKILL to the whole group, itself
 * included: the command's own children that stayed in its group die with jitmem too. It
 * ignores the signals a terminal or jitmem send to the group (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT, SIGTSTP) and dies of SIGKILL. Processes that left the group (setsid, setpgid:
 * daemons) are beyond it. Returns 0 and *ret (a guard whose group is already gone exits at
 * once, as it cannot join it), or -errno when it cannot be started. */
struct spawn_guard {
        int pid;        /* 0: none */
        int fd;         /* jitmem's end of the pair; -1: none */
};
int spawn_guard_start(int pgid, struct spawn_guard *ret);

/* The same guard, which also empties and removes the cgroup directory cgroup_dir (a full path,
 * the kfile root included) before it kills the group when jitmem dies without telling it: each
 * PID of its cgroup.procs is sent SIGKILL until the file reads empty, then the directory is
 * removed (both bounded to a few seconds). The guard itself stays outside the cgroup.
 * cgroup_dir NULL or "": spawn_guard_start(). */
int spawn_guard_start_cgroup(int pgid, const char *cgroup_dir, struct spawn_guard *ret);

/* Tells the guard that jitmem ends the run itself (it exits without killing anything) and
 * reaps it, unless it was reaped already (g->pid 0). Accepts NULL. Returns 0. */
int spawn_guard_stop(struct spawn_guard *g);

/* Opens a pidfd for pid. Returns the fd or -errno. */
int spawn_pidfd_open(int pid);

/* Builds a new environment: environ without any NAME=, plus NAME=value when value != NULL.
 * Returns a NULL-terminated array to free with spawn_env_free(), or NULL when out of memory. */
char **spawn_env_with(char *const *environ_in, const char *name, const char *value);

/* Frees an array from spawn_env_with(). Accepts NULL. */
void spawn_env_free(char **envp);

#endif
