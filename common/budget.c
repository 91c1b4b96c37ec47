/*
 * budget — see budget.h. One script does every change: it first applies the refills
 * due since the last call, then the operation, so the hash is always current.
 */
#include "common/budget.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"

/* KEYS[1] = bucket. ARGV: op, now, period, a, b, c, d.
 * Fields: tokens, next (next refill), rate, pause (until), inflight, used (last take). */
static struct fr_redis_script bucket_lua = {.src =
    "local op, now, period = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local h = redis.call('HMGET', KEYS[1], 'tokens', 'next', 'rate', 'pause', 'inflight', 'used',\n"
    "                     'ts')\n"
    "local tokens, nxt, rate = tonumber(h[1]), tonumber(h[2]), tonumber(h[3])\n"
    "local pause, inflight, used = tonumber(h[4]) or 0, tonumber(h[5]) or 0, tonumber(h[6]) or 0\n"
    "local ts = tonumber(h[7]) or 0\n"
    "if tokens and rate and rate > 0 then\n"
    "  if now >= nxt then\n"
    "    local n = math.floor((now - nxt) / period) + 1\n"
    "    tokens = math.min(tokens + n * rate, 60 * rate)\n"
    "    nxt = nxt + n * period\n"
    "  end\n"
    "end\n"
    /* A reservation from a worker that died is forgotten once the source idles. */
    "if now - used > 2 * period then inflight = 0 end\n"
    "local function save()\n"
    "  redis.call('HSET', KEYS[1], 'tokens', tokens, 'next', nxt, 'rate', rate,\n"
    "             'pause', pause, 'inflight', inflight, 'used', used, 'ts', ts)\n"
    "end\n"
    "if op == 'take' then\n"
    "  local cost, reserve = tonumber(ARGV[4]), tonumber(ARGV[5])\n"
    "  if not tokens or not rate or rate <= 0 then return {2, 0} end\n"
    "  if pause > now then return {1, pause - now} end\n"
    "  if tokens - reserve < cost then\n"
    "    local need = cost + reserve - tokens\n"
    "    local wait = (nxt - now) + (math.ceil(need / rate) - 1) * period\n"
    "    if cost + reserve > 60 * rate then wait = period end\n"
    "    return {1, math.max(wait, 1)}\n"
    "  end\n"
    "  tokens = tokens - cost; inflight = inflight + cost; used = now\n"
    "  save(); return {0, 0}\n"
    "elseif op == 'refund' then\n"
    "  local n = tonumber(ARGV[4])\n"
    "  if tokens then tokens = tokens + n; inflight = math.max(0, inflight - n); save() end\n"
    "  return {0, 0}\n"
    "elseif op == 'sync' then\n"
    "  local done, has, left, refill_in, r = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]),\n"
    "        tonumber(ARGV[7]), tonumber(ARGV[8])\n"
    "  local sts = tonumber(ARGV[9]) or 0\n"
    "  inflight = math.max(0, inflight - done)\n"
    "  if has == '1' and r > 0 then\n"
    "    if not tokens or sts > ts or sts == 0 then\n"
    "      tokens = left - inflight; nxt = now + refill_in; rate = r; ts = math.max(ts, sts)\n"
    "    elseif sts == ts then\n"
    "      tokens = math.min(tokens, left - inflight)\n"
    "    end\n"
    "  end\n"
    "  if tokens then save() end\n"
    "  return {0, 0}\n"
    "elseif op == 'pause' or op == 'hold' then\n"
    "  pause = math.max(pause, now + tonumber(ARGV[4]))\n"
    "  if tokens and op == 'pause' then tokens = math.min(tokens, 0) end\n"
    "  if tokens then save() else redis.call('HSET', KEYS[1], 'pause', pause) end\n"
    "  return {0, 0}\n"
    "else\n"
    "  if tokens then save() end\n"
    "  return {tokens or -1, rate or 0, math.max(pause - now, 0), nxt and math.max(nxt - now, 0) or -1}\n"
    "end\n"};

void fr_budget_init(struct fr_budget *b, struct fr_redis *r, const char *source,
                    int64_t period_ms, int64_t reserve)
{
    memset(b, 0, sizeof(*b));
    b->redis = r;
    snprintf(b->key, sizeof(b->key), "freshet:{%s}:tokens", source);
    b->period_ms = period_ms > 0 ? period_ms : 60000;
    b->reserve = reserve;
}

/* Runs one operation; out (may be NULL) receives up to 4 integers of the reply. */
static int run(struct fr_budget *b, const char *op, int nargs, const char *const *extra,
               int64_t out[4], struct fr_error *err)
{
    char now[24], period[24];
    const char *args[9] = {op, now, period};
    const char *keys[1] = {b->key};
    redisReply *rep;
    int rc;

    snprintf(now, sizeof(now), "%lld", (long long)fr_wall_ms());
    snprintf(period, sizeof(period), "%lld", (long long)b->period_ms);
    for (int i = 0; i < nargs && i < 6; i++)
        args[3 + i] = extra[i];
    rc = fr_redis_eval(b->redis, &bucket_lua, &rep, err, 1, keys, 3 + nargs, args);
    if (rc != 0)
        return rc;
    for (size_t i = 0; out && i < 4; i++)
        out[i] = i < rep->elements ? rep->element[i]->integer : 0;
    freeReplyObject(rep);
    return 0;
}

static int take(struct fr_budget *b, int64_t cost, int64_t reserve, int64_t *wait_ms,
                struct fr_error *err)
{
    char c[24], r[24];
    const char *extra[2] = {c, r};
    int64_t out[4];
    int rc;

    snprintf(c, sizeof(c), "%lld", (long long)cost);
    snprintf(r, sizeof(r), "%lld", (long long)reserve);
    if ((rc = run(b, "take", 2, extra, out, err)) != 0)
        return rc;
    if (wait_ms)
        *wait_ms = out[1];
    return (int)out[0];
}

int fr_budget_take(struct fr_budget *b, int64_t cost, int64_t *wait_ms, struct fr_error *err)
{
    return take(b, cost, 0, wait_ms, err);
}

int fr_budget_take_reserved(struct fr_budget *b, int64_t cost, int64_t *wait_ms,
                            struct fr_error *err)
{
    return take(b, cost, b->reserve, wait_ms, err);
}

int fr_budget_refund(struct fr_budget *b, int64_t tokens, struct fr_error *err)
{
    char n[24];
    const char *extra[1] = {n};

    if (tokens <= 0)
        return 0;
    snprintf(n, sizeof(n), "%lld", (long long)tokens);
    return run(b, "refund", 1, extra, NULL, err);
}

int fr_budget_sync(struct fr_budget *b, int64_t done, int has_tokens, int64_t tokens_left,
                   int64_t refill_in_ms, int64_t refill_rate, int64_t server_ts,
                   struct fr_error *err)
{
    char d[24], l[24], in[24], r[24], t[24];
    const char *extra[6] = {d, has_tokens ? "1" : "0", l, in, r, t};

    snprintf(d, sizeof(d), "%lld", (long long)done);
    snprintf(l, sizeof(l), "%lld", (long long)tokens_left);
    snprintf(in, sizeof(in), "%lld", (long long)refill_in_ms);
    snprintf(r, sizeof(r), "%lld", (long long)refill_rate);
    snprintf(t, sizeof(t), "%lld", (long long)server_ts);
    return run(b, "sync", 6, extra, NULL, err);
}

int fr_budget_pause(struct fr_budget *b, int64_t ms, struct fr_error *err)
{
    char m[24];
    const char *extra[1] = {m};

    snprintf(m, sizeof(m), "%lld", (long long)(ms > 0 ? ms : 1000));
    return run(b, "pause", 1, extra, NULL, err);
}

int fr_budget_hold(struct fr_budget *b, int64_t ms, struct fr_error *err)
{
    char m[24];
    const char *extra[1] = {m};

    snprintf(m, sizeof(m), "%lld", (long long)(ms > 0 ? ms : 1000));
    return run(b, "hold", 1, extra, NULL, err);
}

int fr_budget_peek(struct fr_budget *b, int64_t *tokens, int64_t *rate, int64_t *paused_ms,
                   struct fr_error *err)
{
    int64_t out[4];
    int rc = run(b, "peek", 0, NULL, out, err);

    if (rc != 0)
        return rc;
    if (tokens)
        *tokens = out[0];
    if (rate)
        *rate = out[1];
    if (paused_ms)
        *paused_ms = out[2];
    return 0;
}

int fr_budget_refill_in(struct fr_budget *b, int64_t *ms, struct fr_error *err)
{
    int64_t out[4];
    int rc = run(b, "peek", 0, NULL, out, err);

    if (rc == 0)
        *ms = out[1] > 0 ? out[3] : -1;
    return rc;
}
