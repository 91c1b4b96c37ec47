/*
 * backoff — see backoff.h.
 */
#include "common/backoff.h"

#include <unistd.h>

#include "common/clock.h"

uint64_t fr_rand_next(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

uint64_t fr_rand_below(uint64_t *s, uint64_t n)
{
    return n == 0 ? 0 : fr_rand_next(s) % n;
}

void fr_backoff_init(struct fr_backoff *b, int64_t base_ms, int64_t cap_ms, uint64_t seed)
{
    b->base_ms = base_ms > 0 ? base_ms : 1;
    b->cap_ms = cap_ms > b->base_ms ? cap_ms : b->base_ms;
    b->attempt = 0;
    b->rng = seed ? seed : (uint64_t)fr_mono_us() * 2654435761u ^ (uint64_t)getpid() << 32;
}

int64_t fr_backoff_ceiling(int64_t base_ms, int64_t cap_ms, int attempt)
{
    int64_t c = base_ms;

    for (int i = 0; i < attempt && c < cap_ms; i++)
        c *= 2;
    return c < cap_ms ? c : cap_ms;
}

int64_t fr_backoff_delay(int64_t base_ms, int64_t cap_ms, int attempt, uint64_t *rng)
{
    int64_t ceiling = fr_backoff_ceiling(base_ms, cap_ms, attempt);

    return (int64_t)fr_rand_below(rng, (uint64_t)ceiling + 1);
}

int64_t fr_backoff_next(struct fr_backoff *b)
{
    int64_t d = fr_backoff_delay(b->base_ms, b->cap_ms, b->attempt, &b->rng);

    if (b->attempt < 62)
        b->attempt++;
    return d;
}

void fr_backoff_reset(struct fr_backoff *b)
{
    b->attempt = 0;
}
