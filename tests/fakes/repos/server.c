/*
 * server.c - HTTP set-up, binding, and the first look at every request:
 * which endpoint, which fault, answered now or parked (call.c).
 */
#include "server.h"

#include "call.h"
#include "clock.h"
#include "control.h"
#include "params.h"

#include <errno.h>
#include <event2/bufferevent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Returns 1 if path is prefix followed by nothing or by one "/". */
static int path_is(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);

    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || strcmp(path + n, "/") == 0);
}

static enum rp_endpoint route_api(const char *path)
{
    static const char repos[] = "/v1/repos/";

    if (path == NULL)
        return RP_EP_OTHER;
    if (path_is(path, "/v1/repos"))
        return RP_EP_PAGE;
    if (path_is(path, "/v1/repositories"))
        return RP_EP_LINK;
    if (path_is(path, "/v1/repos/offset"))
        return RP_EP_OFFSET;
    if (path_is(path, "/v1/repos/cursor"))
        return RP_EP_CURSOR;
    if (path_is(path, "/v1/repos/batch"))
        return RP_EP_BATCH;
    if (strncmp(path, repos, sizeof(repos) - 1) == 0 && path[sizeof(repos) - 1] != '\0' &&
        strchr(path + sizeof(repos) - 1, '/') == NULL)
        return RP_EP_SINGLE;
    return RP_EP_OTHER;
}

/*
 * Disables Nagle on the request's connection. libevent writes headers and
 * body separately; with Nagle on, a keep-alive client's delayed ACK stalls
 * every answer by ~40 ms. Idempotent, so it is simply redone per request.
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
    struct rp_server *srv = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *ae = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept-Encoding");
    enum rp_control ctl = path ? rp_control_route(path) : RP_CTL_NONE;
    struct rp_call c = {.srv = srv, .req = req, .gzip = rp_accepts_gzip(ae)};
    int64_t delay;

    set_nodelay(req);
    if (ctl != RP_CTL_NONE) {
        rp_call_run(&c, ctl); /* never faulted, delayed or counted */
        return;
    }
    c.api = 1;
    c.ep = route_api(path);
    c.fault = rp_faults_draw(&srv->faults);
    delay = rp_faults_delay(&srv->faults);
    if (c.fault != RP_FAULT_NONE)
        rp_stats_fault(&srv->stats, c.fault);
    if (c.fault == RP_FAULT_LATE)
        delay += srv->faults.late_ms;
    if (delay > 0 || c.fault == RP_FAULT_RESET || c.fault == RP_FAULT_TIMEOUT ||
        c.fault == RP_FAULT_LATE)
        rp_call_park(&c, delay);
    else
        rp_call_run(&c, RP_CTL_NONE);
}

static void init_faults(struct rp_faults *f, const struct rp_options *o)
{
    memset(f, 0, sizeof(*f));
    memcpy(f->rate, o->fail, sizeof(f->rate));
    f->latency_ms = o->latency_ms;
    f->jitter_ms = o->jitter_ms;
    f->late_ms = o->late_ms;
    f->hold_ms = o->hold_ms;
    /* Independent of the catalog's hashes, but still fixed by --seed. */
    f->rng = o->seed ^ 0x5eedfa17u;
}

int rp_server_init(struct rp_server *srv, struct event_base *base, char *err, size_t errlen)
{
    const struct rp_options *o = &srv->opt;

    srv->base = base;
    srv->parked = NULL;
    srv->cat = rp_catalog_new(o->seed, (uint32_t)o->repos, o->deleted);
    rp_stats_init(&srv->stats, srv->cat->n);
    init_faults(&srv->faults, o);
    rp_limit_init(&srv->limit, o, rp_clock_elapsed());
    memcpy(srv->token, o->token, sizeof(srv->token));
    srv->forbidden = 0;
    if (rp_gzip_init(&srv->gz) < 0) {
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

    if (colon == NULL || rp_parse_int(colon + 1, 0, 65535, &p) < 0)
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

int rp_server_listen(struct rp_server *srv, int *port, char *err, size_t errlen)
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
    snprintf(srv->addr, sizeof(srv->addr), ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", num,
             serv);
    return 0;
}

void rp_server_release(struct rp_server *srv)
{
    rp_calls_release(srv);
    if (srv->http != NULL)
        evhttp_free(srv->http);
    srv->http = NULL;
    rp_gzip_release(&srv->gz);
    rp_catalog_free(srv->cat);
    srv->cat = NULL;
    rp_stats_release(&srv->stats);
}
