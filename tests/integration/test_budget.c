/*
 * Integration tests: the window budget of common/budget (a header-driven upstream)
 * against a real redis-server: the probe that learns a window, the even pace, a spent
 * window, answers of an older window, the static rate, refunds and a fleet-wide pause.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <time.h>

#include "common/budget.h"
#include "common/redis.h"
#include "tests/integration/support.h"

static struct fr_redis red;

static void open_budget(struct fr_budget *b, const char *name)
{
    struct fr_error err = {0};
    char source[96];

    cr_assert_eq(fr_redis_init(&red, itest_redis_url(), 2000, 2000, &err), 0, "%s", err.msg);
    cr_assert_eq(fr_redis_connect(&red, &err), 0, "%s", err.msg);
    snprintf(source, sizeof(source), "%s%s", itest_prefix(), name);
    fr_budget_init(b, &red, source, 60000, 0);
    fr_redis_cmd(&red, NULL, NULL, "DEL %s", b->key);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static int take(struct fr_budget *b, int64_t *wait)
{
    struct fr_error err = {0};
    int v = fr_budget_take(b, 1, wait, &err);

    cr_assert_geq(v, 0, "%s", err.msg);
    return v;
}

/* A window learned by its probe's answer: left requests for reset_in ms. */
static void learned(struct fr_budget *b, const char *name, int64_t per_minute, int64_t left,
                    int64_t reset_in)
{
    int64_t wait = 0;

    open_budget(b, name);
    cr_assert_eq(fr_budget_seed_window(b, per_minute, 1, NULL), 0);
    cr_assert_eq(take(b, &wait), FR_BUDGET_GRANTED, "the first request learns the window");
    cr_assert_eq(fr_budget_sync_window(b, 1, left, reset_in, per_minute, 0, NULL), 0);
}

/* Two takes at once: the first granted, the second told to wait about want ms. */
static void paced(struct fr_budget *b, int64_t want)
{
    int64_t wait = 0;

    cr_assert_eq(take(b, &wait), FR_BUDGET_GRANTED);
    cr_assert_eq(take(b, &wait), FR_BUDGET_WAIT, "no burst");
    cr_assert(wait > want - 100 && wait <= want, "wait %lld, want %lld", (long long)wait,
              (long long)want);
}

Test(budget_window, probe_then_even_pace)
{
    struct fr_budget b;
    int64_t wait = 0, tokens, rate;

    open_budget(&b, "pace");
    cr_assert_eq(take(&b, &wait), FR_BUDGET_UNKNOWN);
    cr_assert_eq(fr_budget_seed_window(&b, 0, 1, NULL), 0);
    cr_assert_eq(take(&b, &wait), FR_BUDGET_GRANTED, "the first request learns the window");
    cr_assert_eq(take(&b, &wait), FR_BUDGET_WAIT, "one probe at a time");
    cr_assert_gt(wait, 500);
    /* The probe's answer: 59 left for 5.9 s, an even pace of 100 ms. */
    cr_assert_eq(fr_budget_sync_window(&b, 1, 59, 5900, 0, 0, NULL), 0);
    paced(&b, 100);
    cr_assert_eq(fr_budget_refund(&b, 1, NULL), 0);
    cr_assert_eq(take(&b, &wait), FR_BUDGET_GRANTED, "a refund gives its slot back");
    cr_assert_eq(take(&b, &wait), FR_BUDGET_WAIT, "... one slot only");
    cr_assert_eq(fr_budget_peek(&b, &tokens, &rate, NULL, NULL), 0);
    cr_assert_eq(tokens, 58);
    cr_assert(rate >= 595 && rate <= 600, "the pace as tokens a period: %lld", (long long)rate);
    fr_redis_close(&red);
}

Test(budget_window, spent_window_waits_for_its_end_then_probes)
{
    struct fr_budget b;
    int64_t wait = 0;

    learned(&b, "spent", 0, 0, 300);
    cr_assert_eq(take(&b, &wait), FR_BUDGET_WAIT, "stops before the window is spent");
    cr_assert(wait > 200 && wait <= 300, "wait %lld", (long long)wait);
    sleep_ms(320);
    cr_assert_eq(take(&b, &wait), FR_BUDGET_GRANTED, "the next window is asked by one request");
    cr_assert_eq(take(&b, &wait), FR_BUDGET_WAIT, "... and only one");
    /* An answer of the window that ended says nothing of the new one. */
    fr_budget_sync_window(&b, 0, 5, 10, 0, 0, NULL);
    cr_assert_eq(take(&b, &wait), FR_BUDGET_WAIT);
    fr_budget_sync_window(&b, 1, 9, 5000, 0, 0, NULL);
    cr_assert_eq(take(&b, &wait), FR_BUDGET_GRANTED, "the new window's answer");
    /* A late answer of an older window does not add tokens back. */
    fr_budget_sync_window(&b, 0, 50, 100, 0, 0, NULL);
    cr_assert_eq(fr_budget_peek(&b, &wait, NULL, NULL, NULL), 0);
    cr_assert_eq(wait, 8);
    fr_redis_close(&red);
}

Test(budget_window, the_stricter_static_rate_wins)
{
    struct fr_budget b;

    learned(&b, "static", 60, 1000, 1000); /* 1000 a second vs 60 a minute */
    paced(&b, 1000);
    fr_redis_close(&red);
}

/* Without rate headers the minute is freshet's own: a 429 holds the source for its
 * Retry-After (DESIGN.md: the later of Retry-After and the reset header), not until the
 * minute ends. */
Test(budget_window, a_pause_of_a_static_minute_ends_with_retry_after)
{
    struct fr_budget b;
    int64_t wait = 0;

    open_budget(&b, "static-pause");
    fr_budget_seed_window(&b, 120, 0, NULL);
    cr_assert_eq(take(&b, &wait), FR_BUDGET_GRANTED);
    cr_assert_eq(fr_budget_pause(&b, 300, NULL), 0); /* a 429 with a short Retry-After */
    cr_assert_eq(take(&b, &wait), FR_BUDGET_WAIT);
    sleep_ms(600); /* past the pause and the 500-ms pace */
    cr_assert_eq(take(&b, &wait), FR_BUDGET_GRANTED, "still held: wait %lld ms", (long long)wait);
    fr_redis_close(&red);
}

Test(budget_window, static_minute_without_headers)
{
    struct fr_budget b;
    int64_t tokens;

    open_budget(&b, "minute");
    fr_budget_seed_window(&b, 120, 0, NULL);
    fr_budget_seed_window(&b, 999, 0, NULL); /* a second process: no reset */
    paced(&b, 500); /* 120 a minute: one each 500 ms */
    fr_budget_peek(&b, &tokens, NULL, NULL, NULL);
    cr_assert_eq(tokens, 119);
    fr_redis_close(&red);
}

Test(budget_window, a_pause_holds_every_process)
{
    struct fr_budget a, b;
    int64_t wait = 0;

    learned(&a, "pause", 0, 50, 5000);
    b = a; /* another process: same key */
    cr_assert_eq(fr_budget_pause(&a, 800, NULL), 0); /* a 429 with Retry-After: 1 */
    cr_assert_eq(take(&b, &wait), FR_BUDGET_WAIT);
    cr_assert(wait > 700 && wait <= 800, "wait %lld", (long long)wait);
    fr_redis_close(&red);
}
