/*
 * gzip.h - gzip (RFC 1952) compression of response bodies.
 *
 * Keepa gzips every body, errors included, when the client accepts it
 * (REFERENCE A1). One deflate stream is kept and reset between responses,
 * because allocating deflate's ~256 KiB of state per response would cost
 * more than compressing a small error body.
 */
#ifndef FK_GZIP_H
#define FK_GZIP_H

#include "buf.h"

#include <zlib.h>

struct fk_gzip {
    z_stream zs;
    int ready;
};

/* Returns 0, or -1 if zlib could not be initialised. */
int fk_gzip_init(struct fk_gzip *gz, int level);
void fk_gzip_release(struct fk_gzip *gz);

/* Replaces the contents of body with their gzip encoding. Returns 0 or -1. */
int fk_gzip_body(struct fk_gzip *gz, struct fk_buf *body);

#endif
