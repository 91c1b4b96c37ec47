/*
 * clock.h - the server's notion of time.
 *
 * Versions, token refills and Keepa timestamps are all derived from the time
 * elapsed since start-up, read from the monotonic clock so that a wall-clock
 * step cannot make a product's price go back in time. Wall time is the start
 * wall time plus that elapsed time.
 */
#ifndef FK_CLOCK_H
#define FK_CLOCK_H

#include <stdint.h>

/* Keepa minute 0 is 2011-01-01T00:00Z, i.e. unix minute 21564000. */
#define FK_KEEPA_EPOCH_MINUTE 21564000LL

/* Records the start instant; call once before anything reads the clock. */
void fk_clock_start(void);

/* Milliseconds elapsed since fk_clock_start(). */
int64_t fk_clock_elapsed(void);

/* Unix time in ms of the instant `elapsed` ms after start (may be negative). */
int64_t fk_clock_wall(int64_t elapsed);

/* Keepa minute of the instant `elapsed` ms after start. */
int64_t fk_clock_keepa_minute(int64_t elapsed);

#endif
