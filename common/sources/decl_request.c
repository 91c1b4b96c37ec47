/*
 * decl_request — the requests of a declared source: <base_url><path>?<params> with the
 * pagination's parameter for a discovery page, the ids (ids_param joined, or {id} in the
 * path) for a detail request, and the file's headers. Every parameter value and id is
 * percent-encoded; the ids separator is written as given. See decl_source.h.
 */
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "common/url.h"
#include "common/sources/decl_source.h"

/* Appends "?" or "&", then name=. */
static void put_name(struct fr_buf *b, const char *name)
{
    fr_buf_putc(b, strchr(fr_buf_str(b), '?') ? '&' : '?');
    fr_url_encode(b, name);
    fr_buf_putc(b, '=');
}

static void put_params(struct fr_buf *b, const struct fr_decl_pair *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put_name(b, p[i].name);
        fr_url_encode(b, p[i].value);
    }
}

static void start(struct fr_decl_state *d, struct fr_src_request *req, const char *endpoint,
                  struct fr_buf *b)
{
    memset(req, 0, sizeof(*req));
    req->headers = (const char *const *)d->headers;
    req->endpoint = endpoint;
    req->cost = 1; /* a declared budget counts requests */
    fr_buf_init(b, 0);
    fr_buf_puts(b, d->file->base_url);
}

int fr_decl_discover_request(void *state, const struct fr_src_position *at,
                             struct fr_src_request *req, struct fr_error *err)
{
    struct fr_decl_state *d = state;
    const struct fr_decl_discover *ds = &d->file->discover;
    const struct fr_decl_pagination *pg = &ds->pagination;
    struct fr_buf b;

    if (!ds->present)
        return fr_error_set(err, FR_ERR_USAGE, "'%s': no discover section", d->file->file);
    start(d, req, "discover", &b);
    if (pg->type == FR_DECL_PAGING_LINK && at->next != NULL) {
        fr_buf_release(&b);
        req->url = fr_xstrdup(at->next); /* the upstream's own next URL, as given */
        return 0;
    }
    fr_buf_puts(&b, ds->path);
    put_params(&b, ds->params, ds->nparams);
    if (pg->type == FR_DECL_PAGING_PAGE || pg->type == FR_DECL_PAGING_OFFSET) {
        char v[32];
        snprintf(v, sizeof(v), "%lld",
                 (long long)(pg->start + (pg->type == FR_DECL_PAGING_PAGE ? at->page : at->offset)));
        put_name(&b, pg->param);
        fr_buf_puts(&b, v);
    } else if (pg->type == FR_DECL_PAGING_CURSOR && at->next != NULL) {
        put_name(&b, pg->param);
        fr_url_encode(&b, at->next);
    }
    req->url = fr_buf_detach(&b, NULL);
    return 0;
}

/* The path with each {id} replaced by the encoded id. */
static void put_path_id(struct fr_buf *b, const char *path, const char *id)
{
    const char *p;

    while ((p = strstr(path, "{id}")) != NULL) {
        fr_buf_append(b, path, (size_t)(p - path));
        fr_url_encode(b, id);
        path = p + 4;
    }
    fr_buf_puts(b, path);
}

int fr_decl_detail_request(void *state, const char *const *ids, size_t nids,
                           struct fr_src_request *req, struct fr_error *err)
{
    struct fr_decl_state *d = state;
    const struct fr_decl_detail *dt = &d->file->detail;
    struct fr_buf b;

    if (nids == 0 || (int64_t)nids > dt->max_ids)
        return fr_error_set(err, FR_ERR_USAGE, "'%s': a detail request takes 1 to %lld ids, "
                                               "not %zu", d->file->file,
                            (long long)dt->max_ids, nids);
    start(d, req, "detail", &b);
    if (dt->id_in_path) {
        put_path_id(&b, dt->path, ids[0]);
        put_params(&b, dt->params, dt->nparams);
    } else {
        fr_buf_puts(&b, dt->path);
        put_params(&b, dt->params, dt->nparams);
        put_name(&b, dt->ids_param);
        for (size_t i = 0; i < nids; i++) {
            if (i > 0)
                fr_buf_puts(&b, dt->ids_separator);
            fr_url_encode(&b, ids[i]);
        }
    }
    req->url = fr_buf_detach(&b, NULL);
    return 0;
}
