/*
 * refr — the refresher's state, shared by main.c (configuration, schedule, shutdown),
 * due.c (re-queue what is due), recover.c (retries, dead workers, lost work) and
 * upkeep.c (history partitions, retention, staleness figures).
 */
#ifndef REFR_H
#define REFR_H

#include <event2/event.h>
#include <stdint.h>

#include "common/budget.h"
#include "common/config.h"
#include "common/db.h"
#include "common/fleet.h"
#include "common/pace.h"
#include "common/queue.h"
#include "common/redis.h"

struct refr_config {
    struct fr_common_config common;
    const char *admin_addr;
    int64_t pass_ms, grace_ms, refresh_min_ms, refresh_max_ms;
    int64_t per_pass, low_water, reserve, recover_after_ms, retention_ms, token_period_ms;
    int64_t lease_ms;     /* the processors' FRESHET_LEASE */
    const char *policy;   /* "budget" or "adaptive" */
    double refresh_share; /* of the budget's refill, what refreshes may plan to spend */
    int once;
};

/* Upstream tokens one refreshed item costs (the built-in source's detail request: one an
 * id). */
#define REFR_TOKENS_PER_ITEM 1.0
/* How often the budget-aware plan is solved again. */
#define REFR_PLAN_MS 15000

struct refr_stats {
    uint64_t requeued, promoted, reaped_workers, reaped_items, recovered, passes;
};

struct refr_fleet;

/* One source's refresher: its own connections, queue, budget, pace and plan. A process
 * runs one per source of FRESHET_SOURCE on one event loop. */
struct refr {
    const struct refr_config *cfg; /* cfg->common.source is this one's name */
    struct refr_fleet *fleet;      /* the process's sources; borrowed */
    size_t slot;                   /* its place in fleet->core */
    struct event_base *base;
    struct fr_redis redis;
    struct fr_db db;
    struct fr_queue queue;
    struct fr_budget budget;
    struct event *pass_ev;
    int64_t last_upkeep_ms, last_staleness_ms;
    struct refr_stats stats;
    int stopping;
    int flush_noted;          /* the wait after a Redis loss was logged */
    int budget_policy;        /* FRESHET_REFRESH_POLICY=budget */
    int64_t plan_at_ms;       /* monotonic: when the plan was last solved */
    uint64_t plan_requeued;   /* stats.requeued then */
    double plan_rows;         /* active rows with an estimate, as last counted */
    double first_fetch_per_s; /* what the backlog of first fetches needs, as last counted */
    struct fr_pace pace;      /* fleet-wide allowance of re-queues (budget policy) */
};

/* The process: every source it serves, sharing the event loop, the admin server and
 * the signal handlers (main.c). */
struct refr_fleet {
    struct fr_fleet core; /* the loop, the admin server, who is finished */
    struct refr *refrs;       /* n, owned */
    struct refr_config *cfgs; /* refrs[i].cfg, owned */
    size_t n;
};

/* Each returns 0 or an error code; err says why. */
int refr_due(struct refr *r, struct fr_error *err);
int refr_recover(struct refr *r, struct fr_error *err);
int refr_upkeep(struct refr *r, struct fr_error *err);
int refr_staleness(struct refr *r, struct fr_error *err);
int refr_failed_runs(struct refr *r, struct fr_error *err);
int refr_plan(struct refr *r, struct fr_error *err);

#endif
