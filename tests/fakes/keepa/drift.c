/*
 * drift.c - Poisson price changes per product, see drift.h.
 *
 * Each product keeps the time of its next event (not yet counted), the events
 * and bumps counted so far, the version /product last served, and a ring of
 * the start times of its last FK_HISTORY_MAX versions indexed by version.
 * Bringing a product up to `now` counts every event due by then, drawing each
 * following gap from hash(seed, index, event number).
 */
#include "drift.h"

#include "hash.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct drift_item {
    double next_at; /* elapsed ms of the next event, not yet counted */
    int64_t events; /* events counted so far */
    int64_t bumps;  /* manual bumps so far */
    int64_t shown;  /* version /product last served, -1 before the first */
    int64_t start[FK_HISTORY_MAX]; /* start of version v (v >= 1) at [v % FK_HISTORY_MAX] */
};

struct fk_drift {
    struct fk_drift_spec spec;
    uint64_t seed;
    uint32_t size;
    double scale;
    uint64_t generation; /* bumps, servings and scale changes: what /deal may show */
    struct drift_item *items;
};

#define SPEC_FORMS "off, loguniform:MIN:MAX or bimodal:SLOW:FAST:FASTSHARE"

/* Parses a duration "<number><ms|s|m|h|d>" of s[0..len) into ms. */
static int parse_duration(const char *s, size_t len, double *ms)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    char tmp[40], *end;
    double v;

    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    v = strtod(tmp, &end);
    if (errno != 0 || end == tmp || !isfinite(v) || v <= 0)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            *ms = v * units[i].ms;
            return *ms >= FK_DRIFT_MIN_MS && *ms <= 1e13 ? 0 : -1;
        }
    }
    return -1;
}

static int parse_share(const char *s, size_t len, double *out)
{
    char tmp[40], *end;

    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    *out = strtod(tmp, &end);
    return errno == 0 && end != tmp && *end == '\0' && *out >= 0 && *out <= 1 ? 0 : -1;
}

/* Splits s at ':' into at most max fields; returns the count (max + 1: more). */
static int split_fields(const char *s, const char *f[], size_t len[], int max)
{
    int n = 0;

    for (;;) {
        size_t l = strcspn(s, ":");
        if (n == max)
            return max + 1;
        f[n] = s;
        len[n++] = l;
        if (s[l] == '\0')
            return n;
        s += l + 1;
    }
}

static int field_is(const char *f, size_t len, const char *want)
{
    return strlen(want) == len && strncmp(f, want, len) == 0;
}

int fk_drift_parse(const char *s, struct fk_drift_spec *out, char *err, size_t errlen)
{
    const char *f[4];
    size_t len[4];
    int n = split_fields(s, f, len, 4), ok = 0;

    memset(out, 0, sizeof(*out));
    if (strcmp(s, "off") == 0)
        return 0;
    if (n == 3 && field_is(f[0], len[0], "loguniform")) {
        out->kind = FK_DRIFT_LOGUNIFORM;
        ok = parse_duration(f[1], len[1], &out->a_ms) == 0 &&
             parse_duration(f[2], len[2], &out->b_ms) == 0 && out->a_ms <= out->b_ms;
    } else if (n == 4 && field_is(f[0], len[0], "bimodal")) {
        out->kind = FK_DRIFT_BIMODAL;
        ok = parse_duration(f[1], len[1], &out->a_ms) == 0 &&
             parse_duration(f[2], len[2], &out->b_ms) == 0 &&
             parse_share(f[3], len[3], &out->share) == 0;
    }
    if (ok)
        return 0;
    memset(out, 0, sizeof(*out));
    snprintf(err, errlen,
             "drift '%.80s' is not " SPEC_FORMS " (durations such as 500ms, 10s, 50m, at least "
             "10ms; loguniform MIN <= MAX; FASTSHARE in 0..1)",
             s);
    return -1;
}

void fk_drift_describe(const struct fk_drift_spec *spec, char *out, size_t outlen)
{
    switch (spec->kind) {
    case FK_DRIFT_LOGUNIFORM:
        snprintf(out, outlen, "loguniform:%.15gms:%.15gms", spec->a_ms, spec->b_ms);
        break;
    case FK_DRIFT_BIMODAL:
        snprintf(out, outlen, "bimodal:%.15gms:%.15gms:%.15g", spec->a_ms, spec->b_ms,
                 spec->share);
        break;
    default:
        snprintf(out, outlen, "off");
        break;
    }
}

/* Product idx's mean change interval at rate scale 1, in ms. */
static double mean_ms(const struct fk_drift *d, uint32_t idx)
{
    double u = fk_unit(fk_hashv(d->seed, idx, FK_SALT_DRIFT_RATE, 0));

    if (d->spec.kind == FK_DRIFT_BIMODAL)
        return u < d->spec.share ? d->spec.b_ms : d->spec.a_ms;
    return d->spec.a_ms * exp(u * log(d->spec.b_ms / d->spec.a_ms));
}

/* The gap before product idx's event k + 1, in ms, at the current scale. */
static double gap_ms(const struct fk_drift *d, uint32_t idx, int64_t k)
{
    double u = fk_unit(fk_hashv(d->seed, idx, FK_SALT_DRIFT_GAP, k));

    return -log1p(-u) * mean_ms(d, idx) / d->scale;
}

static void init_items(struct fk_drift *d, uint32_t from, uint32_t to)
{
    for (uint32_t i = from; i < to; i++) {
        struct drift_item *it = &d->items[i];
        memset(it, 0, sizeof(*it));
        it->shown = -1;
        it->next_at = gap_ms(d, i, 0);
    }
}

struct fk_drift *fk_drift_new(const struct fk_drift_spec *spec, uint64_t seed, uint32_t size)
{
    struct fk_drift *d = calloc(1, sizeof(*d));

    if (d == NULL)
        abort();
    d->spec = *spec;
    d->seed = seed;
    d->scale = 1.0;
    fk_drift_grow(d, size);
    return d;
}

void fk_drift_free(struct fk_drift *d)
{
    if (d == NULL)
        return;
    free(d->items);
    free(d);
}

void fk_drift_grow(struct fk_drift *d, uint32_t size)
{
    struct drift_item *items;

    if (size <= d->size && d->items != NULL)
        return;
    items = realloc(d->items, (size ? size : 1) * sizeof(*items));
    if (items == NULL)
        abort();
    d->items = items;
    init_items(d, d->size, size);
    if (size > d->size)
        d->size = size;
}

double fk_drift_rate(const struct fk_drift *d, uint32_t idx)
{
    return 1000.0 * d->scale / mean_ms(d, idx);
}

/* Counts product idx's events due by now; returns its state. */
static struct drift_item *advance(struct fk_drift *d, uint32_t idx, int64_t now)
{
    struct drift_item *it = &d->items[idx];

    while (it->next_at <= (double)now) {
        int64_t v = ++it->events + it->bumps;
        it->start[v % FK_HISTORY_MAX] = (int64_t)it->next_at;
        it->next_at += gap_ms(d, idx, it->events);
    }
    return it;
}

int64_t fk_drift_version(struct fk_drift *d, uint32_t idx, int64_t now)
{
    const struct drift_item *it = advance(d, idx, now);

    return it->events + it->bumps;
}

void fk_drift_bump(struct fk_drift *d, uint32_t idx, int64_t now)
{
    struct drift_item *it = advance(d, idx, now);

    it->bumps++;
    it->start[(it->events + it->bumps) % FK_HISTORY_MAX] = now;
    d->generation++;
}

void fk_drift_served(struct fk_drift *d, uint32_t idx, int64_t now)
{
    struct drift_item *it = advance(d, idx, now);
    int64_t v = it->events + it->bumps;

    if (it->shown != v) {
        it->shown = v;
        d->generation++;
    }
}

int64_t fk_drift_deal_version(struct fk_drift *d, uint32_t idx, int64_t now,
                              enum fk_drift_deal deal)
{
    const struct drift_item *it = advance(d, idx, now);

    if (deal == FK_DRIFT_DEAL_HIDE && it->shown >= 0)
        return it->shown;
    return it->events + it->bumps;
}

int fk_drift_history(struct fk_drift *d, uint32_t idx, int64_t now, int64_t upto,
                     int64_t tracked_at, struct fk_point pts[FK_HISTORY_MAX])
{
    const struct drift_item *it = advance(d, idx, now);
    int64_t cur = it->events + it->bumps;
    int64_t oldest_kept = cur - FK_HISTORY_MAX + 1;
    struct fk_point tmp[FK_HISTORY_MAX];
    int n = 0;

    if (upto > cur)
        upto = cur;
    for (int64_t v = upto; v >= 0 && n < FK_HISTORY_MAX; v--) {
        if (v == 0 || v < oldest_kept) {
            if (v == 0 || n == 0)
                tmp[n++] = (struct fk_point){v, tracked_at};
            break;
        }
        tmp[n++] = (struct fk_point){v, it->start[v % FK_HISTORY_MAX]};
    }
    for (int i = 0; i < n; i++)
        pts[i] = tmp[n - 1 - i];
    return n;
}

void fk_drift_set_scale(struct fk_drift *d, double scale, int64_t now)
{
    /* A pending exponential gap stretched by old/new rate is an exponential
     * gap at the new rate: the processes stay Poisson across the change. */
    double ratio = d->scale / scale;

    for (uint32_t i = 0; i < d->size; i++) {
        struct drift_item *it = advance(d, i, now);
        it->next_at = (double)now + (it->next_at - (double)now) * ratio;
    }
    d->scale = scale;
    d->generation++;
}

double fk_drift_scale(const struct fk_drift *d)
{
    return d->scale;
}

uint64_t fk_drift_epoch(const struct fk_drift *d, int64_t now)
{
    /* Versions change at any millisecond, so the epoch does too. */
    return fk_mix64((uint64_t)now) ^ d->generation;
}
