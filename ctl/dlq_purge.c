/*
 * freshetctl dlq purge — deletes dead letters from the Redis list: all of them, those
 * older than a time, or those of given ids (an id matches the entry's parsed id or its
 * raw item, so junk like "not-an-asin" can be named too). Failed rows in PostgreSQL are
 * the record that an id failed, so they are deleted only with --rows; without it the
 * command says how many matching rows it kept.
 */
#include <stdlib.h>
#include <string.h>

#include "common/app.h"
#include "common/log.h"
#include "common/pgarray.h"
#include "ctl/ctl.h"
#include "ctl/dlq.h"

struct purge_config {
    struct fr_common_config common;
    int all, rows;
    const char *before;
};

#define C(f) offsetof(struct purge_config, f)
static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct purge_config),
    {NULL, "all", FR_OPT_FLAG, "false", 0, 0, C(all), "purge every dead letter"},
    {NULL, "before", FR_OPT_STR, NULL, 0, 0, C(before),
     "purge dead letters older than TIME (ISO-8601 or a duration ago: 7d)"},
    {NULL, "rows", FR_OPT_FLAG, "false", 0, 0, C(rows),
     "also DELETE the matching failed rows from PostgreSQL (otherwise they are kept)"},
};
#undef C

#define ROWS_WHERE                                                                                 \
    " FROM items WHERE source = $1 AND status = 'failed'"                                          \
    " AND ($2::text[] IS NULL OR id = ANY($2::text[]))"                                            \
    " AND ($3::bigint IS NULL OR " DLQ_ROW_TIME " < to_timestamp($3::bigint / 1000.0))"

struct purge {
    const struct purge_config *cfg;
    char **ids;
    int nids;
    int64_t before_ms; /* 0: no bound */
};

static int matches(const struct purge *p, const struct ctl_dead *d)
{
    if (p->cfg->all)
        return 1;
    if (p->before_ms)
        return d->time_ms > 0 && d->time_ms < p->before_ms;
    for (int i = 0; i < p->nids; i++) {
        if ((d->id[0] && strcmp(d->id, p->ids[i]) == 0) || strcmp(d->item, p->ids[i]) == 0)
            return 1;
    }
    return 0;
}

static int mark(struct ctl_dead *d, size_t n, void *arg, struct fr_error *err)
{
    (void)err;
    for (size_t i = 0; i < n; i++)
        d[i].remove = matches(arg, &d[i]);
    return 0;
}

/* Deletes (--rows) or counts the failed rows the same selection matches. */
static int rows_step(const struct purge *p, struct fr_db *db, long long *n, struct fr_error *err)
{
    struct fr_pgarr a;
    char before[32];
    const char *params[3] = {p->cfg->common.source, NULL, p->before_ms ? before : NULL};
    PGresult *res;
    int rc;

    snprintf(before, sizeof(before), "%lld", (long long)p->before_ms);
    fr_pgarr_open(&a);
    for (int i = 0; i < p->nids; i++)
        fr_pgarr_str(&a, p->ids[i]);
    params[1] = p->nids ? fr_pgarr_close(&a) : NULL;
    rc = fr_db_query(db, p->cfg->rows ? "DELETE" ROWS_WHERE : "SELECT count(*)" ROWS_WHERE, 3,
                     params, &res, err);
    fr_buf_release(&a.buf);
    if (rc != 0)
        return rc;
    *n = atoll(p->cfg->rows ? PQcmdTuples(res) : PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

static int run_purge(struct purge *p, struct fr_queue *q, struct fr_db *db,
                     struct fr_error *err)
{
    size_t removed = 0;
    long long rows = 0, left = 0;
    redisReply *rep = NULL;
    char key[160];
    int rc;

    fr_queue_key(q, "dead", key, sizeof(key));
    if ((rc = ctl_dead_walk(q, mark, p, &removed, err)) != 0)
        return rc;
    if (fr_redis_cmd(q->redis, &rep, NULL, "LLEN %s", key) == 0) {
        left = rep->integer;
        freeReplyObject(rep);
    }
    printf("purged %zu dead letters from %s (%lld left)\n", removed, key, left);
    if ((rc = rows_step(p, db, &rows, err)) != 0)
        return rc;
    if (p->cfg->rows)
        printf("deleted %lld failed rows from items\n", rows);
    else
        printf("kept %lld matching failed rows in items (add --rows to delete them)\n", rows);
    return 0;
}

/* Exactly one of --all, --before, ids; returns 2 after saying so otherwise. */
static int check_usage(const char *prog, struct purge *p)
{
    struct fr_error err = {0};
    int modes = p->cfg->all + (p->cfg->before != NULL) + (p->nids > 0);

    if (modes != 1)
        return ctl_usage_error(prog, "give exactly one of --all, --before TIME or ids");
    if (p->cfg->before && ctl_parse_time(p->cfg->before, &p->before_ms, &err) != 0)
        return ctl_usage_error(prog, "--before: %s", err.msg);
    return 0;
}

int dlq_purge(int argc, char **argv)
{
    struct purge_config cfg = {0};
    struct fr_app app = {
        .program = "freshetctl dlq purge",
        .usage = "--all | --before TIME | ID... [--rows] [OPTIONS]",
        .summary = "Deletes dead letters from the Redis dead-letter list; with --rows also deletes\n"
                   "the matching failed rows from PostgreSQL. Says how many of each.",
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
        .one_source = 1,
    };
    struct purge p = {.cfg = &cfg};
    struct fr_redis redis;
    struct fr_db db;
    struct fr_queue q;
    struct fr_error err = {0};
    char **oargv;
    int oargc, rc;

    ctl_split_args(opts, app.nopts, argc, argv, &oargc, &oargv, &p.nids, &p.ids);
    fr_app_init(&app, oargc, oargv, NULL);
    free(oargv);
    if ((rc = check_usage(app.program, &p)) != 0) {
        free(p.ids);
        return rc;
    }
    fr_app_connect(&app, &redis, &db, 1);
    fr_queue_init(&q, &redis, cfg.common.source, app.worker_id);
    if ((rc = run_purge(&p, &q, &db, &err)) != 0)
        fprintf(stderr, "%s: %s\n", app.program, err.msg);
    free(p.ids);
    fr_db_release(&db);
    fr_redis_close(&redis);
    fr_log_reset();
    return rc == 0 ? 0 : 1;
}
