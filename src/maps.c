#include "maps.h"
#include "kfile.h"
#include "util.h"

#include <errno.h>
#include <string.h>

static int hex_u64(const char *s, size_t len, size_t *pos, uint64_t *ret)
{
        uint64_t v = 0;
        size_t i = *pos, start = i;

        while (i < len) {
                char c = s[i];
                unsigned d;
                if (c >= '0' && c <= '9')
                        d = (unsigned)(c - '0');
                else if (c >= 'a' && c <= 'f')
                        d = (unsigned)(c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        d = (unsigned)(c - 'A' + 10);
                else
                        break;
                if (v >> 60)
                        return -EINVAL;
                v = (v << 4) | d;
                i++;
        }
        if (i == start)
                return -EINVAL;
        *pos = i;
        *ret = v;
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
        uint64_t dummy;
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
        if (hex_u64(line, len, &pos, &dummy) < 0) /* offset */
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
