/*
 * api.c - key checks, token admission, and the small endpoints /token and
 * /seller; /product and /deal have their own files.
 */
#include "api.h"

#include "clock.h"
#include "deal.h"
#include "params.h"
#include "product.h"
#include "reply.h"

#include <string.h>

#define FK_SELLER_MAX_IDS 100

int fk_api_domain(struct fk_call *c, int64_t *domain)
{
    const char *v = evhttp_find_header(&c->query, "domain");

    if (v == NULL || fk_parse_int(v, 0, 1000, domain) < 0 || !fk_domain_valid(*domain)) {
        fk_reply_param(c, "domain must be one of 1-6 or 8-12");
        return -1;
    }
    return 0;
}

int fk_api_admit(struct fk_call *c, struct fk_key *key, int64_t cost)
{
    struct fk_buf b;

    if (!c->charge)
        return 0;
    if (fk_keys_charge(&c->srv->keys, key, fk_clock_elapsed(), cost) == 0)
        return 0;
    /* Keepa's 429 body is the bare envelope (REFERENCE A2). */
    fk_buf_init(&b, 256);
    fk_jw_open(&b, '{');
    fk_reply_api(c, 429, &b, key, 0);
    return -1;
}

static void token_handle(struct fk_call *c, struct fk_key *key)
{
    struct fk_buf b;

    fk_buf_init(&b, 256);
    fk_jw_open(&b, '{');
    fk_reply_api(c, 200, &b, key, 0);
}

/* Collects the distinct pool sellers named in list; unknown ids are skipped. */
static size_t find_sellers(const struct fk_sellers *sp, const struct fk_span *ids, size_t n,
                           uint32_t *found)
{
    size_t nf = 0;

    for (size_t i = 0; i < n; i++) {
        uint32_t j;
        int dup = 0;
        if (fk_sellers_find(sp, ids[i].p, ids[i].len, &j) < 0)
            continue;
        for (size_t k = 0; k < nf && !dup; k++)
            dup = found[k] == j;
        if (!dup)
            found[nf++] = j;
    }
    return nf;
}

static void seller_handle(struct fk_call *c, struct fk_key *key)
{
    struct fk_span ids[FK_SELLER_MAX_IDS + 1];
    uint32_t found[FK_SELLER_MAX_IDS];
    const char *list = evhttp_find_header(&c->query, "seller");
    int64_t domain, storefront;
    size_t n, nf;
    struct fk_buf b;

    if (fk_api_domain(c, &domain) < 0)
        return;
    n = list ? fk_split_list(list, ids, FK_SELLER_MAX_IDS) : 0;
    if (n == 0 || n > FK_SELLER_MAX_IDS ||
        fk_param_int(&c->query, "storefront", 0, 1, 0, &storefront) < 0) {
        fk_reply_param(c, "seller must be a comma-separated list of 1 to 100 seller ids");
        return;
    }
    nf = find_sellers(c->srv->sellers, ids, n, found);
    if (fk_api_admit(c, key, (int64_t)nf) < 0)
        return;
    fk_buf_init(&b, 1024 * nf + 256);
    fk_jw_open(&b, '{');
    fk_jw_key(&b, "sellers");
    fk_jw_open(&b, '{');
    for (size_t k = 0; k < nf; k++) {
        fk_jw_key(&b, fk_sellers_id(c->srv->sellers, found[k]));
        fk_sellers_render(c->srv->sellers, found[k], (int)domain, fk_clock_elapsed(), &b);
    }
    fk_jw_close(&b, '}');
    fk_reply_api(c, 200, &b, key, (int64_t)nf);
}

void fk_api_handle(struct fk_call *c)
{
    const char *name = evhttp_find_header(&c->query, "key");
    struct fk_key *key = name ? fk_keys_find(&c->srv->keys, name) : NULL;

    if (key != NULL)
        fk_keys_refill(&c->srv->keys, key, fk_clock_elapsed());
    if (c->fault == FK_FAULT_5XX) {
        fk_reply_error(c, 500, "internalServerError", "Internal server error (injected)", key);
        return;
    }
    if (c->ep == FK_EP_OTHER) {
        fk_reply_error(c, 404, "notFound", "Unknown API endpoint", NULL);
        return;
    }
    if (key == NULL) {
        fk_reply_error(c, 400, "invalidKey", "You used an invalid or no API key.", NULL);
        return;
    }
    if (key->expired) {
        fk_reply_error(c, 402, "paymentRequired", "Your subscription has expired.", key);
        return;
    }
    switch (c->ep) {
    case FK_EP_PRODUCT:
        fk_product_handle(c, key);
        break;
    case FK_EP_DEAL:
        fk_deal_handle(c, key);
        break;
    case FK_EP_SELLER:
        seller_handle(c, key);
        break;
    default:
        token_handle(c, key);
        break;
    }
}
