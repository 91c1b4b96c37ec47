/*
 * config — one static table per binary describes every setting (environment variable,
 * flag, type, bounds, default, help); fr_config_parse() fills an immutable struct from
 * defaults, then the environment, then the command line, and --help is printed from
 * the same table so it cannot drift from what is parsed.
 *
 * Strings in the filled struct are borrowed from the environment, argv or the table's
 * defaults: all outlive main(), so nothing is freed.
 */
#ifndef FR_CONFIG_H
#define FR_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/err.h"

enum fr_opt_type {
    FR_OPT_STR,       /* const char * */
    FR_OPT_SECRET,    /* const char *, never printed */
    FR_OPT_IDENT,     /* const char *, [a-z0-9_-], 1..32 chars (source names) */
    FR_OPT_IDENTS,    /* const char *, a comma list of those (common/sourcelist.h) */
    FR_OPT_INT,       /* int64_t within [min, max] */
    FR_OPT_DOUBLE,    /* double within [min, max] (bounds as integers) */
    FR_OPT_DURATION,  /* int64_t milliseconds within [min, max] ms */
    FR_OPT_BOOL,      /* int: true/false/1/0/yes/no/on/off */
    FR_OPT_FLAG,      /* int: set by a bare --flag */
    FR_OPT_REDIS_URL, /* const char *, validated */
    FR_OPT_PG_URL,    /* const char *, validated by libpq */
    FR_OPT_HTTP_URL,  /* const char *, http(s)://host... */
    FR_OPT_ADDR,      /* const char *, host:port, :port or "off" */
    FR_OPT_LOGLEVEL,  /* int, enum fr_log_level */
    FR_OPT_LOGFORMAT, /* int, enum fr_log_format */
};

struct fr_opt {
    const char *env;  /* NULL: flag only */
    const char *flag; /* long flag without "--"; NULL: environment only */
    int type;
    const char *def;  /* default, written as a user would; NULL: unset */
    int64_t min, max; /* bounds for INT/DOUBLE/DURATION; min == max == 0: none */
    size_t offset;    /* where the value goes in the config struct */
    const char *help;
};

/* Settings every daemon and freshetctl share (embedded as the member "common"). */
struct fr_common_config {
    const char *database_url;
    const char *redis_url;
    const char *source;
    int log_level;
    int log_format;
    int64_t connect_timeout_ms;
    const char *worker_id;
};

#define FR_COMMON_OPTS(T)                                                                          \
    {"DATABASE_URL", "database-url", FR_OPT_PG_URL, "postgresql://localhost/freshet", 0, 0,        \
     offsetof(T, common.database_url),                                                             \
     "PostgreSQL connection URI (libpq); gssencmode=disable unless it or PGGSSENCMODE says"},      \
    {"REDIS_URL", "redis-url", FR_OPT_REDIS_URL, "redis://127.0.0.1:6379/0", 0, 0,                 \
     offsetof(T, common.redis_url), "Redis address: redis://[:password@]host:port[/db]"},          \
    {"FRESHET_SOURCE", "source", FR_OPT_IDENTS, "keepa", 0, 0, offsetof(T, common.source),         \
     "source name, or a comma list of names a daemon serves side by side; rows and Redis keys "    \
     "are scoped by it"},                                                                          \
    {"FRESHET_LOG_LEVEL", "log-level", FR_OPT_LOGLEVEL, "info", 0, 0,                              \
     offsetof(T, common.log_level), "debug, info, warn or error"},                                 \
    {"FRESHET_LOG_FORMAT", "log-format", FR_OPT_LOGFORMAT, "auto", 0, 0,                           \
     offsetof(T, common.log_format), "json, text, or auto (text on a tty, else json)"},            \
    {"FRESHET_CONNECT_TIMEOUT", "connect-timeout", FR_OPT_DURATION, "10s", 100, 600000,            \
     offsetof(T, common.connect_timeout_ms),                                                       \
     "how long start-up waits for Redis and PostgreSQL before exiting 1"},                         \
    {"FRESHET_WORKER_ID", "worker-id", FR_OPT_STR, NULL, 0, 0, offsetof(T, common.worker_id),      \
     "name of this worker in logs, heartbeats and the upstream User-Agent (default: hostname-pid)"}

enum fr_config_result {
    FR_CONFIG_RUN = 0,    /* go on */
    FR_CONFIG_HELP = 1,   /* --help was given */
    FR_CONFIG_VERSION = 2 /* --version was given */
};

/*
 * Fills cfg from defaults, environment, then argv[1..]. Parsing stops at the first
 * argument that is not an option (or after "--"); its index goes to *first_arg
 * (argc when none). Pass first_arg NULL to reject positional arguments.
 * Returns enum fr_config_result, or FR_ERR_USAGE with err naming the setting.
 */
int fr_config_parse(const struct fr_opt *opts, size_t n, void *cfg, int argc, char **argv,
                    int *first_arg, struct fr_error *err);

/* Prints the options part of --help: flag, variable, default, help text. */
void fr_config_usage(FILE *f, const struct fr_opt *opts, size_t n);

/* Logs one "configuration" line with every value, secrets and passwords hidden. */
void fr_config_log(const char *what, const struct fr_opt *opts, size_t n, const void *cfg);

/* Typed parsers, exposed for tests and for values read elsewhere. */
int fr_parse_int(const char *s, int64_t min, int64_t max, int64_t *out, struct fr_error *err);
int fr_parse_double(const char *s, double min, double max, double *out, struct fr_error *err);
int fr_parse_duration(const char *s, int64_t *ms, struct fr_error *err);
int fr_parse_bool(const char *s, int *out, struct fr_error *err);

/* Formats ms as the shortest exact duration ("90s", "15m", "1500ms") into out. */
void fr_format_duration(int64_t ms, char *out, size_t n);

#endif
