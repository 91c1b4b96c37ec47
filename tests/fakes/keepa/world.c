/*
 * world.c - /_fake/truth, /_fake/drift and /_fake/grow, see world.h.
 *
 * The truth is rendered as tab-separated text rather than JSON so that a
 * benchmark can load it with one COPY: 20,000 products are ~0.6 MB and a few
 * milliseconds.
 */
#include "world.h"

#include "clock.h"
#include "control.h"
#include "deal.h"
#include "drift.h"
#include "params.h"
#include "prices.h"
#include "reply.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRUTH_LINE_MAX 128

/* Appends product idx's truth line. */
static void truth_line(struct fk_server *srv, uint32_t idx, int64_t now, int served,
                       struct fk_buf *b)
{
    const struct fk_catalog *cat = srv->cat;
    int64_t v = fk_catalog_version(cat, idx, now);
    int32_t price = fk_catalog_invalid(cat, idx) ? -1 : fk_price_new(fk_catalog_seed(cat), idx, v);
    char asin[FK_ASIN_LEN + 1], price_s[16], line[TRUTH_LINE_MAX];
    int n;

    fk_asin_encode(idx, asin);
    /* What the processor stores in payload.price_new: cents, or null for no offer. */
    if (price < 0)
        snprintf(price_s, sizeof(price_s), "\\N");
    else
        snprintf(price_s, sizeof(price_s), "%d", (int)price);
    n = snprintf(line, sizeof(line), "%s\t%s\t%lld\t%.9g", asin, price_s, (long long)v,
                 fk_catalog_rate(cat, idx));
    if (served) {
        const struct fk_stats *st = &srv->stats;
        int64_t first = st->first_ms[idx] ? fk_clock_wall((int64_t)st->first_ms[idx] - 1) : 0;
        n += snprintf(line + n, sizeof(line) - (size_t)n, "\t%u\t%lld", (unsigned)st->served[idx],
                      (long long)first);
    }
    fk_buf_add(b, line, (size_t)n);
    fk_buf_putc(b, '\n');
}

void fk_world_truth(struct fk_call *c)
{
    const char *format = evhttp_find_header(&c->query, "format");
    const char *served = evhttp_find_header(&c->query, "served");
    uint32_t size = fk_catalog_size(c->srv->cat);
    int64_t now = fk_clock_elapsed();
    int with_served = served != NULL && strcmp(served, "0") != 0;
    struct fk_buf b;

    if (format != NULL && strcmp(format, "tsv") != 0) {
        fk_control_error(c, "format must be tsv");
        return;
    }
    fk_buf_init(&b, (size_t)size * 48 + 64);
    for (uint32_t i = 0; i < size; i++)
        truth_line(c->srv, i, now, with_served, &b);
    fk_reply_typed(c, 200, &b, "text/tab-separated-values;charset=UTF-8");
}

static int parse_scale(const char *s, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0' && *out >= FK_DRIFT_SCALE_MIN &&
                   *out <= FK_DRIFT_SCALE_MAX
               ? 0
               : -1;
}

void fk_world_drift(struct fk_call *c)
{
    struct fk_drift *d = fk_catalog_drift(c->srv->cat);
    const char *scale_s = evhttp_find_header(&c->query, "rate_scale");
    char spec[128];
    double scale;
    struct fk_buf b;

    if (d == NULL) {
        fk_control_error(c, "drift mode is off (start with --drift)");
        return;
    }
    if (scale_s != NULL && parse_scale(scale_s, &scale) < 0) {
        fk_control_error(c, "rate_scale must be a number in 1e-6..1000");
        return;
    }
    if (scale_s != NULL)
        fk_drift_set_scale(d, scale, fk_clock_elapsed());
    fk_drift_describe(&c->srv->opt.drift, spec, sizeof(spec));
    fk_buf_init(&b, 256);
    fk_jw_open(&b, '{');
    fk_jw_kstr(&b, "drift", spec);
    fk_jw_key(&b, "rate_scale");
    fk_jw_double(&b, fk_drift_scale(d));
    fk_jw_close(&b, '}');
    fk_reply_plain(c, 200, &b);
}

void fk_world_grow(struct fk_call *c)
{
    struct fk_server *srv = c->srv;
    uint32_t size = fk_catalog_size(srv->cat);
    int64_t n;
    struct fk_buf b;

    if (fk_param_int(&c->query, "n", 1, FK_CATALOG_MAX, -1, &n) < 0 || n < 0 ||
        n > FK_CATALOG_MAX - (int64_t)size) {
        fk_control_error(c, "n must be a number of new products, the catalog at most 2000000");
        return;
    }
    size += (uint32_t)n;
    fk_catalog_grow(srv->cat, size);
    fk_stats_grow(&srv->stats, size);
    fk_deal_cache_grow(srv->deals, size);
    fk_buf_init(&b, 128);
    fk_jw_open(&b, '{');
    fk_jw_kint(&b, "products", size);
    fk_jw_kint(&b, "added", n);
    fk_jw_kint(&b, "at", fk_clock_wall(fk_clock_elapsed()));
    fk_jw_close(&b, '}');
    fk_reply_plain(c, 200, &b);
}
