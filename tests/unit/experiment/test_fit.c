/* Unit tests for the search of src/experiment/fit.c, against a simulated trial with a known
 * threshold: a limit passes when it is at least the threshold. */
#include "fit.h"
#include "unit.h"

#include <math.h>
#include <string.h>

#define T_NEED 123456789ULL
#define PAGE 4096ULL

/* The simulated trial: the unlimited one passes and measures peak; a limited one passes when
 * it is at least need. */
static struct fit_step simulate(int unlimited, uint64_t limit, uint64_t need, double peak)
{
        struct fit_step s = { .unlimited = unlimited, .limit_bytes = limit, .peak_pss = -1, .peak_cgroup = -1 };

        s.passed = unlimited || limit >= need;
        if (unlimited)
                s.peak_pss = peak;
        return s;
}

/* Runs the search from steps[0..n) until it stops. Returns the last kind; *n is the trials. */
static enum fit_next_kind search(const struct fit_params *p, struct fit_step *steps, size_t *n, size_t cap,
                                 uint64_t need, double peak)
{
        enum fit_next_kind k;
        uint64_t limit;

        for (;;) {
                limit = 0;
                k = fit_next(p, steps, *n, &limit);
                if ((k != FIT_TRY && k != FIT_TRY_UNLIMITED) || *n >= cap)
                        return k;
                if (k == FIT_TRY) {
                        CHECK(limit % p->page == 0);
                        CHECK(limit > 0);
                }
                steps[*n] = simulate(k == FIT_TRY_UNLIMITED, limit, need, peak);
                (*n)++;
        }
}

static void params(struct fit_params *p)
{
        fit_params_default(p);
        p->page = PAGE;
        p->max_trials = 60;
}

static uint64_t page_up(uint64_t v)
{
        return (v + PAGE - 1) / PAGE * PAGE;
}

/* With a precision of one page the page-rounded threshold is found exactly. */
static void test_exact(void)
{
        struct fit_params p;
        struct fit_step steps[64];
        struct fit_bracket b;
        size_t n = 0;
        uint64_t first = 0;

        params(&p);
        p.precision_bytes = PAGE;
        CHECK_EQ_INT(fit_next(&p, steps, 0, &first), FIT_TRY_UNLIMITED);
        steps[0] = simulate(1, 0, T_NEED, (double)T_NEED);
        n = 1;
        CHECK_EQ_INT(fit_next(&p, steps, 1, &first), FIT_TRY);
        CHECK_EQ_U64(first, page_up((uint64_t)ceil(T_NEED * 1.1))); /* the peak plus 10% */
        n = 0;
        CHECK_EQ_INT(search(&p, steps, &n, 64, T_NEED, (double)T_NEED), FIT_DONE);
        fit_bracket_of(&p, steps, n, &b);
        CHECK(b.have_pass && b.have_fail);
        CHECK_EQ_U64(b.pass_bytes, page_up(T_NEED));
        CHECK_EQ_U64(b.fail_bytes, page_up(T_NEED) - PAGE);
        CHECK_EQ_U64(b.precision_bytes, PAGE);
        CHECK(!b.inconsistent);
        CHECK(n <= 30);

        /* a threshold on a page boundary: that page passes, the one below fails */
        n = 0;
        CHECK_EQ_INT(search(&p, steps, &n, 64, 64ULL << 20, (double)(64ULL << 20) * 0.9), FIT_DONE);
        fit_bracket_of(&p, steps, n, &b);
        CHECK_EQ_U64(b.pass_bytes, 64ULL << 20);
        CHECK_EQ_U64(b.fail_bytes, (64ULL << 20) - PAGE);
}

/* With 1% the bracket holds the threshold, and once it is first closed on both sides the
 * search takes what bisection predicts: ceil(log2(width / precision)) trials, one more at most
 * where limits are rounded to pages. */
static void test_share(void)
{
        struct fit_params p;
        struct fit_step steps[64];
        struct fit_bracket b;
        size_t n = 0, closed = 0;

        params(&p);
        CHECK_EQ_INT(search(&p, steps, &n, 64, T_NEED, (double)T_NEED), FIT_DONE);
        fit_bracket_of(&p, steps, n, &b);
        CHECK(b.fail_bytes < T_NEED && T_NEED <= b.pass_bytes);
        CHECK_EQ_U64(b.precision_bytes, (uint64_t)(T_NEED * 0.01));
        CHECK(b.pass_bytes - b.fail_bytes <= b.precision_bytes);
        for (size_t i = 1; i <= n; i++) {
                struct fit_bracket c;
                fit_bracket_of(&p, steps, i, &c);
                if (c.have_pass && c.have_fail) {
                        closed = i;
                        double w = (double)(c.pass_bytes - c.fail_bytes);
                        int predicted = w <= c.precision_bytes ? 0 : (int)ceil(log2(w / (double)c.precision_bytes));
                        int took = (int)(n - closed);
                        CHECK(took >= predicted && took <= predicted + 1);
                        break;
                }
        }
        CHECK(closed > 0);

        /* a first limit that fails (the peak is well below the need): the search goes up */
        n = 0;
        CHECK_EQ_INT(search(&p, steps, &n, 64, T_NEED, (double)T_NEED / 2), FIT_DONE);
        fit_bracket_of(&p, steps, n, &b);
        CHECK(b.fail_bytes < T_NEED && T_NEED <= b.pass_bytes);
        CHECK(!steps[1].passed);
}

/* Bounds: max_trials stops it with the bracket reached, which still holds the threshold. */
static void test_bounds(void)
{
        struct fit_params p;
        struct fit_step steps[64];
        struct fit_bracket b;
        size_t n = 0;
        uint64_t limit;

        params(&p);
        p.precision_bytes = PAGE;
        p.max_trials = 5;
        CHECK_EQ_INT(search(&p, steps, &n, 64, T_NEED, (double)T_NEED), FIT_STOP_TRIALS);
        CHECK_EQ_INT((int)n, 5);
        fit_bracket_of(&p, steps, n, &b);
        CHECK(b.have_pass);
        CHECK(b.pass_bytes >= T_NEED);
        CHECK(!b.have_fail || b.fail_bytes < T_NEED);

        /* the reference failed, or measured nothing */
        steps[0] = simulate(1, 0, T_NEED, (double)T_NEED);
        steps[0].passed = 0;
        CHECK_EQ_INT(fit_next(&p, steps, 1, &limit), FIT_STOP_REFERENCE);
        steps[0] = simulate(1, 0, T_NEED, -1);
        CHECK_EQ_INT(fit_next(&p, steps, 1, &limit), FIT_STOP_NO_PEAK);
        steps[0].peak_cgroup = 1e6; /* the cgroup's peak stands in */
        CHECK_EQ_INT(fit_next(&p, steps, 1, &limit), FIT_TRY);
        CHECK_EQ_U64(limit, page_up((uint64_t)ceil(1e6 * 1.1)));

        /* a command that fails at every limit ends, not loops */
        p.max_trials = 100;
        n = 0;
        CHECK_EQ_INT(search(&p, steps, &n, 64, UINT64_MAX, 1e6), FIT_STOP_HIGH);
        CHECK(n < 64);
        /* nor one that passes at every limit */
        n = 0;
        CHECK_EQ_INT(search(&p, steps, &n, 64, 1, 1e6), FIT_STOP_LOW);
        fit_bracket_of(&p, steps, n, &b);
        CHECK_EQ_U64(b.pass_bytes, PAGE);
}

/* Resume: the search goes on from any prefix of its trials to the same answer. */
static void test_resume(void)
{
        struct fit_params p;
        struct fit_step all[64], part[64];
        struct fit_bracket b0, b1;
        size_t n = 0;

        params(&p);
        CHECK_EQ_INT(search(&p, all, &n, 64, T_NEED, (double)T_NEED), FIT_DONE);
        fit_bracket_of(&p, all, n, &b0);
        for (size_t k = 1; k < n; k++) {
                size_t m = k;
                memcpy(part, all, k * sizeof(all[0]));
                CHECK_EQ_INT(search(&p, part, &m, 64, T_NEED, (double)T_NEED), FIT_DONE);
                fit_bracket_of(&p, part, m, &b1);
                CHECK_EQ_U64(b1.pass_bytes, b0.pass_bytes);
                CHECK_EQ_U64(b1.fail_bytes, b0.fail_bytes);
                CHECK_EQ_INT((int)m, (int)n);
        }
}

/* A flaky command: a failure above the smallest pass is flagged, the bracket stays below. */
static void test_inconsistent(void)
{
        struct fit_params p;
        struct fit_step s[4];
        struct fit_bracket b;

        params(&p);
        s[0] = simulate(1, 0, 0, 1e8);
        s[1] = (struct fit_step){ .limit_bytes = 110 * PAGE * 100, .passed = 0, .peak_pss = -1, .peak_cgroup = -1 };
        s[2] = (struct fit_step){ .limit_bytes = 100 * PAGE * 100, .passed = 1, .peak_pss = -1, .peak_cgroup = -1 };
        s[3] = (struct fit_step){ .limit_bytes = 90 * PAGE * 100, .passed = 0, .peak_pss = -1, .peak_cgroup = -1 };
        fit_bracket_of(&p, s, 4, &b);
        CHECK(b.inconsistent);
        CHECK_EQ_U64(b.pass_bytes, 100 * PAGE * 100);
        CHECK_EQ_U64(b.fail_bytes, 90 * PAGE * 100);
}

static void test_names(void)
{
        struct fit_step u = { .unlimited = 1 }, l = { .limit_bytes = 64ULL << 20 };
        char buf[64];

        fit_trial_name(1, 0, &u, buf, sizeof(buf));
        CHECK_STR(buf, "01-off-unlimited");
        fit_trial_name(12, 1, &l, buf, sizeof(buf));
        CHECK_STR(buf, "12-on-65536K");
        CHECK(strlen(fit_stop_text(FIT_STOP_TRIALS)) > 0);
        CHECK_STR(fit_stop_text(FIT_TRY), "");
}

int main(void)
{
        test_exact();
        test_share();
        test_bounds();
        test_resume();
        test_inconsistent();
        test_names();
        return unit_finish("test_fit");
}
