/*
 * Integration tests: the admin HTTP server on a real socket (127.0.0.1, port 0). Needs no
 * services. The client side is plain sockets driven by the same event loop as the
 * server, so a request is sent, then the loop turns until the server closes the
 * connection ("Connection: close") or the test's own deadline passes.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/util.h>

#include "common/admin.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"

static struct event_base *base;

static void setup(void)
{
    signal(SIGPIPE, SIG_IGN); /* a daemon does this in common/sig */
    base = event_base_new();
    cr_assert_not_null(base);
}

static void teardown(void)
{
    event_base_free(base);
    fr_metrics_reset();
}

TestSuite(admin, .init = setup, .fini = teardown);

/* ---- a tiny client ---- */

struct conn {
    evutil_socket_t fd;
    struct fr_buf in;
    int closed;    /* the server closed (EOF or reset) */
    int timed_out; /* our deadline passed first */
};

struct resp {
    int status;
    char *raw; /* whole response, owned */
    const char *body;
};

static evutil_socket_t dial(int port)
{
    struct sockaddr_in sin;
    evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);

    cr_assert(fd >= 0);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0, "connect: %s",
                 strerror(errno));
    return fd;
}

static void send_all(evutil_socket_t fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0)
            return; /* the server may hang up on an oversized request: read what it said */
        data += n;
        len -= (size_t)n;
    }
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    char tmp[8192];
    ssize_t n;

    if (what & EV_TIMEOUT) {
        c->timed_out = 1;
        return;
    }
    n = recv(fd, tmp, sizeof(tmp), 0);
    if (n > 0)
        fr_buf_append(&c->in, tmp, (size_t)n);
    else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        c->closed = 1;
}

/* Turns the loop until the server closes fd or ms pass without a byte from it. */
static void wait_closed(struct conn *c, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    struct event *ev;

    evutil_make_socket_nonblocking(c->fd);
    ev = event_new(base, c->fd, EV_READ | EV_PERSIST, on_read, c);
    event_add(ev, &tv);
    while (!c->closed && !c->timed_out)
        event_base_loop(base, EVLOOP_ONCE);
    event_free(ev);
}

/* Sends raw on a new connection and collects the whole response. */
static struct resp exchange(struct fr_admin *a, const char *raw, size_t len)
{
    struct conn c = {.fd = dial(fr_admin_port(a))};
    struct resp r = {0};

    fr_buf_init(&c.in, 32u << 20);
    send_all(c.fd, raw, len);
    wait_closed(&c, 5000);
    cr_assert(!c.timed_out, "no answer within 5 s to: %.60s", raw);
    evutil_closesocket(c.fd);
    r.raw = fr_buf_detach(&c.in, NULL);
    if (strncmp(r.raw, "HTTP/1.", 7) == 0)
        r.status = atoi(r.raw + 9);
    r.body = strstr(r.raw, "\r\n\r\n");
    r.body = r.body != NULL ? r.body + 4 : "";
    return r;
}

static struct resp request(struct fr_admin *a, const char *method, const char *path)
{
    char raw[512];
    int n =
        snprintf(raw, sizeof(raw),
                 "%s %s HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                 method, path);

    return exchange(a, raw, (size_t)n);
}

/* The value of header name in r ("" when absent); points into a static copy. */
static const char *header(const struct resp *r, const char *name)
{
    static char value[512];
    size_t nlen = strlen(name);

    value[0] = '\0';
    for (const char *p = strstr(r->raw, "\r\n"); p != NULL && p + 2 < r->body;
         p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nlen) == 0 && line[nlen] == ':') {
            const char *v = line + nlen + 1;
            v += strspn(v, " ");
            snprintf(value, sizeof(value), "%.*s", (int)strcspn(v, "\r"), v);
            break;
        }
    }
    return value;
}

static struct fr_admin *start(fr_admin_ready_fn ready, void *arg)
{
    struct fr_error err = {0};
    struct fr_admin *a = fr_admin_start(base, "127.0.0.1:0", ready, arg, &err);

    cr_assert_not_null(a, "admin did not start: %s", err.msg);
    cr_assert_gt(fr_admin_port(a), 0);
    return a;
}

/* ---- readiness ---- */

struct readiness {
    int ready;
    const char *reason;
    int calls;
};

static int check_ready(void *arg, char *why, size_t whylen)
{
    struct readiness *r = arg;

    r->calls++;
    if (!r->ready)
        snprintf(why, whylen, "%s", r->reason);
    return r->ready;
}

/* ---- tests ---- */

Test(admin, healthz_ok)
{
    struct fr_admin *a = start(NULL, NULL);
    struct resp r = request(a, "GET", "/healthz");

    cr_assert_eq(r.status, 200, "%s", r.raw);
    cr_assert_str_eq(r.body, "ok\n");
    cr_assert_str_eq(header(&r, "Content-Type"), "text/plain; charset=utf-8");
    free(r.raw);
    fr_admin_free(a);
}

Test(admin, readyz_follows_the_callback)
{
    struct readiness st = {1, "redis unreachable: connection refused", 0};
    struct fr_admin *a = start(check_ready, &st);
    struct resp r = request(a, "GET", "/readyz");

    cr_assert_eq(r.status, 200, "%s", r.raw);
    cr_assert_str_eq(r.body, "ready\n");
    free(r.raw);
    st.ready = 0;
    r = request(a, "GET", "/readyz");
    cr_assert_eq(r.status, 503, "%s", r.raw);
    cr_assert_str_eq(r.body, "not ready: redis unreachable: connection refused\n");
    free(r.raw);
    st.ready = 1;
    r = request(a, "GET", "/readyz?verbose=1");
    cr_assert_eq(r.status, 200, "%s", r.raw);
    free(r.raw);
    cr_assert_eq(st.calls, 3);
    fr_admin_free(a);
}

static void scrape_hook(void *arg)
{
    (*(int *)arg)++;
    fr_gauge_set(fr_gauge_get("freshet_queue_depth", "Items waiting in the Redis queue.",
                              FR_LABELS("source", "keepa")),
                 7);
}

Test(admin, metrics_text_after_hooks)
{
    int hooked = 0;
    struct fr_admin *a = start(NULL, NULL);
    struct resp r;

    fr_counter_add(fr_counter_get("freshet_items_processed_total", "Items finished.",
                                  FR_LABELS("source", "keepa", "outcome", "active")),
                   5);
    fr_metrics_on_scrape(scrape_hook, &hooked);
    r = request(a, "GET", "/metrics");
    cr_assert_eq(r.status, 200, "%s", r.raw);
    cr_assert_str_eq(header(&r, "Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    cr_assert_eq(hooked, 1);
    cr_assert(strstr(r.body, "# TYPE freshet_items_processed_total counter\n"), "%s", r.body);
    cr_assert(
        strstr(r.body, "freshet_items_processed_total{outcome=\"active\",source=\"keepa\"} 5\n"),
        "%s", r.body);
    cr_assert(strstr(r.body, "freshet_queue_depth{source=\"keepa\"} 7\n"), "%s", r.body);
    cr_assert_eq((size_t)atoi(header(&r, "Content-Length")), strlen(r.body));
    free(r.raw);
    fr_admin_free(a);
}

Test(admin, metrics_of_an_empty_registry)
{
    struct fr_admin *a = start(NULL, NULL);
    struct resp r = request(a, "GET", "/metrics");

    cr_assert_eq(r.status, 200, "%s", r.raw);
    cr_assert_str_eq(r.body, "");
    free(r.raw);
    fr_admin_free(a);
}

Test(admin, unknown_path_404_and_other_methods_405)
{
    struct fr_admin *a = start(NULL, NULL);
    struct resp r = request(a, "GET", "/nope");

    cr_assert_eq(r.status, 404, "%s", r.raw);
    free(r.raw);
    r = request(a, "GET", "/metricsx");
    cr_assert_eq(r.status, 404, "%s", r.raw);
    free(r.raw);
    r = request(a, "POST", "/metrics");
    cr_assert_eq(r.status, 405, "%s", r.raw);
    cr_assert_str_eq(header(&r, "Allow"), "GET, HEAD");
    free(r.raw);
    r = request(a, "DELETE", "/healthz");
    cr_assert_eq(r.status, 405, "%s", r.raw);
    free(r.raw);
    r = request(a, "TRACE", "/healthz"); /* refused by evhttp itself */
    cr_assert_eq(r.status, 501, "%s", r.raw);
    free(r.raw);
    r = request(a, "HEAD", "/healthz");
    cr_assert_eq(r.status, 200, "%s", r.raw);
    cr_assert_str_eq(r.body, "");
    cr_assert_str_eq(header(&r, "Content-Length"), "3");
    free(r.raw);
    fr_admin_free(a);
}

Test(admin, off_gives_null_without_error)
{
    struct fr_error err = {0};

    cr_assert_null(fr_admin_start(base, "off", NULL, NULL, &err));
    cr_assert_eq(err.code, 0);
    cr_assert_null(fr_admin_start(base, NULL, NULL, NULL, &err));
    cr_assert_eq(err.code, 0);
    fr_admin_free(NULL);
}

Test(admin, bad_address_is_a_usage_error)
{
    struct fr_error err = {0};

    cr_assert_null(fr_admin_start(base, "nonsense", NULL, NULL, &err));
    cr_assert_eq(err.code, FR_ERR_USAGE);
    cr_assert(strstr(err.msg, "'nonsense'") != NULL, "%s", err.msg);
}

Test(admin, port_taken_is_a_warning)
{
    struct fr_admin *a = start(NULL, NULL), *b;
    struct fr_error err = {0};
    char addr[64], *logged = NULL;
    size_t loglen = 0;
    FILE *logf = open_memstream(&logged, &loglen);
    struct resp r;

    snprintf(addr, sizeof(addr), "127.0.0.1:%d", fr_admin_port(a));
    fr_log_set_stream(logf);
    b = fr_admin_start(base, addr, NULL, NULL, &err);
    fr_log_set_stream(NULL);
    fclose(logf);
    cr_assert_null(b);
    cr_assert_eq(err.code, 0, "a taken port must not be an error: %s", err.msg);
    cr_assert(strstr(logged, addr) != NULL && strstr(logged, "warn") != NULL,
              "the warning must name '%s': %s", addr, logged);
    r = request(a, "GET", "/healthz"); /* the first server is unharmed */
    cr_assert_eq(r.status, 200);
    free(r.raw);
    free(logged);
    fr_admin_free(a);
}

Test(admin, idle_clients_do_not_stall_and_are_dropped)
{
    struct fr_admin *a = start(NULL, NULL);
    struct conn idle[20], slow = {0};
    static const char partial[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"; /* never finished */
    int64_t t0 = fr_mono_ms(), took;
    struct resp r;

    fr_admin_set_timeout_ms(a, 300);
    for (int i = 0; i < 20; i++) {
        memset(&idle[i], 0, sizeof(idle[i]));
        idle[i].fd = dial(fr_admin_port(a));
        fr_buf_init(&idle[i].in, 4096);
    }
    slow.fd = dial(fr_admin_port(a));
    fr_buf_init(&slow.in, 4096);
    send_all(slow.fd, partial, sizeof(partial) - 1);

    r = request(a, "GET", "/healthz");
    cr_assert_eq(r.status, 200, "served while 21 clients hang: %s", r.raw);
    free(r.raw);
    cr_assert_lt(fr_mono_ms() - t0, 250, "the request waited for the idle clients");

    for (int i = 0; i < 20; i++) {
        wait_closed(&idle[i], 3000);
        cr_assert(idle[i].closed && !idle[i].timed_out, "idle client %d not dropped", i);
        cr_assert_eq(idle[i].in.len, 0, "idle client got: %s", fr_buf_str(&idle[i].in));
        evutil_closesocket(idle[i].fd);
        fr_buf_release(&idle[i].in);
    }
    wait_closed(&slow, 3000);
    cr_assert(slow.closed && !slow.timed_out, "slow client not dropped");
    took = fr_mono_ms() - t0;
    cr_assert(took >= 250 && took < 2000, "dropped after %lld ms, timeout 300 ms", (long long)took);
    evutil_closesocket(slow.fd);
    fr_buf_release(&slow.in);
    fr_admin_free(a);
}

Test(admin, oversized_header_is_refused)
{
    struct fr_admin *a = start(NULL, NULL);
    struct fr_buf req;
    struct resp r;

    fr_buf_init(&req, 0);
    fr_buf_puts(&req, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    for (int i = 0; i < 16384; i++)
        fr_buf_putc(&req, 'a');
    fr_buf_puts(&req, "\r\nConnection: close\r\n\r\n");
    r = exchange(a, fr_buf_str(&req), req.len);
    /* libevent 2.1 answers 400 where later versions say 413: either way, refused */
    cr_assert(r.status == 400 || r.status == 413, "%s", r.raw);
    free(r.raw);
    fr_buf_reset(&req); /* the same request with a 4 KiB header is fine */
    fr_buf_puts(&req, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ");
    for (int i = 0; i < 4096; i++)
        fr_buf_putc(&req, 'a');
    fr_buf_puts(&req, "\r\nConnection: close\r\n\r\n");
    r = exchange(a, fr_buf_str(&req), req.len);
    cr_assert_eq(r.status, 200, "%s", r.raw);
    free(r.raw);
    fr_buf_release(&req);
    r = request(a, "GET", "/healthz"); /* and the server carries on */
    cr_assert_eq(r.status, 200);
    free(r.raw);
    fr_admin_free(a);
}

Test(admin, oversized_body_is_refused)
{
    struct fr_admin *a = start(NULL, NULL);
    char raw[4096];
    int n = snprintf(raw, sizeof(raw),
                     "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3000\r\n"
                     "Connection: close\r\n\r\n");
    struct resp r;

    memset(raw + n, 'b', 3000);
    r = exchange(a, raw, (size_t)n + 3000);
    cr_assert_eq(r.status, 413, "%s", r.raw);
    free(r.raw);
    fr_admin_free(a);
}

Test(admin, keep_alive_serves_several_requests)
{
    struct fr_admin *a = start(NULL, NULL);
    static const char two[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                              "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    struct resp r = exchange(a, two, sizeof(two) - 1);

    cr_assert_eq(r.status, 200, "%s", r.raw);
    cr_assert(strstr(r.raw, "ok\n") != NULL && strstr(r.raw, "ready\n") != NULL, "%s", r.raw);
    free(r.raw);
    fr_admin_free(a);
}
