/*
 * pgarray — builds PostgreSQL array literals ('{"a","b"}', '{1,2}') so a whole batch
 * travels as one text parameter and is unnested server-side: one statement per batch
 * whatever its size, and no SQL is ever built from data.
 * Lifecycle: fr_pgarr_open, add elements, fr_pgarr_close, use fr_buf_str(&a->buf),
 * fr_buf_release(&a->buf).
 */
#ifndef FR_PGARRAY_H
#define FR_PGARRAY_H

#include <stdint.h>

#include "common/buf.h"

struct fr_pgarr {
    struct fr_buf buf;
    size_t n;
};

void fr_pgarr_open(struct fr_pgarr *a);
/* NULL adds an SQL NULL. */
void fr_pgarr_str(struct fr_pgarr *a, const char *s);
void fr_pgarr_int(struct fr_pgarr *a, int64_t v);
void fr_pgarr_bool(struct fr_pgarr *a, int v);
/* Closes the literal and returns it (borrowed from a->buf). */
const char *fr_pgarr_close(struct fr_pgarr *a);

#endif
