/*
 * status_redis — the Redis half of `freshetctl status`: queue depths in one pipelined
 * round trip, and the live workers: members of `workers` whose heartbeat key still
 * exists (a member without one is a dead worker the refresher has not reaped yet).
 */
#include <stdlib.h>
#include <string.h>

#include "common/queue.h"
#include "ctl/status.h"

static const char *const depth_names[] = {"queue", "hot", "delayed", "dead", "queued_set"};
static const char *const depth_keys[] = {"queue", "queue:hot", "delayed", "dead", "queued"};
static const char *const depth_cmds[] = {"LLEN", "LLEN", "ZCARD", "LLEN", "SCARD"};
#define NDEPTHS 5

int status_gather_queue(struct status_ctx *c, json_t *st, struct fr_error *err)
{
    struct fr_queue q;
    json_int_t v[NDEPTHS] = {0};
    json_t *o = json_object();
    int rc = 0;

    fr_queue_init(&q, c->redis, c->source, "");
    for (int i = 0; i < NDEPTHS && rc == 0; i++) {
        char key[160];
        fr_queue_key(&q, depth_keys[i], key, sizeof(key));
        rc = fr_redis_append(c->redis, err, "%s %s", depth_cmds[i], key);
    }
    for (int i = 0; i < NDEPTHS && rc == 0; i++) {
        redisReply *rep = NULL;
        rc = fr_redis_read(c->redis, &rep, err);
        if (rc == 0)
            v[i] = rep->integer;
        if (rep)
            freeReplyObject(rep);
    }
    if (rc != 0) {
        fr_redis_drain(c->redis, NULL);
        json_decref(o);
        return rc;
    }
    for (int i = 0; i < NDEPTHS; i++)
        json_object_set_new(o, depth_names[i], json_integer(v[i]));
    json_object_set_new(o, "waiting", json_integer(v[0] + v[1]));
    json_object_set_new(st, "queue", o);
    return 0;
}

/* {id, ttl_ms, info}: info is the stored JSON, or the raw text if it is not JSON. */
static json_t *worker_json(const char *id, const redisReply *val, const redisReply *ttl)
{
    json_t *info = json_loadb(val->str, val->len, 0, NULL);

    if (info == NULL)
        info = json_stringn(val->str, val->len);
    return json_pack("{s:s,s:I,s:o}", "id", id, "ttl_ms",
                     (json_int_t)(ttl->type == REDIS_REPLY_INTEGER ? ttl->integer : -1), "info",
                     info ? info : json_null());
}

/* Pipelines GET and PTTL of every member's heartbeat; appends the live ones to out. */
static int read_heartbeats(struct status_ctx *c, struct fr_queue *q, const redisReply *members,
                           json_t *out, struct fr_error *err)
{
    int rc = 0;

    for (size_t i = 0; i < members->elements && rc == 0; i++) {
        char key[300], suffix[200];
        snprintf(suffix, sizeof(suffix), "worker:%s", members->element[i]->str);
        fr_queue_key(q, suffix, key, sizeof(key));
        if ((rc = fr_redis_append(c->redis, err, "GET %s", key)) == 0)
            rc = fr_redis_append(c->redis, err, "PTTL %s", key);
    }
    for (size_t i = 0; i < members->elements && rc == 0; i++) {
        redisReply *val = NULL, *ttl = NULL;
        if ((rc = fr_redis_read(c->redis, &val, err)) == 0)
            rc = fr_redis_read(c->redis, &ttl, err);
        if (rc == 0 && val->type == REDIS_REPLY_STRING)
            json_array_append_new(out, worker_json(members->element[i]->str, val, ttl));
        if (val)
            freeReplyObject(val);
        if (ttl)
            freeReplyObject(ttl);
    }
    if (rc != 0)
        fr_redis_drain(c->redis, NULL);
    return rc;
}

int status_gather_workers(struct status_ctx *c, json_t *st, struct fr_error *err)
{
    struct fr_queue q;
    char key[160];
    redisReply *members;
    json_t *out = json_array();
    int rc;

    fr_queue_init(&q, c->redis, c->source, "");
    fr_queue_key(&q, "workers", key, sizeof(key));
    if ((rc = fr_redis_cmd(c->redis, &members, err, "SMEMBERS %s", key)) != 0) {
        json_decref(out);
        return rc;
    }
    rc = read_heartbeats(c, &q, members, out, err);
    freeReplyObject(members);
    if (rc != 0) {
        json_decref(out);
        return rc;
    }
    json_object_set_new(st, "workers", out);
    return 0;
}
