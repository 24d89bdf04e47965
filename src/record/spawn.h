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
};

struct spawn_child {
        int pid;
        int pidfd; /* -1 where the kernel has no pidfd_open (before Linux 5.3) */
};

/* Starts the program. In the child every signal goes back to its default disposition and the
 * signal mask is emptied. Returns 0 and *ret once the exec has succeeded, or the exec's
 * -errno (the failed child is already reaped). */
int spawn_start(const struct spawn_options *o, struct spawn_child *ret);

/* Opens a pidfd for pid. Returns the fd or -errno. */
int spawn_pidfd_open(int pid);

/* Builds a new environment: environ without any NAME=, plus NAME=value when value != NULL.
 * Returns a NULL-terminated array to free with spawn_env_free(), or NULL when out of memory. */
char **spawn_env_with(char *const *environ_in, const char *name, const char *value);

/* Frees an array from spawn_env_with(). Accepts NULL. */
void spawn_env_free(char **envp);

#endif
