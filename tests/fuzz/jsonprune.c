/*
 * Fuzz target jsonprune: any bytes through fr_jsonprune, with the /deal page rules and with
 * rules on the root. Promises: it fails only with FR_ERR_DATA and an offset; the result is
 * no longer than the input and prunes to itself; whatever jansson reads, the pruner reads
 * too (but for nesting past its limit and NUL bytes); then jansson reads the result, and
 * the two trees are equal once the rules are applied to both as trees, which is what lets
 * fr_keepa_parse_deals parse the pruned text instead of the body. With a capture rule the
 * placeholders and the recorded spans give back the input's arrays, in order (what
 * fr_keepa_parse_products relies on). A broken promise aborts so libFuzzer keeps the input.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/jsonprune.h"
#include "common/mem.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define FLAGS (JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const deal_keys[] = {"asin",         "title",      "rootCat",
                                        "categories",   "image",      "current",
                                        "deltaPercent", "lastUpdate", "creationDate"};
static const struct fr_jsonprune_rule deal_rules[] = {
    {"deals.dr[]", deal_keys, N(deal_keys), 0, 0},
    {"deals.dr[].current", NULL, 0, 2, 0},
    {"deals.dr[].deltaPercent", NULL, 0, 1, 0},
    {"deals.dr[].deltaPercent[]", NULL, 0, 1, 0},
};
static const char *const root_keys[] = {"a", "deals", ""};
static const struct fr_jsonprune_rule root_rules[] = {
    {"", root_keys, N(root_keys), 0, 0},
    {"", NULL, 0, 3, 0},
    {"[]", NULL, 0, 1, 0},
};

static void broken(const char *what, const char *detail)
{
    fprintf(stderr, "jsonprune: %s: %s\n", what, detail);
    abort();
}

static int kept(const struct fr_jsonprune_rule *r, const char *key)
{
    for (size_t i = 0; i < r->nkeep; i++)
        if (strcmp(r->keep[i], key) == 0)
            return 1;
    return 0;
}

/* The rule applied to a jansson tree: the reference the text version must agree with,
 * up to keys spelled with escapes (they decode to names, so compare both trees cut). */
static void tree_prune(json_t *v, const struct fr_jsonprune_rule *r, const char *path)
{
    size_t i, n;
    const char *key;
    json_t *e;
    void *tmp;

    if (*path == '\0') {
        if (json_is_object(v) && r->keep != NULL) {
            json_object_foreach_safe(v, tmp, key, e)
            {
                if (!kept(r, key))
                    json_object_del(v, key);
            }
        }
        while (json_is_array(v) && r->max_items > 0 && json_array_size(v) > r->max_items)
            json_array_remove(v, json_array_size(v) - 1);
        return;
    }
    if (path[0] == '[') {
        json_array_foreach(v, i, e)
        {
            tree_prune(e, r, path + 2);
        }
        return;
    }
    if (path[0] == '.')
        path++;
    n = strcspn(path, ".[");
    if (json_is_object(v)) {
        char *k = fr_xstrndup(path, n);
        json_t *m = json_object_get(v, k);

        free(k);
        if (m != NULL)
            tree_prune(m, r, path + n);
    }
}

static void check(const struct fr_jsonprune_rule *rules, size_t nrules, const char *in, size_t size)
{
    char *out = fr_xmalloc(size ? size : 1), *again = fr_xmalloc(size ? size : 1);
    struct fr_error err = {0};
    size_t n = 0, n2 = 0;
    json_t *orig = json_loadb(in, size, FLAGS, NULL), *cut;
    int rc = fr_jsonprune(rules, nrules, in, size, out, size, &n, &err);

    if (rc != 0) {
        if (rc != FR_ERR_DATA || strstr(err.msg, " at byte ") == NULL || n != 0)
            broken("failure without FR_ERR_DATA and an offset", err.msg);
        /* jansson 2.14 skips a NUL byte right after a number ("[1\0]" reads as [1]); the
         * pruner refuses it and its caller falls back to jansson on the whole text */
        if (orig != NULL && strstr(err.msg, "nested deeper") == NULL &&
            memchr(in, '\0', size) == NULL)
            broken("refused json that jansson reads", err.msg);
        goto done;
    }
    if (n > size)
        broken("result", "longer than the input");
    if (fr_jsonprune(rules, nrules, out, n, again, n, &n2, &err) != 0 || n2 != n ||
        memcmp(out, again, n) != 0)
        broken("result", "does not prune to itself");
    cut = json_loadb(out, n, FLAGS, NULL);
    if (cut == NULL && orig != NULL)
        broken("result", "jansson refuses it but reads the input");
    if (cut != NULL && orig != NULL) {
        for (size_t r = 0; r < nrules; r++) {
            tree_prune(orig, &rules[r], rules[r].path);
            tree_prune(cut, &rules[r], rules[r].path);
        }
        if (!json_equal(orig, cut))
            broken("result", "differs from the input with the rules applied");
    }
    json_decref(cut);
done:
    json_decref(orig);
    free(out);
    free(again);
}

/* Every array a capture rule designates, in document order (jansson keeps members in
 * the order read), replaced by [] in v and appended to got. */
static void tree_capture(json_t *v, const char *path, json_t *got)
{
    size_t i;
    json_t *e;

    if (*path == '\0')
        return;
    if (path[0] == '[') {
        json_array_foreach(v, i, e)
        {
            if (path[2] == '\0' && json_is_array(e)) {
                json_array_append(got, e);
                json_array_set_new(v, i, json_array());
            } else {
                tree_capture(e, path + 2, got);
            }
        }
        return;
    }
    if (path[0] == '.')
        path++;
    {
        size_t n = strcspn(path, ".[");
        char *k = fr_xstrndup(path, n);
        json_t *m = json_is_object(v) ? json_object_get(v, k) : NULL;

        free(k);
        if (m != NULL)
            tree_capture(m, path + n, got);
    }
}

/* A capture rule: the result is no longer than the input, and read as trees, the
 * placeholders and the recorded texts are the input's arrays, in order. */
static void check_capture(const char *path, const char *in, size_t size)
{
    const struct fr_jsonprune_rule rule = {path, NULL, 0, 0, 1};
    struct fr_jsonprune_captures caps = {0};
    char *out = fr_xmalloc(size ? size : 1);
    size_t n = 0;
    json_t *orig = json_loadb(in, size, FLAGS, NULL), *cut, *want = json_array();
    int rc = fr_jsonprune_capture(&rule, 1, in, size, out, size, &n, &caps, NULL);

    if (rc != 0 || orig == NULL)
        goto done;
    if (n > size)
        broken("capture", "result longer than the input");
    cut = json_loadb(out, n, FLAGS, NULL);
    if (cut == NULL)
        broken("capture", "jansson refuses the result but reads the input");
    tree_capture(orig, path, want);
    if (!json_equal(orig, cut))
        broken("capture", "placeholders are not where the arrays were");
    if (json_array_size(want) != caps.n)
        broken("capture", "not one span an array");
    for (size_t i = 0; i < caps.n; i++) {
        json_t *a = json_loadb(in + caps.v[i].off, caps.v[i].len, FLAGS, NULL);
        if (a == NULL || !json_equal(a, json_array_get(want, i)))
            broken("capture", "a span is not its array");
        json_decref(a);
    }
    json_decref(cut);
done:
    json_decref(orig);
    json_decref(want);
    fr_jsonprune_captures_release(&caps);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(deal_rules, N(deal_rules), (const char *)data, size);
    check(root_rules, N(root_rules), (const char *)data, size);
    check_capture("[]", (const char *)data, size);
    check_capture("products[].csv[]", (const char *)data, size);
    return 0;
}
