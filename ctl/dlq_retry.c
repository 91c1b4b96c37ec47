/*
 * freshetctl dlq retry — gives failed rows another chance: status pending_processing,
 * attempts 0, enqueued (each once), and their dead letters removed from the Redis list.
 *
 * Rows are flipped 1,000 at a time (FOR UPDATE SKIP LOCKED, so a concurrent retry does
 * not collide). The retried ids are collected in a temporary Redis set next to the dead
 * list rather than in our memory, so retrying a million rows stays small here; the
 * dead list is then walked once and each entry whose id is in that set is removed.
 * Dead letters with no failed row (malformed items) are left for `dlq purge`.
 */
#include <stdlib.h>
#include <string.h>

#include "common/app.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/pgarray.h"
#include "ctl/ctl.h"
#include "ctl/dlq.h"

#define CHUNK 1000

struct retry_config {
    struct fr_common_config common;
    int all;
};

static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct retry_config),
    {NULL, "all", FR_OPT_FLAG, "false", 0, 0, offsetof(struct retry_config, all),
     "retry every failed row of the source"},
};

static const char retry_sql[] =
    "UPDATE items i SET status = 'pending_processing', attempts = 0, queued_at = now(),"
    "       claimed_until = NULL"
    " FROM (SELECT source, id FROM items WHERE source = $1 AND status = 'failed'"
    "         AND ($2::text[] IS NULL OR id = ANY($2::text[]))"
    "       ORDER BY id LIMIT 1000 FOR UPDATE SKIP LOCKED) s"
    " WHERE i.source = s.source AND i.id = s.id RETURNING i.id, i.priority";

static const char not_failed_sql[] =
    "SELECT r.id, coalesce(i.status, 'no such row') FROM unnest($2::text[]) AS r(id)"
    " LEFT JOIN items i ON i.source = $1 AND i.id = r.id"
    " WHERE i.status IS DISTINCT FROM 'failed' ORDER BY r.id";

struct retry {
    struct fr_db *db;
    struct fr_queue *q;
    const char *prog;
    char tmpkey[300];
    size_t retried, enqueued;
};

/* Enqueues one flipped chunk (priority 1-2 on queue:hot) and notes its ids in tmpkey. */
static int enqueue_chunk(struct retry *r, PGresult *res, struct fr_error *err)
{
    size_t n = (size_t)PQntuples(res), nh = 0, nn = 0, a = 0, b = 0;
    const char **hot = fr_xcalloc(n + 1, sizeof(*hot)), **normal = fr_xcalloc(n + 1, sizeof(*normal));
    const char **sadd = fr_xcalloc(n + 2, sizeof(*sadd));
    int rc;

    sadd[0] = "SADD";
    sadd[1] = r->tmpkey;
    for (size_t i = 0; i < n; i++) {
        const char *id = PQgetvalue(res, (int)i, 0);
        sadd[i + 2] = id;
        if (atoi(PQgetvalue(res, (int)i, 1)) <= 2)
            hot[nh++] = id;
        else
            normal[nn++] = id;
    }
    if ((rc = fr_queue_enqueue(r->q, hot, nh, 1, &a, err)) == 0 &&
        (rc = fr_queue_enqueue(r->q, normal, nn, 0, &b, err)) == 0 &&
        (rc = fr_redis_cmd_argv(r->q->redis, NULL, err, (int)n + 2, sadd, NULL)) == 0)
        rc = fr_redis_cmd(r->q->redis, NULL, err, "EXPIRE %s 3600", r->tmpkey);
    r->enqueued += a + b;
    free(hot);
    free(normal);
    free(sadd);
    return rc;
}

/* Flips up to 1,000 failed rows (those of ids when non-NULL) and enqueues them; *n gets
 * how many. */
static int flip_chunk(struct retry *r, char **ids, int nids, size_t *n, struct fr_error *err)
{
    struct fr_pgarr a;
    const char *params[2] = {r->q->source, NULL};
    PGresult *res;
    int rc;

    fr_pgarr_open(&a);
    for (int i = 0; ids && i < nids; i++)
        fr_pgarr_str(&a, ids[i]);
    params[1] = ids ? fr_pgarr_close(&a) : NULL;
    rc = fr_db_query(r->db, retry_sql, 2, params, &res, err);
    fr_buf_release(&a.buf);
    if (rc != 0)
        return rc;
    *n = (size_t)PQntuples(res);
    rc = *n ? enqueue_chunk(r, res, err) : 0;
    r->retried += *n;
    PQclear(res);
    return rc;
}

static int flip_rows(struct retry *r, char **ids, int nids, struct fr_error *err)
{
    const char *params[1] = {r->q->source};
    size_t n = 0, cap;
    PGresult *res;
    int rc = 0;

    for (int off = 0; ids && off < nids && rc == 0; off += CHUNK)
        rc = flip_chunk(r, ids + off, nids - off < CHUNK ? nids - off : CHUNK, &n, err);
    if (ids)
        return rc;
    if ((rc = fr_db_query(r->db, "SELECT count(*) FROM items WHERE source = $1"
                                 " AND status = 'failed'", 1, params, &res, err)) != 0)
        return rc;
    cap = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    /* --all takes the rows failed at the start: rows that fail again meanwhile are not
     * chased forever. */
    do {
        rc = flip_chunk(r, NULL, 0, &n, err);
    } while (rc == 0 && n > 0 && r->retried < cap);
    return rc;
}

/* Marks the dead letters whose id was retried (member of tmpkey). */
static int mark_retried(struct ctl_dead *d, size_t n, void *arg, struct fr_error *err)
{
    struct retry *r = arg;
    const char **argv = fr_xcalloc(n + 2, sizeof(*argv));
    size_t *idx = fr_xcalloc(n + 1, sizeof(*idx)), k = 0;
    redisReply *rep = NULL;
    int rc = 0;

    argv[0] = "SMISMEMBER";
    argv[1] = r->tmpkey;
    for (size_t i = 0; i < n; i++) {
        if (d[i].id[0]) {
            idx[k] = i;
            argv[2 + k++] = d[i].id;
        }
    }
    if (k > 0 && (rc = fr_redis_cmd_argv(r->q->redis, &rep, err, (int)k + 2, argv, NULL)) == 0) {
        for (size_t j = 0; j < k && j < rep->elements; j++)
            d[idx[j]].remove = rep->element[j]->integer == 1;
        freeReplyObject(rep);
    }
    free(argv);
    free(idx);
    return rc;
}

/* With explicit ids, says which of them are not failed rows (they are skipped). */
static int report_skipped(struct retry *r, char **ids, int nids, struct fr_error *err)
{
    struct fr_pgarr a;
    const char *params[2] = {r->q->source, NULL};
    PGresult *res;
    int rc;

    fr_pgarr_open(&a);
    for (int i = 0; i < nids; i++)
        fr_pgarr_str(&a, ids[i]);
    params[1] = fr_pgarr_close(&a);
    rc = fr_db_query(r->db, not_failed_sql, 2, params, &res, err);
    fr_buf_release(&a.buf);
    if (rc != 0)
        return rc;
    for (int i = 0; i < PQntuples(res); i++)
        printf("skipped '%s': not a failed row (%s)\n", PQgetvalue(res, i, 0),
               PQgetvalue(res, i, 1));
    PQclear(res);
    return 0;
}

static int run_retry(struct retry *r, char **ids, int nids, int all, struct fr_error *err)
{
    size_t removed = 0;
    int rc;

    if (!all && (rc = report_skipped(r, ids, nids, err)) != 0)
        return rc;
    fr_redis_cmd(r->q->redis, NULL, NULL, "DEL %s", r->tmpkey);
    if ((rc = flip_rows(r, all ? NULL : ids, nids, err)) == 0 && r->retried > 0)
        rc = ctl_dead_walk(r->q, mark_retried, r, &removed, err);
    fr_redis_cmd(r->q->redis, NULL, NULL, "DEL %s", r->tmpkey);
    printf("retried %zu failed rows: now pending_processing with attempts 0; %zu enqueued, "
           "%zu already queued\n",
           r->retried, r->enqueued, r->retried - r->enqueued);
    if (rc == 0)
        printf("removed %zu dead letters of the retried rows from %sdead\n", removed,
               r->q->prefix);
    return rc;
}

int dlq_retry(int argc, char **argv)
{
    struct retry_config cfg = {0};
    struct fr_app app = {
        .program = "freshetctl dlq retry",
        .usage = "--all | ID... [OPTIONS]",
        .summary = "Puts failed rows back to pending_processing with attempts 0, enqueues them,\n"
                   "and removes their entries from the Redis dead-letter list.",
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
        .one_source = 1,
    };
    struct fr_redis redis;
    struct fr_db db;
    struct fr_queue q;
    struct retry r = {0};
    struct fr_error err = {0};
    char **oargv, **ids;
    int oargc, nids, rc;

    ctl_split_args(opts, app.nopts, argc, argv, &oargc, &oargv, &nids, &ids);
    fr_app_init(&app, oargc, oargv, NULL);
    free(oargv);
    if (cfg.all == (nids > 0)) {
        free(ids);
        return ctl_usage_error(app.program, cfg.all ? "give --all or ids, not both"
                                                    : "give --all or one or more ids");
    }
    fr_app_connect(&app, &redis, &db, 1);
    fr_queue_init(&q, &redis, cfg.common.source, app.worker_id);
    r = (struct retry){.db = &db, .q = &q, .prog = app.program};
    snprintf(r.tmpkey, sizeof(r.tmpkey), "%sdlq-retry:%s", q.prefix, app.worker_id);
    rc = run_retry(&r, ids, nids, cfg.all, &err);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", app.program, err.msg);
    free(ids);
    fr_db_release(&db);
    fr_redis_close(&redis);
    fr_log_reset();
    return rc == 0 ? 0 : 1;
}
