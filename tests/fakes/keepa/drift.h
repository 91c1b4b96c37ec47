/*
 * drift.h - drift mode: products whose prices change on their own, each as a
 * Poisson process with its own rate, for freshness benchmarks.
 *
 * A product's mean change interval is drawn once from the configured
 * distribution (log-uniform between two durations, or two groups: a slow and
 * a fast one), from hash(seed, index). Its change events are generated lazily
 * and in order: the gap before event k is an exponential draw from
 * hash(seed, index, k) at the rate in force when the gap is drawn, so two
 * servers with one seed agree on every event while no rate scale is changed.
 * The version of a product is the number of its events so far plus its manual
 * bumps; per product only the start times of its last FK_HISTORY_MAX versions
 * and the generator's position are kept, so memory is fixed (about 130 bytes a
 * product) however long the fake runs.
 *
 * Time only moves forward: every call takes the current elapsed time, and the
 * state of a product is first brought up to it.
 */
#ifndef FK_DRIFT_H
#define FK_DRIFT_H

#include "catalog.h"

#include <stddef.h>
#include <stdint.h>

enum fk_drift_kind {
    FK_DRIFT_OFF,        /* the periodic model of catalog.h */
    FK_DRIFT_LOGUNIFORM, /* mean intervals log-uniform in [a_ms, b_ms] */
    FK_DRIFT_BIMODAL,    /* mean interval b_ms for a `share` of products, a_ms for the rest */
};

struct fk_drift_spec {
    enum fk_drift_kind kind;
    double a_ms; /* loguniform: shortest mean interval; bimodal: the slow group's */
    double b_ms; /* loguniform: longest mean interval; bimodal: the fast group's */
    double share; /* bimodal: share of products in the fast group */
};

/* Shortest mean change interval a spec may give, in ms. */
#define FK_DRIFT_MIN_MS 10.0
/* Bounds of the runtime rate multiplier (/_fake/drift?rate_scale=). */
#define FK_DRIFT_SCALE_MIN 1e-6
#define FK_DRIFT_SCALE_MAX 1000.0

struct fk_drift;

/*
 * Parses "off", "loguniform:MIN:MAX" or "bimodal:SLOW:FAST:FASTSHARE"; durations
 * are a number with a unit ms, s, m, h or d (10s, 1.5m). Returns 0, or -1 with
 * a reason in err.
 */
int fk_drift_parse(const char *s, struct fk_drift_spec *out, char *err, size_t errlen);

/* Writes the spec in the form fk_drift_parse reads ("off" when off). */
void fk_drift_describe(const struct fk_drift_spec *spec, char *out, size_t outlen);

/* Returns the drift state of a catalog of size products (free with fk_drift_free). */
struct fk_drift *fk_drift_new(const struct fk_drift_spec *spec, uint64_t seed, uint32_t size);
void fk_drift_free(struct fk_drift *d);

/* Makes room for products up to size (new products start with version 0). */
void fk_drift_grow(struct fk_drift *d, uint32_t size);

/* Product idx's change rate now, in changes per second (the rate scale applied). */
double fk_drift_rate(const struct fk_drift *d, uint32_t idx);

/* Product idx's version at elapsed time now (brings its events up to now). */
int64_t fk_drift_version(struct fk_drift *d, uint32_t idx, int64_t now);

/* Gives product idx a new version at now. */
void fk_drift_bump(struct fk_drift *d, uint32_t idx, int64_t now);

/* Records that /product served product idx's current version at now. */
void fk_drift_served(struct fk_drift *d, uint32_t idx, int64_t now);

/* The version /deal shows of product idx at now, as `deal` says. */
int64_t fk_drift_deal_version(struct fk_drift *d, uint32_t idx, int64_t now,
                              enum fk_drift_deal deal);

/*
 * Fills pts, oldest first, with the versions of product idx up to `upto` (at
 * most its current version) whose start times are still kept, newest last;
 * version 0 starts at tracked_at. Returns how many (at least 1: a version
 * whose start is no longer kept gets tracked_at).
 */
int fk_drift_history(struct fk_drift *d, uint32_t idx, int64_t now, int64_t upto,
                     int64_t tracked_at, struct fk_point pts[FK_HISTORY_MAX]);

/*
 * Sets the rate multiplier of every product from now on (the pending gap of
 * each is rescaled, which keeps the processes Poisson). The caller checks
 * scale against FK_DRIFT_SCALE_MIN..MAX.
 */
void fk_drift_set_scale(struct fk_drift *d, double scale, int64_t now);
double fk_drift_scale(const struct fk_drift *d);

/* A number that changes whenever a version /deal shows may have changed. */
uint64_t fk_drift_epoch(const struct fk_drift *d, int64_t now);

#endif
