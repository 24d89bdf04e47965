/* The verdict rules, table-driven, at and around every boundary; the sentence; the control; the
 * speed side under an open-model load. */
#include "verdict.h"
#include "unit.h"

#include <math.h>

#define MiB (1024.0 * 1024.0)

static struct verdict_figure fig(double off, double on, int significant)
{
        struct verdict_figure f = { 1, off, on, on - off, significant, 0 };

        return f;
}

static struct verdict_inputs base(void)
{
        struct verdict_inputs in;

        memset(&in, 0, sizeof(in));
        in.runs = 5;
        in.have_limit = 1;
        in.limit_bytes = 1024 * MiB;
        in.workers = 1;
        in.memory_figure = "PSS";
        in.memory = fig(400 * MiB, 410 * MiB, 1);
        in.throughput = fig(100, 105, 1);
        in.wall = fig(10, 10 / 1.05, 1);
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

static void set_memory(struct verdict_inputs *in, double off, double on)
{
        in->memory.off = off;
        in->memory.on = on;
        in->memory.shift = on - off;
}
static void set_limit_per_worker(struct verdict_inputs *in, double x) { in->workers = 4; in->limit_bytes = 4 * x; set_memory(in, 0.1 * in->limit_bytes, 0.1 * in->limit_bytes + 10 * MiB); in->throughput.on = 200; }
static void set_headroom(struct verdict_inputs *in, double x) { set_memory(in, in->limit_bytes * (1 - x) - 10 * MiB, in->limit_bytes * (1 - x)); }
static void set_delta_share(struct verdict_inputs *in, double x) { set_memory(in, 500 * MiB, 500 * MiB + x * (in->limit_bytes - 500 * MiB)); in->throughput.on = 200; }
static void set_delta_insignificant(struct verdict_inputs *in, double x) { set_delta_share(in, x); in->memory.significant = 0; }
static void set_speed(struct verdict_inputs *in, double x) { in->throughput.on = 100 * (1 + x); set_memory(in, 40 * MiB, 48 * MiB); }
static void set_speed_nolimit(struct verdict_inputs *in, double x) { set_speed(in, x); in->have_limit = 0; }
static void set_restart(struct verdict_inputs *in, double x) { in->have_restart = 1; in->restart_s = 600; in->have_warmup = 1; in->warmup_s = x; }
static void set_frameworks(struct verdict_inputs *in, double x) { if (x > 0) snprintf(in->frameworks, sizeof(in->frameworks), "django"); }
static void set_nolimit(struct verdict_inputs *in, double x) { (void)x; in->have_limit = 0; in->throughput.on = 200; }
static void set_too_few(struct verdict_inputs *in, double x) { (void)x; in->runs = 3; in->memory.too_few = in->throughput.too_few = 1; in->memory.significant = in->throughput.significant = 0; }
static void set_nothing(struct verdict_inputs *in, double x) { (void)in; (void)x; }

static void decide(const struct verdict_inputs *in, struct verdict *v)
{
        struct verdict_thresholds t;

        verdict_thresholds_default(&t);
        CHECK_EQ_INT(verdict_decide(in, &t, v), 0);
}

static int has(const char *s, const char *part)
{
        if (strstr(s, part))
                return 1;
        fprintf(stderr, "  \"%s\" lacks \"%s\"\n", s, part);
        return 0;
}

/* The sentence: the overall first, then what was measured; the conditions of a GO WITH
 * CONDITIONS named in it; NO-GO reasons in it. */
static void test_sentence(void)
{
        struct verdict_inputs in;
        struct verdict v;

        /* no measurable speed, +1.5 MiB PSS, a limit: NO-GO, said as one sentence */
        in = base();
        in.throughput.significant = 0;
        set_memory(&in, 100 * MiB, 101.5 * MiB);
        decide(&in, &v);
        CHECK_STR(v.overall, "NO-GO");
        CHECK_STR(v.sentence, "NO-GO: the JIT bought no measurable speed and costs +1.50 MiB peak PSS (+1.5%)");
        CHECK(strchr(v.sentence, '\n') == NULL);

        /* faster, within the limit: GO, with what it bought and what is left */
        in = base();
        in.throughput = fig(100, 120, 1);
        decide(&in, &v);
        CHECK_STR(v.overall, "GO");
        CHECK(has(v.sentence, "GO: the JIT bought +20.0% throughput and costs +10.0 MiB peak PSS (+2.5%)"));
        CHECK(has(v.sentence, "leaving 60.0% of the 1.00 GiB limit at peak"));

        /* GO WITH CONDITIONS names each condition on the line */
        in = base();
        in.throughput = fig(100, 120, 1);
        in.have_limit = 0;
        set_restart(&in, 700);
        snprintf(in.frameworks, sizeof(in.frameworks), "django");
        decide(&in, &v);
        CHECK_STR(v.overall, "GO WITH CONDITIONS");
        CHECK(has(v.sentence, "GO WITH CONDITIONS: the JIT bought +20.0% throughput and costs +10.0 MiB peak PSS"));
        CHECK(has(v.sentence, "on condition that "));
        int conditions = 0;
        for (int i = 0; i < v.n; i++)
                if (v.rules[i].condition[0]) {
                        conditions++;
                        CHECK(has(v.sentence, v.rules[i].condition));
                }
        CHECK_EQ_INT(conditions, 3); /* the limit, the restarts, django */
        CHECK(has(rule(&v, "per_worker_limit")->condition, "--limit"));
        CHECK(has(rule(&v, "warmup_vs_restart")->condition, "700.0 s warm-up"));
        CHECK(has(rule(&v, "dynamic_frameworks")->condition, "django"));
        json_t *j = verdict_json(&v);
        CHECK_EQ_INT(json_array_size(json_object_get(j, "conditions")), 3);
        CHECK_STR(json_string_value(json_object_get(j, "sentence")), v.sentence);
        json_decref(j);

        /* a caution is a condition too */
        in = base();
        set_limit_per_worker(&in, 256 * MiB);
        decide(&in, &v);
        CHECK_STR(v.overall, "GO WITH CONDITIONS");
        CHECK(has(v.sentence, "256 MiB per worker is below 512 MiB"));

        /* NO-GO for the headroom says so, with the figures */
        in = base();
        set_headroom(&in, 0.30);
        decide(&in, &v);
        CHECK_STR(v.overall, "NO-GO");
        CHECK(has(v.sentence, "with it on, peak PSS leaves 30.0% of the 1.00 GiB limit (40% needed)"));

        /* NO-GO for the share of the headroom */
        in = base();
        set_delta_share(&in, 0.2);
        decide(&in, &v);
        CHECK_STR(v.overall, "NO-GO");
        CHECK(has(v.sentence, "takes 20.0% of the 524 MiB headroom (10% at most)"));

        /* faster but dearer in memory than it is faster, under a limit */
        in = base();
        set_speed(&in, 0.05);
        decide(&in, &v);
        CHECK_STR(v.overall, "NO-GO");
        CHECK(has(v.sentence, "NO-GO: the JIT bought +5.0% throughput and costs +8.00 MiB peak PSS (+20.0%)"));
        CHECK(has(v.sentence, "more memory than speed, under a 1.00 GiB limit"));

        /* slower, and less memory */
        in = base();
        in.throughput = fig(100, 90, 1);
        set_memory(&in, 400 * MiB, 390 * MiB);
        decide(&in, &v);
        CHECK(has(v.sentence, "the JIT cost 10.0% of the throughput and saves 10.0 MiB peak PSS (-2.5%)"));

        /* no measurable memory difference */
        in = base();
        in.memory.significant = 0;
        decide(&in, &v);
        CHECK(has(v.sentence, "costs no measurable memory (peak PSS)"));

        /* wall time when there is no throughput */
        in = base();
        in.throughput.have = 0;
        in.wall = fig(10, 8, 1);
        decide(&in, &v);
        CHECK(has(v.sentence, "the JIT cut run time by 20.0%"));

        /* too few runs: nothing is claimed, more runs is a condition */
        in = base();
        set_too_few(&in, 0);
        decide(&in, &v);
        CHECK_STR(v.overall, "GO WITH CONDITIONS");
        CHECK(has(v.sentence, "3 runs per mode are too few to measure what the JIT buys or costs"));
        CHECK(has(v.sentence, "--runs 5"));
        CHECK(strstr(v.sentence, "bought") == NULL && strstr(v.sentence, "costs +") == NULL);
}

/* A control: CONTROL and no rule, no GO or NO-GO, whatever the figures say. */
/* The cost judged on the tree's anonymous memory when it was compared: the PSS shift (moved by
 * processes outside the tree sharing its file pages) no longer decides the delta rules. */
static void test_cost_figure(void)
{
        struct verdict_inputs in;
        struct verdict v;
        const struct verdict_rule *r;

        in = base();
        in.throughput.significant = 0;
        set_memory(&in, 100 * MiB, 96 * MiB); /* PSS fell: outside sharers came */
        in.memory.significant = 1;
        in.cost_figure = "anonymous memory";
        in.cost = fig(60 * MiB, 61.5 * MiB, 1);
        decide(&in, &v);
        CHECK_STR(v.sentence, "NO-GO: the JIT bought no measurable speed and costs +1.50 MiB of anonymous memory (+1.5% of peak PSS)");
        r = rule(&v, "speed_vs_memory");
        CHECK(r && r->evaluated && !r->passed);
        r = rule(&v, "jit_delta_vs_headroom");
        CHECK(r && r->evaluated && fabs(r->value - 1.5 * MiB / (1024 * MiB - 100 * MiB)) < 1e-9);
        CHECK(r && has(r->reason, "the JIT adds 1.50 MiB of anonymous memory"));
        /* headroom at peak stays on the memory the limit sees (PSS) */
        r = rule(&v, "headroom_at_peak");
        CHECK(r && fabs(r->value - (1024 - 96) / 1024.0) < 1e-9);

        /* an anonymous-memory shift the interval does not separate from 0: no cost, whatever PSS did */
        in.cost = fig(60 * MiB, 60.1 * MiB, 0);
        set_memory(&in, 100 * MiB, 104 * MiB);
        decide(&in, &v);
        CHECK(has(v.sentence, "costs no measurable memory (anonymous memory, counted once)"));
        r = rule(&v, "jit_delta_vs_headroom");
        CHECK(r && r->passed);
}

static void test_control(void)
{
        struct verdict_inputs in = base();
        struct verdict v;

        in.control = 1;
        in.control_build = "not_built";
        set_headroom(&in, 0.1); /* would be a NO-GO */
        decide(&in, &v);
        CHECK_STR(v.overall, "CONTROL");
        CHECK_STR(v.sentence, "CONTROL: this interpreter has no JIT");
        CHECK_EQ_INT(v.n, 0);
        CHECK(strstr(v.sentence, "GO") == NULL);
        json_t *j = verdict_json(&v);
        CHECK_STR(json_string_value(json_object_get(j, "overall")), "CONTROL");
        CHECK_EQ_INT(json_array_size(json_object_get(j, "rules")), 0);
        json_decref(j);

        in.control_build = "interpreter_only"; /* PYTHON_JIT=1 does switch the tier-2 interpreter */
        decide(&in, &v);
        CHECK(has(v.sentence, "CONTROL: this interpreter has no JIT, only the tier-2 interpreter"));
        in.control_build = "unknown";
        decide(&in, &v);
        CHECK(has(v.sentence, "CONTROL: no JIT was found"));
        CHECK_EQ_INT(v.n, 0);
}

/* An open-model load: throughput is the rate asked for, so the speed comes from CPU time per
 * request served and the median latency; the worse of those that differ measurably counts. */
static void test_open_model(void)
{
        struct verdict_inputs in;
        struct verdict v;
        const struct verdict_rule *r;

        /* 200 req/s both ways (+0.0%, not measurable); CPU per request 20% lower, latency too */
        in = base();
        in.open_model = 1;
        in.throughput = fig(200, 200, 0);
        in.cpu_per_unit = fig(0.0050, 0.0040, 1);
        in.latency = fig(2000, 1600, 1);
        set_memory(&in, 400 * MiB, 420 * MiB); /* +5% memory for +25% speed */
        decide(&in, &v);
        r = rule(&v, "speed_vs_memory");
        CHECK_EQ_INT(r->status, VERDICT_PASS);
        CHECK(fabs(r->value - 0.25) < 1e-9);
        CHECK(has(r->reason, "CPU time per request -20.0%, median latency -20.0%"));
        CHECK(strstr(r->reason, "throughput") == NULL);
        CHECK(has(v.sentence, "the JIT cut CPU time per request by 20.0%"));
        CHECK(strstr(v.sentence, "throughput") == NULL);

        /* in the closed model the throughput counts, and the CPU time per unit of work beside it:
         * the throughput alone would have said "no speed", the CPU says otherwise */
        in.open_model = 0;
        decide(&in, &v);
        r = rule(&v, "speed_vs_memory");
        CHECK_EQ_INT(r->status, VERDICT_PASS);
        CHECK(has(r->reason, "throughput +0.0% ~0, CPU time per unit of work -20.0%"));
        CHECK(has(v.sentence, "the JIT cut CPU time per unit of work by 20.0%"));
        in.cpu_per_unit = fig(0.0050, 0.0049, 0); /* neither measurable: no speed */
        decide(&in, &v);
        CHECK_EQ_INT(rule(&v, "speed_vs_memory")->status, VERDICT_NOGO);
        CHECK(has(v.sentence, "the JIT bought no measurable speed"));
        in.cpu_per_unit = fig(0.0050, 0.0040, 1);
        in.open_model = 1;

        /* latency measurably worse with the JIT: the worse figure counts */
        in.latency = fig(2000, 2200, 1);
        decide(&in, &v);
        r = rule(&v, "speed_vs_memory");
        CHECK(fabs(r->value - (2000.0 / 2200 - 1)) < 1e-9);
        CHECK_EQ_INT(r->status, VERDICT_NOGO);
        CHECK(has(v.sentence, "the JIT added 10.0% to median latency"));

        /* neither differs measurably: no measurable speed */
        in.cpu_per_unit.significant = 0;
        in.latency.significant = 0;
        decide(&in, &v);
        CHECK(has(v.sentence, "NO-GO: the JIT bought no measurable speed and costs +20.0 MiB peak PSS"));
        CHECK(has(rule(&v, "speed_vs_memory")->reason, "~0"));

        /* no CPU or latency figure: not weighed, whatever the throughput */
        in.cpu_per_unit.have = 0;
        in.latency.have = 0;
        decide(&in, &v);
        CHECK_EQ_INT(rule(&v, "speed_vs_memory")->status, VERDICT_NOT_EVALUATED);
        CHECK(has(rule(&v, "speed_vs_memory")->reason, "no CPU time per request or latency figure"));
}

/* Each rule on its own when what it needs is missing, and the sentence's parts in their order. */
static void test_rules_apart(void)
{
        struct verdict_inputs in;
        struct verdict v;
        const struct verdict_rule *r;

        /* no limit: the per-worker rule asks for one, the two headroom rules need one */
        in = base();
        in.have_limit = 0;
        decide(&in, &v);
        r = rule(&v, "per_worker_limit");
        CHECK(r && !r->evaluated && r->status == VERDICT_NOT_EVALUATED);
        CHECK(r && has(r->reason, "use --limit"));
        CHECK(r && has(r->condition, "check with --limit"));
        CHECK_STR(rule(&v, "headroom_at_peak")->reason, "needs a limit");
        CHECK_STR(rule(&v, "jit_delta_vs_headroom")->reason, "needs a limit");
        CHECK_STR(v.overall, "GO WITH CONDITIONS");

        /* a limit but no memory figure: nothing measured against it, speed not weighed */
        in = base();
        in.memory.have = 0;
        decide(&in, &v);
        CHECK_STR(rule(&v, "headroom_at_peak")->reason, "no memory figure");
        CHECK_STR(rule(&v, "jit_delta_vs_headroom")->reason, "no memory figure");
        CHECK_STR(rule(&v, "speed_vs_memory")->reason, "no memory figure");
        CHECK(has(rule(&v, "speed_vs_memory")->condition, "no memory figure was compared"));
        CHECK(has(v.sentence, "its memory was not compared"));

        /* no worker count: one worker has the whole limit */
        in = base();
        in.workers = 0;
        decide(&in, &v);
        r = rule(&v, "per_worker_limit");
        CHECK(r && fabs(r->value - 1024 * MiB) < 1);
        CHECK(r && has(r->reason, "1.00 GiB per worker (1 sharing 1.00 GiB)"));

        /* speed and memory equal to rounding: a pass, not a NO-GO */
        in = base();
        set_memory(&in, 100 * MiB, 105 * MiB);
        in.throughput = fig(100, 105, 1);
        decide(&in, &v);
        r = rule(&v, "speed_vs_memory");
        CHECK(r && r->status == VERDICT_PASS);
        CHECK(r && fabs(r->value - 0.05) < 1e-9 && fabs(r->threshold - 0.05) < 1e-9);

        /* a restart interval but no warm-up end: not evaluated, and not a condition (only the
         * limit and speed rules are) */
        in = base();
        in.have_restart = 1;
        in.restart_s = 60;
        decide(&in, &v);
        r = rule(&v, "warmup_vs_restart");
        CHECK(r && r->status == VERDICT_NOT_EVALUATED);
        CHECK_STR(r->reason, "no warm-up end was detected");
        CHECK_STR(v.overall, "GO");

        /* both limit rules fail: each finding once, the headroom's first */
        in = base();
        in.throughput = fig(100, 150, 1);
        set_memory(&in, 500 * MiB, 700 * MiB);
        decide(&in, &v);
        CHECK_STR(v.overall, "NO-GO");
        const char *h = strstr(v.sentence, "; with it on, peak PSS leaves 31.6% of the 1.00 GiB limit (40% needed)");
        const char *s = strstr(v.sentence, "; its +200 MiB takes 38.2% of the 524 MiB headroom (10% at most)");
        CHECK(h != NULL && s != NULL && h < s);
        CHECK(strstr(v.sentence, "more memory than speed") == NULL); /* the speed rule passed */
        CHECK(strstr(v.sentence, "on condition") == NULL);
}

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
                { "too few runs: speed and memory not weighed", set_too_few, 0, "speed_vs_memory", VERDICT_NOT_EVALUATED, "GO WITH CONDITIONS" },
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
                /* the sentence starts with the overall and says it once */
                size_t ol = strlen(v.overall);
                CHECK(strncmp(v.sentence, v.overall, ol) == 0 && v.sentence[ol] == ':');
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
        CHECK_EQ_INT(json_array_size(json_object_get(j, "conditions")), 0);
        json_decref(j);

        test_sentence();
        test_cost_figure();
        test_control();
        test_open_model();
        test_rules_apart();
        return unit_finish("test_verdict");
}
