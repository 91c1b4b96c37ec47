/*
 * json — see json.h.
 */
#include "common/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int fnv_dump(const json_t *v, uint64_t *h, struct fr_error *err)
{
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
