/* The command of compare and fit: a bundled workload (the interpreter running its script; the
 * web service on a free port, driven with its request mix) or the one given, and the HTTP load
 * of a server under test (--http and its options). Shared so that both read them alike. */
#ifndef JITMEM_CLI_WORKLOAD_H
#define JITMEM_CLI_WORKLOAD_H

#include "httpdrive.h"
#include "kfile.h"
#include "loadgen.h"

/* Returned by the steps to go on to the next one; anything else is the exit status. */
#define CLI_WORKLOAD_GO_ON (-1)

struct cli_workload {
        /* the options */
        const char *name;               /* --workload, or NULL */
        const char *python, *scale;     /* --python, --scale */
        int workers, workers_set;       /* --workers (default 1; 4 for webapp unless given) */
        const char *http_url, *mix;     /* --http, --requests */
        struct httpdrive http;          /* --rate, --duration, --connections, --http-warmup, --ready-timeout */
        /* what the setup made of them */
        char *const *argv;              /* the command */
        int have_http;                  /* http is the load to drive */
        int startup;                    /* the startup workload, which lasts tens of milliseconds */
        int probe;                      /* interp is a Python interpreter to probe */
        char interp[KFILE_PATH_MAX], resolved[KFILE_PATH_MAX];
        char *wargv[8];                 /* a bundled workload's command */
        struct load_target target;
        struct load_request *reqs;
        size_t nreqs;
        char wdir[KFILE_PATH_MAX], script[KFILE_PATH_MAX + 64], workers_s[16], port_s[16], err[1024];
        char webapp_url[64], webapp_mix[KFILE_PATH_MAX + 32];
};

/* The defaults: python3, scale 1, one worker, 16 connections for 30 s, a 30 s readiness wait. */
void cli_workload_init(struct cli_workload *w);

/* The load options of `cmd` (getopt letters 'U' --http, 'Q' --requests, 'q' --rate,
 * 'c' --connections, 'd' --duration, 'w'+256 --http-warmup, 'y' --ready-timeout). Returns
 * CLI_WORKLOAD_GO_ON or an exit status, *ret_mine 0 when c is none of them. */
int cli_workload_http_option(const char *cmd, struct cli_workload *w, int c, const char *arg, int *ret_mine);

/* After the options: the web service's URL and port, the load's target and requests, then the
 * command, a bundled workload's or argv[first..). Returns CLI_WORKLOAD_GO_ON or an exit status
 * (a message printed). */
int cli_workload_setup(const char *cmd, struct cli_workload *w, int argc, char **argv, int first);

void cli_workload_free(struct cli_workload *w);

#endif
