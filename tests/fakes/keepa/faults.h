/*
 * faults.h - injected misbehaviour: fault kinds, their rates and latency.
 *
 * Each API request draws at most one fault from a generator seeded with
 * --seed, so a run with the same seed and request order sees the same faults.
 * Rates are cumulative probabilities and must sum to at most 1. Everything
 * here can be changed at runtime through /_fake/config.
 */
#ifndef FK_FAULTS_H
#define FK_FAULTS_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

enum fk_fault {
    FK_FAULT_NONE,
    FK_FAULT_5XX,      /* 500 with an error envelope */
    FK_FAULT_TIMEOUT,  /* never answer; close after the hold time */
    FK_FAULT_RESET,    /* close the connection without a response */
    FK_FAULT_TRUNCATE, /* 200 whose Content-Length exceeds the bytes sent */
    FK_FAULT_GARBAGE,  /* 200 with a body that is not JSON */
    FK_FAULT_429,      /* 429 with an empty body */
    FK_FAULT_COUNT,
};

struct fk_faults {
    double rate[FK_FAULT_COUNT];
    int64_t latency_ms;
    int64_t jitter_ms;
    int64_t hold_ms; /* how long a FK_FAULT_TIMEOUT request is held */
    uint64_t rng;
};

/* Returns the fault's short name, e.g. "5xx", "429_nobody". */
const char *fk_fault_name(enum fk_fault f);

/* Draws the fault for one request. */
enum fk_fault fk_faults_draw(struct fk_faults *f);

/* Draws the delay in ms before one request is answered. */
int64_t fk_faults_delay(struct fk_faults *f);

/*
 * Sets a setting by its /_fake/config name (fail_5xx, ..., latency_ms,
 * latency_jitter_ms). Returns 0, or -1 with a reason in err and f unchanged.
 */
int fk_faults_set(struct fk_faults *f, const char *name, const char *value, char *err,
                  size_t errlen);

/* Appends the settings as JSON members (no braces) to out. */
void fk_faults_render(const struct fk_faults *f, struct fk_buf *out);

#endif
