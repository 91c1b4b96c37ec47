/*
 * options.c - the option table, its parser and --help, see options.h.
 */
#include "options.h"

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
    OPT_KEY,    /* repeatable NAME:RATE[:expired]; env is comma-separated */
    OPT_TOKENS, /* int64_t, or "rate" */
    OPT_DRIFT,  /* struct fk_drift_spec */
    OPT_DEAL,   /* enum fk_drift_deal: hide or reveal */
};

struct opt_def {
    const char *flag;
    const char *metavar;
    const char *env;
    enum opt_type type;
    size_t offset;
    int64_t min, max;
    const char *def;
    const char *help;
};

#define OFF(field) offsetof(struct fk_options, field)

static const struct opt_def opts[] = {
    {"listen", "ADDR", "FAKE_KEEPA_LISTEN", OPT_STR, OFF(listen), 0, 256, "127.0.0.1:0",
     "address to listen on, HOST:PORT; port 0 picks a free port"},
    {"port-file", "FILE", "FAKE_KEEPA_PORT_FILE", OPT_STR, OFF(port_file), 0, 4096, "",
     "write the bound port number to FILE (atomically) after binding"},
    {"products", "N", "FAKE_KEEPA_PRODUCTS", OPT_INT, OFF(products), 0, 2000000, "1000",
     "catalog size: ASINs B000000000.. in base 36"},
    {"seed", "S", "FAKE_KEEPA_SEED", OPT_SEED, OFF(seed), 0, 0, "1",
     "seed of every generated value and fault draw"},
    {"key", "NAME:RATE[:expired]", "FAKE_KEEPA_KEYS", OPT_KEY, OFF(keys), 0, 0, "test:6000",
     "API key refilling RATE tokens a minute; expired keys get 402 (repeatable; env: comma list)"},
    {"initial-tokens", "N", "FAKE_KEEPA_INITIAL_TOKENS", OPT_TOKENS, OFF(initial_tokens),
     -1000000000, 1000000000, "rate", "starting balance of every key (\"rate\": the key's rate)"},
    {"minute-ms", "MS", "FAKE_KEEPA_MINUTE_MS", OPT_INT, OFF(minute_ms), 1, 86400000, "60000",
     "real duration of a token-refill minute"},
    {"latency-ms", "MS", "FAKE_KEEPA_LATENCY_MS", OPT_INT, OFF(latency_ms), 0, 600000, "0",
     "delay before every API response"},
    {"latency-jitter-ms", "MS", "FAKE_KEEPA_LATENCY_JITTER_MS", OPT_INT, OFF(jitter_ms), 0, 600000,
     "0", "extra random delay, uniform in [0, MS]"},
    {"fail-5xx", "R", "FAKE_KEEPA_FAIL_5XX", OPT_RATE, OFF(fail_5xx), 0, 0, "0",
     "probability of a 500 with an error envelope"},
    {"fail-timeout", "R", "FAKE_KEEPA_FAIL_TIMEOUT", OPT_RATE, OFF(fail_timeout), 0, 0, "0",
     "probability of never answering (closed after --timeout-hold-ms)"},
    {"fail-reset", "R", "FAKE_KEEPA_FAIL_RESET", OPT_RATE, OFF(fail_reset), 0, 0, "0",
     "probability of closing the connection without a response"},
    {"fail-truncate", "R", "FAKE_KEEPA_FAIL_TRUNCATE", OPT_RATE, OFF(fail_truncate), 0, 0, "0",
     "probability of a 200 cut short of its Content-Length"},
    {"fail-garbage", "R", "FAKE_KEEPA_FAIL_GARBAGE", OPT_RATE, OFF(fail_garbage), 0, 0, "0",
     "probability of a 200 whose body is not JSON"},
    {"fail-429-nobody", "R", "FAKE_KEEPA_FAIL_429_NOBODY", OPT_RATE, OFF(fail_429), 0, 0, "0",
     "probability of a 429 with an empty body"},
    {"timeout-hold-ms", "MS", "FAKE_KEEPA_TIMEOUT_HOLD_MS", OPT_INT, OFF(hold_ms), 0, 300000,
     "300000", "how long a --fail-timeout request is held before its connection is closed"},
    {"change-period-ms", "MS", "FAKE_KEEPA_CHANGE_PERIOD_MS", OPT_INT, OFF(change_period_ms), 1,
     1099511627776LL, "600000", "base period of price changes (products use x1, x2, x4, x8 or never)"},
    {"invalid-rate", "R", "FAKE_KEEPA_INVALID_RATE", OPT_RATE, OFF(invalid_rate), 0, 0, "0",
     "fraction of catalog products that are productType 4 (invalid)"},
    {"deal-fraction", "F", "FAKE_KEEPA_DEAL_FRACTION", OPT_RATE, OFF(deal_fraction), 0, 0, "1",
     "fraction of products listed by /deal at any time (changes with versions)"},
    {"drift", "SPEC", "FAKE_KEEPA_DRIFT", OPT_DRIFT, OFF(drift), 0, 0, "off",
     "prices change as Poisson processes, mean intervals loguniform:MIN:MAX or "
     "bimodal:SLOW:FAST:FASTSHARE (e.g. loguniform:10s:50m); off: --change-period-ms"},
    {"drift-deal", "hide|reveal", "FAKE_KEEPA_DRIFT_DEAL", OPT_DEAL, OFF(drift_deal), 0, 0, "hide",
     "drift mode: /deal shows a product as /product last served it (hide) or as it is now"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

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

static int parse_deal(const char *s, enum fk_drift_deal *out)
{
    if (strcmp(s, "hide") == 0)
        *out = FK_DRIFT_DEAL_HIDE;
    else if (strcmp(s, "reveal") == 0)
        *out = FK_DRIFT_DEAL_REVEAL;
    else
        return -1;
    return 0;
}

/* Adds the comma-separated key specs in list to o. */
static int add_keys(struct fk_options *o, const char *list, char *err, size_t errlen)
{
    char spec[FK_KEY_NAME_MAX + 64];

    while (*list != '\0') {
        size_t len = strcspn(list, ",");
        if (len >= sizeof(spec) || o->nkeys >= FK_KEYS_MAX) {
            snprintf(err, errlen, "too many or too long keys (max %d)", FK_KEYS_MAX);
            return -1;
        }
        memcpy(spec, list, len);
        spec[len] = '\0';
        if (fk_key_parse(spec, &o->keys[o->nkeys], err, errlen) < 0)
            return -1;
        o->nkeys++;
        list += len + (list[len] == ',');
    }
    return 0;
}

/* Describes the accepted values of d, for error messages. */
static void expected(const struct opt_def *d, char *out, size_t outlen)
{
    switch (d->type) {
    case OPT_INT:
    case OPT_TOKENS:
        snprintf(out, outlen, "an integer in %lld..%lld%s", (long long)d->min,
                 (long long)d->max, d->type == OPT_TOKENS ? " or \"rate\"" : "");
        break;
    case OPT_SEED:
        snprintf(out, outlen, "an unsigned integer");
        break;
    case OPT_RATE:
        snprintf(out, outlen, "a number in 0..1");
        break;
    case OPT_DRIFT:
        snprintf(out, outlen, "off, loguniform:MIN:MAX or bimodal:SLOW:FAST:FASTSHARE");
        break;
    case OPT_DEAL:
        snprintf(out, outlen, "hide or reveal");
        break;
    default:
        snprintf(out, outlen, "at most %lld bytes", (long long)d->max - 1);
        break;
    }
}

/* Stores value into the option d; `from` names the flag or env var for errors. */
static int set_value(struct fk_options *o, const struct opt_def *d, const char *value,
                     const char *from, char *err, size_t errlen)
{
    char *field = (char *)o + d->offset;
    char want[64];
    int rc = 0;

    switch (d->type) {
    case OPT_STR:
        if (strlen(value) >= (size_t)d->max)
            rc = -1;
        else
            memcpy(field, value, strlen(value) + 1);
        break;
    case OPT_INT:
        rc = parse_int(value, d->min, d->max, (int64_t *)(void *)field);
        break;
    case OPT_TOKENS:
        if (strcmp(value, "rate") == 0)
            *(int64_t *)(void *)field = FK_INITIAL_RATE;
        else
            rc = parse_int(value, d->min, d->max, (int64_t *)(void *)field);
        break;
    case OPT_SEED:
        rc = parse_seed(value, (uint64_t *)(void *)field);
        break;
    case OPT_RATE:
        rc = parse_rate(value, (double *)(void *)field);
        break;
    case OPT_KEY:
        return add_keys(o, value, err, errlen);
    case OPT_DRIFT:
        rc = fk_drift_parse(value, (struct fk_drift_spec *)(void *)field, err, errlen);
        break;
    case OPT_DEAL:
        rc = parse_deal(value, (enum fk_drift_deal *)(void *)field);
        break;
    }
    if (rc < 0) {
        expected(d, want, sizeof(want));
        snprintf(err, errlen, "invalid value '%s' for %s (expected %s)", value, from, want);
    }
    return rc;
}

static int apply_defaults_and_env(struct fk_options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof(*o));
    for (size_t i = 0; i < NOPTS; i++) {
        const char *env = getenv(opts[i].env);
        if (set_value(o, &opts[i], opts[i].def, opts[i].flag, err, errlen) < 0)
            return -1;
        if (env == NULL || env[0] == '\0')
            continue;
        if (opts[i].type == OPT_KEY)
            o->nkeys = 0; /* the variable replaces the default key */
        if (set_value(o, &opts[i], env, opts[i].env, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static void print_help(void)
{
    printf("usage: %s [OPTION...]\n"
           "A Keepa-API-compatible HTTP server for tests: /product, /deal, /seller, /token,\n"
           "plus GET /stats and /_fake/{bump,config,reset-stats,truth,drift,grow}. Every option\n"
           "can also be set by the environment variable in brackets; flags win.\n\n",
           FK_PROGRAM);
    for (size_t i = 0; i < NOPTS; i++) {
        char left[64];
        snprintf(left, sizeof(left), "--%s %s", opts[i].flag, opts[i].metavar);
        printf("  %-28s %s\n  %-28s [%s, default %s]\n", left, opts[i].help, "", opts[i].env,
               opts[i].def[0] ? opts[i].def : "none");
    }
    printf("  %-28s %s\n  %-28s %s\n", "--help", "print this help and exit", "--version",
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
static enum fk_options_result parse_arg(struct fk_options *o, int argc, char **argv, int *i,
                                        int *keys_from_flags, char *err, size_t errlen)
{
    const char *arg = argv[*i], *eq, *value;
    const struct opt_def *d;
    char from[80];

    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        print_help();
        return FK_OPTIONS_EXIT;
    }
    if (strcmp(arg, "--version") == 0) {
        printf("%s %s\n", FK_PROGRAM, FRESHET_VERSION);
        return FK_OPTIONS_EXIT;
    }
    eq = strchr(arg, '=');
    d = strncmp(arg, "--", 2) == 0 ? find_flag(arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2))
                                    : NULL;
    if (d == NULL) {
        snprintf(err, errlen, "unknown option '%.100s' (see --help)", arg);
        return FK_OPTIONS_BAD;
    }
    snprintf(from, sizeof(from), "--%s", d->flag);
    if (eq != NULL) {
        value = eq + 1;
    } else if (*i + 1 < argc) {
        value = argv[++*i];
    } else {
        snprintf(err, errlen, "option '%s' needs a value", from);
        return FK_OPTIONS_BAD;
    }
    if (d->type == OPT_KEY && !*keys_from_flags) {
        o->nkeys = 0; /* the first --key replaces the env/default keys */
        *keys_from_flags = 1;
    }
    return set_value(o, d, value, from, err, errlen) < 0 ? FK_OPTIONS_BAD : FK_OPTIONS_OK;
}

enum fk_options_result fk_options_parse(struct fk_options *o, int argc, char **argv, char *err,
                                        size_t errlen)
{
    int keys_from_flags = 0;
    double sum;

    if (apply_defaults_and_env(o, err, errlen) < 0)
        return FK_OPTIONS_BAD;
    for (int i = 1; i < argc; i++) {
        enum fk_options_result r = parse_arg(o, argc, argv, &i, &keys_from_flags, err, errlen);
        if (r != FK_OPTIONS_OK)
            return r;
    }
    sum = o->fail_5xx + o->fail_timeout + o->fail_reset + o->fail_truncate + o->fail_garbage +
          o->fail_429;
    if (sum > 1.0 + 1e-9) {
        snprintf(err, errlen, "fault probabilities --fail-* sum to %g, more than 1", sum);
        return FK_OPTIONS_BAD;
    }
    if (o->nkeys == 0) {
        snprintf(err, errlen, "no API key configured (--key NAME:RATE)");
        return FK_OPTIONS_BAD;
    }
    return FK_OPTIONS_OK;
}

void fk_options_describe(const struct fk_options *o, char *out, size_t outlen)
{
    char drift[128];

    fk_drift_describe(&o->drift, drift, sizeof(drift));
    /* Key names are credentials in tests too: show how many, not which. */
    snprintf(out, outlen,
             "%s %s listen=%s products=%lld seed=%llu keys=%zu minute_ms=%lld "
             "change_period_ms=%lld latency_ms=%lld+%lld fail=%g/%g/%g/%g/%g/%g "
             "invalid_rate=%g deal_fraction=%g drift=%s drift_deal=%s",
             FK_PROGRAM, FRESHET_VERSION, o->listen, (long long)o->products,
             (unsigned long long)o->seed, o->nkeys, (long long)o->minute_ms,
             (long long)o->change_period_ms, (long long)o->latency_ms, (long long)o->jitter_ms,
             o->fail_5xx, o->fail_timeout, o->fail_reset, o->fail_truncate, o->fail_garbage,
             o->fail_429, o->invalid_rate, o->deal_fraction, drift,
             o->drift_deal == FK_DRIFT_DEAL_HIDE ? "hide" : "reveal");
}
