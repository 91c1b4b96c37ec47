/*
 * Integration tests: the queue's scripts (common/queue.c) against a real redis-server.
 * They ask Redis once a key, not once an id; what they do must stay what it was.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/queue.h"
#include "common/redis.h"
#include "tests/integration/support.h"

static void connect_or_fail(struct fr_redis *r)
{
    struct fr_error err = {0};

    cr_assert_eq(fr_redis_init(r, itest_redis_url(), 2000, 2000, &err), 0, "%s", err.msg);
    cr_assert_eq(fr_redis_connect(r, &err), 0, "%s", err.msg);
}

static long long int_reply(struct fr_redis *r, const char *fmt, const char *key)
{
    redisReply *rep;
    long long v;

    cr_assert_eq(fr_redis_cmd(r, &rep, NULL, fmt, key), 0, "%s", fmt);
    v = rep->integer;
    freeReplyObject(rep);
    return v;
}

Test(queue, enqueue_claim_ack_keep_their_rules)
{
    struct fr_redis r;
    struct fr_queue q, other;
    struct fr_queue_batch a, b;
    struct fr_error err = {0};
    char src[64], queued[200], holding[200], delayed[200], list[200];
    const char *first[] = {"A1", "B2", "A1", "C3"}, *second[] = {"B2", "D4"};
    const char *done[] = {"A1", "B2"}, *retry[] = {"C3"};
    const int64_t due[] = {4102444800000};
    size_t added = 0;

    connect_or_fail(&r);
    snprintf(src, sizeof(src), "%sq", itest_prefix());
    fr_queue_init(&q, &r, src, "w1");
    fr_queue_init(&other, &r, src, "w2");
    fr_queue_key(&q, "queued", queued, sizeof(queued));
    fr_queue_key(&q, "holding", holding, sizeof(holding));
    fr_queue_key(&q, "delayed", delayed, sizeof(delayed));
    fr_queue_key(&q, "queue", list, sizeof(list));

    /* an id given twice is pushed once; an id already queued is not pushed again */
    cr_assert_eq(fr_queue_enqueue(&q, first, 4, 0, &added, &err), 0, "%s", err.msg);
    cr_assert_eq(added, 3);
    cr_assert_eq(fr_queue_enqueue(&q, second, 2, 0, &added, &err), 0, "%s", err.msg);
    cr_assert_eq(added, 1);
    cr_assert_eq(int_reply(&r, "LLEN %s", list), 4);
    cr_assert_eq(int_reply(&r, "SCARD %s", queued), 4);

    /* a claim takes in order and holds each id for its batch */
    cr_assert_eq(fr_queue_claim(&q, 3, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(a.n, 3);
    cr_assert_str_eq(a.raw[0], "A1");
    cr_assert_str_eq(a.raw[1], "B2");
    cr_assert_str_eq(a.raw[2], "C3");
    cr_assert_eq(int_reply(&r, "HLEN %s", holding), 3);

    /* a duplicate pushed by hand while a live batch holds it is dropped; one that the
     * batch holds for no live list (it is gone) is taken again */
    cr_assert_eq(fr_redis_cmd(&r, NULL, NULL, "RPUSH %s A1 {\"id\":\"B2\"} junk{", list), 0);
    cr_assert_eq(fr_queue_claim(&other, 10, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(b.n, 2, "D4 and the junk entry (dead-lettered by the processor)");
    cr_assert_str_eq(b.raw[0], "D4");
    cr_assert_str_eq(b.raw[1], "junk{");
    fr_queue_batch_release(&b);

    /* ack: done ids leave queued and holding, a retry goes to delayed and stays queued */
    cr_assert_eq(fr_queue_ack(&q, a.key, done, 2, retry, due, 1, &err), 0, "%s", err.msg);
    cr_assert_eq(int_reply(&r, "EXISTS %s", a.key), 0);
    cr_assert_eq(int_reply(&r, "SISMEMBER %s A1", queued), 0);
    cr_assert_eq(int_reply(&r, "SISMEMBER %s C3", queued), 1);
    cr_assert_eq(int_reply(&r, "HEXISTS %s A1", holding), 0);
    cr_assert_eq(int_reply(&r, "HEXISTS %s C3", holding), 0);
    cr_assert_eq(int_reply(&r, "ZCARD %s", delayed), 1);
    fr_queue_batch_release(&a);

    /* with the batch gone, the same id pushed again is claimed */
    cr_assert_eq(fr_redis_cmd(&r, NULL, NULL, "RPUSH %s A1", list), 0);
    cr_assert_eq(fr_queue_claim(&other, 10, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(b.n, 1);
    cr_assert_str_eq(b.raw[0], "A1");
    fr_queue_batch_release(&b);
    fr_redis_close(&r);
}

/* More ids than one script call takes: the chunks add up, and an id repeated in a later
 * chunk is not pushed twice. */
Test(queue, enqueue_in_chunks_counts_each_id_once)
{
    static char names[1200][16];
    const char *ids[1200];
    struct fr_redis r;
    struct fr_queue q;
    struct fr_error err = {0};
    char src[64], list[200];
    size_t added = 0;

    connect_or_fail(&r);
    snprintf(src, sizeof(src), "%sc", itest_prefix());
    fr_queue_init(&q, &r, src, "w1");
    fr_queue_key(&q, "queue", list, sizeof(list));
    for (int i = 0; i < 1200; i++) {
        snprintf(names[i], sizeof(names[i]), "ID%d", i == 700 ? 3 : i);
        ids[i] = names[i];
    }
    cr_assert_eq(fr_queue_enqueue(&q, ids, 1200, 0, &added, &err), 0, "%s", err.msg);
    cr_assert_eq(added, 1199);
    cr_assert_eq(int_reply(&r, "LLEN %s", list), 1199);
    fr_redis_close(&r);
}
