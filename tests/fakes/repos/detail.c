/*
 * detail.c - batched and single-id detail, see detail.h.
 */
#include "detail.h"

#include "clock.h"
#include "reply.h"

#include <ctype.h>
#include <string.h>

/* Returns the full record of idx, counting the fetch unless the answer will be cut short. */
static json_t *fetch(struct rp_call *c, uint32_t idx)
{
    if (c->fault != RP_FAULT_TRUNCATE)
        rp_stats_fetched(&c->srv->stats, idx, rp_clock_elapsed(),
                         rp_stats_agent(&c->srv->stats,
                                        evhttp_find_header(
                                            evhttp_request_get_input_headers(c->req),
                                            "User-Agent")));
    return rp_repo_json(c->srv->cat, idx, RP_VIEW_FULL);
}

/* Returns 1 if idx is among found[0..n). */
static int seen(const uint32_t *found, size_t n, uint32_t idx)
{
    for (size_t i = 0; i < n; i++) {
        if (found[i] == idx)
            return 1;
    }
    return 0;
}

/*
 * Splits list at commas into the live repositories it names (each once, in
 * order) in found. Returns the number of ids listed (blanks around them
 * ignored, empty items skipped), which may exceed RP_BATCH_MAX.
 */
static size_t parse_ids(const struct rp_catalog *cat, const char *list, uint32_t *found,
                        size_t *nfound)
{
    size_t listed = 0;

    *nfound = 0;
    while (*list != '\0') {
        size_t len = strcspn(list, ",");
        const char *p = list;
        size_t plen = len;
        uint32_t idx;
        while (plen > 0 && isspace((unsigned char)*p)) {
            p++;
            plen--;
        }
        while (plen > 0 && isspace((unsigned char)p[plen - 1]))
            plen--;
        if (plen > 0 && ++listed <= RP_BATCH_MAX && rp_catalog_find(cat, p, plen, &idx) == 0 &&
            !cat->v[idx].deleted && !seen(found, *nfound, idx))
            found[(*nfound)++] = idx;
        list += len + (list[len] == ',');
    }
    return listed;
}

void rp_detail_batch(struct rp_call *c)
{
    const char *list = evhttp_find_header(&c->query, "ids");
    uint32_t found[RP_BATCH_MAX];
    size_t listed, n;
    json_t *items;

    listed = list ? parse_ids(c->srv->cat, list, found, &n) : 0;
    if (listed == 0 || listed > RP_BATCH_MAX) {
        rp_reply_message(c, 400, "ids must be a comma-separated list of 1 to 100 ids");
        return;
    }
    items = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(items, fetch(c, found[i]));
    rp_reply_json(c, 200, json_pack("{s:o}", "items", items));
}

void rp_detail_single(struct rp_call *c)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(c->req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    const char *id = slash ? slash + 1 : "";
    uint32_t idx;

    if (rp_catalog_find(c->srv->cat, id, strlen(id), &idx) < 0) {
        rp_reply_message(c, 404, "Not Found");
        return;
    }
    if (c->srv->cat->v[idx].deleted) {
        rp_reply_message(c, 410, "Repository access blocked: it was deleted");
        return;
    }
    rp_reply_json(c, 200, fetch(c, idx));
}
