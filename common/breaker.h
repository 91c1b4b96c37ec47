/*
 * breaker — a circuit breaker per source: after `threshold` consecutive failures
 * (5xx, timeouts, resets) it opens and nothing is sent for `cooldown_ms`; then it
 * lets one probe through (half-open): success closes it, failure opens it again.
 * It stops a fleet from hammering an upstream that is down, and from burning
 * retries (attempts) of every item while it is.
 */
#ifndef FR_BREAKER_H
#define FR_BREAKER_H

#include <stdint.h>

enum fr_breaker_state { FR_BREAKER_CLOSED = 0, FR_BREAKER_OPEN = 1, FR_BREAKER_HALF_OPEN = 2 };

struct fr_breaker {
    int threshold;
    int64_t cooldown_ms;
    int state;
    int failures;     /* consecutive */
    int64_t opened_at; /* monotonic ms */
    int probing;      /* a half-open probe is in flight */
};

void fr_breaker_init(struct fr_breaker *b, int threshold, int64_t cooldown_ms);
/* May a request go now? In half-open, admits exactly one probe. */
int fr_breaker_allow(struct fr_breaker *b, int64_t now_ms);
/* Records an outcome; returns 1 when the state changed (log it). */
int fr_breaker_record(struct fr_breaker *b, int ok, int64_t now_ms);
/* ms until a probe may go (0 when allowed now). */
int64_t fr_breaker_wait(const struct fr_breaker *b, int64_t now_ms);
const char *fr_breaker_state_name(int state);

#endif
