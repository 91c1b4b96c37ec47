/*
 * request.c - checks of a chat-completions body, in OpenAI's words, see request.h.
 */
#include "request.h"

#include "gen.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Tokens OpenAI adds per message, and once for the reply's priming. */
#define TOKENS_PER_MESSAGE 4
#define TOKENS_PER_REPLY 3

static const char *const roles[] = {"system", "developer", "user", "assistant", "tool",
                                    "function"};

int64_t fl_tokens_of(size_t n)
{
    return (int64_t)((n + 3) / 4);
}

__attribute__((format(printf, 3, 4))) static int refuse(struct fl_request_error *e,
                                                       const char *param, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
    snprintf(e->param, sizeof(e->param), "%s", param ? param : "");
    e->param_name = param ? e->param : NULL;
    return -1;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a decimal";
    case JSON_NULL:
        return "null";
    default:
        return "a boolean";
    }
}

/* Whether s holds the word "json" in any case, as OpenAI's json_object mode requires. */
static int mentions_json(const char *s)
{
    for (; *s != '\0'; s++) {
        if (strncasecmp(s, "json", 4) == 0)
            return 1;
    }
    return 0;
}

/*
 * Reads one message's text: a string, or the concatenated text of its parts.
 * Feeds *hash when the message is the user's; adds its tokens and notes a "json".
 */
static int read_content(struct fl_request *r, const json_t *m, size_t idx, int *says_json,
                        struct fl_request_error *e)
{
    json_t *c = json_object_get(m, "content");
    const json_t *part;
    int user = strcmp(json_string_value(json_object_get(m, "role")), "user") == 0;
    char param[64];
    size_t i, bytes = 0;

    snprintf(param, sizeof(param), "messages[%zu].content", idx);
    if (json_is_string(c)) {
        c = json_pack("[{ss}]", "text", json_string_value(c));
    } else if (json_is_array(c)) {
        json_incref(c);
    } else {
        return refuse(e, param, "Invalid type for '%s': expected one of a string or array of "
                                "objects, but got %s instead.", param, json_type_name(c));
    }
    json_array_foreach(c, i, part) {
        const char *text = json_string_value(json_object_get(part, "text"));
        if (text == NULL) {
            json_decref(c);
            return refuse(e, param, "Invalid '%s[%zu]': only parts of type 'text' with a "
                                    "string 'text' are supported.", param, i);
        }
        bytes += strlen(text);
        *says_json |= mentions_json(text);
        if (user)
            r->prompt_hash = fl_hash_bytes(text, strlen(text) + 1, r->prompt_hash);
    }
    json_decref(c);
    r->prompt_tokens += TOKENS_PER_MESSAGE + fl_tokens_of(bytes);
    return 0;
}

static int read_messages(struct fl_request *r, int *says_json, struct fl_request_error *e)
{
    const json_t *msgs = json_object_get(r->root, "messages"), *m;
    size_t i;

    if (msgs == NULL)
        return refuse(e, "messages", "Missing required parameter: 'messages'.");
    if (!json_is_array(msgs) || json_array_size(msgs) == 0)
        return refuse(e, "messages", "Invalid 'messages': expected a non-empty array of "
                                     "messages.");
    json_array_foreach(msgs, i, m) {
        const char *role = json_string_value(json_object_get(m, "role"));
        size_t k = 0;
        char param[64];
        while (role != NULL && k < sizeof(roles) / sizeof(roles[0]) && strcmp(role, roles[k]))
            k++;
        snprintf(param, sizeof(param), "messages[%zu].role", i);
        if (role == NULL || k == sizeof(roles) / sizeof(roles[0]))
            return refuse(e, param, "Invalid value for '%s': supported values are 'system', "
                                    "'developer', 'user', 'assistant', 'tool' and 'function'.",
                          param);
        if (read_content(r, m, i, says_json, e) < 0)
            return -1;
    }
    r->prompt_tokens += TOKENS_PER_REPLY;
    return 0;
}

/* Reads response_format.json_schema: a name, and a schema whose root is an object. */
static int read_json_schema(struct fl_request *r, const json_t *fmt, struct fl_request_error *e)
{
    const json_t *js = json_object_get(fmt, "json_schema");
    const char *name = json_string_value(json_object_get(js, "name"));
    const json_t *schema = json_object_get(js, "schema"), *type;
    char *text;

    if (!json_is_object(js))
        return refuse(e, "response_format.json_schema",
                      "Missing required parameter: 'response_format.json_schema'.");
    if (name == NULL || name[0] == '\0' || strlen(name) > 64)
        return refuse(e, "response_format.json_schema.name",
                      "Missing required parameter: 'response_format.json_schema.name' (a "
                      "string of 1 to 64 characters).");
    if (schema == NULL)
        return 0; /* no schema: the default deal analysis is answered */
    type = json_object_get(schema, "type");
    if (!json_is_object(schema) || !json_is_string(type) ||
        strcmp(json_string_value(type), "object") != 0)
        return refuse(e, "response_format", "Invalid schema for response_format '%.64s': schema "
                                            "must be a JSON Schema of 'type: \"object\"'.", name);
    r->schema = schema;
    text = json_dumps(schema, JSON_COMPACT);
    r->prompt_tokens += fl_tokens_of(text ? strlen(text) : 0);
    free(text);
    return 0;
}

static int read_format(struct fl_request *r, int says_json, struct fl_request_error *e)
{
    const json_t *fmt = json_object_get(r->root, "response_format");
    const char *type = json_string_value(json_object_get(fmt, "type"));

    if (fmt == NULL || json_is_null(fmt))
        return 0;
    if (type == NULL || (strcmp(type, "text") && strcmp(type, "json_object") &&
                         strcmp(type, "json_schema")))
        return refuse(e, "response_format.type", "Invalid value for 'response_format.type': "
                                                 "supported values are 'json_object', "
                                                 "'json_schema' and 'text'.");
    if (strcmp(type, "json_object") == 0) {
        r->format = FL_FORMAT_JSON_OBJECT;
        if (!says_json)
            return refuse(e, "messages", "'messages' must contain the word 'json' in some "
                                         "form, to use 'response_format' of type "
                                         "'json_object'.");
    } else if (strcmp(type, "json_schema") == 0) {
        r->format = FL_FORMAT_JSON_SCHEMA;
        return read_json_schema(r, fmt, e);
    }
    return 0;
}

/* Reads the optional numeric and switch members. */
static int read_options(struct fl_request *r, struct fl_request_error *e)
{
    static const char *const limits[] = {"max_completion_tokens", "max_tokens"};
    const json_t *t = json_object_get(r->root, "temperature"), *n = json_object_get(r->root, "n");

    for (size_t i = 0; i < 2; i++) {
        const json_t *v = json_object_get(r->root, limits[i]);
        if (v == NULL || json_is_null(v) || r->max_tokens > 0)
            continue;
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return refuse(e, limits[i], "Invalid '%s': expected an integer >= 1.", limits[i]);
        r->max_tokens = json_integer_value(v);
    }
    if (t != NULL && !json_is_null(t) &&
        (!json_is_number(t) || json_number_value(t) < 0 || json_number_value(t) > 2))
        return refuse(e, "temperature", "Invalid 'temperature': expected a number from 0 to 2.");
    if (json_is_true(json_object_get(r->root, "stream")))
        return refuse(e, "stream", "'stream': true is not supported by this fake server.");
    if (n != NULL && !json_is_null(n) && json_integer_value(n) != 1)
        return refuse(e, "n", "'n' other than 1 is not supported by this fake server.");
    return 0;
}

int fl_request_parse(struct fl_request *r, const char *body, size_t len,
                     struct fl_request_error *e)
{
    json_error_t jerr;
    const json_t *model;
    int says_json = 0;

    memset(r, 0, sizeof(*r));
    r->prompt_hash = FL_HASH_INIT;
    r->root = json_loadb(body, len, 0, &jerr);
    if (!json_is_object(r->root)) {
        fl_request_release(r);
        return refuse(e, NULL, "We could not parse the JSON body of your request (%s at "
                               "byte %d). The API expects a JSON object.",
                      jerr.text[0] ? jerr.text : "not an object", jerr.position);
    }
    model = json_object_get(r->root, "model");
    r->model = json_string_value(model);
    if (r->model == NULL || r->model[0] == '\0') {
        fl_request_release(r);
        return refuse(e, "model", "you must provide a model parameter");
    }
    if (read_messages(r, &says_json, e) < 0 || read_format(r, says_json, e) < 0 ||
        read_options(r, e) < 0) {
        fl_request_release(r);
        return -1;
    }
    return 0;
}

void fl_request_release(struct fl_request *r)
{
    json_decref(r->root);
    memset(r, 0, sizeof(*r));
}
