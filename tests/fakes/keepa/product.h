/*
 * product.h - the /product endpoint: request validation (product.c) and the
 * Keepa Product object renderer (product_json.c).
 */
#ifndef FK_PRODUCT_H
#define FK_PRODUCT_H

#include "buf.h"
#include "server.h"

#include <stddef.h>
#include <stdint.h>

#define FK_PRODUCT_MAX_ASINS 100

/* What a /product request asked for, beyond the ASIN list. */
struct fk_product_opts {
    int64_t domain;
    int64_t stats_days; /* window of stats.avg */
    int64_t history;    /* 0: csv and histories are null */
    int64_t offers;     /* 0, or 20..100: add offers[] (and cost 6 a product) */
    int64_t days;       /* 0, or trim histories to the last N days */
};

/* Handles GET/POST /product for an admitted key. */
void fk_product_handle(struct fk_call *c, struct fk_key *key);

/*
 * Appends the Product object for asin[0..len) as of elapsed time now.
 * Returns the catalog index served, or -1 for an ASIN outside the catalog.
 */
int64_t fk_product_render(const struct fk_server *srv, const struct fk_product_opts *o,
                          const char *asin, size_t len, int64_t now, struct fk_buf *out);

#endif
