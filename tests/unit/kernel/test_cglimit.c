/* Unit tests for src/kernel/cglimit.c: against fixture trees built in a temporary directory (cgroup v2 and v1
 * layouts, whose control files are plain files here, so what was written is read back), against the committed
 * trees of tests/data/cgroup/ for the parent found from jitmem's own cgroup, and, when run as root on a machine
 * with a writable memory hierarchy, against the real one: a process touching 200 MiB under a 64 MiB limit is
 * OOM-killed and counted, and destroy leaves nothing. Run from the repository root. */
#include "cglimit.h"
#include "kfile.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIXTURES "tests/data/cgroup/"

static char tmp[256];

/* tmp + rel, in a static buffer of its own per call slot. */
static const char *at(const char *rel)
{
        static char bufs[4][KFILE_PATH_MAX];
        static int i;

        i = (i + 1) % 4;
        snprintf(bufs[i], sizeof(bufs[i]), "%s%s", tmp, rel);
        return bufs[i];
}

static void mkdirs(const char *rel)
{
        char path[KFILE_PATH_MAX];

        snprintf(path, sizeof(path), "%s", at(rel));
        for (char *s = path + strlen(tmp) + 1; *s; s++) {
                if (*s == '/') {
                        *s = '\0';
                        mkdir(path, 0755);
                        *s = '/';
                }
        }
        mkdir(path, 0755);
}

static void put(const char *rel, const char *text)
{
        CHECK_EQ_INT(unit_write_file(at(rel), text, 0644), 0);
}

/* The file's content, in a static buffer ("(none)" when it cannot be read). */
static const char *get(const char *rel)
{
        static char buf[256];
        int fd = open(at(rel), O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return "(none)";
        n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = '\0';
        return buf;
}

static int is_dir(const char *rel)
{
        struct stat st;

        return stat(at(rel), &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_find_parent_given(void)
{
        struct cglimit_parent p;
        char why[512];

        CHECK_EQ_INT(kfile_set_root(tmp), 0);

        /* v1: recognised by memory.limit_in_bytes */
        mkdirs("/sys/fs/cgroup/memory/jm");
        put("/sys/fs/cgroup/memory/jm/memory.limit_in_bytes", "9223372036854771712\n");
        CHECK_EQ_INT(cglimit_find_parent("/sys/fs/cgroup/memory/jm", &p, why, sizeof(why)), 0);
        CHECK_EQ_INT(p.version, CGROUP_V1);
        CHECK_STR(p.dir, "/sys/fs/cgroup/memory/jm");
        CHECK_STR(why, "");

        /* v2, memory enabled for the children already: nothing written */
        mkdirs("/v2/deleg");
        put("/v2/deleg/cgroup.controllers", "cpu io memory pids\n");
        put("/v2/deleg/cgroup.subtree_control", "cpu memory\n");
        CHECK_EQ_INT(cglimit_find_parent("/v2/deleg", &p, why, sizeof(why)), 0);
        CHECK_EQ_INT(p.version, CGROUP_V2);
        CHECK_STR(p.dir, "/v2/deleg");
        CHECK_STR(get("/v2/deleg/cgroup.subtree_control"), "cpu memory\n");

        /* v2, memory available but not enabled: "+memory" written to cgroup.subtree_control */
        put("/v2/deleg/cgroup.subtree_control", "cpu\n");
        CHECK_EQ_INT(cglimit_find_parent("/v2/deleg", &p, why, sizeof(why)), 0);
        CHECK_EQ_INT(p.version, CGROUP_V2);
        CHECK_STR(get("/v2/deleg/cgroup.subtree_control"), "+memory");

        /* v2 without the memory controller: refused, saying what to do */
        mkdirs("/v2/nomem");
        put("/v2/nomem/cgroup.controllers", "cpu io pids memoryless\n");
        put("/v2/nomem/cgroup.subtree_control", "");
        memset(&p, 0x5a, sizeof(p));
        CHECK_EQ_INT(cglimit_find_parent("/v2/nomem", &p, why, sizeof(why)), -ENOTSUP);
        CHECK(strstr(why, "memory controller is not available in /v2/nomem") != NULL);
        CHECK(strstr(why, "cgroup.subtree_control") != NULL);
        CHECK(strstr(why, "--cgroup-parent DIR") != NULL);
        CHECK_EQ_INT(p.version, 0x5a5a5a5a); /* untouched on failure */
        CHECK_STR(get("/v2/nomem/cgroup.subtree_control"), "");

        /* neither v1 nor v2 */
        mkdirs("/plain");
        CHECK_EQ_INT(cglimit_find_parent("/plain", &p, why, sizeof(why)), -ENOTSUP);
        CHECK(strstr(why, "not a memory cgroup") != NULL);

        /* missing, relative, "..", a file */
        CHECK_EQ_INT(cglimit_find_parent("/no/such", &p, why, sizeof(why)), -ENOENT);
        CHECK(strstr(why, "/no/such") != NULL);
        CHECK_EQ_INT(cglimit_find_parent("v2/deleg", &p, why, sizeof(why)), -EINVAL);
        CHECK(strstr(why, "absolute") != NULL);
        CHECK_EQ_INT(cglimit_find_parent("/v2/../v2/deleg", &p, why, sizeof(why)), -EINVAL);
        CHECK_EQ_INT(cglimit_find_parent("/v2/deleg/..", &p, why, sizeof(why)), -EINVAL);
        CHECK_EQ_INT(cglimit_find_parent("/v2/deleg/cgroup.controllers", &p, why, sizeof(why)), -ENOTDIR);
        /* a name with dots that is not ".." is a name */
        mkdirs("/v2/..a");
        put("/v2/..a/cgroup.controllers", "memory\n");
        put("/v2/..a/cgroup.subtree_control", "memory\n");
        CHECK_EQ_INT(cglimit_find_parent("/v2/..a", &p, why, sizeof(why)), 0);
        CHECK_EQ_INT(cglimit_find_parent("/v2/deleg", NULL, why, sizeof(why)), -EINVAL);
        CHECK_EQ_INT(cglimit_find_parent("/v2/deleg", &p, NULL, 0), 0);
}

/* The parent found from jitmem's own cgroup (/proc/self/{mountinfo,cgroup} of the fixture root). */
static void test_find_parent_own(void)
{
        struct cglimit_parent p;
        char why[512];

        CHECK_EQ_INT(kfile_set_root(FIXTURES "v1"), 0);
        CHECK_EQ_INT(cglimit_find_parent(NULL, &p, why, sizeof(why)), 0);
        CHECK_EQ_INT(p.version, CGROUP_V1);
        CHECK_STR(p.dir, "/sys/fs/cgroup/memory/process_api/201bdd618108422ed7f10c5d4474753b");

        /* hybrid: the v1 memory hierarchy, not the unified tree */
        CHECK_EQ_INT(kfile_set_root(FIXTURES "hybrid"), 0);
        CHECK_EQ_INT(cglimit_find_parent(NULL, &p, why, sizeof(why)), 0);
        CHECK_EQ_INT(p.version, CGROUP_V1);
        CHECK_STR(p.dir, "/sys/fs/cgroup/memory/process_api/201bdd618108422ed7f10c5d4474753b");

        /* no memory cgroup at all */
        CHECK_EQ_INT(kfile_set_root(FIXTURES "none"), 0);
        CHECK_EQ_INT(cglimit_find_parent(NULL, &p, why, sizeof(why)), -ENOTSUP);
        CHECK(strstr(why, "--cgroup-parent DIR") != NULL);

        /* v2: a delegated cgroup with memory for its children; then one without */
        CHECK_EQ_INT(kfile_set_root(tmp), 0);
        mkdirs("/proc/self");
        put("/proc/self/mountinfo",
            "22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n"
            "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw\n");
        put("/proc/self/cgroup", "0::/user.slice/deleg\n");
        mkdirs("/sys/fs/cgroup/user.slice/deleg");
        put("/sys/fs/cgroup/user.slice/deleg/cgroup.controllers", "cpu memory pids\n");
        put("/sys/fs/cgroup/user.slice/deleg/cgroup.subtree_control", "memory\n");
        CHECK_EQ_INT(cglimit_find_parent(NULL, &p, why, sizeof(why)), 0);
        CHECK_EQ_INT(p.version, CGROUP_V2);
        CHECK_STR(p.dir, "/sys/fs/cgroup/user.slice/deleg");
        put("/sys/fs/cgroup/user.slice/deleg/cgroup.controllers", "cpu pids\n");
        CHECK_EQ_INT(cglimit_find_parent(NULL, &p, why, sizeof(why)), -ENOTSUP);
        CHECK(strstr(why, "echo +memory > PARENT/cgroup.subtree_control") != NULL);
        /* jitmem's own cgroup gone from the tree */
        put("/proc/self/cgroup", "0::/user.slice/gone\n");
        CHECK_EQ_INT(cglimit_find_parent(NULL, &p, why, sizeof(why)), -ENOENT);
        CHECK(strstr(why, "/sys/fs/cgroup/user.slice/gone") != NULL);
        CHECK_EQ_INT(kfile_set_root(NULL), 0);
}

static void test_create(void)
{
        struct cglimit_parent p = {.version = CGROUP_V2};
        struct cglimit cg;
        char why[512], name[CGLIMIT_NAME_MAX + 2];

        CHECK_EQ_INT(kfile_set_root(tmp), 0);
        mkdirs("/c2");
        snprintf(p.dir, sizeof(p.dir), "/c2");
        CHECK_EQ_INT(cglimit_create(&p, "jitmem-fit-12-1", &cg, why, sizeof(why)), 0);
        CHECK_EQ_INT(cg.version, CGROUP_V2);
        CHECK_STR(cg.dir, "/c2/jitmem-fit-12-1");
        CHECK(is_dir("/c2/jitmem-fit-12-1"));
        CHECK_EQ_INT(cglimit_create(&p, "jitmem-fit-12-1", &cg, why, sizeof(why)), -EEXIST);
        CHECK(strstr(why, "exists already") != NULL);

        const char *bad[] = {"", ".", "..", ".hidden", "a/b", "../x", "a b", "a\nb", "é"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                why[0] = '\0';
                CHECK_EQ_INT(cglimit_create(&p, bad[i], &cg, why, sizeof(why)), -EINVAL);
                CHECK(strstr(why, "letters, digits") != NULL);
        }
        CHECK_EQ_INT(cglimit_create(&p, NULL, &cg, why, sizeof(why)), -EINVAL);
        CHECK(!is_dir("/x"));

        memset(name, 'n', CGLIMIT_NAME_MAX);
        name[CGLIMIT_NAME_MAX] = '\0';
        CHECK_EQ_INT(cglimit_create(&p, name, &cg, why, sizeof(why)), 0);
        name[CGLIMIT_NAME_MAX] = 'n';
        name[CGLIMIT_NAME_MAX + 1] = '\0';
        CHECK_EQ_INT(cglimit_create(&p, name, &cg, why, sizeof(why)), -EINVAL);

        /* a v1 parent gives v1 groups; a parent that is gone gives -ENOENT */
        p.version = CGROUP_V1;
        CHECK_EQ_INT(cglimit_create(&p, "g1", &cg, why, sizeof(why)), 0);
        CHECK_EQ_INT(cg.version, CGROUP_V1);
        snprintf(p.dir, sizeof(p.dir), "/c2-gone");
        CHECK_EQ_INT(cglimit_create(&p, "g1", &cg, why, sizeof(why)), -ENOENT);
}

static void test_set_limit_v2(void)
{
        struct cglimit cg = {.version = CGROUP_V2, .dir = "/l2"};

        CHECK_EQ_INT(kfile_set_root(tmp), 0);
        mkdirs("/l2");
        put("/l2/memory.max", "max\n");
        put("/l2/memory.swap.max", "max\n");
        CHECK_EQ_INT(cglimit_set_limit(&cg, 64 << 20), 0);
        CHECK_STR(get("/l2/memory.max"), "67108864");
        CHECK_STR(get("/l2/memory.swap.max"), "0");
        CHECK_EQ_INT(cglimit_set_limit(&cg, CGROUP_NO_LIMIT), 0);
        CHECK_STR(get("/l2/memory.max"), "max");
        CHECK_STR(get("/l2/memory.swap.max"), "0");
        CHECK_EQ_INT(cglimit_set_limit(&cg, 0), -EINVAL);
        CHECK_STR(get("/l2/memory.max"), "max");
        /* no swap file (a kernel without swap accounting): the limit set, swap said not limited */
        CHECK_EQ_INT(unlink(at("/l2/memory.swap.max")), 0);
        CHECK_EQ_INT(cglimit_set_limit(&cg, 4096), 1);
        CHECK_STR(get("/l2/memory.max"), "4096");
        CHECK_STR(get("/l2/memory.swap.max"), "(none)");
        /* no memory.max: an error, never a file created */
        CHECK_EQ_INT(unlink(at("/l2/memory.max")), 0);
        CHECK_EQ_INT(cglimit_set_limit(&cg, 4096), -ENOENT);
        CHECK_STR(get("/l2/memory.max"), "(none)");
}

static void test_set_limit_v1(void)
{
        struct cglimit cg = {.version = CGROUP_V1, .dir = "/l1"};

        CHECK_EQ_INT(kfile_set_root(tmp), 0);
        mkdirs("/l1");
        put("/l1/memory.limit_in_bytes", "9223372036854771712\n");
        put("/l1/memory.memsw.limit_in_bytes", "9223372036854771712\n");
        CHECK_EQ_INT(cglimit_set_limit(&cg, 64 << 20), 0);
        CHECK_STR(get("/l1/memory.limit_in_bytes"), "67108864");
        CHECK_STR(get("/l1/memory.memsw.limit_in_bytes"), "67108864");
        CHECK_EQ_INT(cglimit_set_limit(&cg, 32 << 20), 0);
        CHECK_STR(get("/l1/memory.limit_in_bytes"), "33554432");
        CHECK_STR(get("/l1/memory.memsw.limit_in_bytes"), "33554432");
        CHECK_EQ_INT(cglimit_set_limit(&cg, CGROUP_NO_LIMIT), 0);
        CHECK_STR(get("/l1/memory.limit_in_bytes"), "-1");
        CHECK_STR(get("/l1/memory.memsw.limit_in_bytes"), "-1");

        /* The order, seen through a memory.limit_in_bytes that cannot be written (a directory):
         * lowering writes it first, so memsw is left as it was ... */
        CHECK_EQ_INT(unlink(at("/l1/memory.limit_in_bytes")), 0);
        mkdirs("/l1/memory.limit_in_bytes");
        put("/l1/memory.memsw.limit_in_bytes", "9223372036854771712\n");
        CHECK_EQ_INT(cglimit_set_limit(&cg, 64 << 20), -EISDIR);
        CHECK_STR(get("/l1/memory.memsw.limit_in_bytes"), "9223372036854771712\n");
        /* ... raising writes memsw first */
        put("/l1/memory.memsw.limit_in_bytes", "67108864\n");
        CHECK_EQ_INT(cglimit_set_limit(&cg, 128 << 20), -EISDIR);
        CHECK_STR(get("/l1/memory.memsw.limit_in_bytes"), "134217728");
        /* equal to the memsw limit: not raising, the memory limit first */
        put("/l1/memory.memsw.limit_in_bytes", "67108864\n");
        CHECK_EQ_INT(cglimit_set_limit(&cg, 64 << 20), -EISDIR);
        CHECK_STR(get("/l1/memory.memsw.limit_in_bytes"), "67108864\n");
        CHECK_EQ_INT(rmdir(at("/l1/memory.limit_in_bytes")), 0);

        /* swap accounting off: no memsw file, the memory limit alone */
        put("/l1/memory.limit_in_bytes", "9223372036854771712\n");
        CHECK_EQ_INT(unlink(at("/l1/memory.memsw.limit_in_bytes")), 0);
        CHECK_EQ_INT(cglimit_set_limit(&cg, 1 << 20), 1);
        CHECK_STR(get("/l1/memory.limit_in_bytes"), "1048576");
        CHECK_STR(get("/l1/memory.memsw.limit_in_bytes"), "(none)");
        /* a memsw file that holds no number: an error, nothing written */
        put("/l1/memory.memsw.limit_in_bytes", "garbage\n");
        CHECK(cglimit_set_limit(&cg, 2 << 20) < 0);
        CHECK_STR(get("/l1/memory.limit_in_bytes"), "1048576");
}

static void test_read_events(void)
{
        struct cglimit cg2 = {.version = CGROUP_V2, .dir = "/e2"};
        struct cglimit cg1 = {.version = CGROUP_V1, .dir = "/e1"};
        struct cglimit gone = {.version = CGROUP_V2, .dir = "/e-gone"};
        struct cglimit_events ev;

        CHECK_EQ_INT(kfile_set_root(tmp), 0);
        mkdirs("/e2");
        put("/e2/memory.events", "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n");
        put("/e2/memory.peak", "67100672\n");
        CHECK_EQ_INT(cglimit_read_events(&cg2, &ev), 0);
        CHECK_EQ_U64(ev.oom_kills, 1);
        CHECK_EQ_U64(ev.oom, 2);
        CHECK_EQ_U64(ev.max_hits, 12);
        CHECK_EQ_U64(ev.peak_bytes, 67100672);
        CHECK_EQ_U64(ev.have, CGLIMIT_HAVE_OOM_KILLS | CGLIMIT_HAVE_OOM | CGLIMIT_HAVE_MAX_HITS | CGLIMIT_HAVE_PEAK);
        /* memory.peak absent (before Linux 5.19), an events file without oom_kill (before 4.13) */
        CHECK_EQ_INT(unlink(at("/e2/memory.peak")), 0);
        put("/e2/memory.events", "low 0\nhigh 0\nmax 3\noom 1\n");
        CHECK_EQ_INT(cglimit_read_events(&cg2, &ev), 0);
        CHECK_EQ_U64(ev.peak_bytes, 0);
        CHECK_EQ_U64(ev.oom_kills, 0);
        CHECK_EQ_U64(ev.oom, 1);
        CHECK_EQ_U64(ev.have, CGLIMIT_HAVE_OOM | CGLIMIT_HAVE_MAX_HITS);

        mkdirs("/e1");
        put("/e1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
        put("/e1/memory.failcnt", "17\n");
        put("/e1/memory.max_usage_in_bytes", "67108864\n");
        CHECK_EQ_INT(cglimit_read_events(&cg1, &ev), 0);
        CHECK_EQ_U64(ev.oom_kills, 3);
        CHECK_EQ_U64(ev.oom, 0);
        CHECK_EQ_U64(ev.max_hits, 17);
        CHECK_EQ_U64(ev.peak_bytes, 67108864);
        CHECK_EQ_U64(ev.have, CGLIMIT_HAVE_OOM_KILLS | CGLIMIT_HAVE_MAX_HITS | CGLIMIT_HAVE_PEAK);
        /* with swap accounted, the limit's hits are counted in memsw's failcnt too */
        put("/e1/memory.memsw.failcnt", "5\n");
        CHECK_EQ_INT(cglimit_read_events(&cg1, &ev), 0);
        CHECK_EQ_U64(ev.max_hits, 22);
        put("/e1/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\n");
        put("/e1/memory.failcnt", "lots\n");
        CHECK_EQ_INT(cglimit_read_events(&cg1, &ev), 0);
        CHECK_EQ_U64(ev.have, CGLIMIT_HAVE_PEAK);

        CHECK_EQ_INT(cglimit_read_events(&gone, &ev), -ENOENT);
        CHECK_EQ_INT(cglimit_read_events(NULL, &ev), -EINVAL);
}

static void test_procs(void)
{
        struct cglimit cg = {.version = CGROUP_V1, .dir = "/p"};
        struct cglimit gone = {.version = CGROUP_V1, .dir = "/p-gone"};
        int fd;

        CHECK_EQ_INT(kfile_set_root(tmp), 0);
        mkdirs("/p");
        put("/p/cgroup.procs", "12\n34\n");
        CHECK_EQ_INT(cglimit_count_procs(&cg), 2);
        put("/p/cgroup.procs", "");
        CHECK_EQ_INT(cglimit_count_procs(&cg), 0);
        put("/p/cgroup.procs", "12\nx\n");
        CHECK_EQ_INT(cglimit_count_procs(&cg), -EINVAL);
        CHECK_EQ_INT(cglimit_count_procs(&gone), -ENOENT);

        put("/p/cgroup.procs", "");
        fd = cglimit_open_procs(&cg);
        CHECK(fd >= 0);
        if (fd >= 0) {
                CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
                CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY);
                CHECK_EQ_INT(write(fd, "0\n", 2), 2);
                close(fd);
        }
        CHECK_STR(get("/p/cgroup.procs"), "0\n");
        CHECK_EQ_INT(cglimit_open_procs(&gone), -ENOENT);
}

static void test_destroy_and_sweep(void)
{
        struct cglimit_parent p = {.version = CGROUP_V1, .dir = "/s"};
        struct cglimit cg = {.version = CGROUP_V1, .dir = "/s/jitmem-fit-1-0"};

        CHECK_EQ_INT(kfile_set_root(tmp), 0);
        /* a plain empty directory: removed; one already gone: 0 */
        mkdirs("/s/jitmem-fit-1-0");
        CHECK_EQ_INT(cglimit_destroy(&cg, 100), 0);
        CHECK(!is_dir("/s/jitmem-fit-1-0"));
        CHECK_EQ_INT(cglimit_destroy(&cg, 100), 0);
        CHECK_EQ_INT(cglimit_destroy(&cg, -1), -EINVAL);

        /* 4242 is a running jitmem, 4243 a PID reused by another program, 999999 gone */
        mkdirs("/proc/4242");
        put("/proc/4242/comm", "jitmem\n");
        mkdirs("/proc/4243");
        put("/proc/4243/comm", "python3\n");
        mkdirs("/s/jitmem-fit-4242-1");
        mkdirs("/s/jitmem-fit-4243-1");
        mkdirs("/s/jitmem-fit-999999-1");
        mkdirs("/s/jitmem-fit-999999-2");
        mkdirs("/s/jitmem-fit-abc-1");   /* not a PID */
        mkdirs("/s/jitmem-fit-999999");  /* no "-<n>" */
        mkdirs("/s/other");
        CHECK_EQ_INT(cglimit_sweep_stale(&p), 3);
        CHECK(is_dir("/s/jitmem-fit-4242-1"));
        CHECK(!is_dir("/s/jitmem-fit-4243-1"));
        CHECK(!is_dir("/s/jitmem-fit-999999-1"));
        CHECK(!is_dir("/s/jitmem-fit-999999-2"));
        CHECK(is_dir("/s/jitmem-fit-abc-1"));
        CHECK(is_dir("/s/jitmem-fit-999999"));
        CHECK(is_dir("/s/other"));
        CHECK_EQ_INT(cglimit_sweep_stale(&p), 0);
        snprintf(p.dir, sizeof(p.dir), "/s-gone");
        CHECK_EQ_INT(cglimit_sweep_stale(&p), -ENOENT);
}

/* The real memory hierarchy: skipped, saying why, when not root or when none can be written. */
static void test_live(void)
{
        struct cglimit_parent p;
        struct cglimit cg;
        struct cglimit_events ev;
        char why[512], name[64], path[KFILE_PATH_MAX];
        struct stat st;
        int fd, status = 0;
        pid_t pid;

        CHECK_EQ_INT(kfile_set_root(NULL), 0);
        if (geteuid() != 0) {
                printf("SKIP live: not root\n");
                return;
        }
        if (cglimit_find_parent(NULL, &p, why, sizeof(why)) < 0) {
                printf("SKIP live: %s\n", why);
                return;
        }
        snprintf(name, sizeof(name), "jitmem-fit-%d-test", (int)getpid());
        if (cglimit_create(&p, name, &cg, why, sizeof(why)) < 0) {
                printf("SKIP live: %s\n", why);
                return;
        }
        printf("live: %s cgroup %s\n", cgroup_version_name(cg.version), cg.dir);
        CHECK_EQ_INT(cglimit_set_limit(&cg, 64 << 20), 0);
        CHECK_EQ_INT(cglimit_count_procs(&cg), 0);

        /* A child that moves itself in and touches 200 MiB: killed by the OOM killer. */
        fd = cglimit_open_procs(&cg);
        CHECK(fd >= 0);
        pid = fork();
        if (pid == 0) {
                size_t size = (size_t)200 << 20;
                char *m;

                if (write(fd, "0\n", 2) != 2)
                        _exit(3);
                m = malloc(size);
                if (!m)
                        _exit(4);
                for (size_t i = 0; i < size; i += 4096)
                        m[i] = 1;
                _exit(0);
        }
        close(fd);
        CHECK(pid > 0);
        CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        CHECK_EQ_INT(cglimit_read_events(&cg, &ev), 0);
        printf("live: oom_kills %" PRIu64 ", max_hits %" PRIu64 ", peak %" PRIu64 " bytes\n", ev.oom_kills,
               ev.max_hits, ev.peak_bytes);
        CHECK(ev.have & CGLIMIT_HAVE_OOM_KILLS);
        CHECK_EQ_U64(ev.oom_kills, 1);
        /* failcnt is read, not asserted: Linux 6.18's v1 leaves memory.failcnt and
         * memory.memsw.failcnt at 0 however often the limit was hit */
        CHECK(ev.have & CGLIMIT_HAVE_MAX_HITS);
        CHECK(ev.peak_bytes <= (uint64_t)64 << 20 && ev.peak_bytes > (uint64_t)32 << 20);

        /* A child that moves itself in and waits: destroy kills it and removes the group. */
        fd = cglimit_open_procs(&cg);
        CHECK(fd >= 0);
        pid = fork();
        if (pid == 0) {
                if (write(fd, "0\n", 2) != 2)
                        _exit(3);
                for (;;)
                        pause();
        }
        close(fd);
        for (int i = 0; i < 2000 && cglimit_count_procs(&cg) == 0; i++)
                usleep(1000);
        CHECK_EQ_INT(cglimit_count_procs(&cg), 1);
        CHECK_EQ_INT(cglimit_destroy(&cg, 5000), 0);
        CHECK_EQ_INT(waitpid(pid, &status, 0), pid);
        CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        snprintf(path, sizeof(path), "%s", cg.dir);
        CHECK(stat(path, &st) < 0 && errno == ENOENT);
        CHECK_EQ_INT(cglimit_count_procs(&cg), -ENOENT);
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)st;
        (void)ftw;
        return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void cleanup(const char *dir)
{
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
        snprintf(tmp, sizeof(tmp), "/tmp/test_cglimit.XXXXXX");
        if (!mkdtemp(tmp)) {
                perror("mkdtemp");
                return 1;
        }
        test_find_parent_given();
        test_find_parent_own();
        test_create();
        test_set_limit_v2();
        test_set_limit_v1();
        test_read_events();
        test_procs();
        test_destroy_and_sweep();
        test_live();
        cleanup(tmp);
        return unit_finish("test_cglimit");
}
