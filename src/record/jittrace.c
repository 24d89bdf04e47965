#include "jittrace.h"
#include "runfile.h"
#include "stats.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_EVENTS_PER_PROC 1000000
#define MAX_SPANS 1000000
#define MAX_SECONDS 3600
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/* A process's anonymous private memory, page-exactly: the ranges the stream's calls made,
 * sorted, with their protection. Pages outside every span are unknown to the trace (mapped
 * before the shim was loaded, file-backed, or not mapped): calls on them are not followed. */
struct span {
        uint64_t start, end; /* [start, end), page-aligned */
        int prot;            /* PROT_* */
        unsigned char perf;  /* made by an mmap later named cpython:perf_trampoline (1), or whose
                              * name the kernel refused (2: /proc sees it as JIT code) */
        unsigned char ever_code; /* has held JIT code */
        uint32_t exe;            /* while JIT code: its executor (index), else NO_EXE */
};
#define NO_EXE UINT32_MAX

/* An executor: a contiguous range of pages one call made JIT code (read+execute, not
 * writable). CPython's JIT makes each executor its own mapping (mmap read+write, mprotect
 * read+execute, munmap); an allocator that hands out pages of a reservation makes each range it
 * turns executable one executor. It is freed when the last of its pages stops being JIT code. */
struct executor {
        uint64_t t_exec;  /* the stamp of the call that made it */
        uint64_t addr;    /* its first page then */
        uint64_t bytes;   /* made JIT code by that call */
        uint64_t live;    /* of its pages, the bytes still JIT code */
        int inherited;    /* a forked child's copy of its parent's executor: compiled by the parent */
};

static uint64_t span_len(const struct span *s)
{
        return s->end - s->start;
}

/* JIT code as /proc tells it (maps.h): read+execute, not writable, not a perf arena. */
static int span_code(const struct span *s)
{
        return !s->perf && (s->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == (PROT_READ | PROT_EXEC);
}

/* A perf arena the kernel refused to name: JIT code to /proc, not to the trace. */
static int span_unnamed(const struct span *s)
{
        return s->perf == 2 && (s->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == (PROT_READ | PROT_EXEC);
}

/* No user address reaches this (x86-64's 5-level paging ends at 2^56). */
#define ADDR_LIMIT (UINT64_C(1) << 57)

/* The pages a call on [addr, addr + len) concerns, rounded up to whole pages as the kernel
 * does: [*lo, *hi). Returns 0 where the kernel would have refused the call (an address not on a
 * page boundary, no length, past every user address): a line no real call wrote. */
static int page_range(uint64_t addr, uint64_t len, uint64_t *lo, uint64_t *hi)
{
        static uint64_t page;

        if (!page) {
                long v = sysconf(_SC_PAGESIZE);
                page = v > 0 ? (uint64_t)v : 4096;
        }
        if (addr % page != 0 || len == 0 || addr >= ADDR_LIMIT || len > ADDR_LIMIT - addr)
                return 0;
        *lo = addr;
        *hi = addr + (len + page - 1) / page * page;
        return *hi <= ADDR_LIMIT;
}

/* Frees of executors a process compiled, kept until its stream ends: those in its last burst,
 * which leaves nothing live, are the interpreter's finalization, not churn. */
#define EXIT_BURST_NS 200000000ULL
struct freed {
        uint64_t t, age;
};

/* Live JIT bytes of one process after an event, for the cross-check, and when the call
 * really took effect: within the call's own times (the shim writes when it began and how long
 * it took). Streams written before the shim timed its calls have one stamp per call, taken
 * after it returned (munmap: before it was made), and a thread can be held up between the call
 * and the stamp, tens of ms on a loaded machine: there what bounds the moment is the same
 * thread's neighbouring calls: a compile (mprotect) took effect after the thread's previous
 * call was stamped and before its own stamp; a free (munmap), after its stamp and before the
 * thread's next call was stamped. */
struct change {
        uint64_t t;      /* the shim's stamp */
        uint64_t lo, hi; /* took effect within [lo, hi] (hi UINT64_MAX: the thread made no later call) */
        uint64_t tid;
        uint64_t live;   /* after it */
};

/* A forked child starts with its parent's mappings, and their executors, as they were at the fork. */
struct snap {
        int child;
        uint64_t t;
        int taken;
        struct span *spans;
        size_t n;
        struct executor *exes;
        size_t nexe;
};

struct proc_trace {
        int pid;
        int ppid;            /* from the "fork" line; 0 for a process jitmem started */
        uint64_t t_fork;     /* the parent's seq at the fork (its events before it are inherited) */
        int done;
        char path[4200];
        struct change *changes;
        size_t nchanges, cap;
};

struct totals {
        uint64_t compiled, freed, churned, never_exec, wx, live_final_sum, perf, live_final_count;
        uint64_t peak; /* of the process being replayed */
        uint64_t freed_at_exit, inherited_freed;
        uint64_t streams_cut; /* processes whose memory outgrew MAX_SPANS: later calls not followed */
        uint64_t *sizes;
        size_t nsizes, cap;
        uint64_t by_second[MAX_SECONDS];
        int seconds;
};

static int push_size(struct totals *T, uint64_t v)
{
        uint64_t *p = util_grow(T->sizes, &T->cap, T->nsizes + 1, sizeof(*p), 1024);
        if (!p)
                return -ENOMEM;
        T->sizes = p;
        T->sizes[T->nsizes++] = v;
        return 0;
}

static int push_freed(struct freed **fr, size_t *n, size_t *cap, uint64_t t, uint64_t age)
{
        struct freed *p = util_grow(*fr, cap, *n + 1, sizeof(*p), 256);
        if (!p)
                return -ENOMEM;
        *fr = p;
        (*fr)[(*n)++] = (struct freed){ t, age };
        return 0;
}

static int push_change(struct proc_trace *p, uint64_t t, uint64_t lo, uint64_t hi, uint64_t tid, uint64_t live)
{
        struct change *c = util_grow(p->changes, &p->cap, p->nchanges + 1, sizeof(*c), 256);
        if (!c)
                return -ENOMEM;
        p->changes = c;
        p->changes[p->nchanges++] = (struct change){ t, lo, hi, tid, live };
        return 0;
}

struct event {
        uint64_t t, order, tid, addr, len, a, b, res;
        uint64_t begin, end; /* the call's own times (timed: the shim wrote "BEGIN+TOOK") */
        int timed;
        size_t seq;
        char op[12];
        char mod;
        char name[68];
};

/* The first field of a line: "BEGIN+TOOK" (the call began at BEGIN and took TOOK ns), or one
 * time (fork and name lines, and streams of shims before the call was timed). Returns 0 or -1. */
static int parse_time(const char *f, size_t n, struct event *e)
{
        const char *plus = memchr(f, '+', n);
        uint64_t took;

        if (!plus)
                return util_field_u64(f, n, &e->t) < 0 ? -1 : 0;
        if (util_field_u64(f, (size_t)(plus - f), &e->begin) < 0 ||
            util_field_u64(plus + 1, n - (size_t)(plus - f) - 1, &took) < 0 || took > UINT64_MAX - e->begin)
                return -1;
        e->end = e->begin + took;
        e->timed = 1;
        e->t = e->end; /* munmap's is its begin (set once the op is known) */
        return 0;
}

/* Parses a line of the shim's stream: "T ORDER TID OP ADDR LEN A B RES MOD [NAME]", T as
 * parse_time() reads it, ORDER and TID decimal, ADDR to RES hexadecimal, MOD one character.
 * Returns how many fields were read in order (10 or 11 for a whole line; e->name is "" without
 * the eleventh); a field too long for its place ends the line there. */
static int parse_event(const char *line, size_t len, struct event *e)
{
        uint64_t *const nums[] = { &e->t, &e->order, &e->tid, NULL, &e->addr, &e->len, &e->a, &e->b, &e->res };
        const char *f;
        size_t pos = 0, n;
        int i;

        memset(e, 0, sizeof(*e));
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                len--;
        for (i = 0; i < 11 && util_next_field(line, len, &pos, &f, &n); i++) {
                if (i == 3 || i == 10) { /* OP, NAME */
                        char *dst = i == 3 ? e->op : e->name;
                        size_t cap = i == 3 ? sizeof(e->op) : sizeof(e->name);
                        if (n >= cap)
                                break;
                        memcpy(dst, f, n);
                        dst[n] = '\0';
                } else if (i == 9) { /* MOD */
                        if (n != 1)
                                break;
                        e->mod = f[0];
                } else if (i == 0) {
                        if (parse_time(f, n, e) < 0)
                                break;
                } else if ((i < 3 ? util_field_u64(f, n, nums[i]) : util_field_x64(f, n, nums[i])) < 0) {
                        break;
                }
        }
        if (e->timed && strcmp(e->op, "munmap") == 0)
                e->t = e->begin; /* as the stamp was taken before the call */
        return i;
}

static int cmp_event(const void *x, const void *y)
{
        const struct event *a = x, *b = y;
        if (a->order != b->order) /* the shim's counter: causal, where clocks of CPUs may differ */
                return a->order < b->order ? -1 : 1;
        return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Reads a stream and puts it in the order of the calls (the shim's counter): threads write
 * their lines in the order their write()s happen, which may differ. */
static int load_events(const char *path, struct event **ret, size_t *ret_n)
{
        FILE *f = fopen(path, "re");
        struct event *ev = NULL;
        size_t n = 0, cap = 0;
        char line[256];

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f) && n < MAX_EVENTS_PER_PROC) {
                struct event e;
                if (parse_event(line, strlen(line), &e) < 10)
                        continue; /* a line cut by a crash */
                struct event *p = util_grow(ev, &cap, n + 1, sizeof(*p), 1024);
                if (!p) {
                        free(ev);
                        fclose(f);
                        return -ENOMEM;
                }
                ev = p;
                e.seq = n;
                ev[n++] = e;
        }
        fclose(f);
        if (n > 0)
                qsort(ev, n, sizeof(*ev), cmp_event);
        *ret = ev;
        *ret_n = n;
        return 0;
}

/* The forked children's snapshots due before the call of order `before`: copies of the spans
 * and executors as they are. A snapshot that cannot be copied for want of memory starts its
 * child from nothing. */
static void take_snaps(struct snap *snaps, size_t nsnaps, uint64_t before, const struct span *sp, size_t nsp,
                       const struct executor *exes, size_t nexe)
{
        for (size_t k = 0; k < nsnaps; k++) {
                if (snaps[k].taken || snaps[k].t > before)
                        continue;
                snaps[k].taken = 1;
                snaps[k].spans = nsp ? malloc(nsp * sizeof(*sp)) : NULL;
                snaps[k].exes = nexe ? malloc(nexe * sizeof(*exes)) : NULL;
                if ((nsp && !snaps[k].spans) || (nexe && !snaps[k].exes)) {
                        free(snaps[k].spans);
                        free(snaps[k].exes);
                        snaps[k].spans = NULL;
                        snaps[k].exes = NULL;
                        continue;
                }
                if (nsp)
                        memcpy(snaps[k].spans, sp, nsp * sizeof(*sp));
                if (nexe)
                        memcpy(snaps[k].exes, exes, nexe * sizeof(*exes));
                snaps[k].n = nsp;
                snaps[k].nexe = nexe;
        }
}

static void snap_free(struct snap *s)
{
        free(s->spans);
        free(s->exes);
        s->spans = NULL;
        s->exes = NULL;
        s->n = s->nexe = 0;
}

#define MAX_THREADS 4096

/* For each event, the stamp of the same thread's previous and next event (0 and UINT64_MAX when
 * there is none, or past MAX_THREADS threads): the bounds of struct change. */
static int thread_neighbours(const struct event *ev, size_t n, uint64_t *prev, uint64_t *next)
{
        struct thread_last {
                uint64_t tid;
                size_t last;
        } *th = calloc(MAX_THREADS, sizeof(*th));
        size_t nth = 0;

        if (!th)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                size_t k;
                prev[i] = 0;
                next[i] = UINT64_MAX;
                for (k = 0; k < nth && th[k].tid != ev[i].tid; k++)
                        ;
                if (k < nth) {
                        prev[i] = ev[th[k].last].t;
                        next[th[k].last] = ev[i].t;
                        th[k].last = i;
                } else if (nth < MAX_THREADS) {
                        th[nth++] = (struct thread_last){ ev[i].tid, i };
                }
        }
        free(th);
        return 0;
}

/* One events.PID file being replayed: its events in the order of the calls, the process's
 * anonymous memory (spans) and executors, its live bytes, and its frees (told apart from its
 * exit's when it ends). */
struct replay {
        struct proc_trace *P;
        uint64_t t0;
        FILE *out;
        struct totals *T;
        struct snap *snaps; /* the snapshots its own forked children start from */
        size_t nsnaps;
        struct event *events;
        size_t nevents;
        uint64_t *prev_t, *next_t; /* each event's thread neighbours (thread_neighbours) */
        char *perf_flag;           /* by the index of an mmap: 1 a perf arena, 2 one the kernel refused to name */
        struct span *sp;
        size_t nsp, capsp;
        struct executor *exes;
        size_t nexe, capexe;
        uint64_t live, unnamed; /* JIT bytes; perf arenas /proc cannot tell from them */
        uint64_t last_compile;
        struct freed *fr;
        size_t nfr, capfr;
        int full; /* MAX_SPANS reached: calls that would add a span are not followed */
        /* the event being replayed */
        const struct event *e;
        const char *how; /* what it did to an executor it freed: "munmap", "mprotect", ... */
        uint32_t made;   /* the executor it is making (NO_EXE: none yet) */
        int wx, perf, unmapped_code, unmapped_plain; /* what it did, once per call */
        uint64_t lo, hi; /* when it took effect (see struct change) */
        double ts;       /* its time in seconds from t0 */
};

/* The mappings CPython names cpython:perf_trampoline (the name may come after the mprotect),
 * by the index of the mmap that made them: 1, or 2 where the kernel refused the name. Returns
 * a new array of nevents flags, or NULL (no arena known) when memory is short. */
static char *perf_flags(const struct event *events, size_t nevents)
{
        size_t cap = nevents ? nevents : 1, nl = 0;
        char *flag = calloc(cap, 1);
        size_t *live_idx = malloc(sizeof(size_t) * cap);
        uint64_t *live_start = malloc(sizeof(uint64_t) * cap);
        uint64_t *live_len = malloc(sizeof(uint64_t) * cap);

        for (size_t ei = 0; flag && live_idx && live_start && live_len && ei < nevents; ei++) {
                const struct event *e = &events[ei];
                if (strcmp(e->op, "mmap") == 0 && (e->a & PROT_WRITE)) {
                        live_idx[nl] = ei;
                        live_start[nl] = e->res;
                        live_len[nl++] = e->len;
                } else if (strcmp(e->op, "munmap") == 0) {
                        for (size_t k = 0; k < nl;)
                                if (live_start[k] >= e->addr && live_start[k] + live_len[k] <= e->addr + e->len) {
                                        nl--;
                                        live_idx[k] = live_idx[nl];
                                        live_start[k] = live_start[nl];
                                        live_len[k] = live_len[nl];
                                } else {
                                        k++;
                                }
                } else if (strcmp(e->op, "name") == 0 && strstr(e->name, "perf_trampoline")) {
                        for (size_t k = 0; k < nl; k++)
                                if (live_start[k] >= e->addr && live_start[k] < e->addr + e->len)
                                        flag[live_idx[k]] = e->a ? 1 : 2; /* 2: the kernel refused the name */
                }
        }
        free(live_idx);
        free(live_start);
        free(live_len);
        return flag;
}

/* Reads P's stream, each event's thread neighbours and the perf arenas. Returns 0 or -errno. */
static int replay_load(struct replay *R)
{
        int r = load_events(R->P->path, &R->events, &R->nevents);
        if (r < 0)
                return r;
        R->prev_t = malloc(sizeof(uint64_t) * (R->nevents ? R->nevents : 1));
        R->next_t = malloc(sizeof(uint64_t) * (R->nevents ? R->nevents : 1));
        if (!R->prev_t || !R->next_t || thread_neighbours(R->events, R->nevents, R->prev_t, R->next_t) < 0)
                return -ENOMEM;
        R->perf_flag = perf_flags(R->events, R->nevents);
        return 0;
}

/* A forked child starts with its parent's spans and executors at the fork (init): the
 * executors live then are live from its birth, compiled by the parent. Returns 0 or -ENOMEM. */
static int replay_inherit(struct replay *R, const struct snap *init)
{
        if (!init || init->n == 0)
                return 0;
        R->sp = malloc(init->n * sizeof(*R->sp));
        R->exes = init->nexe ? malloc(init->nexe * sizeof(*R->exes)) : NULL;
        if (!R->sp || (init->nexe && !R->exes))
                return -ENOMEM;
        memcpy(R->sp, init->spans, init->n * sizeof(*R->sp));
        R->nsp = R->capsp = init->n;
        if (init->nexe)
                memcpy(R->exes, init->exes, init->nexe * sizeof(*R->exes));
        R->nexe = R->capexe = init->nexe;
        for (size_t i = 0; i < R->nexe; i++)
                R->exes[i].inherited = R->exes[i].live > 0;
        for (size_t i = 0; i < R->nsp; i++) {
                if (span_code(&R->sp[i]))
                        R->live += span_len(&R->sp[i]);
                else if (span_unnamed(&R->sp[i]))
                        R->unnamed += span_len(&R->sp[i]);
        }
        if (R->live > R->T->peak)
                R->T->peak = R->live;
        return push_change(R->P, 0, 0, 0, 0, R->live + R->unnamed); /* inherited: live from the child's birth */
}

/* The index of the first span that ends after x (nsp: none). */
static size_t span_after(const struct replay *R, uint64_t x)
{
        size_t lo = 0, hi = R->nsp;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (R->sp[mid].end > x)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return lo;
}

/* Inserts s before span i. Returns 0 or -ENOMEM. */
static int span_insert(struct replay *R, size_t i, struct span s)
{
        struct span *p = util_grow(R->sp, &R->capsp, R->nsp + 1, sizeof(*p), 256);

        if (!p)
                return -ENOMEM;
        R->sp = p;
        memmove(&R->sp[i + 1], &R->sp[i], (R->nsp - i) * sizeof(*p));
        R->sp[i] = s;
        R->nsp++;
        return 0;
}

/* Splits the span holding x, if any, at x. Returns 0 or -ENOMEM. */
static int span_split(struct replay *R, uint64_t x)
{
        size_t i = span_after(R, x);
        struct span head;

        if (i == R->nsp || R->sp[i].start >= x)
                return 0;
        head = R->sp[i];
        head.end = x;
        R->sp[i].start = x;
        return span_insert(R, i, head);
}

/* The spans within [lo, hi), made so by splitting those across its ends: [*i, *j). Returns 0
 * or -ENOMEM. */
static int span_cut(struct replay *R, uint64_t lo, uint64_t hi, size_t *i, size_t *j)
{
        if (span_split(R, lo) < 0 || span_split(R, hi) < 0)
                return -ENOMEM;
        *i = span_after(R, lo);
        *j = span_after(R, hi > 0 ? hi - 1 : 0);
        while (*j < R->nsp && R->sp[*j].start < hi)
                (*j)++;
        return 0;
}

/* Whether the call being replayed can add n spans (MAX_SPANS). */
static int span_room(struct replay *R, size_t n)
{
        if (R->nsp + n <= MAX_SPANS)
                return 1;
        R->full = 1;
        return 0;
}

/* An executor gone at the call being replayed (its last page no longer JIT code): kept to be
 * judged churn or exit when the stream ends, unless the process inherited it. Returns 0 or
 * -ENOMEM. */
static int executor_gone(struct replay *R, const struct executor *x)
{
        const struct event *e = R->e;

        fprintf(R->out, "{\"t_s\": %.6f, \"pid\": %d, \"event\": \"free\", \"addr\": \"0x%" PRIx64 "\", \"bytes\": %" PRIu64
                        ", \"age_s\": %.6f, \"by\": \"%s\"%s}\n",
                R->ts, R->P->pid, x->addr, x->bytes, (double)(e->t - x->t_exec) / 1e9, R->how,
                x->inherited ? ", \"inherited\": true" : "");
        if (x->inherited) {
                R->T->inherited_freed++;
                return 0;
        }
        return push_freed(&R->fr, &R->nfr, &R->capfr, e->t, e->t - x->t_exec);
}

/* n bytes of executor exe no longer JIT code. Returns 0 or -ENOMEM. */
static int code_leaves(struct replay *R, uint32_t exe, uint64_t n)
{
        struct executor *x = &R->exes[exe];

        R->live -= n;
        x->live -= n;
        return x->live == 0 ? executor_gone(R, x) : 0;
}

/* s made JIT code by the call being replayed: part of the executor it is making if s follows
 * it, else the first page of a new one. Returns 0 or -ENOMEM. */
static int code_enters(struct replay *R, struct span *s)
{
        uint64_t n = span_len(s);
        struct executor *x = R->made == NO_EXE ? NULL : &R->exes[R->made];

        if (!x || x->addr + x->bytes != s->start) {
                if (R->nexe >= NO_EXE)
                        return -ENOMEM;
                x = util_grow(R->exes, &R->capexe, R->nexe + 1, sizeof(*x), 256);
                if (!x)
                        return -ENOMEM;
                R->exes = x;
                R->made = (uint32_t)R->nexe++;
                x = &R->exes[R->made];
                *x = (struct executor){ R->e->t, s->start, 0, 0, 0 };
        }
        x->bytes += n;
        x->live += n;
        R->live += n;
        s->exe = R->made;
        s->ever_code = 1;
        return 0;
}

/* s given protection prot by the call being replayed: JIT code made or ended, perf arenas made
 * executable, pages made writable and executable. Returns 0 or -ENOMEM. */
static int span_protect(struct replay *R, struct span *s, int prot)
{
        int was_code = span_code(s), was_unnamed = span_unnamed(s), was_exec = (s->prot & PROT_EXEC) != 0;
        uint32_t exe = s->exe;

        s->prot = prot;
        if ((prot & PROT_WRITE) && (prot & PROT_EXEC))
                R->wx = 1;
        if (s->perf && !was_exec && (prot & PROT_EXEC))
                R->perf = 1;
        if (was_unnamed != span_unnamed(s)) {
                if (was_unnamed)
                        R->unnamed -= span_len(s);
                else
                        R->unnamed += span_len(s);
        }
        if (was_code && !span_code(s)) {
                s->exe = NO_EXE;
                return code_leaves(R, exe, span_len(s));
        }
        if (!was_code && span_code(s))
                return code_enters(R, s);
        return 0;
}

/* Removes spans [i, j) (munmap, or what a new mapping replaces): the JIT code in them freed.
 * Returns 0 or -ENOMEM. */
static int span_remove(struct replay *R, size_t i, size_t j)
{
        for (size_t k = i; k < j; k++) {
                struct span *s = &R->sp[k];
                if (span_unnamed(s))
                        R->unnamed -= span_len(s);
                if (s->ever_code)
                        R->unmapped_code = 1;
                else if (s->prot & PROT_WRITE)
                        R->unmapped_plain = 1;
                if (span_code(s) && code_leaves(R, s->exe, span_len(s)) < 0)
                        return -ENOMEM;
        }
        if (j > i)
                memmove(&R->sp[i], &R->sp[j], (R->nsp - j) * sizeof(*R->sp));
        R->nsp -= j - i;
        return 0;
}

/* Unmaps [lo, hi). Returns 0 or -ENOMEM. */
static int unmap_range(struct replay *R, uint64_t lo, uint64_t hi)
{
        size_t i, j;

        if (span_cut(R, lo, hi, &i, &j) < 0)
                return -ENOMEM;
        return span_remove(R, i, j);
}

/* mmap of anonymous private memory: whatever the model held there is replaced (MAP_FIXED, or
 * memory it could not know of); mapped read+execute, it is JIT code at once. Returns 0, 1 when
 * the call is not followed, or -ENOMEM. */
static int replay_mmap(struct replay *R, size_t ei)
{
        const struct event *e = R->e;
        uint64_t lo, hi;
        size_t i;

        if (!page_range(e->res, e->len, &lo, &hi) || !span_room(R, 3))
                return 1;
        if (unmap_range(R, lo, hi) < 0)
                return -ENOMEM;
        i = span_after(R, lo);
        if (span_insert(R, i, (struct span){ lo, hi, PROT_NONE, R->perf_flag ? (unsigned char)R->perf_flag[ei] : 0, 0, NO_EXE }) < 0)
                return -ENOMEM;
        return span_protect(R, &R->sp[i], (int)(e->a & INT_MAX));
}

/* mprotect: every known page of the range takes the new protection. Returns 0, 1 when the call
 * is not followed, or -ENOMEM. */
static int replay_mprotect(struct replay *R)
{
        const struct event *e = R->e;
        uint64_t lo, hi;
        size_t i, j;

        if (!page_range(e->addr, e->len, &lo, &hi) || !span_room(R, 2))
                return 1;
        if (span_cut(R, lo, hi, &i, &j) < 0)
                return -ENOMEM;
        for (size_t k = i; k < j; k++)
                if (span_protect(R, &R->sp[k], (int)(e->a & INT_MAX)) < 0)
                        return -ENOMEM;
        return 0;
}

/* munmap. Returns 0, 1 when the call is not followed, or -ENOMEM. */
static int replay_munmap(struct replay *R)
{
        uint64_t lo, hi;

        if (!page_range(R->e->addr, R->e->len, &lo, &hi) || !span_room(R, 2))
                return 1;
        return unmap_range(R, lo, hi);
}

/* A span moved (or copied) by mremap placed at its new address, JIT code in it still part of
 * its executor. copied: the old pages stay (MREMAP_DONTUNMAP), so its JIT code is counted again.
 * Returns 0 or -ENOMEM. */
static int moved_place(struct replay *R, struct span s, int copied)
{
        if (copied && span_code(&s)) {
                R->live += span_len(&s);
                R->exes[s.exe].live += span_len(&s);
        }
        if (copied && span_unnamed(&s))
                R->unnamed += span_len(&s);
        return span_insert(R, span_after(R, s.start), s);
}

/* mremap (the stream's A is the new length, B the flags, RESULT the new address): the pages of
 * the old range move to the new one, their JIT code still their executors'; a shrink frees the
 * tail; a growth extends the last mapping with its protection (and its executor); MREMAP_FIXED
 * replaces what was at the new address; MREMAP_DONTUNMAP leaves the old range mapped. Returns 0,
 * 1 when the call is not followed, or -ENOMEM. */
static int replay_mremap(struct replay *R)
{
        const struct event *e = R->e;
        int copied = (e->b & MREMAP_DONTUNMAP) != 0;
        uint64_t olo, ohi, nlo, nhi;
        struct span *mv;
        size_t i, j, n;
        int r = 0;

        if (!page_range(e->addr, e->len, &olo, &ohi) || !page_range(e->res, e->a, &nlo, &nhi) || !span_room(R, 6))
                return 1;
        if (span_cut(R, olo, ohi, &i, &j) < 0)
                return -ENOMEM;
        n = j - i;
        if (!span_room(R, n + 6))
                return 1;
        mv = malloc((n ? n : 1) * sizeof(*mv));
        if (!mv)
                return -ENOMEM;
        if (n > 0)
                memcpy(mv, &R->sp[i], n * sizeof(*mv));
        if (!copied && n > 0) { /* taken out as they are: their code moves, it is not freed */
                memmove(&R->sp[i], &R->sp[j], (R->nsp - j) * sizeof(*R->sp));
                R->nsp -= n;
        }
        if (unmap_range(R, nlo, nhi) < 0)
                r = -ENOMEM;
        for (size_t k = 0; k < n && r == 0; k++) {
                struct span s = mv[k];
                uint64_t off = s.start - olo, len = span_len(&s);
                if (off < nhi - nlo) { /* placed, up to the new length */
                        struct span in = s;
                        in.start = nlo + off;
                        in.end = in.start + (len < nhi - nlo - off ? len : nhi - nlo - off);
                        r = moved_place(R, in, copied);
                        if (r < 0)
                                break;
                        len -= span_len(&in);
                        s.start += span_len(&in);
                }
                if (len == 0 || copied)
                        continue;
                /* past the new length: freed */
                R->unmapped_code |= s.ever_code;
                R->unmapped_plain |= !s.ever_code && (s.prot & PROT_WRITE);
                if (span_unnamed(&s))
                        R->unnamed -= len;
                if (span_code(&s))
                        r = code_leaves(R, s.exe, len);
        }
        if (r == 0 && n > 0 && mv[n - 1].end == ohi && nhi - nlo > ohi - olo) {
                struct span ext = mv[n - 1]; /* the growth: as the last page */
                ext.start = nlo + (ohi - olo);
                ext.end = nhi;
                if (span_code(&ext)) {
                        R->live += span_len(&ext);
                        R->exes[ext.exe].live += span_len(&ext);
                } else if (span_unnamed(&ext)) {
                        R->unnamed += span_len(&ext);
                }
                r = span_insert(R, span_after(R, ext.start), ext);
        }
        free(mv);
        return r;
}

/* The executors the call being replayed made, from index first: their sizes, their second of
 * the run, and their lines. Returns 0 or -ENOMEM. */
static int replay_compiled(struct replay *R, size_t first)
{
        struct totals *T = R->T;

        for (size_t k = first; k < R->nexe; k++) {
                const struct executor *x = &R->exes[k];
                T->compiled++;
                R->last_compile = R->e->t;
                if (push_size(T, x->bytes) < 0)
                        return -ENOMEM;
                if (R->ts < MAX_SECONDS) { /* 0 <= ts */
                        int sec = (int)R->ts;
                        T->by_second[sec]++;
                        if (sec + 1 > T->seconds)
                                T->seconds = sec + 1;
                }
                fprintf(R->out, "{\"t_s\": %.6f, \"pid\": %d, \"tid\": %" PRIu64
                                ", \"event\": \"compile\", \"addr\": \"0x%" PRIx64 "\", \"bytes\": %" PRIu64 ", \"module\": \"%c\"}\n",
                        R->ts, R->P->pid, R->e->tid, x->addr, x->bytes, R->e->mod);
        }
        return 0;
}

/* Replays one call. Returns 0, 1 when it is not one the model follows, or -ENOMEM. */
static int replay_call(struct replay *R, size_t ei)
{
        const struct event *e = &R->events[ei];
        uint64_t before = R->live + R->unnamed;
        size_t first = R->nexe;
        int r = 1;

        R->e = e;
        R->how = e->op;
        R->made = NO_EXE;
        R->wx = R->perf = R->unmapped_code = R->unmapped_plain = 0;
        if (strcmp(e->op, "mmap") == 0)
                r = replay_mmap(R, ei);
        else if (strcmp(e->op, "mprotect") == 0)
                r = replay_mprotect(R);
        else if (strcmp(e->op, "munmap") == 0)
                r = replay_munmap(R);
        else if (strcmp(e->op, "mremap") == 0)
                r = replay_mremap(R);
        if (r < 0)
                return r;
        if (replay_compiled(R, first) < 0)
                return -ENOMEM;
        R->T->wx += (uint64_t)R->wx;
        R->T->perf += (uint64_t)R->perf;
        R->T->never_exec += (uint64_t)(R->unmapped_plain && !R->unmapped_code);
        if (R->live + R->unnamed != before && push_change(R->P, e->t, R->lo, R->hi, e->tid, R->live + R->unnamed) < 0)
                return -ENOMEM;
        return r;
}

/* Every event in order, taking the forked children's snapshots on the way. Returns 0 or
 * -ENOMEM (the events after it not replayed). */
static int replay_events(struct replay *R)
{
        for (size_t ei = 0; ei < R->nevents; ei++) {
                const struct event *e = &R->events[ei];
                int r;
                /* forks before this call */
                take_snaps(R->snaps, R->nsnaps, e->order, R->sp, R->nsp, R->exes, R->nexe);
                /* when this call took effect (see struct change): within its own times, or in
                 * streams without them, after the thread's previous stamp and by its own (after
                 * its stamp and before the next, for munmap) */
                R->lo = R->prev_t[ei];
                R->hi = e->t;
                if (e->timed) {
                        R->lo = e->begin;
                        R->hi = e->end;
                } else if (strcmp(e->op, "munmap") == 0) {
                        R->lo = e->t;
                        R->hi = R->next_t[ei];
                }
                R->ts = e->t >= R->t0 ? (double)(e->t - R->t0) / 1e9 : 0;
                r = replay_call(R, ei);
                if (r < 0)
                        return r;
                if (r == 0 && R->live > R->T->peak)
                        R->T->peak = R->live; /* per process; the tree peak is summed by the caller */
        }
        return 0;
}

/* The stream's end: the snapshots of children forked after its last event, what it left live,
 * and its frees. The last burst of frees, after the last compile, that leaves nothing live is
 * the interpreter freeing its executors as it exits; the others were freed while it ran. */
static void replay_finish(struct replay *R)
{
        struct totals *T = R->T;
        size_t keep = R->nfr;
        uint64_t end = R->nfr ? R->fr[R->nfr - 1].t : 0;

        take_snaps(R->snaps, R->nsnaps, UINT64_MAX, R->sp, R->nsp, R->exes, R->nexe); /* forks after the last event */
        T->live_final_sum += R->live;
        for (size_t i = 0; i < R->nexe; i++)
                T->live_final_count += R->exes[i].live > 0;
        T->streams_cut += (uint64_t)R->full;
        if (R->live == 0)
                while (keep > 0 && R->fr[keep - 1].t >= R->last_compile && R->fr[keep - 1].t + EXIT_BURST_NS >= end)
                        keep--;
        T->freed_at_exit += R->nfr - keep;
        for (size_t k = 0; k < keep; k++) {
                T->freed++;
                if (R->fr[k].age < JITTRACE_CHURN_NS)
                        T->churned++;
        }
}

static void replay_free(struct replay *R)
{
        free(R->fr);
        free(R->perf_flag);
        free(R->sp);
        free(R->exes);
        free(R->prev_t);
        free(R->next_t);
        free(R->events);
}

/* Processes one events.PID file, starting from init (a fork's inheritance) and taking the
 * snapshots its own forked children start from. Returns 0 or -errno. */
static int one_file(struct proc_trace *P, const struct snap *init, uint64_t t0, FILE *out, struct totals *T,
                    struct snap *snaps, size_t nsnaps)
{
        struct replay R = { .P = P, .t0 = t0, .out = out, .T = T, .snaps = snaps, .nsnaps = nsnaps };
        int r;

        r = replay_load(&R);
        if (r == 0)
                r = replay_inherit(&R, init);
        if (r == 0) {
                r = replay_events(&R);
                replay_finish(&R);
        }
        replay_free(&R);
        return r;
}

/* At time t, the live JIT bytes of a process from its change list (0 before the first). */
static uint64_t live_at(const struct proc_trace *p, uint64_t t)
{
        uint64_t v = 0;
        for (size_t i = 0; i < p->nchanges && p->changes[i].t <= t; i++)
                v = p->changes[i].live;
        return v;
}

/* Slack for samples.csv's times, written to the microsecond. The calls' times and the reads'
 * are both measured on CLOCK_MONOTONIC, which the kernel keeps consistent across CPUs (no
 * reading on one CPU was seen earlier than one taken before it on another, in 21 million
 * tries on this project's 2-CPU virtual machines); no more is allowed. */
#define CLOCK_SLACK_NS 1000ULL
#define MAX_SUMS 4096
#define MAX_FLIGHT 1024

static int cmp_i64(const void *a, const void *b)
{
        int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
        return x < y ? -1 : x > y;
}

/* x + y, wrapping as the unsigned live bytes it is made from do (absurd lengths in a stream). */
static int64_t wrap_add(int64_t x, int64_t y)
{
        return (int64_t)((uint64_t)x + (uint64_t)y);
}

/* Whether a change may have taken effect within [a, b]. */
static int under_way(const struct change *c, uint64_t a, uint64_t b)
{
        return c->lo <= b + CLOCK_SLACK_NS && (c->hi == UINT64_MAX || c->hi + CLOCK_SLACK_NS >= a);
}

/* Whether the process's live JIT bytes, as a walk of its mappings over [a, b] showed them, could
 * have been v: the changes known to have taken effect before a, plus any of the changes that
 * may have taken effect within [a, b], in any combination. A walk is not one atomic look: the
 * kernel hands /proc/PID/maps out a page of text at a time (and PROCMAP_QUERY one mapping per
 * call), letting the process run between, so a change at an address already passed is missed
 * and one ahead is seen, whatever order the calls came in. *in_flight says whether any change
 * may have been under way. Past MAX_FLIGHT such changes or MAX_SUMS possible values, v must lie
 * between the least and the most. */
static int reachable(const struct proc_trace *p, uint64_t a, uint64_t b, uint64_t v, int *in_flight)
{
        /* scratch (the cross-check runs once at a time) */
        static int64_t sums[MAX_SUMS], next[2 * MAX_SUMS];
        size_t nsums = 1, nflight = 0;
        int64_t base = 0, lo_sum = 0, hi_sum = 0;
        uint64_t prev_live = 0;
        int overflow = 0;

        sums[0] = 0;
        for (size_t i = 0; i < p->nchanges; i++) {
                const struct change *c = &p->changes[i];
                int64_t d = (int64_t)(c->live - prev_live);
                prev_live = c->live;
                if (!under_way(c, a, b)) {
                        if (c->lo <= a)
                                base = wrap_add(base, d); /* took effect before a */
                        continue;
                }
                nflight++;
                if (d < 0)
                        lo_sum = wrap_add(lo_sum, d);
                else
                        hi_sum = wrap_add(hi_sum, d);
                if (overflow || d == 0)
                        continue;
                if (nflight > MAX_FLIGHT) {
                        overflow = 1; /* judged by the range */
                        continue;
                }
                size_t nnext = 0; /* each sum so far, with and without d */
                for (size_t j = 0; j < nsums; j++) {
                        next[nnext++] = sums[j];
                        next[nnext++] = wrap_add(sums[j], d);
                }
                qsort(next, nnext, sizeof(*next), cmp_i64);
                nsums = 0;
                for (size_t j = 0; j < nnext && !overflow; j++) {
                        if (nsums > 0 && next[j] == sums[nsums - 1])
                                continue;
                        if (nsums == MAX_SUMS)
                                overflow = 1;
                        else
                                sums[nsums++] = next[j];
                }
        }
        *in_flight = nflight > 0;
        if (overflow)
                return (int64_t)v >= wrap_add(base, lo_sum) && (int64_t)v <= wrap_add(base, hi_sum);
        for (size_t j = 0; j < nsums; j++)
                if (wrap_add(base, sums[j]) == (int64_t)v)
                        return 1;
        return 0;
}

/* The cross-check of samples.csv against the events: its counts. */
struct xcheck {
        uint64_t t0;
        const struct proc_trace *procs;
        size_t nprocs;
        uint64_t checked, agreed, in_flight, disagreed, untraced;
        json_t *first; /* the first disagreement, or JSON null */
};

/* Judges one sample of a process: jit bytes read at t, give or take err. */
static void xcheck_sample(struct xcheck *X, int pid, uint64_t t, uint64_t err, uint64_t jit)
{
        const struct proc_trace *p = NULL;
        int flight = 0;

        for (size_t i = 0; i < X->nprocs; i++)
                if (X->procs[i].pid == pid)
                        p = &X->procs[i];
        X->checked++;
        if (!p) {
                if (jit == 0)
                        X->agreed++;
                else
                        X->untraced++;
                return;
        }
        /* Where no call may have been under way at t, the sample must equal the state
         * ("agreed"); where some may, a state those calls could have left ("in flight"). */
        if (reachable(p, t > err ? t - err : 0, t + err, jit, &flight)) {
                if (flight)
                        X->in_flight++;
                else
                        X->agreed++;
                return;
        }
        X->disagreed++;
        if (json_is_null(X->first))
                X->first = json_pack("{s:f, s:i, s:I, s:I}", "t_s", (double)(t - X->t0) / 1e9, "pid", pid,
                                     "proc_bytes", (json_int_t)jit, "events_bytes", (json_int_t)live_at(p, t));
}

#define MAX_ROW_S 1e7 /* seconds: no run lasts 115 days */

/* A process row of samples.csv judged: when its mappings were read (its tick's time in files
 * older than read_t_s: a tick reads its processes one after another, tens of ms apart under
 * load), give or take half the time the read took, and their JIT bytes. */
static int xcheck_row(const struct runfile_row *row, void *ctx)
{
        struct xcheck *X = ctx;
        double when_s = row->read_t == RUNFILE_NOT_RECORDED ? row->p.t : row->read_t;
        double err_s = row->read_err == RUNFILE_NOT_RECORDED ? 0 : row->read_err;

        if (row->tree || row->pid <= 0 || !(when_s >= 0 && when_s <= MAX_ROW_S) || !(err_s >= 0 && err_s <= MAX_ROW_S) ||
            row->p.jit < 0)
                return 0; /* not a process row jitmem wrote */
        xcheck_sample(X, row->pid, X->t0 + (uint64_t)(when_s * 1e9), (uint64_t)(err_s * 1e9), (uint64_t)row->p.jit);
        return 0;
}

/* Cross-check: every process row of samples.csv against the events' live bytes. Returns a new
 * reference: the counts, or JSON null without a samples.csv jitmem wrote. */
static json_t *cross_check(const char *run_dir, uint64_t t0, const struct proc_trace *procs, size_t nprocs)
{
        struct xcheck X = { .t0 = t0, .procs = procs, .nprocs = nprocs, .first = json_null() };

        if (runfile_each_row(run_dir, xcheck_row, &X) < 0 && X.checked == 0) {
                json_decref(X.first);
                return json_null();
        }
        return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "samples", (json_int_t)X.checked, "agreed",
                         (json_int_t)X.agreed, "in_flight", (json_int_t)X.in_flight, "disagreed",
                         (json_int_t)X.disagreed, "untraced_with_jit", (json_int_t)X.untraced,
                         "first_disagreement", X.first);
}

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* One run's streams: every process traced, the snapshots its forked children start from, the
 * totals, and events.jsonl being written. */
struct trace_run {
        const char *trace_dir;
        uint64_t t0;
        FILE *out;
        struct totals *T;
        struct proc_trace *procs;
        size_t nprocs, capp;
        struct snap *snaps; /* by the index in procs: the mappings a forked child starts from */
        uint64_t peak_sum;  /* per-process peaks summed: an upper bound of the tree's */
};

/* A forked child's stream starts with "fork": A is the parent's PID, B the parent's event
 * sequence at the fork. Sets P->ppid and P->t_fork when P's stream starts so. */
static void read_fork(struct proc_trace *P)
{
        FILE *f = fopen(P->path, "re");
        char first[256];
        struct event fe;

        if (!f)
                return;
        if (fgets(first, sizeof(first), f) && parse_event(first, strlen(first), &fe) >= 8 &&
            strcmp(fe.op, "fork") == 0 && fe.a <= INT32_MAX) {
                P->ppid = (int)fe.a;
                P->t_fork = fe.b;
        }
        fclose(f);
}

/* Every events.PID file of the trace directory, with its fork line if it has one. Returns 0 or
 * -ENOMEM. */
static int find_streams(struct trace_run *S, DIR *d)
{
        struct dirent *de;

        while ((de = readdir(d)) != NULL) {
                uint64_t pid;
                if (strncmp(de->d_name, "events.", 7) != 0)
                        continue;
                size_t n = strlen(de->d_name + 7);
                /* the shim's names only: events.PID, PID in decimal without a leading zero (so
                 * that no two streams name one process) and within a PID's range */
                if (util_parse_u64(de->d_name + 7, n, &pid) != (int)n || de->d_name[7] == '0' || pid > INT32_MAX)
                        continue;
                struct proc_trace *p = util_grow(S->procs, &S->capp, S->nprocs + 1, sizeof(*p), 16);
                if (!p)
                        return -ENOMEM;
                S->procs = p;
                struct proc_trace *P = &S->procs[S->nprocs++];
                memset(P, 0, sizeof(*P));
                P->pid = (int)pid;
                snprintf(P->path, sizeof(P->path), "%s/%s", S->trace_dir, de->d_name);
                read_fork(P);
        }
        return 0;
}

/* Replays procs[k] once its parent's stream is done, from the parent's mappings at the fork,
 * and takes the snapshots its own children start from. Returns 1 when done, 0 when its parent
 * must be first, or -errno. */
static int replay_proc(struct trace_run *S, size_t k)
{
        struct proc_trace *P = &S->procs[k];
        const struct snap *init = NULL;
        size_t ns = 0, n = S->nprocs ? S->nprocs : 1;
        int r;

        if (P->ppid) {
                size_t pi;
                for (pi = 0; pi < S->nprocs && S->procs[pi].pid != P->ppid; pi++)
                        ;
                if (pi < S->nprocs && !S->procs[pi].done)
                        return 0; /* its parent first */
                if (pi < S->nprocs)
                        init = &S->snaps[k];
        }
        /* the children of P, to snapshot */
        struct snap *mine = malloc(sizeof(*mine) * n);
        size_t *who = malloc(sizeof(*who) * n);
        if (!mine || !who) {
                free(mine);
                free(who);
                return -ENOMEM;
        }
        for (size_t c = 0; c < S->nprocs; c++)
                if (S->procs[c].ppid == P->pid) {
                        memset(&mine[ns], 0, sizeof(mine[ns]));
                        mine[ns].child = S->procs[c].pid;
                        mine[ns].t = S->procs[c].t_fork;
                        who[ns++] = c;
                }
        S->T->peak = 0; /* P's own */
        r = one_file(P, init, S->t0, S->out, S->T, mine, ns);
        S->peak_sum += S->T->peak;
        for (size_t c = 0; c < ns; c++) {
                snap_free(&S->snaps[who[c]]);
                S->snaps[who[c]] = mine[c];
        }
        free(mine);
        free(who);
        P->done = 1;
        return r < 0 ? r : 1;
}

/* Every stream, parents before their children: a child starts from its parent's mappings at
 * the fork. A stream whose parent is never replayed (fork lines in a cycle) is not replayed
 * either. Returns 0 or -errno. */
static int replay_all(struct trace_run *S)
{
        int r = 0;

        for (int progress = 1; r == 0 && progress;) {
                progress = 0;
                for (size_t k = 0; k < S->nprocs && r == 0; k++) {
                        if (S->procs[k].done)
                                continue;
                        r = replay_proc(S, k);
                        if (r > 0) {
                                progress = 1;
                                r = 0;
                        }
                }
        }
        return r;
}

/* The sizes of the executors compiled (sorted in place), or JSON null when there are none. */
static json_t *size_stats(struct totals *T)
{
        double sum = 0;

        if (T->nsizes == 0)
                return json_null();
        qsort(T->sizes, T->nsizes, sizeof(*T->sizes), cmp_u64);
        for (size_t i = 0; i < T->nsizes; i++)
                sum += (double)T->sizes[i];
        return json_pack("{s:f, s:I, s:I, s:I, s:I}", "mean", sum / (double)T->nsizes,
                         "p50", (json_int_t)T->sizes[T->nsizes / 2],
                         "p90", (json_int_t)T->sizes[(T->nsizes * 9) / 10],
                         "min", (json_int_t)T->sizes[0], "max", (json_int_t)T->sizes[T->nsizes - 1]);
}

/* The summary's "jit" object (new reference), with the cross-check against run_dir's
 * samples.csv, or NULL when memory is short. */
static json_t *summary_json(struct trace_run *S, const char *run_dir)
{
        struct totals *T = S->T;
        json_t *sizes = size_stats(T), *rate = json_array();

        for (int s = 0; s < T->seconds; s++)
                json_array_append_new(rate, json_integer((json_int_t)T->by_second[s]));
        return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
                         "executors_compiled", (json_int_t)T->compiled,
                         "executors_freed", (json_int_t)T->freed,
                         "executors_live_final", (json_int_t)T->live_final_count,
                         "executors_freed_at_exit", (json_int_t)T->freed_at_exit,
                         "inherited_executors_freed", (json_int_t)T->inherited_freed,
                         "live_bytes_final", (json_int_t)T->live_final_sum,
                         "peak_bytes", (json_int_t)S->peak_sum,
                         "processes_traced", (json_int_t)S->nprocs,
                         "churn_ratio", T->compiled ? json_real((double)T->churned / (double)T->compiled) : json_null(),
                         "bytes_per_executor", sizes,
                         "never_executable_mappings", (json_int_t)T->never_exec,
                         "writable_executable_mappings", (json_int_t)T->wx,
                         "perf_trampoline_arenas", (json_int_t)T->perf,
                         "churned", (json_int_t)T->churned,
                         "processes_not_followed_to_the_end", (json_int_t)T->streams_cut,
                         "compiles_per_second", rate,
                         "cross_check", cross_check(run_dir, S->t0, S->procs, S->nprocs));
}

static void trace_run_free(struct trace_run *S)
{
        for (size_t k = 0; S->snaps && k < S->nprocs; k++)
                snap_free(&S->snaps[k]);
        free(S->snaps);
        for (size_t i = 0; i < S->nprocs; i++)
                free(S->procs[i].changes);
        free(S->procs);
        if (S->T)
                free(S->T->sizes);
        free(S->T);
}

int jittrace_process(const char *trace_dir, const char *run_dir, uint64_t t0_ns, json_t **ret)
{
        struct trace_run S = { .trace_dir = trace_dir, .t0 = t0_ns };
        char path[4200];
        DIR *d;
        int r;

        S.T = calloc(1, sizeof(*S.T));
        if (!S.T)
                return -ENOMEM;
        d = opendir(trace_dir);
        if (!d) {
                r = -errno;
                goto out;
        }
        snprintf(path, sizeof(path), "%s/events.jsonl", run_dir);
        S.out = fopen(path, "we");
        if (!S.out) {
                r = -errno;
                closedir(d);
                goto out;
        }
        r = find_streams(&S, d);
        S.snaps = calloc(S.nprocs ? S.nprocs : 1, sizeof(*S.snaps));
        if (!S.snaps)
                r = -ENOMEM;
        if (r == 0)
                r = replay_all(&S);
        closedir(d);
        if (fclose(S.out) != 0 && r == 0)
                r = -errno;
        if (r == 0) {
                *ret = summary_json(&S, run_dir);
                if (!*ret)
                        r = -ENOMEM;
        }
out:
        trace_run_free(&S);
        return r;
}
