/*
 * gen.c - schema-driven answers, wrong-shape answers and non-JSON content,
 * see gen.h. Containers and the choice of type live here, leaves in
 * gen_scalar.c.
 */
#include "gen.h"

#include "gen_scalar.h"

#include "tests/fakes/keepa/hash.h" /* fk_mix64 */

#include "common/mem.h"

#include <string.h>

/* Past this depth optional members and items are left out; past MAX_DEPTH, null. */
#define LEAN_DEPTH 8
#define MAX_DEPTH 64
/* How many $ref a schema may follow before it counts as unresolvable. */
#define MAX_REFS 16
/* Items generated beyond minItems at most, and in all. */
#define EXTRA_ITEMS 3
#define MAX_ITEMS 1000

const char fl_deal_schema[] =
    "{\"type\":\"object\",\"properties\":{"
    "\"verdict\":{\"type\":\"string\",\"enum\":[\"buy\",\"wait\",\"skip\"]},"
    "\"score\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":100},"
    "\"reason\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":200}},"
    "\"required\":[\"verdict\",\"score\",\"reason\"],\"additionalProperties\":false}";

struct gen {
    const json_t *root; /* for $ref */
    int depth;
};

static json_t *value(struct gen *g, const json_t *s, uint64_t seed);

uint64_t fl_hash_bytes(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t child_seed(uint64_t seed, const char *name)
{
    return fk_mix64(seed ^ fl_hash_bytes(name, strlen(name), FL_HASH_INIT));
}

/* Follows one JSON pointer "#/a/b" from root; returns NULL when it leads nowhere. */
static const json_t *pointer(const json_t *root, const char *ref)
{
    const json_t *at = root;
    char token[256];

    if (strncmp(ref, "#", 1) != 0)
        return NULL;
    ref++;
    while (at != NULL && *ref == '/') {
        size_t n = 0;
        for (ref++; *ref != '\0' && *ref != '/' && n + 1 < sizeof(token); ref++) {
            if (ref[0] == '~' && (ref[1] == '0' || ref[1] == '1'))
                token[n++] = *++ref == '0' ? '~' : '/';
            else
                token[n++] = *ref;
        }
        token[n] = '\0';
        at = json_object_get(at, token);
    }
    return *ref == '\0' ? at : NULL;
}

/* Resolves $ref and the first branch of anyOf / oneOf / allOf; NULL if it cannot. */
static const json_t *resolve(const struct gen *g, const json_t *s)
{
    static const char *const branches[] = {"anyOf", "oneOf", "allOf"};

    for (int hops = 0; hops < MAX_REFS && json_is_object(s); hops++) {
        const char *ref = json_string_value(json_object_get(s, "$ref"));
        const json_t *next = NULL;
        if (ref != NULL)
            next = pointer(g->root, ref);
        for (size_t i = 0; ref == NULL && next == NULL && i < 3; i++)
            next = json_array_get(json_object_get(s, branches[i]), 0);
        if (ref == NULL && next == NULL)
            return s;
        s = next;
    }
    return json_is_object(s) ? s : NULL;
}

/* The type to generate: the schema's, the first non-null one of a list, or a guess. */
static const char *type_of(const json_t *s)
{
    const json_t *t = json_object_get(s, "type");
    size_t i;
    const json_t *each;

    if (json_is_string(t))
        return json_string_value(t);
    json_array_foreach(t, i, each) {
        if (json_is_string(each) && strcmp(json_string_value(each), "null") != 0)
            return json_string_value(each);
    }
    if (json_array_size(t) > 0)
        return "null";
    if (json_object_get(s, "properties") || json_object_get(s, "required"))
        return "object";
    if (json_object_get(s, "items"))
        return "array";
    return "string";
}

static int has(const json_t *array, const json_t *v)
{
    size_t i;
    const json_t *each;

    json_array_foreach(array, i, each) {
        if (json_equal(each, v))
            return 1;
    }
    return 0;
}

/* Whether the array of names holds name. */
static int lists(const json_t *names, const char *name)
{
    size_t i;
    const json_t *each;

    json_array_foreach(names, i, each) {
        if (json_is_string(each) && strcmp(json_string_value(each), name) == 0)
            return 1;
    }
    return 0;
}

/* Fills a unique list up to want with the enum values of items it lacks, in order. */
static void add_unused(json_t *out, const json_t *items, size_t want)
{
    size_t i;
    const json_t *each;

    json_array_foreach(json_object_get(items, "enum"), i, each) {
        if (json_array_size(out) < want && !has(out, each))
            json_array_append_new(out, json_deep_copy(each));
    }
}

static json_t *array(struct gen *g, const json_t *s, uint64_t seed)
{
    const json_t *items = json_object_get(s, "items"), *maxv = json_object_get(s, "maxItems");
    json_int_t lo = json_integer_value(json_object_get(s, "minItems"));
    json_int_t hi = json_is_integer(maxv) ? json_integer_value(maxv) : lo + EXTRA_ITEMS;
    int unique = json_is_true(json_object_get(s, "uniqueItems"));
    json_t *out = json_array();
    size_t want;

    if (lo < 0)
        lo = 0;
    if (hi > lo + EXTRA_ITEMS)
        hi = lo + EXTRA_ITEMS;
    if (g->depth > LEAN_DEPTH)
        hi = lo;
    if (g->depth <= LEAN_DEPTH && lo == 0 && hi > 0)
        lo = 1; /* an empty list shows little; keep one item when allowed */
    want = (size_t)(lo + (json_int_t)(seed % (uint64_t)(hi >= lo ? hi - lo + 1 : 1)));
    if (want > MAX_ITEMS)
        want = MAX_ITEMS;
    for (size_t i = 0; json_array_size(out) < want && i < want * 4 + 4; i++) {
        json_t *v = value(g, json_is_object(items) ? items : NULL, fk_mix64(seed + i + 1));
        if (unique && has(out, v))
            json_decref(v);
        else
            json_array_append_new(out, v);
    }
    if (unique && json_array_size(out) < want)
        add_unused(out, resolve(g, items), want);
    return out;
}

static json_t *object(struct gen *g, const json_t *s, uint64_t seed)
{
    json_t *props = json_object_get(s, "properties");
    const json_t *required = json_object_get(s, "required");
    const json_t *extra = json_object_get(s, "additionalProperties");
    json_t *out = json_object();
    const char *name;
    const json_t *sub;
    size_t i;

    json_object_foreach(props, name, sub) {
        if (g->depth <= LEAN_DEPTH || lists(required, name))
            json_object_set_new(out, name, value(g, sub, child_seed(seed, name)));
    }
    json_array_foreach(required, i, sub) {
        name = json_string_value(sub);
        if (name != NULL && json_object_get(out, name) == NULL)
            json_object_set_new(out, name,
                                value(g, json_is_object(extra) ? extra : NULL,
                                      child_seed(seed, name)));
    }
    return out;
}

static json_t *typed(struct gen *g, const json_t *s, const char *type, uint64_t seed)
{
    if (strcmp(type, "object") == 0)
        return object(g, s, seed);
    if (strcmp(type, "array") == 0)
        return array(g, s, seed);
    if (strcmp(type, "integer") == 0)
        return fl_gen_integer(s, seed);
    if (strcmp(type, "number") == 0)
        return fl_gen_number(s, seed);
    if (strcmp(type, "boolean") == 0)
        return json_boolean(seed & 1);
    if (strcmp(type, "null") == 0)
        return json_null();
    return fl_gen_string(s, seed);
}

/* Generates for s (NULL: any value, a string is given). */
static json_t *value(struct gen *g, const json_t *s, uint64_t seed)
{
    const json_t *r = s ? resolve(g, s) : NULL;
    const json_t *options = json_object_get(r, "enum");
    json_t *out;

    if (r == NULL || g->depth >= MAX_DEPTH)
        return s == NULL ? fl_gen_string(NULL, seed) : json_null();
    if (json_object_get(r, "const") != NULL)
        return json_deep_copy(json_object_get(r, "const"));
    if (json_array_size(options) > 0)
        return json_deep_copy(json_array_get(options, seed % json_array_size(options)));
    g->depth++;
    out = typed(g, r, type_of(r), seed);
    g->depth--;
    return out;
}

json_t *fl_gen_answer(const json_t *schema, uint64_t seed)
{
    struct gen g = {.root = schema, .depth = 0};

    return value(&g, schema, seed);
}

/* Replaces the first member of obj whose schema has a type with a value of another. */
static int mistype_first(json_t *obj, const struct gen *g, const json_t *props)
{
    const char *name;
    json_t *v;

    json_object_foreach(obj, name, v) {
        const json_t *sub = resolve(g, json_object_get(props, name));
        if (sub == NULL || json_object_get(sub, "type") == NULL)
            continue;
        json_object_set_new(obj, name,
                            json_is_string(v) ? json_integer(42) : json_string("wrong type"));
        return 0;
    }
    return -1;
}

json_t *fl_gen_wrong(const json_t *schema, uint64_t seed)
{
    struct gen g = {.root = schema, .depth = 0};
    const json_t *s = resolve(&g, schema);
    json_t *v = value(&g, schema, seed);
    const json_t *required = json_object_get(s, "required");
    const char *first = json_string_value(json_array_get(required, 0));

    if (json_is_object(v) && first != NULL && json_object_get(v, first) != NULL) {
        json_object_del(v, first);
        return v;
    }
    if (json_is_object(v) && mistype_first(v, &g, json_object_get(s, "properties")) == 0)
        return v;
    json_decref(v);
    return json_pack("[s]", "not the object the schema asks for");
}

char *fl_gen_nonjson(const char *content, uint64_t seed)
{
    size_t len = strlen(content);

    switch (fk_mix64(seed ^ 0x6e6f6e6a736f6eULL) % 4) {
    case 0:
        return fr_xasprintf("Sure! Here is the analysis you asked for:\n%s", content);
    case 1:
        return fr_xasprintf("```json\n%s\n```", content);
    case 2:
        return fr_xstrndup(content, len / 2); /* an answer cut off mid-object */
    default:
        return fr_xstrdup("I'm sorry, but I can't help with that request.");
    }
}
