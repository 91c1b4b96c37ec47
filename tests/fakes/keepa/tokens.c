/*
 * tokens.c - key parsing and token-bucket arithmetic, see tokens.h.
 *
 * Buckets are brought up to date lazily, when a request for the key arrives:
 * the number of minute boundaries crossed since the last look is all that is
 * needed, so there is no timer per key.
 */
#include "tokens.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_rate(const char *s, size_t len, int64_t *rate)
{
    char tmp[24], *end;
    long long v;

    if (len == 0 || len >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    errno = 0;
    v = strtoll(tmp, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > 100000000)
        return -1;
    *rate = v;
    return 0;
}

int fk_key_parse(const char *spec, struct fk_key *out, char *err, size_t errlen)
{
    const char *c1 = strchr(spec, ':'), *c2;
    size_t name_len, rate_len;

    memset(out, 0, sizeof(*out));
    if (c1 == NULL || c1 == spec) {
        snprintf(err, errlen, "key '%s' is not NAME:RATE[:expired]", spec);
        return -1;
    }
    name_len = (size_t)(c1 - spec);
    c2 = strchr(c1 + 1, ':');
    rate_len = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
    if (name_len >= FK_KEY_NAME_MAX || strchr(spec, ',') != NULL) {
        snprintf(err, errlen, "key '%s' has a bad name", spec);
        return -1;
    }
    if (parse_rate(c1 + 1, rate_len, &out->rate) < 0) {
        snprintf(err, errlen, "key '%s' has a bad rate (1..100000000 tokens/minute)", spec);
        return -1;
    }
    if (c2 != NULL && strcmp(c2 + 1, "expired") != 0) {
        snprintf(err, errlen, "key '%s' has a bad flag (only 'expired')", spec);
        return -1;
    }
    memcpy(out->name, spec, name_len);
    out->expired = c2 != NULL;
    return 0;
}

struct fk_key *fk_keys_find(struct fk_keys *ks, const char *name)
{
    for (size_t i = 0; i < ks->n; i++) {
        if (strcmp(ks->v[i].name, name) == 0)
            return &ks->v[i];
    }
    return NULL;
}

void fk_keys_refill(const struct fk_keys *ks, struct fk_key *k, int64_t now)
{
    int64_t tick = now / ks->minute_ms;
    int64_t cap = 60 * k->rate;
    int64_t crossed = tick - k->tick;

    if (crossed <= 0)
        return;
    k->tick = tick;
    /* A balance above capacity (--initial-tokens) only drains, never grows. */
    if (k->tokens >= cap)
        return;
    if (crossed > 60 + (cap - k->tokens) / k->rate)
        k->tokens = cap; /* also keeps rate * crossed from overflowing */
    else
        k->tokens += k->rate * crossed;
    if (k->tokens > cap)
        k->tokens = cap;
}

int64_t fk_keys_refill_in(const struct fk_keys *ks, int64_t now)
{
    return ks->minute_ms - now % ks->minute_ms;
}

int fk_keys_charge(const struct fk_keys *ks, struct fk_key *k, int64_t now, int64_t cost)
{
    fk_keys_refill(ks, k, now);
    if (k->tokens <= 0)
        return -1;
    k->tokens -= cost;
    k->spent += (uint64_t)cost;
    return 0;
}
