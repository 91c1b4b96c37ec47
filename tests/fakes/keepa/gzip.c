/*
 * gzip.c - one reusable zlib deflate stream, see gzip.h.
 */
#include "gzip.h"

#include <string.h>

int fk_gzip_init(struct fk_gzip *gz, int level)
{
    memset(gz, 0, sizeof(*gz));
    /* windowBits 15 + 16 selects the gzip wrapper instead of zlib's. */
    if (deflateInit2(&gz->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    gz->ready = 1;
    return 0;
}

void fk_gzip_release(struct fk_gzip *gz)
{
    if (gz->ready)
        deflateEnd(&gz->zs);
    gz->ready = 0;
}

int fk_gzip_body(struct fk_gzip *gz, struct fk_buf *body)
{
    struct fk_buf out;
    int rc;

    if (!gz->ready || deflateReset(&gz->zs) != Z_OK)
        return -1;
    fk_buf_init(&out, deflateBound(&gz->zs, (uLong)body->len) + 16);
    gz->zs.next_in = (Bytef *)body->data;
    gz->zs.avail_in = (uInt)body->len;
    gz->zs.next_out = (Bytef *)out.data;
    gz->zs.avail_out = (uInt)out.cap;
    rc = deflate(&gz->zs, Z_FINISH);
    if (rc != Z_STREAM_END) {
        fk_buf_release(&out);
        return -1;
    }
    out.len = out.cap - gz->zs.avail_out;
    fk_buf_release(body);
    *body = out;
    return 0;
}
