/*
 * clock — see clock.h.
 */
#include "common/clock.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

static int64_t read_clock(clockid_t id, int64_t div)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * (1000000000 / div) + ts.tv_nsec / div;
}

int64_t fr_mono_ms(void)
{
    return read_clock(CLOCK_MONOTONIC, 1000000);
}

int64_t fr_mono_us(void)
{
    return read_clock(CLOCK_MONOTONIC, 1000);
}

int64_t fr_wall_ms(void)
{
    return read_clock(CLOCK_REALTIME, 1000000);
}

void fr_format_iso8601(int64_t unix_ms, char *out, size_t n)
{
    time_t secs = (time_t)(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
    int millis = (int)(unix_ms - (int64_t)secs * 1000);
    struct tm tm;
    char base[32];

    gmtime_r(&secs, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    if (millis != 0)
        snprintf(out, n, "%s.%03dZ", base, millis);
    else
        snprintf(out, n, "%sZ", base);
}

void fr_sleep_ms(int64_t ms, const volatile int *stop)
{
    int64_t end = fr_mono_ms() + ms;

    while ((stop == NULL || !*stop) && ms > 0) {
        int64_t step = ms > 100 ? 100 : ms;
        struct timespec ts = {(time_t)(step / 1000), (long)(step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms = end - fr_mono_ms();
    }
}
