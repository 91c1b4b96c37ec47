/*
 * minire — a matcher for the simplest anchored regular expressions, the only kind the
 * JSON schemas use: ^, then literal characters and bracket classes, each with an
 * optional quantifier (*, +, ?, {m}, {m,}, {m,n}), then $, where an atom repeated a
 * variable number of times is followed by the end or by an atom that must match and
 * shares no character with it ("^[^/]+/[^/]+$", "^[A-Z0-9]{1,31}$"). For those it
 * answers exactly what glibc's regexec (POSIX extended, C locale, bytes) would, in one
 * pass and at a fraction of the cost; for any other pattern compile says no and the
 * caller keeps regexec.
 *
 * Patterns and subjects are bytes: a class matches single bytes, as regexec does in the
 * C locale.
 */
#ifndef FR_MINIRE_H
#define FR_MINIRE_H

#include <stddef.h>

#define FR_MINIRE_MAX_ATOMS 64

struct fr_minire {
    size_t n;
    struct fr_minire_atom {
        unsigned char set[32]; /* bit per byte value */
        size_t min, max;       /* repetitions; max SIZE_MAX for none */
    } atoms[FR_MINIRE_MAX_ATOMS];
};

/* 1 when pattern is in the subset above (m then matches it exactly), else 0. */
int fr_minire_compile(struct fr_minire *m, const char *pattern);

/* 1 when all of s[0..len) matches. */
int fr_minire_match(const struct fr_minire *m, const char *s, size_t len);

#endif
