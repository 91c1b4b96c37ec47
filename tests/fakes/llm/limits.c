/*
 * limits.c - admission against rpm and tpm and the header values, see limits.h.
 */
#include "limits.h"

#include <stdio.h>

void fl_limits_init(struct fl_limits *l, int64_t rpm, int64_t tpm, int64_t window_ms)
{
    l->rpm = rpm;
    l->tpm = tpm;
    fl_window_init(&l->admitted, window_ms);
}

void fl_limits_release(struct fl_limits *l)
{
    fl_window_release(&l->admitted);
}

/* Milliseconds until the i-th oldest admitted request leaves the window. */
static int64_t leaves_in(const struct fl_window *w, size_t i, int64_t now)
{
    int64_t left = fl_window_event(w, i)->at + w->span_ms - now;

    return left > 1 ? left : 1;
}

/* The wait until enough of the oldest tokens have left for `need` more to fit. */
static int64_t tokens_retry(const struct fl_window *w, int64_t need, int64_t now)
{
    int64_t freed = 0;

    for (size_t i = 0; i < w->len; i++) {
        freed += fl_window_event(w, i)->weight;
        if (freed >= need)
            return leaves_in(w, i, now);
    }
    return w->span_ms;
}

enum fl_admit fl_limits_admit(struct fl_limits *l, int64_t now, int64_t tokens,
                              int64_t *retry_ms)
{
    struct fl_window *w = &l->admitted;

    fl_window_expire(w, now);
    if (tokens > l->tpm) {
        *retry_ms = w->span_ms;
        return FL_ADMIT_TOO_LARGE;
    }
    if ((int64_t)w->len >= l->rpm) {
        /* rpm may have been lowered at run time: wait for the excess too. */
        *retry_ms = leaves_in(w, w->len - (size_t)l->rpm, now);
        return FL_ADMIT_REQUESTS;
    }
    if (w->sum + tokens > l->tpm) {
        *retry_ms = tokens_retry(w, w->sum + tokens - l->tpm, now);
        return FL_ADMIT_TOKENS;
    }
    fl_window_add(w, now, tokens);
    return FL_ADMIT_OK;
}

void fl_limits_state(struct fl_limits *l, int64_t now, struct fl_limit_state *st)
{
    struct fl_window *w = &l->admitted;
    int64_t reqs, toks;

    fl_window_expire(w, now);
    reqs = l->rpm - (int64_t)w->len;
    toks = l->tpm - w->sum;
    st->rpm = l->rpm;
    st->tpm = l->tpm;
    st->remaining_requests = reqs > 0 ? reqs : 0;
    st->remaining_tokens = toks > 0 ? toks : 0;
    /* Every admitted request carries tokens, so both are back at the same moment. */
    st->reset_requests_ms = st->reset_tokens_ms = fl_window_drain_ms(w, now);
}

void fl_format_duration(int64_t ms, char *out, size_t outlen)
{
    int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, frac = ms % 1000;
    char sec[32];
    size_t n;

    if (ms < 1000) {
        snprintf(out, outlen, ms == 0 ? "0s" : "%lldms", (long long)ms);
        return;
    }
    n = (size_t)snprintf(sec, sizeof(sec), "%lld.%03lld", (long long)s, (long long)frac);
    while (n > 0 && sec[n - 1] == '0')
        sec[--n] = '\0';
    if (n > 0 && sec[n - 1] == '.')
        sec[--n] = '\0';
    if (h > 0)
        snprintf(out, outlen, "%lldh%lldm%ss", (long long)h, (long long)m, sec);
    else if (m > 0)
        snprintf(out, outlen, "%lldm%ss", (long long)m, sec);
    else
        snprintf(out, outlen, "%ss", sec);
}
