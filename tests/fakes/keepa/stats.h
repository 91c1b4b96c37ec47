/*
 * stats.h - counters that tests read back through GET /stats.
 *
 * Requests are counted per API endpoint and outcome (HTTP status, or the
 * fault that replaced the response); products served are counted in total
 * and per catalog ASIN, so a test can check that nothing was fetched twice, and
 * when (and to which client, by User-Agent) a repeated ASIN was first and last served,
 * so it can tell why.
 * Control endpoints (/stats, /_fake/...) are not counted.
 */
#ifndef FK_STATS_H
#define FK_STATS_H

#include "buf.h"
#include "faults.h"

#include <stdint.h>

enum fk_endpoint {
    FK_EP_PRODUCT,
    FK_EP_DEAL,
    FK_EP_SELLER,
    FK_EP_TOKEN,
    FK_EP_OTHER, /* unknown paths (404) */
    FK_EP_COUNT,
};

enum fk_outcome {
    FK_OUT_200,
    FK_OUT_400,
    FK_OUT_402,
    FK_OUT_404,
    FK_OUT_405,
    FK_OUT_429,
    FK_OUT_500,
    FK_OUT_OTHER_STATUS,
    FK_OUT_RESET,
    FK_OUT_TIMEOUT,
    FK_OUT_TRUNCATED,
    FK_OUT_GARBAGE,
    FK_OUT_COUNT,
};

#define FK_STATS_AGENTS 256

struct fk_stats {
    uint64_t requests[FK_EP_COUNT][FK_OUT_COUNT];
    uint64_t faults[FK_FAULT_COUNT];
    uint64_t products_served;
    uint64_t asins_unique;
    uint32_t asins_max;
    uint32_t *served; /* per catalog product */
    uint32_t *first_ms, *last_ms; /* per catalog product: 1 + elapsed ms when served */
    uint8_t *first_agent;         /* per catalog product: agents[] slot of its first client */
    char *agents[FK_STATS_AGENTS]; /* User-Agents seen; slot 0 is "" (none, or too many) */
    int nagents;
    uint32_t size;
};

/* Initialises st for a catalog of size products; release with fk_stats_release. */
void fk_stats_init(struct fk_stats *st, uint32_t size);
void fk_stats_release(struct fk_stats *st);
void fk_stats_reset(struct fk_stats *st);
/* Makes room for a catalog grown to size products (their counters start at zero). */
void fk_stats_grow(struct fk_stats *st, uint32_t size);

/* Returns the endpoint's name in /stats, e.g. "product". */
const char *fk_endpoint_name(enum fk_endpoint ep);

/* Returns the outcome slot of an HTTP status. */
enum fk_outcome fk_outcome_of_status(int status);

void fk_stats_request(struct fk_stats *st, enum fk_endpoint ep, enum fk_outcome out);
void fk_stats_fault(struct fk_stats *st, enum fk_fault f);
/* Returns the slot of a client's User-Agent (NULL: none), for fk_stats_served. */
int fk_stats_agent(struct fk_stats *st, const char *agent);
/* Counts one product entry served `elapsed` ms after start-up to the client in slot
 * agent; idx < 0 for ASINs outside the catalog. */
void fk_stats_served(struct fk_stats *st, int64_t idx, int64_t elapsed, int agent);

/* Appends the counters as JSON members (no braces) to out. */
void fk_stats_render(const struct fk_stats *st, struct fk_buf *out);

/* Appends "asins":{ASIN:count,...} for every ASIN served at least once. */
void fk_stats_render_asins(const struct fk_stats *st, struct fk_buf *out);

/* Appends "repeats":{ASIN:[count,first,last,agent],...} for every ASIN served more than
 * once: first and last are the Unix times in ms of its first and latest serving, agent
 * the User-Agent its first serving went to. */
void fk_stats_render_repeats(const struct fk_stats *st, struct fk_buf *out);

#endif
