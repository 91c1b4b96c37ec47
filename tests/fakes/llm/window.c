/*
 * window.c - the ring of timed events behind the sliding window, see window.h.
 */
#include "window.h"

#include "common/mem.h"

#include <stdlib.h>
#include <string.h>

void fl_window_init(struct fl_window *w, int64_t span_ms)
{
    memset(w, 0, sizeof(*w));
    w->span_ms = span_ms;
}

void fl_window_release(struct fl_window *w)
{
    free(w->ev);
    memset(w, 0, sizeof(*w));
}

void fl_window_clear(struct fl_window *w)
{
    w->head = w->len = 0;
    w->sum = 0;
}

void fl_window_expire(struct fl_window *w, int64_t now)
{
    while (w->len > 0 && w->ev[w->head].at + w->span_ms <= now) {
        w->sum -= w->ev[w->head].weight;
        w->head = (w->head + 1) % w->cap;
        w->len--;
    }
}

/* Doubles the ring, unrolling it so that the oldest event is at slot 0. */
static void grow(struct fl_window *w)
{
    size_t cap = w->cap ? w->cap * 2 : 64;
    struct fl_wevent *ev = fr_xmalloc(cap * sizeof(*ev));

    for (size_t i = 0; i < w->len; i++)
        ev[i] = w->ev[(w->head + i) % w->cap];
    free(w->ev);
    w->ev = ev;
    w->cap = cap;
    w->head = 0;
}

void fl_window_add(struct fl_window *w, int64_t now, int64_t weight)
{
    if (w->len == w->cap)
        grow(w);
    w->ev[(w->head + w->len) % w->cap] = (struct fl_wevent){.at = now, .weight = weight};
    w->len++;
    w->sum += weight;
}

const struct fl_wevent *fl_window_event(const struct fl_window *w, size_t i)
{
    return &w->ev[(w->head + i) % w->cap];
}

int64_t fl_window_drain_ms(const struct fl_window *w, int64_t now)
{
    int64_t left;

    if (w->len == 0)
        return 0;
    left = fl_window_event(w, w->len - 1)->at + w->span_ms - now;
    return left > 0 ? left : 0;
}
