/*
 * decl_answer — what a declared source reads from an answer: the records a `records`
 * path finds, each one's id (and for discovery its listing), the next page (a cursor
 * at `from`, a Link rel="next"), the detail payload made from `fields`, and the budget
 * the headers say (remaining and reset per the file, Retry-After, Date to order
 * answers). Also how a failed answer is classified. See decl_source.h.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/sources/decl_source.h"

#define AUTH_PAUSE_MS 20000 /* 401/403: asked again after, so a restored token resumes
                               work within a minute */
#define THROTTLE_MIN_MS 1000

/* An integer header value, or -1. */
static int64_t header_int(const struct fr_src_answer *a, const char *name)
{
    const char *v = name ? fr_src_answer_header(a, name) : NULL;
    char *end;
    long long n;

    if (v == NULL)
        return -1;
    n = strtoll(v, &end, 10);
    return end != v && n >= 0 ? n : -1;
}

int fr_decl_budget_parse(void *state, const struct fr_src_answer *a, struct fr_src_budget *b,
                         struct fr_error *err)
{
    const struct fr_decl_budget *cfg = &((struct fr_decl_state *)state)->file->budget;
    const char *date = fr_src_answer_header(a, "Date");
    int64_t now = fr_wall_ms(), remaining = header_int(a, cfg->remaining_header), reset = 0;
    time_t t;

    (void)err;
    memset(b, 0, sizeof(*b));
    if (fr_decl_retry_after(fr_src_answer_header(a, "Retry-After"), now, &b->retry_after_ms) != 0)
        b->retry_after_ms = 0;
    if (date != NULL && (t = curl_getdate(date, NULL)) > 0)
        b->server_ms = (int64_t)t * 1000;
    if (remaining < 0 || cfg->reset_header == NULL ||
        fr_decl_reset_in(fr_src_answer_header(a, cfg->reset_header), cfg->reset_format, now,
                         &reset) != 0)
        return 0; /* nothing to replace the estimate with */
    b->known = 1;
    b->window = 1;
    b->remaining = remaining;
    b->reset_in_ms = reset;
    /* The window's size is learned from the answers; the static rate applies too (the
     * stricter wins). */
    b->rate = cfg->requests_per_minute > 0 ? cfg->requests_per_minute : 0;
    return 0;
}

/* The upstream's "message" (GitHub style), for reasons; "" when none. */
static void message(const struct fr_src_answer *a, char *out, size_t n)
{
    json_t *root = NULL;
    const char *m;

    out[0] = '\0';
    if (a->body_len == 0 || fr_json_parse(a->body, a->body_len, &root, NULL) != 0)
        return;
    if ((m = fr_json_str_or(root, "message", NULL)) != NULL)
        snprintf(out, n, ": %s", m);
    json_decref(root);
}

void fr_decl_classify(void *state, const struct fr_src_answer *a, struct fr_src_verdict *v)
{
    struct fr_decl_state *d = state;
    int s = a->status;
    char msg[160];

    memset(v, 0, sizeof(*v));
    fr_decl_budget_parse(state, a, &v->budget, NULL);
    message(a, msg, sizeof(msg));
    if (s == 401 || s == 403) {
        v->cls = FR_SRC_AUTH;
        v->pause_ms = AUTH_PAUSE_MS;
        snprintf(v->reason, sizeof(v->reason), "%d from upstream%s: credentials refused", s, msg);
    } else if (s == 429 || s == 503) {
        /* the later of Retry-After and the reset, when the window is spent */
        int64_t reset = v->budget.known && v->budget.remaining <= 0 ? v->budget.reset_in_ms : 0;
        v->cls = FR_SRC_THROTTLED;
        v->pause_ms = v->budget.retry_after_ms > reset ? v->budget.retry_after_ms : reset;
        if (v->pause_ms < THROTTLE_MIN_MS)
            v->pause_ms = THROTTLE_MIN_MS;
        snprintf(v->reason, sizeof(v->reason), "%d: rate limited, paused %lldms", s,
                 (long long)v->pause_ms);
    } else if ((s == 404 || s == 410) && d->file->detail.id_in_path && a->endpoint != NULL &&
               strcmp(a->endpoint, "detail") == 0) {
        v->cls = FR_SRC_OK; /* that one id is gone: detail_parse says so */
    } else if (s >= 400 && s < 500) {
        v->cls = FR_SRC_FATAL;
        snprintf(v->reason, sizeof(v->reason), "%d from upstream%s: never retried", s, msg);
    } else {
        v->cls = FR_SRC_RETRY;
        snprintf(v->reason, sizeof(v->reason), "%d from upstream%s", s, msg);
    }
}

static int load(const struct fr_src_answer *a, json_t **root, struct fr_error *err)
{
    if (fr_json_parse(a->body, a->body_len, root, err) != 0) {
        fr_error_prefix(err, "answer is not json");
        return FR_ERR_DATA;
    }
    return 0;
}

struct collect {
    const struct fr_jpath *id, *signal;
    struct fr_src_record *recs;
    size_t n, cap, skipped;
};

static int add_record(json_t *rec, void *arg)
{
    struct collect *c = arg;
    struct fr_src_record *r;
    json_t *v;

    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->recs = fr_xrealloc(c->recs, c->cap * sizeof(*c->recs));
    }
    r = &c->recs[c->n];
    memset(r, 0, sizeof(*r));
    if (fr_jpath_id_text(fr_jpath_get(c->id, rec), r->id, sizeof(r->id), NULL) != 0) {
        c->skipped++;
        return 0;
    }
    c->n++;
    if (c->signal == NULL) {
        r->doc = json_incref(rec);
        return 0;
    }
    /* The listing is kept with its signal where the next listing compares it. */
    v = fr_jpath_value(c->signal, rec);
    r->signal = json_pack("{sO}", "signal", v);
    r->doc = json_pack("{sOsO}", "signal", v, "record", rec);
    json_decref(v);
    return 0;
}

/* The next page's cursor (a string or a number at `from`), or NULL. */
static char *cursor_of(const struct fr_jpath *from, const json_t *root)
{
    char text[1024];

    if (fr_jpath_id_text(fr_jpath_get(from, root), text, sizeof(text), NULL) != 0)
        return NULL;
    return fr_xstrdup(text);
}

int fr_decl_discover_parse(void *state, const struct fr_src_answer *a, struct fr_src_page *page,
                           struct fr_src_budget *budget, struct fr_error *err)
{
    struct fr_decl_state *d = state;
    const struct fr_decl_discover *ds = &d->file->discover;
    struct collect c = {ds->id, ds->signal, NULL, 0, 0, 0};
    json_t *root = NULL;
    int rc;

    memset(page, 0, sizeof(*page));
    fr_decl_budget_parse(state, a, budget, NULL);
    if ((rc = load(a, &root, err)) != 0)
        return rc;
    fr_jpath_records(ds->records, root, add_record, &c);
    page->recs = c.recs;
    page->n = c.n;
    page->skipped = c.skipped;
    switch (ds->pagination.type) {
    case FR_DECL_PAGING_CURSOR:
        page->next = cursor_of(ds->pagination.from, root);
        break;
    case FR_DECL_PAGING_LINK:
        page->next = fr_decl_link_next(fr_src_answer_header(a, "Link"));
        break;
    default:
        break;
    }
    page->last = ds->pagination.type == FR_DECL_PAGING_NONE || c.n + c.skipped == 0 ||
                 ((ds->pagination.type == FR_DECL_PAGING_CURSOR ||
                   ds->pagination.type == FR_DECL_PAGING_LINK) && page->next == NULL);
    json_decref(root);
    return 0;
}

char *fr_decl_payload_text(const json_t *payload)
{
    char *s = json_dumps(payload,
                         JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));

    return s != NULL ? s : fr_xstrdup("null");
}

struct details {
    const struct fr_decl_source *file;
    struct fr_src_item *items;
    size_t n, cap;
};

static void no_observation(struct fr_src_item *it)
{
    it->obs.price_amazon = it->obs.price_new = it->obs.sales_rank = -1;
}

/* The `history:` fields' values as a JSON object (new string), or NULL when the file
 * names none. */
static char *history_of(const struct fr_decl_source *file, const json_t *payload)
{
    json_t *h;
    char *text;

    if (file->nhistory == 0 || payload == NULL)
        return NULL;
    h = json_object();
    for (size_t i = 0; i < file->nhistory; i++) {
        json_t *v = json_object_get(payload, file->history[i]);
        json_object_set_new(h, file->history[i], v ? json_incref(v) : json_null());
    }
    text = fr_decl_payload_text(h);
    json_decref(h);
    return text;
}

static int add_detail(json_t *rec, void *arg)
{
    struct details *c = arg;
    struct fr_src_item *it;
    struct fr_error err = {0};

    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->items = fr_xrealloc(c->items, c->cap * sizeof(*c->items));
    }
    it = &c->items[c->n];
    memset(it, 0, sizeof(*it));
    no_observation(it);
    if (fr_jpath_id_text(fr_jpath_get(c->file->detail.id, rec), it->id, sizeof(it->id), NULL) != 0)
        return 0; /* no usable id: nothing to match it to */
    c->n++;
    it->payload = fr_decl_payload(c->file, rec);
    it->history = history_of(c->file, it->payload);
    if (fr_json_hash(it->payload, it->content_hash, &err) != 0) {
        it->status = FR_SRC_ITEM_BAD;
        snprintf(it->reason, sizeof(it->reason), "payload could not be hashed: %s", err.msg);
        json_decref(it->payload);
        it->payload = NULL;
    }
    return 0;
}

int fr_decl_detail_parse(void *state, const char *const *ids, size_t nids,
                         const struct fr_src_answer *a, struct fr_src_item **items, size_t *n,
                         struct fr_src_budget *budget, struct fr_error *err)
{
    struct fr_decl_state *d = state;
    struct details c = {d->file, NULL, 0, 0};
    json_t *root = NULL;
    int rc;

    *items = NULL;
    *n = 0;
    fr_decl_budget_parse(state, a, budget, NULL);
    if (a->status == 404 || a->status == 410) {
        if (nids == 0)
            return fr_error_set(err, FR_ERR_DATA, "%d for no id", a->status);
        *items = fr_xcalloc(1, sizeof(**items));
        fr_strlcpy((*items)->id, ids[0], sizeof((*items)->id));
        (*items)->status = FR_SRC_ITEM_GONE;
        snprintf((*items)->reason, sizeof((*items)->reason), "gone: %d from upstream", a->status);
        no_observation(*items);
        *n = 1;
        return 0;
    }
    if ((rc = load(a, &root, err)) != 0)
        return rc;
    fr_jpath_records(d->file->detail.records, root, add_detail, &c);
    json_decref(root);
    *items = c.items;
    *n = c.n;
    return 0;
}
