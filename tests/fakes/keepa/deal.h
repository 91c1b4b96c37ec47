/*
 * deal.h - the /deal endpoint: selection parsing, paging and Deal objects.
 *
 * Deals are catalog products in index order, 150 a page. With
 * --deal-fraction below 1 only products whose (index, version) hash falls
 * under the fraction are listed, so deals come and go as versions change;
 * the list is computed once per catalog epoch, so paging with identical
 * parameters lists each deal once while no version changes.
 */
#ifndef FK_DEAL_H
#define FK_DEAL_H

#include "server.h"

#include <stdint.h>

#define FK_DEALS_PER_PAGE 150

/* Returns a new, empty deal-list cache for a catalog of size products
 * (free with fk_deal_cache_free). */
struct fk_deal_cache *fk_deal_cache_new(uint32_t size);
void fk_deal_cache_free(struct fk_deal_cache *dc);

/* Makes room for a catalog grown to size products. */
void fk_deal_cache_grow(struct fk_deal_cache *dc, uint32_t size);

/* Handles GET /deal?selection=JSON and POST /deal with a JSON body. */
void fk_deal_handle(struct fk_call *c, struct fk_key *key);

#endif
