/*
 * status — the parts of `freshetctl status`: status.c gathers the PostgreSQL figures and
 * runs the command, status_redis.c the Redis ones (queues, budget key, workers), and
 * status_show.c turns the snapshot (a JSON object) into a table or a JSON line.
 */
#ifndef CTL_STATUS_H
#define CTL_STATUS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "common/db.h"
#include "common/err.h"
#include "common/redis.h"

struct status_ctx {
    struct fr_db *db;       /* borrowed */
    struct fr_redis *redis; /* borrowed */
    const char *source;
    int64_t token_period_ms;
};

/* The snapshot as a new JSON object, or NULL with err set. */
json_t *status_gather(struct status_ctx *c, struct fr_error *err);
/* Adds "queue" {queue, hot, waiting, delayed, dead, queued_set}. */
int status_gather_queue(struct status_ctx *c, json_t *st, struct fr_error *err);
/* Adds "workers": [{id, ttl_ms, info}] for registered workers whose heartbeat lives. */
int status_gather_workers(struct status_ctx *c, json_t *st, struct fr_error *err);

/* status_llm.c: adds "llm" {analysed, waiting, failed, today {requests, prompt_tokens,
 * completion_tokens}}, or null when the source has no analysis; prints its line. */
int status_gather_llm(struct status_ctx *c, json_t *st, struct fr_error *err);
void status_print_llm(const json_t *st, FILE *f);

void status_print_table(const json_t *st, FILE *f);
/* A row per snapshot of the array (one per source): rows by status, queues, budget. */
void status_print_overview(const json_t *all, FILE *f);
void status_print_json(const json_t *st, FILE *f);

#endif
