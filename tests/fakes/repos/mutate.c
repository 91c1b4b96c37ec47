/*
 * mutate.c - /_test/truth, /_test/mutate and /_test/grow, see control.h.
 *
 * A mutation is what happens to a real repository between two refreshes:
 * its stars change and updated_at moves to now. touch=1 moves only
 * updated_at (a change that leaves the history fields alone); deleted=1
 * makes it gone (410, no longer listed) and deleted=0 brings it back.
 */
#include "control.h"

#include "clock.h"
#include "hash.h"
#include "params.h"
#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Most repositories one mutate request may change. */
#define MUTATE_MAX 100000

static json_t *truth_one(const struct rp_server *srv, uint32_t idx)
{
    const struct rp_repo *r = &srv->cat->v[idx];

    return json_pack("{s:I, s:s, s:I, s:I, s:o}", "id", (json_int_t)idx + 1, "state",
                     r->deleted ? "deleted" : "live", "version", (json_int_t)r->version, "fetches",
                     (json_int_t)srv->stats.fetched[idx], "record",
                     rp_repo_json(srv->cat, idx, RP_VIEW_FULL));
}

void rp_truth_handle(struct rp_call *c)
{
    struct rp_server *srv = c->srv;
    const char *id = evhttp_find_header(&c->query, "id");
    const char *all = evhttp_find_header(&c->query, "all");
    json_t *items, *deleted;
    uint32_t idx;

    if (id != NULL) {
        if (rp_catalog_find(srv->cat, id, strlen(id), &idx) < 0)
            rp_reply_message(c, 404, "no repository has this id");
        else
            rp_reply_json(c, 200, truth_one(srv, idx));
        return;
    }
    if (all == NULL || strcmp(all, "1") != 0) {
        rp_reply_message(c, 400, "give id=N or all=1");
        return;
    }
    items = json_array();
    deleted = json_array();
    for (idx = 0; idx < srv->cat->n; idx++) {
        if (srv->cat->v[idx].deleted)
            json_array_append_new(deleted, json_integer((json_int_t)idx + 1));
        else
            json_array_append_new(items, rp_repo_json(srv->cat, idx, RP_VIEW_FULL));
    }
    rp_reply_json(c, 200,
                  json_pack("{s:I, s:o, s:o}", "count", (json_int_t)json_array_size(items), "items",
                            items, "deleted", deleted));
}

static int has(const struct rp_call *c, const char *name)
{
    return evhttp_find_header(&c->query, name) != NULL;
}

/*
 * Reads what to change from the query into m; *seeded = 1 when nothing was
 * named, so that each repository's stars move by its seeded default amount.
 * Returns 0, or -1 when a value is bad.
 */
static int read_change(const struct rp_call *c, struct rp_mutation *m, int *seeded)
{
    const struct evkeyvalq *q = &c->query;
    int64_t touch, deleted;

    *m = rp_mutation_none();
    if (rp_param_int(q, "stars", 0, 1000000000, 0, &m->stars) < 0 ||
        rp_param_int(q, "stars_delta", -1000000000, 1000000000, 0, &m->stars_delta) < 0 ||
        rp_param_int(q, "touch", 0, 1, 0, &touch) < 0 ||
        rp_param_int(q, "deleted", 0, 1, -1, &deleted) < 0)
        return -1;
    m->set_stars = has(c, "stars");
    m->deleted = (int)deleted;
    m->bump = m->set_stars || has(c, "stars_delta") || touch;
    *seeded = !m->bump && m->deleted < 0;
    if (*seeded)
        m->bump = 1;
    return 0;
}

/* Picks n distinct listed repositories with the catalog's generator into idx[]. */
static size_t pick_random(struct rp_catalog *cat, size_t n, uint32_t *idx)
{
    uint32_t nlive;
    const uint32_t *live = rp_catalog_live(cat, &nlive);
    uint32_t *pool = malloc((nlive ? nlive : 1) * sizeof(*pool));

    if (pool == NULL)
        abort();
    memcpy(pool, live, nlive * sizeof(*pool));
    if (n > nlive)
        n = nlive;
    /* The first n steps of a Fisher-Yates shuffle. */
    for (size_t i = 0; i < n; i++) {
        size_t j = i + (size_t)(rp_rng_next(&cat->rng) % (nlive - i));
        uint32_t t = pool[i];
        pool[i] = pool[j];
        pool[j] = t;
        idx[i] = pool[i] - 1;
    }
    free(pool);
    return n;
}

/* Fills idx[] with the repositories named by id=, ids= or n=; returns the count or -1. */
static long targets(struct rp_call *c, uint32_t *idx)
{
    const char *one = evhttp_find_header(&c->query, "id");
    const char *list = evhttp_find_header(&c->query, "ids");
    struct rp_catalog *cat = c->srv->cat;
    int64_t n;
    size_t count = 0;

    if ((one != NULL) + (list != NULL) + has(c, "n") != 1)
        return -1;
    if (one != NULL)
        return rp_catalog_find(cat, one, strlen(one), &idx[0]) == 0 ? 1 : -1;
    if (list != NULL) {
        while (*list != '\0' && count < MUTATE_MAX) {
            size_t len = strcspn(list, ",");
            if (rp_catalog_find(cat, list, len, &idx[count]) < 0)
                return -1;
            count++;
            list += len + (list[len] == ',');
        }
        return *list == '\0' && count > 0 ? (long)count : -1;
    }
    if (rp_param_int(&c->query, "n", 1, MUTATE_MAX, 1, &n) < 0)
        return -1;
    return (long)pick_random(cat, (size_t)n, idx);
}

static json_t *mutated_json(const struct rp_catalog *cat, uint32_t idx)
{
    const struct rp_repo *r = &cat->v[idx];
    char updated[32];

    rp_format_iso8601(r->updated_s, updated, sizeof(updated));
    return json_pack("{s:I, s:I, s:s, s:b}", "id", (json_int_t)idx + 1, "stargazers_count",
                     (json_int_t)r->stars, "updated_at", updated, "deleted", r->deleted);
}

void rp_mutate_handle(struct rp_call *c)
{
    struct rp_catalog *cat = c->srv->cat;
    int64_t now_s = rp_clock_wall(rp_clock_elapsed()) / 1000;
    uint32_t *idx = malloc(MUTATE_MAX * sizeof(*idx));
    struct rp_mutation m;
    json_t *done;
    int seeded;
    long n;

    if (idx == NULL)
        abort();
    n = targets(c, idx);
    if (n < 0 || read_change(c, &m, &seeded) < 0) {
        free(idx);
        rp_reply_message(c, 400,
                         "give one of id=N, ids=A,B or n=K (known ids), and optionally "
                         "stars=S (>= 0), stars_delta=D, touch=1, deleted=0|1");
        return;
    }
    done = json_array();
    for (long i = 0; i < n; i++) {
        if (seeded)
            m.stars_delta = rp_catalog_default_delta(cat, idx[i]);
        rp_catalog_mutate(cat, idx[i], &m, now_s);
        json_array_append_new(done, mutated_json(cat, idx[i]));
    }
    free(idx);
    rp_reply_json(c, 200, json_pack("{s:o}", "mutated", done));
}

void rp_grow_handle(struct rp_call *c)
{
    struct rp_server *srv = c->srv;
    uint32_t first = srv->cat->n + 1, added;
    int64_t n;

    if (rp_param_int(&c->query, "n", 1, RP_CATALOG_MAX, -1, &n) < 0 || n < 1) {
        rp_reply_message(c, 400, "n must be the number of repositories to add (1..)");
        return;
    }
    added = rp_catalog_grow(srv->cat, (uint32_t)n);
    rp_stats_resize(&srv->stats, srv->cat->n);
    rp_reply_json(c, 200,
                  json_pack("{s:I, s:I, s:I}", "added", (json_int_t)added, "first_id",
                            (json_int_t)first, "repos", (json_int_t)srv->cat->n));
}
