/* The decision: the operators' checklist as rules, each with the measured value, its threshold,
 * pass or fail, and one line of reason; then GO / GO WITH CONDITIONS / NO-GO, and one sentence a
 * person can act on, built from the measured figures and the rules' findings only (the
 * conditions of a GO WITH CONDITIONS named in it). A control experiment (an interpreter without
 * JIT machine code) gets CONTROL and no rule at all. The rules never decide on a number they were
 * not given: a rule that cannot be evaluated says so. */
#ifndef JITMEM_VERDICT_H
#define JITMEM_VERDICT_H

#include <jansson.h>

struct verdict_thresholds {
        double per_worker_min_bytes;     /* below: caution (default 512 MiB) */
        double headroom_min;             /* headroom at peak with the JIT on, fraction of the limit (0.40) */
        double delta_max_of_headroom;    /* JIT memory delta, fraction of the headroom it eats (0.10) */
};

void verdict_thresholds_default(struct verdict_thresholds *t);

/* One figure compared between the modes. */
struct verdict_figure {
        int have;                        /* measured in both modes and compared */
        double off, on;                  /* medians per mode */
        double shift;                    /* Hodges-Lehmann shift, on - off */
        int significant;                 /* its 95% interval excludes 0 (the same as p < 0.05) */
        int too_few;                     /* too few runs for a 95% interval: nothing can be shown */
};

struct verdict_inputs {
        int control;                     /* the interpreter makes no JIT machine code: no GO/NO-GO */
        const char *control_build;       /* its JIT build (python_jit_build_key), for the sentence */
        int runs;                        /* runs per mode (the fewer of the two) */
        int have_limit;
        double limit_bytes;
        int workers;                     /* processes sharing the limit (>= 1) */
        const char *memory_figure;       /* "PSS" or "RSS": which peaks these are */
        struct verdict_figure memory;    /* peak tree memory, bytes: what the limit is judged against */
        /* The JIT's memory cost, when measured apart (cost.have): the tree's anonymous memory
         * counted once; else the cost is memory's delta */
        const char *cost_figure;         /* "anonymous memory" */
        struct verdict_figure cost;
        /* Speed. In the closed model (or without a load) from throughput and CPU time per unit
         * of work, else from wall time.
         * Under an open-model load (a fixed --rate) throughput is the rate by construction, so
         * from CPU time per request served and latency instead. */
        int open_model;
        struct verdict_figure throughput;   /* units (requests) per second: higher is faster */
        struct verdict_figure wall;         /* seconds: lower is faster */
        struct verdict_figure cpu_per_unit; /* CPU seconds per unit of work: lower is faster */
        struct verdict_figure latency;      /* median latency, microseconds: lower is faster */
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
        char condition[192];             /* what must hold for a GO WITH CONDITIONS ("" none) */
};

struct verdict {
        struct verdict_rule rules[VERDICT_RULES_MAX];
        int n;
        const char *overall;             /* "GO", "GO WITH CONDITIONS", "NO-GO", "CONTROL" */
        char sentence[1024];             /* "NO-GO: the JIT bought no measurable speed and costs ..." */
};

/* Evaluates every rule (none for a control) and writes the sentence. Returns 0. */
int verdict_decide(const struct verdict_inputs *in, const struct verdict_thresholds *t, struct verdict *ret);

/* "pass", "caution", "warning", "no-go", "not evaluated". */
const char *verdict_status_name(enum verdict_status s);

/* {"overall", "sentence", "conditions": [...], "rules": [{name, value, threshold, unit, evaluated,
 * passed, status, reason, condition}]} */
json_t *verdict_json(const struct verdict *v);

#endif
