/*
 * api.h - the API's front door: injected error faults, bearer
 * authentication, rate-limit admission, then the endpoint's handler.
 *
 * Checks run in this order: a 5xx, 503 or garbage fault answers at once
 * (and is never charged); a missing or wrong token gets 401 and a revoked
 * account 403, neither charged; a spent window gets 429 with Retry-After,
 * not charged; anything else is charged one request, whatever its answer.
 */
#ifndef RP_API_H
#define RP_API_H

#include "server.h"

/* Answers an API call whose query has been parsed into c->query. */
void rp_api_handle(struct rp_call *c);

#endif
