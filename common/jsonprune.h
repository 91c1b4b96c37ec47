/*
 * jsonprune — cuts the parts of a JSON text nobody will read, before it is parsed.
 *
 * A discovery page of the built-in source is ~226 KB for 150 deals, most of it integer arrays the scout never
 * reads; building and freeing jansson values for them was nearly all of its CPU. This is
 * a single-pass scanner that copies the text verbatim except where rules apply: objects
 * lose the members a rule does not keep, arrays the elements past a rule's count (their
 * separators go too). The result is meant for json_loadb, which still validates all
 * that is kept.
 *
 * Checking is structural: strings (escapes included), literals, numbers, brackets,
 * commas and colons, nesting up to FR_JSONPRUNE_MAX_DEPTH and nothing after the value.
 * Left to the JSON parser, and so not checked in what is cut: UTF-8 validity, duplicate
 * keys, surrogate pairs and the range of numbers.
 */
#ifndef FR_JSONPRUNE_H
#define FR_JSONPRUNE_H

#include <stddef.h>

#include "common/err.h"

#define FR_JSONPRUNE_MAX_DEPTH 64 /* containers open at once */
#define FR_JSONPRUNE_MAX_RULES 8
#define FR_JSONPRUNE_MAX_STEPS 8 /* steps of a path */

/*
 * One rule. path designates values from the root: a key ("deals"), further keys after a
 * dot (".dr"), "[]" for every element of an array; "deals.dr[]" is each element of
 * root.deals.dr, "" the root itself. An object there keeps only the nkeep members named
 * in keep (keep NULL: all of them); an array keeps its first max_items elements (0: all).
 * When several rules designate one value, what any of them cuts is cut. A value whose
 * type does not fit its path is copied unchanged.
 *
 * Keys are compared as written in the text: a key spelled with an escape is always kept
 * (it might decode to a kept name) and never matches a path step. Strings are borrowed.
 */
struct fr_jsonprune_rule {
    const char *path;
    const char *const *keep;
    size_t nkeep;
    size_t max_items;
    /* Each array the path designates is written as [] and its whole text (brackets
     * included, structure checked) is recorded instead, in document order: a caller
     * reads large number arrays itself rather than building a value per number. */
    int capture;
};

/* in[off .. off + len): the text of one captured array. */
struct fr_jsonprune_span {
    size_t off, len;
};

/* What capture rules recorded (owned: fr_jsonprune_captures_release). */
struct fr_jsonprune_captures {
    struct fr_jsonprune_span *v;
    size_t n, cap;
};

void fr_jsonprune_captures_release(struct fr_jsonprune_captures *c);

/*
 * Writes into out (cap bytes) in[0..len) less what the nrules rules cut, and its length
 * into *out_len; the result is never longer than the input, so cap = len is enough.
 * in need not be NUL-terminated; NUL outside a string is an error like any other byte.
 * Returns 0; FR_ERR_DATA naming the byte offset for text that is not JSON (truncated,
 * unbalanced, trailing data, too deep); FR_ERR_USAGE for a bad path or too many rules;
 * FR_ERR_LIMIT when cap is too small. On error the content of out is unspecified.
 */
int fr_jsonprune(const struct fr_jsonprune_rule *rules, size_t nrules, const char *in, size_t len,
                 char *out, size_t cap, size_t *out_len, struct fr_error *err);

/* The same, appending what capture rules designate to caps (emptied first; NULL: a
 * capture rule is an error). The result is still never longer than the input. */
int fr_jsonprune_capture(const struct fr_jsonprune_rule *rules, size_t nrules, const char *in,
                         size_t len, char *out, size_t cap, size_t *out_len,
                         struct fr_jsonprune_captures *caps, struct fr_error *err);

#endif
