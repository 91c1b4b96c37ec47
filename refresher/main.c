/*
 * freshet-refresher — staleness and recovery: re-queues active rows that are due,
 * reaps work held by dead processors, re-enqueues pending rows Redis lost.
 *
 * This is the start-up skeleton: configuration, connections and the event loop; the
 * refresh pass itself arrives with the pipeline.
 */
#include <event2/event.h>
#include <stdlib.h>

#include "common/app.h"
#include "common/log.h"
#include "common/sig.h"

struct refr_config {
    struct fr_common_config common;
    const char *admin_addr;
    int64_t interval_ms;
    int64_t refresh_min_ms;
    int64_t refresh_max_ms;
    int64_t grace_ms;
    int once;
};

static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct refr_config),
    {"FRESHET_ADMIN_ADDR", "admin-addr", FR_OPT_ADDR, "127.0.0.1:9103", 0, 0,
     offsetof(struct refr_config, admin_addr), "admin HTTP address (/metrics, /healthz), or off"},
    {"FRESHET_REFRESH_PASS", "pass-interval", FR_OPT_DURATION, "5s", 100, 3600000,
     offsetof(struct refr_config, interval_ms), "time between refresh passes"},
    {"FRESHET_REFRESH_MIN", "refresh-min", FR_OPT_DURATION, "15m", 1000, 31536000000,
     offsetof(struct refr_config, refresh_min_ms), "shortest adaptive refresh interval"},
    {"FRESHET_REFRESH_MAX", "refresh-max", FR_OPT_DURATION, "7d", 1000, 31536000000,
     offsetof(struct refr_config, refresh_max_ms), "longest adaptive refresh interval"},
    {"FRESHET_GRACE", "grace", FR_OPT_DURATION, "8s", 0, 600000,
     offsetof(struct refr_config, grace_ms), "how long SIGTERM may take"},
    {"FRESHET_ONCE", "once", FR_OPT_FLAG, "false", 0, 0, offsetof(struct refr_config, once),
     "run one pass and exit (cron style)"},
};

static void on_stop(int signo, void *arg)
{
    (void)signo;
    event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    struct refr_config cfg = {0};
    struct fr_app app = {
        .program = "freshet-refresher",
        .usage = "[OPTIONS]",
        .summary = "Re-queues active rows whose adaptive refresh is due (by priority), recovers work\n"
                   "held by dead processors or lost by Redis, and applies retention.",
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
    };
    struct fr_redis redis;
    struct fr_db db;
    struct event_base *base;
    struct fr_sig *sig;

    fr_app_init(&app, argc, argv, NULL);
    fr_config_log("starting " FRESHET_VERSION, opts, app.nopts, &cfg);
    fr_app_connect(&app, &redis, &db, 1);
    base = event_base_new();
    sig = fr_sig_install(base, on_stop, base);
    if (!cfg.once)
        event_base_dispatch(base);
    log_info("stopped");
    fr_sig_free(sig);
    event_base_free(base);
    fr_redis_close(&redis);
    fr_db_release(&db);
    fr_log_reset();
    return 0;
}
