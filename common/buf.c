/*
 * buf — see buf.h.
 */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"

void fr_buf_init(struct fr_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void fr_buf_reset(struct fr_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

void fr_buf_release(struct fr_buf *b)
{
    free(b->data);
    fr_buf_init(b, b->max);
}

static int grow(struct fr_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1, cap;

    if (b->max != 0 && b->len + extra > b->max)
        return FR_ERR_LIMIT;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = fr_xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int fr_buf_append(struct fr_buf *b, const void *data, size_t len)
{
    int rc = grow(b, len);

    if (rc != 0)
        return rc;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int fr_buf_puts(struct fr_buf *b, const char *s)
{
    return fr_buf_append(b, s, strlen(s));
}

int fr_buf_putc(struct fr_buf *b, char c)
{
    return fr_buf_append(b, &c, 1);
}

int fr_buf_printf(struct fr_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return FR_ERR_DATA;
    rc = grow(b, (size_t)n);
    if (rc != 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int fr_buf_put_json_str(struct fr_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = b->len;
    int rc = fr_buf_putc(b, '"');

    for (const unsigned char *p = (const unsigned char *)s; rc == 0 && *p; p++) {
        char esc[7] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15], 0};
        if (*p == '"' || *p == '\\') {
            char two[2] = {'\\', (char)*p};
            rc = fr_buf_append(b, two, 2);
        } else if (*p < 0x20) {
            rc = fr_buf_append(b, esc, 6);
        } else {
            rc = fr_buf_putc(b, (char)*p);
        }
    }
    if (rc == 0)
        rc = fr_buf_putc(b, '"');
    if (rc != 0)
        b->len = start; /* all or nothing */
    if (b->data != NULL)
        b->data[b->len] = '\0';
    return rc;
}

const char *fr_buf_str(const struct fr_buf *b)
{
    return b->data != NULL ? b->data : "";
}

char *fr_buf_detach(struct fr_buf *b, size_t *len)
{
    char *p = b->data != NULL ? b->data : fr_xstrdup("");

    if (len != NULL)
        *len = b->len;
    fr_buf_init(b, b->max);
    return p;
}
