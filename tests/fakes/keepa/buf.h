/*
 * buf.h - a growable byte buffer and a small JSON writer on top of it.
 *
 * Responses are built in one contiguous buffer so they can be gzipped and
 * handed to libevent with a single copy. The JSON writer inserts commas by
 * looking at the last byte written (no comma after '{', '[' or ':'), which
 * keeps call sites free of "is this the first element" bookkeeping.
 * Allocation failure aborts: the fake has no useful way to degrade.
 */
#ifndef FK_BUF_H
#define FK_BUF_H

#include <stddef.h>
#include <stdint.h>

/* No response or request body may grow past this; reaching it is a bug. */
#define FK_BUF_MAX ((size_t)1 << 31)

struct fk_buf {
    char *data; /* owned; NUL-terminated after fk_buf_cstr() */
    size_t len;
    size_t cap;
};

void fk_buf_init(struct fk_buf *b, size_t hint);
void fk_buf_release(struct fk_buf *b);
void fk_buf_reserve(struct fk_buf *b, size_t extra);
void fk_buf_add(struct fk_buf *b, const void *p, size_t n);
void fk_buf_puts(struct fk_buf *b, const char *s);
void fk_buf_putc(struct fk_buf *b, char c);
/* Returns the contents NUL-terminated (borrowed, valid until the next write). */
const char *fk_buf_cstr(struct fk_buf *b);

/* JSON writer. Keys are literals that need no escaping. */
void fk_jw_sep(struct fk_buf *b);
void fk_jw_key(struct fk_buf *b, const char *key);
void fk_jw_open(struct fk_buf *b, char bracket);
void fk_jw_close(struct fk_buf *b, char bracket);
void fk_jw_int(struct fk_buf *b, int64_t v);
void fk_jw_uint(struct fk_buf *b, uint64_t v);
void fk_jw_double(struct fk_buf *b, double v);
void fk_jw_bool(struct fk_buf *b, int v);
void fk_jw_null(struct fk_buf *b);
void fk_jw_str(struct fk_buf *b, const char *s, size_t n);
void fk_jw_cstr(struct fk_buf *b, const char *s);
/* Writes `"key":value` pairs. */
void fk_jw_kint(struct fk_buf *b, const char *key, int64_t v);
void fk_jw_kstr(struct fk_buf *b, const char *key, const char *s);
void fk_jw_kbool(struct fk_buf *b, const char *key, int v);
/* Writes an array of n ints. */
void fk_jw_int_array(struct fk_buf *b, const int32_t *v, size_t n);

#endif
