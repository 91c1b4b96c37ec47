/*
 * buf — a growable byte buffer with a hard maximum.
 *
 * Used for HTTP bodies, SQL batches and JSON output. The data is always NUL-terminated
 * (not counted in len) so text can be used as a C string. A buffer that would grow past
 * max refuses the append and returns FR_ERR_LIMIT, leaving its content unchanged.
 * Lifecycle: fr_buf_init / fr_buf_reset (keep memory) / fr_buf_release (free memory).
 */
#ifndef FR_BUF_H
#define FR_BUF_H

#include <stddef.h>

struct fr_buf {
    char *data; /* owned; NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* 0 = unlimited */
};

void fr_buf_init(struct fr_buf *b, size_t max);
void fr_buf_reset(struct fr_buf *b);
void fr_buf_release(struct fr_buf *b);

int fr_buf_append(struct fr_buf *b, const void *data, size_t len);
int fr_buf_puts(struct fr_buf *b, const char *s);
int fr_buf_putc(struct fr_buf *b, char c);
int fr_buf_printf(struct fr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s as a JSON string literal (quotes and escapes included). */
int fr_buf_put_json_str(struct fr_buf *b, const char *s);

/* Returns the data ("" when empty); borrowed, valid until the next append or release. */
const char *fr_buf_str(const struct fr_buf *b);

/* Hands the data to the caller (free() it) and leaves the buffer empty. */
char *fr_buf_detach(struct fr_buf *b, size_t *len);

#endif
