/*
 * params.c - query parameter parsing, see params.h.
 */
#include "params.h"

#include <ctype.h>
#include <errno.h>
#include <event2/http.h>
#include <stdlib.h>

int rp_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    /* strtoll would accept leading blanks and '+': paging values are digits only. */
    if (!(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int rp_param_int(const struct evkeyvalq *q, const char *name, int64_t min, int64_t max, int64_t def,
                 int64_t *out)
{
    const char *v = evhttp_find_header(q, name);

    if (v == NULL || v[0] == '\0') {
        *out = def;
        return 0;
    }
    return rp_parse_int(v, min, max, out);
}
