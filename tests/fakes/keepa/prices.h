/*
 * prices.h - what a product costs, and who sells it, at a given version.
 *
 * All functions are pure: (seed, product index, version) -> value; those that
 * depend on the NEW price take it as an argument so it is computed once. Prices are
 * in cents; -1 means no offer. Consecutive versions always differ in their NEW
 * price, so a version change (or a manual bump) is always visible to clients.
 */
#ifndef FK_PRICES_H
#define FK_PRICES_H

#include <stdint.h>

/* Size of the seller pool buy-box winners are drawn from. */
#define FK_SELLER_POOL 1000

/* Lowest new price (Amazon included) or -1 (about 5% of versions). */
int32_t fk_price_new(uint64_t seed, uint32_t idx, int64_t version);

/* Amazon's own price given the version's NEW price; -1 when Amazon does not
 * sell it; never below NEW. */
int32_t fk_price_amazon(uint64_t seed, uint32_t idx, int64_t version, int32_t new_price);

/* Sales rank, always positive. */
int32_t fk_sales_rank(uint64_t seed, uint32_t idx, int64_t version);

/* Buy-box shipping cost in cents (0 for free shipping), -1 with no offer. */
int32_t fk_shipping(uint64_t seed, uint32_t idx, int64_t version, int32_t new_price);

/* Index into the seller pool of the buy-box winner. */
uint32_t fk_buybox_seller(uint64_t seed, uint32_t idx, int64_t version);

/* Number of new offers, for stats.totalOfferCount. */
int32_t fk_offer_count(uint64_t seed, uint32_t idx, int64_t version, int32_t new_price);

#endif
