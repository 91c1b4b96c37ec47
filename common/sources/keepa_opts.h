/*
 * keepa_opts — the Keepa source's settings, as configuration-table entries that
 * common/sources/settings.h gathers for every program that calls an upstream (scout,
 * processor, freshetctl backfill). M is the member path of struct fr_keepa_config in the
 * program's configuration struct T.
 */
#ifndef FR_KEEPA_OPTS_H
#define FR_KEEPA_OPTS_H

#include <stdint.h>

#include "common/config.h"

struct fr_keepa_config {
    const char *api_key; /* secret: never logged */
    const char *base_url;
    int64_t domain;
    int sellers;           /* the processor looks up buy-box sellers (an enrichment) */
    int64_t seller_ttl_ms; /* how long a looked-up seller is cached in Redis */
};

#define FR_KEEPA_OPTS(T, M)                                                                        \
    {"KEEPA_API_KEY", "keepa-api-key", FR_OPT_SECRET, "", 0, 0, offsetof(T, M.api_key),           \
     "Keepa access key (never logged); required for real Keepa"},                                  \
    {"KEEPA_BASE_URL", "keepa-base-url", FR_OPT_HTTP_URL, "https://api.keepa.com", 0, 0,           \
     offsetof(T, M.base_url), "Keepa endpoint base"},                                              \
    {"KEEPA_DOMAIN", "keepa-domain", FR_OPT_INT, "1", 1, 12, offsetof(T, M.domain),                \
     "Keepa domain id (1 = .com, 2 = .co.uk, 3 = .de, ...; 7 is reserved)"}

/* The processor's: the buy-box seller lookup (keepa_sellers.c). */
#define FR_KEEPA_ENRICH_OPTS(T, M)                                                                 \
    {"FRESHET_SELLERS", "sellers", FR_OPT_BOOL, "true", 0, 0, offsetof(T, M.sellers),              \
     "look up buy-box sellers (cached in Redis)"},                                                 \
    {"FRESHET_SELLER_TTL", "seller-ttl", FR_OPT_DURATION, "1d", 1000, 31536000000,                 \
     offsetof(T, M.seller_ttl_ms), "how long a looked-up seller is cached"}

#endif
