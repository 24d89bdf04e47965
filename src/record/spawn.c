#include "spawn.h"
#include "exitcode.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int check_exec(const char *path)
{
        struct stat st;

        if (stat(path, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EACCES;
        if (access(path, X_OK) < 0)
                return -errno;
        return 0;
}

int spawn_resolve(const char *cmd, char *ret_path, size_t size)
{
        const char *path, *p;
        int saw_eacces = 0;

        if (!cmd || !*cmd)
                return -ENOENT;
        if (strchr(cmd, '/')) {
                int r = check_exec(cmd);
                if (r < 0)
                        return r == -ENOTDIR ? -ENOENT : r;
                if (strlen(cmd) >= size)
                        return -ENAMETOOLONG;
                memcpy(ret_path, cmd, strlen(cmd) + 1);
                return 0;
        }
        path = getenv("PATH");
        if (!path)
                path = "/usr/local/bin:/usr/bin:/bin";
        for (p = path;; p++) {
                const char *end = strchr(p, ':');
                size_t dlen = end ? (size_t)(end - p) : strlen(p);
                char buf[4096];
                int n;

                if (dlen == 0)
                        n = snprintf(buf, sizeof(buf), "%s", cmd); /* empty entry: the current dir */
                else
                        n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)dlen, p, cmd);
                if (n > 0 && (size_t)n < sizeof(buf)) {
                        int r = check_exec(buf);
                        if (r == 0) {
                                if ((size_t)n >= size)
                                        return -ENAMETOOLONG;
                                memcpy(ret_path, buf, (size_t)n + 1);
                                return 0;
                        }
                        if (r == -EACCES)
                                saw_eacces = 1;
                }
                if (!end)
                        break;
                p = end;
        }
        return saw_eacces ? -EACCES : -ENOENT;
}

int spawn_pidfd_open(int pid)
{
#ifdef SYS_pidfd_open
        long fd = syscall(SYS_pidfd_open, pid, 0);
        if (fd < 0)
                return -errno;
        int flags = fcntl((int)fd, F_GETFD);
        if (flags >= 0)
                fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
        return (int)fd;
#else
        (void)pid;
        return -ENOSYS;
#endif
}

static void child_exec(const struct spawn_options *o, int err_fd, int go_fd, pid_t parent)
{
        sigset_t none;
        int e;

        /* Killed with jitmem, however jitmem ends (SIGKILL too). The parent may have died
         * before the request was made: then no signal will come, and the child must not run. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
                goto fail;
        if (getppid() != parent)
                _exit(EXIT_CODE_NOT_FOUND);
        if (o->new_pgrp) {
                setpgid(0, 0);
                if (o->foreground) {
                        signal(SIGTTOU, SIG_IGN); /* we are not yet the foreground group */
                        tcsetpgrp(STDIN_FILENO, getpid());
                }
        }
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if ((o->stdin_fd >= 0 && dup2(o->stdin_fd, 0) < 0) ||
            (o->stdout_fd >= 0 && dup2(o->stdout_fd, 1) < 0) ||
            (o->stderr_fd >= 0 && dup2(o->stderr_fd, 2) < 0))
                goto fail;
        if (o->keep_fd > 2) {
                int fl = fcntl(o->keep_fd, F_GETFD);
                if (fl < 0 || fcntl(o->keep_fd, F_SETFD, fl & ~FD_CLOEXEC) < 0)
                        goto fail;
        }
        if (o->cgroup_procs_fd > 2) {
                ssize_t w;
                do
                        w = write(o->cgroup_procs_fd, "0\n", 2);
                while (w < 0 && errno == EINTR);
                if (w != 2) {
                        if (w >= 0)
                                errno = EIO;
                        goto fail;
                }
        }
        if (go_fd >= 0) { /* held: the exec waits for spawn_release(); EOF: jitmem is gone */
                char go;
                ssize_t n;
                do
                        n = read(go_fd, &go, 1);
                while (n < 0 && errno == EINTR);
                if (n != 1)
                        _exit(EXIT_CODE_NOT_FOUND);
        }
        execve(o->path, o->argv, o->envp);
fail:
        e = errno;
        while (write(err_fd, &e, sizeof(e)) < 0 && errno == EINTR)
                ;
        _exit(EXIT_CODE_NOT_FOUND); /* as a shell says it; the parent reads errno from err_fd */
}

int spawn_release(struct spawn_child *c)
{
        int e = 0;
        ssize_t n;

        if (c->go_fd >= 0) {
                do
                        n = write(c->go_fd, "g", 1);
                while (n < 0 && errno == EINTR);
                close(c->go_fd);
                c->go_fd = -1;
        }
        if (c->err_fd < 0)
                return 0;
        do
                n = read(c->err_fd, &e, sizeof(e));
        while (n < 0 && errno == EINTR);
        close(c->err_fd);
        c->err_fd = -1;
        if (n == (ssize_t)sizeof(e)) {
                while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
                        ;
                if (c->pidfd >= 0)
                        close(c->pidfd);
                c->pidfd = -1;
                return -(e ? e : EIO);
        }
        return 0;
}

int spawn_start(const struct spawn_options *o, struct spawn_child *ret)
{
        int pipefd[2], gofd[2] = { -1, -1 }, e = 0;
        pid_t pid, parent = getpid();

        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        if (o->hold && pipe2(gofd, O_CLOEXEC) < 0) {
                e = errno;
                close(pipefd[0]);
                close(pipefd[1]);
                return -e;
        }
        pid = fork();
        if (pid < 0) {
                e = errno;
                close(pipefd[0]);
                close(pipefd[1]);
                if (o->hold) {
                        close(gofd[0]);
                        close(gofd[1]);
                }
                return -e;
        }
        if (pid == 0) {
                close(pipefd[0]);
                if (o->hold)
                        close(gofd[1]);
                child_exec(o, pipefd[1], gofd[0], parent);
        }
        close(pipefd[1]);
        if (o->hold)
                close(gofd[0]);
        if (o->new_pgrp)
                setpgid(pid, pid); /* also here, so the group exists before we signal it */
        struct spawn_child c = { .pid = (int)pid, .pidfd = spawn_pidfd_open((int)pid), .go_fd = gofd[1], .err_fd = pipefd[0] };
        if (c.pidfd < 0)
                c.pidfd = -1;
        e = o->hold ? 0 : spawn_release(&c);
        if (e == 0)
                *ret = c; /* a failed start leaves *ret alone */
        return e;
}

/* A pause of ms milliseconds (async-signal-safe). */
static void guard_sleep_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

/* Sends SIGKILL to each PID listed in path (a cgroup.procs). Returns how many it listed, or -1
 * when it cannot be read. Only async-signal-safe calls; a line longer than a PID is skipped. */
static int guard_kill_listed(const char *path)
{
        char buf[4096];
        long pid = 0;
        int n = 0, fd, digits = 0, bad = 0;
        ssize_t k;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        while ((k = read(fd, buf, sizeof(buf))) > 0 || (k < 0 && errno == EINTR)) {
                for (ssize_t i = 0; i < k; i++) {
                        if (buf[i] >= '0' && buf[i] <= '9' && digits < 9) {
                                pid = pid * 10 + (buf[i] - '0');
                                digits++;
                        } else if (buf[i] == '\n') {
                                if (digits && !bad && pid > 0) {
                                        kill((pid_t)pid, SIGKILL);
                                        n++;
                                }
                                pid = digits = bad = 0;
                        } else {
                                bad = 1;
                        }
                }
        }
        close(fd);
        return n;
}

/* Empties the cgroup at dir (SIGKILL to what it holds until none is left) and removes it, each
 * bounded to about 5 s. Only async-signal-safe calls. */
static void guard_clean_cgroup(const char *dir)
{
        char procs[4096 + 32];
        size_t len = strlen(dir);

        if (len == 0 || len >= 4096)
                return;
        memcpy(procs, dir, len);
        memcpy(procs + len, "/cgroup.procs", sizeof("/cgroup.procs"));
        for (int i = 0; i < 500; i++) {
                int n = guard_kill_listed(procs);
                if (n <= 0)
                        break;
                guard_sleep_ms(10);
        }
        for (int i = 0; i < 500; i++) {
                if (rmdir(dir) == 0 || errno != EBUSY)
                        break;
                guard_kill_listed(procs);
                guard_sleep_ms(10);
        }
}

/* The guard's body: only async-signal-safe calls (jitmem may have threads). fd is its end of
 * the socket pair; cgroup_dir the trial's cgroup to empty and remove, or NULL. */
static void guard_main(int fd, int pgid, const char *cgroup_dir)
{
        static const int quiet[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE };
        struct rlimit rl;
        ssize_t n;
        char c;
        int null;

        for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
                signal(quiet[i], SIG_IGN);
        /* In the group, so that its ID cannot be reused while the guard lives. */
        if (setpgid(0, pgid) < 0)
                _exit(0);
        if (fd != 3 && dup2(fd, 3) < 0)
                _exit(0);
        null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, 0);
                dup2(null, 1);
                dup2(null, 2);
        }
        /* Nothing of jitmem's held open: not its end of the pair (EOF must come when jitmem
         * ends), nor a pipe whose reader waits for every writer to go. */
        if (syscall(SYS_close_range, 4U, ~0U, 0U) < 0) {
                rlim_t max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? rl.rlim_cur : 65536;
                for (rlim_t i = 4; i < max; i++)
                        close((int)i);
        }
        do
                n = read(3, &c, 1);
        while (n < 0 && errno == EINTR);
        if (n != 1) {
                /* jitmem ended without a word: its cgroup's processes go, then the group, the
                 * guard with it */
                if (cgroup_dir)
                        guard_clean_cgroup(cgroup_dir);
                kill(0, SIGKILL);
        }
        _exit(0);
}

int spawn_guard_start(int pgid, struct spawn_guard *ret)
{
        return spawn_guard_start_cgroup(pgid, NULL, ret);
}

int spawn_guard_start_cgroup(int pgid, const char *cgroup_dir, struct spawn_guard *ret)
{
        int sv[2], e;
        pid_t pid;

        if (pgid <= 0)
                return -EINVAL;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return -errno;
        pid = fork();
        if (pid < 0) {
                e = errno;
                close(sv[0]);
                close(sv[1]);
                return -e;
        }
        if (pid == 0)
                guard_main(sv[1], pgid, cgroup_dir && *cgroup_dir ? cgroup_dir : NULL);
        close(sv[1]);
        ret->pid = (int)pid;
        ret->fd = sv[0];
        return 0;
}

int spawn_guard_stop(struct spawn_guard *g)
{
        int st = 0;

        if (!g || g->pid <= 0)
                return 0;
        if (g->fd >= 0) {
                (void)send(g->fd, "x", 1, MSG_NOSIGNAL);
                close(g->fd);
                g->fd = -1;
        }
        while (waitpid(g->pid, &st, 0) < 0 && errno == EINTR)
                ;
        g->pid = 0;
        return 0;
}

char **spawn_env_with(char *const *environ_in, const char *name, const char *value)
{
        size_t n = 0, k = 0, nlen = strlen(name);
        char **out;

        while (environ_in && environ_in[n])
                n++;
        out = calloc(n + 2, sizeof(*out));
        if (!out)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (strncmp(environ_in[i], name, nlen) == 0 && environ_in[i][nlen] == '=')
                        continue;
                out[k] = strdup(environ_in[i]);
                if (!out[k])
                        goto oom;
                k++;
        }
        if (value) {
                size_t len = nlen + strlen(value) + 2;
                out[k] = malloc(len);
                if (!out[k])
                        goto oom;
                snprintf(out[k], len, "%s=%s", name, value);
                k++;
        }
        out[k] = NULL;
        return out;
oom:
        spawn_env_free(out);
        return NULL;
}

void spawn_env_free(char **envp)
{
        if (!envp)
                return;
        for (size_t i = 0; envp[i]; i++)
                free(envp[i]);
        free(envp);
}
