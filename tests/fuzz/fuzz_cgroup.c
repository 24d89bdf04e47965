/* The cgroup files: /proc/self/mountinfo (escaped paths, optional fields, the " - " that ends
 * them), /proc/self/cgroup ("ID:CONTROLLERS:PATH"), and the figures' files, in a fixture tree
 * below a root of its own (kfile_set_root), as the tests' trees in tests/data/cgroup are read.
 * The input's parts (FUZZ_SEP between them): mountinfo, cgroup, the limit files (memory.max,
 * memory.limit_in_bytes, ...), the counters (memory.current, ...), the "key value" files
 * (memory.stat, memory.events, memory.oom_control), the CPU files. Each is written in a v2
 * directory and its parent, and in v1 memory and cpu directories. The same directories are read
 * as cgroups jitmem fit made (cglimit.h: the OOM events, the peak, cgroup.procs counted); only
 * what reads, never what writes or signals. */
#include "fuzz.h"
#include "cgroup.h"
#include "cglimit.h"

enum { P_MOUNTINFO, P_CGROUP, P_LIMIT, P_COUNT, P_KEYS, P_CPU, P_MAX };

struct file_of {
        const char *dir, *name;
        int part;
};

static const struct file_of files[] = {
        { "sys/fs/cgroup", "memory.max", P_LIMIT },
        { "sys/fs/cgroup", "memory.current", P_COUNT },
        { "sys/fs/cgroup/a", "memory.max", P_LIMIT },
        { "sys/fs/cgroup/a", "memory.swap.max", P_LIMIT },
        { "sys/fs/cgroup/a", "memory.current", P_COUNT },
        { "sys/fs/cgroup/a", "memory.peak", P_COUNT },
        { "sys/fs/cgroup/a", "memory.swap.current", P_COUNT },
        { "sys/fs/cgroup/a", "memory.stat", P_KEYS },
        { "sys/fs/cgroup/a", "memory.events", P_KEYS },
        { "sys/fs/cgroup/a", "cpu.max", P_CPU },
        { "sys/fs/cgroup/a", "cgroup.procs", P_COUNT },
        { "sys/fs/cgroup/memory/a", "memory.limit_in_bytes", P_LIMIT },
        { "sys/fs/cgroup/memory/a", "memory.memsw.limit_in_bytes", P_LIMIT },
        { "sys/fs/cgroup/memory/a", "memory.usage_in_bytes", P_COUNT },
        { "sys/fs/cgroup/memory/a", "memory.max_usage_in_bytes", P_COUNT },
        { "sys/fs/cgroup/memory/a", "memory.memsw.usage_in_bytes", P_COUNT },
        { "sys/fs/cgroup/memory/a", "memory.stat", P_KEYS },
        { "sys/fs/cgroup/memory/a", "memory.oom_control", P_KEYS },
        { "sys/fs/cgroup/memory/a", "memory.failcnt", P_COUNT },
        { "sys/fs/cgroup/memory/a", "memory.memsw.failcnt", P_COUNT },
        { "sys/fs/cgroup/memory/a", "cgroup.procs", P_CGROUP },
        { "sys/fs/cgroup/cpu/a", "cpu.cfs_quota_us", P_CPU },
        { "sys/fs/cgroup/cpu/a", "cpu.cfs_period_us", P_COUNT },
};

static void check_info(const struct cgroup_info *info)
{
        FUZZ_ASSERT(info->version < CGROUP_VERSION_MAX);
        FUZZ_ASSERT(memchr(info->path, '\0', sizeof(info->path)) != NULL);
        FUZZ_ASSERT(memchr(info->dir, '\0', sizeof(info->dir)) != NULL);
        FUZZ_ASSERT(memchr(info->limit_dir, '\0', sizeof(info->limit_dir)) != NULL);
        if (info->have & CGROUP_HAVE_WORKING_SET)
                FUZZ_ASSERT(info->working_set_bytes <= info->usage_bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static struct cgroup_info info;
        struct fuzz_part parts[P_MAX];
        char name[256], root[4200];
        uint64_t usage;
        int fd;

        fuzz_split(data, size, parts, P_MAX);
        fuzz_write("cg/proc/self/mountinfo", parts[P_MOUNTINFO].p, parts[P_MOUNTINFO].n);
        fuzz_write("cg/proc/self/cgroup", parts[P_CGROUP].p, parts[P_CGROUP].n);
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                snprintf(name, sizeof(name), "cg/%s/%s", files[i].dir, files[i].name);
                fuzz_write(name, parts[files[i].part].p, parts[files[i].part].n);
        }
        snprintf(root, sizeof(root), "%s/cg", fuzz_dir());
        FUZZ_ASSERT(kfile_set_root(root) == 0);

        if (cgroup_detect(0, &info) == 0) {
                check_info(&info);
                FUZZ_ASSERT(cgroup_version_name(info.version) != NULL);
                fd = cgroup_open_usage(&info);
                if (fd >= 0) {
                        cgroup_read_usage(fd, &usage);
                        close(fd);
                }
        }
        if (cgroup_read_dir("/sys/fs/cgroup/a", &info) == 0)
                check_info(&info);
        if (cgroup_read_dir("/sys/fs/cgroup/memory/a", &info) == 0)
                check_info(&info);

        static const struct cglimit made[] = { { CGROUP_V2, "/sys/fs/cgroup/a" }, { CGROUP_V1, "/sys/fs/cgroup/memory/a" } };
        for (size_t i = 0; i < 2; i++) {
                struct cglimit_events ev;
                int n;

                memset(&ev, 0x5a, sizeof(ev));
                if (cglimit_read_events(&made[i], &ev) == 0) {
                        FUZZ_ASSERT((ev.have & ~(unsigned)(CGLIMIT_HAVE_OOM_KILLS | CGLIMIT_HAVE_OOM | CGLIMIT_HAVE_MAX_HITS |
                                                           CGLIMIT_HAVE_PEAK)) == 0);
                        FUZZ_ASSERT((ev.have & CGLIMIT_HAVE_OOM_KILLS) || ev.oom_kills == 0);
                        FUZZ_ASSERT((ev.have & CGLIMIT_HAVE_PEAK) || ev.peak_bytes == 0);
                }
                n = cglimit_count_procs(&made[i]);
                FUZZ_ASSERT(n >= -4095);
        }
        return 0;
}
