/*
 * keepa_product — one /product entry into the normalized record stored as items.payload
 * (schemas/keepa_product.schema.json), plus the numbers the processor keys on (current
 * prices, version time, seed interval, content hash).
 *
 * Reading is strict about types and lenient about absence: a member of the wrong type,
 * a malformed csv series or a string that is not clean text makes the product
 * FR_KEEPA_BAD with a reason naming the field; a missing member is simply unknown.
 * Raw histories are analysed here and never copied into the payload.
 */
#include "common/sources/keepa.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/jsonprune.h"
#include "common/jsonschema.h"
#include "common/mem.h"
#include "common/sources/keepa_analysis.h"

#define IMAGE_BASE "https://m.media-amazon.com/images/I/"
#define ID_MAX 31 /* seller ids, e.g. "ATVPDKIKX0DER" */

struct norm {
    const json_t *e;
    struct fr_keepa_product *p;
    json_t *out; /* the payload being built */
    const json_t *stats;
    const struct fr_keepa_csv_text *text; /* csv arrays captured as text, or NULL */
    struct fr_keepa_series csv[FR_KEEPA_CSV_TYPES];
    int64_t last_update, last_price_change, tracking_since; /* keepa minutes, 0 unknown */
    int32_t price_buybox;
};

static int bad(struct fr_keepa_product *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int bad(struct fr_keepa_product *p, const char *fmt, ...)
{
    va_list ap;

    p->status = FR_KEEPA_BAD;
    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
    va_end(ap);
    return -1;
}

/* An optional integer member within [lo, hi]: *out untouched when absent or null. */
static int get_int(struct norm *z, const json_t *o, const char *key, int64_t lo, int64_t hi,
                   int64_t *out)
{
    const json_t *v = json_object_get(o, key);

    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return bad(z->p, "'%s' must be an integer", key);
    if (json_integer_value(v) < lo || json_integer_value(v) > hi)
        return bad(z->p, "'%s' is out of range (%lld)", key, (long long)json_integer_value(v));
    *out = json_integer_value(v);
    return 0;
}

/* An optional text member copied into the payload as key, or null. Text must be valid
 * UTF-8 without NUL and at most max code points: anything else is a malformed record. */
static int put_text(struct norm *z, const char *key, const char *as, long max)
{
    const json_t *v = json_object_get(z->e, key);
    const char *s;
    size_t len;
    long cp;

    if (v == NULL || json_is_null(v)) {
        json_object_set_new(z->out, as, json_null());
        return 0;
    }
    if (!json_is_string(v))
        return bad(z->p, "'%s' must be a string", key);
    s = json_string_value(v);
    len = json_string_length(v);
    if (strlen(s) != len)
        return bad(z->p, "'%s' contains a NUL character", key);
    cp = fr_utf8_length(s, len);
    if (cp < 0)
        return bad(z->p, "'%s' is not valid UTF-8", key);
    if (cp > max)
        return bad(z->p, "'%s' is longer than %ld characters (%ld)", key, max, cp);
    json_object_set_new(z->out, as, json_stringn(s, len));
    return 0;
}

/* stats.<key>[idx] as an int32, or -2 when stats, the array or the element is missing. */
static int stats_at(struct norm *z, const char *key, size_t idx, int64_t *out)
{
    const json_t *arr = json_object_get(z->stats, key), *v;

    *out = -2;
    if (arr == NULL || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return bad(z->p, "'stats.%s' must be an array", key);
    v = json_array_get(arr, idx);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
        json_integer_value(v) > INT32_MAX)
        return bad(z->p, "'stats.%s[%zu]' must be a 32-bit integer", key, idx);
    *out = json_integer_value(v);
    return 0;
}

/* The current value: Keepa's stats when it knows (-1 there means "no offer" for sure),
 * else the newest point of the series. -1 when none. */
static int32_t resolve(int64_t stat, const struct fr_keepa_series *s)
{
    int32_t last;

    if (stat >= 0 || stat == -1)
        return (int32_t)stat;
    last = fr_keepa_series_last(s);
    return last >= 0 ? last : -1;
}

static json_t *int_or_null(int64_t v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

static json_t *minute_iso(int64_t m)
{
    char iso[40];

    if (m <= 0)
        return json_null();
    fr_format_iso8601(fr_keepa_minutes_to_ms(m), iso, sizeof(iso));
    return json_string(iso);
}

static int id_ok(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++)
        if (n >= ID_MAX || !((s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9')))
            return 0;
    return n > 0;
}

/* asin, productType, domainId. Returns 1 when the record stops here (INVALID or BAD). */
static int read_identity(struct norm *z)
{
    const json_t *asin = json_object_get(z->e, "asin");
    int64_t type = 0, domain = -1;

    if (!json_is_string(asin))
        return -bad(z->p, asin == NULL ? "missing 'asin'" : "'asin' must be a string");
    if (!fr_keepa_valid_asin(json_string_value(asin)))
        return -bad(z->p, "invalid asin '%.20s'", json_string_value(asin));
    fr_strlcpy(z->p->asin, json_string_value(asin), sizeof(z->p->asin));
    if (get_int(z, z->e, "productType", 0, 255, &type) != 0)
        return 1;
    if (type == 4) {
        z->p->status = FR_KEEPA_INVALID;
        snprintf(z->p->reason, sizeof(z->p->reason),
                 "productType 4: keepa says asin '%s' does not exist", z->p->asin);
        return 1;
    }
    if (get_int(z, z->e, "domainId", INT64_MIN, INT64_MAX, &domain) != 0)
        return 1;
    if (domain != -1 && !fr_keepa_valid_domain(domain))
        return -bad(z->p, "'domainId' %lld is not a keepa domain", (long long)domain);
    json_object_set_new(z->out, "asin", json_string(z->p->asin));
    json_object_set_new(z->out, "domain", int_or_null(domain));
    json_object_set_new(z->out, "product_type", json_integer(type));
    return 0;
}

static int read_categories(struct norm *z)
{
    const json_t *cats = json_object_get(z->e, "categories"), *c;
    json_t *list = json_array();
    int64_t root = 0;
    size_t i;

    json_object_set_new(z->out, "categories", list);
    if (get_int(z, z->e, "rootCategory", 0, INT64_MAX, &root) != 0)
        return -1;
    /* 0 and INT64_MAX ("?") both mean Keepa could not tell the root category */
    json_object_set_new(z->out, "root_category",
                        root > 0 && root < INT64_MAX ? json_integer(root) : json_null());
    if (cats == NULL || json_is_null(cats))
        return 0;
    if (!json_is_array(cats))
        return bad(z->p, "'categories' must be an array");
    json_array_foreach(cats, i, c)
    {
        if (!json_is_integer(c) || json_integer_value(c) < 0)
            return bad(z->p, "'categories[%zu]' must be a category id", i);
        json_array_append_new(list, json_integer(json_integer_value(c)));
    }
    return 0;
}

static int image_name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 200)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
              (s[i] >= '0' && s[i] <= '9') || strchr("._-+%", s[i]) != NULL))
            return 0;
    return 1;
}

/* The first image: imagesCSV ("a.jpg,b.jpg") or, in newer responses, images[0].l/.m. */
static int read_image(struct norm *z)
{
    const json_t *csv = json_object_get(z->e, "imagesCSV");
    const json_t *first = json_array_get(json_object_get(z->e, "images"), 0);
    const char *name = NULL;
    size_t n = 0;
    char *url;

    if (csv != NULL && !json_is_null(csv) && !json_is_string(csv))
        return bad(z->p, "'imagesCSV' must be a string");
    if (json_is_string(csv)) {
        name = json_string_value(csv);
        n = strcspn(name, ",");
    } else if (json_is_object(first)) {
        name = fr_json_str_or(first, "l", fr_json_str_or(first, "m", NULL));
        n = name ? strlen(name) : 0;
    }
    if (name == NULL || !image_name_ok(name, n)) {
        json_object_set_new(z->out, "image", json_null());
        return 0;
    }
    url = fr_xasprintf(IMAGE_BASE "%.*s", (int)n, name);
    json_object_set_new(z->out, "image", json_string(url));
    free(url);
    return 0;
}

static int read_times(struct norm *z)
{
    if (get_int(z, z->e, "lastUpdate", INT32_MIN, INT32_MAX, &z->last_update) != 0 ||
        get_int(z, z->e, "lastPriceChange", INT32_MIN, INT32_MAX, &z->last_price_change) != 0 ||
        get_int(z, z->e, "trackingSince", INT32_MIN, INT32_MAX, &z->tracking_since) != 0)
        return -1;
    return 0;
}

/* Decodes every csv series (so garbage anywhere is caught) and checks stats' type. */
static int read_csv(struct norm *z)
{
    const json_t *csv = json_object_get(z->e, "csv");
    struct fr_error err = {0};

    z->stats = json_object_get(z->e, "stats");
    if (z->stats != NULL && !json_is_null(z->stats) && !json_is_object(z->stats))
        return bad(z->p, "'stats' must be an object");
    if (csv == NULL || json_is_null(csv))
        return 0;
    if (!json_is_array(csv))
        return bad(z->p, "'csv' must be an array");
    for (size_t i = 0, k = z->text ? z->text->first : 0; i < json_array_size(csv); i++) {
        const json_t *s = json_array_get(csv, i);
        int rc;
        if (i >= FR_KEEPA_CSV_TYPES) { /* a type newer than this code: shape only */
            if (!json_is_null(s) && !json_is_array(s))
                return bad(z->p, "'csv[%zu]' is not an array", i);
            k += json_is_array(s);
            continue;
        }
        if (z->text != NULL && json_is_array(s)) {
            const struct fr_jsonprune_span *sp;
            if (k >= z->text->n)
                return bad(z->p, "'csv[%zu]' was not captured", i); /* cannot happen */
            sp = &z->text->spans[k++];
            rc = fr_keepa_decode_series_text(z->text->body + sp->off, sp->len, (int)i,
                                             &z->csv[i], &err);
        } else {
            rc = fr_keepa_decode_series(s, (int)i, &z->csv[i], &err);
        }
        if (rc != 0)
            return bad(z->p, "'csv[%zu]' %s", i, err.msg);
    }
    return 0;
}

/* sales rank: stats.current[SALES], else csv[SALES], else salesRanks[rootCategory]. */
static int read_rank(struct norm *z, int64_t root)
{
    struct fr_keepa_series s;
    struct fr_error err = {0};
    const json_t *ranks = json_object_get(z->e, "salesRanks");
    char key[32];
    int64_t stat;

    if (stats_at(z, "current", FR_KEEPA_CSV_SALES, &stat) != 0)
        return -1;
    z->p->sales_rank = resolve(stat, &z->csv[FR_KEEPA_CSV_SALES]);
    if (z->p->sales_rank >= 0 || stat == -1 || !json_is_object(ranks) || root <= 0)
        return 0;
    snprintf(key, sizeof(key), "%lld", (long long)root);
    if (fr_keepa_decode_series(json_object_get(ranks, key), FR_KEEPA_CSV_SALES, &s, &err) != 0)
        return bad(z->p, "'salesRanks.%s' %s", key, err.msg);
    z->p->sales_rank = resolve(-2, &s);
    fr_keepa_series_release(&s);
    return 0;
}

/* Buy box: stats.buyBoxPrice (+ shipping), else stats.current[BUY_BOX], else csv[18]. */
static int read_buybox(struct norm *z)
{
    int64_t price = -2, ship = -2, cur;
    const json_t *id = json_object_get(z->stats, "buyBoxSellerId");
    const json_t *hist = json_object_get(z->e, "buyBoxSellerIdHistory");
    const char *sid = NULL;

    if (get_int(z, z->stats, "buyBoxPrice", INT32_MIN, INT32_MAX, &price) != 0 ||
        get_int(z, z->stats, "buyBoxShipping", INT32_MIN, INT32_MAX, &ship) != 0 ||
        stats_at(z, "current", FR_KEEPA_CSV_BUY_BOX, &cur) != 0)
        return -1;
    if (price >= 0)
        z->price_buybox = (int32_t)(price + (ship > 0 ? ship : 0));
    else
        z->price_buybox = resolve(price == -1 ? -1 : cur, &z->csv[FR_KEEPA_CSV_BUY_BOX]);

    if (id != NULL && !json_is_null(id) && !json_is_string(id))
        return bad(z->p, "'stats.buyBoxSellerId' must be a string");
    if (hist != NULL && !json_is_null(hist) && !json_is_array(hist))
        return bad(z->p, "'buyBoxSellerIdHistory' must be an array");
    if (json_is_string(id))
        sid = json_string_value(id); /* "-1" none, "-2" unknown: both fail id_ok */
    else if (json_array_size(hist) >= 2)
        sid = json_string_value(json_array_get(hist, json_array_size(hist) - 1));
    if (sid != NULL && id_ok(sid))
        fr_strlcpy(z->p->buybox_seller_id, sid, sizeof(z->p->buybox_seller_id));
    return 0;
}

static int read_prices(struct norm *z)
{
    int64_t amazon, newp, rating, reviews;

    if (stats_at(z, "current", FR_KEEPA_CSV_AMAZON, &amazon) != 0 ||
        stats_at(z, "current", FR_KEEPA_CSV_NEW, &newp) != 0 ||
        stats_at(z, "current", FR_KEEPA_CSV_RATING, &rating) != 0 ||
        stats_at(z, "current", FR_KEEPA_CSV_COUNT_REVIEWS, &reviews) != 0 || read_buybox(z) != 0)
        return -1;
    z->p->price_amazon = resolve(amazon, &z->csv[FR_KEEPA_CSV_AMAZON]);
    z->p->price_new = resolve(newp, &z->csv[FR_KEEPA_CSV_NEW]);
    rating = resolve(rating, &z->csv[FR_KEEPA_CSV_RATING]);
    reviews = resolve(reviews, &z->csv[FR_KEEPA_CSV_COUNT_REVIEWS]);

    json_object_set_new(z->out, "price_amazon", int_or_null(z->p->price_amazon));
    json_object_set_new(z->out, "price_new", int_or_null(z->p->price_new));
    json_object_set_new(z->out, "price_buybox", int_or_null(z->price_buybox));
    json_object_set_new(z->out, "sales_rank", int_or_null(z->p->sales_rank));
    json_object_set_new(z->out, "buybox_seller_id",
                        z->p->buybox_seller_id[0] ? json_string(z->p->buybox_seller_id)
                                                  : json_null());
    json_object_set_new(z->out, "rating",
                        rating >= 0 && rating <= 50 ? json_real((double)rating / 10.0)
                                                    : json_null());
    json_object_set_new(z->out, "review_count", int_or_null(reviews));
    return 0;
}

/* The version time: newest dated price/rank point or price change (see keepa.h). */
static int64_t observed_at(const struct norm *z)
{
    static const int tracked[] = {FR_KEEPA_CSV_AMAZON, FR_KEEPA_CSV_NEW, FR_KEEPA_CSV_SALES,
                                  FR_KEEPA_CSV_BUY_BOX};
    int64_t t = 0;

    for (size_t i = 0; i < sizeof(tracked) / sizeof(tracked[0]); i++) {
        const struct fr_keepa_series *s = &z->csv[tracked[i]];
        if (s->n > 0 && s->pts[s->n - 1].t_ms > t)
            t = s->pts[s->n - 1].t_ms;
    }
    if (z->last_price_change > 0 && fr_keepa_minutes_to_ms(z->last_price_change) > t)
        t = fr_keepa_minutes_to_ms(z->last_price_change);
    if (t == 0 && z->tracking_since > 0)
        t = fr_keepa_minutes_to_ms(z->tracking_since);
    if (t == 0 && z->last_update > 0)
        t = fr_keepa_minutes_to_ms(z->last_update);
    return t;
}

static int has_price(const struct fr_keepa_series *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->pts[i].value >= 0)
            return 1;
    return 0;
}

/* Analysis of Amazon's price when it has one, else the new price's. */
static int add_analysis(struct norm *z)
{
    struct fr_keepa_analysis a;
    int type = -1;
    int64_t avg = -2, now;
    int32_t cur = -1;

    if (z->p->price_amazon >= 0)
        type = FR_KEEPA_CSV_AMAZON, cur = z->p->price_amazon;
    else if (z->p->price_new >= 0)
        type = FR_KEEPA_CSV_NEW, cur = z->p->price_new;
    else if (has_price(&z->csv[FR_KEEPA_CSV_AMAZON]))
        type = FR_KEEPA_CSV_AMAZON;
    else if (has_price(&z->csv[FR_KEEPA_CSV_NEW]))
        type = FR_KEEPA_CSV_NEW;
    if (type >= 0 && stats_at(z, "avg90", (size_t)type, &avg) != 0)
        return -1;
    /* as of Keepa's own update time, so the same record always analyses the same way */
    now = z->last_update > 0 ? fr_keepa_minutes_to_ms(z->last_update) : z->p->observed_at_ms;
    fr_keepa_analyze(type >= 0 ? &z->csv[type] : NULL, cur, avg, now, &a);
    json_object_set_new(z->out, "analysis",
                        fr_keepa_analysis_json(&a, type < 0                      ? NULL
                                                   : type == FR_KEEPA_CSV_AMAZON ? "amazon"
                                                                                 : "new"));
    return 0;
}

static int read_misc(struct norm *z)
{
    const json_t *parent = json_object_get(z->e, "parentAsin");
    int64_t sold = -1;

    if (get_int(z, z->e, "monthlySold", INT32_MIN, INT32_MAX, &sold) != 0)
        return -1;
    json_object_set_new(z->out, "parent_asin",
                        json_is_string(parent) && fr_keepa_valid_asin(json_string_value(parent))
                            ? json_string(json_string_value(parent))
                            : json_null());
    json_object_set_new(z->out, "monthly_sold", int_or_null(sold));
    return 0;
}

static int normalize(struct norm *z)
{
    int64_t root = 0;
    int rc = read_identity(z);

    if (rc != 0)
        return -1;
    if (put_text(z, "title", "title", FR_KEEPA_TITLE_MAX) != 0 ||
        put_text(z, "brand", "brand", FR_KEEPA_TEXT_MAX) != 0 ||
        put_text(z, "manufacturer", "manufacturer", FR_KEEPA_TEXT_MAX) != 0 || read_misc(z) != 0 ||
        read_categories(z) != 0 || read_image(z) != 0 || read_times(z) != 0 || read_csv(z) != 0)
        return -1;
    root = json_integer_value(json_object_get(z->out, "root_category"));
    if (read_rank(z, root) != 0 || read_prices(z) != 0)
        return -1;
    z->p->observed_at_ms = observed_at(z);
    z->p->seed_interval_s =
        fr_keepa_seed_interval_s(&z->csv[FR_KEEPA_CSV_AMAZON], &z->csv[FR_KEEPA_CSV_NEW]);
    json_object_set_new(z->out, "last_price_change", minute_iso(z->last_price_change));
    json_object_set_new(z->out, "last_update", minute_iso(z->last_update));
    json_object_set_new(z->out, "tracking_since", minute_iso(z->tracking_since));
    {
        char iso[40];
        fr_format_iso8601(z->p->observed_at_ms, iso, sizeof(iso));
        json_object_set_new(z->out, "observed_at",
                            z->p->observed_at_ms > 0 ? json_string(iso) : json_null());
    }
    if (add_analysis(z) != 0)
        return -1;
    json_object_set_new(z->out, "seller", json_null()); /* the processor fills it */
    return 0;
}

void fr_keepa_product_normalize(const json_t *entry, struct fr_keepa_product *p)
{
    fr_keepa_product_normalize_text(entry, NULL, p);
}

void fr_keepa_product_normalize_text(const json_t *entry, const struct fr_keepa_csv_text *text,
                                     struct fr_keepa_product *p)
{
    struct norm z;

    memset(p, 0, sizeof(*p));
    memset(&z, 0, sizeof(z));
    z.text = text;
    p->price_amazon = p->price_new = p->sales_rank = -1;
    z.e = entry;
    z.p = p;
    z.price_buybox = -1;
    if (!json_is_object(entry)) {
        bad(p, "product entry is not an object");
        return;
    }
    z.out = json_object();
    if (normalize(&z) == 0 && fr_keepa_content_hash(z.out, p->content_hash, NULL) == 0) {
        p->status = FR_KEEPA_OK;
        p->payload = z.out;
        z.out = NULL;
    } else if (p->status == FR_KEEPA_OK) {
        bad(p, "payload could not be hashed");
    }
    json_decref(z.out);
    for (size_t i = 0; i < FR_KEEPA_CSV_TYPES; i++)
        fr_keepa_series_release(&z.csv[i]);
    if (p->status != FR_KEEPA_OK)
        p->price_amazon = p->price_new = p->sales_rank = -1, p->buybox_seller_id[0] = '\0';
}

int fr_keepa_content_hash(const json_t *payload, char out[17], struct fr_error *err)
{
    static const char *const volatile_members[] = {"last_update", "analysis", "seller"};

    return fr_json_hash_without(payload, volatile_members,
                                sizeof(volatile_members) / sizeof(volatile_members[0]), out, err);
}

char *fr_keepa_payload_dump(const json_t *payload)
{
    /* keys as built: jsonb orders them itself, and sorting each object cost 3% of the
     * processor's time */
    char *s = fr_json_dump_compact(payload, 15);

    return s != NULL ? s : fr_xstrdup("null");
}
