/* samples.csv's one writer (record.c) and one reader (runfile.c), as a round trip: ticks of
 * made-up samples written, read back, every figure the reader takes compared with what was
 * written (heavy and cheap ticks, a tick with no process, debug images read or not, the page
 * tables' count or not, a name that needs CSV quoting, an exec, a PID whose parent changes),
 * then the peaks record keeps for summary.json against the same samples. */
#include "record.h"
#include "runfile.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MiB (1024.0 * 1024.0)

static struct sample proc(int pid, int ppid, const char *comm, double rss_mib, uint64_t jit, int heavy)
{
        struct sample x;

        memset(&x, 0, sizeof(x));
        x.pid = pid;
        x.ppid = ppid;
        x.index = (uint32_t)(pid - 100);
        snprintf(x.comm, sizeof(x.comm), "%s", comm);
        x.rss = (uint64_t)(rss_mib * MiB);
        x.vsz = 4 * x.rss;
        x.rss_anon = x.rss / 2;
        x.rss_file = x.rss - x.rss_anon;
        x.jit_bytes = jit;
        x.jit_mappings = (uint32_t)(jit / 4096);
        x.threads = 1;
        x.cpu_user_ns = 1500000000ULL;
        x.jit_debug_images = -1;
        x.heavy = heavy;
        if (heavy) {
                x.pss = x.rss * 3 / 4;
                x.uss = x.rss / 2;
                x.pss_anon = x.rss / 3;
                x.have_pss_anon = 1;
        }
        return x;
}

static int near(double a, double b)
{
        return fabs(a - b) <= 1e-6 * fmax(1.0, fabs(b));
}

static void test_round_trip(void)
{
        char dir[] = "/tmp/jitmem-test-record.XXXXXX";
        struct record *r = NULL;
        struct sample s[3];
        struct sampler_tick t;
        struct record_extra x = { 0 };

        if (!mkdtemp(dir)) {
                CHECK(0);
                return;
        }
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK_EQ_INT(record_open(dfd, &r), 0);

        /* tick 1, heavy: the command (101) and a worker whose name needs quoting and escaping (ESC, LF, Latin-1); the page tables read */
        s[0] = proc(101, 1, "python3", 10, 8192, 1);
        s[1] = proc(102, 101, "a,b\"c\x1b\n\xe9", 6, 4096, 1);
        s[1].jit_debug_images = 3;
        s[1].jit_debug_bytes = 12000;
        memset(&t, 0, sizeof(t));
        t.t_ns = 100000000;
        t.heavy = 1;
        t.n = 2;
        t.samples = s;
        t.have_anon_pages = 1;
        t.anon_pages_bytes = 5 * 1024 * 1024;
        t.anon_outside_bytes = 4096;
        x.have_progress = 1;
        x.progress = 7;
        CHECK_EQ_INT(record_tick(r, &t, 101, &x), 0);

        /* tick 2, cheap: the worker gone, the command grown and exec'd */
        s[0] = proc(101, 1, "python3.15", 12, 16384, 0);
        s[0].execs = 1;
        t.t_ns = 200000000;
        t.heavy = 0;
        t.n = 1;
        t.have_anon_pages = 0;
        x.progress = 9;
        CHECK_EQ_INT(record_tick(r, &t, 101, &x), 0);

        /* tick 3: no process left */
        t.t_ns = 300000000;
        t.n = 0;
        CHECK_EQ_INT(record_tick(r, &t, 101, &x), 0);

        struct record_tree tr;
        record_tree_figures(r, &tr);
        CHECK_EQ_U64(tr.ticks, 3);
        CHECK_EQ_U64(tr.heavy_ticks, 1);
        CHECK_EQ_U64(tr.peak_rss, (uint64_t)(16 * MiB));
        CHECK_EQ_U64(tr.peak_jit, 16384);
        CHECK_EQ_U64(tr.final_jit, 16384);
        CHECK_EQ_U64(tr.peak_pss, (uint64_t)(10 * MiB) * 3 / 4 + (uint64_t)(6 * MiB) * 3 / 4);
        CHECK_EQ_U64(tr.peak_anon_pagemap, 5 * 1024 * 1024);
        CHECK_EQ_U64(tr.peak_anon_outside, 4096);
        CHECK_EQ_U64(tr.anon_pagemap_ticks, 1);
        CHECK(tr.have_debug);
        CHECK_EQ_U64(tr.peak_debug_bytes, 12000);
        CHECK_EQ_U64(tr.peak_jit_attributed, 8192 + 4096 + 12000);
        CHECK_EQ_INT(tr.max_processes, 2);
        CHECK_EQ_INT(record_close(r), 0);
        close(dfd);

        /* read back */
        struct runfile_series ser;
        struct runfile_procs pr;
        CHECK_EQ_INT(runfile_read(dir, &ser, &pr), 0);
        CHECK_EQ_U64(ser.ticks, 3);
        CHECK_EQ_U64(ser.n, 2); /* the tick with no process is counted, not a point */
        CHECK(near(ser.t_end, 0.3));
        if (ser.n == 2) {
                const struct runfile_point *a = &ser.p[0], *b = &ser.p[1];
                CHECK(near(a->t, 0.1) && near(b->t, 0.2));
                CHECK(near(a->rss, 16 * MiB) && near(b->rss, 12 * MiB));
                CHECK(near(a->vsz, 64 * MiB));
                CHECK(near(a->pss, (double)((uint64_t)(10 * MiB) * 3 / 4 + (uint64_t)(6 * MiB) * 3 / 4)));
                CHECK(b->pss < 0 && b->uss < 0 && b->pss_anon < 0); /* not measured at a cheap tick */
                CHECK(near(a->uss, 8 * MiB));
                CHECK(near(a->jit, 12288) && near(b->jit, 16384));
                CHECK(near(a->dbg, 12000) && b->dbg < 0);
                CHECK(near(a->pss_anon, (double)((uint64_t)(10 * MiB) / 3 + (uint64_t)(6 * MiB) / 3)));
                CHECK(near(a->anon_pagemap, 5 * MiB) && near(a->anon_outside, 4096));
                CHECK(b->anon_pagemap < 0 && b->anon_outside < 0);
                CHECK(near(a->progress, 7) && near(b->progress, 9));
                CHECK_EQ_INT(a->processes, 2);
                CHECK_EQ_INT(b->processes, 1);
                CHECK(near(a->jit_mappings, 3) && near(a->dbg_images, 3) && b->dbg_images < 0);
        }
        /* The peaks of the rows read back are the summary's: one definition, written and read. */
        struct runfile_peaks pk;
        runfile_peaks_init(&pk);
        for (size_t i = 0; i < ser.n; i++)
                runfile_peaks_add(&pk, &ser.p[i]);
        CHECK(near(pk.rss, (double)tr.peak_rss) && near(pk.rss_t, tr.peak_rss_t_s));
        CHECK(near(pk.pss, (double)tr.peak_pss) && near(pk.uss, (double)tr.peak_uss));
        CHECK(near(pk.jit, (double)tr.peak_jit) && near(pk.jit_mappings, tr.peak_jit_mappings));
        CHECK(near(pk.jit_pss, (double)tr.peak_jit_pss) && near(pk.pss_anon, (double)tr.peak_pss_anon));
        CHECK(near(pk.dbg, (double)tr.peak_debug_bytes) && near(pk.dbg_images, (double)tr.peak_debug_images));
        CHECK(near(pk.attributed, (double)tr.peak_jit_attributed));
        CHECK(near(pk.anon_pagemap, (double)tr.peak_anon_pagemap) && near(pk.anon_outside, (double)tr.peak_anon_outside));
        CHECK(near(pk.jit_growth_end_t, tr.jit_last_growth_t_s) && near(pk.jit_growth_end_t, 0.2));
        CHECK_EQ_U64(pk.heavy_points, tr.heavy_ticks);
        CHECK_EQ_U64(pk.pagemap_points, tr.anon_pagemap_ticks);
        CHECK_EQ_INT(pk.processes, (int)tr.max_processes);
        CHECK_EQ_INT(pr.root_pid, 101);
        CHECK_EQ_U64(pr.n, 2);
        if (pr.n == 2) {
                const struct runfile_life *c = &pr.l[0], *w = &pr.l[1];
                CHECK_EQ_INT(c->pid, 101);
                CHECK_STR(c->comm, "python3");
                CHECK_STR(c->last_comm, "python3.15");
                CHECK_EQ_INT(c->execs, 1);
                CHECK(near(c->program_t, 0.2)); /* the row after its exec */
                CHECK(near(c->peaks.rss, 12 * MiB) && near(c->peaks.last.jit, 16384));
                CHECK(near(c->peaks.pss, 7.5 * MiB));
                CHECK_EQ_U64(c->n, 2);
                CHECK_EQ_INT(w->pid, 102);
                CHECK_EQ_INT(w->ppid, 101);
                CHECK_STR(w->comm, "a,b\"c\\x1b\\x0a\\xe9"); /* escaped, quoted and unquoted again */
                CHECK(near(w->first_t, 0.1) && near(w->last_t, 0.1));
                CHECK(w->n == 1 && near(w->p[0].dbg, 12000) && near(w->p[0].pss, 4.5 * MiB));
        }
        runfile_series_free(&ser);
        runfile_procs_free(&pr);

        char path[256];
        snprintf(path, sizeof(path), "%s/samples.csv", dir);
        unlink(path);
        rmdir(dir);
}

/* The peaks' rules: unmeasured figures leave a peak alone, growth counts from zero, points
 * without a process are not counted. */
static void test_peaks(void)
{
        struct runfile_peaks pk;
        struct runfile_point p = { .t = 1, .rss = 10, .vsz = 40, .pss = -1, .uss = -1, .jit = 4096, .progress = -1,
                                   .dbg = -1, .pss_anon = -1, .anon_pagemap = -1, .anon_outside = -1,
                                   .jit_mappings = 1, .jit_pss = -1, .dbg_images = -1, .processes = 2 };

        runfile_peaks_init(&pk);
        CHECK(pk.rss == 0 && pk.pss < 0 && pk.dbg < 0 && pk.jit_growth_end_t < 0 && pk.rss_t < 0);
        runfile_peaks_add(&pk, &p);
        CHECK(pk.jit_growth_end_t == 1); /* from nothing before the first point */
        CHECK(pk.rss_t == 1 && pk.pss < 0 && pk.heavy_points == 0 && pk.attributed == 4096);
        p.t = 2, p.rss = 30, p.pss = 20, p.uss = 5, p.jit_pss = 4096, p.dbg = 1000, p.dbg_images = 2;
        runfile_peaks_add(&pk, &p); /* the same JIT code: no growth */
        CHECK(pk.jit_growth_end_t == 1 && pk.rss == 30 && pk.rss_t == 2 && pk.pss == 20 && pk.heavy_points == 1);
        CHECK(pk.attributed == 5096 && pk.dbg == 1000 && pk.dbg_images == 2 && pk.pss_anon < 0);
        p.t = 3, p.rss = 30, p.pss = -1, p.jit = 8192, p.dbg = -1, p.processes = 5;
        runfile_peaks_add(&pk, &p);
        CHECK(pk.rss_t == 2); /* the first time the peak was reached */
        CHECK(pk.jit_growth_end_t == 3 && pk.jit == 8192 && pk.attributed == 8192 && pk.dbg == 1000);
        CHECK(pk.pss == 20 && pk.processes == 5 && pk.points == 3);
        p.t = 4, p.rss = 99, p.processes = 0;
        runfile_peaks_add(&pk, &p); /* no process: not a point */
        CHECK(pk.rss == 30 && pk.points == 3 && pk.last.t == 3);
}

int main(void)
{
        test_round_trip();
        test_peaks();
        return unit_finish("test_record");
}
