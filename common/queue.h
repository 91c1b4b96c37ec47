/*
 * queue — freshet's work queue in Redis: what is waiting, what a worker holds, what
 * waits for a retry, what is dead. Every key starts with "freshet:{<source>}:" (the
 * hash tag keeps a source in one Redis Cluster slot, so the Lua scripts may touch all
 * of them). The batch list is the claim: an id is in one batch at a time (`queued`
 * guards every enqueue, `holding` catches a duplicate pushed by hand), and PostgreSQL
 * fences the writes by fetch time (see processor/store.h). A lost entry loses nothing:
 * the refresher re-enqueues pending rows Redis no longer holds.
 *
 *   queue            list  ids waiting, normal priority; operators RPUSH here
 *   queue:hot        list  ids waiting, priority 1-2 (new discoveries first)
 *   queued           set   ids held anywhere below (dedupe; loss detection)
 *   batch:<w>:<n>    list  a batch worker <w> claimed and has not acknowledged
 *   batches:<w>      set   the batch keys worker <w> holds
 *   worker:<w>       str   heartbeat (expires): while it lives, <w>'s batches are its own
 *   workers          set   worker ids that may hold batches (for the reaper)
 *   delayed          zset  ids waiting for a retry, score = due time (unix ms)
 *   dead             list  dead letters: JSON {item, reason, time, source}
 *   sentinel         str   set by the refresher; missing means Redis lost its data
 *   flushed          str   when the refresher found it missing (unix ms), until the
 *                          pending rows Redis lost are re-enqueued
 *   holding          hash  id -> the batch list holding it: a second entry of an id
 *                          some live batch holds is dropped when claimed, so two
 *                          processors never fetch one id at once
 *
 * A queue item is a bare id or a JSON object {"id": ..., "priority": n}.
 */
#ifndef FR_QUEUE_H
#define FR_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/redis.h"

#define FR_QUEUE_MAX_ID 64
#define FR_QUEUE_MAX_ITEM 4096 /* longer items are dead-lettered (truncated) */

struct fr_queue {
    struct fr_redis *redis; /* borrowed */
    char prefix[80];        /* "freshet:{<source>}:" */
    char source[40];
    char worker[128];
    uint64_t batch_seq;
};

void fr_queue_init(struct fr_queue *q, struct fr_redis *r, const char *source, const char *worker);

/* Writes "<prefix><suffix>" into out. */
void fr_queue_key(const struct fr_queue *q, const char *suffix, char *out, size_t n);

/* A parsed queue item. */
struct fr_queue_item {
    char id[FR_QUEUE_MAX_ID];
    int priority; /* 0 when the item did not say */
};

/* Parses a raw queue entry; FR_ERR_DATA with the reason when it is not a valid item.
 * valid_id decides what an id may look like (NULL: any 1..63 printable chars). */
int fr_queue_parse_item(const char *raw, size_t len, int (*valid_id)(const char *),
                        struct fr_queue_item *out, struct fr_error *err);

/* Enqueues ids not already queued (SADD-guarded); hot selects queue:hot.
 * *added (may be NULL) gets how many were new. One round trip. */
int fr_queue_enqueue(struct fr_queue *q, const char *const *ids, size_t n, int hot,
                     size_t *added, struct fr_error *err);

/* A claimed batch: raw entries moved atomically from queue:hot then queue into a
 * batch list this worker owns until fr_queue_ack. */
struct fr_queue_batch {
    char key[200];
    char **raw;     /* owned */
    size_t *lens;
    size_t n;
};

/* Claims up to max entries (0 claimed is not an error). Call fr_queue_batch_release. */
int fr_queue_claim(struct fr_queue *q, size_t max, struct fr_queue_batch *b, struct fr_error *err);
void fr_queue_batch_release(struct fr_queue_batch *b);

/* Finishes a batch: deletes its list; ids in done leave the `queued` set; ids in retry
 * go to `delayed` at their due times (they stay in `queued`). One round trip. */
int fr_queue_ack(struct fr_queue *q, const char *batch_key, const char *const *done,
                 size_t ndone, const char *const *retry, const int64_t *due_ms, size_t nretry,
                 struct fr_error *err);

/* Puts a whole batch back at the head of the queue (shutdown, upstream pause). */
int fr_queue_hand_back(struct fr_queue *q, const char *batch_key, struct fr_error *err);

/* Appends a dead letter {item (truncated to 1 KiB), reason, time, source}. */
int fr_queue_dead_letter(struct fr_queue *q, const char *raw, size_t len, const char *reason,
                         struct fr_error *err);

/* Heartbeat: marks this worker alive for ttl_ms and registers it. */
int fr_queue_heartbeat(struct fr_queue *q, int64_t ttl_ms, const char *info, struct fr_error *err);
/* Unregisters this worker (clean shutdown, after its batches are acknowledged). */
int fr_queue_retire(struct fr_queue *q, struct fr_error *err);

/* Requeues the batches of every registered worker whose heartbeat expired.
 * *workers / *items (may be NULL) get how many were reaped. */
int fr_queue_reap(struct fr_queue *q, size_t *workers, size_t *items, struct fr_error *err);

/* Moves up to max due ids from `delayed` to the queue; *moved gets how many. */
int fr_queue_promote(struct fr_queue *q, int64_t now_ms, size_t max, size_t *moved,
                     struct fr_error *err);

/* Lengths: queue + queue:hot, delayed, dead. Any pointer may be NULL. */
int fr_queue_depths(struct fr_queue *q, int64_t *waiting, int64_t *delayed, int64_t *dead,
                    struct fr_error *err);

/* Sets the freshet_queue_depth, freshet_delayed_items and freshet_dead_letters gauges
 * (a metrics scrape hook: pass the queue as arg). */
void fr_queue_export_depths(void *queue);

/* For each id, whether Redis holds it (member of `queued`); held[i] gets 0/1. */
int fr_queue_held(struct fr_queue *q, const char *const *ids, size_t n, int *held,
                  struct fr_error *err);

/* Checks the flush sentinel; creates it when missing (Redis restarted empty or was
 * flushed) and then records the time it was found missing in `flushed`, for every
 * refresher of the fleet. *lost_ms gets that time (unix ms) while the loss is not yet
 * recovered (see fr_queue_flush_recovered), else 0. */
int fr_queue_sentinel(struct fr_queue *q, int64_t *lost_ms, struct fr_error *err);
/* The pending rows lost with Redis's data were re-enqueued: forgets `flushed`. */
int fr_queue_flush_recovered(struct fr_queue *q, struct fr_error *err);

#endif
