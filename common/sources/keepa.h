/*
 * keepa — the Keepa API as freshet speaks it: request URLs and bodies (keepa_url.c),
 * the response envelope and the /product, /deal and /seller payloads (keepa_parse.c),
 * and the normalization of one product into the record stored in items.payload
 * (keepa_product.c; its shape is schemas/keepa_product.schema.json).
 *
 * Nothing here logs or touches the network: callers pass bodies in and get structs and
 * jansson values out. Every body is parsed as untrusted input: a whole-body problem
 * (not JSON, not an object, no payload array) is FR_ERR_DATA with a reason, a problem
 * confined to one product marks that product FR_KEEPA_BAD with a reason and the other
 * products still parse. Keepa facts are in /work/shared/REFERENCE.md, part A.
 */
#ifndef FR_KEEPA_H
#define FR_KEEPA_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/sources/keepa_opts.h"

/* Keepa minute 0 is 2011-01-01T00:00Z: unix_ms = (minute + 21564000) * 60000. */
#define FR_KEEPA_EPOCH_MINUTE 21564000
#define FR_KEEPA_MAX_ASINS 100   /* ids per /product or /seller request */
#define FR_KEEPA_DEAL_PAGE 150   /* deals per full /deal page */
#define FR_KEEPA_CSV_TYPES 36    /* csv[] indices known (CsvType 0..35) */
#define FR_KEEPA_TITLE_MAX 10000 /* code points; a longer title is a malformed record */
#define FR_KEEPA_TEXT_MAX 1000   /* code points of brand, manufacturer, seller names */

/* CsvType indices freshet reads. */
enum {
    FR_KEEPA_CSV_AMAZON = 0,
    FR_KEEPA_CSV_NEW = 1,
    FR_KEEPA_CSV_SALES = 3,
    FR_KEEPA_CSV_COUNT_NEW = 11,
    FR_KEEPA_CSV_RATING = 16,
    FR_KEEPA_CSV_COUNT_REVIEWS = 17,
    FR_KEEPA_CSV_BUY_BOX = 18,
};

/* ---- request building (keepa_url.c) ----------------------------------------------- */

/*
 * All builders return a new string (free() it). The key is percent-encoded, a trailing
 * '/' of base_url is dropped. Ids are written as given (percent-encoded, comma-joined):
 * validate them with fr_keepa_valid_asin() first.
 */

/* <base>/product?key=K&domain=D&asin=A,B[&stats=N]&history=0|1; stats_days <= 0 omits
 * stats. */
char *fr_keepa_url_product(const struct fr_keepa_config *c, const char *const *asins, size_t n,
                           int stats_days, int history);
/* <base>/deal?key=K: the POST target; the body is fr_keepa_deal_body(). */
char *fr_keepa_url_deal(const struct fr_keepa_config *c);
/* The deal selection (compact JSON): Amazon price type, deals of the last week, newest
 * change first, no filters. page is 0-based. */
char *fr_keepa_deal_body(const struct fr_keepa_config *c, int page);
/* <base>/deal?key=K&domain=D&selection=<percent-encoded fr_keepa_deal_body()>: GET form. */
char *fr_keepa_url_deal_get(const struct fr_keepa_config *c, int page);
/* <base>/seller?key=K&domain=D&seller=S1,S2 */
char *fr_keepa_url_seller(const struct fr_keepa_config *c, const char *const *ids, size_t n);
/* <base>/token?key=K: free, returns the envelope only. */
char *fr_keepa_url_token(const struct fr_keepa_config *c);

/* Copies url into out[n] (always terminated, truncated if needed) with the value of every
 * "key" query parameter replaced by "***". */
void fr_keepa_redact(const char *url, char *out, size_t n);

/* 1 when s is exactly 10 characters of [A-Z0-9] (ASIN or ISBN-10), else 0. */
int fr_keepa_valid_asin(const char *s);
/* 1 for a Keepa domain id (1..12 except the reserved 7), else 0. */
int fr_keepa_valid_domain(int64_t d);
/* Keepa minutes to unix milliseconds; saturates instead of overflowing. */
int64_t fr_keepa_minutes_to_ms(int64_t m);

/* ---- the envelope (keepa_parse.c) --------------------------------------------------- */

struct fr_keepa_envelope {
    int64_t timestamp;       /* server time, unix ms */
    int64_t tokens_left;     /* can be negative */
    int64_t refill_in;       /* ms until the next refill */
    int64_t refill_rate;     /* tokens per minute */
    int64_t tokens_consumed; /* charged for this call: trust it over any estimate */
    int64_t processing_ms;
    double token_flow_reduction;
    /* 0 when the token fields are absent or zero (Keepa sends all-zero token fields with
     * parameter errors): the caller must not overwrite its budget estimate then.
     * Set when refillRate > 0. */
    int has_tokens;
    char error_type[64];     /* error.type, "" if none */
    char error_message[256]; /* error.message (or a bare string error), "" if none */
};

/* Reads the envelope fields of a response object into env (zeroed first). Missing fields
 * stay 0; a field of the wrong type is FR_ERR_DATA naming it. */
int fr_keepa_parse_envelope(const json_t *root, struct fr_keepa_envelope *env,
                            struct fr_error *err);

/* ---- /product ----------------------------------------------------------------------- */

enum fr_keepa_status {
    FR_KEEPA_OK = 0,      /* payload set */
    FR_KEEPA_INVALID = 1, /* productType 4: upstream says the ASIN does not exist (final) */
    FR_KEEPA_BAD = 2,     /* malformed record: reason names the field */
};

struct fr_keepa_product {
    char asin[16];          /* "" when the entry had no usable asin (caller ignores it) */
    int status;             /* enum fr_keepa_status */
    char reason[200];       /* why INVALID or BAD; "" when OK */
    json_t *payload;        /* new reference, the normalized record (OK only, else NULL) */
    char content_hash[17];  /* see fr_keepa_content_hash(); "" unless OK */
    int64_t observed_at_ms; /* the record's own version time: newest timestamp of csv
                               AMAZON/NEW/SALES/BUY_BOX and lastPriceChange, else
                               trackingSince, else lastUpdate, else 0 */
    int32_t price_amazon, price_new, sales_rank; /* -1 = none */
    char buybox_seller_id[32];                   /* "" = none */
    int64_t seed_interval_s; /* median gap between consecutive price changes of csv
                                AMAZON/NEW (seconds); 0 with fewer than 2 changes */
};

/*
 * Parses a /product response body. On success *out is a new array of *n products (free
 * with fr_keepa_products_free) and env (may be NULL) holds the envelope. A whole-body
 * problem (not JSON, not an object, no or empty "products" array) is FR_ERR_DATA with
 * *out NULL and *n 0; env is still filled when the body was a JSON object. Members of a
 * product the normalizer never reads are cut before parsing and so not checked: a bad
 * number or invalid UTF-8 there no longer makes the whole body invalid.
 */
int fr_keepa_parse_products(const char *body, size_t len, struct fr_keepa_envelope *env,
                            struct fr_keepa_product **out, size_t *n, struct fr_error *err);
void fr_keepa_products_free(struct fr_keepa_product *p, size_t n);

/* Normalizes one "products" entry into p (zeroed first; release p->payload with
 * json_decref). Never fails as a call: the outcome is p->status. */
void fr_keepa_product_normalize(const json_t *entry, struct fr_keepa_product *p);

/* The csv arrays of a body pruned with a capture rule (common/jsonprune.h): in the
 * parsed products each array element of "csv" is an empty placeholder, and the k-th of
 * them in document order has its text at body + spans[k]. first is the index of the
 * entry's first one. All borrowed. */
struct fr_jsonprune_span;
struct fr_keepa_csv_text {
    const char *body;
    const struct fr_jsonprune_span *spans;
    size_t n, first;
};

/* fr_keepa_product_normalize() of an entry whose csv arrays were captured (text NULL:
 * they were not). */
void fr_keepa_product_normalize_text(const json_t *entry, const struct fr_keepa_csv_text *text,
                                     struct fr_keepa_product *p);

/* Hash of a normalized payload without the members that change on every fetch
 * (last_update, analysis, which moves with the clock, and seller, filled later), so an
 * unchanged product keeps its hash. 16 hex characters into out[17]. */
int fr_keepa_content_hash(const json_t *payload, char out[17], struct fr_error *err);

/* Compact text of a payload, keys in the order built and reals written with 15
 * significant digits ("12.3", not jansson's default "12.300000000000001"), for storing
 * in jsonb; new string (free() it). The content hash does not depend on it. */
char *fr_keepa_payload_dump(const json_t *payload);

/* ---- csv series ------------------------------------------------------------------ */

struct fr_keepa_series; /* keepa_analysis.h */

/* 1 when csv[type] comes as triplets [t, price, shipping] (7, 18..29, 32). */
int fr_keepa_csv_is_triplet(int type);

/* Decodes csv series arr (a JSON array, or null/NULL for an absent series) of CsvType
 * type into out (owned by the caller: fr_keepa_series_release). Each point's value is
 * the price (or rank, count) and, for triplets, shipping separately. FR_ERR_DATA when the
 * length is not a multiple of the stride, an element is not an integer, a time is out of
 * range or times go backwards. */
int fr_keepa_decode_series(const json_t *arr, int type, struct fr_keepa_series *out,
                           struct fr_error *err);

/* The same from the text of a JSON value (len bytes, not NUL-terminated): a series is
 * read without a JSON value per number, with the results and errors the parsed array
 * would give; text that is not JSON is FR_ERR_DATA too. */
int fr_keepa_decode_series_text(const char *text, size_t len, int type,
                                struct fr_keepa_series *out, struct fr_error *err);

/* ---- /deal -------------------------------------------------------------------------- */

struct fr_keepa_deal {
    char asin[16];
    int32_t current_amazon, current_new; /* the listed prices, -1 when none */
    /* new reference: {asin, title, root_category, categories, image, current_amazon,
     * current_new, delta_pct_day, last_update, creation_date}; see
     * schemas/keepa_deal.schema.json. NULL from fr_keepa_parse_deal_prices. */
    json_t *deal;
};

/*
 * Parses a /deal response. *out gets the deals of deals.dr with a valid ASIN (new array;
 * fr_keepa_deals_free), *skipped (may be NULL) how many entries were dropped for a
 * missing or invalid ASIN, so *n + *skipped is the raw page size (a page shorter than
 * FR_KEEPA_DEAL_PAGE is the last). "deals" missing or not an object is FR_ERR_DATA; an
 * object without "dr" is an empty page.
 */
int fr_keepa_parse_deals(const char *body, size_t len, struct fr_keepa_envelope *env,
                         struct fr_keepa_deal **out, size_t *n, size_t *skipped,
                         struct fr_error *err);

/* The same for a caller that needs only each deal's asin and listed prices (the scout,
 * which keeps no listing for this source): everything else of a deal is cut before
 * parsing, so it is neither read nor checked, and deal is NULL. */
int fr_keepa_parse_deal_prices(const char *body, size_t len, struct fr_keepa_envelope *env,
                               struct fr_keepa_deal **out, size_t *n, size_t *skipped,
                               struct fr_error *err);
void fr_keepa_deals_free(struct fr_keepa_deal *d, size_t n);

/* Decodes a deal "image" (int[] of ASCII codes) into the image URL; new string or NULL
 * when absent or not a plain file name. */
char *fr_keepa_image_url_from_codes(const json_t *codes);

/* ---- /seller ----------------------------------------------------------------------- */

/*
 * Parses a /seller response into *sellers, a new object keyed by seller id:
 * {"<id>": {"id", "name" (string|null), "rating" (percent|null), "rating_count"
 * (int|null), "has_fba" (bool)}}. Entries that are not objects (ids Keepa did not find)
 * are left out; "sellers" missing or null is an empty object, another type FR_ERR_DATA.
 */
int fr_keepa_parse_sellers(const char *body, size_t len, struct fr_keepa_envelope *env,
                           json_t **sellers, struct fr_error *err);

#endif
