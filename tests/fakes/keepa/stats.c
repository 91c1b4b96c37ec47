/*
 * stats.c - request, fault and served-ASIN counters, see stats.h.
 */
#include "stats.h"

#include "catalog.h"
#include "clock.h"

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
    st->first_ms = calloc(size ? size : 1, sizeof(*st->first_ms));
    st->last_ms = calloc(size ? size : 1, sizeof(*st->last_ms));
    st->first_agent = calloc(size ? size : 1, sizeof(*st->first_agent));
    st->agents[0] = strdup("");
    st->nagents = 1;
    if (st->served == NULL || st->first_ms == NULL || st->last_ms == NULL ||
        st->first_agent == NULL || st->agents[0] == NULL)
        abort();
}

void fk_stats_release(struct fk_stats *st)
{
    free(st->served);
    free(st->first_ms);
    free(st->last_ms);
    free(st->first_agent);
    for (int i = 0; i < st->nagents; i++)
        free(st->agents[i]);
    st->served = st->first_ms = st->last_ms = NULL;
    st->first_agent = NULL;
    st->nagents = 0;
}

/* Returns arr resized from old to size elements of elem bytes, the new ones zeroed. */
static void *grow_array(void *arr, size_t elem, uint32_t old, uint32_t size)
{
    char *p = realloc(arr, (size_t)size * elem);

    if (p == NULL)
        abort();
    memset(p + (size_t)old * elem, 0, (size_t)(size - old) * elem);
    return p;
}

void fk_stats_grow(struct fk_stats *st, uint32_t size)
{
    if (size <= st->size)
        return;
    st->served = grow_array(st->served, sizeof(*st->served), st->size, size);
    st->first_ms = grow_array(st->first_ms, sizeof(*st->first_ms), st->size, size);
    st->last_ms = grow_array(st->last_ms, sizeof(*st->last_ms), st->size, size);
    st->first_agent = grow_array(st->first_agent, sizeof(*st->first_agent), st->size, size);
    st->size = size;
}

void fk_stats_reset(struct fk_stats *st)
{
    size_t n = st->size ? st->size : 1;

    /* Counters go back to zero; the arrays and the User-Agent slots are kept. */
    memset(st->requests, 0, sizeof(st->requests));
    memset(st->faults, 0, sizeof(st->faults));
    st->products_served = st->asins_unique = 0;
    st->asins_max = 0;
    memset(st->served, 0, n * sizeof(*st->served));
    memset(st->first_ms, 0, n * sizeof(*st->first_ms));
    memset(st->last_ms, 0, n * sizeof(*st->last_ms));
    memset(st->first_agent, 0, n * sizeof(*st->first_agent));
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

int fk_stats_agent(struct fk_stats *st, const char *agent)
{
    if (agent == NULL)
        return 0;
    for (int i = 1; i < st->nagents; i++) {
        if (strcmp(st->agents[i], agent) == 0)
            return i;
    }
    if (st->nagents == FK_STATS_AGENTS || (st->agents[st->nagents] = strdup(agent)) == NULL)
        return 0;
    return st->nagents++;
}

void fk_stats_served(struct fk_stats *st, int64_t idx, int64_t elapsed, int agent)
{
    uint32_t n, at = (uint32_t)(elapsed + 1); /* 0 = never; wraps after 49 days */

    st->products_served++;
    if (idx < 0 || idx >= st->size)
        return;
    n = ++st->served[idx];
    st->last_ms[idx] = at;
    if (n == 1) {
        st->first_ms[idx] = at;
        st->first_agent[idx] = (uint8_t)agent;
        st->asins_unique++;
    }
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

void fk_stats_render_repeats(const struct fk_stats *st, struct fk_buf *out)
{
    char asin[FK_ASIN_LEN + 1];

    fk_jw_key(out, "repeats");
    fk_jw_open(out, '{');
    for (uint32_t i = 0; i < st->size; i++) {
        if (st->served[i] < 2)
            continue;
        fk_asin_encode(i, asin);
        fk_jw_key(out, asin);
        fk_jw_open(out, '[');
        fk_jw_uint(out, st->served[i]);
        fk_jw_int(out, fk_clock_wall((int64_t)st->first_ms[i] - 1));
        fk_jw_int(out, fk_clock_wall((int64_t)st->last_ms[i] - 1));
        fk_jw_str(out, st->agents[st->first_agent[i]], strlen(st->agents[st->first_agent[i]]));
        fk_jw_close(out, ']');
    }
    fk_jw_close(out, '}');
}
