/* `jitmem watch --record DIR`: what a watch samples, written as a run directory in the format
 * `jitmem run` writes (docs/run-directory.md), so that `jitmem analyze DIR` reads it back:
 * meta.json at the start ("source": "watch", what was watched, the limit, the interval),
 * samples.csv through record.h (its one writer: one write per tick, the rows written stay
 * whatever stops the watch), and summary.json at the end, saying how the watch ended. */
#ifndef JITMEM_WATCHREC_H
#define JITMEM_WATCHREC_H

#include <stddef.h>

#include "watch.h"

struct watchrec;

/* How a watch ended, for summary.json's "ended". */
enum watchrec_end {
        WATCHREC_END_SIGNAL,    /* SIGINT or SIGTERM (signal says which) */
        WATCHREC_END_COUNT,     /* --count ticks taken */
        WATCHREC_END_DURATION,  /* --duration passed */
        WATCHREC_END_NOTHING,   /* nothing could be watched (the processes named ended, or cannot be read) */
        WATCHREC_END_ERROR,     /* sampling, exporting or recording failed (error says why) */
};

/* Creates dir (and its parents) if needed and starts the recording: meta.json written
 * atomically, samples.csv with its header. A directory that holds a run (samples.csv or
 * summary.json) is refused with -EEXIST unless force, which replaces it (its summary.json
 * removed). err gets a sentence for the user. Returns 0 and *ret, or -errno. */
int watchrec_open(const char *dir, int force, const struct watch *w, struct watchrec **ret, char *err,
                  size_t errsize);

/* Writes the watch's last tick (w->last_tick) to samples.csv. Returns 0, or -errno with err said:
 * the file is then cut back to its last whole tick and nothing more is recorded. */
int watchrec_tick(struct watchrec *r, const struct watch *w, char *err, size_t errsize);

/* Writes summary.json (atomically), closes samples.csv and frees r, whatever happens. signal: the
 * signal number with WATCHREC_END_SIGNAL; error: why, with WATCHREC_END_ERROR (else NULL);
 * exit_status: jitmem's. Returns 0, or -errno with err said. */
int watchrec_finish(struct watchrec *r, const struct watch *w, enum watchrec_end end, int signal,
                    const char *error, int exit_status, char *err, size_t errsize);

/* The directory being recorded into, as given. */
const char *watchrec_dir(const struct watchrec *r);

#endif
