/*
 * source — see source.h: the releases every implementation shares and the choice of
 * the implementation that serves a name.
 */
#include "common/source.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/http.h"
#include "common/mem.h"
#include "common/sources/builtin.h"
#include "common/sources/decl_config.h"
#include "common/sources/decl_source.h"
#include "common/sources/settings.h"

void fr_src_request_release(struct fr_src_request *r)
{
    free(r->url);
    free(r->body);
    r->url = r->body = NULL;
}

const char *fr_src_answer_header(const struct fr_src_answer *a, const char *name)
{
    return a->res != NULL ? fr_http_response_header(a->res, name) : NULL;
}

void fr_src_page_release(struct fr_src_page *p)
{
    for (size_t i = 0; i < p->n; i++) {
        json_decref(p->recs[i].doc);
        json_decref(p->recs[i].signal);
    }
    free(p->recs);
    free(p->next);
    p->recs = NULL;
    p->next = NULL;
    p->n = 0;
}

void fr_src_items_free(struct fr_src_item *it, size_t n)
{
    for (size_t i = 0; it != NULL && i < n; i++) {
        json_decref(it[i].payload);
        free(it[i].text);
        free(it[i].history);
    }
    free(it);
}

/* 1 when dir (NULL: fr_decl_dir()) holds a source file for name. */
static int declared(const char *name, const char *dir)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/%s.yaml", dir ? dir : fr_decl_dir(), name);
    return access(path, F_OK) == 0;
}

int fr_source_open(const char *name, const struct fr_source_settings *set,
                   struct fr_source **out, struct fr_error *err)
{
    const struct fr_source_builtin *b = fr_source_builtin_find(name);
    struct fr_source *s;
    int rc;

    *out = NULL;
    s = fr_xcalloc(1, sizeof(*s));
    s->name = name;
    if (b != NULL)
        s->ops = b->ops;
    else if (declared(name, set->sources_dir))
        s->ops = &fr_decl_source_ops;
    else
        s->ops = fr_source_builtin_default()->ops;
    s->timeout_ms = set->timeout_ms;
    s->max_body = set->max_body;
    rc = s->ops->open(name, set, &s->state, &s->lim, err);
    if (rc != 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void fr_source_close(struct fr_source *s)
{
    if (s == NULL)
        return;
    s->ops->close(s->state);
    free(s);
}

const struct fr_source_ops *fr_source_builtin_ops(const char *name)
{
    const struct fr_source_builtin *b = fr_source_builtin_find(name);

    return b != NULL ? b->ops : NULL;
}

int fr_src_plain_id(const char *id)
{
    size_t len = strlen(id);

    if (len == 0 || len >= FR_SRC_MAX_ID)
        return 0;
    for (const char *p = id; *p; p++) {
        if (!isgraph((unsigned char)*p))
            return 0;
    }
    return 1;
}

int64_t fr_source_detail_cost(const struct fr_source *s, size_t n)
{
    return s->lim.detail_cost_per_request + s->lim.detail_cost_per_id * (int64_t)n;
}
