/*
 * Integration tests: common/http against a real HTTP server on 127.0.0.1.
 *
 * Each test forks a server process (beanstalkd style): a libevent evhttp server for
 * well-formed answers (JSON, gzip, 4xx/5xx, slow, large, echo) that counts the TCP
 * connections it accepts, and a raw TCP listener for broken ones (reset, close without
 * answer, truncated body). Both sockets are bound to port 0 before the fork, so there is
 * no race on ports. The client runs in the test process on its own event_base.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <arpa/inet.h>
#include <malloc.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "common/clock.h"
#include "common/http.h"
#include "common/mem.h"

#define MB (1024u * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define HTTP_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HTTP_TEST_ASAN 1
#endif
#endif

/* ---- the server (runs in a forked child) ------------------------------------------- */

static int srv_accepted; /* TCP connections evhttp accepted */
static struct event_base *srv_base;
static char *big_body; /* 2 MB of 'x' */

static int listen_any(int *port)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    cr_assert_eq(listen(fd, 512), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void gzip_into(struct evbuffer *out, const void *data, size_t len)
{
    z_stream zs;
    unsigned char *dst;
    uLong cap;

    memset(&zs, 0, sizeof(zs));
    deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY); /* +16: gzip */
    cap = deflateBound(&zs, (uLong)len);
    dst = fr_xmalloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)len;
    zs.next_out = dst;
    zs.avail_out = (uInt)cap;
    deflate(&zs, Z_FINISH);
    evbuffer_add(out, dst, cap - zs.avail_out);
    deflateEnd(&zs);
    free(dst);
}

static void reply(struct evhttp_request *req, int code, const char *ctype, const char *body)
{
    struct evbuffer *out = evbuffer_new();

    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ctype);
    evbuffer_add(out, body, strlen(body));
    evhttp_send_reply(req, code, "X", out);
    evbuffer_free(out);
}

static void slow_reply(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    reply(arg, 200, "application/json", "{\"slow\":true}");
}

static void serve_post(struct evhttp_request *req)
{
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");
    struct evbuffer *in = evhttp_request_get_input_buffer(req);

    if (ct == NULL || strcmp(ct, "application/json") != 0) {
        reply(req, 415, "text/plain", "want application/json");
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", ct);
    evhttp_send_reply(req, 200, "OK", in); /* echo */
}

static void serve_large(struct evhttp_request *req, const char *uri)
{
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
    struct evbuffer *out = evbuffer_new();

    if (strcmp(uri, "/big") == 0) { /* Content-Length: 2 MB */
        evbuffer_add(out, big_body, 2 * MB);
        evhttp_send_reply(req, 200, "OK", out);
    } else if (strcmp(uri, "/bigzip") == 0) { /* ~2 KB on the wire, 2 MB decoded */
        gzip_into(out, big_body, 2 * MB);
        evhttp_add_header(hdr, "Content-Encoding", "gzip");
        evhttp_send_reply(req, 200, "OK", out);
    } else { /* chunked: no length announced */
        evhttp_send_reply_start(req, 200, "OK");
        for (int i = 0; i < 32; i++) {
            evbuffer_add(out, big_body, 64 * 1024);
            evhttp_send_reply_chunk(req, out);
        }
        evhttp_send_reply_end(req);
    }
    evbuffer_free(out);
}

static void serve(struct evhttp_request *req, void *arg)
{
    const char *uri = evhttp_request_get_uri(req);
    char body[128];

    (void)arg;
    if (evhttp_request_get_command(req) == EVHTTP_REQ_POST) {
        serve_post(req);
    } else if (strncmp(uri, "/echo/", 6) == 0) {
        snprintf(body, sizeof(body), "{\"i\":%s}", uri + 6);
        reply(req, 200, "application/json", body);
    } else if (strcmp(uri, "/json") == 0) {
        reply(req, 200, "application/json", "{\"ok\":true,\"items\":[1,2,3]}");
    } else if (strcmp(uri, "/hello") == 0) {
        reply(req, 200, "text/plain", "hello");
    } else if (strcmp(uri, "/agent") == 0) {
        const char *ua = evhttp_find_header(evhttp_request_get_input_headers(req), "User-Agent");
        reply(req, 200, "text/plain", ua ? ua : "(none)");
    } else if (strcmp(uri, "/gzip") == 0) {
        static const char text[] = "{\"compressed\":\"yes yes yes yes yes yes yes yes\"}";
        struct evbuffer *out = evbuffer_new();
        gzip_into(out, text, strlen(text));
        evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Encoding", "gzip");
        evhttp_send_reply(req, 200, "OK", out);
        evbuffer_free(out);
    } else if (strcmp(uri, "/status/500") == 0) {
        reply(req, 500, "text/plain", "internal trouble");
    } else if (strcmp(uri, "/status/429") == 0) {
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
        reply(req, 429, "application/json", "{\"error\":\"slow down\"}");
    } else if (strcmp(uri, "/slow") == 0) {
        struct timeval tv = {2, 0};
        event_base_once(srv_base, -1, EV_TIMEOUT, slow_reply, req, &tv);
    } else if (strcmp(uri, "/stats") == 0) {
        snprintf(body, sizeof(body), "{\"accepted\":%d}", srv_accepted);
        reply(req, 200, "application/json", body);
    } else if (strncmp(uri, "/big", 4) == 0) {
        serve_large(req, uri);
    } else {
        reply(req, 404, "text/plain", "no such thing");
    }
}

static struct bufferevent *count_conn(struct event_base *base, void *arg)
{
    (void)arg;
    srv_accepted++;
    return bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
}

/* Raw listener: reads a request head, then misbehaves according to its path. */
static void raw_free_when_sent(struct bufferevent *bev, void *arg)
{
    (void)arg;
    bufferevent_free(bev);
}

static void raw_read(struct bufferevent *bev, void *arg)
{
    struct evbuffer *in = bufferevent_get_input(bev);
    struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
    char line[256] = "";
    size_t n = evbuffer_get_length(in);

    (void)arg;
    if (end.pos < 0)
        return;
    evbuffer_copyout(in, line, n < sizeof(line) - 1 ? n : sizeof(line) - 1);
    if (strncmp(line, "GET /reset ", 11) == 0) {
        struct linger lg = {1, 0}; /* close() sends RST */
        setsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        bufferevent_free(bev);
    } else if (strncmp(line, "GET /truncated ", 15) == 0) {
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                   "Content-Length: 100\r\n\r\n{\"cut\":";
        evbuffer_drain(in, n);
        bufferevent_setcb(bev, NULL, raw_free_when_sent, NULL, NULL);
        bufferevent_write(bev, head, sizeof(head) - 1);
    } else { /* /close and anything else: close without a word */
        bufferevent_free(bev);
    }
}

static void raw_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen,
                       void *arg)
{
    struct bufferevent *bev =
        bufferevent_socket_new(evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE);

    (void)sa;
    (void)salen;
    (void)arg;
    bufferevent_setcb(bev, raw_read, NULL, NULL, NULL);
    bufferevent_enable(bev, EV_READ);
}

static void server_main(int http_fd, int raw_fd)
{
    struct evhttp *http;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGPIPE, SIG_IGN);
    big_body = fr_xmalloc(2 * MB);
    memset(big_body, 'x', 2 * MB);
    srv_base = event_base_new();
    http = evhttp_new(srv_base);
    evhttp_set_gencb(http, serve, NULL);
    evhttp_set_bevcb(http, count_conn, NULL);
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
    evutil_make_socket_nonblocking(http_fd);
    evutil_make_socket_nonblocking(raw_fd);
    if (evhttp_accept_socket(http, http_fd) != 0 ||
        evconnlistener_new(srv_base, raw_accept, NULL, LEV_OPT_CLOSE_ON_FREE, -1, raw_fd) == NULL)
        _exit(3);
    event_base_dispatch(srv_base);
    _exit(0);
}

/* ---- the client side ---------------------------------------------------------------- */

static pid_t srv_pid;
static int http_port, raw_port;
static struct event_base *base;
static struct fr_http *http;
static int pending; /* callbacks still expected; the loop stops at 0 */

struct result {
    int calls;
    int status;
    int err;
    char errmsg[256];
    char *body;
    size_t body_len;
    double seconds;
    double parked;
};

static void setup(void)
{
    int http_fd = listen_any(&http_port), raw_fd = listen_any(&raw_port);

    signal(SIGPIPE, SIG_IGN);
    srv_pid = fork();
    cr_assert(srv_pid >= 0);
    if (srv_pid == 0)
        server_main(http_fd, raw_fd);
    close(http_fd);
    close(raw_fd);
    base = event_base_new();
    http = NULL;
    pending = 0;
}

static void teardown(void)
{
    fr_http_free(http);
    http = NULL; /* so that LeakSanitizer sees a leaked engine as unreachable */
    if (base != NULL)
        event_base_free(base);
    base = NULL;
    if (srv_pid > 0) {
        kill(srv_pid, SIGKILL);
        waitpid(srv_pid, NULL, 0);
    }
}

TestSuite(http, .init = setup, .fini = teardown, .timeout = 60);

static void new_engine(int max)
{
    struct fr_error err = {0};

    http = fr_http_new(base, max, &err);
    cr_assert_not_null(http, "%s", err.msg);
}

static void url(char *out, size_t n, int port, const char *path)
{
    snprintf(out, n, "http://127.0.0.1:%d%s", port, path);
}

static void result_free(struct result *r)
{
    free(r->body);
    r->body = NULL;
}

static void on_done(const struct fr_http_response *res, void *arg)
{
    struct result *r = arg;

    r->calls++;
    r->status = res->status;
    r->err = res->err;
    fr_strlcpy(r->errmsg, res->errmsg, sizeof(r->errmsg));
    free(r->body);
    r->body = fr_xmalloc(res->body_len + 1);
    memcpy(r->body, res->body, res->body_len + 1); /* includes the NUL */
    r->body_len = res->body_len;
    r->seconds = res->seconds;
    r->parked = res->parked_seconds;
    if (--pending == 0)
        event_base_loopbreak(base);
}

static void start(const struct fr_http_request *req, fr_http_done_fn fn, void *arg)
{
    struct fr_error err = {0};

    cr_assert_eq(fr_http_start(http, req, fn, arg, &err), 0, "%s", err.msg);
    pending++;
}

static void run_loop(void)
{
    if (pending > 0)
        event_base_dispatch(base);
    cr_assert_eq(pending, 0, "the loop stopped with %d callbacks outstanding", pending);
}

/* Starts one request on a default engine, runs the loop until it is done. */
static void fetch(struct fr_http_request *req, int port, const char *path, struct result *r)
{
    char u[128];

    if (http == NULL)
        new_engine(8);
    url(u, sizeof(u), port, path);
    req->url = u;
    if (req->log_url == NULL)
        req->log_url = path;
    memset(r, 0, sizeof(*r));
    start(req, on_done, r);
    run_loop();
    cr_assert_eq(r->calls, 1);
}

Test(http, get_json_200)
{
    struct fr_http_request req = {0};
    struct result r;

    fetch(&req, http_port, "/json", &r);
    cr_assert_eq(r.err, 0, "%s", r.errmsg);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "{\"ok\":true,\"items\":[1,2,3]}");
    cr_assert_eq(r.body_len, strlen(r.body));
    cr_assert_str_empty(r.errmsg);
    cr_assert(r.seconds > 0 && r.seconds < 5);
    result_free(&r);
}

Test(http, user_agent_names_the_worker)
{
    struct fr_http_request req = {0};
    struct result r;

    fetch(&req, http_port, "/agent", &r);
    cr_assert_str_eq(r.body, "freshet/" FRESHET_VERSION);
    result_free(&r);
    fr_http_set_worker(http, "host-1234");
    fetch(&req, http_port, "/agent", &r);
    cr_assert_str_eq(r.body, "freshet/" FRESHET_VERSION " (host-1234)");
    result_free(&r);
}

Test(http, gzip_body_arrives_decoded)
{
    struct fr_http_request req = {0};
    struct result r;

    fetch(&req, http_port, "/gzip", &r);
    cr_assert_eq(r.err, 0, "%s", r.errmsg);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "{\"compressed\":\"yes yes yes yes yes yes yes yes\"}");
    result_free(&r);
}

Test(http, error_statuses_are_responses_not_errors)
{
    struct fr_http_request req = {0};
    struct result r;

    fetch(&req, http_port, "/status/500", &r);
    cr_assert_eq(r.err, 0, "%s", r.errmsg);
    cr_assert_eq(r.status, 500);
    cr_assert_str_eq(r.body, "internal trouble");
    result_free(&r);

    req.log_url = NULL;
    fetch(&req, http_port, "/status/429", &r);
    cr_assert_eq(r.err, 0, "%s", r.errmsg);
    cr_assert_eq(r.status, 429);
    cr_assert_str_eq(r.body, "{\"error\":\"slow down\"}");
    result_free(&r);

    req.log_url = NULL;
    fetch(&req, http_port, "/nowhere", &r);
    cr_assert_eq(r.err, 0);
    cr_assert_eq(r.status, 404);
    result_free(&r);
}

Test(http, slow_server_times_out)
{
    struct fr_http_request req = {.timeout_ms = 300};
    struct result r;

    fetch(&req, http_port, "/slow", &r);
    cr_assert_eq(r.err, FR_ERR_TIMEOUT, "%d %s", r.err, r.errmsg);
    cr_assert_eq(r.status, 0);
    cr_assert(r.seconds >= 0.25 && r.seconds < 1.5, "took %.3f s", r.seconds);
    cr_assert(strstr(r.errmsg, "GET '/slow': timed out") == r.errmsg, "%s", r.errmsg);
    cr_assert_eq(r.body_len, 0);
    result_free(&r);
}

Test(http, reset_and_silent_close_are_io_errors)
{
    struct fr_http_request req = {0};
    struct result r;

    fetch(&req, raw_port, "/reset", &r);
    cr_assert_eq(r.err, FR_ERR_IO, "%d %s", r.err, r.errmsg);
    cr_assert_eq(r.status, 0);
    cr_log_info("reset: %s", r.errmsg);
    result_free(&r);

    req.log_url = NULL;
    fetch(&req, raw_port, "/close", &r);
    cr_assert_eq(r.err, FR_ERR_IO, "%d %s", r.err, r.errmsg);
    cr_assert(strstr(r.errmsg, "GET '/close': ") == r.errmsg, "%s", r.errmsg);
    cr_log_info("close: %s", r.errmsg);
    result_free(&r);
}

Test(http, truncated_body_is_an_error_not_a_short_success)
{
    struct fr_http_request req = {0};
    struct result r;

    fetch(&req, raw_port, "/truncated", &r);
    cr_assert_eq(r.err, FR_ERR_IO, "%d %s", r.err, r.errmsg);
    cr_assert_eq(r.status, 200, "the head did arrive");
    cr_assert_eq(r.body_len, 0, "a partial body is not handed out");
    cr_assert_str_empty(r.body);
    cr_log_info("truncated: %s", r.errmsg);
    result_free(&r);
}

Test(http, body_over_max_body_is_refused)
{
    static const char *const paths[] = {"/big", "/bigzip", "/bigchunked"};
    struct result r;

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct fr_http_request req = {.max_body = MB};

        fetch(&req, http_port, paths[i], &r);
        cr_assert_eq(r.err, FR_ERR_LIMIT, "%s: %d %s", paths[i], r.err, r.errmsg);
        cr_assert(strstr(r.errmsg, "1048576") != NULL, "%s", r.errmsg);
        cr_assert_eq(r.body_len, 0);
        cr_log_info("%s: %s", paths[i], r.errmsg);
        result_free(&r);
    }
    /* exactly at the limit is fine */
    struct fr_http_request req = {.max_body = 2 * MB};
    fetch(&req, http_port, "/bigzip", &r);
    cr_assert_eq(r.err, 0, "%s", r.errmsg);
    cr_assert_eq(r.body_len, 2 * MB);
    cr_assert(r.body[0] == 'x' && r.body[2 * MB - 1] == 'x' && r.body[2 * MB] == '\0');
    result_free(&r);
}

Test(http, post_json_is_echoed)
{
    static const char body[] = "{\"asins\":[\"B000\",\"B001\"],\"nul\":\"a\\u0000b\"}";
    struct fr_http_request req = {
        .body = body, .body_len = sizeof(body) - 1, .content_type = "application/json"};
    struct result r;

    fetch(&req, http_port, "/anything", &r);
    cr_assert_eq(r.err, 0, "%s", r.errmsg);
    cr_assert_eq(r.status, 200, "%s", r.body);
    cr_assert_str_eq(r.body, body);
    result_free(&r);

    /* a binary body with NUL bytes and no content type: length, not strlen, counts */
    static const char bin[] = {'a', '\0', 'b'};
    struct fr_http_request raw = {.body = bin, .body_len = sizeof(bin)};
    fetch(&raw, http_port, "/anything", &r);
    cr_assert_eq(r.status, 415);
    result_free(&r);

    /* then a GET on the same (recycled) easy handle is a GET again */
    struct fr_http_request get = {0};
    fetch(&get, http_port, "/json", &r);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "{\"ok\":true,\"items\":[1,2,3]}");
    result_free(&r);
}

/* Many requests, max_in_flight at a time, each callback starting the next one. */
struct many {
    int total, started, done, bad, port;
    const char *path; /* NULL = /echo/<i> */
    char errmsg[256];
};

static void many_start_next(struct many *m);

static void on_many(const struct fr_http_response *res, void *arg)
{
    struct many *m = *(struct many **)arg;
    int i = (int)(intptr_t)((void **)arg)[1];
    char want[64];

    free(arg);
    if (m->path == NULL)
        snprintf(want, sizeof(want), "{\"i\":%d}", i);
    else
        fr_strlcpy(want, "hello", sizeof(want));
    if (res->err != 0 || res->status != 200 || strcmp(res->body, want) != 0) {
        if (m->bad++ == 0)
            snprintf(m->errmsg, sizeof(m->errmsg), "#%d: %d %s", i, res->status, res->errmsg);
    }
    m->done++;
    pending--;
    many_start_next(m);
    if (pending == 0)
        event_base_loopbreak(base);
}

static void many_start_next(struct many *m)
{
    while (m->started < m->total && fr_http_in_flight(http) < 64) {
        char u[128], path[32];
        void **ctx = fr_xmalloc(2 * sizeof(void *));
        struct fr_http_request req = {0};

        snprintf(path, sizeof(path), "/echo/%d", m->started);
        url(u, sizeof(u), m->port, m->path ? m->path : path);
        req.url = u;
        ctx[0] = m;
        ctx[1] = (void *)(intptr_t)m->started;
        start(&req, on_many, ctx);
        m->started++;
    }
}

static int server_accepted(void)
{
    struct fr_http_request req = {0};
    struct result r;
    int n = -1;

    fetch(&req, http_port, "/stats", &r);
    cr_assert_eq(r.status, 200);
    sscanf(r.body, "{\"accepted\":%d}", &n);
    result_free(&r);
    return n;
}

Test(http, five_hundred_requests_reuse_connections)
{
    struct many m = {.total = 500, .port = http_port};
    int accepted;

    new_engine(64);
    many_start_next(&m);
    cr_assert_eq(fr_http_in_flight(http), 64);
    run_loop();
    cr_assert_eq(m.done, 500);
    cr_assert_eq(m.bad, 0, "%d bad, first %s", m.bad, m.errmsg);
    accepted = server_accepted();
    cr_log_info("500 requests over %d TCP connections", accepted);
    cr_assert(accepted >= 1 && accepted <= 64, "accepted %d connections", accepted);
}

Test(http, start_beyond_max_in_flight_is_refused)
{
    struct result r[4];
    struct fr_error err = {0};
    char u[128];
    struct fr_http_request req = {0};

    new_engine(4);
    url(u, sizeof(u), http_port, "/json");
    req.url = u;
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 4; i++)
        start(&req, on_done, &r[i]);
    cr_assert_eq(fr_http_in_flight(http), 4);
    cr_assert_eq(fr_http_start(http, &req, on_done, &r[0], &err), FR_ERR_LIMIT);
    cr_assert(strstr(err.msg, "4 requests already in flight") != NULL, "%s", err.msg);
    run_loop();
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(r[i].calls, 1);
        cr_assert_eq(r[i].status, 200);
        result_free(&r[i]);
    }
    cr_assert_eq(fr_http_in_flight(http), 0);
}

Test(http, bad_requests_are_refused_without_callback)
{
    struct fr_error err = {0};
    struct result r = {0};
    struct fr_http_request req = {.url = NULL};

    new_engine(2);
    cr_assert_eq(fr_http_start(http, &req, on_done, &r, &err), FR_ERR_USAGE);
    fr_error_clear(&err);
    req.url = "http://127.0.0.1:1/x";
    req.body = "{}";
    req.body_len = 2;
    req.content_type = "application/json\r\nX-Injected: 1";
    cr_assert_eq(fr_http_start(http, &req, on_done, &r, &err), FR_ERR_USAGE);
    cr_assert_eq(fr_http_in_flight(http), 0);

    /* an unsupported scheme is reported through the callback as a usage error */
    struct fr_http_request file = {.url = "file:///etc/passwd", .log_url = "file"};
    start(&file, on_done, &r);
    run_loop();
    cr_assert_eq(r.err, FR_ERR_USAGE, "%d %s", r.err, r.errmsg);
    result_free(&r);
    cr_assert_eq(r.calls, 1);
}

Test(http, callback_never_runs_inside_start)
{
    struct fr_http_request req = {.log_url = NULL};
    struct result r = {0};
    char u[128];
    int port, fd = listen_any(&port);

    close(fd); /* nothing listens there now: connection refused */
    new_engine(2);
    url(u, sizeof(u), port, "/x?key=secretkey");
    req.url = u;
    start(&req, on_done, &r);
    cr_assert_eq(r.calls, 0, "called from inside fr_http_start");
    run_loop();
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.err, FR_ERR_IO, "%d %s", r.err, r.errmsg);
    cr_assert(strstr(r.errmsg, "GET request: ") == r.errmsg, "%s", r.errmsg);
    cr_assert(strstr(r.errmsg, "secretkey") == NULL, "%s", r.errmsg);
    cr_log_info("refused: %s", r.errmsg);
    result_free(&r);
}

Test(http, log_url_replaces_url_in_messages)
{
    struct fr_http_request req = {.log_url = "http://api/x?key=***"};
    struct result r;

    fetch(&req, raw_port, "/close?key=secretkey", &r);
    cr_assert_eq(r.err, FR_ERR_IO);
    cr_assert(strstr(r.errmsg, "GET 'http://api/x?key=***': ") == r.errmsg, "%s", r.errmsg);
    cr_assert(strstr(r.errmsg, "secretkey") == NULL, "%s", r.errmsg);
    result_free(&r);
}

/* Chained requests: each callback starts the next one. */
static int chain_left;

static void on_chain(const struct fr_http_response *res, void *arg)
{
    struct fr_http_request req = {.url = arg};
    struct fr_error err = {0};

    cr_assert_eq(res->status, 200, "%s", res->errmsg);
    pending--;
    if (--chain_left > 0) {
        cr_assert_eq(fr_http_start(http, &req, on_chain, arg, &err), 0, "%s", err.msg);
        pending++;
    }
    if (pending == 0)
        event_base_loopbreak(base);
}

Test(http, callbacks_may_start_requests)
{
    char u[128];
    struct fr_http_request req = {0};

    new_engine(1);
    url(u, sizeof(u), http_port, "/hello");
    req.url = u;
    chain_left = 20;
    start(&req, on_chain, u);
    run_loop();
    cr_assert_eq(chain_left, 0);
    cr_assert_eq(server_accepted(), 1, "one connection, reused 20 times");
}

/* A fast request whose callback cancels the slow ones, then starts another. */
static struct result slow_r[5], after_r;

static void on_fast_cancels(const struct fr_http_response *res, void *arg)
{
    struct fr_http_request req = {0};

    cr_assert_eq(res->status, 200);
    fr_http_cancel_all(http);
    for (int i = 0; i < 5; i++)
        cr_assert_eq(slow_r[i].calls, 1, "cancel_all calls back at once");
    req.url = arg;
    start(&req, on_done, &after_r);
    pending--; /* last: pending must not reach 0 (and stop the loop) before the restart */
}

Test(http, callbacks_may_cancel)
{
    char slow[128], fast[128];
    struct fr_http_request req = {0};

    new_engine(8);
    url(slow, sizeof(slow), http_port, "/slow");
    url(fast, sizeof(fast), http_port, "/json");
    memset(slow_r, 0, sizeof(slow_r));
    memset(&after_r, 0, sizeof(after_r));
    req.url = slow;
    for (int i = 0; i < 5; i++)
        start(&req, on_done, &slow_r[i]);
    req.url = fast;
    start(&req, on_fast_cancels, fast);
    run_loop();
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(slow_r[i].calls, 1);
        cr_assert_eq(slow_r[i].err, FR_ERR_IO);
        cr_assert(strstr(slow_r[i].errmsg, "cancelled") != NULL, "%s", slow_r[i].errmsg);
        result_free(&slow_r[i]);
    }
    cr_assert_eq(after_r.calls, 1);
    cr_assert_eq(after_r.status, 200, "%s", after_r.errmsg);
    result_free(&after_r);
}

static void stop_loop(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    event_base_loopbreak(base);
}

/* A callback run by fr_http_free tries to start a request: refused, no callback. */
static int restart_rc;

static void on_done_restart(const struct fr_http_response *res, void *arg)
{
    struct fr_http_request req = {.url = "http://127.0.0.1:1/"};

    on_done(res, arg);
    restart_rc = fr_http_start(http, &req, on_done, arg, NULL);
}

Test(http, free_with_transfers_in_flight_calls_back_once)
{
    struct result r[10];
    char u[128];
    struct fr_http_request req = {0};
    struct timeval tv = {0, 200 * 1000};

    new_engine(10);
    url(u, sizeof(u), http_port, "/slow");
    req.url = u;
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 10; i++)
        start(&req, i == 0 ? on_done_restart : on_done, &r[i]);
    event_base_once(base, -1, EV_TIMEOUT, stop_loop, NULL, &tv); /* requests are on the wire */
    event_base_dispatch(base);
    cr_assert_eq(fr_http_in_flight(http), 10);
    fr_http_free(http);
    http = NULL;
    for (int i = 0; i < 10; i++) {
        cr_assert_eq(r[i].calls, 1);
        cr_assert_eq(r[i].err, FR_ERR_IO);
        cr_assert(strstr(r[i].errmsg, "cancelled") != NULL, "%s", r[i].errmsg);
        result_free(&r[i]);
    }
    cr_assert_eq(pending, 0);
    cr_assert_eq(restart_rc, FR_ERR_STATE);
}

static long max_rss_kb(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

Test(http, throughput_ten_thousand_small_gets)
{
    struct many warm = {.total = 2000, .port = http_port, .path = "/hello"};
    struct many m = {.total = 10000, .port = http_port, .path = "/hello"};
    long rss_warm, rss_end;
    int64_t t0;
    double secs;
    int conns;

    new_engine(64);
    many_start_next(&warm);
    run_loop();
    cr_assert_eq(warm.bad, 0, "%s", warm.errmsg);
    rss_warm = max_rss_kb();

    t0 = fr_mono_us();
    many_start_next(&m);
    run_loop();
    secs = (double)(fr_mono_us() - t0) / 1e6;
    rss_end = max_rss_kb();
    cr_assert_eq(m.done, 10000);
    cr_assert_eq(m.bad, 0, "%d bad, first %s", m.bad, m.errmsg);
    conns = server_accepted();
    cr_log_info("http throughput: 10000 GETs, 64 in flight, %.3f s = %.0f requests/s, "
                "%d connections, max rss %ld -> %ld KiB",
                secs, 10000 / secs, conns, rss_warm, rss_end);
    /* the warm-up drained to 0 in flight: its connections must have stayed cached */
    cr_assert(conns <= 64, "%d connections: idle ones were closed between batches", conns);
    cr_assert(10000 / secs > 1000, "%.0f requests/s", 10000 / secs);
    /* memory does not grow with the number of requests (ASan's quarantine would) */
#ifndef HTTP_TEST_ASAN
    cr_assert(rss_end - rss_warm < 8 * 1024, "rss grew %ld KiB", rss_end - rss_warm);
#endif
}

/* ---- holding bodies back ------------------------------------------------------------ */

static int max_bodies_seen;

static void sample_bodies(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (fr_http_bodies(http) > max_bodies_seen)
        max_bodies_seen = fr_http_bodies(http);
}

Test(http, at_most_n_bodies_received_at_once)
{
    struct fr_http_request req = {.holdable = 1};
    struct result r[8];
    char u[128];
    struct timeval tick = {0, 500};
    struct event *sampler;

    new_engine(16);
    fr_http_limit_bodies(http, 2);
    sampler = event_new(base, -1, EV_PERSIST, sample_bodies, NULL);
    event_add(sampler, &tick);
    url(u, sizeof(u), http_port, "/big"); /* 2 MB each: many reads, many loop turns */
    req.url = u;
    memset(r, 0, sizeof(r));
    max_bodies_seen = 0;
    for (int i = 0; i < 8; i++)
        start(&req, on_done, &r[i]);
    run_loop();
    event_free(sampler);
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(r[i].err, 0, "request %d: %s", i, r[i].errmsg);
        cr_assert_eq(r[i].body_len, 2 * MB, "request %d got %zu bytes", i, r[i].body_len);
        result_free(&r[i]);
    }
    cr_assert(max_bodies_seen >= 1 && max_bodies_seen <= 2, "%d bodies at once",
              max_bodies_seen);
    cr_assert_eq(fr_http_bodies(http), 0);
}

Test(http, held_bodies_wait_and_others_go_on)
{
    struct fr_http_request held = {.holdable = 1}, plain = {0};
    struct result r[5];
    char u[128];
    struct timeval wait = {0, 400000};

    new_engine(8);
    url(u, sizeof(u), http_port, "/json");
    held.url = plain.url = u;
    memset(r, 0, sizeof(r));
    fr_http_hold(http, 1);
    for (int i = 0; i < 4; i++)
        start(&held, on_done, &r[i]);
    start(&plain, on_done, &r[4]);
    event_base_once(base, -1, EV_TIMEOUT, stop_loop, NULL, &wait);
    event_base_dispatch(base);
    cr_assert_eq(r[4].calls, 1, "the request that may not wait did not complete");
    for (int i = 0; i < 4; i++)
        cr_assert_eq(r[i].calls, 0, "held request %d completed while held", i);
    cr_assert_eq(fr_http_in_flight(http), 4);
    fr_http_hold(http, 0);
    run_loop();
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(r[i].calls, 1);
        cr_assert_eq(r[i].err, 0, "%s", r[i].errmsg);
        cr_assert_str_eq(r[i].body, "{\"ok\":true,\"items\":[1,2,3]}");
        result_free(&r[i]);
    }
    /* The wait is reported apart, so an upstream's latency is not mistaken for it. */
    for (int i = 0; i < 4; i++)
        cr_assert(r[i].parked >= 0.3 && r[i].parked <= r[i].seconds &&
                      r[i].seconds - r[i].parked < 0.3,
                  "held %d: %.3f s of %.3f s parked", i, r[i].parked, r[i].seconds);
    cr_assert_eq(r[4].parked, 0.0, "the one that was not held: %.3f s parked", r[4].parked);
}

#if !defined(HTTP_TEST_ASAN)
static size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}
#endif

Test(http, held_compressed_bodies_wait_compressed)
{
    enum { N = 24 };
    struct fr_http_request req = {.holdable = 1, .max_body = 4 * MB};
    struct result r[N];
    char u[128];
    struct timeval wait = {0, 300000};

    new_engine(N);
    fr_http_limit_bodies(http, 1);
    url(u, sizeof(u), http_port, "/bigzip"); /* ~2 KB on the wire, 2 MB decoded */
    req.url = u;
    memset(r, 0, sizeof(r));
#if !defined(HTTP_TEST_ASAN)
    size_t before = heap_in_use();
#endif
    fr_http_hold(http, 1);
    for (int i = 0; i < N; i++)
        start(&req, on_done, &r[i]);
    event_base_once(base, -1, EV_TIMEOUT, stop_loop, NULL, &wait);
    event_base_dispatch(base);
    cr_assert_eq(fr_http_in_flight(http), N, "held transfers completed");
#if !defined(HTTP_TEST_ASAN)
    /* Decoded, each would hold 2 MB; compressed, a read of ~2 KB and curl's buffers. */
    size_t grown = heap_in_use() - before;
    cr_log_info("%d held gzip transfers: heap grew by %zu KiB", N, grown / 1024);
    cr_assert(grown < (size_t)N * 64 * 1024, "%d held transfers hold %zu KiB", N,
              grown / 1024);
#endif
    fr_http_hold(http, 0);
    run_loop();
    for (int i = 0; i < N; i++) {
        cr_assert_eq(r[i].err, 0, "request %d: %s", i, r[i].errmsg);
        cr_assert_eq(r[i].body_len, 2 * MB, "request %d got %zu bytes", i, r[i].body_len);
        cr_assert(r[i].body[0] == 'x' && r[i].body[2 * MB - 1] == 'x');
        result_free(&r[i]);
    }
}
