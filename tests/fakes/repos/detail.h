/*
 * detail.h - the expensive fetches, with full records (RP_VIEW_FULL):
 *
 *   GET /v1/repos/batch?ids=1,2,3   {"items":[...]} in the order asked, each id once;
 *                                   unknown and deleted ids are left out; 1..100 ids
 *   GET /v1/repos/{id}              the record; 404 for an unknown id, 410 for a deleted one
 *
 * Every record served counts as one fetch of its id in /_test/stats (except
 * in an answer the truncate fault cuts short).
 */
#ifndef RP_DETAIL_H
#define RP_DETAIL_H

#include "server.h"

/* Most ids one batch request may ask for. */
#define RP_BATCH_MAX 100

void rp_detail_batch(struct rp_call *c);
void rp_detail_single(struct rp_call *c);

#endif
