/* jitshim: an LD_PRELOAD library that records the memory-mapping calls of a program, so that
 * jitmem can count CPython's JIT allocations exactly (jitmem run --trace-jit).
 *
 * It interposes mmap, mmap64, mprotect, munmap and mremap; every call goes on to the real
 * function, resolved once with dlsym(RTLD_NEXT). Calls that may concern anonymous private memory
 * are written, once they return, as one text line each to JITMEM_TRACE_DIR/events.PID:
 *
 *     <begin>+<took> <seq> <tid> <op> <addr> <len> <prot> <flags> <result> <module>\n
 *
 * begin: CLOCK_MONOTONIC ns just before the call, took: ns until it returned (the call took
 * effect within; fork and name lines have one time, of the record); seq: the call's place in the
 * process's order (an atomic counter, taken before munmap and after the others, so that the
 * order is right even when threads race for the same addresses); op: mmap, mprotect, munmap,
 * mremap (for mremap, prot holds the new length, flags its flags and result the new address),
 * name (a prctl(PR_SET_VMA_ANON_NAME): the name follows the module, prot says whether the
 * kernel took it), or fork (the first line of a forked child's stream; prot holds the parent's
 * PID, flags the parent's seq at the fork); addr, len, result in hex; module: where the call came
 * from (E the main program, P a libpython, O anything else).
 *
 * Rules it keeps, since it runs inside somebody else's program:
 *   - never allocates: lines are built in a stack buffer and written with one write(2);
 *   - never takes a lock: the per-process file is opened once per process, its descriptor
 *     published with an atomic compare-and-swap; after fork(), the child notices its new PID
 *     and opens its own file;
 *   - never calls back into the program, and leaves errno as the real call left it;
 *   - if the file cannot be written (jitmem gone, disk full), it stops writing and the
 *     program runs on;
 *   - exec keeps it (LD_PRELOAD is in the environment); unset LD_PRELOAD to remove it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_MODULES 4

typedef void *(*mmap_fn)(void *, size_t, int, int, int, off_t);
typedef int (*mprotect_fn)(void *, size_t, int);
typedef int (*munmap_fn)(void *, size_t);
typedef void *(*mremap_fn)(void *, size_t, size_t, int, ...);
typedef int (*prctl_fn)(int, unsigned long, unsigned long, unsigned long, unsigned long);

static mmap_fn real_mmap, real_mmap64;
static mprotect_fn real_mprotect;
static munmap_fn real_munmap;
static mremap_fn real_mremap;
static prctl_fn real_prctl;

static char trace_dir[512];
static int enabled;
static int trace_fd = -1;   /* the current process's file */
static int trace_pid;       /* the process it belongs to */
static int broken;          /* a write failed: stop */
static int cached_pid;      /* this process's PID, refreshed in a forked child */
static __thread int cached_tid;
static uint64_t sequence;   /* orders the calls of a process: one atomic add per event */
static uint64_t fork_seq;   /* the parent's place in its order at a fork (the child inherits it) */

static void before_fork(void)
{
        fork_seq = __atomic_fetch_add(&sequence, 1, __ATOMIC_SEQ_CST);
}

/* Address ranges of the main program (E) and of libpython (P). */
static struct { uintptr_t lo, hi; char tag; } modules[MAX_MODULES];
static int nmodules;

static int phdr_cb(struct dl_phdr_info *info, size_t size, void *data)
{
        (void)size;
        (void)data;
        const char *name = info->dlpi_name;
        char tag = 0;

        if (!name || !*name)
                tag = 'E';
        else if (strstr(name, "libpython"))
                tag = 'P';
        if (!tag || nmodules == MAX_MODULES)
                return 0;
        uintptr_t lo = UINTPTR_MAX, hi = 0;
        for (int i = 0; i < info->dlpi_phnum; i++) {
                const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
                if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
                        continue;
                uintptr_t a = info->dlpi_addr + ph->p_vaddr;
                if (a < lo)
                        lo = a;
                if (a + ph->p_memsz > hi)
                        hi = a + ph->p_memsz;
        }
        if (hi > lo) {
                modules[nmodules].lo = lo;
                modules[nmodules].hi = hi;
                modules[nmodules].tag = tag;
                nmodules++;
        }
        return 0;
}

struct call;
static void record(const struct call *c, const char *op, uintptr_t addr, uint64_t len, uint64_t a, uint64_t b,
                   uintptr_t result, uintptr_t ra);

/* In a forked child: say so first, with the parent, so that the child's stream starts from the
 * parent's mappings (the child inherits them). */
static void after_fork_child(void)
{
        __atomic_store_n(&cached_pid, (int)syscall(SYS_getpid), __ATOMIC_RELEASE);
        cached_tid = 0; /* the forking thread is the child's only thread: a new TID */
        record(NULL, "fork", 0, 0, (uint64_t)syscall(SYS_getppid), fork_seq, 0, 0);
}

__attribute__((constructor)) static void shim_init(void)
{
        const char *dir = getenv("JITMEM_TRACE_DIR");

        real_mmap = (mmap_fn)dlsym(RTLD_NEXT, "mmap");
        real_mmap64 = (mmap_fn)dlsym(RTLD_NEXT, "mmap64");
        real_mprotect = (mprotect_fn)dlsym(RTLD_NEXT, "mprotect");
        real_munmap = (munmap_fn)dlsym(RTLD_NEXT, "munmap");
        real_mremap = (mremap_fn)dlsym(RTLD_NEXT, "mremap");
        real_prctl = (prctl_fn)dlsym(RTLD_NEXT, "prctl");
        if (!real_mmap64)
                real_mmap64 = real_mmap;
        if (dir && *dir && strlen(dir) < sizeof(trace_dir) - 32) {
                memcpy(trace_dir, dir, strlen(dir) + 1);
                enabled = 1;
        }
        dl_iterate_phdr(phdr_cb, NULL);
        cached_pid = (int)syscall(SYS_getpid);
        if (enabled)
                pthread_atfork(before_fork, NULL, after_fork_child);
}

static char module_of(uintptr_t ra)
{
        for (int i = 0; i < nmodules; i++)
                if (ra >= modules[i].lo && ra < modules[i].hi)
                        return modules[i].tag;
        return 'O';
}

static char *put_dec(char *p, uint64_t v)
{
        char tmp[24];
        int n = 0;

        do
                tmp[n++] = (char)('0' + v % 10);
        while ((v /= 10) != 0);
        while (n > 0)
                *p++ = tmp[--n];
        return p;
}

static char *put_hex(char *p, uint64_t v)
{
        char tmp[20];
        int n = 0;

        do
                tmp[n++] = "0123456789abcdef"[v & 15];
        while ((v >>= 4) != 0);
        while (n > 0)
                *p++ = tmp[--n];
        return p;
}

static char *put_str(char *p, const char *s)
{
        while (*s)
                *p++ = *s++;
        return p;
}

/* The file of this process, opened on first use (again in a forked child). */
static int stream(void)
{
        int pid = __atomic_load_n(&cached_pid, __ATOMIC_ACQUIRE);
        int fd = __atomic_load_n(&trace_fd, __ATOMIC_ACQUIRE);

        if (fd >= 0 && __atomic_load_n(&trace_pid, __ATOMIC_ACQUIRE) == pid)
                return fd;
        char path[sizeof(trace_dir) + 32], *p = put_str(path, trace_dir);
        p = put_str(p, "/events.");
        p = put_dec(p, (uint64_t)pid);
        *p = '\0';
        int nfd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (nfd < 0)
                return -1;
        /* Publish it; a thread that lost the race closes its own. After a fork the old value is
         * the parent's descriptor (inherited): replace it. */
        if (!__atomic_compare_exchange_n(&trace_fd, &fd, nfd, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                if (__atomic_load_n(&trace_pid, __ATOMIC_ACQUIRE) == pid) {
                        syscall(SYS_close, nfd);
                        return __atomic_load_n(&trace_fd, __ATOMIC_ACQUIRE);
                }
                __atomic_store_n(&trace_fd, nfd, __ATOMIC_RELEASE);
        }
        __atomic_store_n(&trace_pid, pid, __ATOMIC_RELEASE);
        return nfd;
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts); /* the vDSO: no system call, no lock */
        return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* A call being timed: when it began, and its place in the order when that is taken before it
 * (munmap). */
struct call {
        uint64_t begin, seq;
        int have_seq;
};

static struct call call_begin(int take_seq)
{
        struct call c = { now_ns(), 0, take_seq };

        if (take_seq)
                c.seq = __atomic_fetch_add(&sequence, 1, __ATOMIC_SEQ_CST);
        return c;
}

static void record_named(const struct call *c, const char *op, uintptr_t addr, uint64_t len, uint64_t a, uint64_t b,
                         uintptr_t result, uintptr_t ra, const char *name);

static void record(const struct call *c, const char *op, uintptr_t addr, uint64_t len, uint64_t a, uint64_t b,
                   uintptr_t result, uintptr_t ra)
{
        record_named(c, op, addr, len, a, b, result, ra, NULL);
}

static void record_named(const struct call *c, const char *op, uintptr_t addr, uint64_t len, uint64_t a, uint64_t b,
                         uintptr_t result, uintptr_t ra, const char *name)
{
        char line[256], *p = line;
        int saved = errno, fd;
        uint64_t end = now_ns();

        if (!enabled || __atomic_load_n(&broken, __ATOMIC_RELAXED))
                return;
        fd = stream();
        if (fd < 0) {
                __atomic_store_n(&broken, 1, __ATOMIC_RELAXED);
                errno = saved;
                return;
        }
        /* The order: an atomic counter, taken before munmap and after the others, so that
         * causality orders the events even where CPUs' clocks differ. The time: when the call
         * began and how long it took, so that when it took effect is known within that. */
        uint64_t seq = c && c->have_seq ? c->seq : __atomic_fetch_add(&sequence, 1, __ATOMIC_SEQ_CST);
        if (cached_tid == 0)
                cached_tid = (int)syscall(SYS_gettid);
        if (c) {
                p = put_dec(p, c->begin);
                *p++ = '+';
                p = put_dec(p, end - c->begin);
        } else {
                p = put_dec(p, end);
        }
        *p++ = ' ';
        p = put_dec(p, seq);
        *p++ = ' ';
        p = put_dec(p, (uint64_t)cached_tid);
        *p++ = ' ';
        p = put_str(p, op);
        *p++ = ' ';
        p = put_hex(p, addr);
        *p++ = ' ';
        p = put_hex(p, len);
        *p++ = ' ';
        p = put_hex(p, a);
        *p++ = ' ';
        p = put_hex(p, b);
        *p++ = ' ';
        p = put_hex(p, result);
        *p++ = ' ';
        *p++ = module_of(ra);
        if (name) {
                /* the name asked for (the kernel may not support naming: it is recorded anyway),
                 * printable and space-free, at most 64 bytes */
                *p++ = ' ';
                for (int i = 0; i < 64 && name[i]; i++)
                        *p++ = (name[i] > ' ' && name[i] < 0x7f) ? name[i] : '_';
        }
        *p++ = '\n';
        if (syscall(SYS_write, fd, line, (size_t)(p - line)) != p - line)
                __atomic_store_n(&broken, 1, __ATOMIC_RELAXED);
        errno = saved;
}

static void *do_mmap(mmap_fn fn, void *addr, size_t len, int prot, int flags, int fd, off_t off, uintptr_t ra)
{
        if (!fn) {
                errno = ENOSYS;
                return MAP_FAILED;
        }
        struct call c = call_begin(0);
        void *r = fn(addr, len, prot, flags, fd, off);
        /* Only anonymous private memory can be JIT code. */
        if ((flags & MAP_ANONYMOUS) && !(flags & MAP_SHARED) && r != MAP_FAILED)
                record(&c, "mmap", (uintptr_t)addr, len, (uint64_t)prot, (uint64_t)flags, (uintptr_t)r, ra);
        return r;
}

EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
        return do_mmap(real_mmap, addr, len, prot, flags, fd, off, (uintptr_t)__builtin_return_address(0));
}

EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
        return do_mmap(real_mmap64, addr, len, prot, flags, fd, off, (uintptr_t)__builtin_return_address(0));
}

EXPORT int mprotect(void *addr, size_t len, int prot)
{
        if (!real_mprotect) {
                errno = ENOSYS;
                return -1;
        }
        struct call c = call_begin(0);
        int r = real_mprotect(addr, len, prot);
        if (r == 0)
                record(&c, "mprotect", (uintptr_t)addr, len, (uint64_t)prot, 0, 0, (uintptr_t)__builtin_return_address(0));
        return r;
}

EXPORT int munmap(void *addr, size_t len)
{
        if (!real_munmap) {
                errno = ENOSYS;
                return -1;
        }
        /* Its place in the order taken before the call: once it returns, another thread may be
         * given the same address by mmap, and that mmap must come later in the order. */
        struct call c = call_begin(1);
        int r = real_munmap(addr, len);
        record(&c, "munmap", (uintptr_t)addr, len, 0, 0, 0, (uintptr_t)__builtin_return_address(0));
        return r;
}

#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

/* prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, addr, len, name) is how CPython names its mappings
 * ("cpython:jit", "cpython:perf_trampoline"): the name tells them apart. */
EXPORT int prctl(int option, ...)
{
        va_list ap;
        unsigned long a2, a3, a4, a5;

        va_start(ap, option);
        a2 = va_arg(ap, unsigned long);
        a3 = va_arg(ap, unsigned long);
        a4 = va_arg(ap, unsigned long);
        a5 = va_arg(ap, unsigned long);
        va_end(ap);
        if (!real_prctl) {
                errno = ENOSYS;
                return -1;
        }
        int r = real_prctl(option, a2, a3, a4, a5);
        if (option == PR_SET_VMA && a2 == PR_SET_VMA_ANON_NAME && a5)
                record_named(NULL, "name", (uintptr_t)a3, a4, (uint64_t)(r == 0), 0, 0,
                             (uintptr_t)__builtin_return_address(0), (const char *)a5);
        return r;
}

EXPORT void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
        void *new_addr = NULL;
        if (flags & MREMAP_FIXED) {
                va_list ap;
                va_start(ap, flags);
                new_addr = va_arg(ap, void *);
                va_end(ap);
        }
        if (!real_mremap) {
                errno = ENOSYS;
                return MAP_FAILED;
        }
        struct call c = call_begin(0);
        void *r = (flags & MREMAP_FIXED) ? real_mremap(old, old_len, new_len, flags, new_addr)
                                         : real_mremap(old, old_len, new_len, flags);
        if (r != MAP_FAILED)
                record(&c, "mremap", (uintptr_t)old, old_len, new_len, (uint64_t)flags, (uintptr_t)r,
                       (uintptr_t)__builtin_return_address(0));
        return r;
}
