/*
 * log — one line per event on stderr: JSON objects (ts, level, program, msg, fields)
 * when stderr is not a tty, readable text when it is.
 *
 * The macros test the level before formatting, so a disabled debug line costs a compare.
 * Fields come as a NULL-terminated key/value list: log_info_kv(FR_KV("id", asin), "...").
 * Process-wide fields (worker, source) are set once with fr_log_set_global().
 * Secrets registered with fr_log_add_secret() are replaced by "***" in every line,
 * whatever field or message they hide in: an API key is never printed.
 */
#ifndef FR_LOG_H
#define FR_LOG_H

#include <stdio.h>

enum fr_log_level { FR_LOG_DEBUG = 0, FR_LOG_INFO, FR_LOG_WARN, FR_LOG_ERROR, FR_LOG_OFF };
enum fr_log_format { FR_LOG_AUTO = 0, FR_LOG_TEXT, FR_LOG_JSON };

extern int fr_log_min_level;

/* program is borrowed and must outlive logging (pass a string literal). */
void fr_log_init(const char *program, int level, int format);
/* Sends lines to f instead of stderr (tests); NULL restores stderr. Borrowed. */
void fr_log_set_stream(FILE *f);
/* Both strings are copied. At most 8 globals; a repeated key replaces the value. */
void fr_log_set_global(const char *key, const char *value);
/* s is copied; empty or very short strings (< 4 chars) are ignored. */
void fr_log_add_secret(const char *s);
void fr_log_reset(void);

int fr_log_parse_level(const char *s);   /* -1 when unknown */
int fr_log_parse_format(const char *s);  /* -1 when unknown */
const char *fr_log_level_name(int level);

void fr_log_write(int level, const char *const *kv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define FR_KV(...) ((const char *const[]){__VA_ARGS__, NULL})

#define FR_LOG_AT(lvl, kv, ...)                                                                    \
    do {                                                                                           \
        if ((lvl) >= fr_log_min_level)                                                             \
            fr_log_write((lvl), (kv), __VA_ARGS__);                                                \
    } while (0)

#define log_debug(...) FR_LOG_AT(FR_LOG_DEBUG, NULL, __VA_ARGS__)
#define log_info(...) FR_LOG_AT(FR_LOG_INFO, NULL, __VA_ARGS__)
#define log_warn(...) FR_LOG_AT(FR_LOG_WARN, NULL, __VA_ARGS__)
#define log_error(...) FR_LOG_AT(FR_LOG_ERROR, NULL, __VA_ARGS__)
#define log_debug_kv(kv, ...) FR_LOG_AT(FR_LOG_DEBUG, kv, __VA_ARGS__)
#define log_info_kv(kv, ...) FR_LOG_AT(FR_LOG_INFO, kv, __VA_ARGS__)
#define log_warn_kv(kv, ...) FR_LOG_AT(FR_LOG_WARN, kv, __VA_ARGS__)
#define log_error_kv(kv, ...) FR_LOG_AT(FR_LOG_ERROR, kv, __VA_ARGS__)

#endif
