/*
 * decl_check — what the keys of a source file mean together (see decl_config.h): the
 * required keys of each section, the rules of pagination and of detail by {id} or by
 * ids_param, history and analysis inputs naming fields, defaults, and the schema and
 * prompt files, loaded and compiled here so a bad one stops the process at start-up.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/sources/decl_internal.h"

#define DEFAULT_SEPARATOR ","
#define DEFAULT_LLM_TIMEOUT_MS 60000
#define DEFAULT_LLM_CONCURRENCY 8
#define PAGE_START 1 /* the first page of page pagination unless start says */

static int require(struct decl_loader *l, const void *v, const char *key)
{
    return v != NULL ? 0 : decl_fail_key(l, key, "is required");
}

static int given(struct decl_loader *l, const char *key)
{
    return decl_node(l, key) != NULL;
}

/* "name, stars, ..." of the fields, for messages. */
static void field_names(const struct fr_decl_source *s, char *out, size_t n)
{
    out[0] = '\0';
    for (size_t i = 0; i < s->nfields; i++)
        snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? ", " : "", s->fields[i].name);
}

/* 1 when dotted names a payload field: its first segment is a field of `fields`, or the
 * built-in source's hook says so. */
static int known_field(struct decl_loader *l, const char *dotted)
{
    size_t n = strcspn(dotted, ".");

    if (l->builtin != NULL)
        return l->builtin->has_field(dotted);
    for (size_t i = 0; i < l->src->nfields; i++) {
        if (strlen(l->src->fields[i].name) == n && strncmp(l->src->fields[i].name, dotted, n) == 0)
            return 1;
    }
    return 0;
}

static int not_a_field(struct decl_loader *l, const char *key, const char *what,
                       const char *name)
{
    char names[256];

    if (l->builtin != NULL)
        return decl_fail_key(l, key, "%s'%s' is not a field of the %s payload", what, name,
                             l->builtin->name);
    field_names(l->src, names, sizeof(names));
    return decl_fail_key(l, key, "%s'%s' is not a field (fields: %s)", what, name, names);
}

/* A clash between a fixed parameter and the one the fleet sets itself. */
static int param_clash(struct decl_loader *l, const char *section,
                       const struct fr_decl_pair *params, size_t n, const char *param,
                       const char *by)
{
    char key[128];

    for (size_t i = 0; param != NULL && i < n; i++) {
        if (strcmp(params[i].name, param) == 0) {
            snprintf(key, sizeof(key), "%s.params.%s", section, param);
            return decl_fail_key(l, key, "is set by %s", by);
        }
    }
    return 0;
}

static int check_budget(struct decl_loader *l)
{
    const struct fr_decl_budget *b = &l->src->budget;

    if (b->reset_header != NULL && b->reset_format == FR_DECL_RESET_NONE)
        return decl_fail_key(l, "budget.reset_format",
                             "is required with budget.reset_header (epoch, seconds or duration)");
    if (b->reset_header == NULL && b->reset_format != FR_DECL_RESET_NONE)
        return decl_fail_key(l, "budget.reset_format", "needs budget.reset_header");
    return 0;
}

static int check_pagination(struct decl_loader *l)
{
    struct fr_decl_pagination *p = &l->src->discover.pagination;
    int start = given(l, "discover.pagination.start");

    if (!given(l, "discover.pagination"))
        return 0;
    if (p->type == FR_DECL_PAGING_NONE)
        return decl_fail_key(l, "discover.pagination.type",
                             "is required (page, offset, cursor or link)");
    if (p->type == FR_DECL_PAGING_LINK) {
        if (p->param != NULL || start || p->from != NULL)
            return decl_fail_key(l, "discover.pagination", "link pagination takes no param, "
                                 "start or from (it follows the Link header)");
        return 0;
    }
    if (p->param == NULL)
        return decl_fail_key(l, "discover.pagination.param", "is required for %s pagination",
                             p->type == FR_DECL_PAGING_PAGE     ? "page"
                             : p->type == FR_DECL_PAGING_OFFSET ? "offset"
                                                                : "cursor");
    if (p->type == FR_DECL_PAGING_CURSOR) {
        if (start)
            return decl_fail_key(l, "discover.pagination.start",
                                 "cursor pagination has no start (the first request has no "
                                 "cursor)");
        if (p->from == NULL)
            return decl_fail_key(l, "discover.pagination.from",
                                 "is required for cursor pagination (where the next cursor is)");
    } else {
        if (p->from != NULL)
            return decl_fail_key(l, "discover.pagination.from", "is only for cursor pagination");
        if (!start)
            p->start = p->type == FR_DECL_PAGING_PAGE ? PAGE_START : 0;
    }
    return param_clash(l, "discover", l->src->discover.params, l->src->discover.nparams,
                       p->param, "discover.pagination.param");
}

static int check_discover(struct decl_loader *l)
{
    const struct fr_decl_discover *d = &l->src->discover;
    int rc;

    if (!d->present)
        return 0;
    if ((rc = require(l, d->path, "discover.path")) != 0 ||
        (rc = require(l, d->records, "discover.records")) != 0 ||
        (rc = require(l, d->id, "discover.id")) != 0)
        return rc;
    if (strpbrk(d->path, "{}") != NULL)
        return decl_fail_key(l, "discover.path", "braces have no meaning here: write the path "
                             "as it is requested");
    return check_pagination(l);
}

/* detail.path holds {id} at most once and no other braces. */
static int check_detail_path(struct decl_loader *l)
{
    struct fr_decl_detail *d = &l->src->detail;
    const char *id = strstr(d->path, "{id}");
    size_t braces = 0;

    for (const char *c = d->path; *c; c++)
        braces += *c == '{' || *c == '}';
    if (braces != (id != NULL ? 2 : 0) || (id != NULL && strstr(id + 1, "{id}") != NULL))
        return decl_fail_key(l, "detail.path", "only one {id} may stand in braces");
    d->id_in_path = id != NULL;
    return 0;
}

static int check_detail_by_id(struct decl_loader *l)
{
    struct fr_decl_detail *d = &l->src->detail;

    if (d->ids_param != NULL)
        return decl_fail_key(l, "detail.ids_param",
                             "not used when detail.path holds {id} (one id a request)");
    if (d->ids_separator != NULL)
        return decl_fail_key(l, "detail.ids_separator",
                             "not used when detail.path holds {id} (one id a request)");
    if (given(l, "detail.max_ids") && d->max_ids != 1)
        return decl_fail_key(l, "detail.max_ids",
                             "must be 1 when detail.path holds {id} (got %lld)",
                             (long long)d->max_ids);
    d->max_ids = 1;
    return 0;
}

static int check_detail(struct decl_loader *l)
{
    struct fr_decl_detail *d = &l->src->detail;
    int rc;

    if ((rc = require(l, d->path, "detail.path")) != 0 ||
        (rc = require(l, d->records, "detail.records")) != 0 ||
        (rc = require(l, d->id, "detail.id")) != 0 || (rc = check_detail_path(l)) != 0)
        return rc;
    if (d->id_in_path)
        return check_detail_by_id(l);
    if (d->ids_param == NULL)
        return decl_fail_key(l, "detail.ids_param",
                             "is required when detail.path has no {id}");
    if (!given(l, "detail.max_ids"))
        return decl_fail_key(l, "detail.max_ids",
                             "is required with detail.ids_param (ids a request, 1 to %d)",
                             FR_DECL_MAX_IDS);
    if (d->ids_separator == NULL)
        d->ids_separator = fr_xstrdup(DEFAULT_SEPARATOR);
    return param_clash(l, "detail", d->params, d->nparams, d->ids_param, "detail.ids_param");
}

static int check_fields(struct decl_loader *l)
{
    const struct fr_decl_source *s = l->src;

    if (s->nfields == 0)
        return decl_fail_key(l, "fields", given(l, "fields") ? "must name at least one field"
                                                             : "is required");
    for (size_t i = 0; i < s->nhistory; i++) {
        if (!known_field(l, s->history[i]) || strchr(s->history[i], '.') != NULL)
            return not_a_field(l, "history", "", s->history[i]);
    }
    return 0;
}

/* Reads and compiles a JSON Schema file; *doc (when doc is not NULL) gets its JSON. */
static int load_schema(struct decl_loader *l, const char *key, const char *path,
                       struct fr_schema **out, json_t **doc)
{
    struct fr_error e = {0};
    struct fr_buf b;
    int rc;

    fr_buf_init(&b, 0);
    rc = fr_decl_read_file(path, FR_DECL_MAX_FILE, &b, &e);
    if (rc == 0)
        rc = fr_schema_parse(path, fr_buf_str(&b), out, &e);
    if (rc == 0 && doc != NULL)
        *doc = json_loadb(fr_buf_str(&b), b.len, 0, NULL);
    fr_buf_release(&b);
    if (rc != 0)
        return decl_fail_key(l, key, "%s", e.msg); /* names the file */
    return 0;
}

/* Every {{placeholder}} names a field and is among the inputs (when inputs are given):
 * a change of a value the prompt shows must make the analysis run again. */
static int check_placeholders(struct decl_loader *l)
{
    struct fr_decl_analysis *a = &l->src->analysis;
    char what[FR_ERROR_MSG_MAX];

    for (size_t i = 0; i < fr_prompt_nfields(a->prompt); i++) {
        const char *f = fr_prompt_field(a->prompt, i);
        size_t j;

        snprintf(what, sizeof(what), "%s line %d: {{%s}}: ", a->prompt_file,
                 fr_prompt_field_line(a->prompt, i), f);
        if (!known_field(l, f))
            return not_a_field(l, "analysis.prompt", what, f);
        for (j = 0; j < a->ninputs; j++) {
            size_t n = strlen(a->inputs[j]);

            if (strncmp(f, a->inputs[j], n) == 0 && (f[n] == '\0' || f[n] == '.'))
                break;
        }
        if (a->ninputs > 0 && j == a->ninputs)
            return decl_fail_key(l, "analysis.inputs", "%snot among analysis.inputs, so a "
                                 "change of it would not be analysed again", what);
    }
    if (a->ninputs == 0 && fr_prompt_nfields(a->prompt) > 0) {
        a->ninputs = fr_prompt_nfields(a->prompt);
        a->inputs = fr_xcalloc(a->ninputs, sizeof(*a->inputs));
        for (size_t i = 0; i < a->ninputs; i++)
            a->inputs[i] = fr_xstrdup(fr_prompt_field(a->prompt, i));
    }
    return 0;
}

static int load_prompt(struct decl_loader *l)
{
    struct fr_decl_analysis *a = &l->src->analysis;
    struct fr_error e = {0};
    struct fr_buf b;
    int rc;

    fr_buf_init(&b, 0);
    rc = fr_decl_read_file(a->prompt_file, FR_DECL_MAX_PROMPT, &b, &e);
    if (rc == 0 && fr_prompt_compile(fr_buf_str(&b), b.len, &a->prompt, &e) != 0)
        rc = decl_fail_key(l, "analysis.prompt", "%s %s", a->prompt_file, e.msg);
    else if (rc != 0)
        rc = decl_fail_key(l, "analysis.prompt", "%s", e.msg);
    fr_buf_release(&b);
    return rc != 0 ? rc : check_placeholders(l);
}

static int check_analysis_schema(struct decl_loader *l)
{
    struct fr_decl_analysis *a = &l->src->analysis;
    const json_t *type;
    int rc;

    if (a->schema_file != NULL) {
        if ((rc = load_schema(l, "analysis.schema", a->schema_file, &a->schema,
                              &a->schema_json)) != 0)
            return rc;
        type = json_object_get(a->schema_json, "type");
        if (type != NULL && !(json_is_string(type) && strcmp(json_string_value(type),
                                                             "object") == 0))
            return decl_fail_key(l, "analysis.schema", "the answer is a JSON object: the "
                                 "schema's type must be \"object\"");
    }
    if (a->response_format == 0)
        a->response_format = a->schema ? FR_DECL_RESPONSE_JSON_SCHEMA
                                       : FR_DECL_RESPONSE_JSON_OBJECT;
    if (a->response_format == FR_DECL_RESPONSE_JSON_SCHEMA && a->schema == NULL)
        return decl_fail_key(l, "analysis.response_format", "json_schema needs analysis.schema");
    return 0;
}

static int check_analysis(struct decl_loader *l)
{
    struct fr_decl_analysis *a = &l->src->analysis;
    int rc;

    if (!a->present)
        return 0;
    if ((rc = require(l, a->url, "analysis.url")) != 0 ||
        (rc = require(l, a->model, "analysis.model")) != 0 ||
        (rc = require(l, a->prompt_file, "analysis.prompt")) != 0)
        return rc;
    for (size_t i = 0; i < a->ninputs; i++) {
        if (!known_field(l, a->inputs[i]))
            return not_a_field(l, "analysis.inputs", "", a->inputs[i]);
    }
    if ((rc = load_prompt(l)) != 0 || (rc = check_analysis_schema(l)) != 0)
        return rc;
    if (a->timeout_ms == 0)
        a->timeout_ms = DEFAULT_LLM_TIMEOUT_MS;
    if (a->concurrency == 0)
        a->concurrency = DEFAULT_LLM_CONCURRENCY;
    return 0;
}

int decl_check(struct decl_loader *l)
{
    struct fr_decl_source *s = l->src;
    int rc;

    if (l->builtin != NULL) {
        if (!s->analysis.present)
            return decl_fail_key(l, "analysis", "is required: %s is built in, its file holds "
                                 "only its analysis", l->builtin->name);
        return check_analysis(l);
    }
    if ((rc = require(l, given(l, "name") ? s->name : NULL, "name")) != 0 ||
        (rc = require(l, s->base_url, "base_url")) != 0 ||
        (rc = require(l, given(l, "detail") ? s : NULL, "detail")) != 0 ||
        (rc = check_budget(l)) != 0 || (rc = check_discover(l)) != 0 ||
        (rc = check_detail(l)) != 0 || (rc = check_fields(l)) != 0)
        return rc;
    if (s->schema_file != NULL &&
        (rc = load_schema(l, "schema", s->schema_file, &s->schema, NULL)) != 0)
        return rc;
    return check_analysis(l);
}
