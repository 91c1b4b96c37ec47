/*
 * gen_scalar.c - strings, integers and numbers within their schema's bounds.
 */
#include "gen_scalar.h"

#include "tests/fakes/keepa/hash.h" /* fk_mix64, fk_unit */

#include "common/mem.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Without bounds, numbers fall in [0, 100]; with one bound, within 100 of it. */
#define DEFAULT_SPAN 100.0
/* The longest string generated to meet a minLength. */
#define MAX_STRING 65536

static const char *const words[] = {
    "steady", "price",  "deal",  "demand", "history", "discount", "seller", "stock",
    "trend",  "value",  "fair",  "strong", "weak",    "recent",   "low",    "high",
};

static double num_or(const json_t *s, const char *key, double def)
{
    const json_t *v = json_object_get(s, key);

    return json_is_number(v) ? json_number_value(v) : def;
}

/*
 * Reads the bounds of s into [*lo, *hi] with *lo_ex / *hi_ex saying whether each
 * is exclusive; a missing bound is placed DEFAULT_SPAN from the other (or 0..100).
 */
static void bounds(const json_t *s, double *lo, double *hi, int *lo_ex, int *hi_ex)
{
    const json_t *xmin = json_object_get(s, "exclusiveMinimum");
    const json_t *xmax = json_object_get(s, "exclusiveMaximum");
    double mn = num_or(s, "minimum", NAN), mx = num_or(s, "maximum", NAN);

    *lo_ex = json_is_true(xmin);
    *hi_ex = json_is_true(xmax);
    if (json_is_number(xmin) && (isnan(mn) || json_number_value(xmin) >= mn)) {
        mn = json_number_value(xmin);
        *lo_ex = 1;
    }
    if (json_is_number(xmax) && (isnan(mx) || json_number_value(xmax) <= mx)) {
        mx = json_number_value(xmax);
        *hi_ex = 1;
    }
    if (isnan(mn) && isnan(mx)) {
        mn = 0;
        mx = DEFAULT_SPAN;
    } else if (isnan(mn)) {
        mn = mx - DEFAULT_SPAN;
    } else if (isnan(mx)) {
        mx = mn + DEFAULT_SPAN;
    }
    *lo = mn;
    *hi = mx;
}

json_t *fl_gen_integer(const json_t *s, uint64_t seed)
{
    double lo, hi, span, step = num_or(s, "multipleOf", 1);
    int lo_ex, hi_ex;

    bounds(s, &lo, &hi, &lo_ex, &hi_ex);
    lo = lo_ex ? floor(lo) + 1 : ceil(lo);
    hi = hi_ex ? ceil(hi) - 1 : floor(hi);
    if (step >= 1 && step == floor(step)) {
        lo = ceil(lo / step);
        hi = floor(hi / step);
    } else {
        step = 1;
    }
    if (hi < lo)
        hi = lo; /* no integer fits: the schema cannot be met, give the lower bound */
    span = hi - lo + 1;
    if (span > 9007199254740992.0)
        span = 9007199254740992.0;
    return json_integer((json_int_t)((lo + (double)(seed % (uint64_t)span)) * step));
}

json_t *fl_gen_number(const json_t *s, uint64_t seed)
{
    double lo, hi, v, r;
    int lo_ex, hi_ex;

    bounds(s, &lo, &hi, &lo_ex, &hi_ex);
    if (hi <= lo)
        return json_real(lo);
    v = lo + (hi - lo) * (0.1 + 0.8 * fk_unit(seed));
    r = round(v * 100) / 100; /* two decimals read better, when they stay inside */
    if (r > lo && r < hi)
        v = r;
    return json_real(v);
}

/* Writes a format's value into out; returns 0, or -1 for a format not generated. */
static int format_value(const char *fmt, uint64_t seed, char *out, size_t outlen)
{
    /* 2026-01-01T00:00:00Z plus up to a year, to the second. */
    time_t t = (time_t)(1767225600 + seed % (365 * 86400));
    struct tm tm;

    gmtime_r(&t, &tm);
    if (strcmp(fmt, "date-time") == 0)
        strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else if (strcmp(fmt, "date") == 0)
        strftime(out, outlen, "%Y-%m-%d", &tm);
    else if (strcmp(fmt, "email") == 0)
        snprintf(out, outlen, "user%08llx@example.com", (unsigned long long)(seed >> 32));
    else if (strcmp(fmt, "uri") == 0)
        snprintf(out, outlen, "https://example.com/%016llx", (unsigned long long)seed);
    else if (strcmp(fmt, "uuid") == 0)
        snprintf(out, outlen, "%08llx-%04llx-4%03llx-8%03llx-%012llx",
                 (unsigned long long)(seed >> 32), (unsigned long long)(seed >> 16 & 0xffff),
                 (unsigned long long)(seed & 0xfff), (unsigned long long)(seed >> 20 & 0xfff),
                 (unsigned long long)(fk_mix64(seed) & 0xffffffffffffULL));
    else
        return -1;
    return 0;
}

json_t *fl_gen_string(const json_t *s, uint64_t seed)
{
    const char *fmt = json_string_value(json_object_get(s, "format"));
    json_int_t min = json_integer_value(json_object_get(s, "minLength"));
    const json_t *maxv = json_object_get(s, "maxLength");
    size_t max = json_is_integer(maxv) && json_integer_value(maxv) >= 0
                     ? (size_t)json_integer_value(maxv)
                     : SIZE_MAX;
    char fixed[128], *text;
    size_t len = 0, cap;
    json_t *v;

    if (fmt != NULL && format_value(fmt, seed, fixed, sizeof(fixed)) == 0)
        return json_string(fixed);
    if (min < 0)
        min = 0;
    if (min > MAX_STRING)
        min = MAX_STRING;
    cap = (size_t)min + 128;
    text = fr_xmalloc(cap);
    /* Four to seven words, then more until minLength is met; ASCII, so bytes = code points. */
    for (int i = 0, n = 4 + (int)(seed % 4); i < n || len < (size_t)min; i++) {
        const char *w = words[fk_mix64(seed + (uint64_t)i) % (sizeof(words) / sizeof(words[0]))];
        len += (size_t)snprintf(text + len, cap - len, "%s%s", i ? " " : "", w);
    }
    if (len > max)
        len = max;
    v = json_stringn(text, len);
    free(text);
    return v;
}
