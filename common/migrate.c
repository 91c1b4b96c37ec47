/*
 * migrate — see migrate.h.
 */
#include "common/migrate.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"

#define LOCK_SQL "SELECT pg_advisory_lock(7412019)"
#define UNLOCK_SQL "SELECT pg_advisory_unlock(7412019)"

int fr_migrate_latest(void)
{
    int v = 0;

    for (int i = 0; i < fr_migrations_count; i++)
        v = fr_migrations[i].version > v ? fr_migrations[i].version : v;
    return v;
}

int fr_migrate_current(struct fr_db *db, int *version, struct fr_error *err)
{
    PGresult *res;
    int exists, rc;

    /* Two queries: a reference to a missing table fails at parse time, even in a CASE. */
    rc = fr_db_query(db, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0, NULL, &res,
                     err);
    if (rc != 0)
        return rc;
    exists = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    *version = 0;
    if (!exists)
        return 0;
    rc = fr_db_query(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL,
                     &res, err);
    if (rc != 0)
        return rc;
    *version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static int apply_one(struct fr_db *db, void *arg, struct fr_error *err)
{
    const struct fr_migration *m = arg;
    char version[16];
    const char *params[2] = {version, m->name};

    snprintf(version, sizeof(version), "%d", m->version);
    if (fr_db_exec(db, m->sql, err) != 0)
        return err ? err->code : FR_ERR_PROTO;
    return fr_db_query(db, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
                       params, NULL, err);
}

static int run_locked(struct fr_db *db, int *applied, struct fr_error *err)
{
    int current, rc;

    rc = fr_db_exec(db,
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version integer PRIMARY KEY, name text NOT NULL,"
                    " applied_at timestamptz NOT NULL DEFAULT now())",
                    err);
    if (rc == 0)
        rc = fr_migrate_current(db, &current, err);
    if (rc != 0)
        return rc;
    if (current > fr_migrate_latest())
        return fr_error_set(err, FR_ERR_STATE,
                            "database schema is version %d, newer than this binary knows (%d): "
                            "upgrade freshet before migrating",
                            current, fr_migrate_latest());
    for (int i = 0; i < fr_migrations_count; i++) {
        struct fr_migration copy = fr_migrations[i], *m = &copy;
        if (m->version <= current)
            continue;
        if (fr_db_tx(db, apply_one, m, err) != 0) {
            fr_error_prefix(err, "migration %03d_%s", m->version, m->name);
            return err ? err->code : FR_ERR_PROTO;
        }
        log_info_kv(FR_KV("migration", m->name), "applied migration %03d_%s", m->version, m->name);
        (*applied)++;
    }
    return 0;
}

int fr_migrate_run(struct fr_db *db, int *applied, struct fr_error *err)
{
    int rc;

    *applied = 0;
    if ((rc = fr_db_exec(db, LOCK_SQL, err)) != 0)
        return rc;
    rc = run_locked(db, applied, err);
    fr_db_exec(db, UNLOCK_SQL, NULL);
    return rc;
}

int fr_migrate_check(struct fr_db *db, struct fr_error *err)
{
    int current, rc = fr_migrate_current(db, &current, err);

    if (rc != 0)
        return rc;
    if (current < fr_migrate_latest())
        return fr_error_set(err, FR_ERR_STATE,
                            "database schema is version %d, this binary needs %d: run "
                            "'freshetctl migrate'",
                            current, fr_migrate_latest());
    if (current > fr_migrate_latest())
        return fr_error_set(err, FR_ERR_STATE,
                            "database schema is version %d, newer than this binary knows (%d)",
                            current, fr_migrate_latest());
    return 0;
}
