/*
 * gen_scalar.h - the leaves of a generated answer (see gen.h for the subset).
 * Every function returns a new reference determined by (schema, seed).
 */
#ifndef FL_GEN_SCALAR_H
#define FL_GEN_SCALAR_H

#include <jansson.h>
#include <stdint.h>

/* An integer within minimum/maximum (exclusive forms too) and multipleOf. */
json_t *fl_gen_integer(const json_t *s, uint64_t seed);

/* A number strictly inside its bounds (two decimals when they fit). */
json_t *fl_gen_number(const json_t *s, uint64_t seed);

/* A string of words within minLength/maxLength, or a value of its format. */
json_t *fl_gen_string(const json_t *s, uint64_t seed);

#endif
