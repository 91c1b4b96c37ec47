/*
 * feed — the idempotent intake behind `enqueue` and `backfill`. Ids are validated one by
 * one and written in batches of 1,000: one statement creates the missing rows as
 * pending_processing and flips active and failed rows back to pending (attempts reset
 * for failed ones), then the Lua enqueue pushes only ids the `queued` set does not hold.
 * Running the same intake twice therefore changes nothing the second time.
 *
 * PostgreSQL is written before Redis on purpose: if the enqueue fails after the commit,
 * the rows are pending and the refresher re-enqueues what Redis does not hold.
 * Memory is one batch, whatever the size of the input.
 */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/mem.h"
#include "common/pgarray.h"
#include "common/sig.h"
#include "common/source.h"
#include "ctl/ctl.h"

/* $1 source, $2 ids, $3 priority or NULL. Returns (inserted, requeued).
 * One INSERT ... ON CONFLICT DO UPDATE does it all because conflicts are found by a
 * primary-key probe per id whatever the statistics say: an UPDATE joined on the ids was
 * planned as a scan of the whole source whenever analyze lagged behind a big backfill,
 * making each batch slower than the last. "xmax = 0" tells an inserted row from an
 * updated one; among the updated, a row flipped back to pending got queued_at = now(),
 * while a pending row that only took the new --priority keeps its older queued_at. */
static const char feed_sql[] =
    "WITH up AS ("
    "  INSERT INTO items AS i (source, id, status, priority, queued_at)"
    "  SELECT DISTINCT $1, r.id, 'pending_processing', coalesce($3::smallint, 5), now()"
    "  FROM unnest($2::text[]) AS r(id)"
    "  ON CONFLICT (source, id) DO UPDATE"
    "  SET status = 'pending_processing',"
    "      queued_at = CASE WHEN i.status = 'pending_processing' THEN i.queued_at ELSE now() END,"
    "      attempts = CASE WHEN i.status = 'failed' THEN 0 ELSE i.attempts END,"
    "      priority = coalesce($3::smallint, i.priority)"
    "  WHERE i.status IN ('active', 'failed')"
    "     OR ($3::smallint IS NOT NULL AND i.priority <> $3::smallint)"
    "  RETURNING i.xmax = 0 AS inserted, i.queued_at = now() AS flipped"
    ")"
    "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted AND flipped)"
    " FROM up";

void ctl_feed_init(struct ctl_feed *f, struct fr_db *db, struct fr_queue *q, const char *source,
                   const char *prog, int priority, int hot)
{
    memset(f, 0, sizeof(*f));
    f->db = db;
    f->queue = q;
    f->source = source;
    f->prog = prog;
    f->priority = priority;
    /* Priorities 1-2 are what the hot queue is for (as the refresher routes them). */
    f->hot = hot || (priority >= 1 && priority <= 2);
    f->ids = fr_xcalloc(CTL_FEED_BATCH, sizeof(*f->ids));
    f->frac = -1;
    /* Progress lines name the subcommand ("backfill: progress: ..."). */
    ctl_progress_init(&f->progress,
                      strncmp(prog, "freshetctl ", 11) == 0 ? prog + 11 : prog, "ids");
}

void ctl_feed_release(struct ctl_feed *f)
{
    free(f->ids);
    f->ids = NULL;
}

static void progress(struct ctl_feed *f)
{
    char detail[200];

    snprintf(detail, sizeof(detail),
             " read, %llu valid, %llu new rows, %llu requeued, %llu already queued, %llu invalid",
             (unsigned long long)(f->read - f->invalid), (unsigned long long)f->inserted,
             (unsigned long long)f->requeued, (unsigned long long)f->already,
             (unsigned long long)f->invalid);
    ctl_progress_tick(&f->progress, f->read, f->frac, detail);
}

int ctl_feed_add(struct ctl_feed *f, const char *id, const char *where, uint64_t num,
                 struct fr_error *err)
{
    f->read++;
    if (!ctl_valid_id(f->source, id)) {
        const struct fr_source_ops *ops = fr_source_builtin_ops(f->source);
        const char *hint = ops != NULL ? ops->id_hint : "";
        f->invalid++;
        ctl_progress_end(&f->progress);
        fprintf(stderr, "%s: %s %llu: invalid id '%.80s'%s%s%s\n", f->prog, where,
                (unsigned long long)num, id, hint[0] ? " (" : "", hint, hint[0] ? ")" : "");
        progress(f);
        return 0;
    }
    if (f->n == 0)
        f->batch_started_ms = fr_mono_ms();
    fr_strlcpy(f->ids[f->n++], id, FR_QUEUE_MAX_ID);
    /* A slow producer (a pipe trickling ids) should not hold ids back for long. */
    if (f->n == CTL_FEED_BATCH || fr_mono_ms() - f->batch_started_ms > 1000)
        return ctl_feed_flush(f, err);
    if (f->read % 256 == 0)
        progress(f);
    return 0;
}

/* Runs the batch statement; adds to inserted and requeued. */
static int write_rows(struct ctl_feed *f, struct fr_error *err)
{
    struct fr_pgarr ids;
    char prio[8];
    const char *params[3];
    PGresult *res;
    int rc;

    fr_pgarr_open(&ids);
    for (size_t i = 0; i < f->n; i++)
        fr_pgarr_str(&ids, f->ids[i]);
    snprintf(prio, sizeof(prio), "%d", f->priority);
    params[0] = f->source;
    params[1] = fr_pgarr_close(&ids);
    params[2] = f->priority > 0 ? prio : NULL;
    rc = fr_db_query(f->db, feed_sql, 3, params, &res, err);
    fr_buf_release(&ids.buf);
    if (rc != 0)
        return rc;
    f->inserted += strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    f->requeued += strtoull(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    return 0;
}

int ctl_feed_flush(struct ctl_feed *f, struct fr_error *err)
{
    const char **ids;
    size_t added = 0;
    int rc;

    if (f->n == 0)
        return 0;
    if ((rc = write_rows(f, err)) != 0)
        return rc;
    ids = fr_xcalloc(f->n, sizeof(*ids));
    for (size_t i = 0; i < f->n; i++)
        ids[i] = f->ids[i];
    rc = fr_queue_enqueue(f->queue, ids, f->n, f->hot, &added, err);
    free(ids);
    if (rc != 0) {
        fr_error_prefix(err, "rows are written (pending_processing; the refresher will "
                             "enqueue them) but the enqueue failed");
        return rc;
    }
    f->enqueued += added;
    f->already += f->n - added;
    f->n = 0;
    progress(f);
    return 0;
}

/* The final summary line (or JSON object) on out. */
static void summary(struct ctl_feed *f, FILE *out, int json, double secs)
{
    ctl_progress_end(&f->progress);
    if (json) {
        fprintf(out,
                "{\"read\":%llu,\"valid\":%llu,\"new_rows\":%llu,\"requeued\":%llu,"
                "\"already_queued\":%llu,\"enqueued\":%llu,\"invalid\":%llu,\"seconds\":%.3f}\n",
                (unsigned long long)f->read, (unsigned long long)(f->read - f->invalid),
                (unsigned long long)f->inserted, (unsigned long long)f->requeued,
                (unsigned long long)f->already, (unsigned long long)f->enqueued,
                (unsigned long long)f->invalid, secs);
        return;
    }
    fprintf(out,
            "%s: %llu read, %llu valid, %llu new rows, %llu requeued, %llu already queued, "
            "%llu invalid; %llu enqueued in %.1fs\n",
            f->progress.what, (unsigned long long)f->read,
            (unsigned long long)(f->read - f->invalid), (unsigned long long)f->inserted,
            (unsigned long long)f->requeued, (unsigned long long)f->already,
            (unsigned long long)f->invalid, (unsigned long long)f->enqueued, secs);
}

int ctl_feed_all_bad(const struct ctl_feed *f)
{
    return f->read > 0 && f->invalid == f->read;
}

int ctl_feed_finish(struct ctl_feed *f, int rc, const struct fr_error *err, int json,
                    int64_t start_ms)
{
    summary(f, stdout, json, (double)(fr_mono_ms() - start_ms) / 1000.0);
    if (rc != 0)
        fprintf(stderr, "%s: %s\n", f->prog, err->msg);
    else if (fr_sig_stop_requested)
        fprintf(stderr, "%s: interrupted: the ids counted above are written\n", f->prog);
    else if (ctl_feed_all_bad(f))
        fprintf(stderr, "%s: every id was invalid: nothing enqueued\n", f->prog);
    return rc != 0 || fr_sig_stop_requested || ctl_feed_all_bad(f) ? 1 : 0;
}
