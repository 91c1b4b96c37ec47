/*
 * options.h - the fake's configuration: one table of (flag, env var, type,
 * bounds, default, help), read once at start-up into struct fk_options.
 *
 * Flags override environment variables, which override defaults. --help is
 * generated from the same table, so it cannot drift from what is parsed.
 */
#ifndef FK_OPTIONS_H
#define FK_OPTIONS_H

#include "drift.h"
#include "tokens.h"

#include <stddef.h>
#include <stdint.h>

#ifndef FRESHET_VERSION
#define FRESHET_VERSION "0.0.0"
#endif

#define FK_PROGRAM "freshet-fake-keepa"

struct fk_options {
    char listen[256];
    char port_file[4096];
    int64_t products;
    uint64_t seed;
    struct fk_key keys[FK_KEYS_MAX]; /* balances not yet set */
    size_t nkeys;
    int64_t initial_tokens; /* FK_INITIAL_RATE: each key starts with its rate */
    int64_t minute_ms;
    int64_t latency_ms;
    int64_t jitter_ms;
    double fail_5xx, fail_timeout, fail_reset, fail_truncate, fail_garbage, fail_429;
    int64_t hold_ms;
    int64_t change_period_ms;
    double invalid_rate;
    double deal_fraction;
    struct fk_drift_spec drift;
    enum fk_drift_deal drift_deal;
};

#define FK_INITIAL_RATE INT64_MIN

enum fk_options_result {
    FK_OPTIONS_OK,
    FK_OPTIONS_EXIT, /* --help or --version was printed: exit 0 */
    FK_OPTIONS_BAD,  /* err holds a one-line reason: exit 2 */
};

/* Fills o from the environment and argv. */
enum fk_options_result fk_options_parse(struct fk_options *o, int argc, char **argv, char *err,
                                        size_t errlen);

/* Writes the effective configuration as one line (for the start-up log). */
void fk_options_describe(const struct fk_options *o, char *out, size_t outlen);

#endif
