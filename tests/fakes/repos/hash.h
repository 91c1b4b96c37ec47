/*
 * hash.h - the deterministic randomness behind the fake repositories.
 *
 * Every generated attribute of a repository is a pure function of (seed,
 * index, salt), so two servers started with the same --seed serve the same
 * catalog and nothing but the mutable part of a record is stored. Decisions
 * taken per request (faults, latency, which records a bulk mutation picks)
 * use the sequential generator, also seeded from --seed.
 */
#ifndef RP_HASH_H
#define RP_HASH_H

#include <stdint.h>

/* Salts: one per generated attribute, so attributes are independent. */
enum rp_salt {
    RP_SALT_OWNER = 1,
    RP_SALT_NAME,
    RP_SALT_DESCRIPTION,
    RP_SALT_LANGUAGE,
    RP_SALT_TOPICS,
    RP_SALT_LICENSE,
    RP_SALT_STARS,
    RP_SALT_FORKS,
    RP_SALT_ISSUES,
    RP_SALT_SIZE,
    RP_SALT_CREATED,
    RP_SALT_UPDATED,
    RP_SALT_FLAGS,
    RP_SALT_DELETED,
    RP_SALT_MUTATE,
    RP_SALT_CURSOR,
};

/* splitmix64 finaliser: a cheap bijective mixer with good avalanche. */
static inline uint64_t rp_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* A 64-bit hash of (seed, a, b); b usually packs a salt and a version. */
static inline uint64_t rp_hash(uint64_t seed, uint64_t a, uint64_t b)
{
    return rp_mix64(seed ^
                    rp_mix64(a * 0x9e3779b97f4a7c15ULL + rp_mix64(b + 0x632be59bd9b4e019ULL)));
}

/* Hash of attribute salt of repository index idx, for its version (0: as created). */
static inline uint64_t rp_hashv(uint64_t seed, uint32_t idx, enum rp_salt salt, uint32_t version)
{
    return rp_hash(seed, idx, ((uint64_t)salt << 48) ^ version);
}

/* Maps a hash to [0, 1). */
static inline double rp_unit(uint64_t h)
{
    return (double)(h >> 11) / 9007199254740992.0;
}

/* Sequential generator (splitmix64) for per-request decisions. */
static inline uint64_t rp_rng_next(uint64_t *state)
{
    *state += 0x9e3779b97f4a7c15ULL;
    return rp_mix64(*state);
}

#endif
