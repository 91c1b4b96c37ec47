/*
 * migrate — applies the SQL migrations compiled into the binary (schemas/NNN_name.sql),
 * in order, each in its own transaction, under an advisory lock so two `freshetctl
 * migrate` runs (a compose one-shot and a k8s job) cannot interleave.
 *
 * A database whose schema is newer than the binary knows is refused (FR_ERR_STATE):
 * an old binary must not write into a newer schema it does not understand.
 */
#ifndef FR_MIGRATE_H
#define FR_MIGRATE_H

#include "common/db.h"
#include "common/err.h"

struct fr_migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct fr_migration fr_migrations[];
extern const int fr_migrations_count;

/* The newest version this binary knows. */
int fr_migrate_latest(void);

/* Reads the applied version (0 for an empty database) into *version. */
int fr_migrate_current(struct fr_db *db, int *version, struct fr_error *err);

/* Applies what is pending; *applied gets how many (0 = already up to date). */
int fr_migrate_run(struct fr_db *db, int *applied, struct fr_error *err);

/* For daemons at start-up: FR_ERR_STATE unless the schema is exactly the latest. */
int fr_migrate_check(struct fr_db *db, struct fr_error *err);

#endif
