/* Per-run analysis on synthetic series with known shapes, and reading samples.csv back. */
#include "analysis.h"
#include "runfile.h"
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

/* The figures analysis takes from a summary.json built here. */
static const struct runfile_summary *summ(json_t *j)
{
        static struct runfile_summary r;
        runfile_summary_free(&r);
        runfile_summary_of(j, &r);
        return &r;
}

#define MiB (1024.0 * 1024.0)
#define N 400

static struct runfile_point pts[N];

/* Deterministic noise in [-1, 1]. */
static double noise(int i)
{
        unsigned x = (unsigned)i * 2654435761u;
        x ^= x >> 13;
        return (double)(x % 2001) / 1000.0 - 1.0;
}

static json_t *summary(double duration, double units)
{
        return json_pack("{s:f, s:[{s:f, s:f}], s:o}", "duration_s", duration, "processes", "cpu_user_s", 1.5, "cpu_sys_s",
                         0.5, "progress", units > 0 ? json_pack("{s:f}", "units_per_s", units / duration) : json_null());
}

static void test_warmup_then_plateau(void)
{
        struct runfile_series s = { .p = pts, .n = N, .ticks = N, .t_end = -1, .program_t = -1 };
        struct analysis a;
        json_t *sum = summary(40, 400);

        /* 40 s; RSS climbs 50 -> 80 MiB over the first 10 s, then holds (+-0.2 MiB); JIT code grows
         * 0 -> 1 MiB over the first 8 s; progress 1 unit per tick; VSZ jumps to its top at 1 s. */
        for (int i = 0; i < N; i++) {
                double t = i * 0.1;
                pts[i].t = t;
                pts[i].rss = (t < 10 ? 50 + 3 * t : 80) * MiB + 0.2 * MiB * noise(i);
                pts[i].pss = i % 10 == 0 ? pts[i].rss * 0.5 : -1;
                pts[i].vsz = (t < 1 ? 200 : 400) * MiB;
                pts[i].jit = (t < 8 ? t / 8 : 1) * MiB;
                pts[i].jit = floor(pts[i].jit / 4096) * 4096;
                pts[i].progress = i + 1;
                pts[i].processes = 1;
        }
        CHECK_EQ_INT(analysis_of(&s, NULL, summ(sum), &a), 0);
        CHECK(a.warmup_ended);
        CHECK(a.warmup_end_s >= 8.0 && a.warmup_end_s <= 12.1); /* detected at a tenth of the run */
        CHECK(!a.growing);
        CHECK(fabs(a.steady_rss - 80 * MiB) < 0.3 * MiB);
        CHECK(fabs(a.peak_jit - floor(MiB / 4096) * 4096) < 1);
        CHECK(fabs(a.cpu_s - 2.0) < 1e-9);
        CHECK(fabs(a.throughput - 10.0) < 1e-9);
        CHECK(a.by_progress);
        CHECK(fabs(a.rss_at[3] - pts[N - 1].rss) < 1); /* 100% of the work: the last tick */
        CHECK(fabs(a.startup_rss - pts[0].rss) < 1);  /* the first unit is reported at the first tick */
        /* RSS reaches 90% of its growth at 9 s, VSZ at 1 s: VSZ leads by 8 s. */
        CHECK(fabs(a.vsz_lead_s - 8.0) < 0.15);
        CHECK(a.pss_at[0] > 0);
        json_decref(sum);
}

static void test_leak(void)
{
        struct runfile_series s = { .p = pts, .n = N, .ticks = N, .t_end = -1, .program_t = -1 };
        struct analysis a;
        json_t *sum = summary(40, 0);

        /* A leak: +0.5 MiB/s all along, in a mode with no JIT; no progress reported. */
        for (int i = 0; i < N; i++) {
                double t = i * 0.1;
                pts[i].t = t;
                pts[i].rss = (50 + 0.5 * t) * MiB + 0.1 * MiB * noise(i);
                pts[i].pss = -1;
                pts[i].vsz = 300 * MiB;
                pts[i].jit = 0;
                pts[i].progress = -1;
                pts[i].processes = 2;
        }
        CHECK_EQ_INT(analysis_of(&s, NULL, summ(sum), &a), 0);
        CHECK(!a.warmup_ended);
        CHECK(a.growing);
        CHECK(fabs(a.slope - 0.5 * MiB) < 0.02 * MiB);
        CHECK(a.slope_p < 0.001);
        CHECK(a.peak_pss < 0); /* never measured: not 0 */
        CHECK(a.throughput < 0);
        CHECK(!a.by_progress);
        CHECK(isnan(a.vsz_lead_s)); /* VSZ never grew */
        /* By time: 25% of the run (0 to 39.9 s) is the first tick at or after 9.975 s. */
        CHECK(fabs(a.rss_at[0] - pts[100].rss) < 1);
        json_decref(sum);
}

static void test_too_short(void)
{
        struct runfile_series s = { .p = pts, .n = 2, .ticks = 2, .t_end = -1, .program_t = -1 };
        struct analysis a;
        /* Two ticks: peaks, no trend (a start-up run). */
        pts[0] = (struct runfile_point){ .t = 0.0, .rss = 10 * MiB, .vsz = 50 * MiB, .pss = -1, .uss = -1, .jit = 0, .progress = 1, .processes = 1 };
        pts[1] = (struct runfile_point){ .t = 0.05, .rss = 12 * MiB, .vsz = 60 * MiB, .pss = 6 * MiB, .uss = -1, .jit = 4096, .progress = 2, .processes = 1 };
        CHECK_EQ_INT(analysis_of(&s, NULL, NULL, &a), 0);
        CHECK(fabs(a.peak_rss - 12 * MiB) < 1 && fabs(a.peak_pss - 6 * MiB) < 1 && fabs(a.peak_jit - 4096) < 1);
        CHECK(isnan(a.warmup_end_s) && a.steady_rss < 0 && !a.growing);
        s.n = 0;
        CHECK_EQ_INT(analysis_of(&s, NULL, NULL, &a), -EINVAL);
}

static void test_read_csv(void)
{
        char dir[] = "/tmp/jitmem-test-analysis.XXXXXX", path[256];
        struct runfile_series s;
        FILE *f;

        CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/samples.csv", dir);
        f = fopen(path, "w");
        CHECK(f != NULL);
        if (!f)
                return;
        fputs("t_s,scope,pid,ppid,comm,rss_bytes,vsz_bytes,pss_bytes,jit_code_bytes,processes,progress_units,extra\n"
              "0.1,process,10,1,\"a,\"\"b\",100,200,50,0,,,\n"
              "0.1,tree,10,,,100,200,50,0,1,3,x\n"
              "0.2,tree,10,,,110,200,,4096,1,5,x\n"
              "0.3,tree,10,,,0,0,,0,0,5,x\n"          /* no process: left out */
              "0.4,tree,10,,,120,200,60,4096,1,", f); /* cut short: left out */
        fclose(f);
        CHECK_EQ_INT(runfile_read_tree(dir, &s), 0);
        CHECK_EQ_INT(s.n, 2);
        if (s.n == 2) {
                CHECK(fabs(s.p[0].rss - 100) < 1e-9 && fabs(s.p[0].pss - 50) < 1e-9 && fabs(s.p[0].progress - 3) < 1e-9);
                CHECK(s.p[1].pss < 0 && fabs(s.p[1].jit - 4096) < 1e-9);
        }
        runfile_series_free(&s);
        f = fopen(path, "w");
        if (f) {
                fputs("a,b,c\n1,2,3\n", f);
                fclose(f);
        }
        CHECK_EQ_INT(runfile_read_tree(dir, &s), -EINVAL);
        unlink(path);
        rmdir(dir);
        CHECK_EQ_INT(runfile_read_tree(dir, &s), -ENOENT);

        char line[] = "1,\"x,\"\"y\"\"\",3";
        char *fields[8];
        CHECK_EQ_INT(runfile_split_csv(line, fields, 8), 3);
        CHECK_STR(fields[1], "x,\"y\"");
        char bad[] = "1,\"open";
        CHECK_EQ_INT(runfile_split_csv(bad, fields, 8), -EINVAL);
}

/* One process row of the fixture below. */
static void prow(FILE *f, int tick, int pid, int ppid, double rss, double jit)
{
        double t = tick * 0.1;
        if (tick % 5 == 0)
                fprintf(f, "%.1f,process,%d,%d,w,%.0f,1000,%.0f,%.0f,,\n", t, pid, ppid, rss, rss / 2, jit);
        else
                fprintf(f, "%.1f,process,%d,%d,w,%.0f,1000,,%.0f,,\n", t, pid, ppid, rss, jit);
}

/* A master (10) with two workers (11, 12) from tick 1; 11 dies after tick 15, 13 replaces it at
 * tick 17, and PID 11 comes back at tick 30 as a new worker (the second restart); a helper
 * (30) of worker 12 lives at ticks 5-6 and is not a worker. Progress 10 units per tick. */
static void write_workers(const char *path)
{
        FILE *f = fopen(path, "w");
        const double K64 = 65536;

        CHECK(f != NULL);
        if (!f)
                return;
        fputs("t_s,scope,pid,ppid,comm,rss_bytes,vsz_bytes,pss_bytes,jit_code_bytes,processes,progress_units\n", f);
        for (int tick = 0; tick < 40; tick++) {
                int procs = 1;
                prow(f, tick, 10, 1, 5 * MiB, 0);
                if (tick >= 1 && tick <= 15) {
                        prow(f, tick, 11, 10, 20 * MiB + tick * 0.1 * MiB, fmin(tick, 8) * K64);
                        procs++;
                }
                if (tick >= 1) {
                        prow(f, tick, 12, 10, 20 * MiB + tick * 0.1 * MiB, fmin(tick, 10) * K64);
                        procs++;
                }
                if (tick >= 5 && tick <= 6) {
                        prow(f, tick, 30, 12, 1 * MiB, 0);
                        procs++;
                }
                if (tick >= 17) {
                        prow(f, tick, 13, 10, 18 * MiB + (tick - 17) * 0.2 * MiB, fmin(tick - 16, 9) * K64);
                        procs++;
                }
                if (tick >= 30) {
                        prow(f, tick, 11, 10, 19 * MiB, 0);
                        procs++;
                }
                fprintf(f, "%.1f,tree,10,,,%.0f,1000,,0,%d,%d\n", tick * 0.1, 100 * MiB, procs, tick * 10);
        }
        fclose(f);
}

static void test_workers(void)
{
        char dir[] = "/tmp/jitmem-test-workers.XXXXXX", path[256];
        struct runfile_series s;
        struct runfile_procs pr;
        struct analysis a;

        CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/samples.csv", dir);
        write_workers(path);
        CHECK_EQ_INT(runfile_read(dir, &s, &pr), 0);
        CHECK_EQ_INT(s.n, 40);
        CHECK_EQ_INT(pr.root_pid, 10);
        CHECK_EQ_INT(pr.n, 6); /* 10, 11, 12, 30, 13, 11 again */
        CHECK_EQ_INT(pr.stride, 1);
        if (pr.n == 6) {
                CHECK_EQ_INT(pr.l[1].pid, 11);
                CHECK_EQ_INT(pr.l[1].first_tick, 1);
                CHECK_EQ_INT(pr.l[1].last_tick, 15);
                CHECK_EQ_INT(pr.l[1].n, 15);
                CHECK(fabs(pr.l[1].peaks.jit_growth_end_t - 0.8) < 1e-9);
                CHECK(fabs(pr.l[1].peaks.pss - (20 + 1.5) * MiB / 2) < 1);
                CHECK_EQ_INT(pr.l[5].pid, 11);
                CHECK_EQ_INT(pr.l[5].first_tick, 30);
                CHECK(pr.l[5].peaks.jit_growth_end_t < 0);
                const struct runfile_ppoint *p = runfile_life_at(&pr.l[2], 2.05);
                CHECK(p && fabs(p->t - 2.0) < 1e-9);
                CHECK(runfile_life_at(&pr.l[2], 0) == &pr.l[2].p[0]);
        }
        CHECK_EQ_INT(analysis_of(&s, &pr, NULL, &a), 0);
        CHECK_EQ_INT(a.worker_lives, 4);
        CHECK_EQ_INT(a.workers_max, 3);
        CHECK_EQ_INT(a.restarts, 2);
        CHECK(a.by_progress);
        /* The points: ticks 10, 20, 30 and 39. */
        CHECK(fabs(a.worker_rss_at[0] - 21 * MiB) < 1);
        CHECK(fabs(a.worker_pss_at[0] - 10.5 * MiB) < 1);
        CHECK(fabs(a.worker_jit_at[0] - 9 * 65536) < 1); /* median of 8 and 10 x 64 KiB */
        CHECK(fabs(a.worker_rss_at[1] - 20.3 * MiB) < 1); /* 12 at 22 MiB, 13 at 18.6 */
        CHECK(fabs(a.worker_rss_at[2] - 20.6 * MiB) < 1); /* 12, 13, and 11 again */
        CHECK(fabs(a.first_warmup_s - 0.8) < 1e-9);       /* 0.7 and 0.9 s */
        CHECK(fabs(a.restart_warmup_s - 0.8) < 1e-9);     /* 13: ticks 17 to 25 */
        CHECK(fabs(a.restart_jit - 9 * 65536 / 2.0) < 1); /* 13: 576 KiB, 11 again: none */
        CHECK(fabs(a.worker_peak_rss - 21.95 * MiB) < 1); /* median of 19, 21.5, 22.4, 23.9 MiB */
        /* analysis_workers names them, and which restarted: 13 and 11 again, not 11 and 12 */
        size_t sel[8];
        int restarted[8], nres = 0, pid13 = 0;
        CHECK_EQ_INT(analysis_workers(&s, &pr, sel, restarted), 4);
        for (int j = 0; j < 4; j++) {
                nres += restarted[j];
                if (pr.l[sel[j]].pid == 13)
                        pid13 = restarted[j];
                if (pr.l[sel[j]].pid == 12)
                        CHECK(!restarted[j]);
        }
        CHECK_EQ_INT(nres, a.restarts);
        CHECK(pid13);
        CHECK_EQ_INT(analysis_workers(&s, &pr, sel, NULL), 4);
        CHECK_EQ_INT(analysis_workers(&s, NULL, sel, NULL), 0);

        /* Thinned to at most 40 points: the lives and their peaks are the same. */
        struct runfile_procs th;
        struct runfile_series s2;
        CHECK_EQ_INT(runfile_read_bounded(dir, &s2, &th, 40), 0);
        CHECK(th.stride >= 2);
        size_t total = 0;
        for (size_t i = 0; i < th.n; i++)
                total += th.l[i].n;
        CHECK(total <= 40 && total >= 20);
        CHECK_EQ_INT(th.n, 6);
        if (th.n == 6) {
                CHECK_EQ_INT(th.l[1].last_tick, 15);
                CHECK(fabs(th.l[1].peaks.jit_growth_end_t - 0.8) < 1e-9);
                CHECK(fabs(th.l[2].peaks.rss - pr.l[2].peaks.rss) < 1);
        }
        runfile_series_free(&s2);
        runfile_procs_free(&th);
        runfile_series_free(&s);
        runfile_procs_free(&pr);

        /* A launcher: the command's only child is the master of the workers. */
        FILE *f = fopen(path, "w");
        if (f) {
                fputs("t_s,scope,pid,ppid,comm,rss_bytes,vsz_bytes,pss_bytes,jit_code_bytes,processes,progress_units\n", f);
                for (int tick = 0; tick < 5; tick++) {
                        prow(f, tick, 10, 1, MiB, 0);
                        prow(f, tick, 20, 10, MiB, 0);
                        prow(f, tick, 21, 20, 7 * MiB, 0);
                        prow(f, tick, 22, 20, 9 * MiB, 0);
                        fprintf(f, "%.1f,tree,10,,,%.0f,1000,,0,4,\n", tick * 0.1, 18 * MiB);
                }
                fclose(f);
        }
        CHECK_EQ_INT(runfile_read(dir, &s, &pr), 0);
        CHECK_EQ_INT(analysis_of(&s, &pr, NULL, &a), 0);
        CHECK_EQ_INT(a.worker_lives, 2);
        CHECK_EQ_INT(a.restarts, 0);
        CHECK(fabs(a.worker_rss_at[3] - 8 * MiB) < 1);
        runfile_series_free(&s);
        runfile_procs_free(&pr);
        /* Without process lives: no worker figures. */
        write_workers(path);
        CHECK_EQ_INT(runfile_read(dir, &s, NULL), 0);
        CHECK_EQ_INT(analysis_of(&s, NULL, NULL, &a), 0);
        CHECK(a.workers_max < 0 && a.restarts < 0 && a.worker_rss_at[0] < 0 && a.worker_peak_rss < 0);
        runfile_series_free(&s);
        unlink(path);
        rmdir(dir);
}

static json_t *load_json(const char *dir, const char *name)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        return json_load_file(path, 0, NULL);
}

/* Recorded runs (tests/data/runs/README.md) where python3 is pyenv's shim: its helpers are no
 * workers, nor restarts; the workers of a master behind the shim are, and so is their one
 * restart. The tick count is the run's, the last tick (no process left) included. */
static void test_recorded_launchers(void)
{
        static const char *const shim = "tests/data/runs/pyenv-shim", *const pre = "tests/data/runs/pyenv-prefork";
        struct runfile_series s;
        struct runfile_procs pr;
        struct analysis a;
        json_t *sum;

        CHECK_EQ_INT(runfile_read(shim, &s, &pr), 0);
        sum = load_json(shim, "summary.json");
        CHECK(sum != NULL);
        CHECK(pr.n > 10); /* the shim's helpers are recorded ... */
        CHECK_EQ_INT(analysis_of(&s, &pr, summ(sum), &a), 0);
        CHECK_EQ_INT(a.worker_lives, 0); /* ... and are not workers */
        CHECK_EQ_INT(a.workers_max, 0);
        CHECK_EQ_INT(a.restarts, 0);
        CHECK(a.worker_peak_rss < 0 && a.worker_rss_at[3] < 0);
        CHECK_EQ_INT(s.ticks, json_integer_value(json_object_get(json_object_get(sum, "ticks"), "count")));
        CHECK_EQ_INT(s.ticks, s.n + 1);
        /* The trend figures are the class's. */
        struct growth_result g;
        CHECK_EQ_INT(analysis_tree_growth(&s, 0, &g), 0);
        CHECK_EQ_INT(a.growth_class, (int)g.cls);
        CHECK_EQ_INT(a.warmup_ended, analysis_warmup_ended(&g));
        CHECK_EQ_INT(a.growing, g.cls == GROWTH_STEADY);
        json_decref(sum);
        runfile_series_free(&s);
        runfile_procs_free(&pr);

        CHECK_EQ_INT(runfile_read(pre, &s, &pr), 0);
        sum = load_json(pre, "summary.json");
        CHECK_EQ_INT(analysis_of(&s, &pr, summ(sum), &a), 0);
        CHECK_EQ_INT(a.worker_lives, 3);
        CHECK_EQ_INT(a.workers_max, 2);
        CHECK_EQ_INT(a.restarts, 1);
        CHECK(a.worker_peak_rss > 4 * MiB && a.worker_peak_rss < 32 * MiB);
        CHECK_EQ_INT(s.ticks, json_integer_value(json_object_get(json_object_get(sum, "ticks"), "count")));
        json_decref(sum);
        runfile_series_free(&s);
        runfile_procs_free(&pr);
}

/* Helpers that overlap for a tick, sibling processes of different programs, and orphans whose
 * parent was never recorded are not workers; a process missing from one tick is not a new life
 * (nor a restart). */
static void test_worker_definition(void)
{
        char dir[] = "/tmp/jitmem-test-def.XXXXXX", path[256];
        struct runfile_series s;
        struct runfile_procs pr;
        struct analysis a;
        FILE *f;

        CHECK(mkdtemp(dir) != NULL);
        snprintf(path, sizeof(path), "%s/samples.csv", dir);
        f = fopen(path, "w");
        CHECK(f != NULL);
        if (!f)
                return;
        fputs("t_s,scope,pid,ppid,comm,rss_bytes,vsz_bytes,pss_bytes,jit_code_bytes,processes,progress_units\n", f);
        for (int tick = 0; tick < 50; tick++) {
                int procs = 1;
                double t = tick * 0.1;
                fprintf(f, "%.1f,process,10,1,app,%.0f,1000,,0,,\n", t, 30 * MiB);
                if (tick == 3 || tick == 4) { /* two helpers of a kind, together for two ticks */
                        fprintf(f, "%.1f,process,20,10,sh,%.0f,1000,,0,,\n", t, MiB);
                        fprintf(f, "%.1f,process,21,10,sh,%.0f,1000,,0,,\n", t, MiB);
                        procs += 2;
                }
                if (tick >= 12 && tick < 45) { /* orphans handed to jitmem, the subreaper: no recorded parent */
                        fprintf(f, "%.1f,process,40,1,worker,%.0f,1000,,0,,\n", t, 9 * MiB);
                        fprintf(f, "%.1f,process,41,1,worker,%.0f,1000,,0,,\n", t, 9 * MiB);
                        procs += 2;
                }
                if (tick >= 10 && tick < 40) { /* siblings alive together, each a program of its own */
                        fprintf(f, "%.1f,process,30,10,logger,%.0f,1000,,0,,\n", t, 2 * MiB);
                        procs++;
                        if (tick != 20) { /* missed at one tick */
                                fprintf(f, "%.1f,process,31,10,cache,%.0f,1000,,0,,\n", t, 5 * MiB);
                                procs++;
                        }
                }
                fprintf(f, "%.1f,tree,10,,,%.0f,1000,,0,%d,\n", t, 40 * MiB, procs);
        }
        fclose(f);
        CHECK_EQ_INT(runfile_read(dir, &s, &pr), 0);
        CHECK_EQ_INT(pr.n, 7); /* 10, 20, 21, 30, 31, 40, 41: 31 is one life */
        CHECK_EQ_INT(analysis_of(&s, &pr, NULL, &a), 0);
        CHECK_EQ_INT(a.worker_lives, 0);
        CHECK_EQ_INT(a.restarts, 0);
        runfile_series_free(&s);
        runfile_procs_free(&pr);
        unlink(path);
        rmdir(dir);
}

/* A launcher (pyenv's shim) runs helpers for 3 s, the tree's RSS climbing from 2 to 18 MiB as
 * they come and go, then execs the program, which holds 18 MiB for 0.8 s. The climb is the
 * launcher's, not the program's: from the exec on there is not enough to judge, and no trend is
 * said. Without the execs column (an older samples.csv) the window is the whole run. */
static void test_launcher_exec(void)
{
        char dir[] = "/tmp/jitmem-test-exec.XXXXXX", path[256];
        struct runfile_series s;
        struct runfile_procs pr;
        struct analysis a;
        size_t lo, hi;
        double from, to;
        FILE *f;

        CHECK(mkdtemp(dir) != NULL);
        for (int with_execs = 1; with_execs >= 0; with_execs--) {
                snprintf(path, sizeof(path), "%s/samples.csv", dir);
                f = fopen(path, "w");
                CHECK(f != NULL);
                if (!f)
                        return;
                fprintf(f, "t_s,scope,pid,ppid,comm,rss_bytes,vsz_bytes,pss_bytes,jit_code_bytes,processes,progress_units%s\n",
                        with_execs ? ",execs" : "");
                for (int tick = 0; tick < 38; tick++) {
                        double t = tick * 0.1;
                        int launcher = tick < 30, procs = launcher ? 2 : 1;
                        double rss = launcher ? (2 + 16.0 * tick / 30) * MiB : 18 * MiB;
                        fprintf(f, "%.1f,process,10,1,python3,%.0f,1000,,0,,%s\n", t, launcher ? MiB : rss,
                                with_execs ? (launcher ? ",0" : ",1") : "");
                        if (launcher)
                                fprintf(f, "%.1f,process,%d,10,bash,%.0f,1000,,0,,%s\n", t, 100 + tick, rss - MiB,
                                        with_execs ? ",0" : "");
                        fprintf(f, "%.1f,tree,10,,,%.0f,1000,,0,%d,%s\n", t, rss, procs, with_execs ? "," : "");
                }
                fclose(f);
                CHECK_EQ_INT(runfile_read(dir, &s, &pr), 0);
                if (with_execs) {
                        CHECK(fabs(s.program_t - 3.0) < 1e-9);
                        CHECK_EQ_INT(analysis_load_window(&s, NULL, &lo, &hi, &from, &to), 0);
                        CHECK_EQ_INT((int)lo, 30);
                        CHECK_EQ_INT((int)hi, 38);
                        CHECK_EQ_INT(analysis_of(&s, &pr, NULL, &a), 0);
                        CHECK_EQ_INT(a.growth_class, GROWTH_NOT_ENOUGH_DATA);
                        CHECK(!a.growing);
                        CHECK(a.peak_rss == 18 * MiB);
                } else {
                        CHECK(s.program_t < 0);
                        CHECK_EQ_INT(analysis_load_window(&s, NULL, &lo, &hi, &from, &to), 0);
                        CHECK_EQ_INT((int)lo, 0);
                }
                runfile_series_free(&s);
                runfile_procs_free(&pr);
                unlink(path);
        }
        rmdir(dir);
}

/* A server under an HTTP load: start-up (1 process, then 3), the measured load from 2 s to 8 s
 * (3 processes, RSS flat at 60 MiB, JIT code growing to 1 MiB by 5 s then held, requests 100 a
 * second), then the shutdown tail: 1 process, RSS 20 MiB, JIT code 0, PSS measured only there
 * near the load's end. Every figure comes from the load; the points at equal counts. */
static void test_load_phase(void)
{
        struct runfile_series s = { .p = pts, .n = 100, .ticks = 100, .t_end = -1, .program_t = -1 };
        struct analysis a;
        json_t *sum;
        const double t0_ns = 5e9;

        for (int i = 0; i < 100; i++) {
                double t = i * 0.1;
                int load = t >= 2.0 && t <= 8.0 + 1e-9, tail = t > 8.0 + 1e-9;
                pts[i].t = t;
                pts[i].processes = t < 1 ? 1 : tail ? 1 : 3;
                pts[i].rss = (t < 1 ? 15 : tail ? 20 : 60) * MiB + 0.01 * MiB * noise(i);
                if (t > 1 && t < 2)
                        pts[i].rss = 90 * MiB; /* a start-up peak: not the service's */
                pts[i].vsz = 300 * MiB;
                pts[i].jit = tail || t < 2 ? 0 : fmin((t - 2) / 3, 1) * MiB;
                pts[i].jit = floor(pts[i].jit / 4096) * 4096;
                pts[i].pss = i % 5 == 0 ? pts[i].rss / 2 : -1;
                if (i == 81) /* the heavy tick nearest the load's end is in the tail, with 1 process */
                        pts[i].pss = 1 * MiB;
                pts[i].uss = -1;
                pts[i].progress = load ? floor((t - 2.0) * 100 + 1e-9) : tail ? 600 : 0;
        }
        sum = json_pack("{s:f, s:f, s:{s:f, s:f, s:{s:{s:f}}}}", "duration_s", 9.9, "t0_monotonic_ns", t0_ns, "driver",
                        "load_start_monotonic_ns", t0_ns + 2.0e9 - 1e6, "load_end_monotonic_ns", t0_ns + 8.0e9 + 1e6,
                        "load", "requests", "per_second", 100.0);
        size_t lo, hi;
        double from, to;
        CHECK_EQ_INT(analysis_load_window(&s, summ(sum), &lo, &hi, &from, &to), 1);
        CHECK_EQ_INT(lo, 20);
        CHECK_EQ_INT(hi, 81);
        CHECK(fabs(from - 1.999) < 1e-9 && fabs(to - 8.001) < 1e-9);
        CHECK_EQ_INT(analysis_of(&s, NULL, summ(sum), &a), 0);
        CHECK(a.load_phase);
        CHECK(fabs(a.peak_rss - 60 * MiB) < 0.05 * MiB);       /* not the start-up's 90 MiB */
        CHECK(fabs(a.final_jit - floor(MiB / 4096) * 4096) < 1); /* not the tail's 0 */
        CHECK_EQ_INT(a.growth_class, GROWTH_PLATEAU);           /* not the shutdown's fall */
        CHECK(fabs(a.steady_rss - 60 * MiB) < 0.05 * MiB);      /* not the tail's 20 MiB */
        CHECK(fabs(a.units_total - 600) < 1e-9);
        CHECK(fabs(a.pss_at[3] - 30 * MiB) < 0.05 * MiB);       /* a tick with the load's 3 processes */
        CHECK(fabs(a.rss_at[3] - 60 * MiB) < 0.05 * MiB);
        /* At equal counts: a comparison whose smallest total was 300 requests. */
        CHECK_EQ_INT(analysis_of_at(&s, NULL, summ(sum), 300, &a), 0);
        CHECK(fabs(a.units_at[3] - 300) < 1e-9 && fabs(a.units_at[0] - 75) < 1e-9);
        CHECK(fabs(a.units_total - 600) < 1e-9);
        /* Without a load in the summary: the whole run. */
        CHECK_EQ_INT(analysis_load_window(&s, NULL, &lo, &hi, &from, &to), 0);
        CHECK_EQ_INT(hi, 100);
        CHECK_EQ_INT(analysis_of(&s, NULL, NULL, &a), 0);
        CHECK(!a.load_phase && a.peak_rss > 80 * MiB && a.final_jit == 0);
        json_decref(sum);
}

int main(void)
{
        test_warmup_then_plateau();
        test_leak();
        test_too_short();
        test_read_csv();
        test_workers();
        test_recorded_launchers();
        test_worker_definition();
        test_load_phase();
        test_launcher_exec();
        return unit_finish("test_analysis");
}
