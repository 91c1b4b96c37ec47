/*
 * json — typed access to jansson values with error messages that name the field,
 * and a canonical dump (sorted keys, compact) used for content hashes.
 *
 * Getters return borrowed pointers into the object (valid while it lives); parse
 * returns a new reference the caller json_decref()s.
 */
#ifndef FR_JSON_H
#define FR_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/* Parses exactly one JSON value from buf[0..len). */
int fr_json_parse(const char *buf, size_t len, json_t **out, struct fr_error *err);

/* Missing key: FR_ERR_NOTFOUND; wrong type: FR_ERR_DATA; both name the key. */
int fr_json_get_str(const json_t *obj, const char *key, const char **out, struct fr_error *err);
int fr_json_get_int(const json_t *obj, const char *key, int64_t *out, struct fr_error *err);
int fr_json_get_num(const json_t *obj, const char *key, double *out, struct fr_error *err);
int fr_json_get_array(const json_t *obj, const char *key, json_t **out, struct fr_error *err);
int fr_json_get_object(const json_t *obj, const char *key, json_t **out, struct fr_error *err);

/* Lenient forms: the default when missing or of another type. */
const char *fr_json_str_or(const json_t *obj, const char *key, const char *def);
int64_t fr_json_int_or(const json_t *obj, const char *key, int64_t def);

/* Appends a canonical (sorted keys, compact, UTF-8) serialisation of v to out. */
int fr_json_dump_canonical(const json_t *v, struct fr_buf *out, struct fr_error *err);

/* Compact text of v, members in the order built and reals with precision significant
 * digits (0: 17), byte for byte what json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
 * JSON_REAL_PRECISION(precision)) writes, only faster; new string (free() it), NULL only
 * when jansson too cannot write v. */
char *fr_json_dump_compact(const json_t *v, int precision);

/* 64-bit FNV-1a of the canonical form, as 16 hex chars into out[17]. */
int fr_json_hash(const json_t *v, char out[17], struct fr_error *err);

/* The same hash as fr_json_hash() of a copy of obj less the nskip members named in skip,
 * without making the copy (a per-record hash that leaves volatile members out). */
#define FR_JSON_HASH_MAX_KEYS 256
int fr_json_hash_without(const json_t *obj, const char *const *skip, size_t nskip, char out[17],
                         struct fr_error *err);

#endif
