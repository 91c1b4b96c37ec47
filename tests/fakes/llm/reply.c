/*
 * reply.c - the single send path, see reply.h.
 *
 * Bodies are handed to libevent by reference and freed by it once written.
 */
#include "reply.h"

#include "tests/fakes/keepa/hash.h" /* fk_mix64 */

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Unknown";
    }
}

char *fl_error_body(const char *message, const char *type, const char *param, const char *code)
{
    json_t *doc = json_pack("{s:{s:s, s:s, s:o, s:o}}", "error", "message", message, "type", type,
                            "param", param ? json_string(param) : json_null(), "code",
                            code ? json_string(code) : json_null());
    char *text = json_dumps(doc, JSON_COMPACT);

    json_decref(doc);
    return text;
}

static void free_body(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    free(arg);
}

/* Hands text to libevent as req's body; libevent frees it. */
static void attach(struct evhttp_request *req, char *text)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(req);

    if (text != NULL && evbuffer_add_reference(out, text, strlen(text), free_body, text) < 0)
        free(text);
}

static void add_int(struct evkeyvalq *h, const char *name, int64_t v)
{
    char num[24];

    snprintf(num, sizeof(num), "%lld", (long long)v);
    evhttp_add_header(h, name, num);
}

static void add_duration(struct evkeyvalq *h, const char *name, int64_t ms)
{
    char d[48];

    fl_format_duration(ms, d, sizeof(d));
    evhttp_add_header(h, name, d);
}

static void add_limit_headers(struct evkeyvalq *h, const struct fl_limit_state *l)
{
    add_int(h, "x-ratelimit-limit-requests", l->rpm);
    add_int(h, "x-ratelimit-limit-tokens", l->tpm);
    add_int(h, "x-ratelimit-remaining-requests", l->remaining_requests);
    add_int(h, "x-ratelimit-remaining-tokens", l->remaining_tokens);
    add_duration(h, "x-ratelimit-reset-requests", l->reset_requests_ms);
    add_duration(h, "x-ratelimit-reset-tokens", l->reset_tokens_ms);
}

void fl_reply_send(struct fl_call *c)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
    char id[40];

    evhttp_add_header(h, "Content-Type", "application/json");
    snprintf(id, sizeof(id), "req_%016llx",
             (unsigned long long)fk_mix64(c->seq ^ c->prompt_hash));
    evhttp_add_header(h, "x-request-id", id);
    add_limit_headers(h, &c->limits);
    if (c->retry_ms >= 0) {
        add_int(h, "Retry-After", (c->retry_ms + 999) / 1000);
        add_int(h, "retry-after-ms", c->retry_ms);
    }
    if (c->has_hash) {
        snprintf(id, sizeof(id), "%016llx", (unsigned long long)c->prompt_hash);
        evhttp_add_header(h, "x-fake-prompt-hash", id);
    }
    attach(c->req, c->body);
    c->body = NULL;
    evhttp_send_reply(c->req, c->status, reason(c->status), NULL);
    c->req = NULL;
}

void fl_reply_json(struct evhttp_request *req, int status, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);

    json_decref(doc);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    attach(req, text);
    evhttp_send_reply(req, status, reason(status), NULL);
}
