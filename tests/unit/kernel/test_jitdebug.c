/* Unit tests for src/kernel/jitdebug.c: the dynamic-symbol lookup on the gdbjit fixtures (a PIE, a
 * fixed-address program, a library, a program without the symbol) and on files that are not
 * ELF, the auxiliary vector, and the walk of a GDB JIT list laid out in a sparse file whose
 * offsets stand for addresses: a good list, an empty one, a wrong version, an entry whose prev
 * pointer names another entry, a cycle, an absurd size, an entry out of reach, a list longer
 * than the bound. Run from the repository root, after the fixtures are built ($BUILD). */
#include "jitdebug.h"
#include "unit.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *build_dir(void)
{
        const char *b = getenv("BUILD");
        return b && *b ? b : "build";
}

static int lookup(const char *fixture, struct jitdebug_elf *e)
{
        char path[512];
        int fd, r;

        snprintf(path, sizeof(path), "%s/fixtures/%s", build_dir(), fixture);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                fprintf(stderr, "cannot open %s\n", path);
                return -errno;
        }
        r = jitdebug_elf_lookup(fd, JITDEBUG_SYMBOL, e);
        close(fd);
        return r;
}

static void test_elf(void)
{
        struct jitdebug_elf pie, fixed, lib, none;

        CHECK_EQ_INT(lookup("gdbjit", &pie), 0);
        CHECK(pie.found && pie.dyn && pie.value > 0);
        CHECK_EQ_INT(lookup("gdbjit-nopie", &fixed), 0);
        CHECK(fixed.found && !fixed.dyn && fixed.value >= 0x400000);
        CHECK(fixed.phdr_vaddr >= 0x400000 && fixed.load_vaddr == 0x400000);
        CHECK_EQ_INT(lookup("libpython3.99-gdbjit.so", &lib), 0);
        CHECK(lib.found && lib.dyn && lib.load_vaddr == 0);
        CHECK_EQ_INT(lookup("gdbjit-dl", &none), 0);
        CHECK(!none.found);

        /* not ELF, cut short, a wrong class */
        char tmp[] = "/tmp/jitmem-test-elf-XXXXXX";
        int fd = mkstemp(tmp);
        struct jitdebug_elf e;
        CHECK(fd >= 0);
        CHECK(write(fd, "#!/bin/sh\necho hi\n", 18) == 18);
        CHECK_EQ_INT(jitdebug_elf_lookup(fd, JITDEBUG_SYMBOL, &e), -ENOEXEC);
        Elf64_Ehdr eh;
        memset(&eh, 0, sizeof(eh));
        memcpy(eh.e_ident, ELFMAG, SELFMAG);
        eh.e_ident[EI_CLASS] = ELFCLASS32;
        CHECK(pwrite(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh));
        CHECK_EQ_INT(jitdebug_elf_lookup(fd, JITDEBUG_SYMBOL, &e), -ENOEXEC);
        eh.e_ident[EI_CLASS] = ELFCLASS64;
        eh.e_ident[EI_DATA] = ELFDATA2LSB;
        eh.e_type = ET_DYN;
        eh.e_phentsize = sizeof(Elf64_Phdr);
        eh.e_phnum = 3;
        eh.e_phoff = 1 << 20; /* past the end */
        CHECK(pwrite(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh));
        CHECK_EQ_INT(jitdebug_elf_lookup(fd, JITDEBUG_SYMBOL, &e), -ENOEXEC);
        eh.e_phnum = 60000; /* beyond any real program */
        CHECK(pwrite(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh));
        CHECK_EQ_INT(jitdebug_elf_lookup(fd, JITDEBUG_SYMBOL, &e), -ENOEXEC);
        close(fd);
        unlink(tmp);

        /* this program exports no descriptor */
        uint64_t addr = 0;
        int dir = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        CHECK_EQ_INT(jitdebug_locate(dir, &addr), 0);
        close(dir);
}

static void test_auxv(void)
{
        uint64_t v[8] = { AT_PAGESZ, 4096, AT_PHDR, 0x555500000040ULL, AT_NULL, 0, AT_PHDR, 1 }, r = 0;

        CHECK_EQ_INT(jitdebug_auxv_phdr(v, sizeof(v), &r), 0);
        CHECK_EQ_U64(r, 0x555500000040ULL);
        CHECK_EQ_INT(jitdebug_auxv_phdr(v, 2 * 8, &r), -ENOENT);
        CHECK_EQ_INT(jitdebug_auxv_phdr(v, 8 * 8 - 3, &r), 0); /* a cut tail is ignored */
        v[2] = AT_ENTRY;
        CHECK_EQ_INT(jitdebug_auxv_phdr(v, sizeof(v), &r), -ENOENT); /* nothing after AT_NULL */
}

/* A list in a file: the descriptor at DESC, entry i at ENTRY(i). */
#define DESC 0x1000ULL
#define ENTRY(i) (0x10000ULL + 0x100ULL * (uint64_t)(i))

struct fake {
        int fd;
        char path[64];
};

static int put_failed;

static void put(struct fake *f, uint64_t at, const void *p, size_t n)
{
        if (pwrite(f->fd, p, n, (off_t)at) != (ssize_t)n)
                put_failed = 1;
}

static void put_desc(struct fake *f, uint32_t version, uint32_t action, uint64_t first)
{
        uint64_t d[3];
        uint32_t h[2] = { version, action };

        memcpy(d, h, 8);
        d[1] = 0;
        d[2] = first;
        put(f, DESC, d, sizeof(d));
}

static void put_entry(struct fake *f, int i, uint64_t next, uint64_t prev, uint64_t size)
{
        uint64_t e[5] = { next, prev, 0x7000000 + (uint64_t)i, size, 0 };
        put(f, ENTRY(i), e, sizeof(e));
}

/* n entries of size 1000 + i, linked in order. */
static void put_list(struct fake *f, int n)
{
        put_desc(f, 1, 0, n ? ENTRY(0) : 0);
        for (int i = 0; i < n; i++)
                put_entry(f, i, i + 1 < n ? ENTRY(i + 1) : 0, i ? ENTRY(i - 1) : 0, 1000 + (uint64_t)i);
}

static void test_read(void)
{
        struct fake f;
        struct jitdebug_list l;
        uint64_t first;

        snprintf(f.path, sizeof(f.path), "/tmp/jitmem-test-list-XXXXXX");
        f.fd = mkstemp(f.path);
        CHECK(f.fd >= 0);

        put_list(&f, 5);
        CHECK_EQ_INT(jitdebug_read(f.fd, DESC, &l), 0);
        CHECK_EQ_INT(l.images, 5);
        CHECK_EQ_U64(l.bytes, 5 * 1000 + 0 + 1 + 2 + 3 + 4);
        CHECK_EQ_U64(l.first, ENTRY(0));
        CHECK_EQ_INT(jitdebug_read_first(f.fd, DESC, &first), 0);
        CHECK_EQ_U64(first, ENTRY(0));

        put_list(&f, 0);
        CHECK_EQ_INT(jitdebug_read(f.fd, DESC, &l), 0);
        CHECK(l.images == 0 && l.bytes == 0);

        put_list(&f, 3);
        put_desc(&f, 2, 0, ENTRY(0));
        CHECK_EQ_INT(jitdebug_read(f.fd, DESC, &l), -EPROTO);
        CHECK_EQ_INT(jitdebug_read_first(f.fd, DESC, &first), -EPROTO);

        /* a registration in progress that never ends: no consistent read */
        put_desc(&f, 1, 1, ENTRY(0));
        CHECK_EQ_INT(jitdebug_read(f.fd, DESC, &l), -EAGAIN);

        /* an entry whose prev names another entry (freed and reused under the walk) */
        put_list(&f, 4);
        put_entry(&f, 2, ENTRY(3), ENTRY(0), 1002);
        CHECK_EQ_INT(jitdebug_read(f.fd, DESC, &l), -EAGAIN);

        /* a cycle: the last entry points back at the second */
        put_list(&f, 4);
        put_entry(&f, 3, ENTRY(1), ENTRY(2), 1003);
        CHECK_EQ_INT(jitdebug_read(f.fd, DESC, &l), -EAGAIN);

        /* an absurd size */
        put_list(&f, 4);
        put_entry(&f, 1, ENTRY(2), ENTRY(0), JITDEBUG_MAX_IMAGE_BYTES + 1);
        CHECK_EQ_INT(jitdebug_read(f.fd, DESC, &l), -EAGAIN);

        /* an entry out of reach */
        put_list(&f, 2);
        put_entry(&f, 1, 0x7fff00000000ULL, ENTRY(0), 1001);
        CHECK_EQ_INT(jitdebug_read(f.fd, DESC, &l), -EFAULT);
        put_desc(&f, 1, 0, UINT64_MAX - 8); /* beyond any offset */
        CHECK_EQ_INT(jitdebug_read(f.fd, DESC, &l), -EFAULT);
        CHECK_EQ_INT(jitdebug_read(f.fd, 0x7fff00000000ULL, &l), -EFAULT);

        /* a list longer than the bound: each entry consistent with the last */
        put_desc(&f, 1, 0, ENTRY(0));
        for (int i = 0; i <= JITDEBUG_MAX_ENTRIES; i++)
                put_entry(&f, i, ENTRY(i + 1), i ? ENTRY(i - 1) : 0, 1);
        CHECK_EQ_INT(jitdebug_read(f.fd, DESC, &l), -E2BIG);

        CHECK(!put_failed);
        close(f.fd);
        unlink(f.path);
}

int main(void)
{
        test_elf();
        test_auxv();
        test_read();
        return unit_finish("test_jitdebug");
}
