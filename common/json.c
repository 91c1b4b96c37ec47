/*
 * json — see json.h.
 */
#include "common/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonschema.h"
#include "common/mem.h"

int fr_json_parse(const char *buf, size_t len, json_t **out, struct fr_error *err)
{
    json_error_t je;

    *out = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (*out == NULL)
        return fr_error_set(err, FR_ERR_DATA, "invalid json at line %d column %d: %s", je.line,
                            je.column, je.text);
    return 0;
}

static int get(const json_t *obj, const char *key, json_t **v, struct fr_error *err)
{
    if (!json_is_object(obj))
        return fr_error_set(err, FR_ERR_DATA, "expected an object holding '%s'", key);
    *v = json_object_get(obj, key);
    if (*v == NULL)
        return fr_error_set(err, FR_ERR_NOTFOUND, "missing field '%s'", key);
    return 0;
}

static int type_error(const char *key, const char *want, struct fr_error *err)
{
    return fr_error_set(err, FR_ERR_DATA, "field '%s' must be %s", key, want);
}

int fr_json_get_str(const json_t *obj, const char *key, const char **out, struct fr_error *err)
{
    json_t *v;
    int rc = get(obj, key, &v, err);

    if (rc != 0)
        return rc;
    if (!json_is_string(v))
        return type_error(key, "a string", err);
    *out = json_string_value(v);
    return 0;
}

int fr_json_get_int(const json_t *obj, const char *key, int64_t *out, struct fr_error *err)
{
    json_t *v;
    int rc = get(obj, key, &v, err);

    if (rc != 0)
        return rc;
    if (!json_is_integer(v))
        return type_error(key, "an integer", err);
    *out = json_integer_value(v);
    return 0;
}

int fr_json_get_num(const json_t *obj, const char *key, double *out, struct fr_error *err)
{
    json_t *v;
    int rc = get(obj, key, &v, err);

    if (rc != 0)
        return rc;
    if (!json_is_number(v))
        return type_error(key, "a number", err);
    *out = json_number_value(v);
    return 0;
}

int fr_json_get_array(const json_t *obj, const char *key, json_t **out, struct fr_error *err)
{
    int rc = get(obj, key, out, err);

    if (rc == 0 && !json_is_array(*out))
        return type_error(key, "an array", err);
    return rc;
}

int fr_json_get_object(const json_t *obj, const char *key, json_t **out, struct fr_error *err)
{
    int rc = get(obj, key, out, err);

    if (rc == 0 && !json_is_object(*out))
        return type_error(key, "an object", err);
    return rc;
}

const char *fr_json_str_or(const json_t *obj, const char *key, const char *def)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

    return json_is_string(v) ? json_string_value(v) : def;
}

int64_t fr_json_int_or(const json_t *obj, const char *key, int64_t def)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

    return json_is_integer(v) ? json_integer_value(v) : def;
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
    return fr_buf_append(data, buffer, size) == 0 ? 0 : -1;
}

int fr_json_dump_canonical(const json_t *v, struct fr_buf *out, struct fr_error *err)
{
    if (json_dump_callback(v, dump_cb, out, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        return fr_error_set(err, FR_ERR_LIMIT, "json value too large to serialise");
    return 0;
}

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* ---- a writer with jansson's bytes --------------------------------------------------
 * The compact text jansson writes (JSON_COMPACT, with or without JSON_SORT_KEYS, reals
 * with a given precision), into a buffer or straight into a hash: jansson formats every
 * number through snprintf and calls back for every token, which was most of what a
 * payload's text and its content hash cost. Anything it would not write the same (text
 * that is not UTF-8) makes the caller fall back to jansson itself. */

struct jw {
    struct fr_buf *buf; /* or, when NULL: */
    uint64_t *fnv;
    int precision; /* of reals; jansson's default is 17 */
    int sort;      /* object members in key order (else as built) */
    int failed;    /* an append was refused: the text is not whole */
};

static int fnv_cb(const char *buffer, size_t size, void *data);

static void jw_put(struct jw *w, const char *s, size_t n)
{
    if (w->buf == NULL)
        fnv_cb(s, n, w->fnv);
    else if (fr_buf_append(w->buf, s, n) != 0)
        w->failed = 1;
}

static int jw_string(struct jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;

    if (fr_utf8_length(s, n) < 0)
        return -1;
    jw_put(w, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        jw_put(w, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
            elen = 6;
        }
        jw_put(w, esc, elen);
    }
    jw_put(w, s + run, n - run);
    jw_put(w, "\"", 1);
    return 0;
}

static void jw_int(struct jw *w, json_int_t v)
{
    char b[24], *e = b + sizeof(b), *p = e;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;

    do
        *--p = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        *--p = '-';
    jw_put(w, p, (size_t)(e - p));
}

/* As jansson's jsonp_dtostr: %.<precision>g, ".0" when that reads as an integer, and
 * the exponent without '+' or leading zeros. */
static void jw_real(struct jw *w, double v)
{
    char b[64];
    int n = snprintf(b, sizeof(b), "%.*g", w->precision, v);
    char *e;

    if (n < 0 || (size_t)n >= sizeof(b) - 3)
        n = (int)strlen(b);
    if (strchr(b, '.') == NULL && strchr(b, 'e') == NULL) {
        memcpy(b + n, ".0", 3);
        n += 2;
    }
    if ((e = strchr(b, 'e')) != NULL) {
        char *start = e + 1, *end = e + 2;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, (size_t)(b + n + 1 - end));
            n -= (int)(end - start);
        }
    }
    jw_put(w, b, (size_t)n);
}

static int cmp_keys(const void *a, const void *b);

static int jw_value(struct jw *w, const json_t *v, int depth)
{
    size_t i;
    const json_t *e;

    if (depth > 64) /* jansson's own limit is far above what a record holds */
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *small[64], **keys = small, *k;
        size_t n = json_object_size(v), m = 0;
        void *it;
        int rc = 0;

        if (n > 64)
            keys = fr_xmalloc(n * sizeof(*keys));
        for (it = json_object_iter((json_t *)(uintptr_t)v); it != NULL && rc == 0;
             it = json_object_iter_next((json_t *)(uintptr_t)v, it)) {
            k = json_object_iter_key(it);
            if (strlen(k) != json_object_iter_key_len(it))
                rc = -1; /* a key holding NUL: jansson's to write */
            else
                keys[m++] = k;
        }
        if (rc == 0 && w->sort)
            qsort(keys, m, sizeof(keys[0]), cmp_keys);
        jw_put(w, "{", 1);
        for (i = 0; i < m && rc == 0; i++) {
            if (i > 0)
                jw_put(w, ",", 1);
            rc = jw_string(w, keys[i], strlen(keys[i]));
            jw_put(w, ":", 1);
            if (rc == 0)
                rc = jw_value(w, json_object_get(v, keys[i]), depth + 1);
        }
        jw_put(w, "}", 1);
        if (keys != small)
            free(keys);
        return rc;
    }
    case JSON_ARRAY:
        jw_put(w, "[", 1);
        json_array_foreach(v, i, e)
        {
            if (i > 0)
                jw_put(w, ",", 1);
            if (jw_value(w, e, depth + 1) != 0)
                return -1;
        }
        jw_put(w, "]", 1);
        return 0;
    case JSON_STRING:
        return jw_string(w, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        jw_int(w, json_integer_value(v));
        return 0;
    case JSON_REAL:
        jw_real(w, json_real_value(v));
        return 0;
    case JSON_TRUE:
        jw_put(w, "true", 4);
        return 0;
    case JSON_FALSE:
        jw_put(w, "false", 5);
        return 0;
    case JSON_NULL:
        jw_put(w, "null", 4);
        return 0;
    }
    return -1;
}

char *fr_json_dump_compact(const json_t *v, int precision)
{
    struct fr_buf b;
    struct jw w = {&b, NULL, precision > 0 ? precision : 17, 0, 0};

    fr_buf_init(&b, 0); /* no limit: a record is as long as it is */
    if (v == NULL || jw_value(&w, v, 0) != 0 || w.failed) {
        fr_buf_release(&b);
        return v == NULL ? NULL
                         : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
                                             JSON_REAL_PRECISION(precision > 0 ? precision : 17));
    }
    return fr_buf_detach(&b, NULL);
}

/* FNV-1a over what the dump writes, as it writes it: no buffer. */
static int fnv_cb(const char *buffer, size_t size, void *data)
{
    uint64_t *h = data;

    for (size_t i = 0; i < size; i++) {
        *h ^= (unsigned char)buffer[i];
        *h *= FNV_PRIME;
    }
    return 0;
}

/* The canonical form's bytes into *h: this writer, or jansson where it declines (the
 * hash must not depend on which wrote it, and they write the same bytes). */
static int fnv_dump(const json_t *v, uint64_t *h, struct fr_error *err)
{
    uint64_t start = *h;
    struct jw w = {NULL, h, 17, 1, 0};

    if (jw_value(&w, v, 0) == 0)
        return 0;
    *h = start;
    if (json_dump_callback(v, fnv_cb, h, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY) != 0)
        return fr_error_set(err, FR_ERR_LIMIT, "json value too large to serialise");
    return 0;
}

static void hash_hex(uint64_t h, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int fr_json_hash(const json_t *v, char out[17], struct fr_error *err)
{
    uint64_t h = FNV_OFFSET;
    int rc = fnv_dump(v, &h, err);

    hash_hex(h, out);
    return rc;
}

/* A key jansson writes as it is between quotes: no quote, backslash or control byte. */
static int plain_key(const char *k)
{
    for (; *k; k++)
        if (*k == '"' || *k == '\\' || (unsigned char)*k < 0x20)
            return 0;
    return 1;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int skipped(const char *k, const char *const *skip, size_t nskip)
{
    for (size_t i = 0; i < nskip; i++)
        if (strcmp(k, skip[i]) == 0)
            return 1;
    return 0;
}

/* The slow form: hash a shallow copy less the skipped members. */
static int hash_copy_without(const json_t *obj, const char *const *skip, size_t nskip,
                             char out[17], struct fr_error *err)
{
    json_t *copy = json_copy((json_t *)(uintptr_t)obj);
    int rc;

    out[0] = '\0';
    if (copy == NULL)
        return fr_error_set(err, FR_ERR_DATA, "not a json value");
    for (size_t i = 0; json_is_object(copy) && i < nskip; i++)
        json_object_del(copy, skip[i]);
    rc = fr_json_hash(copy, out, err);
    json_decref(copy);
    return rc;
}

int fr_json_hash_without(const json_t *obj, const char *const *skip, size_t nskip, char out[17],
                         struct fr_error *err)
{
    const char *keys[FR_JSON_HASH_MAX_KEYS], *k;
    const json_t *v;
    size_t n = 0;
    uint64_t h = FNV_OFFSET;
    int rc = 0;

    if (!json_is_object(obj) || json_object_size(obj) > FR_JSON_HASH_MAX_KEYS)
        return hash_copy_without(obj, skip, nskip, out, err);
    json_object_foreach((json_t *)(uintptr_t)obj, k, v) {
        if (!plain_key(k)) /* written escaped: leave the writing to jansson */
            return hash_copy_without(obj, skip, nskip, out, err);
        if (!skipped(k, skip, nskip))
            keys[n++] = k;
    }
    qsort(keys, n, sizeof(keys[0]), cmp_keys);
    fnv_cb("{", 1, &h);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i > 0)
            fnv_cb(",", 1, &h);
        fnv_cb("\"", 1, &h);
        fnv_cb(keys[i], strlen(keys[i]), &h);
        fnv_cb("\":", 2, &h);
        rc = fnv_dump(json_object_get(obj, keys[i]), &h, err);
    }
    fnv_cb("}", 1, &h);
    hash_hex(h, out);
    return rc;
}
