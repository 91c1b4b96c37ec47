/*
 * freshet-refresher — staleness and recovery: every pass re-queues active rows whose
 * adaptive refresh is due (by priority, within the budget minus a reserve), promotes
 * due retries, requeues work of dead processors, re-enqueues pending rows Redis lost;
 * hourly it keeps history partitions and applies retention.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/admin.h"
#include "common/app.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/mem.h"
#include "common/sig.h"
#include "common/sourcelist.h"
#include "refresher/refr.h"

#define C(field) offsetof(struct refr_config, field)

static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct refr_config),
    {"FRESHET_ADMIN_ADDR", "admin-addr", FR_OPT_ADDR, "127.0.0.1:9103", 0, 0, C(admin_addr),
     "admin HTTP address (/metrics, /healthz, /readyz), or off"},
    {"FRESHET_REFRESH_PASS", "pass-interval", FR_OPT_DURATION, "5s", 100, 3600000, C(pass_ms),
     "time between refresh passes"},
    {"FRESHET_REFRESH_MIN", "refresh-min", FR_OPT_DURATION, "15m", 1000, 31536000000,
     C(refresh_min_ms), "shortest adaptive refresh interval"},
    {"FRESHET_REFRESH_MAX", "refresh-max", FR_OPT_DURATION, "7d", 1000, 31536000000,
     C(refresh_max_ms), "longest adaptive refresh interval"},
    {"FRESHET_REFRESH_PER_PASS", "per-pass", FR_OPT_INT, "5000", 1, 1000000, C(per_pass),
     "most due rows re-queued in one pass"},
    {"FRESHET_REFRESH_POLICY", "refresh-policy", FR_OPT_IDENT, "budget", 0, 0, C(policy),
     "budget: solve which items to refresh how often for the most expected freshness within "
     "the measured budget, and spend tokens that would go unused; adaptive: only the "
     "processors' inc/dec factors"},
    {"FRESHET_REFRESH_SHARE", "refresh-share", FR_OPT_DOUBLE, "0.9", 0, 1, C(refresh_share),
     "share of the budget's refill the refresh plan may spend (the rest is for discovery)"},
    {"FRESHET_QUEUE_LOW_WATER", "low-water", FR_OPT_INT, "20000", 1, 1000000000, C(low_water),
     "due rows are re-queued only while the queue holds fewer ids than this"},
    {"FRESHET_TOKEN_RESERVE", "token-reserve", FR_OPT_INT, "50", 0, 1000000000, C(reserve),
     "tokens refreshing leaves to discovery"},
    {"FRESHET_RECOVER_AFTER", "recover-after", FR_OPT_DURATION, "30s", 0, 86400000,
     C(recover_after_ms), "a pending row no Redis key holds for this long is re-enqueued"},
    {"FRESHET_LEASE", "lease", FR_OPT_DURATION, "2m", 1000, 86400000, C(lease_ms),
     "the processors' lease: after Redis lost its data, pending rows are re-enqueued once "
     "this has passed (batches in flight then are done); a row re-queued for refresh is "
     "not re-queued again within it"},
    {"FRESHET_RETENTION", "retention", FR_OPT_DURATION, "365d", 86400000, 315360000000,
     C(retention_ms), "history partitions and worker runs older than this are dropped"},
    {"FRESHET_TOKEN_PERIOD", "token-period", FR_OPT_DURATION, "60s", 10, 3600000,
     C(token_period_ms), "upstream token refill period (the built-in source's: one minute)"},
    {"FRESHET_GRACE", "grace", FR_OPT_DURATION, "8s", 0, 600000, C(grace_ms),
     "how long SIGTERM may take"},
    {"FRESHET_ONCE", "once", FR_OPT_FLAG, "false", 0, 0, C(once), "run one pass and exit"},
};

/* One pass; returns 0 when every step worked. Steps are independent: one failing
 * (Redis down, say) does not keep the others from running. */
static int pass(struct refr *r)
{
    struct fr_error err = {0};
    int64_t now = fr_mono_ms();
    int failed = 0;

    if (refr_recover(r, &err) != 0) {
        log_warn("recovery step failed: %s", err.msg);
        failed = 1;
    }
    fr_error_clear(&err);
    if (refr_due(r, &err) != 0) {
        log_warn("due step failed: %s", err.msg);
        failed = 1;
    }
    fr_error_clear(&err);
    if (r->budget_policy && !r->stopping &&
        (r->plan_at_ms == 0 || now - r->plan_at_ms >= REFR_PLAN_MS) && refr_plan(r, &err) != 0)
        log_warn("refresh plan failed: %s", err.msg);
    fr_error_clear(&err);
    if ((r->last_upkeep_ms == 0 || now - r->last_upkeep_ms > 3600000) && !r->stopping) {
        if (refr_upkeep(r, &err) != 0)
            log_warn("upkeep failed: %s", err.msg);
        else
            r->last_upkeep_ms = now;
    }
    fr_error_clear(&err);
    if ((r->last_staleness_ms == 0 || now - r->last_staleness_ms > 30000) && !r->stopping &&
        refr_staleness(r, &err) == 0 && refr_failed_runs(r, &err) == 0)
        r->last_staleness_ms = now;
    r->stats.passes++;
    return failed;
}

/* The loop ends once every source of the process is finished. */
static void finished(struct refr *r)
{
    fr_fleet_finished(&r->fleet->core, r->slot);
}

static void on_pass(evutil_socket_t fd, short what, void *arg)
{
    struct refr *r = arg;
    struct timeval tv = {(time_t)(r->cfg->pass_ms / 1000),
                         (suseconds_t)((r->cfg->pass_ms % 1000) * 1000)};
    int failed;

    (void)fd;
    (void)what;
    failed = pass(r);
    if (r->cfg->once || r->stopping) {
        if (r->cfg->once && failed)
            r->stopping = 2; /* exit status 1 */
        finished(r);
        return;
    }
    evtimer_add(r->pass_ev, &tv);
}

static void on_stop(int signo, void *arg)
{
    struct refr_fleet *f = arg;

    (void)signo;
    /* A pass runs inside one callback: between passes there is nothing to hand back. */
    for (size_t i = 0; i < f->n; i++) {
        f->refrs[i].stopping = f->refrs[i].stopping ? f->refrs[i].stopping : 1;
        finished(&f->refrs[i]);
    }
}

static void setup(struct refr *r, struct fr_app *app)
{
    const struct refr_config *c = r->cfg;

    r->budget_policy = strcmp(c->policy, "budget") == 0;
    r->base = r->fleet->core.base;
    fr_app_connect(app, &r->redis, &r->db, 1);
    r->slot = fr_fleet_add(&r->fleet->core, NULL, &r->redis, &r->db);
    fr_queue_init(&r->queue, &r->redis, c->common.source, app->worker_id);
    fr_budget_init(&r->budget, &r->redis, c->common.source, c->token_period_ms, c->reserve);
    fr_pace_init(&r->pace, &r->redis, c->common.source, "refresh");
    r->pass_ev = evtimer_new(r->base, on_pass, r);
    fr_metrics_on_scrape(fr_queue_export_depths, &r->queue);
    event_active(r->pass_ev, EV_TIMEOUT, 0);
}

static void teardown(struct refr *r)
{
    log_info("stopped after %llu passes: %llu re-queued, %llu retries promoted, %llu items "
             "of %llu dead workers requeued, %llu lost items re-enqueued of '%s'",
             (unsigned long long)r->stats.passes, (unsigned long long)r->stats.requeued,
             (unsigned long long)r->stats.promoted, (unsigned long long)r->stats.reaped_items,
             (unsigned long long)r->stats.reaped_workers, (unsigned long long)r->stats.recovered,
             r->cfg->common.source);
    event_free(r->pass_ev);
    fr_redis_close(&r->redis);
    fr_db_release(&r->db);
}

/* One refresher per listed source, each with its own copy of the configuration (its
 * name in common.source). */
static void open_sources(struct refr_fleet *f, const struct refr_config *cfg,
                         const struct fr_source_list *list)
{
    f->refrs = fr_xcalloc(list->n, sizeof(*f->refrs));
    f->cfgs = fr_xcalloc(list->n, sizeof(*f->cfgs));
    for (f->n = 0; f->n < list->n; f->n++) {
        f->cfgs[f->n] = *cfg;
        f->cfgs[f->n].common.source = list->names[f->n];
        f->refrs[f->n].cfg = &f->cfgs[f->n];
        f->refrs[f->n].fleet = f;
    }
}

int main(int argc, char **argv)
{
    struct refr_config cfg = {0};
    struct refr_fleet f = {0};
    struct fr_source_list list;
    struct fr_error err = {0};
    struct fr_app app = {
        .program = "freshet-refresher",
        .usage = "[OPTIONS]",
        .summary = "Re-queues active rows whose adaptive refresh is due (by priority), recovers work\n"
                   "held by dead processors or lost by Redis, and applies retention.\n"
                   "FRESHET_SOURCE=a,b keeps each listed source on its own schedule and budget.",
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
    };
    struct fr_sig *sig;
    int exit_code = 0;

    fr_app_init(&app, argc, argv, NULL);
    if (strcmp(cfg.policy, "budget") != 0 && strcmp(cfg.policy, "adaptive") != 0) {
        fprintf(stderr, "freshet-refresher: FRESHET_REFRESH_POLICY: must be budget or adaptive "
                        "(got '%s')\n", cfg.policy);
        return 2;
    }
    if (cfg.refresh_min_ms > cfg.refresh_max_ms) {
        fprintf(stderr, "freshet-refresher: FRESHET_REFRESH_MIN: must not exceed "
                        "FRESHET_REFRESH_MAX\n");
        return 2;
    }
    if (fr_source_list_parse(cfg.common.source, &list, &err) != 0) {
        fprintf(stderr, "freshet-refresher: FRESHET_SOURCE: %s\n", err.msg);
        return 2;
    }
    fr_config_log("starting " FRESHET_VERSION, opts, app.nopts, &cfg);
    open_sources(&f, &cfg, &list);
    fr_fleet_init(&f.core);
    for (size_t i = 0; i < f.n; i++)
        setup(&f.refrs[i], &app);
    sig = fr_sig_install(f.core.base, on_stop, &f);
    fr_fleet_admin(&f.core, cfg.admin_addr);
    event_base_dispatch(f.core.base);
    fr_sig_free(sig);
    for (size_t i = 0; i < f.n; i++) {
        teardown(&f.refrs[i]);
        if (f.refrs[i].stopping == 2)
            exit_code = 1;
    }
    fr_fleet_release(&f.core);
    free(f.refrs);
    free(f.cfgs);
    fr_metrics_reset();
    fr_log_reset();
    return exit_code;
}
