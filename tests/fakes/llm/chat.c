/*
 * chat.c - the chat-completions decision flow, see chat.h.
 */
#include "chat.h"

#include "answer.h"
#include "reply.h"

#include "common/clock.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>

/* The Retry-After of an injected 429 (fail_429), which no window explains. */
#define FAULT_RETRY_MS 1000

int fl_chat_path(const char *path)
{
    static const char *const paths[] = {"/v1/chat/completions", "/chat/completions"};

    for (size_t i = 0; path != NULL && i < 2; i++) {
        size_t n = strlen(paths[i]);
        if (strncmp(path, paths[i], n) == 0 && (path[n] == '\0' || strcmp(path + n, "/") == 0))
            return 1;
    }
    return 0;
}

/* Sets c to answer status with an OpenAI error object, counted as outcome. */
static void fail(struct fl_call *c, int status, enum fl_outcome outcome, const char *message,
                 const char *type, const char *param, const char *code)
{
    c->action = FL_ACTION_SEND;
    c->status = status;
    c->body = fl_error_body(message, type, param, code);
    fl_stats_outcome(&c->srv->stats, outcome);
}

/* Checks "Authorization: Bearer <key>"; returns 0, or -1 after setting a 401. */
static int authorize(struct fl_call *c)
{
    const char *auth = evhttp_find_header(evhttp_request_get_input_headers(c->req),
                                          "Authorization");
    const char *key = c->srv->opt.key;

    if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0 && strcmp(auth + 7, key) == 0)
        return 0;
    fail(c, 401, FL_OUT_401,
         auth == NULL ? "You didn't provide an API key. You need to provide your API key in an "
                        "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                        "YOUR_KEY)."
                      : "Incorrect API key provided.",
         "invalid_request_error", NULL, "invalid_api_key");
    return -1;
}

/* Sets c to a 429 for a refused admission (limits.h) of r costing tokens. */
static void over_limit(struct fl_call *c, const struct fl_request *r, enum fl_admit why,
                       int64_t tokens, int64_t retry_ms)
{
    const struct fl_limits *l = &c->srv->limits;
    char msg[512], wait[48];

    fl_format_duration(retry_ms, wait, sizeof(wait));
    if (why == FL_ADMIT_TOO_LARGE)
        snprintf(msg, sizeof(msg), "Request too large for %s on tokens per min (TPM): Limit "
                                   "%lld, Requested %lld. The input or output tokens must be "
                                   "reduced in order to run successfully.",
                 r->model, (long long)l->tpm, (long long)tokens);
    else if (why == FL_ADMIT_REQUESTS)
        snprintf(msg, sizeof(msg), "Rate limit reached for %s on requests per min (RPM): Limit "
                                   "%lld, Used %zu, Requested 1. Please try again in %s.",
                 r->model, (long long)l->rpm, l->admitted.len, wait);
    else
        snprintf(msg, sizeof(msg), "Rate limit reached for %s on tokens per min (TPM): Limit "
                                   "%lld, Used %lld, Requested %lld. Please try again in %s.",
                 r->model, (long long)l->tpm, (long long)l->admitted.sum, (long long)tokens, wait);
    fail(c, 429, FL_OUT_429_LIMIT, msg, why == FL_ADMIT_REQUESTS ? "requests" : "tokens", NULL,
         "rate_limit_exceeded");
    c->retry_ms = retry_ms;
}

static const enum fl_outcome answer_outcome[] = {
    [FL_ANSWER_VALID] = FL_OUT_200,
    [FL_ANSWER_NONJSON] = FL_OUT_200_NONJSON,
    [FL_ANSWER_SHAPE] = FL_OUT_200_SHAPE,
    [FL_ANSWER_LENGTH] = FL_OUT_200_LENGTH,
};

/* Answers r (under a content fault, if any) when the limits admit its tokens. */
static void answer(struct fl_call *c, const struct fl_request *r, enum fl_fault fault,
                   int64_t now)
{
    struct fl_server *srv = c->srv;
    struct fl_answer a;
    int64_t tokens, retry_ms;
    enum fl_admit why;

    fl_answer_build(&a, r, srv->deal_schema, fault);
    tokens = a.prompt_tokens + a.completion_tokens;
    why = fl_limits_admit(&srv->limits, now, tokens, &retry_ms);
    if (why != FL_ADMIT_OK) {
        over_limit(c, r, why, tokens, retry_ms);
        fl_stats_prompt(&srv->stats, r->prompt_hash, 0);
    } else {
        c->action = FL_ACTION_SEND;
        c->status = 200;
        c->body = fl_answer_body(&a, r, c->seq ^ r->prompt_hash, fr_wall_ms() / 1000);
        fl_stats_outcome(&srv->stats, answer_outcome[a.kind]);
        fl_stats_tokens(&srv->stats, now, a.prompt_tokens, a.completion_tokens);
        fl_stats_prompt(&srv->stats, r->prompt_hash, a.kind == FL_ANSWER_VALID);
        if (fault == FL_FAULT_SLOW)
            c->delay_ms += srv->faults.slow_ms;
    }
    fl_answer_release(&a);
}

/* Applies a fault that replaces the answer; returns 1 if it did. */
static int replace_by_fault(struct fl_call *c, enum fl_fault fault, int64_t now)
{
    int64_t storm = fl_faults_storm_left(&c->srv->faults, now);

    if (fault == FL_FAULT_5XX) {
        fail(c, 500, FL_OUT_500, "The server had an error while processing your request. "
                                 "Sorry about that!", "server_error", NULL, NULL);
    } else if (fault == FL_FAULT_429 || storm > 0) {
        fail(c, 429, storm > 0 ? FL_OUT_429_STORM : FL_OUT_429_FAULT,
             "Rate limit reached: the server is receiving too many requests. Please try again "
             "later.", "requests", NULL, "rate_limit_exceeded");
        c->retry_ms = storm > 0 ? storm : FAULT_RETRY_MS;
    } else if (fault == FL_FAULT_TIMEOUT) {
        c->action = FL_ACTION_HOLD;
        fl_stats_outcome(&c->srv->stats, FL_OUT_TIMEOUT);
    } else {
        return 0;
    }
    return 1;
}

/* Reads the body and, when it is a valid request, answers it or applies a fault. */
static void handle(struct fl_call *c, int64_t now)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
    size_t len = evbuffer_get_length(in);
    const char *body = (const char *)evbuffer_pullup(in, -1);
    struct fl_request_error e;
    struct fl_request r;
    enum fl_fault fault;

    if (fl_request_parse(&r, body ? body : "", len, &e) < 0) {
        fail(c, 400, FL_OUT_400, e.message, "invalid_request_error", e.param_name, NULL);
        return;
    }
    c->has_hash = 1;
    c->prompt_hash = r.prompt_hash;
    fault = fl_faults_draw(&c->srv->faults);
    if (replace_by_fault(c, fault, now))
        fl_stats_prompt(&c->srv->stats, r.prompt_hash, 0);
    else
        answer(c, &r, fault, now);
    fl_request_release(&r);
}

void fl_chat_decide(struct fl_call *c, const char *path, int64_t now)
{
    struct fl_server *srv = c->srv;
    enum fl_outage outage = fl_faults_outage(&srv->faults, now);
    char msg[300];

    c->seq = ++srv->seq;
    c->retry_ms = -1;
    if (outage == FL_OUTAGE_CLOSE) {
        c->action = FL_ACTION_CLOSE;
        fl_stats_outcome(&srv->stats, FL_OUT_CLOSED);
    } else if (outage == FL_OUTAGE_503) {
        fail(c, 503, FL_OUT_503, "The server is temporarily unavailable (outage). Please try "
                                 "again later.", "server_error", NULL, "service_unavailable");
    } else if (!fl_chat_path(path)) {
        snprintf(msg, sizeof(msg), "Invalid URL (%.200s)", path ? path : "?");
        c->delay_ms = srv->faults.latency_ms;
        fail(c, 404, FL_OUT_404, msg, "invalid_request_error", NULL, NULL);
    } else if (evhttp_request_get_command(c->req) != EVHTTP_REQ_POST) {
        c->delay_ms = srv->faults.latency_ms;
        fail(c, 405, FL_OUT_405, "Only POST is allowed here.", "invalid_request_error", NULL,
             NULL);
    } else {
        c->delay_ms = srv->faults.latency_ms;
        if (authorize(c) == 0)
            handle(c, now);
    }
    fl_limits_state(&srv->limits, now, &c->limits);
}
