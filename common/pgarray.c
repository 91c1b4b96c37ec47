/*
 * pgarray — see pgarray.h. Strings are always quoted, so an empty string, "NULL" or a
 * value with commas and braces survives exactly.
 */
#include "common/pgarray.h"

#include <inttypes.h>

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
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fr_buf_putc(&a->buf, '\\');
        fr_buf_putc(&a->buf, *s);
    }
    fr_buf_putc(&a->buf, '"');
}

void fr_pgarr_int(struct fr_pgarr *a, int64_t v)
{
    sep(a);
    fr_buf_printf(&a->buf, "%" PRId64, v);
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
