/*
 * http — asynchronous HTTP client engine: libcurl's multi_socket interface driven by the
 * caller's libevent event_base, so a worker keeps many API calls in flight on one loop
 * and never blocks it.
 *
 * One struct fr_http owns one curl multi handle: connections are kept alive and reused
 * (at most max_in_flight per host), easy handles are recycled through a free list, and
 * compressed bodies are requested (gzip, deflate) and handed out decoded. A body stays
 * compressed while it streams in and while its transfer waits (held or paused): it is
 * decoded (common/encoding) once its transfer ends, so many answers in flight cost their
 * wire size, not their decoded size. Every body is capped (max_body) while it streams in
 * and again while it is decoded. A response with any HTTP status is a success at this
 * layer (err 0, status set): the caller judges 4xx/5xx. Transport failures are reported
 * in the response: FR_ERR_TIMEOUT, FR_ERR_IO (connect, reset, truncated or corrupt body,
 * unknown Content-Encoding, cancelled), FR_ERR_LIMIT (body over max_body), FR_ERR_USAGE
 * (malformed URL or unsupported scheme).
 *
 * Callbacks: the done callback runs exactly once per request that fr_http_start accepted,
 * always from the event loop (or from fr_http_cancel_all / fr_http_free), never from
 * inside fr_http_start. It may start new requests or call fr_http_cancel_all, but must
 * not call fr_http_free on the engine that invoked it (park it and free it afterwards).
 *
 * Single-threaded: an engine and its requests belong to the thread running its loop.
 */
#ifndef FR_HTTP_H
#define FR_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct event_base;
struct fr_http; /* opaque */

/* Used when a request leaves the field at 0. */
#define FR_HTTP_DEFAULT_TIMEOUT_MS 30000
#define FR_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define FR_HTTP_DEFAULT_MAX_BODY (8u * 1024 * 1024)

struct fr_http_request {
    const char *url;     /* borrowed, copied by libcurl; http:// or https:// only */
    const char *log_url; /* printed in errors instead of url (e.g. with the API key
                            redacted); borrowed, copied; NULL = never print the url */
    const char *body;    /* POST body (copied), or NULL for GET */
    size_t body_len;
    const char *content_type;   /* for POST, e.g. "application/json"; NULL = none */
    int64_t timeout_ms;         /* whole transfer; 0 = FR_HTTP_DEFAULT_TIMEOUT_MS */
    int64_t connect_timeout_ms; /* 0 = FR_HTTP_DEFAULT_CONNECT_TIMEOUT_MS */
    size_t max_body;            /* decoded body cap, enforced on the wire (plus a
                                   little slack for compression's framing) and while
                                   decoding; 0 = FR_HTTP_DEFAULT_MAX_BODY */
    int holdable;               /* its body may wait in the socket while the engine is
                                   held (fr_http_hold): it stays in flight, costing no
                                   memory of ours */
    const char *const *headers; /* extra request headers, "Name: value" each, NULL-ended;
                                   copied; values may be secrets (never printed); NULL =
                                   none */
};

struct fr_http_response {
    int status;       /* HTTP status of the last response, 0 when none arrived */
    int err;          /* 0 or a negative enum fr_err (see the top of this file) */
    char errmsg[256]; /* one line when err != 0, e.g. "GET 'https://x/?key=***': Recv
                         failure: Connection reset by peer"; "" otherwise */
    const char *body; /* NUL-terminated, borrowed: valid only during the callback; "" (len
                         0) when err != 0, since a partial body must not be trusted */
    size_t body_len;
    double seconds; /* from fr_http_start to completion */
    double parked_seconds; /* of which the answer waited paused in its socket (held,
                              or over the body limit): not the upstream's time */
    void *xfer; /* private: for fr_http_response_header */
};

/* The value of the response header called name (any case; the last response of the
 * transfer), or NULL. Borrowed: valid only during the done callback. */
const char *fr_http_response_header(const struct fr_http_response *res, const char *name);

/* res is borrowed for the duration of the call. */
typedef void (*fr_http_done_fn)(const struct fr_http_response *res, void *arg);

/*
 * Creates an engine on base (borrowed: it must outlive the engine) allowing max_in_flight
 * (>= 1) concurrent requests. Calls curl_global_init() the first time it runs in the
 * process; a multi-threaded program should call curl_global_init() itself from main()
 * before starting threads. Returns a new engine (release with fr_http_free) or NULL with
 * err set.
 */
struct fr_http *fr_http_new(struct event_base *base, int max_in_flight, struct fr_error *err);

/*
 * Starts req; every string in req is copied, so req may go away when this returns. On 0,
 * done(res, arg) will be called exactly once, later, from the loop. On failure no
 * callback is made and err says why: FR_ERR_LIMIT when max_in_flight requests are already
 * running, FR_ERR_USAGE for a bad request (no url, CR/LF in content_type), FR_ERR_STATE
 * while the engine is being freed.
 */
int fr_http_start(struct fr_http *h, const struct fr_http_request *req, fr_http_done_fn done,
                  void *arg, struct fr_error *err);

/* The event_base the engine runs on (borrowed). */
struct event_base *fr_http_base(const struct fr_http *h);

/* Requests started whose callback has not yet been called. */
int fr_http_in_flight(const struct fr_http *h);

/*
 * Aborts every running request, calling each callback now with err FR_ERR_IO and
 * errmsg "... cancelled". Requests started by those callbacks are not cancelled.
 */
void fr_http_cancel_all(struct fr_http *h);

/* hold 1: holdable transfers stop reading their bodies (the data waits in the socket
 * and at the server; their timeouts still run). hold 0: they resume from the loop. For a
 * caller that cannot use more answers now (memory, a slow database) without cancelling
 * what is in flight. */
void fr_http_hold(struct fr_http *h, int hold);

/* Names the worker in the User-Agent ("freshet/VERSION (worker)"), so an upstream's logs
 * (or the fake's per-product records) tell which worker fetched what. */
void fr_http_set_worker(struct fr_http *h, const char *worker);

/* At most n holdable transfers receive their bodies at once (0: no limit); the others
 * wait, paused before their first byte is kept, and start as those finish. Bounds the
 * memory of many answers arriving together whatever the number in flight. */
void fr_http_limit_bodies(struct fr_http *h, int n);
/* Holdable transfers receiving their bodies now. */
int fr_http_bodies(const struct fr_http *h);
/* Holdable transfers paused with their answer waiting in the socket (held, or over the
 * body limit): answers the caller could not take yet. */
int fr_http_parked(const struct fr_http *h);

/*
 * Cancels what is left (callbacks run, as with fr_http_cancel_all; they cannot start new
 * requests), closes every connection and frees h. Call it before event_base_free(base).
 * NULL is a no-op.
 */
void fr_http_free(struct fr_http *h);

#endif
