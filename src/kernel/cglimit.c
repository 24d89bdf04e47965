#include "cglimit.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* The most PIDs one pass of cglimit_destroy() signals; the passes repeat until the group is empty. */
#define KILL_BATCH 1024
/* How long cglimit_sweep_stale() gives each stale group. */
#define SWEEP_TIMEOUT_MS 2000


/* dir + "/" + name into buf, without the kfile root. */
static int join(char *buf, size_t size, const char *dir, const char *name)
{
        int n = snprintf(buf, size, "%s/%s", dir, name);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* root + dir + "/" + name into buf. */
static int full_path(char *buf, size_t size, const char *dir, const char *name)
{
        char rel[KFILE_PATH_MAX];
        int r;

        if (name)
                r = join(rel, sizeof(rel), dir, name);
        else
                r = snprintf(rel, sizeof(rel), "%s", dir) >= (int)sizeof(rel) ? -ENAMETOOLONG : 0;
        if (r < 0)
                return r;
        return kfile_path(buf, size, rel);
}

static int exists(const char *dir, const char *name)
{
        char path[KFILE_PATH_MAX];
        struct stat st;

        if (full_path(path, sizeof(path), dir, name) < 0)
                return 0;
        return stat(path, &st) == 0;
}

/* Writes text to dir/name (opened O_WRONLY|O_TRUNC, never created), in one write, checking the close. */
static int write_file(const char *dir, const char *name, const char *text)
{
        char path[KFILE_PATH_MAX];
        int fd, r;

        r = full_path(path, sizeof(path), dir, name);
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        r = util_write_all(fd, text, strlen(text));
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return r;
}

static ssize_t read_file(const char *dir, const char *name, char *buf, size_t size)
{
        char rel[KFILE_PATH_MAX];
        int r = join(rel, sizeof(rel), dir, name);

        return r < 0 ? r : kfile_read(rel, buf, size);
}

/* Whether the whitespace-separated list in text names word. */
static int has_word(const char *text, const char *word)
{
        size_t n = strlen(word);

        for (const char *s = text; *s;) {
                while (*s == ' ' || *s == '\n' || *s == '\t')
                        s++;
                const char *e = s;
                while (*e && *e != ' ' && *e != '\n' && *e != '\t')
                        e++;
                if ((size_t)(e - s) == n && memcmp(s, word, n) == 0)
                        return 1;
                s = e;
        }
        return 0;
}

/* The value of "key N" in a flat keyed file (memory.events, memory.oom_control). */
static int keyed_u64(const char *text, const char *key, uint64_t *ret)
{
        size_t n = strlen(key);

        for (const char *s = text; *s;) {
                const char *e = strchr(s, '\n');
                size_t len = e ? (size_t)(e - s) : strlen(s);

                if (len > n + 1 && memcmp(s, key, n) == 0 && s[n] == ' ')
                        return util_field_u64(s + n + 1, len - n - 1, ret);
                if (!e)
                        break;
                s = e + 1;
        }
        return -ENOENT;
}

static int read_u64_file(const char *dir, const char *name, uint64_t *ret)
{
        char rel[KFILE_PATH_MAX];
        int r = join(rel, sizeof(rel), dir, name);

        return r < 0 ? r : kfile_read_u64(rel, ret);
}

static int path_ok(const char *dir)
{
        if (dir[0] != '/')
                return 0;
        for (const char *s = dir; (s = strstr(s, "..")); s += 2)
                if ((s == dir || s[-1] == '/') && (s[2] == '\0' || s[2] == '/'))
                        return 0;
        return 1;
}

/* Judges a v2 directory as a parent: the memory controller available to it and enabled for its children. */
static int v2_parent(const char *dir, char *why, size_t why_size)
{
        char buf[1024];
        ssize_t n;
        int r;

        n = read_file(dir, "cgroup.controllers", buf, sizeof(buf));
        if (n < 0) {
                util_say(why, why_size, "cannot read %s/cgroup.controllers (%s)", dir, strerror((int)-n));
                return (int)n;
        }
        if (!has_word(buf, "memory")) {
                util_say(why, why_size,
                    "the memory controller is not available in %s: enable it in its parent's "
                    "cgroup.subtree_control (echo +memory > PARENT/cgroup.subtree_control), or name a "
                    "cgroup that has it with --cgroup-parent DIR",
                    dir);
                return -ENOTSUP;
        }
        n = read_file(dir, "cgroup.subtree_control", buf, sizeof(buf));
        if (n >= 0 && has_word(buf, "memory"))
                return 0;
        r = write_file(dir, "cgroup.subtree_control", "+memory");
        if (r == 0)
                return 0;
        if (r == -EACCES || r == -EPERM) {
                util_say(why, why_size,
                    "cannot enable the memory controller for the children of %s (%s): run as root, or "
                    "name with --cgroup-parent DIR an empty cgroup delegated to you (one with no process of "
                    "its own, memory in its cgroup.controllers)",
                    dir, strerror(-r));
                return r;
        }
        util_say(why, why_size,
            "cannot enable the memory controller in %s/cgroup.subtree_control (%s; a cgroup with "
            "processes of its own cannot have it, and jitmem is in it): name an empty cgroup with "
            "--cgroup-parent DIR (as root: mkdir /sys/fs/cgroup/jitmem-fit, then --cgroup-parent "
            "/sys/fs/cgroup/jitmem-fit)",
            dir, strerror(-r));
        return -ENOTSUP;
}

static int judge_parent(const char *dir, enum cgroup_version hint, struct cglimit_parent *ret, char *why,
                        size_t why_size)
{
        char path[KFILE_PATH_MAX];
        struct stat st;
        int r;

        if (strlen(dir) >= sizeof(ret->dir)) {
                util_say(why, why_size, "the cgroup path is too long");
                return -ENAMETOOLONG;
        }
        r = full_path(path, sizeof(path), dir, NULL);
        if (r < 0) {
                util_say(why, why_size, "the cgroup path is too long");
                return r;
        }
        if (stat(path, &st) < 0) {
                r = -errno;
                util_say(why, why_size, "cannot use %s as the cgroup parent: %s", dir, strerror(-r));
                return r;
        }
        if (!S_ISDIR(st.st_mode)) {
                util_say(why, why_size, "cannot use %s as the cgroup parent: not a directory", dir);
                return -ENOTDIR;
        }
        if (hint != CGROUP_V1 && exists(dir, "cgroup.controllers")) {
                r = v2_parent(dir, why, why_size);
                if (r < 0)
                        return r;
                ret->version = CGROUP_V2;
        } else if (exists(dir, "memory.limit_in_bytes")) {
                ret->version = CGROUP_V1;
        } else {
                util_say(why, why_size,
                    "%s is not a memory cgroup (no cgroup.controllers, no memory.limit_in_bytes): name "
                    "one with --cgroup-parent DIR",
                    dir);
                return -ENOTSUP;
        }
        if (access(path, W_OK) < 0) {
                r = -errno;
                util_say(why, why_size,
                    "cannot create a cgroup in %s (%s): run as root, or name with --cgroup-parent DIR "
                    "an empty cgroup delegated to you (on v2: no process of its own, memory in its "
                    "cgroup.controllers)",
                    dir, strerror(-r));
                return r;
        }
        snprintf(ret->dir, sizeof(ret->dir), "%s", dir);
        return 0;
}

int cglimit_find_parent(const char *parent_dir, struct cglimit_parent *ret, char *why, size_t why_size)
{
        struct cgroup_info info;
        struct cglimit_parent p;
        int r;

        util_say(why, why_size, "%s", "");
        if (!ret)
                return -EINVAL;
        memset(&p, 0, sizeof(p));
        if (parent_dir) {
                if (!path_ok(parent_dir)) {
                        util_say(why, why_size, "the cgroup parent must be an absolute path without \"..\": %s",
                            parent_dir);
                        return -EINVAL;
                }
                r = judge_parent(parent_dir, CGROUP_NONE, &p, why, why_size);
        } else {
                r = cgroup_detect(0, &info);
                if (r < 0) {
                        util_say(why, why_size, "cannot find jitmem's own cgroup (%s): name a parent with "
                            "--cgroup-parent DIR", strerror(-r));
                        return r;
                }
                if (info.version == CGROUP_NONE) {
                        util_say(why, why_size, "no memory cgroup hierarchy is mounted: mount one, or name a "
                            "parent with --cgroup-parent DIR");
                        return -ENOTSUP;
                }
                if (!info.dir[0]) {
                        util_say(why, why_size, "jitmem's own cgroup (%s) cannot be reached from here: name a "
                            "parent with --cgroup-parent DIR", info.path);
                        return -ENOENT;
                }
                r = judge_parent(info.dir, info.version == CGROUP_V2 ? CGROUP_V2 : CGROUP_V1, &p, why,
                                 why_size);
        }
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}

static int name_ok(const char *name)
{
        size_t n = name ? strlen(name) : 0;

        if (n == 0 || n > CGLIMIT_NAME_MAX || name[0] == '.')
                return 0;
        for (size_t i = 0; i < n; i++) {
                char c = name[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-'))
                        return 0;
        }
        return 1;
}

int cglimit_create(const struct cglimit_parent *p, const char *name, struct cglimit *ret, char *why, size_t why_size)
{
        char path[KFILE_PATH_MAX];
        struct cglimit cg;
        int r;

        util_say(why, why_size, "%s", "");
        if (!p || !ret || !p->dir[0])
                return -EINVAL;
        if (!name_ok(name)) {
                util_say(why, why_size, "a cgroup name is 1 to %d letters, digits, '.', '_' or '-', not starting "
                    "with '.'", CGLIMIT_NAME_MAX);
                return -EINVAL;
        }
        memset(&cg, 0, sizeof(cg));
        cg.version = p->version == CGROUP_V2 ? CGROUP_V2 : CGROUP_V1;
        r = join(cg.dir, sizeof(cg.dir), p->dir, name);
        if (r == 0)
                r = kfile_path(path, sizeof(path), cg.dir);
        if (r < 0) {
                util_say(why, why_size, "the cgroup path %s/%s is too long", p->dir, name);
                return r;
        }
        if (mkdir(path, 0755) < 0) {
                r = -errno;
                if (r == -EEXIST)
                        util_say(why, why_size, "the cgroup %s exists already", cg.dir);
                else if (r == -EACCES || r == -EPERM)
                        util_say(why, why_size,
                            "cannot create the cgroup %s (%s): run as root, or name with --cgroup-parent "
                            "DIR an empty cgroup delegated to you",
                            cg.dir, strerror(-r));
                else
                        util_say(why, why_size, "cannot create the cgroup %s: %s", cg.dir, strerror(-r));
                return r;
        }
        *ret = cg;
        return 0;
}

int cglimit_set_limit(const struct cglimit *cg, uint64_t limit_bytes)
{
        char value[32];
        uint64_t memsw;
        int r, memsw_first;

        if (!cg || !cg->dir[0] || limit_bytes == 0)
                return -EINVAL;
        if (cg->version == CGROUP_V2) {
                if (limit_bytes == CGROUP_NO_LIMIT)
                        snprintf(value, sizeof(value), "max");
                else
                        snprintf(value, sizeof(value), "%" PRIu64, limit_bytes);
                r = write_file(cg->dir, "memory.max", value);
                if (r < 0)
                        return r;
                r = write_file(cg->dir, "memory.swap.max", "0");
                return r == -ENOENT ? 1 : r;
        }
        if (limit_bytes == CGROUP_NO_LIMIT)
                snprintf(value, sizeof(value), "-1");
        else
                snprintf(value, sizeof(value), "%" PRIu64, limit_bytes);
        /* The kernel keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes: lowering writes
         * the memory limit first, raising writes memsw first. "max" reads as -ERANGE: no limit. */
        r = read_u64_file(cg->dir, "memory.memsw.limit_in_bytes", &memsw);
        if (r == -ENOENT) {
                r = write_file(cg->dir, "memory.limit_in_bytes", value);
                return r < 0 ? r : 1;
        }
        if (r == -ERANGE)
                memsw = CGROUP_NO_LIMIT;
        else if (r < 0)
                return r;
        memsw_first = limit_bytes > memsw;
        if (memsw_first) {
                r = write_file(cg->dir, "memory.memsw.limit_in_bytes", value);
                if (r < 0)
                        return r;
        }
        r = write_file(cg->dir, "memory.limit_in_bytes", value);
        if (r < 0 || memsw_first)
                return r;
        return write_file(cg->dir, "memory.memsw.limit_in_bytes", value);
}

int cglimit_open_procs(const struct cglimit *cg)
{
        char path[KFILE_PATH_MAX];
        int fd, r;

        if (!cg || !cg->dir[0])
                return -EINVAL;
        r = full_path(path, sizeof(path), cg->dir, "cgroup.procs");
        if (r < 0)
                return r;
        fd = open(path, O_WRONLY | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int cglimit_read_events(const struct cglimit *cg, struct cglimit_events *ret)
{
        struct cglimit_events ev;
        char buf[4096];
        ssize_t n;
        uint64_t v;

        if (!cg || !ret || !cg->dir[0])
                return -EINVAL;
        if (!exists(cg->dir, NULL))
                return -ENOENT;
        memset(&ev, 0, sizeof(ev));
        if (cg->version == CGROUP_V2) {
                n = read_file(cg->dir, "memory.events", buf, sizeof(buf));
                if (n >= 0) {
                        if (keyed_u64(buf, "oom_kill", &v) == 0) {
                                ev.oom_kills = v;
                                ev.have |= CGLIMIT_HAVE_OOM_KILLS;
                        }
                        if (keyed_u64(buf, "oom", &v) == 0) {
                                ev.oom = v;
                                ev.have |= CGLIMIT_HAVE_OOM;
                        }
                        if (keyed_u64(buf, "max", &v) == 0) {
                                ev.max_hits = v;
                                ev.have |= CGLIMIT_HAVE_MAX_HITS;
                        }
                }
                if (read_u64_file(cg->dir, "memory.peak", &v) == 0) {
                        ev.peak_bytes = v;
                        ev.have |= CGLIMIT_HAVE_PEAK;
                }
        } else {
                n = read_file(cg->dir, "memory.oom_control", buf, sizeof(buf));
                if (n >= 0 && keyed_u64(buf, "oom_kill", &v) == 0) {
                        ev.oom_kills = v;
                        ev.have |= CGLIMIT_HAVE_OOM_KILLS;
                }
                /* A charge is tried against memsw first when swap is accounted, so with both
                 * limits equal the hits are counted in memory.memsw.failcnt, not memory.failcnt. */
                if (read_u64_file(cg->dir, "memory.failcnt", &v) == 0) {
                        ev.max_hits = v;
                        ev.have |= CGLIMIT_HAVE_MAX_HITS;
                        if (read_u64_file(cg->dir, "memory.memsw.failcnt", &v) == 0 && v <= UINT64_MAX - ev.max_hits)
                                ev.max_hits += v;
                }
                if (read_u64_file(cg->dir, "memory.max_usage_in_bytes", &v) == 0) {
                        ev.peak_bytes = v;
                        ev.have |= CGLIMIT_HAVE_PEAK;
                }
        }
        *ret = ev;
        return 0;
}

struct pid_list {
        int pids[KILL_BATCH];
        size_t n;
        size_t total;       /* lines seen, past the batch too */
        int bad;            /* a line that is not a PID */
};

static int collect_pid(const char *line, size_t len, void *userdata)
{
        struct pid_list *l = userdata;
        uint64_t v;

        if (len == 0)
                return 0;
        if (util_field_u64(line, len, &v) < 0 || v == 0 || v > INT32_MAX) {
                l->bad = 1;
                return 0;
        }
        l->total++;
        if (l->n < KILL_BATCH)
                l->pids[l->n++] = (int)v;
        return 0;
}

/* Reads cgroup.procs into l. A group whose cgroup.procs is absent (a fixture's plain directory) has none. */
static int read_procs(const char *dir, struct pid_list *l)
{
        char rel[KFILE_PATH_MAX], buf[256];
        int fd, r;

        l->n = l->total = 0;
        l->bad = 0;
        r = join(rel, sizeof(rel), dir, "cgroup.procs");
        if (r < 0)
                return r;
        fd = kfile_open(rel, 0);
        if (fd < 0)
                return fd == -ENOENT && exists(dir, NULL) ? 0 : fd;
        r = kfile_scan_lines(fd, buf, sizeof(buf), collect_pid, l);
        close(fd);
        return r < 0 ? r : 0;
}

int cglimit_count_procs(const struct cglimit *cg)
{
        struct pid_list *l;
        int r;

        if (!cg || !cg->dir[0])
                return -EINVAL;
        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        r = read_procs(cg->dir, l);
        if (r == 0)
                r = l->bad ? -EINVAL : l->total > INT32_MAX ? -ERANGE : (int)l->total;
        free(l);
        return r;
}

static int pidfd_open_(int pid)
{
#ifdef SYS_pidfd_open
        long fd = syscall(SYS_pidfd_open, pid, 0);

        return fd < 0 ? -errno : (int)fd;
#else
        (void)pid;
        return -ENOSYS;
#endif
}

static int pidfd_kill(int pidfd)
{
#ifdef SYS_pidfd_send_signal
        return syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0 ? -errno : 0;
#else
        (void)pidfd;
        return -ENOSYS;
#endif
}

/* One pass: a pidfd for each listed PID, then cgroup.procs again; a PID still listed is the process
 * the pidfd holds (its number cannot be reused while the pidfd is open), and is killed through it. */
static int kill_pass(const char *dir, struct pid_list *a, struct pid_list *b, int *fds)
{
        int r;

        r = read_procs(dir, a);
        if (r < 0 || a->n == 0)
                return r < 0 ? r : 0;
        for (size_t i = 0; i < a->n; i++)
                fds[i] = pidfd_open_(a->pids[i]);
        r = read_procs(dir, b);
        for (size_t i = 0; i < a->n; i++) {
                int listed = 0;

                for (size_t j = 0; r == 0 && j < b->n && !listed; j++)
                        listed = b->pids[j] == a->pids[i];
                if (listed && fds[i] >= 0)
                        (void)pidfd_kill(fds[i]);
                else if (listed && fds[i] == -ENOSYS)
                        (void)kill(a->pids[i], SIGKILL);
                if (fds[i] >= 0)
                        close(fds[i]);
        }
        return r < 0 ? r : (int)a->n;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int cglimit_destroy(const struct cglimit *cg, int timeout_ms)
{
        char path[KFILE_PATH_MAX];
        struct pid_list *a, *b;
        int *fds;
        uint64_t deadline;
        int r, killed_all = 0;

        if (!cg || !cg->dir[0] || timeout_ms < 0)
                return -EINVAL;
        r = kfile_path(path, sizeof(path), cg->dir);
        if (r < 0)
                return r;
        if (!exists(cg->dir, NULL))
                return 0;
        deadline = util_now_ns() + (uint64_t)timeout_ms * 1000000ULL;
        if (cg->version == CGROUP_V2 && exists(cg->dir, "cgroup.kill") && write_file(cg->dir, "cgroup.kill", "1") == 0)
                killed_all = 1;
        a = malloc(sizeof(*a));
        b = malloc(sizeof(*b));
        fds = malloc(KILL_BATCH * sizeof(*fds));
        if (!a || !b || !fds) {
                free(a);
                free(b);
                free(fds);
                return -ENOMEM;
        }
        for (;;) {
                r = killed_all ? read_procs(cg->dir, a) : kill_pass(cg->dir, a, b, fds);
                if (r == 0 && a->n == 0)
                        break;
                if (r < 0 && r != -ENOENT)
                        break;
                if (r == -ENOENT) {
                        r = 0;
                        break;
                }
                if (util_now_ns() >= deadline) {
                        r = -ETIMEDOUT;
                        break;
                }
                sleep_ms(5);
        }
        free(a);
        free(b);
        free(fds);
        if (r < 0)
                return r;
        for (;;) {
                if (rmdir(path) == 0 || errno == ENOENT)
                        return 0;
                r = -errno;
                if (r != -EBUSY || util_now_ns() >= deadline)
                        return r;
                sleep_ms(5);
        }
}

/* Whether pid is a running jitmem: /proc/PID/comm (below the kfile root) is "jitmem". */
static int is_jitmem(uint64_t pid)
{
        char rel[64], comm[64];
        ssize_t n;

        snprintf(rel, sizeof(rel), "/proc/%" PRIu64 "/comm", pid);
        n = kfile_read(rel, comm, sizeof(comm));
        if (n < 0)
                return n == -ENOENT || n == -ESRCH ? 0 : 1; /* unreadable: keep it */
        while (n > 0 && comm[n - 1] == '\n')
                comm[--n] = '\0';
        return strcmp(comm, "jitmem") == 0;
}

int cglimit_sweep_stale(const struct cglimit_parent *p)
{
        char path[KFILE_PATH_MAX];
        const size_t plen = strlen(CGLIMIT_FIT_PREFIX);
        struct dirent *de;
        struct cglimit cg;
        DIR *d;
        int r, removed = 0;

        if (!p || !p->dir[0])
                return -EINVAL;
        r = kfile_path(path, sizeof(path), p->dir);
        if (r < 0)
                return r;
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                const char *name = de->d_name, *dash;
                uint64_t pid;

                if (strncmp(name, CGLIMIT_FIT_PREFIX, plen) != 0 || !name_ok(name))
                        continue;
                dash = strchr(name + plen, '-');
                if (!dash || util_field_u64(name + plen, (size_t)(dash - name - plen), &pid) < 0 || pid == 0 ||
                    pid > INT32_MAX)
                        continue;
                if (is_jitmem(pid))
                        continue;
                memset(&cg, 0, sizeof(cg));
                cg.version = p->version == CGROUP_V2 ? CGROUP_V2 : CGROUP_V1;
                if (join(cg.dir, sizeof(cg.dir), p->dir, name) < 0)
                        continue;
                if (cglimit_destroy(&cg, SWEEP_TIMEOUT_MS) == 0)
                        removed++;
        }
        closedir(d);
        return removed;
}
