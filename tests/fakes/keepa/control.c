/*
 * control.c - /stats and the /_fake/ control endpoints, see control.h.
 */
#include "control.h"

#include "clock.h"
#include "params.h"
#include "prices.h"
#include "reply.h"
#include "world.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int path_is(const char *path, const char *want)
{
    size_t n = strlen(want);

    return strncmp(path, want, n) == 0 && (path[n] == '\0' || strcmp(path + n, "/") == 0);
}

enum fk_control fk_control_route(const char *path)
{
    if (path_is(path, "/stats"))
        return FK_CTL_STATS;
    if (path_is(path, "/_fake/bump"))
        return FK_CTL_BUMP;
    if (path_is(path, "/_fake/config"))
        return FK_CTL_CONFIG;
    if (path_is(path, "/_fake/reset-stats"))
        return FK_CTL_RESET_STATS;
    if (path_is(path, "/_fake/truth"))
        return FK_CTL_TRUTH;
    if (path_is(path, "/_fake/drift"))
        return FK_CTL_DRIFT;
    if (path_is(path, "/_fake/grow"))
        return FK_CTL_GROW;
    return FK_CTL_NONE;
}

void fk_control_error(struct fk_call *c, const char *message)
{
    struct fk_buf b;

    fk_buf_init(&b, 256);
    fk_jw_open(&b, '{');
    fk_jw_key(&b, "error");
    fk_jw_open(&b, '{');
    fk_jw_kstr(&b, "type", "invalidParameter");
    fk_jw_kstr(&b, "message", message);
    fk_jw_close(&b, '}');
    fk_jw_close(&b, '}');
    fk_reply_plain(c, 400, &b);
}

/* Adds the members /stats?asin=A reports for one ASIN. */
static void render_asin(struct fk_server *srv, const char *asin, struct fk_buf *b)
{
    uint32_t idx;
    int known = fk_catalog_lookup(srv->cat, asin, strlen(asin), &idx) == 0;
    int64_t v = known ? fk_catalog_version(srv->cat, idx, fk_clock_elapsed()) : 0;

    fk_jw_kstr(b, "asin", asin);
    fk_jw_kint(b, "served", known ? srv->stats.served[idx] : 0);
    if (!known)
        return;
    /* The truth a freshness benchmark compares its copy against. */
    fk_jw_kint(b, "version", v);
    fk_jw_kint(b, "price", fk_price_new(fk_catalog_seed(srv->cat), idx, v));
}

static void stats_handle(struct fk_call *c)
{
    struct fk_server *srv = c->srv;
    const char *asin = evhttp_find_header(&c->query, "asin");
    const char *all = evhttp_find_header(&c->query, "asins");
    const char *repeats = evhttp_find_header(&c->query, "repeats");
    struct fk_buf b;

    fk_buf_init(&b, 4096);
    fk_jw_open(&b, '{');
    fk_stats_render(&srv->stats, &b);
    fk_jw_key(&b, "tokens_spent");
    fk_jw_open(&b, '{');
    for (size_t i = 0; i < srv->keys.n; i++) {
        fk_jw_key(&b, srv->keys.v[i].name);
        fk_jw_uint(&b, srv->keys.v[i].spent);
    }
    fk_jw_close(&b, '}');
    fk_jw_kint(&b, "uptime_ms", fk_clock_elapsed());
    if (asin != NULL)
        render_asin(srv, asin, &b);
    if (all != NULL && strcmp(all, "0") != 0)
        fk_stats_render_asins(&srv->stats, &b);
    if (repeats != NULL && strcmp(repeats, "0") != 0)
        fk_stats_render_repeats(&srv->stats, &b);
    fk_jw_close(&b, '}');
    fk_reply_plain(c, 200, &b);
}

static void bump_handle(struct fk_call *c)
{
    struct fk_server *srv = c->srv;
    const char *list = evhttp_find_header(&c->query, "asin");
    int64_t now = fk_clock_elapsed();
    struct fk_buf b, unknown;

    if (list == NULL) {
        fk_control_error(c, "asin is required");
        return;
    }
    fk_buf_init(&b, 256);
    fk_buf_init(&unknown, 64);
    fk_jw_open(&b, '{');
    fk_jw_key(&b, "bumped");
    fk_jw_open(&b, '[');
    fk_jw_open(&unknown, '[');
    while (*list != '\0') {
        size_t len = strcspn(list, ",");
        uint32_t idx;
        if (fk_catalog_lookup(srv->cat, list, len, &idx) == 0) {
            fk_catalog_bump(srv->cat, idx, now);
            fk_jw_str(&b, list, len);
        } else if (len > 0) {
            fk_jw_str(&unknown, list, len);
        }
        list += len + (list[len] == ',');
    }
    fk_jw_close(&b, ']');
    fk_jw_close(&unknown, ']');
    fk_jw_key(&b, "unknown");
    fk_buf_add(&b, unknown.data, unknown.len);
    fk_jw_close(&b, '}');
    fk_buf_release(&unknown);
    fk_reply_plain(c, 200, &b);
}

static int set_fraction(double *out, const char *value)
{
    char *end;
    double v = strtod(value, &end);

    if (end == value || *end != '\0' || !(v >= 0 && v <= 1))
        return -1;
    *out = v;
    return 0;
}

/* Reads key_rate=NAME:RATE: the key (borrowed) and its new rate; -1 with err. */
static int parse_key_rate(struct fk_server *srv, const char *value, struct fk_key **key,
                          int64_t *rate, char *err, size_t errlen)
{
    struct fk_key spec;

    if (fk_key_parse(value, &spec, err, errlen) < 0)
        return -1;
    *key = fk_keys_find(&srv->keys, spec.name);
    if (spec.expired || *key == NULL) {
        snprintf(err, errlen, "key_rate names no configured key, or a flag: '%s'", value);
        return -1;
    }
    *rate = spec.rate;
    return 0;
}

/* Applies every query parameter to copies first, so a bad one changes nothing. */
static void config_handle(struct fk_call *c)
{
    struct fk_faults f = c->srv->faults;
    double fraction = c->srv->deal_fraction;
    struct fk_key *rate_key = NULL;
    int64_t rate = 0;
    struct evkeyval *kv;
    char err[160];
    struct fk_buf b;

    TAILQ_FOREACH(kv, &c->query, next) {
        if (strcmp(kv->key, "deal_fraction") == 0) {
            if (set_fraction(&fraction, kv->value) == 0)
                continue;
            snprintf(err, sizeof(err), "bad fraction '%s' for 'deal_fraction' (0..1)", kv->value);
        } else if (strcmp(kv->key, "key_rate") == 0) {
            if (parse_key_rate(c->srv, kv->value, &rate_key, &rate, err, sizeof(err)) == 0)
                continue;
        } else if (fk_faults_set(&f, kv->key, kv->value, err, sizeof(err)) == 0) {
            continue;
        }
        fk_control_error(c, err);
        return;
    }
    f.rng = c->srv->faults.rng;
    c->srv->faults = f;
    c->srv->deal_fraction = fraction;
    if (rate_key != NULL) {
        /* Refills due so far at the old rate; the next ones at the new. */
        fk_keys_refill(&c->srv->keys, rate_key, fk_clock_elapsed());
        rate_key->rate = rate;
    }
    fk_buf_init(&b, 512);
    fk_jw_open(&b, '{');
    fk_jw_key(&b, "config");
    fk_jw_open(&b, '{');
    fk_faults_render(&f, &b);
    fk_jw_key(&b, "deal_fraction");
    fk_jw_double(&b, fraction);
    if (rate_key != NULL)
        fk_jw_kint(&b, "key_rate", rate);
    fk_jw_close(&b, '}');
    fk_jw_close(&b, '}');
    fk_reply_plain(c, 200, &b);
}

static void reset_handle(struct fk_call *c)
{
    struct fk_buf b;

    fk_stats_reset(&c->srv->stats);
    for (size_t i = 0; i < c->srv->keys.n; i++)
        c->srv->keys.v[i].spent = 0;
    fk_buf_init(&b, 64);
    fk_buf_puts(&b, "{\"reset\":true}");
    fk_reply_plain(c, 200, &b);
}

void fk_control_handle(struct fk_call *c, enum fk_control which)
{
    switch (which) {
    case FK_CTL_STATS:
        stats_handle(c);
        break;
    case FK_CTL_BUMP:
        bump_handle(c);
        break;
    case FK_CTL_CONFIG:
        config_handle(c);
        break;
    case FK_CTL_TRUTH:
        fk_world_truth(c);
        break;
    case FK_CTL_DRIFT:
        fk_world_drift(c);
        break;
    case FK_CTL_GROW:
        fk_world_grow(c);
        break;
    default:
        reset_handle(c);
        break;
    }
}
