/*
 * llm — the analysis loop (see llm.h): claim waiting rows, answer each from the cache or
 * by one call, settle it in PostgreSQL. A job's path:
 *   claimed -> cached answer? -> stored                                    (no call)
 *           -> render -> lock the input hash (busy: another processor is asking; look
 *              again shortly, the cache will have it) -> budget slot -> POST -> settle:
 *              stored | retried (backoff; bad answers at most twice) | llm_error
 * Everything a job holds is released in llm_job_done, once its settle statement ran.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/backoff.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/dbasync.h"
#include "common/json.h"
#include "common/log.h"
#include "common/mem.h"
#include "common/metrics.h"
#include "common/pgarray.h"
#include "processor/llm_internal.h"
#include "processor/proc.h"

static void count(struct proc_llm *l, const char *outcome)
{
    fr_counter_inc(fr_counter_get("freshet_llm_requests_total",
                                  "LLM analysis calls, by outcome",
                                  FR_LABELS("source", l->source, "model", l->a->model,
                                            "outcome", outcome)));
}

static void count_tokens(struct proc_llm *l, const struct fr_llm_usage *u)
{
    fr_counter_add(fr_counter_get("freshet_llm_tokens_total", "LLM tokens used, by kind",
                                  FR_LABELS("source", l->source, "model", l->a->model, "kind",
                                            "prompt")),
                   (double)u->prompt_tokens);
    fr_counter_add(fr_counter_get("freshet_llm_tokens_total", "LLM tokens used, by kind",
                                  FR_LABELS("source", l->source, "model", l->a->model, "kind",
                                            "completion")),
                   (double)u->completion_tokens);
}

static void arm(struct event *ev, int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};

    evtimer_del(ev);
    evtimer_add(ev, &tv);
}

static void job_free(struct llm_job *j)
{
    struct proc_llm *l = j->l;

    if (j->prev)
        j->prev->next = j->next;
    else
        l->list = j->next;
    if (j->next)
        j->next->prev = j->prev;
    if (j->locked && j->answered)
        llm_lock_answered(&l->budget, j->want);
    else if (j->locked)
        llm_unlock(&l->budget, j->want);
    if (j->timer)
        event_free(j->timer);
    free(j->user);
    free(j->id);
    free(j);
    l->jobs--;
}

static void claim(struct proc_llm *l);

/* The loop may have become idle: claim more, or let a stopping processor exit. */
static void settled(struct proc_llm *l)
{
    if (!l->stopping)
        claim(l);
    if (l->p->quitting)
        proc_quit_when_idle(l->p);
}

void llm_job_done(struct llm_job *j)
{
    struct proc_llm *l = j->l;

    job_free(j);
    settled(l);
}

/* --- the call --------------------------------------------------------------------- */

static const char *header_of(const void *arg, const char *name)
{
    return fr_http_response_header(arg, name);
}

/* What the answer's headers say about the provider's window, applied fleet-wide. */
static void correct_budget(struct llm_job *j, const struct fr_http_response *res,
                           const struct fr_llm_usage *u)
{
    struct proc_llm *l = j->l;
    struct fr_llm_limits lim;
    int64_t pause = 0, req = 0, tok = 0, delta = 0;

    if (res->status == 0)
        return;
    fr_llm_read_limits(header_of, res, fr_wall_ms(), &lim);
    if (res->status == 429)
        pause = lim.retry_after_ms > 0 ? lim.retry_after_ms : LLM_DEFAULT_PAUSE_MS;
    if (lim.remaining_requests == 0 && lim.reset_requests_ms > 0)
        req = lim.reset_requests_ms;
    else if (lim.remaining_requests > 0 && lim.remaining_requests <= l->a->concurrency &&
             lim.reset_requests_ms > 0)
        req = lim.reset_requests_ms / lim.remaining_requests; /* what is left, spread */
    if (lim.remaining_tokens >= 0 && lim.remaining_tokens < j->tokens && lim.reset_tokens_ms > 0)
        tok = lim.reset_tokens_ms;
    if (u != NULL && u->prompt_tokens + u->completion_tokens > 0)
        delta = u->prompt_tokens + u->completion_tokens - j->tokens;
    llm_budget_adjust(&l->budget, pause, req, tok, delta);
}

static void retry_transient(struct llm_job *j, int64_t min_ms, const struct fr_llm_usage *u)
{
    struct proc_llm *l = j->l;
    int64_t d = fr_backoff_delay(LLM_RETRY_BASE_MS, LLM_RETRY_CAP_MS, j->fails, &l->rng);

    llm_sql_retry(j, d > min_ms ? d : min_ms, j->bad, j->fails + 1, u);
}

/* A 200: the answer is stored, retried (a bad one, at most twice) or given up on. */
static void settle_answer(struct llm_job *j, const struct fr_http_response *res)
{
    struct proc_llm *l = j->l;
    struct fr_llm_usage u;
    struct fr_error err = {0};
    json_t *answer = NULL;
    int v = fr_llm_parse_answer(res->body, res->body_len, l->a->schema, &answer, &u, &err);

    count_tokens(l, &u);
    correct_budget(j, res, &u);
    if (v == FR_LLM_OK) {
        char *text = json_dumps(answer, JSON_COMPACT | JSON_SORT_KEYS);
        count(l, "ok");
        llm_sql_answer(j, text, 1, &u);
        free(text);
        json_decref(answer);
        return;
    }
    count(l, v == FR_LLM_NOT_JSON ? "not_json" : v == FR_LLM_SCHEMA ? "schema" : "bad_envelope");
    if (v == FR_LLM_ENVELOPE) {
        log_warn_kv(FR_KV("id", j->id, "reason", err.msg), "llm answer unusable, will retry");
        retry_transient(j, 0, &u);
    } else if (j->bad + 1 >= LLM_MAX_BAD) {
        log_warn_kv(FR_KV("id", j->id, "reason", err.msg), "llm answer refused, giving up");
        llm_sql_error(j, err.msg, &u);
    } else {
        log_info_kv(FR_KV("id", j->id, "reason", err.msg), "llm answer refused, asking again");
        llm_sql_retry(j, 0, j->bad + 1, 0, &u);
    }
}

static void hand_back(struct proc_llm *l, struct llm_job *j)
{
    const char *ids[1] = {j->id};

    llm_sql_hand_back(l, ids, 1);
    job_free(j);
}

/* The provider answered (any status but 429, which is about the budget) or failed. */
static void breaker_record(struct proc_llm *l, const struct fr_http_response *res)
{
    int ok = res->err == 0 && res->status < 500;

    if (res->status == 429)
        return;
    if (fr_breaker_record(&l->breaker, ok, fr_mono_ms()))
        log_warn("llm calls %s", ok ? "answered again: sending" : "failing: pausing");
}

static void on_answer(const struct fr_http_response *res, void *arg)
{
    struct llm_job *j = arg;
    struct proc_llm *l = j->l;

    j->sent = 0;
    if (!(res->err != 0 && l->stopping))
        breaker_record(l, res);
    fr_hist_observe(fr_hist_get("freshet_llm_request_duration_seconds",
                                "Time an LLM analysis call took", FR_HIST_DEFAULT,
                                FR_LABELS("source", l->source, "model", l->a->model)),
                    res->seconds);
    if (res->err != 0) {
        if (l->stopping) { /* cancelled at the grace's end: the next owner asks again */
            hand_back(l, j);
            settled(l);
            return;
        }
        count(l, res->err == FR_ERR_TIMEOUT ? "timeout" : "error");
        log_warn_kv(FR_KV("id", j->id, "reason", res->errmsg), "llm call failed, will retry");
        retry_transient(j, 0, NULL);
        return;
    }
    if (res->status == 200) {
        settle_answer(j, res);
        return;
    }
    correct_budget(j, res, NULL);
    if (res->status == 429) {
        struct fr_llm_limits lim;
        fr_llm_read_limits(header_of, res, fr_wall_ms(), &lim);
        count(l, "429");
        llm_sql_retry(j, lim.retry_after_ms > 0 ? lim.retry_after_ms : LLM_DEFAULT_PAUSE_MS,
                      j->bad, j->fails, NULL);
        return;
    }
    count(l, res->status >= 500 ? "5xx" : "4xx");
    log_warn_kv(FR_KV("id", j->id), "llm call answered HTTP %d, will retry: %.200s",
                res->status, res->body);
    retry_transient(j, 0, NULL);
}

static void post(struct llm_job *j)
{
    struct proc_llm *l = j->l;
    char *body = fr_llm_request_body(l->a, j->user, j->user_len);
    struct fr_http_request req = {
        .url = l->url,
        .log_url = l->url,
        .body = body,
        .body_len = strlen(body),
        .content_type = "application/json",
        .timeout_ms = l->a->timeout_ms,
        .max_body = FR_LLM_MAX_BODY,
        .headers = l->headers,
    };
    struct fr_error err = {0};
    int rc = fr_http_start(l->http, &req, on_answer, j, &err);

    free(body);
    if (rc != 0) {
        log_warn_kv(FR_KV("id", j->id), "llm call not started: %s", err.msg);
        retry_transient(j, 1000, NULL);
        return;
    }
    j->sent = 1;
    j->started_us = fr_mono_us();
}

/* Locks the input hash for the call (not while waiting for the budget, so a lock lives
 * as long as a call may take), then posts it. */
static void send_call(struct llm_job *j)
{
    struct proc_llm *l = j->l;
    int64_t now = fr_mono_ms();
    int rc;

    if (!fr_breaker_allow(&l->breaker, now)) { /* its slot is lost: the provider is down */
        int64_t wait = fr_breaker_wait(&l->breaker, now);
        j->tokens = -j->tokens;
        arm(j->timer, wait > 50 ? wait : 50);
        return;
    }
    rc = llm_lock(&l->budget, j->want, l->lease_ms);
    if (rc == 0) { /* another processor is asking: its answer will be in the cache */
        count(l, "in_flight_elsewhere");
        llm_sql_retry(j, 2000, j->bad, j->fails, NULL);
        return;
    }
    j->locked = rc == 1;
    post(j);
}

static void take_budget(struct llm_job *j);

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    struct llm_job *j = arg;

    (void)fd;
    (void)what;
    if (j->tokens < 0) { /* the slot was taken: its time has come */
        j->tokens = -j->tokens;
        send_call(j);
    } else {
        take_budget(j);
    }
}

/* Asks the fleet's budget for a slot; a granted slot ahead is waited for with
 * j->tokens negated (so the timer knows it only has to send). */
static void take_budget(struct llm_job *j)
{
    struct proc_llm *l = j->l;
    struct fr_error err = {0};
    int64_t wait = 0;
    int v = llm_budget_take(&l->budget, j->tokens, &wait, &err);

    if (j->timer == NULL)
        j->timer = evtimer_new(l->p->base, on_timer, j);
    if (v < 0) {
        log_warn("llm budget unavailable, waiting: %s", err.msg);
        arm(j->timer, 1000);
    } else if (v == LLM_TAKE_WAIT) {
        arm(j->timer, wait < 20 ? 20 : wait);
    } else if (wait > 0) {
        j->tokens = -j->tokens;
        arm(j->timer, wait);
    } else {
        send_call(j);
    }
}

/* A claimed row: rendered, locked, then the budget. */
static void start_job(struct llm_job *j, const char *payload_text)
{
    struct proc_llm *l = j->l;
    json_t *payload = json_loads(payload_text, 0, NULL);
    struct fr_buf out;
    struct fr_error err = {0};
    int rc;

    fr_buf_init(&out, FR_DECL_MAX_PROMPT * 4);
    rc = json_is_object(payload) ? fr_prompt_render(l->a->prompt, payload, &out, &err)
                                 : fr_error_set(&err, FR_ERR_DATA, "payload is not an object");
    json_decref(payload);
    if (rc != 0) {
        char reason[FR_ERROR_MSG_MAX + 32];
        snprintf(reason, sizeof(reason), "prompt not rendered: %s", err.msg);
        fr_buf_release(&out);
        llm_sql_error(j, reason, NULL);
        return;
    }
    j->user_len = out.len;
    j->user = fr_buf_detach(&out, NULL);
    j->tokens = fr_llm_estimate_tokens(l->a, j->user_len);
    take_budget(j);
}

/* --- claiming ----------------------------------------------------------------------- */

/* The job of this processor that holds row id, if any. */
static struct llm_job *held(const struct proc_llm *l, const char *id)
{
    for (struct llm_job *j = l->list; j != NULL; j = j->next)
        if (strcmp(j->id, id) == 0)
            return j;
    return NULL;
}

static void on_claimed(PGresult *res, const struct fr_error *err, void *arg)
{
    struct proc_llm *l = arg;
    int n;

    l->claiming = 0;
    if (res == NULL) {
        log_warn("analysis claim failed: %s", err->msg);
        arm(l->claim_ev, LLM_POLL_MS);
        return;
    }
    n = PQntuples(res);
    l->empty = n == 0;
    for (int r = 0; r < n; r++) {
        struct llm_job *j;
        /* A job that waited past its lease (the breaker held it through an outage)
         * finds its row claimed again, by this claim: one job per row, or both would
         * send the same input once the provider is back. The claim renewed its lease. */
        if (held(l, PQgetvalue(res, r, 0)) != NULL) {
            log_debug_kv(FR_KV("id", PQgetvalue(res, r, 0)),
                         "analysis claimed again while its job waits: one job kept");
            continue;
        }
        j = fr_xcalloc(1, sizeof(*j));
        j->l = l;
        j->id = fr_xstrdup(PQgetvalue(res, r, 0));
        snprintf(j->want, sizeof(j->want), "%s", PQgetvalue(res, r, 2));
        j->bad = atoi(PQgetvalue(res, r, 3));
        j->fails = atoi(PQgetvalue(res, r, 4));
        j->next = l->list;
        if (l->list)
            l->list->prev = j;
        l->list = j;
        l->jobs++;
        if (l->stopping) {
            hand_back(l, j);
        } else if (!PQgetisnull(res, r, 5)) {
            fr_counter_inc(fr_counter_get("freshet_llm_cache_hits_total",
                                          "Analyses answered from the cache, no call",
                                          FR_LABELS("source", l->source)));
            llm_sql_answer_cached(j, PQgetvalue(res, r, 5), PQgetvalue(res, r, 6));
        } else {
            start_job(j, PQgetvalue(res, r, 1));
        }
    }
    if (n > 0)
        claim(l);
    else
        arm(l->claim_ev, LLM_POLL_MS);
    if (l->p->quitting)
        proc_quit_when_idle(l->p);
}

static void claim(struct proc_llm *l)
{
    int room = (int)l->a->concurrency - l->jobs;

    if (l->stopping || l->claiming || room <= 0)
        return;
    l->claiming = 1;
    evtimer_del(l->claim_ev);
    llm_sql_claim(l, room, on_claimed);
}

static void on_claim_ev(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    claim(arg);
}

/* --- the start-up scan ------------------------------------------------------------- */

/* Rows stored while the analysis was off have no llm_want, and rows analysed under
 * another model, prompt or schema want another hash: neither waits for analysis until
 * its next refresh. At start-up the loop reads every active row once, in primary-key
 * order, LLM_SCAN_ROWS at a time, computes each stored payload's input hash as the
 * write would (proc_llm_hash), and gives the rows whose llm_want differs that hash and
 * llm_due = now: the claim then takes them like any waiting row, from the cache when
 * the input was answered before (paid once per input, as always). One step at a time,
 * only while the statement queue is short, so the batches' statements go first. */

static void scan_step(struct proc_llm *l);

static void scan_finish(struct proc_llm *l)
{
    l->scan.done = 1;
    log_info("llm start-up scan: %lld active rows read in %lld ms, %lld queued for analysis "
             "(their stored input hash was not this model's, prompt's and schema's)",
             (long long)l->scan.rows, (long long)(fr_mono_ms() - l->scan.started_ms),
             (long long)l->scan.queued);
}

/* The step's rows are settled: move the cursor on, and go on or finish. */
static void scan_advance(struct proc_llm *l)
{
    if (l->scan.next != NULL) {
        free(l->scan.after);
        l->scan.after = l->scan.next;
        l->scan.next = NULL;
    }
    if (l->scan.last)
        scan_finish(l);
    else if (!l->stopping)
        arm(l->scan.ev, 0);
}

/* A step failed (PostgreSQL away): the same step again later, unless stopping. */
static void scan_failed(struct proc_llm *l, const char *what, const struct fr_error *err)
{
    free(l->scan.next);
    l->scan.next = NULL;
    l->scan.last = 0;
    if (l->stopping)
        return;
    log_warn("llm start-up scan: %s failed, trying again: %s", what, err->msg);
    arm(l->scan.ev, LLM_POLL_MS);
}

static void on_scan_queued(PGresult *res, const struct fr_error *err, void *arg)
{
    struct proc_llm *l = arg;

    l->scan.busy = 0;
    if (res == NULL) {
        scan_failed(l, "queueing", err);
    } else {
        int n = atoi(PQcmdTuples(res));
        l->scan.queued += n;
        if (n > 0) {
            l->empty = 0; /* --once: these are waiting now */
            proc_llm_kick(l);
        }
        scan_advance(l);
    }
    if (l->p->quitting)
        proc_quit_when_idle(l->p);
}

static void on_scanned(PGresult *res, const struct fr_error *err, void *arg)
{
    struct proc_llm *l = arg;
    struct fr_pgarr ids, wants, lus;
    size_t nq = 0;
    int n;

    l->scan.busy = 0;
    if (res == NULL) {
        scan_failed(l, "reading", err);
        if (l->p->quitting)
            proc_quit_when_idle(l->p);
        return;
    }
    n = PQntuples(res);
    l->scan.rows += n;
    l->scan.last = n < LLM_SCAN_ROWS;
    if (n > 0)
        l->scan.next = fr_xstrdup(PQgetvalue(res, n - 1, 0));
    fr_pgarr_open(&ids);
    fr_pgarr_open(&wants);
    fr_pgarr_open(&lus);
    for (int r = 0; r < n; r++) {
        char hex[65];
        proc_llm_hash(l, PQgetvalue(res, r, 1), hex);
        if (hex[0] == '\0' || (!PQgetisnull(res, r, 2) && strcmp(hex, PQgetvalue(res, r, 2)) == 0))
            continue;
        fr_pgarr_str(&ids, PQgetvalue(res, r, 0));
        fr_pgarr_str(&wants, hex);
        fr_pgarr_str(&lus, PQgetvalue(res, r, 3));
        nq++;
    }
    if (nq > 0 && !l->stopping) {
        const char *a = fr_pgarr_close(&ids), *b = fr_pgarr_close(&wants);
        const char *c = fr_pgarr_close(&lus);
        l->scan.busy = 1;
        llm_sql_scan_queue(l, a, b, c, on_scan_queued);
    } else if (nq == 0) {
        scan_advance(l);
    }
    fr_buf_release(&ids.buf);
    fr_buf_release(&wants.buf);
    fr_buf_release(&lus.buf);
    if (l->p->quitting)
        proc_quit_when_idle(l->p);
}

static void scan_step(struct proc_llm *l)
{
    if (l->stopping || l->scan.busy || l->scan.done)
        return;
    if (fr_dbq_pending(l->p->dbq) > LLM_SCAN_BUSY) {
        arm(l->scan.ev, LLM_SCAN_WAIT_MS);
        return;
    }
    l->scan.busy = 1;
    llm_sql_scan(l, on_scanned);
}

static void on_scan_ev(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    scan_step(arg);
}

/* --- the interface ------------------------------------------------------------------ */

int proc_llm_load(struct proc *p, const char *dir, struct proc_llm **out, struct fr_error *err)
{
    const char *source = p->cfg->common.source;
    char *path = fr_xasprintf("%s/%s.yaml", dir, source);
    struct fr_decl_source *s = NULL;
    struct proc_llm *l;
    struct stat st;
    struct fr_buf prompt;
    int rc;

    *out = NULL;
    rc = stat(path, &st);
    free(path);
    if (rc != 0)
        return 0; /* no source file: no analysis */
    if ((rc = fr_decl_load(dir, source, &s, err)) != 0)
        return rc;
    if (!s->analysis.present) {
        fr_decl_free(s);
        return 0;
    }
    fr_buf_init(&prompt, FR_DECL_MAX_PROMPT);
    if ((rc = fr_decl_read_file(s->analysis.prompt_file, FR_DECL_MAX_PROMPT, &prompt, err)) != 0) {
        fr_buf_release(&prompt);
        fr_decl_free(s);
        return rc;
    }
    l = fr_xcalloc(1, sizeof(*l));
    l->p = p;
    l->src = s;
    l->a = &s->analysis;
    l->source = source;
    fr_llm_config_digest(l->a, prompt.data ? prompt.data : "", prompt.len, l->digest);
    fr_buf_release(&prompt);
    l->url = fr_xasprintf("%s/chat/completions", l->a->url);
    if (l->a->api_key != NULL) {
        l->auth = fr_xasprintf("Authorization: Bearer %s", l->a->api_key);
        l->headers[0] = l->auth;
    }
    l->cache_ttl_ms = p->cfg->llm_cache_ttl_ms;
    /* A claim (and a lock) outlives the call's time limit and its settling; a job that
     * waits longer for the budget keeps no lock, and its row claimed again meanwhile
     * only answers the same hash twice into one fence. */
    l->lease_ms = l->a->timeout_ms + 10000;
    l->rng = (uint64_t)fr_mono_us() ^ ((uint64_t)getpid() << 24);
    *out = l;
    return 0;
}

void proc_llm_start(struct proc_llm *l)
{
    struct fr_error err = {0};

    l->http = fr_http_new(l->p->base, (int)l->a->concurrency, &err);
    if (l->http == NULL) {
        log_error("start-up failed: %s", err.msg);
        exit(1);
    }
    fr_http_set_worker(l->http, l->p->worker_id);
    llm_budget_init(&l->budget, &l->p->redis, l->source, l->p->worker_id,
                    l->a->requests_per_minute, l->a->tokens_per_minute);
    fr_breaker_init(&l->breaker, LLM_BREAKER_FAILURES, LLM_BREAKER_COOLDOWN_MS);
    l->claim_ev = evtimer_new(l->p->base, on_claim_ev, l);
    l->scan.ev = evtimer_new(l->p->base, on_scan_ev, l);
    l->scan.after = fr_xstrdup("");
    l->scan.started_ms = fr_mono_ms();
    log_info_kv(FR_KV("model", l->a->model, "prompt", l->a->prompt_file),
                "llm analysis on: %s, concurrency %lld, %lld requests and %lld tokens a minute "
                "(0: no limit)", l->url, (long long)l->a->concurrency,
                (long long)l->a->requests_per_minute, (long long)l->a->tokens_per_minute);
    arm(l->claim_ev, 0);
    arm(l->scan.ev, 0);
}

void proc_llm_hash(const struct proc_llm *l, const char *payload_text, char hex[65])
{
    json_t *payload = json_loads(payload_text, 0, NULL);
    struct fr_buf out;
    struct fr_error err = {0};

    hex[0] = '\0';
    fr_buf_init(&out, FR_DECL_MAX_PROMPT * 4);
    /* The rendered prompt, then each of `inputs` (a field the answer depends on even
     * where the prompt does not show it) as name and canonical value. */
    if (json_is_object(payload) && fr_prompt_render(l->a->prompt, payload, &out, &err) == 0) {
        for (size_t i = 0; i < l->a->ninputs && err.code == 0; i++) {
            json_t *v = fr_prompt_lookup(payload, l->a->inputs[i]);
            fr_buf_putc(&out, '\0');
            fr_buf_puts(&out, l->a->inputs[i]);
            fr_buf_putc(&out, '=');
            if (v == NULL)
                fr_buf_puts(&out, "null");
            else
                fr_json_dump_canonical(v, &out, &err);
        }
        if (err.code == 0)
            fr_llm_input_hash(l->digest, out.data ? out.data : "", out.len, hex);
    }
    json_decref(payload);
    fr_buf_release(&out);
}

void proc_llm_kick(struct proc_llm *l)
{
    if (l != NULL && !l->stopping && !l->claiming && l->jobs < l->a->concurrency)
        arm(l->claim_ev, 0);
}

void proc_llm_stop(struct proc_llm *l)
{
    struct llm_job *j, *next;

    if (l == NULL || l->stopping)
        return;
    l->stopping = 1;
    evtimer_del(l->claim_ev);
    if (l->scan.ev)
        evtimer_del(l->scan.ev); /* the next start scans again */
    /* Jobs not sent yet go back at once; calls in flight may still finish. */
    for (j = l->list; j != NULL; j = next) {
        next = j->next;
        if (!j->sent && j->timer != NULL && evtimer_pending(j->timer, NULL))
            hand_back(l, j);
    }
}

void proc_llm_cancel(struct proc_llm *l)
{
    if (l == NULL)
        return;
    proc_llm_stop(l);
    if (l->http)
        fr_http_cancel_all(l->http); /* each handed back by on_answer */
}

int proc_llm_busy(const struct proc_llm *l)
{
    return l == NULL ? 0 : l->jobs + l->claiming + l->scan.busy;
}

int proc_llm_drained(const struct proc_llm *l)
{
    return l == NULL || (l->empty && l->scan.done && proc_llm_busy(l) == 0);
}

void proc_llm_tick(struct proc_llm *l)
{
    int64_t waiting, now = fr_mono_ms();

    if (l == NULL)
        return;
    llm_sql_flush_usage(l);
    if ((waiting = llm_sql_waiting(l)) >= 0)
        fr_gauge_set(fr_gauge_get("freshet_llm_waiting", "Rows waiting for their analysis",
                                  FR_LABELS("source", l->source)), (double)waiting);
    if (!l->stopping && (l->purged_ms == 0 || now - l->purged_ms >= LLM_PURGE_MS)) {
        l->purged_ms = now;
        llm_sql_purge(l);
    }
}

void proc_llm_free(struct proc_llm *l)
{
    if (l == NULL)
        return;
    proc_llm_cancel(l);
    while (l->list != NULL) /* settle statements still queued: their lease runs out */
        job_free(l->list);
    llm_sql_flush_usage(l);
    fr_http_free(l->http);
    if (l->claim_ev)
        event_free(l->claim_ev);
    if (l->scan.ev)
        event_free(l->scan.ev);
    free(l->scan.after);
    free(l->scan.next);
    free(l->url);
    free(l->auth);
    fr_decl_free(l->src);
    free(l);
}
