/* A tree's anonymous memory with each physical page counted once, read from the page tables.
 *
 * /proc/PID/pagemap gives, for every virtual page of a process, whether it is present, whether
 * it is a file page (or shared anonymous memory, shmem), whether it is mapped exactly once in
 * the whole system ("exclusive", Linux 4.2+) and, to CAP_SYS_ADMIN only, its physical frame
 * number (PFN). /proc/kpagecount gives, per PFN, how many times the page is mapped.
 *
 * The count: every present private anonymous page of every process added (copy-on-write pages
 * of private file mappings included, as in the kernel's Anonymous and Pss_Anon), an exclusive
 * page counted at once, a shared one through its PFN, so that a page several processes map
 * counts once. Pages that are mapped more often than the tree's processes map them are also
 * mapped by processes outside the tree (a pre-fork parent that is not in the tree, KSM): they
 * are counted, and counted apart as `outside`. A shared frame that kpagecount says is mapped
 * nowhere is not a page the kernel counts mappings of (the zero page, a raw PFN mapping): it
 * is left out, as smaps leaves it out of Pss_Anon. Nothing that happens outside the tree moves
 * the count, unlike PSS, which divides a shared page among whoever maps it at the moment.
 *
 * What it is not: swapped-out pages are not counted (nor are they in Pss_Anon), and a page
 * mapped twice in one process that the kernel still calls exclusive (part of a huge page, on
 * kernels that track mappings per huge page) would count twice. On those kernels kpagecount
 * of a huge page's part is the average over the huge page, so `outside` is approximate there.
 *
 * Without CAP_SYS_ADMIN the kernel hides PFNs (they read 0): anonpages_new() then fails with
 * -EPERM, and the caller falls back to the sum of Pss_Anon, which is the same count as long as
 * no process outside the tree shares the tree's anonymous pages. */
#ifndef JITMEM_ANONPAGES_H
#define JITMEM_ANONPAGES_H

#include <stddef.h>
#include <stdint.h>

/* Bits of a pagemap entry (Documentation/admin-guide/mm/pagemap.rst). */
#define ANONPAGES_PM_PFN_MASK ((UINT64_C(1) << 55) - 1)
#define ANONPAGES_PM_EXCLUSIVE (UINT64_C(1) << 56)
#define ANONPAGES_PM_FILE (UINT64_C(1) << 61) /* file page or shared anonymous */
#define ANONPAGES_PM_SWAP (UINT64_C(1) << 62)
#define ANONPAGES_PM_PRESENT (UINT64_C(1) << 63)

/* Bounds: distinct shared pages remembered in one count (2 Mi: 8 GiB of 4 KiB pages, in a
 * table of at most 64 MiB), and pagemap entries read of one process (8 Mi: 32 GiB): every page
 * of its small private mappings, and of the large ones the present anonymous pages that
 * PAGEMAP_SCAN finds (Linux 6.7+; every page on older kernels, so that the bound is then on
 * the address space). A count that would pass either fails with -E2BIG. */
#define ANONPAGES_MAX_SHARED (UINT64_C(1) << 21)
#define ANONPAGES_MAX_VPAGES (UINT64_C(1) << 23)

struct anonpages_result {
        uint64_t pages;         /* distinct present anonymous pages */
        uint64_t shared_pages;  /* ... of which mapped more than once (in the tree or out) */
        uint64_t outside_pages; /* ... of which mapped by processes outside the tree too */
        uint64_t processes;     /* processes added */
        uint64_t page_size;
};

/* Reads the entries of /proc/kpagecount for pfn .. pfn+n-1 into out[0..n), for anonpages_end();
 * tests give their own. Returns 0 or -errno. */
typedef int (*anonpages_kpage_fn)(void *ctx, uint64_t pfn, uint64_t *out, size_t n);

struct anonpages;

/* Opens /proc/kpagecount and checks that pagemap shows PFNs (on a page of
 * jitmem's own). Returns 0 and *ret, -EPERM when PFNs are hidden (not CAP_SYS_ADMIN), -ENOENT
 * when the kernel has no pagemap (CONFIG_PROC_PAGE_MONITOR), or -errno. */
int anonpages_new(struct anonpages **ret);

/* The same, reading kpagecount through fn (for tests). */
int anonpages_new_with(anonpages_kpage_fn fn, void *ctx, struct anonpages **ret);

void anonpages_free(struct anonpages *a);

/* Whether to find the present pages of large mappings with the PAGEMAP_SCAN ioctl (Linux 6.7+;
 * the default, until the kernel says it lacks it) or to read the entry of every page of every
 * mapping, as on older kernels (0: for tests). */
void anonpages_set_scan(struct anonpages *a, int scan);

/* Starts a count. */
void anonpages_begin(struct anonpages *a);

/* Adds the process whose /proc/PID directory is open at proc_dirfd: its maps, then the pagemap
 * of each private mapping. Returns 0, -ESRCH when the process is gone, -E2BIG past a bound, or
 * -errno; after a failure the count is to be abandoned (anonpages_begin() starts another). */
int anonpages_add_process(struct anonpages *a, int proc_dirfd);

/* Adds pagemap entries of one process (what anonpages_add_process() reads). Each entry is one
 * virtual page; a process's entries may come in several calls, ended by anonpages_end_process(). */
int anonpages_add_entries(struct anonpages *a, const uint64_t *entries, size_t n);
void anonpages_end_process(struct anonpages *a);

/* Ends the count: looks up the shared pages' mapping counts. Returns 0 and *ret,
 * or -errno. */
int anonpages_end(struct anonpages *a, struct anonpages_result *ret);

#endif
