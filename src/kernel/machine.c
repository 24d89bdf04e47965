#include "machine.h"
#include "kfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

int machine_parse_thp(const char *buf, char *out, size_t size)
{
        const char *a = strchr(buf, '['), *b;
        size_t n;

        if (!a)
                return -EINVAL;
        b = strchr(a, ']');
        if (!b)
                return -EINVAL;
        n = (size_t)(b - a - 1);
        if (n == 0 || n >= size)
                return -EINVAL;
        memcpy(out, a + 1, n);
        out[n] = '\0';
        return 0;
}

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

int machine_anon_vma_name(void)
{
        long ps = sysconf(_SC_PAGESIZE);
        size_t len = ps > 0 ? (size_t)ps : 4096;
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        int r;

        if (p == MAP_FAILED)
                return -1;
        r = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, len, (unsigned long)"jitmem-probe");
        r = r == 0 ? 1 : errno == EINVAL ? 0 : -1;
        munmap(p, len);
        return r;
}

int machine_read(struct machine_info *ret)
{
        struct machine_info m;
        struct utsname u;
        char buf[8192];
        ssize_t n;
        long ps;

        memset(&m, 0, sizeof(m));
        if (uname(&u) == 0) {
                snprintf(m.kernel, sizeof(m.kernel), "%s", u.release);
                snprintf(m.arch, sizeof(m.arch), "%s", u.machine);
                snprintf(m.hostname, sizeof(m.hostname), "%s", u.nodename);
        }
        ps = sysconf(_SC_PAGESIZE);
        m.page_size = ps > 0 ? (uint64_t)ps : 0;
        m.cpus_online = sysconf(_SC_NPROCESSORS_ONLN);
        n = kfile_read("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf));
        if (n > 0)
                machine_parse_thp(buf, m.thp_enabled, sizeof(m.thp_enabled));
        n = kfile_read("/proc/meminfo", buf, sizeof(buf));
        if (n > 0 && procfs_parse_meminfo(buf, (size_t)n, &m.meminfo) == 0)
                m.have_meminfo = 1;
        m.anon_vma_name = machine_anon_vma_name();
        *ret = m;
        return 0;
}
