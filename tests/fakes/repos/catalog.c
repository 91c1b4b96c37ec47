/*
 * catalog.c - repository state, id lookup, the listing index and mutations,
 * see catalog.h. Rendering is in record.c.
 */
#include "catalog.h"

#include "hash.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

struct rp_mutation rp_mutation_none(void)
{
    struct rp_mutation m = {.deleted = -1};
    return m;
}

/* Gives repositories [from, to) their initial state. */
static void init_range(struct rp_catalog *cat, uint32_t from, uint32_t to, double deleted)
{
    for (uint32_t i = from; i < to; i++) {
        struct rp_repo *r = &cat->v[i];
        r->stars = rp_repo_initial_stars(cat->seed, i);
        r->updated_s = rp_repo_initial_updated(cat->seed, i);
        r->version = 0;
        r->deleted = rp_unit(rp_hashv(cat->seed, i, RP_SALT_DELETED, 0)) < deleted;
    }
}

/* Makes room for n repositories; the live index grows with them. */
static void reserve(struct rp_catalog *cat, uint32_t n)
{
    uint32_t cap = cat->cap ? cat->cap : 64;

    if (n <= cat->cap && cat->v != NULL)
        return;
    while (cap < n)
        cap = cap > RP_CATALOG_MAX / 2 ? RP_CATALOG_MAX : cap * 2;
    cat->v = xrealloc(cat->v, (size_t)cap * sizeof(*cat->v));
    cat->live = xrealloc(cat->live, (size_t)cap * sizeof(*cat->live));
    cat->cap = cap;
}

struct rp_catalog *rp_catalog_new(uint64_t seed, uint32_t n, double deleted)
{
    struct rp_catalog *cat = calloc(1, sizeof(*cat));

    if (cat == NULL)
        abort();
    if (n > RP_CATALOG_MAX)
        n = RP_CATALOG_MAX;
    cat->seed = seed;
    cat->rng = seed ^ 0x6d757461u; /* independent of the faults' stream */
    reserve(cat, n);
    init_range(cat, 0, n, deleted);
    cat->n = n;
    cat->live_stale = 1;
    return cat;
}

void rp_catalog_free(struct rp_catalog *cat)
{
    if (cat == NULL)
        return;
    free(cat->v);
    free(cat->live);
    free(cat);
}

uint32_t rp_catalog_grow(struct rp_catalog *cat, uint32_t k)
{
    uint32_t room = RP_CATALOG_MAX - cat->n;

    if (k > room)
        k = room;
    reserve(cat, cat->n + k);
    init_range(cat, cat->n, cat->n + k, 0); /* new repositories are never born deleted */
    cat->n += k;
    cat->live_stale = 1;
    return k;
}

int rp_catalog_find(const struct rp_catalog *cat, const char *s, size_t len, uint32_t *idx)
{
    uint64_t id = 0;

    if (len == 0 || len > 10 || s[0] == '0')
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        id = id * 10 + (uint64_t)(s[i] - '0');
    }
    if (id > cat->n)
        return -1;
    *idx = (uint32_t)(id - 1);
    return 0;
}

const uint32_t *rp_catalog_live(struct rp_catalog *cat, uint32_t *n)
{
    if (cat->live_stale) {
        cat->nlive = 0;
        for (uint32_t i = 0; i < cat->n; i++) {
            if (!cat->v[i].deleted)
                cat->live[cat->nlive++] = i + 1;
        }
        cat->live_stale = 0;
    }
    *n = cat->nlive;
    return cat->live;
}

uint32_t rp_catalog_next_live(const struct rp_catalog *cat, uint64_t after)
{
    for (uint64_t id = after + 1; id <= cat->n; id++) {
        if (!cat->v[id - 1].deleted)
            return (uint32_t)id;
    }
    return 0;
}

int64_t rp_catalog_default_delta(const struct rp_catalog *cat, uint32_t idx)
{
    return 1 + (int64_t)(rp_hashv(cat->seed, idx, RP_SALT_MUTATE, cat->v[idx].version) % 50);
}

void rp_catalog_mutate(struct rp_catalog *cat, uint32_t idx, const struct rp_mutation *m,
                       int64_t now_s)
{
    struct rp_repo *r = &cat->v[idx];

    if (m->set_stars)
        r->stars = m->stars;
    r->stars += m->stars_delta;
    if (r->stars < 0)
        r->stars = 0;
    if (m->bump) {
        /* updated_at must change even when two mutations fall in one second. */
        r->updated_s = now_s > r->updated_s ? now_s : r->updated_s + 1;
        r->version++;
    }
    if (m->deleted >= 0 && r->deleted != (uint8_t)m->deleted) {
        r->deleted = (uint8_t)m->deleted;
        cat->live_stale = 1;
    }
}
