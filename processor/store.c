/*
 * store — see store.h. Arrays travel as PostgreSQL array literals and are unnested
 * server-side, so a batch of 100 is one statement whatever its size.
 */
#include "processor/store.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/freshness.h"
#include "common/mem.h"
#include "common/pgarray.h"

#define FR_STR2(x) #x
#define FR_STR(x) FR_STR2(x)

static void interval_ms(char *out, size_t n, int64_t ms)
{
    snprintf(out, n, "%" PRId64 " milliseconds", ms);
}

/* The check before a fetch: which ids of a batch are worth an upstream request. It only
 * reads (Redis's batch list is the claim, see common/queue.h): a row waiting for work is
 * fetched, and so is an active row the refresher re-queued since its last fetch
 * (item_due.requeued_at, cleared by the write); another active row fetched within the
 * dedupe window or a failed row queued within it is a duplicate and dropped. Writes
 * happen only off the common path: a row for an id pushed without one, a failed row
 * taken again (its attempts start over) and a pushed priority hotter than the row's. Every id is looked up once by primary key (cur: a lookup
 * per id, whatever the statistics said when the plan was cached); status is only ever
 * tested inside a CASE, which no partial index matches (an OR of equalities on it became
 * a BitmapOr over items_pending, items_due and items_failed: 140 ms a claim at 50,000
 * rows). */
const char proc_check_sql[] =
    "WITH req AS ("
    "  SELECT * FROM unnest($2::text[], $3::smallint[]) AS r(id, prio)"
    "), cur AS ("
    "  SELECT r.id, r.prio, x.known IS NOT NULL AS known, x.status, x.go, x.priority"
    "  FROM req r LEFT JOIN LATERAL ("
    "    SELECT true AS known, i.status, i.priority, CASE i.status"
    "      WHEN 'pending_processing' THEN true"
    "      WHEN 'active' THEN coalesce(i.last_updated, '-infinity') < now() - $4::interval"
    "        OR EXISTS (SELECT 1 FROM item_due d"
    "                   WHERE d.source = $1 AND d.id = r.id AND d.requeued_at IS NOT NULL)"
    "      ELSE coalesce(i.queued_at, '-infinity') < now() - $4::interval END AS go"
    "    FROM items i WHERE i.source = $1 AND i.id = r.id OFFSET 0) x ON true"
    "), ins AS ("
    "  INSERT INTO items (source, id, priority, status, queued_at)"
    "  SELECT $1, c.id, CASE WHEN c.prio BETWEEN 1 AND 9 THEN c.prio ELSE 5 END,"
    "         'pending_processing', now() FROM cur c"
    "  WHERE NOT c.known"
    "  ON CONFLICT (source, id) DO NOTHING"
    "  RETURNING id"
    "), odd AS ("
    "  SELECT c.id, c.prio, c.status FROM cur c WHERE c.known AND c.go"
    "    AND (c.status = 'failed' OR (c.prio BETWEEN 1 AND 9 AND c.prio < c.priority))"
    "), upd AS ("
    "  UPDATE items i SET"
    "         attempts = CASE WHEN i.status = 'failed' THEN 0 ELSE i.attempts END,"
    "         priority = CASE WHEN o.prio BETWEEN 1 AND 9 THEN least(i.priority, o.prio)"
    "                    ELSE i.priority END"
    "  FROM odd o"
    "  WHERE i.source = $1 AND i.id = ANY(ARRAY(SELECT id FROM odd)) AND i.id = o.id"
    "  RETURNING i.id"
    ")"
    "SELECT id FROM ins"
    " UNION ALL SELECT id FROM cur WHERE known AND go";

void proc_params_release(struct proc_params *pp)
{
    for (int k = 0; k < pp->na; k++)
        fr_buf_release(&pp->a[k].buf);
    pp->na = 0;
}

void proc_store_check_params(const struct proc_store_cfg *c, const struct proc_claim_in *in,
                             size_t n, struct proc_params *pp)
{
    memset(pp, 0, sizeof(*pp));
    pp->na = 2;
    fr_pgarr_open(&pp->a[0]);
    fr_pgarr_open(&pp->a[1]);
    for (size_t i = 0; i < n; i++) {
        fr_pgarr_str(&pp->a[0], in[i].id);
        fr_pgarr_int(&pp->a[1], in[i].priority);
    }
    interval_ms(pp->s[0], sizeof(pp->s[0]), c->dedupe_ms);
    pp->n = 4;
    pp->v[0] = c->source;
    pp->v[1] = fr_pgarr_close(&pp->a[0]);
    pp->v[2] = fr_pgarr_close(&pp->a[1]);
    pp->v[3] = pp->s[0];
}

/* The index of the id among n entries of stride bytes whose id pointer is at offset off,
 * looking from *from on and wrapping: rows come back mostly in the order sent, so a pass
 * over an answer is linear, not n x n. -1 when absent. Ids of a batch are unique. */
static long find_id(const void *base, size_t n, size_t stride, size_t off, const char *id,
                    size_t *from)
{
    for (size_t k = 0; k < n; k++) {
        size_t i = (*from + k) % n;
        const char *have = *(const char *const *)((const char *)base + i * stride + off);
        if (strcmp(have, id) == 0) {
            *from = i + 1;
            return (long)i;
        }
    }
    return -1;
}

void proc_store_check_parse(PGresult *res, const struct proc_claim_in *in, size_t n,
                            struct proc_claim_out *out)
{
    size_t from = 0;

    for (size_t i = 0; i < n; i++)
        memset(&out[i], 0, sizeof(out[i])), out[i].state = PROC_DROP;
    for (int r = 0; r < PQntuples(res); r++) {
        long i = find_id(in, n, sizeof(*in), offsetof(struct proc_claim_in, id),
                         PQgetvalue(res, r, 0), &from);
        if (i >= 0)
            out[i].state = PROC_CLAIMED;
    }
}

/* The schedule: each write also updates the item's change-rate estimate and sets its
 * next refresh. A first fetch records the prior the upstream's own history suggests
 * (1 / the seeded interval), if any; without one the prior is the plan's catalog prior
 * ($20), else 1 / the current interval. Each refresh adds an observation (change_n
 * fetches, change_x of them found a change, over change_t seconds, change_tc of them in
 * the intervals that found one) and the estimate is the uneven-interval form of Cho's
 * estimator (fr_fresh_estimate_uneven) blended with the prior weighted as two fetches. Observations
 * older than the last 32 fetches fade out (scaled down), so the estimate follows an
 * item whose rate changes. With a refresh plan ($16, one interval a band of change rate,
 * see common/freshness.h) the interval is its band's, but at most twice the interval
 * just observed: an estimate from a few fetches must not park an item for long (and a
 * first fetch with no prior but the default one comes back at FRESHET_REFRESH_MIN).
 * `was` pairs each result with the row's stored values (was.hash is the fetched hash,
 * was.content_hash the stored one): the update then joins one row set, by key (joining
 * input and the stored values there made a nested loop of n x n). Each id is looked up
 * by primary key (a lateral lookup: a custom plan made while the statistics said the
 * table was small read every row of the source for each batch, 18 ms instead of 4).
 * llm_keep (carries a stored LLM answer over) runs only where there is one: a SQL
 * function with a sub-select is not inlined, and each call cost 6 us a row.
 * An unchanged refresh changes no indexed column and keeps payload and content_hash:
 * a HOT update that logs only the schedule columns (schemas/009_item_due.sql).
 * Without a plan (policy adaptive, or no plan yet) it moves by the Nutch-style
 * factors. */
const char proc_write_sql[] =
    "WITH input AS ("
     " SELECT * FROM unnest($2::text[], $3::bigint[], $4::jsonb[], $5::text[], $6::bigint[],"
                          " $7::int[], $8::int[], $9::int[], $10::text[], $11::bigint[],"
                          " $19::text[], $21::jsonb[])"
       " AS t(id, fetched_ms, payload, hash, observed_ms, price_amazon, price_new,"
            " sales_rank, seller, seed_s, llm, fields)"
    "), was AS MATERIALIZED ("
     " SELECT input.*, i.content_hash, i.refresh_interval, i.last_updated, i.change_n,"
            " i.change_x, i.change_t, i.change_tc, i.change_prior, i.llm_want AS want,"
            " to_timestamp(input.fetched_ms / 1000.0) AS fetched"
     " FROM input CROSS JOIN LATERAL (SELECT i.content_hash, i.refresh_interval,"
       " i.last_updated, i.change_n, i.change_x, i.change_t, i.change_tc, i.change_prior,"
       " i.llm_want FROM items i WHERE i.source = $1 AND i.id = input.id"
       " AND coalesce(i.last_updated, '-infinity') < to_timestamp(input.fetched_ms / 1000.0)"
       " OFFSET 0) i"
    "), upd AS ("
     " UPDATE items i SET status = 'active', content_hash = was.hash,"
     " payload = CASE WHEN was.content_hash IS DISTINCT FROM was.hash"
       " THEN CASE WHEN i.payload ?| '{llm,llm_error}' THEN llm_keep(was.payload, i.payload)"
            " ELSE was.payload END"
       " ELSE i.payload END,"
     " llm_want = coalesce(was.llm, was.want),"
     " llm_due = CASE WHEN llm_changed(was.llm, was.want) THEN now() ELSE i.llm_due END,"
     " llm_bad = CASE WHEN llm_changed(was.llm, was.want) THEN 0 ELSE i.llm_bad END,"
            " last_updated = was.fetched, attempts = 0, last_error = NULL,"
            " last_changed = CASE WHEN was.content_hash IS DISTINCT FROM was.hash"
                           " THEN now() ELSE i.last_changed END,"
            " change_n = ob.n * ob.k, change_x = ob.x * ob.k, change_t = ob.t * ob.k,"
            " change_tc = ob.tc * ob.k, change_prior = f.own_prior, change_rate = est.rate,"
            " refresh_interval = iv.v, next_update_due = now() + iv.v"
     " FROM was,"
     " LATERAL (SELECT was.content_hash IS NULL OR was.last_updated IS NULL AS first,"
       " was.content_hash IS DISTINCT FROM was.hash AS changed,"
       " greatest(extract(epoch FROM was.fetched - was.last_updated)::float8, 0.001) AS dt,"
       " CASE WHEN was.content_hash IS NULL OR was.last_updated IS NULL"
         " THEN CASE WHEN was.seed_s > 0 THEN 1.0 / was.seed_s END"
         " ELSE was.change_prior END AS own_prior) f,"
     " LATERAL (SELECT CASE WHEN f.first THEN 0 ELSE was.change_n + 1 END AS n,"
       " CASE WHEN f.first THEN 0 ELSE was.change_x + f.changed::int END AS x,"
       " CASE WHEN f.first THEN 0 ELSE was.change_t + f.dt END AS t,"
       " CASE WHEN f.first THEN 0 ELSE was.change_tc + f.changed::int * f.dt END AS tc,"
       " CASE WHEN NOT f.first AND was.change_n + 1 > 32"
         " THEN 32 / (was.change_n + 1) ELSE 1.0 END AS k,"
       " coalesce(f.own_prior, nullif($20::float8, 0),"
         " 1.0 / extract(epoch FROM was.refresh_interval)) AS prior) ob,"
     " LATERAL (SELECT change_rate_estimate(ob.n, ob.x, ob.t, ob.tc, ob.prior) AS rate) est,"
     " LATERAL (SELECT least(greatest(CASE"
            " WHEN cardinality($16::float8[]) = " FR_STR(FR_FRESH_BANDS)
              " THEN make_interval(secs => least(plan_interval($16, est.rate, $17, $18),"
                " CASE WHEN NOT f.first THEN 2 * f.dt"
                     " WHEN ob.prior = f.own_prior OR $20::float8 > 0 THEN 'Infinity'"
                     " ELSE 0 END))"
            " WHEN f.first AND was.seed_s > 0"
              " THEN make_interval(secs => was.seed_s)"
            " WHEN f.first THEN was.refresh_interval"
            " WHEN was.content_hash IS DISTINCT FROM was.hash"
              " THEN was.refresh_interval * (1 - $14::float8)"
            " ELSE was.refresh_interval * (1 + $15::float8) END,"
            " $12::interval), $13::interval) AS v) iv"
     " WHERE i.source = $1 AND i.id = ANY($2::text[]) AND i.id = was.id"
       " AND coalesce(i.last_updated, '-infinity') < was.fetched"
     " RETURNING i.id, (was.content_hash IS DISTINCT FROM was.hash) AS changed"
    "), hist AS ("
     " INSERT INTO item_history (source, id, observed_at, content_hash, price_amazon,"
                               " price_new, sales_rank, buybox_seller_id, fields)"
     " SELECT $1, input.id,"
            " CASE WHEN input.observed_ms > 0 THEN to_timestamp(input.observed_ms / 1000.0)"
                 " ELSE now() END,"
            " input.hash, nullif(input.price_amazon, -1), nullif(input.price_new, -1),"
            " nullif(input.sales_rank, -1), nullif(input.seller, ''), input.fields"
     " FROM input JOIN upd ON upd.id = input.id WHERE upd.changed"
     " ON CONFLICT DO NOTHING RETURNING 1"
    ")"
    "SELECT id, changed, (SELECT count(*) FROM hist) FROM upd";

void proc_store_write_params(const struct proc_store_cfg *c, const struct proc_result *r,
                             size_t n, struct proc_params *pp)
{
    memset(pp, 0, sizeof(*pp));
    pp->na = 12;
    for (int k = 0; k < 12; k++)
        fr_pgarr_open(&pp->a[k]);
    for (size_t i = 0; i < n; i++) {
        const struct fr_src_item *p = r[i].rec;
        fr_pgarr_str(&pp->a[0], r[i].id);
        fr_pgarr_int(&pp->a[1], r[i].fetched_ms);
        fr_pgarr_str(&pp->a[2], r[i].payload_text);
        fr_pgarr_str(&pp->a[3], p->content_hash);
        fr_pgarr_int(&pp->a[4], p->observed_at_ms);
        fr_pgarr_int(&pp->a[5], p->obs.price_amazon);
        fr_pgarr_int(&pp->a[6], p->obs.price_new);
        fr_pgarr_int(&pp->a[7], p->obs.sales_rank);
        fr_pgarr_str(&pp->a[8], p->obs.buybox_seller_id);
        fr_pgarr_int(&pp->a[9], p->seed_interval_s);
        fr_pgarr_str(&pp->a[10], r[i].llm_hash[0] ? r[i].llm_hash : NULL);
        fr_pgarr_str(&pp->a[11], p->history);
    }
    pp->v[0] = c->source;
    for (int k = 0; k < 10; k++)
        pp->v[k + 1] = fr_pgarr_close(&pp->a[k]);
    interval_ms(pp->s[0], sizeof(pp->s[0]), c->refresh_min_ms);
    interval_ms(pp->s[1], sizeof(pp->s[1]), c->refresh_max_ms);
    snprintf(pp->s[2], sizeof(pp->s[2]), "%g", c->dec_rate);
    snprintf(pp->s[3], sizeof(pp->s[3]), "%g", c->inc_rate);
    snprintf(pp->s[4], sizeof(pp->s[4]), "%.17g", log(FR_FRESH_RATE_MIN));
    snprintf(pp->s[5], sizeof(pp->s[5]), "%.17g", fr_fresh_band_width());
    for (int k = 0; k < 4; k++)
        pp->v[11 + k] = pp->s[k];
    pp->v[15] = c->plan != NULL ? c->plan : "{}";
    pp->v[16] = pp->s[4];
    pp->v[17] = pp->s[5];
    pp->v[18] = fr_pgarr_close(&pp->a[10]);
    snprintf(pp->s[6], sizeof(pp->s[6]), "%.17g", c->plan != NULL ? c->plan_prior : 0.0);
    pp->v[19] = pp->s[6];
    pp->v[20] = fr_pgarr_close(&pp->a[11]);
    pp->n = 21;
}

int64_t proc_store_write_parse(PGresult *res, struct proc_result *r, size_t n)
{
    int64_t history = 0;

    for (size_t i = 0; i < n; i++)
        r[i].written = r[i].changed = 0;
    size_t from = 0;

    for (int row = 0; row < PQntuples(res); row++) {
        long i = find_id(r, n, sizeof(*r), offsetof(struct proc_result, id),
                         PQgetvalue(res, row, 0), &from);
        history = strtoll(PQgetvalue(res, row, 2), NULL, 10);
        if (i >= 0) {
            r[i].written = 1;
            r[i].changed = PQgetvalue(res, row, 1)[0] == 't';
        }
    }
    return history;
}

static const char fail_sql[] =
    "WITH input AS ("
    "  SELECT * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bool[])"
    "    AS t(id, fetched_ms, reason, final)"
    "), upd AS ("
    "  UPDATE items i SET attempts = i.attempts + 1, last_error = input.reason,"
    "         status = CASE WHEN NOT (input.final OR i.attempts + 1 >= $6) THEN i.status"
    "                       WHEN i.payload IS NOT NULL THEN 'active' ELSE 'failed' END,"
    "         next_update_due = CASE WHEN (input.final OR i.attempts + 1 >= $6)"
    "                                 AND i.payload IS NOT NULL"
    "                           THEN now() + i.refresh_interval ELSE i.next_update_due END"
    "  FROM input WHERE i.source = $1 AND i.id = ANY($2::text[]) AND i.id = input.id"
    "    AND coalesce(i.last_updated, '-infinity') < to_timestamp(input.fetched_ms / 1000.0)"
    "  RETURNING i.id, i.attempts, i.status, (input.final OR i.attempts >= $6) AS done"
    ")"
    "SELECT id, attempts, status, done FROM upd";

int proc_store_fail(struct fr_db *db, const struct proc_store_cfg *c, struct proc_failure *f,
                    size_t n, struct fr_error *err)
{
    struct fr_pgarr a[4];
    char maxa[16];
    const char *params[6];
    PGresult *res;
    int rc;

    for (int k = 0; k < 4; k++)
        fr_pgarr_open(&a[k]);
    for (size_t i = 0; i < n; i++) {
        fr_pgarr_str(&a[0], f[i].id);
        fr_pgarr_int(&a[1], f[i].fetched_ms);
        fr_pgarr_str(&a[2], f[i].reason);
        fr_pgarr_bool(&a[3], f[i].final);
        f[i].outcome = -1;
        f[i].attempts = 0;
    }
    params[0] = c->source;
    for (int k = 0; k < 4; k++) {
        params[k + 1] = fr_pgarr_close(&a[k]);
    }
    snprintf(maxa, sizeof(maxa), "%d", c->max_attempts);
    params[5] = maxa;
    rc = fr_db_query(db, fail_sql, 6, params, &res, err);
    for (int k = 0; k < 4; k++)
        fr_buf_release(&a[k].buf);
    if (rc != 0)
        return rc;
    for (int row = 0; row < PQntuples(res); row++) {
        const char *id = PQgetvalue(res, row, 0);
        int done = PQgetvalue(res, row, 3)[0] == 't';
        const char *status = PQgetvalue(res, row, 2);
        for (size_t i = 0; i < n; i++) {
            if (strcmp(f[i].id, id) != 0)
                continue;
            f[i].attempts = atoi(PQgetvalue(res, row, 1));
            f[i].outcome = !done ? 0 : strcmp(status, "failed") == 0 ? 1 : 2;
        }
    }
    PQclear(res);
    return 0;
}
