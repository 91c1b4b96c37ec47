/*
 * llm_sql — the analysis's statements (see llm_internal.h). Every statement on a row is
 * fenced by the input hash it claimed: `llm_want = $3`. A write that brought new inputs
 * since (a newer record) changed llm_want, so an older answer, error or retry changes
 * nothing, and the row waits for the newer inputs' answer.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dbasync.h"
#include "common/log.h"
#include "common/pgarray.h"
#include "processor/llm_internal.h"
#include "processor/proc.h"

/* The oldest-due waiting rows, claimed for a lease; a row answered before (within the
 * cache's time to live) comes with its cached answer. SKIP LOCKED: two processors
 * never claim one row, and a row a batch is writing now is taken next time. */
static const char claim_sql[] =
    "WITH c AS ("
    "  SELECT id FROM items"
    "  WHERE source = $1 AND llm_want IS DISTINCT FROM llm_done AND llm_due <= now()"
    "    AND llm_want IS NOT NULL"
    "  ORDER BY llm_due LIMIT $2::int"
    "  FOR UPDATE SKIP LOCKED"
    "), upd AS ("
    "  UPDATE items i SET llm_due = now() + $3::interval FROM c"
    "  WHERE i.source = $1 AND i.id = c.id"
    "  RETURNING i.id, i.payload, i.llm_want, i.llm_bad, i.llm_fails"
    ")"
    "SELECT u.id, u.payload::text, u.llm_want, u.llm_bad, u.llm_fails, k.answer::text, k.model"
    " FROM upd u LEFT JOIN llm_cache k"
    "   ON k.hash = u.llm_want AND k.created_at > now() - $4::interval";

#define LLM_STR2(x) #x
#define LLM_STR(x) LLM_STR2(x)

/* The start-up scan's read: active rows in primary-key order after $2 (a constant LIMIT:
 * the plan walks items_pkey and stops there). The ids come first and the payloads of
 * those only: on a table filled since its last ANALYZE the planner may read every active
 * row through items_due and sort them, and then it sorts ids, not payload texts
 * (20,000 rows: 10-18 ms a step instead of 66; 0.9 ms with statistics). */
static const char scan_sql[] =
    "SELECT i.id, i.payload::text, i.llm_want, i.last_updated::text FROM ("
    "  SELECT id FROM items"
    "  WHERE source = $1 AND id > $2 AND status = 'active' AND payload IS NOT NULL"
    "  ORDER BY source, id LIMIT " LLM_STR(LLM_SCAN_ROWS)
    ") c JOIN items i ON i.source = $1 AND i.id = c.id"
    " ORDER BY i.id";

/* ... and its queueing: $2 ids, $3 input hashes, $4 last_updated as read. A write since
 * the read stored another payload (and its own llm_want): the row is left alone, as is
 * one a write holds now (SKIP LOCKED: a batch's write is never kept waiting, and never
 * deadlocks with this statement). */
static const char scan_queue_sql[] =
    "WITH u AS ("
    "  SELECT * FROM unnest($2::text[], $3::text[], $4::timestamptz[]) AS t(id, want, lu)"
    "), c AS ("
    "  SELECT i.id, u.want FROM items i JOIN u ON i.source = $1 AND i.id = u.id"
    "  WHERE i.status = 'active' AND i.last_updated = u.lu"
    "    AND i.llm_want IS DISTINCT FROM u.want"
    "  FOR UPDATE OF i SKIP LOCKED"
    ")"
    "UPDATE items i SET llm_want = c.want, llm_due = now(), llm_bad = 0, llm_fails = 0"
    " FROM c WHERE i.source = $1 AND i.id = c.id";

/* $1 source, $2 id, $3 hash, $4 answer, $5 model, $6 cache it. */
static const char answer_sql[] =
    "WITH cache AS ("
    "  INSERT INTO llm_cache (hash, source, model, answer)"
    "  SELECT $3, $1, $5, $4::jsonb WHERE $6::bool"
    "  ON CONFLICT (hash) DO UPDATE SET answer = EXCLUDED.answer, model = EXCLUDED.model,"
    "         created_at = now()"
    "  RETURNING 1"
    ")"
    "UPDATE items SET payload = (payload - 'llm_error') || jsonb_build_object("
    "         'llm', $4::jsonb, 'llm_model', $5::text,"
    "         'llm_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')),"
    "       llm_done = $3, llm_due = NULL, llm_bad = 0, llm_fails = 0"
    " WHERE source = $1 AND id = $2 AND llm_want = $3"
    " RETURNING (SELECT count(*) FROM cache)";

/* $1 source, $2 id, $3 hash, $4 reason. */
static const char error_sql[] =
    "UPDATE items SET payload = payload || jsonb_build_object('llm_error', $4::text),"
    "       llm_done = $3, llm_due = NULL, llm_bad = 0, llm_fails = 0"
    " WHERE source = $1 AND id = $2 AND llm_want = $3";

/* $1 source, $2 id, $3 hash, $4 delay, $5 bad answers, $6 failures in a row. */
static const char retry_sql[] =
    "UPDATE items SET llm_due = now() + $4::interval, llm_bad = $5::smallint,"
    "       llm_fails = $6::smallint"
    " WHERE source = $1 AND id = $2 AND llm_want = $3";

/* $1 source, $2 calls, $3 prompt tokens, $4 completion tokens. */
static const char usage_sql[] =
    "INSERT INTO llm_usage AS u (source, day, requests, prompt_tokens, completion_tokens)"
    " VALUES ($1, (now() AT TIME ZONE 'UTC')::date, $2, $3, $4)"
    " ON CONFLICT (source, day) DO UPDATE SET requests = u.requests + EXCLUDED.requests,"
    "   prompt_tokens = u.prompt_tokens + EXCLUDED.prompt_tokens,"
    "   completion_tokens = u.completion_tokens + EXCLUDED.completion_tokens";

static void interval_ms(char *out, size_t n, int64_t ms)
{
    snprintf(out, n, "%" PRId64 " milliseconds", ms);
}

void llm_sql_claim(struct proc_llm *l, int n, void (*cb)(PGresult *, const struct fr_error *,
                                                         void *))
{
    char limit[16], lease[48], ttl[48];
    const char *params[4] = {l->source, limit, lease, ttl};

    snprintf(limit, sizeof(limit), "%d", n);
    interval_ms(lease, sizeof(lease), l->lease_ms);
    interval_ms(ttl, sizeof(ttl), l->cache_ttl_ms);
    fr_dbq_query(l->p->dbq, claim_sql, 4, params, cb, l);
}

void llm_sql_scan(struct proc_llm *l, void (*cb)(PGresult *, const struct fr_error *, void *))
{
    const char *params[2] = {l->source, l->scan.after};

    fr_dbq_query(l->p->dbq, scan_sql, 2, params, cb, l);
}

void llm_sql_scan_queue(struct proc_llm *l, const char *ids, const char *wants, const char *lus,
                        void (*cb)(PGresult *, const struct fr_error *, void *))
{
    const char *params[4] = {l->source, ids, wants, lus};

    fr_dbq_query(l->p->dbq, scan_queue_sql, 4, params, cb, l);
}

static void on_settled(PGresult *res, const struct fr_error *err, void *arg)
{
    struct llm_job *j = arg;

    if (res == NULL)
        /* The claim's lease runs out and the row is claimed again: nothing is lost. */
        log_warn_kv(FR_KV("id", j->id), "analysis not recorded (claimed again later): %s",
                    err->msg);
    llm_job_done(j);
}

/* Paid calls are summed here and written by llm_sql_flush_usage: one row a source and
 * day that every call of every processor would update is a hot row, and a commit a call
 * more. (With one processor it made no measurable difference: 651 vs 670 analyses/s at
 * 0 ms from the fake.) A kill -9 loses at most a heartbeat of this count, never an
 * answer. */
static void usage(struct llm_job *j, const struct fr_llm_usage *u)
{
    struct proc_llm *l = j->l;

    if (u == NULL)
        return;
    l->paid.requests++;
    l->paid.prompt_tokens += u->prompt_tokens;
    l->paid.completion_tokens += u->completion_tokens;
}

void llm_sql_flush_usage(struct proc_llm *l)
{
    char n[24], pt[24], ct[24];
    const char *params[4] = {l->source, n, pt, ct};
    struct fr_error err = {0};

    if (l->paid.requests == 0)
        return;
    snprintf(n, sizeof(n), "%" PRId64, l->paid.requests);
    snprintf(pt, sizeof(pt), "%" PRId64, l->paid.prompt_tokens);
    snprintf(ct, sizeof(ct), "%" PRId64, l->paid.completion_tokens);
    if (fr_db_query(&l->p->db, usage_sql, 4, params, NULL, &err) != 0) {
        log_warn("llm token usage not recorded yet: %s", err.msg);
        return;
    }
    memset(&l->paid, 0, sizeof(l->paid));
}

static void on_answered(PGresult *res, const struct fr_error *err, void *arg)
{
    struct llm_job *j = arg;

    j->answered = res != NULL;
    on_settled(res, err, arg);
}

void llm_sql_answer(struct llm_job *j, const char *answer_text, int paid,
                    const struct fr_llm_usage *u)
{
    const char *params[6] = {j->l->source, j->id, j->want, answer_text, j->l->a->model,
                             paid ? "true" : "false"};

    if (paid)
        usage(j, u);
    fr_dbq_query(j->l->p->dbq, answer_sql, 6, params, paid ? on_answered : on_settled, j);
}

void llm_sql_answer_cached(struct llm_job *j, const char *answer_text, const char *model)
{
    const char *params[6] = {j->l->source, j->id, j->want, answer_text, model, "false"};

    fr_dbq_query(j->l->p->dbq, answer_sql, 6, params, on_settled, j);
}

void llm_sql_error(struct llm_job *j, const char *reason, const struct fr_llm_usage *u)
{
    const char *params[4] = {j->l->source, j->id, j->want, reason};

    usage(j, u);
    fr_dbq_query(j->l->p->dbq, error_sql, 4, params, on_settled, j);
}

void llm_sql_retry(struct llm_job *j, int64_t delay_ms, int bad, int fails,
                   const struct fr_llm_usage *u)
{
    char delay[48], b[16], f[16];
    const char *params[6] = {j->l->source, j->id, j->want, delay, b, f};

    usage(j, u);
    interval_ms(delay, sizeof(delay), delay_ms);
    snprintf(b, sizeof(b), "%d", bad > 100 ? 100 : bad);
    snprintf(f, sizeof(f), "%d", fails > 100 ? 100 : fails);
    fr_dbq_query(j->l->p->dbq, retry_sql, 6, params, on_settled, j);
}

void llm_sql_hand_back(struct proc_llm *l, const char *const *ids, size_t n)
{
    struct fr_pgarr a;
    const char *params[2];
    struct fr_error err = {0};

    if (n == 0)
        return;
    fr_pgarr_open(&a);
    for (size_t i = 0; i < n; i++)
        fr_pgarr_str(&a, ids[i]);
    params[0] = l->source;
    params[1] = fr_pgarr_close(&a);
    if (fr_db_query(&l->p->db,
                    "UPDATE items SET llm_due = now() WHERE source = $1 AND id = ANY($2::text[])"
                    "   AND llm_want IS DISTINCT FROM llm_done",
                    2, params, NULL, &err) != 0)
        log_warn("analyses not handed back (claimed again when their lease ends): %s",
                 err.msg);
    fr_buf_release(&a.buf);
}

int64_t llm_sql_waiting(struct proc_llm *l)
{
    const char *params[1] = {l->source};
    struct fr_error err = {0};
    PGresult *res;
    int64_t n;

    if (fr_db_query(&l->p->db,
                    "SELECT count(*) FROM items WHERE source = $1"
                    " AND llm_want IS DISTINCT FROM llm_done",
                    1, params, &res, &err) != 0)
        return -1;
    n = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return n;
}

static void on_purged(PGresult *res, const struct fr_error *err, void *arg)
{
    (void)arg;
    if (res == NULL)
        log_warn("expired llm cache rows not deleted: %s", err->msg);
    else if (atoi(PQcmdTuples(res)) > 0)
        log_info("deleted %s expired llm cache rows", PQcmdTuples(res));
}

void llm_sql_purge(struct proc_llm *l)
{
    char ttl[48];
    const char *params[1] = {ttl};

    interval_ms(ttl, sizeof(ttl), l->cache_ttl_ms);
    fr_dbq_query(l->p->dbq, "DELETE FROM llm_cache WHERE created_at < now() - $1::interval", 1,
                 params, on_purged, l);
}
