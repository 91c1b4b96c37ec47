/*
 * builtin — see builtin.h. One row per built-in source; the first is the default.
 */
#include "common/sources/builtin.h"

#include <string.h>

#include "common/sources/keepa_fields.h"
#include "common/sources/keepa_source.h"

static const struct fr_source_builtin builtins[] = {
    {"keepa", fr_keepa_payload_has_field, &fr_keepa_source_ops},
};

const struct fr_source_builtin *fr_source_builtin_find(const char *name)
{
    for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
        if (strcmp(builtins[i].name, name) == 0)
            return &builtins[i];
    }
    return NULL;
}

const struct fr_source_builtin *fr_source_builtin_default(void)
{
    return &builtins[0];
}
