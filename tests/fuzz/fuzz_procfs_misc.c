/* The other /proc files: meminfo, a children list, a command line (its NUL-separated
 * arguments, any bytes, turned into one line: the NULs into spaces, every other byte kept). */
#include "fuzz.h"
#include "procfs.h"

static int count_pid(int pid, void *userdata)
{
        FUZZ_ASSERT(pid >= 0);
        (*(size_t *)userdata)++;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const char *p = (const char *)data;
        struct procfs_meminfo mi;
        char line[64];
        size_t pids = 0, n;

        procfs_parse_meminfo(p, size, &mi);
        procfs_parse_pid_list(p, size, count_pid, &pids);
        FUZZ_ASSERT(pids <= size);
        n = procfs_cmdline_to_string(p, size, line, sizeof(line));
        FUZZ_ASSERT(n < sizeof(line) && line[n] == '\0' && strlen(line) == n);
        return 0;
}
