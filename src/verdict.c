#include "verdict.h"
#include "util.h"

#include <math.h>
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

int verdict_decide(const struct verdict_inputs *in, const struct verdict_thresholds *t, struct verdict *ret)
{
        struct verdict v;
        struct verdict_rule *r;
        char a[32], b[32];
        int workers = in->workers > 0 ? in->workers : 1;

        memset(&v, 0, sizeof(v));

        r = add(&v, "per_worker_limit", "bytes");
        if (in->have_limit) {
                double per = in->limit_bytes / workers;
                judge(r, per, t->per_worker_min_bytes, per >= t->per_worker_min_bytes, VERDICT_CAUTION);
                snprintf(r->reason, sizeof(r->reason), "%s per worker (%d sharing %s)%s",
                         util_format_bytes((uint64_t)per, a, sizeof(a)), workers,
                         util_format_bytes((uint64_t)in->limit_bytes, b, sizeof(b)),
                         r->passed ? "" : ": little room for any growth, treat the JIT as off until measured under real load");
        } else {
                snprintf(r->reason, sizeof(r->reason), "no limit given and no cgroup limit found: use --limit");
        }

        r = add(&v, "headroom_at_peak", "fraction");
        if (in->have_limit) {
                double h = (in->limit_bytes - in->peak_on) / in->limit_bytes;
                judge(r, h, t->headroom_min, h >= t->headroom_min, VERDICT_NOGO);
                snprintf(r->reason, sizeof(r->reason), "peak %s with the JIT on is %s of %s, leaving %.1f%%",
                         in->memory_figure, util_format_bytes((uint64_t)fmax(in->peak_on, 0), a, sizeof(a)),
                         util_format_bytes((uint64_t)in->limit_bytes, b, sizeof(b)), 100.0 * h);
        } else {
                snprintf(r->reason, sizeof(r->reason), "needs a limit");
        }

        r = add(&v, "jit_delta_vs_headroom", "fraction");
        if (in->have_limit) {
                double headroom = in->limit_bytes - in->peak_off;
                double share = headroom > 0 ? fmax(in->mem_delta, 0) / headroom : INFINITY;
                int ok = !in->mem_delta_significant || share <= t->delta_max_of_headroom;
                judge(r, share, t->delta_max_of_headroom, ok, VERDICT_NOGO);
                if (!in->mem_delta_significant)
                        snprintf(r->reason, sizeof(r->reason), "no measurable memory difference (the interval holds 0)");
                else
                        snprintf(r->reason, sizeof(r->reason), "the JIT adds %s, %.1f%% of the %s headroom left with it off",
                                 util_format_bytes((uint64_t)fmax(in->mem_delta, 0), a, sizeof(a)), 100.0 * share,
                                 util_format_bytes((uint64_t)fmax(headroom, 0), b, sizeof(b)));
        } else {
                snprintf(r->reason, sizeof(r->reason), "needs a limit");
        }

        r = add(&v, "speed_vs_memory", "fraction");
        if (!in->have_speed) {
                snprintf(r->reason, sizeof(r->reason), "no speed figure");
        } else {
                double cost = in->mem_delta_significant ? in->mem_delta_rel : 0;
                double gain = in->speed_significant ? in->speed_gain_rel : 0;
                if (in->have_limit) {
                        judge(r, gain, cost, gain >= cost, VERDICT_NOGO);
                        snprintf(r->reason, sizeof(r->reason), "speed %+.1f%% for memory %+.1f%% in a limited container%s",
                                 100.0 * gain, 100.0 * cost, r->passed ? "" : ": the memory costs more than the speed buys");
                } else {
                        judge(r, gain, cost, gain >= cost, VERDICT_WARN);
                        snprintf(r->reason, sizeof(r->reason), "speed %+.1f%% for memory %+.1f%% (no limit: not a NO-GO)",
                                 100.0 * gain, 100.0 * cost);
                }
        }

        r = add(&v, "warmup_vs_restart", "seconds");
        if (in->have_restart && in->have_warmup) {
                judge(r, in->warmup_s, in->restart_s, in->warmup_s <= in->restart_s, VERDICT_WARN);
                snprintf(r->reason, sizeof(r->reason), "warm-up %.1f s against a restart every %.0f s%s%s", in->warmup_s,
                         in->restart_s, in->restart_observed ? " per worker (observed in the runs)" : "",
                         r->passed ? "" : ": the warm-up cost is paid again on every restart");
        } else {
                snprintf(r->reason, sizeof(r->reason), in->have_restart ? "no warm-up end was detected"
                                                                        : "no restart seen and no interval given (--restart-every)");
        }

        r = add(&v, "dynamic_frameworks", "");
        judge(r, in->frameworks[0] ? 1 : 0, 0, in->frameworks[0] == '\0', VERDICT_WARN);
        if (in->frameworks[0])
                snprintf(r->reason, sizeof(r->reason), "%s: dynamic attribute resolution is a risk for the JIT; the measurement decides",
                         in->frameworks);
        else
                snprintf(r->reason, sizeof(r->reason), "none detected");

        int nogo = 0, cond = 0;
        for (int i = 0; i < v.n; i++) {
                nogo |= v.rules[i].status == VERDICT_NOGO;
                cond |= v.rules[i].status == VERDICT_CAUTION || v.rules[i].status == VERDICT_WARN ||
                        (v.rules[i].status == VERDICT_NOT_EVALUATED && i < 3); /* the limit rules */
        }
        v.overall = nogo ? "NO-GO" : cond ? "GO WITH CONDITIONS" : "GO";
        *ret = v;
        return 0;
}

json_t *verdict_json(const struct verdict *v)
{
        json_t *rules = json_array();

        for (int i = 0; rules && i < v->n; i++) {
                const struct verdict_rule *r = &v->rules[i];
                json_array_append_new(rules, json_pack("{s:s, s:o, s:o, s:s, s:b, s:o, s:s, s:s}",
                                                       "name", r->name,
                                                       "value", r->evaluated && isfinite(r->value) ? json_real(r->value) : json_null(),
                                                       "threshold", r->evaluated ? json_real(r->threshold) : json_null(),
                                                       "unit", r->unit,
                                                       "evaluated", r->evaluated,
                                                       "passed", r->evaluated ? json_boolean(r->passed) : json_null(),
                                                       "status", verdict_status_name(r->status),
                                                       "reason", r->reason));
        }
        return json_pack("{s:s, s:o}", "overall", v->overall, "rules", rules);
}
