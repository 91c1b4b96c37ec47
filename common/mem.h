/*
 * mem — allocation that aborts on failure, and the banned-function list.
 *
 * freshet treats out-of-memory as fatal (like git's xmalloc): every buffer that grows
 * from outside input has its own cap, so OOM means a bug or a starved host.
 * Everything returned here is owned by the caller and released with free().
 */
#ifndef FR_MEM_H
#define FR_MEM_H

#include <stddef.h>

void *fr_xmalloc(size_t n);
void *fr_xcalloc(size_t count, size_t size);
void *fr_xrealloc(void *p, size_t n);
char *fr_xstrdup(const char *s);
char *fr_xstrndup(const char *s, size_t n);
/* Allocating sprintf; never NULL. */
char *fr_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Copies src into dst of size n, always NUL-terminated; returns strlen(src). */
size_t fr_strlcpy(char *dst, const char *src, size_t n);

#include "common/banned.h"

#endif
