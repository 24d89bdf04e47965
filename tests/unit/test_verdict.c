/* The verdict rules, table-driven, at and around every boundary. */
#include "verdict.h"
#include "unit.h"

#include <math.h>

#define MiB (1024.0 * 1024.0)

static struct verdict_inputs base(void)
{
        struct verdict_inputs in;

        memset(&in, 0, sizeof(in));
        in.have_limit = 1;
        in.limit_bytes = 1024 * MiB;
        in.workers = 1;
        in.memory_figure = "PSS";
        in.peak_off = 400 * MiB;
        in.peak_on = 410 * MiB;
        in.mem_delta = 10 * MiB;
        in.mem_delta_rel = 10.0 / 400;
        in.mem_delta_significant = 1;
        in.have_speed = 1;
        in.speed_gain_rel = 0.05;
        in.speed_significant = 1;
        return in;
}

static const struct verdict_rule *rule(const struct verdict *v, const char *name)
{
        for (int i = 0; i < v->n; i++)
                if (strcmp(v->rules[i].name, name) == 0)
                        return &v->rules[i];
        return NULL;
}

struct row {
        const char *what;
        void (*set)(struct verdict_inputs *in, double x);
        double x;
        const char *rule;
        enum verdict_status status;
        const char *overall;
};

static void set_limit_per_worker(struct verdict_inputs *in, double x) { in->workers = 4; in->limit_bytes = 4 * x; in->peak_off = 0.1 * in->limit_bytes; in->peak_on = in->peak_off + in->mem_delta; }
static void set_headroom(struct verdict_inputs *in, double x) { in->peak_on = in->limit_bytes * (1 - x); in->peak_off = in->peak_on - in->mem_delta; }
static void set_delta_share(struct verdict_inputs *in, double x) { in->peak_off = 500 * MiB; in->mem_delta = x * (in->limit_bytes - in->peak_off); in->peak_on = in->peak_off + in->mem_delta; in->mem_delta_rel = in->mem_delta / in->peak_off; in->speed_gain_rel = 1; }
static void set_delta_insignificant(struct verdict_inputs *in, double x) { set_delta_share(in, x); in->mem_delta_significant = 0; }
static void set_speed(struct verdict_inputs *in, double x) { in->speed_gain_rel = x; in->mem_delta_rel = 0.20; }
static void set_speed_nolimit(struct verdict_inputs *in, double x) { set_speed(in, x); in->have_limit = 0; }
static void set_restart(struct verdict_inputs *in, double x) { in->have_restart = 1; in->restart_s = 600; in->have_warmup = 1; in->warmup_s = x; }
static void set_frameworks(struct verdict_inputs *in, double x) { if (x > 0) snprintf(in->frameworks, sizeof(in->frameworks), "django"); }
static void set_nolimit(struct verdict_inputs *in, double x) { (void)x; in->have_limit = 0; in->speed_gain_rel = 1; }
static void set_nothing(struct verdict_inputs *in, double x) { (void)in; (void)x; }

int main(void)
{
        static const struct row rows[] = {
                { "all clear", set_nothing, 0, "headroom_at_peak", VERDICT_PASS, "GO" },
                { "512 MiB per worker: at the threshold", set_limit_per_worker, 512 * MiB, "per_worker_limit", VERDICT_PASS, "GO" },
                { "511 MiB per worker: caution", set_limit_per_worker, 511 * MiB, "per_worker_limit", VERDICT_CAUTION, "GO WITH CONDITIONS" },
                { "headroom 40%: at the threshold", set_headroom, 0.40, "headroom_at_peak", VERDICT_PASS, "GO" },
                { "headroom 39.9%: NO-GO", set_headroom, 0.399, "headroom_at_peak", VERDICT_NOGO, "NO-GO" },
                { "delta 10% of headroom: at the threshold", set_delta_share, 0.10, "jit_delta_vs_headroom", VERDICT_PASS, "GO" },
                { "delta 10.1% of headroom: NO-GO", set_delta_share, 0.101, "jit_delta_vs_headroom", VERDICT_NOGO, "NO-GO" },
                { "delta 20% of headroom but not measurable: pass", set_delta_insignificant, 0.2, "jit_delta_vs_headroom", VERDICT_PASS, "GO" },
                { "+20% speed for +20% memory: pass", set_speed, 0.20, "speed_vs_memory", VERDICT_PASS, "GO" },
                { "+5% speed for +20% memory, limited: NO-GO", set_speed, 0.05, "speed_vs_memory", VERDICT_NOGO, "NO-GO" },
                { "+5% speed for +20% memory, no limit: warning", set_speed_nolimit, 0.05, "speed_vs_memory", VERDICT_WARN, "GO WITH CONDITIONS" },
                { "warm-up 600 s, restart every 600 s: pass", set_restart, 600, "warmup_vs_restart", VERDICT_PASS, "GO" },
                { "warm-up 601 s, restart every 600 s: warning", set_restart, 601, "warmup_vs_restart", VERDICT_WARN, "GO WITH CONDITIONS" },
                { "django on the command line: warning", set_frameworks, 1, "dynamic_frameworks", VERDICT_WARN, "GO WITH CONDITIONS" },
                { "no limit: the limit rules are not evaluated", set_nolimit, 0, "headroom_at_peak", VERDICT_NOT_EVALUATED, "GO WITH CONDITIONS" },
        };
        struct verdict_thresholds t;

        verdict_thresholds_default(&t);
        CHECK(fabs(t.per_worker_min_bytes - 512 * MiB) < 1);
        CHECK(fabs(t.headroom_min - 0.40) < 1e-12);
        CHECK(fabs(t.delta_max_of_headroom - 0.10) < 1e-12);
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct verdict_inputs in = base();
                struct verdict v;
                rows[i].set(&in, rows[i].x);
                CHECK_EQ_INT(verdict_decide(&in, &t, &v), 0);
                const struct verdict_rule *r = rule(&v, rows[i].rule);
                CHECK(r != NULL);
                if (r && r->status != rows[i].status)
                        fprintf(stderr, "  row \"%s\": %s is %s\n", rows[i].what, r->name, verdict_status_name(r->status));
                if (r)
                        CHECK_EQ_INT(r->status, rows[i].status);
                if (strcmp(v.overall, rows[i].overall) != 0)
                        fprintf(stderr, "  row \"%s\": overall %s\n", rows[i].what, v.overall);
                CHECK_STR(v.overall, rows[i].overall);
                for (int k = 0; k < v.n; k++)
                        CHECK(v.rules[k].reason[0] != '\0'); /* every rule says why */
        }

        /* A restart interval observed in the runs is said to be one. */
        struct verdict_inputs in = base();
        struct verdict v;
        set_restart(&in, 700);
        in.restart_observed = 1;
        verdict_decide(&in, &t, &v);
        CHECK(strstr(rule(&v, "warmup_vs_restart")->reason, "observed in the runs") != NULL);
        CHECK_EQ_INT(rule(&v, "warmup_vs_restart")->status, VERDICT_WARN);
        in.restart_observed = 0;
        verdict_decide(&in, &t, &v);
        CHECK(strstr(rule(&v, "warmup_vs_restart")->reason, "observed") == NULL);

        /* The JSON carries value, threshold and pass/fail for each rule. */
        in = base();
        verdict_decide(&in, &t, &v);
        json_t *j = verdict_json(&v);
        CHECK(j != NULL);
        CHECK_STR(json_string_value(json_object_get(j, "overall")), "GO");
        json_t *r0 = json_array_get(json_object_get(j, "rules"), 1);
        CHECK_STR(json_string_value(json_object_get(r0, "name")), "headroom_at_peak");
        CHECK(fabs(json_real_value(json_object_get(r0, "value")) - (1024 - 410) / 1024.0) < 1e-9);
        CHECK(fabs(json_real_value(json_object_get(r0, "threshold")) - 0.40) < 1e-12);
        CHECK(json_is_true(json_object_get(r0, "passed")));
        json_decref(j);
        return unit_finish("test_verdict");
}
