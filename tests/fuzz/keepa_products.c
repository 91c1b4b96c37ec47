/*
 * Fuzz target keepa_products: a /product response body through fr_keepa_parse_products,
 * then every OK record through the rest of the processor's path: the keepa_product
 * schema (the normalizer promises its output conforms), the stored text
 * (fr_keepa_payload_dump, which must be jansson's own text and read back as JSON
 * without a NUL PostgreSQL's jsonb would refuse) and the content hash. A broken promise
 * aborts, so libFuzzer keeps the input as a crash like any sanitizer report.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/jsonschema.h"
#include "common/mem.h"
#include "common/sources/keepa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *asin, const char *what, const char *detail)
{
    fprintf(stderr, "keepa_products: product '%s': %s: %s\n", asin, what, detail);
    abort();
}

/* The schema is loaded once and kept for the life of the process. */
static const struct fr_schema *schema(void)
{
    static struct fr_schema *s;
    struct fr_error err = {0};

    if (s == NULL && fr_schema_load("keepa_product", &s, &err) != 0) {
        fprintf(stderr, "keepa_products: load schema: %s\n", err.msg);
        abort();
    }
    return s;
}

static void check_ok(const struct fr_keepa_product *p)
{
    struct fr_error err = {0};
    char hash[17];
    json_error_t je;
    json_t *back;
    char *text;

    if (p->payload == NULL || !fr_keepa_valid_asin(p->asin) || strlen(p->content_hash) != 16)
        broken(p->asin, "ok record", "no payload, bad asin or no content hash");
    if (fr_schema_validate(schema(), p->payload, &err) != 0)
        broken(p->asin, "payload fails the keepa_product schema", err.msg);
    if (fr_keepa_content_hash(p->payload, hash, &err) != 0 || strcmp(hash, p->content_hash) != 0)
        broken(p->asin, "content hash is not reproducible", hash);
    /* read back without JSON_ALLOW_NUL: jansson then refuses "\u0000" as jsonb does */
    text = fr_keepa_payload_dump(p->payload);
    {
        /* the fast writer must write what jansson writes */
        char *want =
            json_dumps(p->payload, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
        if (want == NULL || strcmp(want, text) != 0)
            broken(p->asin, "payload text differs from jansson's", text);
        free(want);
    }
    back = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (back == NULL)
        broken(p->asin, "payload text is not json without NUL", je.text);
    json_decref(back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fr_keepa_envelope env;
    struct fr_keepa_product *out = NULL;
    struct fr_error err = {0};
    size_t n = 0;
    int rc = fr_keepa_parse_products((const char *)data, size, &env, &out, &n, &err);

    if (rc != 0 && (out != NULL || n != 0 || err.msg[0] == '\0'))
        broken("-", "failed parse", "left products behind or gave no reason");
    for (size_t i = 0; i < n; i++) {
        const struct fr_keepa_product *p = &out[i];
        if (p->status == FR_KEEPA_OK)
            check_ok(p);
        else if (p->payload != NULL || p->reason[0] == '\0')
            broken(p->asin, "rejected record", "has a payload or no reason");
    }
    fr_keepa_products_free(out, n);
    return 0;
}
