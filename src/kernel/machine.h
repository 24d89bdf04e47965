/* Facts about the machine that bear on memory measurements: kernel, page size, transparent
 * huge pages, memory and swap. Read through kfile.h. */
#ifndef JITMEM_MACHINE_H
#define JITMEM_MACHINE_H

#include <stdint.h>

#include "procfs.h"

struct machine_info {
        char kernel[65];    /* uname -r */
        char arch[65];       /* uname -m */
        char hostname[65];
        uint64_t page_size;
        char thp_enabled[32]; /* the selected mode of transparent_hugepage/enabled, "" if unknown */
        long cpus_online;
        int have_meminfo;
        struct procfs_meminfo meminfo;
        /* the kernel can name anonymous memory (CONFIG_ANON_VMA_NAME, [anon:NAME] in maps):
         * 1, 0, -1 unknown; measured by naming a page of jitmem's own */
        int anon_vma_name;
};

/* Names a page of jitmem's own with prctl(PR_SET_VMA_ANON_NAME): 1 when the kernel can, 0
 * when it cannot (EINVAL), -1 when it could not be told. */
int machine_anon_vma_name(void);

/* Fills *ret. Missing pieces are left empty (have_meminfo = 0, thp_enabled = ""). Returns 0. */
int machine_read(struct machine_info *ret);

/* Extracts the selected mode ("[madvise]") from a transparent_hugepage/enabled line.
 * Returns 0, or -EINVAL when no mode is bracketed. */
int machine_parse_thp(const char *buf, char *out, size_t size);

#endif
