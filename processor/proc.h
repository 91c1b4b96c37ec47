/*
 * proc — the processor's state, shared by its modules: main.c (configuration, start,
 * shutdown), pump.c (budget, claim, start fetches), batch.c (what a fetched batch
 * becomes: the source's enrichment step, write, retry, dead letter, acknowledge),
 * store.c (SQL).
 */
#ifndef PROC_H
#define PROC_H

#include <event2/event.h>
#include <stdint.h>

#include "common/budget.h"
#include "common/config.h"
#include "common/db.h"
#include "common/fleet.h"
#include "common/dbasync.h"
#include "common/http.h"
#include "common/jsonschema.h"
#include "common/queue.h"
#include "common/redis.h"
#include "common/source.h"
#include "common/sources/settings.h"
#include "common/upstream.h"
#include "processor/store.h"

struct proc_config {
    struct fr_common_config common;
    struct fr_source_settings src;
    const char *admin_addr;
    int64_t batch, concurrency, max_attempts;
    int64_t grace_ms, lease_ms, dedupe_ms, idle_ms, heartbeat_ms;
    int64_t retry_base_ms, retry_cap_ms, token_period_ms;
    int64_t refresh_min_ms, refresh_max_ms;
    double inc_rate, dec_rate;
    const char *policy; /* "budget" or "adaptive" */
    int64_t db_conns;
    int64_t llm_cache_ttl_ms;
    const char *sources_dir;
    int once;
};

struct proc_stats {
    uint64_t active, failed, retried, dropped, deferred, dead, history, batches, requests;
};

struct proc_fleet;

/* One source's processor: its own connections, queue, budget, breaker, requests and
 * refresh plan. A process runs one per source of FRESHET_SOURCE on one event loop. */
struct proc {
    const struct proc_config *cfg; /* cfg->common.source is this one's name */
    struct proc_fleet *fleet;      /* the process's sources; borrowed */
    size_t slot;                   /* its place in fleet->core */
    struct event_base *base;
    struct fr_redis redis;
    struct fr_db db;      /* rare statements (failures, releases), blocking */
    struct fr_dbq *dbq;   /* claims and writes, without blocking the loop */
    struct fr_queue queue;
    struct fr_budget budget;
    struct fr_http *http;
    struct fr_source *src;
    const struct fr_schema *schema; /* the source's, borrowed; NULL: none */
    struct fr_upstream up;
    struct proc_store_cfg store;
    struct event *pump_ev, *tick_ev, *grace_ev;
    int in_flight;   /* batches between claim and acknowledgement */
    int writing;     /* of which fetched, holding their write's parameters */
    int answered;    /* of which answered (from the answer to the acknowledgement) */
    int syncing;     /* a /token request is in flight */
    int sync_failures;
    int stopping;    /* no new work: draining */
    int quitting;    /* exit once nothing is in flight (SIGTERM, or --once done) */
    const char *worker_id;
    struct proc_llm *llm; /* the analysis step; NULL when the source has none */
    int idle;        /* the last claim found nothing */
    int64_t idle_wait_ms; /* the next wait on an empty queue (0: it just had work) */
    int exit_code;
    uint64_t rng;
    struct proc_stats stats;
    int budget_policy;       /* FRESHET_REFRESH_POLICY=budget */
    char *plan;              /* the refresh plan last read (store.plan points here) */
    int64_t plan_loaded_ms;  /* monotonic */
};

/* The process: every source it serves, sharing the event loop, the admin server and
 * the signal handlers (main.c). */
struct proc_fleet {
    struct fr_fleet core; /* the loop, the admin server, who is finished */
    struct proc *procs; /* n, owned */
    struct proc_config *cfgs; /* procs[i].cfg, owned */
    size_t n;
};

/* main.c: marks p's source finished once no batch and no analysis is in flight (with
 * --once, once no analysis is waiting either); until then the last one to settle calls
 * it again. The loop ends when every source of the process is finished. */
void proc_quit_when_idle(struct proc *p);

/* pump.c */
void proc_pump_soon(struct proc *p, int64_t ms);
void proc_pump_cb(evutil_socket_t fd, short what, void *arg);

struct proc_batch;
/* batch.c: called when the detail answer (or failure) for a batch arrived. */
void proc_batch_fetched(struct proc_batch *b, const struct fr_up_result *r);
/* batch.c: starts the detail request of a claimed batch. */
int proc_batch_fetch(struct proc_batch *b);
/* batch.c: a batch whose ids were all dropped or deferred: acknowledge and free. */
void proc_batch_finish(struct proc_batch *b);

/* The in-flight batch, shared by pump.c and batch.c. */
struct proc_item {
    const char *id; /* in proc_batch.ids */
    int priority;
    struct proc_claim_out claim;
    int outcome; /* enum below */
    int64_t retry_due_ms;
};

enum { ITEM_PENDING = 0, ITEM_DONE, ITEM_RETRY };

/* Answered batches (parsed, waiting for an enrichment or a write) a DB connection may
 * have before the engine holds further detail answers in their sockets: memory stays flat
 * whatever FRESHET_CONCURRENCY, and the transfers stay in flight. As many answers again
 * may wait in their sockets before the pump stops starting requests: PostgreSQL then
 * has work queued for longer than an upstream round trip, and the rest of the
 * concurrency is not spent on answers that could only wait (each costs a claim, a curl
 * handle and its first read). */
#define PROC_ANSWERED_PER_CONN 4

/* The first wait on a queue found empty (pump.c: next_idle_wait). */
#define PROC_IDLE_FIRST_MS 5

struct proc_batch {
    struct proc *p;
    int answered;            /* counted in proc.answered */
    char key[200];
    struct proc_item *items; /* unique valid ids */
    char *ids;               /* their text, one block (an id is ~11 bytes, not 64) */
    size_t n;
    int64_t tokens;          /* reserved for the detail request */
    struct fr_src_item *recs; /* the answer's records; an OK one keeps only its text */
    size_t nrecs;
    int64_t started_us;
    int64_t store_deadline_ms; /* monotonic: retry a failed write until then */
    struct proc_result *results; /* the write in flight */
    size_t nresults;
    int64_t write_started_us;
    char *wparams[21];           /* the write statement's parameters, kept for a retry */
    int nwparams;                /* > 0: counted in proc.writing */
    struct event *retry_ev;    /* a write retry armed while PostgreSQL is away */
};

/* batch.c: writes the batch's results (again, after a failed write). */
void proc_batch_store(struct proc_batch *b);
/* Gives the claims of still-pending items back (no attempt counted); they wait in
 * `delayed` until due_ms. */
void proc_batch_release(struct proc_batch *b, int64_t due_ms);

#endif
