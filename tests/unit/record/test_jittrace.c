/* The --trace-jit model (jittrace.c) against streams written here in the shim's format
 * (shim/jitshim.c: "NS SEQ TID OP ADDR LEN A B RESULT MODULE [NAME]"), each with figures known
 * exactly: executors compiled, freed while running and at exit, live and peak bytes, churn,
 * forked children and what they inherit, perf arenas and W+X closures, mremap and MAP_FIXED,
 * malformed and absurd lines, two streams naming one PID, a cycle of fork lines, and the
 * cross-check of samples.csv against the events (agreed, in flight, disagreed, untraced).
 * Then streams recorded from the jitchurn and jitlike fixtures (tests/data/jittrace/). */
#include "jittrace.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define T0 UINT64_C(5000000000)                         /* the run's t_s = 0, in monotonic ns */
#define MS(x) (T0 + (uint64_t)(x) * UINT64_C(1000000)) /* x ms after it */
#define RW 3                                           /* PROT_READ | PROT_WRITE */
#define RX 5                                           /* PROT_READ | PROT_EXEC */
#define RWX 7
#define ANON 0x22 /* MAP_PRIVATE | MAP_ANONYMOUS */

struct dirs {
        char base[64], trace[96], run[96];
};

static int dirs_make(struct dirs *D)
{
        snprintf(D->base, sizeof(D->base), "/tmp/jitmem-test-jittrace.XXXXXX");
        if (!mkdtemp(D->base))
                return -errno;
        snprintf(D->trace, sizeof(D->trace), "%s/trace", D->base);
        snprintf(D->run, sizeof(D->run), "%s/run", D->base);
        if (mkdir(D->trace, 0755) < 0 || mkdir(D->run, 0755) < 0)
                return -errno;
        return 0;
}

static void empty_dir(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char path[512];

        if (!d)
                return;
        while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                unlink(path);
        }
        closedir(d);
        rmdir(dir);
}

static void dirs_remove(struct dirs *D)
{
        empty_dir(D->trace);
        empty_dir(D->run);
        rmdir(D->base);
}

static void put(const char *dir, const char *name, const char *text)
{
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        CHECK(f != NULL);
        if (!f)
                return;
        fputs(text, f);
        fclose(f);
}

/* One process's stream being written: each event takes the next place in its order. */
struct stream {
        FILE *f;
        uint64_t order;
};

static struct stream stream_open(const struct dirs *D, const char *name)
{
        char path[512];
        struct stream s = { NULL, 0 };

        snprintf(path, sizeof(path), "%s/%s", D->trace, name);
        s.f = fopen(path, "w");
        CHECK(s.f != NULL);
        return s;
}

static void ev(struct stream *s, uint64_t ms, int tid, const char *op, uint64_t addr, uint64_t len, uint64_t a,
               uint64_t b, uint64_t res)
{
        if (s->f)
                fprintf(s->f, "%" PRIu64 " %" PRIu64 " %d %s %" PRIx64 " %" PRIx64 " %" PRIx64 " %" PRIx64 " %" PRIx64 " P\n",
                        MS(ms), s->order, tid, op, addr, len, a, b, res);
        s->order++;
}

/* A read+write mapping made, then read+execute: an executor compiled at ms. */
static void compile(struct stream *s, uint64_t ms, int tid, uint64_t addr, uint64_t len)
{
        ev(s, ms, tid, "mmap", 0, len, RW, ANON, addr);
        ev(s, ms, tid, "mprotect", addr, len, RX, 0, 0);
}

static void unmap(struct stream *s, uint64_t ms, int tid, uint64_t addr, uint64_t len)
{
        ev(s, ms, tid, "munmap", addr, len, 0, 0, 0);
}

/* The first line of a forked child's stream: its parent, and the parent's place at the fork. */
static void fork_line(struct stream *s, int ppid, uint64_t parent_seq)
{
        if (s->f)
                fprintf(s->f, "%" PRIu64 " %" PRIu64 " %d fork 0 0 %x %" PRIx64 " 0 O\n", MS(0), s->order, 1, ppid,
                        parent_seq);
        s->order++;
}

static void stream_close(struct stream *s)
{
        if (s->f)
                fclose(s->f);
        s->f = NULL;
}

static json_t *process(const struct dirs *D, int *ret_r)
{
        json_t *j = NULL;

        *ret_r = jittrace_process(D->trace, D->run, T0, &j);
        return j;
}

/* A member of the summary's jit object, "a.b" for one of an object within it; -99999 when it
 * is missing or not an integer. */
static json_int_t num(json_t *j, const char *key)
{
        char first[64];
        const char *dot = strchr(key, '.');
        json_t *v;

        if (dot) {
                snprintf(first, sizeof(first), "%.*s", (int)(dot - key), key);
                j = json_object_get(j, first);
                key = dot + 1;
        }
        v = json_object_get(j, key);
        return json_is_integer(v) ? json_integer_value(v) : -99999;
}

static double real(json_t *j, const char *key)
{
        json_t *v = json_object_get(j, key);
        return json_is_real(v) ? json_real_value(v) : -99999;
}

/* How many lines of run/events.jsonl contain what. */
static int jsonl_count(const struct dirs *D, const char *what)
{
        char path[512], line[512];
        int n = 0;
        FILE *f;

        snprintf(path, sizeof(path), "%s/events.jsonl", D->run);
        f = fopen(path, "r");
        if (!f)
                return -1;
        while (fgets(line, sizeof(line), f))
                n += strstr(line, what) != NULL;
        fclose(f);
        return n;
}

/* Line n (from 0) of run/events.jsonl, without its newline. */
static const char *jsonl_line(const struct dirs *D, int n)
{
        static char line[512];
        char path[512];
        FILE *f;

        snprintf(path, sizeof(path), "%s/events.jsonl", D->run);
        f = fopen(path, "r");
        if (!f)
                return "(no events.jsonl)";
        line[0] = '\0';
        for (int i = 0; i <= n; i++)
                if (!fgets(line, sizeof(line), f))
                        line[0] = '\0';
        fclose(f);
        line[strcspn(line, "\n")] = '\0';
        return line;
}

/* One process: executors compiled, one freed young (churn), one freed old, one left live; a
 * mapping never made executable, a reservation, a W+X closure. */
static void test_compile_free_live(void)
{
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.100");
        compile(&s, 100, 7, 0x10000, 0x1000);         /* A, at 0.1 s */
        compile(&s, 1200, 7, 0x20000, 0x2000);        /* B, at 1.2 s: left live */
        ev(&s, 1300, 7, "mmap", 0, 0x3000, RW, ANON, 0x30000);
        unmap(&s, 1400, 7, 0x30000, 0x3000);          /* never executable */
        ev(&s, 1500, 7, "mmap", 0, 0x10000, 0, ANON, 0x40000); /* a reservation, */
        ev(&s, 1550, 7, "mprotect", 0x40000, 0x10000, 4, 0, 0); /* made execute-only: not JIT code */
        ev(&s, 1600, 7, "mmap", 0, 0x1000, RWX, ANON, 0x50000); /* a closure */
        compile(&s, 1800, 8, 0x60000, 0x1000);        /* C, at 1.8 s */
        unmap(&s, 1900, 8, 0x60000, 0x1000);          /* C freed 0.1 s old: churn */
        unmap(&s, 2000, 7, 0x10000, 0x1000);          /* A freed 1.9 s old */
        stream_close(&s);

        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "executors_compiled"), 3);
        CHECK_EQ_INT(num(j, "executors_freed"), 2);
        CHECK_EQ_INT(num(j, "churned"), 1);
        CHECK(real(j, "churn_ratio") == 1.0 / 3);
        CHECK_EQ_INT(num(j, "executors_freed_at_exit"), 0); /* B is left: no exit */
        CHECK_EQ_INT(num(j, "executors_live_final"), 1);
        CHECK_EQ_INT(num(j, "live_bytes_final"), 0x2000);
        CHECK_EQ_INT(num(j, "peak_bytes"), 0x4000); /* A, B and C at 1.8 s */
        CHECK_EQ_INT(num(j, "never_executable_mappings"), 1);
        CHECK_EQ_INT(num(j, "writable_executable_mappings"), 1);
        CHECK_EQ_INT(num(j, "perf_trampoline_arenas"), 0);
        CHECK_EQ_INT(num(j, "inherited_executors_freed"), 0);
        CHECK_EQ_INT(num(j, "processes_traced"), 1);
        CHECK_EQ_INT(num(j, "bytes_per_executor.min"), 0x1000);
        CHECK_EQ_INT(num(j, "bytes_per_executor.p50"), 0x1000);
        CHECK_EQ_INT(num(j, "bytes_per_executor.p90"), 0x2000);
        CHECK_EQ_INT(num(j, "bytes_per_executor.max"), 0x2000);
        CHECK(real(json_object_get(j, "bytes_per_executor"), "mean") == 16384.0 / 3);
        json_t *rate = json_object_get(j, "compiles_per_second");
        CHECK_EQ_INT(json_array_size(rate), 2);
        CHECK_EQ_INT(json_integer_value(json_array_get(rate, 0)), 1); /* A */
        CHECK_EQ_INT(json_integer_value(json_array_get(rate, 1)), 2); /* B, C */
        CHECK(json_is_null(json_object_get(j, "cross_check"))); /* no samples.csv */
        CHECK_EQ_INT(jsonl_count(&D, "\"event\": \"compile\""), 3);
        CHECK_EQ_INT(jsonl_count(&D, "\"event\": \"free\""), 2);
        CHECK_STR(jsonl_line(&D, 0), "{\"t_s\": 0.100000, \"pid\": 100, \"tid\": 7, \"event\": \"compile\", "
                                     "\"addr\": \"0x10000\", \"bytes\": 4096, \"module\": \"P\"}");
        CHECK_STR(jsonl_line(&D, 4), "{\"t_s\": 2.000000, \"pid\": 100, \"event\": \"free\", \"addr\": \"0x10000\", "
                                     "\"bytes\": 4096, \"age_s\": 1.900000, \"by\": \"munmap\"}");
        json_decref(j);
        dirs_remove(&D);
}

/* The last burst of frees, after the last compile, leaving nothing live, is the interpreter's
 * exit; frees before it, or more than 200 ms before the last, were made while running. */
static void test_exit_burst(void)
{
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.110");
        compile(&s, 0, 7, 0x10000, 0x1000);   /* A */
        compile(&s, 100, 7, 0x20000, 0x1000); /* B */
        unmap(&s, 2000, 7, 0x10000, 0x1000);  /* A, 2 s old: while running */
        compile(&s, 2100, 7, 0x30000, 0x1000); /* C: the last compile */
        unmap(&s, 2900, 7, 0x20000, 0x1000);  /* B and C: the exit (B 200 ms before the last) */
        unmap(&s, 3100, 7, 0x30000, 0x1000);
        stream_close(&s);
        /* the same, but a free 300 ms before the last: only the last is the exit; and G, freed
         * while running at 1 s old: not churn */
        s = stream_open(&D, "events.111");
        compile(&s, 0, 7, 0x10000, 0x1000);
        compile(&s, 100, 7, 0x20000, 0x1000);
        compile(&s, 500, 7, 0x50000, 0x1000);
        unmap(&s, 1500, 7, 0x50000, 0x1000);
        unmap(&s, 2000, 7, 0x10000, 0x1000);
        compile(&s, 2100, 7, 0x30000, 0x1000);
        unmap(&s, 2800, 7, 0x20000, 0x1000);
        unmap(&s, 3100, 7, 0x30000, 0x1000);
        stream_close(&s);
        /* the same as 110, with an executor left live: no exit burst */
        s = stream_open(&D, "events.112");
        compile(&s, 0, 7, 0x10000, 0x1000);
        compile(&s, 100, 7, 0x20000, 0x1000);
        unmap(&s, 2000, 7, 0x10000, 0x1000);
        compile(&s, 2100, 7, 0x30000, 0x1000);
        compile(&s, 2200, 7, 0x40000, 0x1000);
        unmap(&s, 3000, 7, 0x20000, 0x1000);
        unmap(&s, 3050, 7, 0x30000, 0x1000); /* 0.95 s old: churn */
        stream_close(&s);
        /* a free within 200 ms of the last, but before the last compile: while running */
        s = stream_open(&D, "events.113");
        compile(&s, 0, 7, 0x10000, 0x1000);
        unmap(&s, 2900, 7, 0x10000, 0x1000);
        compile(&s, 2950, 7, 0x20000, 0x1000);
        unmap(&s, 3000, 7, 0x20000, 0x1000);
        stream_close(&s);

        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "processes_traced"), 4);
        CHECK_EQ_INT(num(j, "executors_compiled"), 3 + 4 + 4 + 2);
        CHECK_EQ_INT(num(j, "executors_freed_at_exit"), 2 + 1 + 0 + 1);
        CHECK_EQ_INT(num(j, "executors_freed"), 1 + 3 + 3 + 1);
        CHECK_EQ_INT(num(j, "churned"), 0 + 0 + 1 + 0); /* 110's C, 1.0 s old, is not */
        CHECK_EQ_INT(num(j, "executors_live_final"), 1);
        CHECK_EQ_INT(num(j, "live_bytes_final"), 0x1000);
        CHECK_EQ_INT(num(j, "peak_bytes"), 0x2000 + 0x3000 + 0x3000 + 0x1000);
        CHECK_EQ_INT(jsonl_count(&D, "\"event\": \"free\""), 3 + 4 + 3 + 2);
        json_decref(j);
        dirs_remove(&D);
}

/* A process forks after compiling X; the child compiles Z, frees its copy of X and forks a
 * grandchild before that free. Executors count in the process that compiled them; a child's
 * copies are live from its birth, and freeing one is not a free of an executor it compiled. */
static void test_fork(void)
{
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.202"); /* written first: the order of the files is not the order of replay */
        fork_line(&s, 201, 3);
        compile(&s, 500, 202, 0x80000, 0x1000); /* W */
        stream_close(&s);
        s = stream_open(&D, "events.201");
        fork_line(&s, 200, 2);
        compile(&s, 300, 201, 0x40000, 0x4000);    /* Z: seq 1, 2; the grandchild forks at 3 */
        s.order++;
        unmap(&s, 400, 201, 0x10000, 0x1000);      /* its copy of X */
        unmap(&s, 410, 201, 0x20000, 0x2000);      /* Y: compiled after the fork, not its own */
        stream_close(&s);
        s = stream_open(&D, "events.200");
        compile(&s, 100, 200, 0x10000, 0x1000); /* X: seq 0, 1; the child forks at 2 */
        s.order++;
        compile(&s, 200, 200, 0x20000, 0x2000); /* Y */
        stream_close(&s);

        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "processes_traced"), 3);
        CHECK_EQ_INT(num(j, "executors_compiled"), 4); /* X, Y, Z, W */
        CHECK_EQ_INT(num(j, "inherited_executors_freed"), 1);
        CHECK_EQ_INT(num(j, "executors_freed"), 0);
        CHECK_EQ_INT(num(j, "executors_freed_at_exit"), 0);
        /* 200: X, Y; 201: Z; 202: X, Z (inherited through 201) and W */
        CHECK_EQ_INT(num(j, "executors_live_final"), 2 + 1 + 3);
        CHECK_EQ_INT(num(j, "live_bytes_final"), 0x3000 + 0x4000 + 0x6000);
        /* 200: 0x3000; 201: X inherited plus Z; 202: X, Z and W */
        CHECK_EQ_INT(num(j, "peak_bytes"), 0x3000 + 0x5000 + 0x6000);
        CHECK_EQ_INT(jsonl_count(&D, "\"inherited\": true"), 1);
        CHECK_EQ_INT(jsonl_count(&D, "\"pid\": 201, \"event\": \"free\", \"addr\": \"0x10000\""), 1);
        json_decref(j);
        dirs_remove(&D);
}

/* Lines the shim did not write whole, or with numbers out of range, are skipped: each of these
 * would compile a region of its own if it were read. A time before t0 counts in the first
 * second; one past the table of seconds counts as a compile, not in the table. */
static void test_malformed(void)
{
        static const char *const bad[] = {
                "5100000000 13 7 mprotect 20000",                              /* truncated */
                "5100000000 13 7 mprotect 30000 1000 5 0 0",                    /* no module */
                "5100000000 13 7 mprotect 40000 1000 5 0 0 PP",                 /* module too long */
                "-5100000000 13 7 mprotect 50000 1000 5 0 0 P",                 /* negative time */
                "99999999999999999999 13 7 mprotect 60000 1000 5 0 0 P",        /* time past 2^64 */
                "5100000000 18446744073709551616 7 mprotect 70000 1000 5 0 0 P", /* seq past 2^64 */
                "5100000000 13 7 mprotect 80000 10000000000000000 5 0 0 P",     /* length past 2^64 */
                "5100000000 13 7 mprotect 90000 1000g 5 0 0 P",                 /* not hexadecimal */
                "5100000000 13 7x mprotect a0000 1000 5 0 0 P",                 /* not decimal */
                "5100000000 13 7 mprotect_and_more b0000 1000 5 0 0 P",         /* op too long */
                "5100000000 13 -7 mprotect c0000 1000 5 0 0 P",                 /* negative TID */
                "5100000000 13 7 mprotect d0000 -1000 5 0 0 P",                 /* negative length */
        };
        const size_t nbad = sizeof(bad) / sizeof(bad[0]);
        char line[256];
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.300");
        for (size_t i = 0; i < nbad + 1; i++)
                ev(&s, 0, 7, "mmap", 0, 0x1000, RW, ANON, 0x10000 * (i + 1));
        if (s.f) {
                for (size_t i = 0; i < nbad; i++)
                        fprintf(s.f, "%s\n", bad[i]);
                fputs("\n   \nhello\n\t\n", s.f);
        }
        ev(&s, 100, 7, "mprotect", 0x10000, 0x1000, RX, 0, 0); /* the one good compile, at 0.1 s */
        for (size_t i = 1; i < nbad + 1; i++)
                unmap(&s, 200, 7, 0x10000 * (i + 1), 0x1000); /* never executable */
        /* a compile stamped before t0, and one at the last nanosecond of the clock */
        ev(&s, 300, 7, "mmap", 0, 0x1000, RW, ANON, 0x100000);
        if (s.f)
                fprintf(s.f, "1000 %" PRIu64 " 7 mprotect 100000 1000 5 0 0 P\n", s.order++);
        ev(&s, 300, 7, "mmap", 0, 0x1000, RW, ANON, 0x200000);
        if (s.f)
                fprintf(s.f, "18446744073709551615 %" PRIu64 " 7 mprotect 200000 1000 5 0 0 P\n", s.order++);
        /* a last line cut short by a crash, without its newline */
        ev(&s, 300, 7, "mmap", 0, 0x1000, RW, ANON, 0x300000);
        snprintf(line, sizeof(line), "5400000000 %" PRIu64 " 7 mprotect 300000 1000 5", s.order);
        if (s.f)
                fputs(line, s.f);
        stream_close(&s);

        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "executors_compiled"), 3);
        CHECK_EQ_INT(num(j, "never_executable_mappings"), nbad);
        CHECK_EQ_INT(num(j, "executors_live_final"), 3);
        CHECK_EQ_INT(num(j, "live_bytes_final"), 0x3000);
        json_t *rate = json_object_get(j, "compiles_per_second");
        CHECK_EQ_INT(json_array_size(rate), 1);
        CHECK_EQ_INT(json_integer_value(json_array_get(rate, 0)), 2); /* at 0.1 s, and before t0 */
        CHECK_EQ_INT(jsonl_count(&D, "\"event\": \"compile\""), 3);
        CHECK_EQ_INT(jsonl_count(&D, "\"t_s\": 0.000000, \"pid\": 300, \"tid\": 7, \"event\": \"compile\", "
                                     "\"addr\": \"0x100000\""), 1);
        CHECK_EQ_INT(jsonl_count(&D, "\"t_s\": 18446744068.7"), 1);
        json_decref(j);
        dirs_remove(&D);
}

/* Bytes per executor: ten of 1 to 10 pages. */
static void test_sizes(void)
{
        struct dirs D;
        struct stream s;
        json_t *j, *b;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.305");
        for (uint64_t k = 10; k >= 1; k--)
                compile(&s, 10 * k, 7, 0x100000 * k, 0x1000 * k);
        stream_close(&s);
        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        b = json_object_get(j, "bytes_per_executor");
        CHECK_EQ_INT(num(b, "min"), 0x1000);
        CHECK_EQ_INT(num(b, "p50"), 0x6000);
        CHECK_EQ_INT(num(b, "p90"), 0xa000);
        CHECK_EQ_INT(num(b, "max"), 0xa000);
        CHECK(real(b, "mean") == 5.5 * 0x1000);
        CHECK_EQ_INT(num(j, "live_bytes_final"), 55 * 0x1000);
        json_decref(j);
        dirs_remove(&D);
}

/* Lines are taken in the shim's order (SEQ), not in the file's, nor by their clocks. */
static void test_order(void)
{
        struct dirs D;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        put(D.trace, "events.310", "5200000000 2 8 mprotect 10000 1000 5 0 0 P\n"  /* written before its mmap */
                                   "5100000000 1 7 mmap 0 1000 3 22 10000 P\n"
                                   "5050000000 3 9 munmap 10000 1000 0 0 0 P\n"    /* its clock behind */
                                   "5300000000 4 7 mmap 0 2000 3 22 20000 P\n"
                                   "5300000000 5 7 mprotect 20000 2000 5 0 0 P\n");
        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "executors_compiled"), 2);
        CHECK_EQ_INT(num(j, "executors_freed"), 1);
        CHECK_EQ_INT(num(j, "never_executable_mappings"), 0);
        CHECK_EQ_INT(num(j, "live_bytes_final"), 0x2000);
        json_decref(j);
        dirs_remove(&D);
}

/* Perf trampoline arenas (named, or named in vain: /proc sees those as JIT code) are not
 * executors, nor are W+X closures; mremap moves an executor away (freed), MAP_FIXED replaces
 * one (freed, without a line in events.jsonl), an executor made writable again and executable
 * once more is compiled twice. */
static void test_kinds(void)
{
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.320");
        compile(&s, 0, 7, 0x10000, 0x1000); /* A */
        if (s.f) /* the name after the mprotect: found by the first pass */
                fprintf(s.f, "%" PRIu64 " %" PRIu64 " 7 name 10000 1000 1 0 0 P cpython:perf_trampoline\n", MS(0),
                        s.order++);
        ev(&s, 10, 7, "mmap", 0, 0x1000, RW, ANON, 0x20000); /* B */
        if (s.f) /* the kernel refused the name */
                fprintf(s.f, "%" PRIu64 " %" PRIu64 " 7 name 20000 1000 0 0 0 P cpython:perf_trampoline\n", MS(10),
                        s.order++);
        ev(&s, 10, 7, "mprotect", 0x20000, 0x1000, RX, 0, 0);
        ev(&s, 15, 7, "mmap", 0, 0x1000, RW, ANON, 0x60000); /* B2: as B, then unmapped */
        if (s.f)
                fprintf(s.f, "%" PRIu64 " %" PRIu64 " 7 name 60000 1000 0 0 0 P cpython:perf_trampoline\n", MS(15),
                        s.order++);
        ev(&s, 15, 7, "mprotect", 0x60000, 0x1000, RX, 0, 0);
        unmap(&s, 16, 7, 0x60000, 0x1000);
        compile(&s, 20, 7, 0x30000, 0x1000); /* C: an executor */
        if (s.f)
                fprintf(s.f, "%" PRIu64 " %" PRIu64 " 7 name 30000 1000 1 0 0 P cpython:jit\n", MS(20), s.order++);
        ev(&s, 100, 7, "mremap", 0x30000, 0x1000, 0x2000, 1, 0x90000); /* C moved and grown: still C */
        compile(&s, 200, 7, 0x40000, 0x1000);                           /* D */
        ev(&s, 300, 7, "mmap", 0, 0x1000, RW, ANON | 0x10, 0x40000);    /* MAP_FIXED over D: D freed */
        ev(&s, 400, 7, "mprotect", 0x40000, 0x1000, RX, 0, 0);          /* E */
        ev(&s, 500, 7, "mprotect", 0x40000, 0x1000, RW, 0, 0);         /* E no longer code: freed */
        ev(&s, 600, 7, "mprotect", 0x40000, 0x1000, RX, 0, 0); /* E again */
        compile(&s, 700, 7, 0x50000, 0x1000);                  /* F */
        ev(&s, 800, 7, "mprotect", 0x50000, 0x1000, RWX, 0, 0); /* F becomes a closure: freed */
        stream_close(&s);
        /* /proc counts the arena it could not tell apart (B) as JIT code */
        put(D.run, "samples.csv", "t_s,scope,pid,jit_code_bytes,rss_bytes,vsz_bytes,pss_bytes,processes\n"
                                  "1.0,process,320,16384\n"  /* agreed: C (grown), E and B */
                                  "1.0,process,320,12288\n"); /* disagreed: without B */

        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "perf_trampoline_arenas"), 3);
        CHECK_EQ_INT(num(j, "executors_compiled"), 5); /* C, D, E twice, F */
        CHECK_EQ_INT(num(j, "executors_freed"), 3);    /* D (replaced), E (made writable), F (W+X) */
        CHECK_EQ_INT(num(j, "churned"), 3);
        CHECK_EQ_INT(num(j, "writable_executable_mappings"), 1);
        CHECK_EQ_INT(num(j, "executors_live_final"), 2); /* C, moved and grown, and E; the arenas are not */
        CHECK_EQ_INT(num(j, "live_bytes_final"), 0x3000);
        CHECK_EQ_INT(num(j, "peak_bytes"), 0x4000); /* C, E and F */
        CHECK_EQ_INT(jsonl_count(&D, "\"event\": \"compile\""), 5);
        CHECK_EQ_INT(jsonl_count(&D, "\"event\": \"free\""), 3);
        CHECK_EQ_INT(jsonl_count(&D, "\"by\": \"mmap\""), 1);
        CHECK_EQ_INT(jsonl_count(&D, "\"by\": \"mprotect\""), 2);
        CHECK_EQ_INT(num(j, "cross_check.agreed"), 1);
        CHECK_EQ_INT(num(j, "cross_check.disagreed"), 1);
        CHECK_EQ_INT(num(json_object_get(j, "cross_check"), "first_disagreement.proc_bytes"), 12288);
        CHECK_EQ_INT(num(json_object_get(j, "cross_check"), "first_disagreement.events_bytes"), 16384);
        json_decref(j);
        dirs_remove(&D);
}

/* What is and is not a stream: the shim's names only (events.0330 names no process: a PID has
 * no leading zero, so no two streams name one process), and the child of events.330 starts from
 * its mappings at the fork; a cycle of fork
 * lines is not replayed, and does not hang; a fork line naming a parent without a stream is
 * replayed from nothing. */
static void test_streams(void)
{
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        put(D.trace, "events.", "");
        put(D.trace, "events.12x", "");
        put(D.trace, "events.99999999999999999999", "");
        put(D.trace, "notes", "");
        for (int k = 0; k < 2; k++) {
                s = stream_open(&D, k ? "events.0330" : "events.330");
                compile(&s, 0, 7, 0x10000, 0x1000); /* seq 0, 1; the child forks at 2 */
                s.order++;
                compile(&s, 100, 7, k ? 0x30000 : 0x20000, k ? 0x3000 : 0x2000);
                stream_close(&s);
        }
        s = stream_open(&D, "events.331");
        fork_line(&s, 330, 2);
        unmap(&s, 200, 8, 0x10000, 0x1000); /* inherited */
        stream_close(&s);
        for (int k = 0; k < 2; k++) { /* 340 and 341, each the other's child */
                s = stream_open(&D, k ? "events.341" : "events.340");
                fork_line(&s, k ? 340 : 341, 0);
                compile(&s, 0, 7, 0x10000, 0x1000);
                stream_close(&s);
        }
        s = stream_open(&D, "events.350");
        fork_line(&s, 999, 5);
        compile(&s, 0, 7, 0x10000, 0x8000);
        stream_close(&s);

        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "processes_traced"), 5); /* not events.0330 */
        CHECK_EQ_INT(num(j, "executors_compiled"), 2 + 1);
        CHECK_EQ_INT(num(j, "inherited_executors_freed"), 1);
        CHECK_EQ_INT(num(j, "live_bytes_final"), 0x3000 + 0x8000);
        CHECK_EQ_INT(num(j, "peak_bytes"), 0x3000 + 0x1000 + 0x8000); /* 331's inherited page */
        json_decref(j);
        dirs_remove(&D);
}

/* Lines no real call could have written are not followed: lengths past every user address
 * (2^63 - 1 bytes, 2^64 - 1 bytes whose end wraps), an address not on a page boundary; what
 * the model holds stays exact (one executor of a page, freed by an munmap whose length is
 * rounded up to the page as the kernel does). samples.csv's rows with figures past 2^53 bytes
 * are not rows jitmem writes (runfile.h), nor is a row too short to reach the scope. */
static void test_absurd(void)
{
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.410");
        compile(&s, 100, 7, 0x1000, INT64_MAX);
        compile(&s, 200, 7, 0x8000000000001000, INT64_MAX);
        compile(&s, 300, 7, 0xfffffffffffff000, UINT64_MAX);
        unmap(&s, 400, 7, 0xfffffffffffff000, 0x2000);
        compile(&s, 500, 7, 0x7000, 0x800);    /* a page */
        unmap(&s, 550, 7, 0x7800, 0x800);       /* not on a page boundary: refused by the kernel */
        unmap(&s, 600, 7, 0x7000, 1);           /* the page */
        stream_close(&s);
        put(D.run, "samples.csv",
            "t_s,pid,jit_code_bytes,scope,rss_bytes,vsz_bytes,pss_bytes,processes\n"
            "0.05,410,0,process\n"                   /* agreed */
            "0.1,410,9223372036854775807,process\n"  /* past 2^53: not a row jitmem writes */
            "0.5,410,18446744073709551613,process\n"
            "0.5,410,9007199254740993,process\n"
            "0.5,410,18446744073709551616,process\n"
            "0.5,410,0\n");                          /* short of the scope */
        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "executors_compiled"), 1);
        CHECK_EQ_INT(num(j, "bytes_per_executor.max"), 0x1000);
        CHECK_EQ_INT(num(j, "executors_live_final"), 0);
        CHECK_EQ_INT(num(j, "executors_freed") + num(j, "executors_freed_at_exit"), 1);
        CHECK_EQ_INT(num(j, "peak_bytes"), 0x1000);
        CHECK_EQ_INT(num(j, "cross_check.samples"), 1);
        CHECK_EQ_INT(num(j, "cross_check.agreed"), 1);
        CHECK_EQ_INT(num(j, "cross_check.in_flight"), 0);
        CHECK_EQ_INT(num(j, "cross_check.disagreed"), 0);
        json_decref(j);
        dirs_remove(&D);
}


/* The pattern of allocators that reserve a range and hand out pages of it (CPython's proposed
 * JIT arenas, other runtimes' code caches): a PROT_NONE reservation, page ranges made read+write,
 * written, made read+execute; an executor is the range one call made JIT code. Each line's
 * comment says what /proc would show after it. */
static void test_arena(void)
{
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.500");
        ev(&s, 0, 7, "mmap", 0, 0x100000, 0, ANON, 0x100000);            /* reserved: nothing */
        ev(&s, 10, 7, "mprotect", 0x100000, 0x2000, RW, 0, 0);
        ev(&s, 10, 7, "mprotect", 0x100000, 0x2000, RX, 0, 0);           /* A: 0x2000 */
        ev(&s, 20, 7, "mprotect", 0x102000, 0x1000, RW, 0, 0);
        ev(&s, 20, 7, "mprotect", 0x102000, 0x1000, RX, 0, 0);           /* B, next to A: 0x3000 */
        ev(&s, 30, 7, "mprotect", 0x103000, 0x3000, RW, 0, 0);
        ev(&s, 30, 7, "mprotect", 0x103000, 0x3000, RX, 0, 0);           /* C: 0x6000 */
        ev(&s, 40, 7, "mprotect", 0x100000, 0x2000, 0, 0, 0);            /* A handed back: 0x4000 */
        ev(&s, 50, 7, "mprotect", 0x104000, 0x1000, RW, 0, 0);           /* a page of C rewritten: 0x3000 */
        ev(&s, 1500, 7, "mprotect", 0x104000, 0x1000, RX, 0, 0);         /* D, that page again: 0x4000 */
        ev(&s, 1600, 7, "mprotect", 0x100000, 0x8000, RX, 0, 0);         /* E: A's pages, and 0x106000-8000 */
        ev(&s, 1700, 7, "madvise", 0x100000, 0x8000, 4, 0, 0);            /* not a call the model follows */
        ev(&s, 1800, 7, "mprotect", 0x100000, 0x100000, 0, 0, 0);        /* everything handed back: 0 */
        ev(&s, 1900, 7, "mprotect", 0x1ff000, 0x1000, RX, 0, 0);         /* F, the last page: 0x1000 */
        unmap(&s, 2000, 7, 0x100000, 0x100000);                          /* the reservation: 0 */
        ev(&s, 2100, 7, "mprotect", 0x1ff000, 0x1000, RX, 0, 0);         /* unmapped: not followed */
        stream_close(&s);
        put(D.run, "samples.csv", "t_s,scope,pid,jit_code_bytes,rss_bytes,vsz_bytes,pss_bytes,processes\n"
                                  "0.035,process,500,24576\n"  /* A, B, C */
                                  "0.045,process,500,16384\n"  /* B, C */
                                  "0.055,process,500,12288\n"  /* B, C but a page */
                                  "1.7,process,500,32768\n"    /* B, C, D, E */
                                  "1.85,process,500,0\n"
                                  "1.95,process,500,4096\n"    /* F */
                                  "1.95,process,500,8192\n");  /* disagreed */
        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "executors_compiled"), 7); /* A B C D, E twice (two ranges), F */
        CHECK_EQ_INT(num(j, "executors_freed") + num(j, "executors_freed_at_exit"), 7);
        CHECK_EQ_INT(num(j, "executors_live_final"), 0);
        CHECK_EQ_INT(num(j, "live_bytes_final"), 0);
        CHECK_EQ_INT(num(j, "peak_bytes"), 0x8000);
        CHECK_EQ_INT(num(j, "bytes_per_executor.min"), 0x1000);
        CHECK_EQ_INT(num(j, "bytes_per_executor.max"), 0x3000); /* C */
        CHECK_EQ_INT(num(j, "never_executable_mappings"), 0);
        CHECK_EQ_INT(jsonl_count(&D, "\"event\": \"compile\""), 7);
        CHECK_EQ_INT(jsonl_count(&D, "\"event\": \"free\""), 7);
        CHECK_EQ_INT(jsonl_count(&D, "\"by\": \"mprotect\""), 6);
        CHECK_EQ_INT(jsonl_count(&D, "\"by\": \"munmap\""), 1);
        /* C's free comes when its last page stops being code: at 1.8 s, not at 0.05 s */
        CHECK_EQ_INT(jsonl_count(&D, "\"addr\": \"0x103000\", \"bytes\": 12288, \"age_s\": 1.770000"), 1);
        CHECK_EQ_INT(num(j, "cross_check.samples"), 7);
        /* each sample between two calls of the thread: the later one may be under way */
        CHECK_EQ_INT(num(j, "cross_check.agreed") + num(j, "cross_check.in_flight"), 6);
        CHECK_EQ_INT(num(j, "cross_check.disagreed"), 1);
        json_decref(j);
        dirs_remove(&D);
}

/* Page-exact: an mprotect of part of a mapping and one across several; an munmap of part of
 * an executor and one across several with a gap; MAP_FIXED over half of one; calls on memory
 * the model does not know (mapped before the shim, file-backed). */
static void test_partial(void)
{
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.510");
        ev(&s, 0, 7, "mmap", 0, 0x4000, RW, ANON, 0x200000);
        ev(&s, 0, 7, "mprotect", 0x200000, 0x1000, RX, 0, 0);      /* A: the first page of four */
        ev(&s, 0, 7, "mmap", 0, 0x1000, RW, ANON, 0x204000);       /* next to it */
        ev(&s, 0, 7, "mprotect", 0x201000, 0x4000, RX, 0, 0);      /* B: three pages and the next mapping */
        ev(&s, 100, 7, "munmap", 0x202000, 0x1000, 0, 0, 0);       /* a page of B: 0x4000 left */
        ev(&s, 200, 7, "mmap", 0, 0x2000, RW, ANON | 0x10, 0x203000); /* MAP_FIXED over two of B's: 0x2000 left */
        ev(&s, 300, 7, "mprotect", 0x300000, 0x1000, RX, 0, 0);    /* memory the model does not know */
        ev(&s, 300, 7, "munmap", 0x300000, 0x1000, 0, 0, 0);
        compile(&s, 400, 7, 0x208000, 0x1000);                      /* C, past a gap */
        ev(&s, 1500, 7, "munmap", 0x200000, 0x9000, 0, 0, 0);      /* A, B, C and the gap */
        stream_close(&s);
        put(D.run, "samples.csv", "t_s,scope,pid,jit_code_bytes,rss_bytes,vsz_bytes,pss_bytes,processes\n"
                                  "0.05,process,510,20480\n"
                                  "0.15,process,510,16384\n"
                                  "0.25,process,510,8192\n"
                                  "0.45,process,510,12288\n"
                                  "1.6,process,510,0\n");
        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "executors_compiled"), 3);
        CHECK_EQ_INT(num(j, "bytes_per_executor.max"), 0x4000);
        CHECK_EQ_INT(num(j, "peak_bytes"), 0x5000);
        CHECK_EQ_INT(jsonl_count(&D, "\"event\": \"free\""), 3);
        CHECK_EQ_INT(jsonl_count(&D, "\"by\": \"munmap\""), 3); /* the MAP_FIXED took part of B only */
        CHECK_EQ_INT(num(j, "never_executable_mappings"), 0);   /* the munmap took code and the rest */
        CHECK_EQ_INT(num(j, "cross_check.agreed") + num(j, "cross_check.in_flight"), 5);
        CHECK_EQ_INT(num(j, "cross_check.disagreed"), 0);
        json_decref(j);
        dirs_remove(&D);
}

#define MREMAP_MAYMOVE_ 1
#define MREMAP_FIXED_ 2
#define MREMAP_DONTUNMAP_ 4

/* mremap: an executor moved is the same executor (not freed, not compiled again), its old
 * address no longer its; shrunk in place, its tail freed; grown, the new pages take its
 * protection; MREMAP_FIXED replaces what was at the new address; MREMAP_DONTUNMAP leaves the old
 * range mapped, so both hold code. A fork after the moves: the child starts from them. */
static void test_mremap(void)
{
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.520");
        compile(&s, 0, 7, 0x400000, 0x3000);                                   /* A */
        ev(&s, 10, 7, "mremap", 0x400000, 0x3000, 0x3000, MREMAP_MAYMOVE_, 0x500000);      /* A moved */
        unmap(&s, 20, 7, 0x400000, 0x3000);                                    /* nothing there now */
        ev(&s, 30, 7, "mremap", 0x500000, 0x3000, 0x1000, 0, 0x500000);        /* A shrunk: 0x1000 */
        ev(&s, 40, 7, "mremap", 0x500000, 0x1000, 0x2000, 0, 0x500000);        /* A grown: 0x2000 */
        compile(&s, 50, 7, 0x600000, 0x1000);                                  /* B */
        ev(&s, 60, 7, "mremap", 0x500000, 0x2000, 0x2000, MREMAP_MAYMOVE_ | MREMAP_FIXED_, 0x600000); /* over B */
        ev(&s, 70, 7, "mremap", 0x600000, 0x2000, 0x2000, MREMAP_MAYMOVE_ | MREMAP_DONTUNMAP_, 0x700000);
        s.order++; /* the child forks here, at 10 */
        unmap(&s, 1500, 7, 0x600000, 0x2000);                                  /* one copy: A lives on */
        stream_close(&s);
        s = stream_open(&D, "events.521");
        fork_line(&s, 520, 10);
        unmap(&s, 1600, 7, 0x600000, 0x102000);                                /* the child's A, both copies */
        stream_close(&s);
        put(D.run, "samples.csv", "t_s,scope,pid,jit_code_bytes,rss_bytes,vsz_bytes,pss_bytes,processes\n"
                                  "0.015,process,520,12288\n"
                                  "0.035,process,520,4096\n"
                                  "0.045,process,520,8192\n"
                                  "0.055,process,520,12288\n"
                                  "0.065,process,520,8192\n"
                                  "0.075,process,520,16384\n"
                                  "1.55,process,520,8192\n");
        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "executors_compiled"), 2);
        CHECK_EQ_INT(num(j, "executors_freed") + num(j, "executors_freed_at_exit"), 1); /* B, replaced */
        CHECK_EQ_INT(num(j, "inherited_executors_freed"), 1);
        CHECK_EQ_INT(num(j, "executors_live_final"), 1);
        CHECK_EQ_INT(num(j, "live_bytes_final"), 0x2000);
        CHECK_EQ_INT(num(j, "peak_bytes"), 0x4000 + 0x4000); /* the parent's two copies, the child's */
        CHECK_EQ_INT(jsonl_count(&D, "\"by\": \"mremap\""), 1);
        CHECK_EQ_INT(num(j, "cross_check.agreed") + num(j, "cross_check.in_flight"), 7);
        CHECK_EQ_INT(num(j, "cross_check.disagreed"), 0);
        json_decref(j);
        dirs_remove(&D);
}

/* No stream, no trace directory, no run directory. */
static void test_empty_and_errors(void)
{
        json_t *j = NULL, *sentinel = json_object();
        struct dirs D;
        char missing[128];
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "processes_traced"), 0);
        CHECK_EQ_INT(num(j, "executors_compiled"), 0);
        CHECK(json_is_null(json_object_get(j, "bytes_per_executor")));
        CHECK(json_is_null(json_object_get(j, "churn_ratio")));
        CHECK_EQ_INT(json_array_size(json_object_get(j, "compiles_per_second")), 0);
        CHECK_EQ_INT(jsonl_count(&D, ""), 0);
        json_decref(j);

        j = sentinel;
        snprintf(missing, sizeof(missing), "%s/none", D.base);
        CHECK_EQ_INT(jittrace_process(missing, D.run, T0, &j), -ENOENT);
        CHECK(j == sentinel);
        CHECK_EQ_INT(jittrace_process(D.trace, missing, T0, &j), -ENOENT);
        CHECK(j == sentinel);
        json_decref(sentinel);
        dirs_remove(&D);
}

/* The cross-check: each process row of samples.csv against the live bytes the events give at
 * its time, in a stream of one stamp per call (before the shim timed its calls). In 400, thread 7 compiles A (4 KiB), its previous call at 0.9 s and its stamp at
 * 1.0 s: A took effect within [0.9, 1.0] s; it frees A with a stamp at 3.0 s and its next call
 * at 4.0 s: gone within [3.0, 4.0] s. Thread 8 compiles B (8 KiB) within [1.4, 1.5] s, then C
 * (16 KiB) within [1.5, 1.6] s; thread 9 compiles D (32 KiB) within [1.45, 1.55] s. At 1.5 s,
 * B, C and D may be under way: A, plus any of them (a walk of the mappings is not one look: it
 * can miss B, at an address it had passed, and see C, ahead of it). */
static void test_cross_check(void)
{
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.400");
        ev(&s, 900, 7, "mmap", 0, 0x1000, RW, ANON, 0x10000);
        ev(&s, 1000, 7, "mprotect", 0x10000, 0x1000, RX, 0, 0);
        ev(&s, 1400, 8, "mmap", 0, 0x2000, RW, ANON, 0x20000);
        ev(&s, 1400, 8, "mmap", 0, 0x4000, RW, ANON, 0x40000);
        ev(&s, 1450, 9, "mmap", 0, 0x8000, RW, ANON, 0x80000);
        ev(&s, 1500, 8, "mprotect", 0x20000, 0x2000, RX, 0, 0);
        ev(&s, 1550, 9, "mprotect", 0x80000, 0x8000, RX, 0, 0);
        ev(&s, 1600, 8, "mprotect", 0x40000, 0x4000, RX, 0, 0);
        unmap(&s, 3000, 7, 0x10000, 0x1000);
        ev(&s, 4000, 7, "mmap", 0, 0x1000, 0, ANON, 0x90000);
        stream_close(&s);
        put(D.run, "samples.csv",
            "t_s,scope,pid,ppid,comm,jit_code_bytes,read_t_s,read_err_s,rss_bytes,vsz_bytes,pss_bytes,processes\n"
            "0.5,tree,400,,,12345,,\n"              /* not a process row */
            "0.5,process,400,1,python,0,,\n"        /* agreed */
            "0.95,process,400,1,python,4096,,\n"    /* in flight: A */
            "0.95,process,400,1,python,0,,\n"       /* in flight: not yet A */
            "0.95,process,400,1,python,8192,,\n"    /* disagreed, the first: nothing could make it */
            "1.2,process,400,1,python,8192,,\n"     /* disagreed: A alone */
            "1.2,process,400,1,python,4096,,\n"     /* agreed */
            "1.0000005,process,400,1,python,0,,\n"  /* in flight: A, give or take samples.csv's microsecond */
            "1.002,process,400,1,python,0,,\n"      /* disagreed: A was made by 1.0 s */
            "1.5,process,400,1,python,4096,,\n"     /* in flight: A */
            "1.5,process,400,1,python,12288,,\n"    /* in flight: A, B */
            "1.5,process,400,1,python,28672,,\n"    /* in flight: A, B, C */
            "1.5,process,400,1,python,36864,,\n"    /* in flight: A, D */
            "1.5,process,400,1,python,20480,,\n"    /* in flight: A, C without B */
            "1.5,process,400,1,python,53248,,\n"    /* in flight: A, C, D without B */
            "1.5,process,400,1,python,8192,,\n"     /* disagreed: no combination makes it */
            "1.5,process,400,1,python,65536,,\n"    /* disagreed: more than all */
            "2.0,process,400,1,python,61440,,\n"    /* agreed */
            "3.5,process,400,1,python,57344,,\n"    /* in flight: A freed */
            "5.0,process,400,1,\"a,\"\"b\",57344,,\n" /* agreed, a name quoted */
            "2.0,process,400,1,python,0,0.5,\n"     /* agreed: read at 0.5 s */
            "0.8,process,400,1,python,4096,,0.15\n" /* in flight: read within [0.65, 0.95] s */
            "0.8,process,400,1,python,4096,,\n"     /* disagreed: read at 0.8 s */
            "0.5,process,999,1,other,0,,\n"         /* agreed: not traced, no JIT */
            "0.6,process,999,1,other,0,,\n"         /* agreed */
            "0.5,process,999,1,other,4096,,\n"      /* untraced with JIT code */
            "abc,process,400,1,python,0,,\n"        /* not rows jitmem writes: */
            "-1,process,400,1,python,0,,\n"
            "1e12,process,400,1,python,0,,\n"
            "nan,process,400,1,python,0,,\n"
            "0.5,process,400,1,python,-5,,\n"
            "0.5,process,400,1,python,0x10,,\n"
            "0.5,process,0,1,python,0,,\n"
            "0.5,process,-400,1,python,0,,\n"
            "0.5,process,4294967696,1,python,0,,\n"
            "0.5,process,400,1,python,0,,-0.1\n"
            "0.5,process,400,1\n"                   /* short */
            "0.5,process,400,1,\"python,0,,\n");   /* an open quote */
        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "cross_check.samples"), 25);
        CHECK_EQ_INT(num(j, "cross_check.agreed"), 7);
        CHECK_EQ_INT(num(j, "cross_check.in_flight"), 11);
        CHECK_EQ_INT(num(j, "cross_check.disagreed"), 6);
        CHECK_EQ_INT(num(j, "cross_check.untraced_with_jit"), 1);
        json_t *first = json_object_get(json_object_get(j, "cross_check"), "first_disagreement");
        CHECK(real(first, "t_s") > 0.949999 && real(first, "t_s") < 0.950001);
        CHECK_EQ_INT(num(first, "pid"), 400);
        CHECK_EQ_INT(num(first, "proc_bytes"), 8192);
        CHECK_EQ_INT(num(first, "events_bytes"), 0); /* the stamp of A is at 1.0 s */
        json_decref(j);

        /* a header without a column jitmem writes: not its samples.csv, nothing to check against */
        put(D.run, "samples.csv", "t_s,scope,pid,ppid,comm,read_t_s\n0.5,process,400,1,python,0.5\n");
        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK(json_is_null(json_object_get(j, "cross_check")));
        json_decref(j);
        dirs_remove(&D);
}

/* A call timed by the shim ("BEGIN+TOOK") took effect within its own times, whatever the
 * thread did before or after: a sample between two calls of a thread is no longer in flight. */
static void test_cross_check_timed(void)
{
        struct dirs D;
        struct stream s;
        json_t *j;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        s = stream_open(&D, "events.420");
        if (s.f) {
                fprintf(s.f, "%" PRIu64 "+10000 0 7 mmap 0 1000 3 22 10000 P\n", MS(900));
                fprintf(s.f, "%" PRIu64 "+50000 1 7 mprotect 10000 1000 5 0 0 P\n", MS(1000)); /* [1.0, 1.00005] */
                fprintf(s.f, "%" PRIu64 "+20000 2 7 munmap 10000 1000 0 0 0 P\n", MS(3000));   /* [3.0, 3.00002] */
                fprintf(s.f, "%" PRIu64 "+10000 3 7 mmap 0 1000 0 22 90000 P\n", MS(4000));
        }
        stream_close(&s);
        put(D.run, "samples.csv",
            "t_s,scope,pid,ppid,comm,jit_code_bytes,read_t_s,read_err_s,rss_bytes,vsz_bytes,pss_bytes,processes\n"
            "0.95,process,420,1,python,0,,\n"      /* agreed: the thread's mmap is no bound */
            "0.95,process,420,1,python,4096,,\n"   /* disagreed */
            "1.00002,process,420,1,python,0,,\n"   /* in flight */
            "1.00002,process,420,1,python,4096,,\n" /* in flight */
            "1.0001,process,420,1,python,0,,\n"    /* disagreed: made by 1.00005 s */
            "3.5,process,420,1,python,0,,\n"       /* agreed: the next call is no bound */
            "3.5,process,420,1,python,4096,,\n");  /* disagreed */
        j = process(&D, &r);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "executors_compiled"), 1);
        CHECK_EQ_INT(jsonl_count(&D, "\"t_s\": 3.000000"), 1); /* munmap's time: its begin */
        CHECK_EQ_INT(jsonl_count(&D, "\"t_s\": 1.000050"), 1); /* the others': their end */
        CHECK_EQ_INT(num(j, "cross_check.samples"), 7);
        CHECK_EQ_INT(num(j, "cross_check.agreed"), 2);
        CHECK_EQ_INT(num(j, "cross_check.in_flight"), 2);
        CHECK_EQ_INT(num(j, "cross_check.disagreed"), 3);
        json_decref(j);
        dirs_remove(&D);
}

/* Many changes under way at once. 12 threads each compile one executor of 2^k pages (k = 0..11)
 * within [1.4, 1.6] s: at 1.5 s, any of 4,096 sums of them, each a number of pages below 4,096.
 * With a 13th (2^12 pages) there are more sums than are kept: then any value between the least
 * and the most is taken as in flight. */
static void test_cross_check_many(void)
{
        for (int threads = 12; threads <= 13; threads++) {
                struct dirs D;
                struct stream s;
                json_t *j;
                int r;
                char rows[1024];

                CHECK_EQ_INT(dirs_make(&D), 0);
                s = stream_open(&D, "events.420");
                for (int k = 0; k < threads; k++)
                        ev(&s, 1400, 10 + k, "mmap", 0, (uint64_t)0x1000 << k, RW, ANON, (uint64_t)0x1000000 * (k + 1));
                for (int k = 0; k < threads; k++)
                        ev(&s, 1600, 10 + k, "mprotect", (uint64_t)0x1000000 * (k + 1), (uint64_t)0x1000 << k, RX, 0, 0);
                stream_close(&s);
                snprintf(rows, sizeof(rows),
                         "t_s,scope,pid,jit_code_bytes,rss_bytes,vsz_bytes,pss_bytes,processes\n"
                         "1.5,process,420,%d\n"  /* in flight: 0b101010101010 pages */
                         "1.5,process,420,%d\n"  /* in flight: all twelve */
                         "1.5,process,420,%d\n"  /* in flight (13: of the range), else disagreed: 4,096 pages */
                         "1.5,process,420,%d\n"  /* disagreed: more than all */
                         "1.5,process,420,%d\n", /* disagreed: not whole pages */
                         0xaaa * 4096, 0xfff * 4096, 0x1000 * 4096, 0x2000 * 4096, 0xaaa * 4096 + 100);
                put(D.run, "samples.csv", rows);
                j = process(&D, &r);
                CHECK_EQ_INT(r, 0);
                CHECK_EQ_INT(num(j, "executors_compiled"), threads);
                CHECK_EQ_INT(num(j, "cross_check.samples"), 5);
                CHECK_EQ_INT(num(j, "cross_check.in_flight"), threads == 12 ? 2 : 4);
                CHECK_EQ_INT(num(j, "cross_check.disagreed"), threads == 12 ? 3 : 1);
                json_decref(j);
                dirs_remove(&D);
        }
}

/* Streams the shim wrote, figures from the fixtures' parameters. jitchurn --workers 2
 * --threads 2 --compiles 20 --batch 7 --fail-every 5: per thread, 16 compiled (attempts of 1, 2
 * and 3 pages in turn, every 5th failed), 14 freed in batches of 7, the last 2 (3 pages and 1)
 * left, 4 never executable. jitlike --regions 4 --size 8192 --workers 3 --worker-regions 2 --wx
 * 1: 4 executors and a W+X closure, then 3 workers forked, each inheriting the 4 and compiling 2.
 * Run from the repository's root. */
static void test_recorded(void)
{
        json_t *j = NULL;
        struct dirs D;
        int r;

        CHECK_EQ_INT(dirs_make(&D), 0);
        r = jittrace_process("tests/data/jittrace/churn", D.run, UINT64_C(56032228283323), &j);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "processes_traced"), 2);
        CHECK_EQ_INT(num(j, "executors_compiled"), 4 * 16);
        CHECK_EQ_INT(num(j, "executors_freed"), 4 * 14);
        CHECK_EQ_INT(num(j, "churned"), 4 * 14); /* each freed at once */
        CHECK_EQ_INT(num(j, "executors_freed_at_exit"), 0);
        CHECK_EQ_INT(num(j, "never_executable_mappings"), 4 * 4);
        CHECK_EQ_INT(num(j, "executors_live_final"), 4 * 2);
        CHECK_EQ_INT(num(j, "live_bytes_final"), 4 * 4 * 4096);
        CHECK(real(json_object_get(j, "bytes_per_executor"), "mean") == 31.0 / 16 * 4096);
        CHECK_EQ_INT(json_integer_value(json_array_get(json_object_get(j, "compiles_per_second"), 0)), 64);
        CHECK_EQ_INT(jsonl_count(&D, "\"event\": \"compile\""), 64);
        CHECK_EQ_INT(jsonl_count(&D, "\"event\": \"free\""), 56);
        json_decref(j);

        j = NULL;
        r = jittrace_process("tests/data/jittrace/fork", D.run, UINT64_C(54683864324951), &j);
        CHECK_EQ_INT(r, 0);
        CHECK_EQ_INT(num(j, "processes_traced"), 4);
        CHECK_EQ_INT(num(j, "executors_compiled"), 4 + 3 * 2);
        CHECK_EQ_INT(num(j, "writable_executable_mappings"), 1);
        CHECK_EQ_INT(num(j, "executors_live_final"), 4 + 3 * (4 + 2));
        CHECK_EQ_INT(num(j, "live_bytes_final"), (4 + 3 * (4 + 2)) * 8192);
        CHECK_EQ_INT(num(j, "peak_bytes"), (4 + 3 * (4 + 2)) * 8192);
        CHECK_EQ_INT(num(j, "inherited_executors_freed"), 0);
        json_decref(j);
        dirs_remove(&D);
}

int main(void)
{
        test_compile_free_live();
        test_exit_burst();
        test_fork();
        test_malformed();
        test_order();
        test_sizes();
        test_absurd();
        test_kinds();
        test_streams();
        test_arena();
        test_partial();
        test_mremap();
        test_empty_and_errors();
        test_cross_check();
        test_cross_check_timed();
        test_cross_check_many();
        test_recorded();
        return unit_finish("test_jittrace");
}
