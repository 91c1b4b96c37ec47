/*
 * decl_config — see decl_config.h. The file is loaded as one libyaml document (the
 * parser's own marks give every error its line and column); decl_keys.c then reads it
 * by the key tables and decl_check.c checks what the keys mean together. This file holds
 * the entry points, the error placement, listing a directory and freeing.
 */
#include "common/sources/decl_config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/mem.h"
#include "common/sources/decl_internal.h"

/* ---- errors ---------------------------------------------------------------------- */

/* The message must stay one line whatever the file holds. */
static void one_line(char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = ' ';
    }
}

static int vfail(struct decl_loader *l, const yaml_node_t *n, const char *key, const char *fmt,
                 va_list ap) __attribute__((format(printf, 4, 0)));

static int vfail(struct decl_loader *l, const yaml_node_t *n, const char *key, const char *fmt,
                 va_list ap)
{
    char why[FR_ERROR_MSG_MAX], msg[FR_ERROR_MSG_MAX];

    vsnprintf(why, sizeof(why), fmt, ap);
    if (n != NULL)
        snprintf(msg, sizeof(msg), "%s:%zu:%zu: %s: %s", l->file, n->start_mark.line + 1,
                 n->start_mark.column + 1, key, why);
    else
        snprintf(msg, sizeof(msg), "%s: %s: %s", l->file, key, why);
    one_line(msg);
    return fr_error_set(l->err, FR_ERR_USAGE, "%s", msg);
}

int decl_fail(struct decl_loader *l, const yaml_node_t *n, const char *key, const char *fmt,
              ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vfail(l, n, key, fmt, ap);
    va_end(ap);
    return rc;
}

/* The value of member name[0..len) of mapping m, or NULL. */
static yaml_node_t *member(struct decl_loader *l, yaml_node_t *m, const char *name, size_t len)
{
    if (m == NULL || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&l->doc, p->key);

        if (k != NULL && k->type == YAML_SCALAR_NODE && k->data.scalar.length == len &&
            memcmp(k->data.scalar.value, name, len) == 0)
            return yaml_document_get_node(&l->doc, p->value);
    }
    return NULL;
}

/* Walks key's segments from the root; *last gets the deepest node found. */
static yaml_node_t *walk_key(struct decl_loader *l, const char *key, yaml_node_t **last)
{
    yaml_node_t *n = yaml_document_get_root_node(&l->doc);

    *last = n;
    while (n != NULL && *key != '\0') {
        size_t len = strcspn(key, ".");

        n = member(l, n, key, len);
        if (n != NULL)
            *last = n;
        key += len + (key[len] == '.');
    }
    return n;
}

yaml_node_t *decl_node(struct decl_loader *l, const char *key)
{
    yaml_node_t *last;

    return walk_key(l, key, &last);
}

int decl_fail_key(struct decl_loader *l, const char *key, const char *fmt, ...)
{
    yaml_node_t *last;
    va_list ap;
    int rc;

    walk_key(l, key, &last);
    va_start(ap, fmt);
    rc = vfail(l, last, key, fmt, ap);
    va_end(ap);
    return rc;
}

/* ---- the document ---------------------------------------------------------------- */

static int syntax_error(struct decl_loader *l, const yaml_parser_t *p)
{
    const char *what = p->problem ? p->problem : "cannot be parsed";
    char msg[FR_ERROR_MSG_MAX];

    if (p->error == YAML_READER_ERROR)
        snprintf(msg, sizeof(msg), "%s: YAML syntax: %s at byte %zu", l->file, what,
                 p->problem_offset);
    else
        snprintf(msg, sizeof(msg), "%s:%zu:%zu: YAML syntax: %s%s%s%s", l->file,
                 p->problem_mark.line + 1, p->problem_mark.column + 1, what,
                 p->context ? " (" : "", p->context ? p->context : "", p->context ? ")" : "");
    one_line(msg);
    return fr_error_set(l->err, FR_ERR_USAGE, "%s", msg);
}

/* Loads the one document of text into l->doc; refuses a second one. */
static int load_doc(struct decl_loader *l, const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_document_t extra;
    int rc = 0;

    if (!yaml_parser_initialize(&p))
        return fr_error_set(l->err, FR_ERR_USAGE, "%s: cannot start the YAML parser", l->file);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &l->doc)) {
        rc = syntax_error(l, &p);
        yaml_parser_delete(&p);
        return rc;
    }
    l->nnodes = (size_t)(l->doc.nodes.top - l->doc.nodes.start);
    l->seen = fr_xcalloc(l->nnodes + 1, 1);
    if (!yaml_parser_load(&p, &extra)) {
        rc = syntax_error(l, &p);
    } else {
        if (yaml_document_get_root_node(&extra) != NULL)
            rc = fr_error_set(l->err, FR_ERR_USAGE, "%s:%zu:%zu: YAML syntax: more than one "
                              "document ('---')", l->file, extra.start_mark.line + 1,
                              extra.start_mark.column + 1);
        yaml_document_delete(&extra);
    }
    yaml_parser_delete(&p);
    return rc;
}

/* The file name must be <name>.yaml; sets the source's name from it. */
static int name_from_file(struct decl_loader *l, char *stem, size_t n)
{
    const char *base = strrchr(l->file, '/') ? strrchr(l->file, '/') + 1 : l->file;
    size_t len = strlen(base);

    if (len <= 5 || strcmp(base + len - 5, ".yaml") != 0 || len - 5 >= n)
        return fr_error_set(l->err, FR_ERR_USAGE, "%s: a source file is named <name>.yaml",
                            l->file);
    memcpy(stem, base, len - 5);
    stem[len - 5] = '\0';
    if (!decl_ident_ok(stem))
        return fr_error_set(l->err, FR_ERR_USAGE, "%s: the file name is the source name: "
                            DECL_IDENT_RULE " before .yaml", l->file);
    return 0;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return fr_xstrdup(".");
    if (slash == path)
        return fr_xstrdup("/");
    return fr_xstrndup(path, (size_t)(slash - path));
}

static int parse_doc(struct decl_loader *l, const char *stem)
{
    yaml_node_t *root = yaml_document_get_root_node(&l->doc);
    int rc;

    if (root == NULL)
        return fr_error_set(l->err, FR_ERR_USAGE, "%s: the file is empty", l->file);
    if (root->type != YAML_MAPPING_NODE)
        return decl_fail(l, root, "(top)", "must be a mapping of keys, not %s",
                         decl_node_kind(root));
    if ((rc = decl_visit(l, root, root, "(top)")) != 0 || (rc = decl_read_keys(l, root)) != 0)
        return rc;
    if (l->src->name != NULL && strcmp(l->src->name, stem) != 0)
        return decl_fail(l, decl_node(l, "name"), "name",
                         "'%s' differs from the file name (%s.yaml)", l->src->name, stem);
    if (l->src->name == NULL)
        l->src->name = fr_xstrdup(stem);
    return decl_check(l);
}

int fr_decl_parse(const char *path, const char *text, size_t len, struct fr_decl_source **out,
                  struct fr_error *err)
{
    struct decl_loader l = {.file = path, .err = err};
    char stem[64];
    int rc, have_doc = 0;

    *out = NULL;
    l.src = fr_xcalloc(1, sizeof(*l.src));
    l.src->file = fr_xstrdup(path);
    l.dir = dir_of(path);
    if ((rc = name_from_file(&l, stem, sizeof(stem))) == 0) {
        l.builtin = fr_source_builtin_find(stem);
        l.src->builtin = l.builtin != NULL;
        if (len > FR_DECL_MAX_FILE)
            rc = fr_error_set(err, FR_ERR_USAGE, "%s: larger than %d bytes", path,
                              FR_DECL_MAX_FILE);
        else if ((rc = load_doc(&l, text, len)) == 0 || l.seen != NULL)
            have_doc = 1;
        if (rc == 0)
            rc = parse_doc(&l, stem);
    }
    if (have_doc)
        yaml_document_delete(&l.doc);
    free(l.seen);
    free(l.dir);
    if (rc != 0) {
        fr_decl_free(l.src);
        return rc;
    }
    *out = l.src;
    return 0;
}

int fr_decl_read_file(const char *path, size_t max, struct fr_buf *out, struct fr_error *err)
{
    FILE *f = fopen(path, "rb");
    char chunk[8192];
    size_t n;
    int rc = 0;

    if (f == NULL)
        return fr_error_set(err, FR_ERR_USAGE, "cannot read '%s': %s", path, strerror(errno));
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (out->len + n > max)
            rc = fr_error_set(err, FR_ERR_USAGE, "'%s' is larger than %zu bytes", path, max);
        else
            fr_buf_append(out, chunk, n);
    }
    if (rc == 0 && ferror(f))
        rc = fr_error_set(err, FR_ERR_USAGE, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    return rc;
}

int fr_decl_load_file(const char *path, struct fr_decl_source **out, struct fr_error *err)
{
    struct fr_buf b;
    struct stat st;
    int rc;

    *out = NULL;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return fr_error_set(err, FR_ERR_USAGE, "%s: is a directory, not a source file", path);
    fr_buf_init(&b, 0);
    rc = fr_decl_read_file(path, FR_DECL_MAX_FILE, &b, err);
    if (rc == 0)
        rc = fr_decl_parse(path, fr_buf_str(&b), b.len, out, err);
    fr_buf_release(&b);
    return rc;
}

int fr_decl_load(const char *dir, const char *name, struct fr_decl_source **out,
                 struct fr_error *err)
{
    char *path;
    int rc;

    *out = NULL;
    if (!decl_ident_ok(name))
        return fr_error_set(err, FR_ERR_USAGE, "source name '%s' must be " DECL_IDENT_RULE, name);
    path = fr_xasprintf("%s/%s.yaml", dir, name);
    rc = fr_decl_load_file(path, out, err);
    free(path);
    return rc;
}

const char *fr_decl_dir(void)
{
    const char *d = getenv("FRESHET_SOURCES_DIR");

    return d && *d ? d : FR_DECL_DEFAULT_DIR;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int fr_decl_list(const char *dir, char ***paths, size_t *n, struct fr_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **v = NULL;
    size_t cnt = 0;

    *paths = NULL;
    *n = 0;
    if (d == NULL)
        return fr_error_set(err, FR_ERR_USAGE, "cannot read directory '%s': %s", dir,
                            strerror(errno));
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);

        if (e->d_name[0] == '.' || len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        v = fr_xrealloc(v, (cnt + 1) * sizeof(*v));
        v[cnt++] = fr_xasprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (cnt > 1)
        qsort(v, cnt, sizeof(*v), by_name);
    *paths = v;
    *n = cnt;
    return 0;
}

void fr_decl_list_free(char **paths, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(paths[i]);
    free(paths);
}

static void free_analysis(struct fr_decl_analysis *a)
{
    free(a->url);
    free(a->model);
    free(a->api_key);
    free(a->api_key_vars);
    free(a->prompt_file);
    fr_prompt_free(a->prompt);
    for (size_t i = 0; i < a->ninputs; i++)
        free(a->inputs[i]);
    free(a->inputs);
    free(a->schema_file);
    json_decref(a->schema_json);
    fr_schema_free(a->schema);
}

static void free_pairs(struct fr_decl_pair *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
}

void fr_decl_free(struct fr_decl_source *s)
{
    if (s == NULL)
        return;
    free(s->name);
    free(s->file);
    free(s->base_url);
    for (size_t i = 0; i < s->nheaders; i++) {
        free(s->headers[i].name);
        free(s->headers[i].value);
        free(s->headers[i].vars);
    }
    free(s->headers);
    free(s->budget.remaining_header);
    free(s->budget.reset_header);
    free(s->discover.path);
    free_pairs(s->discover.params, s->discover.nparams);
    free(s->discover.pagination.param);
    fr_jpath_free(s->discover.pagination.from);
    fr_jpath_free(s->discover.records);
    fr_jpath_free(s->discover.id);
    fr_jpath_free(s->discover.signal);
    free(s->detail.path);
    free_pairs(s->detail.params, s->detail.nparams);
    free(s->detail.ids_param);
    free(s->detail.ids_separator);
    fr_jpath_free(s->detail.records);
    fr_jpath_free(s->detail.id);
    for (size_t i = 0; i < s->nfields; i++) {
        free(s->fields[i].name);
        fr_jpath_free(s->fields[i].path);
    }
    free(s->fields);
    for (size_t i = 0; i < s->nhistory; i++)
        free(s->history[i]);
    free(s->history);
    free(s->schema_file);
    fr_schema_free(s->schema);
    free_analysis(&s->analysis);
    for (size_t i = 0; i < s->nsecrets; i++)
        free(s->secrets[i]);
    free(s->secrets);
    free(s);
}
