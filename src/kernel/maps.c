#include "maps.h"
#include "kfile.h"
#include "util.h"

#include <errno.h>
#include <linux/ioctl.h>
#include <string.h>
#include <sys/ioctl.h>

/* PROCMAP_QUERY, from Linux 6.11's include/uapi/linux/fs.h, for headers that predate it. */
#ifndef PROCMAP_QUERY
struct procmap_query {
        uint64_t size;
        uint64_t query_flags;
        uint64_t query_addr;
        uint64_t vma_start;
        uint64_t vma_end;
        uint64_t vma_flags;
        uint64_t vma_page_size;
        uint64_t vma_offset;
        uint64_t inode;
        uint32_t dev_major;
        uint32_t dev_minor;
        uint32_t vma_name_size;
        uint32_t build_id_size;
        uint64_t vma_name_addr;
        uint64_t build_id_addr;
};
#define PROCMAP_QUERY_VMA_READABLE 0x01
#define PROCMAP_QUERY_VMA_WRITABLE 0x02
#define PROCMAP_QUERY_VMA_EXECUTABLE 0x04
#define PROCMAP_QUERY_VMA_SHARED 0x08
#define PROCMAP_QUERY_COVERING_OR_NEXT_VMA 0x10
#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)
#endif

static int hex_u64(const char *s, size_t len, size_t *pos, uint64_t *ret)
{
        int r = util_parse_x64(s + *pos, len - *pos, ret);

        if (r < 0)
                return -EINVAL;
        *pos += (size_t)r;
        return 0;
}

static size_t skip_sp(const char *s, size_t i, size_t len)
{
        while (i < len && s[i] == ' ')
                i++;
        return i;
}

static size_t skip_token(const char *s, size_t i, size_t len)
{
        while (i < len && s[i] != ' ')
                i++;
        return i;
}

int maps_parse_line(const char *line, size_t len, struct maps_entry *ret)
{
        struct maps_entry e;
        size_t pos = 0;
        int r;

        memset(&e, 0, sizeof(e));
        if (hex_u64(line, len, &pos, &e.start) < 0 || pos >= len || line[pos] != '-')
                return -EINVAL;
        pos++;
        if (hex_u64(line, len, &pos, &e.end) < 0 || e.end < e.start)
                return -EINVAL;
        pos = skip_sp(line, pos, len);
        if (len - pos < 4)
                return -EINVAL;
        memcpy(e.perms, line + pos, 4);
        e.perms[4] = '\0';
        pos += 4;
        if (pos >= len || line[pos] != ' ')
                return -EINVAL;
        pos = skip_sp(line, pos, len);
        if (hex_u64(line, len, &pos, &e.offset) < 0)
                return -EINVAL;
        pos = skip_sp(line, pos, len);
        if (skip_token(line, pos, len) == pos) /* dev */
                return -EINVAL;
        pos = skip_token(line, pos, len);
        pos = skip_sp(line, pos, len);
        r = util_parse_u64(line + pos, len - pos, &e.inode);
        if (r < 0)
                return -EINVAL;
        pos += (size_t)r;
        if (pos < len && line[pos] != ' ')
                return -EINVAL;
        pos = skip_sp(line, pos, len);
        e.name = line + pos;
        e.name_len = len - pos;
        *ret = e;
        return 0;
}

static int name_is(const struct maps_entry *e, const char *s)
{
        size_t n = strlen(s);

        return e->name_len == n && memcmp(e->name, s, n) == 0;
}

enum maps_class maps_classify(const struct maps_entry *e)
{
        if (e->perms[2] != 'x')
                return MAPS_OTHER;
        if (e->inode != 0)
                return MAPS_OTHER;
        if (name_is(e, "[anon:cpython:jit]"))
                return MAPS_JIT;
        if (name_is(e, "[anon:cpython:perf_trampoline]"))
                return MAPS_PERF_TRAMPOLINE;
        if (e->name_len > 0 && e->name[0] != '[')
                return MAPS_OTHER; /* a path: file-backed, memfd, deleted file */
        if (e->name_len > 0 && !(e->name_len > 6 && memcmp(e->name, "[anon:", 6) == 0))
                return MAPS_OTHER; /* [vdso], [vsyscall], [heap], [stack] ... */
        if (e->perms[1] == 'w')
                return MAPS_EXEC_WX;
        if (e->name_len > 0 || e->perms[0] != 'r')
                return MAPS_EXEC_ANON_OTHER; /* named, or execute-only: not CPython's shape */
        return MAPS_JIT;
}

const char *maps_class_name(enum maps_class c)
{
        switch (c) {
        case MAPS_JIT: return "jit";
        case MAPS_PERF_TRAMPOLINE: return "perf_trampoline";
        case MAPS_EXEC_WX: return "exec_writable";
        case MAPS_EXEC_ANON_OTHER: return "exec_anon_other";
        case MAPS_OTHER:
        case MAPS_CLASS_MAX: break;
        }
        return "other";
}

static void totals_add(struct maps_totals *t, const struct maps_entry *e, enum maps_class c)
{
        t->bytes[c] += e->end - e->start;
        t->count[c]++;
        /* mm->exec_vm counts VM_EXEC mappings without VM_WRITE (and not stacks) */
        if (e->perms[2] == 'x' && e->perms[1] != 'w' && !name_is(e, "[vsyscall]"))
                t->exec_vm += e->end - e->start;
}

static int maps_line(const char *line, size_t len, void *userdata)
{
        struct maps_entry e;

        if (maps_parse_line(line, len, &e) < 0)
                return -EINVAL;
        totals_add(userdata, &e, maps_classify(&e));
        return 0;
}

int maps_scan(int fd, char *buf, size_t cap, struct maps_totals *ret)
{
        struct maps_totals t;
        int r;

        memset(&t, 0, sizeof(t));
        r = kfile_scan_lines(fd, buf, cap, maps_line, &t);
        if (r < 0)
                return r;
        *ret = t;
        return 0;
}

int maps_query_exec(int fd, struct maps_totals *ret)
{
        struct maps_totals t;
        uint64_t addr = 0;
        char name[256];

        memset(&t, 0, sizeof(t));
        for (;;) {
                struct procmap_query q;
                struct maps_entry e;

                memset(&q, 0, sizeof(q));
                q.size = sizeof(q);
                q.query_flags = PROCMAP_QUERY_VMA_EXECUTABLE | PROCMAP_QUERY_COVERING_OR_NEXT_VMA;
                q.query_addr = addr;
                if (ioctl(fd, PROCMAP_QUERY, &q) < 0) {
                        if (errno == ENOENT)
                                break; /* no executable mapping at or above addr */
                        if (errno == ENOTTY || errno == EOPNOTSUPP)
                                return -ENOTSUP;
                        return -errno;
                }
                memset(&e, 0, sizeof(e));
                e.start = q.vma_start;
                e.end = q.vma_end;
                e.perms[0] = (q.vma_flags & PROCMAP_QUERY_VMA_READABLE) ? 'r' : '-';
                e.perms[1] = (q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE) ? 'w' : '-';
                e.perms[2] = 'x';
                e.perms[3] = (q.vma_flags & PROCMAP_QUERY_VMA_SHARED) ? 's' : 'p';
                e.inode = q.inode;
                if (q.inode == 0) {
                        /* Anonymous or special ([vdso], [anon:NAME]): its name decides. */
                        struct procmap_query n;
                        memset(&n, 0, sizeof(n));
                        n.size = sizeof(n);
                        n.query_flags = PROCMAP_QUERY_VMA_EXECUTABLE;
                        n.query_addr = q.vma_start;
                        n.vma_name_size = sizeof(name);
                        n.vma_name_addr = (uint64_t)(uintptr_t)name;
                        if (ioctl(fd, PROCMAP_QUERY, &n) < 0)
                                return errno == ENOENT ? -EAGAIN : -errno; /* unmapped meanwhile */
                        e.name = name;
                        e.name_len = n.vma_name_size > 0 ? n.vma_name_size - 1 : 0;
                }
                totals_add(&t, &e, maps_classify(&e));
                if (q.vma_end <= addr)
                        return -EINVAL;
                addr = q.vma_end;
        }
        *ret = t;
        return 0;
}

struct smaps_ctx {
        struct maps_totals totals;
        struct procfs_mem all;
        struct procfs_mem jit;
        enum maps_class current;
        int seen_header;
};

/* smaps: a header line in maps format (starts with a lower-case hex address) followed by
 * "Field:  value kB" lines. */
static int smaps_line(const char *line, size_t len, void *userdata)
{
        struct smaps_ctx *c = userdata;
        int r;

        if (len > 0 && ((line[0] >= '0' && line[0] <= '9') || (line[0] >= 'a' && line[0] <= 'f'))) {
                struct maps_entry e;
                if (maps_parse_line(line, len, &e) < 0)
                        return -EINVAL;
                c->current = maps_classify(&e);
                totals_add(&c->totals, &e, c->current);
                c->seen_header = 1;
                return 0;
        }
        if (!c->seen_header)
                return -EINVAL;
        r = procfs_mem_add_line(line, len, &c->all);
        if (r < 0)
                return r;
        if (r == 1 && c->current == MAPS_JIT)
                procfs_mem_add_line(line, len, &c->jit);
        return 0;
}

int maps_scan_smaps(int fd, char *buf, size_t cap, struct maps_totals *ret_totals,
                    struct procfs_mem *ret_all, struct procfs_mem *ret_jit)
{
        struct smaps_ctx c;
        int r;

        memset(&c, 0, sizeof(c));
        r = kfile_scan_lines(fd, buf, cap, smaps_line, &c);
        if (r < 0)
                return r;
        *ret_totals = c.totals;
        *ret_all = c.all;
        *ret_jit = c.jit;
        return 0;
}
