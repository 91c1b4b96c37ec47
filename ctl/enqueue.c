/*
 * freshetctl enqueue — puts the ids given on the command line to work now: missing rows
 * are created, active and failed ones become pending again, and each id is queued once
 * however often it is given or the command is run (see feed.c).
 */
#include <stdlib.h>

#include "common/app.h"
#include "common/clock.h"
#include "common/log.h"
#include "ctl/ctl.h"

struct enqueue_config {
    struct fr_common_config common;
    int64_t priority;
    int hot, json;
};

#define C(f) offsetof(struct enqueue_config, f)
static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct enqueue_config),
    {NULL, "priority", FR_OPT_INT, "0", 0, 9, C(priority),
     "priority 1 (hottest) to 9 for new and requeued rows; 0 keeps a row's own (new: 5)"},
    {NULL, "hot", FR_OPT_FLAG, "false", 0, 0, C(hot),
     "push onto queue:hot (implied by --priority 1 or 2)"},
    {NULL, "json", FR_OPT_FLAG, "false", 0, 0, C(json), "print the summary as a JSON object"},
};
#undef C

static const char epilog[] =
    "Idempotent: an id already queued is not queued again, so running the same command\n"
    "twice leaves the queue as it was. Invalid ids are reported (argument number) and\n"
    "counted; the command fails (exit 1) only when every id is invalid.\n";

static int feed_args(struct ctl_feed *f, char **ids, int n, struct fr_error *err)
{
    int rc = 0;

    for (int i = 0; i < n && rc == 0; i++) {
        f->frac = (double)(i + 1) / n;
        rc = ctl_feed_add(f, ids[i], "argument", (uint64_t)i + 1, err);
    }
    return rc == 0 ? ctl_feed_flush(f, err) : rc;
}

int ctl_enqueue(int argc, char **argv)
{
    struct enqueue_config cfg = {0};
    struct fr_app app = {
        .program = "freshetctl enqueue",
        .usage = "ID... [OPTIONS]",
        .summary = "Queues ids for enrichment now: creates missing rows as pending_processing,\n"
                   "flips active and failed rows back to pending, enqueues each id once.",
        .epilog = epilog,
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
        .one_source = 1,
    };
    struct fr_redis redis;
    struct fr_db db;
    struct fr_queue queue;
    struct ctl_feed feed;
    struct fr_error err = {0};
    char **oargv, **ids;
    int oargc, nids, rc;
    int64_t start = fr_mono_ms();

    ctl_split_args(opts, app.nopts, argc, argv, &oargc, &oargv, &nids, &ids);
    fr_app_init(&app, oargc, oargv, NULL);
    free(oargv);
    if (nids == 0) {
        free(ids);
        return ctl_usage_error(app.program, "no ids given (see --help)");
    }
    fr_app_connect(&app, &redis, &db, 1);
    fr_queue_init(&queue, &redis, cfg.common.source, app.worker_id);
    ctl_feed_init(&feed, &db, &queue, cfg.common.source, app.program, (int)cfg.priority, cfg.hot);
    rc = feed_args(&feed, ids, nids, &err);
    rc = ctl_feed_finish(&feed, rc, &err, cfg.json, start);
    ctl_feed_release(&feed);
    fr_db_release(&db);
    fr_redis_close(&redis);
    free(ids);
    fr_log_reset();
    return rc;
}
