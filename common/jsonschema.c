/*
 * jsonschema — see jsonschema.h. A schema is checked once when loaded (every keyword
 * known, every value well-formed, every pattern compiled), so validation never meets a
 * surprise and only reports on the instance.
 */
#include "common/jsonschema.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/minire.h"

#define PATH_MAX_LEN 512

struct pattern {
    const json_t *node; /* the "pattern" string it was compiled from */
    regex_t re;
    int simple; /* mini matches it exactly: regexec is not needed */
    struct fr_minire mini;
};

/* A schema object with its keywords looked up once, at load: validation visits every
 * value of every record, and a keyword lookup per check was most of its time. */
struct cnode {
    const json_t *sc;
    unsigned types; /* TY_ bits of "type"; 0 when absent */
    const json_t *type, *enumv, *items, *minl, *maxl, *pat, *fmt, *min, *max, *req, *props;
    int closed; /* additionalProperties: false */
    const struct pattern *re;
};

struct fr_schema {
    char name[64];
    json_t *root;
    struct pattern *pats;
    size_t npats;
    struct cnode *nodes; /* one a schema object */
    size_t nnodes;
    const struct cnode **tab; /* open addressing by schema object address */
    size_t tabmask;
};

enum {
    TY_NULL = 1,
    TY_BOOLEAN = 2,
    TY_OBJECT = 4,
    TY_ARRAY = 8,
    TY_NUMBER = 16,
    TY_INTEGER = 32,
    TY_STRING = 64
};

/* A JSON pointer being built; segments are pushed and popped by length. */
struct path {
    char buf[PATH_MAX_LEN];
    size_t len;
};

static size_t path_push(struct path *p, const char *seg)
{
    size_t old = p->len;

    if (p->len + 1 < sizeof(p->buf))
        p->buf[p->len++] = '/';
    for (; *seg && p->len + 2 < sizeof(p->buf); seg++) {
        if (*seg == '~' || *seg == '/') { /* RFC 6901 escapes */
            p->buf[p->len++] = '~';
            p->buf[p->len++] = *seg == '~' ? '0' : '1';
        } else {
            p->buf[p->len++] = *seg;
        }
    }
    p->buf[p->len] = '\0';
    return old;
}

static size_t path_push_index(struct path *p, size_t i)
{
    char num[32];

    snprintf(num, sizeof(num), "%zu", i);
    return path_push(p, num);
}

static void path_pop(struct path *p, size_t old)
{
    p->len = old;
    p->buf[old] = '\0';
}

static const char *path_str(const struct path *p)
{
    return p->len ? p->buf : "/";
}

long fr_utf8_length(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    long n = 0;

    for (size_t i = 0; i < len; n++) {
        unsigned c = u[i];
        size_t k;
        unsigned long cp;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            k = 1, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
            k = 2, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
            k = 3, cp = c & 0x07;
        else
            return -1;
        if (k > len - i - 1)
            return -1;
        for (size_t j = 1; j <= k; j++) {
            if ((u[i + j] & 0xc0) != 0x80)
                return -1;
            cp = (cp << 6) | (u[i + j] & 0x3f);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return -1;
        i += k + 1;
    }
    return n;
}

/* ---- loading ------------------------------------------------------------------------ */

static const char *const type_names[] = {"null",   "boolean", "object", "array",
                                         "number", "integer", "string"};

static int known_type(const json_t *t)
{
    for (size_t i = 0; json_is_string(t) && i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(json_string_value(t), type_names[i]) == 0)
            return 1;
    return 0;
}

static int load_error(const struct fr_schema *s, const struct path *p, struct fr_error *err,
                      const char *what, const char *key)
{
    return fr_error_set(err, FR_ERR_DATA, "schema '%s': %s: '%s' %s", s->name, path_str(p), key,
                        what);
}

static int check_schema(struct fr_schema *s, const json_t *node, struct path *p,
                        struct fr_error *err);

static int check_type(const struct fr_schema *s, const json_t *v, const struct path *p,
                      struct fr_error *err)
{
    size_t i;
    const json_t *t;

    if (json_is_string(v))
        return known_type(v) ? 0 : load_error(s, p, err, "names an unknown type", "type");
    if (!json_is_array(v) || json_array_size(v) == 0)
        return load_error(s, p, err, "must be a type name or a list of them", "type");
    json_array_foreach(v, i, t)
    {
        if (!known_type(t))
            return load_error(s, p, err, "names an unknown type", "type");
    }
    return 0;
}

static int check_properties(struct fr_schema *s, const json_t *v, struct path *p,
                            struct fr_error *err)
{
    const char *k;
    json_t *sub;
    int rc = 0;

    if (!json_is_object(v))
        return load_error(s, p, err, "must be an object", "properties");
    json_object_foreach((json_t *)(uintptr_t)v, k, sub)
    {
        size_t a = path_push(p, "properties");
        path_push(p, k);
        rc = check_schema(s, sub, p, err);
        path_pop(p, a);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int check_pattern(struct fr_schema *s, const json_t *v, const struct path *p,
                         struct fr_error *err)
{
    regex_t re;

    if (!json_is_string(v))
        return load_error(s, p, err, "must be a string", "pattern");
    if (regcomp(&re, json_string_value(v), REG_EXTENDED | REG_NOSUB) != 0)
        return load_error(s, p, err, "is not a valid POSIX extended regex", "pattern");
    s->pats = fr_xrealloc(s->pats, (s->npats + 1) * sizeof(*s->pats));
    s->pats[s->npats].node = v;
    s->pats[s->npats].re = re;
    s->pats[s->npats].simple = fr_minire_compile(&s->pats[s->npats].mini, json_string_value(v));
    s->npats++;
    return 0;
}

static int check_keyword(struct fr_schema *s, const char *k, const json_t *v, struct path *p,
                         struct fr_error *err)
{
    static const char *const notes[] = {"$schema",     "$id",     "$comment", "title",
                                        "description", "default", "examples"};

    for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++)
        if (strcmp(k, notes[i]) == 0)
            return 0;
    if (strcmp(k, "type") == 0)
        return check_type(s, v, p, err);
    if (strcmp(k, "properties") == 0)
        return check_properties(s, v, p, err);
    if (strcmp(k, "items") == 0) {
        size_t a = path_push(p, "items");
        int rc = check_schema(s, v, p, err);
        path_pop(p, a);
        return rc;
    }
    if (strcmp(k, "required") == 0) {
        size_t i;
        const json_t *r;
        if (!json_is_array(v))
            return load_error(s, p, err, "must be a list of names", k);
        json_array_foreach(v, i, r)
        {
            if (!json_is_string(r))
                return load_error(s, p, err, "must be a list of names", k);
        }
        return 0;
    }
    if (strcmp(k, "additionalProperties") == 0)
        return json_is_boolean(v) ? 0 : load_error(s, p, err, "must be a boolean", k);
    if (strcmp(k, "enum") == 0)
        return json_is_array(v) && json_array_size(v) > 0
                   ? 0
                   : load_error(s, p, err, "must be a non-empty list", k);
    if (strcmp(k, "minimum") == 0 || strcmp(k, "maximum") == 0)
        return json_is_number(v) ? 0 : load_error(s, p, err, "must be a number", k);
    if (strcmp(k, "minLength") == 0 || strcmp(k, "maxLength") == 0)
        return json_is_integer(v) && json_integer_value(v) >= 0
                   ? 0
                   : load_error(s, p, err, "must be a non-negative integer", k);
    if (strcmp(k, "pattern") == 0)
        return check_pattern(s, v, p, err);
    if (strcmp(k, "format") == 0)
        return json_is_string(v) && strcmp(json_string_value(v), "date-time") == 0
                   ? 0
                   : load_error(s, p, err, "is not a supported format (only date-time)", k);
    return load_error(s, p, err, "is not a supported keyword", k);
}

static int check_schema(struct fr_schema *s, const json_t *node, struct path *p,
                        struct fr_error *err)
{
    const char *k;
    json_t *v;

    if (!json_is_object(node))
        return fr_error_set(err, FR_ERR_DATA, "schema '%s': %s: a schema must be an object",
                            s->name, path_str(p));
    json_object_foreach((json_t *)(uintptr_t)node, k, v)
    {
        int rc = check_keyword(s, k, v, p, err);
        if (rc != 0)
            return rc;
    }
    s->nodes = fr_xrealloc(s->nodes, (s->nnodes + 1) * sizeof(*s->nodes));
    memset(&s->nodes[s->nnodes], 0, sizeof(s->nodes[0]));
    s->nodes[s->nnodes++].sc = node;
    return 0;
}

static unsigned type_bit(const char *name)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (strcmp(name, type_names[i]) == 0)
            return 1u << i; /* type_names is in TY_ order */
    return 0;
}

static size_t slot_of(const json_t *sc, size_t mask)
{
    return (size_t)(((uintptr_t)sc * 0x9E3779B97F4A7C15ull) >> 20) & mask;
}

static const struct pattern *find_pattern(const struct fr_schema *s, const json_t *node);

/* Fills each node's keywords and the address table, once every node is known. */
static void compile(struct fr_schema *s)
{
    size_t size = 16;

    while (size < 2 * s->nnodes)
        size *= 2;
    s->tabmask = size - 1;
    s->tab = fr_xcalloc(size, sizeof(*s->tab));
    for (size_t i = 0; i < s->nnodes; i++) {
        struct cnode *n = &s->nodes[i];
        const json_t *sc = n->sc, *t;
        size_t k, j;

        n->type = json_object_get(sc, "type");
        if (json_is_string(n->type))
            n->types = type_bit(json_string_value(n->type));
        json_array_foreach(n->type, j, t)
        {
            n->types |= type_bit(json_string_value(t));
        }
        n->enumv = json_object_get(sc, "enum");
        n->items = json_object_get(sc, "items");
        n->minl = json_object_get(sc, "minLength");
        n->maxl = json_object_get(sc, "maxLength");
        n->pat = json_object_get(sc, "pattern");
        n->fmt = json_object_get(sc, "format");
        n->min = json_object_get(sc, "minimum");
        n->max = json_object_get(sc, "maximum");
        n->req = json_object_get(sc, "required");
        n->props = json_object_get(sc, "properties");
        n->closed = json_is_false(json_object_get(sc, "additionalProperties"));
        n->re = n->pat != NULL ? find_pattern(s, n->pat) : NULL;
        for (k = slot_of(sc, s->tabmask); s->tab[k] != NULL; k = (k + 1) & s->tabmask)
            ;
        s->tab[k] = n;
    }
}

/* The compiled node of a schema object of s (every one was compiled at load). */
static const struct cnode *node_of(const struct fr_schema *s, const json_t *sc)
{
    size_t k = slot_of(sc, s->tabmask);

    while (s->tab[k]->sc != sc)
        k = (k + 1) & s->tabmask;
    return s->tab[k];
}

int fr_schema_parse(const char *name, const char *text, struct fr_schema **out,
                    struct fr_error *err)
{
    struct fr_schema *s = fr_xcalloc(1, sizeof(*s));
    struct path p = {.len = 0};
    json_error_t je;
    int rc;

    *out = NULL;
    fr_strlcpy(s->name, name ? name : "?", sizeof(s->name));
    s->root = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, &je);
    if (s->root == NULL) {
        rc = fr_error_set(err, FR_ERR_DATA, "schema '%s': invalid json at line %d: %s", s->name,
                          je.line, je.text);
        fr_schema_free(s);
        return rc;
    }
    p.buf[0] = '\0';
    rc = check_schema(s, s->root, &p, err);
    if (rc != 0) {
        fr_schema_free(s);
        return rc;
    }
    compile(s);
    *out = s;
    return 0;
}

int fr_schema_load(const char *name, struct fr_schema **out, struct fr_error *err)
{
    *out = NULL;
    for (const struct fr_embedded_schema *e = fr_schemas; e->name != NULL; e++)
        if (strcmp(e->name, name) == 0)
            return fr_schema_parse(name, e->text, out, err);
    return fr_error_set(err, FR_ERR_NOTFOUND, "no schema named '%s'", name);
}

void fr_schema_free(struct fr_schema *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->npats; i++)
        regfree(&s->pats[i].re);
    free(s->pats);
    free(s->nodes);
    free(s->tab);
    json_decref(s->root);
    free(s);
}

/* ---- validation --------------------------------------------------------------------- */

static int is_type(const json_t *v, const char *t)
{
    if (strcmp(t, "integer") == 0) {
        if (json_is_integer(v))
            return 1;
        return json_is_real(v) && isfinite(json_real_value(v)) &&
               floor(json_real_value(v)) == json_real_value(v);
    }
    if (strcmp(t, "number") == 0)
        return json_is_number(v);
    if (strcmp(t, "string") == 0)
        return json_is_string(v);
    if (strcmp(t, "object") == 0)
        return json_is_object(v);
    if (strcmp(t, "array") == 0)
        return json_is_array(v);
    if (strcmp(t, "boolean") == 0)
        return json_is_boolean(v);
    return strcmp(t, "null") == 0 && json_is_null(v);
}

static int fail(const struct path *p, struct fr_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(const struct path *p, struct fr_error *err, const char *fmt, ...)
{
    char what[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return fr_error_set(err, FR_ERR_DATA, "%s: %s", path_str(p), what);
}

static int v_type(const json_t *t, const json_t *v, const struct path *p, struct fr_error *err)
{
    char want[128] = "";
    size_t i, n = json_is_array(t) ? json_array_size(t) : 1;

    for (i = 0; i < n; i++)
        if (is_type(v, json_string_value(json_is_array(t) ? json_array_get(t, i) : t)))
            return 0;
    for (i = 0; i < n; i++) {
        size_t len = strlen(want);
        snprintf(want + len, sizeof(want) - len, "%s%s", i ? " or " : "",
                 json_string_value(json_is_array(t) ? json_array_get(t, i) : t));
    }
    return fail(p, err, "must be %s", want);
}

static int v_enum(const json_t *e, const json_t *v, const struct path *p, struct fr_error *err)
{
    size_t i;
    const json_t *x;
    char *list;
    int rc;

    json_array_foreach(e, i, x)
    {
        if (json_equal((json_t *)(uintptr_t)x, (json_t *)(uintptr_t)v))
            return 0;
    }
    list = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);
    rc = fail(p, err, "must be one of %.120s", list ? list : "the listed values");
    free(list);
    return rc;
}

static int digits(const char *s, int n, int *out)
{
    *out = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        *out = *out * 10 + (s[i] - '0');
    }
    return 1;
}

/* YYYY-MM-DDTHH:MM:SS[.f+]Z with real calendar dates. */
static int is_date_time(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec, dim;
    size_t i = 19;

    if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':')
        return 0;
    if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
        !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &sec))
        return 0;
    if (mo < 1 || mo > 12 || h > 23 || mi > 59 || sec > 60)
        return 0;
    dim = mdays[mo - 1] + (mo == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
    if (d < 1 || d > dim)
        return 0;
    if (s[i] == '.') {
        size_t start = ++i;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == start)
            return 0;
    }
    return s[i] == 'Z' && s[i + 1] == '\0';
}

static const struct pattern *find_pattern(const struct fr_schema *s, const json_t *node)
{
    for (size_t i = 0; i < s->npats; i++)
        if (s->pats[i].node == node)
            return &s->pats[i];
    return NULL;
}

static int v_string(const struct cnode *n, const json_t *v, const struct path *p,
                    struct fr_error *err)
{
    const char *str = json_string_value(v);
    long cp = fr_utf8_length(str, json_string_length(v));

    if (cp < 0)
        return fail(p, err, "is not valid UTF-8");
    if (n->minl != NULL && cp < json_integer_value(n->minl))
        return fail(p, err, "must be at least %lld characters",
                    (long long)json_integer_value(n->minl));
    if (n->maxl != NULL && cp > json_integer_value(n->maxl))
        return fail(p, err, "must be at most %lld characters",
                    (long long)json_integer_value(n->maxl));
    if (n->re != NULL &&
        (strlen(str) != json_string_length(v) ||
         !(n->re->simple ? fr_minire_match(&n->re->mini, str, json_string_length(v))
                         : regexec(&n->re->re, str, 0, NULL, 0) == 0)))
        return fail(p, err, "must match pattern '%s'", json_string_value(n->pat));
    if (n->fmt != NULL && !is_date_time(str))
        return fail(p, err, "must be a UTC date-time like 2026-01-02T03:04:05Z");
    return 0;
}

static int v_number(const struct cnode *n, const json_t *v, const struct path *p,
                    struct fr_error *err)
{
    const json_t *min = n->min, *max = n->max;
    double x = json_number_value(v);

    /* compare integers as integers: doubles lose precision above 2^53 */
    if (min != NULL && (json_is_integer(v) && json_is_integer(min)
                            ? json_integer_value(v) < json_integer_value(min)
                            : x < json_number_value(min)))
        return fail(p, err, "must be >= %.17g", json_number_value(min));
    if (max != NULL && (json_is_integer(v) && json_is_integer(max)
                            ? json_integer_value(v) > json_integer_value(max)
                            : x > json_number_value(max)))
        return fail(p, err, "must be <= %.17g", json_number_value(max));
    return 0;
}

static int validate(const struct fr_schema *s, const struct cnode *n, const json_t *v,
                    struct path *p, struct fr_error *err);

static int v_object(const struct fr_schema *s, const struct cnode *n, const json_t *v,
                    struct path *p, struct fr_error *err)
{
    const char *k;
    json_t *x;
    size_t i;
    int rc = 0;

    json_array_foreach(n->req, i, x)
    {
        if (json_object_get(v, json_string_value(x)) == NULL) {
            size_t old = path_push(p, json_string_value(x));
            rc = fail(p, err, "required property missing");
            path_pop(p, old);
            return rc;
        }
    }
    json_object_foreach((json_t *)(uintptr_t)v, k, x)
    {
        const json_t *sub = json_object_get(n->props, k);
        size_t old = path_push(p, k);
        if (sub != NULL)
            rc = validate(s, node_of(s, sub), x, p, err);
        else if (n->closed)
            rc = fail(p, err, "property not allowed");
        path_pop(p, old);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The TY_ bits v satisfies (an integral real is an integer too, see is_type). */
static unsigned type_bits(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return TY_NULL;
    case JSON_TRUE:
    case JSON_FALSE:
        return TY_BOOLEAN;
    case JSON_OBJECT:
        return TY_OBJECT;
    case JSON_ARRAY:
        return TY_ARRAY;
    case JSON_STRING:
        return TY_STRING;
    case JSON_INTEGER:
        return TY_NUMBER | TY_INTEGER;
    case JSON_REAL:
        return TY_NUMBER | (is_type(v, "integer") ? TY_INTEGER : 0);
    }
    return 0;
}

static int validate(const struct fr_schema *s, const struct cnode *n, const json_t *v,
                    struct path *p, struct fr_error *err)
{
    const json_t *x;
    size_t i;
    int rc = 0;

    if (n->type != NULL && (type_bits(v) & n->types) == 0 && (rc = v_type(n->type, v, p, err)) != 0)
        return rc;
    if (n->enumv != NULL && (rc = v_enum(n->enumv, v, p, err)) != 0)
        return rc;
    if (json_is_number(v))
        return v_number(n, v, p, err);
    if (json_is_string(v))
        return v_string(n, v, p, err);
    if (json_is_object(v))
        return v_object(s, n, v, p, err);
    if (json_is_array(v) && n->items != NULL) {
        const struct cnode *in = node_of(s, n->items);
        json_array_foreach(v, i, x)
        {
            size_t old = path_push_index(p, i);
            rc = validate(s, in, x, p, err);
            path_pop(p, old);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

int fr_schema_validate(const struct fr_schema *s, const json_t *v, struct fr_error *err)
{
    struct path p = {.len = 0};

    p.buf[0] = '\0';
    if (v == NULL)
        return fr_error_set(err, FR_ERR_DATA, "/: no value to validate");
    return validate(s, node_of(s, s->root), v, &p, err);
}
