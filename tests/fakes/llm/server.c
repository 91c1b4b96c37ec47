/*
 * server.c - HTTP set-up, routing, and calls that wait.
 *
 * A call is decided when it arrives (chat.c) and sent inside libevent's
 * callback when it needs no delay. Otherwise it is parked on an evtimer: for
 * the latency, for an outage that closes connections (a connection is never
 * freed inside its own callback), and for the time-out fault, which holds
 * the call until the client goes away or the hold time ends.
 */
#include "server.h"

#include "chat.h"
#include "control.h"
#include "gen.h"
#include "reply.h"

#include "common/clock.h"
#include "common/mem.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* How often a held call (time-out fault) looks whether its client left. */
#define HOLD_POLL_MS 250
/* The largest request body accepted (evhttp answers 413 above it). */
#define MAX_BODY (8 << 20)

int64_t fl_now(void)
{
    return fr_mono_ms();
}

static void unpark(struct fl_call *c)
{
    struct fl_server *srv = c->srv;

    if (c->prev)
        c->prev->next = c->next;
    else
        srv->parked = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv->nparked--;
    event_free(c->timer);
    free(c->body);
    free(c);
}

/* Closes req's connection without an answer (or frees req if its client already left). */
static void drop(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);

    if (evcon == NULL)
        evhttp_request_free(req); /* libevent detached it when the client went */
    else
        evhttp_connection_free(evcon); /* frees req too */
}

/* Whether the client of req has closed or reset its connection. */
static int client_left(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    char byte;
    ssize_t n;

    if (evcon == NULL)
        return 1;
    n = recv(bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)), &byte, 1,
             MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static void arm(struct fl_call *c, int64_t ms)
{
    struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000 * 1000)};

    evtimer_add(c->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct fl_call *c = arg;
    int64_t now = fl_now();

    (void)fd;
    (void)what;
    if (c->action == FL_ACTION_HOLD) {
        if (c->hold_until == 0)
            c->hold_until = now + c->srv->faults.hold_ms;
        if (now < c->hold_until && !client_left(c->req)) {
            arm(c, c->hold_until - now < HOLD_POLL_MS ? c->hold_until - now : HOLD_POLL_MS);
            return;
        }
        drop(c->req);
    } else if (c->action == FL_ACTION_CLOSE) {
        drop(c->req);
    } else {
        fl_reply_send(c);
    }
    unpark(c);
}

static void park(struct fl_call *c)
{
    struct fl_server *srv = c->srv;

    c->timer = evtimer_new(srv->base, on_timer, c);
    if (c->timer == NULL)
        abort();
    c->next = srv->parked;
    if (srv->parked)
        srv->parked->prev = c;
    srv->parked = c;
    srv->nparked++;
    arm(c, c->delay_ms);
}

/*
 * Disables Nagle: libevent writes headers and body separately, and a
 * keep-alive client's delayed ACK would otherwise stall each answer ~40 ms.
 */
static void set_nodelay(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    int one = 1;
    evutil_socket_t fd = evcon ? bufferevent_getfd(evhttp_connection_get_bufferevent(evcon)) : -1;

    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct fl_server *srv = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    int64_t now = fl_now();
    struct fl_call *c;

    set_nodelay(req);
    if (fl_control_path(path)) {
        fl_control_handle(srv, req, path);
        return;
    }
    fl_stats_arrival(&srv->stats, now);
    c = fr_xcalloc(1, sizeof(*c));
    c->srv = srv;
    c->req = req;
    fl_chat_decide(c, path, now);
    if (c->action == FL_ACTION_SEND && c->delay_ms == 0) {
        fl_reply_send(c);
        free(c->body);
        free(c);
        return;
    }
    park(c);
}

static void init_faults(struct fl_faults *f, const struct fl_options *o)
{
    memset(f, 0, sizeof(*f));
    f->share[FL_FAULT_5XX] = o->fail_5xx;
    f->share[FL_FAULT_429] = o->fail_429;
    f->share[FL_FAULT_NONJSON] = o->fail_nonjson;
    f->share[FL_FAULT_SHAPE] = o->fail_shape;
    f->share[FL_FAULT_TIMEOUT] = o->fail_timeout;
    f->share[FL_FAULT_SLOW] = o->fail_slow;
    f->latency_ms = o->latency_ms;
    f->slow_ms = o->slow_ms;
    f->hold_ms = o->hold_ms;
    f->storm_until = o->storm_ms > 0 ? fl_now() + o->storm_ms : 0;
    fl_outage_parse(o->outage, &f->outage); /* checked by fl_options_parse */
    f->rng = (uint64_t)o->seed ^ 0x11afa17ULL;
}

int fl_server_init(struct fl_server *srv, struct event_base *base, char *err, size_t errlen)
{
    const struct fl_options *o = &srv->opt;

    srv->base = base;
    srv->deal_schema = json_loads(fl_deal_schema, 0, NULL);
    if (srv->deal_schema == NULL)
        abort(); /* a constant: cannot fail */
    init_faults(&srv->faults, o);
    fl_limits_init(&srv->limits, o->rpm, o->tpm, o->window_ms);
    fl_stats_init(&srv->stats, o->window_ms);
    srv->http = evhttp_new(base);
    if (srv->http == NULL) {
        snprintf(err, errlen, "evhttp_new failed");
        return -1;
    }
    evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_max_body_size(srv->http, MAX_BODY);
    evhttp_set_max_headers_size(srv->http, 64 << 10);
    evhttp_set_timeout(srv->http, 120); /* idle keep-alive connections */
    evhttp_set_gencb(srv->http, on_request, srv);
    return 0;
}

int fl_server_listen(struct fl_server *srv, char *addr, size_t addrlen, int *port, char *err,
                     size_t errlen)
{
    struct evhttp_bound_socket *bs;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[256], serv[16];

    bs = evhttp_bind_socket_with_handle(srv->http, srv->opt.host, (ev_uint16_t)srv->opt.port);
    if (bs == NULL) {
        snprintf(err, errlen, "bind '%s' port %lld: %s", srv->opt.host,
                 (long long)srv->opt.port, strerror(errno));
        return -1;
    }
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) < 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(err, errlen, "getsockname '%s': %s", srv->opt.host, strerror(errno));
        return -1;
    }
    *port = atoi(serv);
    snprintf(addr, addrlen, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
    return 0;
}

void fl_server_release(struct fl_server *srv)
{
    while (srv->parked != NULL) {
        struct fl_call *c = srv->parked;
        /* A call libevent detached from its connection is ours to free. */
        if (c->req != NULL && evhttp_request_get_connection(c->req) == NULL)
            evhttp_request_free(c->req);
        unpark(c);
    }
    if (srv->http != NULL)
        evhttp_free(srv->http);
    fl_stats_release(&srv->stats);
    fl_limits_release(&srv->limits);
    json_decref(srv->deal_schema);
}
