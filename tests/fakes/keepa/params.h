/*
 * params.h - strict parsing of API query parameters.
 *
 * Keepa rejects malformed parameters with 400 invalidParameter rather than
 * guessing, and clients must handle that, so the fake is strict: integers
 * must be whole decimal strings within range, lists must not be empty.
 */
#ifndef FK_PARAMS_H
#define FK_PARAMS_H

#include <event2/keyvalq_struct.h>
#include <stddef.h>
#include <stdint.h>

/* A slice of a parameter value, e.g. one ASIN of a comma list. */
struct fk_span {
    const char *p;
    size_t len;
};

/* Returns 1 if d is a Keepa domain id (1..6, 8..12), 0 otherwise. */
int fk_domain_valid(int64_t d);

/* Parses a whole decimal integer within [min, max]. Returns 0 or -1. */
int fk_parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Reads optional integer parameter name: sets *out to def when absent.
 * Returns 0, or -1 when present but not an integer within [min, max].
 */
int fk_param_int(const struct evkeyvalq *q, const char *name, int64_t min, int64_t max,
                 int64_t def, int64_t *out);

/*
 * Splits a comma list into at most max non-empty, space-trimmed items.
 * Returns the count, or max + 1 if there are more than max items.
 */
size_t fk_split_list(const char *s, struct fk_span *out, size_t max);

/* Returns 1 if the Accept-Encoding value allows gzip, 0 otherwise. */
int fk_accepts_gzip(const char *accept_encoding);

#endif
