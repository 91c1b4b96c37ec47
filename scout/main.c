/*
 * freshet-scout — discovery: pages the source's cheap discovery endpoint, inserts
 * unseen ids as pending_processing (one statement a page) and enqueues exactly those.
 * A pass runs every FRESHET_SCOUT_INTERVAL, or once with --once.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common/admin.h"
#include "common/app.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/mem.h"
#include "common/sig.h"
#include "common/sourcelist.h"
#include "scout/scout.h"

#define C(field) offsetof(struct scout_config, field)

static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct scout_config),
    FR_SOURCE_OPTS(struct scout_config),
    {"FRESHET_ADMIN_ADDR", "admin-addr", FR_OPT_ADDR, "127.0.0.1:9101", 0, 0, C(admin_addr),
     "admin HTTP address (/metrics, /healthz, /readyz), or off"},
    {"FRESHET_SCOUT_INTERVAL", "interval", FR_OPT_DURATION, "5m", 100, 86400000, C(interval_ms),
     "time between discovery passes"},
    {"FRESHET_SCOUT_AHEAD", "ahead", FR_OPT_INT, "4", 1, SCOUT_MAX_AHEAD, C(ahead),
     "discovery pages requested concurrently"},
    {"FRESHET_SCOUT_MAX_PAGES", "max-pages", FR_OPT_INT, "0", 0, 1000000, C(max_pages),
     "pages per pass (trickle backfill; the cursor resumes next pass), 0 = to the end"},
    {"FRESHET_QUEUE_HIGH_WATER", "high-water", FR_OPT_INT, "200000", 1, 1000000000,
     C(high_water), "discovery waits while the queue holds more ids than this"},
    {"FRESHET_TOKEN_PERIOD", "token-period", FR_OPT_DURATION, "60s", 10, 3600000,
     C(token_period_ms), "upstream token refill period (the built-in source's: one minute)"},
    {"FRESHET_DB_CONNECTIONS", "db-connections", FR_OPT_INT, "2", 1, 16, C(db_conns),
     "PostgreSQL connections for the page statements (run without blocking the loop)"},
    {"FRESHET_GRACE", "grace", FR_OPT_DURATION, "8s", 0, 600000, C(grace_ms),
     "how long SIGTERM may take"},
    {"FRESHET_ONCE", "once", FR_OPT_FLAG, "false", 0, 0, C(once),
     "run one discovery pass and exit"},
};

void scout_finished(struct scout *s)
{
    fr_fleet_finished(&s->fleet->core, s->slot);
}

static void on_pass(evutil_socket_t fd, short what, void *arg)
{
    struct scout *s = arg;
    /* A source file's discover.interval overrides FRESHET_SCOUT_INTERVAL. */
    int64_t ms = s->src->lim.discover_interval_ms > 0 ? s->src->lim.discover_interval_ms
                                                       : s->cfg->interval_ms;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

    (void)fd;
    (void)what;
    if (!s->stopping && !s->cfg->once)
        evtimer_add(s->pass_ev, &tv);
    if (s->running)
        log_warn("previous discovery pass still running: this one is skipped");
    else
        scout_pass_start(s);
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
    struct scout *s = arg;

    (void)fd;
    (void)what;
    fr_http_cancel_all(s->http);
    scout_finished(s);
}

static void stop(struct scout *s)
{
    int64_t ms = s->cfg->grace_ms > 1000 ? s->cfg->grace_ms - 1000 : s->cfg->grace_ms / 2;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

    s->stopping = 1;
    evtimer_del(s->pass_ev);
    if (!s->running) {
        scout_finished(s);
        return;
    }
    evtimer_add(s->grace_ev, &tv);
    scout_step_soon(s, 0);
}

static void on_stop(int signo, void *arg)
{
    struct scout_fleet *f = arg;

    (void)signo;
    for (size_t i = 0; i < f->n; i++)
        stop(&f->scouts[i]);
}

/* Opens each listed source with its own copy of the configuration (its name in
 * common.source). Returns 0, or the exit status after printing the reason. */
static int open_sources(struct scout_fleet *f, const struct scout_config *cfg,
                        const struct fr_source_list *list)
{
    struct fr_error err = {0};

    f->scouts = fr_xcalloc(list->n, sizeof(*f->scouts));
    f->cfgs = fr_xcalloc(list->n, sizeof(*f->cfgs));
    for (; f->n < list->n; f->n++) {
        struct scout *s = &f->scouts[f->n];

        f->cfgs[f->n] = *cfg;
        f->cfgs[f->n].common.source = list->names[f->n];
        s->cfg = &f->cfgs[f->n];
        s->fleet = f;
        if (fr_source_open(s->cfg->common.source, &f->cfgs[f->n].src, &s->src, &err) != 0)
            break;
    }
    if (f->n == list->n)
        return 0;
    fprintf(stderr, "freshet-scout: %s\n", err.msg);
    for (size_t i = 0; i < f->n; i++)
        fr_source_close(f->scouts[i].src);
    free(f->scouts);
    free(f->cfgs);
    return fr_err_exit_status(err.code);
}

/* Connects s and makes its events; exits 1 when that fails (before any work). */
static void setup(struct scout *s, struct fr_app *app)
{
    const struct scout_config *cfg = s->cfg;
    struct fr_error err = {0};

    s->base = s->fleet->core.base;
    fr_app_connect(app, &s->redis, &s->db, 1);
    fr_queue_init(&s->queue, &s->redis, cfg->common.source, app->worker_id);
    fr_budget_init(&s->budget, &s->redis, cfg->common.source, cfg->token_period_ms, 0);
    s->http = fr_http_new(s->base, (int)cfg->ahead + 2, &err);
    if (s->http != NULL)
        s->dbq = fr_dbq_new(s->base, cfg->common.database_url, app->program, (int)cfg->db_conns,
                            cfg->common.connect_timeout_ms, &err);
    if (s->http == NULL || s->dbq == NULL) {
        log_error("start-up failed: %s", err.msg);
        exit(1); /* what fr_app_connect opened is still reachable: no leak report */
    }
    fr_http_set_worker(s->http, app->worker_id);
    fr_upstream_init(&s->up, s->http, &s->budget, s->src);
    s->slot = fr_fleet_add(&s->fleet->core, &s->up, &s->redis, &s->db);
    s->pass_ev = evtimer_new(s->base, on_pass, s);
    s->step_ev = evtimer_new(s->base, scout_step_cb, s);
    s->grace_ev = evtimer_new(s->base, on_grace, s);
    fr_metrics_on_scrape(fr_queue_export_depths, &s->queue);
    event_active(s->pass_ev, EV_TIMEOUT, 0);
}

static void teardown(struct scout *s)
{
    log_info("stopped after %llu passes of '%s'", (unsigned long long)s->passes,
             s->cfg->common.source);
    fr_dbq_free(s->dbq); /* a page still being stored fails: the cursor did not pass it */
    fr_http_free(s->http);
    fr_source_close(s->src);
    scout_pass_free(s);
    event_free(s->pass_ev);
    event_free(s->step_ev);
    event_free(s->grace_ev);
    fr_redis_close(&s->redis);
    fr_db_release(&s->db);
}

int main(int argc, char **argv)
{
    struct scout_config cfg = {0};
    struct scout_fleet f = {0};
    struct fr_source_list list;
    struct fr_app app = {
        .program = "freshet-scout",
        .usage = "[OPTIONS]",
        .summary = "Discovers new ids on the upstream's cheap discovery endpoint (the built-in\n"
                   "source's /deal), inserts the unseen ones as pending_processing and enqueues\n"
                   "them. FRESHET_SOURCE=a,b discovers each listed source side by side in this\n"
                   "process, each with its own passes, budget and breaker.",
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
    };
    struct fr_error err = {0};
    struct fr_sig *sig;
    int rc, exit_code = 0;

    fr_app_init(&app, argc, argv, NULL);
    fr_config_log("starting " FRESHET_VERSION, opts, app.nopts, &cfg);
    if (fr_source_list_parse(cfg.common.source, &list, &err) != 0) {
        fprintf(stderr, "freshet-scout: FRESHET_SOURCE: %s\n", err.msg);
        return 2;
    }
    if ((rc = open_sources(&f, &cfg, &list)) != 0)
        return rc;
    fr_fleet_init(&f.core);
    for (size_t i = 0; i < f.n; i++)
        setup(&f.scouts[i], &app);
    sig = fr_sig_install(f.core.base, on_stop, &f);
    fr_fleet_admin(&f.core, cfg.admin_addr);
    event_base_dispatch(f.core.base);
    fr_sig_free(sig);
    for (size_t i = 0; i < f.n; i++) {
        teardown(&f.scouts[i]);
        if (f.scouts[i].exit_code > exit_code)
            exit_code = f.scouts[i].exit_code;
    }
    fr_fleet_release(&f.core);
    free(f.scouts);
    free(f.cfgs);
    fr_metrics_reset();
    fr_log_reset();
    return exit_code;
}
