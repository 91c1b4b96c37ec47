/*
 * freshetctl dlq — dispatches list / retry / purge, and lists: the newest dead letters
 * of the Redis list and the most recently queued failed rows of PostgreSQL, in two
 * clearly labelled sections (or one JSON object), each with how many matched in all.
 */
#include <stdlib.h>
#include <string.h>

#include "common/app.h"
#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/dlq.h"

struct list_config {
    struct fr_common_config common;
    int64_t limit;
    int json;
    const char *since, *grep;
};

#define C(f) offsetof(struct list_config, f)
static const struct fr_opt list_opts[] = {
    FR_COMMON_OPTS(struct list_config),
    {NULL, "limit", FR_OPT_INT, "50", 1, 100000, C(limit),
     "show at most this many dead letters and this many failed rows (newest first)"},
    {NULL, "json", FR_OPT_FLAG, "false", 0, 0, C(json), "print one JSON object"},
    {NULL, "since", FR_OPT_STR, NULL, 0, 0, C(since),
     "only entries from TIME on (ISO-8601 or a duration ago: 2h)"},
    {NULL, "grep", FR_OPT_STR, NULL, 0, 0, C(grep),
     "only entries whose id, item or reason contains TEXT (any case)"},
};
#undef C

static const char rows_sql[] =
    "SELECT id, attempts, priority, last_error,"
    "       to_char(" DLQ_ROW_TIME " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "       count(*) OVER ()"
    " FROM items WHERE source = $1 AND status = 'failed'"
    "   AND ($2::bigint IS NULL OR " DLQ_ROW_TIME " >= to_timestamp($2::bigint / 1000.0))"
    "   AND ($3::text IS NULL OR strpos(lower(id || ' ' || last_error), lower($3)) > 0)"
    " ORDER BY " DLQ_ROW_TIME " DESC, id LIMIT $4";

struct list_state {
    const struct list_config *cfg;
    int64_t since_ms; /* 0: no bound */
    size_t matched;
    json_t *shown; /* the newest `limit` matches, oldest first */
};

static int keep_newest(struct ctl_dead *d, size_t n, void *arg, struct fr_error *err)
{
    struct list_state *s = arg;

    (void)err;
    for (size_t i = 0; i < n; i++) {
        if (s->since_ms && d[i].time_ms < s->since_ms)
            continue;
        if (s->cfg->grep && !ctl_contains_ci(d[i].raw, s->cfg->grep))
            continue;
        s->matched++;
        json_array_append_new(s->shown, ctl_dead_json(&d[i]));
        if (json_array_size(s->shown) > (size_t)s->cfg->limit)
            json_array_remove(s->shown, 0);
    }
    return 0;
}

/* {matched, shown, entries (newest first)} of the dead-letter list. */
static json_t *list_dead(struct fr_queue *q, struct list_state *s, struct fr_error *err)
{
    json_t *newest = json_array();
    char key[160];
    size_t i;

    s->shown = json_array();
    if (ctl_dead_walk(q, keep_newest, s, NULL, err) != 0) {
        json_decref(s->shown);
        json_decref(newest);
        return NULL;
    }
    for (i = json_array_size(s->shown); i-- > 0;)
        json_array_append(newest, json_array_get(s->shown, i));
    json_decref(s->shown);
    fr_queue_key(q, "dead", key, sizeof(key));
    return json_pack("{s:s,s:I,s:I,s:o}", "key", key, "matched", (json_int_t)s->matched, "shown",
                     (json_int_t)json_array_size(newest), "entries", newest);
}

/* {matched, shown, rows} of the failed rows. */
static json_t *list_rows(struct fr_db *db, struct list_state *s, struct fr_error *err)
{
    char since[32], limit[32];
    const char *params[4] = {s->cfg->common.source, s->since_ms ? since : NULL, s->cfg->grep,
                             limit};
    json_t *rows = json_array();
    PGresult *res;

    snprintf(since, sizeof(since), "%lld", (long long)s->since_ms);
    snprintf(limit, sizeof(limit), "%lld", (long long)s->cfg->limit);
    if (fr_db_query(db, rows_sql, 4, params, &res, err) != 0) {
        json_decref(rows);
        return NULL;
    }
    for (int i = 0; i < PQntuples(res); i++)
        json_array_append_new(rows, json_pack("{s:s,s:i,s:i,s:s,s:s}", "id", PQgetvalue(res, i, 0),
                                              "attempts", atoi(PQgetvalue(res, i, 1)), "priority",
                                              atoi(PQgetvalue(res, i, 2)), "last_error",
                                              PQgetvalue(res, i, 3), "queued_at",
                                              PQgetvalue(res, i, 4)));
    json_t *out = json_pack("{s:s,s:I,s:I,s:o}", "table", "items (status = 'failed')", "matched",
                            (json_int_t)(PQntuples(res) ? atoll(PQgetvalue(res, 0, 5)) : 0),
                            "shown", (json_int_t)PQntuples(res), "rows", rows);
    PQclear(res);
    return out;
}

static void print_dead(const json_t *dead, FILE *f)
{
    struct ctl_table t;
    const json_t *e;
    size_t i;

    fprintf(f, "DEAD LETTERS (Redis list %s): %lld matched, %lld shown, newest first\n",
           json_string_value(json_object_get(dead, "key")),
           (long long)json_integer_value(json_object_get(dead, "matched")),
           (long long)json_integer_value(json_object_get(dead, "shown")));
    if (json_array_size(json_object_get(dead, "entries")) == 0)
        return;
    ctl_table_init(&t, 3, "lll");
    ctl_table_row(&t, "TIME", "ITEM", "REASON");
    json_array_foreach(json_object_get(dead, "entries"), i, e) {
        ctl_table_row(&t, json_string_value(json_object_get(e, "time")),
                      json_string_value(json_object_get(e, "item")),
                      json_string_value(json_object_get(e, "reason")));
    }
    ctl_table_print(&t, f, "  ");
    ctl_table_release(&t);
}

static void print_rows(const json_t *rows, FILE *f)
{
    struct ctl_table t;
    const json_t *r;
    size_t i;

    fprintf(f, "\nFAILED ROWS (PostgreSQL items, status = 'failed'): %lld matched, %lld shown, "
           "most recently queued first\n",
           (long long)json_integer_value(json_object_get(rows, "matched")),
           (long long)json_integer_value(json_object_get(rows, "shown")));
    if (json_array_size(json_object_get(rows, "rows")) == 0)
        return;
    ctl_table_init(&t, 4, "lrll");
    ctl_table_row(&t, "ID", "ATTEMPTS", "QUEUED", "LAST ERROR");
    json_array_foreach(json_object_get(rows, "rows"), i, r) {
        char att[16];
        snprintf(att, sizeof(att), "%d", (int)json_integer_value(json_object_get(r, "attempts")));
        ctl_table_row(&t, json_string_value(json_object_get(r, "id")), att,
                      json_string_value(json_object_get(r, "queued_at")),
                      json_string_value(json_object_get(r, "last_error")));
    }
    ctl_table_print(&t, f, "  ");
    ctl_table_release(&t);
}

static int show(const struct list_config *cfg, json_t *dead, json_t *rows)
{
    if (cfg->json) {
        json_t *o = json_pack("{s:O,s:O}", "dead_letters", dead, "failed_rows", rows);
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", s);
        free(s);
        json_decref(o);
    } else {
        print_dead(dead, stdout);
        print_rows(rows, stdout);
    }
    return 0;
}

int dlq_list(int argc, char **argv)
{
    struct list_config cfg = {0};
    struct fr_app app = {
        .program = "freshetctl dlq list",
        .usage = "[--limit N] [--json] [--since TIME] [--grep TEXT] [OPTIONS]",
        .summary = "Lists dead letters (the Redis dead-letter list) and failed rows (PostgreSQL\n"
                   "items with status = 'failed'), each section labelled with its counts.",
        .opts = list_opts,
        .nopts = sizeof(list_opts) / sizeof(list_opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
        .one_source = 1,
    };
    struct list_state s = {.cfg = &cfg};
    struct fr_redis redis;
    struct fr_db db;
    struct fr_queue q;
    struct fr_error err = {0};
    json_t *dead = NULL, *rows = NULL;
    int rc = 1;

    fr_app_init(&app, argc, argv, NULL);
    if (cfg.since && ctl_parse_time(cfg.since, &s.since_ms, &err) != 0)
        return ctl_usage_error(app.program, "--since: %s", err.msg);
    fr_app_connect(&app, &redis, &db, 1);
    fr_queue_init(&q, &redis, cfg.common.source, app.worker_id);
    if ((dead = list_dead(&q, &s, &err)) != NULL && (rows = list_rows(&db, &s, &err)) != NULL)
        rc = show(&cfg, dead, rows);
    else
        fprintf(stderr, "%s: %s\n", app.program, err.msg);
    json_decref(dead);
    json_decref(rows);
    fr_db_release(&db);
    fr_redis_close(&redis);
    fr_log_reset();
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: freshetctl dlq list|retry|purge [OPTIONS]\n\n"
               "Dead letters live in two places: the Redis dead-letter list (malformed queue\n"
               "items, items that failed for good) and PostgreSQL rows with status 'failed'.\n\n"
               "  list    show both, labelled, with counts\n"
               "  retry   put failed rows back to work (attempts 0) and drop their dead letters\n"
               "  purge   delete dead letters (and, with --rows, failed rows)\n\n"
               "'freshetctl dlq ACTION --help' lists an action's options and environment.\n");
}

int ctl_dlq(int argc, char **argv)
{
    static const struct ctl_command actions[] = {
        {"list", "show both", dlq_list},
        {"retry", "put failed rows back to work", dlq_retry},
        {"purge", "delete dead letters", dlq_purge},
    };

    return ctl_dispatch("freshetctl dlq", actions, sizeof(actions) / sizeof(actions[0]), usage,
                        argc, argv);
}
