/*
 * Fuzz target llm_answer: the parser of an LLM's chat completion (common/llm), which
 * reads whatever a provider, a proxy or a broken model sends. The input is the body;
 * the parser must return a verdict without crashing or leaking, hand out an answer
 * exactly when the verdict is OK (an object that the schema accepts), and give a reason
 * otherwise. The same bytes, as text, go to the rate-limit duration and Retry-After
 * parsers: an accepted value lies within a day.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/jsonschema.h"
#include "common/llm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *what, const char *detail)
{
    fprintf(stderr, "llm_answer: %s: %s\n", what, detail);
    abort();
}

static const struct fr_schema *schema(void)
{
    static struct fr_schema *s;
    struct fr_error err = {0};

    if (s == NULL &&
        fr_schema_parse("deal",
                        "{\"type\":\"object\",\"required\":[\"verdict\",\"score\",\"reason\"],"
                        "\"additionalProperties\":false,\"properties\":{"
                        "\"verdict\":{\"enum\":[\"buy\",\"wait\",\"skip\"]},"
                        "\"score\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":100},"
                        "\"reason\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":200}}}",
                        &s, &err) != 0)
        broken("schema", err.msg);
    return s;
}

static void durations(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    int64_t ms = -1;

    memcpy(text, data, size);
    text[size] = '\0';
    if (fr_llm_duration_ms(text, &ms) == 0 && (ms < 0 || ms > 86400000))
        broken("duration out of range", text);
    ms = -1;
    if (fr_llm_retry_after_ms(text, 1700000000000LL, &ms) == 0 && (ms < 0 || ms > 86400000))
        broken("retry-after out of range", text);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int pass = 0; pass < 2; pass++) {
        const struct fr_schema *s = pass == 0 ? schema() : NULL;
        json_t *answer = (json_t *)1;
        struct fr_llm_usage u;
        struct fr_error err = {0};
        int v = fr_llm_parse_answer((const char *)data, size, s, &answer, &u, &err);

        if (v == FR_LLM_OK) {
            struct fr_error e2 = {0};
            if (!json_is_object(answer))
                broken("OK without an object", "");
            if (s != NULL && fr_schema_validate(s, answer, &e2) != 0)
                broken("OK but the schema refuses it", e2.msg);
            json_decref(answer);
        } else {
            if (answer != NULL)
                broken("an answer handed out with a refusal", err.msg);
            if (v != FR_LLM_ENVELOPE && v != FR_LLM_NOT_JSON && v != FR_LLM_SCHEMA)
                broken("unknown verdict", "");
            if (err.msg[0] == '\0')
                broken("a refusal without a reason", "");
        }
        if (u.prompt_tokens < 0 || u.completion_tokens < 0)
            broken("negative usage", "");
    }
    durations(data, size);
    return 0;
}
