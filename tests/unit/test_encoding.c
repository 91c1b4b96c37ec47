/*
 * Unit tests: decoding HTTP bodies by Content-Encoding (gzip, deflate both framings,
 * identity), with corrupt, cut-short, oversized and unknown input refused by name.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"

static const char text[] = "{\"products\":[{\"asin\":\"B000000001\",\"title\":\"a a a a a a\"}]}";

/* wbits: 15 + 16 gzip, 15 zlib, -15 raw. Returns a malloc'd buffer. */
static unsigned char *compress_as(int wbits, const void *in, size_t len, size_t *out_len)
{
    z_stream zs;
    unsigned char *out;
    size_t cap;

    memset(&zs, 0, sizeof(zs));
    cr_assert_eq(deflateInit2(&zs, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    cap = deflateBound(&zs, (uLong)len);
    out = malloc(cap);
    zs.next_in = in;
    zs.avail_in = (uInt)len;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    return out;
}

static void decodes_to_text(const char *encoding, int wbits)
{
    size_t n;
    unsigned char *z = compress_as(wbits, text, strlen(text), &n);
    struct fr_buf out;
    struct fr_error err = {0};

    fr_buf_init(&out, 1024);
    cr_assert_eq(fr_decode(encoding, z, n, &out, &err), 0, "%s: %s", encoding, err.msg);
    cr_assert_str_eq(fr_buf_str(&out), text, "%s", encoding);
    cr_assert_eq(out.len, strlen(text));
    fr_buf_release(&out);
    free(z);
}

Test(encoding, gzip_and_both_deflate_framings_decode)
{
    decodes_to_text("gzip", 15 + 16);
    decodes_to_text("GZip", 15 + 16);
    decodes_to_text("x-gzip", 15 + 16);
    decodes_to_text("deflate", 15);  /* zlib-wrapped, as RFC 9110 says */
    decodes_to_text("deflate", -15); /* raw, as some servers send it */
}

Test(encoding, identity_and_none_copy)
{
    static const char *const names[] = {NULL, "", "identity", "IDENTITY"};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct fr_buf out;
        struct fr_error err = {0};

        fr_buf_init(&out, 1024);
        cr_assert_eq(fr_decode(names[i], text, strlen(text), &out, &err), 0, "%s", err.msg);
        cr_assert_str_eq(fr_buf_str(&out), text);
        fr_buf_release(&out);
    }
}

Test(encoding, a_small_body_over_the_cap_when_decoded_is_refused)
{
    size_t big = 4u * 1024 * 1024, n;
    char *x = malloc(big);
    unsigned char *z;
    struct fr_buf out;
    struct fr_error err = {0};

    memset(x, 'x', big);
    z = compress_as(15 + 16, x, big, &n);
    cr_assert_lt(n, 8 * 1024, "4 MiB of one letter compresses to %zu bytes", n);
    fr_buf_init(&out, 1024 * 1024);
    cr_assert_eq(fr_decode("gzip", z, n, &out, &err), FR_ERR_LIMIT);
    cr_assert(strstr(err.msg, "larger than 1048576 bytes") != NULL, "%s", err.msg);
    cr_assert_leq(out.len, out.max, "decoding stops at the cap");
    fr_buf_release(&out);

    /* exactly at the cap is fine */
    fr_error_clear(&err);
    fr_buf_init(&out, big);
    cr_assert_eq(fr_decode("gzip", z, n, &out, &err), 0, "%s", err.msg);
    cr_assert_eq(out.len, big);
    fr_buf_release(&out);
    free(z);
    free(x);
}

Test(encoding, corrupt_and_cut_short_data_are_refused)
{
    size_t n;
    unsigned char *z = compress_as(15 + 16, text, strlen(text), &n);
    struct fr_buf out;
    struct fr_error err = {0};

    fr_buf_init(&out, 1024);
    cr_assert_eq(fr_decode("gzip", z, n / 2, &out, &err), FR_ERR_DATA);
    cr_assert(strstr(err.msg, "ends early") != NULL, "%s", err.msg);
    fr_buf_release(&out);

    fr_error_clear(&err);
    fr_buf_init(&out, 1024);
    cr_assert_eq(fr_decode("gzip", text, strlen(text), &out, &err), FR_ERR_DATA);
    cr_assert(strstr(err.msg, "corrupt compressed body") != NULL, "%s", err.msg);
    fr_buf_release(&out);

    fr_error_clear(&err);
    fr_buf_init(&out, 1024);
    cr_assert_eq(fr_decode("deflate", text, strlen(text), &out, &err), FR_ERR_DATA);
    cr_assert(strstr(err.msg, "corrupt compressed body") != NULL, "%s", err.msg);
    fr_buf_release(&out);

    /* raw deflate cut short: the zlib framing is tried first and its output dropped */
    fr_error_clear(&err);
    fr_buf_init(&out, 1024);
    free(z);
    z = compress_as(-15, text, strlen(text), &n);
    cr_assert_eq(fr_decode("deflate", z, n - 3, &out, &err), FR_ERR_DATA, "%s", err.msg);
    cr_assert(strstr(err.msg, "ends early") != NULL, "%s", err.msg);
    cr_assert_eq(strlen(fr_buf_str(&out)), out.len, "the buffer stays NUL-terminated");
    fr_buf_release(&out);
    free(z);
    z = compress_as(15 + 16, text, strlen(text), &n);

    fr_error_clear(&err);
    fr_buf_init(&out, 1024);
    z[n - 5] ^= 0xff; /* the CRC-32 at the end no longer matches */
    cr_assert_eq(fr_decode("gzip", z, n, &out, &err), FR_ERR_DATA, "%s", err.msg);
    fr_buf_release(&out);
    free(z);
}

Test(encoding, unknown_encodings_are_named)
{
    struct fr_buf out;
    struct fr_error err = {0};

    fr_buf_init(&out, 1024);
    cr_assert_eq(fr_decode("br", "xyz", 3, &out, &err), FR_ERR_PROTO);
    cr_assert_str_eq(err.msg, "unsupported Content-Encoding 'br'");
    fr_error_clear(&err);
    cr_assert_eq(fr_decode("gzip, gzip", "xyz", 3, &out, &err), FR_ERR_PROTO);
    cr_assert_eq(out.len, 0);
    fr_buf_release(&out);
}
