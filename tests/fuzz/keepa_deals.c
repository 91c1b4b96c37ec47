/*
 * Fuzz target keepa_deals: a /deal response body through fr_keepa_parse_deals. Each deal
 * returned must carry a valid ASIN and conform to schemas/keepa_deal.schema.json, which
 * describes exactly what the parser returns; fr_keepa_parse_deal_prices (what the scout
 * reads every page with) must find the same deals and prices when both read the body. A
 * broken promise aborts so libFuzzer keeps the input.
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
    fprintf(stderr, "keepa_deals: deal '%s': %s: %s\n", asin, what, detail);
    abort();
}

static const struct fr_schema *schema(void)
{
    static struct fr_schema *s;
    struct fr_error err = {0};

    if (s == NULL && fr_schema_load("keepa_deal", &s, &err) != 0) {
        fprintf(stderr, "keepa_deals: load schema: %s\n", err.msg);
        abort();
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fr_keepa_envelope env;
    struct fr_keepa_deal *out = NULL;
    struct fr_error err = {0};
    size_t n = 0, skipped = 0;
    int rc = fr_keepa_parse_deals((const char *)data, size, &env, &out, &n, &skipped, &err);

    if (rc != 0 && (out != NULL || n != 0 || err.msg[0] == '\0'))
        broken("-", "failed parse", "left deals behind or gave no reason");
    for (size_t i = 0; i < n; i++) {
        struct fr_error verr = {0};
        char *text;

        if (!fr_keepa_valid_asin(out[i].asin) || out[i].deal == NULL)
            broken(out[i].asin, "returned deal", "bad asin or no record");
        if (fr_schema_validate(schema(), out[i].deal, &verr) != 0)
            broken(out[i].asin, "deal fails the keepa_deal schema", verr.msg);
        text = fr_keepa_payload_dump(out[i].deal);
        free(text);
    }
    {
        /* the scout's lean parse: when both read the body, the same deals and prices */
        struct fr_keepa_deal *lean = NULL;
        size_t ln = 0, lskipped = 0;
        int lrc = fr_keepa_parse_deal_prices((const char *)data, size, NULL, &lean, &ln, &lskipped,
                                             NULL);
        if (lrc != 0 && (lean != NULL || ln != 0))
            broken("-", "failed lean parse", "left deals behind");
        if (rc == 0 && lrc == 0) {
            if (ln != n || lskipped != skipped)
                broken("-", "lean parse", "other deals than the full parse");
            for (size_t i = 0; i < n; i++)
                if (strcmp(lean[i].asin, out[i].asin) != 0 || lean[i].deal != NULL ||
                    lean[i].current_amazon != out[i].current_amazon ||
                    lean[i].current_new != out[i].current_new)
                    broken(out[i].asin, "lean parse", "another asin or prices");
        }
        fr_keepa_deals_free(lean, ln);
    }
    fr_keepa_deals_free(out, n);
    return 0;
}
