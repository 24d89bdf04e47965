/* The GDB JIT interface of another process, read from outside: how many code images a JIT has
 * registered for debuggers, and their bytes.
 *
 * CPython 3.15+ registers every executor of its JIT with GDB's JIT interface: it exports a
 * data symbol, __jit_debug_descriptor { uint32 version; uint32 action_flag; entry *relevant;
 * entry *first; }, heading a doubly linked list of entries { entry *next, *prev; const char
 * *symfile_addr; uint64 symfile_size; ... }, each pointing at an in-memory ELF image (a copy of
 * the executor's machine code, its unwind data and a symbol) allocated on the heap. Those
 * images are memory the JIT costs beside its code pages; nothing in /proc shows them apart.
 *
 * The descriptor is found from the program's ELF dynamic symbols (the executable, or a
 * libpython*.so it maps) and its load address (the auxiliary vector's AT_PHDR, or the
 * library's first mapping), and the list is read through /proc/PID/mem opened on the process's
 * own /proc/PID directory fd: bound to that process's address space, so a PID reused by
 * another process, or an exec, reads nothing rather than something else.
 *
 * The list changes while it is read (the process does not stop): a walk is kept only when every
 * entry's prev pointer names the entry it was reached from, every size is plausible, and the
 * descriptor reads the same (same first entry, no action in progress) before and after it;
 * otherwise it is walked again, JITDEBUG_TRIES times in all. A list longer than
 * JITDEBUG_MAX_ENTRIES, a cycle, or memory that cannot be read is never followed further. */
#ifndef JITMEM_JITDEBUG_H
#define JITMEM_JITDEBUG_H

#include <stddef.h>
#include <stdint.h>

#define JITDEBUG_SYMBOL "__jit_debug_descriptor"
#define JITDEBUG_MAX_ENTRIES 100000
#define JITDEBUG_MAX_IMAGE_BYTES (64ULL << 20) /* one image; CPython's are a few KiB */
#define JITDEBUG_TRIES 4
/* Bounds on the ELF files read to find the symbol. */
#define JITDEBUG_MAX_ELF_TABLE (16U << 20)

/* What an ELF file says about a dynamic symbol: its value (an address relative to the load
 * base, for position-independent files) and where its program headers and first loaded
 * segment are meant to be, to find the base from a running process. */
struct jitdebug_elf {
        int found;           /* the symbol is defined in .dynsym */
        int dyn;             /* ET_DYN (PIE or a library: relative addresses), else ET_EXEC */
        uint64_t value;      /* st_value */
        uint64_t phdr_vaddr; /* where the program headers are loaded (PT_PHDR, or computed) */
        uint64_t load_vaddr; /* p_vaddr of the segment at file offset 0, page-aligned down */
};

/* Looks name up in the dynamic symbol table of the ELF file open on fd (64-bit, little-endian,
 * the machine's own). Returns 0 (ret->found says whether it is there), -ENOEXEC for a file that
 * is not such an ELF file (or is malformed), or -errno. Reads at most a few bounded tables. */
int jitdebug_elf_lookup(int fd, const char *name, struct jitdebug_elf *ret);

/* The value of AT_PHDR in an auxiliary vector (/proc/PID/auxv). Returns 0 or -ENOENT. */
int jitdebug_auxv_phdr(const void *auxv, size_t len, uint64_t *ret);

/* Finds the address of __jit_debug_descriptor in the process whose /proc/PID directory is open
 * on dirfd: in its executable (through the auxiliary vector), else in a mapped libpython*.so.
 * Returns 1 with *ret_addr, 0 when the process has none (an interpreter without the interface,
 * or not Python at all), or -errno (-EACCES: not allowed to read it; -ESRCH: it has ended). */
int jitdebug_locate(int dirfd, uint64_t *ret_addr);

struct jitdebug_list {
        uint64_t first;  /* the descriptor's first entry when read */
        uint32_t images; /* entries in the list */
        uint64_t bytes;  /* the sum of their symfile_size */
};

/* Reads the descriptor at addr and its list through fd (/proc/PID/mem, or any file whose
 * offsets are the addresses). Returns 0 and *ret, -EPROTO when addr holds no descriptor of
 * version 1, -E2BIG past JITDEBUG_MAX_ENTRIES, -EAGAIN when no walk was consistent in
 * JITDEBUG_TRIES, -EFAULT when memory the list points at cannot be read, or -errno. */
int jitdebug_read(int fd, uint64_t addr, struct jitdebug_list *ret);

/* The descriptor's first entry alone (one read): registrations put new entries first, so a
 * change of it says the list changed. Returns 0 or as jitdebug_read(). */
int jitdebug_read_first(int fd, uint64_t addr, uint64_t *ret);

#endif
