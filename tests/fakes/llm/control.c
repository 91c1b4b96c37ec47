/*
 * control.c - the /_test/ endpoints, see control.h.
 */
#include "control.h"

#include "reply.h"

#include "common/config.h" /* fr_parse_int */

#include <stdio.h>
#include <string.h>

/* The longest timed outage /_test/outage accepts: one hour. */
#define MAX_OUTAGE_MS 3600000

int fl_control_path(const char *path)
{
    return path != NULL && strncmp(path, "/_test/", 7) == 0;
}

static int path_is(const char *path, const char *want)
{
    size_t n = strlen(want);

    return strncmp(path, want, n) == 0 && (path[n] == '\0' || strcmp(path + n, "/") == 0);
}

static void bad_request(struct evhttp_request *req, const char *message)
{
    fl_reply_json(req, 400, json_pack("{s:{s:s, s:s}}", "error", "message", message, "type",
                                      "invalid_request_error"));
}

/* The settings in force: faults, delays, outage and limits. */
static json_t *settings(struct fl_server *srv, int64_t now)
{
    json_t *doc = json_object();

    fl_faults_outage(&srv->faults, now); /* a timed outage that ended shows as off */
    fl_faults_json(&srv->faults, now, doc);
    json_object_set_new(doc, "rpm", json_integer(srv->limits.rpm));
    json_object_set_new(doc, "tpm", json_integer(srv->limits.tpm));
    json_object_set_new(doc, "window_ms", json_integer(srv->limits.admitted.span_ms));
    return doc;
}

static void stats(struct fl_server *srv, struct evhttp_request *req, struct evkeyvalq *q)
{
    const char *prompts = evhttp_find_header(q, "prompts");
    int64_t now = fl_now();
    json_t *doc = fl_stats_json(&srv->stats, prompts != NULL && strcmp(prompts, "1") == 0);
    struct fl_limit_state l;

    fl_limits_state(&srv->limits, now, &l);
    json_object_set_new(doc, "in_flight", json_integer(srv->nparked));
    json_object_set_new(doc, "remaining_requests", json_integer(l.remaining_requests));
    json_object_set_new(doc, "remaining_tokens", json_integer(l.remaining_tokens));
    json_object_set_new(doc, "settings", settings(srv, now));
    fl_reply_json(req, 200, doc);
}

static void reset(struct fl_server *srv, struct evhttp_request *req, struct evkeyvalq *q)
{
    const char *limits = evhttp_find_header(q, "limits");
    int both = limits != NULL && strcmp(limits, "1") == 0;

    fl_stats_reset(&srv->stats);
    if (both)
        fl_window_clear(&srv->limits.admitted);
    fl_reply_json(req, 200, json_pack("{s:b, s:b}", "stats", 1, "limits", both));
}

/* Sets rpm (lim[0]) or tpm (lim[1]); returns 0, -1 with err, or -2 for another name. */
static int set_limit(int64_t lim[2], const char *name, const char *value, char *err,
                     size_t errlen)
{
    int64_t *slot = strcmp(name, "rpm") == 0 ? &lim[0] : strcmp(name, "tpm") == 0 ? &lim[1] : NULL;

    if (slot == NULL)
        return -2;
    if (fr_parse_int(value, 1, 1000000000000LL, slot, NULL) != 0) {
        snprintf(err, errlen, "bad value '%s' for '%s' (a positive integer)", value, name);
        return -1;
    }
    return 0;
}

/* Applies every setting of the query, or none of them. */
static void faults(struct fl_server *srv, struct evhttp_request *req, struct evkeyvalq *q)
{
    struct fl_faults f = srv->faults;
    int64_t lim[2] = {srv->limits.rpm, srv->limits.tpm};
    int64_t now = fl_now();
    struct evkeyval *kv;
    char err[256];

    TAILQ_FOREACH(kv, q, next) {
        int rc = fl_faults_set(&f, kv->key, kv->value, now, err, sizeof(err));
        if (rc == -2)
            rc = set_limit(lim, kv->key, kv->value, err, sizeof(err));
        if (rc == -2)
            snprintf(err, sizeof(err), "unknown setting '%.100s'", kv->key);
        if (rc < 0) {
            bad_request(req, err);
            return;
        }
    }
    srv->faults = f;
    srv->limits.rpm = lim[0];
    srv->limits.tpm = lim[1];
    fl_reply_json(req, 200, settings(srv, now));
}

static void outage(struct fl_server *srv, struct evhttp_request *req, struct evkeyvalq *q)
{
    const char *mode = evhttp_find_header(q, "mode"), *ms = evhttp_find_header(q, "ms");
    enum fl_outage o = FL_OUTAGE_OFF;
    int64_t now = fl_now(), len = 0;

    if (mode != NULL && fl_outage_parse(mode, &o) < 0) {
        bad_request(req, "mode must be off, 503 or close");
        return;
    }
    if (ms != NULL && fr_parse_int(ms, 1, MAX_OUTAGE_MS, &len, NULL) != 0) {
        bad_request(req, "ms must be an integer from 1 to 3600000");
        return;
    }
    if (mode != NULL) {
        srv->faults.outage = o;
        srv->faults.outage_until = o != FL_OUTAGE_OFF && len > 0 ? now + len : 0;
    }
    fl_reply_json(req, 200, settings(srv, now));
}

void fl_control_handle(struct fl_server *srv, struct evhttp_request *req, const char *path)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *query = evhttp_uri_get_query(uri);
    struct evkeyvalq q;

    TAILQ_INIT(&q);
    if (query != NULL && evhttp_parse_query_str(query, &q) < 0)
        bad_request(req, "the query string is not valid URL encoding");
    else if (path_is(path, "/_test/stats"))
        stats(srv, req, &q);
    else if (path_is(path, "/_test/reset"))
        reset(srv, req, &q);
    else if (path_is(path, "/_test/faults"))
        faults(srv, req, &q);
    else if (path_is(path, "/_test/outage"))
        outage(srv, req, &q);
    else
        fl_reply_json(req, 404, json_pack("{s:{s:s, s:s}}", "error", "message",
                                          "no such test endpoint", "type",
                                          "invalid_request_error"));
    evhttp_clear_headers(&q);
}
