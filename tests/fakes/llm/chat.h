/*
 * chat.h - what a call to the API gets, decided when it arrives.
 *
 * The order of checks: an outage (503, or the connection closed) before
 * anything; then an unknown path (404) or method (405); the Authorization
 * header (401); the body (400); then at most one injected fault (500, 429,
 * time-out; non-JSON, wrong-shape and slow answers go on); a 429 storm; the
 * rpm / tpm limits (429 with Retry-After); and finally the answer, whose
 * tokens are charged. Every outcome is counted in the stats.
 */
#ifndef FL_CHAT_H
#define FL_CHAT_H

#include "server.h"

/* Whether path is the chat-completions endpoint (with or without /v1, trailing slash allowed). */
int fl_chat_path(const char *path);

/* Decides c (c->req, c->srv set): fills action, delay, status, body and headers. */
void fl_chat_decide(struct fl_call *c, const char *path, int64_t now);

#endif
