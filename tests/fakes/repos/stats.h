/*
 * stats.h - the counters tests read back through GET /_test/stats.
 *
 * API requests are counted per endpoint and outcome (the HTTP status, or the
 * fault that replaced the answer); repositories served by the detail
 * endpoints are counted per id, so a test can check that nothing was fetched
 * twice. Only API requests count: /_test/ endpoints are never counted.
 */
#ifndef RP_STATS_H
#define RP_STATS_H

#include "faults.h"

#include <jansson.h>
#include <stdint.h>

#define RP_STATS_AGENTS 256 /* distinct User-Agents remembered; more share slot 0 ("") */

enum rp_endpoint {
    RP_EP_PAGE,   /* GET /v1/repos?page=&per_page= */
    RP_EP_OFFSET, /* GET /v1/repos/offset?offset=&limit= */
    RP_EP_CURSOR, /* GET /v1/repos/cursor?cursor=&limit= */
    RP_EP_LINK,   /* GET /v1/repositories?since=&per_page= */
    RP_EP_BATCH,  /* GET /v1/repos/batch?ids= */
    RP_EP_SINGLE, /* GET /v1/repos/{id} */
    RP_EP_OTHER,  /* any other path (404) */
    RP_EP_COUNT,
};

enum rp_outcome {
    RP_OUT_200,
    RP_OUT_400,
    RP_OUT_401,
    RP_OUT_403,
    RP_OUT_404,
    RP_OUT_410,
    RP_OUT_429,
    RP_OUT_500,
    RP_OUT_503,
    RP_OUT_OTHER_STATUS,
    RP_OUT_RESET,
    RP_OUT_TIMEOUT,
    RP_OUT_TRUNCATED,
    RP_OUT_GARBAGE,
    RP_OUT_COUNT,
};

struct rp_stats {
    uint64_t requests[RP_EP_COUNT][RP_OUT_COUNT];
    uint64_t faults[RP_FAULT_COUNT];
    uint64_t listed;         /* records in listing answers */
    uint64_t fetched_total;  /* records in detail answers */
    uint64_t fetched_unique; /* ids fetched at least once */
    uint32_t fetched_max;    /* most fetches of one id */
    uint32_t *fetched;       /* per catalog index */
    uint32_t *first_ms;      /* per catalog index: elapsed ms + 1 of its first fetch (0 never) */
    uint32_t *last_ms;       /* ... and of its latest */
    uint8_t *first_agent;    /* per catalog index: agents[] slot of its first fetch's client */
    char *agents[RP_STATS_AGENTS]; /* User-Agents seen; slot 0 is "" (none, or too many) */
    int nagents;
    uint32_t size;
};

/* Initialises st for size repositories; release with rp_stats_release. */
void rp_stats_init(struct rp_stats *st, uint32_t size);
/* Makes room for size repositories (the catalog grew); counts are kept. */
void rp_stats_resize(struct rp_stats *st, uint32_t size);
void rp_stats_release(struct rp_stats *st);
/* Zeroes every counter. */
void rp_stats_reset(struct rp_stats *st);

/* Returns the endpoint's name in /_test/stats, e.g. "batch" (static). */
const char *rp_endpoint_name(enum rp_endpoint ep);

/* Returns the outcome slot of an HTTP status. */
enum rp_outcome rp_outcome_of_status(int status);

void rp_stats_request(struct rp_stats *st, enum rp_endpoint ep, enum rp_outcome out);
void rp_stats_fault(struct rp_stats *st, enum rp_fault f);
/* Returns the agents[] slot of a client's User-Agent (NULL or too many: 0). */
int rp_stats_agent(struct rp_stats *st, const char *agent);
/* Counts one detail record of repository idx served, elapsed ms after start-up, to the
 * client of agents[] slot agent. */
void rp_stats_fetched(struct rp_stats *st, uint32_t idx, int64_t elapsed, int agent);

/* Adds the counters to the JSON object obj. */
void rp_stats_render(const struct rp_stats *st, json_t *obj);

/* Adds key: {"ID": fetches, ...} for every id fetched at least min (>= 1) times. */
void rp_stats_render_ids(const struct rp_stats *st, json_t *obj, const char *key, uint32_t min);

/* Adds "traces": {"ID": [fetches, first, last, agent], ...} for every id fetched more than
 * once: Unix ms of its first and latest fetch, and the User-Agent of its first fetch. */
void rp_stats_render_traces(const struct rp_stats *st, json_t *obj);

#endif
