/*
 * keepa_source — the Keepa API as an implementation of common/source.h: /deal pages for
 * discovery (5 tokens a page), /product for details (one token an ASIN, 100 a request),
 * the token envelope of every answer for the budget, /token (free) to learn it, the key
 * redacted from logged URLs, and the buy-box seller lookup as its enrichment step
 * (keepa_sellers.c). Requests and parsing are keepa_url.c and keepa_parse.c.
 */
#ifndef FR_KEEPA_SOURCE_H
#define FR_KEEPA_SOURCE_H

#include "common/source.h"
#include "common/sources/keepa.h"

#define FR_KEEPA_DEAL_COST 5 /* tokens of one /deal page */

extern const struct fr_source_ops fr_keepa_source_ops;

/* The state keepa_source.c opens: its settings and the payload schema. */
struct fr_keepa_state {
    struct fr_keepa_config cfg; /* strings borrowed from the settings (they outlive it) */
    struct fr_schema *schema;   /* schemas/keepa_product.schema.json, once asked for */
};

/* keepa_sellers.c: the enrich hook. */
void fr_keepa_enrich_sellers(void *state, const struct fr_src_env *env,
                             struct fr_src_item *items, size_t n, fr_src_enriched_fn done,
                             void *arg);

/* keepa_source.c: the envelope's figures as the interface says them. */
void fr_keepa_budget_of(const struct fr_keepa_envelope *env, struct fr_src_budget *b);

#endif
