/*
 * admin — see admin.h. The listening socket is made here rather than by
 * evhttp_bind_socket so a bind failure keeps its errno for the warning; evhttp then
 * owns it. Every reply is a small in-memory body handed to evhttp, which writes it
 * without blocking under the connection's timeout.
 */
#include "common/admin.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/metrics.h"
#include "common/url.h"

#define REASON_MAX 256

struct fr_admin {
    struct evhttp *http;
    fr_admin_ready_fn ready;
    void *arg;
    int port;
};

static void reply(struct evhttp_request *req, int code, const char *reason, const char *ctype,
                  struct evbuffer *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);

    evhttp_add_header(h, "Content-Type", ctype);
    evhttp_add_header(h, "Cache-Control", "no-store");
    if (evhttp_request_get_command(req) == EVHTTP_REQ_HEAD) {
        /* libevent 2.1 would write the body after a HEAD reply: send its length only */
        char len[32];
        snprintf(len, sizeof(len), "%zu", evbuffer_get_length(body));
        evhttp_add_header(h, "Content-Length", len);
        evbuffer_drain(body, evbuffer_get_length(body));
    }
    evhttp_send_reply(req, code, reason, body);
}

static void text_reply(struct evhttp_request *req, int code, const char *reason,
                       struct evbuffer *body, const char *text)
{
    evbuffer_add(body, text, strlen(text));
    reply(req, code, reason, "text/plain; charset=utf-8", body);
}

static void serve_readyz(struct fr_admin *a, struct evhttp_request *req, struct evbuffer *body)
{
    char why[REASON_MAX] = "";

    if (a->ready == NULL || a->ready(a->arg, why, sizeof(why)) == 1) {
        text_reply(req, HTTP_OK, "OK", body, "ready\n");
        return;
    }
    why[sizeof(why) - 1] = '\0';
    for (char *p = why; *p; p++) {
        if ((unsigned char)*p < 0x20)
            *p = ' '; /* one line, whatever the callback wrote */
    }
    evbuffer_add_printf(body, "not ready%s%s\n", why[0] ? ": " : "", why);
    reply(req, HTTP_SERVUNAVAIL, "Service Unavailable", "text/plain; charset=utf-8", body);
}

static void free_text(const void *data, size_t len, void *text)
{
    (void)data;
    (void)len;
    free(text);
}

static void serve_metrics(struct evhttp_request *req, struct evbuffer *body)
{
    struct fr_error err = {0};
    struct fr_buf text;
    size_t len;
    char *p;

    fr_metrics_run_hooks();
    fr_buf_init(&text, FR_ADMIN_MAX_METRICS);
    if (fr_metrics_render(&text, &err) != 0) {
        log_error("admin: /metrics: %s", err.msg);
        fr_buf_release(&text);
        text_reply(req, HTTP_INTERNAL, "Internal Server Error", body, "cannot render metrics\n");
        return;
    }
    p = fr_buf_detach(&text, &len);
    if (evbuffer_add_reference(body, p, len, free_text, p) != 0)
        free(p);
    reply(req, HTTP_OK, "OK", "text/plain; version=0.0.4; charset=utf-8", body);
}

static void handle(struct evhttp_request *req, void *arg)
{
    struct fr_admin *a = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
    enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
    struct evbuffer *body = evbuffer_new();

    if (body == NULL) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    if (path == NULL || (strcmp(path, "/healthz") != 0 && strcmp(path, "/readyz") != 0 &&
                         strcmp(path, "/metrics") != 0)) {
        text_reply(req, HTTP_NOTFOUND, "Not Found", body, "not found\n");
    } else if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
        text_reply(req, HTTP_BADMETHOD, "Method Not Allowed", body, "method not allowed\n");
    } else if (strcmp(path, "/healthz") == 0) {
        text_reply(req, HTTP_OK, "OK", body, "ok\n");
    } else if (strcmp(path, "/readyz") == 0) {
        serve_readyz(a, req, body);
    } else {
        serve_metrics(req, body);
    }
    evbuffer_free(body);
}

/* Returns a listening, non-blocking socket on host:port, or -1 with the cause in why. */
static evutil_socket_t listen_on(const char *host, int port, char *why, size_t whylen)
{
    struct addrinfo hints, *res = NULL;
    char portstr[16];
    evutil_socket_t fd = -1;
    int rc, e = 0;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(portstr, sizeof(portstr), "%d", port);
    rc = getaddrinfo(host[0] != '\0' ? host : "0.0.0.0", portstr, &hints, &res);
    if (rc != 0) {
        snprintf(why, whylen, "%s", gai_strerror(rc));
        return -1;
    }
    for (const struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (evutil_make_socket_closeonexec(fd) != 0 || evutil_make_socket_nonblocking(fd) != 0 ||
            evutil_make_listen_socket_reuseable(fd) != 0 ||
            bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
            e = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(why, whylen, "%s", strerror(e));
    return fd;
}

static int bound_port(evutil_socket_t fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

static void configure(struct evhttp *http)
{
    evhttp_set_max_headers_size(http, FR_ADMIN_MAX_HEADERS);
    evhttp_set_max_body_size(http, FR_ADMIN_MAX_BODY);
    /* Methods outside this set get 501 from evhttp; these reach handle() and get 405. */
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST |
                                         EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                         EVHTTP_REQ_PATCH);
}

struct fr_admin *fr_admin_start(struct event_base *base, const char *addr, fr_admin_ready_fn ready,
                                void *arg, struct fr_error *err)
{
    char host[256], why[256] = "";
    struct fr_admin *a;
    evutil_socket_t fd;
    int port;

    if (addr == NULL || strcmp(addr, "off") == 0)
        return NULL;
    if (fr_parse_addr(addr, host, sizeof(host), &port, err) != 0) {
        fr_error_prefix(err, "admin address '%s'", addr);
        return NULL;
    }
    fd = listen_on(host, port, why, sizeof(why));
    if (fd < 0) {
        log_warn("admin: cannot listen on '%s': %s; going on without admin HTTP", addr, why);
        return NULL;
    }
    a = fr_xcalloc(1, sizeof(*a));
    a->ready = ready;
    a->arg = arg;
    a->port = bound_port(fd);
    a->http = evhttp_new(base);
    if (a->http == NULL || evhttp_accept_socket_with_handle(a->http, fd) == NULL) {
        log_warn("admin: cannot serve on '%s': libevent refused the socket; going on without "
                 "admin HTTP",
                 addr);
        evutil_closesocket(fd);
        fr_admin_free(a);
        return NULL;
    }
    configure(a->http);
    fr_admin_set_timeout_ms(a, FR_ADMIN_TIMEOUT_MS);
    evhttp_set_gencb(a->http, handle, a);
    log_info("admin: serving /healthz /readyz /metrics on '%s' (port %d)", addr, a->port);
    return a;
}

int fr_admin_port(const struct fr_admin *a)
{
    return a != NULL ? a->port : 0;
}

void fr_admin_set_timeout_ms(struct fr_admin *a, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    evhttp_set_timeout_tv(a->http, &tv);
}

void fr_admin_free(struct fr_admin *a)
{
    if (a == NULL)
        return;
    if (a->http != NULL)
        evhttp_free(a->http);
    free(a);
}
