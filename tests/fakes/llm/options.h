/*
 * options.h - the fake's settings: one common/config table (flag, variable,
 * type, bounds, default, help), read once at start-up. Flags override
 * FAKE_LLM_* variables, which override defaults; --help is printed from the
 * same table.
 */
#ifndef FL_OPTIONS_H
#define FL_OPTIONS_H

#include <stdint.h>

#define FL_PROGRAM "freshet-fake-llm"

struct fl_options {
    const char *host;
    int64_t port;
    const char *port_file;
    const char *key;
    int64_t seed;
    int64_t rpm, tpm;
    int64_t window_ms;
    int64_t latency_ms, slow_ms, hold_ms, storm_ms;
    double fail_5xx, fail_429, fail_nonjson, fail_shape, fail_timeout, fail_slow;
    const char *outage;
};

/*
 * Fills o from defaults, the environment and argv. Returns -1 to go on, or
 * the exit status after printing --help / --version (0) or a one-line
 * reason naming the bad setting on stderr (2).
 */
int fl_options_parse(struct fl_options *o, int argc, char **argv);

/* Logs the effective settings as one line on stderr (the key hidden). */
void fl_options_log(const struct fl_options *o);

#endif
