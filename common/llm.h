/*
 * llm — the pure parts of the LLM analysis call (DESIGN.md "LLM analysis"), kept apart
 * from the processor's event loop so they are unit-tested and fuzzed: the request body
 * of an OpenAI-compatible POST <url>/chat/completions, the parsing of its answer, the
 * x-ratelimit-* durations ("17ms", "1s", "6m0s") and the input hash an answer is paid
 * and cached under.
 *
 * Ownership: returned strings and json_t are new (free / json_decref); arguments are
 * borrowed.
 */
#ifndef FR_LLM_H
#define FR_LLM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "common/jsonschema.h"
#include "common/sources/decl_config.h"

/* The fixed system message: it names JSON, as json_object mode requires. */
extern const char fr_llm_system_message[];

/* The largest answer body read (a chat completion of max_tokens is far smaller). */
#define FR_LLM_MAX_BODY (1024 * 1024)

/* What an answer was. A reply the model got wrong (NOT_JSON, SCHEMA) is retried at most
 * twice; an ENVELOPE failure (not a chat completion at all) is the server's fault and is
 * retried with backoff like a 5xx. */
enum fr_llm_verdict {
    FR_LLM_OK = 0,
    FR_LLM_ENVELOPE, /* the body is not a chat completion with choices[0].message.content */
    FR_LLM_NOT_JSON, /* content is not a JSON object */
    FR_LLM_SCHEMA,   /* content is a JSON object failing the schema */
};

struct fr_llm_usage {
    int64_t prompt_tokens, completion_tokens; /* 0 when the answer does not say */
};

/*
 * Parses a chat completion body[0..len): choices[0].message.content must be a JSON
 * object that satisfies schema (NULL: any object). Returns the verdict; on FR_LLM_OK
 * *answer is new, otherwise NULL and err says why in one line. usage is filled whenever
 * the envelope carries it (a refused answer was paid for too).
 */
int fr_llm_parse_answer(const char *body, size_t len, const struct fr_schema *schema,
                        json_t **answer, struct fr_llm_usage *usage, struct fr_error *err);

/* The request body (compact JSON text, new): model, the system message, user[0..len) as
 * the user message, temperature 0, max_tokens when given, and response_format json_schema
 * (with a's schema, strict) or json_object. */
char *fr_llm_request_body(const struct fr_decl_analysis *a, const char *user, size_t len);

/* A rate-limit duration: Go's form as OpenAI and xAI write it ("17ms", "1.5s", "6m0s",
 * "1h2m3s", "250us"), or bare seconds ("2", "0.5"). 0 with *ms rounded up to whole
 * milliseconds, or FR_ERR_DATA. */
int fr_llm_duration_ms(const char *s, int64_t *ms);

/* Retry-After: delay seconds (fractions allowed) or an HTTP date (IMF-fixdate) relative
 * to now_unix_ms. 0 with *ms >= 0, or FR_ERR_DATA. */
int fr_llm_retry_after_ms(const char *s, int64_t now_unix_ms, int64_t *ms);

/* What an answer's headers say about the limits; -1 for each one absent or unreadable. */
struct fr_llm_limits {
    int64_t remaining_requests, remaining_tokens;
    int64_t reset_requests_ms, reset_tokens_ms;
    int64_t retry_after_ms; /* retry-after-ms, else Retry-After */
};
typedef const char *(*fr_llm_header_fn)(const void *arg, const char *name);
void fr_llm_read_limits(fr_llm_header_fn get, const void *arg, int64_t now_unix_ms,
                        struct fr_llm_limits *out);

/* The digest of what every call of a source shares: model, response format, system
 * message, the prompt file's text and the schema (canonical). Changing any of them
 * changes every input hash, so a new prompt is paid for once per record. */
void fr_llm_config_digest(const struct fr_decl_analysis *a, const char *prompt_text,
                          size_t prompt_len, char hex[65]);
/* The input hash of one call: SHA-256 of the config digest and the rendered prompt. */
void fr_llm_input_hash(const char digest[65], const char *rendered, size_t len, char hex[65]);

/* A rough token count of a call (about one per 4 bytes of the messages, plus
 * max_tokens or 256 for the answer), reserved from tokens_per_minute before sending. */
int64_t fr_llm_estimate_tokens(const struct fr_decl_analysis *a, size_t user_len);

#endif
