/*
 * Integration tests: common/dbasync (pipelined, prepared statements on an event loop)
 * against a real PostgreSQL: order, isolation of a failing statement from the others in
 * the same pipeline, large parameters, borrowed parameters, a server restart, and a
 * pool started while its database is unreachable.
 */
#include <criterion/criterion.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dbasync.h"
#include "common/mem.h"
#include "tests/integration/support.h"

#define NJOBS 40

struct result {
    int done;
    int ok;
    int code;
    char value[64];
    int order;
};

static int finished;

static void on_done(PGresult *res, const struct fr_error *err, void *arg)
{
    struct result *r = arg;

    r->done = 1;
    r->order = finished++;
    r->ok = res != NULL;
    if (res != NULL && PQntuples(res) > 0)
        snprintf(r->value, sizeof(r->value), "%s", PQgetvalue(res, 0, 0));
    if (res == NULL)
        r->code = err->code;
}

/* Runs the loop until every result is in (or 10 s pass). */
static void run_until(struct event_base *base, struct result *r, int n)
{
    for (int spins = 0; spins < 10000; spins++) {
        int all = 1;
        for (int i = 0; i < n; i++)
            all &= r[i].done;
        if (all)
            return;
        event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        struct timeval tv = {0, 1000};
        select(0, NULL, NULL, NULL, &tv);
    }
    cr_assert_fail("statements did not complete within 10 s");
}

static struct fr_dbq *open_pool(struct event_base *base, const char *url, int conns)
{
    struct fr_error err = {0};
    struct fr_dbq *q = fr_dbq_new(base, url, "itest", conns, 3000, &err);

    cr_assert_not_null(q, "%s", err.msg);
    return q;
}

Test(dbasync, results_in_order_and_a_failure_touches_no_other)
{
    static const char sql[] = "SELECT $1::int * 2";
    static const char bad[] = "SELECT 1 / ($1::int % 10 - 7)"; /* division by zero */
    struct event_base *base = event_base_new();
    struct fr_dbq *q = open_pool(base, itest_database_url(), 1);
    struct result r[NJOBS] = {0};

    finished = 0;
    for (int i = 0; i < NJOBS; i++) {
        char v[16];
        const char *p[1] = {v};
        snprintf(v, sizeof(v), "%d", i);
        fr_dbq_query(q, i % 10 == 7 ? bad : sql, 1, p, on_done, &r[i]);
    }
    cr_assert_eq(fr_dbq_pending(q), NJOBS);
    run_until(base, r, NJOBS);
    for (int i = 0; i < NJOBS; i++) {
        char want[16];
        cr_assert_eq(r[i].order, i, "statement %d finished as number %d", i, r[i].order);
        if (i % 10 == 7) {
            cr_assert_not(r[i].ok, "statement %d should fail", i);
            cr_assert_eq(r[i].code, FR_ERR_PROTO);
            continue;
        }
        snprintf(want, sizeof(want), "%d", 2 * i);
        cr_assert(r[i].ok, "statement %d failed", i);
        cr_assert_str_eq(r[i].value, want);
    }
    cr_assert_eq(fr_dbq_pending(q), 0);
    fr_dbq_free(q);
    event_base_free(base);
}

Test(dbasync, a_statement_that_cannot_be_prepared_fails_alone)
{
    static const char good[] = "SELECT $1::text";
    static const char broken_sql[] = "SELEC $1::text";
    struct event_base *base = event_base_new();
    struct fr_dbq *q = open_pool(base, itest_database_url(), 1);
    struct result r[4] = {0};
    const char *p[1] = {"x"};

    finished = 0;
    fr_dbq_query(q, broken_sql, 1, p, on_done, &r[0]);
    fr_dbq_query(q, good, 1, p, on_done, &r[1]);
    fr_dbq_query(q, broken_sql, 1, p, on_done, &r[2]);
    fr_dbq_query(q, good, 1, p, on_done, &r[3]);
    run_until(base, r, 4);
    cr_assert_not(r[0].ok);
    cr_assert_not(r[2].ok);
    cr_assert(r[1].ok && r[3].ok);
    cr_assert_str_eq(r[3].value, "x");
    fr_dbq_free(q);
    event_base_free(base);
}

Test(dbasync, large_borrowed_parameters_arrive_whole)
{
    static const char sql[] = "SELECT length($1::text) || ':' || md5($1::text)";
    struct event_base *base = event_base_new();
    struct fr_dbq *q = open_pool(base, itest_database_url(), 2);
    struct result r[6] = {0};
    char *big[6];

    finished = 0;
    for (int i = 0; i < 6; i++) {
        size_t n = (size_t)(1 << 20) + (size_t)i; /* past any socket buffer */
        big[i] = fr_xcalloc(n + 1, 1);
        memset(big[i], 'a' + i, n);
        fr_dbq_query_ref(q, sql, 1, (const char *const *)&big[i], on_done, &r[i]);
    }
    run_until(base, r, 6);
    for (int i = 0; i < 6; i++) {
        char want[16];
        snprintf(want, sizeof(want), "%d:", (1 << 20) + i);
        cr_assert(r[i].ok, "statement %d failed", i);
        cr_assert(strncmp(r[i].value, want, strlen(want)) == 0, "%s", r[i].value);
        free(big[i]);
    }
    fr_dbq_free(q);
    event_base_free(base);
}

/* Queries until one succeeds (the pool reconnects with backoff up to 5 s), or 100 tries. */
static void query_until_ok(struct event_base *base, struct fr_dbq *q, const char *sql,
                           const char *const *p, struct result *after)
{
    for (int tries = 0; tries < 100; tries++) {
        memset(after, 0, sizeof(*after));
        fr_dbq_query(q, sql, 1, p, on_done, after);
        run_until(base, after, 1);
        if (after->ok)
            return;
        struct timeval tv = {0, 100000};
        select(0, NULL, NULL, NULL, &tv);
    }
}

Test(dbasync, restart_fails_what_was_queued_then_reconnects)
{
    static const char sql[] = "SELECT $1::text";
    char *url = itest_new_database("dbq_restart");
    struct event_base *base = event_base_new();
    struct fr_dbq *q = open_pool(base, url, 1);
    struct result before[1] = {0}, during[3] = {0}, after[1] = {0};
    const char *p[1] = {"v"};

    fr_dbq_query(q, sql, 1, p, on_done, &before[0]);
    run_until(base, before, 1);
    cr_assert(before[0].ok);
    cr_assert_eq(itest_services("restart-pg"), 0, "harness could not restart postgresql");
    for (int i = 0; i < 3; i++)
        fr_dbq_query(q, sql, 1, p, on_done, &during[i]);
    run_until(base, during, 3);
    for (int i = 0; i < 3; i++)
        cr_assert(during[i].ok || during[i].code == FR_ERR_IO, "statement %d: code %d", i,
                  during[i].code);
    /* The pool reconnects by itself (backoff from 100 ms) and prepares again. */
    query_until_ok(base, q, sql, p, after);
    cr_assert(after[0].ok, "no statement succeeded after the restart");
    cr_assert_str_eq(after[0].value, "v");
    fr_dbq_free(q);
    event_base_free(base);
    free(url);
}

/* Runs statements on the database at url, outside the pool. */
static void exec_on(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r;

    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

/* A daemon whose blocking connect worked may find PostgreSQL gone a moment later (a
 * restart, a full server) when it opens its pool: the pool must start anyway and connect
 * once the database is back, not end the daemon. */
Test(dbasync, starts_while_unreachable_then_connects)
{
    static const char sql[] = "SELECT $1::text";
    char *url = itest_new_database("dbq_late");
    const char *name = strrchr(url, '/') + 1;
    char away[160], back[160];
    struct event_base *base = event_base_new();
    struct fr_dbq *q;
    struct result early[1] = {0}, after[1] = {0};
    const char *p[1] = {"late"};

    snprintf(away, sizeof(away), "ALTER DATABASE %s RENAME TO %s_away", name, name);
    snprintf(back, sizeof(back), "ALTER DATABASE %s_away RENAME TO %s", name, name);
    exec_on(itest_database_url(), away); /* the harness's own database renames it */
    q = open_pool(base, url, 2);
    fr_dbq_query(q, sql, 1, p, on_done, &early[0]);
    run_until(base, early, 1);
    cr_assert(!early[0].ok, "a statement ran on a database that does not exist");
    cr_assert_eq(early[0].code, FR_ERR_IO);
    exec_on(itest_database_url(), back);
    query_until_ok(base, q, sql, p, after);
    cr_assert(after[0].ok, "the pool never connected once the database was back");
    cr_assert_str_eq(after[0].value, "late");
    fr_dbq_free(q);
    event_base_free(base);
    free(url);
}

/* A replanned statement is parsed and planned on every run, never cached: a prepared
 * "SELECT *" fails once its table gains a column ("cached plan must not change result
 * type"); the replanned one simply returns the new column. */
Test(dbasync, replanned_statement_is_not_cached)
{
    static const char cached[] = "SELECT * FROM t WHERE k = $1";
    static const char fresh[] = "SELECT * FROM t WHERE k >= $1";
    char *url = itest_new_database("dbq_replan");
    struct event_base *base = event_base_new();
    struct fr_dbq *q = open_pool(base, url, 1);
    struct result r[4] = {0};
    const char *p[1] = {"1"};

    exec_on(url, "CREATE TABLE t (k int); INSERT INTO t VALUES (1)");
    fr_dbq_replan(q, fresh);
    fr_dbq_query(q, cached, 1, p, on_done, &r[0]);
    fr_dbq_query(q, fresh, 1, p, on_done, &r[1]);
    run_until(base, r, 2);
    cr_assert(r[0].ok && r[1].ok);
    exec_on(url, "ALTER TABLE t ADD COLUMN v text DEFAULT 'x'");
    fr_dbq_query(q, cached, 1, p, on_done, &r[2]);
    fr_dbq_query(q, fresh, 1, p, on_done, &r[3]);
    run_until(base, r + 2, 2);
    cr_assert(!r[2].ok, "the prepared statement was expected to keep its cached plan");
    cr_assert(r[3].ok, "the replanned statement failed after the table changed");
    fr_dbq_free(q);
    event_base_free(base);
    free(url);
}
