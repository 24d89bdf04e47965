/* Unit tests for src/record/spawn.c: PATH resolution, starting programs without a shell, process
 * groups, redirections, signal state, and environment building. Works in a temporary
 * directory it removes at the end. Run from the repository root. */
#include "spawn.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[64];
static char d0[128], d1[128];

static char a_true[] = "true", a_false[] = "false", a_sleep[] = "sleep", a_5[] = "5";
static char a_echo[] = "echo", a_hello[] = "hello", a_cat[] = "cat", a_env[] = "env";
static char a_sh[] = "sh", a_c[] = "-c", a_err[] = "echo oops >&2", a_x[] = "x";


static void path_in(char *buf, size_t size, const char *dir, const char *name)
{
        snprintf(buf, size, "%s/%s", dir, name);
}

/* d1: prog (0755), noexec (0644), adir/, script (0755, no #!, not ELF).
 * d0: prog (0644), which a PATH search must pass over. */
static int setup(void)
{
        char p[256];

        snprintf(tmpdir, sizeof(tmpdir), "/tmp/jitmem-test-spawn-XXXXXX");
        if (!mkdtemp(tmpdir))
                return -1;
        path_in(d0, sizeof(d0), tmpdir, "d0");
        path_in(d1, sizeof(d1), tmpdir, "d1");
        if (mkdir(d0, 0755) < 0 || mkdir(d1, 0755) < 0)
                return -1;
        path_in(p, sizeof(p), d1, "prog");
        if (unit_write_file(p, "#!/bin/sh\nexit 0\n", 0755) < 0)
                return -1;
        path_in(p, sizeof(p), d1, "noexec");
        if (unit_write_file(p, "#!/bin/sh\nexit 0\n", 0644) < 0)
                return -1;
        path_in(p, sizeof(p), d1, "adir");
        if (mkdir(p, 0755) < 0)
                return -1;
        path_in(p, sizeof(p), d0, "prog");
        if (unit_write_file(p, "#!/bin/sh\nexit 0\n", 0644) < 0)
                return -1;
        return 0;
}

static void teardown(void)
{
        static const char *const d1_files[] = { "prog", "noexec", "script", "marker" };
        char p[256];

        for (size_t i = 0; i < sizeof(d1_files) / sizeof(d1_files[0]); i++) {
                path_in(p, sizeof(p), d1, d1_files[i]);
                unlink(p);
        }
        path_in(p, sizeof(p), d1, "adir");
        rmdir(p);
        path_in(p, sizeof(p), d0, "prog");
        unlink(p);
        rmdir(d0);
        rmdir(d1);
        rmdir(tmpdir);
}

static void test_resolve(void)
{
        char out[4096], want[256], pathvar[512], noexec[256], adir[256], prog[256];
        char *saved = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

        path_in(prog, sizeof(prog), d1, "prog");
        path_in(noexec, sizeof(noexec), d1, "noexec");
        path_in(adir, sizeof(adir), d1, "adir");

        /* A name with a '/' is used as is. */
        CHECK_EQ_INT(spawn_resolve("/bin/true", out, sizeof(out)), 0);
        CHECK_STR(out, "/bin/true");
        CHECK_EQ_INT(spawn_resolve(prog, out, sizeof(out)), 0);
        CHECK_STR(out, prog);
        CHECK_EQ_INT(spawn_resolve("/nonexistent/true", out, sizeof(out)), -ENOENT);
        CHECK_EQ_INT(spawn_resolve(noexec, out, sizeof(out)), -EACCES);
        CHECK_EQ_INT(spawn_resolve(adir, out, sizeof(out)), -EACCES);
        snprintf(want, sizeof(want), "%s/x", prog); /* a file used as a directory */
        CHECK_EQ_INT(spawn_resolve(want, out, sizeof(out)), -ENOENT);
        CHECK_EQ_INT(spawn_resolve("", out, sizeof(out)), -ENOENT);
        CHECK_EQ_INT(spawn_resolve(NULL, out, sizeof(out)), -ENOENT);
        /* The result must fit with its NUL. */
        CHECK_EQ_INT(spawn_resolve("/bin/true", out, 10), 0);
        CHECK_EQ_INT(spawn_resolve("/bin/true", out, 9), -ENAMETOOLONG);

        /* Names on PATH. */
        setenv("PATH", d1, 1);
        memset(out, 0, sizeof(out));
        CHECK_EQ_INT(spawn_resolve("prog", out, sizeof(out)), 0);
        CHECK_STR(out, prog);
        CHECK_EQ_INT(spawn_resolve("noexec", out, sizeof(out)), -EACCES);
        CHECK_EQ_INT(spawn_resolve("adir", out, sizeof(out)), -EACCES);
        CHECK_EQ_INT(spawn_resolve("missing", out, sizeof(out)), -ENOENT);
        CHECK_EQ_INT(spawn_resolve("true", out, sizeof(out)), -ENOENT); /* only PATH is searched */
        CHECK_EQ_INT(spawn_resolve("prog", out, strlen(prog)), -ENAMETOOLONG);
        CHECK_EQ_INT(spawn_resolve("prog", out, strlen(prog) + 1), 0);

        /* A non-executable match earlier on PATH is passed over, as execvp() does. */
        snprintf(pathvar, sizeof(pathvar), "%s:%s", d0, d1);
        setenv("PATH", pathvar, 1);
        CHECK_EQ_INT(spawn_resolve("prog", out, sizeof(out)), 0);
        CHECK_STR(out, prog);
        /* ... and reported when nothing better follows. */
        setenv("PATH", d0, 1);
        CHECK_EQ_INT(spawn_resolve("prog", out, sizeof(out)), -EACCES);
        /* Missing directories and empty entries (the current directory) on the way. */
        snprintf(pathvar, sizeof(pathvar), "/nonexistent::%s:", d1);
        setenv("PATH", pathvar, 1);
        CHECK_EQ_INT(spawn_resolve("prog", out, sizeof(out)), 0);
        CHECK_STR(out, prog);
        /* A name too long for any path. */
        {
                char longname[5000];
                memset(longname, 'n', sizeof(longname) - 1);
                longname[sizeof(longname) - 1] = '\0';
                CHECK_EQ_INT(spawn_resolve(longname, out, sizeof(out)), -ENOENT);
        }

        /* No PATH at all: the default one. */
        unsetenv("PATH");
        CHECK_EQ_INT(spawn_resolve("sh", out, sizeof(out)), 0);
        CHECK(out[0] == '/');
        CHECK(strlen(out) > 3 && strcmp(out + strlen(out) - 3, "/sh") == 0);
        CHECK(access(out, X_OK) == 0);

        if (saved) {
                setenv("PATH", saved, 1);
                free(saved);
        }
}

/* Waits for pid; returns its wait status, or -1. */
static int reap(int pid)
{
        int st;

        while (waitpid(pid, &st, 0) < 0)
                if (errno != EINTR)
                        return -1;
        return st;
}

static void no_children_left(void)
{
        errno = 0;
        CHECK_EQ_INT(waitpid(-1, NULL, WNOHANG), -1);
        CHECK_EQ_INT(errno, ECHILD);
}

static void test_start(void)
{
        char *argv_true[] = { a_true, NULL };
        char *argv_false[] = { a_false, NULL };
        char *argv_x[] = { a_x, NULL };
        char *envp_empty[] = { NULL };
        struct spawn_options o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
        struct spawn_child c, before;
        char p[256];
        int st;

        o.path = "/bin/true";
        o.argv = argv_true;
        o.envp = envp_empty;
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        CHECK(c.pid > 0);
        CHECK(c.pidfd >= 0); /* this kernel has pidfd_open */
        if (c.pidfd >= 0) {
                struct pollfd pfd = { .fd = c.pidfd, .events = POLLIN };
                CHECK(fcntl(c.pidfd, F_GETFD) & FD_CLOEXEC);
                CHECK_EQ_INT(poll(&pfd, 1, 10000), 1); /* readable once the child exits */
                close(c.pidfd);
        }
        st = reap(c.pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

        o.path = "/bin/false";
        o.argv = argv_false;
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        if (c.pidfd >= 0)
                close(c.pidfd);
        st = reap(c.pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);

        /* Failures come back as the exec's errno; the child is reaped, *ret left alone. */
        memset(&c, 0x5a, sizeof(c));
        before = c;
        o.argv = argv_x;
        o.path = "/nonexistent/prog";
        CHECK_EQ_INT(spawn_start(&o, &c), -ENOENT);
        path_in(p, sizeof(p), d1, "noexec");
        o.path = p;
        CHECK_EQ_INT(spawn_start(&o, &c), -EACCES);
        path_in(p, sizeof(p), d1, "adir");
        CHECK_EQ_INT(spawn_start(&o, &c), -EACCES);
        /* A bad redirection fails in the child, before the exec. */
        o.path = "/bin/true";
        o.stdout_fd = 999;
        CHECK_EQ_INT(spawn_start(&o, &c), -EBADF);
        o.stdout_fd = -1;
        CHECK(memcmp(&c, &before, sizeof(c)) == 0);
        no_children_left();
}

/* A file with no #! that is not ELF: execve says ENOEXEC, and nothing hands it to a shell
 * (execvp() would). Its content would leave a marker file if a shell ran it. */
static void test_enoexec(void)
{
        char script[256], marker[256], text[400];
        char *argv_x[] = { a_x, NULL };
        char *envp_empty[] = { NULL };
        struct spawn_options o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
        struct spawn_child c;
        char *argv_sh[] = { a_sh, script, NULL };
        int st;

        path_in(script, sizeof(script), d1, "script");
        path_in(marker, sizeof(marker), d1, "marker");
        snprintf(text, sizeof(text), "/bin/touch %s\n", marker);
        CHECK_EQ_INT(unit_write_file(script, text, 0755), 0);
        unlink(marker);

        o.path = script;
        o.argv = argv_x;
        o.envp = envp_empty;
        memset(&c, 0, sizeof(c));
        CHECK_EQ_INT(spawn_start(&o, &c), -ENOEXEC);
        CHECK(access(marker, F_OK) < 0 && errno == ENOENT);
        no_children_left();

        /* spawn_resolve finds it all the same: it is executable. */
        {
                char out[512];
                CHECK_EQ_INT(spawn_resolve(script, out, sizeof(out)), 0);
        }

        /* The check above means something: a shell does create the marker. */
        o.path = "/bin/sh";
        o.argv = argv_sh;
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        if (c.pidfd >= 0)
                close(c.pidfd);
        st = reap(c.pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK_EQ_INT(access(marker, F_OK), 0);
        unlink(marker);
}

static void test_pgrp(void)
{
        char *argv_sleep[] = { a_sleep, a_5, NULL };
        struct spawn_options o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
        struct spawn_child c;
        int st;

        o.path = "/bin/sleep";
        o.argv = argv_sleep;
        o.envp = environ;
        o.new_pgrp = 1;
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        if (c.pidfd >= 0)
                close(c.pidfd);
        CHECK_EQ_INT(getpgid(c.pid), c.pid);
        CHECK(getpgid(c.pid) != getpgrp());
        /* The group can be signalled as a whole. */
        CHECK_EQ_INT(kill(-c.pid, SIGKILL), 0);
        st = reap(c.pid);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

        o.new_pgrp = 0;
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        if (c.pidfd >= 0)
                close(c.pidfd);
        CHECK_EQ_INT(getpgid(c.pid), getpgrp());
        kill(c.pid, SIGKILL);
        st = reap(c.pid);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

/* A program started by a process that then dies is killed with it (PR_SET_PDEATHSIG): an
 * intermediate process starts `sleep 5` and exits; the sleep, reparented to this test (a
 * subreaper), is killed by SIGKILL rather than ending after 5 s. */
static void test_deathsig(void)
{
        char *argv_sleep[] = { a_sleep, a_5, NULL };
        struct spawn_options o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
        int pfd[2], child = -1, st;
        pid_t mid;

        o.path = "/bin/sleep";
        o.argv = argv_sleep;
        o.envp = environ;
        CHECK_EQ_INT(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
        CHECK_EQ_INT(pipe(pfd), 0);
        mid = fork();
        if (mid == 0) {
                struct spawn_child c;
                close(pfd[0]);
                if (spawn_start(&o, &c) < 0)
                        _exit(1);
                (void)!write(pfd[1], &c.pid, sizeof(c.pid));
                _exit(0);
        }
        close(pfd[1]);
        CHECK_EQ_INT(read(pfd[0], &child, sizeof(child)), (long long)sizeof(child));
        close(pfd[0]);
        st = reap(mid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        if (child > 0) {
                st = reap(child);
                CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        }
        prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
}

/* The guard of a group: when its pair's other end closes without a word (jitmem gone), the
 * whole group is killed, the guard with it; told first (spawn_guard_stop), it leaves the
 * group alone. */
static void test_guard(void)
{
        char *argv_sleep[] = { a_sleep, a_5, NULL };
        struct spawn_options o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
        struct spawn_child c;
        struct spawn_guard g;
        int st;

        o.path = "/bin/sleep";
        o.argv = argv_sleep;
        o.envp = environ;
        o.new_pgrp = 1;
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        if (c.pidfd >= 0)
                close(c.pidfd);
        CHECK_EQ_INT(spawn_guard_start(c.pid, &g), 0);
        CHECK(g.pid > 0 && g.fd >= 0);
        close(g.fd); /* as when jitmem is killed */
        st = reap(g.pid);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        st = reap(c.pid);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        if (c.pidfd >= 0)
                close(c.pidfd);
        CHECK_EQ_INT(spawn_guard_start(c.pid, &g), 0);
        /* it joins the group, and ignores what the group is sent short of SIGKILL */
        for (int i = 0; i < 10000 && getpgid(g.pid) != c.pid; i++)
                usleep(1000);
        CHECK_EQ_INT(getpgid(g.pid), c.pid);
        CHECK_EQ_INT(kill(-c.pid, SIGTERM), 0);
        st = reap(c.pid);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
        CHECK_EQ_INT(kill(g.pid, 0), 0); /* the guard took no notice */
        int gpid = g.pid;
        CHECK_EQ_INT(spawn_guard_stop(&g), 0);
        CHECK_EQ_INT(g.pid, 0);
        CHECK(kill(gpid, 0) < 0 && errno == ESRCH); /* reaped */
        CHECK_EQ_INT(spawn_guard_stop(NULL), 0);
}

/* hold: the child is forked, in its own group, and waits before its exec until spawn_release()
 * (a guard can join the group before the program can fork anything); the write of a marker
 * file shows when the program ran. When jitmem is gone before the release (its end of the
 * pipe closed), the child exits without the exec. A failed exec is told by spawn_release(). */
static void test_hold(void)
{
        char marker[256], script[300];
        char *argv_mark[] = { a_sh, a_c, script, NULL };
        struct spawn_options o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .new_pgrp = 1, .hold = 1 };
        struct spawn_child c;
        int st;

        path_in(marker, sizeof(marker), tmpdir, "held-ran");
        snprintf(script, sizeof(script), "echo ran > %s", marker);
        o.path = "/bin/sh";
        o.argv = argv_mark;
        o.envp = environ;
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        CHECK(c.go_fd >= 0 && c.err_fd >= 0);
        CHECK_EQ_INT(getpgid(c.pid), c.pid); /* its group is there before the exec */
        usleep(200 * 1000);
        CHECK(access(marker, F_OK) < 0); /* held: the program has not run */
        CHECK_EQ_INT(spawn_release(&c), 0);
        CHECK(c.go_fd < 0 && c.err_fd < 0);
        if (c.pidfd >= 0)
                close(c.pidfd);
        st = reap(c.pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        CHECK_EQ_INT(access(marker, F_OK), 0);
        unlink(marker);
        /* jitmem gone before the release: no exec */
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        close(c.go_fd);
        close(c.err_fd);
        if (c.pidfd >= 0)
                close(c.pidfd);
        st = reap(c.pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 127);
        CHECK(access(marker, F_OK) < 0);
        /* a failed exec comes back from the release, the child reaped */
        o.path = "/nonexistent/prog";
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        CHECK_EQ_INT(spawn_release(&c), -ENOENT);
        no_children_left();
}

/* cgroup_procs_fd: the child writes "0\n" to it before the exec (here a plain file stands in
 * for cgroup.procs); one it cannot write to fails the start as an exec would. The guard given a
 * cgroup directory kills what its cgroup.procs lists, then the group. */
static void test_cgroup_fd(void)
{
        static char a_sleep2[] = "sleep", a_60[] = "60";
        char *argv_true[] = { a_true, NULL };
        char *argv_sleep[] = { a_sleep2, a_60, NULL };
        struct spawn_options o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
        struct spawn_child c, other;
        struct spawn_guard g;
        char path[256], dir[256], buf[32];
        int fd, rfd, st;
        ssize_t n;

        path_in(path, sizeof(path), tmpdir, "procs");
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        CHECK(fd > 2);
        o.path = "/bin/true";
        o.argv = argv_true;
        o.envp = environ;
        o.cgroup_procs_fd = fd;
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        st = reap(c.pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        if (c.pidfd >= 0)
                close(c.pidfd);
        close(fd);
        rfd = open(path, O_RDONLY | O_CLOEXEC);
        n = read(rfd, buf, sizeof(buf) - 1);
        close(rfd);
        CHECK_EQ_INT((int)n, 2);
        CHECK(n == 2 && buf[0] == '0' && buf[1] == '\n');

        rfd = open(path, O_RDONLY | O_CLOEXEC); /* not writable: the start fails */
        o.cgroup_procs_fd = rfd;
        CHECK_EQ_INT(spawn_start(&o, &c), -EBADF);
        close(rfd);

        /* the guard with a cgroup: what its cgroup.procs lists is killed too */
        memset(&o, 0, sizeof(o));
        o.stdin_fd = o.stdout_fd = o.stderr_fd = -1;
        o.path = "/bin/sleep";
        o.argv = argv_sleep;
        o.envp = environ;
        o.new_pgrp = 1;
        CHECK_EQ_INT(spawn_start(&o, &other), 0); /* a process of the "cgroup", outside the group */
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        path_in(dir, sizeof(dir), tmpdir, "cg");
        CHECK_EQ_INT(mkdir(dir, 0755), 0);
        snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        dprintf(fd, "%d\n", other.pid);
        close(fd);
        CHECK_EQ_INT(spawn_guard_start_cgroup(c.pid, dir, &g), 0);
        close(g.fd); /* as when jitmem is killed */
        st = reap(g.pid);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        st = reap(other.pid);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        st = reap(c.pid);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        for (int i = 0; i < 2; i++) {
                int pfd = i ? c.pidfd : other.pidfd;
                if (pfd >= 0)
                        close(pfd);
        }
        unlink(path);
        rmdir(dir);
}

/* Reads fd to EOF into buf (NUL-terminated). Returns the length. */
static size_t drain(int fd, char *buf, size_t size)
{
        size_t n = 0;
        ssize_t k;

        while (n + 1 < size && (k = read(fd, buf + n, size - 1 - n)) != 0) {
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        break;
                }
                n += (size_t)k;
        }
        buf[n] = '\0';
        return n;
}

static void test_redirect(void)
{
        char *argv_echo[] = { a_echo, a_hello, NULL };
        char *argv_cat[] = { a_cat, NULL };
        char *argv_env[] = { a_env, NULL };
        char *argv_err[] = { a_sh, a_c, a_err, NULL };
        char foo[] = "FOO=bar", x1[] = "X=1";
        char *envp[] = { foo, x1, NULL };
        struct spawn_options o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
        struct spawn_child c;
        char buf[256];
        int out[2], in[2], st;

        /* stdout into a pipe (made O_CLOEXEC: the dup2 onto 1 must survive the exec). */
        CHECK_EQ_INT(pipe2(out, O_CLOEXEC), 0);
        o.path = "/bin/echo";
        o.argv = argv_echo;
        o.envp = environ;
        o.stdout_fd = out[1];
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        close(out[1]);
        if (c.pidfd >= 0)
                close(c.pidfd);
        CHECK_EQ_INT(drain(out[0], buf, sizeof(buf)), 6);
        CHECK_STR(buf, "hello\n");
        close(out[0]);
        st = reap(c.pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

        /* stdin from one pipe, stdout to another. */
        CHECK_EQ_INT(pipe2(in, O_CLOEXEC), 0);
        CHECK_EQ_INT(pipe2(out, O_CLOEXEC), 0);
        o.path = "/bin/cat";
        o.argv = argv_cat;
        o.stdin_fd = in[0];
        o.stdout_fd = out[1];
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        close(in[0]);
        close(out[1]);
        if (c.pidfd >= 0)
                close(c.pidfd);
        CHECK_EQ_INT(write(in[1], "abc\n", 4), 4);
        close(in[1]);
        CHECK_EQ_INT(drain(out[0], buf, sizeof(buf)), 4);
        CHECK_STR(buf, "abc\n");
        close(out[0]);
        st = reap(c.pid);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

        /* stderr, and only stderr. */
        CHECK_EQ_INT(pipe2(out, O_CLOEXEC), 0);
        o.path = "/bin/sh";
        o.argv = argv_err;
        o.stdin_fd = -1;
        o.stdout_fd = -1;
        o.stderr_fd = out[1];
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        close(out[1]);
        if (c.pidfd >= 0)
                close(c.pidfd);
        CHECK_EQ_INT(drain(out[0], buf, sizeof(buf)), 5);
        CHECK_STR(buf, "oops\n");
        close(out[0]);
        reap(c.pid);

        /* The environment given, exactly. */
        CHECK_EQ_INT(pipe2(out, O_CLOEXEC), 0);
        o.path = "/usr/bin/env";
        o.argv = argv_env;
        o.envp = envp;
        o.stderr_fd = -1;
        o.stdout_fd = out[1];
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        close(out[1]);
        if (c.pidfd >= 0)
                close(c.pidfd);
        drain(out[0], buf, sizeof(buf));
        CHECK_STR(buf, "FOO=bar\nX=1\n");
        close(out[0]);
        reap(c.pid);
}

/* Ignored and blocked signals of the parent do not reach the child. */
static void test_signals(void)
{
        char *argv_sleep[] = { a_sleep, a_5, NULL };
        struct spawn_options o = { .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 };
        struct sigaction ign, old_term;
        sigset_t block, old_mask;
        struct spawn_child c;
        int st;

        memset(&ign, 0, sizeof(ign));
        ign.sa_handler = SIG_IGN;
        sigemptyset(&ign.sa_mask);
        sigaction(SIGTERM, &ign, &old_term);
        sigemptyset(&block);
        sigaddset(&block, SIGINT);
        sigprocmask(SIG_BLOCK, &block, &old_mask);

        o.path = "/bin/sleep";
        o.argv = argv_sleep;
        o.envp = environ;
        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        if (c.pidfd >= 0)
                close(c.pidfd);
        kill(c.pid, SIGTERM);
        st = reap(c.pid);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);

        CHECK_EQ_INT(spawn_start(&o, &c), 0);
        if (c.pidfd >= 0)
                close(c.pidfd);
        kill(c.pid, SIGINT);
        st = reap(c.pid);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGINT);

        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        sigaction(SIGTERM, &old_term, NULL);
}

static void test_pidfd_open(void)
{
        int fd = spawn_pidfd_open(getpid());

        CHECK(fd >= 0);
        if (fd >= 0) {
                CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
                close(fd);
        }
        CHECK_EQ_INT(spawn_pidfd_open(-1), -EINVAL);
        CHECK_EQ_INT(spawn_pidfd_open(0x3fffffff), -ESRCH);
}

static size_t count(char **v)
{
        size_t n = 0;

        while (v[n])
                n++;
        return n;
}

static void test_env_with(void)
{
        char e0[] = "A=1", e1[] = "PATH=/bin", e2[] = "AB=2", e3[] = "A=dup", e4[] = "A", e5[] = "=x";
        char *in[] = { e0, e1, e2, e3, e4, e5, NULL };
        char **out;

        /* Replaces every A=, keeps AB= and a bare "A", appends at the end. */
        out = spawn_env_with(in, "A", "9");
        CHECK(out != NULL);
        if (out) {
                CHECK_EQ_INT(count(out), 5);
                CHECK_STR(out[0], "PATH=/bin");
                CHECK_STR(out[1], "AB=2");
                CHECK_STR(out[2], "A");
                CHECK_STR(out[3], "=x");
                CHECK_STR(out[4], "A=9");
                /* Copies: the input is untouched and independent. */
                CHECK(out[0] != in[1]);
                e1[0] = 'Q';
                CHECK_STR(out[0], "PATH=/bin");
                e1[0] = 'P';
                spawn_env_free(out);
        }
        CHECK_STR(in[0], "A=1");
        CHECK_STR(in[3], "A=dup");

        /* value NULL removes it. */
        out = spawn_env_with(in, "A", NULL);
        CHECK(out != NULL);
        if (out) {
                CHECK_EQ_INT(count(out), 4);
                CHECK_STR(out[0], "PATH=/bin");
                CHECK_STR(out[1], "AB=2");
                spawn_env_free(out);
        }

        /* A name not there: everything kept, the new one added. */
        out = spawn_env_with(in, "NEW", "");
        CHECK(out != NULL);
        if (out) {
                CHECK_EQ_INT(count(out), 7);
                CHECK_STR(out[0], "A=1");
                CHECK_STR(out[5], "=x");
                CHECK_STR(out[6], "NEW=");
                spawn_env_free(out);
        }

        /* A prefix of an existing name is another name. */
        out = spawn_env_with(in, "PAT", "x");
        CHECK(out != NULL);
        if (out) {
                CHECK_EQ_INT(count(out), 7);
                CHECK_STR(out[1], "PATH=/bin");
                CHECK_STR(out[6], "PAT=x");
                spawn_env_free(out);
        }

        /* A value with '=' in it; no input environment. */
        out = spawn_env_with(NULL, "PYTHON_JIT", "a=b");
        CHECK(out != NULL);
        if (out) {
                CHECK_EQ_INT(count(out), 1);
                CHECK_STR(out[0], "PYTHON_JIT=a=b");
                spawn_env_free(out);
        }
        out = spawn_env_with(NULL, "X", NULL);
        CHECK(out != NULL);
        if (out) {
                CHECK_EQ_INT(count(out), 0);
                spawn_env_free(out);
        }
        spawn_env_free(NULL);
}

int main(void)
{
        if (setup() < 0) {
                perror("setup");
                teardown();
                return 1;
        }
        test_resolve();
        test_start();
        test_enoexec();
        test_pgrp();
        test_deathsig();
        test_guard();
        test_hold();
        test_cgroup_fd();
        test_redirect();
        test_signals();
        test_pidfd_open();
        test_env_with();
        teardown();
        return unit_finish("test_spawn");
}
