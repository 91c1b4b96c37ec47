/*
 * freshet-processor — enrichment: claims batches of queued ids, fetches their details
 * from the source (up to its max_ids a request, many requests in flight on one libevent
 * loop), normalizes and validates them, and writes payload, history and `active` in
 * one statement per batch. Retries with backoff; dead-letters after the last attempt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/admin.h"
#include "common/app.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/freshness.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/metrics.h"
#include "common/sig.h"
#include "common/sourcelist.h"
#include "common/sources/decl_config.h"
#include "processor/llm.h"
#include "processor/proc.h"

#define C(field) offsetof(struct proc_config, field)

static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct proc_config),
    FR_SOURCE_OPTS(struct proc_config),
    {"FRESHET_ADMIN_ADDR", "admin-addr", FR_OPT_ADDR, "127.0.0.1:9102", 0, 0, C(admin_addr),
     "admin HTTP address (/metrics, /healthz, /readyz), or off"},
    {"FRESHET_BATCH", "batch", FR_OPT_INT, "100", 1, 100, C(batch), "ids per upstream request"},
    {"FRESHET_CONCURRENCY", "concurrency", FR_OPT_INT, "64", 1, 1024, C(concurrency),
     "upstream requests in flight at most (fewer while answers wait for PostgreSQL)"},
    {"FRESHET_MAX_ATTEMPTS", "max-attempts", FR_OPT_INT, "5", 1, 100, C(max_attempts),
     "tries before an item becomes failed"},
    {"FRESHET_GRACE", "grace", FR_OPT_DURATION, "8s", 0, 600000, C(grace_ms),
     "how long SIGTERM may take"},
    {"FRESHET_LEASE", "lease", FR_OPT_DURATION, "2m", 1000, 86400000, C(lease_ms),
     "how long a batch may take from Redis to its write (must exceed the request time "
     "limit; give the refresher the same)"},
    {"FRESHET_DEDUPE_WINDOW", "dedupe-window", FR_OPT_DURATION, "10m", 0, 86400000,
     C(dedupe_ms), "an id fetched within this is not fetched again when queued twice "
     "(unless the refresher re-queued it since)"},
    {"FRESHET_IDLE_POLL", "idle-poll", FR_OPT_DURATION, "200ms", 10, 60000, C(idle_ms),
     "how often an empty queue is looked at again, at most (the first look comes 5 ms "
     "after the queue ran dry, then twice as long each time)"},
    {"FRESHET_HEARTBEAT", "heartbeat", FR_OPT_DURATION, "5s", 100, 600000, C(heartbeat_ms),
     "heartbeat period; work of a worker silent for 3 periods is requeued"},
    {"FRESHET_RETRY_BASE", "retry-base", FR_OPT_DURATION, "2s", 1, 86400000, C(retry_base_ms),
     "first retry delay (doubles per attempt, full jitter)"},
    {"FRESHET_RETRY_CAP", "retry-cap", FR_OPT_DURATION, "10m", 1, 86400000, C(retry_cap_ms),
     "longest retry delay"},
    {"FRESHET_TOKEN_PERIOD", "token-period", FR_OPT_DURATION, "60s", 10, 3600000,
     C(token_period_ms), "upstream token refill period (the built-in source's: one minute)"},
    {"FRESHET_REFRESH_MIN", "refresh-min", FR_OPT_DURATION, "15m", 1000, 31536000000,
     C(refresh_min_ms), "shortest adaptive refresh interval"},
    {"FRESHET_REFRESH_MAX", "refresh-max", FR_OPT_DURATION, "7d", 1000, 31536000000,
     C(refresh_max_ms), "longest adaptive refresh interval"},
    {"FRESHET_REFRESH_INC_RATE", "refresh-inc-rate", FR_OPT_DOUBLE, "0.4", 0, 1, C(inc_rate),
     "interval growth after a refresh that found no change"},
    {"FRESHET_REFRESH_DEC_RATE", "refresh-dec-rate", FR_OPT_DOUBLE, "0.2", 0, 1, C(dec_rate),
     "interval shrink after a refresh that found a change"},
    {"FRESHET_REFRESH_POLICY", "refresh-policy", FR_OPT_IDENT, "budget", 0, 0, C(policy),
     "budget: next refreshes from the refresher's plan (the budget spent where it buys the "
     "most freshness); adaptive: the intervals only move by the inc/dec factors"},
    {"FRESHET_DB_CONNECTIONS", "db-connections", FR_OPT_INT, "2", 1, 16, C(db_conns),
     "PostgreSQL connections for claims and writes (run without blocking the loop)"},
    FR_SOURCE_ENRICH_OPTS(struct proc_config),
    {"FRESHET_SOURCES_DIR", "sources-dir", FR_OPT_STR, FR_DECL_DEFAULT_DIR, 0, 0, C(sources_dir),
     "directory of source files: <source>.yaml with an analysis section turns the LLM "
     "analysis on"},
    {"FRESHET_LLM_CACHE_TTL", "llm-cache-ttl", FR_OPT_DURATION, "30d", 0, 31536000000,
     C(llm_cache_ttl_ms), "how long an LLM answer is reused for the same inputs"},
    {"FRESHET_ONCE", "once", FR_OPT_FLAG, "false", 0, 0, C(once),
     "process until the queue is empty, then exit"},
};

static void heartbeat(struct proc *p)
{
    char info[256];
    struct fr_error err = {0};

    snprintf(info, sizeof(info), "{\"program\":\"freshet-processor\",\"in_flight\":%d}",
             p->in_flight);
    if (fr_queue_heartbeat(&p->queue, 3 * p->cfg->heartbeat_ms, info, &err) != 0)
        log_warn("heartbeat failed: %s", err.msg);
}

/* Reads the source's refresh plan (written by the refresher) every PROC_PLAN_MS: one
 * short statement, and a batch written meanwhile uses the plan it finds. */
#define PROC_PLAN_MS 10000

static void load_plan(struct proc *p)
{
    const char *params[1] = {p->cfg->common.source};
    struct fr_error err = {0};
    PGresult *res;
    int64_t now = fr_mono_ms();

    if (!p->budget_policy || (p->plan_loaded_ms != 0 && now - p->plan_loaded_ms < PROC_PLAN_MS))
        return;
    p->plan_loaded_ms = now;
    if (fr_db_query(&p->db,
                    "SELECT intervals::text, coalesce(prior_rate, 0) FROM refresh_plans"
                    " WHERE source = $1",
                    1, params, &res, &err) != 0) {
        log_warn("could not read the refresh plan: %s", err.msg);
        return;
    }
    if (PQntuples(res) == 1) {
        free(p->plan);
        p->plan = fr_xstrdup(PQgetvalue(res, 0, 0));
        p->store.plan = p->plan;
        p->store.plan_prior = strtod(PQgetvalue(res, 0, 1), NULL);
    } else if (p->plan == NULL) {
        /* Until the refresher's first plan: every band at FRESHET_REFRESH_MIN, so the
         * first fetches come back as soon as the pace allows, not after a default
         * interval that nothing has measured. */
        struct fr_buf b = {0};

        for (int k = 0; k < FR_FRESH_BANDS; k++)
            fr_buf_printf(&b, "%s%.6g", k ? "," : "{", (double)p->cfg->refresh_min_ms / 1000.0);
        fr_buf_puts(&b, "}");
        p->plan = fr_xstrdup(fr_buf_str(&b));
        fr_buf_release(&b);
        p->store.plan = p->plan;
    }
    PQclear(res);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct proc *p = arg;
    int64_t waiting = 0;

    (void)fd;
    (void)what;
    heartbeat(p);
    load_plan(p);
    proc_llm_tick(p->llm);
    if (fr_queue_depths(&p->queue, &waiting, NULL, NULL, NULL) == 0)
        fr_gauge_set(fr_gauge_get("freshet_queue_depth", "Ids waiting in the queue",
                                  FR_LABELS("source", p->cfg->common.source)), (double)waiting);
    /* A source finished with --once claims nothing more while the others go on: the
     * loop may end at any moment, and a batch claimed then would be fetched twice. */
    if (!p->stopping && p->idle && !p->fleet->core.m[p->slot].done)
        proc_pump_soon(p, 0);
}

/* The loop ends once every source of the process is finished: with --once a source
 * whose queue is empty waits for the others instead of ending their work. (pump.c still
 * ends the loop itself when --once meets a budget it cannot sync or an upstream that
 * refuses for good: that run fails with status 1 whatever the other sources do.) */
static void finished(struct proc *p)
{
    fr_fleet_finished(&p->fleet->core, p->slot);
}

/* Each source arms its own at the same moment (SIGTERM reaches them all at once). */
static void on_grace(evutil_socket_t fd, short what, void *arg)
{
    struct proc *p = arg;

    (void)fd;
    (void)what;
    log_warn("grace period over with %d batches and %d analyses of '%s' in flight: "
             "cancelling them",
             p->in_flight, proc_llm_busy(p->llm), p->cfg->common.source);
    fr_http_cancel_all(p->http);
    proc_llm_cancel(p->llm);
    finished(p);
}

static void stop(struct proc *p)
{
    int64_t ms = p->cfg->grace_ms > 1000 ? p->cfg->grace_ms - 1000 : p->cfg->grace_ms / 2;
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

    p->stopping = 1;
    evtimer_del(p->pump_ev);
    proc_llm_stop(p->llm);
    evtimer_add(p->grace_ev, &tv);
    proc_quit_when_idle(p);
}

static void on_stop(int signo, void *arg)
{
    struct proc_fleet *f = arg;

    (void)signo;
    for (size_t i = 0; i < f->n; i++)
        stop(&f->procs[i]);
}

void proc_quit_when_idle(struct proc *p)
{
    p->quitting = 1;
    if (p->in_flight > 0)
        return;
    if (p->stopping ? proc_llm_busy(p->llm) > 0 : !proc_llm_drained(p->llm))
        return;
    finished(p);
}

static void setup(struct proc *p, struct fr_app *app)
{
    const struct proc_config *c = p->cfg;
    struct fr_error err = {0};
    struct timeval tick = {(time_t)(c->heartbeat_ms / 1000),
                           (suseconds_t)((c->heartbeat_ms % 1000) * 1000)};

    p->base = p->fleet->core.base;
    fr_app_connect(app, &p->redis, &p->db, 1);
    fr_queue_init(&p->queue, &p->redis, c->common.source, app->worker_id);
    fr_budget_init(&p->budget, &p->redis, c->common.source, c->token_period_ms, 0);
    p->http = fr_http_new(p->base, (int)c->concurrency + 4, &err);
    if (p->http != NULL)
        p->dbq = fr_dbq_new(p->base, c->common.database_url, app->program, (int)c->db_conns,
                            c->common.connect_timeout_ms, &err);
    if (p->http == NULL || p->dbq == NULL ||
        p->src->ops->schema(p->src->state, &p->schema, &err) != 0) {
        log_error("start-up failed: %s", err.msg);
        exit(1);
    }
    /* The check's plan hangs on the table's size: planned on every run, it reads by
     * primary key whatever the size was when a connection first ran it. */
    fr_dbq_replan(p->dbq, proc_check_sql);
    fr_http_set_worker(p->http, app->worker_id);
    fr_upstream_init(&p->up, p->http, &p->budget, p->src);
    p->slot = fr_fleet_add(&p->fleet->core, &p->up, &p->redis, &p->db);
    if (p->http)
        fr_http_limit_bodies(p->http, PROC_ANSWERED_PER_CONN * (int)c->db_conns);
    p->store = (struct proc_store_cfg){c->common.source, c->lease_ms, c->dedupe_ms,
                                       c->refresh_min_ms, c->refresh_max_ms, c->inc_rate,
                                       c->dec_rate, (int)c->max_attempts, NULL, 0};
    p->budget_policy = strcmp(c->policy, "budget") == 0;
    load_plan(p);
    p->rng = (uint64_t)fr_mono_us() ^ ((uint64_t)getpid() << 20);
    p->worker_id = app->worker_id;
    if (p->llm != NULL)
        proc_llm_start(p->llm);
    p->pump_ev = evtimer_new(p->base, proc_pump_cb, p);
    p->grace_ev = evtimer_new(p->base, on_grace, p);
    p->tick_ev = event_new(p->base, -1, EV_PERSIST, on_tick, p);
    evtimer_add(p->tick_ev, &tick);
    heartbeat(p);
    fr_metrics_on_scrape(fr_queue_export_depths, &p->queue);
    proc_pump_soon(p, 0);
}

static void teardown(struct proc *p)
{
    struct fr_error err = {0};

    /* Batches still held stay registered: the reaper requeues them when our heartbeat
     * expires. Retiring now would orphan them. */
    if (p->in_flight == 0 && fr_queue_retire(&p->queue, &err) != 0)
        log_warn("could not unregister: %s", err.msg);
    fr_http_free(p->http);
    proc_llm_cancel(p->llm); /* calls in flight are handed back */
    fr_dbq_free(p->dbq);     /* settle statements still queued fail: their leases run out */
    proc_llm_free(p->llm);
    event_free(p->pump_ev);
    event_free(p->grace_ev);
    event_free(p->tick_ev);
    fr_source_close(p->src);
    free(p->plan);
    fr_redis_close(&p->redis);
    fr_db_release(&p->db);
}

static void log_stats(const struct proc *p)
{
    log_info("stopped: %llu active, %llu failed, %llu retried, %llu dropped as duplicates, "
             "%llu deferred, %llu dead letters, %llu history rows, %llu requests of '%s'",
             (unsigned long long)p->stats.active, (unsigned long long)p->stats.failed,
             (unsigned long long)p->stats.retried, (unsigned long long)p->stats.dropped,
             (unsigned long long)p->stats.deferred, (unsigned long long)p->stats.dead,
             (unsigned long long)p->stats.history, (unsigned long long)p->stats.requests,
             p->cfg->common.source);
}

/* Opens each listed source with its own copy of the configuration (its name in
 * common.source, FRESHET_BATCH within its max_ids) and its LLM step. Returns 0, or the
 * exit status after printing the reason (the sources opened so far are closed). */
static int open_sources(struct proc_fleet *f, const struct proc_config *cfg,
                        const struct fr_source_list *list)
{
    struct fr_error err = {0};

    f->procs = fr_xcalloc(list->n, sizeof(*f->procs));
    f->cfgs = fr_xcalloc(list->n, sizeof(*f->cfgs));
    for (; f->n < list->n; f->n++) {
        struct proc *p = &f->procs[f->n];
        struct proc_config *c = &f->cfgs[f->n];

        *c = *cfg;
        c->common.source = list->names[f->n];
        p->cfg = c;
        p->fleet = f;
        if (fr_source_open(c->common.source, &c->src, &p->src, &err) != 0)
            break;
        if ((size_t)c->batch > p->src->lim.max_ids)
            c->batch = (int64_t)p->src->lim.max_ids; /* FRESHET_BATCH within the source's */
        if (proc_llm_load(p, c->sources_dir, &p->llm, &err) != 0) {
            fr_source_close(p->src);
            err.code = FR_ERR_USAGE;
            break;
        }
    }
    if (f->n == list->n)
        return 0;
    fprintf(stderr, "freshet-processor: %s\n", err.msg);
    for (size_t i = 0; i < f->n; i++) {
        proc_llm_free(f->procs[i].llm);
        fr_source_close(f->procs[i].src);
    }
    free(f->procs);
    free(f->cfgs);
    return fr_err_exit_status(err.code);
}

int main(int argc, char **argv)
{
    struct proc_config cfg = {0};
    struct proc_fleet f = {0};
    struct fr_source_list list;
    struct fr_app app = {
        .program = "freshet-processor",
        .usage = "[OPTIONS]",
        .summary = "Takes queued ids in batches, fetches their details from the source, normalizes\n"
                   "and validates them, and upserts payload, history snapshot and active status.\n"
                   "FRESHET_SOURCE=a,b serves each listed source side by side in this process,\n"
                   "each with its own queue, budget, breaker and requests.",
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
    };
    struct fr_sig *sig;
    struct fr_error err = {0};
    int rc, exit_code = 0;

    fr_app_init(&app, argc, argv, NULL);
    if (strcmp(cfg.policy, "budget") != 0 && strcmp(cfg.policy, "adaptive") != 0) {
        fprintf(stderr, "freshet-processor: FRESHET_REFRESH_POLICY: must be budget or adaptive "
                        "(got '%s')\n", cfg.policy);
        return 2;
    }
    if (cfg.refresh_min_ms > cfg.refresh_max_ms) {
        fprintf(stderr, "freshet-processor: FRESHET_REFRESH_MIN: must not exceed "
                        "FRESHET_REFRESH_MAX\n");
        return 2;
    }
    fr_config_log("starting " FRESHET_VERSION, opts, app.nopts, &cfg);
    cfg.src.sources_dir = cfg.sources_dir;
    if (fr_source_list_parse(cfg.common.source, &list, &err) != 0) {
        fprintf(stderr, "freshet-processor: FRESHET_SOURCE: %s\n", err.msg);
        return 2;
    }
    if ((rc = open_sources(&f, &cfg, &list)) != 0)
        return rc;
    fr_fleet_init(&f.core);
    for (size_t i = 0; i < f.n; i++)
        setup(&f.procs[i], &app);
    fr_fleet_admin(&f.core, cfg.admin_addr);
    sig = fr_sig_install(f.core.base, on_stop, &f);
    event_base_dispatch(f.core.base);
    fr_sig_free(sig);
    for (size_t i = 0; i < f.n; i++) {
        log_stats(&f.procs[i]);
        teardown(&f.procs[i]);
        if (f.procs[i].exit_code > exit_code)
            exit_code = f.procs[i].exit_code;
    }
    fr_fleet_release(&f.core);
    free(f.procs);
    free(f.cfgs);
    fr_metrics_reset();
    fr_log_reset();
    return exit_code;
}
