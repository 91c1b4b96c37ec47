/*
 * decl_internal — what the files of the decl_config module share: decl_config.c loads
 * the YAML document and places errors, decl_keys.c reads mappings by their key tables,
 * decl_values.c reads one scalar, decl_check.c checks what keys mean together and loads
 * the files they name, decl_show.c prints and redacts. Not for use outside them.
 */
#ifndef FR_DECL_INTERNAL_H
#define FR_DECL_INTERNAL_H

#include <stdint.h>
#include <yaml.h>

#include "common/sources/builtin.h"
#include "common/sources/decl_config.h"

struct decl_loader {
    const char *file; /* as given: names the file in messages; borrowed */
    char *dir;        /* its directory, for relative file names; owned */
    yaml_document_t doc;
    unsigned char *seen; /* per node: visited already (so reached through an alias) */
    size_t nnodes;
    struct fr_decl_source *src;
    const struct fr_source_builtin *builtin; /* NULL for a declared source */
    struct fr_error *err;
};

/* ---- decl_config.c ------------------------------------------------------------------ */

/* Sets the one-line error "FILE:LINE:COL: KEY: REASON" at node n (NULL: no place) and
 * returns FR_ERR_USAGE. */
int decl_fail(struct decl_loader *l, const yaml_node_t *n, const char *key, const char *fmt,
              ...) __attribute__((format(printf, 4, 5)));

/* The same, placed at the value of the dotted key, or at its nearest given ancestor. */
int decl_fail_key(struct decl_loader *l, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The value node of a dotted key, or NULL when the file does not give it. */
yaml_node_t *decl_node(struct decl_loader *l, const char *key);

/* ---- decl_keys.c -------------------------------------------------------------------- */

/* Reads every key of the root mapping into l->src by the key tables. */
int decl_read_keys(struct decl_loader *l, yaml_node_t *root);

/* ---- decl_values.c ------------------------------------------------------------------ */

/* What a text value may hold besides printable characters without "${". */
enum decl_text {
    DECL_TEXT_ANY,
    DECL_TEXT_IDENT, /* a source name */
    DECL_TEXT_TOKEN, /* an HTTP header name */
    DECL_TEXT_PARAM, /* a query parameter name */
    DECL_TEXT_PATH,  /* "/..." without query or fragment */
};

#define DECL_IDENT_RULE "1 to 32 characters of a-z, 0-9, '_' and '-'"

/* 1 when s is a source name ([a-z0-9_-]{1,32}). */
int decl_ident_ok(const char *s);

/* 1 for a plain empty, ~ or null scalar. */
int decl_is_null(const yaml_node_t *n);

/* "a mapping", "a list", "empty" or "a single value", for messages. Static storage. */
const char *decl_node_kind(const yaml_node_t *n);

/* Marks n visited; refuses a node reached twice (an alias), placing the error at `at`. */
int decl_visit(struct decl_loader *l, yaml_node_t *n, const yaml_node_t *at, const char *key);

/* The text of scalar n, which must have a value (not null, no NUL byte); NULL with the
 * error set. Borrowed from the document. */
const char *decl_scalar(struct decl_loader *l, yaml_node_t *n, const char *key);

int decl_check_text(struct decl_loader *l, yaml_node_t *n, const char *key, const char *v,
                    enum decl_text kind);

/* Scalar n checked as kind; *out is new. */
int decl_read_text(struct decl_loader *l, yaml_node_t *n, const char *key, enum decl_text kind,
                   char **out);

/* A file name, resolved against the source file's directory; *out is new. */
int decl_read_file_name(struct decl_loader *l, yaml_node_t *n, const char *key, char **out);

/* Expands every ${VAR} of scalar n; an unset or empty VAR is an error. *out is new; *vars
 * (when vars is not NULL) gets "${A}, ${B}" (new) or NULL when none. A secret value and the
 * values of its variables go to the source's secrets. */
int decl_expand(struct decl_loader *l, yaml_node_t *n, const char *key, int secret, char **out,
                char **vars);

/* An http(s) URL without query, ${VAR} expanded, trailing '/' removed; *out is new. */
int decl_read_url(struct decl_loader *l, yaml_node_t *n, const char *key, char **out);

int decl_read_int(struct decl_loader *l, yaml_node_t *n, const char *key, int64_t min,
                  int64_t max, int64_t *out);
/* A duration in ms within [min, max] ms. */
int decl_read_duration(struct decl_loader *l, yaml_node_t *n, const char *key, int64_t min,
                       int64_t max, int64_t *out);

/* A path expression; *out is new. */
int decl_read_path(struct decl_loader *l, yaml_node_t *n, const char *key,
                   struct fr_jpath **out);

/* Adds a secret (copied; shorter than 4 characters ignored, like the log's list). */
void decl_add_secret(struct fr_decl_source *s, const char *v);

/* ---- decl_check.c ------------------------------------------------------------------- */

/* After every key is read: checks required keys and the rules between keys, fills
 * defaults, and loads the schema and prompt files. */
int decl_check(struct decl_loader *l);

#endif
