/*
 * Integration tests: common/redis against a real redis-server, including a restart
 * of the server in the middle of a test.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/clock.h"
#include "common/redis.h"
#include "tests/integration/support.h"

static void connect_or_fail(struct fr_redis *r)
{
    struct fr_error err = {0};

    cr_assert_eq(fr_redis_init(r, itest_redis_url(), 2000, 2000, &err), 0, "%s", err.msg);
    cr_assert_eq(fr_redis_connect(r, &err), 0, "%s", err.msg);
}

Test(redis, command_reply_and_error_reply)
{
    struct fr_redis r;
    struct fr_error err = {0};
    redisReply *rep;

    connect_or_fail(&r);
    cr_assert_eq(fr_redis_cmd(&r, NULL, &err, "SET %sk %s", itest_prefix(), "v"), 0);
    cr_assert_eq(fr_redis_cmd(&r, &rep, &err, "GET %sk", itest_prefix()), 0);
    cr_assert_str_eq(rep->str, "v");
    freeReplyObject(rep);
    cr_assert_eq(fr_redis_cmd(&r, &rep, &err, "NOSUCHCOMMAND"), FR_ERR_PROTO);
    cr_assert_null(rep);
    cr_assert(strstr(err.msg, "unknown command") != NULL, "%s", err.msg);
    cr_assert(fr_redis_connected(&r), "an error reply must not drop the connection");
    fr_redis_close(&r);
}

Test(redis, pipeline_reads_every_reply)
{
    struct fr_redis r;
    redisReply *rep;
    char key[80];

    connect_or_fail(&r);
    snprintf(key, sizeof(key), "%slist", itest_prefix());
    fr_redis_cmd(&r, NULL, NULL, "DEL %s", key);
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(fr_redis_append(&r, NULL, "RPUSH %s %d", key, i), 0);
    cr_assert_eq(fr_redis_append(&r, NULL, "BOGUS"), 0);
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(fr_redis_read(&r, &rep, NULL), 0);
        cr_assert_eq(rep->integer, i + 1);
        freeReplyObject(rep);
    }
    cr_assert_eq(fr_redis_read(&r, &rep, NULL), FR_ERR_PROTO, "error reply comes back in order");
    cr_assert_not_null(rep);
    freeReplyObject(rep);
    cr_assert_eq(r.pending, 0);
    fr_redis_close(&r);
}

Test(redis, script_survives_script_flush)
{
    struct fr_redis r;
    struct fr_redis_script s = {.src = "return tonumber(ARGV[1]) + 1"};
    const char *args[] = {"41"};
    redisReply *rep;
    struct fr_error err = {0};

    connect_or_fail(&r);
    cr_assert_eq(fr_redis_eval(&r, &s, &rep, &err, 0, NULL, 1, args), 0, "%s", err.msg);
    cr_assert_eq(rep->integer, 42);
    freeReplyObject(rep);
    fr_redis_cmd(&r, NULL, NULL, "SCRIPT FLUSH");
    cr_assert_eq(fr_redis_eval(&r, &s, &rep, &err, 0, NULL, 1, args), 0, "%s", err.msg);
    cr_assert_eq(rep->integer, 42);
    freeReplyObject(rep);
    fr_redis_close(&r);
}

Test(redis, reconnects_after_server_restart)
{
    struct fr_redis r;
    struct fr_error err = {0};
    redisReply *rep = NULL;
    int64_t deadline;
    int rc;

    connect_or_fail(&r);
    cr_assert_eq(r.connects, 1);
    cr_assert_eq(itest_services("restart-redis"), 0, "harness could not restart redis");
    rc = fr_redis_cmd(&r, &rep, &err, "PING");
    if (rc == 0) /* the restart may have completed before our first command */
        freeReplyObject(rep);
    else
        cr_assert_eq(rc, FR_ERR_IO, "a dead link is FR_ERR_IO, got %d: %s", rc, err.msg);
    deadline = fr_mono_ms() + 15000;
    do {
        fr_error_clear(&err);
        rc = fr_redis_cmd(&r, &rep, &err, "PING");
        if (rc != 0)
            fr_sleep_ms(50, NULL);
    } while (rc != 0 && fr_mono_ms() < deadline);
    cr_assert_eq(rc, 0, "no reconnect within 15s: %s", err.msg);
    cr_assert_str_eq(rep->str, "PONG");
    freeReplyObject(rep);
    cr_assert_geq(r.connects, 2);
    fr_redis_close(&r);
}

Test(redis, unreachable_server_names_address)
{
    struct fr_redis r;
    struct fr_error err = {0};
    int64_t t0 = fr_mono_ms();

    cr_assert_eq(fr_redis_init(&r, "redis://127.0.0.1:1/0", 500, 500, &err), 0);
    cr_assert_eq(fr_redis_connect_wait(&r, 700, NULL, &err), FR_ERR_IO);
    cr_assert(strstr(err.msg, "127.0.0.1:1") != NULL, "%s", err.msg);
    cr_assert(fr_mono_ms() - t0 < 3000, "connect_wait overran its timeout");
    cr_assert_eq(fr_redis_cmd(&r, NULL, NULL, "PING"), FR_ERR_IO);
    fr_redis_close(&r);
}

Test(redis, wrong_password_is_reported)
{
    struct fr_redis r;
    struct fr_error err = {0};
    char url[300];
    const char *base = itest_redis_url() + strlen("redis://");

    snprintf(url, sizeof(url), "redis://:wrongpass@%s", base);
    cr_assert_eq(fr_redis_init(&r, url, 1000, 1000, &err), 0);
    cr_assert_eq(fr_redis_connect(&r, &err), FR_ERR_IO);
    cr_assert(strstr(err.msg, "authentication failed") != NULL, "%s", err.msg);
    cr_assert(strstr(err.msg, "wrongpass") == NULL, "password leaked: %s", err.msg);
    fr_redis_close(&r);
}

Test(redis, selects_database_index)
{
    struct fr_redis r;
    struct fr_error err = {0};
    char url[300];
    redisReply *rep;
    const char *base = itest_redis_url();

    snprintf(url, sizeof(url), "%.*s/5", (int)(strrchr(base, '/') - base), base);
    cr_assert_eq(fr_redis_init(&r, url, 1000, 1000, &err), 0, "%s", err.msg);
    cr_assert_eq(fr_redis_connect(&r, &err), 0, "%s", err.msg);
    cr_assert_eq(fr_redis_cmd(&r, &rep, &err, "CLIENT INFO"), 0);
    cr_assert(strstr(rep->str, " db=5 ") != NULL, "%s", rep->str);
    freeReplyObject(rep);
    fr_redis_close(&r);
}
