/*
 * world.h - control endpoints that reveal or change the simulated world, for
 * freshness benchmarks: GET /_fake/truth (every product's current price,
 * version and change rate), /_fake/drift (the drift mode's rate multiplier)
 * and /_fake/grow (new products join the catalog, and so /deal).
 *
 * Like the other control endpoints they need no key, cost nothing and are
 * never faulted, delayed or counted.
 */
#ifndef FK_WORLD_H
#define FK_WORLD_H

#include "server.h"

/* GET /_fake/truth[?format=tsv][&served=1]: one line a product, tab-separated:
 * ASIN, NEW price in cents (\N when there is no offer), version, changes per
 * second; served=1 adds how often /product served it and the Unix ms of its
 * first serving (0: never). */
void fk_world_truth(struct fk_call *c);

/* GET /_fake/drift[?rate_scale=X]: reads or sets the multiplier of every
 * product's change rate (drift mode only). */
void fk_world_drift(struct fk_call *c);

/* GET /_fake/grow?n=N: adds N products at the end of the catalog. */
void fk_world_grow(struct fk_call *c);

#endif
