/*
 * decl_keys — the keys of a source file as tables (name, kind, where the value goes), and
 * the walk that reads a mapping by its table: an unknown key, a key given twice or a
 * value of the wrong kind is refused in one place, with the dotted key in the message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

#include "common/mem.h"
#include "common/sources/decl_internal.h"

/* Free-form maps and lists (headers, params, fields, history, inputs) stay small. */
#define MAX_ENTRIES 256

enum kind {
    K_IDENT,    /* char *, [a-z0-9_-]{1,32} */
    K_STR,      /* char *, any text without ${ */
    K_TOKEN,    /* char *, an HTTP header name */
    K_PARAM,    /* char *, a query parameter name */
    K_URLPATH,  /* char *, /path without query */
    K_URL,      /* char *, http(s) URL, ${VAR} expanded */
    K_SECRET,   /* char *, ${VAR} expanded, a secret; its variables (char *) at noff */
    K_INT,      /* int64_t within [min, max] */
    K_DURATION, /* int64_t ms within [min, max] */
    K_ENUM,     /* int, by choices */
    K_PATH,     /* struct fr_jpath * */
    K_FILE,     /* char *, resolved against the source file's directory */
    K_PARAMS,   /* struct fr_decl_pair *, count at noff */
    K_HEADERS,  /* struct fr_decl_header *, count at noff */
    K_FIELDS,   /* struct fr_decl_field *, count at noff */
    K_NAMES,    /* char **, count at noff */
    K_SECTION,  /* a mapping read by sub; int present flag at off (NO_FLAG: none) */
};

/* Sections without a present flag give offset 0 (the name pointer): never written. */
#define NO_FLAG 0

struct choice {
    const char *name;
    int value;
};

struct spec {
    const char *key;
    enum kind kind;
    size_t off, noff;
    int64_t min, max;
    const struct choice *choices; /* K_ENUM, ended by a NULL name */
    const struct spec *sub;       /* K_SECTION, ended by a NULL key */
};

#define AT(m) offsetof(struct fr_decl_source, m)

static const struct choice reset_formats[] = {{"epoch", FR_DECL_RESET_EPOCH},
                                              {"seconds", FR_DECL_RESET_SECONDS},
                                              {"duration", FR_DECL_RESET_DURATION},
                                              {NULL, 0}};
static const struct choice pagings[] = {{"page", FR_DECL_PAGING_PAGE},
                                        {"offset", FR_DECL_PAGING_OFFSET},
                                        {"cursor", FR_DECL_PAGING_CURSOR},
                                        {"link", FR_DECL_PAGING_LINK},
                                        {NULL, 0}};
static const struct choice responses[] = {{"json_schema", FR_DECL_RESPONSE_JSON_SCHEMA},
                                          {"json_object", FR_DECL_RESPONSE_JSON_OBJECT},
                                          {NULL, 0}};

static const struct spec budget_keys[] = {
    {"requests_per_minute", K_INT, AT(budget.requests_per_minute), 0, 1, 1000000, NULL, NULL},
    {"remaining_header", K_TOKEN, AT(budget.remaining_header), 0, 0, 0, NULL, NULL},
    {"reset_header", K_TOKEN, AT(budget.reset_header), 0, 0, 0, NULL, NULL},
    {"reset_format", K_ENUM, AT(budget.reset_format), 0, 0, 0, reset_formats, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL},
};

static const struct spec pagination_keys[] = {
    {"type", K_ENUM, AT(discover.pagination.type), 0, 0, 0, pagings, NULL},
    {"param", K_PARAM, AT(discover.pagination.param), 0, 0, 0, NULL, NULL},
    {"start", K_INT, AT(discover.pagination.start), 0, 0, 1000000000, NULL, NULL},
    {"from", K_PATH, AT(discover.pagination.from), 0, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL},
};

static const struct spec discover_keys[] = {
    {"path", K_URLPATH, AT(discover.path), 0, 0, 0, NULL, NULL},
    {"params", K_PARAMS, AT(discover.params), AT(discover.nparams), 0, 0, NULL, NULL},
    {"pagination", K_SECTION, 0, 0, 0, 0, NULL, pagination_keys},
    {"records", K_PATH, AT(discover.records), 0, 0, 0, NULL, NULL},
    {"id", K_PATH, AT(discover.id), 0, 0, 0, NULL, NULL},
    {"signal", K_PATH, AT(discover.signal), 0, 0, 0, NULL, NULL},
    {"interval", K_DURATION, AT(discover.interval_ms), 0, 1000, 30LL * 86400000, NULL, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL},
};

static const struct spec detail_keys[] = {
    {"path", K_URLPATH, AT(detail.path), 0, 0, 0, NULL, NULL},
    {"params", K_PARAMS, AT(detail.params), AT(detail.nparams), 0, 0, NULL, NULL},
    {"ids_param", K_PARAM, AT(detail.ids_param), 0, 0, 0, NULL, NULL},
    {"ids_separator", K_STR, AT(detail.ids_separator), 0, 0, 0, NULL, NULL},
    {"max_ids", K_INT, AT(detail.max_ids), 0, 1, FR_DECL_MAX_IDS, NULL, NULL},
    {"records", K_PATH, AT(detail.records), 0, 0, 0, NULL, NULL},
    {"id", K_PATH, AT(detail.id), 0, 0, 0, NULL, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL},
};

static const struct spec analysis_keys[] = {
    {"url", K_URL, AT(analysis.url), 0, 0, 0, NULL, NULL},
    {"model", K_STR, AT(analysis.model), 0, 0, 0, NULL, NULL},
    {"api_key", K_SECRET, AT(analysis.api_key), AT(analysis.api_key_vars), 0, 0, NULL, NULL},
    {"prompt", K_FILE, AT(analysis.prompt_file), 0, 0, 0, NULL, NULL},
    {"inputs", K_NAMES, AT(analysis.inputs), AT(analysis.ninputs), 0, 0, NULL, NULL},
    {"schema", K_FILE, AT(analysis.schema_file), 0, 0, 0, NULL, NULL},
    {"requests_per_minute", K_INT, AT(analysis.requests_per_minute), 0, 1, 1000000, NULL,
     NULL},
    {"tokens_per_minute", K_INT, AT(analysis.tokens_per_minute), 0, 1, 1000000000, NULL, NULL},
    {"max_tokens", K_INT, AT(analysis.max_tokens), 0, 1, 1000000, NULL, NULL},
    {"timeout", K_DURATION, AT(analysis.timeout_ms), 0, 1000, 600000, NULL, NULL},
    {"concurrency", K_INT, AT(analysis.concurrency), 0, 1, 256, NULL, NULL},
    {"response_format", K_ENUM, AT(analysis.response_format), 0, 0, 0, responses, NULL},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL},
};

static const struct spec top_keys[] = {
    {"name", K_IDENT, AT(name), 0, 0, 0, NULL, NULL},
    {"base_url", K_URL, AT(base_url), 0, 0, 0, NULL, NULL},
    {"headers", K_HEADERS, AT(headers), AT(nheaders), 0, 0, NULL, NULL},
    {"budget", K_SECTION, 0, 0, 0, 0, NULL, budget_keys},
    {"discover", K_SECTION, AT(discover.present), 0, 0, 0, NULL, discover_keys},
    {"detail", K_SECTION, 0, 0, 0, 0, NULL, detail_keys},
    {"fields", K_FIELDS, AT(fields), AT(nfields), 0, 0, NULL, NULL},
    {"history", K_NAMES, AT(history), AT(nhistory), 0, 0, NULL, NULL},
    {"schema", K_FILE, AT(schema_file), 0, 0, 0, NULL, NULL},
    {"analysis", K_SECTION, AT(analysis.present), 0, 0, 0, NULL, analysis_keys},
    {NULL, 0, 0, 0, 0, 0, NULL, NULL},
};


static int read_enum(struct decl_loader *l, yaml_node_t *n, const char *key,
                     const struct choice *c, int *out)
{
    const char *v = decl_scalar(l, n, key);
    char names[128] = "";

    if (v == NULL)
        return FR_ERR_USAGE;
    for (size_t i = 0; c[i].name != NULL; i++) {
        if (strcmp(v, c[i].name) == 0) {
            *out = c[i].value;
            return 0;
        }
        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
                 c[i].name);
    }
    return decl_fail(l, n, key, "must be one of %s (got '%s')", names, v);
}

/* ---- maps and lists -------------------------------------------------------------- */

/* Calls one(l, key node, value node, dotted key, i, arg) for each pair of mapping n,
 * refusing a non-mapping, too many entries, a key that is not a plain name and a key
 * given twice. */
typedef int (*pair_fn)(struct decl_loader *l, yaml_node_t *k, yaml_node_t *v,
                       const char *dotted, size_t i, void *arg);

static int each_pair(struct decl_loader *l, yaml_node_t *n, const char *key, pair_fn one,
                     void *arg)
{
    yaml_node_pair_t *start = n->data.mapping.pairs.start, *p;
    char dotted[256];
    int rc;

    if (n->type != YAML_MAPPING_NODE)
        return decl_fail(l, n, key, "must be a mapping (key: value), not %s", decl_node_kind(n));
    if (n->data.mapping.pairs.top - start > MAX_ENTRIES)
        return decl_fail(l, n, key, "more than %d entries", MAX_ENTRIES);
    for (p = start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&l->doc, p->value);
        const char *name;

        if (k == NULL || v == NULL)
            return decl_fail(l, n, key, "internal: missing node");
        if ((rc = decl_visit(l, k, k, key)) != 0)
            return rc;
        if (k->type != YAML_SCALAR_NODE || decl_is_null(k) ||
            strlen((const char *)k->data.scalar.value) != k->data.scalar.length)
            return decl_fail(l, k, key, "a key must be a plain name, not %s", decl_node_kind(k));
        name = (const char *)k->data.scalar.value;
        snprintf(dotted, sizeof(dotted), "%s%s%s", key, *key ? "." : "", name);
        for (yaml_node_pair_t *q = start; q < p; q++) {
            yaml_node_t *qk = yaml_document_get_node(&l->doc, q->key);

            if (strcmp((const char *)qk->data.scalar.value, name) == 0)
                return decl_fail(l, k, dotted, "given twice");
        }
        /* a value seen before is an alias: point at its key, not at the anchor */
        if ((rc = decl_visit(l, v, k, dotted)) != 0 || (rc = one(l, k, v, dotted, (size_t)(p - start), arg)) != 0)
            return rc;
    }
    return 0;
}

static void *slot(struct fr_decl_source *s, size_t off)
{
    return (char *)s + off;
}

/* Grows the array at off (count at noff) by one zeroed element of size sz; returns it. */
static void *grow(struct fr_decl_source *s, const struct spec *sp, size_t sz)
{
    void **arr = slot(s, sp->off);
    size_t *n = slot(s, sp->noff);
    char *e;

    *arr = fr_xrealloc(*arr, (*n + 1) * sz);
    e = (char *)*arr + *n * sz;
    memset(e, 0, sz);
    (*n)++;
    return e;
}

static int one_param(struct decl_loader *l, yaml_node_t *k, yaml_node_t *v, const char *dotted,
                     size_t i, void *arg)
{
    struct fr_decl_pair *p = grow(l->src, arg, sizeof(*p));
    const char *name = (const char *)k->data.scalar.value, *val;
    int rc;

    (void)i;
    if ((rc = decl_check_text(l, k, dotted, name, DECL_TEXT_PARAM)) != 0)
        return rc;
    p->name = fr_xstrdup(name);
    if (v->type == YAML_SCALAR_NODE && !decl_is_null(v) && v->data.scalar.length == 0) {
        p->value = fr_xstrdup(""); /* param= */
        return 0;
    }
    if ((val = decl_scalar(l, v, dotted)) == NULL || (rc = decl_check_text(l, v, dotted, val, DECL_TEXT_ANY)) != 0)
        return FR_ERR_USAGE;
    p->value = fr_xstrdup(val);
    return 0;
}

static int one_header(struct decl_loader *l, yaml_node_t *k, yaml_node_t *v, const char *dotted,
                      size_t i, void *arg)
{
    struct fr_decl_header *h = grow(l->src, arg, sizeof(*h));
    const char *name = (const char *)k->data.scalar.value;
    int rc;

    (void)i;
    if ((rc = decl_check_text(l, k, dotted, name, DECL_TEXT_TOKEN)) != 0)
        return rc;
    for (size_t j = 0; j + 1 < l->src->nheaders; j++) {
        if (strcasecmp(l->src->headers[j].name, name) == 0)
            return decl_fail(l, k, dotted, "given twice (header names ignore case)");
    }
    h->name = fr_xstrdup(name);
    if ((rc = decl_expand(l, v, dotted, 1, &h->value, &h->vars)) != 0)
        return rc;
    for (const char *c = h->value; *c; c++) {
        if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
            return decl_fail(l, v, dotted, "the value holds a control character");
    }
    return 0;
}

static int field_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64 || isdigit((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    }
    return 1;
}

static int one_field(struct decl_loader *l, yaml_node_t *k, yaml_node_t *v, const char *dotted,
                     size_t i, void *arg)
{
    static const char *const reserved[] = {"llm", "llm_model", "llm_at", "llm_error"};
    struct fr_decl_field *f = grow(l->src, arg, sizeof(*f));
    const char *name = (const char *)k->data.scalar.value;

    (void)i;
    if (!field_name_ok(name))
        return decl_fail(l, k, dotted, "a field name is [A-Za-z_][A-Za-z0-9_]{0,63}");
    for (size_t j = 0; j < sizeof(reserved) / sizeof(reserved[0]); j++) {
        if (strcmp(name, reserved[j]) == 0)
            return decl_fail(l, k, dotted, "'%s' is where the analysis is stored", name);
    }
    f->name = fr_xstrdup(name);
    return decl_read_path(l, v, dotted, &f->path);
}

static int read_names(struct decl_loader *l, yaml_node_t *n, const char *key,
                      const struct spec *sp)
{
    char ***arr = slot(l->src, sp->off);
    size_t *cnt = slot(l->src, sp->noff);
    yaml_node_item_t *it;
    int rc;

    if (n->type != YAML_SEQUENCE_NODE)
        return decl_fail(l, n, key, "must be a list ([a, b] or '- a' lines), not %s",
                         decl_node_kind(n));
    if (n->data.sequence.items.top - n->data.sequence.items.start > MAX_ENTRIES)
        return decl_fail(l, n, key, "more than %d entries", MAX_ENTRIES);
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        yaml_node_t *e = yaml_document_get_node(&l->doc, *it);
        const char *v;

        if (e == NULL || (rc = decl_visit(l, e, e, key)) != 0)
            return e ? rc : decl_fail(l, n, key, "internal: missing node");
        if ((v = decl_scalar(l, e, key)) == NULL || (rc = decl_check_text(l, e, key, v, DECL_TEXT_ANY)) != 0)
            return FR_ERR_USAGE;
        for (size_t j = 0; j < *cnt; j++) {
            if (strcmp((*arr)[j], v) == 0)
                return decl_fail(l, e, key, "'%s' is listed twice", v);
        }
        *arr = fr_xrealloc(*arr, (*cnt + 1) * sizeof(**arr));
        (*arr)[(*cnt)++] = fr_xstrdup(v);
    }
    return 0;
}

/* ---- sections -------------------------------------------------------------------- */

static int read_section(struct decl_loader *l, yaml_node_t *n, const char *key,
                        const struct spec *specs);

static int read_value(struct decl_loader *l, yaml_node_t *n, const char *key,
                      const struct spec *sp)
{
    void *at = slot(l->src, sp->off);

    switch (sp->kind) {
    case K_IDENT:
        return decl_read_text(l, n, key, DECL_TEXT_IDENT, at);
    case K_STR:
        return decl_read_text(l, n, key, DECL_TEXT_ANY, at);
    case K_TOKEN:
        return decl_read_text(l, n, key, DECL_TEXT_TOKEN, at);
    case K_PARAM:
        return decl_read_text(l, n, key, DECL_TEXT_PARAM, at);
    case K_URLPATH:
        return decl_read_text(l, n, key, DECL_TEXT_PATH, at);
    case K_FILE:
        return decl_read_file_name(l, n, key, at);
    case K_URL:
        return decl_read_url(l, n, key, at);
    case K_SECRET:
        return decl_expand(l, n, key, 1, at, slot(l->src, sp->noff));
    case K_INT:
        return decl_read_int(l, n, key, sp->min, sp->max, at);
    case K_DURATION:
        return decl_read_duration(l, n, key, sp->min, sp->max, at);
    case K_ENUM:
        return read_enum(l, n, key, sp->choices, at);
    case K_PATH:
        return decl_read_path(l, n, key, at);
    case K_PARAMS:
        return each_pair(l, n, key, one_param, (void *)(uintptr_t)sp);
    case K_HEADERS:
        return each_pair(l, n, key, one_header, (void *)(uintptr_t)sp);
    case K_FIELDS:
        return each_pair(l, n, key, one_field, (void *)(uintptr_t)sp);
    case K_NAMES:
        return read_names(l, n, key, sp);
    case K_SECTION:
        if (sp->off != NO_FLAG)
            *(int *)at = 1;
        return read_section(l, n, key, sp->sub);
    }
    return decl_fail(l, n, key, "internal: unknown kind");
}

static void known_keys(const struct spec *specs, char *out, size_t n)
{
    out[0] = '\0';
    for (size_t i = 0; specs[i].key != NULL; i++)
        snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? ", " : "", specs[i].key);
}

static int one_key(struct decl_loader *l, yaml_node_t *k, yaml_node_t *v, const char *dotted,
                   size_t i, void *arg)
{
    const struct spec *specs = arg;
    const char *name = (const char *)k->data.scalar.value;
    char known[256];

    (void)i;
    for (size_t j = 0; specs[j].key != NULL; j++) {
        if (strcmp(specs[j].key, name) != 0)
            continue;
        if (l->builtin != NULL && specs == top_keys && strcmp(name, "name") != 0 &&
            strcmp(name, "analysis") != 0)
            return decl_fail(l, k, dotted, "%s is built in: its file may hold only name and "
                                           "analysis", l->builtin->name);
        return read_value(l, v, dotted, &specs[j]);
    }
    known_keys(specs, known, sizeof(known));
    return decl_fail(l, k, dotted, "unknown key (known here: %s)", known);
}

static int read_section(struct decl_loader *l, yaml_node_t *n, const char *key,
                        const struct spec *specs)
{
    return each_pair(l, n, key, one_key, (void *)(uintptr_t)specs);
}


int decl_read_keys(struct decl_loader *l, yaml_node_t *root)
{
    return read_section(l, root, "", top_keys);
}
