/*
 * limits.h - requests-per-minute and tokens-per-minute limits over a sliding
 * window, and the x-ratelimit-* values every answer carries.
 *
 * The window is sliding, not fixed: a request is admitted only when, counting
 * it, no more than rpm requests and tpm tokens were admitted in the last
 * window (60 s unless --window-ms says otherwise), so no span of that length
 * ever holds more. Only admitted requests count; refused ones (401, 400, 429,
 * injected faults) cost nothing. "Reset" follows OpenAI's definition: the
 * time until the limit is back to its initial state, i.e. until everything
 * admitted so far has left the window. Retry-After on a 429 is the time until
 * the refused request would fit.
 */
#ifndef FL_LIMITS_H
#define FL_LIMITS_H

#include "window.h"

#include <stddef.h>
#include <stdint.h>

struct fl_limits {
    int64_t rpm, tpm;
    struct fl_window admitted; /* weight: tokens charged */
};

struct fl_limit_state {
    int64_t rpm, tpm;
    int64_t remaining_requests, remaining_tokens;
    int64_t reset_requests_ms, reset_tokens_ms;
};

enum fl_admit {
    FL_ADMIT_OK,        /* admitted and charged */
    FL_ADMIT_REQUESTS,  /* rpm reached */
    FL_ADMIT_TOKENS,    /* the tokens would pass tpm */
    FL_ADMIT_TOO_LARGE, /* the request alone costs more than tpm: it can never fit */
};

void fl_limits_init(struct fl_limits *l, int64_t rpm, int64_t tpm, int64_t window_ms);
void fl_limits_release(struct fl_limits *l);

/*
 * Admits a request costing tokens at time now and charges it, or refuses it
 * and sets *retry_ms to the wait after which it would fit (the window length
 * for FL_ADMIT_TOO_LARGE).
 */
enum fl_admit fl_limits_admit(struct fl_limits *l, int64_t now, int64_t tokens,
                              int64_t *retry_ms);

/* Fills st with the limits as they stand at time now. */
void fl_limits_state(struct fl_limits *l, int64_t now, struct fl_limit_state *st);

/* Writes ms as OpenAI writes durations (Go style): "0s", "17ms", "1s", "1.5s", "6m0s". */
void fl_format_duration(int64_t ms, char *out, size_t outlen);

#endif
