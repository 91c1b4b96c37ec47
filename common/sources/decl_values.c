/*
 * decl_values — one scalar of a source file (see decl_internal.h): null and kind tests,
 * text checks, ${VAR} expansion, numbers, durations, URLs and paths, each refused with
 * the key and the reason.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/mem.h"
#include "common/sources/decl_internal.h"
#include "common/url.h"

#define MAX_VALUE 8192 /* an expanded value */
#define MIN_SECRET 4   /* as fr_log_add_secret: shorter strings would mask everything */

/* A source name, as FRESHET_SOURCE takes it: [a-z0-9_-]{1,32}. */
int decl_ident_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 32)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '_' &&
            s[i] != '-')
            return 0;
    }
    return 1;
}

int decl_is_null(const yaml_node_t *n)
{
    const char *v;

    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return 0;
    v = (const char *)n->data.scalar.value;
    return (*v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
            strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
}

const char *decl_node_kind(const yaml_node_t *n)
{
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    return decl_is_null(n) ? "empty" : "a single value";
}

int decl_visit(struct decl_loader *l, yaml_node_t *n, const yaml_node_t *at, const char *key)
{
    size_t i = (size_t)(n - l->doc.nodes.start);

    if (i >= l->nnodes)
        return decl_fail(l, at, key, "internal: node out of range");
    if (l->seen[i])
        return decl_fail(l, at, key, "anchors and aliases (&, *) are not supported");
    l->seen[i] = 1;
    return 0;
}

/* The text of a scalar that must have a value; NULL with the error set. */
const char *decl_scalar(struct decl_loader *l, yaml_node_t *n, const char *key)
{
    const char *v;

    if (n->type != YAML_SCALAR_NODE) {
        decl_fail(l, n, key, "must be a single value, not %s", decl_node_kind(n));
        return NULL;
    }
    v = (const char *)n->data.scalar.value;
    if (decl_is_null(n)) {
        decl_fail(l, n, key, "has no value");
        return NULL;
    }
    if (strlen(v) != n->data.scalar.length) {
        decl_fail(l, n, key, "holds a NUL byte");
        return NULL;
    }
    return v;
}

void decl_add_secret(struct fr_decl_source *s, const char *v)
{
    size_t i;

    if (strlen(v) < MIN_SECRET)
        return;
    for (i = 0; i < s->nsecrets; i++) {
        if (strcmp(s->secrets[i], v) == 0)
            return;
    }
    s->secrets = fr_xrealloc(s->secrets, (s->nsecrets + 1) * sizeof(*s->secrets));
    /* Longest first, so "Bearer abc..." is masked whole before "abc..." alone. */
    for (i = s->nsecrets; i > 0 && strlen(s->secrets[i - 1]) < strlen(v); i--)
        s->secrets[i] = s->secrets[i - 1];
    s->secrets[i] = fr_xstrdup(v);
    s->nsecrets++;
}

static int var_name_ok(const char *s, size_t n)
{
    if (n == 0 || isdigit((unsigned char)s[0]))
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    }
    return 1;
}

/* Appends the value of the ${NAME} at *p (advanced past it) to out and its name to vars. */
static int expand_var(struct decl_loader *l, yaml_node_t *n, const char *key, const char **p,
                      struct fr_buf *out, struct fr_buf *vars, int secret)
{
    const char *name = *p + 2, *close = strchr(name, '}'), *val;
    char var[128];
    size_t len;

    if (close == NULL)
        return decl_fail(l, n, key, "'${' is not closed by '}'");
    len = (size_t)(close - name);
    if (!var_name_ok(name, len) || len >= sizeof(var))
        return decl_fail(l, n, key, "'${%.*s}' is not a variable name ([A-Za-z_][A-Za-z0-9_]*)",
                         (int)(len > 40 ? 40 : len), name);
    memcpy(var, name, len);
    var[len] = '\0';
    if ((val = getenv(var)) == NULL)
        return decl_fail(l, n, key, "environment variable %s is not set", var);
    if (*val == '\0')
        return decl_fail(l, n, key, "environment variable %s is empty", var);
    if (secret)
        decl_add_secret(l->src, val);
    if (fr_buf_puts(out, val) != 0)
        return decl_fail(l, n, key, "longer than %d bytes once expanded", MAX_VALUE);
    fr_buf_printf(vars, "%s${%s}", vars->len ? ", " : "", var);
    *p = close + 1;
    return 0;
}

/* Expands every ${VAR} of scalar n. *out is new; *vars (may be NULL) gets "A, B" or NULL. */
int decl_expand(struct decl_loader *l, yaml_node_t *n, const char *key, int secret, char **out,
                char **vars)
{
    const char *p = decl_scalar(l, n, key);
    struct fr_buf b, names;
    int rc = p ? 0 : FR_ERR_USAGE;

    fr_buf_init(&b, MAX_VALUE);
    fr_buf_init(&names, 0);
    while (rc == 0 && *p != '\0') {
        if (p[0] == '$' && p[1] == '{')
            rc = expand_var(l, n, key, &p, &b, &names, secret);
        else if (fr_buf_putc(&b, *p++) != 0)
            rc = decl_fail(l, n, key, "longer than %d bytes once expanded", MAX_VALUE);
    }
    if (rc == 0) {
        *out = fr_buf_detach(&b, NULL);
        if (secret)
            decl_add_secret(l->src, *out);
        if (vars != NULL)
            *vars = names.len ? fr_buf_detach(&names, NULL) : NULL;
    }
    fr_buf_release(&b);
    fr_buf_release(&names);
    return rc;
}

int decl_check_text(struct decl_loader *l, yaml_node_t *n, const char *key, const char *v,
                    enum decl_text kind)
{
    size_t len = strlen(v);

    if (len == 0)
        return decl_fail(l, n, key, "must not be empty");
    if (strstr(v, "${") != NULL)
        return decl_fail(l, n, key, "${VAR} is expanded only in base_url, headers, "
                                    "analysis.url and analysis.api_key");
    if (kind == DECL_TEXT_IDENT && !decl_ident_ok(v))
        return decl_fail(l, n, key, "must be " DECL_IDENT_RULE " (got '%s')", v);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];

        if (c < 0x20 || c == 0x7f)
            return decl_fail(l, n, key, "holds a control character");
        if (kind == DECL_TEXT_TOKEN && !isalnum(c) && strchr("!#$%&'*+-.^_`|~", c) == NULL)
            return decl_fail(l, n, key, "'%s' is not an HTTP header name", v);
        if (kind == DECL_TEXT_PARAM && (c == ' ' || strchr("&=#?", c) != NULL))
            return decl_fail(l, n, key, "'%s' is not a query parameter name", v);
        if (kind == DECL_TEXT_PATH && (c == ' ' || c == '?' || c == '#'))
            return decl_fail(l, n, key, "%s in a path: write query parameters under params",
                             c == ' ' ? "a space" : c == '?' ? "'?'" : "'#'");
    }
    if (kind == DECL_TEXT_PATH && v[0] != '/')
        return decl_fail(l, n, key, "must start with '/' (it follows base_url)");
    return 0;
}

int decl_read_text(struct decl_loader *l, yaml_node_t *n, const char *key, enum decl_text kind,
                   char **out)
{
    const char *v = decl_scalar(l, n, key);

    if (v == NULL || decl_check_text(l, n, key, v, kind) != 0)
        return FR_ERR_USAGE;
    *out = fr_xstrdup(v);
    return 0;
}

int decl_read_file_name(struct decl_loader *l, yaml_node_t *n, const char *key, char **out)
{
    const char *v = decl_scalar(l, n, key);

    if (v == NULL || decl_check_text(l, n, key, v, DECL_TEXT_ANY) != 0)
        return FR_ERR_USAGE;
    *out = v[0] == '/' ? fr_xstrdup(v) : fr_xasprintf("%s/%s", l->dir, v);
    return 0;
}

int decl_read_url(struct decl_loader *l, yaml_node_t *n, const char *key, char **out)
{
    struct fr_error e = {0};
    size_t len;
    int rc = decl_expand(l, n, key, 0, out, NULL);

    if (rc != 0)
        return rc;
    if (fr_parse_http_url(*out, &e) != 0 || strpbrk(*out, " ?#") != NULL)
        return decl_fail(l, n, key, "'%s' is not an http(s) URL without query", *out);
    len = strlen(*out);
    while (len > 0 && (*out)[len - 1] == '/')
        (*out)[--len] = '\0';
    return 0;
}

int decl_read_int(struct decl_loader *l, yaml_node_t *n, const char *key, int64_t min,
                  int64_t max, int64_t *out)
{
    struct fr_error e = {0};
    const char *v = decl_scalar(l, n, key);

    if (v == NULL)
        return FR_ERR_USAGE;
    if (fr_parse_int(v, min, max, out, &e) != 0)
        return decl_fail(l, n, key, "%s", e.msg);
    return 0;
}

int decl_read_duration(struct decl_loader *l, yaml_node_t *n, const char *key, int64_t min,
                       int64_t max, int64_t *out)
{
    struct fr_error e = {0};
    const char *v = decl_scalar(l, n, key);
    char lo[32], hi[32];
    int64_t ms;

    if (v == NULL)
        return FR_ERR_USAGE;
    if (fr_parse_duration(v, &ms, &e) != 0)
        return decl_fail(l, n, key, "%s", e.msg);
    if (ms < min || ms > max) {
        fr_format_duration(min, lo, sizeof(lo));
        fr_format_duration(max, hi, sizeof(hi));
        return decl_fail(l, n, key, "must be between %s and %s (got '%s')", lo, hi, v);
    }
    *out = ms;
    return 0;
}

int decl_read_path(struct decl_loader *l, yaml_node_t *n, const char *key,
                   struct fr_jpath **out)
{
    struct fr_error e = {0};
    const char *v = decl_scalar(l, n, key);

    if (v == NULL)
        return FR_ERR_USAGE;
    if (fr_jpath_compile(v, out, &e) != 0)
        return decl_fail(l, n, key, "bad path %s", e.msg);
    return 0;
}
