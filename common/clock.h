/*
 * clock — monotonic time for timeouts and rates, wall time for what is stored.
 * Never measure an interval with the wall clock: NTP steps it.
 */
#ifndef FR_CLOCK_H
#define FR_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t fr_mono_ms(void);
int64_t fr_mono_us(void);
int64_t fr_wall_ms(void);
/* Formats unix ms as ISO-8601 UTC "2026-01-02T03:04:05Z" (or with .mmm if ms % 1000). */
void fr_format_iso8601(int64_t unix_ms, char *out, size_t n);
/* Sleeps ms, resuming after signals until the time has passed or *stop becomes non-zero. */
void fr_sleep_ms(int64_t ms, const volatile int *stop);

#endif
