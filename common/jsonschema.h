/*
 * jsonschema — validation of records against the JSON schemas shipped in schemas/
 * (compiled into the library by deploy/embed-json.sh as the table fr_schemas[]).
 *
 * A deliberately small subset of JSON Schema: type (a name or an array of names among
 * null, boolean, object, array, number, integer, string; a number with no fraction is an
 * integer), properties, required, additionalProperties (boolean only), items (one
 * schema), enum, minimum, maximum, minLength, maxLength (in code points), pattern (POSIX
 * extended regex, unanchored like JSON Schema: write ^...$ to anchor) and
 * format "date-time" (UTC only: YYYY-MM-DDTHH:MM:SS[.f+]Z). The annotations $schema, $id,
 * $comment, title, description, default and examples are accepted and ignored. Any other
 * keyword is an error when the schema is loaded, so a schema cannot silently not apply.
 *
 * A loaded schema is immutable: one may be shared by threads.
 */
#ifndef FR_JSONSCHEMA_H
#define FR_JSONSCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "common/err.h"

struct fr_embedded_schema {
    const char *name; /* file name without .schema.json; NULL ends the table */
    const char *text;
};

extern const struct fr_embedded_schema fr_schemas[];

struct fr_schema;

/* Loads the embedded schema called name (its file in schemas/ without .schema.json). *out is new (fr_schema_free).
 * FR_ERR_NOTFOUND when there is no such schema, FR_ERR_DATA when it is invalid JSON or
 * uses an unknown keyword or a bad keyword value (the message gives its path). */
int fr_schema_load(const char *name, struct fr_schema **out, struct fr_error *err);

/* The same from schema text; name is only used in messages. */
int fr_schema_parse(const char *name, const char *text, struct fr_schema **out,
                    struct fr_error *err);

void fr_schema_free(struct fr_schema *s);

/* 0 when v conforms, else FR_ERR_DATA with the first violation as
 * "<json pointer>: <what>", e.g. "/analysis/avg90: must be integer or null". */
int fr_schema_validate(const struct fr_schema *s, const json_t *v, struct fr_error *err);

/* Code points in the UTF-8 string s[0..len), or -1 when it is not valid UTF-8 (overlong
 * forms, surrogates and values above U+10FFFF are invalid). */
long fr_utf8_length(const char *s, size_t len);

#endif
