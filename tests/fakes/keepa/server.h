/*
 * server.h - the fake's shared state and the per-request context.
 *
 * One struct fk_server lives for the whole process and is reached from every
 * callback; a struct fk_call describes one HTTP request while it is handled,
 * on the stack when it is answered at once, on the heap while it waits for
 * injected latency or is held by a fault.
 */
#ifndef FK_SERVER_H
#define FK_SERVER_H

#include "catalog.h"
#include "faults.h"
#include "gzip.h"
#include "options.h"
#include "sellers.h"
#include "stats.h"
#include "tokens.h"

#include <sys/queue.h> /* TAILQ_* for evkeyvalq, before libevent defines its own */

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdint.h>

struct fk_deal_cache;

struct fk_call {
    struct fk_server *srv;
    struct evhttp_request *req; /* borrowed from libevent until a reply is sent */
    enum fk_endpoint ep;
    enum fk_fault fault;
    int gzip;         /* the client accepts gzip */
    int charge;       /* 0: render only, charge nothing and count nothing (faults) */
    int64_t start;    /* elapsed ms when handling began, for processingTimeInMs */
    struct evkeyvalq query; /* decoded query parameters */
    /* Only for calls parked on the heap: */
    struct event *timer;
    int64_t hold_until; /* FK_FAULT_TIMEOUT: elapsed ms at which to give up */
    struct fk_call *prev, *next;
};

struct fk_server {
    struct fk_options opt;
    struct event_base *base;
    struct evhttp *http;
    struct fk_catalog *cat;
    struct fk_sellers *sellers;
    struct fk_keys keys;
    struct fk_stats stats;
    struct fk_faults faults;
    struct fk_gzip gz;
    double deal_fraction;
    struct fk_deal_cache *deals;
    struct fk_call *parked; /* list of heap calls, freed at shutdown */
};

/* Sets up catalog, keys, stats and the HTTP server on base. Returns 0 or -1. */
int fk_server_init(struct fk_server *srv, struct event_base *base, char *err, size_t errlen);

/* Binds opt.listen; on success writes the bound "host:port" into addr. */
int fk_server_listen(struct fk_server *srv, char *addr, size_t addrlen, int *port, char *err,
                     size_t errlen);

/* Frees everything fk_server_init created, parked requests included. */
void fk_server_release(struct fk_server *srv);

#endif
