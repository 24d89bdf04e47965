/* The decision: the operators' checklist as rules, each with the measured value, its threshold,
 * pass or fail, and one line of reason; then GO / GO WITH CONDITIONS / NO-GO. The rules never
 * decide on a number they were not given: a rule that cannot be evaluated says so. */
#ifndef JITMEM_VERDICT_H
#define JITMEM_VERDICT_H

#include <jansson.h>

struct verdict_thresholds {
        double per_worker_min_bytes;     /* below: caution (default 512 MiB) */
        double headroom_min;             /* headroom at peak with the JIT on, fraction of the limit (0.40) */
        double delta_max_of_headroom;    /* JIT memory delta, fraction of the headroom it eats (0.10) */
};

void verdict_thresholds_default(struct verdict_thresholds *t);

struct verdict_inputs {
        int have_limit;
        double limit_bytes;
        int workers;                     /* processes sharing the limit (>= 1) */
        const char *memory_figure;       /* "PSS" or "RSS": which peaks these are */
        double peak_off, peak_on;        /* median peak tree memory per mode, bytes */
        double mem_delta;                /* on - off (Hodges-Lehmann shift), bytes */
        double mem_delta_rel;            /* mem_delta / peak_off */
        int mem_delta_significant;       /* its 95% interval excludes 0 */
        int have_speed;
        double speed_gain_rel;           /* throughput on / off - 1 (or wall time off / on - 1) */
        int speed_significant;
        int have_warmup;
        double warmup_s;                 /* warm-up with the JIT on */
        int have_restart;
        double restart_s;                /* --restart-every, or the interval observed in the runs */
        int restart_observed;            /* restart_s is what the runs showed, not what was given */
        char frameworks[128];            /* dynamic frameworks detected ("" none) */
};

enum verdict_status { VERDICT_PASS, VERDICT_CAUTION, VERDICT_WARN, VERDICT_NOGO, VERDICT_NOT_EVALUATED, VERDICT_STATUS_MAX };

#define VERDICT_RULES_MAX 8

struct verdict_rule {
        const char *name;
        const char *unit;                /* "bytes", "fraction", "seconds", "" */
        double value, threshold;
        int evaluated;
        int passed;
        enum verdict_status status;      /* what a failure (or a pass) means */
        char reason[256];
};

struct verdict {
        struct verdict_rule rules[VERDICT_RULES_MAX];
        int n;
        const char *overall;             /* "GO", "GO WITH CONDITIONS", "NO-GO" */
};

/* Evaluates every rule. Returns 0. */
int verdict_decide(const struct verdict_inputs *in, const struct verdict_thresholds *t, struct verdict *ret);

/* "pass", "caution", "warning", "no-go", "not evaluated". */
const char *verdict_status_name(enum verdict_status s);

/* {"overall": ..., "rules": [{name, value, threshold, unit, evaluated, passed, status, reason}]} */
json_t *verdict_json(const struct verdict *v);

#endif
