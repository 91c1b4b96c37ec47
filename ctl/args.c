/*
 * args — the argument handling every freshetctl subcommand shares: options mixed with
 * positional ids, TIME arguments ("2h" ago or ISO-8601), short human ages, and what an
 * id may look like for a source.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/clock.h"
#include "common/mem.h"
#include "common/source.h"
#include "ctl/ctl.h"

/* Whether argv[i] is an option that takes the next argument as its value. */
static int takes_value(const struct fr_opt *opts, size_t n, const char *a)
{
    size_t len;

    if (strchr(a, '=') != NULL)
        return 0;
    len = strlen(a + 2);
    for (size_t i = 0; i < n; i++) {
        if (opts[i].flag && strlen(opts[i].flag) == len && strcmp(opts[i].flag, a + 2) == 0)
            return opts[i].type != FR_OPT_FLAG;
    }
    return 0;
}

static int is_option(const char *a)
{
    return (strncmp(a, "--", 2) == 0 && a[2] != '\0') || strcmp(a, "-h") == 0 ||
           strcmp(a, "-V") == 0;
}

void ctl_split_args(const struct fr_opt *opts, size_t n, int argc, char **argv, int *oargc,
                    char ***oargv, int *npos, char ***pos)
{
    char **o = fr_xcalloc((size_t)argc + 1, sizeof(*o));
    char **p = fr_xcalloc((size_t)argc + 1, sizeof(*p));
    int no = 0, np = 0, rest = 0;

    o[no++] = argv[0];
    for (int i = 1; i < argc; i++) {
        if (!rest && strcmp(argv[i], "--") == 0) {
            rest = 1;
        } else if (!rest && is_option(argv[i])) {
            o[no++] = argv[i];
            if (takes_value(opts, n, argv[i]) && i + 1 < argc)
                o[no++] = argv[++i];
        } else {
            p[np++] = argv[i];
        }
    }
    *oargc = no;
    *oargv = o;
    *npos = np;
    *pos = p;
}

int ctl_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 2;
}

/* Reads exactly n digits into *out; returns the position after them or NULL. */
static const char *digits(const char *s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++, s++) {
        if (!isdigit((unsigned char)*s))
            return NULL;
        *out = *out * 10 + (*s - '0');
    }
    return s;
}

/* The time-of-day part after 'T' (or ' '): HH:MM[:SS[.fff]]; returns the rest or NULL. */
static const char *time_of_day(const char *s, struct tm *tm, int64_t *ms)
{
    int frac = 0, scale = 1000;

    if (!(s = digits(s, 2, &tm->tm_hour)) || *s++ != ':' || !(s = digits(s, 2, &tm->tm_min)))
        return NULL;
    if (*s == ':' && !(s = digits(s + 1, 2, &tm->tm_sec)))
        return NULL;
    if (*s == '.' || *s == ',') {
        for (s++; isdigit((unsigned char)*s); s++) {
            if (scale > 1) {
                scale /= 10;
                frac += (*s - '0') * scale;
            }
        }
    }
    *ms = frac;
    return s;
}

/* "Z", "+HH:MM", "+HHMM", "-HH" or nothing (UTC); returns the offset in ms or -1 on junk. */
static int zone_offset(const char *s, int64_t *off_ms)
{
    int h = 0, m = 0, sign;

    *off_ms = 0;
    if (*s == '\0' || strcmp(s, "Z") == 0 || strcmp(s, "z") == 0)
        return 0;
    if (*s != '+' && *s != '-')
        return -1;
    sign = *s == '-' ? -1 : 1;
    if (!(s = digits(s + 1, 2, &h)))
        return -1;
    if (*s == ':')
        s++;
    if (*s && !(s = digits(s, 2, &m)))
        return -1;
    if (*s != '\0' || h > 23 || m > 59)
        return -1;
    *off_ms = sign * ((int64_t)h * 3600000 + (int64_t)m * 60000);
    return 0;
}

int ctl_parse_iso8601(const char *s, int64_t *unix_ms)
{
    struct tm tm = {0};
    int64_t ms = 0, off = 0;

    if (!(s = digits(s, 4, &tm.tm_year)) || *s++ != '-' || !(s = digits(s, 2, &tm.tm_mon)) ||
        *s++ != '-' || !(s = digits(s, 2, &tm.tm_mday)))
        return -1;
    if ((*s == 'T' || *s == 't' || *s == ' ') && !(s = time_of_day(s + 1, &tm, &ms)))
        return -1;
    if (zone_offset(s, &off) != 0 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
        tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *unix_ms = (int64_t)timegm(&tm) * 1000 + ms - off;
    return 0;
}

int ctl_parse_time(const char *s, int64_t *unix_ms, struct fr_error *err)
{
    int64_t ago;

    if (s == NULL || *s == '\0')
        return fr_error_set(err, FR_ERR_USAGE, "empty time");
    if (ctl_parse_iso8601(s, unix_ms) == 0)
        return 0;
    if (fr_parse_duration(s, &ago, NULL) == 0 && ago >= 0) {
        *unix_ms = fr_wall_ms() - ago;
        return 0;
    }
    return fr_error_set(err, FR_ERR_USAGE,
                        "'%s' is not a time: write ISO-8601 (2026-01-02T03:04:05Z) or a "
                        "duration ago (90s, 15m, 6h, 7d)",
                        s);
}

void ctl_fmt_age(double secs, char *out, size_t n)
{
    long long s = (long long)secs;

    if (secs < 0)
        secs = 0, s = 0;
    if (secs < 1)
        snprintf(out, n, "%dms", (int)(secs * 1000));
    else if (s < 60)
        snprintf(out, n, "%llds", s);
    else if (s < 3600)
        snprintf(out, n, "%lldm%02llds", s / 60, s % 60);
    else if (s < 86400)
        snprintf(out, n, "%lldh%02lldm", s / 3600, s % 3600 / 60);
    else
        snprintf(out, n, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
}

int ctl_valid_id(const char *source, const char *id)
{
    const struct fr_source_ops *ops = fr_source_builtin_ops(source);

    return ops != NULL ? ops->valid_id(id) : fr_src_plain_id(id);
}

int ctl_contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; n == 0 || *hay; hay++) {
        if (strncasecmp(hay, needle, n) == 0)
            return 1;
    }
    return 0;
}
