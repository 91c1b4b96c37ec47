/*
 * encoding — decodes an HTTP body by its Content-Encoding (gzip, deflate, identity) into
 * a capped buffer.
 *
 * The http engine keeps bodies compressed while they stream in and while a transfer is
 * paused, and decodes each one when its transfer ends: the built-in source's detail
 * answer is ~7 times larger decoded, and only the body being handed out is ever held decoded.
 */
#ifndef FR_ENCODING_H
#define FR_ENCODING_H

#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"

/* What fr_decode understands, for the request's Accept-Encoding header. */
#define FR_ACCEPT_ENCODING "gzip, deflate"

/* NULL, "" and "identity" (any case): the body is as it came. */
int fr_encoding_is_identity(const char *encoding);

/*
 * Appends in[0..len), encoded as `encoding` (a Content-Encoding value; NULL or "" means
 * identity; case-insensitive), decoded to out. out->max caps the decoded size.
 * "deflate" is accepted both zlib-wrapped (RFC 9110) and raw (what some servers send).
 * Returns 0, or with err set: FR_ERR_LIMIT when the decoded body is over out->max,
 * FR_ERR_DATA when the data is corrupt or ends early, FR_ERR_PROTO for an encoding not
 * listed above. On error out keeps what was decoded so far; the caller discards it.
 */
int fr_decode(const char *encoding, const void *in, size_t len, struct fr_buf *out,
              struct fr_error *err);

#endif
