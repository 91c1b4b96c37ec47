/*
 * keepa_sellers — Keepa's enrichment step: adds the buy-box seller ({id, name, rating,
 * ...}) to each payload text. Sellers change slowly, so answers are cached in Redis
 * (freshet:{src}:seller:<id>, with a time-to-live; "null" remembers a seller Keepa does
 * not know): a cached seller costs no token. The lookup is an enrichment: when the
 * budget cannot pay for it now or the request fails, the items are stored without it
 * rather than delayed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/budget.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/queue.h"
#include "common/redis.h"
#include "common/sources/keepa_source.h"
#include "common/upstream.h"

struct lookup {
    const struct fr_keepa_state *k;
    struct fr_src_env env;
    struct fr_src_item *items; /* borrowed from the caller until done */
    size_t nitems;
    fr_src_enriched_fn done;
    void *arg;
    char **ids; /* owned, unique, not cached */
    size_t n;
};

/* t (len bytes, ending in '}') with ,"seller":<sv> before its closing brace; a copy by
 * hand: formatting a kilobyte through printf's "%.*s" was 5% of the processor's time. */
static char *with_seller(const char *t, size_t len, const char *sv, size_t svlen)
{
    static const char key[] = "\"seller\":";
    int comma = len > 2;
    size_t n = len - 1 + (size_t)comma + sizeof(key) - 1 + svlen + 1;
    char *out = fr_xmalloc(n + 1), *w = out;

    memcpy(w, t, len - 1), w += len - 1;
    if (comma)
        *w++ = ',';
    memcpy(w, key, sizeof(key) - 1), w += sizeof(key) - 1;
    memcpy(w, sv, svlen), w += svlen;
    *w++ = '}';
    *w = '\0';
    return out;
}

/* Appends "seller": <seller> to the payload texts of the items it sells (the text is a
 * JSON object; jsonb does not keep key order, so last is as good as sorted). */
static void set_seller(struct lookup *l, const char *id, json_t *seller /* borrowed */)
{
    char *st = seller ? json_dumps(seller, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15))
                      : NULL;
    const char *sv = st ? st : "null";
    size_t svlen = strlen(sv);

    for (size_t k = 0; k < l->nitems; k++) {
        struct fr_src_item *it = &l->items[k];
        char *t = it->text;
        size_t len;
        if (it->status != FR_SRC_ITEM_OK || t == NULL || strcmp(it->obs.buybox_seller_id, id) != 0)
            continue;
        len = strlen(t);
        if (len < 2 || t[len - 1] != '}')
            continue;
        it->text = with_seller(t, len, sv, svlen);
        free(t);
    }
    free(st);
}

static void cache_key(const struct lookup *l, const char *id, char *out, size_t n)
{
    char suffix[96];

    snprintf(suffix, sizeof(suffix), "seller:%s", id);
    fr_queue_key(l->env.queue, suffix, out, n);
}

/* Unique seller ids of the OK items. */
static size_t seller_ids(const struct fr_src_item *items, size_t nitems, char ***out)
{
    char **ids = fr_xcalloc(nitems ? nitems : 1, sizeof(*ids));
    size_t n = 0;

    for (size_t k = 0; k < nitems; k++) {
        const char *id = items[k].obs.buybox_seller_id;
        int seen = 0;
        if (items[k].status != FR_SRC_ITEM_OK || !id[0])
            continue;
        for (size_t j = 0; j < n && !seen; j++)
            seen = strcmp(ids[j], id) == 0;
        if (!seen)
            ids[n++] = fr_xstrdup(id);
    }
    *out = ids;
    return n;
}

static void free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

/* Fills cached sellers; leaves the misses in l->ids[0..l->n). */
static void use_cache(struct lookup *l)
{
    const char **argv = fr_xcalloc(l->n + 1, sizeof(*argv));
    char(*keys)[160] = fr_xcalloc(l->n ? l->n : 1, sizeof(*keys));
    redisReply *rep = NULL;
    size_t miss = 0;

    argv[0] = "MGET";
    for (size_t i = 0; i < l->n; i++) {
        cache_key(l, l->ids[i], keys[i], sizeof(keys[i]));
        argv[i + 1] = keys[i];
    }
    if (fr_redis_cmd_argv(l->env.redis, &rep, NULL, (int)l->n + 1, argv, NULL) != 0)
        rep = NULL;
    for (size_t i = 0; i < l->n; i++) {
        redisReply *e = rep && i < rep->elements ? rep->element[i] : NULL;
        json_t *v = NULL;
        if (e && e->type == REDIS_REPLY_STRING &&
            fr_json_parse(e->str, e->len, &v, NULL) == 0) {
            set_seller(l, l->ids[i], json_is_object(v) ? v : NULL);
            json_decref(v);
            free(l->ids[i]);
        } else {
            l->ids[miss++] = l->ids[i];
        }
    }
    if (rep)
        freeReplyObject(rep);
    free(argv);
    free(keys);
    l->n = miss;
}

static void remember(struct lookup *l, json_t *sellers)
{
    for (size_t i = 0; i < l->n; i++) {
        char key[160];
        json_t *s = json_object_get(sellers, l->ids[i]);
        char *text = s ? json_dumps(s, JSON_COMPACT) : NULL;
        cache_key(l, l->ids[i], key, sizeof(key));
        fr_redis_append(l->env.redis, NULL, "SET %s %s PX %lld", key, text ? text : "null",
                        (long long)l->k->cfg.seller_ttl_ms);
        free(text);
    }
    fr_redis_drain(l->env.redis, NULL);
}

/* Ends the step: the caller goes on with its items. */
static void finish(struct lookup *l)
{
    fr_src_enriched_fn done = l->done;
    void *arg = l->arg;

    free_ids(l->ids, l->n);
    free(l);
    done(arg);
}

static void on_sellers(const struct fr_up_result *r, void *arg)
{
    struct lookup *l = arg;
    struct fr_keepa_envelope env;
    struct fr_src_budget budget;
    json_t *sellers = NULL;
    struct fr_error err = {0};

    if (r->cls == FR_UP_OK) {
        int ok = fr_keepa_parse_sellers(r->body, r->body_len, &env, &sellers, &err) == 0;
        fr_keepa_budget_of(&env, &budget);
        fr_upstream_settle(l->env.up, r, &budget, ok);
        if (ok) {
            for (size_t i = 0; i < l->n; i++)
                set_seller(l, l->ids[i], json_object_get(sellers, l->ids[i]));
            remember(l, sellers);
        } else {
            log_warn("unusable seller response: %s", err.msg);
        }
        json_decref(sellers);
    } else {
        log_debug("seller lookup skipped: %s", r->reason);
    }
    finish(l);
}

void fr_keepa_enrich_sellers(void *state, const struct fr_src_env *env,
                             struct fr_src_item *items, size_t n, fr_src_enriched_fn done,
                             void *arg)
{
    const struct fr_keepa_state *k = state;
    struct lookup *l = fr_xcalloc(1, sizeof(*l));
    struct fr_src_request req = {0};
    struct fr_error err = {0};
    int64_t wait;

    l->k = k;
    l->env = *env;
    l->items = items;
    l->nitems = n;
    l->done = done;
    l->arg = arg;
    if (!k->cfg.sellers) {
        finish(l);
        return;
    }
    l->n = seller_ids(items, n, &l->ids);
    if (l->n > 0)
        use_cache(l);
    if (l->n == 0 ||
        fr_budget_take(env->budget, (int64_t)l->n, &wait, NULL) != FR_BUDGET_GRANTED) {
        finish(l);
        return;
    }
    req.url = fr_keepa_url_seller(&k->cfg, (const char *const *)l->ids, l->n);
    req.endpoint = "seller";
    req.cost = (int64_t)l->n;
    if (fr_upstream_send(env->up, &req, on_sellers, l, &err) != 0) {
        fr_budget_refund(env->budget, (int64_t)l->n, NULL);
        finish(l);
    }
    fr_src_request_release(&req);
}
