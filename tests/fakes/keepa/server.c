/*
 * server.c - HTTP set-up, request routing, and requests that must wait.
 *
 * A request is answered inside libevent's callback when it needs no delay.
 * Otherwise it is "parked": copied to the heap with an evtimer, for injected
 * latency, for the reset fault (the connection is never freed inside its own
 * callback), and for the timeout fault, which holds the request until the
 * client goes away or the hold time ends. The query string is parsed only
 * when the request runs, because a parsed evkeyvalq cannot be moved.
 */
#include "server.h"

#include "api.h"
#include "clock.h"
#include "control.h"
#include "deal.h"
#include "params.h"
#include "reply.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* How often a held (timeout fault) request checks whether its client left. */
#define HOLD_POLL_MS 250

static enum fk_endpoint route_api(const char *path)
{
    static const struct {
        const char *path;
        enum fk_endpoint ep;
    } routes[] = {
        {"/product", FK_EP_PRODUCT},
        {"/deal", FK_EP_DEAL},
        {"/seller", FK_EP_SELLER},
        {"/token", FK_EP_TOKEN},
    };

    for (size_t i = 0; path != NULL && i < sizeof(routes) / sizeof(routes[0]); i++) {
        size_t n = strlen(routes[i].path);
        if (strncmp(path, routes[i].path, n) == 0 && (path[n] == '\0' || strcmp(path + n, "/") == 0))
            return routes[i].ep;
    }
    return FK_EP_OTHER;
}

/* Parses the query into c->query; returns 0, or -1 if it is not decodable. */
static int parse_query(struct fk_call *c)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(c->req);
    const char *q = uri ? evhttp_uri_get_query(uri) : NULL;

    TAILQ_INIT(&c->query);
    return q == NULL ? 0 : evhttp_parse_query_str(q, &c->query);
}

/* Answers c now, with its fault applied. */
static void run(struct fk_call *c)
{
    int query_ok = parse_query(c) == 0;

    c->start = fk_clock_elapsed();
    if (c->fault == FK_FAULT_GARBAGE)
        fk_reply_garbage(c);
    else if (c->fault == FK_FAULT_429)
        fk_reply_empty_429(c);
    else if (!query_ok)
        fk_reply_param(c, "the query string is not valid URL encoding");
    else
        fk_api_handle(c);
    evhttp_clear_headers(&c->query);
}

static void unpark(struct fk_call *c)
{
    struct fk_server *srv = c->srv;

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

static void on_hold_poll(struct fk_call *c)
{
    int64_t left = c->hold_until - fk_clock_elapsed();
    struct timeval tv;

    if (left <= 0 || client_gone(c->req)) {
        drop_connection(c->req, 0);
        unpark(c);
        return;
    }
    if (left > HOLD_POLL_MS)
        left = HOLD_POLL_MS;
    tv.tv_sec = (time_t)(left / 1000);
    tv.tv_usec = (suseconds_t)(left % 1000 * 1000);
    evtimer_add(c->timer, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct fk_call *c = arg;

    (void)fd;
    (void)what;
    if (c->fault == FK_FAULT_TIMEOUT) {
        on_hold_poll(c);
        return;
    }
    if (c->fault == FK_FAULT_RESET) {
        fk_stats_request(&c->srv->stats, c->ep, FK_OUT_RESET);
        drop_connection(c->req, 1);
    } else {
        run(c);
    }
    unpark(c);
}

/* Moves c to the heap and runs it (or starts holding it) after delay ms. */
static void park(const struct fk_call *tmpl, int64_t delay)
{
    struct fk_server *srv = tmpl->srv;
    struct fk_call *c = malloc(sizeof(*c));
    struct timeval tv;

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
    if (c->fault == FK_FAULT_TIMEOUT) {
        fk_stats_request(&srv->stats, c->ep, FK_OUT_TIMEOUT);
        c->hold_until = fk_clock_elapsed() + delay + srv->faults.hold_ms;
    }
    tv.tv_sec = (time_t)(delay / 1000);
    tv.tv_usec = (suseconds_t)(delay % 1000 * 1000);
    evtimer_add(c->timer, &tv);
}

static void handle_control(struct fk_call *c, enum fk_control which)
{
    c->start = fk_clock_elapsed();
    if (parse_query(c) == 0) {
        fk_control_handle(c, which);
    } else {
        struct fk_buf b;
        fk_buf_init(&b, 64);
        fk_buf_puts(&b, "{\"error\":{\"type\":\"invalidParameter\",\"message\":\"bad query\"}}");
        fk_reply_plain(c, 400, &b);
    }
    evhttp_clear_headers(&c->query);
}

/*
 * Disables Nagle on the request's connection. libevent writes headers and
 * body separately; with Nagle on, a keep-alive client's delayed ACK stalls
 * every response by ~40 ms. Idempotent, so it is simply redone per request.
 */
static void set_nodelay(struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    int one = 1;
    evutil_socket_t fd;

    if (evcon == NULL)
        return;
    fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
    if (fd >= 0)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct fk_server *srv = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *ae = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept-Encoding");
    enum fk_control ctl = path ? fk_control_route(path) : FK_CTL_NONE;
    struct fk_call c = {.srv = srv, .req = req, .gzip = fk_accepts_gzip(ae), .charge = 1};
    int64_t delay;

    set_nodelay(req);
    if (ctl != FK_CTL_NONE) {
        handle_control(&c, ctl);
        return;
    }
    c.ep = route_api(path);
    c.fault = fk_faults_draw(&srv->faults);
    delay = fk_faults_delay(&srv->faults);
    if (c.fault != FK_FAULT_NONE) {
        fk_stats_fault(&srv->stats, c.fault);
        c.charge = 0; /* faulted requests are never charged */
    }
    if (delay > 0 || c.fault == FK_FAULT_RESET || c.fault == FK_FAULT_TIMEOUT)
        park(&c, delay);
    else
        run(&c);
}

/* Gives every configured key its starting balance. */
static void init_keys(struct fk_keys *ks, const struct fk_options *o)
{
    memset(ks, 0, sizeof(*ks));
    ks->minute_ms = o->minute_ms;
    for (size_t i = 0; i < o->nkeys; i++) {
        ks->v[i] = o->keys[i];
        ks->v[i].tokens = o->initial_tokens == FK_INITIAL_RATE ? o->keys[i].rate
                                                               : o->initial_tokens;
    }
    ks->n = o->nkeys;
}

static void init_faults(struct fk_faults *f, const struct fk_options *o)
{
    memset(f, 0, sizeof(*f));
    f->rate[FK_FAULT_5XX] = o->fail_5xx;
    f->rate[FK_FAULT_TIMEOUT] = o->fail_timeout;
    f->rate[FK_FAULT_RESET] = o->fail_reset;
    f->rate[FK_FAULT_TRUNCATE] = o->fail_truncate;
    f->rate[FK_FAULT_GARBAGE] = o->fail_garbage;
    f->rate[FK_FAULT_429] = o->fail_429;
    f->latency_ms = o->latency_ms;
    f->jitter_ms = o->jitter_ms;
    f->hold_ms = o->hold_ms;
    /* Independent of the catalog's hashes, but still fixed by --seed. */
    f->rng = o->seed ^ 0x5eedfa17u;
}

int fk_server_init(struct fk_server *srv, struct event_base *base, char *err, size_t errlen)
{
    const struct fk_options *o = &srv->opt;

    srv->base = base;
    srv->cat = fk_catalog_new(o->seed, (uint32_t)o->products, o->change_period_ms,
                              o->invalid_rate, &o->drift, o->drift_deal);
    srv->sellers = fk_sellers_new(o->seed);
    srv->deals = fk_deal_cache_new((uint32_t)o->products);
    srv->deal_fraction = o->deal_fraction;
    srv->parked = NULL;
    fk_stats_init(&srv->stats, (uint32_t)o->products);
    init_keys(&srv->keys, o);
    init_faults(&srv->faults, o);
    if (fk_gzip_init(&srv->gz, 1) < 0) {
        snprintf(err, errlen, "zlib initialisation failed");
        return -1;
    }
    srv->http = evhttp_new(base);
    if (srv->http == NULL) {
        snprintf(err, errlen, "evhttp_new failed");
        return -1;
    }
    evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evhttp_set_max_body_size(srv->http, 1 << 20);
    evhttp_set_max_headers_size(srv->http, 64 << 10);
    evhttp_set_timeout(srv->http, 120); /* idle keep-alive connections */
    evhttp_set_gencb(srv->http, on_request, srv);
    return 0;
}

/* Splits "host:port" or "[v6]:port"; returns 0 or -1. */
static int split_addr(const char *addr, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(addr, ':');
    const char *h = addr;
    size_t len;
    int64_t p;

    if (colon == NULL || fk_parse_int(colon + 1, 0, 65535, &p) < 0)
        return -1;
    len = (size_t)(colon - addr);
    if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
        h++;
        len -= 2;
    }
    if (len == 0 || len >= hostlen)
        return -1;
    memcpy(host, h, len);
    host[len] = '\0';
    *port = (int)p;
    return 0;
}

int fk_server_listen(struct fk_server *srv, char *addr, size_t addrlen, int *port, char *err,
                     size_t errlen)
{
    struct evhttp_bound_socket *bs;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    char host[256], num[64], serv[16];
    int want;

    if (split_addr(srv->opt.listen, host, sizeof(host), &want) < 0) {
        snprintf(err, errlen, "invalid listen address '%s' (expected HOST:PORT)", srv->opt.listen);
        return -1;
    }
    bs = evhttp_bind_socket_with_handle(srv->http, host, (ev_uint16_t)want);
    if (bs == NULL) {
        snprintf(err, errlen, "bind '%s': %s", srv->opt.listen, strerror(errno));
        return -1;
    }
    if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) < 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, num, sizeof(num), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(err, errlen, "getsockname '%s': %s", srv->opt.listen, strerror(errno));
        return -1;
    }
    *port = atoi(serv);
    snprintf(addr, addrlen, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", num, serv);
    return 0;
}

void fk_server_release(struct fk_server *srv)
{
    while (srv->parked != NULL) {
        struct fk_call *c = srv->parked;
        /* Requests libevent detached from their connection are ours to free. */
        if (c->req != NULL && evhttp_request_get_connection(c->req) == NULL)
            evhttp_request_free(c->req);
        unpark(c);
    }
    if (srv->http != NULL)
        evhttp_free(srv->http);
    fk_gzip_release(&srv->gz);
    fk_deal_cache_free(srv->deals);
    fk_sellers_free(srv->sellers);
    fk_catalog_free(srv->cat);
    fk_stats_release(&srv->stats);
}
