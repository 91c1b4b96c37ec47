/*
 * window.h - a sliding time window of weighted events.
 *
 * An event added at time t (ms) belongs to the window until t + span; the
 * window answers how many events it holds and the sum of their weights, and
 * when its oldest and newest events leave. The rate limits (limits.h) and the
 * "most in any window" statistics (stats.h) are both built on it. Events sit
 * in a ring that grows as needed, so memory follows the busiest window.
 */
#ifndef FL_WINDOW_H
#define FL_WINDOW_H

#include <stddef.h>
#include <stdint.h>

struct fl_wevent {
    int64_t at;
    int64_t weight;
};

struct fl_window {
    int64_t span_ms;
    struct fl_wevent *ev; /* owned ring of cap slots, len used from head */
    size_t head, len, cap;
    int64_t sum; /* of the weights held */
};

void fl_window_init(struct fl_window *w, int64_t span_ms);
void fl_window_release(struct fl_window *w);

/* Forgets every event (the storage is kept). */
void fl_window_clear(struct fl_window *w);

/* Drops the events that have left the window at time now. */
void fl_window_expire(struct fl_window *w, int64_t now);

/* Adds an event of weight at time now (not before the newest one). */
void fl_window_add(struct fl_window *w, int64_t now, int64_t weight);

/* The i-th oldest event held, i < w->len (borrowed). */
const struct fl_wevent *fl_window_event(const struct fl_window *w, size_t i);

/* Milliseconds from now until the window holds nothing (0 when empty). */
int64_t fl_window_drain_ms(const struct fl_window *w, int64_t now);

#endif
