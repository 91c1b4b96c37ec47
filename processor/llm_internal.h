/*
 * llm_internal — what the analysis modules (llm.c, llm_sql.c, llm_budget.c) share; see
 * llm.h for the step as a whole.
 */
#ifndef PROC_LLM_INTERNAL_H
#define PROC_LLM_INTERNAL_H

#include <event2/event.h>
#include <libpq-fe.h>
#include <stdint.h>

#include "common/breaker.h"
#include "common/err.h"
#include "common/http.h"
#include "common/llm.h"
#include "common/redis.h"
#include "common/sources/decl_config.h"
#include "processor/llm.h"

/* An answer that is not JSON or fails the schema is retried at most twice. */
#define LLM_MAX_BAD 3
/* Transient failures back off from 1 s to 5 min (full jitter). */
#define LLM_RETRY_BASE_MS 1000
#define LLM_RETRY_CAP_MS 300000
/* A 429 without Retry-After pauses the fleet for this long. */
#define LLM_DEFAULT_PAUSE_MS 1000
/* A call is sent only when its budget slot is at most this far ahead; otherwise the job
 * asks again later, holding nothing of the budget meanwhile. */
#define LLM_SLOT_HORIZON_MS 2000
/* Even spacing keeps a margin under the limits: network jitter must not put one call
 * too many into the upstream's window. */
#define LLM_SPACING_MARGIN 1.02
/* After this many failed calls in a row (5xx, time-outs, resets) the processor sends
 * nothing for the cooldown, then one probe: a provider that is down is not hammered by
 * every waiting row's own backoff. */
#define LLM_BREAKER_FAILURES 5
#define LLM_BREAKER_COOLDOWN_MS 5000
/* How often an idle loop looks for waiting rows (a batch's write kicks it sooner). */
#define LLM_POLL_MS 1000
/* How often expired cache rows are deleted. */
#define LLM_PURGE_MS 600000
/* The start-up scan (see llm.c) reads this many active rows a step, and waits while the
 * processor's statement queue holds more than LLM_SCAN_BUSY statements. */
#define LLM_SCAN_ROWS 200
#define LLM_SCAN_BUSY 4
#define LLM_SCAN_WAIT_MS 100

/* The Redis side: the fleet's budget (requests and tokens spent evenly, a pause after
 * a 429) and the in-flight lock of each input hash. Keys freshet:{<source>}:llm:budget
 * (hash) and freshet:{<source>}:llm:lock:<hash> (string with an expiry). */
struct llm_budget {
    struct fr_redis *redis;  /* borrowed */
    const char *worker;      /* borrowed */
    char key[160];
    char lock_prefix[160];
    double ms_per_req, ms_per_tok; /* 0: no limit of that kind configured */
};

enum llm_take { LLM_TAKE_WAIT = 0, LLM_TAKE_GO = 1 };

void llm_budget_init(struct llm_budget *b, struct fr_redis *r, const char *source,
                     const char *worker, int64_t rpm, int64_t tpm);
/* Takes a slot for one call of `tokens` estimated tokens: LLM_TAKE_GO with *wait_ms the
 * delay until the slot (the call waits that long), or LLM_TAKE_WAIT with *wait_ms before
 * asking again (paused, or the next slot beyond the horizon). A Redis failure is an
 * error (the caller waits a second). */
int llm_budget_take(struct llm_budget *b, int64_t tokens, int64_t *wait_ms, struct fr_error *err);
/* Corrections after an answer: pause everything for pause_ms; no call before req_ms /
 * no token spent before tok_ms from now; tok_delta tokens more (or fewer) than the
 * estimate were used. 0 leaves each alone. Errors are logged: the budget is a hint. */
void llm_budget_adjust(struct llm_budget *b, int64_t pause_ms, int64_t req_ms, int64_t tok_ms,
                       int64_t tok_delta);
/* 1: this worker now holds hash's in-flight lock for ttl_ms; 0: another holds it; <0:
 * Redis failed (the caller goes on: a lock is a saving, PostgreSQL stays the truth). */
int llm_lock(struct llm_budget *b, const char *hash, int64_t ttl_ms);
void llm_unlock(struct llm_budget *b, const char *hash);
/* After the answer is in the cache: the lock becomes a marker that outlives any job of
 * another processor still holding the same input (its lease ran out while the breaker
 * held it): that job finds the hash taken, claims again and meets the cached answer
 * instead of paying a second time. */
#define LLM_ANSWERED_MS 600000
void llm_lock_answered(struct llm_budget *b, const char *hash);

/* One claimed row. */
struct llm_job {
    struct proc_llm *l;
    char *id;
    char want[65];      /* the input hash the row wants answered (cache and lock key) */
    char *user;         /* the rendered prompt */
    size_t user_len;
    int bad, fails;     /* the row's llm_bad, llm_fails when claimed */
    int locked;
    int answered;       /* the paid answer is stored (cache and row) */
    int sent;           /* an HTTP call is in flight */
    int64_t tokens;     /* estimated, reserved from the budget */
    int64_t started_us;
    struct event *timer; /* waiting for the budget or for its slot */
    struct llm_job *next, *prev;
};

struct proc_llm {
    struct proc *p;
    struct fr_decl_source *src; /* owns the analysis section */
    const struct fr_decl_analysis *a;
    const char *source;
    char digest[65];
    char *url;          /* <url>/chat/completions */
    char *auth;         /* "Authorization: Bearer KEY": a secret */
    const char *headers[2];
    struct fr_http *http;
    struct llm_budget budget;
    struct fr_breaker breaker;
    struct event *claim_ev;
    int64_t cache_ttl_ms;
    int64_t lease_ms;
    int claiming;       /* a claim statement is in flight */
    int jobs;           /* claimed and not settled */
    struct {
        int64_t requests, prompt_tokens, completion_tokens;
    } paid;             /* calls answered since the last llm_sql_flush_usage */
    int stopping;
    int empty;          /* the last claim found nothing */
    int64_t purged_ms;
    uint64_t rng;
    struct llm_job *list;
    /* The start-up scan: active rows whose llm_want is not their stored payload's input
     * hash under this configuration (written while the analysis was off, or under
     * another model, prompt or schema) get it and wait for analysis. */
    struct {
        struct event *ev;
        char *after;       /* the last id scanned (keyset order); "" before the first */
        char *next;        /* the last id of the step in progress */
        int busy;          /* a scan statement is in flight */
        int done;
        int last;          /* the step in progress read the last rows */
        int64_t rows, queued, started_ms;
    } scan;
};

/* llm_sql.c: statements (async on p->dbq unless said otherwise). */
void llm_sql_claim(struct proc_llm *l, int n, void (*cb)(PGresult *, const struct fr_error *,
                                                         void *));
/* Stores answer_text (validated, compact JSON) on the row when it still wants j->want,
 * clearing llm_error; with paid != 0 also caches it and counts its tokens. */
void llm_sql_answer(struct llm_job *j, const char *answer_text, int paid,
                    const struct fr_llm_usage *u);
/* The row gives up on j->want: payload.llm_error = reason. */
void llm_sql_error(struct llm_job *j, const char *reason, const struct fr_llm_usage *u);
/* The row waits again from delay_ms on; bad/fails added to its counters. */
void llm_sql_retry(struct llm_job *j, int64_t delay_ms, int bad, int fails,
                   const struct fr_llm_usage *u);
/* Blocking (shutdown): every listed row may be claimed again now. */
void llm_sql_hand_back(struct proc_llm *l, const char *const *ids, size_t n);
/* Adds the calls paid since the last flush to llm_usage (blocking; kept on failure). */
void llm_sql_flush_usage(struct proc_llm *l);
/* Rows waiting for analysis (blocking; -1 on failure). */
int64_t llm_sql_waiting(struct proc_llm *l);
void llm_sql_purge(struct proc_llm *l);

/* The start-up scan: the next LLM_SCAN_ROWS active rows after l->scan.after (id,
 * payload text, llm_want, last_updated); then the rows of ids[] whose input hash is
 * wants[] and whose last_updated is still lus[] (no write since the read) get it and
 * wait for analysis; rows locked by a write now are left to that write. Arrays are
 * PostgreSQL array literals. */
void llm_sql_scan(struct proc_llm *l, void (*cb)(PGresult *, const struct fr_error *, void *));
void llm_sql_scan_queue(struct proc_llm *l, const char *ids, const char *wants, const char *lus,
                        void (*cb)(PGresult *, const struct fr_error *, void *));

/* Stores a cached answer (no call, nothing cached again). */
void llm_sql_answer_cached(struct llm_job *j, const char *answer_text, const char *model);

/* llm.c: a settle statement finished; frees j and claims more. */
void llm_job_done(struct llm_job *j);


#endif
