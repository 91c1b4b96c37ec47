/*
 * gzip.h - gzip (RFC 1952) compression of response bodies.
 *
 * Bodies are gzipped when the client's Accept-Encoding allows it, as
 * GitHub's API does; the processor always asks for gzip. One deflate stream
 * is kept and reset between responses rather than allocating deflate's
 * ~256 KiB of state for every answer.
 */
#ifndef RP_GZIP_H
#define RP_GZIP_H

#include <stddef.h>
#include <zlib.h>

struct rp_gzip {
    z_stream zs;
    int ready;
};

/* Returns 0, or -1 if zlib could not be initialised. */
int rp_gzip_init(struct rp_gzip *gz);
void rp_gzip_release(struct rp_gzip *gz);

/*
 * Compresses in[0..len) into a new buffer: returns 0 with *out (caller
 * free()s it) and *outlen set, or -1 with nothing allocated.
 */
int rp_gzip(struct rp_gzip *gz, const char *in, size_t len, char **out, size_t *outlen);

/* Returns 1 if an Accept-Encoding value (may be NULL) allows gzip, 0 otherwise. */
int rp_accepts_gzip(const char *accept_encoding);

#endif
