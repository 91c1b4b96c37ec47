/*
 * ratelimit.c - fixed-window request accounting and its headers, see ratelimit.h.
 */
#include "ratelimit.h"

#include "clock.h"

#include <errno.h>
#include <event2/http.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rp_limit_init(struct rp_limit *l, const struct rp_options *o, int64_t now)
{
    memset(l, 0, sizeof(*l));
    l->limit = o->limit;
    l->window_ms = o->window_ms;
    l->window_start = now;
    l->reset_format = o->reset_format;
    l->retry_format = o->retry_format;
    l->limit_header = o->limit_header;
    l->remaining_header = o->remaining_header;
    l->reset_header = o->reset_header;
}

/* Moves on to the window that holds now, if the current one has ended. */
static void roll(struct rp_limit *l, int64_t now)
{
    int64_t passed = now - l->window_start;

    if (passed < l->window_ms)
        return;
    l->window_start += passed / l->window_ms * l->window_ms;
    l->used = 0;
}

/* Requests left in the current window (never below 0, even after the limit was lowered). */
static int64_t remaining(const struct rp_limit *l)
{
    return l->used >= l->limit ? 0 : l->limit - l->used;
}

/* Milliseconds from now to the end of the current window. */
static int64_t reset_in_ms(struct rp_limit *l, int64_t now)
{
    roll(l, now);
    return l->window_start + l->window_ms - now;
}

int rp_limit_admit(struct rp_limit *l, int64_t now)
{
    roll(l, now);
    if (l->used >= l->limit)
        return -1;
    l->used++;
    return 0;
}

static void add_int(struct evkeyvalq *h, const char *name, long long v)
{
    char text[32];

    if (name[0] == '\0')
        return;
    snprintf(text, sizeof(text), "%lld", v);
    evhttp_add_header(h, name, text);
}

void rp_limit_headers(struct rp_limit *l, int64_t now, struct evkeyvalq *h)
{
    int64_t in_ms = reset_in_ms(l, now);
    int64_t in_s = (in_ms + 999) / 1000; /* rounded up: never earlier than the real reset */
    char text[32];

    add_int(h, l->limit_header, (long long)l->limit);
    add_int(h, l->remaining_header, (long long)remaining(l));
    if (l->reset_header[0] == '\0')
        return;
    switch (l->reset_format) {
    case RP_RESET_SECONDS:
        add_int(h, l->reset_header, (long long)in_s);
        break;
    case RP_RESET_DURATION:
        rp_format_go_duration(in_s, text, sizeof(text));
        evhttp_add_header(h, l->reset_header, text);
        break;
    default:
        add_int(h, l->reset_header, (long long)((rp_clock_wall(now + in_ms) + 999) / 1000));
        break;
    }
}

void rp_retry_after(const struct rp_limit *l, int64_t now, int64_t seconds, struct evkeyvalq *h)
{
    char date[64];

    if (l->retry_format == RP_RETRY_DATE) {
        /* The date is whole seconds: round up so it is not earlier than meant. */
        rp_format_http_date((rp_clock_wall(now) + 999) / 1000 + seconds, date, sizeof(date));
        evhttp_add_header(h, "Retry-After", date);
    } else {
        add_int(h, "Retry-After", (long long)seconds);
    }
}

void rp_limit_retry_after(struct rp_limit *l, int64_t now, struct evkeyvalq *h)
{
    int64_t s = (reset_in_ms(l, now) + 999) / 1000;

    rp_retry_after(l, now, s < 1 ? 1 : s, h);
}

static int parse_count(const char *s, int64_t min, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > 1000000000LL)
        return -1;
    *out = v;
    return 0;
}

int rp_limit_set(struct rp_limit *l, int64_t now, const char *name, const char *value, char *err,
                 size_t errlen)
{
    int64_t v;

    roll(l, now);
    if (strcmp(name, "limit") == 0) {
        if (parse_count(value, 1, &v) < 0)
            goto bad;
        l->limit = v;
    } else if (strcmp(name, "window") == 0) {
        if (rp_parse_duration(value, &v) < 0 || v < 1000 || v > 86400000)
            goto bad;
        l->window_ms = v;
        l->window_start = now;
        l->used = 0;
    } else if (strcmp(name, "remaining") == 0) {
        if (parse_count(value, 0, &v) < 0)
            goto bad;
        l->used = v > l->limit ? 0 : l->limit - v;
    } else {
        return 0;
    }
    return 1;
bad:
    snprintf(err, errlen, "bad value '%s' for '%s' (limit: 1.., window: 1s..24h, remaining: 0..)",
             value, name);
    return -1;
}

void rp_limit_render(struct rp_limit *l, int64_t now, json_t *obj)
{
    int64_t in_ms = reset_in_ms(l, now);

    json_object_set_new(obj, "limit", json_integer((json_int_t)l->limit));
    json_object_set_new(obj, "remaining", json_integer((json_int_t)remaining(l)));
    json_object_set_new(obj, "window_ms", json_integer((json_int_t)l->window_ms));
    json_object_set_new(obj, "reset_in_ms", json_integer((json_int_t)in_ms));
}
