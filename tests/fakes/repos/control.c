/*
 * control.c - routing of /_test/ and its stats, token, config and
 * reset-stats endpoints, see control.h; the catalog's are in mutate.c.
 */
#include "control.h"

#include "clock.h"
#include "params.h"
#include "reply.h"

#include <stdio.h>
#include <string.h>

enum rp_control rp_control_route(const char *path)
{
    static const struct {
        const char *name;
        enum rp_control which;
    } routes[] = {
        {"truth", RP_CTL_TRUTH},
        {"stats", RP_CTL_STATS},
        {"mutate", RP_CTL_MUTATE},
        {"grow", RP_CTL_GROW},
        {"token", RP_CTL_TOKEN},
        {"config", RP_CTL_CONFIG},
        {"reset-stats", RP_CTL_RESET_STATS},
    };
    size_t plen = strlen(RP_CONTROL_PREFIX);

    if (strncmp(path, RP_CONTROL_PREFIX, plen) != 0)
        return RP_CTL_NONE;
    path += plen;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        size_t n = strlen(routes[i].name);
        if (strncmp(path, routes[i].name, n) == 0 &&
            (path[n] == '\0' || strcmp(path + n, "/") == 0))
            return routes[i].which;
    }
    return RP_CTL_UNKNOWN;
}

/* Returns 1 if the flag parameter name is present and not "0". */
static int flag(const struct rp_call *c, const char *name)
{
    const char *v = evhttp_find_header(&c->query, name);
    return v != NULL && strcmp(v, "0") != 0;
}

static void stats_handle(struct rp_call *c)
{
    struct rp_server *srv = c->srv;
    const char *id = evhttp_find_header(&c->query, "id");
    json_t *doc = json_object(), *window = json_object();
    uint32_t idx, nlive;

    rp_stats_render(&srv->stats, doc);
    rp_limit_render(&srv->limit, rp_clock_elapsed(), window);
    json_object_set_new(doc, "window", window);
    rp_catalog_live(srv->cat, &nlive);
    json_object_set_new(doc, "repos", json_integer(srv->cat->n));
    json_object_set_new(doc, "listable", json_integer(nlive));
    json_object_set_new(doc, "uptime_ms", json_integer(rp_clock_elapsed()));
    if (id != NULL) {
        int known = rp_catalog_find(srv->cat, id, strlen(id), &idx) == 0;
        json_object_set_new(doc, "id", known ? json_integer((json_int_t)idx + 1) : json_null());
        json_object_set_new(doc, "fetches", json_integer(known ? srv->stats.fetched[idx] : 0));
    }
    if (flag(c, "ids"))
        rp_stats_render_ids(&srv->stats, doc, "ids", 1);
    if (flag(c, "repeats"))
        rp_stats_render_ids(&srv->stats, doc, "repeats", 2);
    if (flag(c, "trace"))
        rp_stats_render_traces(&srv->stats, doc);
    rp_reply_json(c, 200, doc);
}

static void token_handle(struct rp_call *c)
{
    struct rp_server *srv = c->srv;
    const char *token = evhttp_find_header(&c->query, "token");
    const char *forbidden = evhttp_find_header(&c->query, "forbidden");

    if (token == NULL && forbidden == NULL) {
        rp_reply_message(c, 400, "give token=T (\"\": no authentication) or forbidden=0|1");
        return;
    }
    if ((token != NULL && strlen(token) >= sizeof(srv->token)) ||
        (forbidden != NULL && strcmp(forbidden, "0") != 0 && strcmp(forbidden, "1") != 0)) {
        rp_reply_message(c, 400, "token is too long, or forbidden is not 0 or 1");
        return;
    }
    if (token != NULL)
        memcpy(srv->token, token, strlen(token) + 1);
    if (forbidden != NULL)
        srv->forbidden = forbidden[0] == '1';
    rp_reply_json(c, 200,
                  json_pack("{s:s, s:b}", "auth", srv->token[0] ? "bearer" : "off", "forbidden",
                            srv->forbidden));
}

/* Applies every parameter to copies first, so that a bad one changes nothing. */
static void config_handle(struct rp_call *c)
{
    struct rp_faults f = c->srv->faults;
    struct rp_limit l = c->srv->limit;
    int64_t now = rp_clock_elapsed();
    struct evkeyval *kv;
    json_t *doc;
    char err[192];

    TAILQ_FOREACH(kv, &c->query, next) {
        int rc = rp_faults_set(&f, kv->key, kv->value, err, sizeof(err));
        if (rc == 0)
            rc = rp_limit_set(&l, now, kv->key, kv->value, err, sizeof(err));
        if (rc == 0)
            snprintf(err, sizeof(err), "unknown setting '%.64s'", kv->key);
        if (rc <= 0) {
            rp_reply_message(c, 400, err);
            return;
        }
    }
    f.rng = c->srv->faults.rng;
    c->srv->faults = f;
    c->srv->limit = l;
    doc = json_object();
    rp_faults_render(&f, doc);
    rp_limit_render(&c->srv->limit, now, doc);
    rp_reply_json(c, 200, json_pack("{s:o}", "config", doc));
}

static void reset_handle(struct rp_call *c)
{
    rp_stats_reset(&c->srv->stats);
    rp_reply_json(c, 200, json_pack("{s:b}", "reset", 1));
}

void rp_control_handle(struct rp_call *c, enum rp_control which)
{
    switch (which) {
    case RP_CTL_TRUTH:
        rp_truth_handle(c);
        break;
    case RP_CTL_STATS:
        stats_handle(c);
        break;
    case RP_CTL_MUTATE:
        rp_mutate_handle(c);
        break;
    case RP_CTL_GROW:
        rp_grow_handle(c);
        break;
    case RP_CTL_TOKEN:
        token_handle(c);
        break;
    case RP_CTL_CONFIG:
        config_handle(c);
        break;
    case RP_CTL_RESET_STATS:
        reset_handle(c);
        break;
    default:
        rp_reply_message(c, 404, "no such test endpoint");
        break;
    }
}
