/*
 * product.c - /product: parameter validation, token cost and the response.
 *
 * Cost (REFERENCE A3): 1 token per ASIN requested, or 6 per product when
 * offers=N is given. Unknown ASINs are charged too and answered with a
 * productType 4 entry, as Keepa does.
 */
#include "product.h"

#include "api.h"
#include "clock.h"
#include "params.h"
#include "reply.h"

#include <ctype.h>
#include <string.h>

struct product_req {
    struct fk_product_opts o;
    struct fk_span asins[FK_PRODUCT_MAX_ASINS + 1];
    size_t n;
};

/* A stats bound: epoch milliseconds or an ISO date such as 2024-01-31. */
static int stats_bound_ok(const char *s, size_t len)
{
    if (len == 0 || len > 32)
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]) && strchr("-:TZ.", s[i]) == NULL)
            return 0;
    }
    return 1;
}

/* stats=N (days) or stats=START,END; the latter uses a 180-day average. */
static int parse_stats(const struct evkeyvalq *q, int64_t *days)
{
    const char *v = evhttp_find_header(q, "stats");
    const char *comma;

    *days = 90;
    if (v == NULL)
        return 0;
    if (fk_parse_int(v, 0, 100000, days) == 0) {
        if (*days == 0)
            *days = 90;
        return 0;
    }
    comma = strchr(v, ',');
    *days = 180;
    if (comma == NULL || !stats_bound_ok(v, (size_t)(comma - v)) ||
        !stats_bound_ok(comma + 1, strlen(comma + 1)))
        return -1;
    return 0;
}

/* The 0/1 switches Keepa documents for /product. */
static int flags_ok(const struct evkeyvalq *q)
{
    static const char *const names[] = {"buybox", "rating", "only-live-offers", "stock",
                                        "videos", "aplus", "rental", "historical-variations"};
    int64_t v;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (fk_param_int(q, names[i], 0, 1, 0, &v) < 0)
            return 0;
    }
    return 1;
}

/* Validates the request into r; on error replies 400 and returns -1. */
static int parse_request(struct fk_call *c, struct product_req *r)
{
    const struct evkeyvalq *q = &c->query;
    const char *list = evhttp_find_header(q, "asin");

    if (fk_api_domain(c, &r->o.domain) < 0)
        return -1;
    r->n = list ? fk_split_list(list, r->asins, FK_PRODUCT_MAX_ASINS) : 0;
    if (r->n == 0 || r->n > FK_PRODUCT_MAX_ASINS) {
        fk_reply_param(c, "asin must be a comma-separated list of 1 to 100 ASINs");
        return -1;
    }
    if (parse_stats(q, &r->o.stats_days) < 0) {
        fk_reply_param(c, "stats must be a number of days or START,END");
        return -1;
    }
    if (fk_param_int(q, "history", 0, 1, 1, &r->o.history) < 0 ||
        fk_param_int(q, "days", 1, 100000, 0, &r->o.days) < 0 ||
        fk_param_int(q, "update", -1, 1000000, 1, &(int64_t){0}) < 0 || !flags_ok(q)) {
        fk_reply_param(c, "history, days, update or a 0/1 switch has a bad value");
        return -1;
    }
    if (fk_param_int(q, "offers", 20, 100, 0, &r->o.offers) < 0) {
        fk_reply_param(c, "offers must be between 20 and 100");
        return -1;
    }
    return 0;
}

void fk_product_handle(struct fk_call *c, struct fk_key *key)
{
    struct product_req r;
    struct fk_buf b;
    int64_t cost, now;
    int agent;

    if (parse_request(c, &r) < 0)
        return;
    cost = (int64_t)r.n * (r.o.offers > 0 ? 6 : 1);
    if (fk_api_admit(c, key, cost) < 0)
        return;
    now = fk_clock_elapsed();
    agent = fk_stats_agent(&c->srv->stats, evhttp_find_header(
                                               evhttp_request_get_input_headers(c->req),
                                               "User-Agent"));
    fk_buf_init(&b, r.n * 2048 + 512);
    fk_jw_open(&b, '{');
    fk_jw_key(&b, "products");
    fk_jw_open(&b, '[');
    for (size_t i = 0; i < r.n; i++) {
        int64_t idx = fk_product_render(c->srv, &r.o, r.asins[i].p, r.asins[i].len, now, &b);
        if (!c->charge)
            continue;
        fk_stats_served(&c->srv->stats, idx, now, agent);
        if (idx >= 0)
            fk_catalog_served(c->srv->cat, (uint32_t)idx, now);
    }
    fk_jw_close(&b, ']');
    fk_reply_api(c, 200, &b, key, cost);
}
