#include "verdict.h"
#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MiB (1024.0 * 1024.0)

void verdict_thresholds_default(struct verdict_thresholds *t)
{
        t->per_worker_min_bytes = 512 * MiB;
        t->headroom_min = 0.40;
        t->delta_max_of_headroom = 0.10;
}

const char *verdict_status_name(enum verdict_status s)
{
        switch (s) {
        case VERDICT_PASS: return "pass";
        case VERDICT_CAUTION: return "caution";
        case VERDICT_WARN: return "warning";
        case VERDICT_NOGO: return "no-go";
        case VERDICT_NOT_EVALUATED:
        case VERDICT_STATUS_MAX: break;
        }
        return "not evaluated";
}

/* Appends to buf (size bytes, NUL-terminated), cutting what does not fit. */
static void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...)
{
        size_t n = strlen(buf);
        va_list ap;

        if (n + 1 >= size)
                return;
        va_start(ap, fmt);
        vsnprintf(buf + n, size - n, fmt, ap);
        va_end(ap);
}

/* A size without its sign (the sentence says "costs" or "saves"). */
static const char *bytes(double v, char *buf, size_t size)
{
        return util_format_signed_bytes(fabs(v), "", buf, size);
}

static struct verdict_rule *add(struct verdict *v, const char *name, const char *unit)
{
        struct verdict_rule *r = &v->rules[v->n++];

        memset(r, 0, sizeof(*r));
        r->name = name;
        r->unit = unit;
        r->status = VERDICT_NOT_EVALUATED;
        return r;
}

/* A rule that was evaluated: pass, or the status its failure carries. */
static void judge(struct verdict_rule *r, double value, double threshold, int passed, enum verdict_status fail)
{
        r->value = value;
        r->threshold = threshold;
        r->evaluated = 1;
        r->passed = passed;
        r->status = passed ? VERDICT_PASS : fail;
}

/* The speed side: which figures say it, and what they say. */
struct speed {
        int have;             /* a speed figure was compared */
        int too_few;          /* every one with too few runs for a 95% interval */
        int measured;         /* one of them differs measurably */
        double gain;          /* counted: the least gain among those that differ (0: none) */
        const char *what;     /* the figure counted */
        double change;        /* its relative change, on / off - 1 */
        int lower_better;
        char detail[160];     /* each figure's change: "CPU time per request -9.1%, median latency +0.4% ~0" */
};

static void speed_of(const struct verdict_inputs *in, struct speed *sp)
{
        struct {
                const char *name;
                int lower_better;
                const struct verdict_figure *f;
        } parts[3];
        int n = 0, few = 1;

        memset(sp, 0, sizeof(*sp));
        if (in->open_model) { /* throughput is the rate asked for: not a speed */
                parts[n].name = "CPU time per request";
                parts[n].lower_better = 1;
                parts[n++].f = &in->cpu_per_unit;
                parts[n].name = "median latency";
                parts[n].lower_better = 1;
                parts[n++].f = &in->latency;
        } else if (in->throughput.have) {
                /* and the CPU the work took: on a busy machine the wall clock, hence throughput,
                 * is the noisier of the two */
                parts[n].name = "throughput";
                parts[n].lower_better = 0;
                parts[n++].f = &in->throughput;
                parts[n].name = "CPU time per unit of work";
                parts[n].lower_better = 1;
                parts[n++].f = &in->cpu_per_unit;
        } else {
                parts[n].name = "run time";
                parts[n].lower_better = 1;
                parts[n++].f = &in->wall;
        }
        for (int i = 0; i < n; i++) {
                const struct verdict_figure *f = parts[i].f;
                if (!f->have || !(f->off > 0) || !(f->on > 0))
                        continue;
                double change = f->on / f->off - 1;
                double gain = parts[i].lower_better ? f->off / f->on - 1 : change;
                sp->have = 1;
                few &= f->too_few;
                append(sp->detail, sizeof(sp->detail), "%s%s %+.1f%%%s", sp->detail[0] ? ", " : "", parts[i].name,
                       100 * change, f->significant ? "" : f->too_few ? " ?" : " ~0");
                if (f->significant && (!sp->measured || gain < sp->gain)) {
                        sp->measured = 1;
                        sp->gain = gain;
                        sp->what = parts[i].name;
                        sp->change = change;
                        sp->lower_better = parts[i].lower_better;
                }
        }
        sp->too_few = sp->have && few;
}

/* "the JIT bought +12.0% throughput", "the JIT cut CPU time per request by 9.1%", ... */
static void speed_phrase(const struct speed *sp, char *buf, size_t size)
{
        double pct = 100 * fabs(sp->change);

        if (!sp->have)
                snprintf(buf, size, "no speed figure was compared");
        else if (!sp->measured)
                snprintf(buf, size, "the JIT bought no measurable speed");
        else if (sp->change == 0)
                snprintf(buf, size, "the JIT changed the %s measurably, its median not at all", sp->what);
        else if (!sp->lower_better)
                snprintf(buf, size, sp->change > 0 ? "the JIT bought +%.1f%% %s" : "the JIT cost %.1f%% of the %s", pct, sp->what);
        else
                snprintf(buf, size, sp->change < 0 ? "the JIT cut %2$s by %1$.1f%%" : "the JIT added %.1f%% to %s", pct, sp->what);
}

/* The figure the JIT's memory cost is judged on: the tree's anonymous memory when it was
 * compared, else the peak memory's delta. */
static const struct verdict_figure *cost_of(const struct verdict_inputs *in)
{
        return in->cost.have ? &in->cost : &in->memory;
}

/* "costs +1.50 MiB peak PSS (+12.1%)", "costs no measurable memory (peak PSS)", "costs +1.50 MiB
 * of anonymous memory (+3.1% of peak PSS)" */
static void memory_phrase(const struct verdict_inputs *in, char *buf, size_t size)
{
        const struct verdict_figure *m = &in->memory;
        char b[32];

        if (in->cost.have && m->have) {
                const struct verdict_figure *c = &in->cost;
                if (!c->significant)
                        snprintf(buf, size, "costs no measurable memory (%s, counted once)", in->cost_figure);
                else
                        snprintf(buf, size, "%s %s%s of %s (%+.1f%% of peak %s)", c->shift >= 0 ? "costs" : "saves",
                                 c->shift >= 0 ? "+" : "", bytes(c->shift, b, sizeof(b)), in->cost_figure,
                                 m->off > 0 ? 100 * c->shift / m->off : 0.0, in->memory_figure);
                return;
        }
        if (!m->have)
                snprintf(buf, size, "its memory was not compared");
        else if (!m->significant)
                snprintf(buf, size, "costs no measurable memory (peak %s)", in->memory_figure);
        else
                snprintf(buf, size, "%s %s%s peak %s (%+.1f%%)", m->shift >= 0 ? "costs" : "saves", m->shift >= 0 ? "+" : "",
                         bytes(m->shift, b, sizeof(b)), in->memory_figure, m->off > 0 ? 100 * m->shift / m->off : 0.0);
}

static void control_sentence(const struct verdict_inputs *in, struct verdict *v)
{
        const char *b = in->control_build ? in->control_build : "";

        v->overall = "CONTROL";
        if (strcmp(b, "interpreter_only") == 0)
                snprintf(v->sentence, sizeof(v->sentence),
                         "CONTROL: this interpreter has no JIT, only the tier-2 interpreter that PYTHON_JIT=1 turns on "
                         "(no machine code)");
        else if (strcmp(b, "not_built") == 0)
                snprintf(v->sentence, sizeof(v->sentence), "CONTROL: this interpreter has no JIT");
        else
                snprintf(v->sentence, sizeof(v->sentence), "CONTROL: no JIT was found in this interpreter (JIT: %s)",
                         b[0] ? b : "unknown");
}

/* One decision under way: its inputs, the rules so far, and what the sentence takes from them. */
struct decision {
        const struct verdict_inputs *in;
        const struct verdict_thresholds *t;
        int workers;                        /* >= 1 */
        const struct verdict_figure *mem;   /* peak memory: what the limit is judged against */
        const struct verdict_figure *cost;  /* the JIT's memory cost (cost_of) */
        double mem_rel;                     /* the cost relative to peak memory with the JIT off */
        struct speed sp;
        char nogo[2][192];                  /* the limit rules' NO-GO findings, for the sentence */
        int nogo_any, cond;                 /* the overall: any NO-GO; any condition */
        struct verdict v;
};

static void decision_init(struct decision *d, const struct verdict_inputs *in, const struct verdict_thresholds *t)
{
        memset(d, 0, sizeof(*d));
        d->in = in;
        d->t = t;
        d->workers = in->workers > 0 ? in->workers : 1;
        d->mem = &in->memory;
        d->cost = cost_of(in);
        d->mem_rel = d->mem->have && d->mem->off > 0 ? d->cost->shift / d->mem->off : 0;
        speed_of(in, &d->sp);
}

/* The limit shared by the workers, against the least a worker should have: a caution. */
static void rule_per_worker_limit(struct decision *d)
{
        const struct verdict_inputs *in = d->in;
        struct verdict_rule *r = add(&d->v, "per_worker_limit", "bytes");
        char a[32], b[32];

        if (!in->have_limit) {
                snprintf(r->reason, sizeof(r->reason), "no limit given and no cgroup limit found: use --limit");
                snprintf(r->condition, sizeof(r->condition), "the memory limit leaves room for it (none known: check with --limit)");
                return;
        }
        double per = in->limit_bytes / d->workers;
        judge(r, per, d->t->per_worker_min_bytes, per >= d->t->per_worker_min_bytes, VERDICT_CAUTION);
        snprintf(r->reason, sizeof(r->reason), "%s per worker (%d sharing %s)%s", bytes(per, a, sizeof(a)), d->workers,
                 bytes(in->limit_bytes, b, sizeof(b)),
                 r->passed ? "" : ": little room for any growth, treat the JIT as off until measured under real load");
        if (!r->passed)
                snprintf(r->condition, sizeof(r->condition),
                         "measure it under real load first: %s per worker is below %s", bytes(per, a, sizeof(a)),
                         bytes(d->t->per_worker_min_bytes, b, sizeof(b)));
}

/* The headroom left under the limit at peak with the JIT on: a NO-GO below the threshold. */
static void rule_headroom_at_peak(struct decision *d)
{
        const struct verdict_inputs *in = d->in;
        struct verdict_rule *r = add(&d->v, "headroom_at_peak", "fraction");
        char a[32], b[32];

        if (!in->have_limit || !d->mem->have) {
                snprintf(r->reason, sizeof(r->reason), in->have_limit ? "no memory figure" : "needs a limit");
                return;
        }
        double h = (in->limit_bytes - d->mem->on) / in->limit_bytes;
        judge(r, h, d->t->headroom_min, h >= d->t->headroom_min, VERDICT_NOGO);
        snprintf(r->reason, sizeof(r->reason), "peak %s with the JIT on is %s of %s, leaving %.1f%%", in->memory_figure,
                 bytes(d->mem->on, a, sizeof(a)), bytes(in->limit_bytes, b, sizeof(b)), 100.0 * h);
        if (!r->passed)
                snprintf(d->nogo[0], sizeof(d->nogo[0]), "with it on, peak %s leaves %.1f%% of the %s limit (%.0f%% needed)",
                         in->memory_figure, 100.0 * h, bytes(in->limit_bytes, b, sizeof(b)), 100 * d->t->headroom_min);
}

/* The share of the headroom (with the JIT off) that the JIT's cost takes: a NO-GO over the
 * threshold, unless the cost is not measurable. */
static void rule_jit_delta_vs_headroom(struct decision *d)
{
        const struct verdict_inputs *in = d->in;
        const struct verdict_figure *cost = d->cost;
        struct verdict_rule *r = add(&d->v, "jit_delta_vs_headroom", "fraction");
        char a[32], b[32];

        if (!in->have_limit || !d->mem->have) {
                snprintf(r->reason, sizeof(r->reason), in->have_limit ? "no memory figure" : "needs a limit");
                return;
        }
        double headroom = in->limit_bytes - d->mem->off;
        double share = headroom > 0 ? fmax(cost->shift, 0) / headroom : INFINITY;
        int ok = !cost->significant || share <= d->t->delta_max_of_headroom;
        judge(r, share, d->t->delta_max_of_headroom, ok, VERDICT_NOGO);
        if (!cost->significant)
                snprintf(r->reason, sizeof(r->reason), "no measurable memory difference (the interval holds 0)");
        else
                snprintf(r->reason, sizeof(r->reason), "the JIT adds %s%s%s, %.1f%% of the %s headroom left with it off",
                         bytes(fmax(cost->shift, 0), a, sizeof(a)), in->cost.have ? " of " : "",
                         in->cost.have ? in->cost_figure : "", 100.0 * share, bytes(fmax(headroom, 0), b, sizeof(b)));
        if (!r->passed)
                snprintf(d->nogo[1], sizeof(d->nogo[1]), "its +%s takes %.1f%% of the %s headroom (%.0f%% at most)",
                         bytes(fmax(cost->shift, 0), a, sizeof(a)), 100.0 * share, bytes(fmax(headroom, 0), b, sizeof(b)),
                         100 * d->t->delta_max_of_headroom);
}

/* What the JIT buys in speed against what it costs in memory, both relative: a NO-GO under a
 * limit when the memory costs more, a warning without one. */
static void rule_speed_vs_memory(struct decision *d)
{
        const struct verdict_inputs *in = d->in;
        const struct speed *sp = &d->sp;
        struct verdict_rule *r = add(&d->v, "speed_vs_memory", "fraction");

        if (!sp->have || !d->mem->have) {
                snprintf(r->reason, sizeof(r->reason), "%s", !sp->have ? (in->open_model ? "no CPU time per request or latency figure" : "no speed figure")
                                                                       : "no memory figure");
                snprintf(r->condition, sizeof(r->condition), "its speed and memory are measured and weighed (%s)",
                         !sp->have ? "no speed figure was compared" : "no memory figure was compared");
                return;
        }
        if (sp->too_few || d->mem->too_few || d->cost->too_few) {
                snprintf(r->reason, sizeof(r->reason), "too few runs for a 95%% interval (%d per mode, 4 at least): speed and memory cannot be weighed",
                         in->runs);
                snprintf(r->condition, sizeof(r->condition), "more runs show what it buys and costs (--runs 5 or more; %d per mode cannot)",
                         in->runs);
                return;
        }
        double mcost = d->cost->significant ? d->mem_rel : 0;
        double gain = sp->measured ? sp->gain : 0;
        /* (relative changes from medians: equal when they differ by rounding only) */
        judge(r, gain, mcost, gain >= mcost - 1e-12, in->have_limit ? VERDICT_NOGO : VERDICT_WARN);
        snprintf(r->reason, sizeof(r->reason), "%s: speed %+.1f%% for memory %+.1f%%%s%s", sp->detail, 100.0 * gain, 100.0 * mcost,
                 in->have_limit ? " in a limited container" : " (no limit: not a NO-GO)",
                 r->passed ? "" : ": the memory costs more than the speed buys");
        if (!r->passed && !in->have_limit)
                snprintf(r->condition, sizeof(r->condition),
                         "memory is not tight: it costs %+.1f%% memory for %+.1f%% speed", 100.0 * mcost, 100.0 * gain);
}

/* The warm-up with the JIT on against the workers' restart interval: a warning when longer. */
static void rule_warmup_vs_restart(struct decision *d)
{
        const struct verdict_inputs *in = d->in;
        struct verdict_rule *r = add(&d->v, "warmup_vs_restart", "seconds");

        if (!in->have_restart || !in->have_warmup) {
                snprintf(r->reason, sizeof(r->reason), in->have_restart ? "no warm-up end was detected"
                                                                        : "no restart seen and no interval given (--restart-every)");
                return;
        }
        judge(r, in->warmup_s, in->restart_s, in->warmup_s <= in->restart_s, VERDICT_WARN);
        snprintf(r->reason, sizeof(r->reason), "warm-up %.1f s against a restart every %.0f s%s%s", in->warmup_s,
                 in->restart_s, in->restart_observed ? " per worker (observed in the runs)" : "",
                 r->passed ? "" : ": the warm-up cost is paid again on every restart");
        if (!r->passed)
                snprintf(r->condition, sizeof(r->condition),
                         "workers live longer than the JIT's %.1f s warm-up (they restart every %.0f s%s)", in->warmup_s,
                         in->restart_s, in->restart_observed ? ", as observed" : "");
}

/* Dynamic frameworks detected: a warning. */
static void rule_dynamic_frameworks(struct decision *d)
{
        const struct verdict_inputs *in = d->in;
        struct verdict_rule *r = add(&d->v, "dynamic_frameworks", "");

        judge(r, in->frameworks[0] ? 1 : 0, 0, in->frameworks[0] == '\0', VERDICT_WARN);
        if (in->frameworks[0]) {
                snprintf(r->reason, sizeof(r->reason), "%s: dynamic attribute resolution is a risk for the JIT; the measurement decides",
                         in->frameworks);
                snprintf(r->condition, sizeof(r->condition),
                         "it holds under real traffic (%s resolves attributes dynamically, a risk for the JIT)", in->frameworks);
        } else {
                snprintf(r->reason, sizeof(r->reason), "none detected");
        }
}

/* Overall: any NO-GO; else conditions from cautions, warnings, and the limit and speed rules
 * left unevaluated; else GO. */
static void decide_overall(struct decision *d)
{
        for (int i = 0; i < d->v.n; i++) {
                const struct verdict_rule *x = &d->v.rules[i];
                d->nogo_any |= x->status == VERDICT_NOGO;
                d->cond |= x->status == VERDICT_CAUTION || x->status == VERDICT_WARN ||
                           (x->status == VERDICT_NOT_EVALUATED && i < 4);
        }
        d->v.overall = d->nogo_any ? "NO-GO" : d->cond ? "GO WITH CONDITIONS" : "GO";
}

/* The sentence: what the JIT bought and what it costs, then why not, or on what conditions. */
static void write_sentence(struct decision *d)
{
        const struct verdict_inputs *in = d->in;
        const struct speed *sp = &d->sp;
        struct verdict *v = &d->v;
        char a[32], speed_s[160], mem_s[160];

        if (sp->have && d->mem->have && (sp->too_few || d->mem->too_few)) {
                snprintf(speed_s, sizeof(speed_s), "%d runs per mode are too few to measure what the JIT buys or costs", in->runs);
                mem_s[0] = '\0';
        } else {
                speed_phrase(sp, speed_s, sizeof(speed_s));
                memory_phrase(in, mem_s, sizeof(mem_s));
        }
        snprintf(v->sentence, sizeof(v->sentence), "%s: %s%s%s", v->overall, speed_s, mem_s[0] ? " and " : "", mem_s);
        if (d->nogo_any) {
                const struct verdict_rule *s = &v->rules[3]; /* speed_vs_memory */
                if (s->status == VERDICT_NOGO && sp->measured && sp->gain > 0)
                        append(v->sentence, sizeof(v->sentence), ": more memory than speed, under a %s limit",
                               bytes(in->limit_bytes, a, sizeof(a)));
                for (int i = 0; i < 2; i++)
                        if (d->nogo[i][0])
                                append(v->sentence, sizeof(v->sentence), "; %s", d->nogo[i]);
        } else if (d->cond) {
                int k = 0;
                for (int i = 0; i < v->n; i++)
                        if (v->rules[i].condition[0])
                                append(v->sentence, sizeof(v->sentence), "%s%s", k++ ? "; " : "; on condition that ",
                                       v->rules[i].condition);
        } else if (in->have_limit && d->mem->have) {
                append(v->sentence, sizeof(v->sentence), ", leaving %.1f%% of the %s limit at peak",
                       100 * (in->limit_bytes - d->mem->on) / in->limit_bytes, bytes(in->limit_bytes, a, sizeof(a)));
        }
}

int verdict_decide(const struct verdict_inputs *in, const struct verdict_thresholds *t, struct verdict *ret)
{
        struct decision d;

        decision_init(&d, in, t);
        if (in->control) { /* nothing to decide: PYTHON_JIT has no JIT to switch */
                control_sentence(in, &d.v);
                *ret = d.v;
                return 0;
        }
        rule_per_worker_limit(&d);
        rule_headroom_at_peak(&d);
        rule_jit_delta_vs_headroom(&d);
        rule_speed_vs_memory(&d);
        rule_warmup_vs_restart(&d);
        rule_dynamic_frameworks(&d);
        decide_overall(&d);
        write_sentence(&d);
        *ret = d.v;
        return 0;
}

json_t *verdict_json(const struct verdict *v)
{
        json_t *rules = json_array(), *conditions = json_array();

        for (int i = 0; rules && conditions && i < v->n; i++) {
                const struct verdict_rule *r = &v->rules[i];
                json_array_append_new(rules, json_pack("{s:s, s:o, s:o, s:s, s:b, s:o, s:s, s:s, s:o}",
                                                       "name", r->name,
                                                       "value", r->evaluated && isfinite(r->value) ? json_real(r->value) : json_null(),
                                                       "threshold", r->evaluated ? json_real(r->threshold) : json_null(),
                                                       "unit", r->unit,
                                                       "evaluated", r->evaluated,
                                                       "passed", r->evaluated ? json_boolean(r->passed) : json_null(),
                                                       "status", verdict_status_name(r->status),
                                                       "reason", r->reason,
                                                       "condition", r->condition[0] ? json_string(r->condition) : json_null()));
                if (r->condition[0] && strcmp(v->overall, "GO WITH CONDITIONS") == 0)
                        json_array_append_new(conditions, json_string(r->condition));
        }
        return json_pack("{s:s, s:s, s:o, s:o}", "overall", v->overall, "sentence", v->sentence, "conditions", conditions,
                         "rules", rules);
}
