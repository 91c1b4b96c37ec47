/*
 * Fuzz target queue_item: a raw Redis queue entry through fr_queue_parse_item, once with
 * the Keepa id check the processor uses (fr_keepa_valid_asin) and once with the default
 * (NULL: any printable id), as freshetctl reads dead letters. The input is passed
 * without a terminating NUL, like a hiredis reply's bytes. Checked promises: an accepted
 * id is 1..63 characters and passes its check, a priority is 0..9, and an entry the
 * strict check accepts is accepted the same way by the default one.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/queue.h"
#include "common/sources/keepa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *id, const char *what)
{
    fprintf(stderr, "queue_item: item '%s': %s\n", id, what);
    abort();
}

static int printable(const char *s)
{
    for (; *s; s++)
        if (!isgraph((unsigned char)*s))
            return 0;
    return 1;
}

static void check(const struct fr_queue_item *it, int rc, const struct fr_error *err)
{
    size_t len = strnlen(it->id, sizeof(it->id));

    if (rc != 0) {
        if (rc != FR_ERR_DATA || err->msg[0] == '\0')
            broken(it->id, "refused without FR_ERR_DATA and a reason");
        return;
    }
    if (len == 0 || len >= sizeof(it->id))
        broken(it->id, "accepted id is empty or unterminated");
    if (it->priority < 0 || it->priority > 9)
        broken(it->id, "accepted priority is out of 0..9");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size heap copy, so ASan sees any read past the entry */
    char *raw = fr_xmalloc(size ? size : 1);
    struct fr_queue_item strict, loose;
    struct fr_error serr = {0}, lerr = {0};
    int src, lrc;

    memcpy(raw, data, size);
    src = fr_queue_parse_item(raw, size, fr_keepa_valid_asin, &strict, &serr);
    check(&strict, src, &serr);
    if (src == 0 && !fr_keepa_valid_asin(strict.id))
        broken(strict.id, "accepted by the asin check but not an asin");
    lrc = fr_queue_parse_item(raw, size, NULL, &loose, &lerr);
    check(&loose, lrc, &lerr);
    if (lrc == 0 && !printable(loose.id))
        broken(loose.id, "accepted by the default check but not printable");
    if (src == 0 &&
        (lrc != 0 || strcmp(strict.id, loose.id) != 0 || strict.priority != loose.priority))
        broken(strict.id, "the asin check accepts what the default check reads differently");
    free(raw);
    return 0;
}
