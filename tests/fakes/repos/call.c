/*
 * call.c - requests answered now or parked for later, see call.h.
 */
#include "call.h"

#include "api.h"
#include "clock.h"
#include "control.h"
#include "reply.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <stdlib.h>
#include <sys/socket.h>

/* How often a held (time-out fault) request checks whether its client left. */
#define HOLD_POLL_MS 250

/* Parses the query into c->query; returns 0, or -1 if it is not decodable. */
static int parse_query(struct rp_call *c)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(c->req);
    const char *q = uri ? evhttp_uri_get_query(uri) : NULL;

    TAILQ_INIT(&c->query);
    return q == NULL ? 0 : evhttp_parse_query_str(q, &c->query);
}

void rp_call_run(struct rp_call *c, int which)
{
    if (parse_query(c) < 0)
        rp_reply_message(c, 400, "the query string is not valid URL encoding");
    else if (which != RP_CTL_NONE)
        rp_control_handle(c, (enum rp_control)which);
    else
        rp_api_handle(c);
    evhttp_clear_headers(&c->query);
}

static void unpark(struct rp_call *c)
{
    struct rp_server *srv = c->srv;

    if (c->prev)
        c->prev->next = c->next;
    else
        srv->parked = c->next;
    if (c->next)
        c->next->prev = c->prev;
    event_free(c->timer);
    free(c);
}

/* Closes the request's connection; with linger 0 the close sends a RST. */
static void drop_connection(struct evhttp_request *req, int abort_it)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    struct linger lg = {1, 0};
    evutil_socket_t fd;

    if (evcon == NULL) {
        /* libevent saw the client go and handed the request to us. */
        evhttp_request_free(req);
        return;
    }
    fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
    if (abort_it && fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    evhttp_connection_free(evcon); /* frees req too */
}

/* Returns 1 if the peer of req's connection has closed or reset it. */
static int client_gone(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    evutil_socket_t fd;
    char byte;
    ssize_t n;

    if (evcon == NULL)
        return 1;
    fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
    n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void arm(struct rp_call *c, int64_t ms)
{
    struct timeval tv;

    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)(ms % 1000 * 1000);
    evtimer_add(c->timer, &tv);
}

static void on_hold_poll(struct rp_call *c)
{
    int64_t left = c->hold_until - rp_clock_elapsed();

    if (left <= 0 || client_gone(c->req)) {
        drop_connection(c->req, 0);
        unpark(c);
        return;
    }
    arm(c, left > HOLD_POLL_MS ? HOLD_POLL_MS : left);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct rp_call *c = arg;

    (void)fd;
    (void)what;
    if (c->fault == RP_FAULT_TIMEOUT) {
        on_hold_poll(c);
        return;
    }
    if (evhttp_request_get_connection(c->req) == NULL) {
        /* The client left while the answer waited: nobody to answer. */
        evhttp_request_free(c->req);
    } else if (c->fault == RP_FAULT_RESET) {
        rp_stats_request(&c->srv->stats, c->ep, RP_OUT_RESET);
        drop_connection(c->req, 1);
    } else {
        rp_call_run(c, RP_CTL_NONE);
    }
    unpark(c);
}

void rp_call_park(const struct rp_call *tmpl, int64_t delay)
{
    struct rp_server *srv = tmpl->srv;
    struct rp_call *c = malloc(sizeof(*c));

    if (c == NULL)
        abort();
    *c = *tmpl;
    c->timer = evtimer_new(srv->base, on_timer, c);
    if (c->timer == NULL)
        abort();
    c->prev = NULL;
    c->next = srv->parked;
    if (srv->parked)
        srv->parked->prev = c;
    srv->parked = c;
    if (c->fault == RP_FAULT_TIMEOUT) {
        rp_stats_request(&srv->stats, c->ep, RP_OUT_TIMEOUT);
        c->hold_until = rp_clock_elapsed() + delay + srv->faults.hold_ms;
    }
    arm(c, delay);
}

void rp_calls_release(struct rp_server *srv)
{
    while (srv->parked != NULL) {
        struct rp_call *c = srv->parked;
        /* Requests libevent detached from their connection are ours to free. */
        if (c->req != NULL && evhttp_request_get_connection(c->req) == NULL)
            evhttp_request_free(c->req);
        unpark(c);
    }
}
