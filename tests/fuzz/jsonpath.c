/*
 * Fuzz target jsonpath: the input's first line (up to '\n' or NUL) is compiled as a path
 * expression and evaluated against a fixed document and, when the rest of the input is
 * JSON, against that too. Checked promises: a refusal is FR_ERR_USAGE with a message
 * that quotes the path and names a character inside it (or says why it has none); a
 * compiled path reads back its text and compiles again to the same matches;
 * fr_jpath_get is the first match of fr_jpath_each; fr_jpath_value is null or the
 * single match, or for a [*] path the array of every match; a path without [*] matches
 * at most once, and records are its matches (a [*] path) or the array's elements; an id
 * made of a match is non-empty text without control characters or a refusal with a
 * message.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/jsonpath.h"
#include "common/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_text[] =
    "{\"a\":{\"b\":1,\"c\":[{\"d\":\"x\"},{\"d\":2.5},{\"e\":null}]},"
    "\"items\":[{\"id\":1,\"name\":\"one\"},{\"id\":\"2\"},{\"id\":true},{\"id\":{\"x\":1}},"
    "{\"id\":[1]},{\"id\":1e300},{\"id\":\"\"},{}],"
    "\"data\":{\"children\":[{\"data\":{\"name\":\"t3_a\"}},{\"data\":{\"name\":\"t3_b\"}}],"
    "\"after\":\"t3_b\"},"
    "\"x-y\":5,\"0\":\"zero\",\"it's\":\"q\",\"\":\"empty\",\"nested\":[[1,2],[3,[4,5]],[]],"
    "\"\\u00fc\":\"u\"}";

#define AT_CHARACTER "' at character "

static void broken(const char *path, const char *what)
{
    fprintf(stderr, "jsonpath: path '%s': %s\n", path, what);
    abort();
}

static int collect(json_t *v, void *arg)
{
    json_array_append(arg, v);
    return 0;
}

/* The matches (records: the records) of p in doc, as a new array. */
static json_t *matches(const struct fr_jpath *p, const json_t *doc, int records)
{
    json_t *all = json_array();

    if (records)
        fr_jpath_records(p, doc, collect, all);
    else
        fr_jpath_each(p, doc, collect, all);
    return all;
}

static void check_id(const char *path, const json_t *v)
{
    char out[64];
    struct fr_error err = {0};
    int rc = fr_jpath_id_text(v, out, sizeof(out), &err);

    if (rc == 0) {
        if (out[0] == '\0')
            broken(path, "an empty id text");
        for (const char *c = out; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                broken(path, "an id text with a control character");
    } else if ((rc != FR_ERR_DATA && rc != FR_ERR_LIMIT) || err.msg[0] == '\0') {
        broken(path, "an id refusal without its code or message");
    }
}

/* Records of a path without [*]: the array's elements, the one value, or none. */
static int records_ok(json_t *records, json_t *first, size_t n)
{
    if (n == 1 && json_is_array(first))
        return json_equal(records, first);
    if (n == 1 && !json_is_null(first))
        return json_array_size(records) == 1;
    return json_array_size(records) == 0;
}

static void check_eval(const char *path, const struct fr_jpath *p, const struct fr_jpath *again,
                       const json_t *doc)
{
    json_t *all = matches(p, doc, 0), *twice = matches(again, doc, 0);
    json_t *first = fr_jpath_get(p, doc), *value = fr_jpath_value(p, doc);
    json_t *records = matches(p, doc, 1), *e;
    size_t n = json_array_size(all), i;

    if (!json_equal(all, twice))
        broken(path, "compiling the text again matches differently");
    if (first != (n ? json_array_get(all, 0) : NULL))
        broken(path, "get is not the first match");
    if (fr_jpath_is_multi(p)) {
        if (!json_equal(value, all))
            broken(path, "value of a [*] path is not the array of its matches");
        if (!json_equal(records, all))
            broken(path, "records of a [*] path are not its matches");
    } else {
        if (n > 1)
            broken(path, "a path without [*] matched more than once");
        if (n == 1 ? !json_equal(value, first) : !json_is_null(value))
            broken(path, "value is neither the match nor null");
        if (!records_ok(records, first, n))
            broken(path, "records are not the array's elements, the value, or none");
    }
    json_array_foreach(all, i, e) {
        check_id(path, e);
    }
    json_decref(all);
    json_decref(twice);
    json_decref(value);
    json_decref(records);
}

static void check_refusal(const char *path, const struct fr_error *err, int rc)
{
    size_t len = strlen(path);
    const char *at = err->msg + 1 + len;
    long pos;

    if (rc != FR_ERR_USAGE || err->code != FR_ERR_USAGE)
        broken(path, "refused without FR_ERR_USAGE");
    if (strncmp(err->msg, "a path ", 7) == 0)
        return; /* empty or too long: no position to name */
    /* "'<path>' at character N: why" (the path fits: it has at most 256 characters) */
    if (err->msg[0] != '\'' || strncmp(err->msg + 1, path, len) != 0 ||
        strncmp(at, AT_CHARACTER, strlen(AT_CHARACTER)) != 0)
        broken(path, "refusal does not quote the path and name a position");
    pos = strtol(at + strlen(AT_CHARACTER), NULL, 10);
    if (pos < 1 || (size_t)pos > len + 1)
        broken(path, "refusal names a position outside the path");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static json_t *fixed;
    size_t line = 0;
    struct fr_jpath *p = NULL, *again = NULL;
    struct fr_error err = {0};
    char *path;
    json_t *doc;
    int rc;

    if (fixed == NULL && (fixed = json_loads(fixed_text, 0, NULL)) == NULL)
        broken("-", "the fixed document does not parse");
    while (line < size && data[line] != '\n' && data[line] != '\0')
        line++;
    path = fr_xstrndup((const char *)data, line);
    rc = fr_jpath_compile(path, &p, &err);
    if (rc != 0) {
        check_refusal(path, &err, rc);
        if (p != NULL)
            broken(path, "a refusal returned a path");
        free(path);
        return 0;
    }
    if (strcmp(fr_jpath_text(p), path) != 0)
        broken(path, "the text does not read back");
    if (fr_jpath_compile(fr_jpath_text(p), &again, &err) != 0)
        broken(path, "its own text does not compile again");
    check_eval(path, p, again, fixed);
    doc = line < size ? json_loadb((const char *)data + line + 1, size - line - 1,
                                   JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL)
                      : NULL;
    if (doc != NULL)
        check_eval(path, p, again, doc);
    json_decref(doc);
    fr_jpath_free(p);
    fr_jpath_free(again);
    free(path);
    return 0;
}
