/*
 * jsonpath — see jsonpath.h. A path compiles to an array of segments; evaluation walks
 * them over the document, recursing only at [*] (so depth is bounded by the segment
 * count, at most FR_JPATH_MAX_SEGMENTS).
 */
#include "common/jsonpath.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

enum seg_kind {
    SEG_MEMBER, /* .name or ["name"] */
    SEG_INDEX,  /* [3] */
    SEG_ALL,    /* [*] */
};

struct seg {
    enum seg_kind kind;
    size_t index;
    char *name; /* owned, SEG_MEMBER only */
};

struct fr_jpath {
    char *text; /* owned */
    size_t n;
    int multi;
    struct seg seg[FR_JPATH_MAX_SEGMENTS];
};

/* Indexes stay below 10^9: nine digits, no overflow to think about. */
#define MAX_INDEX_DIGITS 9
#define STR_(x) #x
#define STR(x) STR_(x)

struct parser {
    const char *text;
    size_t pos; /* 0-based; messages say pos + 1 */
    struct fr_jpath *p;
    struct fr_error *err;
};

static int bad(struct parser *ps, const char *why)
{
    return fr_error_set(ps->err, FR_ERR_USAGE, "'%s' at character %zu: %s", ps->text,
                        ps->pos + 1, why);
}

static int name_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c >= 0x80;
}

static struct seg *add(struct parser *ps, enum seg_kind kind)
{
    struct seg *s;

    if (ps->p->n == FR_JPATH_MAX_SEGMENTS) {
        bad(ps, "more than " STR(FR_JPATH_MAX_SEGMENTS) " segments");
        return NULL;
    }
    s = &ps->p->seg[ps->p->n++];
    s->kind = kind;
    return s;
}

/* ".name" with pos on the '.'. */
static int parse_dot(struct parser *ps)
{
    size_t start = ++ps->pos, len;
    struct seg *s;

    while (name_byte((unsigned char)ps->text[ps->pos]))
        ps->pos++;
    len = ps->pos - start;
    if (len == 0) {
        if (ps->text[ps->pos] == '*')
            return bad(ps, "write [*] for every element, not .*");
        return bad(ps, ps->text[ps->pos] == '.' ? "'..' (recursive descent) is not supported"
                                                : "a name must follow '.'");
    }
    if ((s = add(ps, SEG_MEMBER)) == NULL)
        return FR_ERR_USAGE;
    s->name = fr_xstrndup(ps->text + start, len);
    return 0;
}

/* "'name']" or "\"name\"]" with pos on the opening quote. */
static int parse_quoted(struct parser *ps)
{
    char quote = ps->text[ps->pos++];
    char *name = fr_xmalloc(strlen(ps->text + ps->pos) + 1);
    size_t len = 0;
    struct seg *s;

    for (;;) {
        unsigned char c = (unsigned char)ps->text[ps->pos];

        if (c == '\0') {
            free(name);
            return bad(ps, "the quoted name is not closed");
        }
        if (c < 0x20) {
            free(name);
            return bad(ps, "a control character in a quoted name");
        }
        if (c == (unsigned char)quote)
            break;
        if (c == '\\') {
            c = (unsigned char)ps->text[++ps->pos];
            if (c != '\\' && c != '\'' && c != '"') {
                free(name);
                return bad(ps, "only \\\\, \\' and \\\" are escapes in a quoted name");
            }
        }
        name[len++] = (char)c;
        ps->pos++;
    }
    name[len] = '\0';
    if (ps->text[++ps->pos] != ']') {
        free(name);
        return bad(ps, "']' must follow the quoted name");
    }
    ps->pos++;
    if ((s = add(ps, SEG_MEMBER)) == NULL) {
        free(name);
        return FR_ERR_USAGE;
    }
    s->name = name;
    return 0;
}

/* "[...]" with pos on the '['. */
static int parse_bracket(struct parser *ps)
{
    const char *t = ps->text;
    size_t start, index = 0;
    struct seg *s;

    ps->pos++;
    if (t[ps->pos] == '\'' || t[ps->pos] == '"')
        return parse_quoted(ps);
    if (t[ps->pos] == '*') {
        if (t[++ps->pos] != ']')
            return bad(ps, "']' must follow '[*'");
        ps->pos++;
        ps->p->multi = 1;
        return add(ps, SEG_ALL) ? 0 : FR_ERR_USAGE;
    }
    if (t[ps->pos] == '-')
        return bad(ps, "negative indexes are not supported");
    if (t[ps->pos] < '0' || t[ps->pos] > '9')
        return bad(ps, "'[' must be followed by an index, '*' or a quoted name");
    start = ps->pos;
    while (t[ps->pos] >= '0' && t[ps->pos] <= '9') {
        if (ps->pos - start == MAX_INDEX_DIGITS)
            return bad(ps, "index too large");
        index = index * 10 + (size_t)(t[ps->pos++] - '0');
    }
    if (t[start] == '0' && ps->pos - start > 1) {
        ps->pos = start;
        return bad(ps, "an index has no leading zero");
    }
    if (t[ps->pos] == ':' || t[ps->pos] == ',')
        return bad(ps, "slices and unions are not supported");
    if (t[ps->pos] != ']')
        return bad(ps, "']' must follow the index");
    ps->pos++;
    if ((s = add(ps, SEG_INDEX)) == NULL)
        return FR_ERR_USAGE;
    s->index = index;
    return 0;
}

static int parse(struct parser *ps)
{
    size_t len = strlen(ps->text);
    int rc = 0;

    if (len == 0)
        return fr_error_set(ps->err, FR_ERR_USAGE, "a path must not be empty");
    if (len > FR_JPATH_MAX_LEN)
        return fr_error_set(ps->err, FR_ERR_USAGE, "a path may have at most %d characters",
                            FR_JPATH_MAX_LEN);
    if (ps->text[0] != '$')
        return bad(ps, "a path starts with '$'");
    ps->pos = 1;
    while (rc == 0 && ps->text[ps->pos] != '\0') {
        char c = ps->text[ps->pos];

        if (c == '.')
            rc = parse_dot(ps);
        else if (c == '[')
            rc = parse_bracket(ps);
        else
            rc = bad(ps, c == ' ' ? "spaces are not allowed" : "'.' or '[' expected");
    }
    return rc;
}

int fr_jpath_compile(const char *text, struct fr_jpath **out, struct fr_error *err)
{
    struct parser ps = {.text = text ? text : "", .err = err};
    int rc;

    *out = NULL;
    ps.p = fr_xcalloc(1, sizeof(*ps.p));
    if ((rc = parse(&ps)) != 0) {
        fr_jpath_free(ps.p);
        return rc;
    }
    ps.p->text = fr_xstrdup(text);
    *out = ps.p;
    return 0;
}

void fr_jpath_free(struct fr_jpath *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->seg[i].name);
    free(p->text);
    free(p);
}

const char *fr_jpath_text(const struct fr_jpath *p)
{
    return p->text;
}

int fr_jpath_is_multi(const struct fr_jpath *p)
{
    return p->multi;
}

/* One step; NULL when it matches nothing. */
static json_t *step(const struct seg *s, const json_t *v)
{
    if (s->kind == SEG_MEMBER)
        return json_is_object(v) ? json_object_get(v, s->name) : NULL;
    return json_is_array(v) ? json_array_get(v, s->index) : NULL;
}

static int walk(const struct fr_jpath *p, size_t i, json_t *v, fr_jpath_fn fn, void *arg)
{
    for (; i < p->n; i++) {
        if (p->seg[i].kind == SEG_ALL) {
            size_t k;
            json_t *e;
            int rc;

            if (!json_is_array(v))
                return 0;
            json_array_foreach(v, k, e) {
                if ((rc = walk(p, i + 1, e, fn, arg)) != 0)
                    return rc;
            }
            return 0;
        }
        if ((v = step(&p->seg[i], v)) == NULL)
            return 0;
    }
    return fn(v, arg);
}

int fr_jpath_each(const struct fr_jpath *p, const json_t *doc, fr_jpath_fn fn, void *arg)
{
    if (doc == NULL)
        return 0;
    /* jansson's getters take const and return non-const; so do we. */
    return walk(p, 0, (json_t *)(uintptr_t)doc, fn, arg);
}

static int take_first(json_t *v, void *arg)
{
    *(json_t **)arg = v;
    return 1;
}

json_t *fr_jpath_get(const struct fr_jpath *p, const json_t *doc)
{
    json_t *found = NULL;

    fr_jpath_each(p, doc, take_first, &found);
    return found;
}

static int append(json_t *v, void *arg)
{
    json_array_append(arg, v);
    return 0;
}

json_t *fr_jpath_value(const struct fr_jpath *p, const json_t *doc)
{
    json_t *v;

    if (p->multi) {
        v = json_array();
        fr_jpath_each(p, doc, append, v);
        return v;
    }
    v = fr_jpath_get(p, doc);
    return v ? json_incref(v) : json_null();
}

int fr_jpath_records(const struct fr_jpath *p, const json_t *doc, fr_jpath_fn fn, void *arg)
{
    json_t *v, *e;
    size_t k;
    int rc;

    if (p->multi)
        return fr_jpath_each(p, doc, fn, arg);
    v = fr_jpath_get(p, doc);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_array(v))
        return fn(v, arg);
    json_array_foreach(v, k, e) {
        if ((rc = fn(e, arg)) != 0)
            return rc;
    }
    return 0;
}

static const char *kind_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int string_id(const json_t *v, char *out, size_t n, struct fr_error *err)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);

    if (len == 0)
        return fr_error_set(err, FR_ERR_DATA, "id is an empty string");
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return fr_error_set(err, FR_ERR_DATA, "id holds a control character");
    }
    if (len >= n)
        return fr_error_set(err, FR_ERR_LIMIT, "id is longer than %zu bytes", n - 1);
    memcpy(out, s, len + 1);
    return 0;
}

/* Integers up to 2^53 are exact in a double; beyond it a real id is a guess. */
#define MAX_EXACT_REAL 9007199254740992.0

int fr_jpath_id_text(const json_t *v, char *out, size_t n, struct fr_error *err)
{
    char num[32];
    double d;

    if (v == NULL)
        return fr_error_set(err, FR_ERR_DATA, "id is absent");
    if (json_is_string(v))
        return string_id(v, out, n, err);
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        d = json_real_value(v);
        if (d != floor(d))
            return fr_error_set(err, FR_ERR_DATA, "id is a number with a fraction (%g)", d);
        if (fabs(d) >= MAX_EXACT_REAL)
            return fr_error_set(err, FR_ERR_DATA, "id is a number too large to be exact (%g)",
                                d);
        snprintf(num, sizeof(num), "%.0f", d);
    } else {
        return fr_error_set(err, FR_ERR_DATA, "id must be a string or a number, not %s",
                            kind_name(v));
    }
    if (strlen(num) >= n)
        return fr_error_set(err, FR_ERR_LIMIT, "id is longer than %zu bytes", n - 1);
    memcpy(out, num, strlen(num) + 1);
    return 0;
}
