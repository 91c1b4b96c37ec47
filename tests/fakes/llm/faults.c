/*
 * faults.c - fault draws, the outage switch and the settings, see faults.h.
 */
#include "faults.h"

#include "tests/fakes/keepa/hash.h" /* fk_rng_next, fk_unit: the keepa fake's generator */

#include "common/config.h" /* fr_parse_int, fr_parse_double */

#include <stdio.h>
#include <string.h>

/* The longest delay a setting accepts: ten minutes. */
#define MAX_SETTING_MS 600000

static const char *const fault_names[FL_FAULT_COUNT] = {
    "none", "5xx", "429", "nonjson", "shape", "timeout", "slow",
};

static const char *const outage_names[] = {"off", "503", "close"};

const char *fl_fault_name(enum fl_fault f)
{
    return f < FL_FAULT_COUNT ? fault_names[f] : "?";
}

const char *fl_outage_name(enum fl_outage o)
{
    return o <= FL_OUTAGE_CLOSE ? outage_names[o] : "?";
}

int fl_outage_parse(const char *s, enum fl_outage *out)
{
    for (int i = FL_OUTAGE_OFF; i <= FL_OUTAGE_CLOSE; i++) {
        if (strcmp(s, outage_names[i]) == 0) {
            *out = (enum fl_outage)i;
            return 0;
        }
    }
    return -1;
}

enum fl_fault fl_faults_draw(struct fl_faults *f)
{
    double u = fk_unit(fk_rng_next(&f->rng)), acc = 0;

    for (int k = FL_FAULT_NONE + 1; k < FL_FAULT_COUNT; k++) {
        acc += f->share[k];
        if (u < acc)
            return (enum fl_fault)k;
    }
    return FL_FAULT_NONE;
}

enum fl_outage fl_faults_outage(struct fl_faults *f, int64_t now)
{
    if (f->outage != FL_OUTAGE_OFF && f->outage_until > 0 && now >= f->outage_until) {
        f->outage = FL_OUTAGE_OFF;
        f->outage_until = 0;
    }
    return f->outage;
}

int64_t fl_faults_storm_left(const struct fl_faults *f, int64_t now)
{
    return f->storm_until > now ? f->storm_until - now : 0;
}

/* Sets the share of one fault; all shares together must stay within 1. */
static int set_share(struct fl_faults *f, int kind, const char *value, char *err, size_t errlen)
{
    double v, sum = 0;

    if (fr_parse_double(value, 0, 1, &v, NULL) != 0) {
        snprintf(err, errlen, "bad share '%s' for 'fail_%s' (0..1)", value, fault_names[kind]);
        return -1;
    }
    for (int k = FL_FAULT_NONE + 1; k < FL_FAULT_COUNT; k++)
        sum += k == kind ? v : f->share[k];
    if (sum > 1.0 + 1e-9) {
        snprintf(err, errlen, "fault shares would sum to %g, more than 1", sum);
        return -1;
    }
    f->share[kind] = v;
    return 0;
}

int fl_faults_set(struct fl_faults *f, const char *name, const char *value, int64_t now,
                  char *err, size_t errlen)
{
    int64_t ms;

    if (strncmp(name, "fail_", 5) == 0) {
        for (int k = FL_FAULT_NONE + 1; k < FL_FAULT_COUNT; k++) {
            if (strcmp(name + 5, fault_names[k]) == 0)
                return set_share(f, k, value, err, errlen);
        }
        return -2;
    }
    if (strcmp(name, "latency_ms") != 0 && strcmp(name, "slow_ms") != 0 &&
        strcmp(name, "timeout_hold_ms") != 0 && strcmp(name, "storm_ms") != 0)
        return -2;
    if (fr_parse_int(value, 0, MAX_SETTING_MS, &ms, NULL) != 0) {
        snprintf(err, errlen, "bad milliseconds '%s' for '%s' (0..%d)", value, name,
                 MAX_SETTING_MS);
        return -1;
    }
    if (strcmp(name, "latency_ms") == 0)
        f->latency_ms = ms;
    else if (strcmp(name, "slow_ms") == 0)
        f->slow_ms = ms;
    else if (strcmp(name, "timeout_hold_ms") == 0)
        f->hold_ms = ms;
    else
        f->storm_until = now + ms;
    return 0;
}

void fl_faults_json(const struct fl_faults *f, int64_t now, json_t *obj)
{
    char key[32];

    for (int k = FL_FAULT_NONE + 1; k < FL_FAULT_COUNT; k++) {
        snprintf(key, sizeof(key), "fail_%s", fault_names[k]);
        json_object_set_new(obj, key, json_real(f->share[k]));
    }
    json_object_set_new(obj, "latency_ms", json_integer(f->latency_ms));
    json_object_set_new(obj, "slow_ms", json_integer(f->slow_ms));
    json_object_set_new(obj, "timeout_hold_ms", json_integer(f->hold_ms));
    json_object_set_new(obj, "storm_left_ms", json_integer(fl_faults_storm_left(f, now)));
    json_object_set_new(obj, "outage", json_string(fl_outage_name(f->outage)));
    json_object_set_new(obj, "outage_left_ms",
                        json_integer(f->outage != FL_OUTAGE_OFF && f->outage_until > now
                                         ? f->outage_until - now
                                         : 0));
}
