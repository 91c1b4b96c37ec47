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

int fr_json_hash(const json_t *v, char out[17], struct fr_error *err)
{
    struct fr_buf b;
    uint64_t h = 0xcbf29ce484222325ull;
    int rc;

    fr_buf_init(&b, 0);
    rc = fr_json_dump_canonical(v, &b, err);
    for (size_t i = 0; rc == 0 && i < b.len; i++) {
        h ^= (unsigned char)b.data[i];
        h *= 0x100000001b3ull;
    }
    fr_buf_release(&b);
    snprintf(out, 17, "%016llx", (unsigned long long)h);
    return rc;
}
