/*
 * sourcelist — parsing FRESHET_SOURCE's one name or comma list (see sourcelist.h).
 */
#include "common/sourcelist.h"

#include <ctype.h>
#include <string.h>

static int check_name(const char *s, size_t n, struct fr_error *err)
{
    if (n == 0 || n > 32)
        return fr_error_set(err, FR_ERR_USAGE, "must be 1 to 32 characters (got '%.*s')",
                            (int)(n > 64 ? 64 : n), s);
    for (size_t i = 0; i < n; i++) {
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_' &&
            s[i] != '-')
            return fr_error_set(err, FR_ERR_USAGE,
                                "may hold only a-z, 0-9, '_' and '-' (got '%.*s')",
                                (int)(n > 64 ? 64 : n), s);
    }
    return 0;
}

int fr_source_list_parse(const char *s, struct fr_source_list *l, struct fr_error *err)
{
    l->n = 0;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        int rc = check_name(s, n, err);

        if (rc != 0)
            return rc;
        for (size_t i = 0; i < l->n; i++) {
            if (strlen(l->names[i]) == n && memcmp(l->names[i], s, n) == 0)
                return fr_error_set(err, FR_ERR_USAGE, "names source '%.*s' twice", (int)n, s);
        }
        if (l->n == FR_SOURCES_MAX)
            return fr_error_set(err, FR_ERR_USAGE, "names more than %d sources",
                                FR_SOURCES_MAX);
        memcpy(l->names[l->n], s, n);
        l->names[l->n][n] = '\0';
        l->n++;
        if (comma == NULL)
            return 0;
        s = comma + 1;
    }
}

int fr_source_list_is_one(const char *s)
{
    return strchr(s, ',') == NULL;
}
