#include "cgroup.h"
#include "kfile.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* v1 shows "no limit" as PAGE_COUNTER_MAX in bytes rounded down to a page
 * (9223372036854771712 with 4 KiB pages); anything this large is no limit. */
#define HUGE_LIMIT (UINT64_C(1) << 62)

/* Line buffers: mountinfo lines carry two escaped paths; key-value files have short lines. */
#define MOUNT_LINE_CAP (4 * KFILE_PATH_MAX)
#define KEY_LINE_CAP 512

/* A cgroup filesystem mount, from /proc/PID/mountinfo. */
struct cg_mount {
        int found;
        char point[KFILE_PATH_MAX]; /* where it is mounted, e.g. "/sys/fs/cgroup/memory" */
        char root[KFILE_PATH_MAX];  /* the cgroup shown there, "/" for the whole tree */
};

/* One hierarchy the process is in: its mount, its path from /proc/PID/cgroup, its directory. */
struct cg_hier {
        struct cg_mount mnt;
        int have_path;
        char path[KFILE_PATH_MAX];
        int have_dir;
        char dir[KFILE_PATH_MAX];
};

/* Everything cgroup_detect() works with, on the heap to keep the stack small. */
struct detect {
        struct cg_hier v2;  /* the cgroup2 (unified) hierarchy */
        struct cg_hier mem; /* the v1 hierarchy with the memory controller */
        struct cg_hier cpu; /* the v1 hierarchy with the cpu controller */
        struct cgroup_info info;
        char line[MOUNT_LINE_CAP];
        char scratch[KFILE_PATH_MAX];
        char scratch2[KFILE_PATH_MAX];
};

const char *cgroup_version_name(enum cgroup_version v)
{
        switch (v) {
        case CGROUP_NONE:
                return "none";
        case CGROUP_V1:
                return "v1";
        case CGROUP_V2:
                return "v2";
        case CGROUP_HYBRID:
                return "hybrid";
        case CGROUP_VERSION_MAX:
                break;
        }
        return "unknown";
}

/* ---- small string helpers ---- */

/* Splits the next space-separated field off line[*pos..len). Returns 0, or -EINVAL at the end. */
static int next_field(const char *line, size_t len, size_t *pos, const char **ret_start,
                      size_t *ret_len)
{
        size_t i = *pos, start;

        while (i < len && line[i] == ' ')
                i++;
        if (i >= len)
                return -EINVAL;
        start = i;
        while (i < len && line[i] != ' ')
                i++;
        *ret_start = line + start;
        *ret_len = i - start;
        *pos = i;
        return 0;
}

static int field_is(const char *s, size_t len, const char *word)
{
        return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Whether the comma-separated list s[0..len) has word as one of its items. */
static int has_item(const char *s, size_t len, const char *word)
{
        size_t i = 0;

        while (i <= len) {
                size_t j = i;

                while (j < len && s[j] != ',')
                        j++;
                if (field_is(s + i, j - i, word))
                        return 1;
                i = j + 1;
        }
        return 0;
}

/* Copies a mountinfo field into out, turning the kernel's octal escapes (\040 space, \011 tab,
 * \012 newline, \134 backslash) back into bytes. Returns 0, or -ENAMETOOLONG. */
static int unescape(const char *s, size_t len, char *out, size_t size)
{
        size_t i = 0, o = 0;

        while (i < len) {
                char c = s[i];

                if (c == '\\' && i + 3 < len && s[i + 1] >= '0' && s[i + 1] <= '3' &&
                    s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
                        int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');

                        if (v != 0) {
                                c = (char)v;
                                i += 3;
                        }
                }
                if (o + 1 >= size)
                        return -ENAMETOOLONG;
                out[o++] = c;
                i++;
        }
        out[o] = '\0';
        return 0;
}

/* Whether path has a ".." component: a cgroup outside the reader's cgroup namespace. */
static int has_dotdot(const char *path)
{
        for (const char *s = path; (s = strstr(s, "/..")) != NULL; s += 3)
                if (s[3] == '/' || s[3] == '\0')
                        return 1;
        return 0;
}

/* Writes a + b into out, b being "" or an absolute path below a. Returns 0 or -ENAMETOOLONG. */
static int join_path(char *out, size_t size, const char *a, const char *b)
{
        int n;

        if (b[0] == '\0' || strcmp(b, "/") == 0)
                b = "";
        else if (strcmp(a, "/") == 0)
                a = "";
        n = snprintf(out, size, "%s%s", a, b);
        if (n < 0 || (size_t)n >= size)
                return -ENAMETOOLONG;
        return 0;
}

/* Writes dir + "/" + name into out. Returns 0 or -ENAMETOOLONG. */
static int file_path(char *out, size_t size, const char *dir, const char *name)
{
        int n = snprintf(out, size, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);

        if (n < 0 || (size_t)n >= size)
                return -ENAMETOOLONG;
        return 0;
}

static void copy_str(char *out, size_t size, const char *s)
{
        size_t n = strlen(s);

        if (n >= size)
                n = size - 1;
        memcpy(out, s, n);
        out[n] = '\0';
}

/* ---- reading values ---- */

/* Parses buf[0..len) as one unsigned number and nothing else but trailing whitespace.
 * Returns 0, -EINVAL or -ERANGE. */
static int parse_whole_u64(const char *buf, size_t len, uint64_t *ret)
{
        uint64_t v = 0;
        int r;

        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
                len--;
        r = util_parse_u64(buf, len, &v);
        if (r < 0)
                return r;
        if ((size_t)r != len)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Reads dir/name into buf like kfile_read(). Returns the length or -errno. */
static ssize_t read_in(const char *dir, const char *name, char *buf, size_t size)
{
        char path[KFILE_PATH_MAX];
        int r;

        r = file_path(path, sizeof(path), dir, name);
        if (r < 0)
                return r;
        return kfile_read(path, buf, size);
}

/* Reads a counter file (one unsigned number). Returns 0 or -errno. */
static int read_count(const char *dir, const char *name, uint64_t *ret)
{
        char buf[64];
        ssize_t n;

        n = read_in(dir, name, buf, sizeof(buf));
        if (n < 0)
                return (int)n;
        return parse_whole_u64(buf, (size_t)n, ret);
}

/* A limit as read; "max" (v2) and v1's page-counter maximum become CGROUP_NO_LIMIT. */
static uint64_t normalize_limit(uint64_t v)
{
        return v >= HUGE_LIMIT ? CGROUP_NO_LIMIT : v;
}

/* Reads a limit file: a number, or "max". Returns 0 or -errno. */
static int read_limit(const char *dir, const char *name, uint64_t *ret)
{
        char buf[64];
        uint64_t v = 0;
        ssize_t n;
        int r;

        n = read_in(dir, name, buf, sizeof(buf));
        if (n < 0)
                return (int)n;
        if (strcmp(buf, "max") == 0 || strcmp(buf, "max\n") == 0) {
                *ret = CGROUP_NO_LIMIT;
                return 0;
        }
        r = parse_whole_u64(buf, (size_t)n, &v);
        if (r < 0)
                return r;
        *ret = normalize_limit(v);
        return 0;
}

/* A key of a "key value" file (memory.stat, memory.events, memory.oom_control). */
struct key_value {
        const char *key;
        uint64_t value;
        int found;
};

struct key_scan {
        struct key_value *keys;
        size_t n;
};

static int key_line(const char *line, size_t len, void *userdata)
{
        struct key_scan *s = userdata;
        const char *sp;
        size_t klen, vlen;

        if (len >= KEY_LINE_CAP)
                return 0; /* cut short: not to be trusted */
        sp = memchr(line, ' ', len);
        if (!sp)
                return 0;
        klen = (size_t)(sp - line);
        vlen = len - klen - 1;
        for (size_t i = 0; i < s->n; i++) {
                struct key_value *kv = &s->keys[i];
                uint64_t v;

                if (kv->found || !field_is(line, klen, kv->key))
                        continue;
                if (parse_whole_u64(sp + 1, vlen, &v) == 0) {
                        kv->value = v;
                        kv->found = 1;
                }
                break;
        }
        return 0;
}

/* Looks the keys up in dir/name, a file of "key value" lines of any length. The keys found
 * have .found set. Returns 0 or -errno (then no key counts as found). */
static int read_keys(const char *dir, const char *name, struct key_value *keys, size_t n)
{
        char path[KFILE_PATH_MAX], line[KEY_LINE_CAP];
        struct key_scan s = { keys, n };
        int fd, r;

        r = file_path(path, sizeof(path), dir, name);
        if (r < 0)
                return r;
        fd = kfile_open(path, 0);
        if (fd < 0)
                return fd;
        r = kfile_scan_lines(fd, line, sizeof(line), key_line, &s);
        close(fd);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        keys[i].found = 0;
                return r;
        }
        return 0;
}

/* Walks from h->dir up to the mount point reading the limit file name in each directory.
 * Sets *ret_min to the smallest limit and ret_dir (KFILE_PATH_MAX bytes) to the directory
 * closest to h->dir that has it ("" when none is a limit). cur is a KFILE_PATH_MAX scratch
 * buffer. Returns the number of files read. */
static int walk_limit(const struct cg_hier *h, const char *name, char *cur, uint64_t *ret_min,
                      char *ret_dir)
{
        size_t stop = strlen(h->mnt.point);
        uint64_t best = CGROUP_NO_LIMIT;
        int n = 0;

        ret_dir[0] = '\0';
        copy_str(cur, KFILE_PATH_MAX, h->dir);
        for (;;) {
                uint64_t v = 0;
                char *slash;

                if (read_limit(cur, name, &v) == 0) {
                        n++;
                        if (v < best) {
                                best = v;
                                copy_str(ret_dir, KFILE_PATH_MAX, cur);
                        }
                }
                if (strlen(cur) <= stop)
                        break;
                slash = strrchr(cur, '/');
                if (!slash)
                        break;
                if (slash == cur)
                        cur[1] = '\0';
                else
                        *slash = '\0';
        }
        *ret_min = best;
        return n;
}

/* ---- /proc/PID/mountinfo and /proc/PID/cgroup ---- */

static int under_sys_fs_cgroup(const char *point)
{
        static const char base[] = "/sys/fs/cgroup";

        return strncmp(point, base, sizeof(base) - 1) == 0 &&
               (point[sizeof(base) - 1] == '/' || point[sizeof(base) - 1] == '\0');
}

/* Keeps the first mount of a hierarchy, unless a later one is below /sys/fs/cgroup and the
 * first is not (a hierarchy can be mounted more than once). */
static void consider_mount(struct detect *d, struct cg_mount *m, const char *root,
                           size_t root_len, const char *point, size_t point_len)
{
        if (unescape(point, point_len, d->scratch, sizeof(d->scratch)) < 0 ||
            unescape(root, root_len, d->scratch2, sizeof(d->scratch2)) < 0)
                return;
        if (d->scratch[0] != '/' || d->scratch2[0] != '/')
                return;
        if (m->found && (under_sys_fs_cgroup(m->point) || !under_sys_fs_cgroup(d->scratch)))
                return;
        copy_str(m->point, sizeof(m->point), d->scratch);
        copy_str(m->root, sizeof(m->root), d->scratch2);
        m->found = 1;
}

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER". */
static int mountinfo_line(const char *line, size_t len, void *userdata)
{
        struct detect *d = userdata;
        const char *f[6], *tok, *fstype, *source, *super;
        size_t flen[6], tlen, fstype_len, source_len, super_len, pos = 0;

        if (len >= MOUNT_LINE_CAP)
                return 0; /* cut short: not to be trusted */
        for (int i = 0; i < 6; i++)
                if (next_field(line, len, &pos, &f[i], &flen[i]) < 0)
                        return 0;
        do
                if (next_field(line, len, &pos, &tok, &tlen) < 0)
                        return 0;
        while (!field_is(tok, tlen, "-"));
        if (next_field(line, len, &pos, &fstype, &fstype_len) < 0 ||
            next_field(line, len, &pos, &source, &source_len) < 0 ||
            next_field(line, len, &pos, &super, &super_len) < 0)
                return 0;
        if (field_is(fstype, fstype_len, "cgroup2")) {
                consider_mount(d, &d->v2.mnt, f[3], flen[3], f[4], flen[4]);
        } else if (field_is(fstype, fstype_len, "cgroup")) {
                if (has_item(super, super_len, "memory"))
                        consider_mount(d, &d->mem.mnt, f[3], flen[3], f[4], flen[4]);
                if (has_item(super, super_len, "cpu"))
                        consider_mount(d, &d->cpu.mnt, f[3], flen[3], f[4], flen[4]);
        }
        return 0;
}

static void set_path(struct cg_hier *h, const char *path, size_t len)
{
        if (h->have_path)
                return;
        memcpy(h->path, path, len);
        h->path[len] = '\0';
        h->have_path = 1;
}

/* One line of /proc/PID/cgroup: "ID:CONTROLLERS:PATH"; the path may itself hold ':'. */
static int cgroup_line(const char *line, size_t len, void *userdata)
{
        struct detect *d = userdata;
        const char *c1, *c2, *ctl, *path;
        size_t id_len, ctl_len, path_len;
        uint64_t id = 0;
        int r;

        if (len >= MOUNT_LINE_CAP)
                return 0;
        c1 = memchr(line, ':', len);
        if (!c1)
                return 0;
        c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line));
        if (!c2)
                return 0;
        id_len = (size_t)(c1 - line);
        ctl = c1 + 1;
        ctl_len = (size_t)(c2 - ctl);
        path = c2 + 1;
        path_len = len - (size_t)(path - line);
        r = util_parse_u64(line, id_len, &id);
        if (r < 0 || (size_t)r != id_len)
                return 0;
        if (path_len == 0 || path[0] != '/' || path_len >= KFILE_PATH_MAX ||
            memchr(path, '\0', path_len))
                return 0;
        if (id == 0 && ctl_len == 0) {
                set_path(&d->v2, path, path_len);
                return 0;
        }
        if (has_item(ctl, ctl_len, "memory"))
                set_path(&d->mem, path, path_len);
        if (has_item(ctl, ctl_len, "cpu"))
                set_path(&d->cpu, path, path_len);
        return 0;
}

/* Streams base/name (base is "/proc/self" or "/proc/PID") through cb. Returns 0 or -errno. */
static int scan_proc_file(struct detect *d, int pid, const char *base, const char *name,
                          kfile_line_cb cb)
{
        char path[64];
        int fd, r;

        r = file_path(path, sizeof(path), base, name);
        if (r < 0)
                return r;
        fd = kfile_open(path, 0);
        if (fd == -ENOENT && pid != 0)
                return -ESRCH;
        if (fd < 0)
                return fd;
        r = kfile_scan_lines(fd, d->line, sizeof(d->line), cb, d);
        close(fd);
        return r;
}

static int dir_exists(const char *path)
{
        int fd = kfile_open(path, O_PATH | O_DIRECTORY);

        if (fd < 0)
                return 0;
        close(fd);
        return 1;
}

/* Sets h->dir to mount point + (path - mount root). A path outside the mount's root (the
 * process moved, or the mount shows another part of the tree) falls back to mount point +
 * path when that exists, else to the mount point. A path with ".." (a cgroup outside the
 * reader's cgroup namespace) cannot be reached: h->have_dir stays 0. */
static void resolve_dir(struct cg_hier *h)
{
        const char *root = h->mnt.root, *rest;
        size_t root_len = strlen(root);

        h->have_dir = 0;
        if (!h->mnt.found || !h->have_path || has_dotdot(h->path))
                return;
        if (strcmp(root, "/") == 0) {
                rest = h->path;
        } else if (strncmp(h->path, root, root_len) == 0 &&
                   (h->path[root_len] == '/' || h->path[root_len] == '\0')) {
                rest = h->path + root_len;
        } else {
                if (join_path(h->dir, sizeof(h->dir), h->mnt.point, h->path) == 0 &&
                    dir_exists(h->dir)) {
                        h->have_dir = 1;
                        return;
                }
                rest = "";
        }
        if (join_path(h->dir, sizeof(h->dir), h->mnt.point, rest) == 0)
                h->have_dir = 1;
}

/* ---- the figures ---- */

static void set_working_set(struct cgroup_info *info, const struct key_value *inactive)
{
        if (!inactive || !(info->have & CGROUP_HAVE_USAGE))
                return;
        info->inactive_file_bytes = inactive->value;
        info->working_set_bytes =
                info->usage_bytes > inactive->value ? info->usage_bytes - inactive->value : 0;
        info->have |= CGROUP_HAVE_WORKING_SET;
}

static void read_v2_memory(struct detect *d, const struct cg_hier *h)
{
        struct cgroup_info *info = &d->info;
        struct key_value events[] = { { "oom_kill", 0, 0 } };
        struct key_value stat[] = { { "inactive_file", 0, 0 } };
        uint64_t v = 0;

        if (read_count(h->dir, "memory.current", &v) == 0) {
                info->usage_bytes = v;
                info->have |= CGROUP_HAVE_USAGE;
        }
        if (read_count(h->dir, "memory.peak", &v) == 0) {
                info->peak_bytes = v;
                info->have |= CGROUP_HAVE_PEAK;
        }
        if (walk_limit(h, "memory.max", d->scratch, &v, info->limit_dir) > 0) {
                info->limit_bytes = v;
                info->have |= CGROUP_HAVE_LIMIT;
        }
        if (walk_limit(h, "memory.swap.max", d->scratch, &v, d->scratch2) > 0) {
                info->swap_limit_bytes = v;
                info->have |= CGROUP_HAVE_SWAP_LIMIT;
        }
        if (read_count(h->dir, "memory.swap.current", &v) == 0) {
                info->swap_usage_bytes = v;
                info->have |= CGROUP_HAVE_SWAP_USAGE;
        }
        if (read_keys(h->dir, "memory.events", events, ARRAY_SIZE(events)) == 0 &&
            events[0].found) {
                info->oom_kills = events[0].value;
                info->have |= CGROUP_HAVE_OOM_KILLS;
        }
        if (read_keys(h->dir, "memory.stat", stat, ARRAY_SIZE(stat)) == 0 && stat[0].found)
                set_working_set(info, &stat[0]);
}

static void read_v1_memory(struct detect *d, const struct cg_hier *h)
{
        struct cgroup_info *info = &d->info;
        struct key_value oom[] = { { "oom_kill", 0, 0 } };
        enum { TOTAL_INACTIVE, INACTIVE, HIER_LIMIT, HIER_MEMSW };
        struct key_value stat[] = {
                [TOTAL_INACTIVE] = { "total_inactive_file", 0, 0 },
                [INACTIVE] = { "inactive_file", 0, 0 },
                [HIER_LIMIT] = { "hierarchical_memory_limit", 0, 0 },
                [HIER_MEMSW] = { "hierarchical_memsw_limit", 0, 0 },
        };
        uint64_t v = 0, memsw = 0;
        int n;

        if (read_count(h->dir, "memory.usage_in_bytes", &v) == 0) {
                info->usage_bytes = v;
                info->have |= CGROUP_HAVE_USAGE;
        }
        if (read_count(h->dir, "memory.max_usage_in_bytes", &v) == 0) {
                info->peak_bytes = v;
                info->have |= CGROUP_HAVE_PEAK;
        }
        (void)read_keys(h->dir, "memory.stat", stat, ARRAY_SIZE(stat)); /* failing finds nothing */

        /* The limit: the smallest limit_in_bytes up to the mount point, and the kernel's own
         * hierarchical figure, which also sees ancestors above the mount's root. */
        n = walk_limit(h, "memory.limit_in_bytes", d->scratch, &v, info->limit_dir);
        if (stat[HIER_LIMIT].found) {
                uint64_t hier = normalize_limit(stat[HIER_LIMIT].value);

                if (n == 0 || hier < v) {
                        v = hier;
                        copy_str(info->limit_dir, sizeof(info->limit_dir),
                                 hier == CGROUP_NO_LIMIT ? "" : h->dir);
                }
                n++;
        }
        if (n > 0) {
                info->limit_bytes = v;
                info->have |= CGROUP_HAVE_LIMIT;
        }

        /* Swap: memsw counts memory + swap, so swap is memsw - memory. */
        n = walk_limit(h, "memory.memsw.limit_in_bytes", d->scratch, &memsw, d->scratch2);
        if (stat[HIER_MEMSW].found) {
                uint64_t hier = normalize_limit(stat[HIER_MEMSW].value);

                if (n == 0 || hier < memsw)
                        memsw = hier;
                n++;
        }
        if (n > 0 && (info->have & CGROUP_HAVE_LIMIT)) {
                if (memsw == CGROUP_NO_LIMIT) {
                        info->swap_limit_bytes = CGROUP_NO_LIMIT;
                        info->have |= CGROUP_HAVE_SWAP_LIMIT;
                } else if (info->limit_bytes != CGROUP_NO_LIMIT) {
                        info->swap_limit_bytes =
                                memsw > info->limit_bytes ? memsw - info->limit_bytes : 0;
                        info->have |= CGROUP_HAVE_SWAP_LIMIT;
                }
        }
        if ((info->have & CGROUP_HAVE_USAGE) &&
            read_count(h->dir, "memory.memsw.usage_in_bytes", &v) == 0) {
                info->swap_usage_bytes = v > info->usage_bytes ? v - info->usage_bytes : 0;
                info->have |= CGROUP_HAVE_SWAP_USAGE;
        }

        if (read_keys(h->dir, "memory.oom_control", oom, ARRAY_SIZE(oom)) == 0 && oom[0].found) {
                info->oom_kills = oom[0].value;
                info->have |= CGROUP_HAVE_OOM_KILLS;
        }
        if (stat[TOTAL_INACTIVE].found)
                set_working_set(info, &stat[TOTAL_INACTIVE]);
        else if (stat[INACTIVE].found)
                set_working_set(info, &stat[INACTIVE]);
}

/* cpu.max: "QUOTA PERIOD" or "max PERIOD". Returns 0 or -EINVAL. */
static int parse_cpu_max(const char *buf, size_t len, int64_t *ret_quota, uint64_t *ret_period)
{
        const char *sp;
        uint64_t q = 0, p = 0;
        size_t qlen;
        int64_t quota;

        while (len > 0 && buf[len - 1] == '\n')
                len--;
        sp = memchr(buf, ' ', len);
        if (!sp)
                return -EINVAL;
        qlen = (size_t)(sp - buf);
        if (field_is(buf, qlen, "max")) {
                quota = -1;
        } else {
                int r = util_parse_u64(buf, qlen, &q);

                if (r < 0 || (size_t)r != qlen || q > INT64_MAX)
                        return -EINVAL;
                quota = (int64_t)q;
        }
        if (parse_whole_u64(sp + 1, len - qlen - 1, &p) < 0 || p == 0)
                return -EINVAL;
        *ret_quota = quota;
        *ret_period = p;
        return 0;
}

static void read_v2_cpu(struct cgroup_info *info, const char *dir)
{
        char buf[64];
        uint64_t period = 0;
        int64_t quota = -1;
        ssize_t n;

        n = read_in(dir, "cpu.max", buf, sizeof(buf));
        if (n < 0 || parse_cpu_max(buf, (size_t)n, &quota, &period) < 0)
                return;
        info->cpu_quota_us = quota;
        info->cpu_period_us = period;
        info->have |= CGROUP_HAVE_CPU;
}

static void read_v1_cpu(struct cgroup_info *info, const char *dir)
{
        char buf[64];
        uint64_t period = 0;
        int64_t quota = -1;
        ssize_t n;
        size_t len;
        int r;

        n = read_in(dir, "cpu.cfs_quota_us", buf, sizeof(buf));
        if (n < 0)
                return;
        len = (size_t)n;
        while (len > 0 && buf[len - 1] == '\n')
                len--;
        r = util_parse_i64(buf, len, &quota);
        if (r < 0 || (size_t)r != len || quota < -1)
                return;
        if (read_count(dir, "cpu.cfs_period_us", &period) < 0 || period == 0)
                return;
        info->cpu_quota_us = quota;
        info->cpu_period_us = period;
        info->have |= CGROUP_HAVE_CPU;
}

/* Decides the version from what was found and reads the figures. */
static void fill(struct detect *d)
{
        struct cgroup_info *info = &d->info;
        int has_mem = d->mem.mnt.found && d->mem.have_path;
        int has_v2 = d->v2.mnt.found && d->v2.have_path;
        struct cg_hier *mem = NULL;

        info->limit_bytes = CGROUP_NO_LIMIT;
        info->swap_limit_bytes = CGROUP_NO_LIMIT;
        info->cpu_quota_us = -1;

        resolve_dir(&d->v2);
        resolve_dir(&d->mem);
        resolve_dir(&d->cpu);
        if (has_mem) {
                info->version = has_v2 ? CGROUP_HYBRID : CGROUP_V1;
                mem = &d->mem;
        } else if (has_v2) {
                info->version = CGROUP_V2;
                info->memory_on_v2 = 1;
                mem = &d->v2;
        } else {
                info->version = CGROUP_NONE;
        }
        if (mem) {
                copy_str(info->path, sizeof(info->path), mem->path);
                if (mem->have_dir) {
                        copy_str(info->dir, sizeof(info->dir), mem->dir);
                        if (info->memory_on_v2)
                                read_v2_memory(d, mem);
                        else
                                read_v1_memory(d, mem);
                }
        }
        if (d->cpu.have_dir)
                read_v1_cpu(info, d->cpu.dir);
        else if (d->v2.have_dir)
                read_v2_cpu(info, d->v2.dir);
}

int cgroup_detect(int pid, struct cgroup_info *ret)
{
        struct detect *d;
        char base[32];
        int r;

        if (!ret || pid < 0)
                return -EINVAL;
        if (pid == 0)
                copy_str(base, sizeof(base), "/proc/self");
        else
                snprintf(base, sizeof(base), "/proc/%d", pid);
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        r = scan_proc_file(d, pid, base, "mountinfo", mountinfo_line);
        if (r < 0)
                goto out;
        r = scan_proc_file(d, pid, base, "cgroup", cgroup_line);
        if (r < 0)
                goto out;
        fill(d);
        *ret = d->info;
        r = 0;
out:
        free(d);
        return r;
}

int cgroup_open_usage(const struct cgroup_info *cg)
{
        char path[KFILE_PATH_MAX];
        int r;

        if (!cg)
                return -EINVAL;
        if (cg->version == CGROUP_NONE || cg->dir[0] == '\0')
                return -ENOENT;
        r = file_path(path, sizeof(path), cg->dir,
                      cg->memory_on_v2 ? "memory.current" : "memory.usage_in_bytes");
        if (r < 0)
                return r;
        return kfile_open(path, 0);
}

int cgroup_read_usage(int fd, uint64_t *ret)
{
        char buf[64];
        uint64_t v = 0;
        ssize_t n;
        int r;

        if (fd < 0 || !ret)
                return -EINVAL;
        n = kfile_pread(fd, buf, sizeof(buf));
        if (n < 0)
                return (int)n;
        r = parse_whole_u64(buf, (size_t)n, &v);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int cgroup_read_dir(const char *dir, struct cgroup_info *ret)
{
        struct detect *d;
        struct cg_hier *h;
        char probe[KFILE_PATH_MAX];
        int v2, v1, r;

        if (!dir || !ret || dir[0] != '/' || has_dotdot(dir) || strlen(dir) >= KFILE_PATH_MAX)
                return -EINVAL;
        if (!dir_exists(dir))
                return -ENOENT;
        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        v2 = file_path(probe, sizeof(probe), dir, "memory.current") == 0 && kfile_read_u64(probe, &(uint64_t){ 0 }) == 0;
        v1 = !v2 && file_path(probe, sizeof(probe), dir, "memory.usage_in_bytes") == 0 &&
             kfile_read_u64(probe, &(uint64_t){ 0 }) == 0;
        if (!v1 && !v2) {
                free(d);
                return -ENOTSUP; /* not a memory cgroup directory */
        }
        /* The mount the directory is in bounds the walk up for the smallest limit: our own
         * mountinfo names it (a missing one: the directory alone). */
        (void)scan_proc_file(d, 0, "/proc/self", "mountinfo", mountinfo_line);
        h = v2 ? &d->v2 : &d->mem;
        if (!h->mnt.found || strncmp(dir, h->mnt.point, strlen(h->mnt.point)) != 0)
                copy_str(h->mnt.point, sizeof(h->mnt.point), dir);
        copy_str(h->dir, sizeof(h->dir), dir);
        h->have_dir = 1;
        h->have_path = 1;
        copy_str(h->path, sizeof(h->path), dir + strlen(h->mnt.point));
        if (h->path[0] == '\0')
                copy_str(h->path, sizeof(h->path), "/");
        d->info.limit_bytes = CGROUP_NO_LIMIT;
        d->info.swap_limit_bytes = CGROUP_NO_LIMIT;
        d->info.cpu_quota_us = -1;
        d->info.version = v2 ? CGROUP_V2 : CGROUP_V1;
        d->info.memory_on_v2 = v2;
        copy_str(d->info.dir, sizeof(d->info.dir), dir);
        copy_str(d->info.path, sizeof(d->info.path), h->path);
        if (v2) {
                read_v2_memory(d, h);
                read_v2_cpu(&d->info, dir);
        } else {
                read_v1_memory(d, h);
        }
        *ret = d->info;
        r = 0;
        free(d);
        return r;
}
