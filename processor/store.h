/*
 * store — the processor's PostgreSQL statements, each one round trip per batch: the
 * check before a fetch (which ids are worth a request; it only reads on the common
 * path), the fenced write of results (payload, history, active, adaptive schedule in one
 * statement) and failure accounting.
 *
 * Who works on an item is decided in Redis: an id sits in one batch list at a time (see
 * common/queue.h). PostgreSQL fences every write by fetch time instead: a result or a
 * failure is stored only when its fetch started after the fetch the row holds
 * (`last_updated`), so a processor that stalled past its batch's life cannot overwrite
 * newer data and history never goes back in time. Fetch times are the processors' wall
 * clocks: keep them in step (NTP), as any fleet must.
 */
#ifndef PROC_STORE_H
#define PROC_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "common/db.h"
#include "common/pgarray.h"
#include "common/source.h"

struct proc_claim_in {
    const char *id;
    int priority; /* 0 = unspecified */
};

enum proc_claim_state { PROC_CLAIMED = 0, PROC_BUSY = 1, PROC_DROP = 2 };

/* PROC_CLAIMED: fetch it; PROC_DROP: a duplicate, no fetch; PROC_BUSY: not now (the
 * check failed), look again at busy_until_ms. */
struct proc_claim_out {
    int state;
    int64_t fetched_ms;    /* when its fetch started (unix ms): the write's fence */
    int64_t busy_until_ms; /* PROC_BUSY: when to look again (unix ms) */
};

struct proc_store_cfg {
    const char *source;
    int64_t lease_ms;        /* how long a batch may take from Redis to its write */
    int64_t dedupe_ms;       /* an active row fetched within this, or a failed row queued
                              * within it, is not fetched again: a stale duplicate of a dead
                              * id does not revive it (freshetctl dlq retry does) */
    int64_t refresh_min_ms, refresh_max_ms;
    double inc_rate, dec_rate;
    int max_attempts;
    const char *plan;        /* the source's refresh plan: one interval in seconds a band
                              * of change rate, as a float8[] literal; NULL: none (the
                              * Nutch-style factors). Borrowed. */
    double plan_prior;       /* the plan's catalog prior rate (changes a second), the
                              * estimate's prior for items without a history; 0: none */
};

/* A statement's parameters, owned here so the batch can hand them to fr_dbq_query
 * (which copies them) and release them at once. */
struct proc_params {
    int n;
    const char *v[21];
    struct fr_pgarr a[12];
    int na;
    char s[7][48];
};
void proc_params_release(struct proc_params *pp);

/* Checks ids (creating rows for ids pushed without one): proc_check_sql with the
 * parameters built here; the result is read into out[i], matching in[i]. */
extern const char proc_check_sql[];
void proc_store_check_params(const struct proc_store_cfg *c, const struct proc_claim_in *in,
                             size_t n, struct proc_params *pp);
void proc_store_check_parse(PGresult *res, const struct proc_claim_in *in, size_t n,
                            struct proc_claim_out *out);

struct proc_result {
    const char *id;
    int64_t fetched_ms; /* when its fetch started (unix ms): the fence */
    const struct fr_src_item *rec;    /* status OK: hash, times, observation */
    char *payload_text;               /* owned by the caller */
    char llm_hash[65];                /* the analysis's input hash of the payload; "" when
                                         the source has no analysis (the row keeps its own) */
    int written;                      /* out: 1 when the fence held and the row is active */
    int changed;                      /* out: content differed from the stored one */
};

/* Writes successful results (proc_write_sql); parse sets written/changed and returns how
 * many history rows were added. The payload keeps the row's llm, llm_model, llm_at and
 * llm_error (the analysis's, not the upstream's); a result with an llm_hash sets the
 * row's llm_want, and a new one makes the row wait for analysis now. */
extern const char proc_write_sql[];
void proc_store_write_params(const struct proc_store_cfg *c, const struct proc_result *r,
                             size_t n, struct proc_params *pp);
int64_t proc_store_write_parse(PGresult *res, struct proc_result *r, size_t n);

struct proc_failure {
    const char *id;
    int64_t fetched_ms; /* when its fetch started (unix ms): the fence */
    const char *reason;
    int final;      /* fail now whatever the attempts (e.g. upstream says it does not exist) */
    int attempts;   /* out: attempts after this one */
    int outcome;    /* out: 0 retry later, 1 failed for good, 2 gave up a refresh (row kept
                       active with its old payload), -1 fence lost (someone else owns it) */
};

int proc_store_fail(struct fr_db *db, const struct proc_store_cfg *c, struct proc_failure *f,
                    size_t n, struct fr_error *err);


#endif
