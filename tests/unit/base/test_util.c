/* Unit tests for src/base/util.c: bounded number parsing, sizes, durations, byte formatting. */
#include "util.h"
#include "unit.h"

#include <math.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SENTINEL 0x5a5a5a5a5a5a5a5aULL

/* Parses s (exactly strlen(s) bytes, copied to the heap so that ASan sees any over-read). */
static int parse_u64(const char *s, uint64_t *ret)
{
        size_t n = strlen(s);
        char *copy = malloc(n ? n : 1);
        int r;

        if (!copy)
                return -ENOMEM;
        memcpy(copy, s, n);
        r = util_parse_u64(copy, n, ret);
        free(copy);
        return r;
}

static int parse_i64(const char *s, int64_t *ret)
{
        size_t n = strlen(s);
        char *copy = malloc(n ? n : 1);
        int r;

        if (!copy)
                return -ENOMEM;
        memcpy(copy, s, n);
        r = util_parse_i64(copy, n, ret);
        free(copy);
        return r;
}

static void check_u64(const char *s, int want_r, uint64_t want)
{
        uint64_t v = SENTINEL;

        CHECK_EQ_INT(parse_u64(s, &v), want_r);
        CHECK_EQ_U64(v, want_r > 0 ? want : SENTINEL);
}

static void check_i64(const char *s, int want_r, int64_t want)
{
        int64_t v = (int64_t)SENTINEL;

        CHECK_EQ_INT(parse_i64(s, &v), want_r);
        CHECK_EQ_INT(v, want_r > 0 ? want : (int64_t)SENTINEL);
}

static void test_parse_u64(void)
{
        uint64_t v = SENTINEL;

        check_u64("0", 1, 0);
        check_u64("42", 2, 42);
        check_u64("007", 3, 7);
        check_u64("000000000000000000000000000001", 30, 1); /* long, but no overflow */
        check_u64("18446744073709551615", 20, UINT64_MAX);
        check_u64("18446744073709551616", -ERANGE, 0);  /* 2^64 */
        check_u64("18446744073709551620", -ERANGE, 0);
        check_u64("99999999999999999999", -ERANGE, 0);
        check_u64("184467440737095516150", -ERANGE, 0); /* UINT64_MAX * 10 */
        check_u64("", -EINVAL, 0);
        check_u64("abc", -EINVAL, 0);
        check_u64(" 1", -EINVAL, 0);
        check_u64("+1", -EINVAL, 0);
        check_u64("-1", -EINVAL, 0);
        /* Partial consumption: the count of digits is returned, the rest is the caller's. */
        check_u64("123abc", 3, 123);
        check_u64("4096 kB", 4, 4096);
        check_u64("7\n", 1, 7);
        check_u64("1.5", 1, 1);

        /* len bounds the parse even when more digits follow. */
        CHECK_EQ_INT(util_parse_u64("12345", 2, &v), 2);
        CHECK_EQ_U64(v, 12);
        v = SENTINEL;
        CHECK_EQ_INT(util_parse_u64("12345", 0, &v), -EINVAL);
        CHECK_EQ_U64(v, SENTINEL);
        /* An overflowing number stays an overflow when cut by len only after the 21st digit. */
        CHECK_EQ_INT(util_parse_u64("184467440737095516159", 20, &v), 20);
        CHECK_EQ_U64(v, UINT64_MAX);
}

static void test_parse_i64(void)
{
        check_i64("0", 1, 0);
        check_i64("-0", 2, 0);
        check_i64("-1", 2, -1);
        check_i64("123", 3, 123);
        check_i64("9223372036854775807", 19, INT64_MAX);
        check_i64("9223372036854775808", -ERANGE, 0);
        check_i64("-9223372036854775808", 20, INT64_MIN);
        check_i64("-9223372036854775809", -ERANGE, 0);
        check_i64("18446744073709551615", -ERANGE, 0);
        check_i64("-18446744073709551616", -ERANGE, 0);
        check_i64("", -EINVAL, 0);
        check_i64("-", -EINVAL, 0);
        check_i64("--1", -EINVAL, 0);
        check_i64("-x", -EINVAL, 0);
        check_i64("+1", -EINVAL, 0);
        check_i64("x1", -EINVAL, 0);
        check_i64("-12x", 3, -12);
        check_i64("-5 6", 2, -5);
}

static void check_size(const char *s, int want_r, uint64_t want)
{
        uint64_t v = SENTINEL;

        CHECK_EQ_INT(util_parse_size(s, &v), want_r);
        CHECK_EQ_U64(v, want_r == 0 ? want : SENTINEL);
}

/* A plain decimal number, and every other form strtod would take refused. */
static void test_parse_number(void)
{
        static const char *const bad[] = { "", ".", "-1", "+1", "1e3", "1E3", "inf", "nan", "NaN", "0x10",
                                           " 1", "1 ", "1.2.3", "1,5", "5%", "1..2", "--1", "\t2" };
        char huge[400];
        double v = 42;

        CHECK_EQ_INT(util_parse_number("2", &v), 0);
        CHECK(v == 2);
        CHECK_EQ_INT(util_parse_number("0.25", &v), 0);
        CHECK(v == 0.25);
        CHECK_EQ_INT(util_parse_number(".5", &v), 0);
        CHECK(v == 0.5);
        CHECK_EQ_INT(util_parse_number("7.", &v), 0);
        CHECK(v == 7);
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                v = 42;
                CHECK_EQ_INT(util_parse_number(bad[i], &v), -EINVAL);
                CHECK(v == 42);
        }
        CHECK_EQ_INT(util_parse_number(NULL, &v), -EINVAL);
        memset(huge, '9', sizeof(huge) - 1);
        huge[sizeof(huge) - 1] = '\0';
        CHECK_EQ_INT(util_parse_number(huge, &v), -ERANGE); /* 10^399: past a double */
        CHECK(v == 42);
}

static void test_parse_size(void)
{
        uint64_t v = SENTINEL;

        check_size("384M", 0, 402653184);
        check_size("1.5G", 0, 1610612736);
        check_size("64k", 0, 65536);
        check_size("64K", 0, 65536);
        check_size("2GiB", 0, 2147483648ULL);
        check_size("2gib", 0, 2147483648ULL);
        check_size("100MB", 0, 104857600);
        check_size("4096", 0, 4096);
        check_size("4096b", 0, 4096);
        check_size("0", 0, 0);
        check_size("0M", 0, 0);
        check_size("1T", 0, 1ULL << 40);
        check_size("0.5K", 0, 512);
        check_size("1.25M", 0, 1310720);
        check_size("0.1G", 0, 107374182);    /* 107374182.4, rounded */
        check_size("1.0000000001G", 0, 1ULL << 30); /* digits past the 9th are dropped */
        check_size("18446744073709551615", 0, UINT64_MAX);
        check_size("16777215T", 0, 16777215ULL << 40);

        check_size("", -EINVAL, 0);
        check_size("M", -EINVAL, 0);
        check_size("12X", -EINVAL, 0);
        check_size("-1", -EINVAL, 0);
        check_size("1.", -EINVAL, 0);
        check_size(".5M", -EINVAL, 0);
        check_size("1.5.5M", -EINVAL, 0);
        check_size(" 1M", -EINVAL, 0);
        check_size("1 M", -EINVAL, 0);
        check_size("1M ", -EINVAL, 0);
        check_size("1MM", -EINVAL, 0);
        check_size("1Mi", -EINVAL, 0);
        check_size("1E", -EINVAL, 0);
        check_size("99999999999T", -ERANGE, 0);
        check_size("16777216T", -ERANGE, 0);               /* exactly 2^64 */
        check_size("18446744073709551616", -ERANGE, 0);    /* 2^64 bytes */
        check_size("18446744073709551615.9", -ERANGE, 0);  /* the fraction tips it over */
        check_size("17179869184G", -ERANGE, 0);            /* 2^34 G = 2^64 */

        CHECK_EQ_INT(util_parse_size(NULL, &v), -EINVAL);
        CHECK_EQ_U64(v, SENTINEL);
}

static void check_duration(const char *s, int want_r, uint64_t want)
{
        uint64_t v = SENTINEL;

        CHECK_EQ_INT(util_parse_duration(s, &v), want_r);
        CHECK_EQ_U64(v, want_r == 0 ? want : SENTINEL);
}

static void test_parse_duration(void)
{
        uint64_t v = SENTINEL;

        check_duration("250ms", 0, 250000000ULL);
        check_duration("30s", 0, 30000000000ULL);
        check_duration("5m", 0, 300000000000ULL);
        check_duration("2min", 0, 120000000000ULL);
        check_duration("1h", 0, 3600000000000ULL);
        check_duration("1.5h", 0, 5400000000000ULL);
        check_duration("20us", 0, 20000);
        check_duration("10ns", 0, 10);
        check_duration("1.5s", 0, 1500000000ULL);
        check_duration("0.5ms", 0, 500000);
        check_duration("100", -EINVAL, 0); /* a bare number: 100 what? */
        check_duration("1", -EINVAL, 0);
        check_duration("0.5", -EINVAL, 0);
        check_duration("00", -EINVAL, 0);
        check_duration("0", 0, 0);          /* zero is zero in every unit */
        check_duration("0s", 0, 0);
        check_duration("18446744073s", 0, 18446744073000000000ULL);
        check_duration("18446744073709551615ns", 0, UINT64_MAX);

        check_duration("5 s", -EINVAL, 0);
        check_duration("ms", -EINVAL, 0);
        check_duration("1.5.5s", -EINVAL, 0);
        check_duration("", -EINVAL, 0);
        check_duration("s", -EINVAL, 0);
        check_duration("-1s", -EINVAL, 0);
        check_duration("1.s", -EINVAL, 0);
        check_duration("5d", -EINVAL, 0);
        check_duration("5sec", -EINVAL, 0);
        check_duration("5S", -EINVAL, 0);  /* units are case-sensitive: "M" is not "m" */
        check_duration("5M", -EINVAL, 0);
        check_duration("5s ", -EINVAL, 0);
        check_duration("18446744074s", -ERANGE, 0);
        check_duration("5124095h", 0, 5124095ULL * 3600000000000ULL);
        check_duration("5124096h", -ERANGE, 0);
        check_duration("18446744073709551616ns", -ERANGE, 0);

        CHECK_EQ_INT(util_parse_duration(NULL, &v), -EINVAL);
        CHECK_EQ_U64(v, SENTINEL);
}

static void check_format(uint64_t bytes, const char *want)
{
        char buf[32];

        memset(buf, 'x', sizeof(buf));
        CHECK(util_format_bytes(bytes, buf, sizeof(buf)) == buf);
        CHECK_STR(buf, want);
}

static void test_format_bytes(void)
{
        char small[4];
        char one[1] = { 'x' };

        check_format(0, "0 B");
        check_format(1, "1 B");
        check_format(1023, "1023 B");
        check_format(1024, "1.00 KiB");
        check_format(1536, "1.50 KiB");
        check_format(10 * 1024, "10.0 KiB");
        check_format(812 * 1024, "812 KiB");
        check_format(1363149, "1.30 MiB");
        check_format(2ULL << 30, "2.00 GiB");
        check_format(402653184, "384 MiB");
        check_format(5ULL << 40, "5.00 TiB");
        check_format(3ULL << 50, "3.00 PiB");
        check_format(UINT64_MAX, "16384 PiB"); /* PiB is the largest unit */

        /* A short buffer is truncated and stays NUL-terminated. */
        memset(small, 'x', sizeof(small));
        CHECK(util_format_bytes(2ULL << 30, small, sizeof(small)) == small);
        CHECK_STR(small, "2.0");
        util_format_bytes(2ULL << 30, one, sizeof(one));
        CHECK_EQ_INT(one[0], '\0');
}

static void test_format_seconds(void)
{
        char b[32];

        CHECK_STR(util_format_seconds(0, "never", b, sizeof(b)), "0 s");
        CHECK_STR(util_format_seconds(119.4, "never", b, sizeof(b)), "119 s");
        CHECK_STR(util_format_seconds(120, "never", b, sizeof(b)), "2 min");
        CHECK_STR(util_format_seconds(7199, "never", b, sizeof(b)), "120 min");
        CHECK_STR(util_format_seconds(7200, "never", b, sizeof(b)), "2.0 h");
        CHECK_STR(util_format_seconds(172800, "never", b, sizeof(b)), "2.0 days");
        CHECK_STR(util_format_seconds(INFINITY, "not growing", b, sizeof(b)), "not growing");
        CHECK_STR(util_format_seconds(NAN, "never", b, sizeof(b)), "-");
}

static void test_misc(void)
{
        uint64_t a, b;

        a = util_now_ns();
        b = util_now_ns();
        CHECK(a > 0);
        CHECK(b >= a);
        CHECK(util_wall_ns() > 1500000000ULL * 1000000000ULL); /* after 2017 */
        CHECK_STR(util_strerror(-ENOENT), strerror(ENOENT));
        CHECK_STR(util_strerror(EACCES), strerror(EACCES));
        CHECK_EQ_INT(util_write_all(-1, "x", 1), -EBADF);
        CHECK_EQ_INT(util_write_all(-1, "", 0), 0);
}

static void check_fit(const char *in, size_t width, const char *want, size_t want_cols)
{
        char out[256];
        size_t cols = util_fit_command(in, width, out, sizeof(out));

        CHECK_STR(out, want);
        CHECK_EQ_U64(cols, want_cols);
}

static void test_fit_command(void)
{
        /* fits: as it is */
        check_fit("python3 -c pass", 26, "python3 -c pass", 15);
        /* a pyenv interpreter: the program's name kept, the directory cut in the middle */
        check_fit("/root/.pyenv/versions/3.11.9/bin/python3.11 -c x=[0]*10**6", 40,
                  "/root/.pyenv/\u2026/python3.11 -c x=[0]*10**6", 40);
        /* not even that fits: the directory goes, the arguments are cut at their end */
        check_fit("/root/.pyenv/versions/3.11.9/bin/python3.11 -c x=[0]*10**6", 26,
                  "\u2026/python3.11 -c x=[0]*10*\u2026", 26);
        check_fit("gunicorn: worker [app:app] with a long title", 20, "gunicorn: worker [a\u2026", 20);
        /* hostile bytes: control characters, escapes, invalid UTF-8, C1 controls */
        check_fit("evil\x1b]0;owned\x07 \xff\xc2\x9b x", 40, "evil\\x1b]0;owned\\x07 \\xff\\xc2\\x9b x", 35);
        check_fit("a\nb\tc\r", 20, "a\\x0ab\\x09c\\x0d", 15);
        /* an escape is columns like any other text when the line is cut */
        check_fit("\x1b\x1b\x1b\x1b", 8, "\\x1b\\x1\u2026", 8);
        /* printable UTF-8 is kept, one column per character */
        check_fit("caf\xc3\xa9 \xe2\x82\xac", 10, "caf\xc3\xa9 \xe2\x82\xac", 6);
        check_fit("", 10, "", 0);
        check_fit("abc", 1, "\u2026", 1);
        char out[8];
        util_fit_command("/usr/bin/python3 -c pass", 26, out, sizeof(out)); /* bounded by the buffer */
        CHECK(strlen(out) < sizeof(out));
}

/* util_utf8_text of s[0..n), checked and freed. */
static void check_text(const char *s, size_t n, const char *want)
{
        char *copy = malloc(n ? n : 1); /* on the heap, so that ASan sees any over-read */
        char *t;

        memcpy(copy, s, n);
        t = util_utf8_text(copy, n);
        CHECK(t != NULL);
        if (t)
                CHECK_STR(t, want);
        free(t);
        free(copy);
}

#define FFFD "\xef\xbf\xbd"

static void test_utf8_char(void)
{
        int ctl = 7;

        CHECK_EQ_U64(util_utf8_char("a", 1, &ctl), 1);
        CHECK_EQ_INT(ctl, 0);
        CHECK_EQ_U64(util_utf8_char("\x1b", 1, &ctl), 1);
        CHECK_EQ_INT(ctl, 1);
        CHECK_EQ_U64(util_utf8_char("", 1, &ctl), 1); /* NUL is a character, a control */
        CHECK_EQ_INT(ctl, 1);
        CHECK_EQ_U64(util_utf8_char("\x7f", 1, &ctl), 1);
        CHECK_EQ_INT(ctl, 1);
        CHECK_EQ_U64(util_utf8_char("\xc2\x85", 2, &ctl), 2); /* NEL, a C1 control */
        CHECK_EQ_INT(ctl, 1);
        CHECK_EQ_U64(util_utf8_char("\xc2\xa0", 2, &ctl), 2);
        CHECK_EQ_INT(ctl, 0);
        CHECK_EQ_U64(util_utf8_char("\xe2\x82\xac", 3, &ctl), 3);
        CHECK_EQ_U64(util_utf8_char("\xf0\x9f\x98\x80", 4, &ctl), 4);
        CHECK_EQ_U64(util_utf8_char("\xf4\x8f\xbf\xbf", 4, &ctl), 4); /* U+10FFFF */
        ctl = 7;
        CHECK_EQ_U64(util_utf8_char("a", 0, &ctl), 0);
        CHECK_EQ_U64(util_utf8_char("\xf0\x9f\x98\x80", 3, &ctl), 0); /* cut by n */
        CHECK_EQ_U64(util_utf8_char("\x80", 1, &ctl), 0);
        CHECK_EQ_U64(util_utf8_char("\xc1\xbf", 2, &ctl), 0);
        CHECK_EQ_U64(util_utf8_char("\xed\xb0\x80", 3, &ctl), 0);
        CHECK_EQ_INT(ctl, 7); /* not written on failure */
}

static void test_utf8_text(void)
{
        /* valid UTF-8 kept byte for byte, 2, 3 and 4-byte sequences and the extremes included */
        check_text("caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \xf0\x9f\x98\x80", 19,
                   "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \xf0\x9f\x98\x80");
        check_text("\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 24,
                   "\xc2\x80\xdf\xbf\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
        /* control characters are JSON's to escape: kept */
        check_text("a\x1b[0m\tb\n", 8, "a\x1b[0m\tb\n");
        check_text("", 0, "");
        /* Latin-1, as a shell script may hold it */
        check_text("caf\xe9", 4, "caf" FFFD);
        /* each byte that begins no valid sequence: one U+FFFD */
        check_text("\x80", 1, FFFD);                                       /* lone continuation */
        check_text("a\xbf\xbf" "b", 4, "a" FFFD FFFD "b");
        check_text("\xff\xfe\xf5\xc0\xc1", 5, FFFD FFFD FFFD FFFD FFFD);     /* never in UTF-8 */
        check_text("\xc0\xaf", 2, FFFD FFFD);                                /* overlong '/' */
        check_text("\xe0\x80\xaf", 3, FFFD FFFD FFFD);                       /* overlong, 3 bytes */
        check_text("\xf0\x80\x80\xaf", 4, FFFD FFFD FFFD FFFD);                /* overlong, 4 bytes */
        check_text("\xed\xa0\x80\xed\xbf\xbf", 6, FFFD FFFD FFFD FFFD FFFD FFFD); /* surrogates */
        check_text("\xf4\x90\x80\x80", 4, FFFD FFFD FFFD FFFD);                /* above U+10FFFF */
        check_text("end\xe2\x82", 5, "end" FFFD FFFD);                       /* truncated at the end */
        check_text("\xe2\x82x", 3, FFFD FFFD "x");                           /* truncated in the middle */
        check_text("\xf0\x9f\x98", 3, FFFD FFFD FFFD);
        /* NUL inside the bytes given: U+FFFD (a C string could not carry it) */
        check_text("a\0b", 3, "a" FFFD "b");
        CHECK(util_utf8_text("x", SIZE_MAX) == NULL); /* no size overflow */
}

/* util_escape_text of a C string into a buffer of `size`. */
static const char *escape(const char *s, size_t size)
{
        static char out[256];

        util_escape_text(s, strlen(s), out, size);
        return out;
}

static void test_escape_text(void)
{
        char out[64];

        CHECK_STR(escape("python3 -c pass", sizeof(out)), "python3 -c pass");
        CHECK_STR(escape("caf\xc3\xa9 \xf0\x9f\x98\x80 a\\b", sizeof(out)), "caf\xc3\xa9 \xf0\x9f\x98\x80 a\\b");
        /* C0 controls, DEL, C1 controls (as UTF-8 and as bare bytes), invalid bytes */
        CHECK_STR(escape("\x1b]0;owned\x07", sizeof(out)), "\\x1b]0;owned\\x07");
        CHECK_STR(escape("a\nb\rc\td\x7f", sizeof(out)), "a\\x0ab\\x0dc\\x09d\\x7f");
        CHECK_STR(escape("\xc2\x9b" "2J \x9b" "2J", sizeof(out)), "\\xc2\\x9b2J \\x9b2J");
        CHECK_STR(escape("caf\xe9 \xff \xc0\xaf \xed\xa0\x80 \xe2\x82", sizeof(out)),
                  "caf\\xe9 \\xff \\xc0\\xaf \\xed\\xa0\\x80 \\xe2\\x82");
        /* NUL within the length given */
        CHECK_EQ_U64(util_escape_text("a\0b", 3, out, sizeof(out)), 6);
        CHECK_STR(out, "a\\x00b");
        /* cut before what does not fit, never inside an escape or a character */
        CHECK_STR(escape("ab\x1b", 6), "ab");
        CHECK_STR(escape("ab\x1b", 7), "ab\\x1b");
        CHECK_STR(escape("a\xe2\x82\xac", 4), "a");
        CHECK_EQ_U64(util_escape_text("x", 1, out, 1), 0);
        CHECK_STR(out, "");
        CHECK_EQ_U64(util_escape_text("x", 1, out, 0), 0);
}

static void test_parse_x64_and_fields(void)
{
        uint64_t v = 7;
        const char *f;
        size_t n, pos = 0;
        const char *line = "  12 ff\tFFFFFFFFFFFFFFFF 10000000000000000 g1 ";

        CHECK_EQ_INT(util_parse_x64("7fA0 ", 5, &v), 4);
        CHECK_EQ_U64(v, 0x7fa0);
        CHECK_EQ_INT(util_parse_x64("x", 1, &v), -EINVAL);
        CHECK_EQ_INT(util_parse_x64("", 0, &v), -EINVAL);
        CHECK_EQ_U64(v, 0x7fa0); /* written on success only */
        CHECK_EQ_INT(util_parse_x64("10000000000000000", 17, &v), -ERANGE);
        CHECK_EQ_INT(util_parse_x64("abc", 2, &v), 2); /* bounded by len */
        CHECK_EQ_U64(v, 0xab);

        /* fields: spaces and tabs between, none at the end */
        CHECK_EQ_INT(util_next_field(line, strlen(line), &pos, &f, &n), 1);
        CHECK(n == 2 && memcmp(f, "12", 2) == 0);
        CHECK_EQ_INT(util_field_u64(f, n, &v), 0);
        CHECK_EQ_U64(v, 12);
        CHECK_EQ_INT(util_next_field(line, strlen(line), &pos, &f, &n), 1);
        CHECK_EQ_INT(util_field_x64(f, n, &v), 0);
        CHECK_EQ_U64(v, 0xff);
        CHECK_EQ_INT(util_field_u64(f, n, &v), -EINVAL); /* not decimal */
        CHECK_EQ_INT(util_next_field(line, strlen(line), &pos, &f, &n), 1);
        CHECK_EQ_INT(util_field_x64(f, n, &v), 0);
        CHECK_EQ_U64(v, UINT64_MAX);
        CHECK_EQ_INT(util_next_field(line, strlen(line), &pos, &f, &n), 1);
        CHECK_EQ_INT(util_field_x64(f, n, &v), -ERANGE);
        CHECK_EQ_INT(util_next_field(line, strlen(line), &pos, &f, &n), 1);
        CHECK_EQ_INT(util_field_x64(f, n, &v), -EINVAL); /* "g1": a digit, but not all of it */
        CHECK_EQ_INT(util_next_field(line, strlen(line), &pos, &f, &n), 0);
        CHECK_EQ_INT(util_next_field(line, strlen(line), &pos, &f, &n), 0);
        pos = 0;
        CHECK_EQ_INT(util_next_field("", 0, &pos, &f, &n), 0);
        /* a NUL ends a field, and the line */
        pos = 0;
        CHECK_EQ_INT(util_next_field("ab\0cd", 5, &pos, &f, &n), 1);
        CHECK_EQ_INT(n, 2);
}

static void test_grow(void)
{
        size_t cap = 0;
        int *a = NULL, *p;

        p = util_grow(a, &cap, 1, sizeof(*a), 4);
        CHECK(p != NULL && cap == 4);
        a = p;
        for (int i = 0; i < 4; i++)
                a[i] = i;
        CHECK(util_grow(a, &cap, 3, sizeof(*a), 4) == a && cap == 4); /* room already */
        p = util_grow(a, &cap, 9, sizeof(*a), 4);
        CHECK(p != NULL && cap == 16);
        a = p;
        CHECK(a[0] == 0 && a[3] == 3); /* kept */
        size_t cap2 = cap;
        CHECK(util_grow(a, &cap2, SIZE_MAX / 2, sizeof(*a), 4) == NULL && cap2 == cap); /* too big: untouched */
        free(a);
}

/* The one way sizes and rates are printed: unknown as "-", rounded to the byte, the rate's
 * unit by its size. */
static void test_format_figures(void)
{
        char b[64];

        CHECK_STR(util_format_bytes_or_dash(-1, b, sizeof(b)), "-");
        CHECK_STR(util_format_bytes_or_dash(NAN, b, sizeof(b)), "-");
        CHECK_STR(util_format_bytes_or_dash(INFINITY, b, sizeof(b)), "-");
        CHECK_STR(util_format_bytes_or_dash(1023.6, b, sizeof(b)), "1.00 KiB");
        CHECK_STR(util_format_bytes_or_dash(0, b, sizeof(b)), "0 B");
        CHECK_STR(util_format_signed_bytes(-1.5 * 1024 * 1024, "+", b, sizeof(b)), "-1.50 MiB");
        CHECK_STR(util_format_signed_bytes(655360, "+", b, sizeof(b)), "+640 KiB");
        CHECK_STR(util_format_signed_bytes(655360, "", b, sizeof(b)), "640 KiB");
        CHECK_STR(util_format_signed_bytes(-0.4, "+", b, sizeof(b)), "-0 B");
        CHECK_STR(util_format_signed_bytes(NAN, "+", b, sizeof(b)), "-");
        CHECK_STR(util_format_rate(2.0 * 1024 * 1024, "+", b, sizeof(b)), "+2.00 MiB/s");
        CHECK_STR(util_format_rate(1024.0 * 1024, "", b, sizeof(b)), "1.00 MiB/s");    /* 1 MiB/s: per second */
        CHECK_STR(util_format_rate(1024.0 * 1024 / 60, "", b, sizeof(b)), "1.00 MiB/min"); /* 1 MiB/min: per minute */
        CHECK_STR(util_format_rate(-2.1 * 1024 * 1024 / 60, "+", b, sizeof(b)), "-2.10 MiB/min");
        CHECK_STR(util_format_rate(1000.0 / 3600, "+", b, sizeof(b)), "+1000 B/h");
        CHECK_STR(util_format_rate(0, "+", b, sizeof(b)), "+0 B/h");
        CHECK_STR(util_format_rate(NAN, "+", b, sizeof(b)), "-");
        CHECK_STR(util_format_rate(-INFINITY, "+", b, sizeof(b)), "-");
}

/* mkdir -p says which directories it created, and exactly those are removed again (and not
 * one that holds a file). */
static void test_mkdir_created(void)
{
        char top[] = "/tmp/jitmem-util-XXXXXX", path[256], file[300];
        size_t created = 99;

        if (!mkdtemp(top)) {
                CHECK(0);
                return;
        }
        snprintf(path, sizeof(path), "%s/a/b/c", top);
        CHECK_EQ_INT(util_mkdir_p_created(path, NULL, 0, &created), 0);
        CHECK_EQ_INT(created, strlen(top) + 2); /* top/a */
        CHECK_EQ_INT(util_mkdir_p_created(path, NULL, 0, &created), 0);
        CHECK_EQ_INT(created, 0); /* all there already */
        CHECK_EQ_INT(util_rmdir_created(path, strlen(top) + 2), 0);
        snprintf(file, sizeof(file), "%s/a", top);
        CHECK(access(file, F_OK) < 0 && errno == ENOENT);
        CHECK_EQ_INT(access(top, F_OK), 0); /* not created by it: kept */

        CHECK_EQ_INT(util_mkdir_p_created(path, NULL, 0, &created), 0);
        snprintf(file, sizeof(file), "%s/a/keep", top);
        CHECK_EQ_INT(unit_write_file(file, "x", 0644), 0);
        CHECK_EQ_INT(util_rmdir_created(path, created), -ENOTEMPTY); /* a/ holds a file: kept */
        snprintf(file, sizeof(file), "%s/a/b", top);
        CHECK(access(file, F_OK) < 0 && errno == ENOENT);
        snprintf(file, sizeof(file), "%s/a/keep", top);
        CHECK_EQ_INT(unlink(file), 0);
        snprintf(file, sizeof(file), "%s/a", top);
        CHECK_EQ_INT(rmdir(file), 0);
        CHECK_EQ_INT(rmdir(top), 0);
        CHECK_EQ_INT(util_rmdir_created(path, 0), -EINVAL);
}

static void count_entry(int dfd, const char *name, void *ctx)
{
        int *n = ctx;

        CHECK(dfd >= 0);
        CHECK(strcmp(name, ".") != 0 && strcmp(name, "..") != 0);
        if (strncmp(name, "gone.", 5) == 0)
                CHECK_EQ_INT(unlinkat(dfd, name, 0), 0);
        (*n)++;
}

static void test_dir_each_and_say(void)
{
        char top[] = "/tmp/jitmem-util-XXXXXX", file[300], buf[8];
        int n = 0;

        if (!mkdtemp(top)) {
                CHECK(0);
                return;
        }
        for (int i = 0; i < 3; i++) {
                snprintf(file, sizeof(file), "%s/%s%d", top, i ? "gone." : "kept.", i);
                CHECK_EQ_INT(unit_write_file(file, "x", 0644), 0);
        }
        CHECK_EQ_INT(util_dir_each(top, count_entry, &n), 0);
        CHECK_EQ_INT(n, 3); /* every entry but . and .. */
        n = 0;
        CHECK_EQ_INT(util_dir_each(top, count_entry, &n), 0);
        CHECK_EQ_INT(n, 1); /* the two unlinked through dfd are gone */
        snprintf(file, sizeof(file), "%s/kept.0", top);
        CHECK_EQ_INT(util_dir_each(file, count_entry, &n), -ENOTDIR);
        CHECK_EQ_INT(unlink(file), 0);
        CHECK_EQ_INT(rmdir(top), 0);
        CHECK_EQ_INT(util_dir_each(top, count_entry, &n), -ENOENT);

        util_say(buf, sizeof(buf), "%s %d", "abcdef", 12);
        CHECK_STR(buf, "abcdef "); /* cut to the buffer, terminated */
        util_say(NULL, 0, "%d", 1); /* nowhere to say it: nothing happens */
}

int main(void)
{
        test_dir_each_and_say();
        test_mkdir_created();
        test_format_figures();
        test_grow();
        test_parse_x64_and_fields();
        test_parse_u64();
        test_parse_i64();
        test_parse_number();
        test_parse_size();
        test_parse_duration();
        test_format_bytes();
        test_format_seconds();
        test_misc();
        test_fit_command();
        test_utf8_char();
        test_utf8_text();
        test_escape_text();
        return unit_finish("test_util");
}
