/*
 * options.h - the fake's configuration: one table of (flag, environment
 * variable, type, bounds, default, help), read once at start-up into struct
 * rp_options.
 *
 * Flags override environment variables, which override defaults. --help is
 * printed from the same table, so it cannot drift from what is parsed.
 */
#ifndef RP_OPTIONS_H
#define RP_OPTIONS_H

#include "faults.h"

#include <stddef.h>
#include <stdint.h>

#ifndef FRESHET_VERSION
#define FRESHET_VERSION "0.0.0"
#endif

#define RP_PROGRAM "freshet-fake-repos"
#define RP_HEADER_NAME_MAX 64
#define RP_TOKEN_MAX 256

/* How the reset header states the end of the rate-limit window. */
enum rp_reset_format {
    RP_RESET_EPOCH,    /* unix seconds */
    RP_RESET_SECONDS,  /* seconds from now */
    RP_RESET_DURATION, /* Go duration from now, "6m0s" */
};

/* How Retry-After is written on a 429 or 503. */
enum rp_retry_format {
    RP_RETRY_SECONDS, /* delta seconds */
    RP_RETRY_DATE,    /* HTTP date */
};

/* How the cursor listing says that it has ended. */
enum rp_cursor_end {
    RP_CURSOR_END_NULL,    /* "next_cursor":null */
    RP_CURSOR_END_MISSING, /* no next_cursor member */
    RP_CURSOR_END_EMPTY,   /* "next_cursor":"" */
};

struct rp_options {
    char listen[256];
    char port_file[4096];
    int64_t repos;
    uint64_t seed;
    char token[RP_TOKEN_MAX]; /* "" disables authentication */
    int64_t limit;            /* API requests per window */
    int64_t window_ms;
    int reset_format;                      /* enum rp_reset_format */
    int retry_format;                      /* enum rp_retry_format */
    int cursor_end;                        /* enum rp_cursor_end */
    char limit_header[RP_HEADER_NAME_MAX]; /* "" leaves the header out */
    char remaining_header[RP_HEADER_NAME_MAX];
    char reset_header[RP_HEADER_NAME_MAX];
    double deleted; /* share of repositories deleted (410) from the start */
    double fail[RP_FAULT_COUNT];
    int64_t late_ms, hold_ms, latency_ms, jitter_ms;
};

enum rp_options_result {
    RP_OPTIONS_OK,
    RP_OPTIONS_EXIT, /* --help or --version was printed: exit 0 */
    RP_OPTIONS_BAD,  /* err holds a one-line reason: exit 2 */
};

/* Fills o from the environment and argv. */
enum rp_options_result rp_options_parse(struct rp_options *o, int argc, char **argv, char *err,
                                        size_t errlen);

/* Writes the effective configuration as one line (for the start-up log); no token. */
void rp_options_describe(const struct rp_options *o, char *out, size_t outlen);

/*
 * Parses a duration: digits and a unit, ms, s, m or h ("250ms", "60s", "5m"),
 * or a bare "0". Returns 0 with *ms set, or -1.
 */
int rp_parse_duration(const char *s, int64_t *ms);

/* Returns the index of s in the '|'-separated list choices, or -1. */
int rp_parse_choice(const char *s, const char *choices);

#define RP_RESET_FORMATS "epoch|seconds|duration"
#define RP_RETRY_FORMATS "seconds|date"
#define RP_CURSOR_ENDS "null|missing|empty"

#endif
