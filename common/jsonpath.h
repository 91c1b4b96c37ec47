/*
 * jsonpath — the path expressions of source files: where an upstream's answer holds its
 * records, and where a record holds its id, change signal and payload fields.
 *
 * The grammar is a small subset of JSONPath (RFC 9535), written without spaces:
 *
 *     path    = "$" *segment
 *     segment = "." name                 member of an object      $.data.items
 *             / "[" index "]"            element of an array      $.items[0]
 *             / "[*]"                    every element of an array  $.items[*].id
 *             / "[" quoted "]"           member with any name     $["x-count"]
 *     name    = 1*( ALPHA / DIGIT / "_" / "-" / any byte >= 0x80 )
 *     index   = "0" / %x31-39 *8DIGIT    (no sign, no leading zero, below 10^9)
 *     quoted  = "'" *char "'" / DQUOTE *char DQUOTE, where \\, \' and \" escape
 *               themselves; no other escape, no control character
 *
 * "$" alone is the whole document. A name may start with a digit ($.0 is the member "0",
 * never an index). Not supported: recursive descent (..), filters, slices, negative
 * indexes, unions, and [*] over an object's members ([*] on an object matches nothing).
 * At most FR_JPATH_MAX_LEN characters and FR_JPATH_MAX_SEGMENTS segments.
 *
 * Evaluation never fails: a member or element that is not there, or a step applied to a
 * value of the wrong kind, simply matches nothing. A compiled path is immutable and may
 * be shared by threads. Returned json_t pointers are borrowed from the document unless a
 * function says "new reference".
 */
#ifndef FR_JSONPATH_H
#define FR_JSONPATH_H

#include <jansson.h>
#include <stddef.h>

#include "common/err.h"

#define FR_JPATH_MAX_LEN 256
#define FR_JPATH_MAX_SEGMENTS 32

struct fr_jpath;

/* Compiles text. *out is new (fr_jpath_free). FR_ERR_USAGE with a message naming the
 * path, the 1-based character position and the reason:
 * "'$.a..b' at character 4: a name must follow '.'". */
int fr_jpath_compile(const char *text, struct fr_jpath **out, struct fr_error *err);

void fr_jpath_free(struct fr_jpath *p);

/* The text the path was compiled from; borrowed from p. */
const char *fr_jpath_text(const struct fr_jpath *p);

/* 1 when the path has a [*] segment (it may match many values), else 0. */
int fr_jpath_is_multi(const struct fr_jpath *p);

/* The value at p in doc, or NULL when absent; for a path with [*], its first match.
 * Borrowed from doc. */
json_t *fr_jpath_get(const struct fr_jpath *p, const json_t *doc);

/* The value for a payload field: never NULL, a new reference. An absent value gives JSON
 * null; a path with [*] gives an array of its matches in document order (maybe empty). */
json_t *fr_jpath_value(const struct fr_jpath *p, const json_t *doc);

/* Called with each match (borrowed); a non-zero return stops the walk. */
typedef int (*fr_jpath_fn)(json_t *v, void *arg);

/* Calls fn with every match of p in document order (none, one, or with [*] many).
 * Returns 0, or the first non-zero value fn returned. */
int fr_jpath_each(const struct fr_jpath *p, const json_t *doc, fr_jpath_fn fn, void *arg);

/* The records of an answer, as a source file's `records:` means them: for a path with
 * [*], each match; otherwise the value at the path, where an array gives its elements,
 * absent or null gives none and anything else is the one record. Returns as
 * fr_jpath_each. */
int fr_jpath_records(const struct fr_jpath *p, const json_t *doc, fr_jpath_fn fn, void *arg);

/* Writes an id value as text into out[n]: a string as it is, an integer (or a real with
 * no fraction below 2^53) as its decimal text. FR_ERR_DATA naming what v is when it is
 * absent (NULL), null, a boolean, an object or an array, an empty string, a string
 * holding a control character or a number with a fraction; FR_ERR_LIMIT when the text
 * does not fit in n bytes (terminator included). */
int fr_jpath_id_text(const json_t *v, char *out, size_t n, struct fr_error *err);

#endif
