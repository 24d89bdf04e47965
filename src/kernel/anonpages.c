#include "anonpages.h"
#include "kfile.h"
#include "maps.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* PAGEMAP_SCAN, from Linux 6.7's include/uapi/linux/fs.h, under names of jitmem's own (headers
 * that have it define the same ioctl under the kernel's). */
struct pm_scan_region {
        uint64_t start, end, categories;
};
struct pm_scan_args {
        uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
        uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PM_PAGEMAP_SCAN _IOWR('f', 16, struct pm_scan_args)
#define PM_PAGE_IS_FILE (1 << 2)
#define PM_PAGE_IS_PRESENT (1 << 3)
#define PM_PAGE_IS_PFNZERO (1 << 5)

#define CHUNK 4096          /* pagemap entries read at once (32 KiB) */
#define KPAGE_SPAN 512      /* shared pages this close together are looked up in one read */
#define MAX_RANGES 262144   /* private mappings read from one process (max_map_count is 65,530) */
#define MAPS_BUF (64 * 1024)
#define SCAN_VEC 256        /* regions asked of PAGEMAP_SCAN at once */
#define SCAN_MIN_PAGES 4096 /* mappings larger than this (16 MiB of 4 KiB pages) are scanned */

struct range {
        uint64_t start, end;
};

/* A shared page: its PFN (+1, so that 0 marks an empty slot) and how often the tree maps it. */
struct slot {
        uint64_t key;
        uint32_t count;
};

struct anonpages {
        anonpages_kpage_fn kpage;
        void *kpage_ctx;
        int fd_count;
        uint64_t page_size;
        /* the count under way */
        uint64_t exclusive, processes;
        struct slot *slots;
        size_t cap, used; /* cap: a power of two, or 0 */
        /* scratch */
        uint64_t *chunk;
        struct range *ranges;
        size_t nranges, ranges_cap;
        int too_many;
        char *maps_buf;
        int scan;           /* PAGEMAP_SCAN is tried (until the kernel says it lacks it) */
};

static int kpage_pread(void *ctx, uint64_t pfn, uint64_t *out, size_t n)
{
        const struct anonpages *a = ctx;
        int fd = a->fd_count;
        size_t want = n * sizeof(uint64_t);
        ssize_t got;

        if (pfn > (UINT64_MAX >> 4))
                return -EINVAL;
        do
                got = pread(fd, out, want, (off_t)(pfn * sizeof(uint64_t)));
        while (got < 0 && errno == EINTR);
        if (got < 0)
                return -errno;
        return (size_t)got == want ? 0 : -EIO;
}

static void free_scratch(struct anonpages *a)
{
        free(a->slots);
        free(a->chunk);
        free(a->ranges);
        free(a->maps_buf);
}

int anonpages_new_with(anonpages_kpage_fn fn, void *ctx, struct anonpages **ret)
{
        struct anonpages *a = calloc(1, sizeof(*a));
        long ps = sysconf(_SC_PAGESIZE);

        if (!a)
                return -ENOMEM;
        a->fd_count = -1;
        a->kpage = fn ? fn : kpage_pread;
        a->kpage_ctx = fn ? ctx : a;
        a->page_size = ps > 0 ? (uint64_t)ps : 4096;
        a->scan = 1;
        a->chunk = malloc(CHUNK * sizeof(uint64_t));
        a->maps_buf = malloc(MAPS_BUF);
        if (!a->chunk || !a->maps_buf) {
                anonpages_free(a);
                return -ENOMEM;
        }
        *ret = a;
        return 0;
}

int anonpages_new(struct anonpages **ret)
{
        struct anonpages *a;
        volatile char probe[1];
        uint64_t e = 0;
        ssize_t n;
        int fd, r;

        r = anonpages_new_with(NULL, NULL, &a);
        if (r < 0)
                return r;
        /* A page of jitmem's own stack, present by now: its entry shows a PFN unless hidden. */
        probe[0] = 1;
        fd = kfile_open_local("/proc/self/pagemap", 0);
        if (fd < 0) {
                anonpages_free(a);
                return fd;
        }
        do
                n = pread(fd, &e, sizeof(e), (off_t)(((uintptr_t)probe / a->page_size) * sizeof(e)));
        while (n < 0 && errno == EINTR);
        r = n < 0 ? -errno : 0;
        close(fd);
        if (r == 0 && n != (ssize_t)sizeof(e))
                r = -EIO;
        if (r == 0 && (!(e & ANONPAGES_PM_PRESENT) || (e & ANONPAGES_PM_PFN_MASK) == 0))
                r = -EPERM;
        if (r == 0) {
                a->fd_count = kfile_open("/proc/kpagecount", 0);
                if (a->fd_count < 0)
                        r = a->fd_count;
        }
        if (r < 0) {
                anonpages_free(a);
                return r;
        }
        *ret = a;
        return 0;
}

void anonpages_free(struct anonpages *a)
{
        if (!a)
                return;
        if (a->fd_count >= 0)
                close(a->fd_count);
        free_scratch(a);
        free(a);
}

void anonpages_set_scan(struct anonpages *a, int scan)
{
        a->scan = scan;
}

void anonpages_begin(struct anonpages *a)
{
        a->exclusive = a->processes = 0;
        if (a->cap > 0)
                memset(a->slots, 0, a->cap * sizeof(*a->slots));
        a->used = 0;
}

static size_t slot_of(uint64_t key, size_t cap)
{
        key ^= key >> 33; /* murmur3's finalizer: PFNs are dense, the table is a power of two */
        key *= UINT64_C(0xff51afd7ed558ccd);
        key ^= key >> 33;
        return (size_t)key & (cap - 1);
}

static int grow(struct anonpages *a)
{
        size_t cap = a->cap ? a->cap * 2 : 65536;
        struct slot *s = calloc(cap, sizeof(*s));

        if (!s)
                return -ENOMEM;
        for (size_t i = 0; i < a->cap; i++) {
                if (!a->slots[i].key)
                        continue;
                size_t j = slot_of(a->slots[i].key, cap);
                while (s[j].key)
                        j = (j + 1) & (cap - 1);
                s[j] = a->slots[i];
        }
        free(a->slots);
        a->slots = s;
        a->cap = cap;
        return 0;
}

static int add_shared(struct anonpages *a, uint64_t pfn)
{
        uint64_t key = pfn + 1;
        size_t j;

        if (a->used + 1 > a->cap / 2) {
                if (a->used >= ANONPAGES_MAX_SHARED)
                        return -E2BIG;
                int r = grow(a);
                if (r < 0)
                        return r;
        }
        j = slot_of(key, a->cap);
        while (a->slots[j].key && a->slots[j].key != key)
                j = (j + 1) & (a->cap - 1);
        if (!a->slots[j].key) {
                a->slots[j].key = key;
                a->used++;
        }
        if (a->slots[j].count < UINT32_MAX)
                a->slots[j].count++;
        return 0;
}

int anonpages_add_entries(struct anonpages *a, const uint64_t *entries, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                uint64_t e = entries[i];
                if (!(e & ANONPAGES_PM_PRESENT) || (e & ANONPAGES_PM_FILE))
                        continue;
                if (e & ANONPAGES_PM_EXCLUSIVE) {
                        a->exclusive++; /* mapped once in the whole system: no need of its PFN */
                        continue;
                }
                int r = add_shared(a, e & ANONPAGES_PM_PFN_MASK);
                if (r < 0)
                        return r;
        }
        return 0;
}

void anonpages_end_process(struct anonpages *a)
{
        a->processes++;
}

static int range_line(const char *line, size_t len, void *userdata)
{
        struct anonpages *a = userdata;
        struct maps_entry m;

        if (maps_parse_line(line, len, &m) < 0)
                return -EAGAIN;
        if (m.perms[3] != 'p' || m.end <= m.start)
                return 0; /* shared: its pages are file pages or shmem, never private anonymous */
        if (m.name_len == 10 && memcmp(m.name, "[vsyscall]", 10) == 0)
                return 0; /* above the address space: pagemap does not reach it */
        if (a->nranges == a->ranges_cap) {
                if (a->ranges_cap >= MAX_RANGES) {
                        a->too_many = 1;
                        return 1;
                }
                struct range *r = util_grow(a->ranges, &a->ranges_cap, a->nranges + 1, sizeof(*r), 256);
                if (!r)
                        return -ENOMEM;
                a->ranges = r;
        }
        a->ranges[a->nranges].start = m.start;
        a->ranges[a->nranges].end = m.end;
        a->nranges++;
        return 0;
}

/* Reads the pagemap entries of pages [p, end) and adds them. Returns 0 or -errno. */
static int read_entries(struct anonpages *a, int pm, uint64_t p, uint64_t end)
{
        while (p < end) {
                size_t want = end - p < CHUNK ? (size_t)(end - p) : CHUNK;
                ssize_t got;
                do
                        got = pread(pm, a->chunk, want * sizeof(uint64_t), (off_t)(p * sizeof(uint64_t)));
                while (got < 0 && errno == EINTR);
                if (got < 0)
                        return errno == ENOENT ? -ESRCH : -errno;
                if (got == 0)
                        return 0; /* the address space ended (the process is exiting) */
                size_t n = (size_t)got / sizeof(uint64_t);
                int r = anonpages_add_entries(a, a->chunk, n);
                if (r < 0)
                        return r;
                p += n;
        }
        return 0;
}

/* Adds the present anonymous pages of [start, end) (bytes), found with the PAGEMAP_SCAN ioctl
 * (Linux 6.7+), which walks the page tables without a word for holes and file pages: the
 * entries of those pages only are then read. *pages counts them. Returns 0, -ENOTSUP when the
 * kernel lacks the ioctl, -E2BIG past the bound, or -errno. */
static int scan_range(struct anonpages *a, int pm, uint64_t start, uint64_t end, uint64_t *pages)
{
        struct pm_scan_region v[SCAN_VEC];

        while (start < end) {
                struct pm_scan_args arg;
                memset(&arg, 0, sizeof(arg));
                arg.size = sizeof(arg);
                arg.start = start;
                arg.end = end;
                arg.vec = (uint64_t)(uintptr_t)v;
                arg.vec_len = SCAN_VEC;
                arg.category_mask = PM_PAGE_IS_PRESENT | PM_PAGE_IS_FILE | PM_PAGE_IS_PFNZERO;
                arg.category_inverted = PM_PAGE_IS_FILE | PM_PAGE_IS_PFNZERO;
                arg.return_mask = PM_PAGE_IS_PRESENT;
                long n = ioctl(pm, PM_PAGEMAP_SCAN, &arg);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == ENOTTY || errno == EINVAL || errno == EOPNOTSUPP ? -ENOTSUP
                               : errno == ENOENT                                  ? -ESRCH
                                                                                  : -errno;
                }
                for (long i = 0; i < n; i++) {
                        *pages += (v[i].end - v[i].start) / a->page_size;
                        if (*pages > ANONPAGES_MAX_VPAGES)
                                return -E2BIG;
                        int r = read_entries(a, pm, v[i].start / a->page_size, v[i].end / a->page_size);
                        if (r < 0)
                                return r;
                }
                if (arg.walk_end <= start || arg.walk_end >= end)
                        break; /* done (or a kernel that says nothing of where it stopped) */
                start = arg.walk_end;
        }
        return 0;
}

int anonpages_add_process(struct anonpages *a, int proc_dirfd)
{
        uint64_t pages = 0;
        int fd, pm, r;

        fd = kfile_openat(proc_dirfd, "maps");
        if (fd < 0)
                return fd;
        a->nranges = 0;
        a->too_many = 0;
        r = kfile_scan_lines(fd, a->maps_buf, MAPS_BUF, range_line, a);
        close(fd);
        if (r < 0)
                return r;
        if (a->too_many)
                return -E2BIG;
        pm = kfile_openat(proc_dirfd, "pagemap");
        if (pm < 0)
                return pm;
        for (size_t i = 0; i < a->nranges && r >= 0; i++) {
                uint64_t n = (a->ranges[i].end - a->ranges[i].start) / a->page_size;
                /* A large mapping (a reservation, a sanitizer's shadow) is mostly holes: the
                 * ioctl finds its pages. Reading a small one's every entry costs less. */
                if (a->scan && n > SCAN_MIN_PAGES) {
                        r = scan_range(a, pm, a->ranges[i].start, a->ranges[i].end, &pages);
                        if (r != -ENOTSUP)
                                continue;
                        a->scan = 0;
                }
                pages += n;
                if (pages > ANONPAGES_MAX_VPAGES) {
                        r = -E2BIG;
                        break;
                }
                r = read_entries(a, pm, a->ranges[i].start / a->page_size, a->ranges[i].end / a->page_size);
        }
        close(pm);
        if (r < 0)
                return r;
        anonpages_end_process(a);
        return 0;
}

static int cmp_slot(const void *x, const void *y)
{
        uint64_t a = ((const struct slot *)x)->key, b = ((const struct slot *)y)->key;
        return a < b ? -1 : a > b;
}

int anonpages_end(struct anonpages *a, struct anonpages_result *ret)
{
        uint64_t count[KPAGE_SPAN];
        uint64_t pages = a->exclusive, shared = 0, outside = 0;
        size_t n = 0;

        /* The shared pages, in PFN order, packed at the table's start. */
        for (size_t i = 0; i < a->cap; i++)
                if (a->slots[i].key)
                        a->slots[n++] = a->slots[i];
        if (n > 0)
                qsort(a->slots, n, sizeof(*a->slots), cmp_slot);
        for (size_t i = 0; i < n;) {
                uint64_t first = a->slots[i].key - 1;
                size_t j = i;
                while (j < n && a->slots[j].key - 1 - first < KPAGE_SPAN)
                        j++;
                size_t span = (size_t)(a->slots[j - 1].key - 1 - first) + 1;
                int r = a->kpage(a->kpage_ctx, first, count, span);
                if (r < 0) {
                        anonpages_begin(a); /* the table was reordered: start afresh */
                        return r;
                }
                for (; i < j; i++) {
                        size_t k = (size_t)(a->slots[i].key - 1 - first);
                        /* mapped nowhere by the kernel's count: the zero page, a raw PFN mapping */
                        if (count[k] == 0)
                                continue;
                        pages++;
                        if (count[k] > 1 || a->slots[i].count > 1)
                                shared++;
                        if (count[k] > a->slots[i].count)
                                outside++;
                }
        }
        ret->pages = pages;
        ret->shared_pages = shared;
        ret->outside_pages = outside;
        ret->processes = a->processes;
        ret->page_size = a->page_size;
        anonpages_begin(a);
        return 0;
}
