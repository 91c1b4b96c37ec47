/*
 * queue_ceiling — how fast this machine's Redis moves ids through freshet's queue, with
 * exactly the calls the fleet makes: fr_queue_enqueue of one discovery page (150 ids, as
 * the scout enqueues a /deal page; the library splits it into script calls of 50, each id
 * SADD-guarded and RPUSHed one by one), then fr_queue_claim of 100 and fr_queue_ack of
 * the whole batch as done (as the processor does per batch), until the queue is empty.
 * One connection, one process: that is what one scout and one processor each have.
 *
 *   queue_ceiling N          REDIS_URL from the environment; source "bench"
 *
 * Prints one line of key=value figures for tests/bench/run.sh; exits 1 when a call
 * failed or the counts do not add up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/queue.h"
#include "common/redis.h"

#define PAGE 150 /* ids per /deal page: one fr_queue_enqueue call in the scout */
#define BATCH 100
#define ID_LEN 16

static int enqueue_all(struct fr_queue *q, const char **ids, size_t n, size_t *added,
                       struct fr_error *err)
{
    *added = 0;
    for (size_t off = 0; off < n; off += PAGE) {
        size_t m = n - off < PAGE ? n - off : PAGE, got = 0;
        int rc = fr_queue_enqueue(q, ids + off, m, 1, &got, err);
        if (rc != 0)
            return rc;
        *added += got;
    }
    return 0;
}

static int claim_ack_all(struct fr_queue *q, size_t *claimed, struct fr_error *err)
{
    const char *done[BATCH];

    *claimed = 0;
    for (;;) {
        struct fr_queue_batch b;
        int rc = fr_queue_claim(q, BATCH, &b, err);
        if (rc != 0)
            return rc;
        if (b.n == 0) {
            fr_queue_batch_release(&b);
            return 0;
        }
        for (size_t i = 0; i < b.n; i++)
            done[i] = b.raw[i];
        rc = fr_queue_ack(q, b.key, done, b.n, NULL, NULL, 0, err);
        *claimed += b.n;
        fr_queue_batch_release(&b);
        if (rc != 0)
            return rc;
    }
}

static double per_s(size_t n, int64_t us)
{
    return us > 0 ? (double)n * 1e6 / (double)us : 0;
}

int main(int argc, char **argv)
{
    const char *url = getenv("REDIS_URL");
    long n = argc == 2 ? strtol(argv[1], NULL, 10) : 0;
    struct fr_error err = {0};
    struct fr_redis r;
    struct fr_queue q;
    char *block = NULL;
    const char **ids = NULL;
    size_t added = 0, claimed = 0;
    int64_t t0, t1, t2;
    int ret = 1;

    if (n <= 0 || url == NULL) {
        fprintf(stderr, "usage: REDIS_URL=... queue_ceiling N\n");
        return 2;
    }
    if (fr_redis_init(&r, url, 5000, 30000, &err) != 0 || fr_redis_connect(&r, &err) != 0) {
        fprintf(stderr, "queue_ceiling: %s\n", err.msg);
        return 1;
    }
    fr_queue_init(&q, &r, "bench", "bench-ceiling");
    block = fr_xcalloc((size_t)n, ID_LEN);
    ids = fr_xcalloc((size_t)n, sizeof(*ids));
    for (long i = 0; i < n; i++) {
        snprintf(block + (size_t)i * ID_LEN, ID_LEN, "B%09ld", i);
        ids[i] = block + (size_t)i * ID_LEN;
    }
    t0 = fr_mono_us();
    if (enqueue_all(&q, ids, (size_t)n, &added, &err) != 0)
        goto cleanup;
    t1 = fr_mono_us();
    if (claim_ack_all(&q, &claimed, &err) != 0)
        goto cleanup;
    t2 = fr_mono_us();
    if (added != (size_t)n || claimed != (size_t)n) {
        fr_error_set(&err, FR_ERR_DATA, "enqueued %zu and claimed %zu of %ld ids", added, claimed,
                     n);
        goto cleanup;
    }
    printf("n=%ld enqueue_s=%.3f claim_ack_s=%.3f enqueue_per_s=%.0f claim_ack_per_s=%.0f "
           "items_per_s=%.0f\n",
           n, (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6, per_s(added, t1 - t0),
           per_s(claimed, t2 - t1), per_s((size_t)n, t2 - t0));
    ret = 0;
cleanup:
    if (ret != 0)
        fprintf(stderr, "queue_ceiling: %s\n", err.msg);
    free(ids);
    free(block);
    fr_redis_close(&r);
    return ret;
}
