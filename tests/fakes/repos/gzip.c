/*
 * gzip.c - one reusable zlib deflate stream and Accept-Encoding, see gzip.h.
 */
#include "gzip.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int rp_gzip_init(struct rp_gzip *gz)
{
    memset(gz, 0, sizeof(*gz));
    /* windowBits 15 + 16 selects the gzip wrapper instead of zlib's. */
    if (deflateInit2(&gz->zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    gz->ready = 1;
    return 0;
}

void rp_gzip_release(struct rp_gzip *gz)
{
    if (gz->ready)
        deflateEnd(&gz->zs);
    gz->ready = 0;
}

int rp_gzip(struct rp_gzip *gz, const char *in, size_t len, char **out, size_t *outlen)
{
    size_t cap;
    char *buf;

    if (!gz->ready || len > 0x7fffffffu || deflateReset(&gz->zs) != Z_OK)
        return -1;
    cap = deflateBound(&gz->zs, (uLong)len) + 16;
    buf = malloc(cap);
    if (buf == NULL)
        abort();
    gz->zs.next_in = (Bytef *)(uintptr_t)in; /* zlib does not write through next_in */
    gz->zs.avail_in = (uInt)len;
    gz->zs.next_out = (Bytef *)buf;
    gz->zs.avail_out = (uInt)cap;
    if (deflate(&gz->zs, Z_FINISH) != Z_STREAM_END) {
        free(buf);
        return -1;
    }
    *out = buf;
    *outlen = cap - gz->zs.avail_out;
    return 0;
}

/* Returns 1 if q (just after "q=") is a zero quality value such as "0" or "0.00". */
static int is_zero_q(const char *q)
{
    size_t n = 1;

    if (q[0] != '0')
        return 0;
    if (q[n] == '.')
        n += 1 + strspn(q + n + 1, "0");
    return q[n] == '\0' || q[n] == ',' || q[n] == ' ' || q[n] == ';';
}

int rp_accepts_gzip(const char *ae)
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
