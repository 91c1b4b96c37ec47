/*
 * breaker — see breaker.h.
 */
#include "common/breaker.h"

void fr_breaker_init(struct fr_breaker *b, int threshold, int64_t cooldown_ms)
{
    b->threshold = threshold > 0 ? threshold : 5;
    b->cooldown_ms = cooldown_ms > 0 ? cooldown_ms : 30000;
    b->state = FR_BREAKER_CLOSED;
    b->failures = 0;
    b->opened_at = 0;
    b->probing = 0;
}

int fr_breaker_allow(struct fr_breaker *b, int64_t now_ms)
{
    if (b->state == FR_BREAKER_CLOSED)
        return 1;
    if (b->state == FR_BREAKER_OPEN && now_ms - b->opened_at >= b->cooldown_ms) {
        b->state = FR_BREAKER_HALF_OPEN;
        b->probing = 0;
    }
    if (b->state == FR_BREAKER_HALF_OPEN && !b->probing) {
        b->probing = 1;
        return 1;
    }
    return 0;
}

int fr_breaker_record(struct fr_breaker *b, int ok, int64_t now_ms)
{
    int before = b->state;

    if (ok) {
        b->failures = 0;
        b->state = FR_BREAKER_CLOSED;
        b->probing = 0;
    } else if (b->state == FR_BREAKER_HALF_OPEN ||
               (b->state == FR_BREAKER_CLOSED && ++b->failures >= b->threshold)) {
        b->state = FR_BREAKER_OPEN;
        b->opened_at = now_ms;
        b->probing = 0;
    }
    return before != b->state;
}

int64_t fr_breaker_wait(const struct fr_breaker *b, int64_t now_ms)
{
    if (b->state != FR_BREAKER_OPEN)
        return 0;
    int64_t left = b->cooldown_ms - (now_ms - b->opened_at);
    return left > 0 ? left : 0;
}

const char *fr_breaker_state_name(int state)
{
    return state == FR_BREAKER_OPEN ? "open" : state == FR_BREAKER_HALF_OPEN ? "half-open"
                                                                             : "closed";
}
