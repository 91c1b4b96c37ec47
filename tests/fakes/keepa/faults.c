/*
 * faults.c - fault and latency draws and the settings' names, see faults.h.
 */
#include "faults.h"

#include "hash.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[FK_FAULT_COUNT] = {
    "none", "5xx", "timeout", "reset", "truncate", "garbage", "429_nobody",
};

const char *fk_fault_name(enum fk_fault f)
{
    return f < FK_FAULT_COUNT ? names[f] : "?";
}

enum fk_fault fk_faults_draw(struct fk_faults *f)
{
    double u = fk_unit(fk_rng_next(&f->rng)), acc = 0;

    for (int k = FK_FAULT_NONE + 1; k < FK_FAULT_COUNT; k++) {
        acc += f->rate[k];
        if (u < acc)
            return (enum fk_fault)k;
    }
    return FK_FAULT_NONE;
}

int64_t fk_faults_delay(struct fk_faults *f)
{
    if (f->jitter_ms <= 0)
        return f->latency_ms;
    return f->latency_ms + (int64_t)(fk_rng_next(&f->rng) % (uint64_t)(f->jitter_ms + 1));
}

static int parse_rate(const char *s, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0 || v > 1)
        return -1;
    *out = v;
    return 0;
}

static int parse_ms(const char *s, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 0 || v > 600000)
        return -1;
    *out = v;
    return 0;
}

/* Sets a fail_<kind> rate; the sum of all rates must stay within 1. */
static int set_rate(struct fk_faults *f, int kind, const char *value, char *err, size_t errlen)
{
    double v, sum = 0;

    if (parse_rate(value, &v) < 0) {
        snprintf(err, errlen, "bad probability '%s' (0..1)", value);
        return -1;
    }
    for (int k = FK_FAULT_NONE + 1; k < FK_FAULT_COUNT; k++)
        sum += k == kind ? v : f->rate[k];
    if (sum > 1.0 + 1e-9) {
        snprintf(err, errlen, "fault probabilities would sum to %g, more than 1", sum);
        return -1;
    }
    f->rate[kind] = v;
    return 0;
}

int fk_faults_set(struct fk_faults *f, const char *name, const char *value, char *err,
                  size_t errlen)
{
    int64_t *ms = NULL;

    for (int k = FK_FAULT_NONE + 1; k < FK_FAULT_COUNT; k++) {
        if (strncmp(name, "fail_", 5) == 0 && strcmp(name + 5, names[k]) == 0)
            return set_rate(f, k, value, err, errlen);
    }
    if (strcmp(name, "latency_ms") == 0)
        ms = &f->latency_ms;
    else if (strcmp(name, "latency_jitter_ms") == 0)
        ms = &f->jitter_ms;
    if (ms == NULL) {
        snprintf(err, errlen, "unknown setting '%s'", name);
        return -1;
    }
    if (parse_ms(value, ms) < 0) {
        snprintf(err, errlen, "bad milliseconds '%s' for '%s' (0..600000)", value, name);
        return -1;
    }
    return 0;
}

void fk_faults_render(const struct fk_faults *f, struct fk_buf *out)
{
    char key[32];

    for (int k = FK_FAULT_NONE + 1; k < FK_FAULT_COUNT; k++) {
        snprintf(key, sizeof(key), "fail_%s", names[k]);
        fk_jw_key(out, key);
        fk_jw_double(out, f->rate[k]);
    }
    fk_jw_kint(out, "latency_ms", f->latency_ms);
    fk_jw_kint(out, "latency_jitter_ms", f->jitter_ms);
    fk_jw_kint(out, "timeout_hold_ms", f->hold_ms);
}
