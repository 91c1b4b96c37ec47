/*
 * gen.h - answers generated from a JSON schema and a seed (the prompt's hash).
 *
 * The same schema and seed always give the same answer. Supported subset:
 * type (a name or a list: the first that is not "null" is used), enum, const,
 * properties, required, additionalProperties (a schema for required names
 * that properties lacks), items, minItems, maxItems, uniqueItems, minimum,
 * maximum, exclusiveMinimum, exclusiveMaximum (numbers, or draft-4 booleans),
 * multipleOf (integers), minLength, maxLength, format (date-time, date,
 * email, uri, uuid), anyOf / oneOf / allOf (the first branch), and local
 * $ref ("#/$defs/x"). pattern is not honoured. Beyond depth 8 optional
 * members are left out, so a recursive schema still ends.
 */
#ifndef FL_GEN_H
#define FL_GEN_H

#include <jansson.h>
#include <stdint.h>

/* The deal-analysis schema answered when a request carries none (borrowed, static). */
extern const char fl_deal_schema[];

/* Returns a new value that satisfies schema. */
json_t *fl_gen_answer(const json_t *schema, uint64_t seed);

/*
 * Returns a new JSON value that fails schema: the answer without its first
 * required member, else with its first member of the wrong type, else an
 * array where an object is expected.
 */
json_t *fl_gen_wrong(const json_t *schema, uint64_t seed);

/*
 * Returns new text (free) that is not JSON, built from the valid content: it
 * with a sentence before it, inside a markdown fence, cut in half, or a
 * refusal.
 */
char *fl_gen_nonjson(const char *content, uint64_t seed);

/* 64-bit FNV-1a of n bytes. */
uint64_t fl_hash_bytes(const void *p, size_t n, uint64_t h);
#define FL_HASH_INIT 0xcbf29ce484222325ULL

#endif
