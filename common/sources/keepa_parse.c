/*
 * keepa_parse — response bodies: the envelope every answer carries, csv series, and the
 * /product, /deal and /seller payloads (one product's normalization is keepa_product.c).
 * See keepa.h for the contract; bodies are untrusted input.
 */
#include "common/sources/keepa.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/jsonprune.h"
#include "common/jsonschema.h"
#include "common/mem.h"
#include "common/sources/keepa_analysis.h"

#define IMAGE_BASE "https://m.media-amazon.com/images/I/"
#define IMAGE_NAME_MAX 200

/* ---- envelope ----------------------------------------------------------------------- */

static int env_int(const json_t *root, const char *key, int64_t *out, struct fr_error *err)
{
    const json_t *v = json_object_get(root, key);

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return fr_error_set(err, FR_ERR_DATA, "envelope field '%s' must be an integer", key);
    *out = json_integer_value(v);
    return 0;
}

static int env_error(const json_t *e, struct fr_keepa_envelope *env, struct fr_error *err)
{
    const json_t *type, *msg;

    if (e == NULL || json_is_null(e))
        return 0;
    if (json_is_string(e)) {
        fr_strlcpy(env->error_message, json_string_value(e), sizeof(env->error_message));
        return 0;
    }
    if (!json_is_object(e))
        return fr_error_set(err, FR_ERR_DATA, "envelope field 'error' must be an object");
    type = json_object_get(e, "type");
    msg = json_object_get(e, "message");
    if ((type != NULL && !json_is_null(type) && !json_is_string(type)) ||
        (msg != NULL && !json_is_null(msg) && !json_is_string(msg)))
        return fr_error_set(err, FR_ERR_DATA,
                            "envelope fields 'error.type' and 'error.message' must be strings");
    if (json_is_string(type))
        fr_strlcpy(env->error_type, json_string_value(type), sizeof(env->error_type));
    if (json_is_string(msg))
        fr_strlcpy(env->error_message, json_string_value(msg), sizeof(env->error_message));
    return 0;
}

int fr_keepa_parse_envelope(const json_t *root, struct fr_keepa_envelope *env, struct fr_error *err)
{
    const json_t *tfr;
    int rc = 0;

    memset(env, 0, sizeof(*env));
    if (!json_is_object(root))
        return fr_error_set(err, FR_ERR_DATA, "response is not a json object");
    rc = env_int(root, "timestamp", &env->timestamp, err);
    if (rc == 0)
        rc = env_int(root, "tokensLeft", &env->tokens_left, err);
    if (rc == 0)
        rc = env_int(root, "refillIn", &env->refill_in, err);
    if (rc == 0)
        rc = env_int(root, "refillRate", &env->refill_rate, err);
    if (rc == 0)
        rc = env_int(root, "tokensConsumed", &env->tokens_consumed, err);
    if (rc == 0)
        rc = env_int(root, "processingTimeInMs", &env->processing_ms, err);
    if (rc != 0)
        return rc;
    tfr = json_object_get(root, "tokenFlowReduction");
    if (tfr != NULL && !json_is_null(tfr)) {
        if (!json_is_number(tfr))
            return fr_error_set(err, FR_ERR_DATA,
                                "envelope field 'tokenFlowReduction' must be a number");
        env->token_flow_reduction = json_number_value(tfr);
    }
    /* Parameter errors come with all-zero token fields: only a refill rate is news. */
    env->has_tokens = env->refill_rate > 0;
    return env_error(json_object_get(root, "error"), env, err);
}

/* ---- csv series ------------------------------------------------------------------- */

int fr_keepa_csv_is_triplet(int type)
{
    return type == 7 || (type >= 18 && type <= 29) || type == 32;
}

/* The checks of a series on its first m of n elements, all integers (v): the length
 * first, then each element in order. */
static int decode_ints(const int64_t *v, size_t m, size_t n, int type,
                       struct fr_keepa_series *out, struct fr_error *err)
{
    size_t stride = fr_keepa_csv_is_triplet(type) ? 3 : 2;

    if (n % stride != 0)
        return fr_error_set(err, FR_ERR_DATA, "has %zu elements, not a multiple of %zu", n, stride);
    out->pts = fr_xcalloc(n / stride ? n / stride : 1, sizeof(*out->pts));
    for (size_t i = 0; i < n; i++) {
        struct fr_keepa_point *p = &out->pts[i / stride];

        if (i >= m)
            goto bad;
        if (i % stride == 0) {
            if (v[i] < 0 || v[i] > INT32_MAX)
                goto bad;
            p->t_ms = fr_keepa_minutes_to_ms(v[i]);
            if (i > 0 && p->t_ms < out->pts[i / stride - 1].t_ms) {
                fr_keepa_series_release(out);
                return fr_error_set(err, FR_ERR_DATA, "time goes backwards at element %zu", i);
            }
        } else if (v[i] < INT32_MIN || v[i] > INT32_MAX) {
            goto bad;
        } else if (i % stride == 1) {
            p->value = (int32_t)v[i];
        } else {
            p->shipping = (int32_t)v[i];
        }
        continue;
    bad:
        fr_keepa_series_release(out);
        return fr_error_set(err, FR_ERR_DATA, "element %zu is not a %s", i,
                            i % stride == 0 ? "keepa minute" : "32-bit integer");
    }
    out->n = n / stride;
    out->present = 1;
    return 0;
}

int fr_keepa_decode_series(const json_t *arr, int type, struct fr_keepa_series *out,
                           struct fr_error *err)
{
    int64_t *v;
    size_t n, m = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (arr == NULL || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return fr_error_set(err, FR_ERR_DATA, "is not an array");
    n = json_array_size(arr);
    v = fr_xmalloc((n ? n : 1) * sizeof(*v));
    while (m < n && json_is_integer(json_array_get(arr, m))) {
        v[m] = json_integer_value(json_array_get(arr, m));
        m++;
    }
    rc = decode_ints(v, m, n, type, out, err);
    free(v);
    return rc;
}

/* An integer as JSON writes one, at t[*i]: 1 read (*i past it), 0 something else. */
static int text_int(const char *t, size_t len, size_t *i, int64_t *out)
{
    size_t k = *i, digits = 0;
    int neg = 0;
    uint64_t v = 0;

    if (k < len && t[k] == '-')
        neg = 1, k++;
    while (k < len && t[k] >= '0' && t[k] <= '9') {
        if (++digits > 18) /* beyond what any checked element may hold: the slow path */
            return 0;
        v = v * 10 + (uint64_t)(t[k++] - '0');
    }
    if (digits == 0 || (k < len && (t[k] == '.' || t[k] == 'e' || t[k] == 'E')))
        return 0;
    *out = neg ? -(int64_t)v : (int64_t)v;
    *i = k;
    return 1;
}

static size_t text_ws(const char *t, size_t len, size_t i)
{
    while (i < len && (t[i] == ' ' || t[i] == '\n' || t[i] == '\r' || t[i] == '\t'))
        i++;
    return i;
}

int fr_keepa_decode_series_text(const char *text, size_t len, int type,
                                struct fr_keepa_series *out, struct fr_error *err)
{
    size_t n = 0, cap = len / 2 + 1, i; /* an element takes two bytes at least */
    int64_t *v;
    json_t *arr;
    json_error_t je;
    int rc;

    memset(out, 0, sizeof(*out));
    i = text_ws(text, len, 0);
    if (i < len && text[i] == '[') {
        i = text_ws(text, len, i + 1);
        if (i < len && text[i] == ']')
            return decode_ints(NULL, 0, 0, type, out, err);
        v = fr_xmalloc(cap * sizeof(*v));
        for (;;) {
            if (n == cap) /* cannot happen: each element and its comma take two bytes */
                break;
            if (!text_int(text, len, &i, &v[n]))
                break;
            n++;
            i = text_ws(text, len, i);
            if (i < len && text[i] == ',') {
                i = text_ws(text, len, i + 1);
                continue;
            }
            if (i < len && text[i] == ']' && text_ws(text, len, i + 1) == len) {
                rc = decode_ints(v, n, n, type, out, err);
                free(v);
                return rc;
            }
            break;
        }
        free(v);
    }
    /* Not only integers: what jansson makes of it says what is wrong, as it always did. */
    arr = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (arr == NULL)
        return fr_error_set(err, FR_ERR_DATA, "is not valid json: %s", je.text);
    rc = fr_keepa_decode_series(arr, type, out, err);
    json_decref(arr);
    return rc;
}

/* ---- bodies ------------------------------------------------------------------------- */

/* NUL inside strings is let through here and refused per field, so one such product
 * does not sink the whole batch. */
#define BODY_FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL)

/* The body parsed, after the nprune rules of prune cut what no reader looks at: jansson's
 * time goes with the number of values. When pruning or the pruned text fails, the whole
 * body is parsed so that errors read as they always did. New reference or NULL. caps
 * (may be NULL when no rule captures) gets what capture rules recorded, and is left
 * empty with *captured 0 when the whole body was parsed instead. */
static json_t *parse_body(const char *body, size_t len, const struct fr_jsonprune_rule *prune,
                          size_t nprune, struct fr_jsonprune_captures *caps, int *captured,
                          json_error_t *je)
{
    json_t *root = NULL;

    *captured = 0;
    if (nprune > 0) {
        char *text = fr_xmalloc(len);
        size_t n;

        if (fr_jsonprune_capture(prune, nprune, body, len, text, len, &n, caps, NULL) == 0)
            root = json_loadb(text, n, BODY_FLAGS, je);
        free(text);
    }
    if (root != NULL) {
        *captured = caps != NULL;
        return root;
    }
    if (caps != NULL)
        caps->n = 0;
    return json_loadb(body, len, BODY_FLAGS, je);
}

static int load_body(const char *body, size_t len, const char *what,
                     const struct fr_jsonprune_rule *prune, size_t nprune,
                     struct fr_jsonprune_captures *caps, int *captured,
                     struct fr_keepa_envelope *env, json_t **root, struct fr_error *err)
{
    struct fr_keepa_envelope local;
    json_error_t je;
    int rc, cap_local;

    *root = NULL;
    if (captured == NULL)
        captured = &cap_local;
    if (env == NULL)
        env = &local;
    memset(env, 0, sizeof(*env));
    if (body == NULL || len == 0)
        return fr_error_set(err, FR_ERR_DATA, "%s response is empty", what);
    *root = parse_body(body, len, prune, nprune, caps, captured, &je);
    if (*root == NULL)
        return fr_error_set(err, FR_ERR_DATA,
                            "%s response is not valid json: line %d column %d: %s", what, je.line,
                            je.column, je.text);
    rc = fr_keepa_parse_envelope(*root, env, err);
    if (rc != 0) {
        fr_error_prefix(err, "%s response", what);
        json_decref(*root);
        *root = NULL;
    }
    return rc;
}

/* FR_ERR_DATA for a missing payload member, quoting Keepa's own error when there is one. */
static int missing(const char *what, const struct fr_keepa_envelope *env, struct fr_error *err)
{
    if (env->error_type[0] != '\0' || env->error_message[0] != '\0')
        return fr_error_set(err, FR_ERR_DATA, "%s (keepa error '%s': %s)", what, env->error_type,
                            env->error_message);
    return fr_error_set(err, FR_ERR_DATA, "%s", what);
}

/* What fr_keepa_product_normalize() reads of a product (keepa_product.c), and no more:
 * stats' other averages, offers, descriptions and the like are most of a /product body.
 * Members it only checks for type are kept too, or a BAD product would turn OK. Arrays
 * are cut only where it reads fixed indexes: stats.current[AMAZON..BUY_BOX],
 * stats.avg90[AMAZON or NEW], images[0].l/.m. Keep in step with keepa_product.c; the test
 * keepa_product/pruned_parse_matches_full_parse compares with a whole-body parse. */
static const char *const product_members[] = {
    "asin", "productType", "domainId",                       /* read_identity */
    "title", "brand", "manufacturer",                        /* put_text */
    "monthlySold", "parentAsin",                             /* read_misc */
    "categories", "rootCategory", "imagesCSV", "images",     /* read_categories, read_image */
    "lastUpdate", "lastPriceChange", "trackingSince",        /* read_times */
    "csv", "stats", "salesRanks", "buyBoxSellerIdHistory"};  /* read_csv, read_rank, read_buybox */
static const char *const product_stats_members[] = {"current", "avg90", "buyBoxPrice",
                                                    "buyBoxShipping", "buyBoxSellerId"};
static const char *const product_image_members[] = {"l", "m"};
static const struct fr_jsonprune_rule product_prune[] = {
    {"products[]", product_members, sizeof(product_members) / sizeof(product_members[0]), 0, 0},
    {"products[].stats", product_stats_members,
     sizeof(product_stats_members) / sizeof(product_stats_members[0]), 0, 0},
    {"products[].stats.current", NULL, 0, FR_KEEPA_CSV_BUY_BOX + 1, 0},
    {"products[].stats.avg90", NULL, 0, FR_KEEPA_CSV_NEW + 1, 0},
    {"products[].images", NULL, 0, 1, 0},
    {"products[].images[]", product_image_members,
     sizeof(product_image_members) / sizeof(product_image_members[0]), 0, 0},
    {"products[].csv[]", NULL, 0, 0, 1}, /* read as text: fr_keepa_decode_series_text */
};

/* How many of a product's csv elements are arrays: the captures it owns. */
static size_t csv_arrays(const json_t *entry)
{
    const json_t *csv = json_object_get(entry, "csv");
    size_t n = 0;

    for (size_t i = 0; json_is_array(csv) && i < json_array_size(csv); i++)
        n += json_is_array(json_array_get(csv, i));
    return n;
}

int fr_keepa_parse_products(const char *body, size_t len, struct fr_keepa_envelope *env,
                            struct fr_keepa_product **out, size_t *n, struct fr_error *err)
{
    struct fr_keepa_envelope local;
    struct fr_jsonprune_captures caps = {0};
    json_t *root, *arr;
    int rc, captured = 0;

    *out = NULL;
    *n = 0;
    if (env == NULL)
        env = &local;
    rc = load_body(body, len, "product", product_prune,
                   sizeof(product_prune) / sizeof(product_prune[0]), &caps, &captured, env,
                   &root, err);
    if (rc != 0) {
        fr_jsonprune_captures_release(&caps);
        return rc;
    }
    arr = json_object_get(root, "products");
    if (!json_is_array(arr))
        rc = missing(arr == NULL || json_is_null(arr) ? "no 'products' array in the response"
                                                      : "'products' is not an array",
                     env, err);
    else if (json_array_size(arr) == 0)
        rc = missing("empty 'products' array", env, err);
    if (rc == 0) {
        struct fr_keepa_csv_text text = {body, caps.v, caps.n, 0};

        *n = json_array_size(arr);
        *out = fr_xcalloc(*n, sizeof(**out));
        for (size_t i = 0; i < *n; i++) {
            const json_t *entry = json_array_get(arr, i);
            fr_keepa_product_normalize_text(entry, captured ? &text : NULL, &(*out)[i]);
            /* the next product's arrays come after this one's, however it went */
            text.first += csv_arrays(entry);
        }
    }
    json_decref(root);
    fr_jsonprune_captures_release(&caps);
    return rc;
}

void fr_keepa_products_free(struct fr_keepa_product *p, size_t n)
{
    for (size_t i = 0; p != NULL && i < n; i++)
        json_decref(p[i].payload);
    free(p);
}

/* ---- /deal -------------------------------------------------------------------------- */

static int image_char_ok(json_int_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-' || c == '+' || c == '%';
}

char *fr_keepa_image_url_from_codes(const json_t *codes)
{
    char name[IMAGE_NAME_MAX + 1];
    size_t n = json_array_size(codes);

    if (!json_is_array(codes) || n == 0 || n > IMAGE_NAME_MAX)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const json_t *c = json_array_get(codes, i);
        if (!json_is_integer(c) || !image_char_ok(json_integer_value(c)))
            return NULL;
        name[i] = (char)json_integer_value(c);
    }
    name[n] = '\0';
    return fr_xasprintf(IMAGE_BASE "%s", name);
}

/* A string member as a new json string, or null when absent, not a string, holding NUL,
 * or longer than max code points (deal and seller fields are hints, not records). */
static json_t *text_or_null(const json_t *o, const char *key, long max)
{
    const json_t *v = json_object_get(o, key);
    long cp;

    if (!json_is_string(v))
        return json_null();
    cp = fr_utf8_length(json_string_value(v), json_string_length(v));
    if (cp < 0 || cp > max || strlen(json_string_value(v)) != json_string_length(v))
        return json_null();
    return json_stringn(json_string_value(v), json_string_length(v));
}

static json_t *minute_iso_or_null(const json_t *o, const char *key)
{
    json_int_t m = fr_json_int_or(o, key, 0);
    char iso[40];

    if (m <= 0 || m > INT32_MAX)
        return json_null();
    fr_format_iso8601(fr_keepa_minutes_to_ms(m), iso, sizeof(iso));
    return json_string(iso);
}

static json_t *category_list(const json_t *arr)
{
    json_t *out = json_array();
    size_t i;
    const json_t *c;

    json_array_foreach(arr, i, c)
    {
        if (json_is_integer(c) && json_integer_value(c) >= 0)
            json_array_append_new(out, json_integer(json_integer_value(c)));
    }
    return out;
}

static json_t *csv_index_or_null(const json_t *arr, size_t i)
{
    const json_t *v = json_array_get(arr, i);

    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
        return json_null();
    return json_integer(json_integer_value(v));
}

static json_t *deal_json(const json_t *e, const char *asin)
{
    json_t *d = json_object();
    const json_t *root = json_object_get(e, "rootCat");
    const json_t *dp = json_array_get(json_object_get(e, "deltaPercent"), 0);
    char *img = fr_keepa_image_url_from_codes(json_object_get(e, "image"));
    json_int_t rc = json_is_integer(root) ? json_integer_value(root) : 0;

    json_object_set_new(d, "asin", json_string(asin));
    json_object_set_new(d, "title", text_or_null(e, "title", FR_KEEPA_TITLE_MAX));
    /* 0 and INT64_MAX ("?") both mean Keepa could not tell the root category */
    json_object_set_new(d, "root_category",
                        rc > 0 && rc < INT64_MAX ? json_integer(rc) : json_null());
    json_object_set_new(d, "categories", category_list(json_object_get(e, "categories")));
    json_object_set_new(d, "image", img ? json_string(img) : json_null());
    free(img);
    json_object_set_new(d, "current_amazon",
                        csv_index_or_null(json_object_get(e, "current"), FR_KEEPA_CSV_AMAZON));
    json_object_set_new(d, "current_new",
                        csv_index_or_null(json_object_get(e, "current"), FR_KEEPA_CSV_NEW));
    /* deltaPercent[dateRange DAY][priceType AMAZON], as Keepa computes it */
    {
        const json_t *v = json_array_get(dp, FR_KEEPA_CSV_AMAZON);
        json_object_set_new(d, "delta_pct_day",
                            json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null());
    }
    json_object_set_new(d, "last_update", minute_iso_or_null(e, "lastUpdate"));
    json_object_set_new(d, "creation_date", minute_iso_or_null(e, "creationDate"));
    return d;
}

/* What fr_keepa_parse_deals and deal_json() read of a deal, and no more: the price
 * arrays they skip are over 90% of a page's values. Keep in step with deal_json(); the
 * test keepa_deal/pruned_parse_matches_full_parse compares with a whole-body parse. */
static const char *const deal_members[] = {"asin",         "title",      "rootCat",
                                           "categories",   "image",      "current",
                                           "deltaPercent", "lastUpdate", "creationDate"};
static const struct fr_jsonprune_rule deal_prune[] = {
    {"deals.dr[]", deal_members, sizeof(deal_members) / sizeof(deal_members[0]), 0, 0},
    {"deals.dr[].current", NULL, 0, FR_KEEPA_CSV_NEW + 1, 0},
    {"deals.dr[].deltaPercent", NULL, 0, 1, 0},
    {"deals.dr[].deltaPercent[]", NULL, 0, FR_KEEPA_CSV_AMAZON + 1, 0},
};

/* What fr_keepa_parse_deal_prices reads: the asin and the first prices. */
static const char *const price_members[] = {"asin", "current"};
static const struct fr_jsonprune_rule price_prune[] = {
    {"deals.dr[]", price_members, sizeof(price_members) / sizeof(price_members[0]), 0, 0},
    {"deals.dr[].current", NULL, 0, FR_KEEPA_CSV_NEW + 1, 0},
};

/* current[idx] when it is a price (an integer in 0..INT32_MAX), else -1. */
static int32_t listed_price(const json_t *e, size_t idx)
{
    const json_t *v = json_array_get(json_object_get(e, "current"), idx);

    return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= INT32_MAX
               ? (int32_t)json_integer_value(v)
               : -1;
}

static int parse_deals(const char *body, size_t len, struct fr_keepa_envelope *env,
                       struct fr_keepa_deal **out, size_t *n, size_t *skipped, int docs,
                       struct fr_error *err)
{
    struct fr_keepa_envelope local;
    json_t *root, *deals, *dr;
    size_t dropped = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (skipped != NULL)
        *skipped = 0;
    if (env == NULL)
        env = &local;
    rc = docs ? load_body(body, len, "deal", deal_prune, sizeof(deal_prune) / sizeof(deal_prune[0]),
                          NULL, NULL, env, &root, err)
              : load_body(body, len, "deal", price_prune,
                          sizeof(price_prune) / sizeof(price_prune[0]), NULL, NULL, env, &root,
                          err);
    if (rc != 0)
        return rc;
    deals = json_object_get(root, "deals");
    dr = json_object_get(deals, "dr");
    if (!json_is_object(deals))
        rc = missing("no 'deals' object in the response", env, err);
    else if (dr != NULL && !json_is_null(dr) && !json_is_array(dr))
        rc = fr_error_set(err, FR_ERR_DATA, "'deals.dr' is not an array");
    if (rc == 0 && json_array_size(dr) > 0) {
        *out = fr_xcalloc(json_array_size(dr), sizeof(**out));
        for (size_t i = 0; i < json_array_size(dr); i++) {
            const json_t *e = json_array_get(dr, i);
            const char *asin = fr_json_str_or(e, "asin", NULL);
            if (!fr_keepa_valid_asin(asin)) {
                dropped++;
                continue;
            }
            fr_strlcpy((*out)[*n].asin, asin, sizeof((*out)[*n].asin));
            (*out)[*n].current_amazon = listed_price(e, FR_KEEPA_CSV_AMAZON);
            (*out)[*n].current_new = listed_price(e, FR_KEEPA_CSV_NEW);
            (*out)[*n].deal = docs ? deal_json(e, asin) : NULL;
            (*n)++;
        }
    }
    if (skipped != NULL)
        *skipped = dropped;
    json_decref(root);
    return rc;
}

int fr_keepa_parse_deals(const char *body, size_t len, struct fr_keepa_envelope *env,
                         struct fr_keepa_deal **out, size_t *n, size_t *skipped,
                         struct fr_error *err)
{
    return parse_deals(body, len, env, out, n, skipped, 1, err);
}

int fr_keepa_parse_deal_prices(const char *body, size_t len, struct fr_keepa_envelope *env,
                               struct fr_keepa_deal **out, size_t *n, size_t *skipped,
                               struct fr_error *err)
{
    return parse_deals(body, len, env, out, n, skipped, 0, err);
}

void fr_keepa_deals_free(struct fr_keepa_deal *d, size_t n)
{
    for (size_t i = 0; d != NULL && i < n; i++)
        json_decref(d[i].deal);
    free(d);
}

/* ---- /seller ------------------------------------------------------------------------ */

/* currentX when it is a non-negative integer, else the last value of csv[idx]. */
static json_t *seller_metric(const json_t *s, const char *current, size_t idx)
{
    const json_t *cur = json_object_get(s, current);
    struct fr_keepa_series ser;
    int32_t last = -1;

    if (json_is_integer(cur) && json_integer_value(cur) >= 0 &&
        json_integer_value(cur) <= INT32_MAX)
        return json_integer(json_integer_value(cur));
    if (fr_keepa_decode_series(json_array_get(json_object_get(s, "csv"), idx), 0, &ser, NULL) ==
        0) {
        last = fr_keepa_series_last(&ser);
        fr_keepa_series_release(&ser);
    }
    return last >= 0 ? json_integer(last) : json_null();
}

static json_t *seller_json(const char *key, const json_t *s)
{
    json_t *o = json_object();

    json_object_set_new(o, "id", json_string(key));
    json_object_set_new(o, "name", text_or_null(s, "sellerName", FR_KEEPA_TEXT_MAX));
    json_object_set_new(o, "rating", seller_metric(s, "currentRating", 0));
    json_object_set_new(o, "rating_count", seller_metric(s, "currentRatingCount", 1));
    json_object_set_new(o, "has_fba", json_boolean(json_is_true(json_object_get(s, "hasFBA"))));
    return o;
}

int fr_keepa_parse_sellers(const char *body, size_t len, struct fr_keepa_envelope *env,
                           json_t **sellers, struct fr_error *err)
{
    json_t *root, *map;
    const char *key;
    const json_t *s;
    int rc;

    *sellers = NULL;
    rc = load_body(body, len, "seller", NULL, 0, NULL, NULL, env, &root, err);
    if (rc != 0)
        return rc;
    map = json_object_get(root, "sellers");
    if (map != NULL && !json_is_null(map) && !json_is_object(map)) {
        json_decref(root);
        return fr_error_set(err, FR_ERR_DATA, "'sellers' is not an object");
    }
    *sellers = json_object();
    json_object_foreach(map, key, s)
    {
        /* seller ids are short ASCII tokens; anything else is not an id we can look up */
        if (json_is_object(s) && strlen(key) > 0 && strlen(key) < 32 &&
            fr_utf8_length(key, strlen(key)) == (long)strlen(key))
            json_object_set_new(*sellers, key, seller_json(key, s));
    }
    json_decref(root);
    return 0;
}
