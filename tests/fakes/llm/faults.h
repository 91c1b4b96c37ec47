/*
 * faults.h - injected misbehaviour: fault shares, latency, 429 storms and the
 * outage switch.
 *
 * Each call that passes authentication and request checks draws at most one
 * fault from a generator seeded by --seed, so the same seed and call order
 * give the same faults. Shares are probabilities and sum to at most 1. A
 * storm answers every call with 429 until it ends; an outage answers every
 * call (even unauthenticated ones) with 503 or by closing the connection,
 * until it is switched off or its time runs out. Everything here can be
 * changed at run time through /_test/faults and /_test/outage.
 */
#ifndef FL_FAULTS_H
#define FL_FAULTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum fl_fault {
    FL_FAULT_NONE,
    FL_FAULT_5XX,     /* 500 with an OpenAI server_error object */
    FL_FAULT_429,     /* 429 rate_limit_exceeded with Retry-After, whatever the limits */
    FL_FAULT_NONJSON, /* 200 whose content is not JSON */
    FL_FAULT_SHAPE,   /* 200 whose content is JSON that fails the schema */
    FL_FAULT_TIMEOUT, /* never answered; the connection is closed after the hold time */
    FL_FAULT_SLOW,    /* answered correctly, but only after slow_ms more */
    FL_FAULT_COUNT,
};

enum fl_outage {
    FL_OUTAGE_OFF,
    FL_OUTAGE_503,   /* every call gets 503 */
    FL_OUTAGE_CLOSE, /* every call's connection is closed without an answer */
};

struct fl_faults {
    double share[FL_FAULT_COUNT];
    int64_t latency_ms;   /* before every answer */
    int64_t slow_ms;      /* added for FL_FAULT_SLOW */
    int64_t hold_ms;      /* how long FL_FAULT_TIMEOUT holds a call */
    int64_t storm_until;  /* clock ms; calls before it get 429 */
    enum fl_outage outage;
    int64_t outage_until; /* clock ms at which the outage ends by itself; 0: never */
    uint64_t rng;
};

/* Returns the fault's name in settings and stats ("5xx", "nonjson", ...). */
const char *fl_fault_name(enum fl_fault f);

/* Draws the fault for one call. */
enum fl_fault fl_faults_draw(struct fl_faults *f);

/* Returns the outage in force at time now, ending a timed one whose time is up. */
enum fl_outage fl_faults_outage(struct fl_faults *f, int64_t now);

/* Milliseconds of 429 storm left at time now (0: none). */
int64_t fl_faults_storm_left(const struct fl_faults *f, int64_t now);

/*
 * Sets one setting by its /_test/faults name: fail_<fault> (a share 0..1),
 * latency_ms, slow_ms, timeout_hold_ms, storm_ms (a storm from now on).
 * Returns 0, or -1 with a reason in err and f unchanged; -2 when name is not
 * a fault setting.
 */
int fl_faults_set(struct fl_faults *f, const char *name, const char *value, int64_t now,
                  char *err, size_t errlen);

/* Parses "off", "503" or "close"; returns 0 or -1. */
int fl_outage_parse(const char *s, enum fl_outage *out);
const char *fl_outage_name(enum fl_outage o);

/* Adds the settings as members of obj. */
void fl_faults_json(const struct fl_faults *f, int64_t now, json_t *obj);

#endif
