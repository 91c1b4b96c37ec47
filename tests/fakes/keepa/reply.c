/*
 * reply.c - response envelope, error bodies and the single send path.
 *
 * Bodies are handed to libevent by reference (no copy) and freed by libevent
 * once written. The truncate fault sends the first half of the real body
 * under the full Content-Length and asks libevent to close the connection
 * afterwards, which is what a server dying mid-response looks like.
 */
#include "reply.h"

#include "clock.h"
#include "hash.h"

#include <event2/buffer.h>
#include <stdlib.h>

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 402:
        return "Payment Required";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    default:
        return "Unknown";
    }
}

void fk_envelope(const struct fk_call *c, struct fk_buf *b, const struct fk_key *key,
                 int64_t consumed)
{
    int64_t now = fk_clock_elapsed();

    fk_jw_kint(b, "timestamp", fk_clock_wall(now));
    fk_jw_kint(b, "tokensLeft", key ? key->tokens : 0);
    fk_jw_kint(b, "refillIn", key ? fk_keys_refill_in(&c->srv->keys, now) : 0);
    fk_jw_kint(b, "refillRate", key ? key->rate : 0);
    fk_jw_kint(b, "tokenFlowReduction", 0);
    fk_jw_kint(b, "tokensConsumed", key ? consumed : 0);
    fk_jw_kint(b, "processingTimeInMs", now - c->start);
}

static void free_body(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    free(arg);
}

/* Hands len bytes of body to libevent, which frees them; body is emptied. */
static void attach_body(struct evhttp_request *req, struct fk_buf *body, size_t len)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(req);

    if (evbuffer_add_reference(out, body->data, len, free_body, body->data) < 0)
        free(body->data);
    body->data = NULL;
    body->len = body->cap = 0;
}

#define JSON_TYPE "application/json;charset=UTF-8"

static void add_headers(struct fk_call *c, int gzip, const char *type)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);

    evhttp_add_header(h, "Content-Type", type);
    if (gzip)
        evhttp_add_header(h, "Content-Encoding", "gzip");
}

static enum fk_outcome outcome(const struct fk_call *c, int status)
{
    if (c->fault == FK_FAULT_TRUNCATE)
        return FK_OUT_TRUNCATED;
    if (c->fault == FK_FAULT_GARBAGE)
        return FK_OUT_GARBAGE;
    return fk_outcome_of_status(status);
}

void fk_reply_send(struct fk_call *c, int status, struct fk_buf *body)
{
    int gzip = c->gzip && fk_gzip_body(&c->srv->gz, body) == 0;
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
    size_t len = body->len;

    add_headers(c, gzip, JSON_TYPE);
    if (c->fault == FK_FAULT_TRUNCATE) {
        char cl[24];
        snprintf(cl, sizeof(cl), "%zu", len);
        evhttp_add_header(h, "Content-Length", cl);
        evhttp_add_header(h, "Connection", "close");
        len /= 2;
    }
    fk_stats_request(&c->srv->stats, c->ep, outcome(c, status));
    attach_body(c->req, body, len);
    evhttp_send_reply(c->req, status, reason(status), NULL);
    c->req = NULL;
}

void fk_reply_api(struct fk_call *c, int status, struct fk_buf *body, const struct fk_key *key,
                  int64_t consumed)
{
    fk_envelope(c, body, key, consumed);
    fk_jw_close(body, '}');
    fk_reply_send(c, status, body);
}

void fk_reply_error(struct fk_call *c, int status, const char *type, const char *message,
                    const struct fk_key *key)
{
    struct fk_buf b;

    fk_buf_init(&b, 512);
    fk_jw_open(&b, '{');
    fk_jw_key(&b, "error");
    fk_jw_open(&b, '{');
    fk_jw_kstr(&b, "type", type);
    fk_jw_kstr(&b, "message", message);
    fk_jw_close(&b, '}');
    fk_reply_api(c, status, &b, key, 0);
}

void fk_reply_param(struct fk_call *c, const char *message)
{
    fk_reply_error(c, 400, "invalidParameter", message, NULL);
}

void fk_reply_empty_429(struct fk_call *c)
{
    add_headers(c, 0, JSON_TYPE);
    fk_stats_request(&c->srv->stats, c->ep, FK_OUT_429);
    evhttp_send_reply(c->req, 429, reason(429), NULL);
    c->req = NULL;
}

void fk_reply_garbage(struct fk_call *c)
{
    static const char *const junk[] = {
        "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n",
        "{\"products\":[{\"asin\":\"B0",
        "\x1f\x8b\x08 not really gzip \xff\xfe",
        "OK",
    };
    struct fk_buf b;
    const char *s = junk[fk_rng_next(&c->srv->faults.rng) % 4];

    fk_buf_init(&b, 128);
    fk_buf_puts(&b, s);
    fk_reply_send(c, 200, &b);
}

void fk_reply_plain(struct fk_call *c, int status, struct fk_buf *body)
{
    fk_reply_typed(c, status, body, JSON_TYPE);
}

void fk_reply_typed(struct fk_call *c, int status, struct fk_buf *body, const char *type)
{
    int gzip = c->gzip && fk_gzip_body(&c->srv->gz, body) == 0;

    add_headers(c, gzip, type);
    attach_body(c->req, body, body->len);
    evhttp_send_reply(c->req, status, reason(status), NULL);
    c->req = NULL;
}
