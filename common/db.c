/*
 * db — see db.h.
 */
#include "common/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"

static void describe(struct fr_db *db)
{
    PQconninfoOption *o = PQconninfoParse(db->url, NULL);
    const char *host = "localhost", *port = "5432", *name = "";

    for (PQconninfoOption *p = o; p && p->keyword; p++) {
        if (!p->val)
            continue;
        if (strcmp(p->keyword, "host") == 0 || strcmp(p->keyword, "hostaddr") == 0)
            host = p->val;
        else if (strcmp(p->keyword, "port") == 0)
            port = p->val;
        else if (strcmp(p->keyword, "dbname") == 0)
            name = p->val;
    }
    snprintf(db->addr, sizeof(db->addr), "%s:%s/%s", host, port, name);
    PQconninfoFree(o);
}

int fr_db_init(struct fr_db *db, const char *url, const char *app, int64_t connect_timeout_ms,
               struct fr_error *err)
{
    char *msg = NULL;
    PQconninfoOption *o;

    memset(db, 0, sizeof(*db));
    o = PQconninfoParse(url, &msg);
    if (o == NULL) {
        if (msg)
            msg[strcspn(msg, "\n")] = '\0';
        fr_error_set(err, FR_ERR_USAGE, "DATABASE_URL: is not a valid connection string: %s",
                     msg ? msg : "out of memory");
        PQfreemem(msg);
        return FR_ERR_USAGE;
    }
    PQconninfoFree(o);
    db->url = fr_xstrdup(url);
    db->app = app ? app : "freshet";
    db->connect_timeout_ms = connect_timeout_ms > 0 ? connect_timeout_ms : 10000;
    fr_backoff_init(&db->backoff, 100, 5000, 0);
    describe(db);
    return 0;
}

static void drop(struct fr_db *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    db->prepared = 0;
    db->next_attempt_ms = fr_mono_ms() + fr_backoff_next(&db->backoff);
}

void fr_db_release(struct fr_db *db)
{
    if (db->conn)
        PQfinish(db->conn);
    db->conn = NULL;
    free(db->url);
    db->url = NULL;
}

static void clean_msg(char *dst, size_t n, const char *msg)
{
    fr_strlcpy(dst, msg ? msg : "unknown error", n);
    for (char *p = dst; *p; p++) {
        if (*p == '\n')
            *p = (p[1] ? ' ' : '\0');
    }
}

static int prepare_all(struct fr_db *db, struct fr_error *err)
{
    for (; db->prepared < db->nstmts; db->prepared++) {
        struct fr_db_stmt *s = &db->stmts[db->prepared];
        PGresult *res = PQprepare(db->conn, s->name, s->sql, 0, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            char m[400];
            clean_msg(m, sizeof(m), PQerrorMessage(db->conn));
            PQclear(res);
            return fr_error_set(err, PQstatus(db->conn) == CONNECTION_OK ? FR_ERR_PROTO
                                                                          : FR_ERR_IO,
                                "prepare '%s': %s", s->name, m);
        }
        PQclear(res);
    }
    return 0;
}

/* Server notices (e.g. "already exists, skipping") are debug lines, not raw stderr. */
static void on_notice(void *arg, const char *msg)
{
    (void)arg;
    log_debug("postgresql notice: %.*s", (int)strcspn(msg, "\n"), msg);
}

void fr_db_conn_params(const char *url, const char *timeout_s, const char *app,
                       const char **keys, const char **vals)
{
    /* Entries before dbname yield to the url's own; "" defers to the environment. */
    keys[0] = "gssencmode";
    vals[0] = getenv("PGGSSENCMODE") != NULL ? "" : "disable";
    keys[1] = "dbname";
    vals[1] = url;
    keys[2] = "connect_timeout";
    vals[2] = timeout_s;
    keys[3] = "application_name";
    vals[3] = app;
    keys[4] = vals[4] = NULL;
}

int fr_db_connect(struct fr_db *db, struct fr_error *err)
{
    char timeout[24];
    const char *keys[FR_DB_CONN_PARAMS], *vals[FR_DB_CONN_PARAMS];
    char m[400];

    if (db->conn)
        PQfinish(db->conn);
    snprintf(timeout, sizeof(timeout), "%lld", (long long)(db->connect_timeout_ms + 999) / 1000);
    fr_db_conn_params(db->url, timeout, db->app, keys, vals);
    db->conn = PQconnectdbParams(keys, vals, 1);
    db->prepared = 0;
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        clean_msg(m, sizeof(m), db->conn ? PQerrorMessage(db->conn) : "out of memory");
        drop(db);
        return fr_error_set(err, FR_ERR_IO, "cannot connect to postgresql at '%s': %s",
                            db->addr, m);
    }
    PQsetNoticeProcessor(db->conn, on_notice, NULL);
    if (prepare_all(db, err) != 0) {
        drop(db);
        return err ? err->code : FR_ERR_IO;
    }
    if (db->connects > 0 || db->backoff.attempt > 0)
        log_info_kv(FR_KV("addr", db->addr), "postgresql connected");
    db->connects++;
    fr_backoff_reset(&db->backoff);
    db->next_attempt_ms = 0;
    return 0;
}

int fr_db_connect_wait(struct fr_db *db, int64_t timeout_ms, const volatile int *stop,
                       struct fr_error *err)
{
    int64_t deadline = fr_mono_ms() + timeout_ms;
    struct fr_error last = {0};

    for (;;) {
        fr_error_clear(&last);
        if (fr_db_connect(db, &last) == 0)
            return 0;
        int64_t now = fr_mono_ms(), wait = db->next_attempt_ms - now;
        if (now >= deadline || (stop && *stop))
            break;
        fr_sleep_ms(wait < deadline - now ? wait : deadline - now, stop);
    }
    return fr_error_set(err, FR_ERR_IO, "%s (gave up after %lldms)", last.msg,
                        (long long)timeout_ms);
}

int fr_db_ensure(struct fr_db *db, struct fr_error *err)
{
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
        return db->prepared < db->nstmts ? prepare_all(db, err) : 0;
    if (db->conn)
        drop(db);
    if (fr_mono_ms() < db->next_attempt_ms)
        return fr_error_set(err, FR_ERR_IO, "postgresql at '%s' unavailable (reconnecting)",
                            db->addr);
    return fr_db_connect(db, err);
}

int fr_db_prepare(struct fr_db *db, const char *name, const char *sql, struct fr_error *err)
{
    for (int i = 0; i < db->nstmts; i++) {
        if (strcmp(db->stmts[i].name, name) == 0)
            return 0;
    }
    if (db->nstmts == FR_DB_MAX_PREPARED)
        return fr_error_set(err, FR_ERR_LIMIT, "too many prepared statements");
    db->stmts[db->nstmts].name = name;
    db->stmts[db->nstmts].sql = sql;
    db->nstmts++;
    if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
        return prepare_all(db, err);
    return 0;
}

/* Converts a result into our convention; the connection is dropped when it broke. */
static int check(struct fr_db *db, PGresult *res, PGresult **out, const char *what,
                 struct fr_error *err)
{
    ExecStatusType st = PQresultStatus(res);
    char m[400];

    if (out)
        *out = NULL;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
        if (out)
            *out = res;
        else
            PQclear(res);
        return 0;
    }
    clean_msg(m, sizeof(m), res ? PQresultErrorMessage(res) : PQerrorMessage(db->conn));
    if (!m[0])
        clean_msg(m, sizeof(m), PQerrorMessage(db->conn));
    fr_strlcpy(db->sqlstate, res && PQresultErrorField(res, PG_DIAG_SQLSTATE)
                                 ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : "", 6);
    PQclear(res);
    if (PQstatus(db->conn) != CONNECTION_OK) {
        drop(db);
        return fr_error_set(err, FR_ERR_IO, "%s: postgresql at '%s': %s", what, db->addr, m);
    }
    return fr_error_set(err, FR_ERR_PROTO, "%s: %s%s%s", what, m, db->sqlstate[0] ? " sqlstate=" : "",
                        db->sqlstate);
}

int fr_db_exec(struct fr_db *db, const char *sql, struct fr_error *err)
{
    PGresult *res;
    int rc = 0;

    if (fr_db_ensure(db, err) != 0)
        return FR_ERR_IO;
    if (!PQsendQuery(db->conn, sql))
        return check(db, NULL, NULL, "exec", err);
    /* A multi-statement string yields one result per statement: check every one. */
    while ((res = PQgetResult(db->conn)) != NULL) {
        if (rc == 0)
            rc = check(db, res, NULL, "exec", err);
        else
            PQclear(res);
        if (db->conn == NULL)
            break;
    }
    return rc;
}

int fr_db_query(struct fr_db *db, const char *sql, int n, const char *const *params,
                PGresult **out, struct fr_error *err)
{
    if (fr_db_ensure(db, err) != 0)
        return FR_ERR_IO;
    return check(db, PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0), out, "query",
                 err);
}

int fr_db_exec_prepared(struct fr_db *db, const char *name, int n, const char *const *params,
                        PGresult **out, struct fr_error *err)
{
    if (fr_db_ensure(db, err) != 0)
        return FR_ERR_IO;
    return check(db, PQexecPrepared(db->conn, name, n, params, NULL, NULL, 0), out, name, err);
}

static int retryable(const struct fr_db *db)
{
    return strcmp(db->sqlstate, "40001") == 0 || strcmp(db->sqlstate, "40P01") == 0;
}

int fr_db_tx(struct fr_db *db, fr_db_tx_fn fn, void *arg, struct fr_error *err)
{
    for (int attempt = 0;; attempt++) {
        struct fr_error e = {0};
        int rc;

        db->sqlstate[0] = '\0';
        rc = fr_db_exec(db, "BEGIN", &e);
        if (rc == 0)
            rc = fn(db, arg, &e);
        if (rc == 0)
            rc = fr_db_exec(db, "COMMIT", &e);
        if (rc == 0)
            return 0;
        if (db->conn != NULL && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
            fr_db_exec(db, "ROLLBACK", NULL);
        if (attempt < 3 && retryable(db))
            continue;
        return fr_error_set(err, rc, "%s", e.msg);
    }
}
