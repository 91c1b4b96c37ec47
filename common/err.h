/*
 * err — error codes and the error context every fallible freshet function fills.
 *
 * A fallible function returns 0 or a negative enum fr_err and, when the caller passed
 * a struct fr_error, a one-line message. The first error set wins, so a low-level
 * cause is not overwritten by a caller's vaguer one; call fr_error_clear() to reuse.
 * Messages are lower-case, without a full stop, subject in quotes, what failed first.
 */
#ifndef FR_ERR_H
#define FR_ERR_H

#include <stdarg.h>

enum fr_err {
    FR_OK = 0,
    FR_ERR_USAGE = -1,    /* bad configuration or argument: exit 2 */
    FR_ERR_IO = -2,       /* network or server failure: worth retrying */
    FR_ERR_PROTO = -3,    /* the peer said something we cannot accept */
    FR_ERR_TIMEOUT = -4,
    FR_ERR_NOTFOUND = -5,
    FR_ERR_STATE = -6,    /* e.g. schema newer than this binary */
    FR_ERR_LIMIT = -7,    /* a size or count cap was hit */
    FR_ERR_DATA = -8,     /* bad input data (queue item, upstream record) */
    FR_ERR_FATAL = -9,    /* must not be retried (an upstream's 400/402) */
};

#define FR_ERROR_MSG_MAX 512

struct fr_error {
    int code;
    char msg[FR_ERROR_MSG_MAX];
};

/* Sets err (if non-NULL and not already set) from a printf format; returns code. */
int fr_error_set(struct fr_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int fr_error_vset(struct fr_error *err, int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* Prefixes an already-set message with context: "connect to redis: <old msg>". */
void fr_error_prefix(struct fr_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void fr_error_clear(struct fr_error *err);

/* Short name of a code ("io", "usage"...); static storage. */
const char *fr_err_name(int code);

/* Process exit status for a code, per DESIGN.md: usage 2, everything else 1. */
int fr_err_exit_status(int code);

#endif
