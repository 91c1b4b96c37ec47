/*
 * stats.c - request, fault and per-id fetch counters, see stats.h.
 */
#include "stats.h"

#include "clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const ep_names[RP_EP_COUNT] = {"page",  "offset", "cursor", "link",
                                                  "batch", "single", "other"};

static const char *const out_names[RP_OUT_COUNT] = {
    "200", "400", "401",   "403",   "404",     "410",           "429",
    "500", "503", "other", "reset", "timeout", "200-truncated", "200-garbage",
};

void rp_stats_init(struct rp_stats *st, uint32_t size)
{
    memset(st, 0, sizeof(*st));
    if ((st->agents[0] = strdup("")) == NULL)
        abort();
    st->nagents = 1;
    rp_stats_resize(st, size);
}

/* Grows a per-index array from old to size elements of esize bytes, the new ones zero. */
static void *grow_array(void *a, size_t esize, uint32_t old, uint32_t size)
{
    char *grown = realloc(a, (size ? size : 1) * esize);

    if (grown == NULL)
        abort();
    if (size > old)
        memset(grown + (size_t)old * esize, 0, (size_t)(size - old) * esize);
    return grown;
}

void rp_stats_resize(struct rp_stats *st, uint32_t size)
{
    if (size <= st->size && st->fetched != NULL)
        return;
    if (size < st->size)
        size = st->size;
    st->fetched = grow_array(st->fetched, sizeof(*st->fetched), st->size, size);
    st->first_ms = grow_array(st->first_ms, sizeof(*st->first_ms), st->size, size);
    st->last_ms = grow_array(st->last_ms, sizeof(*st->last_ms), st->size, size);
    st->first_agent = grow_array(st->first_agent, sizeof(*st->first_agent), st->size, size);
    st->size = size;
}

void rp_stats_release(struct rp_stats *st)
{
    free(st->fetched);
    free(st->first_ms);
    free(st->last_ms);
    free(st->first_agent);
    for (int i = 0; i < st->nagents; i++)
        free(st->agents[i]);
    st->fetched = st->first_ms = st->last_ms = NULL;
    st->first_agent = NULL;
    st->nagents = 0;
    st->size = 0;
}

void rp_stats_reset(struct rp_stats *st)
{
    memset(st->requests, 0, sizeof(st->requests));
    memset(st->faults, 0, sizeof(st->faults));
    st->listed = st->fetched_total = st->fetched_unique = 0;
    st->fetched_max = 0;
    memset(st->fetched, 0, st->size * sizeof(*st->fetched));
    memset(st->first_ms, 0, st->size * sizeof(*st->first_ms));
    memset(st->last_ms, 0, st->size * sizeof(*st->last_ms));
    memset(st->first_agent, 0, st->size * sizeof(*st->first_agent));
}

const char *rp_endpoint_name(enum rp_endpoint ep)
{
    return ep < RP_EP_COUNT ? ep_names[ep] : "?";
}

enum rp_outcome rp_outcome_of_status(int status)
{
    static const int codes[] = {200, 400, 401, 403, 404, 410, 429, 500, 503};

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (codes[i] == status)
            return (enum rp_outcome)i;
    }
    return RP_OUT_OTHER_STATUS;
}

void rp_stats_request(struct rp_stats *st, enum rp_endpoint ep, enum rp_outcome out)
{
    st->requests[ep][out]++;
}

void rp_stats_fault(struct rp_stats *st, enum rp_fault f)
{
    st->faults[f]++;
}

int rp_stats_agent(struct rp_stats *st, const char *agent)
{
    if (agent == NULL)
        return 0;
    for (int i = 1; i < st->nagents; i++) {
        if (strcmp(st->agents[i], agent) == 0)
            return i;
    }
    if (st->nagents == RP_STATS_AGENTS || (st->agents[st->nagents] = strdup(agent)) == NULL)
        return 0;
    return st->nagents++;
}

void rp_stats_fetched(struct rp_stats *st, uint32_t idx, int64_t elapsed, int agent)
{
    uint32_t n, at = (uint32_t)(elapsed + 1); /* 0 = never; wraps after 49 days */

    st->fetched_total++;
    if (idx >= st->size)
        return;
    n = ++st->fetched[idx];
    st->last_ms[idx] = at;
    if (n == 1) {
        st->first_ms[idx] = at;
        st->first_agent[idx] = (uint8_t)agent;
        st->fetched_unique++;
    }
    if (n > st->fetched_max)
        st->fetched_max = n;
}

/* The sum of outcome out over every endpoint. */
static uint64_t total(const struct rp_stats *st, enum rp_outcome out)
{
    uint64_t sum = 0;

    for (int ep = 0; ep < RP_EP_COUNT; ep++)
        sum += st->requests[ep][out];
    return sum;
}

static json_t *requests_json(const struct rp_stats *st)
{
    json_t *all = json_object();

    for (int ep = 0; ep < RP_EP_COUNT; ep++) {
        json_t *one = json_object();
        for (int o = 0; o < RP_OUT_COUNT; o++) {
            if (st->requests[ep][o] != 0)
                json_object_set_new(one, out_names[o],
                                    json_integer((json_int_t)st->requests[ep][o]));
        }
        json_object_set_new(all, ep_names[ep], one);
    }
    return all;
}

void rp_stats_render(const struct rp_stats *st, json_t *obj)
{
    json_t *faults = json_object();

    json_object_set_new(obj, "requests", requests_json(st));
    json_object_set_new(obj, "rate_limited", json_integer((json_int_t)total(st, RP_OUT_429)));
    json_object_set_new(obj, "unauthorized", json_integer((json_int_t)total(st, RP_OUT_401)));
    json_object_set_new(obj, "forbidden", json_integer((json_int_t)total(st, RP_OUT_403)));
    json_object_set_new(obj, "listed", json_integer((json_int_t)st->listed));
    json_object_set_new(obj, "fetched", json_integer((json_int_t)st->fetched_total));
    json_object_set_new(obj, "fetched_unique", json_integer((json_int_t)st->fetched_unique));
    json_object_set_new(obj, "fetched_max", json_integer(st->fetched_max));
    for (int f = RP_FAULT_NONE + 1; f < RP_FAULT_COUNT; f++)
        json_object_set_new(faults, rp_fault_name((enum rp_fault)f),
                            json_integer((json_int_t)st->faults[f]));
    json_object_set_new(obj, "faults", faults);
}

void rp_stats_render_ids(const struct rp_stats *st, json_t *obj, const char *key, uint32_t min)
{
    json_t *ids = json_object();
    char id[16];

    for (uint32_t i = 0; i < st->size; i++) {
        if (st->fetched[i] == 0 || st->fetched[i] < min)
            continue;
        snprintf(id, sizeof(id), "%u", i + 1);
        json_object_set_new(ids, id, json_integer(st->fetched[i]));
    }
    json_object_set_new(obj, key, ids);
}

void rp_stats_render_traces(const struct rp_stats *st, json_t *obj)
{
    json_t *ids = json_object();
    char id[16];

    for (uint32_t i = 0; i < st->size; i++) {
        if (st->fetched[i] < 2)
            continue;
        snprintf(id, sizeof(id), "%u", i + 1);
        json_object_set_new(
            ids, id,
            json_pack("[I, I, I, s]", (json_int_t)st->fetched[i],
                      (json_int_t)rp_clock_wall((int64_t)st->first_ms[i] - 1),
                      (json_int_t)rp_clock_wall((int64_t)st->last_ms[i] - 1),
                      st->agents[st->first_agent[i]]));
    }
    json_object_set_new(obj, "traces", ids);
}
