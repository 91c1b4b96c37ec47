/*
 * Fuzz target source_file: any bytes as a source file through fr_decl_parse, as if read
 * from <dir>/<name>.yaml, where name is the input's own `name:` value when it is a valid
 * source name (so mutations of a seed keep passing the name check) and "fz" otherwise;
 * <dir> is a temporary directory holding the schema and prompt files the seeds name.
 * Checked promises: a refusal is FR_ERR_USAGE with one line that starts with the file
 * path and leaves nothing behind; a success is a struct that keeps every rule of
 * decl_config.h (required keys present, pagination and detail consistent, history and
 * inputs naming fields, secrets sorted and non-empty, header values without line
 * breaks), whose description, payload and prompt can be made, and which loads the same
 * way twice.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/err.h"
#include "common/mem.h"
#include "common/sources/decl_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void broken(const char *what, const char *detail)
{
    fprintf(stderr, "source_file: %s: %s\n", what, detail ? detail : "");
    abort();
}

static void put(const char *name, const char *text)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if ((f = fopen(path, "w")) == NULL)
        broken("cannot write", path);
    fputs(text, f);
    fclose(f);
}

/* The files and variables the seeds (tests/fuzz/corpus/source_file) refer to. */
static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/fr-fuzz-src-XXXXXX");
    if (mkdtemp(dir) == NULL)
        broken("mkdtemp", dir);
    put("payload.schema.json", "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":"
                               "\"string\"}}}");
    put("answer.schema.json", "{\"type\":\"object\",\"required\":[\"v\"],\"properties\":"
                              "{\"v\":{\"enum\":[\"a\",\"b\"]}}}");
    put("list.schema.json", "{\"type\":\"array\"}");
    put("plain.prompt", "no placeholders here\n");
    put("repo.prompt", "Repo {{name}} with {{stars}} stars, {{ owner.login }}\n");
    put("keepa.prompt", "{{title}} at {{price_new}}, avg {{analysis.avg90}}\n");
    setenv("FZ_TOKEN", "fuzz-token-value", 1);
    setenv("FZ_SHORT", "ab", 1);
    setenv("FZ_EMPTY", "", 1);
    setenv("FZ_URL", "http://127.0.0.1:8088", 1);
}

/* The source name the input gives itself, when valid. */
static void name_of(const uint8_t *data, size_t size, char *out, size_t n)
{
    const char *s = (const char *)data;
    size_t i = 0, len = 0;

    snprintf(out, n, "fz");
    while (i + 6 <= size && !(memcmp(s + i, "name: ", 6) == 0 && (i == 0 || s[i - 1] == '\n'))) {
        const char *nl = memchr(s + i, '\n', size - i);
        if (nl == NULL)
            return;
        i = (size_t)(nl - s) + 1;
    }
    if (i + 6 > size)
        return;
    i += 6;
    while (i + len < size && len < n - 1 &&
           (islower((unsigned char)s[i + len]) || isdigit((unsigned char)s[i + len]) ||
            s[i + len] == '_' || s[i + len] == '-'))
        len++;
    if (len >= 1 && len <= 32 && (i + len == size || s[i + len] == '\n')) {
        memcpy(out, s + i, len);
        out[len] = '\0';
    }
}

static int is_field(const struct fr_decl_source *s, const char *name)
{
    size_t n = strcspn(name, ".");

    for (size_t i = 0; i < s->nfields; i++)
        if (strlen(s->fields[i].name) == n && strncmp(s->fields[i].name, name, n) == 0)
            return 1;
    return 0;
}

static void check_pagination(const struct fr_decl_pagination *p)
{
    switch (p->type) {
    case FR_DECL_PAGING_NONE:
        break;
    case FR_DECL_PAGING_PAGE:
    case FR_DECL_PAGING_OFFSET:
        if (p->param == NULL || p->from != NULL || p->start < 0)
            broken("page/offset pagination", "without param, with from or a negative start");
        break;
    case FR_DECL_PAGING_CURSOR:
        if (p->param == NULL || p->from == NULL)
            broken("cursor pagination", "without param or from");
        break;
    case FR_DECL_PAGING_LINK:
        if (p->param != NULL || p->from != NULL)
            broken("link pagination", "with param or from");
        break;
    default:
        broken("pagination", "unknown type");
    }
}

static void check_declared(const struct fr_decl_source *s)
{
    const struct fr_decl_detail *d = &s->detail;
    size_t len;

    if (s->base_url == NULL || strncmp(s->base_url, "http", 4) != 0)
        broken("base_url", s->base_url);
    len = strlen(s->base_url);
    if (len == 0 || s->base_url[len - 1] == '/')
        broken("base_url ends in '/'", s->base_url);
    if (d->path == NULL || d->path[0] != '/' || d->records == NULL || d->id == NULL)
        broken("detail", "without path, records or id");
    if (d->id_in_path != (strstr(d->path, "{id}") != NULL))
        broken("detail.id_in_path", d->path);
    if (d->id_in_path ? d->max_ids != 1 || d->ids_param != NULL
                      : d->ids_param == NULL || d->max_ids < 1 || d->max_ids > FR_DECL_MAX_IDS ||
                            d->ids_separator == NULL || d->ids_separator[0] == '\0')
        broken("detail", "ids per request inconsistent with its path");
    if (s->discover.present) {
        if (s->discover.path == NULL || s->discover.path[0] != '/' ||
            s->discover.records == NULL || s->discover.id == NULL)
            broken("discover", "without path, records or id");
        check_pagination(&s->discover.pagination);
    }
    if (s->nfields == 0)
        broken("fields", "none");
    for (size_t i = 0; i < s->nfields; i++)
        if (s->fields[i].path == NULL || s->fields[i].name[0] == '\0')
            broken("field", s->fields[i].name);
    for (size_t i = 0; i < s->nhistory; i++)
        if (!is_field(s, s->history[i]))
            broken("history names no field", s->history[i]);
    if ((s->budget.reset_header != NULL) != (s->budget.reset_format != FR_DECL_RESET_NONE))
        broken("budget", "reset_header and reset_format disagree");
    if ((s->schema_file != NULL) != (s->schema != NULL))
        broken("schema", "file and compiled schema disagree");
    for (size_t i = 0; i < s->nheaders; i++)
        if (s->headers[i].value == NULL || strpbrk(s->headers[i].value, "\r\n") != NULL)
            broken("header value", s->headers[i].name);
}

static void check_analysis(const struct fr_decl_source *s)
{
    const struct fr_decl_analysis *a = &s->analysis;

    if (!a->present)
        return;
    if (a->url == NULL || a->model == NULL || a->prompt == NULL || a->timeout_ms <= 0 ||
        a->concurrency < 1)
        broken("analysis", "without url, model, prompt, timeout or concurrency");
    if (a->response_format != FR_DECL_RESPONSE_JSON_OBJECT &&
        (a->response_format != FR_DECL_RESPONSE_JSON_SCHEMA || a->schema == NULL))
        broken("analysis.response_format", "json_schema without a schema");
    for (size_t i = 0; i < fr_prompt_nfields(a->prompt); i++) {
        const char *f = fr_prompt_field(a->prompt, i);
        size_t j;

        for (j = 0; j < a->ninputs; j++) {
            size_t n = strlen(a->inputs[j]);
            if (strncmp(f, a->inputs[j], n) == 0 && (f[n] == '\0' || f[n] == '.'))
                break;
        }
        if (j == a->ninputs)
            broken("a placeholder is not among the inputs", f);
        if (!s->builtin && !is_field(s, f))
            broken("a placeholder names no field", f);
    }
}

static void use(const struct fr_decl_source *s)
{
    json_t *rec = json_pack("{s:s,s:i,s:{s:s}}", "full_name", "a/b", "stargazers_count", 3,
                            "owner", "login", "o");
    json_t *payload = fr_decl_payload(s, rec);
    struct fr_buf b, red;

    fr_buf_init(&b, 0);
    fr_buf_init(&red, 0);
    fr_decl_describe(s, &b);
    if (s->analysis.present && fr_prompt_render(s->analysis.prompt, payload, &b, NULL) != 0)
        broken("render", "an unbounded buffer refused the prompt");
    fr_decl_redact(s, fr_buf_str(&b), &red);
    fr_buf_release(&b);
    fr_buf_release(&red);
    json_decref(payload);
    json_decref(rec);
}

static void check(const struct fr_decl_source *s, const char *stem)
{
    if (s->name == NULL || strcmp(s->name, stem) != 0)
        broken("name differs from the file name", s->name);
    if (s->builtin) {
        if (s->base_url != NULL || s->nfields != 0 || !s->analysis.present)
            broken("built-in source", "holds more than its analysis");
    } else {
        check_declared(s);
    }
    check_analysis(s);
    for (size_t i = 0; i < s->nsecrets; i++)
        if (strlen(s->secrets[i]) < 4 ||
            (i > 0 && strlen(s->secrets[i]) > strlen(s->secrets[i - 1])))
            broken("secrets", "short or not longest first");
    use(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fr_decl_source *s = (void *)1, *again = NULL;
    struct fr_error err = {0};
    char stem[40], path[128];
    int rc;

    if (dir[0] == '\0')
        setup();
    name_of(data, size, stem, sizeof(stem));
    snprintf(path, sizeof(path), "%s/%s.yaml", dir, stem);
    rc = fr_decl_parse(path, (const char *)data, size, &s, &err);
    if (rc != 0) {
        if (rc != FR_ERR_USAGE || s != NULL || strncmp(err.msg, path, strlen(path)) != 0 ||
            strchr(err.msg, '\n') != NULL)
            broken("refusal", err.msg);
        return 0;
    }
    check(s, stem);
    if (fr_decl_parse(path, (const char *)data, size, &again, &err) != 0 ||
        again->nfields != s->nfields || again->nsecrets != s->nsecrets)
        broken("the same file loads differently twice", err.msg);
    fr_decl_free(again);
    fr_decl_free(s);
    return 0;
}
