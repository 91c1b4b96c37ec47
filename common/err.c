/*
 * err — see err.h. Formatting lives here so callers stay one line long.
 */
#include "common/err.h"

#include <stdio.h>
#include <string.h>

int fr_error_vset(struct fr_error *err, int code, const char *fmt, va_list ap)
{
    if (err == NULL || err->code != 0)
        return code;
    err->code = code;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    return code;
}

int fr_error_set(struct fr_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fr_error_vset(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void fr_error_prefix(struct fr_error *err, const char *fmt, ...)
{
    char prefix[FR_ERROR_MSG_MAX], old[FR_ERROR_MSG_MAX];
    va_list ap;

    if (err == NULL || err->code == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof(old));
    snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
}

void fr_error_clear(struct fr_error *err)
{
    if (err != NULL) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

const char *fr_err_name(int code)
{
    switch (code) {
    case FR_OK: return "ok";
    case FR_ERR_USAGE: return "usage";
    case FR_ERR_IO: return "io";
    case FR_ERR_PROTO: return "protocol";
    case FR_ERR_TIMEOUT: return "timeout";
    case FR_ERR_NOTFOUND: return "not-found";
    case FR_ERR_STATE: return "state";
    case FR_ERR_LIMIT: return "limit";
    case FR_ERR_DATA: return "data";
    case FR_ERR_FATAL: return "fatal";
    default: return "unknown";
    }
}

int fr_err_exit_status(int code)
{
    if (code == 0)
        return 0;
    return code == FR_ERR_USAGE ? 2 : 1;
}
