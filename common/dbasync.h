/*
 * dbasync — PostgreSQL statements run without blocking the event loop: a small pool of
 * non-blocking libpq connections driven by libevent, each running one statement at a
 * time from its own queue, so a daemon keeps fetching and parsing while PostgreSQL
 * works, and several statements run at once on several connections.
 *
 * The callback runs once per statement, from the loop: with the result (borrowed, valid
 * during the callback) or, when the statement failed, res NULL and err saying why
 * (FR_ERR_IO when the connection broke: the pool reconnects with backoff by itself).
 * sql is borrowed (a string literal that outlives the pool): each connection prepares a
 * text the first time it runs it and reuses the plan after. Parameters are copied.
 */
#ifndef FR_DBASYNC_H
#define FR_DBASYNC_H

#include <libpq-fe.h>
#include <stdint.h>

#include "common/err.h"

struct event_base;
struct fr_dbq;

typedef void (*fr_dbq_fn)(PGresult *res, const struct fr_error *err, void *arg);

/* Opens nconns connections now (blocking, at start-up). One that cannot open is retried
 * with backoff like a broken one: statements queued meanwhile fail or wait as documented
 * above. NULL with err only when libevent cannot make a timer. */
struct fr_dbq *fr_dbq_new(struct event_base *base, const char *url, const char *app,
                          int nconns, int64_t connect_timeout_ms, struct fr_error *err);
/* sql (the same pointer as later queries pass) is planned on every run with its parameter
 * values, not once per connection. For a statement whose good plan depends on the table's
 * size and the arrays' lengths: a generic plan cached while the table was small (the
 * first batch of a new deployment) can scan the whole table on every run after. */
void fr_dbq_replan(struct fr_dbq *q, const char *sql);
/* Queues a statement on the least busy connection. Never calls cb from inside. */
void fr_dbq_query(struct fr_dbq *q, const char *sql, int n, const char *const *params,
                  fr_dbq_fn cb, void *arg);
/* The same with params borrowed, not copied: the caller keeps the array and its strings
 * alive until cb has run (large parameters a caller keeps anyway, held once). */
void fr_dbq_query_ref(struct fr_dbq *q, const char *sql, int n, const char *const *params,
                      fr_dbq_fn cb, void *arg);
/* Statements queued or running. */
int fr_dbq_pending(const struct fr_dbq *q);
/* Fails every queued statement (callbacks run) and closes the connections. */
void fr_dbq_free(struct fr_dbq *q);

#endif
