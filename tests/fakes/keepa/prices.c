/*
 * prices.c - the price model, see prices.h.
 *
 * Each product has a base price (log-uniform between $3.99 and $300); each
 * version moves it by up to +/-20%. The lowest bit of an offered price is the
 * version's parity, which guarantees that consecutive versions differ, and a
 * "no offer" version is never followed by another one for the same reason.
 */
#include "prices.h"

#include "hash.h"

#include <math.h>

static int32_t base_price(uint64_t seed, uint32_t idx)
{
    double u = fk_unit(fk_hashv(seed, idx, FK_SALT_PRICE, -1));

    return (int32_t)(399.0 * exp(u * log(30000.0 / 399.0)));
}

static int no_offer_raw(uint64_t seed, uint32_t idx, int64_t version)
{
    return fk_hashv(seed, idx, FK_SALT_NOOFFER, version) % 20 == 0;
}

static int no_offer(uint64_t seed, uint32_t idx, int64_t version)
{
    if (!no_offer_raw(seed, idx, version))
        return 0;
    return version == 0 || !no_offer_raw(seed, idx, version - 1);
}

int32_t fk_price_new(uint64_t seed, uint32_t idx, int64_t version)
{
    double f;
    int32_t p;

    if (no_offer(seed, idx, version))
        return -1;
    f = 0.8 + 0.4 * fk_unit(fk_hashv(seed, idx, FK_SALT_PRICE, version));
    p = (int32_t)(base_price(seed, idx) * f);
    if (p < 100)
        p = 100;
    return (p & ~1) | (int32_t)(version & 1);
}

int32_t fk_price_amazon(uint64_t seed, uint32_t idx, int64_t version, int32_t new_price)
{
    int32_t p = new_price;
    uint64_t h = fk_hashv(seed, idx, FK_SALT_AMAZON, version);

    /* About 60% of products are sold by Amazon, and then in 9 versions of 10. */
    if (p < 0 || fk_hashv(seed, idx, FK_SALT_AMAZON, -1) % 5 >= 3 || h % 10 == 0)
        return -1;
    if (h % 3 == 0)
        return p; /* Amazon is the cheapest new offer */
    return p + (int32_t)((uint64_t)p * (h >> 40 & 0xff) / 2550);
}

int32_t fk_sales_rank(uint64_t seed, uint32_t idx, int64_t version)
{
    uint64_t base = 1 + fk_hashv(seed, idx, FK_SALT_RANK, -1) % 400000;
    uint64_t h = fk_hashv(seed, idx, FK_SALT_RANK, version);

    return (int32_t)(1 + base / 2 + h % (base + 1));
}

int32_t fk_shipping(uint64_t seed, uint32_t idx, int64_t version, int32_t new_price)
{
    if (new_price < 0)
        return -1;
    return fk_hashv(seed, idx, FK_SALT_SHIPPING, version) % 4 == 0 ? 499 : 0;
}

uint32_t fk_buybox_seller(uint64_t seed, uint32_t idx, int64_t version)
{
    /* Products mostly keep a few regular sellers: pick among 3 per product. */
    uint64_t who = fk_hashv(seed, idx, FK_SALT_SELLER, version) % 3;

    return (uint32_t)(fk_hashv(seed, idx, FK_SALT_SELLER, -1 - (int64_t)who) % FK_SELLER_POOL);
}

int32_t fk_offer_count(uint64_t seed, uint32_t idx, int64_t version, int32_t new_price)
{
    if (new_price < 0)
        return 0;
    return 1 + (int32_t)(fk_hashv(seed, idx, FK_SALT_MISC, version) % 25);
}
