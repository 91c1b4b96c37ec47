/*
 * keepa_opts — the Keepa settings shared by every program that calls the API
 * (scout, processor, freshetctl backfill), as configuration-table entries.
 */
#ifndef FR_KEEPA_OPTS_H
#define FR_KEEPA_OPTS_H

#include <stdint.h>

#include "common/config.h"

struct fr_keepa_config {
    const char *api_key; /* secret: never logged */
    const char *base_url;
    int64_t domain;
    int64_t max_body;    /* bytes; larger responses are refused while streaming */
    int64_t timeout_ms;  /* per request */
};

#define FR_KEEPA_OPTS(T)                                                                           \
    {"KEEPA_API_KEY", "keepa-api-key", FR_OPT_SECRET, "", 0, 0, offsetof(T, keepa.api_key),       \
     "Keepa access key (never logged); required for real Keepa"},                                  \
    {"KEEPA_BASE_URL", "keepa-base-url", FR_OPT_HTTP_URL, "https://api.keepa.com", 0, 0,           \
     offsetof(T, keepa.base_url), "Keepa endpoint base"},                                          \
    {"KEEPA_DOMAIN", "keepa-domain", FR_OPT_INT, "1", 1, 12, offsetof(T, keepa.domain),            \
     "Keepa domain id (1 = .com, 2 = .co.uk, 3 = .de, ...; 7 is reserved)"},                       \
    {"FRESHET_MAX_BODY", "max-body", FR_OPT_INT, "33554432", 1024, 1073741824,                     \
     offsetof(T, keepa.max_body), "largest upstream response accepted, in bytes"},                 \
    {"FRESHET_HTTP_TIMEOUT", "http-timeout", FR_OPT_DURATION, "60s", 100, 600000,                  \
     offsetof(T, keepa.timeout_ms), "time limit of one upstream request"}

#endif
