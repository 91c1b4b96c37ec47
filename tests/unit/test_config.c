/*
 * Unit tests: the configuration table parser (environment, flags, bounds, errors).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"

struct tcfg {
    struct fr_common_config common;
    int64_t batch;
    int64_t interval_ms;
    double rate;
    int once;
    const char *key;
    const char *admin;
};

static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct tcfg),
    {"T_BATCH", "batch", FR_OPT_INT, "100", 1, 100, offsetof(struct tcfg, batch), "batch"},
    {"T_INTERVAL", "interval", FR_OPT_DURATION, "5m", 1000, 86400000,
     offsetof(struct tcfg, interval_ms), "interval"},
    {"T_RATE", "rate", FR_OPT_DOUBLE, "0.5", 0, 1, offsetof(struct tcfg, rate), "rate"},
    {"T_ONCE", "once", FR_OPT_FLAG, "false", 0, 0, offsetof(struct tcfg, once), "once"},
    {"T_KEY", "key", FR_OPT_SECRET, "", 0, 0, offsetof(struct tcfg, key), "key"},
    {"T_ADMIN", "admin", FR_OPT_ADDR, "127.0.0.1:9101", 0, 0, offsetof(struct tcfg, admin), "a"},
};
#define N (sizeof(opts) / sizeof(opts[0]))

static void clear_env(void)
{
    const char *vars[] = {"T_BATCH", "T_INTERVAL", "T_RATE", "T_ONCE", "T_KEY", "T_ADMIN",
                          "DATABASE_URL", "REDIS_URL", "FRESHET_SOURCE", "FRESHET_LOG_LEVEL"};
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
}

TestSuite(config, .init = clear_env);

Test(config, defaults_apply)
{
    struct tcfg c = {0};
    char *argv[] = {"prog", NULL};
    struct fr_error err = {0};

    cr_assert_eq(fr_config_parse(opts, N, &c, 1, argv, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(c.batch, 100);
    cr_assert_eq(c.interval_ms, 300000);
    cr_assert_float_eq(c.rate, 0.5, 1e-9);
    cr_assert_eq(c.once, 0);
    cr_assert_str_eq(c.common.redis_url, "redis://127.0.0.1:6379/0");
    cr_assert_str_eq(c.common.source, "keepa");
    cr_assert_eq(c.common.connect_timeout_ms, 10000);
}

Test(config, env_then_flags_override)
{
    struct tcfg c = {0};
    char *argv[] = {"prog", "--batch", "7", "--interval=90s", "--once", NULL};
    struct fr_error err = {0};

    setenv("T_BATCH", "50", 1);
    setenv("T_INTERVAL", "6h", 1);
    setenv("FRESHET_SOURCE", "keepa_eu", 1);
    cr_assert_eq(fr_config_parse(opts, N, &c, 5, argv, NULL, &err), 0, "%s", err.msg);
    cr_assert_eq(c.batch, 7);
    cr_assert_eq(c.interval_ms, 90000);
    cr_assert_eq(c.once, 1);
    cr_assert_str_eq(c.common.source, "keepa_eu");
}

Test(config, env_only)
{
    struct tcfg c = {0};
    char *argv[] = {"prog", NULL};

    setenv("T_BATCH", "50", 1);
    setenv("T_ONCE", "yes", 1);
    cr_assert_eq(fr_config_parse(opts, N, &c, 1, argv, NULL, NULL), 0);
    cr_assert_eq(c.batch, 50);
    cr_assert_eq(c.once, 1);
}

static void expect_usage(const char *env, const char *value, const char *needle)
{
    struct tcfg c = {0};
    char *argv[] = {"prog", NULL};
    struct fr_error err = {0};

    setenv(env, value, 1);
    cr_assert_eq(fr_config_parse(opts, N, &c, 1, argv, NULL, &err), FR_ERR_USAGE,
                 "%s=%s accepted", env, value);
    cr_assert(strstr(err.msg, env) == err.msg, "message must start with the name: %s", err.msg);
    cr_assert(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
    cr_assert(strchr(err.msg, '\n') == NULL, "one line only");
    unsetenv(env);
}

Test(config, bad_values_name_the_variable)
{
    expect_usage("T_BATCH", "0", "between 1 and 100");
    expect_usage("T_BATCH", "101", "between 1 and 100");
    expect_usage("T_BATCH", "12abc", "integer");
}

Test(config, empty_env_means_unset)
{
    struct tcfg c = {0};
    char *argv[] = {"prog", NULL};

    setenv("T_BATCH", "", 1);
    cr_assert_eq(fr_config_parse(opts, N, &c, 1, argv, NULL, NULL), 0);
    cr_assert_eq(c.batch, 100);
}

Test(config, bad_durations_and_urls)
{
    expect_usage("T_INTERVAL", "5", "duration");
    expect_usage("T_INTERVAL", "5 m", "duration");
    expect_usage("T_INTERVAL", "-5m", "duration");
    expect_usage("T_INTERVAL", "500ms", "between 1s and 1d");
    expect_usage("T_RATE", "1.5", "between 0 and 1");
    expect_usage("REDIS_URL", "http://x", "redis://");
    expect_usage("REDIS_URL", "redis://host:99999", "port");
    expect_usage("DATABASE_URL", "bogus", "connection string");
    expect_usage("FRESHET_SOURCE", "Keepa!", "a-z");
    expect_usage("FRESHET_LOG_LEVEL", "loud", "debug, info");
    expect_usage("T_ADMIN", "nocolon", "host:port");
}

Test(config, unknown_flag_and_missing_value)
{
    struct tcfg c = {0};
    char *a1[] = {"prog", "--bogus", NULL};
    char *a2[] = {"prog", "--batch", NULL};
    char *a3[] = {"prog", "stray", NULL};
    struct fr_error err = {0};

    cr_assert_eq(fr_config_parse(opts, N, &c, 2, a1, NULL, &err), FR_ERR_USAGE);
    cr_assert(strstr(err.msg, "--bogus") != NULL, "%s", err.msg);
    fr_error_clear(&err);
    cr_assert_eq(fr_config_parse(opts, N, &c, 2, a2, NULL, &err), FR_ERR_USAGE);
    cr_assert(strstr(err.msg, "--batch: needs a value") != NULL, "%s", err.msg);
    fr_error_clear(&err);
    cr_assert_eq(fr_config_parse(opts, N, &c, 2, a3, NULL, &err), FR_ERR_USAGE);
    cr_assert(strstr(err.msg, "stray") != NULL, "%s", err.msg);
}

Test(config, help_version_and_positional)
{
    struct tcfg c = {0};
    char *a1[] = {"prog", "--help", NULL};
    char *a2[] = {"prog", "--version", NULL};
    char *a3[] = {"prog", "--batch", "3", "list", "--x", NULL};
    int first = 0;

    cr_assert_eq(fr_config_parse(opts, N, &c, 2, a1, NULL, NULL), FR_CONFIG_HELP);
    cr_assert_eq(fr_config_parse(opts, N, &c, 2, a2, NULL, NULL), FR_CONFIG_VERSION);
    cr_assert_eq(fr_config_parse(opts, N, &c, 5, a3, &first, NULL), 0);
    cr_assert_eq(first, 3);
    cr_assert_eq(c.batch, 3);
}

Test(config, usage_lists_every_variable)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    fr_config_usage(f, opts, N);
    fclose(f);
    for (size_t i = 0; i < N; i++) {
        if (opts[i].env)
            cr_assert(strstr(text, opts[i].env) != NULL, "%s missing from help", opts[i].env);
    }
    cr_assert(strstr(text, "--interval DUR") != NULL);
    cr_assert(strstr(text, "[default: 5m]") != NULL);
    free(text);
}
