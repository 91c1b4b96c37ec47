/*
 * db — a libpq connection for a long-running worker: configured from DATABASE_URL,
 * start-up wait with a deadline, reconnection with backoff after the server restarts,
 * named prepared statements that are re-prepared on each new connection, and a
 * transaction helper.
 *
 * Results returned through PGresult ** are new: the caller PQclear()s them.
 * Errors: FR_ERR_IO when the connection is gone (the call may be retried after the
 * next fr_db_ensure), FR_ERR_PROTO for an SQL error (message carries the SQLSTATE).
 */
#ifndef FR_DB_H
#define FR_DB_H

#include <libpq-fe.h>
#include <stdint.h>

#include "common/backoff.h"
#include "common/err.h"

#define FR_DB_MAX_PREPARED 48

struct fr_db_stmt {
    const char *name; /* borrowed: string literals */
    const char *sql;
};

struct fr_db {
    char *url;        /* owned */
    char addr[300];   /* host:port/dbname, for messages (no password) */
    const char *app;  /* application_name; borrowed */
    int64_t connect_timeout_ms;
    PGconn *conn;
    struct fr_backoff backoff;
    int64_t next_attempt_ms;
    uint64_t connects;
    struct fr_db_stmt stmts[FR_DB_MAX_PREPARED];
    int nstmts;
    int prepared; /* how many of stmts are prepared on the current connection */
    char sqlstate[6]; /* of the last SQL error */
};

/* Validates url (FR_ERR_USAGE naming DATABASE_URL); does no I/O. app is borrowed. */
int fr_db_init(struct fr_db *db, const char *url, const char *app, int64_t connect_timeout_ms,
               struct fr_error *err);
void fr_db_release(struct fr_db *db);

int fr_db_connect(struct fr_db *db, struct fr_error *err);

/*
 * The PQconnectdbParams keywords and values (NULL-terminated, expand_dbname 1) of every
 * freshet connection: url (a URI or key=value string), connect_timeout (seconds, as text)
 * and application_name, plus gssencmode=disable unless the url or PGGSSENCMODE says
 * otherwise: libpq's default ("prefer") probes Kerberos on every connect, which loads
 * ~0.7 MiB of krb5 pages into each worker and slows the connect, for GSSAPI encryption
 * few servers offer. keys and vals need FR_DB_CONN_PARAMS entries; all strings borrowed.
 */
#define FR_DB_CONN_PARAMS 5
void fr_db_conn_params(const char *url, const char *timeout_s, const char *app,
                       const char **keys, const char **vals);
int fr_db_connect_wait(struct fr_db *db, int64_t timeout_ms, const volatile int *stop,
                       struct fr_error *err);
/* Connected (and healthy), or one reconnect attempt if the backoff allows it now. */
int fr_db_ensure(struct fr_db *db, struct fr_error *err);

/* Registers a statement, prepared on every connection from now on. name/sql borrowed. */
int fr_db_prepare(struct fr_db *db, const char *name, const char *sql, struct fr_error *err);

/* Runs one or more statements without parameters, discarding results. */
int fr_db_exec(struct fr_db *db, const char *sql, struct fr_error *err);
/* Parameterised query (text parameters, NULL entries are SQL NULL). out may be NULL. */
int fr_db_query(struct fr_db *db, const char *sql, int n, const char *const *params,
                PGresult **out, struct fr_error *err);
int fr_db_exec_prepared(struct fr_db *db, const char *name, int n, const char *const *params,
                        PGresult **out, struct fr_error *err);

typedef int (*fr_db_tx_fn)(struct fr_db *db, void *arg, struct fr_error *err);
/* BEGIN; fn; COMMIT (ROLLBACK when fn fails). Serialization failures and deadlocks
 * are retried up to 3 times; fn must therefore be safe to run again. */
int fr_db_tx(struct fr_db *db, fr_db_tx_fn fn, void *arg, struct fr_error *err);

#endif
