/* The sampler against real processes: children, grandchildren, exits, PID reuse, churn, and
 * the exact JIT figures of the jitlike fixture. */
#include "sampler.h"
#include "util.h"
#include "unit.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
        struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static pid_t spawn_sleeper(void)
{
        pid_t p = fork();
        if (p == 0) {
                for (;;)
                        pause();
        }
        return p;
}

static const struct sample *find(const struct sampler_tick *t, int pid)
{
        for (size_t i = 0; i < t->n; i++)
                if (t->samples[i].pid == pid)
                        return &t->samples[i];
        return NULL;
}

static struct sampler *new_sampler(uint64_t heavy_ns)
{
        struct sampler_options o = { .root_pid = getpid(), .include_root = 0, .heavy_interval_ns = heavy_ns };
        struct sampler *s = NULL;
        CHECK_EQ_INT(sampler_new(&o, &s), 0);
        return s;
}

static void test_children_and_exit(void)
{
        pid_t a = spawn_sleeper(), b = spawn_sleeper(), c = spawn_sleeper();
        struct sampler *s = new_sampler(0);
        struct sampler_tick t;

        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        CHECK_EQ_INT(t.n, 3);
        CHECK(t.heavy); /* the first tick is always heavy */
        const struct sample *x = find(&t, b);
        CHECK(x != NULL);
        if (x) {
                CHECK(x->rss > 0 && x->vsz >= x->rss && x->pss > 0 && x->pss <= x->rss);
                CHECK_EQ_INT(x->ppid, getpid());
                CHECK_EQ_U64(x->jit_bytes, 0);
        }
        kill(b, SIGKILL);
        waitpid(b, NULL, 0);
        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        CHECK_EQ_INT(t.n, 2);
        CHECK(find(&t, b) == NULL);
        CHECK_EQ_INT(sampler_nlive(s), 2);
        CHECK_EQ_INT(sampler_nprocs(s), 4); /* the root (this test) and its 3 children */
        kill(a, SIGKILL);
        kill(c, SIGKILL);
        waitpid(a, NULL, 0);
        waitpid(c, NULL, 0);
        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        CHECK_EQ_INT(t.n, 0);
        sampler_free(s);
}

static void test_late_grandchild_with(int scan_proc)
{
        struct sampler_options o = { .root_pid = getpid(), .scan_proc = scan_proc };
        struct sampler *s = NULL;
        CHECK_EQ_INT(sampler_new(&o, &s), 0);
        struct sampler_tick t;
        int pfd[2];
        pid_t child, grandchild = 0;

        CHECK_EQ_INT(pipe(pfd), 0);
        child = fork();
        if (child == 0) {
                sleep_ms(100);
                pid_t g = fork();
                if (g == 0) {
                        for (;;)
                                pause();
                }
                if (write(pfd[1], &g, sizeof(g)) != (ssize_t)sizeof(g))
                        _exit(1);
                for (;;)
                        pause();
        }
        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        CHECK_EQ_INT(t.n, 1);
        CHECK_EQ_INT(read(pfd[0], &grandchild, sizeof(grandchild)), (int)sizeof(grandchild));
        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        CHECK_EQ_INT(t.n, 2);
        const struct sample *g = find(&t, grandchild);
        CHECK(g != NULL);
        if (g)
                CHECK_EQ_INT(g->ppid, child);
        kill(grandchild, SIGKILL);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        close(pfd[0]);
        close(pfd[1]);
        sampler_free(s);
}

/* A PID that comes back as a different process gets a new identity, never the old one's. */
static void test_pid_reuse(void)
{
        struct sampler *s = new_sampler(0);
        struct sampler_tick t;
        pid_t a = spawn_sleeper(), b = -1;
        uint32_t a_index = UINT32_MAX;
        char buf[32];
        int fd;

        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        if (find(&t, a))
                a_index = find(&t, a)->index;
        kill(a, SIGKILL);
        waitpid(a, NULL, 0);
        /* Other processes on the machine may take the PID first: try a few times. */
        for (int attempt = 0; attempt < 20 && b != a; attempt++) {
                if (b > 0) {
                        kill(b, SIGKILL);
                        waitpid(b, NULL, 0);
                        b = -1;
                }
                fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
                if (fd < 0)
                        break;
                int n = snprintf(buf, sizeof(buf), "%d", a - 1);
                if (write(fd, buf, (size_t)n) == n)
                        b = spawn_sleeper();
                close(fd);
        }
        if (b != a) {
                fprintf(stderr, "SKIP test_pid_reuse: cannot force PID reuse here (needs root: /proc/sys/kernel/ns_last_pid)\n");
                if (b > 0) {
                        kill(b, SIGKILL);
                        waitpid(b, NULL, 0);
                }
                sampler_free(s);
                return;
        }
        /* Signalling the old process must never reach the newcomer holding its PID. */
        CHECK_EQ_INT(sampler_signal(s, a_index, SIGKILL), -ESRCH);
        CHECK_EQ_INT(waitpid(b, NULL, WNOHANG), 0); /* b still runs */
        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        const struct sample *x = find(&t, b);
        CHECK(x != NULL);
        if (x)
                CHECK(x->index != a_index);
        CHECK_EQ_INT(sampler_proc(s, a_index)->alive, 0);
        CHECK_EQ_INT(sampler_nprocs(s), 3); /* root, a, b */
        /* ... and signalling the newcomer by its own index does reach it. */
        if (x)
                CHECK_EQ_INT(sampler_signal(s, x->index, SIGKILL), 0);
        int st = 0;
        CHECK_EQ_INT(waitpid(b, &st, 0), b);
        CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
        sampler_free(s);
}

/* Processes born and dying all the time: every sample is whole (never a process with no
 * address space or no name), and no tick fails. */
static void test_churn(void)
{
        struct sampler *s = new_sampler(2000000); /* heavy every 2 ms: the hardest case */
        struct sampler_tick t;
        pid_t churner = fork();
        int bad = 0, errors = 0;
        uint64_t samples = 0, ticks = 0;

        if (churner == 0) {
                struct timespec start, now;
                clock_gettime(CLOCK_MONOTONIC, &start);
                do {
                        pid_t p = fork();
                        if (p == 0) {
                                char *m = malloc(1 << 20);
                                if (m)
                                        memset(m, 1, 1 << 20);
                                sleep_ms(20); /* long enough to be seen on a loaded machine */
                                _exit(0);
                        }
                        if (p > 0)
                                waitpid(p, NULL, 0);
                        clock_gettime(CLOCK_MONOTONIC, &now);
                } while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < 1000000000L);
                _exit(0);
        }
        for (int i = 0; i < 20000; i++) {
                if (sampler_tick(s, 0, &t) < 0) {
                        errors++;
                        continue;
                }
                ticks++;
                for (size_t k = 0; k < t.n; k++) {
                        const struct sample *x = &t.samples[k];
                        samples++;
                        if (x->vsz == 0 || x->rss == 0 || x->comm[0] == '\0' || (x->heavy && x->pss == 0))
                                bad++;
                }
                if (waitpid(churner, NULL, WNOHANG) == churner)
                        break;
                sleep_ms(1);
        }
        CHECK_EQ_INT(errors, 0);
        CHECK_EQ_INT(bad, 0);
        CHECK(samples > ticks); /* the churner's children were seen */
        CHECK(sampler_nprocs(s) > 10);
        kill(churner, SIGKILL);
        waitpid(churner, NULL, 0);
        sampler_free(s);
}

/* The jitlike fixture's JIT regions, exactly; their PSS equals their size when nothing shares them. */
static void test_jitlike_exact(void)
{
        const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
        char path[256];
        int pfd[2];
        pid_t p;
        struct sampler *s = new_sampler(0);
        struct sampler_tick t;
        char ready[16];

        snprintf(path, sizeof(path), "%s/fixtures/jitlike", build);
        CHECK_EQ_INT(pipe(pfd), 0);
        p = fork();
        if (p == 0) {
                dup2(pfd[1], 1);
                execl(path, path, "--regions", "5", "--size", "10000", "--wx", "1", "--hold-ms", "2000", (char *)NULL);
                _exit(127);
        }
        close(pfd[1]);
        CHECK(read(pfd[0], ready, sizeof(ready)) > 0); /* "ready" */
        CHECK_EQ_INT(sampler_tick(s, 1, &t), 0);
        const struct sample *x = find(&t, p);
        CHECK(x != NULL);
        if (x) {
                long page = sysconf(_SC_PAGESIZE);
                uint64_t rounded = (10000 + (uint64_t)page - 1) / (uint64_t)page * (uint64_t)page;
                CHECK_EQ_U64(x->jit_bytes, 5 * rounded);
                CHECK_EQ_INT(x->jit_mappings, 5);
                CHECK_EQ_U64(x->jit_pss, 5 * rounded);
                CHECK_EQ_U64(x->exec_other_bytes, (uint64_t)page);
                CHECK_EQ_INT(x->exec_other_mappings, 1);
                CHECK(strcmp(x->comm, "jitlike") == 0);
                CHECK(strstr(sampler_proc(s, x->index)->cmdline, "--regions 5") != NULL);
                /* The two ways of reading maps (PROCMAP_QUERY where the kernel has it, the text
                 * otherwise) agree exactly. */
                struct sampler_options o = { .root_pid = getpid(), .maps_text = 1 };
                struct sampler *s2 = NULL;
                struct sampler_tick t2;
                CHECK_EQ_INT(sampler_new(&o, &s2), 0);
                CHECK_EQ_INT(sampler_tick(s2, 1, &t2), 0);
                const struct sample *y = find(&t2, p);
                CHECK(y != NULL);
                if (y) {
                        CHECK_EQ_U64(y->jit_bytes, x->jit_bytes);
                        CHECK_EQ_INT(y->jit_mappings, x->jit_mappings);
                        CHECK_EQ_U64(y->exec_other_bytes, x->exec_other_bytes);
                        CHECK_EQ_U64(y->jit_pss, x->jit_pss);
                }
                sampler_free(s2);
        }
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
        close(pfd[0]);
        sampler_free(s);
}

/* Between heavy ticks the walk of executable mappings is skipped while VmExe + VmLib stand
 * still: a region mapped between two cheap ticks must still show at the next one. */
static void test_growth_between_cheap_ticks(void)
{
        const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
        char path[256];
        pid_t p;
        struct sampler *s = new_sampler(3600000000000ULL); /* heavy only at the first tick */
        struct sampler_tick t;
        long page = sysconf(_SC_PAGESIZE);
        uint64_t last = 0;
        int steps = 0;

        snprintf(path, sizeof(path), "%s/fixtures/jitlike", build);
        p = fork();
        if (p == 0) {
                int devnull = open("/dev/null", O_WRONLY);
                dup2(devnull, 1);
                execl(path, path, "--regions", "6", "--size", "4096", "--step-ms", "100", "--hold-ms", "300",
                      (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 60; i++) {
                CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
                const struct sample *x = find(&t, p);
                if (x && x->jit_bytes != last) {
                        steps++;
                        last = x->jit_bytes;
                }
                sleep_ms(15);
        }
        /* Every region was seen as it came, one page at a time (6 regions, 100 ms apart, and a
         * tick every ~15 ms), and the total is exact. */
        CHECK_EQ_U64(last, 6 * (uint64_t)page);
        CHECK(steps >= 5);
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
        sampler_free(s);
}

/* What the sampler's reuse of a walk rests on: a walk of maps sums its executable, non-writable
 * mappings to VmExe + VmLib exactly, with JIT-shaped regions and a W+X one present. */
static void test_walk_matches_status(void)
{
        const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
        char path[256], ready[16], buf[65536];
        int pfd[2];
        pid_t p;

        snprintf(path, sizeof(path), "%s/fixtures/jitlike", build);
        CHECK_EQ_INT(pipe(pfd), 0);
        p = fork();
        if (p == 0) {
                dup2(pfd[1], 1);
                int devnull = open("/dev/null", O_WRONLY);
                dup2(devnull, 2);
                execl(path, path, "--regions", "3", "--size", "8192", "--wx", "1", "--hold-ms", "2000",
                      (char *)NULL);
                _exit(127);
        }
        close(pfd[1]);
        CHECK(read(pfd[0], ready, sizeof(ready)) > 0);
        char file[64];
        snprintf(file, sizeof(file), "/proc/%d/status", (int)p);
        int sfd = open(file, O_RDONLY), r;
        ssize_t n = sfd >= 0 ? pread(sfd, buf, sizeof(buf) - 1, 0) : -1;
        struct procfs_status st;
        CHECK(n > 0 && procfs_parse_status(buf, (size_t)n, &st) == 0);
        snprintf(file, sizeof(file), "/proc/%d/maps", (int)p);
        int mfd = open(file, O_RDONLY);
        struct maps_totals text, query;
        CHECK_EQ_INT(maps_scan(mfd, buf, sizeof(buf), &text), 0);
        CHECK_EQ_U64(text.exec_vm, st.vm_exe + st.vm_lib);
        CHECK_EQ_U64(text.bytes[MAPS_JIT], 3 * 8192);
        r = maps_query_exec(mfd, &query);
        CHECK(r == 0 || r == -ENOTSUP);
        if (r == 0)
                CHECK_EQ_U64(query.exec_vm, st.vm_exe + st.vm_lib);
        close(mfd);
        close(sfd);
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
        close(pfd[0]);
}

/* A JIT-like child driven by the test: 'c' compiles a two-page region (mmap read+write, fill,
 * mprotect read+execute) and answers with its address; 'f' frees every region it holds and
 * answers one byte. */
struct jitchild {
        pid_t pid;
        int cmd, ack;
        uint64_t addr[8];
        int n;
};

static void jitchild_main(int cmd, int ack)
{
        long page = sysconf(_SC_PAGESIZE);
        char *held[8];
        int n = 0;
        char c;

        while (read(cmd, &c, 1) == 1) {
                if (c == 'c' && n < 8) {
                        size_t len = 2 * (size_t)page;
                        char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                        if (m == MAP_FAILED)
                                _exit(1);
                        memset(m, 0xc3, len);
                        if (mprotect(m, len, PROT_READ | PROT_EXEC) < 0)
                                _exit(1);
                        held[n++] = m;
                        uint64_t a = (uint64_t)(uintptr_t)m;
                        if (write(ack, &a, sizeof(a)) != sizeof(a))
                                _exit(1);
                } else if (c == 'f') {
                        for (int i = 0; i < n; i++)
                                munmap(held[i], 2 * (size_t)page);
                        n = 0;
                        if (write(ack, "f", 1) != 1)
                                _exit(1);
                } else {
                        _exit(0);
                }
        }
        _exit(0);
}

static int jitchild_start(struct jitchild *j)
{
        int cmd[2], ack[2];

        memset(j, 0, sizeof(*j));
        if (pipe(cmd) < 0 || pipe(ack) < 0)
                return -1;
        j->pid = fork();
        if (j->pid == 0) {
                close(cmd[1]);
                close(ack[0]);
                jitchild_main(cmd[0], ack[1]);
        }
        close(cmd[0]);
        close(ack[1]);
        j->cmd = cmd[1];
        j->ack = ack[0];
        return j->pid > 0 ? 0 : -1;
}

static void jitchild_compile(struct jitchild *j)
{
        uint64_t a = 0;
        if (write(j->cmd, "c", 1) == 1 && read(j->ack, &a, sizeof(a)) == sizeof(a) && j->n < 8)
                j->addr[j->n++] = a;
}

static void jitchild_free(struct jitchild *j)
{
        char c;
        if (write(j->cmd, "f", 1) == 1 && read(j->ack, &c, 1) == 1)
                j->n = 0;
}

static void jitchild_stop(struct jitchild *j)
{
        close(j->cmd);
        waitpid(j->pid, NULL, 0);
        close(j->ack);
}

/* The test program's own ioctl() and lseek(): the library's calls come here first (a program's
 * definitions come before libc's), so a test can change a child's mappings at an exact point of
 * the sampler's work: as its walk of maps starts (the first PROCMAP_QUERY, or the rewind of the
 * text), or as it asks for the name of an anonymous executable mapping of the child's. */
#ifndef PROCMAP_QUERY
struct procmap_query {
        uint64_t size, query_flags, query_addr, vma_start, vma_end, vma_flags, vma_page_size, vma_offset, inode;
        uint32_t dev_major, dev_minor, vma_name_size, build_id_size;
        uint64_t vma_name_addr, build_id_addr;
};
#define PROCMAP_QUERY _IOWR('f', 17, struct procmap_query)
#endif

enum { HOOK_NONE, HOOK_COMPILE_AT_WALK, HOOK_FREE_AT_NAME };
static int hook;
static struct jitchild *hook_child;

static int is_maps_of(int fd, pid_t pid)
{
        char link[64], target[64], want[64];
        ssize_t n;

        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof(target) - 1);
        if (n < 0)
                return 0;
        target[n] = '\0';
        snprintf(want, sizeof(want), "/proc/%d/maps", (int)pid);
        return strcmp(target, want) == 0;
}

int ioctl(int fd, unsigned long request, ...)
{
        static int (*real)(int, unsigned long, ...);
        va_list ap;
        void *arg;

        va_start(ap, request);
        arg = va_arg(ap, void *);
        va_end(ap);
        if (!real)
                real = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
        if (hook != HOOK_NONE && request == PROCMAP_QUERY && is_maps_of(fd, hook_child->pid)) {
                const struct procmap_query *q = arg;
                if (hook == HOOK_COMPILE_AT_WALK && q->query_addr == 0) {
                        hook = HOOK_NONE;
                        jitchild_compile(hook_child);
                } else if (hook == HOOK_FREE_AT_NAME && q->vma_name_size > 0 && hook_child->n > 0 &&
                           (q->query_addr == hook_child->addr[0] || q->query_addr == hook_child->addr[1])) {
                        hook = HOOK_NONE;
                        jitchild_free(hook_child);
                }
        }
        return real(fd, request, arg);
}

off_t lseek(int fd, off_t offset, int whence)
{
        static off_t (*real)(int, off_t, int);

        if (!real)
                real = (off_t (*)(int, off_t, int))dlsym(RTLD_NEXT, "lseek");
        if (hook == HOOK_COMPILE_AT_WALK && offset == 0 && whence == SEEK_SET && is_maps_of(fd, hook_child->pid)) {
                hook = HOOK_NONE;
                jitchild_compile(hook_child);
        }
        return real(fd, offset, whence);
}

/* The JIT compiles while the sampler walks: status (VmExe + VmLib) was read before the region
 * was made executable, the walk sees it. Then the region is freed, and VmExe + VmLib are back
 * where they were: a walk kept under the count read before it would now be reused, showing a
 * freed region as JIT code until the next forced walk (up to 1 s). The tick after the free must
 * say 0. Both ways of reading maps. */
static void test_walk_never_stale_with(int maps_text)
{
        struct sampler_options o = { .root_pid = getpid(), .heavy_interval_ns = 3600000000000ULL,
                                     .maps_text = maps_text };
        struct sampler *s = NULL;
        struct sampler_tick t;
        struct jitchild j;
        long page = sysconf(_SC_PAGESIZE);
        const struct sample *x;

        CHECK_EQ_INT(jitchild_start(&j), 0);
        CHECK_EQ_INT(sampler_new(&o, &s), 0);
        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0); /* heavy: smaps */
        jitchild_compile(&j);
        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        x = find(&t, j.pid);
        CHECK(x && x->jit_bytes == 2 * (uint64_t)page);
        jitchild_free(&j);
        hook_child = &j;
        hook = HOOK_COMPILE_AT_WALK; /* VmExe + VmLib changed: this tick walks, and a region comes */
        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        CHECK_EQ_INT(hook, HOOK_NONE); /* the hook ran */
        x = find(&t, j.pid);
        CHECK(x != NULL);
        jitchild_free(&j);
        for (int i = 0; i < 3; i++) {
                CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
                x = find(&t, j.pid);
                CHECK(x != NULL);
                if (x)
                        CHECK_EQ_U64(x->jit_bytes, 0);
        }
        CHECK_EQ_INT(sampler_nprocs(s), 2); /* this program (the root) and the child */
        hook = HOOK_NONE;
        sampler_free(s);
        jitchild_stop(&j);
}

/* A region freed between the walk's finding it and its asking for the mapping's name: the walk
 * is made again; the process has not ended, and stays the same entry. */
static void test_walk_region_freed_under_it(void)
{
        struct sampler *s = new_sampler(3600000000000ULL);
        struct sampler_tick t;
        struct jitchild j;
        const struct sample *x;
        uint32_t index = UINT32_MAX;

        CHECK_EQ_INT(jitchild_start(&j), 0);
        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        x = find(&t, j.pid);
        if (x)
                index = x->index;
        jitchild_compile(&j);
        jitchild_compile(&j);
        hook_child = &j;
        hook = HOOK_FREE_AT_NAME;
        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        x = find(&t, j.pid);
        if (hook == HOOK_NONE) { /* PROCMAP_QUERY: the hook ran (the text has no name queries) */
                CHECK(x != NULL);
                if (x) {
                        CHECK_EQ_U64(x->jit_bytes, 0);
                        CHECK_EQ_INT(x->index, index);
                }
                CHECK_EQ_INT(sampler_nprocs(s), 2);
        }
        hook = HOOK_NONE;
        sampler_free(s);
        jitchild_stop(&j);
}

/* Each process row is stamped with the time its mappings were read, give or take half the
 * read: within its tick. */
static void test_sample_times(void)
{
        pid_t a = spawn_sleeper(), b = spawn_sleeper();
        struct sampler *s = new_sampler(0);
        struct sampler_tick t;

        for (int i = 0; i < 5; i++) {
                CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
                CHECK_EQ_INT(t.n, 2);
                for (size_t k = 0; k < t.n; k++)
                        CHECK(t.samples[k].t_ns >= t.t_ns + t.samples[k].t_err_ns &&
                              t.samples[k].t_ns + t.samples[k].t_err_ns <= t.t_ns + t.cost_ns);
                if (t.n == 2)
                        CHECK(t.samples[1].t_ns >= t.samples[0].t_ns);
                sleep_ms(2);
        }
        kill(a, SIGKILL);
        kill(b, SIGKILL);
        waitpid(a, NULL, 0);
        waitpid(b, NULL, 0);
        sampler_free(s);
}

static void test_heavy_cadence(void)
{
        struct sampler *s;
        struct sampler_tick t;
        pid_t a = spawn_sleeper();
        int heavy = 0, gaps_ok = 1;
        uint64_t start = util_now_ns(), last_heavy = 0;

        s = new_sampler(50000000); /* 50 ms */
        for (int i = 0; i < 25; i++) {
                CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
                if (t.heavy) {
                        /* never two heavy ticks closer than the interval */
                        if (heavy > 0 && t.t_ns - last_heavy < 50000000ULL)
                                gaps_ok = 0;
                        last_heavy = t.t_ns;
                        heavy++;
                }
                if (!t.heavy && t.n == 1)
                        CHECK_EQ_U64(t.samples[0].pss, 0); /* not measured on a cheap tick */
                sleep_ms(10);
        }
        /* 25 ticks 10 ms apart or more (a busy machine stretches the sleeps): a heavy tick first,
         * then one each time 50 ms have passed, so no more than the elapsed time allows, and at
         * least every fifth tick. */
        uint64_t elapsed = util_now_ns() - start;
        CHECK(gaps_ok);
        CHECK(heavy >= 5);
        CHECK((uint64_t)heavy <= 1 + elapsed / 50000000ULL);
        kill(a, SIGKILL);
        waitpid(a, NULL, 0);
        sampler_free(s);
}

/* A heavy tick's figures and a cheap tick's, of one process with JIT code: the heavy tick
 * walks smaps (the PSS of JIT code, PSS, USS, and Pss_Anon from the rollup where the kernel
 * has it); the cheap tick that follows reuses the walk's JIT figures and reads no PSS. */
static void test_heavy_then_cheap(void)
{
        const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
        char path[256], ready[16];
        int pfd[2];
        pid_t p;
        struct sampler *s = new_sampler(3600000000000ULL); /* heavy only when forced */
        struct sampler_tick t;

        snprintf(path, sizeof(path), "%s/fixtures/jitlike", build);
        CHECK_EQ_INT(pipe(pfd), 0);
        p = fork();
        if (p == 0) {
                dup2(pfd[1], 1);
                execl(path, path, "--regions", "3", "--size", "8192", "--wx", "1", "--hold-ms", "2000", (char *)NULL);
                _exit(127);
        }
        close(pfd[1]);
        CHECK(read(pfd[0], ready, sizeof(ready)) > 0);
        uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE), rounded = (8192 + page - 1) / page * page;

        CHECK_EQ_INT(sampler_tick(s, 1, &t), 0);
        const struct sample *x = find(&t, p);
        CHECK(x != NULL);
        struct sample heavy;
        memset(&heavy, 0, sizeof(heavy));
        if (x)
                heavy = *x;
        CHECK_EQ_INT(heavy.heavy, 1);
        CHECK_EQ_U64(heavy.jit_bytes, 3 * rounded);
        CHECK_EQ_INT(heavy.jit_mappings, 3);
        CHECK_EQ_U64(heavy.jit_pss, 3 * rounded);
        CHECK(heavy.pss >= heavy.uss && heavy.uss >= heavy.jit_pss && heavy.pss <= heavy.rss);
        if (heavy.have_pss_anon)
                CHECK(heavy.pss_anon >= heavy.jit_pss && heavy.pss_anon <= heavy.pss);
        CHECK_EQ_INT(heavy.pid, p);
        CHECK_EQ_INT(heavy.ppid, getpid());
        CHECK(heavy.threads >= 1);
        CHECK(heavy.rss > 0 && heavy.vsz >= heavy.rss);
        CHECK_STR(heavy.comm, "jitlike");

        CHECK_EQ_INT(sampler_tick(s, 0, &t), 0);
        x = find(&t, p);
        CHECK(x != NULL);
        if (x) {
                CHECK_EQ_INT(x->heavy, 0);
                CHECK_EQ_U64(x->pss, 0);
                CHECK_EQ_U64(x->uss, 0);
                CHECK_EQ_U64(x->jit_pss, 0);
                CHECK_EQ_U64(x->jit_bytes, heavy.jit_bytes);
                CHECK_EQ_INT(x->jit_mappings, heavy.jit_mappings);
                CHECK_EQ_U64(x->exec_other_bytes, heavy.exec_other_bytes);
                CHECK_EQ_INT(x->exec_other_mappings, heavy.exec_other_mappings);
                CHECK_EQ_INT(x->index, heavy.index);
                CHECK(x->t_ns > heavy.t_ns);
                CHECK(x->rss > 0);
        }
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
        close(pfd[0]);
        sampler_free(s);
}

/* Without smaps_rollup (Linux < 4.14), heavy ticks sum smaps instead: the same figures. */
static void test_no_rollup(void)
{
        /* A program of its own (not a fork of this one, whose writes would turn shared pages
         * private in the child between the two reads). */
        pid_t a = fork();
        if (a == 0) {
                execl("/bin/sleep", "sleep", "30", (char *)NULL);
                _exit(127);
        }
        struct sampler_options o1 = { .root_pid = getpid() }, o2 = { .root_pid = getpid(), .no_rollup = 1 };
        struct sampler *s1 = NULL, *s2 = NULL;
        struct sampler_tick t1, t2;

        sleep_ms(50);
        CHECK_EQ_INT(sampler_new(&o1, &s1), 0);
        CHECK_EQ_INT(sampler_new(&o2, &s2), 0);
        CHECK_EQ_INT(sampler_tick(s1, 1, &t1), 0);
        CHECK_EQ_INT(sampler_tick(s2, 1, &t2), 0);
        const struct sample *x = find(&t1, a), *y = find(&t2, a);
        CHECK(x && y);
        if (x && y) {
                CHECK(x->heavy && y->heavy);
                /* USS is the sleeper's own: exact. PSS shares libc with every process on the
                 * machine, which may come and go between the two reads (a busy machine starts
                 * hundreds a second): within 25%, and between USS and RSS. */
                CHECK_EQ_U64(y->uss, x->uss);
                CHECK(y->pss * 100 >= x->pss * 75 && y->pss * 100 <= x->pss * 125);
                CHECK(y->pss >= y->uss && y->pss <= y->rss);
                CHECK(y->pss > 0);
        }
        kill(a, SIGKILL);
        waitpid(a, NULL, 0);
        sampler_free(s1);
        sampler_free(s2);
}

static void test_bad_root(void)
{
        struct sampler_options o = { .root_pid = 0x3ffffff0, .include_root = 1 };
        struct sampler *s = NULL;
        CHECK_EQ_INT(sampler_new(&o, &s), -ESRCH);
        CHECK(s == NULL);
        sampler_free(NULL);
}

/* The tree's anonymous pages from the page tables: a tree of two children sharing a written
 * region counts it once, as the sum of their Pss_Anon does; a tree of one of them (the other
 * outside it) counts the region whole and says that a process outside maps it too, where the
 * sum of Pss_Anon counts half. */
static void test_anon_pages(void)
{
        enum { PAGES = 512 };
        const uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE), region = PAGES * ps;
        int pfd[2];
        pid_t child, grandchild = 0;

        CHECK_EQ_INT(pipe(pfd), 0);
        child = fork();
        if (child == 0) {
                char *m = mmap(NULL, region, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m == MAP_FAILED)
                        _exit(1);
                for (uint64_t i = 0; i < PAGES; i++)
                        m[i * ps] = 1;
                pid_t g = fork();
                if (g == 0)
                        for (;;)
                                pause();
                if (write(pfd[1], &g, sizeof(g)) != (ssize_t)sizeof(g))
                        _exit(1);
                for (;;)
                        pause();
        }
        CHECK(read(pfd[0], &grandchild, sizeof(grandchild)) == (ssize_t)sizeof(grandchild));
        close(pfd[0]);
        close(pfd[1]);

        struct sampler_options o = { .root_pid = child, .include_root = 1, .heavy_interval_ns = 1000000, .anon_pages = 1 };
        struct sampler *s = NULL;
        struct sampler_tick t;
        CHECK_EQ_INT(sampler_new(&o, &s), 0);
        int st = s ? sampler_anon_pages_status(s) : -1;
        if (st == -EPERM) {
                fprintf(stderr, "SKIP test_anon_pages: the kernel does not show PFNs to this user\n");
        } else if (s) {
                CHECK_EQ_INT(st, 0);
                CHECK_EQ_INT(sampler_tick(s, 1, &t), 0);
                CHECK_EQ_INT(t.n, 2);
                CHECK(t.heavy && t.have_anon_pages);
                uint64_t pss_anon = 0;
                for (size_t i = 0; i < t.n; i++)
                        pss_anon += t.samples[i].pss_anon;
                /* both in the tree: counted once, whichever way (what they share with this
                 * test, forked from it, is outside: the region is not) */
                CHECK(t.anon_pages_bytes >= region);
                CHECK(t.anon_pages_bytes + region / 8 >= pss_anon);
                uint64_t both = t.anon_pages_bytes, both_outside = t.anon_outside_bytes;
                sampler_free(s);

                /* the grandchild alone */
                o.root_pid = grandchild;
                CHECK_EQ_INT(sampler_new(&o, &s), 0);
                CHECK_EQ_INT(sampler_tick(s, 1, &t), 0);
                CHECK(t.have_anon_pages);
                CHECK_EQ_U64(t.anon_outside_bytes, 0); /* the first count: outside at two in a row */
                CHECK_EQ_INT(sampler_tick(s, 1, &t), 0);
                CHECK_EQ_INT(t.n, 1);
                CHECK(t.have_anon_pages);
                CHECK(t.anon_pages_bytes >= region && t.anon_pages_bytes < both);
                CHECK(t.anon_outside_bytes >= both_outside + region);
                if (t.n == 1) /* Pss_Anon gives it half of the region */
                        CHECK(t.samples[0].pss_anon + region / 4 <= t.anon_pages_bytes);
        }
        sampler_free(s);

        /* not asked for */
        o.anon_pages = 0;
        CHECK_EQ_INT(sampler_new(&o, &s), 0);
        if (s) {
                CHECK_EQ_INT(sampler_anon_pages_status(s), -ENOTSUP);
                CHECK_EQ_INT(sampler_tick(s, 1, &t), 0);
                CHECK(t.heavy && !t.have_anon_pages);
        }
        sampler_free(s);
        kill(grandchild, SIGKILL);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
}

int main(void)
{
        test_anon_pages();
        test_children_and_exit();
        test_late_grandchild_with(0);
        test_late_grandchild_with(1); /* kernels without children files: a /proc scan */
        test_pid_reuse();
        test_churn();
        test_jitlike_exact();
        test_heavy_cadence();
        test_growth_between_cheap_ticks();
        test_walk_matches_status();
        test_walk_never_stale_with(0);
        test_walk_never_stale_with(1); /* maps as text */
        test_walk_region_freed_under_it();
        test_sample_times();
        test_bad_root();
        test_heavy_then_cheap();
        test_no_rollup();
        return unit_finish("test_sampler");
}
