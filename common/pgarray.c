/*
 * pgarray — see pgarray.h. Strings are always quoted, so an empty string, "NULL" or a
 * value with commas and braces survives exactly.
 */
#include "common/pgarray.h"

#include <string.h>

void fr_pgarr_open(struct fr_pgarr *a)
{
    fr_buf_init(&a->buf, 0);
    fr_buf_putc(&a->buf, '{');
    a->n = 0;
}

static void sep(struct fr_pgarr *a)
{
    if (a->n++ > 0)
        fr_buf_putc(&a->buf, ',');
}

void fr_pgarr_str(struct fr_pgarr *a, const char *s)
{
    sep(a);
    if (s == NULL) {
        fr_buf_puts(&a->buf, "NULL");
        return;
    }
    fr_buf_putc(&a->buf, '"');
    /* Runs without a quote or backslash go in whole: payloads are kilobytes long. */
    for (;;) {
        size_t run = strcspn(s, "\"\\");
        fr_buf_append(&a->buf, s, run);
        s += run;
        if (*s == '\0')
            break;
        fr_buf_append(&a->buf, (const char[]){'\\', *s}, 2);
        s++;
    }
    fr_buf_putc(&a->buf, '"');
}

void fr_pgarr_int(struct fr_pgarr *a, int64_t v)
{
    char digits[24], *p = digits + sizeof(digits);
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    sep(a);
    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    fr_buf_append(&a->buf, p, (size_t)(digits + sizeof(digits) - p));
}

void fr_pgarr_bool(struct fr_pgarr *a, int v)
{
    sep(a);
    fr_buf_putc(&a->buf, v ? 't' : 'f');
}

const char *fr_pgarr_close(struct fr_pgarr *a)
{
    fr_buf_putc(&a->buf, '}');
    return fr_buf_str(&a->buf);
}
