/*
 * llm — see llm.h. (_XOPEN_SOURCE: strptime for HTTP dates.)
 */
#define _XOPEN_SOURCE 700
#include "common/llm.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/sha256.h"

const char fr_llm_system_message[] =
    "You analyse one record for a data pipeline. Answer with one JSON object that "
    "satisfies the requested schema, and nothing else: no prose, no markdown.";

/* A limit longer than a day is not a rate limit: refused rather than believed. */
#define MAX_DURATION_MS (86400LL * 1000)

static const json_t *content_of(const json_t *root)
{
    const json_t *choices = json_object_get(root, "choices");
    const json_t *msg = json_object_get(json_array_get(choices, 0), "message");

    return json_object_get(msg, "content");
}

static void read_usage(const json_t *root, struct fr_llm_usage *u)
{
    const json_t *usage = json_object_get(root, "usage");
    json_t *p = json_object_get(usage, "prompt_tokens");
    json_t *c = json_object_get(usage, "completion_tokens");

    if (json_is_integer(p) && json_integer_value(p) >= 0)
        u->prompt_tokens = json_integer_value(p);
    if (json_is_integer(c) && json_integer_value(c) >= 0)
        u->completion_tokens = json_integer_value(c);
}

int fr_llm_parse_answer(const char *body, size_t len, const struct fr_schema *schema,
                        json_t **answer, struct fr_llm_usage *usage, struct fr_error *err)
{
    json_error_t je;
    json_t *root, *obj;
    const json_t *content;
    struct fr_error why = {0};
    int verdict = FR_LLM_OK;

    *answer = NULL;
    memset(usage, 0, sizeof(*usage));
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(root)) {
        fr_error_set(err, FR_ERR_DATA, "answer is not a chat completion: %s",
                     root ? "not an object" : je.text);
        json_decref(root);
        return FR_LLM_ENVELOPE;
    }
    read_usage(root, usage);
    content = content_of(root);
    if (!json_is_string(content)) {
        fr_error_set(err, FR_ERR_DATA, "answer has no choices[0].message.content string");
        json_decref(root);
        return FR_LLM_ENVELOPE;
    }
    obj = json_loadb(json_string_value(content), json_string_length(content),
                     JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(obj)) {
        fr_error_set(err, FR_ERR_DATA, "content is not a JSON object: %s",
                     obj ? "another JSON value" : je.text);
        verdict = FR_LLM_NOT_JSON;
    } else if (schema != NULL && fr_schema_validate(schema, obj, &why) != 0) {
        fr_error_set(err, FR_ERR_DATA, "content fails the schema: %s", why.msg);
        verdict = FR_LLM_SCHEMA;
    }
    if (verdict == FR_LLM_OK)
        *answer = obj;
    else
        json_decref(obj);
    json_decref(root);
    return verdict;
}

char *fr_llm_request_body(const struct fr_decl_analysis *a, const char *user, size_t len)
{
    json_t *req = json_object(), *msgs = json_array(), *fmt = json_object();
    char *text;

    json_array_append_new(msgs, json_pack("{s:s, s:s}", "role", "system", "content",
                                          fr_llm_system_message));
    json_array_append_new(msgs, json_pack("{s:s, s:s%}", "role", "user", "content", user, len));
    json_object_set_new(req, "model", json_string(a->model));
    json_object_set_new(req, "messages", msgs);
    json_object_set_new(req, "temperature", json_integer(0));
    if (a->max_tokens > 0)
        json_object_set_new(req, "max_tokens", json_integer(a->max_tokens));
    if (a->response_format == FR_DECL_RESPONSE_JSON_SCHEMA && a->schema_json != NULL) {
        json_object_set_new(fmt, "type", json_string("json_schema"));
        json_object_set_new(fmt, "json_schema",
                            json_pack("{s:s, s:O, s:b}", "name", "analysis", "schema",
                                      a->schema_json, "strict", 1));
    } else {
        json_object_set_new(fmt, "type", json_string("json_object"));
    }
    json_object_set_new(req, "response_format", fmt);
    text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (text == NULL)
        abort(); /* only allocation fails here */
    return text;
}

/* Milliseconds per unit at s (advancing *s past it), or -1. */
static double unit_ms(const char **s)
{
    static const struct {
        const char *name;
        double ms;
    } units[] = {{"ms", 1}, {"us", 1e-3}, {"\xc2\xb5s", 1e-3}, {"ns", 1e-6},
                 {"h", 3600e3}, {"m", 60e3}, {"s", 1e3}};

    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        size_t n = strlen(units[i].name);
        if (strncmp(*s, units[i].name, n) == 0) {
            *s += n;
            return units[i].ms;
        }
    }
    return -1;
}

/* A decimal number at *s (digits, optional fraction); -1 when none. */
static double number(const char **s)
{
    const char *p = *s;
    double v = 0, scale = 1;
    int digits = 0;

    for (; isdigit((unsigned char)*p) && digits < 18; p++, digits++)
        v = v * 10 + (*p - '0');
    if (*p == '.') {
        for (p++; isdigit((unsigned char)*p); p++, digits++)
            if ((scale /= 10) > 1e-12)
                v += (*p - '0') * scale;
    }
    if (digits == 0 || isdigit((unsigned char)*p))
        return -1;
    *s = p;
    return v;
}

int fr_llm_duration_ms(const char *s, int64_t *ms)
{
    double total = 0;
    int parts = 0;

    if (s == NULL)
        return FR_ERR_DATA;
    while (*s == ' ')
        s++;
    while (*s != '\0' && *s != ' ') {
        double v = number(&s), per;
        if (v < 0)
            return FR_ERR_DATA;
        if (*s == '\0' || *s == ' ') {
            if (parts > 0)
                return FR_ERR_DATA; /* "1m30" */
            per = 1e3;              /* bare seconds */
        } else if ((per = unit_ms(&s)) < 0) {
            return FR_ERR_DATA;
        }
        total += v * per;
        parts++;
        if (total > (double)MAX_DURATION_MS)
            return FR_ERR_DATA;
    }
    while (*s == ' ')
        s++;
    if (parts == 0 || *s != '\0')
        return FR_ERR_DATA;
    *ms = (int64_t)ceil(total - 1e-9);
    return 0;
}

int fr_llm_retry_after_ms(const char *s, int64_t now_unix_ms, int64_t *ms)
{
    struct tm tm;
    const char *end;
    time_t t;

    if (s == NULL)
        return FR_ERR_DATA;
    if (isdigit((unsigned char)*s) || *s == '.') {
        const char *p = s;
        double v = number(&p);
        while (*p == ' ')
            p++;
        if (v < 0 || *p != '\0' || v * 1e3 > (double)MAX_DURATION_MS)
            return FR_ERR_DATA;
        *ms = (int64_t)ceil(v * 1e3 - 1e-9);
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == NULL || *end != '\0')
        return FR_ERR_DATA;
    t = timegm(&tm);
    if (t == (time_t)-1)
        return FR_ERR_DATA;
    *ms = (int64_t)t * 1000 - now_unix_ms;
    if (*ms < 0)
        *ms = 0;
    if (*ms > MAX_DURATION_MS)
        return FR_ERR_DATA;
    return 0;
}

static int64_t count_header(fr_llm_header_fn get, const void *arg, const char *name)
{
    const char *v = get(arg, name);
    char *end;
    long long n;

    if (v == NULL || !isdigit((unsigned char)*v))
        return -1;
    n = strtoll(v, &end, 10);
    return *end == '\0' && n >= 0 ? (int64_t)n : -1;
}

static int64_t duration_header(fr_llm_header_fn get, const void *arg, const char *name)
{
    int64_t ms;

    return fr_llm_duration_ms(get(arg, name), &ms) == 0 ? ms : -1;
}

void fr_llm_read_limits(fr_llm_header_fn get, const void *arg, int64_t now_unix_ms,
                        struct fr_llm_limits *out)
{
    int64_t ms;

    out->remaining_requests = count_header(get, arg, "x-ratelimit-remaining-requests");
    out->remaining_tokens = count_header(get, arg, "x-ratelimit-remaining-tokens");
    out->reset_requests_ms = duration_header(get, arg, "x-ratelimit-reset-requests");
    out->reset_tokens_ms = duration_header(get, arg, "x-ratelimit-reset-tokens");
    out->retry_after_ms = count_header(get, arg, "retry-after-ms");
    if (out->retry_after_ms < 0 &&
        fr_llm_retry_after_ms(get(arg, "retry-after"), now_unix_ms, &ms) == 0)
        out->retry_after_ms = ms;
}

void fr_llm_config_digest(const struct fr_decl_analysis *a, const char *prompt_text,
                          size_t prompt_len, char hex[65])
{
    struct fr_sha256 s;
    struct fr_buf schema;
    struct fr_error err = {0};
    const char *fmt = a->response_format == FR_DECL_RESPONSE_JSON_SCHEMA ? "json_schema"
                                                                          : "json_object";

    fr_buf_init(&schema, 0);
    if (a->schema_json != NULL)
        fr_json_dump_canonical(a->schema_json, &schema, &err);
    fr_sha256_init(&s);
    fr_sha256_update(&s, "freshet-llm-1", 14);
    fr_sha256_update(&s, a->model, strlen(a->model) + 1);
    fr_sha256_update(&s, fmt, strlen(fmt) + 1);
    fr_sha256_update(&s, fr_llm_system_message, sizeof(fr_llm_system_message));
    fr_sha256_update(&s, prompt_text, prompt_len);
    fr_sha256_update(&s, "", 1);
    fr_sha256_update(&s, schema.data ? schema.data : "", schema.len);
    fr_sha256_final_hex(&s, hex);
    fr_buf_release(&schema);
}

void fr_llm_input_hash(const char digest[65], const char *rendered, size_t len, char hex[65])
{
    struct fr_sha256 s;

    fr_sha256_init(&s);
    fr_sha256_update(&s, digest, 64);
    fr_sha256_update(&s, rendered, len);
    fr_sha256_final_hex(&s, hex);
}

int64_t fr_llm_estimate_tokens(const struct fr_decl_analysis *a, size_t user_len)
{
    size_t schema_len = 0;

    if (a->response_format == FR_DECL_RESPONSE_JSON_SCHEMA && a->schema_json != NULL) {
        char *t = json_dumps(a->schema_json, JSON_COMPACT);
        schema_len = t ? strlen(t) : 0;
        free(t);
    }
    return (int64_t)((sizeof(fr_llm_system_message) + user_len + schema_len + 3) / 4) + 12 +
           (a->max_tokens > 0 ? a->max_tokens : 256);
}
