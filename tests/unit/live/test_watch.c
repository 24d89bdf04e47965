/* Unit tests for src/live/watch.c: the history ring (points made of `stride` ticks, wrap-around,
 * the oldest point evicted, the stride that makes the ring span --window), ticks of synthetic
 * samples given to watch_apply (roles, totals, processes that end, a worker that ends and is
 * replaced counted as a restart, in the same tick or a later one), and the Prometheus text of
 * such a state (names escaped, per-process series bounded by --max-series, totals over every
 * process). The synthetic processes have PIDs no process can have, so that each one missing
 * from a tick has ended. */
#include "prom.h"
#include "sampler.h"
#include "unit.h"
#include "watch.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PID0 2000000000 /* above any pid_max: kill(PID0 + k, 0) says ESRCH */
#define MiB (1024u * 1024u)

/* ---- the ring ---- */

static void test_ring_stride_one(void)
{
        struct watch_ring r;
        double t[WATCH_RING], rss[WATCH_RING], uss[WATCH_RING], jit[WATCH_RING];
        size_t n;

        memset(&r, 0, sizeof(r));
        for (int i = 0; i < 10; i++)
                watch_ring_add(&r, 1, i, 100 + i, i % 2 ? -1 : 50 + i, 7);
        n = watch_ring_copy(&r, t, rss, uss, jit);
        CHECK_EQ_INT(n, 10);
        CHECK(t[0] == 0 && t[9] == 9);
        CHECK(rss[3] == 103 && jit[3] == 7);
        CHECK(uss[2] == 52);
        CHECK(uss[3] == -1); /* not measured then */
        CHECK_EQ_INT(r.acc_ticks, 0);

        /* stride 0 is taken as 1 */
        memset(&r, 0, sizeof(r));
        watch_ring_add(&r, 0, 1, 1, 1, 1);
        CHECK_EQ_INT(r.n, 1);
}

static void test_ring_wraps(void)
{
        struct watch_ring r;
        static double t[WATCH_RING], rss[WATCH_RING], uss[WATCH_RING], jit[WATCH_RING];
        size_t n, extra = 75;
        int ordered = 1;

        memset(&r, 0, sizeof(r));
        for (size_t i = 0; i < WATCH_RING; i++)
                watch_ring_add(&r, 1, (double)i, (double)i, -1, 0);
        CHECK_EQ_INT(r.n, WATCH_RING);
        CHECK_EQ_INT(r.start, 0);
        for (size_t i = WATCH_RING; i < WATCH_RING + extra; i++)
                watch_ring_add(&r, 1, (double)i, (double)i, -1, 0);
        CHECK_EQ_INT(r.n, WATCH_RING); /* full: each new point evicts the oldest */
        CHECK_EQ_INT(r.start, extra);
        n = watch_ring_copy(&r, t, rss, uss, jit);
        CHECK_EQ_INT(n, WATCH_RING);
        CHECK(t[0] == (double)extra);                     /* the oldest left */
        CHECK(t[n - 1] == (double)(WATCH_RING + extra - 1)); /* the newest */
        for (size_t k = 1; k < n; k++)
                if (!(t[k] == t[k - 1] + 1 && rss[k] == t[k]))
                        ordered = 0;
        CHECK(ordered); /* in time order across the wrap */
}

static void test_ring_stride_means(void)
{
        struct watch_ring r;
        double t[WATCH_RING], rss[WATCH_RING], uss[WATCH_RING], jit[WATCH_RING];

        memset(&r, 0, sizeof(r));
        /* three ticks a point: the means, USS over the ticks that measured it */
        watch_ring_add(&r, 3, 1, 10, -1, 0);
        watch_ring_add(&r, 3, 2, 20, 4, 3);
        CHECK_EQ_INT(r.n, 0);
        CHECK_EQ_INT(r.acc_ticks, 2);
        watch_ring_add(&r, 3, 3, 60, 8, 6);
        CHECK_EQ_INT(r.n, 1);
        CHECK_EQ_INT(r.acc_ticks, 0);
        watch_ring_add(&r, 3, 4, 1, -1, 0);
        watch_ring_add(&r, 3, 5, 1, -1, 0);
        watch_ring_add(&r, 3, 6, 1, -1, 0);
        CHECK_EQ_INT(watch_ring_copy(&r, t, rss, uss, jit), 2);
        CHECK(t[0] == 2 && rss[0] == 30 && uss[0] == 6 && jit[0] == 3);
        CHECK(t[1] == 5 && rss[1] == 1 && uss[1] == -1); /* no USS in any of its ticks */
}

/* ---- a watch fed synthetic ticks ---- */

/* A watch of nothing real: a pattern no command line matches. */
static int watch_start(struct watch *w, uint64_t window_ns, int max_series)
{
        struct watch_options o;
        char err[256];

        memset(&o, 0, sizeof(o));
        o.match = "^jitmem-unit-test-watch-matches-nothing$";
        o.interval_ns = 1000000000ULL;
        o.window_ns = window_ns;
        o.rescan_ns = 5000000000ULL;
        o.max_series = max_series;
        return watch_init(w, &o, err, sizeof(err));
}

static struct sample mk(int pid, int ppid, const char *comm, uint64_t rss)
{
        struct sample s;

        memset(&s, 0, sizeof(s));
        s.index = UINT32_MAX; /* the sampler knows it not: start time 0 */
        s.pid = pid;
        s.ppid = ppid;
        snprintf(s.comm, sizeof(s.comm), "%s", comm);
        s.rss = rss;
        s.vsz = 2 * rss;
        s.jit_debug_images = -1;
        return s;
}

static const struct watch_proc *find(const struct watch *w, int pid)
{
        for (int i = 0; i < WATCH_MAX_PROCS; i++)
                if (w->procs[i].used && w->procs[i].pid == pid)
                        return &w->procs[i];
        return NULL;
}

static size_t count_events(const struct watch *w, enum watch_event_kind k, int pid)
{
        size_t n = 0;

        for (size_t i = 0; i < w->nev; i++)
                n += w->ev[i].kind == k && w->ev[i].pid == pid;
        return n;
}

static void tick(struct watch *w, double t, const struct sample *s, size_t n)
{
        w->nev = 0; /* as watch_tick does */
        watch_apply(w, t, s, n, 0);
}

static void test_window_stride(void)
{
        static struct watch w;

        CHECK_EQ_INT(watch_start(&w, 240ULL * 1000000000ULL, 64), 0);
        CHECK_EQ_INT(w.stride, 1);
        watch_free(&w);
        CHECK_EQ_INT(watch_start(&w, 960ULL * 1000000000ULL, 64), 0);
        CHECK_EQ_INT(w.stride, 4); /* 960 ticks of 1 s in 240 points */
        watch_free(&w);
        CHECK_EQ_INT(watch_start(&w, 0, 64), 0);
        CHECK_EQ_INT(w.stride, 7); /* the default 30 min */
        watch_free(&w);
}

static void test_roles_totals(void)
{
        static struct watch w;
        struct sample s[3] = { mk(PID0 + 1, 1, "master", 8 * MiB), mk(PID0 + 2, PID0 + 1, "worker", 3 * MiB),
                               mk(PID0 + 3, PID0 + 1, "worker", 5 * MiB) };
        const struct watch_proc *p;

        CHECK_EQ_INT(watch_start(&w, 240ULL * 1000000000ULL, 64), 0);
        s[1].heavy = 1;
        s[1].pss = 2 * MiB;
        s[1].uss = 1 * MiB;
        s[2].jit_bytes = 65536;
        s[2].jit_debug_images = 4;
        s[2].jit_debug_bytes = 4000;
        tick(&w, 0, s, 3);
        CHECK_EQ_INT(w.ticks, 1);
        CHECK_EQ_INT(w.nev, 0); /* the first tick finds what is there: no "started" */
        CHECK_EQ_INT(w.tot.processes, 3);
        CHECK_EQ_U64(w.tot.rss, 16 * MiB);
        CHECK_EQ_U64(w.tot.pss, 8 * MiB + 2 * MiB + 5 * MiB); /* RSS where PSS was not measured */
        CHECK_EQ_U64(w.tot.uss, 1 * MiB);
        CHECK(w.tot.have_pss);
        CHECK_STR(w.tot.judged_name, "PSS sum");
        CHECK(w.tot.judged == 15.0 * MiB);
        CHECK_EQ_U64(w.tot.jit, 65536);
        CHECK(w.tot.have_debug);
        CHECK_EQ_U64(w.tot.jit_debug_images, 4);
        CHECK_EQ_U64(w.tot.jit_debug_bytes, 4000);
        CHECK((p = find(&w, PID0 + 1)) && p->role == WATCH_ROLE_MASTER);
        CHECK((p = find(&w, PID0 + 2)) && p->role == WATCH_ROLE_WORKER && p->have_pss && p->pss == 2 * MiB);
        CHECK((p = find(&w, PID0 + 3)) && p->role == WATCH_ROLE_WORKER && !p->have_pss);
        CHECK_EQ_INT(w.ring.n, 1);
        CHECK(w.g_valid && w.g.cls == GROWTH_NOT_ENOUGH_DATA);

        /* Without any PSS the RSS sum is judged. */
        s[1].heavy = 0;
        watch_free(&w);
        CHECK_EQ_INT(watch_start(&w, 240ULL * 1000000000ULL, 64), 0);
        tick(&w, 0, s, 3);
        CHECK(!w.tot.have_pss);
        CHECK_STR(w.tot.judged_name, "RSS sum");
        CHECK(w.tot.judged == 16.0 * MiB);
        watch_free(&w);
}

static void test_restarts(void)
{
        static struct watch w;
        struct sample s[4];
        const struct watch_proc *p;
        const int M = PID0 + 10, A = PID0 + 11, B = PID0 + 12, C = PID0 + 13, D = PID0 + 14, X = PID0 + 15;

        CHECK_EQ_INT(watch_start(&w, 240ULL * 1000000000ULL, 64), 0);
        s[0] = mk(M, 1, "gunicorn", 10 * MiB);
        s[1] = mk(A, M, "gunicorn", 20 * MiB);
        s[2] = mk(B, M, "gunicorn", 20 * MiB);
        tick(&w, 0, s, 3);
        tick(&w, 1, s, 3);
        CHECK_EQ_INT(w.nev, 0);
        CHECK_EQ_INT(w.restarts, 0);

        /* A ends and C replaces it in the same tick: a restart. */
        s[1] = mk(C, M, "gunicorn", 20 * MiB);
        tick(&w, 2, s, 3);
        CHECK_EQ_INT(count_events(&w, WATCH_EV_ENDED, A), 1);
        CHECK_EQ_INT(count_events(&w, WATCH_EV_RESTARTED, C), 1);
        CHECK_EQ_INT(count_events(&w, WATCH_EV_STARTED, C), 0);
        CHECK_EQ_INT(w.nev, 2);
        CHECK_EQ_INT(w.restarts, 1);
        CHECK(find(&w, A) == NULL); /* its slot is free */
        CHECK((p = find(&w, C)) && p->restarted && p->role == WATCH_ROLE_WORKER);
        CHECK_EQ_INT(w.tot.processes, 3);
        for (size_t i = 0; i < w.nev; i++)
                if (w.ev[i].kind == WATCH_EV_ENDED)
                        CHECK(w.ev[i].ppid == M && w.ev[i].t == 2);

        /* B ends; D comes a tick later: still a restart. */
        tick(&w, 3, s, 2);
        CHECK_EQ_INT(count_events(&w, WATCH_EV_ENDED, B), 1);
        CHECK_EQ_INT(w.nev, 1);
        CHECK_EQ_INT(w.tot.processes, 2);
        CHECK((p = find(&w, M)) && p->ended_children == 1);
        s[2] = mk(D, M, "gunicorn", 20 * MiB);
        tick(&w, 4, s, 3);
        CHECK_EQ_INT(count_events(&w, WATCH_EV_RESTARTED, D), 1);
        CHECK_EQ_INT(w.restarts, 2);
        CHECK((p = find(&w, M)) && p->ended_children == 0);

        /* A newcomer with no worker to replace is started, not restarted; one of an unwatched
         * parent is a plain process. */
        s[3] = mk(X, M, "gunicorn", 20 * MiB);
        tick(&w, 5, s, 4);
        CHECK_EQ_INT(count_events(&w, WATCH_EV_STARTED, X), 1);
        CHECK_EQ_INT(w.restarts, 2);
        CHECK((p = find(&w, X)) && !p->restarted);

        /* The master ends: its workers, still there, lose their role. */
        s[0] = s[3];
        tick(&w, 6, s, 3);
        CHECK_EQ_INT(count_events(&w, WATCH_EV_ENDED, M), 1);
        CHECK((p = find(&w, C)) && p->role == WATCH_ROLE_PROCESS);
        CHECK_EQ_INT(w.restarts, 2);
        watch_free(&w);
}

static void test_history_evicts(void)
{
        static struct watch w;
        struct sample s = mk(PID0 + 20, 1, "leaky", 100 * MiB);
        const struct watch_proc *p;
        double t[WATCH_RING], rss[WATCH_RING], uss[WATCH_RING], jit[WATCH_RING];
        size_t n;

        CHECK_EQ_INT(watch_start(&w, 480ULL * 1000000000ULL, 64), 0);
        CHECK_EQ_INT(w.stride, 2);
        for (int i = 0; i < 2 * WATCH_RING + 40; i++) {
                s.rss = 100 * MiB + (uint64_t)i * 4096;
                tick(&w, i, &s, 1);
        }
        CHECK_EQ_INT(w.ring.n, WATCH_RING);
        p = find(&w, PID0 + 20);
        CHECK(p != NULL);
        if (!p)
                return;
        n = watch_ring_copy(&p->ring, t, rss, uss, jit);
        CHECK_EQ_INT(n, WATCH_RING);
        CHECK(t[0] == 40.5);                      /* ticks 40 and 41: the 40 first ticks are gone */
        CHECK(t[n - 1] == 2 * WATCH_RING + 38.5); /* the last two ticks */
        CHECK(rss[0] == 100.0 * MiB + 40.5 * 4096);
        /* a history that grows by 4 KiB a second */
        CHECK(p->g_valid && p->g.cls == GROWTH_STEADY);
        CHECK(fabs(p->g.slope - 4096) < 1e-6);
        CHECK(w.g_valid && w.g.cls == GROWTH_STEADY);
        watch_free(&w);
}

/* ---- Prometheus ---- */

static const char *text_of(const struct prom_text *t)
{
        static char buf[1 << 16];
        size_t n = t->len < sizeof(buf) - 1 ? t->len : sizeof(buf) - 1;

        if (n)
                memcpy(buf, t->buf, n);
        buf[n] = '\0';
        return buf;
}

/* Lines that start with prefix. */
static int lines_with(const char *text, const char *prefix)
{
        int n = 0;
        size_t len = strlen(prefix);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                n += strncmp(l, prefix, len) == 0;
        return n;
}

static int has_line(const char *text, const char *line)
{
        size_t len = strlen(line);

        for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
                if (strncmp(l, line, len) == 0 && (l[len] == '\n' || l[len] == '\0'))
                        return 1;
        return 0;
}

static void test_prometheus(void)
{
        static struct watch w;
        struct prom_text t;
        struct sample s[4] = { mk(PID0 + 30, 1, "small", 1 * MiB), mk(PID0 + 31, 1, "we\"ird\\na\nme", 3 * MiB),
                               mk(PID0 + 32, 1, "middle", 2 * MiB), mk(PID0 + 33, 1, "tiny", 512 * 1024) };
        const char *x;
        char line[256];

        s[2].heavy = 1;
        s[2].pss = 1536 * 1024;
        s[2].uss = 1024 * 1024;
        CHECK_EQ_INT(watch_start(&w, 240ULL * 1000000000ULL, 2), 0);
        tick(&w, 0, s, 4);
        prom_text_init(&t, 0);
        CHECK_EQ_INT(watch_prometheus(&w, &t), 0);
        x = text_of(&t);

        /* At most --max-series processes one by one, the largest by RSS. */
        CHECK_EQ_INT(lines_with(x, "jitmem_process_resident_memory_bytes{"), 2);
        snprintf(line, sizeof(line), "jitmem_process_resident_memory_bytes{pid=\"%d\",role=\"process\",command=\"we\\\"ird\\\\na\\nme\"} 3145728",
                 PID0 + 31);
        CHECK(has_line(x, line)); /* the name escaped: quote, backslash, newline */
        snprintf(line, sizeof(line), "jitmem_process_resident_memory_bytes{pid=\"%d\",role=\"process\",command=\"middle\"} 2097152",
                 PID0 + 32);
        CHECK(has_line(x, line));
        snprintf(line, sizeof(line), "pid=\"%d\"", PID0 + 30);
        CHECK(strstr(x, line) == NULL);
        snprintf(line, sizeof(line), "pid=\"%d\"", PID0 + 33);
        CHECK(strstr(x, line) == NULL);
        /* PSS only where measured; a class per process and class */
        CHECK_EQ_INT(lines_with(x, "jitmem_process_proportional_memory_bytes{"), 1);
        CHECK_EQ_INT(lines_with(x, "jitmem_process_growth_class{"), 2 * GROWTH_CLASS_MAX);
        snprintf(line, sizeof(line), "jitmem_process_growth_class{pid=\"%d\",role=\"process\",command=\"middle\",class=\"not_enough_data\"} 1",
                 PID0 + 32);
        CHECK(has_line(x, line));

        /* The totals count every process. */
        CHECK(has_line(x, "jitmem_processes 4"));
        CHECK(has_line(x, "jitmem_total_resident_memory_bytes 6815744"));
        CHECK(has_line(x, "jitmem_total_proportional_memory_bytes 6291456")); /* 1 + 3 + 1.5 + 0.5 MiB */
        CHECK(has_line(x, "jitmem_total_private_memory_bytes 1048576"));
        CHECK(has_line(x, "jitmem_ticks_total 1"));
        CHECK(has_line(x, "jitmem_worker_restarts_total 0"));
        CHECK(has_line(x, "jitmem_growth_class{class=\"not_enough_data\"} 1"));
        CHECK(has_line(x, "jitmem_growth_class{class=\"steady_growth\"} 0"));
        CHECK(strstr(x, "jitmem_limit_bytes") == NULL); /* no limit known */
        CHECK(strstr(x, "jitmem_total_jit_debug_images") == NULL);
        CHECK(has_line(x, "# TYPE jitmem_info gauge"));

        /* A limit, and a larger --max-series: every process. */
        w.limit = 64 * MiB;
        w.opt.max_series = 10;
        CHECK_EQ_INT(watch_prometheus(&w, &t), 0);
        x = text_of(&t);
        CHECK_EQ_INT(lines_with(x, "jitmem_process_resident_memory_bytes{"), 4);
        CHECK(has_line(x, "jitmem_limit_bytes 67108864"));
        CHECK(has_line(x, "jitmem_processes 4"));

        /* Over the text's cap: -E2BIG, and whole lines only. */
        prom_text_free(&t);
        prom_text_init(&t, 512);
        CHECK_EQ_INT(watch_prometheus(&w, &t), -E2BIG);
        CHECK(t.len <= 512 && (t.len == 0 || t.buf[t.len - 1] == '\n'));
        prom_text_free(&t);
        watch_free(&w);
}

int main(void)
{
        test_ring_stride_one();
        test_ring_wraps();
        test_ring_stride_means();
        test_window_stride();
        test_roles_totals();
        test_restarts();
        test_history_evicts();
        test_prometheus();
        return unit_finish("test_watch");
}
