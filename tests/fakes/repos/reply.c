/*
 * reply.c - the single send path, see reply.h.
 *
 * Bodies are handed to libevent by reference (no copy) and freed by libevent
 * once written. The truncate fault sends the first half of the real body
 * under the full Content-Length and asks libevent to close the connection
 * afterwards, which is what a server dying mid-answer looks like.
 */
#include "reply.h"

#include "clock.h"
#include "hash.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DOCS_URL "https://docs.github.example/rest"

static const char *reason(int status)
{
    static const struct {
        int status;
        const char *text;
    } reasons[] = {
        {200, "OK"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {410, "Gone"},
        {429, "Too Many Requests"},
        {500, "Internal Server Error"},
        {503, "Service Unavailable"},
    };

    for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
        if (reasons[i].status == status)
            return reasons[i].text;
    }
    return "Unknown";
}

static void free_body(const void *data, size_t len, void *arg)
{
    (void)data;
    (void)len;
    free(arg);
}

static enum rp_outcome outcome(const struct rp_call *c, int status)
{
    if (c->fault == RP_FAULT_TRUNCATE)
        return RP_OUT_TRUNCATED;
    if (c->fault == RP_FAULT_GARBAGE)
        return RP_OUT_GARBAGE;
    return rp_outcome_of_status(status);
}

/* Sends body[0..len) (malloc'd; taken) with status and the common headers. */
static void send_body(struct rp_call *c, int status, char *body, size_t len)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
    struct evbuffer *out = evhttp_request_get_output_buffer(c->req);
    char *packed;
    size_t packed_len, sent;

    evhttp_add_header(h, "Content-Type", "application/json; charset=utf-8");
    evhttp_add_header(h, "Vary", "Accept-Encoding");
    if (c->gzip && rp_gzip(&c->srv->gz, body, len, &packed, &packed_len) == 0) {
        free(body);
        body = packed;
        len = packed_len;
        evhttp_add_header(h, "Content-Encoding", "gzip");
    }
    sent = len;
    if (c->api) {
        rp_limit_headers(&c->srv->limit, rp_clock_elapsed(), h);
        rp_stats_request(&c->srv->stats, c->ep, outcome(c, status));
        if (c->fault == RP_FAULT_TRUNCATE) {
            char cl[24];
            snprintf(cl, sizeof(cl), "%zu", len);
            evhttp_add_header(h, "Content-Length", cl);
            evhttp_add_header(h, "Connection", "close");
            sent = len / 2;
        }
    }
    if (evbuffer_add_reference(out, body, sent, free_body, body) < 0)
        free(body);
    evhttp_send_reply(c->req, status, reason(status), NULL);
    c->req = NULL;
}

void rp_reply_json(struct rp_call *c, int status, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);

    json_decref(doc);
    if (text == NULL)
        abort(); /* only out of memory: every document here is valid */
    send_body(c, status, text, strlen(text));
}

void rp_reply_message(struct rp_call *c, int status, const char *message)
{
    char text[512];
    size_t i;

    /* Messages may quote what a client sent: keep them printable ASCII, valid UTF-8. */
    for (i = 0; message[i] != '\0' && i < sizeof(text) - 1; i++) {
        unsigned char ch = (unsigned char)message[i];
        text[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    text[i] = '\0';
    rp_reply_json(c, status,
                  json_pack("{s:s, s:s}", "message", text, "documentation_url", DOCS_URL));
}

void rp_reply_garbage(struct rp_call *c)
{
    static const char *const junk[] = {
        "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>\n",
        "{\"items\":[{\"id\":1,\"full_name\":\"acme/",
        "\x1f\x8b\x08 not really gzip \xff\xfe",
        "OK",
    };
    const char *s = junk[rp_rng_next(&c->srv->faults.rng) % 4];
    size_t n = strlen(s);
    char *body = malloc(n + 1);

    if (body == NULL)
        abort();
    memcpy(body, s, n + 1);
    send_body(c, 200, body, n);
}
