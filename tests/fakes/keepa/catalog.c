/*
 * catalog.c - ASIN codec, product versions, manual bumps and version history.
 *
 * A product's version is floor(elapsed / period) plus its manual bumps. Bumps
 * are the only per-product state: a lazily allocated record holding the bump
 * count and the times of the most recent bumps, so the history can interleave
 * scheduled changes and bumps exactly and stay stable across requests. In
 * drift mode every question about versions goes to drift.c instead.
 */
#include "catalog.h"

#include "drift.h"
#include "hash.h"

#include <stdlib.h>
#include <string.h>

/* A product's manual bumps; times[] is a ring of the last FK_HISTORY_MAX. */
struct fk_bumps {
    int64_t count;
    int64_t times[FK_HISTORY_MAX];
};

struct fk_catalog {
    uint64_t seed;
    uint32_t size;
    int64_t change_period;
    double invalid_rate;
    uint64_t bump_generation;
    struct fk_bumps **bumps; /* size entries, NULL until a product is bumped */
    struct fk_drift *drift;  /* NULL: the periodic model */
    enum fk_drift_deal deal;
};

static const char b36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* Period multipliers; 0 = never changes on its own. */
static const int64_t period_mult[5] = {1, 2, 4, 8, 0};

struct fk_catalog *fk_catalog_new(uint64_t seed, uint32_t size, int64_t change_period_ms,
                                  double invalid_rate, const struct fk_drift_spec *drift,
                                  enum fk_drift_deal deal)
{
    struct fk_catalog *cat = calloc(1, sizeof(*cat));

    if (cat == NULL)
        abort();
    cat->seed = seed;
    cat->size = size;
    cat->change_period = change_period_ms;
    cat->invalid_rate = invalid_rate;
    cat->deal = deal;
    cat->bumps = calloc(size ? size : 1, sizeof(*cat->bumps));
    if (cat->bumps == NULL)
        abort();
    if (drift != NULL && drift->kind != FK_DRIFT_OFF)
        cat->drift = fk_drift_new(drift, seed, size);
    return cat;
}

void fk_catalog_free(struct fk_catalog *cat)
{
    if (cat == NULL)
        return;
    for (uint32_t i = 0; i < cat->size; i++)
        free(cat->bumps[i]);
    free(cat->bumps);
    fk_drift_free(cat->drift);
    free(cat);
}

uint32_t fk_catalog_size(const struct fk_catalog *cat)
{
    return cat->size;
}

uint64_t fk_catalog_seed(const struct fk_catalog *cat)
{
    return cat->seed;
}

void fk_catalog_grow(struct fk_catalog *cat, uint32_t size)
{
    struct fk_bumps **bumps;

    if (size > FK_CATALOG_MAX)
        size = FK_CATALOG_MAX;
    if (size <= cat->size)
        return;
    bumps = realloc(cat->bumps, size * sizeof(*bumps));
    if (bumps == NULL)
        abort();
    memset(bumps + cat->size, 0, (size - cat->size) * sizeof(*bumps));
    cat->bumps = bumps;
    if (cat->drift != NULL)
        fk_drift_grow(cat->drift, size);
    cat->size = size;
}

struct fk_drift *fk_catalog_drift(const struct fk_catalog *cat)
{
    return cat->drift;
}

void fk_asin_encode(uint32_t idx, char out[FK_ASIN_LEN + 1])
{
    out[0] = 'B';
    out[1] = '0';
    for (int pos = FK_ASIN_LEN - 1; pos >= 2; pos--) {
        out[pos] = b36[idx % 36];
        idx /= 36;
    }
    out[FK_ASIN_LEN] = '\0';
}

/* Value of one base-36 digit (uppercase only, as ASINs are), -1 otherwise. */
static int b36_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return -1;
}

int fk_catalog_lookup(const struct fk_catalog *cat, const char *s, size_t len, uint32_t *idx)
{
    uint64_t v = 0;

    if (len != FK_ASIN_LEN || s[0] != 'B' || s[1] != '0')
        return -1;
    for (size_t pos = 2; pos < FK_ASIN_LEN; pos++) {
        int d = b36_value(s[pos]);
        if (d < 0)
            return -1;
        v = v * 36 + (uint64_t)d;
    }
    if (v >= cat->size)
        return -1;
    *idx = (uint32_t)v;
    return 0;
}

int fk_catalog_invalid(const struct fk_catalog *cat, uint32_t idx)
{
    return fk_unit(fk_hashv(cat->seed, idx, FK_SALT_TYPE, 0)) < cat->invalid_rate;
}

int64_t fk_catalog_period(const struct fk_catalog *cat, uint32_t idx)
{
    uint64_t h = fk_hashv(cat->seed, idx, FK_SALT_PERIOD, 0);

    if (cat->drift != NULL)
        return (int64_t)(1000.0 / fk_drift_rate(cat->drift, idx));
    return cat->change_period * period_mult[h % 5];
}

double fk_catalog_rate(const struct fk_catalog *cat, uint32_t idx)
{
    int64_t period;

    if (cat->drift != NULL)
        return fk_drift_rate(cat->drift, idx);
    period = fk_catalog_period(cat, idx);
    return period > 0 ? 1000.0 / (double)period : 0.0;
}

/* Number of scheduled (time-driven) changes of product idx up to now. */
static int64_t scheduled_changes(const struct fk_catalog *cat, uint32_t idx, int64_t now)
{
    int64_t period = fk_catalog_period(cat, idx);

    if (period <= 0 || now < 0)
        return 0;
    return now / period;
}

int64_t fk_catalog_version(const struct fk_catalog *cat, uint32_t idx, int64_t now)
{
    const struct fk_bumps *b = cat->bumps[idx];

    if (cat->drift != NULL)
        return fk_drift_version(cat->drift, idx, now);
    return scheduled_changes(cat, idx, now) + (b ? b->count : 0);
}

int64_t fk_catalog_deal_version(const struct fk_catalog *cat, uint32_t idx, int64_t now)
{
    if (cat->drift != NULL)
        return fk_drift_deal_version(cat->drift, idx, now, cat->deal);
    return fk_catalog_version(cat, idx, now);
}

void fk_catalog_served(struct fk_catalog *cat, uint32_t idx, int64_t now)
{
    if (cat->drift != NULL)
        fk_drift_served(cat->drift, idx, now);
}

int64_t fk_catalog_tracked_at(const struct fk_catalog *cat, uint32_t idx)
{
    /* Tracked between 1 and ~1000 days before start-up. */
    uint64_t h = fk_hashv(cat->seed, idx, FK_SALT_SINCE, 0);

    return -(int64_t)(86400000LL + (int64_t)(h % (1000ULL * 86400000ULL)));
}

void fk_catalog_bump(struct fk_catalog *cat, uint32_t idx, int64_t now)
{
    struct fk_bumps *b = cat->bumps[idx];

    if (cat->drift != NULL) {
        fk_drift_bump(cat->drift, idx, now);
        return;
    }
    if (b == NULL) {
        b = calloc(1, sizeof(*b));
        if (b == NULL)
            abort();
        cat->bumps[idx] = b;
    }
    b->times[b->count % FK_HISTORY_MAX] = now;
    b->count++;
    cat->bump_generation++;
}

uint64_t fk_catalog_epoch(const struct fk_catalog *cat, int64_t now)
{
    /* All scheduled changes happen on multiples of the base period. */
    uint64_t tick;

    if (cat->drift != NULL)
        return fk_drift_epoch(cat->drift, now);
    tick = cat->change_period > 0 ? (uint64_t)(now / cat->change_period) : 0;
    return fk_mix64(tick) ^ cat->bump_generation;
}

/*
 * Walks the change events (scheduled boundaries and bumps) newest first and
 * fills pts newest first; each event is the start of one version.
 */
static int collect_newest_first(const struct fk_catalog *cat, uint32_t idx, int64_t now,
                                struct fk_point pts[FK_HISTORY_MAX])
{
    const struct fk_bumps *b = cat->bumps[idx];
    int64_t period = fk_catalog_period(cat, idx);
    int64_t k = scheduled_changes(cat, idx, now); /* next boundary to take: k * period */
    int64_t j = b ? b->count - 1 : -1;            /* next bump to take */
    int64_t oldest_bump = b ? b->count - FK_HISTORY_MAX : 0;
    int64_t version = fk_catalog_version(cat, idx, now);
    int n = 0;

    while (n < FK_HISTORY_MAX) {
        int have_k = k >= 1, have_j = j >= 0 && j >= oldest_bump;
        int64_t tk = have_k ? k * period : 0;
        int64_t tj = have_j ? b->times[j % FK_HISTORY_MAX] : 0;
        if (!have_k && !have_j) {
            if (version == 0)
                pts[n++] = (struct fk_point){0, fk_catalog_tracked_at(cat, idx)};
            break;
        }
        if (have_k && (!have_j || tk >= tj)) {
            pts[n++] = (struct fk_point){version, tk};
            k--;
        } else {
            pts[n++] = (struct fk_point){version, tj};
            j--;
        }
        version--;
    }
    return n;
}

int fk_catalog_history(const struct fk_catalog *cat, uint32_t idx, int64_t now,
                       struct fk_point pts[FK_HISTORY_MAX])
{
    struct fk_point tmp[FK_HISTORY_MAX];
    int n;

    if (cat->drift != NULL)
        return fk_drift_history(cat->drift, idx, now, INT64_MAX, fk_catalog_tracked_at(cat, idx),
                                pts);
    n = collect_newest_first(cat, idx, now, tmp);
    for (int i = 0; i < n; i++)
        pts[i] = tmp[n - 1 - i];
    return n;
}

int fk_catalog_deal_history(const struct fk_catalog *cat, uint32_t idx, int64_t now,
                            struct fk_point pts[FK_HISTORY_MAX])
{
    if (cat->drift == NULL)
        return fk_catalog_history(cat, idx, now, pts);
    return fk_drift_history(cat->drift, idx, now, fk_catalog_deal_version(cat, idx, now),
                            fk_catalog_tracked_at(cat, idx), pts);
}
