/*
 * keepa_source — Keepa behind common/source.h; see keepa_source.h. The answers are
 * parsed by keepa_parse.c; this file turns its structs into the interface's.
 */
#include "common/sources/keepa_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/jsonschema.h"
#include "common/mem.h"
#include "common/sources/settings.h"

#define PRODUCT_STATS_DAYS 90 /* stats=90: the analysis's averages */
#define THROTTLE_SLACK_MS 100 /* waited past refillIn, so the refill has landed */
#define BARE_429_WAIT_MS 1000 /* a 429 without refillIn: wait this, then ask /token */

void fr_keepa_budget_of(const struct fr_keepa_envelope *env, struct fr_src_budget *b)
{
    memset(b, 0, sizeof(*b));
    b->known = env->has_tokens;
    b->remaining = env->tokens_left;
    b->reset_in_ms = env->refill_in;
    b->rate = env->refill_rate;
    b->server_ms = env->timestamp;
    b->charged = env->tokens_consumed;
}

static int open_keepa(const char *name, const struct fr_source_settings *set, void **state,
                      struct fr_src_limits *lim, struct fr_error *err)
{
    struct fr_keepa_state *k = fr_xcalloc(1, sizeof(*k));

    (void)name; /* any name: the default built-in source serves names of their own */
    (void)err;
    k->cfg = set->keepa;
    *state = k;
    lim->indexed = 1;
    lim->discover_cost = FR_KEEPA_DEAL_COST;
    lim->detail_cost_per_id = 1; /* /product without offers: one token an ASIN */
    lim->detail_cost_per_request = 0;
    lim->max_ids = FR_KEEPA_MAX_ASINS;
    return 0;
}

static void close_keepa(void *state)
{
    struct fr_keepa_state *k = state;

    if (k == NULL)
        return;
    fr_schema_free(k->schema);
    free(k);
}

static const char *missing_credentials(const void *state)
{
    const struct fr_keepa_state *k = state;

    return k->cfg.api_key != NULL && *k->cfg.api_key ? ""
                                                     : "KEEPA_API_KEY (or --keepa-api-key)";
}

static void redact(const void *state, const char *url, char *out, size_t n)
{
    (void)state;
    fr_keepa_redact(url, out, n);
}

static int discover_request(void *state, const struct fr_src_position *at,
                            struct fr_src_request *req, struct fr_error *err)
{
    struct fr_keepa_state *k = state;

    (void)err;
    memset(req, 0, sizeof(*req));
    req->url = fr_keepa_url_deal(&k->cfg);
    req->body = fr_keepa_deal_body(&k->cfg, (int)at->page);
    req->content_type = "application/json";
    req->endpoint = "deal";
    req->cost = FR_KEEPA_DEAL_COST;
    return 0;
}

static json_t *price_or_null(int32_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

/* What a known item's payload is compared with: the deal's current prices. */
static json_t *deal_signal(const struct fr_keepa_deal *d)
{
    return json_pack("{soso}", "price_amazon", price_or_null(d->current_amazon), "price_new",
                     price_or_null(d->current_new));
}

static int discover_parse(void *state, const struct fr_src_answer *a, struct fr_src_page *page,
                          struct fr_src_budget *budget, struct fr_error *err)
{
    struct fr_keepa_envelope env;
    struct fr_keepa_deal *deals = NULL;
    size_t n = 0, skipped = 0;
    int rc;

    (void)state;
    memset(page, 0, sizeof(*page));
    /* the listing itself is not kept (lim.signal_of_listing is 0): only the prices */
    rc = fr_keepa_parse_deal_prices(a->body, a->body_len, &env, &deals, &n, &skipped, err);
    fr_keepa_budget_of(&env, budget);
    if (rc != 0)
        return rc;
    page->recs = fr_xcalloc(n ? n : 1, sizeof(*page->recs));
    page->n = n;
    page->skipped = skipped;
    page->last = n + skipped < FR_KEEPA_DEAL_PAGE;
    for (size_t i = 0; i < n; i++) {
        fr_strlcpy(page->recs[i].id, deals[i].asin, sizeof(page->recs[i].id));
        page->recs[i].signal = deal_signal(&deals[i]);
    }
    fr_keepa_deals_free(deals, n);
    return 0;
}

static int detail_request(void *state, const char *const *ids, size_t n,
                          struct fr_src_request *req, struct fr_error *err)
{
    struct fr_keepa_state *k = state;

    (void)err;
    memset(req, 0, sizeof(*req));
    req->url = fr_keepa_url_product(&k->cfg, ids, n, PRODUCT_STATS_DAYS, 1);
    req->endpoint = "product";
    req->cost = (int64_t)n;
    return 0;
}

static void to_item(struct fr_keepa_product *p, struct fr_src_item *it)
{
    fr_strlcpy(it->id, p->asin, sizeof(it->id));
    it->status = p->status == FR_KEEPA_OK        ? FR_SRC_ITEM_OK
                 : p->status == FR_KEEPA_INVALID ? FR_SRC_ITEM_GONE
                                                 : FR_SRC_ITEM_BAD;
    fr_strlcpy(it->reason, p->reason, sizeof(it->reason));
    it->payload = p->payload;
    p->payload = NULL;
    memcpy(it->content_hash, p->content_hash, sizeof(it->content_hash));
    it->observed_at_ms = p->observed_at_ms;
    it->seed_interval_s = p->seed_interval_s;
    it->obs.price_amazon = p->price_amazon;
    it->obs.price_new = p->price_new;
    it->obs.sales_rank = p->sales_rank;
    fr_strlcpy(it->obs.buybox_seller_id, p->buybox_seller_id, sizeof(it->obs.buybox_seller_id));
}

static int detail_parse(void *state, const char *const *ids, size_t nids,
                        const struct fr_src_answer *a, struct fr_src_item **items, size_t *n,
                        struct fr_src_budget *budget, struct fr_error *err)
{
    struct fr_keepa_envelope env;
    struct fr_keepa_product *products = NULL;
    size_t np = 0;
    int rc;

    (void)state;
    (void)ids; /* every product names its asin */
    (void)nids;
    *items = NULL;
    *n = 0;
    rc = fr_keepa_parse_products(a->body, a->body_len, &env, &products, &np, err);
    fr_keepa_budget_of(&env, budget);
    if (rc != 0)
        return rc;
    *items = fr_xcalloc(np ? np : 1, sizeof(**items));
    for (size_t i = 0; i < np; i++)
        to_item(&products[i], &(*items)[i]);
    *n = np;
    fr_keepa_products_free(products, np);
    return 0;
}

static int schema(void *state, const struct fr_schema **out, struct fr_error *err)
{
    struct fr_keepa_state *k = state;
    int rc = 0;

    if (k->schema == NULL)
        rc = fr_schema_load("keepa_product", &k->schema, err);
    *out = k->schema;
    return rc;
}

static int budget_request(void *state, struct fr_src_request *req, struct fr_error *err)
{
    struct fr_keepa_state *k = state;

    (void)err;
    memset(req, 0, sizeof(*req));
    req->url = fr_keepa_url_token(&k->cfg);
    req->endpoint = "token";
    return 0;
}

/* The envelope of an answer's body, zeroed when there is none (a 429 may come bare). */
static int envelope(const struct fr_src_answer *a, struct fr_keepa_envelope *env,
                    struct fr_error *err)
{
    json_t *root = NULL;
    int rc;

    memset(env, 0, sizeof(*env));
    if ((rc = fr_json_parse(a->body, a->body_len, &root, err)) != 0)
        return rc;
    rc = fr_keepa_parse_envelope(root, env, err);
    json_decref(root);
    return rc;
}

static int budget_parse(void *state, const struct fr_src_answer *a, struct fr_src_budget *budget,
                        struct fr_error *err)
{
    struct fr_keepa_envelope env;
    int rc;

    (void)state;
    rc = envelope(a, &env, err);
    fr_keepa_budget_of(&env, budget);
    return rc;
}

static void classify(void *state, const struct fr_src_answer *a, struct fr_src_verdict *v)
{
    struct fr_keepa_envelope env;
    int status = a->status;

    (void)state;
    memset(v, 0, sizeof(*v));
    if (a->body_len > 0)
        envelope(a, &env, NULL);
    else
        memset(&env, 0, sizeof(env));
    fr_keepa_budget_of(&env, &v->budget);
    if (status == 429) {
        /* Without refillIn (a bare 429) we do not know how long: pause briefly and ask
         * /token, which is free, rather than sit out a whole refill period. */
        v->pause_ms = env.refill_in > 0 ? env.refill_in + THROTTLE_SLACK_MS : BARE_429_WAIT_MS;
        v->resync = env.refill_in <= 0;
        v->cls = FR_SRC_THROTTLED;
        snprintf(v->reason, sizeof(v->reason), "429: out of tokens, refill in %lldms",
                 (long long)v->pause_ms);
    } else if (status == 400 || status == 402 || status == 401 || status == 403) {
        v->cls = FR_SRC_FATAL;
        snprintf(v->reason, sizeof(v->reason), "%d from upstream%s%s%s%s: never retried", status,
                 env.error_type[0] ? " " : "", env.error_type, env.error_message[0] ? ": " : "",
                 env.error_message);
    } else {
        v->cls = FR_SRC_RETRY;
        snprintf(v->reason, sizeof(v->reason), "%d from upstream%s%s", status,
                 env.error_message[0] ? ": " : "", env.error_message);
    }
}

const struct fr_source_ops fr_keepa_source_ops = {
    .kind = "keepa",
    .id_hint = "an ASIN is 10 characters A-Z 0-9",
    .key_hint = "KEEPA_API_KEY, KEEPA_DOMAIN and the plan",
    .omitted = "upstream omitted the product from its answer",
    .open = open_keepa,
    .close = close_keepa,
    .missing_credentials = missing_credentials,
    .valid_id = fr_keepa_valid_asin,
    .redact = redact,
    .discover_request = discover_request,
    .discover_parse = discover_parse,
    .detail_request = detail_request,
    .detail_parse = detail_parse,
    .schema = schema,
    .payload_text = fr_keepa_payload_dump,
    .budget_request = budget_request,
    .budget_parse = budget_parse,
    .classify = classify,
    .enrich = fr_keepa_enrich_sellers,
};
