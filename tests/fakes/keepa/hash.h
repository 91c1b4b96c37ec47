/*
 * hash.h - the deterministic randomness behind the fake catalog.
 *
 * Every generated attribute is a pure function of (seed, product, salt), so two
 * servers started with the same seed serve byte-identical products and nothing
 * needs to be stored per product. Request-level randomness (faults, latency)
 * uses the sequential generator, seeded from the same seed.
 */
#ifndef FK_HASH_H
#define FK_HASH_H

#include <stdint.h>

/* Salts: one per generated attribute, so attributes are independent. */
enum fk_salt {
    FK_SALT_TITLE = 1,
    FK_SALT_BRAND,
    FK_SALT_CATEGORY,
    FK_SALT_IMAGE,
    FK_SALT_TYPE,
    FK_SALT_PERIOD,
    FK_SALT_PRICE,
    FK_SALT_NOOFFER,
    FK_SALT_AMAZON,
    FK_SALT_RANK,
    FK_SALT_SELLER,
    FK_SALT_SHIPPING,
    FK_SALT_DEAL,
    FK_SALT_SINCE,
    FK_SALT_SELLER_ID,
    FK_SALT_SELLER_INFO,
    FK_SALT_MISC,
    FK_SALT_DRIFT_RATE,
    FK_SALT_DRIFT_GAP,
};

/* splitmix64 finaliser: a cheap bijective mixer with good avalanche. */
static inline uint64_t fk_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* A 64-bit hash of (seed, a, b); b usually packs a salt and a version. */
static inline uint64_t fk_hash(uint64_t seed, uint64_t a, uint64_t b)
{
    return fk_mix64(seed ^ fk_mix64(a * 0x9e3779b97f4a7c15ULL + fk_mix64(b + 0x632be59bd9b4e019ULL)));
}

/* Hash of a product attribute that also depends on a version number. */
static inline uint64_t fk_hashv(uint64_t seed, uint32_t idx, enum fk_salt salt, int64_t version)
{
    return fk_hash(seed, idx, ((uint64_t)salt << 48) ^ (uint64_t)version);
}

/* Maps a hash to [0, 1). */
static inline double fk_unit(uint64_t h)
{
    return (double)(h >> 11) / 9007199254740992.0;
}

/* Sequential generator (splitmix64) for per-request decisions. */
static inline uint64_t fk_rng_next(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15ULL;
    return fk_mix64(*state);
}

#endif
