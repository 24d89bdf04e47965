#include "jitdebug.h"
#include "kfile.h"
#include "maps.h"

#include <elf.h>
#include <inttypes.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_MASK_4K (~(uint64_t)0xfff)
#define MAX_PHDRS 256
#define MAX_CANDIDATES 4 /* libpython*.so files mapped by one process */
#define SCAN_CAP 8192

/* Reads exactly n bytes at off. Returns 0, -EFAULT past what can be read (an unmapped address
 * of /proc/PID/mem reads as EIO; the end of a file as a short read), or -errno. */
static int read_at(int fd, void *buf, size_t n, uint64_t off)
{
        size_t got = 0;

        if (off > (uint64_t)INT64_MAX - n)
                return -EFAULT;
        while (got < n) {
                ssize_t r = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EIO ? -EFAULT : -errno;
                }
                if (r == 0)
                        return -EFAULT;
                got += (size_t)r;
        }
        return 0;
}

/* Reads a table of an ELF file into a new buffer, bounded. */
static int read_table(int fd, uint64_t off, uint64_t size, void **ret)
{
        void *p;
        int r;

        if (size == 0 || size > JITDEBUG_MAX_ELF_TABLE)
                return -ENOEXEC;
        p = malloc((size_t)size);
        if (!p)
                return -ENOMEM;
        r = read_at(fd, p, (size_t)size, off);
        if (r < 0) {
                free(p);
                return r == -EFAULT ? -ENOEXEC : r;
        }
        *ret = p;
        return 0;
}

static int elf_header_ok(const Elf64_Ehdr *eh)
{
        return memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64 &&
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
               eh->e_ident[EI_DATA] == ELFDATA2LSB &&
#else
               eh->e_ident[EI_DATA] == ELFDATA2MSB &&
#endif
               (eh->e_type == ET_EXEC || eh->e_type == ET_DYN) && eh->e_phentsize == sizeof(Elf64_Phdr) &&
               eh->e_phnum > 0 && eh->e_phnum <= MAX_PHDRS;
}

/* The program headers: where they and the first loaded segment are meant to be. */
static int elf_layout(int fd, const Elf64_Ehdr *eh, struct jitdebug_elf *e)
{
        Elf64_Phdr ph[MAX_PHDRS];
        const Elf64_Phdr *first = NULL;
        int have_phdr = 0;
        int r = read_at(fd, ph, eh->e_phnum * sizeof(Elf64_Phdr), eh->e_phoff);

        if (r < 0)
                return r == -EFAULT ? -ENOEXEC : r;
        for (unsigned i = 0; i < eh->e_phnum; i++) {
                if (ph[i].p_type == PT_PHDR) {
                        e->phdr_vaddr = ph[i].p_vaddr;
                        have_phdr = 1;
                } else if (ph[i].p_type == PT_LOAD && (!first || ph[i].p_vaddr < first->p_vaddr)) {
                        first = &ph[i];
                }
        }
        if (!first || first->p_vaddr < first->p_offset)
                return -ENOEXEC;
        e->load_vaddr = (first->p_vaddr - first->p_offset) & PAGE_MASK_4K;
        if (!have_phdr) {
                /* Without PT_PHDR, the headers are loaded with the segment that holds them. */
                if (eh->e_phoff < first->p_offset || eh->e_phoff - first->p_offset >= first->p_filesz)
                        return -ENOEXEC;
                e->phdr_vaddr = first->p_vaddr + (eh->e_phoff - first->p_offset);
        }
        return 0;
}

int jitdebug_elf_lookup(int fd, const char *name, struct jitdebug_elf *ret)
{
        Elf64_Ehdr eh;
        Elf64_Shdr *sh = NULL;
        Elf64_Sym *syms = NULL;
        char *strs = NULL;
        struct jitdebug_elf e;
        size_t name_len = strlen(name);
        int r;

        memset(&e, 0, sizeof(e));
        r = read_at(fd, &eh, sizeof(eh), 0);
        if (r < 0)
                return r == -EFAULT ? -ENOEXEC : r;
        if (!elf_header_ok(&eh))
                return -ENOEXEC;
        e.dyn = eh.e_type == ET_DYN;
        r = elf_layout(fd, &eh, &e);
        if (r < 0)
                return r;
        if (eh.e_shnum == 0 || eh.e_shentsize != sizeof(Elf64_Shdr)) {
                *ret = e; /* no section headers: no symbols to look in */
                return 0;
        }
        r = read_table(fd, eh.e_shoff, (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr), (void **)&sh);
        if (r < 0)
                return r;
        for (unsigned i = 0; i < eh.e_shnum && !e.found; i++) {
                const Elf64_Shdr *ds = &sh[i], *ss;
                size_t nsyms;

                if (ds->sh_type != SHT_DYNSYM)
                        continue;
                if (ds->sh_entsize != sizeof(Elf64_Sym) || ds->sh_link >= eh.e_shnum) {
                        r = -ENOEXEC;
                        break;
                }
                ss = &sh[ds->sh_link];
                r = read_table(fd, ds->sh_offset, ds->sh_size, (void **)&syms);
                if (r < 0)
                        break;
                r = read_table(fd, ss->sh_offset, ss->sh_size, (void **)&strs);
                if (r < 0)
                        break;
                nsyms = (size_t)(ds->sh_size / sizeof(Elf64_Sym));
                for (size_t k = 0; k < nsyms; k++) {
                        const Elf64_Sym *sy = &syms[k];
                        if (sy->st_name >= ss->sh_size || sy->st_shndx == SHN_UNDEF ||
                            ELF64_ST_TYPE(sy->st_info) != STT_OBJECT)
                                continue;
                        if (ss->sh_size - sy->st_name > name_len &&
                            memcmp(strs + sy->st_name, name, name_len + 1) == 0) {
                                e.found = 1;
                                e.value = sy->st_value;
                                break;
                        }
                }
                free(syms);
                free(strs);
                syms = NULL;
                strs = NULL;
        }
        free(syms);
        free(strs);
        free(sh);
        if (r < 0)
                return r;
        *ret = e;
        return 0;
}

int jitdebug_auxv_phdr(const void *auxv, size_t len, uint64_t *ret)
{
        const unsigned char *p = auxv;

        for (size_t off = 0; off + 16 <= len; off += 16) {
                uint64_t type, val;
                memcpy(&type, p + off, 8);
                memcpy(&val, p + off + 8, 8);
                if (type == AT_NULL)
                        break;
                if (type == AT_PHDR) {
                        *ret = val;
                        return 0;
                }
        }
        return -ENOENT;
}

static int open_errno(int err)
{
        return err == ENOENT ? -ESRCH : -err;
}

/* The executable, found through the auxiliary vector. */
static int locate_exe(int dirfd, uint64_t *ret)
{
        char auxv[4096];
        struct jitdebug_elf e;
        uint64_t phdr;
        ssize_t n;
        int fd, r;

        fd = openat(dirfd, "exe", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return open_errno(errno);
        r = jitdebug_elf_lookup(fd, JITDEBUG_SYMBOL, &e);
        close(fd);
        if (r == -ENOEXEC)
                return 0;
        if (r < 0 || !e.found)
                return r;
        n = kfile_read_at(dirfd, "auxv", auxv, sizeof(auxv));
        if (n < 0)
                return (int)n;
        if (jitdebug_auxv_phdr(auxv, (size_t)n, &phdr) < 0)
                return 0;
        if (!e.dyn) {
                *ret = e.value;
                return 1;
        }
        if (phdr < e.phdr_vaddr)
                return 0;
        *ret = phdr - e.phdr_vaddr + e.value;
        return 1;
}

struct candidates {
        int n;
        uint64_t start[MAX_CANDIDATES], end[MAX_CANDIDATES];
        char path[MAX_CANDIDATES][KFILE_PATH_MAX];
};

static int is_libpython(const char *name, size_t len)
{
        const char *base = name;

        if (len == 0 || name[0] != '/')
                return 0;
        for (size_t i = 0; i < len; i++)
                if (name[i] == '/')
                        base = name + i + 1;
        return (size_t)(name + len - base) > 9 && memcmp(base, "libpython", 9) == 0;
}

static int candidate_cb(const char *line, size_t len, void *userdata)
{
        struct candidates *c = userdata;
        struct maps_entry m;

        if (maps_parse_line(line, len, &m) < 0 || m.offset != 0 || m.inode == 0 ||
            !is_libpython(m.name, m.name_len) || m.name_len >= KFILE_PATH_MAX)
                return 0;
        for (int i = 0; i < c->n; i++)
                if (strlen(c->path[i]) == m.name_len && memcmp(c->path[i], m.name, m.name_len) == 0)
                        return 0;
        c->start[c->n] = m.start;
        c->end[c->n] = m.end;
        memcpy(c->path[c->n], m.name, m.name_len);
        c->path[c->n][m.name_len] = '\0';
        return ++c->n == MAX_CANDIDATES;
}

/* A mapped libpython*.so, opened through map_files (no path to resolve), else through the
 * process's own root (map_files needs CAP_SYS_ADMIN on older kernels). */
static int locate_lib(int dirfd, uint64_t *ret)
{
        struct candidates *c = calloc(1, sizeof(*c));
        char *buf = malloc(SCAN_CAP);
        int fd = -1, r = 0;

        if (!c || !buf) {
                r = -ENOMEM;
                goto out;
        }
        fd = openat(dirfd, "maps", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                r = open_errno(errno);
                goto out;
        }
        r = kfile_scan_lines(fd, buf, SCAN_CAP, candidate_cb, c);
        close(fd);
        if (r < 0)
                goto out;
        r = 0;
        for (int i = 0; i < c->n && r == 0; i++) {
                char name[KFILE_PATH_MAX + 8];
                struct jitdebug_elf e;
                int lf;

                snprintf(name, sizeof(name), "map_files/%" PRIx64 "-%" PRIx64, c->start[i], c->end[i]);
                lf = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
                if (lf < 0) {
                        snprintf(name, sizeof(name), "root%s", c->path[i]);
                        lf = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
                }
                if (lf < 0)
                        continue; /* gone, or not ours to read */
                r = jitdebug_elf_lookup(lf, JITDEBUG_SYMBOL, &e);
                close(lf);
                if (r == -ENOEXEC) {
                        r = 0;
                        continue;
                }
                if (r == 0 && e.found && e.dyn && c->start[i] >= e.load_vaddr) {
                        *ret = c->start[i] - e.load_vaddr + e.value;
                        r = 1;
                }
        }
out:
        free(c);
        free(buf);
        return r;
}

int jitdebug_locate(int dirfd, uint64_t *ret_addr)
{
        int r = locate_exe(dirfd, ret_addr);

        if (r != 0)
                return r;
        return locate_lib(dirfd, ret_addr);
}

/* struct jit_descriptor and the first four fields of struct jit_code_entry, as GDB defines
 * them (gdb/jit.h; CPython adds fields after these). */
struct descriptor {
        uint32_t version;
        uint32_t action_flag;
        uint64_t relevant_entry;
        uint64_t first_entry;
};

struct entry {
        uint64_t next;
        uint64_t prev;
        uint64_t symfile_addr;
        uint64_t symfile_size;
};

static int read_descriptor(int fd, uint64_t addr, struct descriptor *d)
{
        int r = read_at(fd, d, sizeof(*d), addr);

        if (r < 0)
                return r;
        return d->version == 1 ? 0 : -EPROTO;
}

int jitdebug_read_first(int fd, uint64_t addr, uint64_t *ret)
{
        struct descriptor d;
        int r = read_descriptor(fd, addr, &d);

        if (r == 0)
                *ret = d.first_entry;
        return r;
}

/* One walk of the list from first. Returns 0, -EAGAIN when it is not a consistent list (an
 * entry freed under the walk, a prev pointer that names another entry), -EFAULT when an entry
 * cannot be read, -E2BIG past JITDEBUG_MAX_ENTRIES (a cycle ends there too). */
static int walk(int fd, uint64_t first, uint32_t *ret_n, uint64_t *ret_bytes)
{
        uint64_t prev = 0, cur = first, bytes = 0;
        uint32_t n = 0;

        while (cur != 0) {
                struct entry e;
                int r;

                if (n == JITDEBUG_MAX_ENTRIES)
                        return -E2BIG;
                r = read_at(fd, &e, sizeof(e), cur);
                if (r < 0)
                        return r;
                if (e.prev != prev || e.symfile_size > JITDEBUG_MAX_IMAGE_BYTES)
                        return -EAGAIN;
                n++;
                bytes += e.symfile_size;
                prev = cur;
                cur = e.next;
        }
        *ret_n = n;
        *ret_bytes = bytes;
        return 0;
}

int jitdebug_read(int fd, uint64_t addr, struct jitdebug_list *ret)
{
        int last = -EAGAIN;

        for (int attempt = 0; attempt < JITDEBUG_TRIES; attempt++) {
                struct descriptor before, after;
                uint64_t bytes;
                uint32_t n;
                int r;

                r = read_descriptor(fd, addr, &before);
                if (r < 0)
                        return r;
                if (before.action_flag != 0)
                        continue; /* a registration in progress */
                r = walk(fd, before.first_entry, &n, &bytes);
                if (r == -E2BIG)
                        return r;
                if (r < 0 && r != -EAGAIN && r != -EFAULT)
                        return r;
                /* an entry freed under the walk may read as unmapped memory: that is a list
                 * that changed, unless the descriptor stands still (then it is broken) */
                if (r == 0 || r == -EFAULT) {
                        int e = read_descriptor(fd, addr, &after);
                        if (e < 0)
                                return e;
                        if (after.action_flag == 0 && after.first_entry == before.first_entry) {
                                if (r == 0) {
                                        ret->first = before.first_entry;
                                        ret->images = n;
                                        ret->bytes = bytes;
                                        return 0;
                                }
                        }
                }
                last = r == 0 ? -EAGAIN : r;
        }
        return last;
}
