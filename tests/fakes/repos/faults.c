/*
 * faults.c - fault and latency draws and the settings' names, see faults.h.
 */
#include "faults.h"

#include "hash.h"
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest delay a setting may ask for: ten minutes. */
#define MAX_DELAY_MS 600000

static const char *const names[RP_FAULT_COUNT] = {
    "none", "5xx", "503", "timeout", "late", "reset", "truncate", "garbage",
};

const char *rp_fault_name(enum rp_fault f)
{
    return f < RP_FAULT_COUNT ? names[f] : "?";
}

enum rp_fault rp_faults_draw(struct rp_faults *f)
{
    double u = rp_unit(rp_rng_next(&f->rng)), acc = 0;

    for (int k = RP_FAULT_NONE + 1; k < RP_FAULT_COUNT; k++) {
        acc += f->rate[k];
        if (u < acc)
            return (enum rp_fault)k;
    }
    return RP_FAULT_NONE;
}

int64_t rp_faults_delay(struct rp_faults *f)
{
    if (f->jitter_ms <= 0)
        return f->latency_ms;
    return f->latency_ms + (int64_t)(rp_rng_next(&f->rng) % (uint64_t)(f->jitter_ms + 1));
}

/* Sets the share of fault kind; the sum of all shares must stay within 1. */
static int set_rate(struct rp_faults *f, int kind, const char *value, char *err, size_t errlen)
{
    double v, sum = 0;
    char *end;

    errno = 0;
    v = strtod(value, &end);
    if (errno != 0 || end == value || *end != '\0' || !isfinite(v) || v < 0 || v > 1) {
        snprintf(err, errlen, "bad share '%s' for 'fail_%s' (0..1)", value, names[kind]);
        return -1;
    }
    for (int k = RP_FAULT_NONE + 1; k < RP_FAULT_COUNT; k++)
        sum += k == kind ? v : f->rate[k];
    if (sum > 1.0 + 1e-9) {
        snprintf(err, errlen, "fault shares would sum to %g, more than 1", sum);
        return -1;
    }
    f->rate[kind] = v;
    return 1;
}

static int64_t *delay_field(struct rp_faults *f, const char *name)
{
    if (strcmp(name, "latency") == 0)
        return &f->latency_ms;
    if (strcmp(name, "latency_jitter") == 0)
        return &f->jitter_ms;
    if (strcmp(name, "late") == 0)
        return &f->late_ms;
    if (strcmp(name, "timeout_hold") == 0)
        return &f->hold_ms;
    return NULL;
}

int rp_faults_set(struct rp_faults *f, const char *name, const char *value, char *err,
                  size_t errlen)
{
    int64_t *field, ms;

    for (int k = RP_FAULT_NONE + 1; k < RP_FAULT_COUNT; k++) {
        if (strncmp(name, "fail_", 5) == 0 && strcmp(name + 5, names[k]) == 0)
            return set_rate(f, k, value, err, errlen);
    }
    field = delay_field(f, name);
    if (field == NULL)
        return 0;
    if (rp_parse_duration(value, &ms) < 0 || ms > MAX_DELAY_MS) {
        snprintf(err, errlen, "bad duration '%s' for '%s' (e.g. 250ms, 2s; at most 10m)", value,
                 name);
        return -1;
    }
    *field = ms;
    return 1;
}

void rp_faults_render(const struct rp_faults *f, json_t *obj)
{
    char key[32];

    for (int k = RP_FAULT_NONE + 1; k < RP_FAULT_COUNT; k++) {
        snprintf(key, sizeof(key), "fail_%s", names[k]);
        json_object_set_new(obj, key, json_real(f->rate[k]));
    }
    json_object_set_new(obj, "latency_ms", json_integer(f->latency_ms));
    json_object_set_new(obj, "latency_jitter_ms", json_integer(f->jitter_ms));
    json_object_set_new(obj, "late_ms", json_integer(f->late_ms));
    json_object_set_new(obj, "timeout_hold_ms", json_integer(f->hold_ms));
}
