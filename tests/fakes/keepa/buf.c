/*
 * buf.c - growable buffer and JSON writer, see buf.h.
 *
 * The writer is hand-written rather than built on jansson because /product
 * batches of 100 products are rendered thousands of times a second, and
 * building a jansson tree for each would dominate the server's CPU time.
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fk_buf_init(struct fk_buf *b, size_t hint)
{
    b->len = 0;
    b->cap = hint < 64 ? 64 : hint;
    b->data = malloc(b->cap);
    if (b->data == NULL)
        abort();
}

void fk_buf_release(struct fk_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void fk_buf_reserve(struct fk_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1; /* +1 keeps room for fk_buf_cstr's NUL */
    size_t cap = b->cap ? b->cap : 64;
    char *grown;

    if (need <= b->cap)
        return;
    if (need > FK_BUF_MAX)
        abort();
    while (cap < need)
        cap *= 2;
    grown = realloc(b->data, cap);
    if (grown == NULL)
        abort();
    b->data = grown;
    b->cap = cap;
}

void fk_buf_add(struct fk_buf *b, const void *p, size_t n)
{
    fk_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void fk_buf_puts(struct fk_buf *b, const char *s)
{
    fk_buf_add(b, s, strlen(s));
}

void fk_buf_putc(struct fk_buf *b, char c)
{
    fk_buf_reserve(b, 1);
    b->data[b->len++] = c;
}

const char *fk_buf_cstr(struct fk_buf *b)
{
    fk_buf_reserve(b, 0);
    b->data[b->len] = '\0';
    return b->data;
}

void fk_jw_sep(struct fk_buf *b)
{
    char last;

    if (b->len == 0)
        return;
    last = b->data[b->len - 1];
    if (last != '{' && last != '[' && last != ':')
        fk_buf_putc(b, ',');
}

void fk_jw_key(struct fk_buf *b, const char *key)
{
    size_t n = strlen(key);

    fk_jw_sep(b);
    fk_buf_reserve(b, n + 3);
    b->data[b->len++] = '"';
    memcpy(b->data + b->len, key, n);
    b->len += n;
    b->data[b->len++] = '"';
    b->data[b->len++] = ':';
}

void fk_jw_open(struct fk_buf *b, char bracket)
{
    fk_jw_sep(b);
    fk_buf_putc(b, bracket);
}

void fk_jw_close(struct fk_buf *b, char bracket)
{
    fk_buf_putc(b, bracket);
}

/*
 * Writes an optional separator, sign and the digits of magnitude with a
 * single capacity check: integers are most of every response's bytes.
 */
static void put_int(struct fk_buf *b, int negative, uint64_t magnitude)
{
    char tmp[24];
    size_t n = 0;
    char *p;

    do {
        tmp[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    fk_buf_reserve(b, n + 2);
    p = b->data + b->len;
    if (b->len > 0 && p[-1] != '{' && p[-1] != '[' && p[-1] != ':')
        *p++ = ',';
    if (negative)
        *p++ = '-';
    while (n > 0)
        *p++ = tmp[--n];
    b->len = (size_t)(p - b->data);
}

void fk_jw_uint(struct fk_buf *b, uint64_t v)
{
    put_int(b, 0, v);
}

void fk_jw_int(struct fk_buf *b, int64_t v)
{
    /* Negating through uint64_t is defined even for INT64_MIN. */
    put_int(b, v < 0, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

void fk_jw_double(struct fk_buf *b, double v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%.6g", v);

    fk_jw_sep(b);
    fk_buf_add(b, tmp, (size_t)n);
}

void fk_jw_bool(struct fk_buf *b, int v)
{
    fk_jw_sep(b);
    fk_buf_puts(b, v ? "true" : "false");
}

void fk_jw_null(struct fk_buf *b)
{
    fk_jw_sep(b);
    fk_buf_add(b, "null", 4);
}

/* Escapes '"', '\\' and control bytes; other bytes (UTF-8) pass through.
 * Runs of plain bytes are copied in one go, which is most of every title. */
void fk_jw_str(struct fk_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t start = 0;

    fk_jw_sep(b);
    fk_buf_reserve(b, n + 2);
    b->data[b->len++] = '"';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        fk_buf_add(b, s + start, i - start);
        start = i + 1;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            fk_buf_add(b, esc, sizeof(esc));
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            fk_buf_add(b, esc, sizeof(esc));
        }
    }
    fk_buf_add(b, s + start, n - start);
    fk_buf_putc(b, '"');
}

void fk_jw_cstr(struct fk_buf *b, const char *s)
{
    fk_jw_str(b, s, strlen(s));
}

void fk_jw_kint(struct fk_buf *b, const char *key, int64_t v)
{
    fk_jw_key(b, key);
    fk_jw_int(b, v);
}

void fk_jw_kstr(struct fk_buf *b, const char *key, const char *s)
{
    fk_jw_key(b, key);
    fk_jw_cstr(b, s);
}

void fk_jw_kbool(struct fk_buf *b, const char *key, int v)
{
    fk_jw_key(b, key);
    fk_jw_bool(b, v);
}

void fk_jw_int_array(struct fk_buf *b, const int32_t *v, size_t n)
{
    fk_jw_open(b, '[');
    for (size_t i = 0; i < n; i++)
        fk_jw_int(b, v[i]);
    fk_jw_close(b, ']');
}
