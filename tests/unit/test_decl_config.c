/*
 * Unit tests: the source-file loader — a file with every key, the defaults, ${VAR}
 * expansion and redaction, and each class of bad file with its exact one-line message
 * (file, line and column, dotted key, reason). Files are written to a fresh temporary
 * directory per test.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sources/decl_config.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/fr-decl-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    setenv("FR_T_TOKEN", "s3cret-token-value", 1);
    setenv("FR_T_KEY", "xai-k3y-value", 1);
    setenv("FR_T_SHORT", "ab", 1);
    setenv("FR_T_EMPTY", "", 1);
    unsetenv("FR_T_UNSET");
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d != NULL)
        closedir(d);
    rmdir(dir);
}

TestSuite(decl, .init = setup, .fini = teardown);

/* Writes text to <dir>/<name>; returns the path (static, one at a time). */
static const char *put(const char *name, const char *text)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static struct fr_decl_source *load_ok(const char *name, const char *text)
{
    struct fr_decl_source *s = NULL;
    struct fr_error err = {0};

    cr_assert_eq(fr_decl_load_file(put(name, text), &s, &err), 0, "%s", err.msg);
    cr_assert_not_null(s);
    return s;
}

/* Loads a bad file and checks the whole message: "<dir>/" followed by want. */
static void load_bad(const char *name, const char *text, const char *want, ...)
    __attribute__((format(printf, 3, 4)));

static void load_bad(const char *name, const char *text, const char *want, ...)
{
    struct fr_decl_source *s = (void *)1;
    struct fr_error err = {0};
    char rest[FR_ERROR_MSG_MAX], full[FR_ERROR_MSG_MAX + 64];
    va_list ap;

    va_start(ap, want);
    vsnprintf(rest, sizeof(rest), want, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "%s/%s", dir, rest);
    cr_assert_eq(fr_decl_load_file(put(name, text), &s, &err), FR_ERR_USAGE, "accepted: %s",
                 text);
    cr_assert_null(s);
    cr_expect_null(strchr(err.msg, '\n'), "not one line: %s", err.msg);
    cr_expect_str_eq(err.msg, full);
}

/* Lines 1-2, 3-8 and 9-11 of every small file below; an addition starts at line 12. */
#define HEAD "name: repos\nbase_url: http://127.0.0.1:8088\n"
#define DETAIL                                                                             \
    "detail:\n  path: /v1/repos/batch\n  ids_param: ids\n  max_ids: 50\n  records: $.items\n" \
    "  id: $.id\n"
#define FIELDS "fields:\n  name: $.full_name\n  stars: $.stargazers_count\n"
#define MIN HEAD DETAIL FIELDS

static const char payload_schema[] =
    "{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":{\"type\":\"string\"},"
    "\"stars\":{\"type\":[\"integer\",\"null\"]}}}";
static const char answer_schema[] =
    "{\"type\":\"object\",\"required\":[\"verdict\"],\"properties\":{\"verdict\":"
    "{\"enum\":[\"good\",\"bad\"]}}}";

static const char full_file[] =
    "# every key\n"
    "name: repos\n"
    "base_url: http://127.0.0.1:8088/\n"
    "headers:\n"
    "  Authorization: \"Bearer ${FR_T_TOKEN}\"\n"
    "  Accept: application/json\n"
    "budget:\n"
    "  requests_per_minute: 600\n"
    "  remaining_header: X-RateLimit-Remaining\n"
    "  reset_header: X-RateLimit-Reset\n"
    "  reset_format: epoch\n"
    "discover:\n"
    "  path: /v1/repos\n"
    "  params: {per_page: \"100\", sort: updated, flag: \"\"}\n"
    "  pagination: {type: page, param: page, start: 2}\n"
    "  records: $.items\n"
    "  id: $.id\n"
    "  signal: $.updated_at\n"
    "  interval: 5m\n"
    "detail:\n"
    "  path: /v1/repos/batch\n"
    "  params: {view: full}\n"
    "  ids_param: ids\n"
    "  ids_separator: \"|\"\n"
    "  max_ids: 50\n"
    "  records: $.items[*]\n"
    "  id: $.id\n"
    "fields:\n"
    "  name: $.full_name\n"
    "  stars: $.stargazers_count\n"
    "  owner: $.owner.login\n"
    "  tags: $.topics[*].name\n"
    "history: [stars]\n"
    "schema: repos.schema.json\n"
    "analysis:\n"
    "  url: https://api.x.ai/v1\n"
    "  model: grok-4-fast\n"
    "  api_key: ${FR_T_KEY}\n"
    "  prompt: repos.prompt\n"
    "  inputs: [name, stars, owner]\n"
    "  schema: answer.schema.json\n"
    "  requests_per_minute: 60\n"
    "  tokens_per_minute: 100000\n"
    "  max_tokens: 400\n"
    "  timeout: 30s\n"
    "  concurrency: 4\n"
    "  response_format: json_schema\n";

static void put_support_files(void)
{
    put("repos.schema.json", payload_schema);
    put("answer.schema.json", answer_schema);
    put("repos.prompt", "Repo {{name}} by {{ owner }} has {{stars}} stars.\n");
}

Test(decl, a_file_with_every_key)
{
    struct fr_decl_source *s;
    const struct fr_decl_analysis *a;
    struct fr_error err = {0};
    json_t *good, *bad;
    char path[256];

    put_support_files();
    s = load_ok("repos.yaml", full_file);
    snprintf(path, sizeof(path), "%s/repos.yaml", dir);
    cr_expect_str_eq(s->name, "repos");
    cr_expect_str_eq(s->file, path);
    cr_expect(!s->builtin);
    cr_expect_str_eq(s->base_url, "http://127.0.0.1:8088");
    cr_assert_eq(s->nheaders, 2);
    cr_expect_str_eq(s->headers[0].name, "Authorization");
    cr_expect_str_eq(s->headers[0].value, "Bearer s3cret-token-value");
    cr_expect_str_eq(s->headers[0].vars, "${FR_T_TOKEN}");
    cr_expect_str_eq(s->headers[1].value, "application/json");
    cr_expect_null(s->headers[1].vars);
    cr_expect_eq(s->budget.requests_per_minute, 600);
    cr_expect_str_eq(s->budget.remaining_header, "X-RateLimit-Remaining");
    cr_expect_str_eq(s->budget.reset_header, "X-RateLimit-Reset");
    cr_expect_eq(s->budget.reset_format, FR_DECL_RESET_EPOCH);

    cr_expect(s->discover.present);
    cr_expect_str_eq(s->discover.path, "/v1/repos");
    cr_assert_eq(s->discover.nparams, 3);
    cr_expect_str_eq(s->discover.params[0].name, "per_page");
    cr_expect_str_eq(s->discover.params[0].value, "100");
    cr_expect_str_eq(s->discover.params[1].value, "updated");
    cr_expect_str_eq(s->discover.params[2].value, "");
    cr_expect_eq(s->discover.pagination.type, FR_DECL_PAGING_PAGE);
    cr_expect_str_eq(s->discover.pagination.param, "page");
    cr_expect_eq(s->discover.pagination.start, 2);
    cr_expect_null(s->discover.pagination.from);
    cr_expect_str_eq(fr_jpath_text(s->discover.records), "$.items");
    cr_expect_str_eq(fr_jpath_text(s->discover.id), "$.id");
    cr_expect_str_eq(fr_jpath_text(s->discover.signal), "$.updated_at");
    cr_expect_eq(s->discover.interval_ms, 300000);

    cr_expect_str_eq(s->detail.path, "/v1/repos/batch");
    cr_assert_eq(s->detail.nparams, 1);
    cr_expect_str_eq(s->detail.params[0].name, "view");
    cr_expect(!s->detail.id_in_path);
    cr_expect_str_eq(s->detail.ids_param, "ids");
    cr_expect_str_eq(s->detail.ids_separator, "|");
    cr_expect_eq(s->detail.max_ids, 50);
    cr_expect_str_eq(fr_jpath_text(s->detail.records), "$.items[*]");

    cr_assert_eq(s->nfields, 4);
    cr_expect_str_eq(s->fields[0].name, "name");
    cr_expect_str_eq(s->fields[3].name, "tags");
    cr_expect_str_eq(fr_jpath_text(fr_decl_field(s, "owner")->path), "$.owner.login");
    cr_expect_null(fr_decl_field(s, "nope"));
    cr_assert_eq(s->nhistory, 1);
    cr_expect_str_eq(s->history[0], "stars");

    /* the payload schema is compiled and applies */
    snprintf(path, sizeof(path), "%s/repos.schema.json", dir);
    cr_expect_str_eq(s->schema_file, path);
    good = json_pack("{s:s,s:i}", "name", "a/b", "stars", 3);
    bad = json_pack("{s:i}", "stars", 3);
    cr_expect_eq(fr_schema_validate(s->schema, good, &err), 0, "%s", err.msg);
    cr_expect_eq(fr_schema_validate(s->schema, bad, NULL), FR_ERR_DATA);
    json_decref(good);
    json_decref(bad);

    a = &s->analysis;
    cr_expect(a->present);
    cr_expect_str_eq(a->url, "https://api.x.ai/v1");
    cr_expect_str_eq(a->model, "grok-4-fast");
    cr_expect_str_eq(a->api_key, "xai-k3y-value");
    cr_expect_str_eq(a->api_key_vars, "${FR_T_KEY}");
    cr_assert_eq(a->ninputs, 3);
    cr_expect_str_eq(a->inputs[2], "owner");
    cr_assert_not_null(a->prompt);
    cr_assert_eq(fr_prompt_nfields(a->prompt), 3);
    cr_expect_str_eq(fr_prompt_field(a->prompt, 1), "owner");
    cr_assert_not_null(a->schema);
    cr_expect_str_eq(json_string_value(json_object_get(a->schema_json, "type")), "object");
    cr_expect_eq(a->requests_per_minute, 60);
    cr_expect_eq(a->tokens_per_minute, 100000);
    cr_expect_eq(a->max_tokens, 400);
    cr_expect_eq(a->timeout_ms, 30000);
    cr_expect_eq(a->concurrency, 4);
    cr_expect_eq(a->response_format, FR_DECL_RESPONSE_JSON_SCHEMA);

    /* secrets: every header value, the token and the key, longest first */
    cr_assert_eq(s->nsecrets, 4);
    cr_expect_str_eq(s->secrets[0], "Bearer s3cret-token-value");
    cr_expect_str_eq(s->secrets[1], "s3cret-token-value");
    cr_expect_str_eq(s->secrets[2], "application/json");
    cr_expect_str_eq(s->secrets[3], "xai-k3y-value");
    fr_decl_free(s);
}

Test(decl, defaults_of_a_small_file)
{
    struct fr_decl_source *s = load_ok("repos.yaml", MIN);

    cr_expect(!s->discover.present);
    cr_expect_eq(s->budget.requests_per_minute, 0);
    cr_expect_null(s->budget.reset_header);
    cr_expect_eq(s->budget.reset_format, FR_DECL_RESET_NONE);
    cr_expect_str_eq(s->detail.ids_separator, ",");
    cr_expect_eq(s->nheaders, 0);
    cr_expect_eq(s->nhistory, 0);
    cr_expect_null(s->schema);
    cr_expect(!s->analysis.present);
    cr_expect_eq(s->nsecrets, 0);
    fr_decl_free(s);

    /* pagination starts: page 1, offset 0; no pagination: one request a pass */
    s = load_ok("repos.yaml", MIN "discover:\n  path: /l\n  records: $\n  id: $.id\n"
                                  "  pagination: {type: page, param: p}\n");
    cr_expect_eq(s->discover.pagination.start, 1);
    cr_expect_eq(s->discover.interval_ms, 0);
    cr_expect_null(s->discover.signal);
    fr_decl_free(s);
    s = load_ok("repos.yaml", MIN "discover:\n  path: /l\n  records: $\n  id: $.id\n"
                                  "  pagination: {type: offset, param: o}\n");
    cr_expect_eq(s->discover.pagination.type, FR_DECL_PAGING_OFFSET);
    cr_expect_eq(s->discover.pagination.start, 0);
    fr_decl_free(s);
    s = load_ok("repos.yaml", MIN "discover:\n  path: /l\n  records: $\n  id: $.id\n");
    cr_expect_eq(s->discover.pagination.type, FR_DECL_PAGING_NONE);
    fr_decl_free(s);
}

Test(decl, cursor_and_link_pagination)
{
    struct fr_decl_source *s;

    s = load_ok("repos.yaml", MIN "discover:\n  path: /c\n  records: $.entries[*].repo\n"
                                  "  id: $.id\n  pagination: {type: cursor, param: cursor, "
                                  "from: $.next_cursor}\n");
    cr_expect_eq(s->discover.pagination.type, FR_DECL_PAGING_CURSOR);
    cr_expect_str_eq(fr_jpath_text(s->discover.pagination.from), "$.next_cursor");
    fr_decl_free(s);
    s = load_ok("repos.yaml", MIN "discover:\n  path: /r\n  records: $[*]\n  id: $.id\n"
                                  "  pagination:\n    type: link\n");
    cr_expect_eq(s->discover.pagination.type, FR_DECL_PAGING_LINK);
    cr_expect_null(s->discover.pagination.param);
    fr_decl_free(s);
}

Test(decl, detail_by_id_in_the_path)
{
    struct fr_decl_source *s = load_ok("repos.yaml", HEAD "detail:\n  path: /v1/repos/{id}\n"
                                                          "  records: $\n  id: $.id\n" FIELDS);

    cr_expect(s->detail.id_in_path);
    cr_expect_eq(s->detail.max_ids, 1);
    cr_expect_null(s->detail.ids_param);
    cr_expect_null(s->detail.ids_separator);
    fr_decl_free(s);
    s = load_ok("repos.yaml", HEAD "detail:\n  path: /v1/repos/{id}\n  max_ids: 1\n"
                                   "  records: $\n  id: $.id\n" FIELDS);
    cr_expect_eq(s->detail.max_ids, 1);
    fr_decl_free(s);
}

Test(decl, variables_are_expanded_and_their_values_are_secrets)
{
    struct fr_decl_source *s;
    struct fr_buf b;

    setenv("FR_T_BASE", "http://10.0.0.1:9000", 1);
    s = load_ok("repos.yaml", "name: repos\nbase_url: ${FR_T_BASE}/api\n" DETAIL FIELDS
                              "headers:\n  X-Key: ${FR_T_TOKEN}\n  X-Pair: ${FR_T_SHORT}-"
                              "${FR_T_TOKEN}$x\n  X-Dollar: a$b\n");
    cr_expect_str_eq(s->base_url, "http://10.0.0.1:9000/api");
    cr_expect_str_eq(s->headers[0].value, "s3cret-token-value");
    cr_expect_str_eq(s->headers[1].value, "ab-s3cret-token-value$x");
    cr_expect_str_eq(s->headers[1].vars, "${FR_T_SHORT}, ${FR_T_TOKEN}");
    cr_expect_str_eq(s->headers[2].value, "a$b");
    /* the base URL is no secret; "ab" and "a$b" are too short to mask */
    fr_buf_init(&b, 0);
    fr_decl_redact(s, "GET http://10.0.0.1:9000/api X-Key: s3cret-token-value, "
                      "X-Pair: ab-s3cret-token-value$x ab a$b", &b);
    cr_expect_str_eq(fr_buf_str(&b), "GET http://10.0.0.1:9000/api X-Key: ***, X-Pair: *** ab "
                                     "a$b");
    fr_buf_release(&b);
    fr_decl_free(s);
}

Test(decl, a_header_value_never_shows_in_the_description)
{
    struct fr_decl_source *s;
    struct fr_buf b;
    const char *text;

    put_support_files();
    s = load_ok("repos.yaml", full_file);
    fr_buf_init(&b, 0);
    fr_decl_describe(s, &b);
    text = fr_buf_str(&b);
    cr_expect_null(strstr(text, "s3cret"), "%s", text);
    cr_expect_null(strstr(text, "xai-k3y"), "%s", text);
    cr_expect_null(strstr(text, "application/json"), "%s", text);
    cr_expect_not_null(strstr(text, "Authorization: *** (from ${FR_T_TOKEN})"), "%s", text);
    cr_expect_not_null(strstr(text, "Accept: ***\n"), "%s", text);
    cr_expect_not_null(strstr(text, "api_key *** (from ${FR_T_KEY})"), "%s", text);
    cr_expect_not_null(strstr(text, "GET http://127.0.0.1:8088/v1/repos?per_page=100&sort="
                                    "updated&flag=\n"), "%s", text);
    cr_expect_not_null(strstr(text, "pages: page=2, 3, ... until an empty page"), "%s", text);
    cr_expect_not_null(strstr(text, "GET http://127.0.0.1:8088/v1/repos/batch?view=full&ids="
                                    "ID|ID|...\n"), "%s", text);
    cr_expect_not_null(strstr(text, "up to 50 ids a request"), "%s", text);
    cr_expect_not_null(strstr(text, "at most 600 requests a minute"), "%s", text);
    cr_expect_not_null(strstr(text, "X-RateLimit-Reset (epoch: unix seconds)"), "%s", text);
    cr_expect_not_null(strstr(text, "owner                    $.owner.login"), "%s", text);
    cr_expect_not_null(strstr(text, "history    stars\n"), "%s", text);
    cr_expect_not_null(strstr(text, "POST https://api.x.ai/v1/chat/completions, model "
                                    "grok-4-fast"), "%s", text);
    cr_expect_not_null(strstr(text, "limits 60 requests/minute, 100000 tokens/minute, "
                                    "max_tokens 400, timeout 30s, concurrency 4"), "%s", text);
    fr_buf_release(&b);
    fr_decl_free(s);
}

Test(decl, the_payload_follows_the_fields)
{
    struct fr_decl_source *s;
    json_t *rec, *p;
    char *text;

    put_support_files();
    s = load_ok("repos.yaml", full_file);
    rec = json_loads("{\"full_name\":\"a/b\",\"stargazers_count\":7,\"topics\":[{\"name\":\"c\"},"
                     "{\"name\":\"db\"}],\"extra\":1}", 0, NULL);
    p = fr_decl_payload(s, rec);
    text = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
    cr_expect_str_eq(text, "{\"name\":\"a/b\",\"stars\":7,\"owner\":null,\"tags\":[\"c\",\"db\"]}");
    free(text);
    json_decref(p);
    json_decref(rec);
    fr_decl_free(s);
}

Test(decl, variables_that_are_unset_or_empty_or_misspelt)
{
    load_bad("repos.yaml", MIN "headers:\n  Authorization: Bearer ${FR_T_UNSET}\n",
             "repos.yaml:13:18: headers.Authorization: environment variable FR_T_UNSET is not "
             "set");
    load_bad("repos.yaml", MIN "headers:\n  X-Key: ${FR_T_EMPTY}\n",
             "repos.yaml:13:10: headers.X-Key: environment variable FR_T_EMPTY is empty");
    load_bad("repos.yaml", MIN "headers:\n  X-Key: ${FR_T_TOKEN\n",
             "repos.yaml:13:10: headers.X-Key: '${' is not closed by '}'");
    load_bad("repos.yaml", MIN "headers:\n  X-Key: ${1X}\n",
             "repos.yaml:13:10: headers.X-Key: '${1X}' is not a variable name "
             "([A-Za-z_][A-Za-z0-9_]*)");
    load_bad("repos.yaml", "name: repos\nbase_url: ${FR_T_UNSET}\n" DETAIL FIELDS,
             "repos.yaml:2:11: base_url: environment variable FR_T_UNSET is not set");
    load_bad("repos.yaml", MIN "discover:\n  path: /x\n  params: {key: \"${FR_T_TOKEN}\"}\n"
                               "  records: $\n  id: $.id\n",
             "repos.yaml:14:17: discover.params.key: ${VAR} is expanded only in base_url, "
             "headers, analysis.url and analysis.api_key");
}

Test(decl, yaml_syntax_errors_give_line_and_column)
{
    load_bad("repos.yaml", "name: repos\nbase_url: [http://x\nfields: {}\n",
             "repos.yaml:3:7: YAML syntax: did not find expected ',' or ']' (while parsing a "
             "flow sequence)");
    load_bad("repos.yaml", "name: repos\n  base_url: x\n",
             "repos.yaml:2:11: YAML syntax: mapping values are not allowed in this context");
    load_bad("repos.yaml", "name: \"repos\n",
             "repos.yaml:2:1: YAML syntax: found unexpected end of stream (while scanning a "
             "quoted scalar)");
    load_bad("repos.yaml", MIN "\t- x\n",
             "repos.yaml:12:1: YAML syntax: found a tab character that violates indentation "
             "(while scanning a plain scalar)");
}

Test(decl, unknown_keys_anywhere)
{
    load_bad("repos.yaml", MIN "colour: red\n",
             "repos.yaml:12:1: colour: unknown key (known here: name, base_url, headers, budget, "
             "discover, detail, fields, history, schema, analysis)");
    load_bad("repos.yaml", MIN "budget: {requests_per_minut: 5}\n",
             "repos.yaml:12:10: budget.requests_per_minut: unknown key (known here: "
             "requests_per_minute, remaining_header, reset_header, reset_format)");
    load_bad("repos.yaml", MIN "discover:\n  path: /x\n  records: $\n  id: $.id\n"
                               "  pagination: {type: page, param: p, size: 5}\n",
             "repos.yaml:16:38: discover.pagination.size: unknown key (known here: type, param, "
             "start, from)");
    load_bad("repos.yaml", HEAD FIELDS "detail:\n  path: /v1/repos/{id}\n  records: $\n"
                                       "  id: $.id\n  batch: 5\n",
             "repos.yaml:10:3: detail.batch: unknown key (known here: path, params, ids_param, "
             "ids_separator, max_ids, records, id)");
}

Test(decl, values_of_the_wrong_kind)
{
    load_bad("repos.yaml", MIN "headers: [a, b]\n",
             "repos.yaml:12:10: headers: must be a mapping (key: value), not a list");
    load_bad("repos.yaml", MIN "budget:\n",
             "repos.yaml:12:8: budget: must be a mapping (key: value), not empty");
    load_bad("repos.yaml", MIN "budget: {requests_per_minute: lots}\n",
             "repos.yaml:12:31: budget.requests_per_minute: must be an integer (got 'lots')");
    load_bad("repos.yaml", MIN "budget: {requests_per_minute: 0}\n",
             "repos.yaml:12:31: budget.requests_per_minute: must be between 1 and 1000000 "
             "(got '0')");
    load_bad("repos.yaml", MIN "budget: {reset_header: R, reset_format: unix}\n",
             "repos.yaml:12:41: budget.reset_format: must be one of epoch, seconds, duration "
             "(got 'unix')");
    load_bad("repos.yaml", MIN "history: stars\n",
             "repos.yaml:12:10: history: must be a list ([a, b] or '- a' lines), not a single "
             "value");
    load_bad("repos.yaml", MIN "history: [[stars]]\n",
             "repos.yaml:12:11: history: must be a single value, not a list");
    load_bad("repos.yaml", HEAD DETAIL "fields:\n  name: {path: $.x}\n",
             "repos.yaml:10:9: fields.name: must be a single value, not a mapping");
    load_bad("repos.yaml", MIN "discover:\n  path: /x\n  records: $\n  id: $.id\n"
                               "  interval: 5 minutes\n",
             "repos.yaml:16:13: discover.interval: must be a duration like 500ms, 90s, 15m, 6h "
             "or 7d (got '5 minutes')");
    load_bad("repos.yaml", MIN "discover:\n  path: /x\n  records: $\n  id: $.id\n"
                               "  interval: 10ms\n",
             "repos.yaml:16:13: discover.interval: must be between 1s and 30d (got '10ms')");
    load_bad("repos.yaml", "name: repos\nbase_url: ftp://x\n" DETAIL FIELDS,
             "repos.yaml:2:11: base_url: 'ftp://x' is not an http(s) URL without query");
    load_bad("repos.yaml", "name: repos\nbase_url: http://x/?a=1\n" DETAIL FIELDS,
             "repos.yaml:2:11: base_url: 'http://x/?a=1' is not an http(s) URL without query");
    load_bad("repos.yaml", "name: ~\nbase_url: http://x\n" DETAIL FIELDS,
             "repos.yaml:1:7: name: has no value");
    load_bad("repos.yaml", MIN "headers:\n  Bad Header: x\n",
             "repos.yaml:13:3: headers.Bad Header: 'Bad Header' is not an HTTP header name");
    load_bad("repos.yaml", MIN "headers:\n  X-A: \"a\\nb\"\n",
             "repos.yaml:13:8: headers.X-A: the value holds a control character");
    load_bad("repos.yaml", "- name\n- repos\n", "repos.yaml:1:1: (top): must be a mapping of "
                                                "keys, not a list");
}

Test(decl, bad_paths_name_the_key)
{
    load_bad("repos.yaml", MIN "discover:\n  path: /x\n  records: $.a..b\n  id: $.id\n",
             "repos.yaml:14:12: discover.records: bad path '$.a..b' at character 5: '..' "
             "(recursive descent) is not supported");
    load_bad("repos.yaml", HEAD DETAIL "fields:\n  name: full_name\n",
             "repos.yaml:10:9: fields.name: bad path 'full_name' at character 1: a path starts "
             "with '$'");
    load_bad("repos.yaml", MIN "discover:\n  path: v1/x\n  records: $\n  id: $.id\n",
             "repos.yaml:13:9: discover.path: must start with '/' (it follows base_url)");
    load_bad("repos.yaml", MIN "discover:\n  path: /x?page=1\n  records: $\n  id: $.id\n",
             "repos.yaml:13:9: discover.path: '?' in a path: write query parameters under "
             "params");
}

Test(decl, required_keys)
{
    load_bad("repos.yaml", "name: repos\n" DETAIL FIELDS,
             "repos.yaml:1:1: base_url: is required");
    load_bad("repos.yaml", HEAD FIELDS, "repos.yaml:1:1: detail: is required");
    load_bad("repos.yaml", HEAD "detail:\n  path: /b\n  ids_param: ids\n  max_ids: 5\n"
                                "  records: $.items\n" FIELDS,
             "repos.yaml:4:3: detail.id: is required");
    load_bad("repos.yaml", HEAD DETAIL, "repos.yaml:1:1: fields: is required");
    load_bad("repos.yaml", HEAD DETAIL "fields: {}\n",
             "repos.yaml:9:9: fields: must name at least one field");
    load_bad("repos.yaml", MIN "discover:\n  path: /x\n  id: $.id\n",
             "repos.yaml:13:3: discover.records: is required");
    load_bad("repos.yaml", "base_url: http://x\n" DETAIL FIELDS, "repos.yaml:1:1: name: is "
                                                                 "required");
    load_bad("repos.yaml", MIN "analysis:\n  model: m\n  prompt: p\n",
             "repos.yaml:13:3: analysis.url: is required");
}

Test(decl, the_name_is_the_file_name)
{
    load_bad("repos.yaml", "name: other\nbase_url: http://x\n" DETAIL FIELDS,
             "repos.yaml:1:7: name: 'other' differs from the file name (repos.yaml)");
    load_bad("Repos.yaml", MIN, "Repos.yaml: the file name is the source name: 1 to 32 "
                                "characters of a-z, 0-9, '_' and '-' before .yaml");
    load_bad("repos.yml", MIN, "repos.yml: a source file is named <name>.yaml");
    load_bad("a_name_that_is_far_too_long_for_a_source.yaml", MIN,
             "a_name_that_is_far_too_long_for_a_source.yaml: the file name is the source name: "
             "1 to 32 characters of a-z, 0-9, '_' and '-' before .yaml");
    load_bad("repos.yaml", "name: Repos\nbase_url: http://x\n" DETAIL FIELDS,
             "repos.yaml:1:7: name: must be 1 to 32 characters of a-z, 0-9, '_' and '-' (got "
             "'Repos')");
}

Test(decl, files_that_are_not_one_plain_document)
{
    load_bad("repos.yaml", "", "repos.yaml: the file is empty");
    load_bad("repos.yaml", "# only a comment\n", "repos.yaml: the file is empty");
    load_bad("repos.yaml", MIN "---\nname: again\n",
             "repos.yaml:12:1: YAML syntax: more than one document ('---')");
    load_bad("repos.yaml", MIN "headers:\n  A: &t tokenvalue\n  B: *t\n",
             "repos.yaml:14:3: headers.B: anchors and aliases (&, *) are not supported");
    load_bad("repos.yaml", MIN "name: repos\n", "repos.yaml:12:1: name: given twice");
    load_bad("repos.yaml", MIN "headers:\n  Accept: a\n  accept: b\n",
             "repos.yaml:14:3: headers.accept: given twice (header names ignore case)");
    load_bad("repos.yaml", MIN "history: [stars, stars]\n",
             "repos.yaml:12:18: history: 'stars' is listed twice");
    load_bad("repos.yaml", MIN "\"bad\\nkey\": 1\n",
             "repos.yaml:12:1: bad key: unknown key (known here: name, base_url, headers, "
             "budget, discover, detail, fields, history, schema, analysis)");
}

Test(decl, pagination_rules)
{
#define DISC MIN "discover:\n  path: /x\n  records: $\n  id: $.id\n"
    load_bad("repos.yaml", DISC "  pagination: {param: p}\n",
             "repos.yaml:16:15: discover.pagination.type: is required (page, offset, cursor or "
             "link)");
    load_bad("repos.yaml", DISC "  pagination: {type: page}\n",
             "repos.yaml:16:15: discover.pagination.param: is required for page pagination");
    load_bad("repos.yaml", DISC "  pagination: {type: cursor, param: after}\n",
             "repos.yaml:16:15: discover.pagination.from: is required for cursor pagination "
             "(where the next cursor is)");
    load_bad("repos.yaml", DISC "  pagination: {type: cursor, param: a, from: $.n, start: 1}\n",
             "repos.yaml:16:58: discover.pagination.start: cursor pagination has no start (the "
             "first request has no cursor)");
    load_bad("repos.yaml", DISC "  pagination: {type: link, param: page}\n",
             "repos.yaml:16:15: discover.pagination: link pagination takes no param, start or "
             "from (it follows the Link header)");
    load_bad("repos.yaml", DISC "  pagination: {type: offset, param: o, from: $.n}\n",
             "repos.yaml:16:46: discover.pagination.from: is only for cursor pagination");
    load_bad("repos.yaml", DISC "  params: {page: \"1\"}\n  pagination: {type: page, param: "
                                "page}\n",
             "repos.yaml:16:18: discover.params.page: is set by discover.pagination.param");
    load_bad("repos.yaml", MIN "discover:\n  path: /orgs/{org}/repos\n  records: $\n"
                               "  id: $.id\n",
             "repos.yaml:13:9: discover.path: braces have no meaning here: write the path as it "
             "is requested");
#undef DISC
}

Test(decl, detail_rules)
{
#define TAIL "  records: $\n  id: $.id\n" FIELDS
    load_bad("repos.yaml", HEAD "detail:\n  path: /r/{id}\n  ids_param: ids\n" TAIL,
             "repos.yaml:5:14: detail.ids_param: not used when detail.path holds {id} (one id a "
             "request)");
    load_bad("repos.yaml", HEAD "detail:\n  path: /r/{id}\n  ids_separator: \"+\"\n" TAIL,
             "repos.yaml:5:18: detail.ids_separator: not used when detail.path holds {id} (one "
             "id a request)");
    load_bad("repos.yaml", HEAD "detail:\n  path: /r/{id}\n  max_ids: 5\n" TAIL,
             "repos.yaml:5:12: detail.max_ids: must be 1 when detail.path holds {id} (got 5)");
    load_bad("repos.yaml", HEAD "detail:\n  path: /r/{id}/{id}\n" TAIL,
             "repos.yaml:4:9: detail.path: only one {id} may stand in braces");
    load_bad("repos.yaml", HEAD "detail:\n  path: /r/{name}\n" TAIL,
             "repos.yaml:4:9: detail.path: only one {id} may stand in braces");
    load_bad("repos.yaml", HEAD "detail:\n  path: /r\n" TAIL,
             "repos.yaml:4:3: detail.ids_param: is required when detail.path has no {id}");
    load_bad("repos.yaml", HEAD "detail:\n  path: /r\n  ids_param: ids\n" TAIL,
             "repos.yaml:4:3: detail.max_ids: is required with detail.ids_param (ids a request, "
             "1 to 1000)");
    load_bad("repos.yaml", HEAD "detail:\n  path: /r\n  ids_param: ids\n  max_ids: 1001\n" TAIL,
             "repos.yaml:6:12: detail.max_ids: must be between 1 and 1000 (got '1001')");
    load_bad("repos.yaml", HEAD "detail:\n  path: /r\n  ids_param: ids\n  max_ids: 5\n"
                                "  params: {ids: x}\n" TAIL,
             "repos.yaml:7:17: detail.params.ids: is set by detail.ids_param");
#undef TAIL
}

Test(decl, budget_and_field_rules)
{
    load_bad("repos.yaml", MIN "budget: {reset_header: X-Reset}\n",
             "repos.yaml:12:9: budget.reset_format: is required with budget.reset_header "
             "(epoch, seconds or duration)");
    load_bad("repos.yaml", MIN "budget: {reset_format: seconds}\n",
             "repos.yaml:12:24: budget.reset_format: needs budget.reset_header");
    load_bad("repos.yaml", MIN "history: [forks]\n",
             "repos.yaml:12:10: history: 'forks' is not a field (fields: name, stars)");
    load_bad("repos.yaml", HEAD DETAIL "fields:\n  llm: $.x\n",
             "repos.yaml:10:3: fields.llm: 'llm' is where the analysis is stored");
    load_bad("repos.yaml", HEAD DETAIL "fields:\n  a.b: $.x\n",
             "repos.yaml:10:3: fields.a.b: a field name is [A-Za-z_][A-Za-z0-9_]{0,63}");
}

Test(decl, schema_files)
{
    load_bad("repos.yaml", MIN "schema: missing.schema.json\n",
             "repos.yaml:12:9: schema: cannot read '%s/missing.schema.json': No such file or "
             "directory", dir);
    put("bad.schema.json", "{\"type\":\"object\",\"propertys\":{}}");
    load_bad("repos.yaml", MIN "schema: bad.schema.json\n",
             "repos.yaml:12:9: schema: schema '%s/bad.schema.json': /: 'propertys' is not a "
             "supported keyword", dir);
    put("broken.schema.json", "{\"type\":");
    load_bad("repos.yaml", MIN "schema: broken.schema.json\n",
             "repos.yaml:12:9: schema: schema '%s/broken.schema.json': invalid json at line 1: "
             "unexpected token near end of file", dir);
}

#define ANALYSIS MIN "analysis:\n  url: http://127.0.0.1:9/v1\n  model: m\n"

Test(decl, analysis_defaults_and_inputs)
{
    struct fr_decl_source *s;

    put("p.prompt", "Name {{name}}; stars {{stars}}; again {{name}}\n");
    s = load_ok("repos.yaml", ANALYSIS "  prompt: p.prompt\n");
    cr_expect_eq(s->analysis.timeout_ms, 60000);
    cr_expect_eq(s->analysis.concurrency, 8);
    cr_expect_eq(s->analysis.response_format, FR_DECL_RESPONSE_JSON_OBJECT);
    cr_expect_null(s->analysis.api_key);
    cr_expect_null(s->analysis.schema);
    cr_assert_eq(s->analysis.ninputs, 2); /* the prompt's fields */
    cr_expect_str_eq(s->analysis.inputs[0], "name");
    cr_expect_str_eq(s->analysis.inputs[1], "stars");
    fr_decl_free(s);
    put("answer.schema.json", answer_schema);
    s = load_ok("repos.yaml", ANALYSIS "  prompt: p.prompt\n  schema: answer.schema.json\n"
                                       "  inputs: [name, stars]\n");
    cr_expect_eq(s->analysis.response_format, FR_DECL_RESPONSE_JSON_SCHEMA);
    fr_decl_free(s);
    s = load_ok("repos.yaml", ANALYSIS "  prompt: p.prompt\n  schema: answer.schema.json\n"
                                       "  response_format: json_object\n");
    cr_expect_eq(s->analysis.response_format, FR_DECL_RESPONSE_JSON_OBJECT);
    fr_decl_free(s);
}

Test(decl, analysis_refusals)
{
    put("p.prompt", "Name {{name}}\nowner {{owner.login}}\n");
    load_bad("repos.yaml", ANALYSIS "  prompt: p.prompt\n",
             "repos.yaml:15:11: analysis.prompt: %s/p.prompt line 2: {{owner.login}}: "
             "'owner.login' is not a field (fields: name, stars)", dir);
    put("p.prompt", "Name {{name}} {{stars}}\n");
    load_bad("repos.yaml", ANALYSIS "  prompt: p.prompt\n  inputs: [name]\n",
             "repos.yaml:16:11: analysis.inputs: %s/p.prompt line 1: {{stars}}: not among "
             "analysis.inputs, so a change of it would not be analysed again", dir);
    load_bad("repos.yaml", ANALYSIS "  prompt: p.prompt\n  inputs: [name, forks]\n",
             "repos.yaml:16:11: analysis.inputs: 'forks' is not a field (fields: name, stars)");
    put("q.prompt", "one\ntwo {{name\n");
    load_bad("repos.yaml", ANALYSIS "  prompt: q.prompt\n",
             "repos.yaml:15:11: analysis.prompt: %s/q.prompt line 2: '{{' is not closed by "
             "'}}'", dir);
    load_bad("repos.yaml", ANALYSIS "  prompt: none.prompt\n",
             "repos.yaml:15:11: analysis.prompt: cannot read '%s/none.prompt': No such file or "
             "directory", dir);
    load_bad("repos.yaml", ANALYSIS "  prompt: p.prompt\n  response_format: json_schema\n",
             "repos.yaml:16:20: analysis.response_format: json_schema needs analysis.schema");
    put("list.schema.json", "{\"type\":\"array\"}");
    load_bad("repos.yaml", ANALYSIS "  prompt: p.prompt\n  schema: list.schema.json\n",
             "repos.yaml:16:11: analysis.schema: the answer is a JSON object: the schema's type "
             "must be \"object\"");
    load_bad("repos.yaml", ANALYSIS "  prompt: p.prompt\n  api_key: ${FR_T_UNSET}\n",
             "repos.yaml:16:12: analysis.api_key: environment variable FR_T_UNSET is not set");
    load_bad("repos.yaml", ANALYSIS "  prompt: p.prompt\n  timeout: 0s\n",
             "repos.yaml:16:12: analysis.timeout: must be between 1s and 10m (got '0s')");
}

Test(decl, keepa_holds_only_its_analysis)
{
    struct fr_decl_source *s;
    struct fr_buf b;

    put("deal.prompt", "{{title}} by {{brand}} at {{price_new}}, 90-day average "
                       "{{analysis.avg90}}, seller {{seller.name}}\n");
    s = load_ok("keepa.yaml", "analysis:\n  url: https://api.x.ai/v1\n  model: grok-4-fast\n"
                              "  api_key: ${FR_T_KEY}\n  prompt: deal.prompt\n");
    cr_expect(s->builtin);
    cr_expect_str_eq(s->name, "keepa");
    cr_expect_null(s->base_url);
    cr_expect_eq(s->analysis.ninputs, 5);
    fr_buf_init(&b, 0);
    fr_decl_describe(s, &b);
    cr_expect_not_null(strstr(fr_buf_str(&b), "built in; this file gives its analysis"));
    cr_expect_null(strstr(fr_buf_str(&b), "xai-k3y"));
    fr_buf_release(&b);
    fr_decl_free(s);
    s = load_ok("keepa.yaml", "name: keepa\nanalysis:\n  url: http://x\n  model: m\n"
                              "  prompt: deal.prompt\n  inputs: [title, brand, price_new, "
                              "analysis, seller]\n");
    fr_decl_free(s);

    load_bad("keepa.yaml", "base_url: http://x\nanalysis: {url: http://x, model: m, prompt: p}\n",
             "keepa.yaml:1:1: base_url: keepa is built in: its file may hold only name and "
             "analysis");
    load_bad("keepa.yaml", "name: keepa\n",
             "keepa.yaml:1:1: analysis: is required: keepa is built in, its file holds only its "
             "analysis");
    put("deal.prompt", "{{title}} {{analysis.avg91}}\n");
    load_bad("keepa.yaml", "analysis:\n  url: http://x\n  model: m\n  prompt: deal.prompt\n",
             "keepa.yaml:4:11: analysis.prompt: %s/deal.prompt line 1: {{analysis.avg91}}: "
             "'analysis.avg91' is not a field of the keepa payload", dir);
    put("deal.prompt", "{{title.x}}\n");
    load_bad("keepa.yaml", "analysis:\n  url: http://x\n  model: m\n  prompt: deal.prompt\n",
             "keepa.yaml:4:11: analysis.prompt: %s/deal.prompt line 1: {{title.x}}: 'title.x' is "
             "not a field of the keepa payload", dir);
}

Test(decl, loading_by_name_and_listing_a_directory)
{
    struct fr_decl_source *s;
    struct fr_error err = {0};
    char **paths, want[256];
    size_t n;

    put("repos.yaml", MIN);
    put("b.yaml", "x");
    put(".hidden.yaml", "x");
    put("c.yml", "x");
    put("notes.txt", "x");
    put(".yaml", "x");
    cr_assert_eq(fr_decl_list(dir, &paths, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 2);
    snprintf(want, sizeof(want), "%s/b.yaml", dir);
    cr_expect_str_eq(paths[0], want);
    snprintf(want, sizeof(want), "%s/repos.yaml", dir);
    cr_expect_str_eq(paths[1], want);
    fr_decl_list_free(paths, n);

    cr_assert_eq(fr_decl_load(dir, "repos", &s, &err), 0, "%s", err.msg);
    cr_expect_str_eq(s->name, "repos");
    fr_decl_free(s);
    cr_expect_eq(fr_decl_load(dir, "../etc", &s, &err), FR_ERR_USAGE);
    cr_expect_str_eq(err.msg, "source name '../etc' must be 1 to 32 characters of a-z, 0-9, "
                              "'_' and '-'");
    fr_error_clear(&err);
    cr_expect_eq(fr_decl_load(dir, "nothere", &s, &err), FR_ERR_USAGE);
    snprintf(want, sizeof(want), "cannot read '%s/nothere.yaml': No such file or directory", dir);
    cr_expect_str_eq(err.msg, want);
    fr_error_clear(&err);
    cr_expect_eq(fr_decl_list("/nonexistent-freshet", &paths, &n, &err), FR_ERR_USAGE);
    cr_expect_str_eq(err.msg, "cannot read directory '/nonexistent-freshet': No such file or "
                              "directory");
}

Test(decl, the_directory_comes_from_the_environment)
{
    unsetenv("FRESHET_SOURCES_DIR");
    cr_expect_str_eq(fr_decl_dir(), "/etc/freshet/sources");
    setenv("FRESHET_SOURCES_DIR", "", 1);
    cr_expect_str_eq(fr_decl_dir(), "/etc/freshet/sources");
    setenv("FRESHET_SOURCES_DIR", "/srv/sources", 1);
    cr_expect_str_eq(fr_decl_dir(), "/srv/sources");
}

/* The shipped examples (sources/) load, with their variables set to dummies. */
Test(decl, the_shipped_source_files_load)
{
    const char *root = getenv("FRESHET_ROOT");
    char sources[512];
    struct fr_error err = {0};
    char **paths;
    size_t n;

    snprintf(sources, sizeof(sources), "%s/sources", root ? root : ".");
    setenv("REPOS_BASE_URL", "http://127.0.0.1:8088", 1);
    setenv("REPOS_TOKEN", "test-token", 1);
    setenv("GITHUB_TOKEN", "dummy-github-token", 1);
    setenv("XAI_API_KEY", "dummy-xai-key", 1);
    setenv("REDDIT_TOKEN", "dummy-reddit-token", 1);
    setenv("COINGECKO_API_KEY", "dummy-coingecko-key", 1);
    cr_assert_eq(fr_decl_list(sources, &paths, &n, &err), 0, "%s (run from the repository root "
                 "or set FRESHET_ROOT)", err.msg);
    cr_expect_geq(n, 5);
    for (size_t i = 0; i < n; i++) {
        struct fr_decl_source *s;

        fr_error_clear(&err);
        cr_expect_eq(fr_decl_load_file(paths[i], &s, &err), 0, "%s", err.msg);
        fr_decl_free(s);
    }
    fr_decl_list_free(paths, n);
}
