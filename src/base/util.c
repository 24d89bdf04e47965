#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

int util_parse_u64(const char *s, size_t len, uint64_t *ret)
{
        uint64_t v = 0;
        size_t i = 0;

        while (i < len && s[i] >= '0' && s[i] <= '9') {
                unsigned d = (unsigned)(s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
                i++;
        }
        if (i == 0)
                return -EINVAL;
        if (i > INT32_MAX)
                return -ERANGE;
        *ret = v;
        return (int)i;
}

int util_parse_i64(const char *s, size_t len, int64_t *ret)
{
        uint64_t v;
        int neg = 0, r;

        if (len > 0 && s[0] == '-') {
                neg = 1;
                s++;
                len--;
        }
        r = util_parse_u64(s, len, &v);
        if (r < 0)
                return r;
        if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX)
                return -ERANGE;
        *ret = neg ? (int64_t)(0 - v) : (int64_t)v;
        return r + neg;
}

void *util_grow(void *arr, size_t *cap, size_t need, size_t size, size_t first)
{
        size_t c = *cap ? *cap : (first ? first : 1);
        void *p;

        if (need <= *cap)
                return arr;
        while (c < need) {
                if (c > SIZE_MAX / 2)
                        return NULL;
                c *= 2;
        }
        if (size == 0 || c > SIZE_MAX / size)
                return NULL;
        p = realloc(arr, c * size);
        if (!p)
                return NULL;
        *cap = c;
        return p;
}

int util_parse_x64(const char *s, size_t len, uint64_t *ret)
{
        uint64_t v = 0;
        size_t i = 0;

        for (; i < len; i++) {
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
                        return -ERANGE;
                v = (v << 4) | d;
        }
        if (i == 0)
                return -EINVAL;
        if (i > INT32_MAX)
                return -ERANGE;
        *ret = v;
        return (int)i;
}

int util_next_field(const char *s, size_t len, size_t *pos, const char **ret_field, size_t *ret_len)
{
        size_t i = *pos, start;

        while (i < len && (s[i] == ' ' || s[i] == '\t'))
                i++;
        start = i;
        while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\0')
                i++;
        *pos = i;
        if (i == start)
                return 0;
        *ret_field = s + start;
        *ret_len = i - start;
        return 1;
}

int util_field_u64(const char *f, size_t len, uint64_t *ret)
{
        uint64_t v;
        int r = util_parse_u64(f, len, &v);

        if (r < 0)
                return r;
        if ((size_t)r != len)
                return -EINVAL;
        *ret = v;
        return 0;
}

int util_field_x64(const char *f, size_t len, uint64_t *ret)
{
        uint64_t v;
        int r = util_parse_x64(f, len, &v);

        if (r < 0)
                return r;
        if ((size_t)r != len)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* Parses "<digits>[.<digits>]" and returns the consumed length; the value is split into
 * an integer part and a fraction numerator/denominator so that no precision is lost. */
static int parse_decimal(const char *s, uint64_t *ret_int, uint64_t *ret_frac, uint64_t *ret_den)
{
        uint64_t in = 0, fr = 0, den = 1;
        size_t n = strlen(s), i;
        int r;

        r = util_parse_u64(s, n, &in);
        if (r < 0)
                return r;
        i = (size_t)r;
        if (s[i] == '.') {
                i++;
                if (!(s[i] >= '0' && s[i] <= '9'))
                        return -EINVAL;
                while (s[i] >= '0' && s[i] <= '9') {
                        if (den < 1000000000ULL) {
                                fr = fr * 10 + (uint64_t)(s[i] - '0');
                                den *= 10;
                        }
                        i++;
                }
        }
        *ret_int = in;
        *ret_frac = fr;
        *ret_den = den;
        return (int)i;
}

static int scale(uint64_t in, uint64_t fr, uint64_t den, uint64_t mult, uint64_t *ret)
{
        if (mult != 0 && in > UINT64_MAX / mult)
                return -ERANGE;
        uint64_t v = in * mult;
        /* fr/den < 1 and mult <= 2^60, so fr * (mult / den) cannot overflow for den > 1. */
        long double extra = (long double)fr * (long double)mult / (long double)den;
        if ((long double)(UINT64_MAX - v) < extra)
                return -ERANGE;
        *ret = v + (uint64_t)llroundl(extra);
        return 0;
}

int util_parse_number(const char *s, double *ret)
{
        size_t digits = 0, i = 0;
        char *end;
        double v;

        if (!s)
                return -EINVAL;
        for (; s[i] >= '0' && s[i] <= '9'; i++)
                digits++;
        if (s[i] == '.')
                for (i++; s[i] >= '0' && s[i] <= '9'; i++)
                        digits++;
        if (digits == 0 || s[i] != '\0')
                return -EINVAL; /* a sign, an exponent, "inf", "nan", "0x", a space, a unit */
        errno = 0;
        v = strtod(s, &end);
        if (end != s + i)
                return -EINVAL;
        if (errno == ERANGE || !isfinite(v))
                return -ERANGE;
        *ret = v;
        return 0;
}

struct unit {
        const char *suffix;
        uint64_t mult;
};

/* "<decimal><suffix>" with a suffix from units (compared without case when nocase). */
static int parse_with_units(const char *s, const struct unit *units, size_t n, int nocase, uint64_t *ret)
{
        uint64_t in, fr, den;
        int r;

        if (!s)
                return -EINVAL;
        r = parse_decimal(s, &in, &fr, &den);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if ((nocase ? strcasecmp(s + r, units[i].suffix) : strcmp(s + r, units[i].suffix)) == 0)
                        return scale(in, fr, den, units[i].mult, ret);
        return -EINVAL;
}

int util_parse_size(const char *s, uint64_t *ret_bytes)
{
        static const struct unit units[] = {
                { "", 1 }, { "b", 1 },
                { "k", 1ULL << 10 }, { "kb", 1ULL << 10 }, { "kib", 1ULL << 10 },
                { "m", 1ULL << 20 }, { "mb", 1ULL << 20 }, { "mib", 1ULL << 20 },
                { "g", 1ULL << 30 }, { "gb", 1ULL << 30 }, { "gib", 1ULL << 30 },
                { "t", 1ULL << 40 }, { "tb", 1ULL << 40 }, { "tib", 1ULL << 40 },
        };

        return parse_with_units(s, units, ARRAY_SIZE(units), 1, ret_bytes);
}

int util_parse_duration(const char *s, uint64_t *ret_ns)
{
        /* Case matters: "m" is minutes, "ms" milliseconds. No unit is no duration ("100"
         * could mean 100 ms as well as 100 s), except for 0, the same in every unit. */
        static const struct unit units[] = {
                { "s", 1000000000ULL }, { "ns", 1 }, { "us", 1000 },
                { "ms", 1000000ULL }, { "m", 60000000000ULL }, { "min", 60000000000ULL },
                { "h", 3600000000000ULL },
        };

        if (s && strcmp(s, "0") == 0) {
                *ret_ns = 0;
                return 0;
        }
        return parse_with_units(s, units, ARRAY_SIZE(units), 0, ret_ns);
}

char *util_format_bytes(uint64_t bytes, char *buf, size_t size)
{
        static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
        double v = (double)bytes;
        size_t u = 0;

        while (v >= 1024.0 && u + 1 < ARRAY_SIZE(names)) {
                v /= 1024.0;
                u++;
        }
        if (u == 0)
                snprintf(buf, size, "%llu B", (unsigned long long)bytes);
        else if (v < 10.0)
                snprintf(buf, size, "%.2f %s", v, names[u]);
        else if (v < 100.0)
                snprintf(buf, size, "%.1f %s", v, names[u]);
        else
                snprintf(buf, size, "%.0f %s", v, names[u]);
        return buf;
}

char *util_format_bytes_or_dash(double v, char *buf, size_t size)
{
        if (!isfinite(v) || v < 0)
                snprintf(buf, size, "-");
        else
                util_format_bytes((uint64_t)llround(v), buf, size);
        return buf;
}

char *util_format_signed_bytes(double v, const char *plus, char *buf, size_t size)
{
        char b[32];

        if (!isfinite(v))
                snprintf(buf, size, "-");
        else
                snprintf(buf, size, "%s%s", v < 0 ? "-" : plus, util_format_bytes((uint64_t)llround(fabs(v)), b, sizeof(b)));
        return buf;
}

char *util_format_rate(double bytes_per_s, const char *plus, char *buf, size_t size)
{
        static const struct {
                double per;       /* seconds */
                const char *name;
        } units[] = { { 1, "s" }, { 60, "min" }, { 3600, "h" } };
        const double MiB = 1024.0 * 1024.0;
        char b[40];
        size_t u = 0;

        if (!isfinite(bytes_per_s)) {
                snprintf(buf, size, "-");
                return buf;
        }
        while (u + 1 < ARRAY_SIZE(units) && fabs(bytes_per_s) * units[u].per < MiB)
                u++;
        snprintf(buf, size, "%s/%s", util_format_signed_bytes(bytes_per_s * units[u].per, plus, b, sizeof(b)), units[u].name);
        return buf;
}

static uint64_t clock_ns(clockid_t id)
{
        struct timespec ts;

        clock_gettime(id, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t util_now_ns(void)
{
        return clock_ns(CLOCK_MONOTONIC);
}

uint64_t util_wall_ns(void)
{
        return clock_ns(CLOCK_REALTIME);
}

uint64_t util_thread_cpu_ns(void)
{
        return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

int util_write_all(int fd, const void *buf, size_t len)
{
        const char *p = buf;

        while (len > 0) {
                ssize_t n = write(fd, p, len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -EIO;
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int util_mkdir_p(const char *path, char *failed, size_t size)
{
        size_t created;

        return util_mkdir_p_created(path, failed, size, &created);
}

void util_say(char *buf, size_t size, const char *fmt, ...)
{
        va_list ap;

        if (!buf || size == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(buf, size, fmt, ap);
        va_end(ap);
}

int util_dir_each(const char *dir, void (*fn)(int dfd, const char *name, void *ctx), void *ctx)
{
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;
        DIR *d;
        struct dirent *de;

        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                close(fd);
                return r;
        }
        while ((de = readdir(d)) != NULL)
                if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                        fn(dirfd(d), de->d_name, ctx);
        closedir(d);
        return 0;
}

int util_rmdir_created(const char *path, size_t created)
{
        char buf[4096];
        size_t n = strlen(path);

        if (created == 0 || created > n || n >= sizeof(buf))
                return -EINVAL;
        memcpy(buf, path, n + 1);
        while (n > 1 && buf[n - 1] == '/')
                buf[--n] = '\0';
        for (;;) {
                if (rmdir(buf) < 0)
                        return -errno;
                while (n > 0 && buf[n - 1] != '/')
                        n--;
                while (n > 0 && buf[n - 1] == '/')
                        n--;
                if (n < created)
                        return 0;
                buf[n] = '\0';
        }
}

int util_mkdir_p_created(const char *path, char *failed, size_t size, size_t *ret_created)
{
        char buf[4096];
        size_t n = strlen(path);

        *ret_created = 0;
        if (n == 0)
                return -ENOENT;
        if (n >= sizeof(buf))
                return -ENAMETOOLONG;
        memcpy(buf, path, n + 1);
        for (size_t i = 1; i <= n; i++) {
                if (buf[i] != '/' && buf[i] != '\0')
                        continue;
                char save = buf[i];
                buf[i] = '\0';
                if (mkdir(buf, 0755) < 0) {
                        if (errno != EEXIST) {
                                int e = -errno;
                                if (failed)
                                        snprintf(failed, size, "%s", buf);
                                return e;
                        }
                } else if (*ret_created == 0) {
                        *ret_created = i;
                }
                buf[i] = save;
        }
        return 0;
}

/* The kernel's file systems that hold no directories of ours, by statfs() f_type. */
static const char *virtual_fs_name(long type)
{
        switch ((unsigned long)type) {
        case 0x9fa0UL: return "the proc file system";
        case 0x62656572UL: return "sysfs";
        case 0x27e0ebUL: return "a cgroup file system";
        case 0x63677270UL: return "the cgroup2 file system";
        case 0x1cd1UL: return "devpts";
        case 0x64626720UL: return "debugfs";
        case 0x74726163UL: return "tracefs";
        case 0x73636673UL: return "securityfs";
        case 0xcafe4a11UL: return "the BPF file system";
        default: return NULL;
        }
}

int util_mkdir_enoent_reason(const char *failed, char *why, size_t size)
{
        char parent[4096];
        struct statfs sf;
        struct stat st;

        snprintf(parent, sizeof(parent), "%s", failed);
        char *slash = strrchr(parent, '/');
        if (!slash)
                snprintf(parent, sizeof(parent), ".");
        else if (slash == parent)
                parent[1] = '\0';
        else
                *slash = '\0';
        if (stat(parent, &st) < 0 || !S_ISDIR(st.st_mode) || statfs(parent, &sf) < 0)
                return 0;
        const char *fs = virtual_fs_name((long)sf.f_type);
        if (fs)
                snprintf(why, size, "%s is %s, where no directory can be created", parent, fs);
        else
                snprintf(why, size, "%s exists, but its file system did not let %s be created (it says: %s)",
                         parent, failed, strerror(ENOENT));
        return 1;
}

char *util_new_dir_name(const char *prefix, char *buf, size_t size)
{
        time_t now = time(NULL);
        struct tm tm;
        char stamp[32], base[256];

        localtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
        snprintf(base, sizeof(base), "%s-%s", prefix, stamp);
        snprintf(buf, size, "%s", base);
        for (int k = 2; k < 1000 && access(buf, F_OK) == 0; k++)
                snprintf(buf, size, "%s-%d", base, k);
        return buf;
}

int util_find_beside_binary(const char *env_name, const char *const *relative, char *buf, size_t size)
{
        const char *env = getenv(env_name);
        char exe[4096];
        ssize_t n;

        if (env && *env) {
                snprintf(buf, size, "%s", env);
                return access(buf, R_OK) == 0 ? 0 : -ENOENT;
        }
        n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (n <= 0)
                return -ENOENT;
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (!slash)
                return -ENOENT;
        *slash = '\0';
        for (size_t i = 0; relative[i]; i++) {
                snprintf(buf, size, "%s/%s", exe, relative[i]);
                if (access(buf, R_OK) == 0)
                        return 0;
        }
        return -ENOENT;
}

const char *util_strerror(int r)
{
        return strerror(r < 0 ? -r : r);
}

char *util_format_seconds(double s, const char *never, char *buf, size_t size)
{
        if (isnan(s))
                snprintf(buf, size, "-");
        else if (isinf(s))
                snprintf(buf, size, "%s", never);
        else if (s < 120)
                snprintf(buf, size, "%.0f s", s);
        else if (s < 7200)
                snprintf(buf, size, "%.0f min", s / 60);
        else if (s < 172800)
                snprintf(buf, size, "%.1f h", s / 3600);
        else
                snprintf(buf, size, "%.1f days", s / 86400);
        return buf;
}

size_t util_utf8_char(const char *str, size_t n, int *ret_control)
{
        const unsigned char *s = (const unsigned char *)str;
        unsigned char c, lo = 0x80, hi = 0xBF;
        size_t k;

        if (n == 0)
                return 0;
        c = s[0];
        if (c < 0x80) {
                *ret_control = c < 0x20 || c == 0x7f;
                return 1;
        }
        if (c >= 0xC2 && c <= 0xDF)
                k = 2;
        else if (c >= 0xE0 && c <= 0xEF)
                k = 3;
        else if (c >= 0xF0 && c <= 0xF4)
                k = 4;
        else
                return 0; /* a continuation byte, an overlong lead (0xC0, 0xC1), or 0xF5..0xFF */
        /* the second byte's range rules out overlong forms, surrogates and code points above U+10FFFF */
        if (c == 0xE0)
                lo = 0xA0;
        else if (c == 0xED)
                hi = 0x9F;
        else if (c == 0xF0)
                lo = 0x90;
        else if (c == 0xF4)
                hi = 0x8F;
        if (n < k || s[1] < lo || s[1] > hi)
                return 0;
        for (size_t i = 2; i < k; i++)
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
        *ret_control = c == 0xC2 && s[1] < 0xA0; /* U+0080..U+009F */
        return k;
}

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

char *util_utf8_text(const char *s, size_t n)
{
        char *out;
        size_t o = 0;
        int ctl;

        if (n > (SIZE_MAX - 1) / 3)
                return NULL;
        out = malloc(3 * n + 1); /* each byte becomes at most the 3 bytes of U+FFFD */
        if (!out)
                return NULL;
        for (size_t i = 0; i < n;) {
                size_t k = util_utf8_char(s + i, n - i, &ctl);
                if (k == 0 || s[i] == '\0') {
                        memcpy(out + o, REPLACEMENT, 3);
                        o += 3;
                        i++;
                } else {
                        memcpy(out + o, s + i, k);
                        o += k;
                        i += k;
                }
        }
        out[o] = '\0';
        return out;
}

size_t util_escape_text(const char *s, size_t n, char *out, size_t size)
{
        static const char hex[] = "0123456789abcdef";
        size_t o = 0;
        int ctl;

        if (size == 0)
                return 0;
        for (size_t i = 0; i < n;) {
                size_t k = util_utf8_char(s + i, n - i, &ctl);
                if (k > 0 && !ctl) {
                        if (o + k >= size)
                                break;
                        memcpy(out + o, s + i, k);
                        o += k;
                        i += k;
                        continue;
                }
                /* a control character or a byte that begins no character: \xNN for each byte */
                if (k == 0)
                        k = 1;
                if (o + 4 * k >= size)
                        break;
                for (size_t j = 0; j < k; j++, i++) {
                        unsigned char c = (unsigned char)s[i];
                        out[o++] = '\\';
                        out[o++] = 'x';
                        out[o++] = hex[c >> 4];
                        out[o++] = hex[c & 15];
                }
        }
        out[o] = '\0';
        return o;
}

#define FIT_UNITS 1024 /* characters of a command line considered */

size_t util_fit_command(const char *cmdline, size_t width, char *out, size_t size)
{
        static const char ellipsis[] = "\xe2\x80\xa6"; /* U+2026 */
        char clean[FIT_UNITS * 4 + 1];
        size_t at[FIT_UNITS + 1], n = 0, len = 0, o = 0, cols = 0;

        if (size == 0)
                return 0;
        /* Made safe to print (util_escape_text), then one unit per character: every character it
         * leaves takes one column. */
        util_escape_text(cmdline, strnlen(cmdline, FIT_UNITS * 4), clean, sizeof(clean));
        while (clean[len] && n < FIT_UNITS) {
                int ctl;
                size_t k = util_utf8_char(clean + len, strlen(clean + len), &ctl);
                at[n++] = len;
                len += k ? k : 1;
        }
        at[n] = len;
        clean[len] = '\0';

        /* The program's name: after the last '/' of the first word. */
        size_t word_end = 0, base = 0;
        while (word_end < n && clean[at[word_end]] != ' ')
                word_end++;
        for (size_t i = 0; i < word_end; i++)
                if (clean[at[i]] == '/')
                        base = i + 1;

#define PUT(from, to) do { size_t b_ = at[from], e_ = at[to]; \
                if (o + (e_ - b_) < size) { memcpy(out + o, clean + b_, e_ - b_); o += e_ - b_; cols += (to) - (from); } } while (0)
#define DOTS() do { if (o + 3 < size) { memcpy(out + o, ellipsis, 3); o += 3; cols++; } } while (0)
        if (n <= width) {
                PUT(0, n);
        } else if (base > 0 && n - base + 2 <= width) {
                /* the directory's head, "…/", the program and its arguments whole */
                PUT(0, width - (n - base) - 2);
                DOTS();
                PUT(base - 1, n);
        } else if (width >= 2 + 2 * (base > 0)) {
                /* "…/" for the directory, the program, as much of the arguments as fits, "…" */
                size_t room = width - 1 - 2 * (base > 0);
                if (base > 0) {
                        DOTS();
                        PUT(base - 1, base + room);
                } else {
                        PUT(0, room);
                }
                DOTS();
        } else if (width >= 1) {
                DOTS();
        }
#undef PUT
#undef DOTS
        out[o] = '\0';
        return cols;
}
