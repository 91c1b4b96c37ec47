/*
 * dbasync — see dbasync.h. Each connection runs in libpq pipeline mode: up to PIPE_DEPTH
 * statements are sent ahead, each followed by its own sync (so each is its own
 * transaction and one failure touches no other), and PostgreSQL starts the next one
 * the moment it finishes one, however long the event loop takes to come back for the
 * results. A statement text is prepared the first time a connection runs it (planning
 * a CTE-heavy statement costs as much as running it). Results arrive in order: for
 * each job [prepare result, NULL], then [statement result, NULL], then the sync.
 */
#include "common/dbasync.h"

#include <event2/event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/backoff.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/log.h"
#include "common/mem.h"

#define MAX_PREPARED 16
#define PIPE_DEPTH 8

enum stage { ST_PREPARE, ST_QUERY, ST_SYNC };

struct job {
    struct job *next;
    const char *sql;
    int n;
    char **params;
    int owned;      /* params (the strings) were copied and are freed with the job */
    int prepare;    /* its PREPARE was sent ahead of it */
    enum stage stage;
    PGresult *res;  /* the statement's first result, kept until its sync */
    char *prep_error;
    fr_dbq_fn cb;
    void *arg;
};

struct conn {
    struct fr_dbq *q;
    PGconn *pg;
    const char *prepared[MAX_PREPARED]; /* statement texts prepared as "fr<i>" */
    int nprepared;
    struct event *ev;    /* socket readiness */
    struct event *retry; /* reconnect timer */
    struct job *head, *tail; /* sent jobs first, then waiting ones */
    struct job *unsent;      /* first job not sent yet */
    int queued;              /* all jobs */
    int sent;                /* jobs in the pipeline */
    int want_write;          /* libpq has output it could not flush yet */
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
    const char *replan[MAX_PREPARED]; /* statement texts planned on every run */
    int nreplan;
};

static void on_socket(evutil_socket_t fd, short what, void *arg);
static void start(struct conn *c);

static void job_free(struct job *j)
{
    for (int i = 0; j->owned && i < j->n; i++)
        free(j->params[i]);
    free(j->params);
    if (j->res)
        PQclear(j->res);
    free(j->prep_error);
    free(j);
}

/* Pops the head job and runs its callback. */
static void finish(struct conn *c, PGresult *res, const struct fr_error *err)
{
    struct job *j = c->head;

    c->head = j->next;
    if (c->head == NULL)
        c->tail = NULL;
    if (c->unsent == j)
        c->unsent = j->next;
    else
        c->sent--;
    c->queued--;
    j->cb(res, err, j->arg);
    job_free(j);
}

static int open_conn(struct conn *c, struct fr_error *err)
{
    char timeout[24];
    const char *keys[FR_DB_CONN_PARAMS], *vals[FR_DB_CONN_PARAMS];

    snprintf(timeout, sizeof(timeout), "%lld", (long long)(c->q->timeout_ms + 999) / 1000);
    fr_db_conn_params(c->q->url, timeout, c->q->app, keys, vals);
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK || PQsetnonblocking(c->pg, 1) != 0 ||
        PQenterPipelineMode(c->pg) != 1) {
        fr_error_set(err, FR_ERR_IO, "async postgresql connection: %s",
                     c->pg ? PQerrorMessage(c->pg) : "out of memory");
        if (c->pg)
            PQfinish(c->pg);
        c->pg = NULL;
        return FR_ERR_IO;
    }
    c->ev = event_new(c->q->base, PQsocket(c->pg), EV_READ | EV_PERSIST, on_socket, c);
    event_add(c->ev, NULL);
    c->nprepared = 0; /* a new session knows no statement */
    c->sent = 0;
    c->want_write = 0;
    c->unsent = c->head;
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
    c->sent = 0;
    c->unsent = c->head;
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

/* Forgets a statement text whose PREPARE failed, so the next use prepares it again. */
static void unprepare(struct conn *c, const char *sql)
{
    for (int k = 0; k < c->nprepared; k++) {
        if (c->prepared[k] == sql)
            c->prepared[k] = NULL; /* the slot (its name) is not reused */
    }
}

/* The head job's sync arrived: its callback runs with its result or its error. */
static void complete(struct conn *c)
{
    struct job *j = c->head;
    PGresult *res = j->res;
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    struct fr_error err = {0};

    j->res = NULL;
    if (j->prep_error) {
        fr_error_set(&err, FR_ERR_PROTO, "%s", j->prep_error);
        unprepare(c, j->sql);
        finish(c, NULL, &err);
    } else if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        finish(c, res, NULL);
    } else {
        const char *m = res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg);
        fr_error_set(&err, FR_ERR_PROTO, "%.*s", (int)strcspn(m, "\n"), m);
        finish(c, NULL, &err);
    }
    if (res)
        PQclear(res);
}

/* Collects what has arrived, job by job, stage by stage. */
static void collect(struct conn *c)
{
    while (c->pg && c->sent > 0 && !PQisBusy(c->pg)) {
        struct job *j = c->head;
        PGresult *r = PQgetResult(c->pg);
        ExecStatusType st = r ? PQresultStatus(r) : PGRES_EMPTY_QUERY;

        if (j->stage == ST_SYNC) {
            if (r == NULL)
                break; /* the sync is not in yet */
            PQclear(r); /* anything but the sync does not belong here */
            if (st == PGRES_PIPELINE_SYNC)
                complete(c);
            continue;
        }
        if (r == NULL) { /* end of this stage's results */
            j->stage = j->stage == ST_PREPARE ? ST_QUERY : ST_SYNC;
            continue;
        }
        if (j->stage == ST_PREPARE) {
            if (st != PGRES_COMMAND_OK && j->prep_error == NULL) {
                const char *m = PQresultErrorMessage(r);
                j->prep_error = fr_xasprintf("prepare: %.*s", (int)strcspn(m, "\n"), m);
            }
            PQclear(r);
        } else if (j->res == NULL) {
            j->res = r;
        } else {
            PQclear(r); /* one statement, one result: keep the first */
        }
    }
    start(c); /* room in the pipeline again */
}

static void watch(struct conn *c, int want_write)
{
    if (c->ev == NULL || c->want_write == want_write)
        return;
    c->want_write = want_write;
    event_del(c->ev);
    event_assign(c->ev, c->q->base, PQsocket(c->pg),
                 (short)(EV_READ | EV_PERSIST | (want_write ? EV_WRITE : 0)), on_socket, c);
    event_add(c->ev, NULL);
}

static void on_socket(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    int f;

    (void)fd;
    if (what & EV_WRITE) {
        if ((f = PQflush(c->pg)) < 0) {
            broken(c, PQerrorMessage(c->pg));
            return;
        }
        watch(c, f == 1);
    }
    if ((what & EV_READ) && PQconsumeInput(c->pg) == 0) {
        broken(c, PQerrorMessage(c->pg));
        return;
    }
    collect(c);
}

/* Sends one job into the pipeline; 0 on success. */
static int send_job(struct conn *c, struct job *j)
{
    const char *const *params = (const char *const *)j->params;
    char name[16];
    int k = 0, replan = 0;

    for (int r = 0; r < c->q->nreplan; r++)
        replan |= c->q->replan[r] == j->sql;
    while (!replan && k < c->nprepared && c->prepared[k] != j->sql)
        k++;
    if (replan)
        k = MAX_PREPARED; /* the unnamed statement: planned with these values */
    j->stage = ST_QUERY;
    if (k == c->nprepared && k < MAX_PREPARED) {
        snprintf(name, sizeof(name), "fr%d", k);
        if (!PQsendPrepare(c->pg, name, j->sql, j->n, NULL))
            return -1;
        c->prepared[c->nprepared++] = j->sql; /* later jobs in the pipeline reuse it */
        j->prepare = 1;
        j->stage = ST_PREPARE;
    }
    snprintf(name, sizeof(name), "fr%d", k);
    if (k < MAX_PREPARED) {
        if (!PQsendQueryPrepared(c->pg, name, j->n, params, NULL, NULL, 0))
            return -1;
    } else if (!PQsendQueryParams(c->pg, j->sql, j->n, NULL, params, NULL, NULL, 0)) {
        return -1; /* replanned, or more statement texts than slots */
    }
    return PQpipelineSync(c->pg) == 1 ? 0 : -1;
}

/* Fills the pipeline from the waiting jobs and flushes without blocking. */
static void start(struct conn *c)
{
    int f, any = 0;

    if (c->pg == NULL)
        return;
    while (c->unsent && c->sent < PIPE_DEPTH) {
        if (send_job(c, c->unsent) != 0) {
            broken(c, PQerrorMessage(c->pg));
            return;
        }
        c->unsent = c->unsent->next;
        c->sent++;
        any = 1;
    }
    if (!any && !c->want_write)
        return;
    if ((f = PQflush(c->pg)) < 0) {
        broken(c, PQerrorMessage(c->pg));
        return;
    }
    /* Large parameters may not fit the socket buffer at once: wait to write the rest. */
    watch(c, f == 1);
    /* A flush that finds the socket full reads what the server sent meanwhile (libpq
     * does, to avoid a deadlock): results may now wait in libpq's buffer with nothing
     * left to make the socket readable. Look at them from the loop. */
    if (c->sent > 0 && !PQisBusy(c->pg))
        event_active(c->ev, EV_READ, 0);
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
        if (c->retry == NULL) {
            fr_error_set(err, FR_ERR_IO, "async postgresql pool: no timer event");
            fr_dbq_free(q);
            return NULL;
        }
        /* The caller's blocking connect just succeeded with this URL, so a failure here is
         * PostgreSQL restarting or full: retry like a broken connection, do not exit. */
        if (open_conn(c, err) != 0)
            broken(c, err->msg);
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
    if (best->unsent == NULL)
        best->unsent = j;
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

void fr_dbq_replan(struct fr_dbq *q, const char *sql)
{
    for (int r = 0; r < q->nreplan; r++) {
        if (q->replan[r] == sql)
            return;
    }
    if (q->nreplan < MAX_PREPARED)
        q->replan[q->nreplan++] = sql;
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
