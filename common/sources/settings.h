/*
 * settings — what the programs that call an upstream (scout, processor, freshetctl
 * backfill) configure for the built-in sources, gathered in one struct and one list of
 * configuration-table entries, so those programs name no upstream. A program embeds
 * struct fr_source_settings as the member `src` of its configuration struct T, lists
 * FR_SOURCE_OPTS(T) in its table (the processor FR_SOURCE_ENRICH_OPTS(T) too) and
 * passes &cfg.src to fr_source_open() (common/source.h).
 */
#ifndef FR_SOURCES_SETTINGS_H
#define FR_SOURCES_SETTINGS_H

#include <stdint.h>

#include "common/config.h"
#include "common/sources/keepa_opts.h"

struct fr_source_settings {
    const char *sources_dir; /* where declared sources' files are; NULL: fr_decl_dir() */
    struct fr_keepa_config keepa;
    int64_t max_body;   /* bytes; larger responses are refused while streaming */
    int64_t timeout_ms; /* per request */
};

#define FR_SOURCE_OPTS(T)                                                                          \
    FR_KEEPA_OPTS(T, src.keepa),                                                                   \
    {"FRESHET_MAX_BODY", "max-body", FR_OPT_INT, "33554432", 1024, 1073741824,                     \
     offsetof(T, src.max_body), "largest upstream response accepted, in bytes"},                   \
    {"FRESHET_HTTP_TIMEOUT", "http-timeout", FR_OPT_DURATION, "60s", 100, 600000,                  \
     offsetof(T, src.timeout_ms), "time limit of one upstream request"}

/* Settings of the processor's enrichment steps. */
#define FR_SOURCE_ENRICH_OPTS(T) FR_KEEPA_ENRICH_OPTS(T, src.keepa)

#endif
