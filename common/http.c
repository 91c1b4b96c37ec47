/*
 * http — see http.h. The glue follows curl's docs/examples/hiperfifo.c: libcurl tells us
 * which sockets to watch (on_socket) and when to wake it up (on_timer_set); libevent
 * calls back into curl_multi_socket_action (on_event, on_timer); finished transfers are
 * collected with curl_multi_info_read (collect) and their callbacks run there, outside
 * any libcurl callback, so they may start or cancel requests freely.
 *
 * A transfer (struct xfer) owns one easy handle and its body buffer. It sits either on
 * the active list (added to the multi handle) or on the free list (reset, ready for
 * reuse); the free list holds at most max_in_flight entries and large body buffers are
 * released on return, so memory stays bounded however many requests go through.
 */
#include "common/http.h"

#include <assert.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/log.h"
#include "common/mem.h"

#ifndef FRESHET_VERSION
#define FRESHET_VERSION "0"
#endif

/* A recycled transfer keeps a body buffer up to this size; larger ones are freed. */
#define KEEP_BODY_CAP (64u * 1024)

/* libcurl reads at most this much at a time, and a paused transfer keeps one read: with
 * 64 transfers parked (answers waiting for PostgreSQL) 16 KB, libcurl's default, cost
 * ~0.9 MiB more RSS in the bench for no measurable speed (bodies are compressed: a
 * detail answer of 100 records from the built-in source is ~30 KB on the wire). */
#define READ_BUFFER 4096L

/* Deflate can grow incompressible data by a few bytes a block: the raw body may be this
 * much larger than the decoded cap. */
#define RAW_SLACK(max) ((max) / 1024 + 1024)

struct xfer {
    struct fr_http *h;
    CURL *easy;
    struct xfer *prev, *next; /* active list (both) or free list (next) */
    int active;
    fr_http_done_fn done;
    void *arg;
    struct fr_buf body; /* as received (still encoded); max = max_body + slack */
    size_t max_body;    /* the request's cap on the decoded body */
    int over_limit;     /* the write callback refused the body */
    int holdable;       /* see fr_http_request.holdable */
    int paused;         /* the write callback paused it (held, or too many bodies) */
    int64_t paused_us;  /* when it was paused, while paused */
    int64_t parked_us;  /* time spent paused, summed */
    int receiving;      /* holdable, and its body has started: counted in h->receiving */
    int is_post;
    int64_t start_us;
    struct curl_slist *headers;
    char log_url[200]; /* "" when the url must not be printed */
    char errbuf[CURL_ERROR_SIZE];
};

/* One socket libcurl asked us to watch; registered with curl_multi_assign. */
struct sock {
    struct event *ev;
    int what; /* CURL_POLL_IN / OUT / INOUT currently watched */
    struct sock *prev, *next;
};

struct fr_http {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    int max_in_flight;
    int in_flight;
    int closing;
    int cb_depth; /* > 0 while a done callback runs */
    struct xfer *active;
    struct xfer *free_list;
    int n_free;
    struct sock *socks;
    int held;            /* holdable transfers pause their bodies */
    int receiving;       /* holdable transfers whose bodies have started */
    int max_receiving;   /* 0 = no limit */
    int npaused;
    struct event *resume; /* unpauses them from the loop */
    char agent[160];      /* User-Agent */
};

static int curl_ready;

/* --- socket and timer glue ------------------------------------------------------------ */

static void collect(struct fr_http *h);
static void on_resume(evutil_socket_t fd, short what, void *arg);

static void drive(struct fr_http *h, curl_socket_t fd, int action)
{
    int running = 0;
    CURLMcode mc = curl_multi_socket_action(h->multi, fd, action, &running);

    /* libevent may report a socket curl has just forgotten; that is harmless */
    if (mc != CURLM_OK && mc != CURLM_BAD_SOCKET)
        log_error("http: curl_multi_socket_action: %s", curl_multi_strerror(mc));
    collect(h);
}

static void on_event(evutil_socket_t fd, short what, void *arg)
{
    int action =
        ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);

    drive(arg, (curl_socket_t)fd, action);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    drive(arg, CURL_SOCKET_TIMEOUT, 0);
}

static void sock_free(struct fr_http *h, struct sock *s)
{
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        h->socks = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    event_free(s->ev); /* deletes it first */
    free(s);
}

/* CURLMOPT_SOCKETFUNCTION: must not call back into curl_multi_socket_action. */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *sockp)
{
    struct fr_http *h = userp;
    struct sock *s = sockp;
    short kind = (short)(EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                         ((what & CURL_POLL_OUT) ? EV_WRITE : 0));

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (s != NULL)
            sock_free(h, s); /* curl drops its association itself */
        return 0;
    }
    if (s == NULL) {
        s = fr_xcalloc(1, sizeof(*s));
        s->ev = event_new(h->base, fd, kind, on_event, h);
        if (s->ev == NULL) {
            free(s);
            return -1;
        }
        s->next = h->socks;
        if (h->socks != NULL)
            h->socks->prev = s;
        h->socks = s;
        curl_multi_assign(h->multi, fd, s);
    } else if (s->what == what) {
        return 0;
    } else {
        event_del(s->ev);
        event_assign(s->ev, h->base, fd, kind, on_event, h);
    }
    s->what = what;
    if (kind & (EV_READ | EV_WRITE))
        event_add(s->ev, NULL);
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: arm (or re-arm) the one timer; -1 deletes it. */
static int on_timer_set(CURLM *multi, long ms, void *userp)
{
    struct fr_http *h = userp;
    struct timeval tv;

    (void)multi;
    if (ms < 0)
        return evtimer_del(h->timer) == 0 ? 0 : -1;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return evtimer_add(h->timer, &tv) == 0 ? 0 : -1;
}

/* --- transfers ------------------------------------------------------------------------ */

/* A holdable transfer's answer waits paused in its socket: counted, and timed apart. */
static void park(struct fr_http *h, struct xfer *x)
{
    if (x->paused)
        return;
    x->paused = 1;
    x->paused_us = fr_mono_us();
    h->npaused++;
}

static void unpark(struct fr_http *h, struct xfer *x)
{
    if (!x->paused)
        return;
    x->paused = 0;
    x->parked_us += fr_mono_us() - x->paused_us;
    h->npaused--;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct xfer *x = arg;
    size_t len = size * n;

    if (x->holdable && !x->receiving) {
        struct fr_http *h = x->h;
        if (h->held || (h->max_receiving > 0 && h->receiving >= h->max_receiving)) {
            park(h, x); /* libcurl keeps this chunk and asks again after the unpause */
            return CURL_WRITEFUNC_PAUSE;
        }
        x->receiving = 1;
        h->receiving++;
    }
    if (fr_buf_append(&x->body, data, len) != 0) {
        x->over_limit = 1;
        return 0; /* CURLE_WRITE_ERROR: abort now, do not buffer the rest */
    }
    return len;
}

static void active_unlink(struct fr_http *h, struct xfer *x)
{
    if (x->prev != NULL)
        x->prev->next = x->next;
    else
        h->active = x->next;
    if (x->next != NULL)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
    x->active = 0;
}

static void xfer_destroy(struct xfer *x)
{
    curl_easy_cleanup(x->easy);
    curl_slist_free_all(x->headers);
    fr_buf_release(&x->body);
    free(x);
}

static struct xfer *xfer_take(struct fr_http *h)
{
    struct xfer *x = h->free_list;

    if (x != NULL) {
        h->free_list = x->next;
        h->n_free--;
        x->next = NULL;
        return x;
    }
    x = fr_xcalloc(1, sizeof(*x));
    x->h = h;
    x->easy = curl_easy_init();
    if (x->easy == NULL) {
        free(x);
        return NULL;
    }
    fr_buf_init(&x->body, 0);
    return x;
}

/* Returns a transfer that is off the multi handle to the free list (or frees it). */
static void xfer_recycle(struct fr_http *h, struct xfer *x)
{
    curl_slist_free_all(x->headers);
    x->headers = NULL;
    x->done = NULL;
    x->arg = NULL;
    if (x->body.cap > KEEP_BODY_CAP)
        fr_buf_release(&x->body);
    else
        fr_buf_reset(&x->body);
    if (h->closing || h->n_free >= h->max_in_flight) {
        xfer_destroy(x);
        return;
    }
    x->next = h->free_list;
    h->free_list = x;
    h->n_free++;
}

/* Sets every option of one request on a reset easy handle. */
static CURLcode xfer_setup(struct xfer *x, const struct fr_http_request *req)
{
    CURL *e = x->easy;
    size_t max = req->max_body ? req->max_body : FR_HTTP_DEFAULT_MAX_BODY;
    long timeout = (long)(req->timeout_ms > 0 ? req->timeout_ms : FR_HTTP_DEFAULT_TIMEOUT_MS);
    long ctimeout = (long)(req->connect_timeout_ms > 0 ? req->connect_timeout_ms
                                                       : FR_HTTP_DEFAULT_CONNECT_TIMEOUT_MS);
    CURLcode rc = CURLE_OK;

    curl_easy_reset(e);
    x->max_body = max;
    x->body.max = max + RAW_SLACK(max);
    x->over_limit = 0;
    x->holdable = req->holdable;
    x->paused = 0;
    x->parked_us = 0;
    x->receiving = 0;
    x->is_post = req->body != NULL;
    x->errbuf[0] = '\0';
    fr_strlcpy(x->log_url, req->log_url ? req->log_url : "", sizeof(x->log_url));

    /* every numeric option is a long (or curl_off_t): varargs do not convert an int */
#define SET(opt, val)                                                                              \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(e, opt, val);                                                    \
    } while (0)
    SET(CURLOPT_URL, req->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_PRIVATE, (void *)x);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, (void *)x);
    SET(CURLOPT_NOSIGNAL, 1L);
    /* Bodies arrive compressed and stay so until the transfer ends (finish decodes
     * them): libcurl's own decoding would keep a paused transfer's whole decoded read. */
    SET(CURLOPT_HTTP_CONTENT_DECODING, 0L);
    SET(CURLOPT_BUFFERSIZE, READ_BUFFER);
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_TCP_KEEPIDLE, 60L);
    SET(CURLOPT_TCP_KEEPINTVL, 30L);
    SET(CURLOPT_TIMEOUT_MS, timeout);
    SET(CURLOPT_CONNECTTIMEOUT_MS, ctimeout);
    /* refuses a large Content-Length early */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->body.max);
    SET(CURLOPT_USERAGENT, x->h->agent);
    x->headers = curl_slist_append(NULL, "Accept-Encoding: " FR_ACCEPT_ENCODING);
    if (x->headers == NULL)
        return CURLE_OUT_OF_MEMORY;
    for (const char *const *hd = req->headers; hd != NULL && *hd != NULL; hd++) {
        if (curl_slist_append(x->headers, *hd) == NULL)
            return CURLE_OUT_OF_MEMORY;
    }
    if (x->is_post) {
        /* "Expect: 100-continue" would cost a round trip (or a 1 s wait) per large POST */
        if (curl_slist_append(x->headers, "Expect:") == NULL)
            return CURLE_OUT_OF_MEMORY;
        if (req->content_type != NULL) {
            char *line = fr_xasprintf("Content-Type: %s", req->content_type);
            struct curl_slist *l = curl_slist_append(x->headers, line);
            free(line);
            if (l == NULL)
                return CURLE_OUT_OF_MEMORY;
        }
        /* the size must be set before COPYPOSTFIELDS or curl copies up to the first NUL */
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        SET(CURLOPT_COPYPOSTFIELDS, req->body);
    }
    SET(CURLOPT_HTTPHEADER, x->headers);
#undef SET
    return rc;
}

/* Writes "GET 'url': " (or "GET request: " when the url is private) into res->errmsg. */
static void describe(struct fr_http_response *res, const struct xfer *x, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void describe(struct fr_http_response *res, const struct xfer *x, const char *fmt, ...)
{
    const char *method = x->is_post ? "POST" : "GET";
    size_t n = sizeof(res->errmsg);
    int used;
    va_list ap;

    if (x->log_url[0] != '\0')
        used = snprintf(res->errmsg, n, "%s '%s': ", method, x->log_url);
    else
        used = snprintf(res->errmsg, n, "%s request: ", method);
    if (used < 0 || (size_t)used >= n)
        return;
    va_start(ap, fmt);
    vsnprintf(res->errmsg + used, n - (size_t)used, fmt, ap);
    va_end(ap);
}

/* Fills err and errmsg from a transfer's result. */
static void classify(struct fr_http_response *res, const struct xfer *x, CURLcode rc)
{
    const char *detail = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);

    switch (rc) {
    case CURLE_OK:
        return;
    case CURLE_OPERATION_TIMEDOUT:
        res->err = FR_ERR_TIMEOUT;
        describe(res, x, "timed out: %s", detail);
        return;
    case CURLE_FILESIZE_EXCEEDED:
        res->err = FR_ERR_LIMIT;
        describe(res, x, "body larger than %zu bytes (Content-Length)", x->max_body);
        return;
    case CURLE_WRITE_ERROR:
        if (x->over_limit) {
            res->err = FR_ERR_LIMIT;
            describe(res, x, "body larger than %zu bytes", x->max_body);
            return;
        }
        break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        res->err = FR_ERR_USAGE;
        describe(res, x, "%s", detail);
        return;
    default:
        break;
    }
    res->err = FR_ERR_IO;
    describe(res, x, "%s", detail);
}

/* Replaces x's body by its decoded form; on failure sets res->err. */
static void decode(struct fr_http_response *res, struct xfer *x)
{
    struct curl_header *ce = NULL;
    const char *encoding = NULL;
    struct fr_buf out;
    struct fr_error err = {0};
    int rc;

    if (curl_easy_header(x->easy, "Content-Encoding", 0, CURLH_HEADER, -1, &ce) == CURLHE_OK)
        encoding = ce->value;
    if (x->body.len == 0 || fr_encoding_is_identity(encoding)) {
        if (x->body.len > x->max_body) { /* within the wire's slack, over the cap */
            res->err = FR_ERR_LIMIT;
            describe(res, x, "body larger than %zu bytes", x->max_body);
        }
        return; /* as it came */
    }
    fr_buf_init(&out, x->max_body);
    rc = fr_decode(encoding, x->body.data, x->body.len, &out, &err);
    if (rc != 0) {
        fr_buf_release(&out);
        res->err = rc == FR_ERR_LIMIT ? FR_ERR_LIMIT : FR_ERR_IO;
        describe(res, x, "%s", err.msg);
        return;
    }
    fr_buf_release(&x->body);
    x->body = out;
}

/* Takes x off the multi handle, calls its callback, recycles it. */
static void finish(struct fr_http *h, struct xfer *x, CURLcode rc, int cancelled)
{
    struct fr_http_response res;
    long status = 0;

    if (x->active)
        active_unlink(h, x);
    curl_multi_remove_handle(h->multi, x->easy);
    h->in_flight--;
    unpark(h, x);
    if (x->receiving)
        h->receiving--;
    x->receiving = 0;
    if (h->npaused > 0 && !h->held && !h->closing)
        event_active(h->resume, EV_TIMEOUT, 0); /* a body may start now */

    memset(&res, 0, sizeof(res));
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    res.status = (int)status;
    res.seconds = (double)(fr_mono_us() - x->start_us) / 1e6;
    res.parked_seconds = (double)x->parked_us / 1e6;
    res.xfer = x;
    if (cancelled) {
        res.err = FR_ERR_IO;
        describe(&res, x, "cancelled");
    } else {
        classify(&res, x, rc);
    }
    if (res.err == 0)
        decode(&res, x);
    res.body = res.err == 0 ? fr_buf_str(&x->body) : "";
    res.body_len = res.err == 0 ? x->body.len : 0;

    h->cb_depth++;
    x->done(&res, x->arg);
    h->cb_depth--;
    xfer_recycle(h, x);
}

const char *fr_http_response_header(const struct fr_http_response *res, const char *name)
{
    const struct xfer *x = res->xfer;
    struct curl_header *hd = NULL;

    if (x == NULL || res->status == 0 ||
        curl_easy_header(x->easy, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK)
        return NULL;
    return hd->value;
}

/* Runs the callbacks of every transfer libcurl reports as done. */
static void collect(struct fr_http *h)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
        char *priv = NULL;
        CURLcode rc = msg->data.result; /* msg dies with curl_multi_remove_handle */

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        if (priv == NULL || !((struct xfer *)(void *)priv)->active)
            continue;
        finish(h, (struct xfer *)(void *)priv, rc, 0);
    }
}

/* --- public API ----------------------------------------------------------------------- */

static int global_init(struct fr_error *err)
{
    CURLcode rc;

    if (curl_ready)
        return 0;
    rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        return fr_error_set(err, FR_ERR_IO, "curl_global_init: %s", curl_easy_strerror(rc));
    if (!(curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_ASYNCHDNS))
        log_warn("http: libcurl resolves names synchronously: slow DNS will block the loop");
    curl_ready = 1;
    return 0;
}

struct fr_http *fr_http_new(struct event_base *base, int max_in_flight, struct fr_error *err)
{
    struct fr_http *h;

    if (base == NULL || max_in_flight < 1) {
        fr_error_set(err, FR_ERR_USAGE, "http: max in flight must be at least 1, got %d",
                     max_in_flight);
        return NULL;
    }
    if (global_init(err) != 0)
        return NULL;
    h = fr_xcalloc(1, sizeof(*h));
    h->base = base;
    h->max_in_flight = max_in_flight;
    fr_strlcpy(h->agent, "freshet/" FRESHET_VERSION, sizeof(h->agent));
    h->multi = curl_multi_init();
    h->timer = evtimer_new(base, on_timer, h);
    h->resume = event_new(base, -1, 0, on_resume, h);
    if (h->multi == NULL || h->timer == NULL || h->resume == NULL) {
        fr_error_set(err, FR_ERR_IO, "http: cannot create the curl multi handle or timer");
        fr_http_free(h);
        return NULL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, (void *)h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, (void *)h);
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)max_in_flight);
    /* the default cache size follows the number of added handles, which drops as
     * transfers finish: idle connections would be closed just before being needed */
    curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)max_in_flight);
    return h;
}

int fr_http_start(struct fr_http *h, const struct fr_http_request *req, fr_http_done_fn done,
                  void *arg, struct fr_error *err)
{
    struct xfer *x;
    CURLcode rc;
    CURLMcode mc;

    assert(h != NULL && done != NULL);
    if (h->closing)
        return fr_error_set(err, FR_ERR_STATE, "http: engine is shutting down");
    if (req == NULL || req->url == NULL || req->url[0] == '\0')
        return fr_error_set(err, FR_ERR_USAGE, "http: request without a url");
    if (req->content_type != NULL && strpbrk(req->content_type, "\r\n") != NULL)
        return fr_error_set(err, FR_ERR_USAGE, "http: line break in content type");
    for (const char *const *hd = req->headers; hd != NULL && *hd != NULL; hd++) {
        if (strpbrk(*hd, "\r\n") != NULL) /* the value may be a secret: not printed */
            return fr_error_set(err, FR_ERR_USAGE, "http: line break in a request header");
    }
    if (h->in_flight >= h->max_in_flight)
        return fr_error_set(err, FR_ERR_LIMIT, "http: %d requests already in flight", h->in_flight);
    x = xfer_take(h);
    if (x == NULL)
        return fr_error_set(err, FR_ERR_IO, "http: curl_easy_init failed");
    rc = xfer_setup(x, req);
    if (rc != CURLE_OK) {
        xfer_recycle(h, x);
        return fr_error_set(err, FR_ERR_USAGE, "http: bad request option: %s",
                            curl_easy_strerror(rc));
    }
    x->done = done;
    x->arg = arg;
    x->start_us = fr_mono_us();
    /* only arms the timer (timeout 0): the transfer starts from the loop */
    mc = curl_multi_add_handle(h->multi, x->easy);
    if (mc != CURLM_OK) {
        xfer_recycle(h, x);
        return fr_error_set(err, FR_ERR_IO, "http: curl_multi_add_handle: %s",
                            curl_multi_strerror(mc));
    }
    x->active = 1;
    x->prev = NULL;
    x->next = h->active;
    if (h->active != NULL)
        h->active->prev = x;
    h->active = x;
    h->in_flight++;
    return 0;
}

struct event_base *fr_http_base(const struct fr_http *h)
{
    return h->base;
}

int fr_http_in_flight(const struct fr_http *h)
{
    return h->in_flight;
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    struct fr_http *h = arg;

    (void)fd;
    (void)what;
    if (h->held)
        return;
    /* While bodies may start: an unpaused transfer delivers its kept chunk at once. */
    for (struct xfer *x = h->active, *next; x != NULL; x = next) {
        next = x->next;
        if (!x->paused)
            continue;
        if (h->max_receiving > 0 && h->receiving >= h->max_receiving)
            break;
        unpark(h, x);
        curl_easy_pause(x->easy, CURLPAUSE_CONT);
    }
    drive(h, CURL_SOCKET_TIMEOUT, 0);
}

void fr_http_set_worker(struct fr_http *h, const char *worker)
{
    snprintf(h->agent, sizeof(h->agent), "freshet/%s (%s)", FRESHET_VERSION, worker);
}

void fr_http_limit_bodies(struct fr_http *h, int n)
{
    h->max_receiving = n > 0 ? n : 0;
}

int fr_http_bodies(const struct fr_http *h)
{
    return h->receiving;
}

int fr_http_parked(const struct fr_http *h)
{
    return h->npaused;
}

void fr_http_hold(struct fr_http *h, int hold)
{
    if (h->held == hold)
        return;
    h->held = hold;
    /* Unpausing runs libcurl's write callbacks: not from inside the caller's callback. */
    if (!hold)
        event_active(h->resume, EV_TIMEOUT, 0);
}

void fr_http_cancel_all(struct fr_http *h)
{
    struct xfer *list = h->active;

    /* detach the whole list first: callbacks may start requests we must not cancel */
    h->active = NULL;
    for (struct xfer *x = list; x != NULL; x = x->next)
        x->active = 0;
    while (list != NULL) {
        struct xfer *x = list;

        list = x->next;
        x->prev = x->next = NULL;
        finish(h, x, CURLE_ABORTED_BY_CALLBACK, 1);
    }
}

void fr_http_free(struct fr_http *h)
{
    if (h == NULL)
        return;
    assert(h->cb_depth == 0 && "fr_http_free called from one of its own callbacks");
    h->closing = 1;
    if (h->multi != NULL) {
        fr_http_cancel_all(h);
        curl_multi_cleanup(h->multi); /* closes the cached connections */
    }
    while (h->socks != NULL)
        sock_free(h, h->socks);
    if (h->timer != NULL)
        event_free(h->timer);
    if (h->resume != NULL)
        event_free(h->resume);
    while (h->free_list != NULL) {
        struct xfer *x = h->free_list;

        h->free_list = x->next;
        xfer_destroy(x);
    }
    free(h);
}
