/* jitmem fit: the smallest memory limit at which a command completes with no OOM kill, found by
 * running it in memory cgroups that jitmem creates, limits and removes (cglimit.h), separately
 * with the JIT off and on. Two parts: the search (fit_next: the trials so far in, what to try
 * next out; no I/O, unit-tested against a simulated trial) and the driver (fit_experiment: each
 * trial a recorded run under OUT/trials/, fit.json at the end). docs/fit.md. */
#ifndef JITMEM_FIT_H
#define JITMEM_FIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cglimit.h"
#include "httpdrive.h"
#include "python_probe.h"
#include "runner.h"

#define FIT_SCHEMA "jitmem.fit/1"
#define FIT_TRIAL_SCHEMA "jitmem.fit.trial/1"
#define FIT_MAX_TRIALS_DEFAULT 12
#define FIT_MARGIN_DEFAULT 0.10
#define FIT_PRECISION_DEFAULT 0.01
#define FIT_MAX_TRIALS 100
/* The highest limit the search tries: past it a command that still fails is not a matter of
 * its limit. */
#define FIT_LIMIT_MAX (UINT64_C(1) << 46)

/* What the search knows of one finished trial. */
struct fit_step {
        int unlimited;          /* the first trial: in a cgroup with no limit */
        uint64_t limit_bytes;   /* else its limit */
        int passed;
        double peak_pss;        /* the tree's peak PSS (< 0: not measured) */
        double peak_cgroup;     /* the cgroup's peak usage (< 0: not read) */
};

struct fit_params {
        uint64_t page;             /* limits are multiples of it */
        double margin;             /* the first limit: the peak PSS plus this share of it */
        uint64_t precision_bytes;  /* done when the bracket is this narrow; 0: precision_share */
        double precision_share;    /* of the first trial's peak; never below a page */
        int max_trials;            /* per mode, the unlimited trial included */
};

void fit_params_default(struct fit_params *p);

enum fit_next_kind {
        FIT_TRY_UNLIMITED,  /* run the first trial, with no limit */
        FIT_TRY,            /* run a trial at limit_bytes */
        FIT_DONE,           /* the bracket is within the precision */
        FIT_STOP_TRIALS,    /* max_trials reached before that */
        FIT_STOP_REFERENCE, /* the unlimited trial failed: nothing to fit */
        FIT_STOP_NO_PEAK,   /* the unlimited trial measured no peak to start from */
        FIT_STOP_HIGH,      /* it failed at every limit up to FIT_LIMIT_MAX */
        FIT_STOP_LOW,       /* it passed at a single page */
};

struct fit_bracket {
        int have_pass, have_fail;
        uint64_t pass_bytes;    /* the smallest limit that passed */
        uint64_t fail_bytes;    /* the highest limit below it that failed (0 with have_fail 0) */
        int inconsistent;       /* a limit at or above pass_bytes failed (a flaky command) */
        uint64_t precision_bytes; /* what the search aims at (0 before the first trial) */
        double reference_peak;  /* the first trial's peak the search starts from (< 0: none) */
};

/* Where the trials so far leave the search: the bracket, and the next step. */
void fit_bracket_of(const struct fit_params *p, const struct fit_step *steps, size_t n, struct fit_bracket *ret);
/* The next step after steps[0..n) (one mode's, in the order they ran); *ret_limit is set for
 * FIT_TRY. */
enum fit_next_kind fit_next(const struct fit_params *p, const struct fit_step *steps, size_t n, uint64_t *ret_limit);
/* A sentence for a kind that ends the search ("" for the others). */
const char *fit_stop_text(enum fit_next_kind k);

/* One trial as it ran: what trial.json and fit.json hold. Figures < 0: not measured. */
struct fit_trial {
        int index;              /* over the whole fit, from 1: the NN of its directory */
        int on;                 /* JIT on */
        struct fit_step step;
        char reason[256];       /* why it failed ("" when it passed) */
        double oom_kills, peak_rss, worker_peak_pss, duration_s;
        double throughput, latency_p50_us, latency_p99_us; /* with --http */
        int workers;            /* workers seen at once (0: none) */
        int exit_code;          /* as `jitmem run` gives it */
        char dir[4096];
};

struct fit_mode_result {
        int ran;                /* this mode was asked for */
        struct fit_trial *trials;
        size_t ntrials;
        struct fit_bracket bracket;
        enum fit_next_kind end; /* FIT_DONE, a FIT_STOP_*, or FIT_TRY* when cut short */
        char why[4600];         /* how the search ended (a path may be in it) */
};

struct fit_options {
        char *const *argv;          /* the command */
        const char *out;            /* OUT: trials/ and fit.json */
        int resume, force;
        int modes;                  /* bit 0: JIT off, bit 1: on */
        struct fit_params params;
        uint64_t budget_ns;         /* the whole fit's time; 0: none */
        const struct cglimit_parent *parent;
        struct runner_options run;  /* the base of every trial's run */
        const struct httpdrive *http; /* with --http, else NULL */
        int workers;                /* the workload's, for per-worker figures (0: unknown) */
        const struct python_info *python; /* the interpreter, or NULL */
        const char *precision_text; /* --precision as given, for fit.json */
        void (*status)(const char *line);
        volatile int *stop;         /* set by a signal handler: stop after the trial in progress */
};

struct fit_result {
        int complete;               /* every mode asked for ended (FIT_DONE or a stop) */
        int interrupted;
        struct fit_mode_result mode[2];
        int have_difference;
        double difference_bytes, difference_pct;
        /* What the brackets allow: the smallest limit each mode needs lies above its highest
         * failure and at most at its smallest pass, so the true difference lies between these
         * (above low, below high): no difference is established when they hold 0. */
        double difference_low_bytes, difference_high_bytes;
        json_t *json;               /* fit.json's content */
};

/* Runs the fit (or goes on with one, o->resume) and writes OUT/fit.json. Returns 0 when the
 * search ended in every mode (found or stopped by a bound: see each mode's end), -EINTR when
 * interrupted (the finished trials kept, fit.json written with complete false), or -errno with
 * err set when it could not go on; *ret is set whenever fit.json was made. */
int fit_experiment(const struct fit_options *o, struct fit_result **ret, char *err, size_t err_size);
void fit_result_free(struct fit_result *r);

/* A limit as printed: MiB with two decimals (a precision of a few KiB shows), KiB below 1 MiB. */
char *fit_format_limit(uint64_t bytes, char *buf, size_t size);

/* The trial directories' name: NN-off-LIMIT or NN-on-LIMIT, LIMIT in KiB ("65536K") or
 * "unlimited". */
void fit_trial_name(int index, int on, const struct fit_step *s, char *buf, size_t size);

#endif
