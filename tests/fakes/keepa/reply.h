/*
 * reply.h - building and sending responses: envelope, errors, gzip, faults.
 *
 * Every API response passes through fk_reply_send, which is where gzip, the
 * fixed Content-Type, the truncate and garbage faults and the request
 * counters are applied, so no handler can forget one of them.
 */
#ifndef FK_REPLY_H
#define FK_REPLY_H

#include "buf.h"
#include "server.h"

/*
 * Appends the Keepa envelope members (timestamp, tokensLeft, refillIn,
 * refillRate, tokenFlowReduction, tokensConsumed, processingTimeInMs) for key,
 * or with all token fields zero when key is NULL.
 */
void fk_envelope(const struct fk_call *c, struct fk_buf *b, const struct fk_key *key,
                 int64_t consumed);

/*
 * Sends an API response: body holds "{" and the payload members; the envelope
 * of key (NULL: zero token fields) and the closing brace are appended here.
 * Takes body.
 */
void fk_reply_api(struct fk_call *c, int status, struct fk_buf *body, const struct fk_key *key,
                  int64_t consumed);

/* Sends a complete body with status, applying gzip and faults; takes body. */
void fk_reply_send(struct fk_call *c, int status, struct fk_buf *body);

/* Sends {"error":{type,message}, envelope of key (NULL: zeros)}. */
void fk_reply_error(struct fk_call *c, int status, const char *type, const char *message,
                    const struct fk_key *key);

/* Sends 400 invalidParameter with all-zero token fields; message names the parameter. */
void fk_reply_param(struct fk_call *c, const char *message);

/* Sends a 429 with an empty body (the 429_nobody fault). */
void fk_reply_empty_429(struct fk_call *c);

/* Sends a 200 whose body is not JSON (the garbage fault). */
void fk_reply_garbage(struct fk_call *c);

/* Sends a control-endpoint JSON document (not counted, no faults); takes body. */
void fk_reply_plain(struct fk_call *c, int status, struct fk_buf *body);

/* The same with another Content-Type (a literal such as "text/plain"). */
void fk_reply_typed(struct fk_call *c, int status, struct fk_buf *body, const char *type);

#endif
