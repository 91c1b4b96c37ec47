/*
 * series.h - one product's Keepa time series (csv[]) as of a given instant.
 *
 * Built from the product's version history (catalog.h) and the price model
 * (prices.h) once per rendered product, then shared by the /product and
 * /deal renderers so both always agree on current values and averages.
 */
#ifndef FK_SERIES_H
#define FK_SERIES_H

#include "catalog.h"

#include <stdint.h>

/* Keepa CsvType indices the fake populates. */
enum fk_csv_type {
    FK_CSV_AMAZON = 0,
    FK_CSV_NEW = 1,
    FK_CSV_SALES = 3,
    FK_CSV_BUY_BOX_SHIPPING = 18,
    FK_CSV_COUNT = 36,
};

/* Values: cents or rank; -1 no offer, -2 unknown / series not tracked. */
#define FK_NO_OFFER (-1)
#define FK_UNKNOWN (-2)

struct fk_series {
    int n;                         /* points, oldest first */
    int64_t km[FK_HISTORY_MAX];    /* Keepa minute of each point, strictly increasing */
    int64_t version[FK_HISTORY_MAX];
    int32_t amazon[FK_HISTORY_MAX];
    int32_t newp[FK_HISTORY_MAX];
    int32_t rank[FK_HISTORY_MAX];
    int32_t shipping[FK_HISTORY_MAX];
    int32_t landed[FK_HISTORY_MAX]; /* buy box price + shipping, -1 with no offer */
    uint32_t seller[FK_HISTORY_MAX]; /* seller pool index of the buy-box winner */
    int64_t now_km;                  /* the instant the series describes */
};

/* Fills s with product idx's history as of elapsed time now. */
void fk_series_build(const struct fk_catalog *cat, uint32_t idx, int64_t now, struct fk_series *s);

/* The same for what /deal shows (in drift mode with --drift-deal hide, the
 * history up to the version /product last served). */
void fk_series_build_deal(const struct fk_catalog *cat, uint32_t idx, int64_t now,
                          struct fk_series *s);

/* Returns the values of CsvType type (NULL for a series the fake does not track);
 * BUY_BOX_SHIPPING values are landed prices. */
const int32_t *fk_series_values(const struct fk_series *s, int type);

/*
 * Fills out[FK_CSV_COUNT] with the latest value of every CsvType (window_min
 * < 0) or with the time-weighted average over the last window_min minutes.
 */
void fk_series_stat(const struct fk_series *s, int64_t window_min, int32_t out[FK_CSV_COUNT]);

#endif
