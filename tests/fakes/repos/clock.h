/*
 * clock.h - the server's time and the text forms an HTTP API writes it in.
 *
 * Rate-limit windows and held requests run on the monotonic clock, read as
 * milliseconds since start-up, so a wall-clock step cannot stretch a window.
 * Wall time (record timestamps, the reset header, HTTP dates) is the wall time
 * at start-up plus that elapsed time.
 */
#ifndef RP_CLOCK_H
#define RP_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Records the start instant; call once before anything reads the clock. */
void rp_clock_start(void);

/* Milliseconds elapsed since rp_clock_start(). */
int64_t rp_clock_elapsed(void);

/* Unix time in ms of the instant `elapsed` ms after start. */
int64_t rp_clock_wall(int64_t elapsed);

/* Writes unix seconds as ISO-8601 UTC, "2026-01-02T03:04:05Z". */
void rp_format_iso8601(int64_t unix_s, char *out, size_t outlen);

/* Writes unix seconds as an RFC 9110 HTTP date, "Fri, 02 Jan 2026 03:04:05 GMT". */
void rp_format_http_date(int64_t unix_s, char *out, size_t outlen);

/* Writes seconds the way Go prints a time.Duration: "45s", "6m0s", "1h2m3s". */
void rp_format_go_duration(int64_t seconds, char *out, size_t outlen);

#endif
