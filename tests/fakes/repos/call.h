/*
 * call.h - running a request now, or later from the heap.
 *
 * A request is answered inside libevent's callback when it needs no delay.
 * Otherwise it is "parked": copied to the heap with an evtimer, for latency,
 * for a late answer, for the reset fault (a connection is never freed inside
 * its own callback), and for the time-out fault, which holds the request
 * until the client goes away or the hold time ends. The query string is
 * parsed only when the request runs, because a parsed evkeyvalq cannot be
 * moved.
 */
#ifndef RP_CALL_H
#define RP_CALL_H

#include "server.h"

/* Answers c now: a /_test/ endpoint when which is not RP_CTL_NONE, else the API. */
void rp_call_run(struct rp_call *c, int which);

/* Copies tmpl to the heap and runs it (or starts holding it) after delay ms. */
void rp_call_park(const struct rp_call *tmpl, int64_t delay);

/* Frees every parked call (at shutdown), with requests libevent left to us. */
void rp_calls_release(struct rp_server *srv);

#endif
