/*
 * options.c - the option table and --help, see options.h.
 */
#include "options.h"

#include "faults.h"

#include "common/config.h"
#include "common/log.h"

#include <stddef.h>
#include <stdio.h>

#ifndef FRESHET_VERSION
#define FRESHET_VERSION "0.0.0"
#endif

#define OFF(field) offsetof(struct fl_options, field)
#define HOUR_MS 3600000

static const struct fr_opt opts[] = {
    {"FAKE_LLM_HOST", "host", FR_OPT_STR, "127.0.0.1", 0, 0, OFF(host), "address to listen on"},
    {"FAKE_LLM_PORT", "port", FR_OPT_INT, "0", 0, 65535, OFF(port),
     "port to listen on; 0 picks a free one (printed as \"listening HOST:PORT\")"},
    {"FAKE_LLM_PORT_FILE", "port-file", FR_OPT_STR, "", 0, 0, OFF(port_file),
     "write the bound port to this file (atomically) once listening"},
    {"FAKE_LLM_KEY", "key", FR_OPT_SECRET, "test", 0, 0, OFF(key),
     "the API key: calls must send \"Authorization: Bearer KEY\""},
    {"FAKE_LLM_SEED", "seed", FR_OPT_INT, "1", 0, INT64_MAX, OFF(seed),
     "seed of the fault draws (answers depend only on the request)"},
    {"FAKE_LLM_RPM", "rpm", FR_OPT_INT, "10000", 1, 1000000000, OFF(rpm),
     "requests admitted per window (x-ratelimit-limit-requests)"},
    {"FAKE_LLM_TPM", "tpm", FR_OPT_INT, "10000000", 1, 1000000000000, OFF(tpm),
     "tokens (prompt + completion) admitted per window (x-ratelimit-limit-tokens)"},
    {"FAKE_LLM_WINDOW", "window", FR_OPT_DURATION, "60s", 1, HOUR_MS, OFF(window_ms),
     "length of the sliding rate-limit window (and of the stats' busiest window)"},
    {"FAKE_LLM_LATENCY", "latency", FR_OPT_DURATION, "0ms", 0, HOUR_MS, OFF(latency_ms),
     "delay before every API answer (the event loop goes on serving others)"},
    {"FAKE_LLM_FAIL_5XX", "fail-5xx", FR_OPT_DOUBLE, "0", 0, 1, OFF(fail_5xx),
     "share of calls answered 500 server_error"},
    {"FAKE_LLM_FAIL_429", "fail-429", FR_OPT_DOUBLE, "0", 0, 1, OFF(fail_429),
     "share of calls answered 429 rate_limit_exceeded (Retry-After: 1) whatever the limits"},
    {"FAKE_LLM_FAIL_NONJSON", "fail-nonjson", FR_OPT_DOUBLE, "0", 0, 1, OFF(fail_nonjson),
     "share of answers whose content is not JSON"},
    {"FAKE_LLM_FAIL_SHAPE", "fail-shape", FR_OPT_DOUBLE, "0", 0, 1, OFF(fail_shape),
     "share of answers whose content is JSON that fails the schema"},
    {"FAKE_LLM_FAIL_TIMEOUT", "fail-timeout", FR_OPT_DOUBLE, "0", 0, 1, OFF(fail_timeout),
     "share of calls never answered (closed after --timeout-hold)"},
    {"FAKE_LLM_FAIL_SLOW", "fail-slow", FR_OPT_DOUBLE, "0", 0, 1, OFF(fail_slow),
     "share of calls answered correctly but --slow late"},
    {"FAKE_LLM_SLOW", "slow", FR_OPT_DURATION, "30s", 0, HOUR_MS, OFF(slow_ms),
     "extra delay of a --fail-slow answer"},
    {"FAKE_LLM_TIMEOUT_HOLD", "timeout-hold", FR_OPT_DURATION, "5m", 0, HOUR_MS, OFF(hold_ms),
     "how long a --fail-timeout call is held before its connection is closed"},
    {"FAKE_LLM_STORM", "storm", FR_OPT_DURATION, "0ms", 0, HOUR_MS, OFF(storm_ms),
     "a 429 storm from start-up: every call gets 429 for this long"},
    {"FAKE_LLM_OUTAGE", "outage", FR_OPT_STR, "off", 0, 0, OFF(outage),
     "start in an outage: off, 503 (every call refused with 503) or close (connections closed)"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static void print_help(void)
{
    printf("usage: %s [OPTION...]\n"
           "An OpenAI-compatible chat-completions server for tests (never for production):\n"
           "POST /v1/chat/completions (also /chat/completions) answers deterministically from\n"
           "the prompt with JSON that satisfies the request's json_schema, with usage, the\n"
           "x-ratelimit-* headers, rpm/tpm limits over a sliding window, latency and faults.\n"
           "Tests steer and read it through /_test/stats, /_test/reset, /_test/faults and\n"
           "/_test/outage (see tests/fakes/llm/README.md). Durations are written 500ms, 2s, 5m.\n\n",
           FL_PROGRAM);
    fr_config_usage(stdout, opts, NOPTS);
}

int fl_options_parse(struct fl_options *o, int argc, char **argv)
{
    struct fr_error err = {0};
    enum fl_outage outage;
    double sum;

    switch (fr_config_parse(opts, NOPTS, o, argc, argv, NULL, &err)) {
    case FR_CONFIG_RUN:
        break;
    case FR_CONFIG_HELP:
        print_help();
        return 0;
    case FR_CONFIG_VERSION:
        printf("%s %s\n", FL_PROGRAM, FRESHET_VERSION);
        return 0;
    default:
        fprintf(stderr, "%s: %s\n", FL_PROGRAM, err.msg);
        return 2;
    }
    sum = o->fail_5xx + o->fail_429 + o->fail_nonjson + o->fail_shape + o->fail_timeout +
          o->fail_slow;
    if (sum > 1.0 + 1e-9) {
        fprintf(stderr, "%s: --fail-*: the fault shares sum to %g, more than 1\n", FL_PROGRAM, sum);
        return 2;
    }
    if (fl_outage_parse(o->outage, &outage) < 0) {
        fprintf(stderr, "%s: --outage: must be off, 503 or close (got '%s')\n", FL_PROGRAM,
                o->outage);
        return 2;
    }
    return -1;
}

void fl_options_log(const struct fl_options *o)
{
    fr_log_init(FL_PROGRAM, FR_LOG_INFO, FR_LOG_TEXT);
    fr_config_log(FL_PROGRAM " " FRESHET_VERSION, opts, NOPTS, o);
}
