/*
 * log — see log.h. A line is built in memory, secrets are masked, then it is written
 * with one write() so lines from concurrent processes on one pipe do not interleave.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/mem.h"

#define MAX_GLOBALS 8
#define MAX_SECRETS 8
#define LINE_MAX_BYTES 16384

int fr_log_min_level = FR_LOG_INFO;

static const char *program = "freshet";
static int format = FR_LOG_TEXT;
static FILE *stream;
static char *globals[MAX_GLOBALS][2];
static char *secrets[MAX_SECRETS];

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void fr_log_init(const char *prog, int level, int fmt)
{
    program = prog;
    fr_log_min_level = level;
    if (fmt == FR_LOG_AUTO)
        fmt = isatty(STDERR_FILENO) ? FR_LOG_TEXT : FR_LOG_JSON;
    format = fmt;
}

void fr_log_set_stream(FILE *f)
{
    stream = f;
}

void fr_log_set_global(const char *key, const char *value)
{
    int i;

    for (i = 0; i < MAX_GLOBALS && globals[i][0] != NULL; i++) {
        if (strcmp(globals[i][0], key) == 0)
            break;
    }
    if (i == MAX_GLOBALS)
        return;
    if (globals[i][0] == NULL)
        globals[i][0] = fr_xstrdup(key);
    free(globals[i][1]);
    globals[i][1] = fr_xstrdup(value);
}

void fr_log_add_secret(const char *s)
{
    if (s == NULL || strlen(s) < 4)
        return;
    for (int i = 0; i < MAX_SECRETS; i++) {
        if (secrets[i] != NULL && strcmp(secrets[i], s) == 0)
            return;
        if (secrets[i] == NULL) {
            secrets[i] = fr_xstrdup(s);
            return;
        }
    }
}

void fr_log_reset(void)
{
    for (int i = 0; i < MAX_GLOBALS; i++) {
        free(globals[i][0]);
        free(globals[i][1]);
        globals[i][0] = globals[i][1] = NULL;
    }
    for (int i = 0; i < MAX_SECRETS; i++) {
        free(secrets[i]);
        secrets[i] = NULL;
    }
}

int fr_log_parse_level(const char *s)
{
    for (int i = FR_LOG_DEBUG; i <= FR_LOG_OFF; i++) {
        if (strcmp(s, level_names[i]) == 0)
            return i;
    }
    if (strcmp(s, "warning") == 0)
        return FR_LOG_WARN;
    return -1;
}

int fr_log_parse_format(const char *s)
{
    if (strcmp(s, "json") == 0)
        return FR_LOG_JSON;
    if (strcmp(s, "text") == 0)
        return FR_LOG_TEXT;
    if (strcmp(s, "auto") == 0)
        return FR_LOG_AUTO;
    return -1;
}

const char *fr_log_level_name(int level)
{
    return level >= FR_LOG_DEBUG && level <= FR_LOG_OFF ? level_names[level] : "?";
}

static void put_time(struct fr_buf *b)
{
    struct timeval tv;
    struct tm tm;
    char ts[32];

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    fr_buf_printf(b, "%s.%03dZ", ts, (int)(tv.tv_usec / 1000));
}

static void put_field(struct fr_buf *b, const char *k, const char *v)
{
    if (v == NULL)
        v = "";
    if (format == FR_LOG_JSON) {
        fr_buf_putc(b, ',');
        fr_buf_put_json_str(b, k);
        fr_buf_putc(b, ':');
        fr_buf_put_json_str(b, v);
    } else if (strpbrk(v, " \"=") != NULL || *v == '\0') {
        fr_buf_printf(b, " %s=", k);
        fr_buf_put_json_str(b, v);
    } else {
        fr_buf_printf(b, " %s=%s", k, v);
    }
}

/* Masks every registered secret in place; same length keeps the code simple. */
static void mask_secrets(char *line)
{
    for (int i = 0; i < MAX_SECRETS && secrets[i] != NULL; i++) {
        size_t n = strlen(secrets[i]);
        for (char *p = strstr(line, secrets[i]); p != NULL; p = strstr(p + n, secrets[i])) {
            memset(p, '*', n);
        }
    }
}

void fr_log_write(int level, const char *const *kv, const char *fmt, ...)
{
    char msg[4096];
    struct fr_buf b;
    va_list ap;
    FILE *out = stream != NULL ? stream : stderr;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fr_buf_init(&b, LINE_MAX_BYTES);
    if (format == FR_LOG_JSON) {
        fr_buf_puts(&b, "{\"ts\":\"");
        put_time(&b);
        fr_buf_printf(&b, "\",\"level\":\"%s\",\"program\":", fr_log_level_name(level));
        fr_buf_put_json_str(&b, program);
        fr_buf_puts(&b, ",\"msg\":");
        fr_buf_put_json_str(&b, msg);
    } else {
        put_time(&b);
        fr_buf_printf(&b, " %-5s %s: %s", fr_log_level_name(level), program, msg);
    }
    for (int i = 0; i < MAX_GLOBALS && globals[i][0] != NULL; i++)
        put_field(&b, globals[i][0], globals[i][1]);
    for (; kv != NULL && kv[0] != NULL; kv += 2)
        put_field(&b, kv[0], kv[1]);
    fr_buf_puts(&b, format == FR_LOG_JSON ? "}\n" : "\n");
    if (b.data != NULL) {
        mask_secrets(b.data);
        fwrite(b.data, 1, b.len, out);
        fflush(out);
    }
    fr_buf_release(&b);
}
