/*
 * clock.c - monotonic elapsed time since start-up and its text forms, see clock.h.
 */
#include "clock.h"

#include <stdio.h>
#include <time.h>

static int64_t start_mono_ms;
static int64_t start_wall_ms;

static int64_t read_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rp_clock_start(void)
{
    start_mono_ms = read_ms(CLOCK_MONOTONIC);
    start_wall_ms = read_ms(CLOCK_REALTIME);
}

int64_t rp_clock_elapsed(void)
{
    return read_ms(CLOCK_MONOTONIC) - start_mono_ms;
}

int64_t rp_clock_wall(int64_t elapsed)
{
    return start_wall_ms + elapsed;
}

/* gmtime_r of unix seconds; a time outside the host's range is written as the epoch. */
static void utc(int64_t unix_s, struct tm *tm)
{
    time_t t = (time_t)unix_s;

    if (gmtime_r(&t, tm) == NULL) {
        t = 0;
        gmtime_r(&t, tm);
    }
}

void rp_format_iso8601(int64_t unix_s, char *out, size_t outlen)
{
    struct tm tm;

    utc(unix_s, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void rp_format_http_date(int64_t unix_s, char *out, size_t outlen)
{
    /* strftime's %a and %b follow the locale; HTTP dates are always English. */
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;

    utc(unix_s, &tm);
    snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7], tm.tm_mday,
             months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void rp_format_go_duration(int64_t seconds, char *out, size_t outlen)
{
    long long s = seconds < 0 ? 0 : (long long)seconds;

    if (s >= 3600)
        snprintf(out, outlen, "%lldh%lldm%llds", s / 3600, s % 3600 / 60, s % 60);
    else if (s >= 60)
        snprintf(out, outlen, "%lldm%llds", s / 60, s % 60);
    else
        snprintf(out, outlen, "%llds", s);
}
