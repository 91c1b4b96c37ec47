/*
 * freshet-processor — enrichment: reliable batch pop, batched detail fetch (Keepa
 * /product), normalize, upsert, history snapshot, active.
 *
 * This is the start-up skeleton: configuration, connections and the event loop; the
 * enrichment itself arrives with the pipeline.
 */
#include <event2/event.h>
#include <stdlib.h>

#include "common/app.h"
#include "common/log.h"
#include "common/sig.h"
#include "common/sources/keepa_opts.h"

struct proc_config {
    struct fr_common_config common;
    struct fr_keepa_config keepa;
    const char *admin_addr;
    int64_t batch;
    int64_t concurrency;
    int64_t max_attempts;
    int64_t grace_ms;
    int once;
};

static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct proc_config),
    FR_KEEPA_OPTS(struct proc_config),
    {"FRESHET_ADMIN_ADDR", "admin-addr", FR_OPT_ADDR, "127.0.0.1:9102", 0, 0,
     offsetof(struct proc_config, admin_addr), "admin HTTP address (/metrics, /healthz), or off"},
    {"FRESHET_BATCH", "batch", FR_OPT_INT, "100", 1, 100, offsetof(struct proc_config, batch),
     "ids per upstream request"},
    {"FRESHET_CONCURRENCY", "concurrency", FR_OPT_INT, "64", 1, 1024,
     offsetof(struct proc_config, concurrency), "upstream requests in flight"},
    {"FRESHET_MAX_ATTEMPTS", "max-attempts", FR_OPT_INT, "5", 1, 100,
     offsetof(struct proc_config, max_attempts), "tries before an item becomes failed"},
    {"FRESHET_GRACE", "grace", FR_OPT_DURATION, "8s", 0, 600000,
     offsetof(struct proc_config, grace_ms), "how long SIGTERM may take"},
    {"FRESHET_ONCE", "once", FR_OPT_FLAG, "false", 0, 0, offsetof(struct proc_config, once),
     "run one pass and exit (cron style)"},
};

static void on_stop(int signo, void *arg)
{
    (void)signo;
    event_base_loopbreak(arg);
}

int main(int argc, char **argv)
{
    struct proc_config cfg = {0};
    struct fr_app app = {
        .program = "freshet-processor",
        .usage = "[OPTIONS]",
        .summary = "Takes queued ids in batches, fetches their details (Keepa /product), normalizes,\n"
                   "upserts them with a history snapshot and marks them active.",
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
