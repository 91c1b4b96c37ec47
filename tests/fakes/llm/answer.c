/*
 * answer.c - content generation, max_tokens and the completion body, see answer.h.
 */
#include "answer.h"

#include "gen.h"

#include "tests/fakes/keepa/hash.h" /* fk_mix64 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes a token stands for, as fl_tokens_of counts them. */
#define BYTES_PER_TOKEN 4

/* Cuts a->content to max_tokens when it is longer, at a UTF-8 character boundary. */
static void apply_max_tokens(struct fl_answer *a, int64_t max_tokens)
{
    size_t len = strlen(a->content), cut;

    a->completion_tokens = fl_tokens_of(len);
    if (max_tokens <= 0 || a->completion_tokens <= max_tokens)
        return;
    cut = (size_t)max_tokens * BYTES_PER_TOKEN;
    while (cut > 0 && ((unsigned char)a->content[cut] & 0xc0) == 0x80)
        cut--;
    a->content[cut] = '\0';
    a->kind = FL_ANSWER_LENGTH;
    a->completion_tokens = max_tokens;
}

void fl_answer_build(struct fl_answer *a, const struct fl_request *r, const json_t *deal_schema,
                     enum fl_fault fault)
{
    const json_t *schema = r->schema ? r->schema : deal_schema;
    json_t *v = fault == FL_FAULT_SHAPE ? fl_gen_wrong(schema, r->prompt_hash)
                                        : fl_gen_answer(schema, r->prompt_hash);

    memset(a, 0, sizeof(*a));
    a->content = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(12));
    json_decref(v);
    if (a->content == NULL)
        abort(); /* jansson fails only when out of memory here */
    a->kind = fault == FL_FAULT_SHAPE ? FL_ANSWER_SHAPE : FL_ANSWER_VALID;
    if (fault == FL_FAULT_NONJSON) {
        char *text = fl_gen_nonjson(a->content, r->prompt_hash);
        free(a->content);
        a->content = text;
        a->kind = FL_ANSWER_NONJSON;
    }
    a->prompt_tokens = r->prompt_tokens;
    apply_max_tokens(a, r->max_tokens);
}

char *fl_answer_body(const struct fl_answer *a, const struct fl_request *r, uint64_t id_seed,
                     int64_t created)
{
    char id[40], *text;
    json_t *doc;

    snprintf(id, sizeof(id), "chatcmpl-%016llx", (unsigned long long)fk_mix64(id_seed));
    doc = json_pack("{s:s, s:s, s:I, s:s, s:s,"
                    " s:[{s:i, s:{s:s, s:s, s:n}, s:n, s:s}],"
                    " s:{s:I, s:I, s:I, s:{s:i}, s:{s:i}}}",
                    "id", id, "object", "chat.completion", "created", (json_int_t)created,
                    "model", r->model, "system_fingerprint", "fp_freshet_fake", "choices",
                    "index", 0, "message", "role", "assistant", "content", a->content,
                    "refusal", "logprobs", "finish_reason",
                    a->kind == FL_ANSWER_LENGTH ? "length" : "stop", "usage", "prompt_tokens",
                    (json_int_t)a->prompt_tokens, "completion_tokens",
                    (json_int_t)a->completion_tokens, "total_tokens",
                    (json_int_t)(a->prompt_tokens + a->completion_tokens),
                    "prompt_tokens_details", "cached_tokens", 0, "completion_tokens_details",
                    "reasoning_tokens", 0);
    if (doc == NULL)
        abort(); /* a bad format string or invalid UTF-8 content: a bug */
    text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    return text;
}

void fl_answer_release(struct fl_answer *a)
{
    free(a->content);
    a->content = NULL;
}
