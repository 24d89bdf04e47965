/* Prometheus exposition: the text format 0.0.4 built in a bounded buffer (prom_server.h serves
 * it at /metrics, prom_textfile.h writes it for node_exporter). Nothing here prints. */
#ifndef JITMEM_PROM_H
#define JITMEM_PROM_H

#include <stddef.h>
#include <stdint.h>

/* ---- the exposition text ---- */

#define PROM_TEXT_MAX_DEFAULT (4u << 20) /* the buffer's cap when prom_text_init is given 0 */
#define PROM_NAME_MAX 200                /* longest metric or label name accepted, in bytes */

/* The text being built. buf holds len bytes of whole lines (not NUL-terminated; len may be 0
 * and buf NULL). truncated is set once a line did not fit under max, or memory ran out: from
 * then on every call fails with -ENOBUFS and adds nothing, so the text ends on a whole line
 * and never holds a family whose lines were cut in half. The other fields are private. */
struct prom_text {
        char *buf;
        size_t len, cap, max;
        int truncated;
        char family[PROM_NAME_MAX + 1]; /* the family samples may be added to now */
        size_t *families;               /* offsets in buf of each family's name, on its TYPE line */
        size_t nfamilies, families_cap;
};

/* Prepares an empty text that will hold at most max bytes (0: PROM_TEXT_MAX_DEFAULT).
 * Allocates nothing until the first line; prom_text_free releases it. */
void prom_text_init(struct prom_text *t, size_t max);

/* Frees the buffer; t may be NULL. t can be reused after prom_text_init. */
void prom_text_free(struct prom_text *t);

/* Empties the text for the next exposition and clears truncated; keeps the allocation. */
void prom_text_reset(struct prom_text *t);

/* Starts a family: a "# HELP" line (left out when help is NULL; backslashes and newlines
 * escaped, bytes that are not UTF-8 replaced by U+FFFD) and a "# TYPE" line. type is
 * "gauge", "counter" or "untyped"; a counter's name ends in "_total", and nothing else's does.
 * The samples of a family follow it with no other family between: prom_sample accepts only
 * the name of the family started last, and each name may start one family per text.
 * Returns 0, -EINVAL (a bad name or type), -EEXIST (that family was started already),
 * -ENOBUFS (over the cap; truncated is set), -ENOMEM. */
int prom_family(struct prom_text *t, const char *name, const char *type, const char *help);

/* Adds one sample line of the current family: name{k="v",...} value. labels holds npairs
 * pairs (key, value, key, value, ...); keys match [a-zA-Z_][a-zA-Z0-9_]*, do not start with
 * "__" and are not repeated; values are escaped (backslash, double quote, newline), with any
 * bytes that are not UTF-8 replaced by U+FFFD, so a process name from the kernel can be
 * passed as it is. The value is printed in the shortest form that reads back exactly (every
 * integer up to 2^53 in full), NaN and infinities as "NaN", "+Inf", "-Inf". The caller keeps
 * label sets distinct within a family: a repeated set is not detected.
 * Returns 0, -EINVAL (bad label name or NULL value), -ENOENT (name is not the current
 * family), -ENOBUFS (over the cap; truncated is set), -ENOMEM. */
int prom_sample(struct prom_text *t, const char *name, const char *const *labels, size_t npairs, double value);

/* Whether s is a valid metric name ([a-zA-Z_:][a-zA-Z0-9_:]*, at most PROM_NAME_MAX bytes),
 * or a valid label name (no ':', not starting with "__"). Return 1 or 0. */
int prom_valid_metric_name(const char *s);
int prom_valid_label_name(const char *s);

/* Writes v as the exposition spells it into buf (at least 32 bytes); returns buf. */
char *prom_format_value(double v, char *buf, size_t size);

#endif
