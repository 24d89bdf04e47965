/* Unit tests for src/live/watchrec.c: a watch of three children of this test recorded into a
 * temporary directory, two of them killed so that the watch rebuilds its sampler (the slack set
 * to 1): samples.csv's times keep increasing across the new sampler's clock, summary.json lists
 * the processes seen since the rebuild and says from when, and the refusal of a directory that
 * holds a run. */
#include "unit.h"
#include "watch.h"
#include "watchrec.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child(void)
{
        pid_t pid = fork();

        if (pid == 0) {
                for (;;)
                        pause();
        }
        return pid;
}

static void sleep_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

        nanosleep(&ts, NULL);
}

/* The t_s of every tree row, in order; returns how many (at most max). */
static size_t tree_times(const char *path, double *t, size_t max)
{
        char line[1024];
        size_t n = 0;
        FILE *f = fopen(path, "r");

        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f) && n < max)
                if (strstr(line, ",tree,"))
                        t[n++] = strtod(line, NULL);
        fclose(f);
        return n;
}

static void test_rebuild(const char *dir)
{
        struct watch w;
        struct watch_options o;
        struct watchrec *rec = NULL;
        int pids[3];
        char err[1024], path[512];
        double t[16];
        size_t n;
        json_t *sum;
        json_error_t jerr;

        for (int i = 0; i < 3; i++)
                pids[i] = (int)child();
        memset(&o, 0, sizeof(o));
        o.pids = pids;
        o.npids = 3;
        o.interval_ns = 100000000ULL;
        o.window_ns = 60000000000ULL;
        o.rescan_ns = 5000000000ULL;
        o.max_series = 8;
        o.rebuild_slack = 1;
        memset(&w, 0, sizeof(w));
        CHECK_EQ_INT(watch_init(&w, &o, err, sizeof(err)), 0);
        CHECK_EQ_INT(watchrec_open(dir, 0, &w, &rec, err, sizeof(err)), 0);
        if (!rec)
                return;

        /* tick 1: the three; tick 2: two of them gone; tick 3: a new sampler (3 seen > 1 alive + 1) */
        CHECK_EQ_INT(watch_tick(&w), 0);
        CHECK_EQ_INT(watchrec_tick(rec, &w, err, sizeof(err)), 0);
        CHECK_EQ_INT(w.tot.processes, 3);
        for (int i = 0; i < 2; i++) {
                kill(pids[i], SIGKILL);
                waitpid(pids[i], NULL, 0);
        }
        sleep_ms(20);
        CHECK_EQ_INT(watch_tick(&w), 0);
        CHECK_EQ_INT(watchrec_tick(rec, &w, err, sizeof(err)), 0);
        CHECK_EQ_INT(w.tot.processes, 1);
        CHECK_EQ_U64(w.sampler_rebuilds, 0);
        sleep_ms(20);
        CHECK_EQ_INT(watch_tick(&w), 0);
        CHECK_EQ_U64(w.sampler_rebuilds, 1);
        CHECK_EQ_INT(watchrec_tick(rec, &w, err, sizeof(err)), 0);
        sleep_ms(20);
        CHECK_EQ_INT(watch_tick(&w), 0);
        CHECK_EQ_INT(watchrec_tick(rec, &w, err, sizeof(err)), 0);
        CHECK_EQ_INT(w.tot.processes, 1);
        CHECK_EQ_INT(watchrec_finish(rec, &w, WATCHREC_END_COUNT, 0, NULL, 0, err, sizeof(err)), 0);

        snprintf(path, sizeof(path), "%s/samples.csv", dir);
        n = tree_times(path, t, 16);
        CHECK_EQ_INT(n, 4);
        for (size_t i = 1; i < n; i++)
                CHECK(t[i] > t[i - 1]);
        /* the ticks were 20 ms or more apart on one clock: the new sampler's did not start again at 0 */
        CHECK(n == 4 && t[2] - t[1] >= 0.015 && t[3] - t[2] >= 0.015);

        snprintf(path, sizeof(path), "%s/summary.json", dir);
        sum = json_load_file(path, 0, &jerr);
        CHECK(sum != NULL);
        if (sum) {
                json_t *procs = json_object_get(sum, "processes"), *p0 = json_array_get(procs, 0);
                double since = json_number_value(json_object_get(sum, "processes_since_t_s"));

                CHECK_STR(json_string_value(json_object_get(sum, "source")), "watch");
                CHECK_STR(json_string_value(json_object_get(json_object_get(sum, "ended"), "reason")), "count");
                CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(sum, "ticks"), "count")), 4);
                CHECK(json_is_number(json_object_get(sum, "processes_since_t_s")));
                CHECK(n == 4 && since > t[2] - 1e-5 && since < t[2] + 1e-5); /* CSV keeps 6 decimals */
                /* the one process left, sampled twice since, its times on samples.csv's clock */
                CHECK_EQ_INT(json_array_size(procs), 1);
                CHECK_EQ_INT(json_integer_value(json_object_get(p0, "pid")), pids[2]);
                CHECK_EQ_INT(json_integer_value(json_object_get(p0, "samples")), 2);
                CHECK(n == 4 && json_number_value(json_object_get(p0, "first_t_s")) >= t[2] - 1e-6 &&
                      json_number_value(json_object_get(p0, "last_t_s")) <= t[3] + 0.01);
                json_decref(sum);
        }

        /* a directory that holds a run: refused, then replaced with force */
        rec = NULL;
        CHECK_EQ_INT(watchrec_open(dir, 0, &w, &rec, err, sizeof(err)), -EEXIST);
        CHECK(strstr(err, "already holds a run") != NULL);
        CHECK(rec == NULL);
        CHECK_EQ_INT(watchrec_open(dir, 1, &w, &rec, err, sizeof(err)), 0);
        snprintf(path, sizeof(path), "%s/summary.json", dir);
        CHECK(access(path, F_OK) != 0); /* the old summary is gone at once */
        CHECK_EQ_INT(watchrec_finish(rec, &w, WATCHREC_END_SIGNAL, SIGINT, NULL, 0, err, sizeof(err)), 0);
        sum = json_load_file(path, 0, &jerr);
        CHECK(sum != NULL);
        if (sum) {
                json_t *e = json_object_get(sum, "ended");
                CHECK_STR(json_string_value(json_object_get(e, "signal")), "SIGINT");
                CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(sum, "ticks"), "count")), 0);
                CHECK(json_is_null(json_object_get(sum, "processes_since_t_s")));
                json_decref(sum);
        }
        watch_free(&w);
        kill(pids[2], SIGKILL);
        waitpid(pids[2], NULL, 0);
}

int main(void)
{
        char dir[] = "/tmp/test_watchrec.XXXXXX", sub[64], path[128];

        if (!mkdtemp(dir)) {
                perror("mkdtemp");
                return 1;
        }
        snprintf(sub, sizeof(sub), "%s/rec", dir);
        test_rebuild(sub);
        const char *names[] = { "meta.json", "samples.csv", "summary.json" };
        for (size_t i = 0; i < 3; i++) {
                snprintf(path, sizeof(path), "%s/%s", sub, names[i]);
                unlink(path);
        }
        rmdir(sub);
        rmdir(dir);
        return unit_finish("test_watchrec");
}
