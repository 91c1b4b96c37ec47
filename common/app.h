/*
 * app — the start-up every freshet program shares, so each main() reads as its job:
 * parse the configuration table (--help, --version, exit 2 naming a bad setting),
 * set up logging with the worker id and source, log the effective configuration
 * (secrets hidden), and connect to Redis and PostgreSQL within FRESHET_CONNECT_TIMEOUT
 * (exit 1 naming the address otherwise).
 *
 * These functions exit the process on failure: they run before any work exists.
 */
#ifndef FR_APP_H
#define FR_APP_H

#include <stddef.h>

#include "common/config.h"
#include "common/db.h"
#include "common/redis.h"

/* The resolver options fr_app_init sets when RES_OPTIONS is unset (see app.c). */
#define FR_APP_RES_OPTIONS "timeout:1 attempts:2"

struct fr_app {
    const char *program; /* "freshet-scout" */
    const char *usage;   /* "[OPTIONS]" or "COMMAND [OPTIONS]" */
    const char *summary; /* what it does, for --help */
    const char *epilog;  /* printed after the options (may be NULL) */
    const struct fr_opt *opts;
    size_t nopts;
    void *cfg;
    struct fr_common_config *common; /* inside cfg */
    int one_source; /* the command works on one source: FRESHET_SOURCE (or --source) must
                       name exactly one, else exit 2 saying so */
    char worker_id[128];
};

/* Parses and sets up logging. first_arg as in fr_config_parse (NULL: none allowed). */
void fr_app_init(struct fr_app *app, int argc, char **argv, int *first_arg);
void fr_app_print_help(const struct fr_app *app, FILE *f);

/* Either pointer may be NULL. check_schema: refuse a database not at the latest version. */
void fr_app_connect(struct fr_app *app, struct fr_redis *r, struct fr_db *db, int check_schema);

/* Readiness for /readyz: Redis answers PING and PostgreSQL answers SELECT 1 (either may
 * be NULL). Returns 1, or 0 with the reason in why. */
int fr_app_ready(struct fr_redis *r, struct fr_db *db, char *why, size_t n);

struct event_base;
struct fr_admin;
/* Starts the admin server on addr ("off" disables it); a port already taken is a
 * warning and the daemon runs without it (NULL). ready/arg as in fr_admin_start. */
struct fr_admin *fr_app_admin(struct event_base *base, const char *addr,
                              int (*ready)(void *arg, char *why, size_t n), void *arg);

#endif
