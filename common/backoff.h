/*
 * backoff — capped exponential backoff with full jitter (AWS architecture blog's
 * "full jitter"): delay = random(0, min(cap, base * 2^attempt)). Full jitter spreads
 * a fleet that failed at the same moment (a Redis restart) instead of retrying in step.
 *
 * The random source is a small xorshift state so tests can seed it and be exact.
 */
#ifndef FR_BACKOFF_H
#define FR_BACKOFF_H

#include <stdint.h>

struct fr_backoff {
    int64_t base_ms;
    int64_t cap_ms;
    int attempt;
    uint64_t rng;
};

/* seed 0 picks one from the clock and pid. */
void fr_backoff_init(struct fr_backoff *b, int64_t base_ms, int64_t cap_ms, uint64_t seed);
/* The delay before the next try, and counts the attempt. */
int64_t fr_backoff_next(struct fr_backoff *b);
void fr_backoff_reset(struct fr_backoff *b);

/* Stateless form: the ceiling for an attempt (no jitter), and a jittered delay. */
int64_t fr_backoff_ceiling(int64_t base_ms, int64_t cap_ms, int attempt);
int64_t fr_backoff_delay(int64_t base_ms, int64_t cap_ms, int attempt, uint64_t *rng);

/* xorshift64*: a fast PRNG for jitter and sampling, not for secrets. */
uint64_t fr_rand_next(uint64_t *state);
/* Uniform in [0, n) (n > 0). */
uint64_t fr_rand_below(uint64_t *state, uint64_t n);

#endif
