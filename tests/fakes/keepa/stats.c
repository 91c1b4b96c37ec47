/*
 * stats.c - request, fault and served-ASIN counters, see stats.h.
 */
#include "stats.h"

#include "catalog.h"

#include <stdlib.h>
#include <string.h>

static const char *const ep_names[FK_EP_COUNT] = {"product", "deal", "seller", "token", "other"};

static const char *const out_names[FK_OUT_COUNT] = {
    "200", "400", "402", "404", "405", "429", "500", "other",
    "reset", "timeout", "200-truncated", "200-garbage",
};

void fk_stats_init(struct fk_stats *st, uint32_t size)
{
    memset(st, 0, sizeof(*st));
    st->size = size;
    st->served = calloc(size ? size : 1, sizeof(*st->served));
    if (st->served == NULL)
        abort();
}

void fk_stats_release(struct fk_stats *st)
{
    free(st->served);
    st->served = NULL;
}

void fk_stats_reset(struct fk_stats *st)
{
    uint32_t *served = st->served;
    uint32_t size = st->size;

    memset(served, 0, (size ? size : 1) * sizeof(*served));
    memset(st, 0, sizeof(*st));
    st->served = served;
    st->size = size;
}

const char *fk_endpoint_name(enum fk_endpoint ep)
{
    return ep < FK_EP_COUNT ? ep_names[ep] : "?";
}

enum fk_outcome fk_outcome_of_status(int status)
{
    switch (status) {
    case 200:
        return FK_OUT_200;
    case 400:
        return FK_OUT_400;
    case 402:
        return FK_OUT_402;
    case 404:
        return FK_OUT_404;
    case 405:
        return FK_OUT_405;
    case 429:
        return FK_OUT_429;
    case 500:
        return FK_OUT_500;
    default:
        return FK_OUT_OTHER_STATUS;
    }
}

void fk_stats_request(struct fk_stats *st, enum fk_endpoint ep, enum fk_outcome out)
{
    st->requests[ep][out]++;
}

void fk_stats_fault(struct fk_stats *st, enum fk_fault f)
{
    st->faults[f]++;
}

void fk_stats_served(struct fk_stats *st, int64_t idx)
{
    uint32_t n;

    st->products_served++;
    if (idx < 0 || idx >= st->size)
        return;
    n = ++st->served[idx];
    if (n == 1)
        st->asins_unique++;
    if (n > st->asins_max)
        st->asins_max = n;
}

static void render_requests(const struct fk_stats *st, struct fk_buf *out)
{
    fk_jw_key(out, "requests");
    fk_jw_open(out, '{');
    for (int ep = 0; ep < FK_EP_COUNT; ep++) {
        fk_jw_key(out, ep_names[ep]);
        fk_jw_open(out, '{');
        for (int o = 0; o < FK_OUT_COUNT; o++) {
            if (st->requests[ep][o] != 0) {
                fk_jw_key(out, out_names[o]);
                fk_jw_uint(out, st->requests[ep][o]);
            }
        }
        fk_jw_close(out, '}');
    }
    fk_jw_close(out, '}');
}

void fk_stats_render(const struct fk_stats *st, struct fk_buf *out)
{
    render_requests(st, out);
    fk_jw_key(out, "products_served");
    fk_jw_uint(out, st->products_served);
    fk_jw_key(out, "asins_served_unique");
    fk_jw_uint(out, st->asins_unique);
    fk_jw_kint(out, "asins_served_max", st->asins_max);
    fk_jw_key(out, "faults");
    fk_jw_open(out, '{');
    for (int f = FK_FAULT_NONE + 1; f < FK_FAULT_COUNT; f++) {
        fk_jw_key(out, fk_fault_name((enum fk_fault)f));
        fk_jw_uint(out, st->faults[f]);
    }
    fk_jw_close(out, '}');
}

void fk_stats_render_asins(const struct fk_stats *st, struct fk_buf *out)
{
    char asin[FK_ASIN_LEN + 1];

    fk_jw_key(out, "asins");
    fk_jw_open(out, '{');
    for (uint32_t i = 0; i < st->size; i++) {
        if (st->served[i] == 0)
            continue;
        fk_asin_encode(i, asin);
        fk_jw_key(out, asin);
        fk_jw_uint(out, st->served[i]);
    }
    fk_jw_close(out, '}');
}
