/*
 * sellers.h - the pool of marketplace sellers that win buy boxes.
 *
 * FK_SELLER_POOL sellers with ids "A" + 13 uppercase alphanumerics derived
 * from the seed. /seller looks ids up through a sorted index built once at
 * start-up; products refer to sellers by pool position (prices.h).
 */
#ifndef FK_SELLERS_H
#define FK_SELLERS_H

#include "buf.h"

#include <stdint.h>

#define FK_SELLER_ID_LEN 14

struct fk_sellers;

/* Returns a new pool (caller frees with fk_sellers_free). */
struct fk_sellers *fk_sellers_new(uint64_t seed);
void fk_sellers_free(struct fk_sellers *sp);

/* Returns the id of pool seller j (borrowed, NUL-terminated). */
const char *fk_sellers_id(const struct fk_sellers *sp, uint32_t j);

/* Returns 0 and sets *j if id[0..len) is a pool seller, -1 otherwise. */
int fk_sellers_find(const struct fk_sellers *sp, const char *id, size_t len, uint32_t *j);

/* Appends pool seller j as a Keepa Seller object of domain; now is elapsed ms. */
void fk_sellers_render(const struct fk_sellers *sp, uint32_t j, int domain, int64_t now,
                       struct fk_buf *out);

#endif
