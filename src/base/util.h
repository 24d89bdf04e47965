/* Small shared helpers: bounded number parsing, sizes, durations, clocks. */
#ifndef JITMEM_UTIL_H
#define JITMEM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parses a decimal unsigned integer from s[0..len), stopping at the first non-digit.
 * Returns the number of bytes consumed (> 0), -EINVAL when there is no digit, -ERANGE on
 * overflow. *ret is written only on success. */
int util_parse_u64(const char *s, size_t len, uint64_t *ret);

/* Same for an optional leading '-' (cgroup v1 files say -1 for "no limit"). */
int util_parse_i64(const char *s, size_t len, int64_t *ret);

/* Same for hexadecimal digits (either case, no "0x"). */
int util_parse_x64(const char *s, size_t len, uint64_t *ret);

/* The next field of s[0..len) from *pos: skips spaces and tabs, then sets *ret_field and
 * *ret_len to the run of other bytes and moves *pos past it. Returns 1, or 0 at the end. */
int util_next_field(const char *s, size_t len, size_t *pos, const char **ret_field, size_t *ret_len);

/* A whole field as a number: util_parse_u64() or util_parse_x64() that consumed all of it.
 * Returns 0 or -EINVAL / -ERANGE. */
int util_field_u64(const char *f, size_t len, uint64_t *ret);
int util_field_x64(const char *f, size_t len, uint64_t *ret);

/* The one growable array: returns arr, reallocated to hold at least `need` elements of `size`
 * bytes (its capacity *cap doubled from `first` until it does), or NULL on failure, when arr and
 * *cap are left as they were. Use: `T *p = util_grow(a, &cap, n + 1, sizeof(*a), 256);`. */
void *util_grow(void *arr, size_t *cap, size_t need, size_t size, size_t first);

/* Parses a whole string as a plain decimal number: digits with at most one '.' ("2", "0.5",
 * ".5", "5."), nothing else: no sign, exponent, space, "inf", "nan" or hexadecimal, so that
 * what an option or a file holds reads the same everywhere. Returns 0, or -EINVAL (not such a
 * number) / -ERANGE (too large for a double). *ret is written only on success. */
int util_parse_number(const char *s, double *ret);

/* Parses a whole string as a size: "384M", "1.5G", "4096", "64k", "2GiB", "100MB".
 * Suffixes are binary (K = 1024). Returns 0, or -EINVAL / -ERANGE. */
int util_parse_size(const char *s, uint64_t *ret_bytes);

/* Parses a whole string as a duration: "250ms", "30s", "5m", "1h", "20us", "1.5s". The unit is
 * required (a bare number other than "0" is -EINVAL). Returns 0, or -EINVAL / -ERANGE. */
int util_parse_duration(const char *s, uint64_t *ret_ns);

/* The duration units, for messages: "a duration needs a unit: " UTIL_DURATION_UNITS. */
#define UTIL_DURATION_UNITS "ns, us, ms, s, m (or min), h"

/* Formats bytes for people: "0 B", "812 KiB", "1.30 MiB", "12.5 MiB", "2.00 GiB" into buf. Returns buf. */
char *util_format_bytes(uint64_t bytes, char *buf, size_t size);

/* The figures jitmem prints, one way everywhere (they return buf; "-" when v is not a number):
 * a size that may be unknown ("-" when negative too); a signed size rounded to the byte ("-1.50
 * MiB", plus before a positive one: "" or "+"); and a rate of bytes per second in the unit that
 * reads best: per second from 1 MiB/s, per minute from 1 MiB/min, else per hour ("+2.10 MiB/min"). */
char *util_format_bytes_or_dash(double v, char *buf, size_t size);
char *util_format_signed_bytes(double v, const char *plus, char *buf, size_t size);
char *util_format_rate(double bytes_per_s, const char *plus, char *buf, size_t size);

/* Formats a duration for people: "45 s", "12 min", "3.5 h", "2.1 days"; `never` for an
 * infinite one and "-" for NaN. Returns buf. */
char *util_format_seconds(double s, const char *never, char *buf, size_t size);

/* Monotonic and wall clocks in nanoseconds. */
uint64_t util_now_ns(void);
uint64_t util_wall_ns(void);
/* CPU time (user and system) of the calling thread, in nanoseconds. */
uint64_t util_thread_cpu_ns(void);

/* Writes a message into buf (nothing when buf is NULL or size 0), as snprintf. */
void util_say(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Calls fn(dfd, name, ctx) for each entry of the directory dir but "." and "..", dfd being the
 * directory's own fd (for unlinkat and the like), in readdir's order. Returns 0, or -errno when
 * dir cannot be opened. */
int util_dir_each(const char *dir, void (*fn)(int dfd, const char *name, void *ctx), void *ctx);

/* Writes all of buf to fd, retrying on EINTR and short writes. Returns 0 or -errno. */
int util_write_all(int fd, const void *buf, size_t len);

/* Creates a directory and its missing parents (mode 0755), as mkdir -p. Returns 0 (also when
 * it exists already) or -errno; on failure, failed[] (may be NULL) names the directory that
 * could not be created. */
int util_mkdir_p(const char *path, char *failed, size_t size);

/* util_mkdir_p(), and in *ret_created the length of the shortest prefix of path that it
 * created (the first directory that did not exist), 0 when it created none. */
int util_mkdir_p_created(const char *path, char *failed, size_t size, size_t *ret_created);

/* Undoes util_mkdir_p_created(): removes path, then each parent down to the prefix of length
 * created, as long as each is empty (rmdir only: nothing that holds a file is removed).
 * Returns 0 when all were removed, else the first rmdir's -errno. */
int util_rmdir_created(const char *path, size_t created);

/* When creating `failed` gave ENOENT although its parent exists (mkdir in /proc, sysfs, a
 * cgroup file system says ENOENT), writes the true reason to why[] and returns 1; returns 0
 * when ENOENT is the truth. */
int util_mkdir_enoent_reason(const char *failed, char *why, size_t size);

/* A new directory name in the current directory: "<prefix>-YYYYmmdd-HHMMSS", with "-2", "-3"
 * ... appended when that exists already. Returns buf. */
char *util_new_dir_name(const char *prefix, char *buf, size_t size);

/* Finds a file jitmem ships beside its binary: $ENV_NAME if set, else each of the relative
 * paths (NULL-terminated) below the binary's directory. Returns 0 with the path, or -ENOENT. */
int util_find_beside_binary(const char *env_name, const char *const *relative, char *buf, size_t size);

/* Text from a process (a name, a command line, a path: any bytes) is decoded by one function,
 * util_utf8_char, and made safe by one rule for each kind of output:
 *   JSON (util_utf8_text): valid UTF-8 is kept byte for byte; each byte that begins no valid
 *     sequence (a lone continuation byte, a truncated sequence, an overlong form, a surrogate,
 *     above U+10FFFF, 0xC0, 0xC1, 0xF5..0xFF) and each NUL becomes U+FFFD.
 *   terminals and logs (util_escape_text): valid UTF-8 is kept, except control characters (C0
 *     including ESC, CR, LF and TAB; DEL; C1, U+0080..U+009F), each of whose bytes is written
 *     as \xNN (lower-case hex), as is each byte that begins no valid sequence: "caf\xe9",
 *     "\x1b[31m", "\xc2\x9b". A backslash is left as it is.
 * The Prometheus exposition (prom.c) writes label values by both: control characters as
 * util_escape_text does, invalid bytes as util_utf8_text does. */

/* The character at s[0..n): returns the length (1 to 4) of the well-formed UTF-8 sequence there
 * (RFC 3629: no overlong form, no surrogate, nothing above U+10FFFF) and sets *ret_control to 1
 * when it is a control character (U+0000..U+001F, U+007F, U+0080..U+009F), else 0; or returns 0
 * when s[0] begins no such sequence (or n is 0), and *ret_control is not written. */
size_t util_utf8_char(const char *s, size_t n, int *ret_control);

/* s[0..n) as valid UTF-8 for JSON (the rule above). Returns a NUL-terminated string the caller
 * frees, or NULL when out of memory. */
char *util_utf8_text(const char *s, size_t n);

/* s[0..n) made safe to print (the rule above) into out (size bytes, NUL-terminated). When it
 * does not fit, it is cut before the first character or \xNN that does not. Returns the bytes
 * written (strlen(out)). 4 * n + 1 bytes hold any result. */
size_t util_escape_text(const char *s, size_t n, char *out, size_t size);

/* Fits a command line (untrusted: any bytes) into `width` terminal columns for a table, made
 * safe by util_escape_text (an ESC takes the 4 columns of "\x1b"). When it is too long, the program's name (the
 * last path component of the first word) is kept and the middle is cut with "…": first the
 * program's directory ("/root/.pye…/python3.11 -c x=1"), then, if that is not enough, the end of
 * the arguments ("…/python3.11 -c import sys; p…"). Writes a NUL-terminated string into out
 * (size >= 4 * width + 1 holds any result) and returns the columns it takes. */
size_t util_fit_command(const char *cmdline, size_t width, char *out, size_t size);

/* Returns the message for a negative errno code, like strerror(-r). */
const char *util_strerror(int r);

#endif
