/*
 * scout — discovery's state, shared by main.c (configuration, schedule, shutdown),
 * pass.c (one discovery pass: pages read ahead concurrently, cursor, backpressure)
 * and store.c (one statement per page: insert unseen ids, mark known ones due).
 */
#ifndef SCOUT_H
#define SCOUT_H

#include <event2/event.h>
#include <stdint.h>

#include "common/budget.h"
#include "common/config.h"
#include "common/db.h"
#include "common/fleet.h"
#include "common/dbasync.h"
#include "common/http.h"
#include "common/queue.h"
#include "common/redis.h"
#include "common/source.h"
#include "common/sources/settings.h"
#include "common/upstream.h"

struct scout_config {
    struct fr_common_config common;
    struct fr_source_settings src;
    const char *admin_addr;
    int64_t interval_ms, grace_ms, high_water, ahead, max_pages, token_period_ms, db_conns;
    int once;
};

#define SCOUT_MAX_AHEAD 32

struct scout_page {
    int page;
    int state; /* 0 free, 1 in flight, 2 done, 3 retry, 4 being stored */
    int tries;
    int64_t retry_at_ms;
    int deals;
    /* A listing that is not indexed: where the page after this one starts, taken up
     * once this one is stored (a page whose store failed is asked again as it was). */
    char *after_next; /* owned */
    int64_t after_n;  /* records (with the skipped ones) on this page */
};

struct scout_fleet;

/* One source's discovery: its own connections, queue, budget, breaker and schedule. A
 * process runs one per source of FRESHET_SOURCE on one event loop. */
struct scout {
    const struct scout_config *cfg; /* cfg->common.source is this one's name */
    struct scout_fleet *fleet;      /* the process's sources; borrowed */
    size_t slot;                   /* its place in fleet->core */
    struct event_base *base;
    struct fr_redis redis;
    struct fr_db db;     /* cursor and worker_runs, blocking */
    struct fr_dbq *dbq;  /* page statements, without blocking the loop */
    struct fr_queue queue;
    struct fr_budget budget;
    struct fr_http *http;
    struct fr_source *src;
    struct fr_upstream up;
    struct event *pass_ev, *step_ev, *grace_ev;
    /* the pass in progress */
    int running;
    int stopping;
    int pages_start; /* first page of this pass */
    int next_page;   /* next page to request */
    int done_upto;   /* pages [start, done_upto) are stored: the cursor */
    int end_page;    /* first page after the last one (the listing ends there), -1 unknown */
    char *at_next;   /* a listing that is not indexed: page done_upto's cursor or link */
    int64_t at_offset; /* ... and the records before it */
    int failed;      /* the pass gave up on a page */
    int in_flight;   /* pages requested upstream */
    int storing;     /* pages whose statement is running */
    int64_t cursor_saved_ms;
    int syncing;
    int sync_failures;
    struct scout_page pages[SCOUT_MAX_AHEAD];
    int64_t run_id;
    int64_t pass_started_ms;
    uint64_t seen, inserted, enqueued, marked_due, passes;
    int exit_code;
};

/* The process: every source it serves, sharing the event loop, the admin server and
 * the signal handlers (main.c). */
struct scout_fleet {
    struct fr_fleet core; /* the loop, the admin server, who is finished */
    struct scout *scouts;      /* n, owned */
    struct scout_config *cfgs; /* scouts[i].cfg, owned */
    size_t n;
};

/* main.c: s's source is finished (its --once pass ended, or it stopped); the loop ends
 * when every source of the process is. */
void scout_finished(struct scout *s);

/* pass.c */
void scout_pass_start(struct scout *s);
void scout_step_cb(evutil_socket_t fd, short what, void *arg);
void scout_step_soon(struct scout *s, int64_t ms);
/* Frees what a pass holds (at exit). */
void scout_pass_free(struct scout *s);

/* store.c: inserts unseen ids (pending, priority 1) and enqueues exactly those; marks
 * known active ids whose payload differs from their record's signal due now. Runs on the
 * async pool and calls scout_page_stored(s, page, err) from the loop when done (err NULL:
 * stored). */
void scout_store_page(struct scout *s, int page, const struct fr_src_record *recs, size_t n);
/* pass.c */
void scout_page_stored(struct scout *s, int page, const struct fr_error *err);
/* The persisted position of the listing: its page and, for a listing that is not
 * indexed, the records before it and its cursor or link (*next: new, or NULL). */
int scout_cursor_load(struct scout *s, int *page, int64_t *offset, char **next,
                      struct fr_error *err);
int scout_cursor_save(struct scout *s, int page, int64_t offset, const char *next,
                      struct fr_error *err);
int scout_run_begin(struct scout *s);
void scout_run_end(struct scout *s, int ok, const char *error);

#endif
