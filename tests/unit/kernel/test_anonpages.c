/* Unit tests for src/kernel/anonpages.c: the count from pagemap entries and a made-up kpagecount
 * (exclusive pages, pages shared in the tree and with processes outside it, the zero
 * page, pages that are not anonymous, absent and file pages, the bound on shared pages), then
 * on real processes (root only: the kernel hides PFNs from others): a parent and a child
 * sharing a written region count it once, the child alone sees it shared with a process
 * outside, copy-on-write after the child writes it, a process that has ended. */
#include "anonpages.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PRESENT ANONPAGES_PM_PRESENT
#define EXCL ANONPAGES_PM_EXCLUSIVE
#define FILEPG ANONPAGES_PM_FILE

/* PFN 5000 is the zero page, 7000 a raw PFN mapping (the kernel counts no mapping of either);
 * PFN 101 is mapped 3 times, every other PFN twice (see test_count). */
static int fake_calls;
static int fake_kpage(void *ctx, uint64_t pfn, uint64_t *out, size_t n)
{
        (void)ctx;
        fake_calls++;
        for (size_t i = 0; i < n; i++) {
                uint64_t p = pfn + i;
                out[i] = p == 101 ? 3 : p == 5000 || p == 7000 ? 0 : 2;
        }
        return 0;
}

static void test_count(void)
{
        struct anonpages *a;
        struct anonpages_result res;
        uint64_t p1[] = { PRESENT | EXCL | 1, PRESENT | EXCL | 2, PRESENT | EXCL | 3, 0, ANONPAGES_PM_SWAP,
                          PRESENT | FILEPG | 4, PRESENT | 100, PRESENT | 101, PRESENT | 5000, PRESENT | 7000 };
        uint64_t p2[] = { PRESENT | 100, PRESENT | 101, PRESENT | 5000 };

        CHECK_EQ_INT(anonpages_new_with(fake_kpage, NULL, &a), 0);
        anonpages_begin(a);
        CHECK_EQ_INT(anonpages_add_entries(a, p1, 6), 0); /* one process in two calls */
        CHECK_EQ_INT(anonpages_add_entries(a, p1 + 6, 4), 0);
        anonpages_end_process(a);
        CHECK_EQ_INT(anonpages_add_entries(a, p2, 3), 0);
        anonpages_end_process(a);
        CHECK_EQ_INT(anonpages_end(a, &res), 0);
        /* 3 exclusive + 100 and 101 once each; not the zero page, 7000, absent, swapped or file */
        CHECK_EQ_U64(res.pages, 5);
        CHECK_EQ_U64(res.shared_pages, 2);
        CHECK_EQ_U64(res.outside_pages, 1); /* 101: mapped 3 times, twice in the tree */
        CHECK_EQ_U64(res.processes, 2);
        CHECK(res.page_size >= 4096);

        /* The same again: end() started a fresh count. Then one process alone: both shared
         * pages are mapped by someone outside. */
        anonpages_begin(a);
        CHECK_EQ_INT(anonpages_add_entries(a, p2, 3), 0);
        anonpages_end_process(a);
        CHECK_EQ_INT(anonpages_end(a, &res), 0);
        CHECK_EQ_U64(res.pages, 2);
        CHECK_EQ_U64(res.outside_pages, 2);
        CHECK_EQ_U64(res.processes, 1);

        /* Close PFNs are looked up together: 1,000 pages in one lookup per span of 512. */
        uint64_t *many = malloc(1000 * sizeof(*many));
        CHECK(many != NULL);
        if (many) {
                for (int i = 0; i < 1000; i++)
                        many[i] = PRESENT | (uint64_t)(9000 + i);
                anonpages_begin(a);
                CHECK_EQ_INT(anonpages_add_entries(a, many, 1000), 0);
                CHECK_EQ_INT(anonpages_add_entries(a, many, 1000), 0);
                fake_calls = 0;
                CHECK_EQ_INT(anonpages_end(a, &res), 0);
                CHECK_EQ_U64(res.pages, 1000);
                CHECK_EQ_U64(res.outside_pages, 0);
                CHECK_EQ_INT(fake_calls, 2);
                free(many);
        }

        /* More distinct shared pages than the bound: refused, never a partial count. */
        anonpages_begin(a);
        int r = 0;
        for (uint64_t p = 0; p <= ANONPAGES_MAX_SHARED && r == 0; p++) {
                uint64_t e = PRESENT | (p * 7 + 1);
                r = anonpages_add_entries(a, &e, 1);
        }
        CHECK_EQ_INT(r, -E2BIG);
        anonpages_begin(a);
        anonpages_free(a);
        anonpages_free(NULL);
}

#define SPREAD 80

/* A child that writes `pages` pages of a mapping (one in SPREAD), forks a grandchild and
 * reports both PIDs; the grandchild writes the region again (copy-on-write) when told, and both
 * wait to be killed. */
struct pair {
        pid_t parent, child;
        int go_fd;
};

static int start_pair(size_t pages, size_t page_size, struct pair *p)
{
        int pids[2], go[2];
        if (pipe(pids) < 0 || pipe(go) < 0)
                return -errno;
        pid_t c = fork();
        if (c < 0)
                return -errno;
        if (c == 0) {
                /* one page in SPREAD of a mapping over 16 MiB: PAGEMAP_SCAN finds them */
                char *m = mmap(NULL, pages * SPREAD * page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (m == MAP_FAILED)
                        _exit(1);
                for (size_t i = 0; i < pages; i++)
                        m[i * SPREAD * page_size] = (char)(i + 1);
                pid_t g = fork();
                if (g == 0) {
                        char x;
                        if (read(go[0], &x, 1) == 1)
                                for (size_t i = 0; i < pages; i++)
                                        m[i * SPREAD * page_size] = (char)(i + 2);
                        for (;;)
                                pause();
                }
                pid_t both[2] = { getpid(), g };
                if (write(pids[1], both, sizeof(both)) != (ssize_t)sizeof(both))
                        _exit(1);
                for (;;)
                        pause();
        }
        pid_t both[2];
        if (read(pids[0], both, sizeof(both)) != (ssize_t)sizeof(both))
                return -EIO;
        close(pids[0]);
        close(pids[1]);
        close(go[0]);
        p->parent = both[0];
        p->child = both[1];
        p->go_fd = go[1];
        return 0;
}

static int dir_of(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d", (int)pid);
        return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static int count(struct anonpages *a, const int *dirs, int n, struct anonpages_result *res)
{
        anonpages_begin(a);
        for (int i = 0; i < n; i++) {
                int r = anonpages_add_process(a, dirs[i]);
                if (r < 0)
                        return r;
        }
        return anonpages_end(a, res);
}

static void test_processes(void)
{
        struct anonpages *a;
        struct anonpages_result both, parent, child, after;
        struct pair p = { 0, 0, -1 };
        const size_t pages = 256;
        int r = anonpages_new(&a);

        if (r == -EPERM || r == -ENOENT || r == -EACCES) {
                fprintf(stderr, "SKIP test_processes: the kernel does not show PFNs to this user (%s)\n", strerror(-r));
                return;
        }
        CHECK_EQ_INT(r, 0);
        if (r < 0)
                return;
        r = start_pair(pages, (size_t)sysconf(_SC_PAGESIZE), &p);
        CHECK_EQ_INT(r, 0);
        if (r < 0) {
                anonpages_free(a);
                return;
        }
        int dirs[2] = { dir_of(p.parent), dir_of(p.child) };
        CHECK(dirs[0] >= 0 && dirs[1] >= 0);

        /* Until the two settle (the grandchild may still be on its way into read(), its
         * stack breaking copy-on-write, on a loaded machine): two counts in a row alike. */
        struct anonpages_result again;
        CHECK_EQ_INT(count(a, dirs, 2, &both), 0);
        for (int i = 0; i < 200; i++) {
                usleep(10000);
                if (count(a, dirs, 2, &again) < 0 || (again.pages == both.pages && again.shared_pages == both.shared_pages))
                        break;
                both = again;
        }
        CHECK_EQ_INT(count(a, dirs, 1, &parent), 0);
        CHECK_EQ_INT(count(a, dirs + 1, 1, &child), 0);
        /* every page's entry read, as on kernels without PAGEMAP_SCAN: the same count as the
         * counts with PAGEMAP_SCAN just before and after it, when those two agree (under ASan
         * the children's address space is 20 TiB, past the bound for reading every entry) */
        struct anonpages_result plain, before, after_plain;
        int compared = 0;
        for (int i = 0; i < 20 && !compared; i++) {
                CHECK_EQ_INT(count(a, dirs, 2, &before), 0);
                anonpages_set_scan(a, 0);
                r = count(a, dirs, 2, &plain);
                anonpages_set_scan(a, 1);
                if (r == -E2BIG) {
                        fprintf(stderr, "SKIP the count without PAGEMAP_SCAN: the address space is past its bound here (ASan)\n");
                        compared = -1;
                        break;
                }
                CHECK_EQ_INT(r, 0);
                CHECK_EQ_INT(count(a, dirs, 2, &after_plain), 0);
                if (memcmp(&before, &after_plain, sizeof(before)) != 0)
                        continue; /* the processes moved meanwhile: again */
                compared = 1;
                CHECK_EQ_U64(plain.pages, before.pages);
                CHECK_EQ_U64(plain.shared_pages, before.shared_pages);
                CHECK_EQ_U64(plain.outside_pages, before.outside_pages);
        }
        CHECK(compared != 0);
        CHECK_EQ_U64(both.processes, 2);
        /* the region (and whatever else the fork shared) counted once for the two */
        CHECK(parent.pages + child.pages >= both.pages + pages);
        CHECK(both.pages >= pages);
        CHECK(both.shared_pages >= pages);
        /* alone, each shares the region with a process outside (the other) */
        CHECK(child.outside_pages >= pages);
        CHECK(parent.outside_pages >= pages);
        /* together, the region is the tree's own: only what they share with this test process
         * (forked from it) is outside, and that is not the region */
        CHECK(both.outside_pages + pages <= child.outside_pages);

        /* The child writes the region: copy-on-write gives it pages of its own. */
        CHECK_EQ_INT(write(p.go_fd, "x", 1), 1);
        int grew = 0;
        for (int i = 0; i < 200 && !grew; i++) {
                CHECK_EQ_INT(count(a, dirs, 2, &after), 0);
                grew = after.pages >= both.pages + pages;
                if (!grew)
                        usleep(10000);
        }
        CHECK(grew);
        struct anonpages_result child2;
        CHECK_EQ_INT(count(a, dirs + 1, 1, &child2), 0);
        CHECK(child2.outside_pages + pages <= child.outside_pages);

        /* A process that has ended: its directory reads nothing. */
        kill(p.child, SIGKILL);
        kill(p.parent, SIGKILL);
        waitpid(p.parent, NULL, 0);
        anonpages_begin(a);
        CHECK_EQ_INT(anonpages_add_process(a, dirs[0]), -ESRCH);
        close(dirs[0]);
        close(dirs[1]);
        close(p.go_fd);
        anonpages_free(a);
}

int main(void)
{
        test_count();
        test_processes();
        return unit_finish("test_anonpages");
}
