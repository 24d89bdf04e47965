/* node_exporter textfiles: an exposition (prom.h) written atomically where node_exporter's
 * textfile collector reads it. Nothing here prints. */
#ifndef JITMEM_PROM_TEXTFILE_H
#define JITMEM_PROM_TEXTFILE_H

#include <stddef.h>

/* Replaces path with text[0..len) atomically: a temporary file in the same directory, named
 * with a leading '.' so that node_exporter's *.prom glob never reads it half written, written
 * fully, fsync'd, made mode 0644 and renamed over path. Returns 0 or -errno; the temporary
 * file is removed on failure. */
int prom_write_textfile(const char *path, const char *text, size_t len);

#endif
