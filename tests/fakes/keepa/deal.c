/*
 * deal.c - /deal: selection parsing, the paged deal list and Deal objects.
 *
 * Selection fields other than page and domainId are accepted and ignored,
 * like the unknown fields real clients send. Cost is 5 tokens a request
 * (REFERENCE A3), empty pages included.
 */
#include "deal.h"

#include "api.h"
#include "clock.h"
#include "hash.h"
#include "params.h"
#include "reply.h"
#include "series.h"
#include "text.h"

#include <event2/buffer.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define DEAL_COST 5
#define DATE_RANGES 4

/* Window of each dateRange in days; Keepa's "day" average covers 48 h. */
static const int64_t range_days[DATE_RANGES] = {2, 7, 31, 90};

struct fk_deal_cache {
    int valid;
    uint64_t epoch;
    double fraction;
    uint32_t *idx; /* catalog-size array, the first n entries used */
    size_t n;
};

struct deal_req {
    int64_t page;
    int64_t domain;
};

struct fk_deal_cache *fk_deal_cache_new(uint32_t size)
{
    struct fk_deal_cache *dc = calloc(1, sizeof(*dc));

    if (dc == NULL)
        abort();
    /* At most every product is a deal. Pages of the array are only touched
     * (and so only cost memory) once --deal-fraction < 1 fills them. */
    dc->idx = malloc((size ? size : 1) * sizeof(*dc->idx));
    if (dc->idx == NULL)
        abort();
    return dc;
}

void fk_deal_cache_grow(struct fk_deal_cache *dc, uint32_t size)
{
    uint32_t *idx = realloc(dc->idx, (size ? size : 1) * sizeof(*idx));

    if (idx == NULL)
        abort();
    dc->idx = idx;
    dc->valid = 0;
}

void fk_deal_cache_free(struct fk_deal_cache *dc)
{
    if (dc == NULL)
        return;
    free(dc->idx);
    free(dc);
}

/* Rebuilds the list of products currently listed as deals. */
static void cache_rebuild(struct fk_deal_cache *dc, const struct fk_catalog *cat, double fraction,
                          int64_t now)
{
    uint32_t size = fk_catalog_size(cat);
    uint64_t seed = fk_catalog_seed(cat);

    dc->n = 0;
    for (uint32_t i = 0; i < size; i++) {
        int64_t v = fk_catalog_deal_version(cat, i, now);
        if (fk_unit(fk_hashv(seed, i, FK_SALT_DEAL, v)) >= fraction)
            continue;
        dc->idx[dc->n++] = i;
    }
    dc->valid = 1;
    dc->epoch = fk_catalog_epoch(cat, now);
    dc->fraction = fraction;
}

/* Fills out with the page's product indices; returns how many. */
static size_t page_items(struct fk_server *srv, int64_t page, int64_t now,
                         uint32_t out[FK_DEALS_PER_PAGE])
{
    struct fk_deal_cache *dc = srv->deals;
    uint32_t size = fk_catalog_size(srv->cat);
    uint64_t first = (uint64_t)page * FK_DEALS_PER_PAGE;
    size_t n = 0;

    if (srv->deal_fraction >= 1.0) {
        for (uint64_t i = first; i < size && n < FK_DEALS_PER_PAGE; i++)
            out[n++] = (uint32_t)i;
        return n;
    }
    if (!dc->valid || dc->fraction != srv->deal_fraction ||
        dc->epoch != fk_catalog_epoch(srv->cat, now))
        cache_rebuild(dc, srv->cat, srv->deal_fraction, now);
    for (uint64_t i = first; i < dc->n && n < FK_DEALS_PER_PAGE; i++)
        out[n++] = dc->idx[i];
    return n;
}

/* Parses a form-encoded body (selection=JSON&...) and returns its selection. */
static json_t *load_form(const char *data, size_t len)
{
    struct evkeyvalq form;
    char *body = strndup(data, len);
    const char *sel;
    json_t *j = NULL;

    if (body == NULL)
        abort();
    TAILQ_INIT(&form);
    if (evhttp_parse_query_str(body, &form) == 0 && (sel = evhttp_find_header(&form, "selection")))
        j = json_loads(sel, 0, NULL);
    evhttp_clear_headers(&form);
    free(body);
    return j;
}

/*
 * Returns the parsed selection (new reference, NULL if absent or invalid):
 * a JSON body, a form body's selection field, or the selection parameter.
 * A body starting with '{' is JSON whatever its Content-Type claims, since
 * clients such as curl -d label JSON as a form.
 */
static json_t *load_selection(struct fk_call *c)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
    size_t len = evbuffer_get_length(in);
    const char *sel = evhttp_find_header(&c->query, "selection");
    const char *data;
    size_t skip;

    if (len == 0)
        return sel ? json_loads(sel, 0, NULL) : NULL;
    data = (const char *)evbuffer_pullup(in, -1);
    for (skip = 0; skip < len && strchr(" \t\r\n", data[skip]) != NULL; skip++)
        ;
    if (skip < len && data[skip] == '{')
        return json_loadb(data, len, 0, NULL);
    return load_form(data, len);
}

/* Reads page and the domain from the selection and the query; -1 if invalid. */
static int parse_selection(struct fk_call *c, const json_t *sel, struct deal_req *r)
{
    const json_t *page = json_object_get(sel, "page");
    const json_t *dom = json_object_get(sel, "domainId");
    const char *qdom = evhttp_find_header(&c->query, "domain");
    int64_t d;

    r->page = 0;
    r->domain = 0;
    if (page != NULL && (!json_is_integer(page) || json_integer_value(page) < 0 ||
                         json_integer_value(page) > 100000000))
        return -1;
    if (page != NULL)
        r->page = json_integer_value(page);
    if (qdom != NULL && (fk_parse_int(qdom, 0, 1000, &d) < 0 || !fk_domain_valid(d)))
        return -1;
    if (qdom != NULL)
        r->domain = d;
    if (dom != NULL && (!json_is_integer(dom) || !fk_domain_valid(json_integer_value(dom))))
        return -1;
    if (dom != NULL)
        r->domain = json_integer_value(dom);
    return r->domain != 0 ? 0 : -1;
}

static void render_image(uint64_t seed, uint32_t idx, struct fk_buf *out)
{
    char img[16];

    fk_text_image(seed, idx, 0, img);
    fk_jw_key(out, "image");
    fk_jw_open(out, '[');
    for (const char *p = img; *p != '\0'; p++)
        fk_jw_int(out, (unsigned char)*p);
    fk_jw_close(out, ']');
}

/* delta, deltaPercent and avg, each [dateRange][csvType]. */
static void render_ranges(const struct fk_series *s, const int32_t cur[FK_CSV_COUNT],
                          struct fk_buf *out)
{
    int32_t avg[DATE_RANGES][FK_CSV_COUNT], delta[FK_CSV_COUNT], pct[FK_CSV_COUNT];
    const char *names[3] = {"delta", "deltaPercent", "avg"};

    for (int r = 0; r < DATE_RANGES; r++)
        fk_series_stat(s, range_days[r] * 1440, avg[r]);
    for (int which = 0; which < 3; which++) {
        fk_jw_key(out, names[which]);
        fk_jw_open(out, '[');
        for (int r = 0; r < DATE_RANGES; r++) {
            for (int t = 0; t < FK_CSV_COUNT; t++) {
                int ok = cur[t] >= 0 && avg[r][t] > 0;
                delta[t] = ok ? cur[t] - avg[r][t] : 0;
                pct[t] = ok ? (int32_t)((int64_t)delta[t] * 100 / avg[r][t]) : 0;
            }
            fk_jw_int_array(out, which == 0 ? delta : which == 1 ? pct : avg[r], FK_CSV_COUNT);
        }
        fk_jw_close(out, ']');
    }
}

static void render_deal(const struct fk_server *srv, uint32_t idx, int64_t now,
                        struct fk_buf *scratch, struct fk_buf *out)
{
    uint64_t seed = fk_catalog_seed(srv->cat);
    struct fk_series s;
    int32_t cur[FK_CSV_COUNT];
    int64_t cats[3];
    int ncats = fk_text_categories(seed, idx, cats);
    char asin[FK_ASIN_LEN + 1];

    fk_series_build_deal(srv->cat, idx, now, &s);
    fk_series_stat(&s, -1, cur);
    fk_asin_encode(idx, asin);
    fk_jw_open(out, '{');
    fk_jw_kstr(out, "asin", asin);
    fk_jw_key(out, "parentAsin");
    fk_jw_null(out);
    scratch->len = 0;
    fk_text_title(seed, idx, scratch);
    fk_jw_key(out, "title");
    fk_jw_str(out, scratch->data, scratch->len);
    fk_jw_kint(out, "rootCat", fk_text_root(seed, idx)->id);
    fk_jw_key(out, "categories");
    fk_jw_open(out, '[');
    for (int k = 0; k < ncats; k++)
        fk_jw_int(out, cats[k]);
    fk_jw_close(out, ']');
    render_image(seed, idx, out);
    fk_jw_key(out, "current");
    fk_jw_int_array(out, cur, FK_CSV_COUNT);
    render_ranges(&s, cur, out);
    fk_jw_kint(out, "lastUpdate", s.now_km);
    fk_jw_kint(out, "creationDate", s.km[s.n - 1]);
    fk_jw_close(out, '}');
}

/* The parallel categoryIds/categoryNames/categoryCount arrays of the page. */
static void render_categories(uint64_t seed, const uint32_t *items, size_t n, struct fk_buf *out)
{
    const struct fk_root_category *seen[FK_DEALS_PER_PAGE];
    int count[FK_DEALS_PER_PAGE];
    size_t ns = 0, k;

    for (size_t i = 0; i < n; i++) {
        const struct fk_root_category *rc = fk_text_root(seed, items[i]);
        for (k = 0; k < ns && seen[k] != rc; k++)
            ;
        if (k == ns) {
            seen[ns] = rc;
            count[ns++] = 0;
        }
        count[k]++;
    }
    fk_jw_key(out, "categoryIds");
    fk_jw_open(out, '[');
    for (k = 0; k < ns; k++)
        fk_jw_int(out, seen[k]->id);
    fk_jw_close(out, ']');
    fk_jw_key(out, "categoryNames");
    fk_jw_open(out, '[');
    for (k = 0; k < ns; k++)
        fk_jw_cstr(out, seen[k]->name);
    fk_jw_close(out, ']');
    fk_jw_key(out, "categoryCount");
    fk_jw_open(out, '[');
    for (k = 0; k < ns; k++)
        fk_jw_int(out, count[k]);
    fk_jw_close(out, ']');
}

static void render_page(struct fk_call *c, const struct deal_req *r, struct fk_buf *b)
{
    uint32_t items[FK_DEALS_PER_PAGE];
    int64_t now = fk_clock_elapsed();
    size_t n = page_items(c->srv, r->page, now, items);
    struct fk_buf scratch;

    fk_buf_init(&scratch, 256);
    fk_jw_open(b, '{');
    fk_jw_key(b, "deals");
    fk_jw_open(b, '{');
    fk_jw_key(b, "dr");
    fk_jw_open(b, '[');
    for (size_t i = 0; i < n; i++)
        render_deal(c->srv, items[i], now, &scratch, b);
    fk_jw_close(b, ']');
    fk_jw_key(b, "drDateIndex");
    fk_jw_open(b, '[');
    fk_jw_close(b, ']');
    render_categories(fk_catalog_seed(c->srv->cat), items, n, b);
    fk_jw_close(b, '}');
    fk_buf_release(&scratch);
}

void fk_deal_handle(struct fk_call *c, struct fk_key *key)
{
    json_t *sel = load_selection(c);
    struct deal_req r;
    struct fk_buf b;
    int ok = json_is_object(sel) && parse_selection(c, sel, &r) == 0;

    json_decref(sel);
    if (!ok) {
        fk_reply_param(c, "selection must be a JSON object with page >= 0 and a valid domainId");
        return;
    }
    if (fk_api_admit(c, key, DEAL_COST) < 0)
        return;
    fk_buf_init(&b, 64 * 1024);
    render_page(c, &r, &b);
    fk_reply_api(c, 200, &b, key, DEAL_COST);
}
