/*
 * queue — see queue.h. Every multi-key change is one Lua script so a crash between
 * two commands cannot leave an item in neither place.
 */
#include "common/queue.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/mem.h"
#include "common/metrics.h"

#define FR_QUEUE_ENQUEUE_CHUNK 500

/* KEYS: target list, queued set. ARGV: ids. Pushes only ids not already queued (the
 * first of an id given twice). Redis is asked once for all of them, not twice an id:
 * a call from Lua costs more than the work it does. */
static struct fr_redis_script enqueue_lua = {.src =
    "local seen = redis.call('SMISMEMBER', KEYS[2], unpack(ARGV))\n"
    "local new, taken = {}, {}\n"
    "for i, id in ipairs(ARGV) do\n"
    "  if seen[i] == 0 and not taken[id] then taken[id] = true; new[#new + 1] = id end\n"
    "end\n"
    "if #new > 0 then\n"
    "  redis.call('SADD', KEYS[2], unpack(new))\n"
    "  redis.call('RPUSH', KEYS[1], unpack(new))\n"
    "end\n"
    "return #new\n"};

/* The id of a queue entry (a bare id, or JSON with a string "id"); nil for junk, which
 * the processor dead-letters. */
#define LUA_IDOF                                                                       \
    "local function idof(v)\n"                                                          \
    "  if string.byte(v, 1) ~= 123 then return v end\n"                                 \
    "  local ok, t = pcall(cjson.decode, v)\n"                                          \
    "  if ok and type(t) == 'table' and type(t.id) == 'string' then return t.id end\n"  \
    "  return nil\n"                                                                    \
    "end\n"

/* KEYS: hot, queue, batch, batches set, holding. ARGV: max. An entry whose id a live
 * batch already holds (a duplicate pushed by hand) is dropped: that batch fetches it.
 * The holders are read and written once a pop, not once an entry. */
static struct fr_redis_script claim_lua = {.src = LUA_IDOF
    "local n = tonumber(ARGV[1])\n"
    "local out, hold, alive = {}, {}, {}\n"
    "for _, q in ipairs({KEYS[1], KEYS[2]}) do\n"
    "  while #out < n do\n"
    "    local got = redis.call('LPOP', q, n - #out)\n"
    "    if not got then break end\n"
    "    local ids, want = {}, {}\n"
    "    for i, v in ipairs(got) do\n"
    "      ids[i] = idof(v)\n"
    "      if ids[i] then want[#want + 1] = ids[i] end\n"
    "    end\n"
    "    local held = #want > 0 and redis.call('HMGET', KEYS[5], unpack(want)) or {}\n"
    "    local k = 0\n"
    "    for i, v in ipairs(got) do\n"
    "      local h = false\n"
    "      if ids[i] then k = k + 1; h = held[k] end\n"
    "      if h and h ~= KEYS[3] and alive[h] == nil then\n"
    "        alive[h] = redis.call('EXISTS', h) == 1\n"
    "      end\n"
    "      if not (h and h ~= KEYS[3] and alive[h]) then\n"
    "        if ids[i] then hold[#hold + 1] = ids[i]; hold[#hold + 1] = KEYS[3] end\n"
    "        out[#out + 1] = v\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "if #hold > 0 then redis.call('HSET', KEYS[5], unpack(hold)) end\n"
    "if #out > 0 then\n"
    "  redis.call('RPUSH', KEYS[3], unpack(out))\n"
    "  redis.call('SADD', KEYS[4], KEYS[3])\n"
    "end\n"
    "return out\n"};

/* KEYS: batch, batches set, queued set, delayed, holding. ARGV: ndone, done ids..., then
 * (id, due) pairs for retries. One call a key, not one an id. */
static struct fr_redis_script ack_lua = {.src =
    "redis.call('DEL', KEYS[1])\n"
    "redis.call('SREM', KEYS[2], KEYS[1])\n"
    "local nd = tonumber(ARGV[1])\n"
    "if nd > 0 then\n"
    "  redis.call('SREM', KEYS[3], unpack(ARGV, 2, nd + 1))\n"
    "  redis.call('HDEL', KEYS[5], unpack(ARGV, 2, nd + 1))\n"
    "end\n"
    "if #ARGV > nd + 1 then\n"
    "  local z, ids = {}, {}\n"
    "  for i = nd + 2, #ARGV, 2 do\n"
    "    z[#z + 1] = ARGV[i + 1]; z[#z + 1] = ARGV[i]; ids[#ids + 1] = ARGV[i]\n"
    "  end\n"
    "  redis.call('ZADD', KEYS[4], unpack(z))\n"
    "  redis.call('SADD', KEYS[3], unpack(ids))\n"
    "  redis.call('HDEL', KEYS[5], unpack(ids))\n"
    "end\n"
    "return 1\n"};

/* Lua: puts the entries of batch list b back at the head of queue q, in order, and lets
 * go of their ids in holding h. */
#define LUA_REQUEUE                                                                    \
    "local function requeue(b, q, h)\n"                                                 \
    "  local items = redis.call('LRANGE', b, 0, -1)\n"                                  \
    "  for i = #items, 1, -1 do\n"                                                      \
    "    redis.call('LPUSH', q, items[i])\n"                                            \
    "    local id = idof(items[i])\n"                                                   \
    "    if id and redis.call('HGET', h, id) == b then redis.call('HDEL', h, id) end\n" \
    "  end\n"                                                                           \
    "  redis.call('DEL', b)\n"                                                          \
    "  return #items\n"                                                                 \
    "end\n"

/* KEYS: batch, batches set, queue, holding. Puts the batch back at the head, in order. */
static struct fr_redis_script hand_back_lua = {.src = LUA_IDOF LUA_REQUEUE
    "local n = requeue(KEYS[1], KEYS[3], KEYS[4])\n"
    "redis.call('SREM', KEYS[2], KEYS[1])\n"
    "return n\n"};

/* KEYS: workers set, queue, holding. ARGV: key prefix. Requeues batches of dead workers. */
static struct fr_redis_script reap_lua = {.src = LUA_IDOF LUA_REQUEUE
    "local workers, items = 0, 0\n"
    "for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  if redis.call('EXISTS', ARGV[1] .. 'worker:' .. w) == 0 then\n"
    "    local set = ARGV[1] .. 'batches:' .. w\n"
    "    for _, b in ipairs(redis.call('SMEMBERS', set)) do\n"
    "      items = items + requeue(b, KEYS[2], KEYS[3])\n"
    "    end\n"
    "    redis.call('DEL', set)\n"
    "    redis.call('SREM', KEYS[1], w)\n"
    "    workers = workers + 1\n"
    "  end\n"
    "end\n"
    "return {workers, items}\n"};

/* KEYS: delayed, queue. ARGV: now, max. */
static struct fr_redis_script promote_lua = {.src =
    "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])\n"
    "if #due > 0 then\n"
    "  redis.call('RPUSH', KEYS[2], unpack(due))\n"
    "  redis.call('ZREM', KEYS[1], unpack(due))\n"
    "end\n"
    "return #due\n"};

void fr_queue_init(struct fr_queue *q, struct fr_redis *r, const char *source, const char *worker)
{
    memset(q, 0, sizeof(*q));
    q->redis = r;
    snprintf(q->prefix, sizeof(q->prefix), "freshet:{%s}:", source);
    fr_strlcpy(q->source, source, sizeof(q->source));
    fr_strlcpy(q->worker, worker, sizeof(q->worker));
    /* Batch keys never repeat, even for a worker id reused after a restart: `holding`
     * may still name an old batch, which must not be taken for a live one. A process
     * makes far fewer than 1,000 batches a millisecond. */
    q->batch_seq = (uint64_t)fr_wall_ms() * 1000;
}

void fr_queue_key(const struct fr_queue *q, const char *suffix, char *out, size_t n)
{
    snprintf(out, n, "%s%s", q->prefix, suffix);
}

static int default_valid_id(const char *id)
{
    for (const char *p = id; *p; p++) {
        if (!isgraph((unsigned char)*p))
            return 0;
    }
    return 1;
}

static int parse_json_item(const char *raw, size_t len, struct fr_queue_item *out,
                           struct fr_error *err)
{
    json_error_t je;
    json_t *v = json_loadb(raw, len, JSON_REJECT_DUPLICATES, &je), *id, *prio;
    int rc = 0;

    if (v == NULL)
        return fr_error_set(err, FR_ERR_DATA, "invalid json: %s", je.text);
    id = json_object_get(v, "id");
    prio = json_object_get(v, "priority");
    if (!json_is_object(v) || !json_is_string(id))
        rc = fr_error_set(err, FR_ERR_DATA, "json item needs a string 'id'");
    else if (json_string_length(id) == 0 || json_string_length(id) >= FR_QUEUE_MAX_ID)
        rc = fr_error_set(err, FR_ERR_DATA, "id must be 1 to %d characters", FR_QUEUE_MAX_ID - 1);
    else if (prio && (!json_is_integer(prio) || json_integer_value(prio) < 1 ||
                      json_integer_value(prio) > 9))
        rc = fr_error_set(err, FR_ERR_DATA, "priority must be an integer from 1 to 9");
    if (rc == 0) {
        fr_strlcpy(out->id, json_string_value(id), sizeof(out->id));
        out->priority = prio ? (int)json_integer_value(prio) : 0;
    }
    json_decref(v);
    return rc;
}

int fr_queue_parse_item(const char *raw, size_t len, int (*valid_id)(const char *),
                        struct fr_queue_item *out, struct fr_error *err)
{
    size_t i = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (len > FR_QUEUE_MAX_ITEM)
        return fr_error_set(err, FR_ERR_DATA, "item of %zu bytes is over the %d byte limit", len,
                            FR_QUEUE_MAX_ITEM);
    while (i < len && isspace((unsigned char)raw[i]))
        i++;
    if (i == len)
        return fr_error_set(err, FR_ERR_DATA, "empty item");
    if (memchr(raw, '\0', len) != NULL)
        return fr_error_set(err, FR_ERR_DATA, "item contains a NUL byte");
    if (raw[i] == '{') {
        rc = parse_json_item(raw + i, len - i, out, err);
        if (rc != 0)
            return rc;
    } else {
        while (len > i && isspace((unsigned char)raw[len - 1]))
            len--;
        if (len - i >= FR_QUEUE_MAX_ID)
            return fr_error_set(err, FR_ERR_DATA, "id must be 1 to %d characters",
                                FR_QUEUE_MAX_ID - 1);
        memcpy(out->id, raw + i, len - i);
        out->id[len - i] = '\0';
    }
    if (!(valid_id ? valid_id : default_valid_id)(out->id))
        return fr_error_set(err, FR_ERR_DATA, "'%s' is not a valid id for this source", out->id);
    return 0;
}

int fr_queue_enqueue(struct fr_queue *q, const char *const *ids, size_t n, int hot,
                     size_t *added, struct fr_error *err)
{
    char target[160], queued[160];
    const char *keys[2] = {target, queued};
    size_t total = 0;

    fr_queue_key(q, hot ? "queue:hot" : "queue", target, sizeof(target));
    fr_queue_key(q, "queued", queued, sizeof(queued));
    /* Chunks keep each script call (which blocks Redis) short: 500 ids take well under
     * a millisecond now that the script asks Redis once a chunk, and a discovery page
     * is one round trip. */
    for (size_t off = 0; off < n; off += FR_QUEUE_ENQUEUE_CHUNK) {
        size_t m = n - off < FR_QUEUE_ENQUEUE_CHUNK ? n - off : FR_QUEUE_ENQUEUE_CHUNK;
        redisReply *rep;
        int rc = fr_redis_eval(q->redis, &enqueue_lua, &rep, err, 2, keys, (int)m, ids + off);
        if (rc != 0)
            return rc;
        total += (size_t)rep->integer;
        freeReplyObject(rep);
    }
    if (added)
        *added = total;
    return 0;
}

void fr_queue_batch_release(struct fr_queue_batch *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->raw[i]);
    free(b->raw);
    free(b->lens);
    memset(b, 0, sizeof(*b));
}

int fr_queue_claim(struct fr_queue *q, size_t max, struct fr_queue_batch *b, struct fr_error *err)
{
    char hot[160], queue[160], batches[300], maxs[24], suffix[200];
    char holding[160];
    const char *keys[5] = {hot, queue, b->key, batches, holding};
    const char *args[1] = {maxs};
    redisReply *rep;
    int rc;

    memset(b, 0, sizeof(*b));
    fr_queue_key(q, "queue:hot", hot, sizeof(hot));
    fr_queue_key(q, "queue", queue, sizeof(queue));
    snprintf(suffix, sizeof(suffix), "batch:%s:%llu", q->worker,
             (unsigned long long)++q->batch_seq);
    fr_queue_key(q, suffix, b->key, sizeof(b->key));
    snprintf(suffix, sizeof(suffix), "batches:%s", q->worker);
    fr_queue_key(q, suffix, batches, sizeof(batches));
    snprintf(maxs, sizeof(maxs), "%zu", max);
    fr_queue_key(q, "holding", holding, sizeof(holding));
    rc = fr_redis_eval(q->redis, &claim_lua, &rep, err, 5, keys, 1, args);
    if (rc != 0)
        return rc;
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements > 0) {
        b->raw = fr_xcalloc(rep->elements, sizeof(*b->raw));
        b->lens = fr_xcalloc(rep->elements, sizeof(*b->lens));
        for (size_t i = 0; i < rep->elements; i++) {
            redisReply *e = rep->element[i];
            b->raw[i] = fr_xstrndup(e->str ? e->str : "", e->str ? e->len : 0);
            b->lens[i] = e->str ? e->len : 0;
            /* Binary-safe copy: an item with a NUL must reach the parser whole. */
            if (e->str && memchr(e->str, '\0', e->len)) {
                free(b->raw[i]);
                b->raw[i] = fr_xmalloc(e->len + 1);
                memcpy(b->raw[i], e->str, e->len);
                b->raw[i][e->len] = '\0';
            }
        }
        b->n = rep->elements;
    }
    freeReplyObject(rep);
    return 0;
}

int fr_queue_ack(struct fr_queue *q, const char *batch_key, const char *const *done,
                 size_t ndone, const char *const *retry, const int64_t *due_ms, size_t nretry,
                 struct fr_error *err)
{
    char batches[300], queued[160], delayed[160], suffix[200], nd[24];
    char holding[160];
    const char *keys[5] = {batch_key, batches, queued, delayed, holding};
    size_t nargs = 1 + ndone + 2 * nretry;
    const char **args = fr_xcalloc(nargs, sizeof(*args));
    char(*dues)[24] = fr_xcalloc(nretry ? nretry : 1, sizeof(*dues));
    redisReply *rep = NULL;
    size_t k = 0;
    int rc;

    snprintf(suffix, sizeof(suffix), "batches:%s", q->worker);
    fr_queue_key(q, suffix, batches, sizeof(batches));
    fr_queue_key(q, "queued", queued, sizeof(queued));
    fr_queue_key(q, "delayed", delayed, sizeof(delayed));
    snprintf(nd, sizeof(nd), "%zu", ndone);
    args[k++] = nd;
    for (size_t i = 0; i < ndone; i++)
        args[k++] = done[i];
    for (size_t i = 0; i < nretry; i++) {
        snprintf(dues[i], sizeof(dues[i]), "%lld", (long long)due_ms[i]);
        args[k++] = retry[i];
        args[k++] = dues[i];
    }
    fr_queue_key(q, "holding", holding, sizeof(holding));
    rc = fr_redis_eval_argv(q->redis, &ack_lua, &rep, err, 5, keys, (int)nargs, args);
    if (rep)
        freeReplyObject(rep);
    free(args);
    free(dues);
    return rc;
}

int fr_queue_hand_back(struct fr_queue *q, const char *batch_key, struct fr_error *err)
{
    char batches[300], queue[160], suffix[200];
    char holding[160];
    const char *keys[4] = {batch_key, batches, queue, holding};
    redisReply *rep;
    int rc;

    snprintf(suffix, sizeof(suffix), "batches:%s", q->worker);
    fr_queue_key(q, suffix, batches, sizeof(batches));
    fr_queue_key(q, "queue", queue, sizeof(queue));
    fr_queue_key(q, "holding", holding, sizeof(holding));
    rc = fr_redis_eval(q->redis, &hand_back_lua, &rep, err, 4, keys, 0, NULL);
    if (rc == 0)
        freeReplyObject(rep);
    return rc;
}

int fr_queue_dead_letter(struct fr_queue *q, const char *raw, size_t len, const char *reason,
                         struct fr_error *err)
{
    char key[160], ts[40];
    struct fr_buf b;
    char *item;
    int rc;

    fr_queue_key(q, "dead", key, sizeof(key));
    fr_format_iso8601(fr_wall_ms(), ts, sizeof(ts));
    /* Keep the entry valid JSON even when the item is binary or huge. */
    item = fr_xstrndup(raw, len > 1024 ? 1024 : len);
    for (char *p = item; *p; p++) {
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x80)
            *p = '?';
    }
    fr_buf_init(&b, 0);
    fr_buf_puts(&b, "{\"item\":");
    fr_buf_put_json_str(&b, item);
    fr_buf_printf(&b, ",\"truncated\":%s,\"reason\":", len > 1024 ? "true" : "false");
    fr_buf_put_json_str(&b, reason);
    fr_buf_printf(&b, ",\"time\":\"%s\",\"source\":", ts);
    fr_buf_put_json_str(&b, q->source);
    fr_buf_putc(&b, '}');
    rc = fr_redis_cmd(q->redis, NULL, err, "RPUSH %s %b", key, b.data, b.len);
    fr_buf_release(&b);
    free(item);
    return rc;
}

int fr_queue_heartbeat(struct fr_queue *q, int64_t ttl_ms, const char *info, struct fr_error *err)
{
    char hb[300], workers[160], suffix[200];
    int rc;

    snprintf(suffix, sizeof(suffix), "worker:%s", q->worker);
    fr_queue_key(q, suffix, hb, sizeof(hb));
    fr_queue_key(q, "workers", workers, sizeof(workers));
    if ((rc = fr_redis_append(q->redis, err, "SET %s %s PX %lld", hb, info ? info : "{}",
                              (long long)ttl_ms)) != 0 ||
        (rc = fr_redis_append(q->redis, err, "SADD %s %s", workers, q->worker)) != 0) {
        fr_redis_drain(q->redis, NULL);
        return rc;
    }
    return fr_redis_drain(q->redis, err);
}

int fr_queue_retire(struct fr_queue *q, struct fr_error *err)
{
    char hb[300], workers[160], suffix[200];
    int rc;

    snprintf(suffix, sizeof(suffix), "worker:%s", q->worker);
    fr_queue_key(q, suffix, hb, sizeof(hb));
    fr_queue_key(q, "workers", workers, sizeof(workers));
    if ((rc = fr_redis_append(q->redis, err, "DEL %s", hb)) != 0 ||
        (rc = fr_redis_append(q->redis, err, "SREM %s %s", workers, q->worker)) != 0) {
        fr_redis_drain(q->redis, NULL);
        return rc;
    }
    return fr_redis_drain(q->redis, err);
}

int fr_queue_reap(struct fr_queue *q, size_t *workers, size_t *items, struct fr_error *err)
{
    char wset[160], queue[160];
    char holding[160];
    const char *keys[3] = {wset, queue, holding};
    const char *args[1] = {q->prefix};
    redisReply *rep;
    int rc;

    fr_queue_key(q, "workers", wset, sizeof(wset));
    fr_queue_key(q, "queue", queue, sizeof(queue));
    fr_queue_key(q, "holding", holding, sizeof(holding));
    rc = fr_redis_eval(q->redis, &reap_lua, &rep, err, 3, keys, 1, args);
    if (rc != 0)
        return rc;
    if (workers)
        *workers = rep->elements == 2 ? (size_t)rep->element[0]->integer : 0;
    if (items)
        *items = rep->elements == 2 ? (size_t)rep->element[1]->integer : 0;
    freeReplyObject(rep);
    return 0;
}

int fr_queue_promote(struct fr_queue *q, int64_t now_ms, size_t max, size_t *moved,
                     struct fr_error *err)
{
    char delayed[160], queue[160], now[24], maxs[24];
    const char *keys[2] = {delayed, queue};
    const char *args[2] = {now, maxs};
    redisReply *rep;
    int rc;

    fr_queue_key(q, "delayed", delayed, sizeof(delayed));
    fr_queue_key(q, "queue", queue, sizeof(queue));
    snprintf(now, sizeof(now), "%lld", (long long)now_ms);
    snprintf(maxs, sizeof(maxs), "%zu", max);
    rc = fr_redis_eval(q->redis, &promote_lua, &rep, err, 2, keys, 2, args);
    if (rc != 0)
        return rc;
    if (moved)
        *moved = (size_t)rep->integer;
    freeReplyObject(rep);
    return 0;
}

int fr_queue_depths(struct fr_queue *q, int64_t *waiting, int64_t *delayed, int64_t *dead,
                    struct fr_error *err)
{
    static const char *const suffixes[4] = {"queue", "queue:hot", "delayed", "dead"};
    static const char *const cmds[4] = {"LLEN", "LLEN", "ZCARD", "LLEN"};
    int64_t v[4] = {0};
    int rc = 0;

    for (int i = 0; i < 4; i++) {
        char key[160];
        fr_queue_key(q, suffixes[i], key, sizeof(key));
        if ((rc = fr_redis_append(q->redis, err, "%s %s", cmds[i], key)) != 0) {
            fr_redis_drain(q->redis, NULL);
            return rc;
        }
    }
    for (int i = 0; i < 4; i++) {
        redisReply *rep;
        int r = fr_redis_read(q->redis, &rep, err);
        if (r == 0)
            v[i] = rep->integer;
        if (rep)
            freeReplyObject(rep);
        rc = rc ? rc : r;
    }
    if (waiting)
        *waiting = v[0] + v[1];
    if (delayed)
        *delayed = v[2];
    if (dead)
        *dead = v[3];
    return rc;
}

int fr_queue_held(struct fr_queue *q, const char *const *ids, size_t n, int *held,
                  struct fr_error *err)
{
    char key[160];
    const char **argv = fr_xcalloc(n + 2, sizeof(*argv));
    redisReply *rep;
    int rc;

    fr_queue_key(q, "queued", key, sizeof(key));
    argv[0] = "SMISMEMBER";
    argv[1] = key;
    for (size_t i = 0; i < n; i++)
        argv[i + 2] = ids[i];
    rc = fr_redis_cmd_argv(q->redis, &rep, err, (int)n + 2, argv, NULL);
    free(argv);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n; i++)
        held[i] = i < rep->elements && rep->element[i]->integer == 1;
    freeReplyObject(rep);
    return 0;
}

/* KEYS: sentinel, flushed. ARGV: now. */
static struct fr_redis_script sentinel_lua = {.src =
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX') then\n"
    "  redis.call('SET', KEYS[2], ARGV[1])\n"
    "  return tonumber(ARGV[1])\n"
    "end\n"
    "return tonumber(redis.call('GET', KEYS[2]) or '0')\n"};

int fr_queue_sentinel(struct fr_queue *q, int64_t *lost_ms, struct fr_error *err)
{
    char key[160], flushed[160], now[24];
    const char *keys[2] = {key, flushed};
    const char *argv[1] = {now};
    redisReply *rep;
    int rc;

    fr_queue_key(q, "sentinel", key, sizeof(key));
    fr_queue_key(q, "flushed", flushed, sizeof(flushed));
    snprintf(now, sizeof(now), "%lld", (long long)fr_wall_ms());
    rc = fr_redis_eval(q->redis, &sentinel_lua, &rep, err, 2, keys, 1, argv);
    if (rc != 0)
        return rc;
    *lost_ms = rep->type == REDIS_REPLY_INTEGER ? (int64_t)rep->integer : 0;
    freeReplyObject(rep);
    return 0;
}

int fr_queue_flush_recovered(struct fr_queue *q, struct fr_error *err)
{
    char key[160];
    redisReply *rep;
    int rc;

    fr_queue_key(q, "flushed", key, sizeof(key));
    if ((rc = fr_redis_cmd(q->redis, &rep, err, "DEL %s", key)) != 0)
        return rc;
    freeReplyObject(rep);
    return 0;
}

void fr_queue_export_depths(void *arg)
{
    struct fr_queue *q = arg;
    int64_t waiting, delayed, dead;

    if (fr_queue_depths(q, &waiting, &delayed, &dead, NULL) != 0)
        return;
    fr_gauge_set(fr_gauge_get("freshet_queue_depth", "Ids waiting in the queue",
                              FR_LABELS("source", q->source)), (double)waiting);
    fr_gauge_set(fr_gauge_get("freshet_delayed_items", "Ids waiting for a retry",
                              FR_LABELS("source", q->source)), (double)delayed);
    fr_gauge_set(fr_gauge_get("freshet_dead_letters", "Entries in the dead-letter list",
                              FR_LABELS("source", q->source)), (double)dead);
}
