/*
 * prompt — the LLM analysis's prompt template (DESIGN.md "LLM analysis"): text with
 * {{field}} and {{a.b}} placeholders that render a payload value as JSON (a string with
 * its quotes, a number, an object, null when absent).
 *
 * A placeholder is "{{", optional spaces, name *("." name), optional spaces, "}}", where
 * name is 1*(ALPHA / DIGIT / "_" / "-"). Every "{{" opens a placeholder (there is no
 * escape), so a template cannot hold a placeholder that silently renders as text.
 * Compiling checks the syntax; whether a name is a field of the source is the caller's
 * check (fr_prompt_field lists them). Values render in canonical form (sorted keys,
 * compact), so the same payload always renders the same prompt.
 *
 * A compiled template is immutable and may be shared by threads.
 */
#ifndef FR_PROMPT_H
#define FR_PROMPT_H

#include <jansson.h>
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

struct fr_prompt;

/* Compiles text[0..len) (NUL bytes refused). *out is new (fr_prompt_free). FR_ERR_USAGE
 * with "line N: <reason>" for an unclosed or malformed placeholder. */
int fr_prompt_compile(const char *text, size_t len, struct fr_prompt **out,
                      struct fr_error *err);

void fr_prompt_free(struct fr_prompt *p);

/* The distinct placeholder names ("title", "analysis.avg90") in order of first use, and
 * the 1-based line of that use. Borrowed from p; i < fr_prompt_nfields(p). */
size_t fr_prompt_nfields(const struct fr_prompt *p);
const char *fr_prompt_field(const struct fr_prompt *p, size_t i);
int fr_prompt_field_line(const struct fr_prompt *p, size_t i);

/* Appends the template rendered on payload (a JSON object; NULL renders every
 * placeholder as null) to out. FR_ERR_LIMIT when out's maximum is reached. */
int fr_prompt_render(const struct fr_prompt *p, const json_t *payload, struct fr_buf *out,
                     struct fr_error *err);

/* The value a dotted name stands for in payload: borrowed, NULL when absent. */
json_t *fr_prompt_lookup(const json_t *payload, const char *name);

#endif
