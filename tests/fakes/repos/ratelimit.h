/*
 * ratelimit.h - GitHub-style request accounting: `limit` API requests per
 * fixed window, reported on every API answer in the X-RateLimit-* headers
 * and enforced with 429 and Retry-After once the window is spent.
 *
 * Windows are fixed and aligned to start-up: window k covers elapsed
 * [k * window, (k + 1) * window). The reset header names the end of the
 * current window in the configured format; header names are configurable and
 * an empty name leaves that header out.
 */
#ifndef RP_RATELIMIT_H
#define RP_RATELIMIT_H

#include "options.h"

#include <sys/queue.h> /* TAILQ_* for evkeyvalq, before libevent defines its own */

#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct rp_limit {
    int64_t limit;
    int64_t window_ms;
    int64_t window_start; /* elapsed ms at which the current window began */
    int64_t used;         /* requests admitted in the current window */
    int reset_format;     /* enum rp_reset_format */
    int retry_format;     /* enum rp_retry_format */
    const char *limit_header, *remaining_header, *reset_header; /* borrowed from options */
};

/* Sets l up from the options o (which must outlive l); the first window starts now. */
void rp_limit_init(struct rp_limit *l, const struct rp_options *o, int64_t now);

/* Counts one request at elapsed ms now. Returns 0, or -1 when the window is spent. */
int rp_limit_admit(struct rp_limit *l, int64_t now);

/* Adds the limit, remaining and reset headers as of now to h. */
void rp_limit_headers(struct rp_limit *l, int64_t now, struct evkeyvalq *h);

/* Adds Retry-After for the end of the current window (at least 1 s away) to h. */
void rp_limit_retry_after(struct rp_limit *l, int64_t now, struct evkeyvalq *h);

/* Adds Retry-After naming a time `seconds` after now, in the configured format, to h. */
void rp_retry_after(const struct rp_limit *l, int64_t now, int64_t seconds, struct evkeyvalq *h);

/*
 * Sets one setting by its /_test/config name: limit, window (a duration; the
 * window restarts now) or remaining (requests left in the current window).
 * Returns 1 if set, 0 if name is not a rate-limit setting, -1 with err filled.
 */
int rp_limit_set(struct rp_limit *l, int64_t now, const char *name, const char *value, char *err,
                 size_t errlen);

/* Adds the current window's figures to the JSON object obj. */
void rp_limit_render(struct rp_limit *l, int64_t now, json_t *obj);

#endif
