/*
 * catalog.h - the repositories: ids 1..n, their mutable state, the listing
 * order and the JSON a record is rendered as.
 *
 * Repository idx (0-based) has id idx + 1. What never changes (names, owner,
 * language, creation time...) is derived from (seed, idx) when rendered, see
 * record.c; only stars, updated_at, a mutation count and the deleted flag are
 * stored. Listings show the repositories that are not deleted, by id.
 */
#ifndef RP_CATALOG_H
#define RP_CATALOG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The catalog never grows past this many repositories. */
#define RP_CATALOG_MAX 4000000u

/* The mutable part of one repository. */
struct rp_repo {
    int64_t stars;
    int64_t updated_s; /* unix seconds of updated_at and pushed_at */
    uint32_t version;  /* mutations so far */
    uint8_t deleted;   /* gone: 410 from detail, left out of listings */
};

struct rp_catalog {
    uint64_t seed;
    uint32_t n, cap;
    struct rp_repo *v;
    uint32_t *live; /* ids of the listed repositories, ascending */
    uint32_t nlive;
    int live_stale; /* live must be rebuilt before it is read */
    uint64_t rng;   /* which repositories a bulk mutation picks */
};

/* One change; fields left at their rp_mutation_none() values change nothing. */
struct rp_mutation {
    int set_stars; /* 1: stars = stars_value; 0: no absolute value */
    int64_t stars;
    int64_t stars_delta; /* added to stars */
    int bump;            /* 1: updated_at moves to now (and version counts up) */
    int deleted;         /* -1: unchanged, 0: restore, 1: delete */
};

/* Returns the no-op mutation. */
struct rp_mutation rp_mutation_none(void);

/* Returns a new catalog of n repositories, a share `deleted` of them deleted; never NULL. */
struct rp_catalog *rp_catalog_new(uint64_t seed, uint32_t n, double deleted);
void rp_catalog_free(struct rp_catalog *cat);

/* Adds k repositories (fewer at RP_CATALOG_MAX); returns how many were added. */
uint32_t rp_catalog_grow(struct rp_catalog *cat, uint32_t k);

/*
 * Looks up the repository whose id is the decimal text s[0..len). Returns 0
 * with *idx set, or -1 when the text is not an id of the catalog.
 */
int rp_catalog_find(const struct rp_catalog *cat, const char *s, size_t len, uint32_t *idx);

/* Returns the listed ids, ascending, and their count in *n (borrowed, valid until a change). */
const uint32_t *rp_catalog_live(struct rp_catalog *cat, uint32_t *n);

/* Returns the first listed id greater than after, or 0 when there is none. */
uint32_t rp_catalog_next_live(const struct rp_catalog *cat, uint64_t after);

/* Applies m to repository idx at wall time now_s (unix seconds). */
void rp_catalog_mutate(struct rp_catalog *cat, uint32_t idx, const struct rp_mutation *m,
                       int64_t now_s);

/* The default star change of a mutation of idx: 1..50, fixed by seed and version. */
int64_t rp_catalog_default_delta(const struct rp_catalog *cat, uint32_t idx);

/* Which members a rendering holds. */
enum rp_view {
    RP_VIEW_SUMMARY, /* listings: id, names, owner, url, description, fork, updated_at */
    RP_VIEW_FULL,    /* detail: everything */
};

/* Returns repository idx as a new JSON object (caller json_decref()s it). */
json_t *rp_repo_json(const struct rp_catalog *cat, uint32_t idx, enum rp_view view);

/* Initial stars and updated_at of idx, for rp_catalog_new and rp_catalog_grow. */
int64_t rp_repo_initial_stars(uint64_t seed, uint32_t idx);
int64_t rp_repo_initial_updated(uint64_t seed, uint32_t idx);

#endif
