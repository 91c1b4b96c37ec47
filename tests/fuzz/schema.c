/*
 * Fuzz target schema: the validator the processor runs on every record. The input is
 * parsed as a JSON instance (NUL allowed in strings, as the Keepa parser allows it) and
 * validated against both embedded schemas, keepa_product and keepa_deal; a refusal must
 * come with a "<json pointer>: <what>" message. The raw bytes also go to
 * fr_utf8_length, checked against a decoder written from RFC 3629's table of
 * well-formed sequences, and through the schemas' patterns, where fr_minire must agree
 * with regexec.
 */
#include <jansson.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/jsonschema.h"
#include "common/mem.h"
#include "common/minire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, const char *detail)
{
    fprintf(stderr, "schema: %s: %s\n", what, detail);
    abort();
}

static const struct fr_schema *schema(int i)
{
    static const char *const names[2] = {"keepa_product", "keepa_deal"};
    static struct fr_schema *s[2];
    struct fr_error err = {0};

    if (s[i] == NULL && fr_schema_load(names[i], &s[i], &err) != 0)
        broken("load schema", err.msg);
    return s[i];
}

/* Length in bytes of the well-formed sequence at u[0..n), or 0 (RFC 3629, section 4). */
static size_t utf8_seq(const uint8_t *u, size_t n)
{
    static const struct {
        uint8_t lead_lo, lead_hi, second_lo, second_hi, len;
    } rows[] = {
        {0x00, 0x7f, 0, 0, 1},       {0xc2, 0xdf, 0x80, 0xbf, 2}, {0xe0, 0xe0, 0xa0, 0xbf, 3},
        {0xe1, 0xec, 0x80, 0xbf, 3}, {0xed, 0xed, 0x80, 0x9f, 3}, {0xee, 0xef, 0x80, 0xbf, 3},
        {0xf0, 0xf0, 0x90, 0xbf, 4}, {0xf1, 0xf3, 0x80, 0xbf, 4}, {0xf4, 0xf4, 0x80, 0x8f, 4},
    };

    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
        if (u[0] < rows[r].lead_lo || u[0] > rows[r].lead_hi)
            continue;
        if (rows[r].len > n)
            return 0;
        if (rows[r].len > 1 && (u[1] < rows[r].second_lo || u[1] > rows[r].second_hi))
            return 0;
        for (size_t k = 2; k < rows[r].len; k++)
            if (u[k] < 0x80 || u[k] > 0xbf)
                return 0;
        return rows[r].len;
    }
    return 0;
}

static void check_utf8(const uint8_t *data, size_t size)
{
    long want = 0, got = fr_utf8_length((const char *)data, size);
    char msg[64];

    for (size_t i = 0; i < size; want++) {
        size_t k = utf8_seq(data + i, size - i);
        if (k == 0) {
            want = -1;
            break;
        }
        i += k;
    }
    if (got != want) {
        snprintf(msg, sizeof(msg), "fr_utf8_length %ld, rfc 3629 %ld", got, want);
        broken("utf-8 length", msg);
    }
}

/* The schemas' patterns, matched by fr_minire, must get regexec's answer on any bytes. */
static void check_patterns(const uint8_t *data, size_t size)
{
    static const char *const pats[] = {
        "^[A-Z0-9]{10}$", "^[A-Z0-9]{1,31}$", "^[^/]+/[^/]+$",
        "^https://m\\.media-amazon\\.com/images/I/[A-Za-z0-9._+%-]+$"};
    static struct fr_minire mini[4];
    static regex_t re[4];
    static int ready;
    char *s = fr_xmalloc(size + 1);

    if (!ready) {
        for (int i = 0; i < 4; i++)
            if (!fr_minire_compile(&mini[i], pats[i]) ||
                regcomp(&re[i], pats[i], REG_EXTENDED | REG_NOSUB) != 0)
                broken("pattern not taken", pats[i]);
        ready = 1;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    for (int i = 0; i < 4; i++)
        if (fr_minire_match(&mini[i], s, strlen(s)) != (regexec(&re[i], s, 0, NULL, 0) == 0))
            broken("minire and regexec disagree", pats[i]);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v;

    check_utf8(data, size);
    check_patterns(data, size);
    v = json_loadb((const char *)data, size, JSON_ALLOW_NUL | JSON_DECODE_ANY, NULL);
    if (v == NULL)
        return 0;
    for (int i = 0; i < 2; i++) {
        struct fr_error err = {0};
        if (fr_schema_validate(schema(i), v, &err) != 0 &&
            (err.code != FR_ERR_DATA || err.msg[0] != '/' || strstr(err.msg, ": ") == NULL))
            broken("refusal without a pointer and a reason", err.msg);
    }
    json_decref(v);
    return 0;
}
