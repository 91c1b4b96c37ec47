/*
 * server.h - the fake's shared state and the per-request context.
 *
 * One struct rp_server lives for the whole process and is reached from every
 * callback; a struct rp_call describes one HTTP request while it is handled,
 * on the stack when it is answered at once, on the heap while it waits for
 * latency or a late answer, or is held by the time-out fault.
 */
#ifndef RP_SERVER_H
#define RP_SERVER_H

#include "catalog.h"
#include "faults.h"
#include "gzip.h"
#include "options.h"
#include "ratelimit.h"
#include "stats.h"

#include <sys/queue.h> /* TAILQ_* for evkeyvalq, before libevent defines its own */

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdint.h>

struct rp_call {
    struct rp_server *srv;
    struct evhttp_request *req; /* borrowed from libevent until a reply is sent */
    enum rp_endpoint ep;
    enum rp_fault fault;
    int api;                /* an API request: rate-limit headers, faults, counted in stats */
    int gzip;               /* the client accepts gzip */
    struct evkeyvalq query; /* decoded query parameters while the call runs */
    /* Only for calls parked on the heap: */
    struct event *timer;
    int64_t hold_until; /* RP_FAULT_TIMEOUT: elapsed ms at which to give up */
    struct rp_call *prev, *next;
};

struct rp_server {
    struct rp_options opt;
    struct event_base *base;
    struct evhttp *http;
    struct rp_catalog *cat;
    struct rp_stats stats;
    struct rp_faults faults;
    struct rp_limit limit;
    struct rp_gzip gz;
    char token[RP_TOKEN_MAX]; /* the accepted bearer token; "" accepts any request */
    int forbidden;            /* 1: a good token gets 403 (account suspended) */
    char addr[300];           /* bound "host:port", for links when a request has no Host */
    struct rp_call *parked;   /* heap calls, freed at shutdown */
};

/* Sets up catalog, stats, limits and the HTTP server on base. Returns 0, or -1 with err. */
int rp_server_init(struct rp_server *srv, struct event_base *base, char *err, size_t errlen);

/* Binds opt.listen; on success srv->addr holds the bound "host:port". Returns 0 or -1. */
int rp_server_listen(struct rp_server *srv, int *port, char *err, size_t errlen);

/* Frees everything rp_server_init created, parked requests included. */
void rp_server_release(struct rp_server *srv);

#endif
