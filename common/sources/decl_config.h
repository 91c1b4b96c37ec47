/*
 * decl_config — the source file of a declared source (DESIGN.md "Sources" and "LLM
 * analysis"): reads <name>.yaml with libyaml into an immutable struct fr_decl_source,
 * checking every key, so a process that starts with it has nothing left to doubt.
 *
 * Keys (required ones marked *; a file for a built-in source such as keepa.yaml may hold
 * only name and analysis*):
 *   name*            [a-z0-9_-]{1,32}, equal to the file name without .yaml
 *   base_url*        http(s) URL; ${VAR} expanded
 *   headers          map of header name -> value; ${VAR} expanded; values are secrets
 *   budget           requests_per_minute, remaining_header, reset_header,
 *                    reset_format (epoch | seconds | duration; required with reset_header)
 *   discover         path*, params (map), pagination {type* page|offset|cursor|link,
 *                    param (page, offset, cursor: required), start (page: default 1,
 *                    offset: default 0), from (cursor: required path)}, records*, id*,
 *                    signal, interval (duration). Without pagination one request a pass.
 *   detail*          path* (may hold {id}: then max_ids must be 1, its default), params
 *                    (map; a key DESIGN.md does not name yet: the fixed query of the
 *                    detail request), ids_param (required without {id}, refused with
 *                    it), ids_separator (default ","; refused with {id}), max_ids
 *                    (1..1000; required with ids_param), records*, id*
 *   fields*          ordered map name -> path; names [A-Za-z_][A-Za-z0-9_]{0,63}, not
 *                    llm, llm_model, llm_at or llm_error (the analysis writes those)
 *   history          list of names of fields
 *   schema           JSON Schema file (relative to the source file) every payload meets
 *   analysis         url*, model*, api_key (${VAR}; secret), prompt* (file), inputs
 *                    (fields; default: the fields the prompt names), schema (file),
 *                    requests_per_minute, tokens_per_minute, max_tokens, timeout (default
 *                    60s), concurrency (default 8), response_format (json_schema, the
 *                    default with a schema, or json_object, the default without)
 * Paths (discover.path, detail.path) start with '/' and carry no query: parameters go
 * under params, whose values are sent as written (URL-encoded by the request builder).
 * ${VAR} is expanded in base_url, headers, analysis.url and analysis.api_key (a lone '$'
 * is literal); an unset or empty VAR is an error. Paths use common/jsonpath.h. A prompt
 * placeholder ({{field}}, {{a.b}}, see common/prompt.h) must name a field of `fields`
 * (its first segment) and be among `inputs`; for a built-in source, whose payload is
 * made by code, the source's own has_field hook (common/sources/builtin.h) decides.
 *
 * Every error is FR_ERR_USAGE with one line "FILE:LINE:COLUMN: KEY: REASON" (KEY dotted,
 * e.g. discover.pagination.type; LINE:COLUMN left out when there is no place in the file
 * to point at), or "FILE:LINE:COLUMN: YAML syntax: REASON" for a malformed file: a binary
 * prints it and exits 2. Refused besides what the keys say: unknown keys anywhere, a key
 * given twice, anchors and aliases, more than one YAML document, files over 1 MiB.
 *
 * Ownership: fr_decl_load*() and fr_decl_parse() return a new struct fr_decl_source that
 * owns every string, path, schema and prompt it points at; fr_decl_free() releases it
 * all. The struct is not changed after loading and may be shared by threads.
 */
#ifndef FR_DECL_CONFIG_H
#define FR_DECL_CONFIG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/jsonpath.h"
#include "common/jsonschema.h"
#include "common/prompt.h"

#define FR_DECL_DEFAULT_DIR "/etc/freshet/sources"
#define FR_DECL_MAX_FILE (1024 * 1024)  /* a source file or schema */
#define FR_DECL_MAX_PROMPT (64 * 1024)  /* a prompt template */
#define FR_DECL_MAX_IDS 1000            /* detail.max_ids */

enum fr_decl_reset {
    FR_DECL_RESET_NONE = 0,  /* no reset_header */
    FR_DECL_RESET_EPOCH,     /* unix seconds when the window resets */
    FR_DECL_RESET_SECONDS,   /* seconds from now */
    FR_DECL_RESET_DURATION,  /* a duration from now: "6m0s", "17ms", "1.5s" */
};

enum fr_decl_paging {
    FR_DECL_PAGING_NONE = 0, /* one request a pass */
    FR_DECL_PAGING_PAGE,     /* param = start, start + 1, ... */
    FR_DECL_PAGING_OFFSET,   /* param = start, advanced by the records received */
    FR_DECL_PAGING_CURSOR,   /* param = the value at `from` in the previous answer */
    FR_DECL_PAGING_LINK,     /* the URL of the Link header's rel="next" */
};

enum fr_decl_response {
    FR_DECL_RESPONSE_JSON_SCHEMA = 1, /* response_format {type: json_schema, ...} */
    FR_DECL_RESPONSE_JSON_OBJECT,     /* response_format {type: json_object} */
};

struct fr_decl_pair {
    char *name;
    char *value;
};

struct fr_decl_header {
    char *name;
    char *value; /* expanded: a secret, never printed */
    char *vars;  /* the ${VAR}s it was made from, "${A}, ${B}" (printable); NULL when none */
};

struct fr_decl_field {
    char *name;
    struct fr_jpath *path;
};

struct fr_decl_budget {
    int64_t requests_per_minute; /* 0: not given */
    char *remaining_header;      /* NULL: not given */
    char *reset_header;          /* NULL: not given */
    int reset_format;            /* enum fr_decl_reset */
};

struct fr_decl_pagination {
    int type;    /* enum fr_decl_paging */
    char *param; /* NULL for none and link */
    int64_t start;
    struct fr_jpath *from; /* cursor only */
};

struct fr_decl_discover {
    int present;
    char *path;
    struct fr_decl_pair *params;
    size_t nparams;
    struct fr_decl_pagination pagination;
    struct fr_jpath *records, *id;
    struct fr_jpath *signal; /* NULL: none */
    int64_t interval_ms;     /* 0: FRESHET_SCOUT_INTERVAL */
};

struct fr_decl_detail {
    char *path;
    struct fr_decl_pair *params; /* fixed query parameters, as in discover */
    size_t nparams;
    int id_in_path;      /* path holds {id}: one id a request, URL-encoded into it */
    char *ids_param;     /* NULL with {id} */
    char *ids_separator; /* "," by default */
    int64_t max_ids;
    struct fr_jpath *records, *id;
};

struct fr_decl_analysis {
    int present;
    char *url;
    char *model;
    char *api_key;     /* NULL: none sent; a secret */
    char *api_key_vars; /* the ${VAR}s it was made from, "${A}, ${B}"; NULL when none */
    char *prompt_file; /* as resolved against the source file's directory */
    struct fr_prompt *prompt;
    char **inputs;
    size_t ninputs;
    char *schema_file;       /* NULL: none */
    json_t *schema_json;     /* the schema document (sent with json_schema); owned */
    struct fr_schema *schema;
    int64_t requests_per_minute, tokens_per_minute, max_tokens; /* 0: not given */
    int64_t timeout_ms;
    int64_t concurrency;
    int response_format; /* enum fr_decl_response */
};

struct fr_decl_source {
    char *name;
    char *file;  /* the path it was loaded from */
    int builtin; /* a built-in source's file: only name and analysis */
    char *base_url; /* without a trailing '/' */
    struct fr_decl_header *headers;
    size_t nheaders;
    struct fr_decl_budget budget;
    struct fr_decl_discover discover;
    struct fr_decl_detail detail;
    struct fr_decl_field *fields;
    size_t nfields;
    char **history;
    size_t nhistory;
    char *schema_file; /* NULL: none */
    struct fr_schema *schema;
    struct fr_decl_analysis analysis;
    /* What logs must mask: header values, the api key and every ${VAR} value of 4 or
     * more characters that went into one, longest first. */
    char **secrets;
    size_t nsecrets;
};

/* Loads the source file at path. */
int fr_decl_load_file(const char *path, struct fr_decl_source **out, struct fr_error *err);

/* Loads <dir>/<name>.yaml; FR_ERR_USAGE when name is not [a-z0-9_-]{1,32} or there is
 * no such file. */
int fr_decl_load(const char *dir, const char *name, struct fr_decl_source **out,
                 struct fr_error *err);

/* The same from text[0..len) as if read from path (which names the file in messages and
 * gives the directory that schema and prompt files are relative to). */
int fr_decl_parse(const char *path, const char *text, size_t len, struct fr_decl_source **out,
                  struct fr_error *err);

void fr_decl_free(struct fr_decl_source *s);

/* FRESHET_SOURCES_DIR, or FR_DECL_DEFAULT_DIR when unset or empty. Borrowed. */
const char *fr_decl_dir(void);

/* The source files of dir: "<dir>/<name>.yaml" for each *.yaml file (hidden files left
 * out), sorted by name. *paths is new (fr_decl_list_free). FR_ERR_USAGE when dir cannot
 * be read. */
int fr_decl_list(const char *dir, char ***paths, size_t *n, struct fr_error *err);
void fr_decl_list_free(char **paths, size_t n);

/* The field of `fields` called name, or NULL. */
const struct fr_decl_field *fr_decl_field(const struct fr_decl_source *s, const char *name);

/* The payload a detail record gives: an object with each field, in file order, set to
 * its path's value (null when absent). New reference. */
json_t *fr_decl_payload(const struct fr_decl_source *s, const json_t *record);

/* Appends in to out with every secret of s replaced by "***". */
int fr_decl_redact(const struct fr_decl_source *s, const char *in, struct fr_buf *out);

/* Appends what the file means, for people (freshetctl sources check): endpoints with
 * their parameters and pagination, budget, fields, history, schema and analysis. Header
 * values and the api key show as "***" with the variables they come from. */
int fr_decl_describe(const struct fr_decl_source *s, struct fr_buf *out);

/* Reads the whole file at path (at most max bytes) into out (appended). FR_ERR_USAGE
 * naming the path when it cannot be read or is larger. */
int fr_decl_read_file(const char *path, size_t max, struct fr_buf *out, struct fr_error *err);

#endif
