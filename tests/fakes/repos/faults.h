/*
 * faults.h - injected misbehaviour: fault kinds, their shares and latency.
 *
 * Each API request draws at most one fault from a generator seeded with
 * --seed, so a run with the same seed and request order sees the same
 * faults. Shares are probabilities that must sum to at most 1. Everything
 * here can be changed while running through /_test/config.
 */
#ifndef RP_FAULTS_H
#define RP_FAULTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum rp_fault {
    RP_FAULT_NONE,
    RP_FAULT_5XX,      /* 500 with a JSON message */
    RP_FAULT_503,      /* 503 with Retry-After */
    RP_FAULT_TIMEOUT,  /* never answer; close after the hold time or when the client leaves */
    RP_FAULT_LATE,     /* the normal answer, after the late delay */
    RP_FAULT_RESET,    /* close the connection without a response */
    RP_FAULT_TRUNCATE, /* 200 whose Content-Length exceeds the bytes sent */
    RP_FAULT_GARBAGE,  /* 200 whose body is not JSON */
    RP_FAULT_COUNT,
};

struct rp_faults {
    double rate[RP_FAULT_COUNT];
    int64_t latency_ms; /* added to every API answer */
    int64_t jitter_ms;  /* plus a uniform draw in [0, jitter_ms] */
    int64_t late_ms;    /* delay of an RP_FAULT_LATE answer */
    int64_t hold_ms;    /* how long an RP_FAULT_TIMEOUT request is held */
    uint64_t rng;
};

/* Returns the fault's short name, e.g. "5xx", "truncate" (a static string). */
const char *rp_fault_name(enum rp_fault f);

/* Draws the fault for one request. */
enum rp_fault rp_faults_draw(struct rp_faults *f);

/* Draws the delay in ms before one request is answered (latency and jitter). */
int64_t rp_faults_delay(struct rp_faults *f);

/*
 * Sets one setting by its /_test/config name: fail_<kind> (a share 0..1),
 * latency, latency_jitter, late, timeout_hold (durations). Returns 1 if name
 * is one of these and was set, 0 if name is not a fault setting, or -1 with a
 * reason in err and f unchanged.
 */
int rp_faults_set(struct rp_faults *f, const char *name, const char *value, char *err,
                  size_t errlen);

/* Adds the settings to the JSON object obj. */
void rp_faults_render(const struct rp_faults *f, json_t *obj);

#endif
