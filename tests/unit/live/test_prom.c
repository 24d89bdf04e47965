/* Unit tests for src/live/prom.c: the exposition text (exact output, escaping, names, numbers, the
 * cap), promtool's verdict on it when promtool is installed, the textfile writer, and the
 * /metrics server on 127.0.0.1 driven from this test's own poll loop by non-blocking clients,
 * misbehaving ones included. Every loop is bounded in time. */
#include "prom.h"
#include "prom_server.h"
#include "prom_textfile.h"
#include "spawn.h"
#include "unit.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static char tmpdir[64];

/* The text as a C string, in a static buffer. */
static const char *text_of(const struct prom_text *t)
{
        static char buf[8192];
        size_t n = t->len < sizeof(buf) - 1 ? t->len : sizeof(buf) - 1;

        if (n)
                memcpy(buf, t->buf, n);
        buf[n] = '\0';
        return buf;
}

/* ---- the exposition text ---- */

static void test_exact_text(void)
{
        struct prom_text t;
        const char *const a[] = { "pid", "42", "comm", "python3" };
        const char *const b[] = { "pid", "43", "comm", "gunicorn" };

        prom_text_init(&t, 0);
        CHECK_EQ_INT(t.len, 0);
        CHECK_EQ_INT(prom_family(&t, "jitmem_rss_bytes", "gauge", "Resident set size.\nIn bytes, \\ included."), 0);
        CHECK_EQ_INT(prom_sample(&t, "jitmem_rss_bytes", a, 2, 123456789), 0);
        CHECK_EQ_INT(prom_sample(&t, "jitmem_rss_bytes", b, 2, 0.5), 0);
        CHECK_EQ_INT(prom_family(&t, "jitmem_samples_total", "counter", "Ticks taken."), 0);
        CHECK_EQ_INT(prom_sample(&t, "jitmem_samples_total", NULL, 0, 17), 0);
        CHECK_EQ_INT(prom_family(&t, "jitmem_up", "untyped", NULL), 0);
        CHECK_EQ_INT(prom_sample(&t, "jitmem_up", NULL, 0, 1), 0);
        CHECK_STR(text_of(&t),
                  "# HELP jitmem_rss_bytes Resident set size.\\nIn bytes, \\\\ included.\n"
                  "# TYPE jitmem_rss_bytes gauge\n"
                  "jitmem_rss_bytes{pid=\"42\",comm=\"python3\"} 123456789\n"
                  "jitmem_rss_bytes{pid=\"43\",comm=\"gunicorn\"} 0.5\n"
                  "# HELP jitmem_samples_total Ticks taken.\n"
                  "# TYPE jitmem_samples_total counter\n"
                  "jitmem_samples_total 17\n"
                  "# TYPE jitmem_up untyped\n"
                  "jitmem_up 1\n");
        CHECK(!t.truncated);

        /* reset keeps the allocation and forgets the families */
        char *before = t.buf;
        prom_text_reset(&t);
        CHECK_EQ_INT(t.len, 0);
        CHECK(t.buf == before);
        CHECK_EQ_INT(prom_sample(&t, "jitmem_up", NULL, 0, 1), -ENOENT);
        CHECK_EQ_INT(prom_family(&t, "jitmem_up", "gauge", "Again."), 0);
        CHECK_EQ_INT(prom_sample(&t, "jitmem_up", NULL, 0, 0), 0);
        CHECK_STR(text_of(&t), "# HELP jitmem_up Again.\n# TYPE jitmem_up gauge\njitmem_up 0\n");
        prom_text_free(&t);
        prom_text_free(NULL);
}

/* The label value v as prom_sample writes it: the text between the quotes. */
static const char *escaped_value(const char *v)
{
        static char out[512];
        struct prom_text t;
        const char *const l[] = { "comm", v };
        const char *s, *open, *close;

        prom_text_init(&t, 0);
        out[0] = '\0';
        if (prom_family(&t, "m", "gauge", NULL) == 0 && prom_sample(&t, "m", l, 1, 1) == 0) {
                s = text_of(&t);
                open = strstr(s, "{comm=\"");
                close = strrchr(s, '}');
                if (open && close && close > open + 7) {
                        size_t n = (size_t)(close - 1 - (open + 7));
                        memcpy(out, open + 7, n);
                        out[n] = '\0';
                }
        }
        prom_text_free(&t);
        return out;
}

static void test_escaping(void)
{
        struct prom_text t;

        CHECK_STR(escaped_value("plain"), "plain");
        CHECK_STR(escaped_value(""), "");
        CHECK_STR(escaped_value("a\"b"), "a\\\"b");
        CHECK_STR(escaped_value("a\\b"), "a\\\\b");
        CHECK_STR(escaped_value("a\nb"), "a\\nb");
        CHECK_STR(escaped_value("\"\\\n"), "\\\"\\\\\\n");
        /* the other control characters as the text \xNN, its backslash escaped: TAB, CR, ESC,
         * DEL and a C1 control (U+009B, CSI) never pass raw */
        CHECK_STR(escaped_value("tab\there"), "tab\\\\x09here");
        CHECK_STR(escaped_value("a\rb"), "a\\\\x0db");
        CHECK_STR(escaped_value("\x1b[31mred"), "\\\\x1b[31mred");
        CHECK_STR(escaped_value("\x01\x1f\x7f"), "\\\\x01\\\\x1f\\\\x7f");
        CHECK_STR(escaped_value("\xc2\x9b" "2J"), "\\\\xc2\\\\x9b2J");
        CHECK_STR(escaped_value("\xc2\xa0"), "\xc2\xa0"); /* U+00A0 is not a control */
        CHECK_STR(escaped_value("\x9b"), "\xef\xbf\xbd"); /* a lone C1 byte is not UTF-8 */
        /* well-formed UTF-8 passes: e-acute, euro sign, G clef */
        CHECK_STR(escaped_value("caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e");
        /* each byte of anything else becomes U+FFFD */
        CHECK_STR(escaped_value("x\xffy"), "x\xef\xbf\xbdy");
        CHECK_STR(escaped_value("\xc3("), "\xef\xbf\xbd(");
        CHECK_STR(escaped_value("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");                 /* overlong '/' */
        CHECK_STR(escaped_value("\xe0\x80\xaf"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* overlong, 3 bytes */
        CHECK_STR(escaped_value("\xf0\x80\x80\xaf"),
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");                    /* overlong, 4 bytes */
        CHECK_STR(escaped_value("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* surrogate */
        CHECK_STR(escaped_value("\xed\x9f\xbf\xf4\x8f\xbf\xbf"), "\xed\x9f\xbf\xf4\x8f\xbf\xbf"); /* U+D7FF, U+10FFFF */
        CHECK_STR(escaped_value("\xf4\x90\x80\x80"),
                  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");                    /* above U+10FFFF */
        CHECK_STR(escaped_value("end\xe2\x82"), "end\xef\xbf\xbd\xef\xbf\xbd");          /* cut short */
        CHECK_STR(escaped_value("\x80\"\xfe"), "\xef\xbf\xbd\\\"\xef\xbf\xbd");

        /* HELP escapes backslash and newline but not the double quote */
        prom_text_init(&t, 0);
        CHECK_EQ_INT(prom_family(&t, "m", "gauge", "say \"hi\"\\\n\xff"), 0);
        CHECK_STR(text_of(&t), "# HELP m say \"hi\"\\\\\\n\xef\xbf\xbd\n# TYPE m gauge\n");
        prom_text_free(&t);
        prom_text_init(&t, 0);
        CHECK_EQ_INT(prom_family(&t, "m", "gauge", "a\tb\x1b"), 0);
        CHECK_STR(text_of(&t), "# HELP m a\\\\x09b\\\\x1b\n# TYPE m gauge\n");
        prom_text_free(&t);
}

static void test_names(void)
{
        struct prom_text t;
        const char *const dunder[] = { "__name__", "x" };
        const char *const colon[] = { "a:b", "x" };
        const char *const digit[] = { "1a", "x" };
        const char *const twice[] = { "pid", "1", "pid", "2" };
        const char *const nullv[] = { "pid", NULL };
        const char *const ok[] = { "_pid", "1", "Comm9", "x" };

        CHECK(prom_valid_metric_name("jitmem_rss_bytes"));
        CHECK(prom_valid_metric_name("a:b_c"));
        CHECK(prom_valid_metric_name("_x"));
        CHECK(prom_valid_metric_name(":x"));
        CHECK(!prom_valid_metric_name(""));
        CHECK(!prom_valid_metric_name(NULL));
        CHECK(!prom_valid_metric_name("1abc"));
        CHECK(!prom_valid_metric_name("a-b"));
        CHECK(!prom_valid_metric_name("a b"));
        CHECK(!prom_valid_metric_name("caf\xc3\xa9"));
        CHECK(prom_valid_label_name("pid"));
        CHECK(prom_valid_label_name("_x"));
        CHECK(!prom_valid_label_name("__name__"));
        CHECK(!prom_valid_label_name("a:b"));
        CHECK(!prom_valid_label_name("9"));
        char longname[PROM_NAME_MAX + 2];
        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        CHECK(!prom_valid_metric_name(longname));
        longname[PROM_NAME_MAX] = '\0';
        CHECK(prom_valid_metric_name(longname));

        prom_text_init(&t, 0);
        CHECK_EQ_INT(prom_family(&t, "1abc", "gauge", "h"), -EINVAL);
        CHECK_EQ_INT(prom_family(&t, "a-b", "gauge", "h"), -EINVAL);
        CHECK_EQ_INT(prom_family(&t, "ok", "histogram", "h"), -EINVAL);
        CHECK_EQ_INT(prom_family(&t, "ok", NULL, "h"), -EINVAL);
        CHECK_EQ_INT(prom_family(&t, "requests", "counter", "h"), -EINVAL);   /* a counter ends in _total */
        CHECK_EQ_INT(prom_family(&t, "bytes_total", "gauge", "h"), -EINVAL);  /* and only a counter */
        CHECK_EQ_INT(prom_sample(&t, "ok", NULL, 0, 1), -ENOENT);             /* no family started */
        CHECK_EQ_INT(t.len, 0);
        CHECK_EQ_INT(prom_family(&t, "first", "gauge", "h"), 0);
        CHECK_EQ_INT(prom_sample(&t, "first", dunder, 1, 1), -EINVAL);
        CHECK_EQ_INT(prom_sample(&t, "first", colon, 1, 1), -EINVAL);
        CHECK_EQ_INT(prom_sample(&t, "first", digit, 1, 1), -EINVAL);
        CHECK_EQ_INT(prom_sample(&t, "first", twice, 2, 1), -EINVAL);
        CHECK_EQ_INT(prom_sample(&t, "first", nullv, 1, 1), -EINVAL);
        CHECK_EQ_INT(prom_sample(&t, "first", NULL, 1, 1), -EINVAL);
        CHECK_EQ_INT(prom_sample(&t, "first", ok, 2, 1), 0);
        CHECK_EQ_INT(prom_family(&t, "second", "gauge", "h"), 0);
        /* a family's samples cannot come back after another family */
        CHECK_EQ_INT(prom_sample(&t, "first", NULL, 0, 1), -ENOENT);
        CHECK_EQ_INT(prom_family(&t, "first", "gauge", "h"), -EEXIST);
        CHECK_EQ_INT(prom_family(&t, "second", "counter", "h"), -EINVAL);
        CHECK_EQ_INT(prom_sample(&t, "second", NULL, 0, 2), 0);
        CHECK_EQ_INT(prom_family(&t, "sec", "gauge", "a prefix of second is another name"), 0);
        CHECK_STR(text_of(&t), "# HELP first h\n# TYPE first gauge\nfirst{_pid=\"1\",Comm9=\"x\"} 1\n"
                               "# HELP second h\n# TYPE second gauge\nsecond 2\n"
                               "# HELP sec a prefix of second is another name\n# TYPE sec gauge\n");
        prom_text_free(&t);
}

static const char *fmt(double v)
{
        static char buf[64];
        return prom_format_value(v, buf, sizeof(buf));
}

static void test_values(void)
{
        CHECK_STR(fmt(NAN), "NaN");
        CHECK_STR(fmt(-NAN), "NaN");
        CHECK_STR(fmt(INFINITY), "+Inf");
        CHECK_STR(fmt(-INFINITY), "-Inf");
        CHECK_STR(fmt(0), "0");
        CHECK_STR(fmt(-0.0), "0");
        CHECK_STR(fmt(1), "1");
        CHECK_STR(fmt(-17), "-17");
        CHECK_STR(fmt(0.1), "0.1");
        CHECK_STR(fmt(-2.5), "-2.5");
        CHECK_STR(fmt(1.0 / 3), "0.3333333333333333");
        CHECK_STR(fmt(4294967296.0), "4294967296");
        CHECK_STR(fmt(1e15), "1000000000000000");
        CHECK_STR(fmt(9007199254740991.0), "9007199254740991");
        CHECK_STR(fmt(9007199254740992.0), "9007199254740992");
        CHECK_STR(fmt(-9007199254740992.0), "-9007199254740992");
        CHECK_STR(fmt(9007199254740994.0), "9007199254740994");
        CHECK_STR(fmt(1e20), "1e+20");
        CHECK_STR(fmt(1.5e-7), "1.5e-07");
        CHECK_STR(fmt(0.30000000000000004), "0.30000000000000004");

        /* every value reads back exactly */
        uint64_t x = 0x9E3779B97F4A7C15ULL;
        int exact = 1;
        for (int i = 0; i < 20000; i++) {
                double v;
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                memcpy(&v, &x, sizeof(v));
                if (isnan(v) || isinf(v))
                        continue;
                if (strtod(fmt(v), NULL) != v) {
                        exact = 0;
                        fprintf(stderr, "not exact: %a -> %s\n", v, fmt(v));
                        break;
                }
                double w = (double)(x >> 11); /* integers below 2^53 */
                if (strtod(fmt(w), NULL) != w || strchr(fmt(w), 'e')) {
                        exact = 0;
                        fprintf(stderr, "not exact: %.17g -> %s\n", w, fmt(w));
                        break;
                }
        }
        CHECK(exact);
}

static int whole_lines(const struct prom_text *t)
{
        return t->len == 0 || t->buf[t->len - 1] == '\n';
}

static void test_truncation(void)
{
        struct prom_text t;
        const char *const l[] = { "comm", "a rather long process name to fill the buffer" };
        int r = 0, n = 0;

        prom_text_init(&t, 300);
        CHECK_EQ_INT(prom_family(&t, "jitmem_rss_bytes", "gauge", "Resident set size."), 0);
        for (int i = 0; i < 100 && r == 0; i++) {
                r = prom_sample(&t, "jitmem_rss_bytes", l, 1, i);
                if (r == 0)
                        n++;
        }
        CHECK_EQ_INT(r, -ENOBUFS);
        CHECK(t.truncated);
        CHECK(t.len <= 300);
        CHECK(t.len > 200);
        CHECK(n >= 2 && n < 10);
        CHECK(whole_lines(&t));
        size_t len = t.len;
        /* nothing more goes in, however small */
        CHECK_EQ_INT(prom_sample(&t, "jitmem_rss_bytes", NULL, 0, 1), -ENOBUFS);
        CHECK_EQ_INT(prom_family(&t, "x", "gauge", NULL), -ENOBUFS);
        CHECK_EQ_INT(prom_sample(&t, "x", NULL, 0, 1), -ENOBUFS);
        CHECK_EQ_INT(t.len, len);
        /* argument errors are still told apart from the cap */
        CHECK_EQ_INT(prom_family(&t, "bad-name", "gauge", NULL), -EINVAL);
        prom_text_reset(&t);
        CHECK(!t.truncated);
        CHECK_EQ_INT(prom_family(&t, "x", "gauge", NULL), 0);
        CHECK_EQ_INT(prom_sample(&t, "x", NULL, 0, 1), 0);
        CHECK_STR(text_of(&t), "# TYPE x gauge\nx 1\n");

        /* a family whose header does not fit leaves nothing of itself */
        prom_text_reset(&t);
        t.max = 40;
        CHECK_EQ_INT(prom_family(&t, "x", "gauge", NULL), 0);
        CHECK_EQ_INT(prom_family(&t, "long_enough_name", "gauge", "with a help text"), -ENOBUFS);
        CHECK_STR(text_of(&t), "# TYPE x gauge\n");
        prom_text_free(&t);

        /* the default cap, and growth across many lines */
        prom_text_init(&t, 0);
        CHECK_EQ_INT(t.max, PROM_TEXT_MAX_DEFAULT);
        CHECK_EQ_INT(prom_family(&t, "big", "gauge", "h"), 0);
        r = 0;
        for (int i = 0; i < 200000 && r == 0; i++)
                r = prom_sample(&t, "big", l, 1, i);
        CHECK_EQ_INT(r, -ENOBUFS);
        CHECK(t.truncated);
        CHECK(t.len <= PROM_TEXT_MAX_DEFAULT && t.len > PROM_TEXT_MAX_DEFAULT - 128);
        CHECK(whole_lines(&t));
        prom_text_free(&t);
}

/* An exposition with every kind of line, for promtool and the textfile. */
static void build_sample_text(struct prom_text *t)
{
        const char *const a[] = { "pid", "1234", "comm", "py\"th\\on\n\xff" };
        const char *const b[] = { "pid", "1235", "comm", "gunicorn: worker [app]" };
        const char *const c[] = { "pid", "1234", "kind", "jit" };

        prom_text_init(t, 0);
        prom_family(t, "jitmem_process_rss_bytes", "gauge", "Resident set size of a process, in bytes.");
        prom_sample(t, "jitmem_process_rss_bytes", a, 2, 9007199254740992.0);
        prom_sample(t, "jitmem_process_rss_bytes", b, 2, 123456789);
        prom_family(t, "jitmem_process_cpu_seconds_total", "counter", "CPU time of a process,\nin seconds.");
        prom_sample(t, "jitmem_process_cpu_seconds_total", a, 2, 12.25);
        prom_sample(t, "jitmem_process_cpu_seconds_total", b, 2, 0.001);
        prom_family(t, "jitmem_process_code_bytes", "gauge", "Executable code by kind (\\ and \" kept).");
        prom_sample(t, "jitmem_process_code_bytes", c, 2, 65536);
        prom_family(t, "jitmem_cgroup_memory_limit_bytes", "gauge", "The cgroup's memory limit.");
        prom_sample(t, "jitmem_cgroup_memory_limit_bytes", NULL, 0, INFINITY);
        prom_family(t, "jitmem_jit_ratio", "gauge", "JIT code over RSS.");
        prom_sample(t, "jitmem_jit_ratio", NULL, 0, NAN);
        prom_family(t, "jitmem_delta_bytes", "gauge", "A change.");
        prom_sample(t, "jitmem_delta_bytes", NULL, 0, -INFINITY);
}

/* Runs promtool check metrics with the file on its stdin; its output goes to out. Returns
 * its exit status, 128+N when killed, or -1 when it could not be run or took over 30 s. */
static int run_promtool(const char *promtool, const char *file, char *out, size_t size)
{
        char a0[] = "promtool", a1[] = "check", a2[] = "metrics";
        char *argv[] = { a0, a1, a2, NULL };
        struct spawn_options o;
        struct spawn_child ch;
        int p[2], in, status = -1;
        size_t len = 0;
        uint64_t deadline = util_now_ns() + 30000000000ULL;

        out[0] = '\0';
        in = open(file, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return -1;
        if (pipe2(p, O_CLOEXEC) < 0) {
                close(in);
                return -1;
        }
        memset(&o, 0, sizeof(o));
        o.path = promtool;
        o.argv = argv;
        o.envp = environ;
        o.stdin_fd = in;
        o.stdout_fd = p[1];
        o.stderr_fd = p[1];
        int r = spawn_start(&o, &ch);
        close(in);
        close(p[1]);
        if (r < 0) {
                close(p[0]);
                return -1;
        }
        for (;;) {
                struct pollfd pf = { .fd = p[0], .events = POLLIN };
                uint64_t now = util_now_ns();
                char sink[256];
                ssize_t n;

                if (now >= deadline)
                        break;
                if (poll(&pf, 1, (int)((deadline - now) / 1000000 + 1)) <= 0)
                        continue;
                if (len + 1 < size)
                        n = read(p[0], out + len, size - 1 - len);
                else
                        n = read(p[0], sink, sizeof(sink));
                if (n <= 0)
                        break;
                if (len + 1 < size) {
                        len += (size_t)n;
                        out[len] = '\0';
                }
        }
        close(p[0]);
        if (util_now_ns() >= deadline)
                kill(ch.pid, SIGKILL);
        if (ch.pidfd >= 0)
                close(ch.pidfd);
        if (waitpid(ch.pid, &status, 0) < 0)
                return -1;
        if (util_now_ns() >= deadline)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_promtool(void)
{
        char promtool[4096], file[128], out[4096];
        struct prom_text t;

        if (spawn_resolve("promtool", promtool, sizeof(promtool)) < 0) {
                fprintf(stderr, "SKIP: promtool not installed\n");
                return;
        }
        build_sample_text(&t);
        CHECK(!t.truncated);
        snprintf(file, sizeof(file), "%s/check.prom", tmpdir);
        CHECK_EQ_INT(prom_write_textfile(file, t.buf, t.len), 0);
        int st = run_promtool(promtool, file, out, sizeof(out));
        CHECK_EQ_INT(st, 0);
        CHECK_STR(out, "");
        if (st != 0 || out[0])
                fprintf(stderr, "promtool said: %s\n", out);

        /* and promtool does fail on a broken exposition, so the check above can fail */
        const char bad[] = "# TYPE x gauge\nx{a=\"\xff\"} 1\nx 1 2 3\n";
        CHECK_EQ_INT(prom_write_textfile(file, bad, sizeof(bad) - 1), 0);
        st = run_promtool(promtool, file, out, sizeof(out));
        CHECK(st != 0 && st != -1);
        unlink(file);
        prom_text_free(&t);
}

/* ---- the textfile ---- */

static int read_whole(const char *path, char *buf, size_t size)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return -1;
        n = read(fd, buf, size - 1);
        close(fd);
        if (n < 0)
                return -1;
        buf[n] = '\0';
        return (int)n;
}

static int count_entries(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *e;
        int n = 0;

        if (!d)
                return -1;
        while ((e = readdir(d)) != NULL)
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
                        n++;
        closedir(d);
        return n;
}

static void test_textfile(void)
{
        char dir[128], path[256], buf[256];
        struct stat st;

        snprintf(dir, sizeof(dir), "%s/textfile", tmpdir);
        CHECK_EQ_INT(mkdir(dir, 0755), 0);
        snprintf(path, sizeof(path), "%s/jitmem.prom", dir);
        CHECK_EQ_INT(prom_write_textfile(path, "a 1\n", 4), 0);
        CHECK_EQ_INT(read_whole(path, buf, sizeof(buf)), 4);
        CHECK_STR(buf, "a 1\n");
        CHECK_EQ_INT(stat(path, &st), 0);
        CHECK_EQ_INT(st.st_mode & 0777, 0644);
        CHECK_EQ_INT(prom_write_textfile(path, "b 2\nc 3\n", 8), 0);
        CHECK_EQ_INT(read_whole(path, buf, sizeof(buf)), 8);
        CHECK_STR(buf, "b 2\nc 3\n");
        CHECK_EQ_INT(prom_write_textfile(path, "", 0), 0);
        CHECK_EQ_INT(read_whole(path, buf, sizeof(buf)), 0);
        CHECK_EQ_INT(count_entries(dir), 1);

        /* rename over a directory fails, and leaves no temporary file behind */
        char sub[256];
        snprintf(sub, sizeof(sub), "%s/adir.prom", dir);
        CHECK_EQ_INT(mkdir(sub, 0755), 0);
        char inner[300];
        snprintf(inner, sizeof(inner), "%s/keep", sub);
        CHECK_EQ_INT(mkdir(inner, 0755), 0);
        int r = prom_write_textfile(sub, "x 1\n", 4);
        CHECK(r == -EISDIR || r == -ENOTEMPTY || r == -EEXIST);
        CHECK_EQ_INT(count_entries(dir), 2);
        rmdir(inner);
        rmdir(sub);

        snprintf(path, sizeof(path), "%s/missing/jitmem.prom", dir);
        CHECK_EQ_INT(prom_write_textfile(path, "a 1\n", 4), -ENOENT);
        CHECK_EQ_INT(prom_write_textfile("/", "a 1\n", 4), -EINVAL);

        /* a bare name goes in the current directory */
        char cwd[256];
        CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
        CHECK_EQ_INT(chdir(dir), 0);
        CHECK_EQ_INT(prom_write_textfile("here.prom", "h 1\n", 4), 0);
        CHECK_EQ_INT(read_whole("here.prom", buf, sizeof(buf)), 4);
        unlink("here.prom");
        CHECK_EQ_INT(chdir(cwd), 0);

        snprintf(path, sizeof(path), "%s/jitmem.prom", dir);
        unlink(path);
        CHECK_EQ_INT(rmdir(dir), 0);
}

/* ---- the server ---- */

static void test_parse_addr(void)
{
        struct sockaddr_storage ss;
        socklen_t len = 0;
        const struct sockaddr_in *a4 = (const struct sockaddr_in *)&ss;
        const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&ss;

        CHECK_EQ_INT(prom_server_parse_addr(":9464", &ss, &len), 0);
        CHECK_EQ_INT(ss.ss_family, AF_INET);
        CHECK_EQ_INT(len, sizeof(struct sockaddr_in));
        CHECK_EQ_INT(ntohl(a4->sin_addr.s_addr), INADDR_LOOPBACK);
        CHECK_EQ_INT(ntohs(a4->sin_port), 9464);
        CHECK_EQ_INT(prom_server_parse_addr("9100", &ss, &len), 0);
        CHECK_EQ_INT(ntohl(a4->sin_addr.s_addr), INADDR_LOOPBACK);
        CHECK_EQ_INT(ntohs(a4->sin_port), 9100);
        CHECK_EQ_INT(prom_server_parse_addr("localhost:0", &ss, &len), 0);
        CHECK_EQ_INT(ntohl(a4->sin_addr.s_addr), INADDR_LOOPBACK);
        CHECK_EQ_INT(prom_server_parse_addr("0.0.0.0:65535", &ss, &len), 0);
        CHECK_EQ_INT(ntohl(a4->sin_addr.s_addr), INADDR_ANY);
        CHECK_EQ_INT(ntohs(a4->sin_port), 65535);
        CHECK_EQ_INT(prom_server_parse_addr("10.1.2.3:80", &ss, &len), 0);
        CHECK_EQ_INT(ntohl(a4->sin_addr.s_addr), 0x0A010203);
        CHECK_EQ_INT(prom_server_parse_addr("[::1]:9464", &ss, &len), 0);
        CHECK_EQ_INT(ss.ss_family, AF_INET6);
        CHECK_EQ_INT(len, sizeof(struct sockaddr_in6));
        CHECK(memcmp(&a6->sin6_addr, &in6addr_loopback, sizeof(struct in6_addr)) == 0);
        CHECK_EQ_INT(ntohs(a6->sin6_port), 9464);
        CHECK_EQ_INT(prom_server_parse_addr("[::]:1", &ss, &len), 0);
        CHECK(memcmp(&a6->sin6_addr, &in6addr_any, sizeof(struct in6_addr)) == 0);

        static const char *const bad[] = { "", ":", "1.2.3.4:", "1.2.3.4:65536", "1.2.3.4:12x", "host:80",
                                           "::1:80", "[::1]80", "[::1]", "[]:80", "[1.2.3.4]:80",
                                           "1.2.3:80", "-1", "1.2.3.4:-1", "1.2.3.4: 80" };
        for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
                int r = prom_server_parse_addr(bad[i], &ss, &len);
                CHECK_EQ_INT(r, -EINVAL);
                if (r != -EINVAL)
                        fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
        }
}

struct client {
        int fd;
        const char *out;   /* what to send; the rest is sent as the socket takes it */
        size_t outlen, outoff;
        char *in;
        size_t inlen, incap;
        int eof;           /* EOF or reset seen */
        int reading;       /* 0: leaves what arrives in its socket */
};

/* Connects to the server from the loopback address src (host order; 0: the kernel's choice,
 * 127.0.0.1), so that tests can be several clients' addresses. */
static int client_open_from(struct client *c, uint32_t src, int port, int rcvbuf, const char *req, size_t reqlen)
{
        struct sockaddr_in a;

        memset(c, 0, sizeof(*c));
        c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c->fd < 0)
                return -1;
        if (rcvbuf)
                setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        memset(&a, 0, sizeof(a));
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(src);
        if (src && bind(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
                close(c->fd);
                c->fd = -1;
                return -1;
        }
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
                close(c->fd);
                c->fd = -1;
                return -1;
        }
        c->out = req;
        c->outlen = req ? reqlen : 0;
        c->incap = 1 << 16;
        c->in = malloc(c->incap + 1);
        c->reading = 1;
        return c->in ? 0 : -1;
}

static int client_open(struct client *c, int port, int rcvbuf, const char *req, size_t reqlen)
{
        return client_open_from(c, 0, port, rcvbuf, req, reqlen);
}

static void client_close(struct client *c)
{
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
        free(c->in);
        c->in = NULL;
}

static void client_io(struct client *c)
{
        while (c->fd >= 0 && c->outoff < c->outlen) {
                ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
                if (n <= 0)
                        break;
                c->outoff += (size_t)n;
        }
        while (c->fd >= 0 && c->reading && !c->eof) {
                if (c->inlen == c->incap) {
                        size_t cap = c->incap * 2;
                        char *p = realloc(c->in, cap + 1);
                        if (!p)
                                break;
                        c->in = p;
                        c->incap = cap;
                }
                ssize_t n = recv(c->fd, c->in + c->inlen, c->incap - c->inlen, 0);
                if (n > 0) {
                        c->inlen += (size_t)n;
                        c->in[c->inlen] = '\0';
                } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ENOTCONN)) {
                        c->eof = 1;
                } else {
                        break;
                }
        }
        if (c->in)
                c->in[c->inlen] = '\0';
}

static uint64_t max_service_ns;
static int service_failed;

/* One round: waits up to wait_ms for the server or a client, services the server, moves the
 * clients' bytes. */
static void step(struct prom_server *s, struct client *cl, size_t n, int wait_ms)
{
        struct pollfd pf = { .fd = prom_server_fd(s), .events = POLLIN };
        uint64_t t0;

        poll(&pf, 1, wait_ms);
        t0 = util_now_ns();
        if (prom_server_service(s, t0) < 0)
                service_failed = 1;
        if (util_now_ns() - t0 > max_service_ns)
                max_service_ns = util_now_ns() - t0;
        for (size_t i = 0; i < n; i++)
                client_io(&cl[i]);
}

/* Parses the complete responses at the start of buf: returns how many, with the offset of
 * the last one's body in *ret_body and its length in *ret_blen. head: HEAD requests, no body. */
static int responses(const char *buf, size_t len, int head, size_t *ret_body, size_t *ret_blen)
{
        size_t off = 0;
        int count = 0;

        for (;;) {
                const char *end = strstr(buf + off, "\r\n\r\n"), *cl;
                size_t blen = 0;

                if (!end)
                        return count;
                cl = strstr(buf + off, "Content-Length: ");
                if (cl && cl < end)
                        blen = strtoul(cl + 16, NULL, 10);
                if (head)
                        blen = 0;
                size_t body = (size_t)(end - buf) + 4;
                if (body + blen > len)
                        return count;
                count++;
                if (ret_body)
                        *ret_body = body;
                if (ret_blen)
                        *ret_blen = blen;
                off = body + blen;
        }
}

/* Sends req on a new connection and collects what comes back until the connection is closed
 * (want == 0) or want complete responses have arrived. Returns the client, still open. */
static void exchange(struct prom_server *s, struct client *c, const char *req, size_t reqlen, int want, int head,
                     int ms)
{
        uint64_t deadline = util_now_ns() + (uint64_t)ms * 1000000ULL;

        if (client_open(c, prom_server_port(s), 0, req, reqlen) < 0) {
                CHECK(!"client_open");
                return;
        }
        while (util_now_ns() < deadline) {
                step(s, c, 1, 5);
                if (want == 0 ? c->eof : responses(c->in, c->inlen, head, NULL, NULL) >= want)
                        break;
        }
}

static int has_header(const char *resp, const char *line)
{
        const char *end = strstr(resp, "\r\n\r\n");
        const char *p = strstr(resp, line);

        return p && end && p < end && p[-1] == '\n' && p[strlen(line)] == '\r';
}

static int status_of(const char *resp)
{
        if (strncmp(resp, "HTTP/1.1 ", 9) != 0)
                return -1;
        return atoi(resp + 9);
}

static const char *body_of(const char *resp)
{
        const char *end = strstr(resp, "\r\n\r\n");
        return end ? end + 4 : "";
}

#define GET_CLOSE "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
#define GET_KEEP "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n"

static void test_server_basic(void)
{
        struct prom_server *s = NULL;
        struct prom_server_stats st;
        struct client c;
        char err[256] = "";
        const char body[] = "# TYPE up gauge\nup 1\n";

        CHECK_EQ_INT(prom_server_open("127.0.0.1:0", &s, err, sizeof(err)), 0);
        if (!s) {
                fprintf(stderr, "cannot open: %s\n", err);
                return;
        }
        CHECK(prom_server_port(s) > 0);
        CHECK(prom_server_fd(s) >= 0);

        /* nothing set yet */
        exchange(s, &c, GET_CLOSE, strlen(GET_CLOSE), 0, 0, 3000);
        CHECK(c.eof);
        CHECK_EQ_INT(status_of(c.in), 503);
        CHECK(has_header(c.in, "Connection: close"));
        client_close(&c);

        CHECK_EQ_INT(prom_server_set_body(s, body, strlen(body)), 0);
        exchange(s, &c, GET_CLOSE, strlen(GET_CLOSE), 0, 0, 3000);
        CHECK(c.eof);
        CHECK_EQ_INT(status_of(c.in), 200);
        CHECK(strncmp(c.in, "HTTP/1.1 200 OK\r\n", 17) == 0);
        CHECK(has_header(c.in, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
        CHECK(has_header(c.in, "Content-Length: 21"));
        CHECK(has_header(c.in, "Connection: close"));
        CHECK(strstr(c.in, "\r\nDate: ") != NULL);
        CHECK_STR(body_of(c.in), body);
        client_close(&c);

        /* HEAD: the same headers, no body */
        const char head[] = "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        exchange(s, &c, head, strlen(head), 0, 1, 3000);
        CHECK(c.eof);
        CHECK_EQ_INT(status_of(c.in), 200);
        CHECK(has_header(c.in, "Content-Length: 21"));
        CHECK(has_header(c.in, "Content-Type: text/plain; version=0.0.4; charset=utf-8"));
        CHECK_STR(body_of(c.in), "");
        client_close(&c);

        /* a query string is not part of the path; absolute-form is accepted */
        const char query[] = "GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        exchange(s, &c, query, strlen(query), 0, 0, 3000);
        CHECK_EQ_INT(status_of(c.in), 200);
        CHECK_STR(body_of(c.in), body);
        client_close(&c);
        const char absolute[] = "GET http://127.0.0.1:9464/metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        exchange(s, &c, absolute, strlen(absolute), 0, 0, 3000);
        CHECK_EQ_INT(status_of(c.in), 200);
        client_close(&c);

        /* the index page points at /metrics */
        const char index[] = "GET / HTTP/1.0\r\n\r\n";
        exchange(s, &c, index, strlen(index), 0, 0, 3000);
        CHECK_EQ_INT(status_of(c.in), 200);
        CHECK(has_header(c.in, "Content-Type: text/html; charset=utf-8"));
        CHECK(strstr(body_of(c.in), "href=\"/metrics\"") != NULL);
        client_close(&c);

        const char missing[] = "GET /metricsx HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        exchange(s, &c, missing, strlen(missing), 0, 0, 3000);
        CHECK_EQ_INT(status_of(c.in), 404);
        client_close(&c);

        const char post[] = "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
        exchange(s, &c, post, strlen(post), 0, 0, 3000);
        CHECK(c.eof);
        CHECK_EQ_INT(status_of(c.in), 405);
        CHECK(has_header(c.in, "Allow: GET, HEAD"));
        CHECK(has_header(c.in, "Connection: close")); /* the body is not read: the connection ends */
        client_close(&c);

        static const char *const malformed[] = {
                "BLAH\r\n\r\n",
                "GET /metrics\r\n\r\n",                                 /* HTTP/0.9 */
                "GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n",            /* two spaces */
                "GET /metrics HTTP/1.1\r\n\r\n",                        /* no Host */
                "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  /* two */
                "GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
                "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n",
                "GET /metrics HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n",
                "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
                "GET metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /m\x01trics HTTP/1.1\r\nHost: x\r\n\r\n",
                "G(T /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /metrics HTTP/1.1x\r\nHost: x\r\n\r\n",
                "\x16\x03\x01\x02\x01\x01\xfc\x03\x03\r\n\r\n", /* TLS, roughly */
        };
        for (size_t i = 0; i < ARRAY_SIZE(malformed); i++) {
                exchange(s, &c, malformed[i], strlen(malformed[i]), 0, 0, 3000);
                CHECK(c.eof);
                CHECK_EQ_INT(status_of(c.in), 400);
                if (status_of(c.in) != 400)
                        fprintf(stderr, "  request %zu answered: %.40s\n", i, c.in);
                client_close(&c);
        }
        const char v2[] = "GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n";
        exchange(s, &c, v2, strlen(v2), 0, 0, 3000);
        CHECK_EQ_INT(status_of(c.in), 505);
        CHECK(c.eof);
        client_close(&c);

        /* blank lines before a request, and bare LF line ends, are tolerated */
        const char lf[] = "\r\n\nGET /metrics HTTP/1.0\nHost: x\n\n";
        exchange(s, &c, lf, strlen(lf), 0, 0, 3000);
        CHECK_EQ_INT(status_of(c.in), 200);
        CHECK_STR(body_of(c.in), body);
        client_close(&c);

        /* a head of 64 KiB: 431, and the connection is closed once the answer is read */
        size_t big = 65536;
        char *huge = malloc(big);
        CHECK(huge != NULL);
        if (huge) {
                memset(huge, 'a', big);
                memcpy(huge, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ", 39);
                memcpy(huge + big - 4, "\r\n\r\n", 4);
                exchange(s, &c, huge, big, 0, 0, 5000);
                CHECK(c.eof);
                CHECK_EQ_INT(status_of(c.in), 431);
                CHECK(has_header(c.in, "Connection: close"));
                client_close(&c);
                free(huge);
        }
        /* a head of exactly the limit is fine */
        char *edge = malloc(PROM_SERVER_MAX_HEAD);
        CHECK(edge != NULL);
        if (edge) {
                memset(edge, 'a', PROM_SERVER_MAX_HEAD);
                memcpy(edge, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX: ", 54);
                memcpy(edge + PROM_SERVER_MAX_HEAD - 4, "\r\n\r\n", 4);
                exchange(s, &c, edge, PROM_SERVER_MAX_HEAD, 0, 0, 5000);
                CHECK_EQ_INT(status_of(c.in), 200);
                client_close(&c);
                free(edge);
        }

        prom_server_get_stats(s, &st);
        CHECK(st.requests >= 20);
        CHECK(st.errors >= 17);
        CHECK_EQ_INT(st.refused, 0);
        for (int i = 0; i < 100 && st.live > 0; i++) {
                step(s, NULL, 0, 10);
                prom_server_get_stats(s, &st);
        }
        CHECK_EQ_INT(st.live, 0);
        prom_server_close(s);

        /* errors name the address */
        s = NULL;
        CHECK_EQ_INT(prom_server_open("nowhere:80", &s, err, sizeof(err)), -EINVAL);
        CHECK(s == NULL);
        CHECK(strstr(err, "nowhere:80") != NULL);
        prom_server_close(NULL);
}

static void test_server_keepalive(void)
{
        struct prom_server *s = NULL;
        struct prom_server_stats st;
        struct client c;
        char err[256];
        size_t boff = 0, blen = 0;

        CHECK_EQ_INT(prom_server_open(":0", &s, err, sizeof(err)), 0);
        if (!s)
                return;
        CHECK_EQ_INT(prom_server_set_body(s, "a 1\n", 4), 0);

        /* two pipelined requests in one send: two answers, and the connection stays open */
        const char two[] = GET_KEEP GET_KEEP;
        exchange(s, &c, two, strlen(two), 2, 0, 3000);
        CHECK_EQ_INT(responses(c.in, c.inlen, 0, &boff, &blen), 2);
        CHECK_EQ_INT(blen, 4);
        CHECK(strstr(c.in, "Connection: close") == NULL);
        CHECK(strncmp(c.in + boff, "a 1\n", 4) == 0);
        for (int i = 0; i < 10; i++)
                step(s, &c, 1, 5);
        CHECK(!c.eof);
        /* a third on the same connection, with a new body, then close */
        CHECK_EQ_INT(prom_server_set_body(s, "b 22\n", 5), 0);
        c.out = GET_CLOSE;
        c.outlen = strlen(GET_CLOSE);
        c.outoff = 0;
        for (int i = 0; i < 300 && !c.eof; i++)
                step(s, &c, 1, 10);
        CHECK(c.eof);
        CHECK_EQ_INT(responses(c.in, c.inlen, 0, &boff, &blen), 3);
        CHECK_EQ_INT(blen, 5);
        CHECK(strncmp(c.in + boff, "b 22\n", 5) == 0);
        client_close(&c);

        /* HTTP/1.0 closes unless asked to keep alive */
        const char ka10[] = "GET /metrics HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
        exchange(s, &c, ka10, strlen(ka10), 1, 0, 3000);
        CHECK_EQ_INT(status_of(c.in), 200);
        CHECK(has_header(c.in, "Connection: keep-alive"));
        for (int i = 0; i < 10; i++)
                step(s, &c, 1, 5);
        CHECK(!c.eof);
        client_close(&c);
        const char plain10[] = "GET /metrics HTTP/1.0\r\n\r\n";
        exchange(s, &c, plain10, strlen(plain10), 0, 0, 3000);
        CHECK(c.eof);
        CHECK(has_header(c.in, "Connection: close"));
        client_close(&c);

        /* at most PROM_SERVER_MAX_REQUESTS on one connection, the last saying so */
        size_t one = strlen(GET_KEEP), n = PROM_SERVER_MAX_REQUESTS + 5;
        char *many = malloc(one * n);
        CHECK(many != NULL);
        if (many) {
                for (size_t i = 0; i < n; i++)
                        memcpy(many + i * one, GET_KEEP, one);
                exchange(s, &c, many, one * n, 0, 0, 5000);
                CHECK(c.eof);
                CHECK_EQ_INT(responses(c.in, c.inlen, 0, &boff, NULL), PROM_SERVER_MAX_REQUESTS);
                const char *last = c.in;
                for (const char *p = c.in; (p = strstr(p, "HTTP/1.1 200")) != NULL; p++)
                        last = p;
                CHECK(has_header(last, "Connection: close"));
                client_close(&c);
                free(many);
        }
        prom_server_get_stats(s, &st);
        CHECK(st.live_max <= 2);
        prom_server_close(s);
}

static void test_server_slow(void)
{
        struct prom_server *s = NULL;
        struct prom_server_stats st;
        struct client c, d;
        char err[256];

        CHECK_EQ_INT(prom_server_open("127.0.0.1:0", &s, err, sizeof(err)), 0);
        if (!s)
                return;
        prom_server_set_timeout_ns(s, 300000000ULL);
        CHECK_EQ_INT(prom_server_set_body(s, "a 1\n", 4), 0);

        /* half a request line, then nothing: closed after the timeout, not before */
        const char half[] = "GET /metr";
        uint64_t t0 = util_now_ns();
        exchange(s, &c, half, strlen(half), 0, 0, 3000);
        uint64_t took = util_now_ns() - t0;
        CHECK(c.eof);
        CHECK(took >= 250000000ULL);
        CHECK(took < 2000000000ULL);
        CHECK_EQ_INT(c.inlen, 0);
        client_close(&c);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.timed_out, 1);
        CHECK_EQ_INT(st.live, 0);

        /* an idle keep-alive connection is closed after the timeout as well */
        exchange(s, &c, GET_KEEP, strlen(GET_KEEP), 1, 0, 3000);
        CHECK_EQ_INT(status_of(c.in), 200);
        for (int i = 0; i < 300 && !c.eof; i++)
                step(s, &c, 1, 10);
        CHECK(c.eof);
        client_close(&c);

        /* the timer is part of the server's fd: with nothing else to do, poll wakes for it */
        CHECK_EQ_INT(client_open(&c, prom_server_port(s), 0, half, strlen(half)), 0);
        /* (only as long as it takes to be accepted and read: the timeout is short, and a loaded
         * machine stretches every round) */
        st.live = 0;
        for (int i = 0; i < 200 && (st.live == 0 || c.outoff < c.outlen); i++) {
                step(s, &c, 1, 5);
                prom_server_get_stats(s, &st);
        }
        step(s, &c, 1, 0);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.live, 1);
        struct pollfd pf = { .fd = prom_server_fd(s), .events = POLLIN };
        t0 = util_now_ns();
        CHECK_EQ_INT(poll(&pf, 1, 2000), 1);
        CHECK(util_now_ns() - t0 < 1000000000ULL);
        CHECK(prom_server_service(s, util_now_ns()) >= 0);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.live, 0);
        client_close(&c);

        /* a 2 MiB body to a client that never reads: the server goes on serving others, and
         * drops the reader when its time is up */
        size_t big = 2u << 20;
        char *body = malloc(big);
        CHECK(body != NULL);
        if (!body) {
                prom_server_close(s);
                return;
        }
        memset(body, 'x', big);
        body[big - 1] = '\n';
        CHECK_EQ_INT(prom_server_set_body(s, body, big), 0);
        prom_server_set_timeout_ns(s, 700000000ULL);
        CHECK_EQ_INT(client_open(&c, prom_server_port(s), 4096, GET_KEEP, strlen(GET_KEEP)), 0);
        c.reading = 0;
        max_service_ns = 0;
        for (int i = 0; i < 20; i++)
                step(s, &c, 1, 5);
        const char index[] = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        exchange(s, &d, index, strlen(index), 0, 0, 3000);
        CHECK(d.eof);
        CHECK_EQ_INT(status_of(d.in), 200);
        client_close(&d);
        for (int i = 0; i < 10; i++)
                step(s, NULL, 0, 5);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.live, 1); /* the reader that does not read, still waited for */
        uint64_t end = util_now_ns() + 3000000000ULL;
        while (util_now_ns() < end && st.live > 0) {
                step(s, &c, 1, 20);
                prom_server_get_stats(s, &st);
        }
        CHECK_EQ_INT(st.live, 0);
        CHECK_EQ_INT(st.timed_out, 4);
        CHECK(max_service_ns < 200000000ULL);
        client_close(&c);

        /* the answer under way keeps the body it started with */
        prom_server_set_timeout_ns(s, 5000000000ULL);
        CHECK_EQ_INT(client_open(&c, prom_server_port(s), 4096, GET_CLOSE, strlen(GET_CLOSE)), 0);
        c.reading = 0;
        for (int i = 0; i < 20; i++)
                step(s, &c, 1, 5);
        CHECK_EQ_INT(prom_server_set_body(s, "new 1\n", 6), 0);
        c.reading = 1;
        end = util_now_ns() + 5000000000ULL;
        while (util_now_ns() < end && !c.eof)
                step(s, &c, 1, 5);
        CHECK(c.eof);
        CHECK(has_header(c.in, "Content-Length: 2097152"));
        CHECK(strlen(body_of(c.in)) == big && memcmp(body_of(c.in), body, big) == 0);
        client_close(&c);

        /* a client that goes away in the middle of a big answer raises no SIGPIPE */
        CHECK_EQ_INT(prom_server_set_body(s, body, big), 0);
        CHECK_EQ_INT(client_open(&c, prom_server_port(s), 4096, GET_KEEP, strlen(GET_KEEP)), 0);
        c.reading = 0;
        for (int i = 0; i < 20; i++)
                step(s, &c, 1, 5);
        client_close(&c);
        for (int i = 0; i < 50; i++)
                step(s, NULL, 0, 5);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.live, 0);
        free(body);
        prom_server_close(s);
}

static void test_server_flood(void)
{
        enum { N = 200 };
        struct prom_server *s = NULL;
        struct prom_server_stats st;
        struct client *cl = calloc(N, sizeof(*cl)), c;
        char err[256];
        int opened = 0, over = 0;

        CHECK(cl != NULL);
        CHECK_EQ_INT(prom_server_open("127.0.0.1:0", &s, err, sizeof(err)), 0);
        if (!s || !cl) {
                free(cl);
                prom_server_close(s);
                return;
        }
        CHECK_EQ_INT(prom_server_set_body(s, "a 1\n", 4), 0);
        /* from five addresses, so that the table fills (one address holds PROM_SERVER_MAX_PER_PEER) */
        for (int i = 0; i < N; i++)
                if (client_open_from(&cl[i], 0x7f000001 + (uint32_t)(i % 5), prom_server_port(s), 0, NULL, 0) == 0)
                        opened++;
        CHECK_EQ_INT(opened, N);
        uint64_t end = util_now_ns() + 500000000ULL;
        while (util_now_ns() < end) {
                step(s, cl, N, 5);
                prom_server_get_stats(s, &st);
                over |= st.live > PROM_SERVER_MAX_CONNS;
        }
        CHECK(!over);
        prom_server_get_stats(s, &st);
        CHECK(st.live_max <= PROM_SERVER_MAX_CONNS);
        CHECK_EQ_INT(st.live_max, PROM_SERVER_MAX_CONNS);
        CHECK(st.accepted > PROM_SERVER_MAX_CONNS);
        CHECK(st.evicted > 0);

        /* with the table full of idle connections, a scrape still gets its answer */
        exchange(s, &c, GET_CLOSE, strlen(GET_CLOSE), 0, 0, 5000);
        CHECK(c.eof);
        CHECK_EQ_INT(status_of(c.in), 200);
        CHECK_STR(body_of(c.in), "a 1\n");
        client_close(&c);

        for (int i = 0; i < N; i++)
                client_close(&cl[i]);
        free(cl);
        prom_server_close(s);
}

/* The tests below run the server on a clock of their own (prom_server_service's now_ns): they
 * wait for sockets to be ready, never for time to pass, so a loaded machine cannot move them. */
#define T0 (1000ULL * 1000000000ULL)
#define SEC 1000000000ULL

/* Services the server at `now` until the client has want complete responses (want 0: until it
 * sees EOF), or 200 rounds of nothing. */
static void serve_at(struct prom_server *s, struct client *c, uint64_t now, int want, int head)
{
        for (int i = 0; i < 200; i++) {
                struct pollfd pf = { .fd = prom_server_fd(s), .events = POLLIN };

                poll(&pf, 1, 10);
                if (prom_server_service(s, now) < 0)
                        service_failed = 1;
                if (!c)
                        continue;
                client_io(c);
                if (want == 0 ? c->eof : responses(c->in, c->inlen, head, NULL, NULL) >= want)
                        return;
        }
}

/* A few rounds at `now`, for bytes in flight to arrive and be read. */
static void settle_at(struct prom_server *s, struct client *c, uint64_t now)
{
        for (int i = 0; i < 10; i++) {
                struct pollfd pf = { .fd = prom_server_fd(s), .events = POLLIN };

                poll(&pf, 1, 5);
                if (prom_server_service(s, now) < 0)
                        service_failed = 1;
                if (c)
                        client_io(c);
        }
}

/* Sends req on a new connection and serves it at `now` until want responses (0: EOF). */
static void ask_at(struct prom_server *s, struct client *c, const char *req, int want, int head, uint64_t now)
{
        if (client_open(c, prom_server_port(s), 0, req, strlen(req)) < 0) {
                CHECK(!"client_open");
                return;
        }
        serve_at(s, c, now, want, head);
}

static unsigned live_of(const struct prom_server *s)
{
        struct prom_server_stats st;

        prom_server_get_stats(s, &st);
        return st.live;
}

/* Slow clients on the server's clock: a head trickled in is bounded as a whole from the moment
 * the connection waits for it; an idle keep-alive connection's time starts again after each
 * answer; a connection lingering after an error is closed at its deadline without counting as
 * timed out, and what it sends meanwhile is discarded unanswered. */
static void test_server_clock(void)
{
        struct prom_server *s = NULL;
        struct prom_server_stats st;
        struct client c;
        char err[256];

        CHECK_EQ_INT(prom_server_open("127.0.0.1:0", &s, err, sizeof(err)), 0);
        if (!s)
                return;
        prom_server_set_timeout_ns(s, SEC);
        CHECK_EQ_INT(prom_server_set_body(s, "a 1\n", 4), 0);

        /* a head that keeps coming, too slowly: dropped 1 s after the connection began */
        CHECK_EQ_INT(client_open(&c, prom_server_port(s), 0, "GET /metr", 9), 0);
        settle_at(s, &c, T0);
        CHECK_EQ_INT(live_of(s), 1);
        c.out = "ics HTTP/1.1\r\nHost: x";
        c.outlen = strlen(c.out);
        c.outoff = 0;
        settle_at(s, &c, T0 + SEC / 2);
        CHECK_EQ_INT(live_of(s), 1);
        settle_at(s, &c, T0 + SEC - 1);
        CHECK_EQ_INT(live_of(s), 1);
        CHECK(!c.eof);
        serve_at(s, &c, T0 + SEC, 0, 0);
        CHECK(c.eof);
        CHECK_EQ_INT(c.inlen, 0); /* closed unanswered */
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.live, 0);
        CHECK_EQ_INT(st.timed_out, 1);
        CHECK_EQ_INT(st.requests, 0);
        client_close(&c);

        /* keep-alive: each answer gives the connection its time again */
        ask_at(s, &c, GET_KEEP, 1, 0, 2 * T0);
        CHECK_EQ_INT(status_of(c.in), 200);
        c.out = GET_KEEP;
        c.outlen = strlen(GET_KEEP);
        c.outoff = 0;
        serve_at(s, &c, 2 * T0 + SEC / 2, 2, 0);
        CHECK_EQ_INT(responses(c.in, c.inlen, 0, NULL, NULL), 2);
        settle_at(s, &c, 2 * T0 + SEC + SEC / 4); /* past the first answer's deadline */
        CHECK_EQ_INT(live_of(s), 1);
        CHECK(!c.eof);
        serve_at(s, &c, 2 * T0 + SEC + SEC / 2, 0, 0);
        CHECK(c.eof);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.live, 0);
        CHECK_EQ_INT(st.timed_out, 2);
        client_close(&c);

        /* an error: answered, the sending side shut, input discarded until the deadline */
        ask_at(s, &c, "BLAH\r\n\r\n", 0, 0, 3 * T0);
        CHECK(c.eof); /* the server's side is shut down after the answer */
        CHECK_EQ_INT(status_of(c.in), 400);
        CHECK(has_header(c.in, "Connection: close"));
        CHECK_EQ_INT(responses(c.in, c.inlen, 0, NULL, NULL), 1);
        CHECK_EQ_INT(live_of(s), 1); /* lingering: the client has not closed */
        c.out = GET_KEEP GET_KEEP;
        c.outlen = strlen(c.out);
        c.outoff = 0;
        settle_at(s, &c, 3 * T0 + SEC / 2);
        CHECK_EQ_INT(live_of(s), 1);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.requests, 3); /* the two keep-alive answers and the 400, nothing since */
        CHECK_EQ_INT(st.errors, 1);
        settle_at(s, &c, 3 * T0 + SEC);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.live, 0);
        CHECK_EQ_INT(st.timed_out, 2); /* a lingering connection closed is not a time-out */
        client_close(&c);
        prom_server_close(s);
}

/* Services the server at `now`, moving the clients' bytes, until it has accepted `accepted`
 * connections in all (or 200 rounds of nothing), then a few rounds more for bytes in flight. */
static void accept_at(struct prom_server *s, struct client *cl, size_t n, uint64_t now, uint64_t accepted)
{
        struct prom_server_stats st;
        int more = 3;

        for (int i = 0; i < 200 && more > 0; i++) {
                struct pollfd pf = { .fd = prom_server_fd(s), .events = POLLIN };

                for (size_t k = 0; k < n; k++)
                        client_io(&cl[k]);
                prom_server_get_stats(s, &st);
                if (st.accepted >= accepted)
                        more--;
                poll(&pf, 1, st.accepted >= accepted ? 1 : 10);
                if (prom_server_service(s, now) < 0)
                        service_failed = 1;
        }
        for (size_t k = 0; k < n; k++)
                client_io(&cl[k]);
}

/* Opens n clients from the addresses src + k * n / per, each sending req, one at a time: each is
 * accepted before the next connects, so that the server sees them in order. */
static void open_in_order(struct prom_server *s, struct client *cl, size_t n, size_t per, uint32_t src,
                          const char *req, uint64_t now)
{
        struct prom_server_stats st;

        for (size_t k = 0; k < n; k++) {
                prom_server_get_stats(s, &st);
                uint32_t from = src + (uint32_t)(k / per);

                if (client_open_from(&cl[k], from, prom_server_port(s), 0, req, req ? strlen(req) : 0) < 0)
                        CHECK(!"client_open_from");
                accept_at(s, cl, k + 1, now, st.accepted + 1);
        }
}

/* Closes the clients and services the server until it has no connection left. */
static void close_all(struct prom_server *s, struct client *cl, size_t n, uint64_t now)
{
        for (size_t k = 0; k < n; k++)
                client_close(&cl[k]);
        for (int i = 0; i < 20 && live_of(s) > 0; i++)
                settle_at(s, NULL, now);
        CHECK_EQ_INT(live_of(s), 0);
}

/* The most a TCP socket's send buffer grows to (the third figure of tcp_wmem), or 4 MiB. */
static size_t tcp_wmem_max(void)
{
        unsigned long lo, def, max;
        FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "re");
        int n = f ? fscanf(f, "%lu %lu %lu", &lo, &def, &max) : 0;

        if (f)
                fclose(f);
        return n == 3 ? (size_t)max : 4u << 20;
}

/* A slowloris, on the server's clock (so that no deadline passes): connections that each hold
 * half a request head never keep a scrape out. One address keeps PROM_SERVER_MAX_PER_PEER
 * connections, a newcomer from it taking the place of its connection that has waited longest
 * (not of a newer one, even one that has sent nothing yet); with the table full from several
 * addresses, a newcomer from another takes the place of the one that has waited longest of
 * all; only when every candidate is sending an answer is a newcomer closed at once. */
static void test_server_slowloris(void)
{
        enum { N = PROM_SERVER_MAX_CONNS, PER = PROM_SERVER_MAX_PER_PEER };
        struct prom_server *s = NULL;
        struct prom_server_stats st;
        struct client cl[N], c, d;
        char err[256];
        const uint32_t lo = 0x7f000001; /* 127.0.0.1 */

        CHECK_EQ_INT(prom_server_open("127.0.0.1:0", &s, err, sizeof(err)), 0);
        if (!s)
                return;
        CHECK_EQ_INT(prom_server_set_body(s, "a 1\n", 4), 0);

        /* one address: its newest PER kept, the others closed unanswered */
        open_in_order(s, cl, N, N, lo, "GET /metr", T0);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.live, PER);
        CHECK_EQ_INT(st.evicted, N - PER);
        CHECK_EQ_INT(st.refused, 0);
        for (int k = 0; k < N; k++) {
                CHECK_EQ_INT(cl[k].eof, k < N - PER);
                CHECK_EQ_INT(cl[k].inlen, 0);
        }
        /* a scrape from the same address is answered, in place of the oldest kept */
        ask_at(s, &c, GET_CLOSE, 0, 0, T0);
        CHECK_EQ_INT(status_of(c.in), 200);
        CHECK_STR(body_of(c.in), "a 1\n");
        client_close(&c);
        settle_at(s, NULL, T0);
        for (int k = N - PER; k < N; k++)
                client_io(&cl[k]);
        CHECK(cl[N - PER].eof);
        for (int k = N - PER + 1; k < N; k++)
                CHECK(!cl[k].eof);
        /* a newcomer that has sent nothing yet is newer than every head, and a head goes before
         * a connection without a byte of one: the next newcomer takes the place of the oldest
         * head, not of it */
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(client_open(&c, prom_server_port(s), 0, NULL, 0), 0);
        accept_at(s, &c, 1, T0, st.accepted + 1);
        ask_at(s, &d, GET_CLOSE, 0, 0, T0);
        CHECK_EQ_INT(status_of(d.in), 200);
        client_close(&d);
        settle_at(s, &c, T0);
        CHECK(!c.eof);
        client_io(&cl[N - PER + 1]);
        CHECK(cl[N - PER + 1].eof);
        client_close(&c);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.refused, 0);
        close_all(s, cl, N, T0);

        /* an unfinished head goes before an older connection that has sent nothing */
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(client_open_from(&cl[0], lo + 8, prom_server_port(s), 0, NULL, 0), 0);
        accept_at(s, cl, 1, T0, st.accepted + 1);
        open_in_order(s, cl + 1, PER - 1, PER, lo + 8, "GET /metr", T0);
        CHECK_EQ_INT(live_of(s), PER);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(client_open_from(&c, lo + 8, prom_server_port(s), 0, GET_CLOSE, strlen(GET_CLOSE)), 0);
        serve_at(s, &c, T0, 0, 0);
        CHECK_EQ_INT(status_of(c.in), 200);
        client_close(&c);
        settle_at(s, NULL, T0);
        for (int k = 0; k < PER; k++) {
                client_io(&cl[k]);
                CHECK_EQ_INT(cl[k].eof, k == 1);
        }
        close_all(s, cl, PER, T0);

        /* four addresses fill the table: a fifth's scrape takes the place of the oldest head */
        open_in_order(s, cl, N, PER, lo + 1, "GET /metr", 2 * T0);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.live, N);
        uint64_t evicted = st.evicted;
        CHECK_EQ_INT(client_open_from(&c, lo + 5, prom_server_port(s), 0, GET_CLOSE, strlen(GET_CLOSE)), 0);
        serve_at(s, &c, 2 * T0, 0, 0);
        CHECK_EQ_INT(status_of(c.in), 200);
        client_close(&c);
        settle_at(s, NULL, 2 * T0);
        for (int k = 0; k < N; k++) {
                client_io(&cl[k]);
                CHECK_EQ_INT(cl[k].eof, k == 0);
        }
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.evicted, evicted + 1);
        CHECK_EQ_INT(st.refused, 0);
        close_all(s, cl, N, 2 * T0);

        /* an address whose connections are all sending an answer (to clients that do not read
         * it, an answer larger than the socket buffers can hold): its newcomer is closed at
         * once; another address's is answered */
        size_t big = 2 * tcp_wmem_max() + (1u << 20);
        if (big > PROM_SERVER_MAX_BODY)
                big = PROM_SERVER_MAX_BODY;
        char *body = malloc(big);
        CHECK(body != NULL);
        if (body) {
                prom_server_get_stats(s, &st);
                uint64_t requests = st.requests;
                memset(body, 'x', big);
                body[big - 1] = '\n';
                CHECK_EQ_INT(prom_server_set_body(s, body, big), 0);
                for (int k = 0; k < PER; k++) {
                        prom_server_get_stats(s, &st);
                        CHECK_EQ_INT(client_open_from(&cl[k], lo + 6, prom_server_port(s), 4096, GET_KEEP,
                                                      strlen(GET_KEEP)), 0);
                        cl[k].reading = 0;
                        accept_at(s, cl, (size_t)k + 1, 3 * T0, st.accepted + 1);
                }
                prom_server_get_stats(s, &st);
                CHECK_EQ_INT(st.live, PER);
                CHECK_EQ_INT(st.requests, requests + PER); /* every one is being answered */
                uint64_t refused = st.refused;
                CHECK_EQ_INT(client_open_from(&c, lo + 6, prom_server_port(s), 0, GET_CLOSE, strlen(GET_CLOSE)), 0);
                serve_at(s, &c, 3 * T0, 0, 0);
                CHECK(c.eof);
                CHECK_EQ_INT(c.inlen, 0);
                client_close(&c);
                prom_server_get_stats(s, &st);
                CHECK_EQ_INT(st.refused, refused + 1);
                CHECK_EQ_INT(client_open_from(&c, lo + 7, prom_server_port(s), 0, GET_CLOSE, strlen(GET_CLOSE)), 0);
                for (int i = 0; i < 20 && !c.eof; i++)
                        serve_at(s, &c, 3 * T0, 0, 0);
                CHECK_EQ_INT(status_of(c.in), 200);
                CHECK_EQ_INT(strlen(body_of(c.in)), big);
                client_close(&c);
                close_all(s, cl, PER, 3 * T0);
                free(body);
        }
        prom_server_close(s);
}

/* Heads that can no longer become a request are answered 400 at once, on the server's clock
 * (so that the answer cannot come from a deadline): HTTP/0.9's request line, a line no bytes
 * can make well-formed, and 1 to 100 bytes of a head ended by the client's half-close. A
 * half-close with nothing pending, or after a whole request, is no error. */
static void test_server_early_answers(void)
{
        struct prom_server *s = NULL;
        struct prom_server_stats st;
        struct client c;
        char err[256];
        char head[128];

        CHECK_EQ_INT(prom_server_open("127.0.0.1:0", &s, err, sizeof(err)), 0);
        if (!s)
                return;
        CHECK_EQ_INT(prom_server_set_body(s, "a 1\n", 4), 0);

        static const char *const never[] = {
                "GET /metrics\r\n",   /* HTTP/0.9: no version, no blank line to come */
                "GET /metrics\n",
                "\x16\x03\x01\x02",     /* a TLS handshake */
                "GET /metrics HTTP/1.1 x",
                "GET\t/",
        };
        for (size_t i = 0; i < ARRAY_SIZE(never); i++) {
                ask_at(s, &c, never[i], 0, 0, T0);
                CHECK(c.eof);
                CHECK_EQ_INT(status_of(c.in), 400);
                CHECK(has_header(c.in, "Connection: close"));
                if (status_of(c.in) != 400)
                        fprintf(stderr, "  request %zu answered: %.40s\n", i, c.in);
                client_close(&c);
        }

        /* a well-formed start is waited for; a half-close ends the wait with a 400 */
        memset(head, 'a', sizeof(head));
        memcpy(head, "GET /metrics?", 13);
        memcpy(head + 90, " HTTP/1.1\r\nHost: x", 18); /* a line end at 100 and 101 */
        for (size_t n = 1; n <= 100; n++) {
                char part[128];

                memcpy(part, head, n);
                part[n] = '\0';
                CHECK_EQ_INT(client_open(&c, prom_server_port(s), 0, part, n), 0);
                for (int i = 0; i < 200 && c.outoff < c.outlen; i++) {
                        struct pollfd pf = { .fd = c.fd, .events = POLLOUT };
                        poll(&pf, 1, 10);
                        client_io(&c);
                }
                CHECK_EQ_INT(c.outoff, n);
                if (n == 1 || n == 100) {
                        settle_at(s, &c, T0);
                        CHECK(!c.eof); /* waited for */
                        CHECK_EQ_INT(c.inlen, 0);
                }
                shutdown(c.fd, SHUT_WR);
                serve_at(s, &c, T0, 0, 0);
                CHECK(c.eof);
                CHECK_EQ_INT(status_of(c.in), 400);
                if (status_of(c.in) != 400)
                        fprintf(stderr, "  %zu bytes then a half-close answered: %.40s\n", n, c.in);
                client_close(&c);
        }
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.requests, ARRAY_SIZE(never) + 100);
        CHECK_EQ_INT(st.errors, ARRAY_SIZE(never) + 100);
        CHECK_EQ_INT(st.timed_out, 0);

        /* a half-close with nothing pending: closed, unanswered */
        CHECK_EQ_INT(client_open(&c, prom_server_port(s), 0, NULL, 0), 0);
        settle_at(s, &c, T0);
        shutdown(c.fd, SHUT_WR);
        serve_at(s, &c, T0, 0, 0);
        CHECK(c.eof);
        CHECK_EQ_INT(c.inlen, 0);
        client_close(&c);
        /* and after a whole request: answered, then closed */
        CHECK_EQ_INT(client_open(&c, prom_server_port(s), 0, GET_KEEP, strlen(GET_KEEP)), 0);
        serve_at(s, &c, T0, 1, 0);
        shutdown(c.fd, SHUT_WR);
        serve_at(s, &c, T0, 0, 0);
        CHECK(c.eof);
        CHECK_EQ_INT(responses(c.in, c.inlen, 0, NULL, NULL), 1);
        CHECK_EQ_INT(status_of(c.in), 200);
        client_close(&c);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.errors, ARRAY_SIZE(never) + 100);
        settle_at(s, NULL, T0);
        CHECK_EQ_INT(live_of(s), 0);
        prom_server_close(s);
}

/* The deadlines of a head, with the default timeouts, on the server's clock: a connection waits
 * PROM_SERVER_TIMEOUT_NS for a request, and a head must be whole PROM_SERVER_HEAD_TIMEOUT_NS
 * after its first byte, whichever comes first; after an answer, bytes of the next request
 * already there start its head at once. */
static void test_server_head_deadline(void)
{
        const uint64_t IDLE = PROM_SERVER_TIMEOUT_NS, HEAD = PROM_SERVER_HEAD_TIMEOUT_NS;
        struct prom_server *s = NULL;
        struct prom_server_stats st;
        struct client c;
        char err[256];

        CHECK(HEAD < IDLE);
        CHECK_EQ_INT(prom_server_open("127.0.0.1:0", &s, err, sizeof(err)), 0);
        if (!s)
                return;
        CHECK_EQ_INT(prom_server_set_body(s, "a 1\n", 4), 0);

        /* nothing sent: the idle bound */
        CHECK_EQ_INT(client_open(&c, prom_server_port(s), 0, NULL, 0), 0);
        settle_at(s, &c, T0);
        CHECK_EQ_INT(live_of(s), 1);
        settle_at(s, &c, T0 + IDLE - 1);
        CHECK_EQ_INT(live_of(s), 1);
        serve_at(s, &c, T0 + IDLE, 0, 0);
        CHECK(c.eof);
        CHECK_EQ_INT(live_of(s), 0);
        client_close(&c);

        /* a head begun a second after the connection: HEAD from its first byte */
        CHECK_EQ_INT(client_open(&c, prom_server_port(s), 0, NULL, 0), 0);
        settle_at(s, &c, 2 * T0);
        c.out = "GET /me";
        c.outlen = strlen(c.out);
        settle_at(s, &c, 2 * T0 + SEC);
        settle_at(s, &c, 2 * T0 + SEC + HEAD - 1);
        CHECK_EQ_INT(live_of(s), 1);
        CHECK(!c.eof);
        serve_at(s, &c, 2 * T0 + SEC + HEAD, 0, 0);
        CHECK(c.eof);
        CHECK_EQ_INT(c.inlen, 0); /* closed unanswered */
        client_close(&c);

        /* a head begun late: still no later than the idle bound */
        CHECK_EQ_INT(client_open(&c, prom_server_port(s), 0, NULL, 0), 0);
        settle_at(s, &c, 3 * T0);
        c.out = "GET /me";
        c.outlen = strlen(c.out);
        settle_at(s, &c, 3 * T0 + IDLE - SEC);
        settle_at(s, &c, 3 * T0 + IDLE - 1);
        CHECK_EQ_INT(live_of(s), 1);
        serve_at(s, &c, 3 * T0 + IDLE, 0, 0);
        CHECK(c.eof);
        client_close(&c);

        /* a whole request and half the next: the second head's time starts with the answer */
        const char one_and_half[] = GET_KEEP "GET /me";
        ask_at(s, &c, one_and_half, 1, 0, 4 * T0);
        CHECK_EQ_INT(status_of(c.in), 200);
        settle_at(s, &c, 4 * T0 + HEAD - 1);
        CHECK_EQ_INT(live_of(s), 1);
        CHECK(!c.eof);
        serve_at(s, &c, 4 * T0 + HEAD, 0, 0);
        CHECK(c.eof);
        CHECK_EQ_INT(responses(c.in, c.inlen, 0, NULL, NULL), 1);
        client_close(&c);
        prom_server_get_stats(s, &st);
        CHECK_EQ_INT(st.timed_out, 4);
        CHECK_EQ_INT(st.live, 0);
        prom_server_close(s);
}

/* One response in r[0..len) with this status line's code, this header line or none starting
 * with "Connection:", and this body. */
static void check_response(const char *r, int status, const char *connection, const char *body)
{
        CHECK_EQ_INT(status_of(r), status);
        if (connection)
                CHECK(has_header(r, connection));
        else
                CHECK(strstr(r, "\r\nConnection:") == NULL || strstr(r, "\r\nConnection:") > strstr(r, "\r\n\r\n"));
        if (body)
                CHECK_STR(body_of(r), body);
}

/* What each request is answered, and whether its connection stays open. */
static void test_server_requests(void)
{
        struct prom_server *s = NULL;
        struct prom_server_stats st;
        struct client c;
        char err[256];
        uint64_t now = T0;

        CHECK_EQ_INT(prom_server_open("127.0.0.1:0", &s, err, sizeof(err)), 0);
        if (!s)
                return;

        /* before the first exposition: 503, to HEAD without its body */
        ask_at(s, &c, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, 1, now);
        check_response(c.in, 503, "Connection: close", "");
        CHECK(has_header(c.in, "Content-Length: 52"));
        client_close(&c);
        CHECK_EQ_INT(prom_server_set_body(s, "a 1\n", 4), 0);

        /* HTTP/1.0: closed unless asked to keep it, and then said so */
        ask_at(s, &c, "GET /metrics HTTP/1.0\r\n\r\n", 0, 0, now);
        check_response(c.in, 200, "Connection: close", "a 1\n");
        client_close(&c);
        ask_at(s, &c, "GET /metrics HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1, 0, now);
        check_response(c.in, 200, "Connection: keep-alive", "a 1\n");
        CHECK(!c.eof);
        CHECK_EQ_INT(live_of(s), 1);
        client_close(&c);
        settle_at(s, NULL, now);
        ask_at(s, &c, "GET /metrics HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 0, 0, now);
        check_response(c.in, 200, "Connection: close", "a 1\n");
        client_close(&c);

        /* HTTP/1.1: kept open, no Connection header, unless a body follows (never read) */
        ask_at(s, &c, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 1, 0, now);
        check_response(c.in, 200, NULL, "a 1\n");
        CHECK(!c.eof);
        client_close(&c);
        ask_at(s, &c, "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab", 0, 0, now);
        check_response(c.in, 200, "Connection: close", "a 1\n");
        client_close(&c);
        ask_at(s, &c, "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, 0, now);
        check_response(c.in, 200, "Connection: close", "a 1\n");
        client_close(&c);

        /* routes: the path is judged before the method; absolute-form; query and fragment */
        ask_at(s, &c, "DELETE /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, 0, now);
        check_response(c.in, 404, "Connection: close", "not found: the figures are at /metrics\n");
        client_close(&c);
        ask_at(s, &c, "DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, 0, now);
        check_response(c.in, 405, "Allow: GET, HEAD", "method not allowed\n");
        client_close(&c);
        ask_at(s, &c, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, 1, now);
        check_response(c.in, 200, "Content-Type: text/html; charset=utf-8", "");
        client_close(&c);
        ask_at(s, &c, "GET http://example HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, 0, now);
        check_response(c.in, 200, "Content-Type: text/html; charset=utf-8", NULL);
        client_close(&c);
        ask_at(s, &c, "GET HTTPS://example:9/metrics#x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, 0, now);
        check_response(c.in, 200, "Content-Type: text/plain; version=0.0.4; charset=utf-8", "a 1\n");
        client_close(&c);
        ask_at(s, &c, "GET /metrics/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, 0, now);
        check_response(c.in, 404, "Connection: close", NULL);
        client_close(&c);
        ask_at(s, &c, "GET /?metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 0, 0, now);
        check_response(c.in, 200, "Content-Type: text/html; charset=utf-8", NULL);
        client_close(&c);

        /* pipelined: answered in order, up to PROM_SERVER_MAX_REQUESTS, the last closing */
        size_t one = strlen(GET_KEEP), n = PROM_SERVER_MAX_REQUESTS + 1;
        char *many = malloc(n * one + 1);
        CHECK(many != NULL);
        if (many) {
                for (size_t i = 0; i < n; i++)
                        memcpy(many + i * one, GET_KEEP, one);
                many[n * one] = '\0';
                prom_server_get_stats(s, &st);
                uint64_t before = st.requests;
                ask_at(s, &c, many, 0, 0, now);
                CHECK(c.eof);
                CHECK_EQ_INT(responses(c.in, c.inlen, 0, NULL, NULL), PROM_SERVER_MAX_REQUESTS);
                const char *close_hdr = strstr(c.in, "Connection: close");
                size_t last = 0;
                responses(c.in, c.inlen, 0, &last, NULL);
                CHECK(close_hdr != NULL && strstr(close_hdr + 1, "Connection: close") == NULL);
                CHECK(close_hdr != NULL && (size_t)(close_hdr - c.in) < last);
                prom_server_get_stats(s, &st);
                CHECK_EQ_INT(st.requests - before, PROM_SERVER_MAX_REQUESTS);
                client_close(&c);
                free(many);
        }
        settle_at(s, NULL, now + 10 * SEC);
        CHECK_EQ_INT(live_of(s), 0);
        prom_server_close(s);
}

int main(void)
{
        /* a SIGPIPE must never come from the server: leave its default action to kill us */
        signal(SIGPIPE, SIG_DFL);
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/jitmem-test-prom-XXXXXX");
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }
        test_exact_text();
        test_escaping();
        test_names();
        test_values();
        test_truncation();
        test_promtool();
        test_textfile();
        test_parse_addr();
        test_server_basic();
        test_server_keepalive();
        test_server_slow();
        test_server_flood();
        test_server_clock();
        test_server_slowloris();
        test_server_early_answers();
        test_server_head_deadline();
        test_server_requests();
        CHECK(!service_failed);
        rmdir(tmpdir);
        return unit_finish("test_prom");
}
