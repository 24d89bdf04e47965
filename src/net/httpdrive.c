#include "httpdrive.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct progress_ctx {
        volatile uint64_t *progress;
};

static void on_progress(uint64_t completed, void *userdata)
{
        struct progress_ctx *p = userdata;
        __atomic_store_n(p->progress, completed, __ATOMIC_RELEASE);
}

/* Sends one request at a time until one is answered (any status): each attempt at most a second,
 * a tenth of a second apart. Returns 0, or -1 with d->error saying why: the server exited, or
 * the deadline passed. */
static int wait_ready(struct httpdrive *d, volatile int *command_ended, uint64_t start)
{
        struct load_result res;
        struct load_options o;

        memset(&o, 0, sizeof(o));
        o.target = d->target;
        o.requests = d->requests;
        o.nrequests = 1;
        o.connections = 1;
        o.count = 1;
        o.duration_ns = 1000000000ULL;
        o.timeout_ns = 1000000000ULL;
        o.seed = d->seed;
        o.stop = command_ended;
        for (;;) {
                if (__atomic_load_n(command_ended, __ATOMIC_ACQUIRE)) {
                        snprintf(d->error, sizeof(d->error), "the server exited before %s answered", d->url);
                        return -1;
                }
                if (util_now_ns() - start > d->ready_timeout_ns) {
                        snprintf(d->error, sizeof(d->error), "%s did not answer within %.0f s", d->url,
                                 (double)d->ready_timeout_ns / 1e9);
                        return -1;
                }
                if (load_generate(&o, &res) == 0 && res.completed == 1)
                        return 0;
                struct timespec ts = { 0, 100000000L };
                nanosleep(&ts, NULL);
        }
}

void httpdrive_main(void *ctx, volatile uint64_t *progress, volatile int *command_ended)
{
        struct httpdrive *d = ctx;
        uint64_t start = util_now_ns();
        struct load_result res;
        struct load_options o;
        struct progress_ctx pc = { progress };
        int r;

        if (wait_ready(d, command_ended, start) < 0)
                return;
        d->ready = 1;
        d->ready_s = (double)(util_now_ns() - start) / 1e9;

        memset(&o, 0, sizeof(o));
        o.target = d->target;
        o.requests = d->requests;
        o.nrequests = d->nrequests;
        o.connections = d->connections;
        o.rate = d->rate;
        o.timeout_ns = d->timeout_ns;
        o.seed = d->seed;
        o.stop = command_ended;
        if (d->warmup_ns > 0) { /* not counted */
                o.duration_ns = d->warmup_ns;
                load_generate(&o, &res);
        }
        o.duration_ns = d->duration_ns;
        o.progress = on_progress;
        o.userdata = &pc;
        d->load_start_ns = util_now_ns();
        r = load_generate(&o, &d->result);
        d->load_end_ns = util_now_ns();
        if (r == 0) {
                d->have_result = 1;
                d->used = o;
                __atomic_store_n(progress, d->result.completed, __ATOMIC_RELEASE);
        }
}

json_t *httpdrive_summary(void *ctx)
{
        struct httpdrive *d = ctx;
        json_t *load = d->have_result ? load_result_json(d->url, &d->used, &d->result) : json_null();
        char *error = d->error[0] ? util_utf8_text(d->error, strlen(d->error)) : NULL; /* it quotes the URL */
        json_t *j;

        j = json_pack("{s:b, s:o, s:o, s:o, s:o, s:o}", "ready", d->ready,
                         "ready_s", d->ready ? json_real(d->ready_s) : json_null(),
                         "error", error ? json_string(error) : json_null(), "load", load ? load : json_null(),
                         "load_start_monotonic_ns", d->have_result ? json_integer((json_int_t)d->load_start_ns) : json_null(),
                         "load_end_monotonic_ns", d->have_result ? json_integer((json_int_t)d->load_end_ns) : json_null());
        free(error);
        return j;
}
