/*
 * Integration tests: common/db and common/migrate against a real PostgreSQL,
 * including a server restart in the middle of a test.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/db.h"
#include "common/migrate.h"
#include "tests/integration/support.h"

static void open_db(struct fr_db *db, const char *url)
{
    struct fr_error err = {0};

    cr_assert_eq(fr_db_init(db, url, "itest", 3000, &err), 0, "%s", err.msg);
    cr_assert_eq(fr_db_connect(db, &err), 0, "%s", err.msg);
}

Test(db, query_params_and_sql_error)
{
    struct fr_db db;
    struct fr_error err = {0};
    PGresult *res;
    const char *params[] = {"it's; DROP TABLE x;--", NULL};

    open_db(&db, itest_database_url());
    cr_assert_eq(fr_db_query(&db, "SELECT $1::text, $2::text IS NULL", 2, params, &res, &err), 0,
                 "%s", err.msg);
    cr_assert_str_eq(PQgetvalue(res, 0, 0), params[0]);
    cr_assert_str_eq(PQgetvalue(res, 0, 1), "t");
    PQclear(res);
    cr_assert_eq(fr_db_query(&db, "SELECT * FROM no_such_table", 0, NULL, &res, &err),
                 FR_ERR_PROTO);
    cr_assert(strstr(err.msg, "sqlstate=42P01") != NULL, "%s", err.msg);
    cr_assert_eq(fr_db_exec(&db, "SELECT 1; SELECT 2", NULL), 0);
    fr_db_release(&db);
}

static int insert_then_fail(struct fr_db *db, void *arg, struct fr_error *err)
{
    (void)arg;
    if (fr_db_exec(db, "INSERT INTO txtest VALUES (1)", err) != 0)
        return FR_ERR_PROTO;
    return fr_error_set(err, FR_ERR_DATA, "deliberate failure");
}

static int insert_ok(struct fr_db *db, void *arg, struct fr_error *err)
{
    (void)arg;
    return fr_db_exec(db, "INSERT INTO txtest VALUES (2)", err);
}

Test(db, transaction_commits_or_rolls_back)
{
    char *url = itest_new_database("tx");
    struct fr_db db;
    struct fr_error err = {0};
    PGresult *res;

    open_db(&db, url);
    cr_assert_eq(fr_db_exec(&db, "CREATE TABLE txtest (v int)", &err), 0, "%s", err.msg);
    cr_assert_eq(fr_db_tx(&db, insert_then_fail, NULL, &err), FR_ERR_DATA);
    cr_assert_str_eq(err.msg, "deliberate failure");
    cr_assert_eq(fr_db_tx(&db, insert_ok, NULL, NULL), 0);
    cr_assert_eq(fr_db_query(&db, "SELECT string_agg(v::text, ',') FROM txtest", 0, NULL, &res,
                             NULL), 0);
    cr_assert_str_eq(PQgetvalue(res, 0, 0), "2", "the failed transaction left a row");
    PQclear(res);
    cr_assert_eq(PQtransactionStatus(db.conn), PQTRANS_IDLE);
    fr_db_release(&db);
    free(url);
}

Test(db, prepared_statements_survive_restart)
{
    char *url = itest_new_database("restart");
    struct fr_db db;
    struct fr_error err = {0};
    PGresult *res = NULL;
    const char *p[] = {"20"};
    int64_t deadline;
    int rc;

    open_db(&db, url);
    cr_assert_eq(fr_db_prepare(&db, "plus_one", "SELECT $1::int + 1", &err), 0, "%s", err.msg);
    cr_assert_eq(fr_db_exec_prepared(&db, "plus_one", 1, p, &res, &err), 0, "%s", err.msg);
    cr_assert_str_eq(PQgetvalue(res, 0, 0), "21");
    PQclear(res);
    cr_assert_eq(itest_services("restart-pg"), 0, "harness could not restart postgresql");
    rc = fr_db_exec_prepared(&db, "plus_one", 1, p, &res, &err);
    if (rc == 0)
        PQclear(res);
    else
        cr_assert_eq(rc, FR_ERR_IO, "a dead link is FR_ERR_IO: %s", err.msg);
    deadline = fr_mono_ms() + 20000;
    do {
        fr_error_clear(&err);
        rc = fr_db_exec_prepared(&db, "plus_one", 1, p, &res, &err);
        if (rc != 0)
            fr_sleep_ms(100, NULL);
    } while (rc != 0 && fr_mono_ms() < deadline);
    cr_assert_eq(rc, 0, "no reconnect within 20s: %s", err.msg);
    cr_assert_str_eq(PQgetvalue(res, 0, 0), "21", "statement not re-prepared");
    PQclear(res);
    cr_assert_geq(db.connects, 2);
    fr_db_release(&db);
    free(url);
}

Test(db, unreachable_server_names_address)
{
    struct fr_db db;
    struct fr_error err = {0};

    cr_assert_eq(fr_db_init(&db, "postgresql://freshet@127.0.0.1:1/x", "itest", 1000, &err), 0);
    cr_assert_eq(fr_db_connect_wait(&db, 500, NULL, &err), FR_ERR_IO);
    cr_assert(strstr(err.msg, "127.0.0.1:1/x") != NULL, "%s", err.msg);
    fr_db_release(&db);
}

static int count(struct fr_db *db, const char *sql)
{
    PGresult *res;
    int n;

    cr_assert_eq(fr_db_query(db, sql, 0, NULL, &res, NULL), 0, "%s", sql);
    n = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

Test(migrate, fresh_rerun_and_newer_schema)
{
    char *url = itest_new_database("mig");
    struct fr_db db;
    struct fr_error err = {0};
    int applied = -1, version = -1;

    open_db(&db, url);
    cr_assert_eq(fr_migrate_check(&db, &err), FR_ERR_STATE, "empty db passed the check");
    fr_error_clear(&err);
    cr_assert_eq(fr_migrate_run(&db, &applied, &err), 0, "%s", err.msg);
    cr_assert_eq(applied, fr_migrations_count);
    cr_assert_eq(fr_migrate_current(&db, &version, NULL), 0);
    cr_assert_eq(version, fr_migrate_latest());
    cr_assert_eq(fr_migrate_check(&db, NULL), 0);
    cr_assert_eq(count(&db, "SELECT count(*) FROM pg_tables WHERE tablename IN "
                            "('items','scout_cursors','worker_runs','schema_migrations')"), 4);
    cr_assert_geq(count(&db, "SELECT count(*) FROM pg_inherits WHERE inhparent = "
                             "'item_history'::regclass"), 5, "monthly partitions missing");

    cr_assert_eq(fr_migrate_run(&db, &applied, &err), 0, "%s", err.msg);
    cr_assert_eq(applied, 0, "second run must be a no-op");

    cr_assert_eq(fr_db_exec(&db, "INSERT INTO schema_migrations VALUES (999, 'future')", NULL), 0);
    cr_assert_eq(fr_migrate_run(&db, &applied, &err), FR_ERR_STATE);
    cr_assert(strstr(err.msg, "newer than this binary") != NULL, "%s", err.msg);
    fr_error_clear(&err);
    cr_assert_eq(fr_migrate_check(&db, &err), FR_ERR_STATE);
    fr_db_release(&db);
    free(url);
}

Test(migrate, schema_enforces_statuses_and_active_payload)
{
    char *url = itest_new_database("cons");
    struct fr_db db;
    struct fr_error err = {0};
    int applied;

    open_db(&db, url);
    cr_assert_eq(fr_migrate_run(&db, &applied, &err), 0, "%s", err.msg);
    cr_assert_eq(fr_db_exec(&db, "INSERT INTO items (source, id) VALUES ('keepa', 'B000000001')",
                            &err), 0, "%s", err.msg);
    cr_assert_eq(fr_db_exec(&db, "INSERT INTO items (source, id) VALUES ('keepa', 'B000000001')",
                            NULL), FR_ERR_PROTO, "duplicate (source, id) accepted");
    cr_assert_eq(fr_db_exec(&db, "UPDATE items SET status = 'done'", NULL), FR_ERR_PROTO);
    cr_assert_eq(fr_db_exec(&db, "UPDATE items SET status = 'active'", NULL), FR_ERR_PROTO,
                 "active without payload accepted");
    cr_assert_eq(fr_db_exec(&db, "UPDATE items SET status = 'failed'", NULL), FR_ERR_PROTO,
                 "failed without a reason accepted");
    cr_assert_eq(fr_db_exec(&db, "INSERT INTO item_history (source, id, observed_at, "
                                 "content_hash) VALUES ('keepa', 'B0', '2015-01-01', 'h')", &err),
                 0, "old observation must land in the default partition: %s", err.msg);
    fr_db_release(&db);
    free(url);
}

static const char *conn_option(PGconn *c, const char *key, char *out, size_t n)
{
    PQconninfoOption *opts = PQconninfo(c);

    out[0] = '\0';
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, key) == 0 && o->val != NULL)
            snprintf(out, n, "%s", o->val);
    PQconninfoFree(opts);
    return out;
}

/* libpq's default (prefer) would probe Kerberos on every connect. */
Test(db, gssencmode_is_off_unless_the_url_or_environment_asks)
{
    struct fr_db db;
    char v[32], url[512];

    unsetenv("PGGSSENCMODE");
    open_db(&db, itest_database_url());
    cr_assert_str_eq(conn_option(db.conn, "gssencmode", v, sizeof(v)), "disable");
    fr_db_release(&db);

    snprintf(url, sizeof(url), "%s?gssencmode=prefer", itest_database_url());
    open_db(&db, url);
    cr_assert_str_eq(conn_option(db.conn, "gssencmode", v, sizeof(v)), "prefer");
    fr_db_release(&db);

    setenv("PGGSSENCMODE", "prefer", 1);
    open_db(&db, itest_database_url());
    cr_assert_str_eq(conn_option(db.conn, "gssencmode", v, sizeof(v)), "prefer");
    fr_db_release(&db);
    unsetenv("PGGSSENCMODE");
}
