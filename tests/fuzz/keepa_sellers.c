/*
 * Fuzz target keepa_sellers: a /seller response body through fr_keepa_parse_sellers, as
 * the processor reads it to enrich products. On success the result is an object keyed
 * by seller id whose every value has the five documented members; it is dumped (as the
 * processor does when it merges a seller into a payload) and released.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/sources/keepa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *id, const char *what)
{
    fprintf(stderr, "keepa_sellers: seller '%s': %s\n", id, what);
    abort();
}

static void check_seller(const char *key, const json_t *s)
{
    static const char *const members[] = {"id", "name", "rating", "rating_count", "has_fba"};

    if (!json_is_object(s) || json_object_size(s) != 5)
        broken(key, "entry is not an object of 5 members");
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
        if (json_object_get(s, members[i]) == NULL)
            broken(key, members[i]);
    if (strcmp(json_string_value(json_object_get(s, "id")), key) != 0)
        broken(key, "id differs from its key");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fr_keepa_envelope env;
    struct fr_error err = {0};
    json_t *sellers = NULL;
    const char *key;
    const json_t *s;
    char *text;
    int rc = fr_keepa_parse_sellers((const char *)data, size, &env, &sellers, &err);

    if (rc != 0) {
        if (sellers != NULL || err.msg[0] == '\0')
            broken("-", "failed parse left a result behind or gave no reason");
        return 0;
    }
    if (!json_is_object(sellers))
        broken("-", "result is not an object");
    json_object_foreach(sellers, key, s)
    {
        check_seller(key, s);
    }
    text = fr_keepa_payload_dump(sellers);
    free(text);
    json_decref(sellers);
    return 0;
}
