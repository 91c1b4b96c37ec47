/*
 * catalog.h - the fake's product universe: ASINs, versions and their history.
 *
 * Product i (0 <= i < size) has ASIN "B0" + i in base 36, zero-padded to 8
 * digits, so an ASIN maps back to its index in O(1). Each product changes
 * ("gets a new version") every period_i = change_period x {1,2,4,8} ms or
 * never, or, in drift mode (drift.h), at the events of its own Poisson
 * process; tests can force a change with a manual bump. Everything else about
 * a product (prices, titles, ...) is a function of (seed, index, version),
 * computed on demand in prices.c and text.c; only bumps (and in drift mode
 * each product's generator state) are stored. The catalog can grow while the
 * server runs (/_fake/grow).
 *
 * Functions taking a const catalog may still bring a drifting product's
 * events up to `now`: that is lazy evaluation of a fixed timeline, not a
 * change of the catalog.
 */
#ifndef FK_CATALOG_H
#define FK_CATALOG_H

#include <stddef.h>
#include <stdint.h>

struct fk_drift_spec;

/* What /deal shows of a product in drift mode (drift.h). */
enum fk_drift_deal {
    FK_DRIFT_DEAL_HIDE,   /* the version /product last served (else the current one) */
    FK_DRIFT_DEAL_REVEAL, /* the current version */
};

#define FK_ASIN_LEN 10
#define FK_CATALOG_MAX 2000000
/* Number of version changes kept in a product's price history. */
#define FK_HISTORY_MAX 12

struct fk_catalog;

/* One point of a product's history: version `version` began at `at` (elapsed ms). */
struct fk_point {
    int64_t version;
    int64_t at;
};

/*
 * Returns a new catalog (caller frees with fk_catalog_free); drift NULL or off
 * gives the periodic model, deal says what /deal shows in drift mode.
 */
struct fk_catalog *fk_catalog_new(uint64_t seed, uint32_t size, int64_t change_period_ms,
                                  double invalid_rate, const struct fk_drift_spec *drift,
                                  enum fk_drift_deal deal);
void fk_catalog_free(struct fk_catalog *cat);

uint32_t fk_catalog_size(const struct fk_catalog *cat);
uint64_t fk_catalog_seed(const struct fk_catalog *cat);

/* Grows the catalog to size products (at most FK_CATALOG_MAX; never shrinks). */
void fk_catalog_grow(struct fk_catalog *cat, uint32_t size);

/* The drift state (borrowed), NULL when the catalog does not drift. */
struct fk_drift *fk_catalog_drift(const struct fk_catalog *cat);

/* Writes the ASIN of product idx and a NUL into out. */
void fk_asin_encode(uint32_t idx, char out[FK_ASIN_LEN + 1]);

/* Returns 0 and sets *idx if s[0..len) is a catalog ASIN, -1 otherwise. */
int fk_catalog_lookup(const struct fk_catalog *cat, const char *s, size_t len, uint32_t *idx);

/* Returns 1 if product idx is productType 4 (invalid), 0 otherwise. */
int fk_catalog_invalid(const struct fk_catalog *cat, uint32_t idx);

/* Returns product idx's change period in ms, 0 if it never changes on its own
 * (in drift mode: its mean change interval now). */
int64_t fk_catalog_period(const struct fk_catalog *cat, uint32_t idx);

/* Returns product idx's mean rate of changes on its own, per second. */
double fk_catalog_rate(const struct fk_catalog *cat, uint32_t idx);

/* Returns product idx's version at elapsed time now. */
int64_t fk_catalog_version(const struct fk_catalog *cat, uint32_t idx, int64_t now);

/* Returns the version of product idx that /deal shows at now: the current one,
 * or in drift mode with --drift-deal hide the one /product last served. */
int64_t fk_catalog_deal_version(const struct fk_catalog *cat, uint32_t idx, int64_t now);

/* Records that /product served product idx (as of now) to a client. */
void fk_catalog_served(struct fk_catalog *cat, uint32_t idx, int64_t now);

/* Elapsed ms (negative: before start-up) at which product idx was first tracked. */
int64_t fk_catalog_tracked_at(const struct fk_catalog *cat, uint32_t idx);

/*
 * Fills pts with the last FK_HISTORY_MAX versions of product idx as of now,
 * oldest first, and returns how many were written (at least 1).
 */
int fk_catalog_history(const struct fk_catalog *cat, uint32_t idx, int64_t now,
                       struct fk_point pts[FK_HISTORY_MAX]);

/* The same, ending at the version /deal shows (fk_catalog_deal_version). */
int fk_catalog_deal_history(const struct fk_catalog *cat, uint32_t idx, int64_t now,
                            struct fk_point pts[FK_HISTORY_MAX]);

/* Gives product idx a new version at elapsed time now. */
void fk_catalog_bump(struct fk_catalog *cat, uint32_t idx, int64_t now);

/*
 * Returns a number that changes whenever any product's version may have
 * changed since the last call with an equal result (time boundary or bump).
 */
uint64_t fk_catalog_epoch(const struct fk_catalog *cat, int64_t now);

#endif
