/* Unit tests for src/kernel/cgroup.c against the fixture trees in tests/data/cgroup/<case>/, each a
 * root with proc/self/{mountinfo,cgroup} and the sys/fs/cgroup files of that layout. Run from
 * the repository root. */
#include "cgroup.h"
#include "kfile.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define FIXTURES "tests/data/cgroup/"

#define ALL_BITS                                                                           \
        (CGROUP_HAVE_LIMIT | CGROUP_HAVE_USAGE | CGROUP_HAVE_PEAK | CGROUP_HAVE_WORKING_SET | \
         CGROUP_HAVE_OOM_KILLS | CGROUP_HAVE_SWAP_LIMIT | CGROUP_HAVE_CPU | CGROUP_HAVE_SWAP_USAGE)

/* Every field of cgroup_info a case expects. Fields whose bit is clear keep their defaults:
 * CGROUP_NO_LIMIT for the limits, -1 for the quota, 0 elsewhere. */
struct expect {
        enum cgroup_version version;
        int memory_on_v2;
        const char *path;
        const char *dir;
        unsigned have;
        uint64_t limit;
        const char *limit_dir;
        uint64_t usage;
        uint64_t peak;
        uint64_t inactive_file;
        uint64_t working_set;
        uint64_t oom_kills;
        uint64_t swap_limit;
        uint64_t swap_usage;
        int64_t cpu_quota;
        uint64_t cpu_period;
};

static void check_case(const char *name, int pid, const struct expect *e)
{
        char root[256];
        struct cgroup_info info;
        int r;

        snprintf(root, sizeof(root), FIXTURES "%s", name);
        CHECK_EQ_INT(kfile_set_root(root), 0);
        memset(&info, 0, sizeof(info));
        r = cgroup_detect(pid, &info);
        if (r != 0)
                fprintf(stderr, "case %s (pid %d): cgroup_detect() = %d\n", name, pid, r);
        CHECK_EQ_INT(r, 0);
        CHECK_STR(cgroup_version_name(info.version), cgroup_version_name(e->version));
        CHECK_EQ_INT(info.memory_on_v2, e->memory_on_v2);
        CHECK_STR(info.path, e->path);
        CHECK_STR(info.dir, e->dir);
        if (info.have != e->have)
                fprintf(stderr, "case %s: have 0x%x, expected 0x%x\n", name, info.have, e->have);
        CHECK_EQ_U64(info.have, e->have);
        CHECK_EQ_U64(info.limit_bytes, e->limit);
        CHECK_STR(info.limit_dir, e->limit_dir);
        CHECK_EQ_U64(info.usage_bytes, e->usage);
        CHECK_EQ_U64(info.peak_bytes, e->peak);
        CHECK_EQ_U64(info.inactive_file_bytes, e->inactive_file);
        CHECK_EQ_U64(info.working_set_bytes, e->working_set);
        CHECK_EQ_U64(info.oom_kills, e->oom_kills);
        CHECK_EQ_U64(info.swap_limit_bytes, e->swap_limit);
        CHECK_EQ_U64(info.swap_usage_bytes, e->swap_usage);
        CHECK_EQ_INT(info.cpu_quota_us, e->cpu_quota);
        CHECK_EQ_U64(info.cpu_period_us, e->cpu_period);
}

/* This machine's layout with the cgroup2 mount taken out: values copied from its files. */
static void test_v1(void)
{
        const struct expect e = {
                .version = CGROUP_V1,
                .path = "/process_api/201bdd618108422ed7f10c5d4474753b",
                .dir = "/sys/fs/cgroup/memory/process_api/201bdd618108422ed7f10c5d4474753b",
                .have = ALL_BITS,
                .limit = CGROUP_NO_LIMIT, /* 9223372036854771712 everywhere */
                .limit_dir = "",
                .usage = 29507584,
                .peak = 36491264,
                .inactive_file = 12791808,
                .working_set = 29507584 - 12791808,
                .oom_kills = 0,
                .swap_limit = CGROUP_NO_LIMIT,
                .swap_usage = 29999104 - 29507584,
                .cpu_quota = -1,
                .cpu_period = 100000,
        };

        check_case("v1", 0, &e);
}

/* Docker on v1: cpu and cpuacct share a hierarchy, 384M of memory and 128M of swap. */
static void test_v1_limited(void)
{
        const struct expect e = {
                .version = CGROUP_V1,
                .path = "/docker/4f1e2d",
                .dir = "/sys/fs/cgroup/memory/docker/4f1e2d",
                .have = ALL_BITS,
                .limit = 402653184,
                .limit_dir = "/sys/fs/cgroup/memory/docker/4f1e2d",
                .usage = 201326592,
                .peak = 398458880,
                .inactive_file = 50331648, /* total_inactive_file, not inactive_file */
                .working_set = 201326592 - 50331648,
                .oom_kills = 3,
                .swap_limit = 536870912 - 402653184,
                .swap_usage = 209715200 - 201326592,
                .cpu_quota = 150000,
                .cpu_period = 100000,
        };

        check_case("v1-limited", 0, &e);
}

/* Inside a v1 container without a cgroup namespace: the mount's root is the container's
 * cgroup, and the binding limit, set above it, shows only in hierarchical_memory_limit.
 * No memsw files (swap accounting off), no oom_kill line (a kernel before 4.13). */
static void test_v1_docker(void)
{
        const struct expect e = {
                .version = CGROUP_V1,
                .path = "/docker/9a8b7c",
                .dir = "/sys/fs/cgroup/memory",
                .have = CGROUP_HAVE_LIMIT | CGROUP_HAVE_USAGE | CGROUP_HAVE_PEAK |
                        CGROUP_HAVE_WORKING_SET | CGROUP_HAVE_CPU,
                .limit = 268435456,
                .limit_dir = "/sys/fs/cgroup/memory",
                .usage = 104857600,
                .peak = 125829120,
                .inactive_file = 16777216,
                .working_set = 104857600 - 16777216,
                .swap_limit = CGROUP_NO_LIMIT,
                .cpu_quota = -1,
                .cpu_period = 100000,
        };

        check_case("v1-docker", 0, &e);
}

/* This machine as captured: v1 memory, a cgroup2 tree on /sys/fs/cgroup/unified. */
static void test_hybrid(void)
{
        const struct expect e = {
                .version = CGROUP_HYBRID,
                .path = "/process_api/201bdd618108422ed7f10c5d4474753b",
                .dir = "/sys/fs/cgroup/memory/process_api/201bdd618108422ed7f10c5d4474753b",
                .have = ALL_BITS,
                .limit = CGROUP_NO_LIMIT,
                .limit_dir = "",
                .usage = 29507584,
                .peak = 36491264,
                .inactive_file = 12791808,
                .working_set = 29507584 - 12791808,
                .oom_kills = 0,
                .swap_limit = CGROUP_NO_LIMIT,
                .swap_usage = 29999104 - 29507584,
                .cpu_quota = -1, /* from the v1 cpu hierarchy */
                .cpu_period = 100000,
        };

        check_case("hybrid", 0, &e);
}

/* A Kubernetes container seen from the host. The pod has the same limit as the container:
 * the closer directory names it. */
static void test_v2(void)
{
        const struct expect e = {
                .version = CGROUP_V2,
                .memory_on_v2 = 1,
                .path = "/kubepods.slice/kubepods-burstable.slice/pod1/cri-abc",
                .dir = "/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/pod1/cri-abc",
                .have = ALL_BITS,
                .limit = 402653184,
                .limit_dir = "/sys/fs/cgroup/kubepods.slice/kubepods-burstable.slice/pod1/cri-abc",
                .usage = 157286400,
                .peak = 301989888,
                .inactive_file = 41943040,
                .working_set = 157286400 - 41943040,
                .oom_kills = 2, /* not oom_group_kill, not oom */
                .swap_limit = 0,
                .swap_usage = 0,
                .cpu_quota = 200000,
                .cpu_period = 100000,
        };

        check_case("v2", 0, &e);
}

/* The child says "max"; its parent's 256M binds, and so does the parent's swap.max. */
static void test_v2_nested(void)
{
        const struct expect e = {
                .version = CGROUP_V2,
                .memory_on_v2 = 1,
                .path = "/app.slice/parent/child",
                .dir = "/sys/fs/cgroup/app.slice/parent/child",
                .have = ALL_BITS,
                .limit = 268435456,
                .limit_dir = "/sys/fs/cgroup/app.slice/parent",
                .usage = 52428800,
                .peak = 73400320,
                .inactive_file = 8388608,
                .working_set = 52428800 - 8388608,
                .oom_kills = 0,
                .swap_limit = 67108864,
                .swap_usage = 1048576,
                .cpu_quota = -1,
                .cpu_period = 100000,
        };

        check_case("v2-nested", 0, &e);
}

/* No limit anywhere; no memory.peak (Linux before 5.19). */
static void test_v2_nolimit(void)
{
        const struct expect e = {
                .version = CGROUP_V2,
                .memory_on_v2 = 1,
                .path = "/user.slice/user-1000.slice/session-3.scope",
                .dir = "/sys/fs/cgroup/user.slice/user-1000.slice/session-3.scope",
                .have = ALL_BITS & ~CGROUP_HAVE_PEAK,
                .limit = CGROUP_NO_LIMIT,
                .limit_dir = "",
                .usage = 734003200,
                .inactive_file = 146800640,
                .working_set = 734003200 - 146800640,
                .oom_kills = 0,
                .swap_limit = CGROUP_NO_LIMIT,
                .swap_usage = 0,
                .cpu_quota = -1,
                .cpu_period = 100000,
        };

        check_case("v2-nolimit", 0, &e);
}

/* Inside a cgroup namespace: path "/", mount root "/", the directory is the mount point.
 * PID 4242 is outside the namespace ("/../sibling"): it cannot be reached, nothing is read. */
static void test_v2_namespace(void)
{
        const struct expect e = {
                .version = CGROUP_V2,
                .memory_on_v2 = 1,
                .path = "/",
                .dir = "/sys/fs/cgroup",
                .have = ALL_BITS,
                .limit = 536870912,
                .limit_dir = "/sys/fs/cgroup",
                .usage = 94371840,
                .peak = 115343360,
                .inactive_file = 20971520,
                .working_set = 94371840 - 20971520,
                .oom_kills = 0,
                .swap_limit = CGROUP_NO_LIMIT,
                .swap_usage = 0,
                .cpu_quota = 50000,
                .cpu_period = 100000,
        };
        const struct expect outside = {
                .version = CGROUP_V2,
                .memory_on_v2 = 1,
                .path = "/../sibling",
                .dir = "",
                .have = 0,
                .limit = CGROUP_NO_LIMIT,
                .limit_dir = "",
                .swap_limit = CGROUP_NO_LIMIT,
                .cpu_quota = -1,
        };

        check_case("v2-namespace", 0, &e);
        check_case("v2-namespace", 4242, &outside);
}

/* A mount point with an escaped space (\040), optional fields, and a decoy mount whose
 * escaped name and source read " - cgroup2 ". */
static void test_v2_escaped(void)
{
        const struct expect e = {
                .version = CGROUP_V2,
                .memory_on_v2 = 1,
                .path = "/app.slice/web.service",
                .dir = "/run/my cgroups/app.slice/web.service",
                .have = CGROUP_HAVE_LIMIT | CGROUP_HAVE_USAGE,
                .limit = 8388608,
                .limit_dir = "/run/my cgroups/app.slice/web.service",
                .usage = 1048576,
                .swap_limit = CGROUP_NO_LIMIT,
                .cpu_quota = -1,
        };

        check_case("v2-escaped", 0, &e);
}

/* The mount under /sys/fs/cgroup is preferred to an earlier one elsewhere, and shows
 * another cgroup (/kubepods/pod1/c1) than the process's. Mount point + path exists for
 * self; for PID 77 it does not, and the mount point itself is used. */
static void test_v2_moved(void)
{
        const struct expect self = {
                .version = CGROUP_V2,
                .memory_on_v2 = 1,
                .path = "/kubepods/pod1/c2",
                .dir = "/sys/fs/cgroup/kubepods/pod1/c2",
                .have = CGROUP_HAVE_LIMIT | CGROUP_HAVE_USAGE,
                .limit = 33554432,
                .limit_dir = "/sys/fs/cgroup",
                .usage = 2097152,
                .swap_limit = CGROUP_NO_LIMIT,
                .cpu_quota = -1,
        };
        const struct expect other = {
                .version = CGROUP_V2,
                .memory_on_v2 = 1,
                .path = "/elsewhere/x",
                .dir = "/sys/fs/cgroup",
                .have = CGROUP_HAVE_LIMIT | CGROUP_HAVE_USAGE,
                .limit = 33554432,
                .limit_dir = "/sys/fs/cgroup",
                .usage = 4194304,
                .swap_limit = CGROUP_NO_LIMIT,
                .cpu_quota = -1,
        };

        check_case("v2-moved", 0, &self);
        check_case("v2-moved", 77, &other);
}

/* Junk lines in mountinfo and cgroup, junk in every file: found, but nothing read. */
static void test_malformed(void)
{
        const struct expect v2 = {
                .version = CGROUP_V2,
                .memory_on_v2 = 1,
                .path = "/broken.slice/app",
                .dir = "/sys/fs/cgroup/broken.slice/app",
                .have = 0,
                .limit = CGROUP_NO_LIMIT,
                .limit_dir = "",
                .swap_limit = CGROUP_NO_LIMIT,
                .cpu_quota = -1,
        };
        const struct expect v1 = {
                .version = CGROUP_V1,
                .path = "/lxc/bad",
                .dir = "/sys/fs/cgroup/memory/lxc/bad",
                .have = 0,
                .limit = CGROUP_NO_LIMIT,
                .limit_dir = "",
                .swap_limit = CGROUP_NO_LIMIT,
                .cpu_quota = -1,
        };

        check_case("malformed", 0, &v2);
        check_case("v1-malformed", 0, &v1);
}

static void test_none(void)
{
        const struct expect e = {
                .version = CGROUP_NONE,
                .path = "",
                .dir = "",
                .have = 0,
                .limit = CGROUP_NO_LIMIT,
                .limit_dir = "",
                .swap_limit = CGROUP_NO_LIMIT,
                .cpu_quota = -1,
        };

        check_case("none", 0, &e);
}

/* Errors leave the out-parameter alone. */
static void test_errors(void)
{
        struct cgroup_info info, before;

        memset(&info, 0x5a, sizeof(info));
        before = info;
        CHECK_EQ_INT(kfile_set_root(FIXTURES "no-such-case"), 0);
        CHECK_EQ_INT(cgroup_detect(0, &info), -ENOENT);
        CHECK(memcmp(&info, &before, sizeof(info)) == 0);

        CHECK_EQ_INT(kfile_set_root(FIXTURES "v2"), 0);
        CHECK_EQ_INT(cgroup_detect(999999, &info), -ESRCH); /* no proc/999999: gone */
        CHECK(memcmp(&info, &before, sizeof(info)) == 0);
        CHECK_EQ_INT(cgroup_detect(-1, &info), -EINVAL);
        CHECK_EQ_INT(cgroup_detect(0, NULL), -EINVAL);
        CHECK(memcmp(&info, &before, sizeof(info)) == 0);
}

static void test_version_name(void)
{
        CHECK_STR(cgroup_version_name(CGROUP_NONE), "none");
        CHECK_STR(cgroup_version_name(CGROUP_V1), "v1");
        CHECK_STR(cgroup_version_name(CGROUP_V2), "v2");
        CHECK_STR(cgroup_version_name(CGROUP_HYBRID), "hybrid");
        CHECK_STR(cgroup_version_name(CGROUP_VERSION_MAX), "unknown");
}

/* Detects the case and reads its usage through cgroup_open_usage() twice on one fd. */
static void check_usage(const char *name, int want_open, int want_read, uint64_t want)
{
        char root[256];
        struct cgroup_info info;
        uint64_t v = 12345;
        int fd;

        snprintf(root, sizeof(root), FIXTURES "%s", name);
        CHECK_EQ_INT(kfile_set_root(root), 0);
        CHECK_EQ_INT(cgroup_detect(0, &info), 0);
        fd = cgroup_open_usage(&info);
        if (want_open < 0) {
                CHECK_EQ_INT(fd, want_open);
                if (fd >= 0)
                        close(fd);
                return;
        }
        CHECK(fd >= 0);
        if (fd < 0)
                return;
        CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
        for (int i = 0; i < 2; i++) {
                CHECK_EQ_INT(cgroup_read_usage(fd, &v), want_read);
                CHECK_EQ_U64(v, want_read == 0 ? want : 12345);
        }
        close(fd);
}

static void test_usage_fd(void)
{
        struct cgroup_info info;
        uint64_t v = 7;

        check_usage("v2", 0, 0, 157286400);
        check_usage("v1-limited", 0, 0, 201326592);
        check_usage("hybrid", 0, 0, 29507584);
        check_usage("malformed", 0, -EINVAL, 0);      /* memory.current is "garbage" */
        check_usage("v1-malformed", 0, -ERANGE, 0);   /* usage_in_bytes overflows */
        check_usage("none", -ENOENT, 0, 0);
        check_usage("v2-escaped", 0, 0, 1048576);

        /* Known but unreachable (outside the namespace): no directory, no fd. */
        CHECK_EQ_INT(kfile_set_root(FIXTURES "v2-namespace"), 0);
        CHECK_EQ_INT(cgroup_detect(4242, &info), 0);
        CHECK_EQ_INT(cgroup_open_usage(&info), -ENOENT);

        CHECK_EQ_INT(cgroup_open_usage(NULL), -EINVAL);
        CHECK_EQ_INT(cgroup_read_usage(-1, &v), -EINVAL);
        CHECK_EQ_U64(v, 7);
}

/* Whatever this machine has: detection works, and a usage it reads is plausible. */
/* A directory named by the user (watch --cgroup), read without a process. */
static void test_read_dir(void)
{
        struct cgroup_info c;

        CHECK_EQ_INT(kfile_set_root(FIXTURES "v2-nested"), 0);
        CHECK_EQ_INT(cgroup_read_dir("/sys/fs/cgroup/app.slice/parent/child", &c), 0);
        CHECK_EQ_INT(c.version, CGROUP_V2);
        CHECK_EQ_U64(c.limit_bytes, 268435456);
        CHECK_STR(c.limit_dir, "/sys/fs/cgroup/app.slice/parent");
        CHECK_EQ_U64(c.usage_bytes, 52428800);
        CHECK_EQ_U64(c.working_set_bytes, 52428800 - 8388608);
        CHECK(c.have & CGROUP_HAVE_OOM_KILLS);
        CHECK_STR(c.path, "/app.slice/parent/child");
        /* the parent: its own usage, the same limit */
        CHECK_EQ_INT(cgroup_read_dir("/sys/fs/cgroup/app.slice/parent", &c), 0);
        CHECK_EQ_U64(c.limit_bytes, 268435456);
        CHECK_EQ_INT(cgroup_read_dir("/sys/fs/cgroup/app.slice", &c), -ENOTSUP); /* no memory.current */
        CHECK_EQ_INT(cgroup_read_dir("/sys/fs/cgroup/no-such", &c), -ENOENT);
        CHECK_EQ_INT(cgroup_read_dir("sys/fs/cgroup/app.slice/parent", &c), -EINVAL);
        CHECK_EQ_INT(cgroup_read_dir("/sys/fs/cgroup/app.slice/../app.slice/parent", &c), -EINVAL);

        CHECK_EQ_INT(kfile_set_root(FIXTURES "v1-limited"), 0);
        CHECK_EQ_INT(cgroup_read_dir("/sys/fs/cgroup/memory/docker/4f1e2d", &c), 0);
        CHECK_EQ_INT(c.version, CGROUP_V1);
        CHECK_EQ_U64(c.limit_bytes, 402653184);
        CHECK_EQ_U64(c.usage_bytes, 201326592);
        CHECK_EQ_U64(c.oom_kills, 3);
        CHECK_EQ_U64(c.working_set_bytes, 201326592 - 50331648);
        CHECK_EQ_INT(kfile_set_root(NULL), 0);
}

static void test_live(void)
{
        struct cgroup_info info;
        uint64_t v;
        int r, fd;

        CHECK_EQ_INT(kfile_set_root(NULL), 0);
        r = cgroup_detect(0, &info);
        CHECK_EQ_INT(r, 0);
        if (r < 0)
                return;
        printf("live: version %s, dir \"%s\", have 0x%x, usage %" PRIu64 ", limit %" PRIu64 "\n",
               cgroup_version_name(info.version), info.dir, info.have, info.usage_bytes,
               info.limit_bytes);
        CHECK(info.version < CGROUP_VERSION_MAX);
        CHECK_EQ_INT(info.memory_on_v2, info.version == CGROUP_V2);
        if (info.have & CGROUP_HAVE_USAGE) {
                CHECK(info.usage_bytes > 0);
                fd = cgroup_open_usage(&info);
                CHECK(fd >= 0);
                if (fd >= 0) {
                        CHECK_EQ_INT(cgroup_read_usage(fd, &v), 0);
                        CHECK(v > 0);
                        close(fd);
                }
        }
        if (info.have & CGROUP_HAVE_WORKING_SET)
                CHECK(info.working_set_bytes <= info.usage_bytes);
        if (info.have & CGROUP_HAVE_CPU)
                CHECK(info.cpu_period_us > 0 && info.cpu_quota_us >= -1);
}

int main(void)
{
        test_v1();
        test_v1_limited();
        test_v1_docker();
        test_hybrid();
        test_v2();
        test_v2_nested();
        test_v2_nolimit();
        test_v2_namespace();
        test_v2_escaped();
        test_v2_moved();
        test_malformed();
        test_none();
        test_errors();
        test_version_name();
        test_usage_fd();
        test_read_dir();
        test_live();
        return unit_finish("test_cgroup");
}
