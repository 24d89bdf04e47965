/* Comparisons in pyperf's JSON format 1.0 (docs/pyperf.md): one pyperf suite per interpreter and
 * JIT mode, one benchmark per memory figure in bytes, one pyperf run per jitmem run, so that
 * `python -m pyperf compare_to` compares the modes (or the interpreters) benchmark by benchmark.
 * A pure function of comparison.json documents: it reads no file and writes none. */
#ifndef JITMEM_PYPERF_H
#define JITMEM_PYPERF_H

#include <jansson.h>
#include <stddef.h>

#define PYPERF_FORMAT_VERSION "1.0"

/* A figure exported: the benchmark's name in pyperf and the figure of a run's "figures" in
 * comparison.json it is read from (bytes). */
struct pyperf_figure {
        const char *name, *figure;
};
#define PYPERF_FIGURES 6
extern const struct pyperf_figure pyperf_figures[PYPERF_FIGURES];

/* Exports docs[0..n), each a comparison.json document ("jitmem.compare/1", or "jitmem.compare/2"
 * whose interpreters' comparisons are taken in turn, each labelled by its "label"). labels (NULL,
 * or n entries, each NULL or a label) name the documents: a /2 document's interpreters are then
 * "LABEL-INTERPRETER". Without a label a /1 document has none when it is the only one, else its
 * interpreter's version (its number among docs, 1 on, when it has none); a label met twice gets
 * "-K" (K: the document's number) from its second time on.
 *
 * On success returns 0 and *ret_export (the caller decrefs) is
 *   {"files": [{"suffix": "off" or "LABEL-off", "label": LABEL or null, "mode": "off" or "on",
 *               "suite": {pyperf's document}} ...],
 *    "left_out": [sentences], "warnings": [sentences]}
 * with a file per label and mode that has a benchmark left; "left_out" says each figure, run and
 * metadata value left out and why (pyperf refuses zeros, empty strings and line breaks; a run
 * that did not measure a figure has no value for it); "warnings" says where `pyperf compare_to`
 * of two of the files (the same label's modes, or the same mode of two labels) cannot run its
 * t-test (value counts that differ, one value a side, no variance in either) and prints an ERROR
 * (the difference is then taken as significant all the same). A suffix holds
 * only letters, digits and ". _ + -".
 * Returns -EINVAL with err set when a document is not a comparison this function reads, -ENOMEM
 * when memory ran out; *ret_export is then untouched. */
int pyperf_export(json_t *const *docs, const char *const *labels, size_t n, json_t **ret_export, char *err,
                  size_t err_size);

#endif
