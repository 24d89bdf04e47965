/* Driving a server under test during a recorded run: wait until its URL answers, an optional
 * unmeasured warm-up, then the measured load (loadgen.h), counting the requests completed as the
 * run's progress so that memory is compared at equal requests served. A runner driver. */
#ifndef JITMEM_HTTPDRIVE_H
#define JITMEM_HTTPDRIVE_H

#include <jansson.h>
#include <stdint.h>

#include "loadgen.h"

struct httpdrive {
        /* in */
        const char *url;
        const struct load_target *target;
        const struct load_request *requests;
        size_t nrequests;
        double rate;                 /* 0: closed model */
        int connections;
        uint64_t duration_ns, warmup_ns, ready_timeout_ns, timeout_ns, seed;
        /* out */
        int ready;
        double ready_s;              /* from the start of the driver to the first answer */
        char error[256];
        int have_result;
        uint64_t load_start_ns, load_end_ns; /* CLOCK_MONOTONIC: when the measured load began and ended */
        struct load_options used;
        struct load_result result;
};

/* The runner_options.driver and .driver_summary functions; ctx is a struct httpdrive. The
 * summary's "load_start_monotonic_ns" and "load_end_monotonic_ns" bound the measured load, on
 * the clock of summary.json's "t0_monotonic_ns" (the samples' t_s = 0), so that the load can be
 * told from the start-up, the unmeasured warm-up and the shutdown. */
void httpdrive_main(void *ctx, volatile uint64_t *progress, volatile int *command_ended);
json_t *httpdrive_summary(void *ctx);

#endif
