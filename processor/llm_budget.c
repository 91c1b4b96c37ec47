/*
 * llm_budget — the analysis's fleet-wide budget in Redis (see llm_internal.h). Even
 * spending is a virtual schedule (GCRA with no burst): `req` is when the next call may
 * go, `tok` when the tokens already spent are paid off; a call takes the later of both
 * and pushes each on by its cost (60000 / requests_per_minute ms, and its estimated
 * tokens times 60000 / tokens_per_minute ms). So no window of a minute holds more than
 * the limits, whatever the number of processors, and the calls are spread, not bunched
 * at each minute's start. A 429 sets `pause`; the x-ratelimit-* headers push `req` and
 * `tok` when the provider says its window is (nearly) spent. Losing the hash (a flush)
 * only forgets the schedule: the next call starts a new one.
 */
#include <math.h>
#include <stdio.h>

#include "common/clock.h"
#include "common/log.h"
#include "processor/llm_internal.h"

/* KEYS[1] = budget. ARGV: now, ms a call, ms a token, tokens, horizon. */
static struct fr_redis_script take_lua = {.src =
    "local now, mr, mt = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local tok, hz = tonumber(ARGV[4]), tonumber(ARGV[5])\n"
    "local h = redis.call('HMGET', KEYS[1], 'req', 'tok', 'pause')\n"
    "local r, t, p = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0\n"
    "if p > now then return {0, p - now} end\n"
    "local slot = math.max(now, r, t)\n"
    "if slot - now > hz then return {0, slot - now - hz} end\n"
    "r = math.ceil(slot + mr)\n"
    "t = math.max(t, math.ceil(slot + tok * mt))\n"
    "redis.call('HSET', KEYS[1], 'req', r, 'tok', t, 'pause', p)\n"
    "redis.call('PEXPIRE', KEYS[1], 86400000)\n"
    "return {1, slot - now}\n"};

/* KEYS[1] = budget. ARGV: now, pause ms, req ms, tok ms, token delta (ms of schedule). */
static struct fr_redis_script adjust_lua = {.src =
    "local now = tonumber(ARGV[1])\n"
    "local pz, rq, tk, d = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]),\n"
    "                      tonumber(ARGV[5])\n"
    "local h = redis.call('HMGET', KEYS[1], 'req', 'tok', 'pause')\n"
    "local r, t, p = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0\n"
    "if pz > 0 then p = math.max(p, now + pz) end\n"
    "if rq > 0 then r = math.max(r, now + rq) end\n"
    "if tk > 0 then t = math.max(t, now + tk) end\n"
    "if d ~= 0 then t = math.ceil(math.max(t + d, now - 60000)) end\n"
    "redis.call('HSET', KEYS[1], 'req', r, 'tok', t, 'pause', p)\n"
    "redis.call('PEXPIRE', KEYS[1], 86400000)\n"
    "return 1\n"};

/* KEYS[1] = lock. ARGV[1] = owner. */
static struct fr_redis_script unlock_lua = {.src =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end\n"
    "return 0\n"};

void llm_budget_init(struct llm_budget *b, struct fr_redis *r, const char *source,
                     const char *worker, int64_t rpm, int64_t tpm)
{
    b->redis = r;
    b->worker = worker;
    snprintf(b->key, sizeof(b->key), "freshet:{%s}:llm:budget", source);
    snprintf(b->lock_prefix, sizeof(b->lock_prefix), "freshet:{%s}:llm:lock:", source);
    b->ms_per_req = rpm > 0 ? 60000.0 / (double)rpm * LLM_SPACING_MARGIN : 0;
    b->ms_per_tok = tpm > 0 ? 60000.0 / (double)tpm * LLM_SPACING_MARGIN : 0;
}

int llm_budget_take(struct llm_budget *b, int64_t tokens, int64_t *wait_ms, struct fr_error *err)
{
    char now[24], mr[32], mt[32], tok[24], hz[24];
    const char *keys[1] = {b->key};
    const char *args[5] = {now, mr, mt, tok, hz};
    redisReply *rep = NULL;
    int go;

    snprintf(now, sizeof(now), "%lld", (long long)fr_wall_ms());
    snprintf(mr, sizeof(mr), "%.3f", b->ms_per_req);
    snprintf(mt, sizeof(mt), "%.6f", b->ms_per_tok);
    snprintf(tok, sizeof(tok), "%lld", (long long)tokens);
    snprintf(hz, sizeof(hz), "%d", LLM_SLOT_HORIZON_MS);
    if (fr_redis_eval(b->redis, &take_lua, &rep, err, 1, keys, 5, args) != 0)
        return err->code;
    if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
        freeReplyObject(rep);
        return fr_error_set(err, FR_ERR_PROTO, "llm budget: unexpected reply");
    }
    go = rep->element[0]->integer == 1;
    *wait_ms = rep->element[1]->integer;
    freeReplyObject(rep);
    return go ? LLM_TAKE_GO : LLM_TAKE_WAIT;
}

void llm_budget_adjust(struct llm_budget *b, int64_t pause_ms, int64_t req_ms, int64_t tok_ms,
                       int64_t tok_delta)
{
    char now[24], pz[24], rq[24], tk[24], d[32];
    const char *keys[1] = {b->key};
    const char *args[5] = {now, pz, rq, tk, d};
    struct fr_error err = {0};

    if (pause_ms <= 0 && req_ms <= 0 && tok_ms <= 0 && (tok_delta == 0 || b->ms_per_tok == 0))
        return;
    snprintf(now, sizeof(now), "%lld", (long long)fr_wall_ms());
    snprintf(pz, sizeof(pz), "%lld", (long long)pause_ms);
    snprintf(rq, sizeof(rq), "%lld", (long long)req_ms);
    snprintf(tk, sizeof(tk), "%lld", (long long)tok_ms);
    snprintf(d, sizeof(d), "%.0f", (double)tok_delta * b->ms_per_tok);
    if (fr_redis_eval(b->redis, &adjust_lua, NULL, &err, 1, keys, 5, args) != 0)
        log_warn("llm budget not corrected: %s", err.msg);
}

int llm_lock(struct llm_budget *b, const char *hash, int64_t ttl_ms)
{
    struct fr_error err = {0};
    redisReply *rep = NULL;
    int got;

    if (fr_redis_cmd(b->redis, &rep, &err, "SET %s%s %s NX PX %lld", b->lock_prefix, hash,
                     b->worker, (long long)ttl_ms) != 0) {
        log_warn("llm lock not taken (going on without it): %s", err.msg);
        return err.code;
    }
    got = rep->type == REDIS_REPLY_STATUS;
    freeReplyObject(rep);
    return got;
}

static struct fr_redis_script answered_lua = {.src =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
    "  return redis.call('SET', KEYS[1], 'answered', 'PX', ARGV[2])\n"
    "end\n"
    "return 0\n"};

void llm_lock_answered(struct llm_budget *b, const char *hash)
{
    char key[240], ms[24];
    const char *keys[1] = {key};
    const char *args[2] = {b->worker, ms};
    struct fr_error err = {0};

    snprintf(key, sizeof(key), "%s%s", b->lock_prefix, hash);
    snprintf(ms, sizeof(ms), "%d", LLM_ANSWERED_MS);
    if (fr_redis_eval(b->redis, &answered_lua, NULL, &err, 1, keys, 2, args) != 0)
        log_debug("llm lock not marked answered (it expires): %s", err.msg);
}

void llm_unlock(struct llm_budget *b, const char *hash)
{
    char key[240];
    const char *keys[1] = {key};
    const char *args[1] = {b->worker};
    struct fr_error err = {0};

    snprintf(key, sizeof(key), "%s%s", b->lock_prefix, hash);
    if (fr_redis_eval(b->redis, &unlock_lua, NULL, &err, 1, keys, 1, args) != 0)
        log_debug("llm lock not released (it expires): %s", err.msg);
}
