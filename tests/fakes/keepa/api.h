/*
 * api.h - the Keepa API request flow shared by every endpoint.
 *
 * Order of checks (REFERENCE A7): key missing or unknown -> 400 invalidKey;
 * key expired -> 402; bad parameters -> 400 invalidParameter with all-zero
 * token fields; balance <= 0 -> 429 with tokensConsumed 0; otherwise the full
 * cost is charged, even past zero.
 */
#ifndef FK_API_H
#define FK_API_H

#include "server.h"

#include <stdint.h>

/* Answers an API call (c->ep and c->fault set, query parsed). */
void fk_api_handle(struct fk_call *c);

/*
 * Reads the required `domain` parameter into *domain. On a missing or
 * invalid domain replies 400 and returns -1.
 */
int fk_api_domain(struct fk_call *c, int64_t *domain);

/*
 * Admits a request costing `cost` tokens for key and charges it. When the
 * balance is not above zero replies 429 and returns -1. Calls that only
 * render (c->charge == 0) are always admitted and charged nothing.
 */
int fk_api_admit(struct fk_call *c, struct fk_key *key, int64_t cost);

#endif
