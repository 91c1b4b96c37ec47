/*
 * pace — see pace.h. One script does both operations, accruing first, so the
 * allowance is current whichever worker calls.
 */
#include "common/pace.h"

#include <stdio.h>
#include <string.h>

#include "common/clock.h"

/* KEYS[1] = hash {credit, at, burst}. ARGV: op, now, n, rate, burst. A take of n returns
 * the units granted. */
static struct fr_redis_script pace_lua = {.src =
    "local op, now, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local h = redis.call('HMGET', KEYS[1], 'credit', 'at', 'burst')\n"
    "local credit, at, burst = tonumber(h[1]) or 0, tonumber(h[2]) or now, tonumber(h[3]) or 0\n"
    "if op == 'take' then\n"
    "  local rate = tonumber(ARGV[4])\n"
    "  burst = tonumber(ARGV[5])\n"
    /* The first take starts from nothing: a restart must not grant a burst at once. */
    "  if h[2] then credit = credit + rate * math.max(now - at, 0) / 1000 end\n"
    "  credit = math.min(credit, burst)\n"
    "  local g = math.max(0, math.min(math.floor(credit), n))\n"
    "  credit = credit - g\n"
    "  redis.call('HSET', KEYS[1], 'credit', credit, 'at', now, 'burst', burst)\n"
    "  redis.call('PEXPIRE', KEYS[1], 86400000)\n"
    "  return g\n"
    "end\n"
    "if h[2] then\n"
    "  redis.call('HSET', KEYS[1], 'credit', math.min(credit + n, burst))\n"
    "end\n"
    "return 0\n"};

void fr_pace_init(struct fr_pace *p, struct fr_redis *r, const char *source, const char *name)
{
    memset(p, 0, sizeof(*p));
    p->redis = r;
    snprintf(p->key, sizeof(p->key), "freshet:{%s}:pace:%s", source, name);
}

static int run(struct fr_pace *p, const char *op, int64_t n, double rate, double burst,
               int64_t *out, struct fr_error *err)
{
    char now[24], sn[24], srate[32], sburst[32];
    const char *args[5] = {op, now, sn, srate, sburst};
    const char *keys[1] = {p->key};
    redisReply *rep;
    int rc;

    snprintf(now, sizeof(now), "%lld", (long long)fr_wall_ms());
    snprintf(sn, sizeof(sn), "%lld", (long long)n);
    snprintf(srate, sizeof(srate), "%.17g", rate > 0 ? rate : 0);
    snprintf(sburst, sizeof(sburst), "%.17g", burst > 0 ? burst : 0);
    if ((rc = fr_redis_eval(p->redis, &pace_lua, &rep, err, 1, keys, 5, args)) != 0)
        return rc;
    if (out)
        *out = rep->integer;
    freeReplyObject(rep);
    return 0;
}

int fr_pace_take(struct fr_pace *p, double rate, double burst, int64_t want, int64_t *granted,
                 struct fr_error *err)
{
    *granted = 0;
    if (want <= 0)
        return 0;
    return run(p, "take", want, rate, burst, granted, err);
}

int fr_pace_give(struct fr_pace *p, int64_t n, struct fr_error *err)
{
    return n > 0 ? run(p, "give", n, 0, 0, NULL, err) : 0;
}
