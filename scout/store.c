/*
 * store — the scout's statements: one per discovery page, the cursor, and worker_runs.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/pgarray.h"
#include "scout/scout.h"

static const char page_sql[] =
    "WITH input AS ("
    "  SELECT * FROM unnest($2::text[], $3::jsonb[], $4::jsonb[]) AS t(id, doc, signal)"
    "), ins AS ("
    "  INSERT INTO items (source, id, status, priority, queued_at, discovery)"
    "  SELECT $1, id, 'pending_processing', 1, now(), doc FROM input"
    "  ON CONFLICT (source, id) DO NOTHING"
    "  RETURNING id"
    "), known AS MATERIALIZED ("
    /* A known item listed again with a signal its payload (or its previous listing,
     * which is then replaced) does not match changed upstream: refresh it now. (The built-in source's signal is the listed prices: its
     * listing timestamps are minute-coarse and move on every update, so they would mark
     * the whole catalog due on every pass.) Each id is looked up by primary key (a
     * lateral lookup) and the update finds the rows by ctid: a plan that joined the
     * page with items, cached while the statistics said the table was empty, read
     * every row of the source for each page (50 ms a page at 20,000 rows). An id the
     * insert just added is not looked up: this statement's snapshot cannot see it. */
    "  SELECT input.id, input.doc, x.t FROM (SELECT * FROM input"
    "    WHERE id NOT IN (SELECT id FROM ins)) input CROSS JOIN LATERAL ("
    "    SELECT i.ctid AS t FROM items i WHERE i.source = $1 AND i.id = input.id"
    "      AND CASE WHEN i.status = 'active' THEN i.next_update_due > now() ELSE false END"
    "      AND EXISTS (SELECT 1 FROM jsonb_each(input.signal) AS s(k, v)"
    "                  WHERE coalesce(CASE WHEN $5::bool THEN i.discovery ELSE i.payload END"
    "                                 -> s.k, 'null') <> s.v)"
    "    OFFSET 0) x"
    "), due AS ("
    /* A row written since (its ctid moved on) is left alone: that write is newer. */
    "  UPDATE items i SET next_update_due = now(), discovery = known.doc"
    "  FROM known WHERE i.ctid = known.t AND i.source = $1 AND i.id = known.id"
    "  RETURNING i.id"
    ")"
    "SELECT 'n', id FROM ins UNION ALL SELECT 'd', id FROM due";

struct store_call {
    struct scout *s;
    int page;
    size_t n;
};

static void on_stored(PGresult *res, const struct fr_error *dberr, void *arg)
{
    struct store_call *c = arg;
    struct scout *s = c->s;
    struct fr_error err = {0};
    const char **fresh;
    size_t nfresh = 0, added = 0;
    int rc = 0;

    if (res == NULL) {
        scout_page_stored(s, c->page, dberr);
        free(c);
        return;
    }
    fresh = fr_xcalloc((size_t)PQntuples(res) + 1, sizeof(*fresh));
    for (int r = 0; r < PQntuples(res); r++) {
        if (PQgetvalue(res, r, 0)[0] == 'n')
            fresh[nfresh++] = PQgetvalue(res, r, 1);
        else
            s->marked_due++;
    }
    s->seen += c->n;
    s->inserted += nfresh;
    /* If we die between the insert and the enqueue, the refresher finds these pending
     * rows that Redis does not hold and enqueues them: nothing is lost. */
    if (nfresh)
        rc = fr_queue_enqueue(&s->queue, fresh, nfresh, 1, &added, &err);
    s->enqueued += added;
    free(fresh);
    scout_page_stored(s, c->page, rc == 0 ? NULL : &err);
    free(c);
}

/* A JSON value as an array element's text; absent is def (NULL: SQL NULL). */
static void put_json(struct fr_pgarr *a, const json_t *v, const char *def)
{
    char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

    fr_pgarr_str(a, text ? text : def);
    free(text);
}

void scout_store_page(struct scout *s, int page, const struct fr_src_record *recs, size_t n)
{
    struct fr_pgarr ids, docs, signals;
    const char *params[5];
    struct store_call *c = fr_xcalloc(1, sizeof(*c));

    fr_pgarr_open(&ids);
    fr_pgarr_open(&docs);
    fr_pgarr_open(&signals);
    for (size_t i = 0; i < n; i++) {
        fr_pgarr_str(&ids, recs[i].id);
        /* The listing is kept only where a signal is compared with it: a built-in
         * source's detail payload supersedes it, and a listing stored in every row
         * would be logged again by every refresh of it (a HOT update logs the bytes
         * between the first and last column it changes; discovery is between them). */
        if (s->src->lim.signal_of_listing)
            put_json(&docs, recs[i].doc, "{}");
        else
            fr_pgarr_str(&docs, NULL);
        /* only an object has members to compare: anything else is no signal */
        put_json(&signals, json_is_object(recs[i].signal) ? recs[i].signal : NULL, NULL);
    }
    params[0] = s->cfg->common.source;
    params[1] = fr_pgarr_close(&ids);
    params[2] = fr_pgarr_close(&docs);
    params[3] = fr_pgarr_close(&signals);
    params[4] = s->src->lim.signal_of_listing ? "t" : "f";
    c->s = s;
    c->page = page;
    c->n = n;
    fr_dbq_query(s->dbq, page_sql, 5, params, on_stored, c);
    fr_buf_release(&ids.buf);
    fr_buf_release(&docs.buf);
    fr_buf_release(&signals.buf);
}

int scout_cursor_load(struct scout *s, int *page, int64_t *offset, char **next,
                      struct fr_error *err)
{
    const char *params[1] = {s->cfg->common.source};
    json_t *cur = NULL;
    PGresult *res;
    int rc = fr_db_query(&s->db,
                         "SELECT cursor::text FROM scout_cursors"
                         " WHERE source = $1 AND name = 'deal'",
                         1, params, &res, err);

    *page = 0;
    *offset = 0;
    *next = NULL;
    if (rc != 0)
        return rc;
    if (PQntuples(res))
        cur = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
    PQclear(res);
    *page = (int)fr_json_int_or(cur, "page", 0);
    *offset = fr_json_int_or(cur, "offset", 0);
    if (fr_json_str_or(cur, "next", NULL) != NULL)
        *next = fr_xstrdup(fr_json_str_or(cur, "next", NULL));
    json_decref(cur);
    return 0;
}

int scout_cursor_save(struct scout *s, int page, int64_t offset, const char *next,
                      struct fr_error *err)
{
    json_t *cur = json_object();
    const char *params[2] = {s->cfg->common.source, NULL};
    char *text;
    int rc;

    json_object_set_new(cur, "page", json_integer(page));
    json_object_set_new(cur, "offset", json_integer((json_int_t)offset));
    json_object_set_new(cur, "next", next ? json_string(next) : json_null());
    params[1] = text = json_dumps(cur, JSON_COMPACT);
    rc = fr_db_query(&s->db,
                     "INSERT INTO scout_cursors (source, name, cursor) VALUES ($1, 'deal', $2)"
                     " ON CONFLICT (source, name) DO UPDATE"
                     " SET cursor = excluded.cursor, updated_at = now()",
                     2, params, NULL, err);
    free(text);
    json_decref(cur);
    return rc;
}

int scout_run_begin(struct scout *s)
{
    const char *params[2] = {s->cfg->common.source, s->queue.worker};
    PGresult *res;

    s->run_id = 0;
    if (fr_db_query(&s->db,
                    "INSERT INTO worker_runs (source, program, worker_id)"
                    " VALUES ($1, 'freshet-scout', $2) RETURNING run_id",
                    2, params, &res, NULL) != 0)
        return -1;
    s->run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

void scout_run_end(struct scout *s, int ok, const char *error)
{
    char id[24], items[24];
    const char *params[4] = {id, ok ? "t" : "f", items, error};

    if (s->run_id == 0)
        return;
    snprintf(id, sizeof(id), "%" PRId64, s->run_id);
    snprintf(items, sizeof(items), "%" PRIu64, s->inserted);
    fr_db_query(&s->db,
                "UPDATE worker_runs SET finished_at = now(), ok = $2, items = $3, error = $4"
                " WHERE run_id = $1",
                4, params, NULL, NULL);
}
