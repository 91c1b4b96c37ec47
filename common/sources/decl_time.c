/*
 * decl_time — the values of the headers a declared source's budget reads: the reset
 * (three formats), Retry-After (seconds or an HTTP date), and Link's rel="next" (the
 * link pagination). See decl_source.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/llm.h"
#include "common/mem.h"
#include "common/sources/decl_source.h"

/* A whole non-negative decimal integer. */
static int whole(const char *s, int64_t *out)
{
    char *end;
    long long v;

    while (*s == ' ')
        s++;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    while (*end == ' ')
        end++;
    if (errno != 0 || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

int fr_decl_reset_in(const char *s, int format, int64_t now_ms, int64_t *ms)
{
    int64_t v;

    if (s == NULL)
        return -1;
    if (format == FR_DECL_RESET_DURATION)
        return fr_llm_duration_ms(s, ms) == 0 ? 0 : -1; /* Go's form, as the LLM headers */
    if (whole(s, &v) != 0 || v > INT64_MAX / 1000)
        return -1;
    if (format == FR_DECL_RESET_SECONDS)
        *ms = v * 1000;
    else if (format == FR_DECL_RESET_EPOCH)
        *ms = v * 1000 > now_ms ? v * 1000 - now_ms : 0;
    else
        return -1;
    return 0;
}

int fr_decl_retry_after(const char *s, int64_t now_ms, int64_t *ms)
{
    return fr_llm_retry_after_ms(s, now_ms, ms) == 0 ? 0 : -1;
}

/* 1 when the parameters p[0..n) of one link hold rel="next" (rel may list several). */
static int rel_next(const char *p, size_t n)
{
    for (size_t i = 0; i + 4 <= n; i++) {
        const char *v;
        size_t len;
        if (strncasecmp(p + i, "rel=", 4) != 0)
            continue;
        v = p + i + 4;
        len = (size_t)(p + n - v);
        if (len > 0 && *v == '"')
            v++, len--;
        while (len > 0) {
            size_t w = 0;
            while (w < len && v[w] != ' ' && v[w] != '"' && v[w] != ';')
                w++;
            if (w == 4 && strncasecmp(v, "next", 4) == 0)
                return 1;
            if (w == len || v[w] != ' ')
                break;
            v += w + 1;
            len -= w + 1;
        }
    }
    return 0;
}

char *fr_decl_link_next(const char *link)
{
    const char *p = link;

    while (p != NULL && (p = strchr(p, '<')) != NULL) {
        const char *end = strchr(p, '>'), *params, *stop;
        if (end == NULL)
            return NULL;
        params = end + 1;
        stop = strchr(params, '<'); /* the next link; its separating ',' is before */
        if (rel_next(params, stop ? (size_t)(stop - params) : strlen(params)))
            return fr_xstrndup(p + 1, (size_t)(end - p - 1));
        p = stop;
    }
    return NULL;
}
