/*
 * encoding — see encoding.h. One zlib stream per call: decoding happens once per
 * finished transfer, and its state (~40 KB with the window) is freed at once.
 */
#include "common/encoding.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#define ZLIB_CONST /* next_in is const */
#include <zlib.h>

/* Inflated in steps of this size; the output buffer grows by doubling anyway. */
#define STEP (64u * 1024)

/* wbits as zlib takes them: 15 + 16 gzip only, 15 zlib, -15 raw deflate. */
static int inflate_into(int wbits, const unsigned char *in, size_t len, struct fr_buf *out,
                        struct fr_error *err, int *bad_header)
{
    unsigned char chunk[STEP];
    z_stream zs;
    int zrc = Z_OK, rc = 0;
    size_t start = out->len;

    *bad_header = 0;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, wbits) != Z_OK)
        return fr_error_set(err, FR_ERR_DATA, "cannot start zlib: %s",
                            zs.msg ? zs.msg : "out of memory");
    zs.next_in = in;
    /* bodies are capped far below 4 GiB, but do not truncate silently */
    zs.avail_in = len > UINT32_MAX ? UINT32_MAX : (uInt)len;
    while (zrc != Z_STREAM_END) {
        zs.next_out = chunk;
        zs.avail_out = sizeof(chunk);
        zrc = inflate(&zs, Z_NO_FLUSH);
        if (zrc == Z_DATA_ERROR || zrc == Z_NEED_DICT || zrc == Z_MEM_ERROR) {
            *bad_header = zs.total_out == 0 && zs.total_in < 16;
            rc = fr_error_set(err, FR_ERR_DATA, "corrupt compressed body: %s",
                              zs.msg ? zs.msg : "bad data");
            break;
        }
        if (fr_buf_append(out, chunk, sizeof(chunk) - zs.avail_out) != 0) {
            rc = fr_error_set(err, FR_ERR_LIMIT, "decoded body larger than %zu bytes",
                              out->max);
            break;
        }
        if (zrc == Z_BUF_ERROR || (zrc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0)) {
            rc = fr_error_set(err, FR_ERR_DATA, "compressed body ends early, after %zu bytes",
                              len);
            break;
        }
    }
    inflateEnd(&zs);
    if (rc != 0 && *bad_header && out->data != NULL) {
        out->len = start; /* the caller may try another framing */
        out->data[start] = '\0';
    }
    return rc;
}

int fr_encoding_is_identity(const char *encoding)
{
    return encoding == NULL || encoding[0] == '\0' || strcasecmp(encoding, "identity") == 0;
}

int fr_decode(const char *encoding, const void *in, size_t len, struct fr_buf *out,
              struct fr_error *err)
{
    int bad_header = 0, rc;
    struct fr_error first = {0};

    if (fr_encoding_is_identity(encoding)) {
        if (fr_buf_append(out, in, len) != 0)
            return fr_error_set(err, FR_ERR_LIMIT, "body larger than %zu bytes", out->max);
        return 0;
    }
    if (strcasecmp(encoding, "gzip") == 0 || strcasecmp(encoding, "x-gzip") == 0)
        return inflate_into(15 + 16, in, len, out, err, &bad_header);
    if (strcasecmp(encoding, "deflate") != 0)
        return fr_error_set(err, FR_ERR_PROTO, "unsupported Content-Encoding '%.40s'", encoding);
    rc = inflate_into(15, in, len, out, &first, &bad_header);
    if (rc == 0 || !bad_header) {
        if (rc != 0)
            fr_error_set(err, first.code, "%s", first.msg);
        return rc;
    }
    return inflate_into(-15, in, len, out, err, &bad_header);
}
