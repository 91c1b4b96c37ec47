/*
 * listing.c - the four discovery listings, see listing.h.
 */
#include "listing.h"

#include "hash.h"
#include "params.h"
#include "reply.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_MAX 100
#define PAGE_DEFAULT 30

/* Returns a JSON array of the summaries of ids[0..n), counting them as listed. */
static json_t *summaries(struct rp_call *c, const uint32_t *ids, uint32_t n)
{
    json_t *a = json_array();

    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(a, rp_repo_json(c->srv->cat, ids[i] - 1, RP_VIEW_SUMMARY));
    if (c->fault != RP_FAULT_TRUNCATE)
        c->srv->stats.listed += n;
    return a;
}

/* Fills ids with up to max listed ids after `after`; returns the count. */
static uint32_t collect_after(const struct rp_catalog *cat, uint64_t after, uint32_t max,
                              uint32_t *ids)
{
    uint32_t n = 0;

    while (n < max && (after = rp_catalog_next_live(cat, after)) != 0)
        ids[n++] = (uint32_t)after;
    return n;
}

/* Reads the page size parameter `name`; replies 400 and returns -1 when it is bad. */
static int page_size(struct rp_call *c, const char *name, int64_t *out)
{
    char msg[96];

    if (rp_param_int(&c->query, name, 1, PAGE_MAX, PAGE_DEFAULT, out) == 0)
        return 0;
    snprintf(msg, sizeof(msg), "%s must be an integer from 1 to %d", name, PAGE_MAX);
    rp_reply_message(c, 400, msg);
    return -1;
}

void rp_list_page(struct rp_call *c)
{
    int64_t page, per_page, start;
    const uint32_t *live;
    uint32_t nlive, n = 0;

    if (rp_param_int(&c->query, "page", 1, 1000000000, 1, &page) < 0) {
        rp_reply_message(c, 400, "page must be an integer of at least 1");
        return;
    }
    if (page_size(c, "per_page", &per_page) < 0)
        return;
    live = rp_catalog_live(c->srv->cat, &nlive);
    start = (page - 1) * per_page;
    if (start < nlive)
        n = (uint32_t)(nlive - start < per_page ? nlive - start : per_page);
    rp_reply_json(c, 200,
                  json_pack("{s:I, s:b, s:o}", "total_count", (json_int_t)nlive,
                            "incomplete_results", 0, "items",
                            summaries(c, live + (start < nlive ? start : 0), n)));
}

void rp_list_offset(struct rp_call *c)
{
    int64_t offset, limit;
    const uint32_t *live;
    uint32_t nlive, n = 0;

    if (rp_param_int(&c->query, "offset", 0, 4000000000LL, 0, &offset) < 0) {
        rp_reply_message(c, 400, "offset must be an integer of at least 0");
        return;
    }
    if (page_size(c, "limit", &limit) < 0)
        return;
    live = rp_catalog_live(c->srv->cat, &nlive);
    if (offset < nlive)
        n = (uint32_t)(nlive - offset < limit ? nlive - offset : limit);
    rp_reply_json(c, 200,
                  json_pack("{s:{s:o}, s:{s:I, s:I, s:I}}", "data", "repos",
                            summaries(c, live + (offset < nlive ? offset : 0), n), "paging",
                            "offset", (json_int_t)offset, "limit", (json_int_t)limit, "total",
                            (json_int_t)nlive));
}

/* The check that makes a cursor hard to forge by accident. */
static unsigned cursor_check(uint64_t seed, uint64_t after)
{
    return (unsigned)(rp_hash(seed, after, RP_SALT_CURSOR) & 0xffff);
}

/* Writes the cursor of the page after id `after`: "c1.<hex id>.<hex check>". */
static void cursor_encode(uint64_t seed, uint64_t after, char *out, size_t outlen)
{
    snprintf(out, outlen, "c1.%llx.%04x", (unsigned long long)after, cursor_check(seed, after));
}

/* Reads a cursor into *after; an absent or empty cursor is the start. Returns 0 or -1. */
static int cursor_decode(uint64_t seed, const char *s, uint64_t *after)
{
    unsigned long long id;
    unsigned long check;
    char *end;

    *after = 0;
    if (s == NULL || s[0] == '\0')
        return 0;
    if (strncmp(s, "c1.", 3) != 0 || !isxdigit((unsigned char)s[3]))
        return -1;
    id = strtoull(s + 3, &end, 16);
    if (*end != '.' || !isxdigit((unsigned char)end[1]) || id > RP_CATALOG_MAX)
        return -1;
    check = strtoul(end + 1, &end, 16);
    if (*end != '\0' || check != cursor_check(seed, id))
        return -1;
    *after = id;
    return 0;
}

/* Adds next_cursor to doc: the cursor after id last, or the end as --cursor-end says. */
static void add_next_cursor(const struct rp_server *srv, json_t *doc, uint32_t last)
{
    char next[64];

    if (last != 0 && rp_catalog_next_live(srv->cat, last) != 0) {
        cursor_encode(srv->cat->seed, last, next, sizeof(next));
        json_object_set_new(doc, "next_cursor", json_string(next));
    } else if (srv->opt.cursor_end == RP_CURSOR_END_NULL) {
        json_object_set_new(doc, "next_cursor", json_null());
    } else if (srv->opt.cursor_end == RP_CURSOR_END_EMPTY) {
        json_object_set_new(doc, "next_cursor", json_string(""));
    }
}

void rp_list_cursor(struct rp_call *c)
{
    struct rp_server *srv = c->srv;
    uint32_t ids[PAGE_MAX] = {0}, n;
    uint64_t after;
    int64_t limit;
    json_t *repos, *entries, *doc;

    if (cursor_decode(srv->cat->seed, evhttp_find_header(&c->query, "cursor"), &after) < 0) {
        rp_reply_message(c, 400, "cursor is not one this API gave out");
        return;
    }
    if (page_size(c, "limit", &limit) < 0)
        return;
    n = collect_after(srv->cat, after, (uint32_t)limit, ids);
    repos = summaries(c, ids, n);
    entries = json_array();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(
            entries, json_pack("{s:s, s:O}", "kind", "repo", "repo", json_array_get(repos, i)));
    json_decref(repos);
    doc = json_pack("{s:o}", "entries", entries);
    add_next_cursor(srv, doc, n > 0 ? ids[n - 1] : 0);
    rp_reply_json(c, 200, doc);
}

/* Writes "http://HOST" from the request's Host header, or from the bound address. */
static void base_url(const struct rp_call *c, char *out, size_t outlen)
{
    const char *host = evhttp_find_header(evhttp_request_get_input_headers(c->req), "Host");

    /* The header is the client's: use it only if it looks like host[:port]. */
    if (host == NULL || host[0] == '\0' || strlen(host) > 255 ||
        host[strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")] !=
            '\0')
        host = c->srv->addr;
    snprintf(out, outlen, "http://%s", host);
}

void rp_list_link(struct rp_call *c)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);
    uint32_t ids[PAGE_MAX] = {0}, n;
    int64_t since, per_page;
    char base[300], link[800];

    if (rp_param_int(&c->query, "since", 0, RP_CATALOG_MAX, 0, &since) < 0) {
        rp_reply_message(c, 400, "since must be a repository id (an integer of at least 0)");
        return;
    }
    if (page_size(c, "per_page", &per_page) < 0)
        return;
    n = collect_after(c->srv->cat, (uint64_t)since, (uint32_t)per_page, ids);
    base_url(c, base, sizeof(base));
    /* rel="first" comes first, so a client must pick rel="next" by name. */
    if (n > 0 && rp_catalog_next_live(c->srv->cat, ids[n - 1]) != 0)
        snprintf(link, sizeof(link),
                 "<%s/v1/repositories?per_page=%lld>; rel=\"first\", "
                 "<%s/v1/repositories?per_page=%lld&since=%u>; rel=\"next\"",
                 base, (long long)per_page, base, (long long)per_page, ids[n - 1]);
    else
        snprintf(link, sizeof(link), "<%s/v1/repositories?per_page=%lld>; rel=\"first\"", base,
                 (long long)per_page);
    evhttp_add_header(out, "Link", link);
    rp_reply_json(c, 200, summaries(c, ids, n));
}
