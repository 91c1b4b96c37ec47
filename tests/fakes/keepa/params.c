/*
 * params.c - parameter parsing helpers, see params.h.
 */
#include "params.h"

#include <ctype.h>
#include <errno.h>
#include <event2/http.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int fk_domain_valid(int64_t d)
{
    return d >= 1 && d <= 12 && d != 7;
}

int fk_parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    long long v;

    /* strtoll would accept leading blanks and '+'; Keepa ids are digits only. */
    if (!(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int fk_param_int(const struct evkeyvalq *q, const char *name, int64_t min, int64_t max,
                 int64_t def, int64_t *out)
{
    const char *v = evhttp_find_header(q, name);

    if (v == NULL) {
        *out = def;
        return 0;
    }
    return fk_parse_int(v, min, max, out);
}

size_t fk_split_list(const char *s, struct fk_span *out, size_t max)
{
    size_t n = 0;

    while (*s != '\0') {
        size_t len = strcspn(s, ",");
        const char *p = s;
        size_t plen = len;
        while (plen > 0 && isspace((unsigned char)*p)) {
            p++;
            plen--;
        }
        while (plen > 0 && isspace((unsigned char)p[plen - 1]))
            plen--;
        if (plen > 0) {
            if (n == max)
                return max + 1;
            out[n++] = (struct fk_span){p, plen};
        }
        s += len + (s[len] == ',');
    }
    return n;
}

/* Returns 1 if q (just after "q=") is a zero quality value such as "0" or "0.00". */
static int is_zero_q(const char *q)
{
    size_t n;

    if (q[0] != '0')
        return 0;
    n = 1;
    if (q[n] == '.')
        n += 1 + strspn(q + n + 1, "0");
    return q[n] == '\0' || q[n] == ',' || q[n] == ' ' || q[n] == ';';
}

int fk_accepts_gzip(const char *ae)
{
    /* Enough for real clients: a "gzip" token not qualified with q=0. */
    for (const char *p = ae; p != NULL && *p != '\0'; p++) {
        const char *q;
        if (strncasecmp(p, "gzip", 4) != 0)
            continue;
        q = p + 4;
        while (*q == ' ')
            q++;
        if (*q == ';') {
            q++;
            while (*q == ' ')
                q++;
            if (strncmp(q, "q=", 2) == 0 && is_zero_q(q + 2))
                return 0;
        }
        return 1;
    }
    return 0;
}
