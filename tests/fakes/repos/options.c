/*
 * options.c - the option table, its parser and --help, see options.h.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_type {
    OPT_STR,    /* char[] of size `max` */
    OPT_INT,    /* int64_t within [min, max] */
    OPT_SEED,   /* uint64_t */
    OPT_RATE,   /* double within [0, 1] */
    OPT_DUR,    /* int64_t ms within [min, max] ms */
    OPT_CHOICE, /* int: index of the value in `choices` */
};

struct opt_def {
    const char *flag;
    const char *metavar;
    const char *env;
    enum opt_type type;
    size_t offset;
    int64_t min, max;
    const char *choices; /* OPT_CHOICE: "a|b|c" */
    const char *def;
    const char *help;
};

#define OFF(field) offsetof(struct rp_options, field)
#define FAIL(kind) (OFF(fail) + (size_t)(kind) * sizeof(double))

static const struct opt_def opts[] = {
    {"listen", "ADDR", "FAKE_REPOS_LISTEN", OPT_STR, OFF(listen), 0, 256, NULL, "127.0.0.1:0",
     "address to listen on, HOST:PORT; port 0 picks a free port"},
    {"port-file", "FILE", "FAKE_REPOS_PORT_FILE", OPT_STR, OFF(port_file), 0, 4096, NULL, "",
     "write the bound port number to FILE (atomically) after binding"},
    {"repos", "N", "FAKE_REPOS_REPOS", OPT_INT, OFF(repos), 0, 2000000, NULL, "1000",
     "catalog size: repositories with ids 1..N (/_test/grow adds more)"},
    {"seed", "S", "FAKE_REPOS_SEED", OPT_SEED, OFF(seed), 0, 0, NULL, "1",
     "seed of every generated value, fault draw and bulk mutation"},
    {"token", "TOKEN", "FAKE_REPOS_TOKEN", OPT_STR, OFF(token), 0, RP_TOKEN_MAX, NULL, "test-token",
     "bearer token the API accepts (\"\": no authentication)"},
    {"limit", "N", "FAKE_REPOS_LIMIT", OPT_INT, OFF(limit), 1, 1000000000, NULL, "5000",
     "API requests allowed per rate-limit window"},
    {"window", "DUR", "FAKE_REPOS_WINDOW", OPT_DUR, OFF(window_ms), 1000, 86400000, NULL, "60s",
     "length of a rate-limit window (fixed windows from start-up)"},
    {"reset-format", "FMT", "FAKE_REPOS_RESET_FORMAT", OPT_CHOICE, OFF(reset_format), 0, 0,
     RP_RESET_FORMATS, "epoch",
     "reset header: epoch (unix s), seconds (from now) or duration (\"6m0s\")"},
    {"retry-after", "FMT", "FAKE_REPOS_RETRY_AFTER", OPT_CHOICE, OFF(retry_format), 0, 0,
     RP_RETRY_FORMATS, "seconds", "Retry-After of a 429 or 503: seconds or date (HTTP date)"},
    {"limit-header", "NAME", "FAKE_REPOS_LIMIT_HEADER", OPT_STR, OFF(limit_header), 0,
     RP_HEADER_NAME_MAX, NULL, "X-RateLimit-Limit", "name of the limit header (\"\": none)"},
    {"remaining-header", "NAME", "FAKE_REPOS_REMAINING_HEADER", OPT_STR, OFF(remaining_header), 0,
     RP_HEADER_NAME_MAX, NULL, "X-RateLimit-Remaining",
     "name of the remaining header (\"\": none)"},
    {"reset-header", "NAME", "FAKE_REPOS_RESET_HEADER", OPT_STR, OFF(reset_header), 0,
     RP_HEADER_NAME_MAX, NULL, "X-RateLimit-Reset", "name of the reset header (\"\": none)"},
    {"cursor-end", "HOW", "FAKE_REPOS_CURSOR_END", OPT_CHOICE, OFF(cursor_end), 0, 0,
     RP_CURSOR_ENDS, "null", "last cursor page's next_cursor: null, missing or empty"},
    {"deleted", "R", "FAKE_REPOS_DELETED", OPT_RATE, OFF(deleted), 0, 0, NULL, "0",
     "share of repositories deleted from the start (410, never listed)"},
    {"fail-5xx", "R", "FAKE_REPOS_FAIL_5XX", OPT_RATE, FAIL(RP_FAULT_5XX), 0, 0, NULL, "0",
     "share of API requests answered 500"},
    {"fail-503", "R", "FAKE_REPOS_FAIL_503", OPT_RATE, FAIL(RP_FAULT_503), 0, 0, NULL, "0",
     "share of API requests answered 503 with Retry-After 1 s"},
    {"fail-timeout", "R", "FAKE_REPOS_FAIL_TIMEOUT", OPT_RATE, FAIL(RP_FAULT_TIMEOUT), 0, 0, NULL,
     "0", "share of API requests never answered (closed after --timeout-hold)"},
    {"fail-late", "R", "FAKE_REPOS_FAIL_LATE", OPT_RATE, FAIL(RP_FAULT_LATE), 0, 0, NULL, "0",
     "share of API requests answered normally but only after --late"},
    {"fail-reset", "R", "FAKE_REPOS_FAIL_RESET", OPT_RATE, FAIL(RP_FAULT_RESET), 0, 0, NULL, "0",
     "share of API requests whose connection is closed without an answer"},
    {"fail-truncate", "R", "FAKE_REPOS_FAIL_TRUNCATE", OPT_RATE, FAIL(RP_FAULT_TRUNCATE), 0, 0,
     NULL, "0", "share of API requests answered 200 with a body cut short of Content-Length"},
    {"fail-garbage", "R", "FAKE_REPOS_FAIL_GARBAGE", OPT_RATE, FAIL(RP_FAULT_GARBAGE), 0, 0, NULL,
     "0", "share of API requests answered 200 with a body that is not JSON"},
    {"late", "DUR", "FAKE_REPOS_LATE", OPT_DUR, OFF(late_ms), 0, 600000, NULL, "5s",
     "how late a --fail-late answer comes"},
    {"timeout-hold", "DUR", "FAKE_REPOS_TIMEOUT_HOLD", OPT_DUR, OFF(hold_ms), 0, 600000, NULL,
     "300s", "how long a --fail-timeout request is held before its connection is closed"},
    {"latency", "DUR", "FAKE_REPOS_LATENCY", OPT_DUR, OFF(latency_ms), 0, 600000, NULL, "0",
     "delay before every API answer"},
    {"latency-jitter", "DUR", "FAKE_REPOS_LATENCY_JITTER", OPT_DUR, OFF(jitter_ms), 0, 600000, NULL,
     "0", "extra random delay, uniform in [0, DUR]"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

int rp_parse_duration(const char *s, int64_t *ms)
{
    static const struct {
        const char *unit;
        int64_t ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
    char *end;
    long long v;

    if (!isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || v > 1000000000LL)
        return -1;
    if (*end == '\0' && v == 0) {
        *ms = 0;
        return 0;
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].unit) == 0) {
            *ms = (int64_t)v * units[i].ms;
            return 0;
        }
    }
    return -1;
}

int rp_parse_choice(const char *s, const char *choices)
{
    size_t n = strlen(s);
    int i = 0;

    while (*choices != '\0') {
        size_t len = strcspn(choices, "|");
        if (len == n && n > 0 && strncmp(choices, s, n) == 0)
            return i;
        choices += len + (choices[len] == '|');
        i++;
    }
    return -1;
}

static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_seed(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

static int parse_rate(const char *s, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0 || v > 1)
        return -1;
    *out = v;
    return 0;
}

/* Describes the accepted values of d, for error messages. */
static void expected(const struct opt_def *d, char *out, size_t outlen)
{
    switch (d->type) {
    case OPT_INT:
        snprintf(out, outlen, "an integer in %lld..%lld", (long long)d->min, (long long)d->max);
        break;
    case OPT_SEED:
        snprintf(out, outlen, "an unsigned integer");
        break;
    case OPT_RATE:
        snprintf(out, outlen, "a number in 0..1");
        break;
    case OPT_DUR:
        snprintf(out, outlen, "a duration such as 250ms, 60s, 5m in %lldms..%lldms",
                 (long long)d->min, (long long)d->max);
        break;
    case OPT_CHOICE:
        snprintf(out, outlen, "one of %s", d->choices);
        break;
    default:
        snprintf(out, outlen, "at most %lld bytes", (long long)d->max - 1);
        break;
    }
}

/* Parses value as d's type into a temporary; returns 0 or -1. */
static int convert(const struct opt_def *d, const char *value, void *field)
{
    int64_t v;
    int choice;

    switch (d->type) {
    case OPT_STR:
        if (strlen(value) >= (size_t)d->max)
            return -1;
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case OPT_INT:
        return parse_int(value, d->min, d->max, field);
    case OPT_SEED:
        return parse_seed(value, field);
    case OPT_RATE:
        return parse_rate(value, field);
    case OPT_DUR:
        if (rp_parse_duration(value, &v) < 0 || v < d->min || v > d->max)
            return -1;
        memcpy(field, &v, sizeof(v));
        return 0;
    case OPT_CHOICE:
        choice = rp_parse_choice(value, d->choices);
        if (choice < 0)
            return -1;
        memcpy(field, &choice, sizeof(choice));
        return 0;
    }
    return -1;
}

/* Stores value into the option d; `from` names the flag or variable for errors. */
static int set_value(struct rp_options *o, const struct opt_def *d, const char *value,
                     const char *from, char *err, size_t errlen)
{
    char want[96];

    if (convert(d, value, (char *)o + d->offset) == 0)
        return 0;
    expected(d, want, sizeof(want));
    snprintf(err, errlen, "invalid value '%.100s' for %s (expected %s)", value, from, want);
    return -1;
}

static int apply_defaults_and_env(struct rp_options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < NOPTS; i++) {
        const char *env = getenv(opts[i].env);
        if (set_value(o, &opts[i], opts[i].def, opts[i].flag, err, errlen) < 0)
            return -1;
        /* An empty variable is unset, except for strings, where "" means none. */
        if (env == NULL || (env[0] == '\0' && opts[i].type != OPT_STR))
            continue;
        if (set_value(o, &opts[i], env, opts[i].env, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static void print_help(void)
{
    printf("usage: %s [OPTION...]\n"
           "A GitHub-like REST API for tests: repository listings paged by page, offset,\n"
           "cursor and Link header; batched and single-id detail; bearer auth; X-RateLimit-*\n"
           "headers, 429 with Retry-After; injected faults; and /_test/ endpoints (truth,\n"
           "stats, mutate, grow, token, config, reset-stats). See tests/fakes/repos/README.md.\n"
           "Every option can also be set by the environment variable in brackets; flags win.\n"
           "DUR is digits with a unit (ms, s, m, h), or 0.\n\n",
           RP_PROGRAM);
    for (size_t i = 0; i < NOPTS; i++) {
        char left[64];
        snprintf(left, sizeof(left), "--%s %s", opts[i].flag, opts[i].metavar);
        printf("  %-26s %s\n  %-26s [%s, default %s]\n", left, opts[i].help, "", opts[i].env,
               opts[i].def[0] ? opts[i].def : "\"\"");
    }
    printf("  %-26s %s\n  %-26s %s\n", "--help", "print this help and exit", "--version",
           "print the version and exit");
}

static const struct opt_def *find_flag(const char *name, size_t len)
{
    for (size_t i = 0; i < NOPTS; i++) {
        if (strlen(opts[i].flag) == len && strncmp(opts[i].flag, name, len) == 0)
            return &opts[i];
    }
    return NULL;
}

/* Handles argv[*i]; may consume argv[*i + 1] as its value. */
static enum rp_options_result parse_arg(struct rp_options *o, int argc, char **argv, int *i,
                                        char *err, size_t errlen)
{
    const char *arg = argv[*i], *eq, *value;
    const struct opt_def *d;
    char from[80];

    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        print_help();
        return RP_OPTIONS_EXIT;
    }
    if (strcmp(arg, "--version") == 0) {
        printf("%s %s\n", RP_PROGRAM, FRESHET_VERSION);
        return RP_OPTIONS_EXIT;
    }
    eq = strchr(arg, '=');
    d = strncmp(arg, "--", 2) == 0
            ? find_flag(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2))
            : NULL;
    if (d == NULL) {
        snprintf(err, errlen, "unknown option '%.100s' (see --help)", arg);
        return RP_OPTIONS_BAD;
    }
    snprintf(from, sizeof(from), "--%s", d->flag);
    if (eq != NULL) {
        value = eq + 1;
    } else if (*i + 1 < argc) {
        value = argv[++*i];
    } else {
        snprintf(err, errlen, "option '%s' needs a value", from);
        return RP_OPTIONS_BAD;
    }
    return set_value(o, d, value, from, err, errlen) < 0 ? RP_OPTIONS_BAD : RP_OPTIONS_OK;
}

enum rp_options_result rp_options_parse(struct rp_options *o, int argc, char **argv, char *err,
                                        size_t errlen)
{
    double sum = 0;

    if (apply_defaults_and_env(o, err, errlen) < 0)
        return RP_OPTIONS_BAD;
    for (int i = 1; i < argc; i++) {
        enum rp_options_result r = parse_arg(o, argc, argv, &i, err, errlen);
        if (r != RP_OPTIONS_OK)
            return r;
    }
    for (int k = RP_FAULT_NONE + 1; k < RP_FAULT_COUNT; k++)
        sum += o->fail[k];
    if (sum > 1.0 + 1e-9) {
        snprintf(err, errlen, "fault shares --fail-* sum to %g, more than 1", sum);
        return RP_OPTIONS_BAD;
    }
    return RP_OPTIONS_OK;
}

/* Writes the idx-th name of the '|'-separated list choices into out. */
static void choice_name(const char *choices, int idx, char *out, size_t outlen)
{
    for (int i = 0; i < idx && *choices != '\0'; i++)
        choices += strcspn(choices, "|") + (choices[strcspn(choices, "|")] == '|');
    snprintf(out, outlen, "%.*s", (int)strcspn(choices, "|"), choices);
}

void rp_options_describe(const struct rp_options *o, char *out, size_t outlen)
{
    char reset[16], retry[16];

    choice_name(RP_RESET_FORMATS, o->reset_format, reset, sizeof(reset));
    choice_name(RP_RETRY_FORMATS, o->retry_format, retry, sizeof(retry));
    /* The token is a credential in tests too: say whether there is one, not which. */
    snprintf(out, outlen,
             "%s %s listen=%s repos=%lld seed=%llu auth=%s limit=%lld window_ms=%lld "
             "reset_format=%s retry_after=%s deleted=%g fail=%g/%g/%g/%g/%g/%g/%g "
             "latency_ms=%lld+%lld",
             RP_PROGRAM, FRESHET_VERSION, o->listen, (long long)o->repos,
             (unsigned long long)o->seed, o->token[0] ? "bearer" : "off", (long long)o->limit,
             (long long)o->window_ms, reset, retry, o->deleted, o->fail[RP_FAULT_5XX],
             o->fail[RP_FAULT_503], o->fail[RP_FAULT_TIMEOUT], o->fail[RP_FAULT_LATE],
             o->fail[RP_FAULT_RESET], o->fail[RP_FAULT_TRUNCATE], o->fail[RP_FAULT_GARBAGE],
             (long long)o->latency_ms, (long long)o->jitter_ms);
}
