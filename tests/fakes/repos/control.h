/*
 * control.h - the endpoints tests use to observe and steer the fake, all
 * under /_test/:
 *
 *   truth?id=N | truth?all=1   the current record(s), as detail would serve them
 *   stats[?id=N][&ids=1][&repeats=1]   counters (requests, 401s, 429s, fetches per id)
 *   mutate?id=N|ids=A,B|n=K[&stars=S][&stars_delta=D][&touch=1][&deleted=0|1]
 *   grow?n=K                   K new repositories after the last id
 *   token?token=T[&forbidden=0|1]      the accepted bearer token; 403 for every request
 *   config?fail_5xx=R&limit=N&window=DUR&remaining=N&...   faults and rate limit
 *   reset-stats                zeroes the counters
 *
 * They take GET or POST, need no token, are never faulted, delayed, rate
 * limited or counted in the stats.
 */
#ifndef RP_CONTROL_H
#define RP_CONTROL_H

#include "server.h"

#define RP_CONTROL_PREFIX "/_test/"

enum rp_control {
    RP_CTL_NONE, /* not a control path: an API request */
    RP_CTL_TRUTH,
    RP_CTL_STATS,
    RP_CTL_MUTATE,
    RP_CTL_GROW,
    RP_CTL_TOKEN,
    RP_CTL_CONFIG,
    RP_CTL_RESET_STATS,
    RP_CTL_UNKNOWN, /* under the prefix, but no such endpoint (404) */
};

/* Returns the control endpoint at path (trailing slash ignored). */
enum rp_control rp_control_route(const char *path);

/* Answers a control request whose query has been parsed into c->query. */
void rp_control_handle(struct rp_call *c, enum rp_control which);

/* The handlers that change or reveal the catalog (mutate.c). */
void rp_truth_handle(struct rp_call *c);
void rp_mutate_handle(struct rp_call *c);
void rp_grow_handle(struct rp_call *c);

#endif
