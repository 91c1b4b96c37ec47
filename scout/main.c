/*
 * freshet-scout — discovery: pages the cheap discovery endpoint (Keepa /deal), inserts
 * unseen ids as pending_processing and enqueues only the new ones.
 *
 * This is the start-up skeleton: configuration, connections and the event loop; the
 * discovery pass itself arrives with the pipeline.
 */
#include <event2/event.h>
#include <stdlib.h>

#include "common/app.h"
#include "common/log.h"
#include "common/sig.h"
#include "common/sources/keepa_opts.h"

struct scout_config {
    struct fr_common_config common;
    struct fr_keepa_config keepa;
    const char *admin_addr;
    int64_t interval_ms;
    int64_t grace_ms;
    int once;
};

static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct scout_config),
    FR_KEEPA_OPTS(struct scout_config),
    {"FRESHET_ADMIN_ADDR", "admin-addr", FR_OPT_ADDR, "127.0.0.1:9101", 0, 0,
     offsetof(struct scout_config, admin_addr), "admin HTTP address (/metrics, /healthz), or off"},
    {"FRESHET_SCOUT_INTERVAL", "interval", FR_OPT_DURATION, "5m", 1000, 86400000,
     offsetof(struct scout_config, interval_ms), "time between discovery passes"},
    {"FRESHET_GRACE", "grace", FR_OPT_DURATION, "8s", 0, 600000,
     offsetof(struct scout_config, grace_ms), "how long SIGTERM may take"},
    {"FRESHET_ONCE", "once", FR_OPT_FLAG, "false", 0, 0, offsetof(struct scout_config, once),
     "run one pass and exit (cron style)"},
};

static void on_stop(int signo, void *arg)
{
    (void)signo;
    event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    struct scout_config cfg = {0};
    struct fr_app app = {
        .program = "freshet-scout",
        .usage = "[OPTIONS]",
        .summary = "Discovers new ids on the upstream's cheap discovery endpoint (Keepa /deal),\n"
                   "inserts the unseen ones as pending_processing and enqueues them.",
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
