/*
 * app — see app.h.
 */
#include "common/app.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/admin.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/migrate.h"
#include "common/sig.h"

void fr_app_print_help(const struct fr_app *app, FILE *f)
{
    fprintf(f, "Usage: %s %s\n\n%s\n\n", app->program, app->usage, app->summary);
    fr_config_usage(f, app->opts, app->nopts);
    if (app->epilog)
        fprintf(f, "\n%s", app->epilog);
    if (app->one_source)
        fprintf(f, "\nIt works on one source: --source NAME, else FRESHET_SOURCE when that names "
                   "one\n(a comma list of several is refused).\n");
    fprintf(f, "\nDurations are written 500ms, 90s, 15m, 6h or 7d. Exit status: 0 success, "
               "1 runtime failure, 2 bad usage or configuration.\n");
}

static void set_worker_id(struct fr_app *app)
{
    char host[64] = "host";

    if (app->common->worker_id && *app->common->worker_id) {
        fr_strlcpy(app->worker_id, app->common->worker_id, sizeof(app->worker_id));
        return;
    }
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    snprintf(app->worker_id, sizeof(app->worker_id), "%s-%ld", host, (long)getpid());
}

/* A daemon's big blocks (response bodies, a batch's write parameters: 100+ KB each, held
 * for a while, many at once) come from mmap and go back to the system when freed. glibc
 * would otherwise raise its mmap threshold after the first such free and carve them from
 * the heap, whose high-water mark a process keeps for the rest of its life. */
static void tune_malloc(void)
{
    mallopt(M_MMAP_THRESHOLD, 64 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024);
    mallopt(M_ARENA_MAX, 2);
}

/* libcurl cannot cancel a host name lookup: stopping waits for it, and with glibc's
 * defaults (5 s a try, 2 tries a server) a DNS server that does not answer held SIGTERM
 * past the grace period (a scout container killed at `docker-compose down`). Unless the
 * environment sets its own, lookups give up after 1 s a try, 2 tries. */
static void bound_dns_lookups(void)
{
    if (getenv("RES_OPTIONS") == NULL)
        setenv("RES_OPTIONS", FR_APP_RES_OPTIONS, 0);
}

void fr_app_init(struct fr_app *app, int argc, char **argv, int *first_arg)
{
    struct fr_error err = {0};
    int rc;

    tune_malloc();
    bound_dns_lookups();
    /* Register secrets before anything can be logged, even a usage error: the value of
     * every secret setting's variable (a source's key among them). */
    for (size_t i = 0; i < app->nopts; i++) {
        if (app->opts[i].type == FR_OPT_SECRET && app->opts[i].env != NULL)
            fr_log_add_secret(getenv(app->opts[i].env));
    }
    fr_log_init(app->program, FR_LOG_INFO, FR_LOG_AUTO);
    rc = fr_config_parse(app->opts, app->nopts, app->cfg, argc, argv, first_arg, &err);
    if (rc == FR_CONFIG_HELP) {
        fr_app_print_help(app, stdout);
        exit(0);
    }
    if (rc == FR_CONFIG_VERSION) {
        printf("%s %s\n", app->program, FRESHET_VERSION);
        exit(0);
    }
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", app->program, err.msg);
        exit(2);
    }
    if (app->one_source && strchr(app->common->source, ',') != NULL) {
        fprintf(stderr, "%s: FRESHET_SOURCE: names several sources ('%s'): pick one with "
                        "--source NAME\n", app->program, app->common->source);
        exit(2);
    }
    fr_log_init(app->program, app->common->log_level, app->common->log_format);
    set_worker_id(app);
    fr_log_set_global("worker", app->worker_id);
    fr_log_set_global("source", app->common->source);
}

void fr_app_connect(struct fr_app *app, struct fr_redis *r, struct fr_db *db, int check_schema)
{
    struct fr_error err = {0};
    int64_t timeout = app->common->connect_timeout_ms;
    const volatile int *stop = (const volatile int *)&fr_sig_stop_requested;

    if (r != NULL) {
        if (fr_redis_init(r, app->common->redis_url, timeout, 5000, &err) != 0 ||
            fr_redis_connect_wait(r, timeout, stop, &err) != 0) {
            log_error("%s", err.msg);
            exit(fr_err_exit_status(err.code));
        }
        fr_redis_warn_policy(r);
    }
    if (db != NULL) {
        if (fr_db_init(db, app->common->database_url, app->program, timeout, &err) != 0 ||
            fr_db_connect_wait(db, timeout, stop, &err) != 0 ||
            (check_schema && fr_migrate_check(db, &err) != 0)) {
            log_error("%s", err.msg);
            exit(fr_err_exit_status(err.code));
        }
    }
}

int fr_app_ready(struct fr_redis *r, struct fr_db *db, char *why, size_t n)
{
    struct fr_error err = {0};

    if (r != NULL && fr_redis_cmd(r, NULL, &err, "PING") != 0) {
        snprintf(why, n, "redis unreachable: %s", err.msg);
        return 0;
    }
    if (db != NULL && fr_db_exec(db, "SELECT 1", &err) != 0) {
        snprintf(why, n, "postgresql unreachable: %s", err.msg);
        return 0;
    }
    return 1;
}

struct fr_admin *fr_app_admin(struct event_base *base, const char *addr,
                              int (*ready)(void *arg, char *why, size_t n), void *arg)
{
    struct fr_error err = {0};
    struct fr_admin *a = fr_admin_start(base, addr, ready, arg, &err);

    if (a == NULL && err.code != 0)
        log_warn("admin HTTP disabled: %s", err.msg);
    else if (a != NULL)
        log_info_kv(FR_KV("addr", addr), "admin HTTP listening on port %d", fr_admin_port(a));
    return a;
}
