/*
 * Unit tests: duration, integer, bool, Redis URL and address parsing, URL redaction.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "common/config.h"
#include "common/url.h"

Test(duration, units)
{
    int64_t ms;

    cr_assert_eq(fr_parse_duration("500ms", &ms, NULL), 0);
    cr_assert_eq(ms, 500);
    cr_assert_eq(fr_parse_duration("90s", &ms, NULL), 0);
    cr_assert_eq(ms, 90000);
    cr_assert_eq(fr_parse_duration("15m", &ms, NULL), 0);
    cr_assert_eq(ms, 900000);
    cr_assert_eq(fr_parse_duration("6h", &ms, NULL), 0);
    cr_assert_eq(ms, 21600000);
    cr_assert_eq(fr_parse_duration("7d", &ms, NULL), 0);
    cr_assert_eq(ms, 604800000);
    cr_assert_eq(fr_parse_duration("0s", &ms, NULL), 0);
    cr_assert_eq(ms, 0);
}

Test(duration, rejects)
{
    const char *bad[] = {"", "s", "10", "10x", "1.5s", "-1s", " 1s", "1s ", "10 s", "1w",
                         "99999999999999999999d", "9999999999999999d"};
    int64_t ms;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct fr_error err = {0};
        cr_assert_eq(fr_parse_duration(bad[i], &ms, &err), FR_ERR_USAGE, "'%s' accepted",
                     bad[i]);
        cr_assert(strstr(err.msg, "duration") != NULL);
    }
}

Test(duration, format_round_trip)
{
    char buf[32];
    const int64_t v[] = {500, 1000, 90000, 900000, 21600000, 604800000, 1500};
    const char *want[] = {"500ms", "1s", "90s", "15m", "6h", "7d", "1500ms"};

    for (size_t i = 0; i < 7; i++) {
        fr_format_duration(v[i], buf, sizeof(buf));
        cr_assert_str_eq(buf, want[i]);
    }
}

Test(ints, bounds_and_garbage)
{
    int64_t v;
    struct fr_error err = {0};

    cr_assert_eq(fr_parse_int("42", 1, 100, &v, NULL), 0);
    cr_assert_eq(v, 42);
    cr_assert_eq(fr_parse_int("-3", 0, 0, &v, NULL), 0);
    cr_assert_eq(v, -3);
    cr_assert_eq(fr_parse_int("0x10", 0, 0, &v, NULL), FR_ERR_USAGE);
    cr_assert_eq(fr_parse_int("99999999999999999999", 0, 0, &v, NULL), FR_ERR_USAGE);
    cr_assert_eq(fr_parse_int("101", 1, 100, &v, &err), FR_ERR_USAGE);
    cr_assert(strstr(err.msg, "between 1 and 100") != NULL, "%s", err.msg);
}

Test(bools, forms)
{
    int b;

    cr_assert_eq(fr_parse_bool("yes", &b, NULL), 0);
    cr_assert_eq(b, 1);
    cr_assert_eq(fr_parse_bool("OFF", &b, NULL), 0);
    cr_assert_eq(b, 0);
    cr_assert_eq(fr_parse_bool("maybe", &b, NULL), FR_ERR_USAGE);
}

Test(redis_url, full_form)
{
    struct fr_redis_url u;

    cr_assert_eq(fr_parse_redis_url("redis://:s3cr%40t@cache.local:6380/3", &u, NULL), 0);
    cr_assert_str_eq(u.host, "cache.local");
    cr_assert_eq(u.port, 6380);
    cr_assert_str_eq(u.password, "s3cr@t");
    cr_assert_str_eq(u.user, "");
    cr_assert_eq(u.db, 3);
}

Test(redis_url, defaults_user_and_ipv6)
{
    struct fr_redis_url u;

    cr_assert_eq(fr_parse_redis_url("redis://localhost", &u, NULL), 0);
    cr_assert_eq(u.port, 6379);
    cr_assert_eq(u.db, 0);
    cr_assert_eq(fr_parse_redis_url("redis://alice:pw@h:1/0", &u, NULL), 0);
    cr_assert_str_eq(u.user, "alice");
    cr_assert_str_eq(u.password, "pw");
    cr_assert_eq(fr_parse_redis_url("redis://[::1]:7000", &u, NULL), 0);
    cr_assert_str_eq(u.host, "::1");
    cr_assert_eq(u.port, 7000);
    cr_assert_eq(fr_parse_redis_url("redis://pwonly@h", &u, NULL), 0);
    cr_assert_str_eq(u.password, "pwonly");
}

Test(redis_url, rejects)
{
    const char *bad[] = {"", "localhost:6379", "http://h", "rediss://h", "redis://",
                         "redis://h:0", "redis://h:70000", "redis://h:12ab", "redis://h/16",
                         "redis://h/x", "redis://:%zz@h", "redis://[::1", "redis://[::1]x:99"};
    struct fr_redis_url u;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(fr_parse_redis_url(bad[i], &u, NULL), FR_ERR_USAGE, "'%s' accepted", bad[i]);
}

Test(addr, forms)
{
    char host[64];
    int port;

    cr_assert_eq(fr_parse_addr("127.0.0.1:9101", host, sizeof(host), &port, NULL), 0);
    cr_assert_str_eq(host, "127.0.0.1");
    cr_assert_eq(port, 9101);
    cr_assert_eq(fr_parse_addr(":9102", host, sizeof(host), &port, NULL), 0);
    cr_assert_str_eq(host, "");
    cr_assert_eq(fr_parse_addr("[::1]:0", host, sizeof(host), &port, NULL), 0);
    cr_assert_str_eq(host, "::1");
    cr_assert_eq(port, 0);
    cr_assert_eq(fr_parse_addr("9101", host, sizeof(host), &port, NULL), FR_ERR_USAGE);
    cr_assert_eq(fr_parse_addr("h:99999", host, sizeof(host), &port, NULL), FR_ERR_USAGE);
}

Test(http_url, forms)
{
    cr_assert_eq(fr_parse_http_url("https://api.keepa.com", NULL), 0);
    cr_assert_eq(fr_parse_http_url("http://127.0.0.1:8080/x", NULL), 0);
    cr_assert_eq(fr_parse_http_url("ftp://x", NULL), FR_ERR_USAGE);
    cr_assert_eq(fr_parse_http_url("http://", NULL), FR_ERR_USAGE);
}

Test(redact, hides_passwords)
{
    char out[256];

    fr_url_redact("redis://:hunter2@h:6379/0", out, sizeof(out));
    cr_assert(strstr(out, "hunter2") == NULL, "%s", out);
    cr_assert_str_eq(out, "redis://:***@h:6379/0");
    fr_url_redact("postgresql://bob:hunter2@db/freshet", out, sizeof(out));
    cr_assert(strstr(out, "hunter2") == NULL, "%s", out);
    cr_assert(strstr(out, "user=bob") && strstr(out, "host=db") && strstr(out, "password=***"),
              "%s", out);
    fr_url_redact("host=db password=hunter2 dbname=x", out, sizeof(out));
    cr_assert(strstr(out, "hunter2") == NULL && strstr(out, "dbname=x"), "%s", out);
    fr_url_redact("postgresql://db/freshet?password=hunter2", out, sizeof(out));
    cr_assert(strstr(out, "hunter2") == NULL, "%s", out);
    /* Found by fuzzing: what libpq reads as the password is what must be hidden. */
    const char *tricky[] = {"postgresql://freshet:pa#ss@db/freshet",
                            "postgresql://freshet:pa?ss@db/freshet", "host=db password = s3cret",
                            "host=db password=old password=s3cret",
                            "host=db password='two words s3cret'"};
    const char *secret[] = {"pa#ss", "pa?ss", "s3cret", "s3cret", "s3cret"};
    for (int i = 0; i < 5; i++) {
        fr_url_redact(tricky[i], out, sizeof(out));
        cr_assert(strstr(out, secret[i]) == NULL, "'%s' leaked: %s", tricky[i], out);
    }
    fr_url_redact("postgresql://db/freshet", out, sizeof(out));
    cr_assert_str_eq(out, "postgresql://db/freshet", "no password: unchanged");
    fr_url_redact("redis://127.0.0.1:6379/0", out, sizeof(out));
    cr_assert_str_eq(out, "redis://127.0.0.1:6379/0");
}
