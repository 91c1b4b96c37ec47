/*
 * config — see config.h. Every value, default or not, goes through the same typed
 * parser, so a bad default in a table is caught by the first test that starts a binary.
 */
#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/sourcelist.h"
#include "common/url.h"

int fr_parse_int(const char *s, int64_t min, int64_t max, int64_t *out, struct fr_error *err)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || isspace((unsigned char)*s))
        return fr_error_set(err, FR_ERR_USAGE, "must be an integer (got '%s')", s);
    if ((min != 0 || max != 0) && (v < min || v > max))
        return fr_error_set(err, FR_ERR_USAGE, "must be between %" PRId64 " and %" PRId64
                            " (got '%s')", min, max, s);
    *out = v;
    return 0;
}

int fr_parse_double(const char *s, double min, double max, double *out, struct fr_error *err)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v))
        return fr_error_set(err, FR_ERR_USAGE, "must be a number (got '%s')", s);
    if ((min != 0 || max != 0) && (v < min || v > max))
        return fr_error_set(err, FR_ERR_USAGE, "must be between %g and %g (got '%s')", min,
                            max, s);
    *out = v;
    return 0;
}

static const struct {
    const char *suffix;
    int64_t ms;
} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};

int fr_parse_duration(const char *s, int64_t *ms, struct fr_error *err)
{
    char *end;
    long long v;

    errno = 0;
    if (!isdigit((unsigned char)*s))
        goto bad;
    v = strtoll(s, &end, 10);
    if (errno == ERANGE)
        goto bad;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            if (v > INT64_MAX / units[i].ms)
                goto bad;
            *ms = v * units[i].ms;
            return 0;
        }
    }
bad:
    return fr_error_set(err, FR_ERR_USAGE,
                        "must be a duration like 500ms, 90s, 15m, 6h or 7d (got '%s')", s);
}

void fr_format_duration(int64_t ms, char *out, size_t n)
{
    for (int i = (int)(sizeof(units) / sizeof(units[0])) - 1; i >= 0; i--) {
        if (ms != 0 && ms % units[i].ms == 0) {
            snprintf(out, n, "%" PRId64 "%s", ms / units[i].ms, units[i].suffix);
            return;
        }
    }
    snprintf(out, n, "%" PRId64 "ms", ms);
}

int fr_parse_bool(const char *s, int *out, struct fr_error *err)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};

    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(s, no[i]) == 0)
            return *out = 0, 0;
    }
    return fr_error_set(err, FR_ERR_USAGE, "must be true or false (got '%s')", s);
}

/* A source name; idents: a comma list of them (common/sourcelist.h). */
static int parse_ident(const char *s, int list, struct fr_error *err)
{
    struct fr_source_list l;

    if (!list && !fr_source_list_is_one(s))
        return fr_error_set(err, FR_ERR_USAGE, "must be one name (got '%s')", s);
    return fr_source_list_parse(s, &l, err);
}

static int parse_pg_url(const char *s, struct fr_error *err)
{
    char *msg = NULL;
    PQconninfoOption *o = PQconninfoParse(s, &msg);

    if (o == NULL) {
        int rc;
        if (msg != NULL)
            msg[strcspn(msg, "\n")] = '\0';
        rc = fr_error_set(err, FR_ERR_USAGE, "is not a valid connection string: %s",
                          msg ? msg : "out of memory");
        PQfreemem(msg);
        return rc;
    }
    PQconninfoFree(o);
    return 0;
}

static int parse_addr_opt(const char *s, struct fr_error *err)
{
    char host[256];
    int port;

    if (strcmp(s, "off") == 0)
        return 0;
    return fr_parse_addr(s, host, sizeof(host), &port, err);
}

/* Parses one value into its slot; on failure err says why (without the name). */
static int set_value(const struct fr_opt *o, void *cfg, const char *v, struct fr_error *err)
{
    char *slot = (char *)cfg + o->offset;
    int64_t i;
    double d;
    int b, rc = 0;

    switch (o->type) {
    case FR_OPT_INT:
        if ((rc = fr_parse_int(v, o->min, o->max, &i, err)) == 0)
            memcpy(slot, &i, sizeof(i));
        return rc;
    case FR_OPT_DOUBLE:
        if ((rc = fr_parse_double(v, (double)o->min, (double)o->max, &d, err)) == 0)
            memcpy(slot, &d, sizeof(d));
        return rc;
    case FR_OPT_DURATION:
        if ((rc = fr_parse_duration(v, &i, err)) != 0)
            return rc;
        if ((o->min != 0 || o->max != 0) && (i < o->min || i > o->max)) {
            char lo[32], hi[32];
            fr_format_duration(o->min, lo, sizeof(lo));
            fr_format_duration(o->max, hi, sizeof(hi));
            return fr_error_set(err, FR_ERR_USAGE, "must be between %s and %s (got '%s')", lo,
                                hi, v);
        }
        memcpy(slot, &i, sizeof(i));
        return 0;
    case FR_OPT_BOOL:
    case FR_OPT_FLAG:
        if ((rc = fr_parse_bool(v, &b, err)) == 0)
            memcpy(slot, &b, sizeof(b));
        return rc;
    case FR_OPT_LOGLEVEL:
        if ((b = fr_log_parse_level(v)) < 0)
            return fr_error_set(err, FR_ERR_USAGE,
                                "must be debug, info, warn or error (got '%s')", v);
        memcpy(slot, &b, sizeof(b));
        return 0;
    case FR_OPT_LOGFORMAT:
        if ((b = fr_log_parse_format(v)) < 0)
            return fr_error_set(err, FR_ERR_USAGE, "must be json, text or auto (got '%s')", v);
        memcpy(slot, &b, sizeof(b));
        return 0;
    case FR_OPT_REDIS_URL: {
        struct fr_redis_url u;
        rc = fr_parse_redis_url(v, &u, err);
        break;
    }
    case FR_OPT_PG_URL:
        rc = parse_pg_url(v, err);
        break;
    case FR_OPT_HTTP_URL:
        rc = fr_parse_http_url(v, err);
        break;
    case FR_OPT_ADDR:
        rc = parse_addr_opt(v, err);
        break;
    case FR_OPT_IDENT:
    case FR_OPT_IDENTS:
        rc = parse_ident(v, o->type == FR_OPT_IDENTS, err);
        break;
    default:
        break;
    }
    if (rc == 0)
        memcpy(slot, &v, sizeof(v));
    return rc;
}

static int set_named(const struct fr_opt *o, void *cfg, const char *v, const char *name,
                     struct fr_error *err)
{
    struct fr_error e = {0};

    if (set_value(o, cfg, v, &e) == 0)
        return 0;
    return fr_error_set(err, FR_ERR_USAGE, "%s: %s", name, e.msg);
}

static const struct fr_opt *find_flag(const struct fr_opt *opts, size_t n, const char *name,
                                      size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (opts[i].flag && strlen(opts[i].flag) == len && strncmp(opts[i].flag, name, len) == 0)
            return &opts[i];
    }
    return NULL;
}

static int parse_defaults_and_env(const struct fr_opt *opts, size_t n, void *cfg,
                                  struct fr_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *env = opts[i].env ? getenv(opts[i].env) : NULL;
        if (opts[i].def && set_named(&opts[i], cfg, opts[i].def, "default", err) != 0) {
            fr_error_prefix(err, "%s", opts[i].env ? opts[i].env : opts[i].flag);
            return FR_ERR_USAGE;
        }
        if (env && *env && set_named(&opts[i], cfg, env, opts[i].env, err) != 0)
            return FR_ERR_USAGE;
    }
    return 0;
}

int fr_config_parse(const struct fr_opt *opts, size_t n, void *cfg, int argc, char **argv,
                    int *first_arg, struct fr_error *err)
{
    int i;

    if (parse_defaults_and_env(opts, n, cfg, err) != 0)
        return FR_ERR_USAGE;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *eq, *val;
        const struct fr_opt *o;
        char name[80];

        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
            return FR_CONFIG_HELP;
        if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0)
            return FR_CONFIG_VERSION;
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (first_arg != NULL)
                break;
            return fr_error_set(err, FR_ERR_USAGE, "unexpected argument '%s' (see --help)", a);
        }
        eq = strchr(a + 2, '=');
        o = find_flag(opts, n, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
        snprintf(name, sizeof(name), "--%.*s", (int)(eq ? eq - a - 2 : (long)strlen(a + 2)),
                 a + 2);
        if (o == NULL)
            return fr_error_set(err, FR_ERR_USAGE, "unknown option '%s' (see --help)", name);
        if (eq)
            val = eq + 1;
        else if (o->type == FR_OPT_FLAG)
            val = "true";
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return fr_error_set(err, FR_ERR_USAGE, "%s: needs a value", name);
        if (set_named(o, cfg, val, name, err) != 0)
            return FR_ERR_USAGE;
    }
    if (first_arg != NULL)
        *first_arg = i;
    return FR_CONFIG_RUN;
}

static const char *type_meta(int type)
{
    switch (type) {
    case FR_OPT_INT: return "N";
    case FR_OPT_DOUBLE: return "X";
    case FR_OPT_DURATION: return "DUR";
    case FR_OPT_BOOL: return "BOOL";
    case FR_OPT_FLAG: return "";
    case FR_OPT_REDIS_URL:
    case FR_OPT_PG_URL:
    case FR_OPT_HTTP_URL: return "URL";
    case FR_OPT_ADDR: return "ADDR";
    case FR_OPT_LOGLEVEL: return "LEVEL";
    case FR_OPT_LOGFORMAT: return "FMT";
    case FR_OPT_SECRET: return "SECRET";
    default: return "S";
    }
}

void fr_config_usage(FILE *f, const struct fr_opt *opts, size_t n)
{
    fprintf(f, "Options (each flag overrides its environment variable):\n");
    for (size_t i = 0; i < n; i++) {
        const struct fr_opt *o = &opts[i];
        char flag[64] = "";
        if (o->flag)
            snprintf(flag, sizeof(flag), "--%s%s%s", o->flag, *type_meta(o->type) ? " " : "",
                     type_meta(o->type));
        fprintf(f, "  %-28s %-26s %s", flag, o->env ? o->env : "", o->help);
        if (o->def && *o->def && o->type != FR_OPT_FLAG)
            fprintf(f, " [default: %s]", o->def);
        fputc('\n', f);
    }
    fprintf(f, "  %-28s %-26s %s\n", "--help", "", "print this help and exit");
    fprintf(f, "  %-28s %-26s %s\n", "--version", "", "print the version and exit");
}

static void format_value(const struct fr_opt *o, const void *cfg, char *out, size_t n)
{
    const char *slot = (const char *)cfg + o->offset;
    const char *s;
    int64_t i;
    double d;
    int b;

    switch (o->type) {
    case FR_OPT_INT:
        memcpy(&i, slot, sizeof(i));
        snprintf(out, n, "%" PRId64, i);
        return;
    case FR_OPT_DOUBLE:
        memcpy(&d, slot, sizeof(d));
        snprintf(out, n, "%g", d);
        return;
    case FR_OPT_DURATION:
        memcpy(&i, slot, sizeof(i));
        fr_format_duration(i, out, n);
        return;
    case FR_OPT_BOOL:
    case FR_OPT_FLAG:
    case FR_OPT_LOGLEVEL:
    case FR_OPT_LOGFORMAT:
        memcpy(&b, slot, sizeof(b));
        if (o->type == FR_OPT_LOGLEVEL)
            snprintf(out, n, "%s", fr_log_level_name(b));
        else if (o->type == FR_OPT_LOGFORMAT)
            snprintf(out, n, "%s", b == FR_LOG_JSON ? "json" : b == FR_LOG_TEXT ? "text" : "auto");
        else
            snprintf(out, n, "%s", b ? "true" : "false");
        return;
    default:
        memcpy(&s, slot, sizeof(s));
        if (s == NULL)
            snprintf(out, n, "%s", "");
        else if (o->type == FR_OPT_SECRET)
            snprintf(out, n, "%s", *s ? "(set)" : "");
        else
            fr_url_redact(s, out, n);
    }
}

void fr_config_log(const char *what, const struct fr_opt *opts, size_t n, const void *cfg)
{
    const char **kv = fr_xcalloc(2 * n + 1, sizeof(*kv));
    char(*vals)[256] = fr_xcalloc(n, sizeof(*vals));
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (opts[i].type == FR_OPT_FLAG && opts[i].env == NULL)
            continue;
        format_value(&opts[i], cfg, vals[i], sizeof(vals[i]));
        kv[k++] = opts[i].env ? opts[i].env : opts[i].flag;
        kv[k++] = vals[i];
    }
    kv[k] = NULL;
    log_info_kv(kv, "%s", what);
    free(vals);
    free(kv);
}
