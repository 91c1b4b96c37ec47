/*
 * Unit tests: the LLM analysis's pure parts (common/llm, common/sha256) — the
 * x-ratelimit-* duration parser, Retry-After, the header reading, the answer parser
 * (verdicts, reasons, usage), the request body, the input hash and SHA-256's FIPS
 * 180-4 examples.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "common/llm.h"
#include "common/sha256.h"

static int64_t dur(const char *s)
{
    int64_t ms = -42;

    cr_assert_eq(fr_llm_duration_ms(s, &ms), 0, "'%s' refused", s);
    return ms;
}

Test(llm, durations_as_openai_and_xai_write_them)
{
    cr_expect_eq(dur("17ms"), 17);
    cr_expect_eq(dur("1s"), 1000);
    cr_expect_eq(dur("0s"), 0);
    cr_expect_eq(dur("1.5s"), 1500);
    cr_expect_eq(dur("6m0s"), 360000);
    cr_expect_eq(dur("1h2m3s"), 3723000);
    cr_expect_eq(dur("6m12.345s"), 372345);
    cr_expect_eq(dur("250us"), 1);   /* rounded up: never wait too little */
    cr_expect_eq(dur("999ns"), 1);
    cr_expect_eq(dur("2\xc2\xb5s"), 1, "micro sign");
}

Test(llm, bare_seconds_and_spaces)
{
    cr_expect_eq(dur("2"), 2000);
    cr_expect_eq(dur("0.25"), 250);
    cr_expect_eq(dur(" 3s "), 3000);
}

Test(llm, bad_durations_refused)
{
    static const char *const bad[] = {"", " ", "s", "1x", "1m30", "-1s", "1.s.", "ms",
                                      "1 s", "2d", "99999999999h", "1e3s", "0x10s", "1s2"};
    int64_t ms = 7;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_neq(fr_llm_duration_ms(bad[i], &ms), 0, "'%s' accepted", bad[i]);
    cr_expect_neq(fr_llm_duration_ms(NULL, &ms), 0);
    cr_expect_eq(ms, 7, "a refused duration leaves *ms alone");
}

Test(llm, retry_after_seconds_and_dates)
{
    int64_t ms = -1;

    cr_expect_eq(fr_llm_retry_after_ms("2", 0, &ms), 0);
    cr_expect_eq(ms, 2000);
    cr_expect_eq(fr_llm_retry_after_ms("0.5", 0, &ms), 0);
    cr_expect_eq(ms, 500);
    /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
    cr_expect_eq(fr_llm_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111770000LL, &ms), 0);
    cr_expect_eq(ms, 7000);
    cr_expect_eq(fr_llm_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111790000LL, &ms), 0);
    cr_expect_eq(ms, 0, "a date in the past is no wait");
    cr_expect_neq(fr_llm_retry_after_ms("soon", 0, &ms), 0);
    cr_expect_neq(fr_llm_retry_after_ms("-3", 0, &ms), 0);
    cr_expect_neq(fr_llm_retry_after_ms(NULL, 0, &ms), 0);
}

static const char *headers(const void *arg, const char *name)
{
    const char *const *kv = arg;

    for (; kv[0] != NULL; kv += 2)
        if (strcasecmp(kv[0], name) == 0)
            return kv[1];
    return NULL;
}

Test(llm, limits_from_headers)
{
    const char *const h[] = {"x-ratelimit-remaining-requests", "59",
                             "x-ratelimit-remaining-tokens", "0",
                             "x-ratelimit-reset-requests", "1s",
                             "x-ratelimit-reset-tokens", "6m0s",
                             "retry-after", "3", NULL};
    const char *const h2[] = {"x-ratelimit-remaining-requests", "many", "retry-after-ms", "1500",
                              "retry-after", "9", NULL};
    struct fr_llm_limits l;

    fr_llm_read_limits(headers, h, 0, &l);
    cr_expect_eq(l.remaining_requests, 59);
    cr_expect_eq(l.remaining_tokens, 0);
    cr_expect_eq(l.reset_requests_ms, 1000);
    cr_expect_eq(l.reset_tokens_ms, 360000);
    cr_expect_eq(l.retry_after_ms, 3000);
    fr_llm_read_limits(headers, h2, 0, &l);
    cr_expect_eq(l.remaining_requests, -1, "unreadable: unknown");
    cr_expect_eq(l.remaining_tokens, -1);
    cr_expect_eq(l.reset_requests_ms, -1);
    cr_expect_eq(l.retry_after_ms, 1500, "retry-after-ms wins");
}

static struct fr_schema *deal_schema(void)
{
    struct fr_schema *s = NULL;
    struct fr_error err = {0};

    cr_assert_eq(fr_schema_parse("deal",
                                 "{\"type\":\"object\",\"required\":[\"verdict\",\"score\"],"
                                 "\"additionalProperties\":false,\"properties\":{"
                                 "\"verdict\":{\"enum\":[\"buy\",\"wait\",\"skip\"]},"
                                 "\"score\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":100}}}",
                                 &s, &err),
                 0, "%s", err.msg);
    return s;
}

/* A chat completion whose content is `content` (JSON string text, quotes included). */
static int parse(const char *content, json_t **answer, struct fr_llm_usage *u, char *why)
{
    char body[1024];
    struct fr_schema *s = deal_schema();
    struct fr_error err = {0};
    int v;

    snprintf(body, sizeof(body),
             "{\"id\":\"x\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,"
             "\"message\":{\"role\":\"assistant\",\"content\":%s},\"finish_reason\":\"stop\"}],"
             "\"usage\":{\"prompt_tokens\":120,\"completion_tokens\":17,\"total_tokens\":137}}",
             content);
    v = fr_llm_parse_answer(body, strlen(body), s, answer, u, &err);
    strcpy(why, err.msg);
    fr_schema_free(s);
    return v;
}

Test(llm, a_valid_answer)
{
    json_t *a = NULL;
    struct fr_llm_usage u;
    char why[FR_ERROR_MSG_MAX];

    cr_assert_eq(parse("\"{\\\"verdict\\\":\\\"buy\\\",\\\"score\\\":91}\"", &a, &u, why), FR_LLM_OK,
                 "%s", why);
    cr_expect_str_eq(json_string_value(json_object_get(a, "verdict")), "buy");
    cr_expect_eq(u.prompt_tokens, 120);
    cr_expect_eq(u.completion_tokens, 17);
    json_decref(a);
}

Test(llm, answers_refused_with_their_reason)
{
    json_t *a = (void *)1;
    struct fr_llm_usage u;
    char why[FR_ERROR_MSG_MAX];

    cr_expect_eq(parse("\"Sure! {\\\"verdict\\\":\\\"buy\\\"}\"", &a, &u, why), FR_LLM_NOT_JSON);
    cr_expect_null(a);
    cr_expect(strncmp(why, "content is not a JSON object", 28) == 0, "%s", why);
    cr_expect_eq(u.completion_tokens, 17, "a refused answer was paid for too");
    cr_expect_eq(parse("\"```json\\n{}\\n```\"", &a, &u, why), FR_LLM_NOT_JSON);
    cr_expect_eq(parse("\"[1,2]\"", &a, &u, why), FR_LLM_NOT_JSON);
    cr_expect_eq(parse("\"{\\\"verdict\\\":\\\"buy\\\",\\\"verdict\\\":\\\"wait\\\",\\\"score\\\":1}\"",
                       &a, &u, why), FR_LLM_NOT_JSON, "duplicate keys are not trusted");
    cr_expect_eq(parse("\"{\\\"verdict\\\":\\\"maybe\\\",\\\"score\\\":1}\"", &a, &u, why),
                 FR_LLM_SCHEMA);
    cr_expect(strstr(why, "content fails the schema: /verdict") == why, "%s", why);
    cr_expect_eq(parse("\"{\\\"verdict\\\":\\\"buy\\\",\\\"score\\\":101}\"", &a, &u, why),
                 FR_LLM_SCHEMA);
    cr_expect_eq(parse("null", &a, &u, why), FR_LLM_ENVELOPE, "no content: the server's fault");
    cr_expect_eq(parse("{}", &a, &u, why), FR_LLM_ENVELOPE);
}

Test(llm, envelopes_refused)
{
    static const char *const bad[] = {"", "not json", "[]", "{\"choices\":[]}",
                                      "{\"choices\":[{\"message\":{}}]}",
                                      "{\"error\":{\"message\":\"overloaded\"}}"};
    json_t *a = NULL;
    struct fr_llm_usage u;
    struct fr_error err = {0};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&err, 0, sizeof(err));
        cr_expect_eq(fr_llm_parse_answer(bad[i], strlen(bad[i]), NULL, &a, &u, &err),
                     FR_LLM_ENVELOPE, "'%s'", bad[i]);
        cr_expect_neq(err.msg[0], '\0');
        cr_expect_null(a);
    }
}

Test(llm, request_body)
{
    struct fr_decl_analysis a = {0};
    json_t *req, *fmt;
    char *text;

    a.model = (char *)"grok-4-fast";
    a.max_tokens = 400;
    a.response_format = FR_DECL_RESPONSE_JSON_SCHEMA;
    a.schema_json = json_pack("{s:s}", "type", "object");
    text = fr_llm_request_body(&a, "Is it a deal?", 13);
    req = json_loads(text, 0, NULL);
    cr_assert_not_null(req);
    cr_expect_str_eq(json_string_value(json_object_get(req, "model")), "grok-4-fast");
    cr_expect_eq(json_integer_value(json_object_get(req, "max_tokens")), 400);
    cr_expect_eq(json_integer_value(json_object_get(req, "temperature")), 0);
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(req, "messages"), 1), "content")),
                     "Is it a deal?");
    fmt = json_object_get(req, "response_format");
    cr_expect_str_eq(json_string_value(json_object_get(fmt, "type")), "json_schema");
    cr_expect(json_is_true(json_object_get(json_object_get(fmt, "json_schema"), "strict")));
    json_decref(req);
    free(text);
    a.response_format = FR_DECL_RESPONSE_JSON_OBJECT;
    text = fr_llm_request_body(&a, "x", 1);
    cr_expect(strstr(text, "\"response_format\":{\"type\":\"json_object\"}") != NULL, "%s", text);
    cr_expect(strstr(fr_llm_system_message, "JSON") != NULL, "json_object needs the word");
    free(text);
    json_decref(a.schema_json);
}

Test(llm, input_hash_depends_on_everything_asked)
{
    struct fr_decl_analysis a = {0};
    char d1[65], d2[65], d3[65], h1[65], h2[65], h3[65];

    a.model = (char *)"m1";
    a.response_format = FR_DECL_RESPONSE_JSON_OBJECT;
    fr_llm_config_digest(&a, "prompt {{x}}", 12, d1);
    fr_llm_config_digest(&a, "prompt {{y}}", 12, d2);
    a.model = (char *)"m2";
    fr_llm_config_digest(&a, "prompt {{x}}", 12, d3);
    cr_expect_str_neq(d1, d2, "another prompt file");
    cr_expect_str_neq(d1, d3, "another model");
    fr_llm_input_hash(d1, "prompt 1", 8, h1);
    fr_llm_input_hash(d1, "prompt 2", 8, h2);
    fr_llm_input_hash(d1, "prompt 1", 8, h3);
    cr_expect_str_neq(h1, h2);
    cr_expect_str_eq(h1, h3, "the same inputs, the same hash");
    cr_expect_eq(strlen(h1), 64);
}

static void sha(const char *in, size_t n, const char *want)
{
    struct fr_sha256 s;
    char hex[65];

    fr_sha256_init(&s);
    for (size_t i = 0; i < n; i++) /* byte by byte: the block boundaries are exercised */
        fr_sha256_update(&s, in + i, 1);
    fr_sha256_final_hex(&s, hex);
    cr_expect_str_eq(hex, want, "sha256 of %zu bytes", n);
}

Test(llm, sha256_fips_examples)
{
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    static char million[1000001];

    sha("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha(m448, strlen(m448), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    memset(million, 'a', 1000000);
    sha(million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
