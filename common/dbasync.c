/*
 * dbasync — see dbasync.h. A connection prepares each statement text the first time
 * it runs it (planning a CTE-heavy statement costs as much as running it), then runs
 * PQsendQueryPrepared, flushes without blocking, waits for the socket to be readable and
 * collects results with PQconsumeInput / PQisBusy / PQgetResult; the next queued
 * statement starts when the last result (NULL) has arrived.
 */
#include "common/dbasync.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"

struct job {
    struct job *next;
    const char *sql;
    int n;
    char **params;
    int owned;  /* params (the strings) were copied and are freed with the job */
    fr_dbq_fn cb;
    void *arg;
};

#define MAX_PREPARED 16

struct conn {
    struct fr_dbq *q;
    PGconn *pg;
    const char *prepared[MAX_PREPARED]; /* statement texts prepared as "fr<i>" */
    int nprepared;
    int preparing;       /* the head's PREPARE is running */
    struct event *ev;    /* socket readiness */
    struct event *retry; /* reconnect timer */
    struct job *head, *tail;
    int queued;
    int busy;            /* head is running */
    PGresult *res;       /* the statement's result, kept until its NULL arrives */
    struct backoff_state {
        struct fr_backoff b;
    } bo;
};

struct fr_dbq {
    struct event_base *base;
    char *url;
    const char *app;
    int64_t timeout_ms;
    int n;
    struct conn *conns;
};

static void on_socket(evutil_socket_t fd, short what, void *arg);
static void start(struct conn *c);

static void job_free(struct job *j)
{
    for (int i = 0; j->owned && i < j->n; i++)
        free(j->params[i]);
    free(j->params);
    free(j);
}

/* Pops the head job and runs its callback. */
static void finish(struct conn *c, PGresult *res, const struct fr_error *err)
{
    struct job *j = c->head;

    c->head = j->next;
    if (c->head == NULL)
        c->tail = NULL;
    c->queued--;
    c->busy = 0;
    j->cb(res, err, j->arg);
    job_free(j);
}

static int open_conn(struct conn *c, struct fr_error *err)
{
    char timeout[24];
    const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
    const char *vals[] = {c->q->url, timeout, c->q->app, NULL};

    snprintf(timeout, sizeof(timeout), "%lld", (long long)(c->q->timeout_ms + 999) / 1000);
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK || PQsetnonblocking(c->pg, 1) != 0) {
        fr_error_set(err, FR_ERR_IO, "async postgresql connection: %s",
                     c->pg ? PQerrorMessage(c->pg) : "out of memory");
        if (c->pg)
            PQfinish(c->pg);
        c->pg = NULL;
        return FR_ERR_IO;
    }
    c->ev = event_new(c->q->base, PQsocket(c->pg), EV_READ | EV_PERSIST, on_socket, c);
    c->nprepared = 0; /* a new session knows no statement */
    c->preparing = 0;
    return 0;
}

/* The connection broke: fail what it held, reconnect later. */
static void broken(struct conn *c, const char *why)
{
    struct fr_error err = {0};
    struct timeval tv;
    int64_t ms = fr_backoff_next(&c->bo.b);

    fr_error_set(&err, FR_ERR_IO, "postgresql connection lost: %s", why);
    log_warn("%s", err.msg);
    if (c->res)
        PQclear(c->res);
    c->res = NULL;
    if (c->ev)
        event_free(c->ev);
    c->ev = NULL;
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    /* Fail only what was queued before: a callback that queues again waits for the
     * reconnect instead of failing in a loop. */
    for (int n = c->queued; n > 0 && c->head; n--)
        finish(c, NULL, &err);
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    evtimer_add(c->retry, &tv);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    struct fr_error err = {0};

    (void)fd;
    (void)what;
    if (open_conn(c, &err) != 0) {
        broken(c, err.msg);
        return;
    }
    fr_backoff_reset(&c->bo.b);
    log_info("async postgresql connection restored");
    start(c);
}

/* Collects what has arrived; finishes the statement at its terminating NULL. */
static void collect(struct conn *c)
{
    while (c->busy && !PQisBusy(c->pg)) {
        PGresult *r = PQgetResult(c->pg);
        if (r == NULL) {
            ExecStatusType st = c->res ? PQresultStatus(c->res) : PGRES_FATAL_ERROR;
            struct fr_error err = {0};
            PGresult *res = c->res;
            c->res = NULL;
            if (c->preparing && st == PGRES_COMMAND_OK) {
                c->prepared[c->nprepared++] = c->head->sql;
                c->preparing = 0;
                c->busy = 0;
                PQclear(res);
                start(c);
                return;
            }
            c->preparing = 0;
            if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
                finish(c, res, NULL);
            } else {
                const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg);
                fr_error_set(&err, FR_ERR_PROTO, "%.*s", (int)strcspn(m, "\n"), m);
                finish(c, NULL, &err);
            }
            if (res)
                PQclear(res);
            start(c);
            return;
        }
        if (c->res == NULL)
            c->res = r;
        else
            PQclear(r); /* one statement, one result: keep the first */
    }
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;

    (void)fd;
    if ((what & EV_WRITE) && PQflush(c->pg) < 0) {
        broken(c, PQerrorMessage(c->pg));
        return;
    }
    if (PQconsumeInput(c->pg) == 0) {
        broken(c, PQerrorMessage(c->pg));
        return;
    }
    collect(c);
}

static void start(struct conn *c)
{
    struct job *j = c->head;
    int f;

    char name[16];
    int k = 0, sent;

    if (c->busy || j == NULL || c->pg == NULL)
        return;
    while (k < c->nprepared && c->prepared[k] != j->sql)
        k++;
    snprintf(name, sizeof(name), "fr%d", k);
    if (k < c->nprepared)
        sent = PQsendQueryPrepared(c->pg, name, j->n, (const char *const *)j->params, NULL,
                                   NULL, 0);
    else if (k < MAX_PREPARED)
        sent = c->preparing = PQsendPrepare(c->pg, name, j->sql, j->n, NULL);
    else /* more statement texts than slots: plan this one each time */
        sent = PQsendQueryParams(c->pg, j->sql, j->n, NULL, (const char *const *)j->params,
                                 NULL, NULL, 0);
    if (!sent) {
        broken(c, PQerrorMessage(c->pg));
        return;
    }
    c->busy = 1;
    f = PQflush(c->pg);
    if (f < 0) {
        broken(c, PQerrorMessage(c->pg));
        return;
    }
    /* Large parameters may not fit the socket buffer at once: wait to write the rest. */
    event_del(c->ev);
    event_assign(c->ev, c->q->base, PQsocket(c->pg),
                 (short)(EV_READ | EV_PERSIST | (f == 1 ? EV_WRITE : 0)), on_socket, c);
    event_add(c->ev, NULL);
}

struct fr_dbq *fr_dbq_new(struct event_base *base, const char *url, const char *app,
                          int nconns, int64_t connect_timeout_ms, struct fr_error *err)
{
    struct fr_dbq *q = fr_xcalloc(1, sizeof(*q));

    q->base = base;
    q->url = fr_xstrdup(url);
    q->app = app;
    q->timeout_ms = connect_timeout_ms;
    q->n = nconns > 0 ? nconns : 1;
    q->conns = fr_xcalloc((size_t)q->n, sizeof(*q->conns));
    for (int i = 0; i < q->n; i++) {
        struct conn *c = &q->conns[i];
        c->q = q;
        c->retry = evtimer_new(base, on_retry, c);
        fr_backoff_init(&c->bo.b, 100, 5000, 0);
        if (open_conn(c, err) != 0) {
            fr_dbq_free(q);
            return NULL;
        }
    }
    return q;
}

static void enqueue(struct fr_dbq *q, const char *sql, int n, const char *const *params,
                    int copy, fr_dbq_fn cb, void *arg)
{
    struct job *j = fr_xcalloc(1, sizeof(*j));
    struct conn *best = &q->conns[0];

    j->sql = sql;
    j->n = n;
    j->owned = copy;
    j->params = fr_xcalloc((size_t)(n ? n : 1), sizeof(*j->params));
    for (int i = 0; i < n; i++)
        j->params[i] = params[i] && copy ? fr_xstrdup(params[i]) : (char *)(uintptr_t)params[i];
    j->cb = cb;
    j->arg = arg;
    for (int i = 1; i < q->n; i++) {
        if (q->conns[i].queued < best->queued)
            best = &q->conns[i];
    }
    if (best->tail)
        best->tail->next = j;
    else
        best->head = j;
    best->tail = j;
    best->queued++;
    if (best->pg == NULL) {
        /* Down: fail it from the loop (never from inside this call). */
        if (!evtimer_pending(best->retry, NULL)) {
            struct timeval tv = {0, 0};
            evtimer_add(best->retry, &tv);
        }
        return;
    }
    start(best);
}

void fr_dbq_query(struct fr_dbq *q, const char *sql, int n, const char *const *params,
                  fr_dbq_fn cb, void *arg)
{
    enqueue(q, sql, n, params, 1, cb, arg);
}

void fr_dbq_query_ref(struct fr_dbq *q, const char *sql, int n, const char *const *params,
                      fr_dbq_fn cb, void *arg)
{
    enqueue(q, sql, n, params, 0, cb, arg);
}

int fr_dbq_pending(const struct fr_dbq *q)
{
    int n = 0;

    for (int i = 0; i < q->n; i++)
        n += q->conns[i].queued;
    return n;
}

void fr_dbq_free(struct fr_dbq *q)
{
    struct fr_error err = {0};

    if (q == NULL)
        return;
    fr_error_set(&err, FR_ERR_IO, "shutting down");
    for (int i = 0; i < q->n; i++) {
        struct conn *c = &q->conns[i];
        while (c->head)
            finish(c, NULL, &err);
        if (c->res)
            PQclear(c->res);
        if (c->ev)
            event_free(c->ev);
        if (c->retry)
            event_free(c->retry);
        if (c->pg)
            PQfinish(c->pg);
    }
    free(q->conns);
    free(q->url);
    free(q);
}
