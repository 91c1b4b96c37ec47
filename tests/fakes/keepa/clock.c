/*
 * clock.c - monotonic elapsed time since start-up and its wall/Keepa forms.
 *
 * One pair of start instants (monotonic and wall) is taken at start-up; every
 * later time is expressed relative to it, see clock.h for why.
 */
#include "clock.h"

#include <time.h>

static int64_t start_mono_ms;
static int64_t start_wall_ms;

static int64_t read_ms(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fk_clock_start(void)
{
    start_mono_ms = read_ms(CLOCK_MONOTONIC);
    start_wall_ms = read_ms(CLOCK_REALTIME);
}

int64_t fk_clock_elapsed(void)
{
    return read_ms(CLOCK_MONOTONIC) - start_mono_ms;
}

int64_t fk_clock_wall(int64_t elapsed)
{
    return start_wall_ms + elapsed;
}

int64_t fk_clock_keepa_minute(int64_t elapsed)
{
    int64_t ms = fk_clock_wall(elapsed);
    int64_t minute = ms / 60000;

    /* Floor division: history points before 1970 cannot occur, but be exact. */
    if (ms < 0 && ms % 60000 != 0)
        minute--;
    return minute - FK_KEEPA_EPOCH_MINUTE;
}
