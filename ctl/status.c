/*
 * freshetctl status — one snapshot of a source's health, gathered from PostgreSQL (rows
 * by status, oldest pending, staleness percentiles, failed runs) and Redis (queue
 * depths, token budget, live workers), as a JSON object that both outputs are made from
 * (status_show.c), so the table and --json cannot disagree. --watch repeats it every
 * second until Ctrl-C.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/app.h"
#include "common/budget.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/sig.h"
#include "common/sourcelist.h"
#include "ctl/ctl.h"
#include "ctl/status.h"

struct status_config {
    struct fr_common_config common;
    int64_t token_period_ms;
    int json, watch;
};

#define C(f) offsetof(struct status_config, f)
static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct status_config),
    {"FRESHET_TOKEN_PERIOD", "token-period", FR_OPT_DURATION, "60s", 10, 3600000,
     C(token_period_ms), "upstream token refill period; must match the daemons'"},
    {NULL, "json", FR_OPT_FLAG, "false", 0, 0, C(json), "print a JSON object (one per line)"},
    {NULL, "watch", FR_OPT_FLAG, "false", 0, 0, C(watch),
     "redraw every second until Ctrl-C (exit 0)"},
};
#undef C

/* One count per status, each through an index: active rows are the rows of item_due
 * (schemas/009_item_due.sql), the others have their partial index. */
static const char counts_sql[] =
    "SELECT 'active', count(*) FROM item_due WHERE source = $1"
    " UNION ALL SELECT 'pending_processing', count(*) FROM items"
    "  WHERE source = $1 AND status = 'pending_processing'"
    " UNION ALL SELECT 'failed', count(*) FROM items WHERE source = $1 AND status = 'failed'";

/* Oldest pending age, then staleness (now - last_updated) of active rows, in seconds. */
static const char fresh_sql[] =
    "SELECT extract(epoch FROM now() - (SELECT min(coalesce(queued_at, discovered_at))"
    "         FROM items WHERE source = $1 AND status = 'pending_processing')),"
    "       percentile_cont(0.5) WITHIN GROUP (ORDER BY s),"
    "       percentile_cont(0.99) WITHIN GROUP (ORDER BY s), max(s)"
    " FROM (SELECT extract(epoch FROM now() - last_updated) AS s FROM items"
    "       WHERE source = $1 AND status = 'active') a";

static const char runs_sql[] =
    "SELECT program, worker_id, to_char(started_at AT TIME ZONE 'UTC',"
    "       'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(error, ''),"
    "       count(*) OVER ()"
    " FROM worker_runs WHERE source = $1 AND ok = false"
    "   AND started_at > now() - interval '24 hours'"
    " ORDER BY started_at DESC LIMIT 5";

static json_t *num_or_null(PGresult *res, int col)
{
    return PQgetisnull(res, 0, col) ? json_null() : json_real(atof(PQgetvalue(res, 0, col)));
}

static int gather_items(struct fr_db *db, const char *source, json_t *st, struct fr_error *err)
{
    const char *params[1] = {source};
    json_t *items = json_pack("{s:I,s:I,s:I}", "pending_processing", (json_int_t)0, "active",
                              (json_int_t)0, "failed", (json_int_t)0);
    json_int_t total = 0;
    PGresult *res;

    json_object_set_new(st, "items", items);
    if (fr_db_query(db, counts_sql, 1, params, &res, err) != 0)
        return err->code;
    for (int i = 0; i < PQntuples(res); i++) {
        json_int_t n = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        json_object_set_new(items, PQgetvalue(res, i, 0), json_integer(n));
        total += n;
    }
    json_object_set_new(items, "total", json_integer(total));
    PQclear(res);
    if (fr_db_query(db, fresh_sql, 1, params, &res, err) != 0)
        return err->code;
    json_object_set_new(st, "oldest_pending_seconds", num_or_null(res, 0));
    json_object_set_new(st, "staleness_seconds",
                        json_pack("{s:o,s:o,s:o}", "p50", num_or_null(res, 1), "p99",
                                  num_or_null(res, 2), "max", num_or_null(res, 3)));
    PQclear(res);
    return 0;
}

/* The refresher's budget-aware plan (README "Freshness"); null when none was solved. */
static int gather_plan(struct fr_db *db, const char *source, json_t *st, struct fr_error *err)
{
    const char *params[1] = {source};
    PGresult *res;

    if (fr_db_query(db,
                    "SELECT budget_per_s, used_per_s, expected_freshness, items,"
                    " extract(epoch FROM now() - updated_at) FROM refresh_plans"
                    " WHERE source = $1",
                    1, params, &res, err) != 0)
        return err->code;
    if (PQntuples(res) == 0)
        json_object_set_new(st, "refresh_plan", json_null());
    else
        json_object_set_new(st, "refresh_plan",
                            json_pack("{s:o,s:o,s:o,s:o,s:o}", "budget_per_s", num_or_null(res, 0),
                                      "used_per_s", num_or_null(res, 1), "expected_freshness",
                                      num_or_null(res, 2), "items", num_or_null(res, 3),
                                      "age_seconds", num_or_null(res, 4)));
    PQclear(res);
    return 0;
}

static int gather_runs(struct fr_db *db, const char *source, json_t *st, struct fr_error *err)
{
    const char *params[1] = {source};
    json_t *runs = json_array();
    PGresult *res;

    if (fr_db_query(db, runs_sql, 1, params, &res, err) != 0) {
        json_decref(runs);
        return err->code;
    }
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(runs, json_pack("{s:s,s:s,s:s,s:s}", "program",
                                              PQgetvalue(res, i, 0), "worker",
                                              PQgetvalue(res, i, 1), "started_at",
                                              PQgetvalue(res, i, 2), "error", PQgetvalue(res, i, 3)));
    json_object_set_new(st, "failed_runs_24h",
                        json_pack("{s:I,s:o}", "count",
                                  (json_int_t)(PQntuples(res) ? atoll(PQgetvalue(res, 0, 4)) : 0),
                                  "recent", runs));
    PQclear(res);
    return 0;
}

static int gather_budget(struct status_ctx *c, json_t *st, struct fr_error *err)
{
    struct fr_budget b;
    int64_t tokens = -1, rate = 0, paused = 0;

    fr_budget_init(&b, c->redis, c->source, c->token_period_ms, 0);
    if (fr_budget_peek(&b, &tokens, &rate, &paused, err) != 0)
        return err->code;
    json_object_set_new(st, "budget",
                        json_pack("{s:b,s:o,s:I,s:I}", "known", tokens >= 0, "tokens",
                                  tokens >= 0 ? json_integer(tokens) : json_null(), "rate_per_period",
                                  (json_int_t)rate, "paused_ms", (json_int_t)paused));
    json_object_set_new(json_object_get(st, "budget"), "period_ms",
                        json_integer(c->token_period_ms));
    return 0;
}

json_t *status_gather(struct status_ctx *c, struct fr_error *err)
{
    json_t *st = json_object();
    char now[40];

    fr_format_iso8601(fr_wall_ms(), now, sizeof(now));
    json_object_set_new(st, "source", json_string(c->source));
    json_object_set_new(st, "time", json_string(now));
    if (gather_items(c->db, c->source, st, err) != 0 || status_gather_queue(c, st, err) != 0 ||
        gather_budget(c, st, err) != 0 || status_gather_workers(c, st, err) != 0 ||
        gather_runs(c->db, c->source, st, err) != 0 ||
        gather_plan(c->db, c->source, st, err) != 0 || status_gather_llm(c, st, err) != 0) {
        json_decref(st);
        return NULL;
    }
    return st;
}

/* Every source with rows, through the primary key's leading column (one index probe a
 * source, not a scan of the table). */
static const char sources_sql[] =
    "WITH RECURSIVE s(source) AS ("
    "  SELECT min(source) FROM items"
    "  UNION ALL SELECT (SELECT min(source) FROM items WHERE source > s.source)"
    "  FROM s WHERE s.source IS NOT NULL)"
    " SELECT source FROM s WHERE source IS NOT NULL LIMIT 8";

/* The sources to show: those FRESHET_SOURCE or --source names; when neither says,
 * every source with rows (the default source when there is none). */
static int pick_sources(struct status_ctx *c, const char *named, int said,
                        struct fr_source_list *l, struct fr_error *err)
{
    PGresult *res;

    if (said || fr_db_query(c->db, sources_sql, 0, NULL, &res, err) != 0)
        return said ? fr_source_list_parse(named, l, err) : err->code;
    l->n = 0;
    for (int i = 0; i < PQntuples(res) && l->n < FR_SOURCES_MAX; i++)
        fr_strlcpy(l->names[l->n++], PQgetvalue(res, i, 0), sizeof(l->names[0]));
    PQclear(res);
    return l->n > 0 ? 0 : fr_source_list_parse(named, l, err);
}

/* 1 when the command line or the environment names the sources. */
static int sources_said(int argc, char **argv)
{
    if (getenv("FRESHET_SOURCE") != NULL)
        return 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--source") == 0 || strncmp(argv[i], "--source=", 9) == 0)
            return 1;
    }
    return 0;
}

/* Writes one snapshot of every source (or the reason there is none) to f: with several,
 * an overview with a row per source first, then each source's sections. */
static int render(struct status_ctx *c, const struct fr_source_list *l,
                  const struct status_config *cfg, int tty, FILE *f)
{
    json_t *all = json_array(), *st;
    struct fr_error err = {0};
    size_t i;
    int rc = 0;

    if (cfg->watch && tty && !cfg->json)
        fputs("\033[H\033[2J", f);
    for (i = 0; i < l->n; i++) {
        c->source = l->names[i];
        if ((st = status_gather(c, &err)) == NULL) {
            fprintf(f, "freshetctl status: source '%s': %s\n", c->source, err.msg);
            rc = 1;
            fr_error_clear(&err);
            continue;
        }
        json_array_append_new(all, st);
    }
    if (!cfg->json && json_array_size(all) > 1)
        status_print_overview(all, f);
    json_array_foreach(all, i, st) {
        if (cfg->json)
            status_print_json(st, f);
        else
            status_print_table(st, f);
        if (!cfg->json && i + 1 < json_array_size(all))
            fputc('\n', f);
    }
    if (cfg->watch && !tty && !cfg->json)
        fputc('\n', f);
    json_decref(all);
    return rc;
}

/* Draws one snapshot; the frame is composed in memory and written in one piece, so a
 * --watch redraw on a tty does not flicker. */
static int draw(struct status_ctx *c, const struct fr_source_list *l,
                const struct status_config *cfg, int tty)
{
    char *frame = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&frame, &len);
    int rc;

    if (f == NULL)
        return render(c, l, cfg, tty, stdout);
    rc = render(c, l, cfg, tty, f);
    fclose(f);
    fwrite(frame, 1, len, rc == 0 ? stdout : stderr);
    fflush(stdout);
    free(frame);
    return rc;
}

int ctl_status(int argc, char **argv)
{
    struct status_config cfg = {0};
    struct fr_app app = {
        .program = "freshetctl status",
        .usage = "[--json] [--watch] [OPTIONS]",
        .summary = "Shows rows by status, queue depths, oldest pending age, staleness of active\n"
                   "rows (p50/p99/max), the token budget, live workers and failed runs, for each\n"
                   "source FRESHET_SOURCE or --source names (one or a comma list), else for every\n"
                   "source with rows; with several, a first table has a row per source.",
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
    };
    struct fr_redis redis;
    struct fr_db db;
    struct status_ctx c;
    struct fr_source_list list;
    struct fr_error err = {0};
    int rc = 0, tty = isatty(fileno(stdout));

    fr_app_init(&app, argc, argv, NULL);
    /* Ctrl-C ends --watch at any moment, even while it connects (slow under load: the
     * default action then killed it with status 130). */
    if (cfg.watch)
        fr_sig_install_flag();
    fr_app_connect(&app, &redis, &db, 1);
    fr_sig_install_flag();
    c = (struct status_ctx){&db, &redis, cfg.common.source, cfg.token_period_ms};
    if (pick_sources(&c, cfg.common.source, sources_said(argc, argv), &list, &err) != 0) {
        fprintf(stderr, "%s: %s\n", app.program, err.msg);
        list.n = 0;
        rc = 1;
    }
    while (list.n > 0) {
        if (cfg.watch && fr_sig_stop_requested)
            break;
        rc = draw(&c, &list, &cfg, tty);
        if (!cfg.watch || fr_sig_stop_requested)
            break;
        fr_sleep_ms(1000, (const volatile int *)&fr_sig_stop_requested);
        if (fr_sig_stop_requested)
            break;
    }
    fr_db_release(&db);
    fr_redis_close(&redis);
    fr_log_reset();
    /* Ctrl-C is how --watch ends: a success. A failing snapshot fails a single run. */
    return cfg.watch && list.n > 0 ? 0 : rc;
}
