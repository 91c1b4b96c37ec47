/*
 * freshetctl migrate — applies the schema migrations compiled into this binary.
 */
#include <stdio.h>

#include "common/app.h"
#include "common/log.h"
#include "common/migrate.h"
#include "ctl/ctl.h"

struct migrate_config {
    struct fr_common_config common;
    int dry_run;
};

static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct migrate_config),
    {NULL, "dry-run", FR_OPT_FLAG, "false", 0, 0, offsetof(struct migrate_config, dry_run),
     "only say which migrations are pending"},
};

int ctl_migrate(int argc, char **argv)
{
    struct migrate_config cfg = {0};
    struct fr_app app = {
        .program = "freshetctl migrate",
        .usage = "[OPTIONS]",
        .summary = "Applies pending schema migrations in order, each in a transaction. A no-op\n"
                   "when the schema is up to date; refuses a schema newer than this binary.",
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
    };
    struct fr_db db;
    struct fr_error err = {0};
    int applied = 0, current = 0, rc;

    fr_app_init(&app, argc, argv, NULL);
    fr_app_connect(&app, NULL, &db, 0);
    if (cfg.dry_run) {
        rc = fr_migrate_current(&db, &current, &err);
        if (rc == 0)
            printf("schema version %d, this binary knows %d: %d pending\n", current,
                   fr_migrate_latest(),
                   fr_migrate_latest() > current ? fr_migrate_latest() - current : 0);
    } else {
        rc = fr_migrate_run(&db, &applied, &err);
        if (rc == 0 && applied == 0)
            printf("schema is up to date (version %d): nothing to do\n", fr_migrate_latest());
        else if (rc == 0)
            printf("applied %d migration%s: schema is now version %d\n", applied,
                   applied == 1 ? "" : "s", fr_migrate_latest());
    }
    if (rc != 0)
        fprintf(stderr, "freshetctl migrate: %s\n", err.msg);
    fr_db_release(&db);
    fr_log_reset();
    return fr_err_exit_status(rc);
}
