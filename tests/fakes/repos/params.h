/*
 * params.h - strict parsing of query parameters.
 *
 * The fake rejects a malformed parameter with 400 rather than guessing, so a
 * client bug shows up as an error in the tests instead of as quietly wrong
 * paging: integers must be whole decimal strings within range.
 */
#ifndef RP_PARAMS_H
#define RP_PARAMS_H

#include <sys/queue.h> /* TAILQ_* for evkeyvalq, before libevent defines its own */

#include <event2/keyvalq_struct.h>
#include <stddef.h>
#include <stdint.h>

/* Parses a whole decimal integer within [min, max]. Returns 0 or -1. */
int rp_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Reads the optional integer parameter name: *out = def when absent (or
 * empty). Returns 0, or -1 when present but not an integer within [min, max].
 */
int rp_param_int(const struct evkeyvalq *q, const char *name, int64_t min, int64_t max, int64_t def,
                 int64_t *out);

#endif
