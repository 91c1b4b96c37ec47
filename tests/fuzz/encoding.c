/*
 * Fuzz target encoding: a Content-Encoding (chosen by the first byte) and any body through
 * fr_decode. Promises: it fails only with FR_ERR_LIMIT, FR_ERR_DATA or FR_ERR_PROTO and a
 * message; the result never passes the cap and stays NUL-terminated; a body that decodes
 * decodes again to the same bytes with the cap set to exactly its length, and is refused
 * with FR_ERR_LIMIT one byte below it. A broken promise aborts so libFuzzer keeps the
 * input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const encodings[] = {"gzip", "deflate", "identity", "x-gzip", NULL, "br"};

#define CAP (256u * 1024)

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *enc;
    struct fr_buf out, again;
    struct fr_error err = {0};
    int rc;

    if (size < 1)
        return 0;
    enc = encodings[data[0] % (sizeof(encodings) / sizeof(encodings[0]))];
    data++;
    size--;
    fr_buf_init(&out, CAP);
    rc = fr_decode(enc, data, size, &out, &err);
    check(out.len <= CAP);
    check(out.data == NULL || out.data[out.len] == '\0');
    if (rc != 0) {
        check(rc == FR_ERR_LIMIT || rc == FR_ERR_DATA || rc == FR_ERR_PROTO);
        check(err.code == rc && err.msg[0] != '\0');
        fr_buf_release(&out);
        return 0;
    }
    fr_buf_init(&again, out.len);
    fr_error_clear(&err);
    /* a cap of 0 means none: the exact-cap check needs a body of one byte or more */
    if (out.len > 0) {
        check(fr_decode(enc, data, size, &again, &err) == 0);
        check(again.len == out.len && memcmp(again.data, out.data, out.len) == 0);
        fr_buf_release(&again);
        if (out.len > 1) {
            fr_buf_init(&again, out.len - 1);
            check(fr_decode(enc, data, size, &again, &err) == FR_ERR_LIMIT);
        }
    }
    fr_buf_release(&again);
    fr_buf_release(&out);
    return 0;
}
