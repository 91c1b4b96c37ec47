/*
 * reply.h - sending what a call decided, and OpenAI-style error bodies.
 *
 * Every API answer passes through fl_reply_send, which adds the
 * x-ratelimit-* headers, Retry-After, the request id and the prompt hash, so
 * no path can forget one of them.
 */
#ifndef FL_REPLY_H
#define FL_REPLY_H

#include "server.h"

#include <jansson.h>

/*
 * Returns a new OpenAI error body: {"error":{message, type, param, code}}
 * (param and code NULL: JSON null). Free it.
 */
char *fl_error_body(const char *message, const char *type, const char *param, const char *code);

/* Sends c's status, headers and body; c->req is then NULL. */
void fl_reply_send(struct fl_call *c);

/* Sends doc as a control-endpoint answer (no rate-limit headers); takes doc. */
void fl_reply_json(struct evhttp_request *req, int status, json_t *doc);

#endif
