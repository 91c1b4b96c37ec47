/*
 * minire — see minire.h. compile accepts a pattern only when each atom that may repeat a
 * variable number of times is followed by the end or by an atom that must match at least
 * once and shares no byte with it: then taking the longest run is the only way a match
 * can go on, and matching is one pass with no backtracking, linear in the subject
 * whatever it holds.
 */
#include "common/minire.h"

#include <stdint.h>
#include <string.h>

static void set_bit(unsigned char *set, unsigned c)
{
    set[c >> 3] |= (unsigned char)(1u << (c & 7));
}

static int has_bit(const unsigned char *set, unsigned char c)
{
    return set[c >> 3] >> (c & 7) & 1;
}

/* A bracket expression at p (after '['): into set, returns past the ']' or NULL when it
 * uses what this subset leaves to regcomp (classes, collating elements, backslashes). */
static const char *bracket(const char *p, unsigned char *set)
{
    int neg = *p == '^';

    if (neg)
        p++;
    if (*p == ']') /* a literal ']' first: rare, leave it to regcomp */
        return NULL;
    while (*p != ']') {
        unsigned char lo = (unsigned char)*p, hi = lo;
        if (lo == '\0' || lo == '\\' || lo == '[')
            return NULL;
        if (p[1] == '-' && p[2] != ']' && p[2] != '\0') {
            hi = (unsigned char)p[2];
            if (hi < lo || hi == '\\' || hi == '[')
                return NULL;
            p += 3;
        } else {
            p++;
        }
        for (unsigned c = lo; c <= hi; c++)
            set_bit(set, c);
    }
    if (neg)
        for (size_t i = 0; i < 32; i++)
            set[i] = (unsigned char)~set[i];
    return p + 1;
}

static const char *number(const char *p, size_t *out)
{
    size_t v = 0;

    if (*p < '0' || *p > '9')
        return NULL;
    while (*p >= '0' && *p <= '9') {
        v = v * 10 + (size_t)(*p++ - '0');
        if (v > 255) /* regcomp's RE_DUP_MAX is 32767; nothing here needs more */
            return NULL;
    }
    *out = v;
    return p;
}

/* A quantifier at p for atom a; returns past it (p itself when there is none). */
static const char *quantifier(const char *p, struct fr_minire_atom *a)
{
    a->min = a->max = 1;
    switch (*p) {
    case '*':
        a->min = 0, a->max = SIZE_MAX;
        return p + 1;
    case '+':
        a->max = SIZE_MAX;
        return p + 1;
    case '?':
        a->min = 0;
        return p + 1;
    case '{':
        if ((p = number(p + 1, &a->min)) == NULL)
            return NULL;
        if (*p == '}')
            return a->max = a->min, p + 1;
        if (*p++ != ',')
            return NULL;
        if (*p == '}')
            return a->max = SIZE_MAX, p + 1;
        if ((p = number(p, &a->max)) == NULL || *p != '}' || a->max < a->min)
            return NULL;
        return p + 1;
    default:
        return p;
    }
}

int fr_minire_compile(struct fr_minire *m, const char *pattern)
{
    const char *p = pattern;
    size_t len = strlen(pattern);

    memset(m, 0, sizeof(*m));
    if (len < 2 || p[0] != '^' || p[len - 1] != '$' || (len >= 3 && p[len - 2] == '\\'))
        return 0;
    for (p++; p < pattern + len - 1;) {
        struct fr_minire_atom *a;
        unsigned char c = (unsigned char)*p;

        if (m->n == FR_MINIRE_MAX_ATOMS)
            return 0;
        a = &m->atoms[m->n++];
        if (c == '[') {
            if ((p = bracket(p + 1, a->set)) == NULL)
                return 0;
        } else if (c == '\\') {
            c = (unsigned char)p[1];
            /* an escaped letter or digit may be a GNU class (\w, \b, ...) */
            if (c == '\0' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                (c >= 'A' && c <= 'Z'))
                return 0;
            set_bit(a->set, c);
            p += 2;
        } else if (strchr(".()|^$*+?{}]", c) != NULL) {
            return 0;
        } else {
            set_bit(a->set, c);
            p++;
        }
        if (p > pattern + len - 1 || (p = quantifier(p, a)) == NULL || p > pattern + len - 1)
            return 0;
        if (strchr("*+?{", *p) != NULL && p < pattern + len - 1) /* a doubled quantifier */
            return 0;
    }
    for (size_t i = 0; i + 1 < m->n; i++) {
        const struct fr_minire_atom *a = &m->atoms[i], *b = &m->atoms[i + 1];
        if (a->min == a->max)
            continue;
        if (b->min == 0)
            return 0;
        for (size_t k = 0; k < 32; k++)
            if (a->set[k] & b->set[k])
                return 0;
    }
    return 1;
}

int fr_minire_match(const struct fr_minire *m, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t pos = 0;

    for (size_t i = 0; i < m->n; i++) {
        const struct fr_minire_atom *a = &m->atoms[i];
        size_t run = 0;

        while (pos + run < len && run < a->max && has_bit(a->set, u[pos + run]))
            run++;
        if (run < a->min)
            return 0;
        pos += run;
    }
    return pos == len;
}
