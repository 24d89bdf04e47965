#include "procfs.h"
#include "util.h"

#include <errno.h>
#include <string.h>

/* Skips spaces; returns the new position (<= len). */
static size_t skip_spaces(const char *s, size_t i, size_t len)
{
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
                i++;
        return i;
}

/* Parses a space-separated unsigned field at *pos; advances *pos past it. */
static int next_u64(const char *s, size_t len, size_t *pos, uint64_t *ret)
{
        size_t i = skip_spaces(s, *pos, len);
        int r = util_parse_u64(s + i, len - i, ret);

        if (r < 0)
                return r;
        i += (size_t)r;
        if (i < len && s[i] != ' ' && s[i] != '\n')
                return -EINVAL;
        *pos = i;
        return 0;
}

static int next_i64(const char *s, size_t len, size_t *pos, int64_t *ret)
{
        size_t i = skip_spaces(s, *pos, len);
        int r = util_parse_i64(s + i, len - i, ret);

        if (r < 0)
                return r;
        i += (size_t)r;
        if (i < len && s[i] != ' ' && s[i] != '\n')
                return -EINVAL;
        *pos = i;
        return 0;
}

int procfs_parse_stat(const char *buf, size_t len, struct procfs_stat *ret)
{
        struct procfs_stat st;
        const char *open, *close;
        uint64_t v;
        int64_t sv;
        size_t pos, clen;
        int r;

        memset(&st, 0, sizeof(st));
        open = memchr(buf, '(', len);
        if (!open)
                return -EINVAL;
        close = NULL;
        for (const char *p = buf + len; p > open; p--)
                if (p[-1] == ')') {
                        close = p - 1;
                        break;
                }
        if (!close)
                return -EINVAL;
        r = util_parse_u64(buf, (size_t)(open - buf), &v);
        if (r < 0 || v > INT32_MAX || buf[r] != ' ')
                return -EINVAL;
        st.pid = (int)v;
        clen = (size_t)(close - open - 1);
        if (clen >= sizeof(st.comm))
                clen = sizeof(st.comm) - 1;
        memcpy(st.comm, open + 1, clen);
        st.comm[clen] = '\0';

        pos = (size_t)(close - buf) + 1;
        pos = skip_spaces(buf, pos, len);
        if (pos >= len)
                return -EINVAL;
        st.state = buf[pos++];
        /* Fields from 4 (ppid) on, numbered as in proc(5). */
        for (int field = 4; field <= 25; field++) { /* 25 (rsslim) only proves 24 is whole */
                if (field == 4 || field == 5) {
                        r = next_i64(buf, len, &pos, &sv);
                        if (r < 0 || sv < INT32_MIN || sv > INT32_MAX)
                                return -EINVAL;
                        if (field == 4)
                                st.ppid = (int)sv;
                        else
                                st.pgrp = (int)sv;
                        continue;
                }
                if (field == 6 || field == 7 || field == 8 || (field >= 16 && field <= 19)) {
                        /* session, tty_nr, tpgid, cutime..nice: signed, unused */
                        r = next_i64(buf, len, &pos, &sv);
                        if (r < 0)
                                return -EINVAL;
                        continue;
                }
                r = next_u64(buf, len, &pos, &v);
                if (r < 0)
                        return -EINVAL;
                switch (field) {
                case 9: st.flags = v; break;
                case 14: st.utime_ticks = v; break;
                case 15: st.stime_ticks = v; break;
                case 20: st.num_threads = v; break;
                case 22: st.starttime_ticks = v; break;
                case 23: st.vsize_bytes = v; break;
                case 24: st.rss_pages = v; break;
                default: break;
                }
        }
        *ret = st;
        return 0;
}

int procfs_parse_statm(const char *buf, size_t len, uint64_t page_size, struct procfs_statm *ret)
{
        uint64_t v[3];
        size_t pos = 0;

        if (page_size == 0)
                return -EINVAL;
        for (int i = 0; i < 3; i++)
                if (next_u64(buf, len, &pos, &v[i]) < 0)
                        return -EINVAL;
        for (int i = 0; i < 3; i++)
                if (v[i] > UINT64_MAX / page_size)
                        return -EINVAL;
        ret->size = v[0] * page_size;
        ret->resident = v[1] * page_size;
        ret->shared = v[2] * page_size;
        return 0;
}

/* Parses the value of "Name:   123 kB" after the colon at line[start..len), in bytes. */
static int parse_kb(const char *line, size_t len, size_t start, uint64_t *ret)
{
        size_t i = skip_spaces(line, start, len);
        uint64_t v;
        int r = util_parse_u64(line + i, len - i, &v);

        if (r < 0)
                return -EINVAL;
        i += (size_t)r;
        i = skip_spaces(line, i, len);
        if (len - i < 2 || memcmp(line + i, "kB", 2) != 0)
                return -EINVAL;
        if (v > UINT64_MAX / 1024)
                return -EINVAL;
        *ret = v * 1024;
        return 0;
}

/* Calls fn(line, len, userdata) for each line of buf. Stops on a non-zero return. */
static int for_each_line(const char *buf, size_t len,
                         int (*fn)(const char *, size_t, void *), void *userdata)
{
        size_t pos = 0;

        while (pos < len) {
                const char *nl = memchr(buf + pos, '\n', len - pos);
                size_t l = nl ? (size_t)(nl - (buf + pos)) : len - pos;
                int r = fn(buf + pos, l, userdata);
                if (r != 0)
                        return r;
                pos += l + 1;
        }
        return 0;
}

struct field {
        const char *name;
        size_t name_len;
        size_t offset;
        unsigned bit;
};

#define FIELD(name, type, member, bit) { name, sizeof(name) - 1, offsetof(type, member), bit }

static int match_field(const char *line, size_t len, const struct field *fields, size_t n,
                       void *base, unsigned *have)
{
        const char *colon = memchr(line, ':', len);
        size_t nlen;

        if (!colon)
                return 0;
        nlen = (size_t)(colon - line);
        for (size_t i = 0; i < n; i++) {
                if (fields[i].name_len != nlen || fields[i].name[0] != line[0] ||
                    memcmp(line, fields[i].name, nlen) != 0)
                        continue;
                uint64_t v;
                if (parse_kb(line, len, nlen + 1, &v) < 0)
                        return -EINVAL;
                *(uint64_t *)((char *)base + fields[i].offset) = v;
                if (have)
                        *have |= fields[i].bit;
                return 1;
        }
        return 0;
}

static const struct field status_fields[] = {
        FIELD("VmSize", struct procfs_status, vm_size, PROCFS_ST_VMSIZE),
        FIELD("VmRSS", struct procfs_status, vm_rss, PROCFS_ST_VMRSS),
        FIELD("VmHWM", struct procfs_status, vm_hwm, PROCFS_ST_VMHWM),
        FIELD("RssAnon", struct procfs_status, rss_anon, PROCFS_ST_RSSANON),
        FIELD("RssFile", struct procfs_status, rss_file, PROCFS_ST_RSSFILE),
        FIELD("RssShmem", struct procfs_status, rss_shmem, PROCFS_ST_RSSSHMEM),
        FIELD("VmSwap", struct procfs_status, vm_swap, PROCFS_ST_VMSWAP),
        FIELD("VmExe", struct procfs_status, vm_exe, PROCFS_ST_VMEXE),
        FIELD("VmLib", struct procfs_status, vm_lib, PROCFS_ST_VMLIB),
};

static int status_line(const char *line, size_t len, void *userdata)
{
        struct procfs_status *st = userdata;
        int r = match_field(line, len, status_fields, ARRAY_SIZE(status_fields), st, &st->have);

        if (r < 0)
                return r;
        /* Every field found (they are all in the first half of the file): stop. */
        return st->have == (1u << ARRAY_SIZE(status_fields)) - 1 ? 1 : 0;
}

int procfs_parse_status(const char *buf, size_t len, struct procfs_status *ret)
{
        struct procfs_status st;
        int r;

        memset(&st, 0, sizeof(st));
        r = for_each_line(buf, len, status_line, &st);
        if (r < 0)
                return r;
        *ret = st;
        return 0;
}

static const struct field mem_fields[] = {
        FIELD("Rss", struct procfs_mem, rss, 1),
        FIELD("Pss", struct procfs_mem, pss, 2),
        FIELD("Pss_Anon", struct procfs_mem, pss_anon, 0),
        FIELD("Pss_File", struct procfs_mem, pss_file, 0),
        FIELD("Pss_Shmem", struct procfs_mem, pss_shmem, 0),
        FIELD("Shared_Clean", struct procfs_mem, shared_clean, 0),
        FIELD("Shared_Dirty", struct procfs_mem, shared_dirty, 0),
        FIELD("Private_Clean", struct procfs_mem, private_clean, 0),
        FIELD("Private_Dirty", struct procfs_mem, private_dirty, 0),
        FIELD("Anonymous", struct procfs_mem, anonymous, 0),
        FIELD("Swap", struct procfs_mem, swap, 0),
        FIELD("SwapPss", struct procfs_mem, swap_pss, 0),
};

uint64_t procfs_mem_uss(const struct procfs_mem *m)
{
        return m->private_clean + m->private_dirty;
}

int procfs_mem_add_line(const char *line, size_t len, struct procfs_mem *acc)
{
        struct procfs_mem one;
        const char *colon = memchr(line, ':', len);
        size_t nlen;

        if (!colon)
                return 0;
        nlen = (size_t)(colon - line);
        for (size_t i = 0; i < ARRAY_SIZE(mem_fields); i++) {
                if (mem_fields[i].name_len != nlen || memcmp(line, mem_fields[i].name, nlen) != 0)
                        continue;
                uint64_t *dst = (uint64_t *)((char *)acc + mem_fields[i].offset);
                memset(&one, 0, sizeof(one));
                if (match_field(line, len, &mem_fields[i], 1, &one, NULL) < 0)
                        return -EINVAL;
                uint64_t v = *(uint64_t *)((char *)&one + mem_fields[i].offset);
                *dst = (UINT64_MAX - *dst < v) ? UINT64_MAX : *dst + v;
                return 1;
        }
        return 0;
}

struct rollup_ctx {
        struct procfs_mem mem;
        int saw_rss;
};

static int rollup_line(const char *line, size_t len, void *userdata)
{
        struct rollup_ctx *c = userdata;
        int r = procfs_mem_add_line(line, len, &c->mem);

        if (r < 0)
                return r;
        if (r == 1 && len >= 4 && memcmp(line, "Rss:", 4) == 0)
                c->saw_rss = 1;
        return 0;
}

int procfs_parse_rollup(const char *buf, size_t len, struct procfs_mem *ret)
{
        struct rollup_ctx c;
        int r;

        memset(&c, 0, sizeof(c));
        r = for_each_line(buf, len, rollup_line, &c);
        if (r < 0)
                return r;
        if (!c.saw_rss)
                return -EINVAL;
        *ret = c.mem;
        return 0;
}

static const struct field meminfo_fields[] = {
        FIELD("MemTotal", struct procfs_meminfo, mem_total, 1),
        FIELD("MemAvailable", struct procfs_meminfo, mem_available, 2),
        FIELD("SwapTotal", struct procfs_meminfo, swap_total, 4),
        FIELD("SwapFree", struct procfs_meminfo, swap_free, 8),
};

struct meminfo_ctx {
        struct procfs_meminfo mi;
        unsigned have;
};

static int meminfo_line(const char *line, size_t len, void *userdata)
{
        struct meminfo_ctx *c = userdata;
        int r = match_field(line, len, meminfo_fields, ARRAY_SIZE(meminfo_fields), &c->mi, &c->have);

        return r < 0 ? r : 0;
}

int procfs_parse_meminfo(const char *buf, size_t len, struct procfs_meminfo *ret)
{
        struct meminfo_ctx c;
        int r;

        memset(&c, 0, sizeof(c));
        r = for_each_line(buf, len, meminfo_line, &c);
        if (r < 0)
                return r;
        if (!(c.have & 1))
                return -EINVAL;
        *ret = c.mi;
        return 0;
}

int procfs_parse_pid_list(const char *buf, size_t len, int (*cb)(int pid, void *userdata),
                          void *userdata)
{
        size_t pos = 0;

        for (;;) {
                uint64_t v;
                int r;

                while (pos < len && (buf[pos] == ' ' || buf[pos] == '\n'))
                        pos++;
                if (pos >= len)
                        return 0;
                r = util_parse_u64(buf + pos, len - pos, &v);
                if (r < 0 || v == 0 || v > INT32_MAX)
                        return -EINVAL;
                pos += (size_t)r;
                if (pos < len && buf[pos] != ' ' && buf[pos] != '\n')
                        return -EINVAL;
                r = cb((int)v, userdata);
                if (r != 0)
                        return r;
        }
}

size_t procfs_cmdline_to_string(const char *buf, size_t len, char *out, size_t out_size)
{
        size_t o = 0;

        if (out_size == 0)
                return 0;
        while (len > 0 && buf[len - 1] == '\0')
                len--;
        for (size_t i = 0; i < len && o + 1 < out_size; i++) {
                unsigned char c = (unsigned char)buf[i];
                out[o++] = c == '\0' ? ' ' : (char)c;
        }
        out[o] = '\0';
        return o;
}
