/*
 * metrics — the process-wide registry of counters, gauges and histograms that a daemon's
 * admin server exposes on /metrics in the Prometheus text format (version 0.0.4).
 *
 * A metric family has a name, a help text and a type; its children are told apart by
 * their labels. Look a child up once (fr_counter_get and friends, a hash lookup) and keep
 * the pointer: updating it is then a plain add on the hot path. Children live until
 * fr_metrics_reset(). The registry is single-threaded: use it from the daemon's loop.
 *
 * Rendering sorts families by name and children by their label text, so the output is
 * stable. Label pairs are sorted by label name, so the order they are passed in does not
 * make a different child. Programmer errors are asserts: an invalid metric or label name,
 * a name reused with another type, another label set or other histogram bounds.
 * The families freshet exposes are listed in DESIGN.md ("Admin HTTP").
 */
#ifndef FR_METRICS_H
#define FR_METRICS_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

struct fr_counter;
struct fr_gauge;
struct fr_hist;

/* Label list: NULL-terminated name, value pairs, e.g. FR_LABELS("source", "repos").
 * Pass NULL for a child without labels. Names and values are copied. */
#define FR_LABELS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Latency buckets in seconds, 0.005 to 60 (+Inf is implicit), for fr_hist_get. */
extern const double fr_hist_default_bounds[];
extern const size_t fr_hist_default_nbounds;
#define FR_HIST_DEFAULT fr_hist_default_bounds, fr_hist_default_nbounds

/*
 * Each *_get returns the child of family name with these labels, creating the family
 * (help is copied; the first one registered wins) and the child on first use. The
 * pointer is borrowed from the registry and valid until fr_metrics_reset().
 */
struct fr_counter *fr_counter_get(const char *name, const char *help, const char *const *labels);
struct fr_gauge *fr_gauge_get(const char *name, const char *help, const char *const *labels);
/* bounds: nbounds finite upper bounds, strictly increasing (copied); +Inf is always added
 * (a trailing +Inf in bounds is accepted and ignored). */
struct fr_hist *fr_hist_get(const char *name, const char *help, const double *bounds,
                            size_t nbounds, const char *const *labels);

/* Adds v to a counter. A negative or NaN v is ignored: a counter only goes up. */
void fr_counter_add(struct fr_counter *c, double v);
#define fr_counter_inc(c) fr_counter_add((c), 1.0)
double fr_counter_value(const struct fr_counter *c);

void fr_gauge_set(struct fr_gauge *g, double v);
void fr_gauge_add(struct fr_gauge *g, double v);
double fr_gauge_value(const struct fr_gauge *g);

/* Counts v in the first bucket whose bound is >= v, and in _sum/_count. NaN is ignored. */
void fr_hist_observe(struct fr_hist *h, double v);
/* Observations so far (the _count line). */
unsigned long long fr_hist_count(const struct fr_hist *h);

/*
 * Registers fn(arg) to run before each scrape (fr_metrics_run_hooks), e.g. to refresh a
 * queue-depth gauge. arg is borrowed. Hooks run in registration order; at most 16.
 */
void fr_metrics_on_scrape(void (*fn)(void *), void *arg);
void fr_metrics_run_hooks(void);

/*
 * Appends the whole registry to out in the text exposition format. Returns 0, or
 * FR_ERR_LIMIT (err filled) when out's maximum is reached; out then holds a partial
 * text the caller must not serve. Does not run the scrape hooks.
 */
int fr_metrics_render(struct fr_buf *out, struct fr_error *err);

/* Frees every family, child and hook (tests, shutdown); all pointers become invalid. */
void fr_metrics_reset(void);

#endif
