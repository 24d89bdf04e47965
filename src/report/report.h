/* The HTML report of a recorded directory (jitmem report, and what jitmem compare writes beside
 * its comparison.json): one page that reads alone and offline, its charts inline SVG (svg.h),
 * its figures the readers' (runfile, analysis, growth, comparison.json). docs/report.md says
 * what it shows. */
#ifndef JITMEM_REPORT_H
#define JITMEM_REPORT_H

#include <stddef.h>

/* Writes the HTML report of DIR (a run, a comparison or a watch recording, recognised by its files) to
 * html_path atomically. Returns 0, or -errno with err set to one sentence. */
int report_write(const char *dir, const char *html_path, char *err, size_t err_size);

/* report_write(), the history of a comparison's workload read from history_db (NULL: the
 * default path, history_default_path()); no database, or none readable, is no section. */
int report_write_db(const char *dir, const char *html_path, const char *history_db, char *err, size_t err_size);

#endif
