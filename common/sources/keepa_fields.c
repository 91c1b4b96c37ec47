/*
 * keepa_fields — see keepa_fields.h. The schema is parsed on each call: this runs a few
 * times while a source file loads, never per record.
 */
#include "common/sources/keepa_fields.h"

#include <jansson.h>
#include <string.h>

#include "common/jsonschema.h"

#define PAYLOAD_SCHEMA "keepa_product"

static json_t *payload_schema(void)
{
    for (const struct fr_embedded_schema *s = fr_schemas; s->name != NULL; s++) {
        if (strcmp(s->name, PAYLOAD_SCHEMA) == 0)
            return json_loads(s->text, 0, NULL);
    }
    return NULL;
}

/* 1 when the schema node allows an object (no type, "object", or a list holding it). */
static int allows_object(const json_t *node)
{
    const json_t *type = json_object_get(node, "type"), *t;
    size_t i;

    if (type == NULL)
        return 1;
    if (json_is_string(type))
        return strcmp(json_string_value(type), "object") == 0;
    json_array_foreach(type, i, t) {
        if (json_is_string(t) && strcmp(json_string_value(t), "object") == 0)
            return 1;
    }
    return 0;
}

static int has_member(const json_t *node, const char *name, size_t len, const json_t **next)
{
    const json_t *props = json_object_get(node, "properties");

    *next = NULL;
    if (!allows_object(node))
        return 0;
    if (props != NULL)
        *next = json_object_getn(props, name, len);
    if (*next != NULL)
        return 1;
    /* Not listed: there only when the object is left open. */
    return !json_is_false(json_object_get(node, "additionalProperties"));
}

int fr_keepa_payload_has_field(const char *dotted)
{
    json_t *root = payload_schema();
    const json_t *node = root;
    int ok = root != NULL && *dotted != '\0';

    while (ok && node != NULL && *dotted != '\0') {
        size_t n = strcspn(dotted, ".");

        ok = n > 0 && has_member(node, dotted, n, &node);
        dotted += n + (dotted[n] == '.');
    }
    json_decref(root);
    return ok;
}
