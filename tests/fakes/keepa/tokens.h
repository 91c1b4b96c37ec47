/*
 * tokens.h - API keys and their Keepa token buckets.
 *
 * A key refills `rate` tokens at every "minute" boundary since start-up (the
 * minute lasts --minute-ms of real time), up to 60 x rate. A request is
 * admitted while the balance is above zero and then charged in full, so the
 * balance can go negative (REFERENCE A2, A7).
 */
#ifndef FK_TOKENS_H
#define FK_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#define FK_KEYS_MAX 64
#define FK_KEY_NAME_MAX 128

struct fk_key {
    char name[FK_KEY_NAME_MAX];
    int64_t rate;  /* tokens per minute */
    int expired;   /* requests get 402 */
    int64_t tokens; /* balance after `tick` refills */
    int64_t tick;   /* refill boundaries already applied */
    uint64_t spent; /* tokens charged since start-up or the last stats reset */
};

struct fk_keys {
    struct fk_key v[FK_KEYS_MAX];
    size_t n;
    int64_t minute_ms;
};

/*
 * Parses "NAME:RATE[:expired]" into *out (balance unset). Returns 0, or -1
 * with a reason in err.
 */
int fk_key_parse(const char *spec, struct fk_key *out, char *err, size_t errlen);

/* Returns the key called name (borrowed), NULL if there is none. */
struct fk_key *fk_keys_find(struct fk_keys *ks, const char *name);

/* Applies the refills due by elapsed time now to k. */
void fk_keys_refill(const struct fk_keys *ks, struct fk_key *k, int64_t now);

/* Milliseconds from now to the next refill boundary. */
int64_t fk_keys_refill_in(const struct fk_keys *ks, int64_t now);

/*
 * Admits and charges a request of `cost` tokens: returns 0 and charges when
 * the balance is above zero, -1 (nothing charged) when it is not.
 */
int fk_keys_charge(const struct fk_keys *ks, struct fk_key *k, int64_t now, int64_t cost);

#endif
