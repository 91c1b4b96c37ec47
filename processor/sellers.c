/*
 * sellers — adds the buy-box seller ({id, name, rating, ...}) to each payload text. Sellers
 * change slowly, so answers are cached in Redis (freshet:{src}:seller:<id>, with a
 * time-to-live; "null" remembers a seller Keepa does not know): a cached seller costs
 * no token. The lookup is an enrichment: when the budget cannot pay for it now or the
 * request fails, the batch is stored without it rather than delayed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "processor/proc.h"

struct lookup {
    struct proc_batch *b;
    char **ids; /* owned, unique, not cached */
    size_t n;
};

/* Appends "seller": <seller> to the payload texts of the products it sells (the text is
 * a JSON object; jsonb does not keep key order, so last is as good as sorted). */
static void set_seller(struct proc_batch *b, const char *id, json_t *seller /* borrowed */)
{
    char *st = seller ? json_dumps(seller, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15))
                      : NULL;
    const char *sv = st ? st : "null";

    for (size_t k = 0; k < b->nproducts; k++) {
        struct fr_keepa_product *pr = &b->products[k];
        char *t = b->texts[k];
        size_t len = t ? strlen(t) : 0;
        if (pr->status != FR_KEEPA_OK || len < 2 || t[len - 1] != '}' ||
            strcmp(pr->buybox_seller_id, id) != 0)
            continue;
        b->texts[k] = fr_xasprintf("%.*s%s\"seller\":%s}", (int)(len - 1), t, len > 2 ? "," : "",
                                   sv);
        free(t);
    }
    free(st);
}

static void cache_key(const struct proc *p, const char *id, char *out, size_t n)
{
    char suffix[96];

    snprintf(suffix, sizeof(suffix), "seller:%s", id);
    fr_queue_key(&p->queue, suffix, out, n);
}

/* Unique seller ids of the batch's OK products. */
static size_t seller_ids(struct proc_batch *b, char ***out)
{
    char **ids = fr_xcalloc(b->nproducts ? b->nproducts : 1, sizeof(*ids));
    size_t n = 0;

    for (size_t k = 0; k < b->nproducts; k++) {
        const char *id = b->products[k].buybox_seller_id;
        int seen = 0;
        if (b->products[k].status != FR_KEEPA_OK || !id[0])
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

/* Fills cached sellers; leaves the misses in ids[0..*n). */
static void use_cache(struct proc_batch *b, char **ids, size_t *n)
{
    struct proc *p = b->p;
    const char **argv = fr_xcalloc(*n + 1, sizeof(*argv));
    char(*keys)[160] = fr_xcalloc(*n ? *n : 1, sizeof(*keys));
    redisReply *rep = NULL;
    size_t miss = 0;

    argv[0] = "MGET";
    for (size_t i = 0; i < *n; i++) {
        cache_key(p, ids[i], keys[i], sizeof(keys[i]));
        argv[i + 1] = keys[i];
    }
    if (fr_redis_cmd_argv(&p->redis, &rep, NULL, (int)*n + 1, argv, NULL) != 0)
        rep = NULL;
    for (size_t i = 0; i < *n; i++) {
        redisReply *e = rep && i < rep->elements ? rep->element[i] : NULL;
        json_t *v = NULL;
        if (e && e->type == REDIS_REPLY_STRING &&
            fr_json_parse(e->str, e->len, &v, NULL) == 0) {
            set_seller(b, ids[i], json_is_object(v) ? v : NULL);
            json_decref(v);
            free(ids[i]);
        } else {
            ids[miss++] = ids[i];
        }
    }
    if (rep)
        freeReplyObject(rep);
    free(argv);
    free(keys);
    *n = miss;
}

static void remember(struct proc *p, char **ids, size_t n, json_t *sellers)
{
    for (size_t i = 0; i < n; i++) {
        char key[160];
        json_t *s = json_object_get(sellers, ids[i]);
        char *text = s ? json_dumps(s, JSON_COMPACT) : NULL;
        cache_key(p, ids[i], key, sizeof(key));
        fr_redis_append(&p->redis, NULL, "SET %s %s PX %lld", key, text ? text : "null",
                        (long long)p->cfg->seller_ttl_ms);
        free(text);
    }
    fr_redis_drain(&p->redis, NULL);
}

static void on_sellers(const struct fr_up_result *r, void *arg)
{
    struct lookup *l = arg;
    struct proc_batch *b = l->b;
    struct proc *p = b->p;
    struct fr_keepa_envelope env;
    json_t *sellers = NULL;
    struct fr_error err = {0};

    if (r->cls == FR_UP_OK) {
        int ok = fr_keepa_parse_sellers(r->body, r->body_len, &env, &sellers, &err) == 0;
        fr_upstream_settle(&p->up, r, &env, ok);
        if (ok) {
            for (size_t i = 0; i < l->n; i++)
                set_seller(b, l->ids[i], json_object_get(sellers, l->ids[i]));
            remember(p, l->ids, l->n, sellers);
        } else {
            log_warn("unusable seller response: %s", err.msg);
        }
        json_decref(sellers);
    } else {
        log_debug("seller lookup skipped: %s", r->reason);
    }
    free_ids(l->ids, l->n);
    free(l);
    proc_batch_store(b);
}

void proc_sellers_enrich(struct proc_batch *b)
{
    struct proc *p = b->p;
    struct lookup *l;
    struct fr_error err = {0};
    int64_t wait;
    char **ids, *url;
    size_t n = seller_ids(b, &ids);

    if (n > 0)
        use_cache(b, ids, &n);
    if (n == 0 || fr_budget_take(&p->budget, (int64_t)n, &wait, NULL) != FR_BUDGET_GRANTED) {
        free_ids(ids, n);
        proc_batch_store(b);
        return;
    }
    l = fr_xcalloc(1, sizeof(*l));
    l->b = b;
    l->ids = ids;
    l->n = n;
    url = fr_keepa_url_seller(p->up.cfg, (const char *const *)ids, n);
    if (fr_upstream_call(&p->up, "seller", url, NULL, (int64_t)n, on_sellers, l, &err) != 0) {
        fr_budget_refund(&p->budget, (int64_t)n, NULL);
        free_ids(ids, n);
        free(l);
        proc_batch_store(b);
    }
    free(url);
}
