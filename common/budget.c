/*
 * budget — see budget.h. One script does every change: it first applies the refills
 * due since the last call, then the operation, so the hash is always current.
 */
#include "common/budget.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"

/* KEYS[1] = bucket. ARGV: op, now, period, a, b, c, d, e.
 * Fields: tokens, next (next refill, or the window's end), rate, pause (until), inflight,
 * used (last take), ts (upstream clock of the figures); for a window (see budget.h):
 * win (0 bucket, 1 learned window, 2 static minute), gap (ms a token: the window's even
 * pace), tat (earliest next grant; in the probe state the next probe), lg (gap of the
 * last grant), probe (1: the window ended, one request learns the next). */
static const char lua_state[] =
    "local op, now, period = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local h = redis.call('HMGET', KEYS[1], 'tokens', 'next', 'rate', 'pause', 'inflight', 'used',\n"
    "                     'ts', 'win', 'gap', 'tat', 'lg', 'probe')\n"
    "local tokens, nxt, rate = tonumber(h[1]), tonumber(h[2]), tonumber(h[3])\n"
    "local pause, inflight, used = tonumber(h[4]) or 0, tonumber(h[5]) or 0, tonumber(h[6]) or 0\n"
    "local ts = tonumber(h[7]) or 0\n"
    "local win, gap, tat = tonumber(h[8]) or 0, tonumber(h[9]) or 0, tonumber(h[10]) or 0\n"
    "local lg, probe = tonumber(h[11]) or 0, tonumber(h[12]) or 0\n"
    "if win == 0 and tokens and rate and rate > 0 then\n"
    "  if now >= nxt then\n"
    "    local n = math.floor((now - nxt) / period) + 1\n"
    "    tokens = math.min(tokens + n * rate, 60 * rate)\n"
    "    nxt = nxt + n * period\n"
    "  end\n"
    "elseif win == 2 and tokens and now >= nxt then\n"
    "  nxt = nxt + (math.floor((now - nxt) / 60000) + 1) * 60000; tokens = rate\n"
    /* The learned window ended: what the next one holds is not assumed but asked, by
     * one request whose answer says it (no burst, no 429 when it is smaller). */
    "elseif win == 1 and tokens and now >= nxt and probe == 0 then\n"
    "  probe = 1; tokens = 0; tat = now\n"
    "end\n"
    /* A reservation from a worker that died is forgotten once the source idles. */
    "if now - used > 2 * period then inflight = 0 end\n"
    "local function save()\n"
    "  redis.call('HSET', KEYS[1], 'tokens', tokens, 'next', nxt, 'rate', rate,\n"
    "             'pause', pause, 'inflight', inflight, 'used', used, 'ts', ts, 'win', win,\n"
    "             'gap', gap, 'tat', tat, 'lg', lg, 'probe', probe)\n"
    "end\n"
    /* A window's pace, ms a token: its even pace, the static rate's, and never faster
     * than what is left over the time left. */
    "local function pace()\n"
    "  local g = gap\n"
    "  if rate and rate > 0 then g = math.max(g, 60000 / rate) end\n"
    "  if tokens and tokens > 0 and nxt then g = math.max(g, (nxt - now) / tokens) end\n"
    "  return g\n"
    "end\n"
    ;

/* The operations, on the state lua_state read and brought up to date. */
static const char lua_ops[] =
    "if op == 'take' and win > 0 then\n"
    "  local cost, reserve = tonumber(ARGV[4]), tonumber(ARGV[5])\n"
    "  if not tokens then return {2, 0} end\n"
    "  if pause > now then return {1, pause - now} end\n"
    "  if probe == 1 then\n"
    "    if now < tat then return {1, math.max(tat - now, 1)} end\n"
    "    tat = now + 1000; lg = 0; inflight = inflight + cost; used = now\n"
    "    save(); return {0, 0}\n"
    "  end\n"
    "  if tokens - reserve < cost then return {1, math.max(nxt - now, 1)} end\n"
    "  if now < tat then return {1, math.max(math.ceil(tat - now), 1)} end\n"
    "  lg = pace(); tat = math.max(tat, now) + lg * cost\n"
    "  tokens = tokens - cost; inflight = inflight + cost; used = now\n"
    "  save(); return {0, 0}\n"
    "elseif op == 'take' then\n"
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
    "  if tokens then\n"
    "    inflight = math.max(0, inflight - n)\n"
    /* A paced slot not used goes back, so idle polls do not eat the pace; a probe not
     * sent lets the next one go at once. */
    "    if probe == 1 then tat = now else tokens = tokens + n end\n"
    "    if probe == 0 and win > 0 then tat = tat - n * lg end\n"
    "    save()\n"
    "  end\n"
    "  return {0, 0}\n"
    "elseif op == 'sync' then\n"
    "  local done, has, left, refill_in, r = tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]),\n"
    "        tonumber(ARGV[7]), tonumber(ARGV[8])\n"
    "  local sts = tonumber(ARGV[9]) or 0\n"
    "  inflight = math.max(0, inflight - done)\n"
    "  if has == '1' and r > 0 and win == 0 then\n"
    "    if not tokens or sts > ts or sts == 0 then\n"
    "      tokens = left - inflight; nxt = now + refill_in; rate = r; ts = math.max(ts, sts)\n"
    "    elseif sts == ts then\n"
    "      tokens = math.min(tokens, left - inflight)\n"
    "    end\n"
    "  end\n"
    "  if tokens then save() end\n"
    "  return {0, 0}\n"
    /* A window's figures: ARGV done, left, refill_in, per_minute, server ts. Windows are
     * told apart by their ends: one 1 s (the header's rounding) or more later is the
     * next window, one as much earlier an older one (its answer arrived late). */
    "elseif op == 'wsync' then\n"
    "  local done, left, refill_in, r = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]),\n"
    "        tonumber(ARGV[7])\n"
    "  local sts, at = tonumber(ARGV[8]) or 0, now + tonumber(ARGV[6])\n"
    "  inflight = math.max(0, inflight - done)\n"
    "  win = 1; rate = r\n"
    "  if not tokens or not nxt or at >= nxt + 1000 then\n"
    "    tokens = left - inflight; nxt = at; probe = 0; tat = now; ts = math.max(ts, sts)\n"
    "    gap = refill_in / math.max(left, 1)\n"
    "  elseif probe == 0 and at > nxt - 1000 then\n"
    "    if sts > ts or sts == 0 then\n"
    "      tokens = left - inflight; ts = math.max(ts, sts)\n"
    "    elseif sts == ts then\n"
    "      tokens = math.min(tokens, left - inflight)\n"
    "    end\n"
    "    nxt = math.max(nxt, at)\n"
    "  end\n"
    "  save(); return {0, 0}\n"
    /* ARGV per_minute, learn: a window to learn (probe first) or a static minute. */
    "elseif op == 'wseed' then\n"
    "  if tokens then return {0, 0} end\n"
    "  rate = tonumber(ARGV[4]); tat = now; ts = 0\n"
    "  if ARGV[5] == '1' then\n"
    "    win = 1; tokens = 0; nxt = 0; probe = 1; gap = 0\n"
    "  else\n"
    "    win = 2; tokens = rate; nxt = now + 60000; probe = 0; gap = 60000 / math.max(rate, 1)\n"
    "  end\n"
    "  save(); return {0, 0}\n"
    "elseif op == 'pause' or op == 'hold' then\n"
    "  pause = math.max(pause, now + tonumber(ARGV[4]))\n"
    /* A 429 spends the window's tokens (Keepa's bucket, a window the answers told us);
     * a static minute of our own is not the upstream's reset: Retry-After alone holds. */
    "  if tokens and op == 'pause' and win ~= 2 then tokens = math.min(tokens, 0) end\n"
    "  if tokens then save() else redis.call('HSET', KEYS[1], 'pause', pause) end\n"
    "  return {0, 0}\n"
    "else\n"
    "  if tokens then save() end\n"
    "  local per = rate or 0\n"
    /* A window reports its pace as tokens a period, the bucket's terms. */
    "  if win > 0 then\n"
    "    local g = gap\n"
    "    if rate and rate > 0 then g = math.max(g, 60000 / rate) end\n"
    "    per = g > 0 and math.floor(period / g) or 0\n"
    "  end\n"
    "  return {tokens or -1, per, math.max(pause - now, 0), nxt and math.max(nxt - now, 0) or -1}\n"
    "end\n";

/* The script is longer than a C literal may portably be: joined on first use. */
static char lua_src[sizeof(lua_state) + sizeof(lua_ops)];
static struct fr_redis_script bucket_lua = {.src = lua_src};

static void join_script(void)
{
    if (lua_src[0] != '\0')
        return;
    memcpy(lua_src, lua_state, sizeof(lua_state) - 1);
    memcpy(lua_src + sizeof(lua_state) - 1, lua_ops, sizeof(lua_ops));
}

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
    const char *args[10] = {op, now, period};
    const char *keys[1] = {b->key};
    redisReply *rep;
    int rc;

    join_script();
    snprintf(now, sizeof(now), "%lld", (long long)fr_wall_ms());
    snprintf(period, sizeof(period), "%lld", (long long)b->period_ms);
    for (int i = 0; i < nargs && i < 7; i++)
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

int fr_budget_sync_window(struct fr_budget *b, int64_t done, int64_t left, int64_t reset_in_ms,
                          int64_t per_minute, int64_t server_ts, struct fr_error *err)
{
    char d[24], l[24], in[24], r[24], t[24];
    const char *extra[5] = {d, l, in, r, t};

    snprintf(d, sizeof(d), "%lld", (long long)done);
    snprintf(l, sizeof(l), "%lld", (long long)left);
    snprintf(in, sizeof(in), "%lld", (long long)(reset_in_ms > 0 ? reset_in_ms : 0));
    snprintf(r, sizeof(r), "%lld", (long long)(per_minute > 0 ? per_minute : 0));
    snprintf(t, sizeof(t), "%lld", (long long)server_ts);
    return run(b, "wsync", 5, extra, NULL, err);
}

int fr_budget_seed_window(struct fr_budget *b, int64_t per_minute, int learn,
                          struct fr_error *err)
{
    char r[24];
    const char *extra[2] = {r, learn ? "1" : "0"};

    snprintf(r, sizeof(r), "%lld", (long long)(per_minute > 0 ? per_minute : 0));
    return run(b, "wseed", 2, extra, NULL, err);
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

int fr_budget_figures(struct fr_budget *b, struct fr_budget_figures *out, struct fr_error *err)
{
    int64_t v[4];
    int rc = run(b, "peek", 0, NULL, v, err);

    if (rc != 0)
        return rc;
    out->tokens = v[0];
    out->rate = v[1];
    out->paused_ms = v[2];
    out->refill_in_ms = v[1] > 0 ? v[3] : -1;
    return 0;
}

int fr_budget_peek(struct fr_budget *b, int64_t *tokens, int64_t *rate, int64_t *paused_ms,
                   struct fr_error *err)
{
    struct fr_budget_figures f;
    int rc = fr_budget_figures(b, &f, err);

    if (rc != 0)
        return rc;
    if (tokens)
        *tokens = f.tokens;
    if (rate)
        *rate = f.rate;
    if (paused_ms)
        *paused_ms = f.paused_ms;
    return 0;
}
