/*
 * server.h - the fake's shared state and one call's life.
 *
 * One struct fl_server lives for the whole process and is reached from every
 * callback. Each API call becomes a struct fl_call on the heap: everything
 * about it (status, body, headers, what to do) is decided when it arrives
 * (chat.h), and it is then sent at once, or parked on a timer for the
 * latency, held without an answer (time-out fault), or its connection closed
 * (outage). Parked calls are listed so shutdown can free them.
 */
#ifndef FL_SERVER_H
#define FL_SERVER_H

#include "faults.h"
#include "limits.h"
#include "options.h"
#include "stats.h"

#include <sys/queue.h> /* TAILQ_* for evkeyvalq, before libevent defines its own */

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdint.h>

enum fl_action {
    FL_ACTION_SEND,  /* send status, headers and body */
    FL_ACTION_HOLD,  /* never answer; close after the hold time or when the client leaves */
    FL_ACTION_CLOSE, /* close the connection without an answer */
};

struct fl_call {
    struct fl_server *srv;
    struct evhttp_request *req; /* borrowed from libevent until answered or dropped */
    enum fl_action action;
    int64_t delay_ms;
    int status;
    char *body; /* owned JSON text; NULL: none */
    struct fl_limit_state limits;
    int64_t retry_ms; /* >= 0: send Retry-After */
    uint64_t seq;     /* this call's number, for its ids */
    int has_hash;
    uint64_t prompt_hash;
    /* Only while parked: */
    struct event *timer;
    int64_t hold_until; /* FL_ACTION_HOLD: clock ms at which to give up */
    struct fl_call *prev, *next;
};

struct fl_server {
    struct fl_options opt;
    struct event_base *base;
    struct evhttp *http;
    struct fl_faults faults;
    struct fl_limits limits;
    struct fl_stats stats;
    json_t *deal_schema; /* answered when a request carries no schema */
    uint64_t seq;        /* calls so far, for their ids */
    struct fl_call *parked;
    int64_t nparked;
};

/* Sets up limits, faults, stats and the HTTP server on base. Returns 0 or -1. */
int fl_server_init(struct fl_server *srv, struct event_base *base, char *err, size_t errlen);

/* Binds opt.listen (with opt.port, when set, as its port); writes "host:port" into addr. */
int fl_server_listen(struct fl_server *srv, char *addr, size_t addrlen, int *port, char *err,
                     size_t errlen);

/* Frees everything fl_server_init created, parked calls included. */
void fl_server_release(struct fl_server *srv);

/* Milliseconds on the monotonic clock (the fake's only notion of time). */
int64_t fl_now(void);

#endif
