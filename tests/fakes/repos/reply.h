/*
 * reply.h - building and sending answers.
 *
 * Every answer passes through one send path, which is where the JSON
 * content type, gzip, the rate-limit headers of API answers, the truncate
 * fault and the request counters are applied, so no handler can forget one
 * of them. A handler adds its own headers (Link, Retry-After...) to the
 * request's output headers before it replies.
 */
#ifndef RP_REPLY_H
#define RP_REPLY_H

#include "server.h"

#include <jansson.h>

/* Sends doc as the body with status; takes doc. */
void rp_reply_json(struct rp_call *c, int status, json_t *doc);

/* Sends {"message": message, "documentation_url": ...}, GitHub's error shape. */
void rp_reply_message(struct rp_call *c, int status, const char *message);

/* Sends a 200 whose body is not JSON (the garbage fault). */
void rp_reply_garbage(struct rp_call *c);

#endif
