/* What `jitmem watch` prints (its lines for logs, its terminal view, its JSON ticks) of a
 * synthetic history driven through the watch engine: a master and two workers whose RSS and
 * JIT code grow, then level off; one worker ends and is replaced. Compared with the text kept
 * in tests/data/golden/watch-*.txt (run from the repository's root); JITMEM_GOLDEN_WRITE=1
 * writes them again when a change is meant. */
#include "cli.h"
#include "jsonout.h"
#include "sampler.h"
#include "unit.h"
#include "watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MiB (1024.0 * 1024.0)
#define PID0 2000000000 /* above any pid_max: a process left out of a tick has ended */
#define TEXT_MAX (256 * 1024)

static char text[TEXT_MAX];
static size_t text_len;

static void add_text(const char *s)
{
        size_t n = strlen(s);

        if (text_len + n < sizeof(text)) {
                memcpy(text + text_len, s, n + 1);
                text_len += n;
        }
}

static void print_tick(const struct watch *w, int view)
{
        static char buf[64 * 1024];
        FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
        long n;

        CHECK(f != NULL);
        if (!f)
                return;
        cmd_watch_print(f, w, view, 1, "12:00:00");
        n = ftell(f);
        fclose(f);
        buf[n > 0 ? n : 0] = '\0';
        add_text(buf);
}

static void print_json(const struct watch *w)
{
        json_t *j = watch_json(w);
        char *s = j ? jsonout_dumps(j, JSONOUT_DUMP_FLAGS) : NULL;

        CHECK(s != NULL);
        if (s) {
                add_text(s);
                add_text("\n");
        }
        free(s);
        json_decref(j);
}

static struct sample proc(int pid, int ppid, const char *comm, double rss_mib, double jit_kib, int images)
{
        struct sample s;

        memset(&s, 0, sizeof(s));
        s.index = UINT32_MAX;
        s.pid = pid;
        s.ppid = ppid;
        snprintf(s.comm, sizeof(s.comm), "%s", comm);
        s.rss = (uint64_t)(rss_mib * MiB);
        s.vsz = 4 * s.rss;
        s.jit_bytes = (uint64_t)(jit_kib * 1024);
        s.jit_mappings = s.jit_bytes / 65536;
        s.jit_debug_images = images;
        s.jit_debug_bytes = images >= 0 ? (uint64_t)images * 3000 : 0;
        return s;
}

static void golden(const char *name)
{
        static char want[TEXT_MAX];
        char path[256];
        FILE *f;
        size_t n;

        snprintf(path, sizeof(path), "tests/data/golden/%s", name);
        if (getenv("JITMEM_GOLDEN_WRITE")) {
                f = fopen(path, "we");
                CHECK(f != NULL && fwrite(text, 1, text_len, f) == text_len && fclose(f) == 0);
                return;
        }
        f = fopen(path, "re");
        CHECK(f != NULL);
        if (!f)
                return;
        n = fread(want, 1, sizeof(want) - 1, f);
        want[n] = '\0';
        fclose(f);
        if (strcmp(text, want) != 0) {
                fprintf(stderr, "%s differs from %s; printed:\n%s", name, path, text);
                CHECK(0);
        } else {
                CHECK(1);
        }
}

/* Whether s holds a control byte other than LF. */
static int has_control(const char *s)
{
        for (; *s; s++)
                if (((unsigned char)*s < 0x20 && *s != '\n') || *s == 0x7f)
                        return 1;
        return 0;
}

/* A process named with ESC, a newline and a byte that is not UTF-8: its end is one line with
 * the name escaped, the view shows it escaped, the JSON tick holds it as valid UTF-8. */
static void test_hostile_name(const struct watch_options *o)
{
        static struct watch w;
        const char *name = "e\x1b\nl\xe9"; /* 14 columns once escaped */
        char err[256];
        struct sample s;
        json_t *j;
        char *dump;

        CHECK_EQ_INT(watch_init(&w, o, err, sizeof(err)), 0);
        s = proc(PID0 + 9, 1, name, 10, 0, -1);
        watch_apply(&w, 0, &s, 1, 0);
        text_len = 0;
        text[0] = '\0';
        print_tick(&w, 1);
        CHECK(strstr(text, "\033[H\033[2J") == text); /* the view's own clearing, and no other */
        CHECK(strstr(text, " e\\x1b\\x0al\\xe9 ") != NULL);
        CHECK(!has_control(text + strlen("\033[H\033[2J")));
        j = watch_json(&w);
        dump = j ? jsonout_dumps(j, JSONOUT_DUMP_LINE) : NULL;
        CHECK(dump && strstr(dump, "\"comm\":\"e\\u001B\\nl\xef\xbf\xbd\"") != NULL);
        free(dump);
        json_decref(j);
        w.nev = 0;
        watch_apply(&w, 1, NULL, 0, 0);
        text_len = 0;
        text[0] = '\0';
        print_tick(&w, 0);
        CHECK(strstr(text, "12:00:00  pid 2000000009 (e\\x1b\\x0al\\xe9) ended after") != NULL);
        CHECK(!has_control(text));
        size_t lines = 0;
        for (const char *c = text; *c; c++)
                lines += *c == '\n';
        CHECK_EQ_U64(lines, 2); /* the end, the tick */
        watch_free(&w);
}

int main(void)
{
        static struct watch w;
        struct watch_options o;
        char err[256];

        memset(&o, 0, sizeof(o));
        o.match = "^jitmem-unit-test-watch-matches-nothing$";
        o.interval_ns = 1000000000ULL;
        o.window_ns = 240ULL * 1000000000ULL;
        o.rescan_ns = 5000000000ULL;
        o.max_series = 64;
        o.limit_bytes = 384ULL << 20;
        CHECK_EQ_INT(watch_init(&w, &o, err, sizeof(err)), 0);
        for (int t = 0; t < 90; t++) {
                struct sample s[3];
                double warm = t < 40 ? t / 40.0 : 1; /* JIT code and RSS grow for 40 s, then level off */
                int second = t < 60 ? PID0 + 3 : PID0 + 4; /* the second worker is replaced at 60 s */
                double age = t < 60 ? warm : (t - 60) / 40.0;
                s[0] = proc(PID0 + 1, 1, "gunicorn", 30, 0, -1);
                s[1] = proc(PID0 + 2, PID0 + 1, "gunicorn: worker", 40 + 8 * warm, 600 * warm, (int)(120 * warm));
                s[2] = proc(second, PID0 + 1, "gunicorn: worker", 40 + 8 * age, 600 * age, (int)(120 * age));
                if (t % 5 == 0)
                        for (int i = 0; i < 3; i++) {
                                s[i].heavy = 1;
                                s[i].pss = s[i].rss * 3 / 4;
                                s[i].uss = s[i].rss / 2;
                        }
                w.nev = 0; /* as watch_tick does */
                watch_apply(&w, t, s, 3, 0);
                if (t == 0 || t == 1 || t % 10 == 9 || t == 60)
                        print_tick(&w, 0);
        }
        golden("watch-lines.txt");
        text_len = 0;
        text[0] = '\0';
        print_tick(&w, 1);
        golden("watch-view.txt");
        text_len = 0;
        text[0] = '\0';
        print_json(&w);
        golden("watch-tick.json");
        watch_free(&w);
        test_hostile_name(&o);
        return unit_finish("test_cmd_watch");
}
