/*
 * request.h - reading and checking a chat-completions request body.
 *
 * Accepted: {model, messages:[{role, content}], response_format, max_tokens
 * or max_completion_tokens, temperature, and members the fake ignores}.
 * content is a string or a list of {type:"text", text} parts. A request that
 * OpenAI would refuse is refused the same way: 400 with the message and the
 * offending parameter (see fl_request_parse). Tokens are counted about as
 * OpenAI counts them, one per 4 bytes: each message costs 4 plus its text,
 * the reply 3 more, and a json_schema its compact text.
 */
#ifndef FL_REQUEST_H
#define FL_REQUEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum fl_format {
    FL_FORMAT_TEXT,        /* no response_format, or type "text" */
    FL_FORMAT_JSON_OBJECT, /* type "json_object" */
    FL_FORMAT_JSON_SCHEMA, /* type "json_schema" */
};

struct fl_request {
    json_t *root;         /* owned */
    const char *model;    /* borrowed from root */
    enum fl_format format;
    const json_t *schema; /* borrowed from root; NULL unless the request carries one */
    int64_t max_tokens;   /* 0: none */
    uint64_t prompt_hash; /* of the user messages' text, in order */
    int64_t prompt_tokens;
};

/* Why a request was refused: OpenAI's error message and its param (NULL: none). */
struct fl_request_error {
    char message[512];
    const char *param_name; /* static, or points into param */
    char param[64];
};

/*
 * Parses body into r. Returns 0, or -1 with e filled (r then holds nothing to
 * release). On success release r with fl_request_release.
 */
int fl_request_parse(struct fl_request *r, const char *body, size_t len,
                     struct fl_request_error *e);

void fl_request_release(struct fl_request *r);

/* Tokens of a text of n bytes: one per 4 bytes, rounded up. */
int64_t fl_tokens_of(size_t n);

#endif
