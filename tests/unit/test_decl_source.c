/*
 * Unit tests: the declared source behind common/source.h — the budget headers' values
 * (three reset formats, Retry-After as seconds and as an HTTP date, Link rel="next"),
 * the requests a source file writes (page, offset, cursor, link; ids_param and {id}),
 * and what its answers give (records, ids, signal, next page, payloads, 404 as gone,
 * and the classification of failures).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sources/decl_source.h"
#include "common/sources/settings.h"

Test(decl_time, reset_formats)
{
    int64_t ms = -1;

    cr_assert_eq(fr_decl_reset_in("1700000060", FR_DECL_RESET_EPOCH, 1700000000000, &ms), 0);
    cr_assert_eq(ms, 60000);
    cr_assert_eq(fr_decl_reset_in("1600000000", FR_DECL_RESET_EPOCH, 1700000000000, &ms), 0);
    cr_assert_eq(ms, 0, "a reset in the past is now");
    cr_assert_eq(fr_decl_reset_in("42", FR_DECL_RESET_SECONDS, 0, &ms), 0);
    cr_assert_eq(ms, 42000);
    cr_assert_eq(fr_decl_reset_in("6m0s", FR_DECL_RESET_DURATION, 0, &ms), 0);
    cr_assert_eq(ms, 360000);
    cr_assert_eq(fr_decl_reset_in("1.5s", FR_DECL_RESET_DURATION, 0, &ms), 0);
    cr_assert_eq(ms, 1500);
    cr_assert_eq(fr_decl_reset_in("1h2m3s17ms", FR_DECL_RESET_DURATION, 0, &ms), 0);
    cr_assert_eq(ms, 3723017);
    cr_assert_eq(fr_decl_reset_in("0", FR_DECL_RESET_DURATION, 0, &ms), 0);
    cr_assert_eq(ms, 0);
    cr_assert_eq(fr_decl_reset_in("12x", FR_DECL_RESET_SECONDS, 0, &ms), -1);
    cr_assert_eq(fr_decl_reset_in("-5", FR_DECL_RESET_SECONDS, 0, &ms), -1);
    cr_assert_eq(fr_decl_reset_in("6m0", FR_DECL_RESET_DURATION, 0, &ms), -1);
    cr_assert_eq(fr_decl_reset_in(NULL, FR_DECL_RESET_EPOCH, 0, &ms), -1);
}

Test(decl_time, retry_after_seconds_and_date)
{
    int64_t ms = -1;

    cr_assert_eq(fr_decl_retry_after("30", 0, &ms), 0);
    cr_assert_eq(ms, 30000);
    /* 2023-11-14T22:13:20Z is unix 1700000000 */
    cr_assert_eq(fr_decl_retry_after("Tue, 14 Nov 2023 22:13:20 GMT", 1699999990000, &ms), 0);
    cr_assert_eq(ms, 10000);
    cr_assert_eq(fr_decl_retry_after("Tue, 14 Nov 2023 22:13:20 GMT", 1800000000000, &ms), 0);
    cr_assert_eq(ms, 0);
    cr_assert_eq(fr_decl_retry_after("soon", 0, &ms), -1);
    cr_assert_eq(fr_decl_retry_after(NULL, 0, &ms), -1);
}

Test(decl_time, link_next)
{
    char *n = fr_decl_link_next("<http://h/r?since=0>; rel=\"first\", "
                                "<http://h/r?since=100&per_page=100>; rel=\"next\"");

    cr_assert_str_eq(n, "http://h/r?since=100&per_page=100");
    free(n);
    n = fr_decl_link_next("<http://h/a,b>; rel=\"prev next\"");
    cr_assert_str_eq(n, "http://h/a,b");
    free(n);
    cr_assert_null(fr_decl_link_next("<http://h/r>; rel=\"first\""));
    cr_assert_null(fr_decl_link_next("<http://h/r>; rel=\"nextish\""));
    cr_assert_null(fr_decl_link_next(NULL));
    cr_assert_null(fr_decl_link_next("garbage <unterminated"));
}

/* ---- a source opened from a file ---------------------------------------------------- */

static char dir[64];

static struct fr_source *open_text(const char *yaml)
{
    struct fr_source_settings set = {0};
    struct fr_source *src = NULL;
    struct fr_error err = {0};
    char path[128];
    FILE *f;

    snprintf(dir, sizeof(dir), "/tmp/fr-dsrc-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/t.yaml", dir);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(yaml, f);
    fclose(f);
    set.sources_dir = dir;
    set.timeout_ms = 1000;
    setenv("FR_T_DSRC_TOKEN", "abcd-secret", 1);
    cr_assert_eq(fr_source_open("t", &set, &src, &err), 0, "%s", err.msg);
    unlink(path);
    rmdir(dir);
    return src;
}

static const char base[] = "name: t\n"
                           "base_url: http://api.test/v2/\n"
                           "headers: {Authorization: \"Bearer ${FR_T_DSRC_TOKEN}\"}\n";

static const char cursor_listing[] =
    "discover: {path: /c, pagination: {type: cursor, param: cursor, from: $.next}, "
    "records: \"$.entries[*].repo\", id: $.id, signal: $.updated_at}\n"
    "detail: {path: \"/r/{id}\", records: $, id: $.id}\nfields: {n: $.n}\n";

static char *request_url(struct fr_source *s, int64_t page, int64_t offset, const char *next)
{
    struct fr_src_position at = {page, offset, next};
    struct fr_src_request req;
    struct fr_error err = {0};
    char *url;

    cr_assert_eq(s->ops->discover_request(s->state, &at, &req, &err), 0, "%s", err.msg);
    cr_assert_str_eq(req.headers[0], "Authorization: Bearer abcd-secret");
    cr_assert_null(req.headers[1]);
    url = req.url;
    req.url = NULL;
    fr_src_request_release(&req);
    return url;
}

Test(decl_source, page_listing_and_batched_detail)
{
    char yaml[1024];
    struct fr_source *s;
    struct fr_src_request req;
    const char *ids[] = {"1", "a b", "3"};
    char *u, red[256];

    snprintf(yaml, sizeof(yaml),
             "%sdiscover: {path: /repos, params: {per_page: \"100\"}, "
             "pagination: {type: page, param: page, start: 1}, records: $.items, id: $.id}\n"
             "detail: {path: /batch, ids_param: ids, ids_separator: \",\", max_ids: 50, "
             "records: $.items, id: $.id}\n"
             "fields: {name: $.name}\n",
             base);
    s = open_text(yaml);
    cr_assert_str_eq(s->ops->kind, "declared");
    cr_assert(s->lim.indexed);
    cr_assert_eq(s->lim.max_ids, 50);
    cr_assert_eq(fr_source_detail_cost(s, 50), 1, "a request costs one, whatever its ids");
    u = request_url(s, 2, 0, NULL);
    cr_assert_str_eq(u, "http://api.test/v2/repos?per_page=100&page=3");
    free(u);
    cr_assert_eq(s->ops->detail_request(s->state, ids, 3, &req, NULL), 0);
    cr_assert_str_eq(req.url, "http://api.test/v2/batch?ids=1,a%20b,3");
    cr_assert_str_eq(req.endpoint, "detail");
    fr_src_request_release(&req);
    s->ops->redact(s->state, "http://x/?t=abcd-secret", red, sizeof(red));
    cr_assert_str_eq(red, "http://x/?t=***");
    cr_assert(s->ops->valid_id("12345"));
    cr_assert_not(s->ops->valid_id("has space"));
    cr_assert_not(s->ops->valid_id(""));
    fr_source_close(s);
}

Test(decl_source, offset_cursor_and_link_positions)
{
    char yaml[1024];
    struct fr_source *s;
    char *u;

    snprintf(yaml, sizeof(yaml),
             "%sdiscover: {path: /o, pagination: {type: offset, param: offset}, "
             "records: $.data, id: $.id}\n"
             "detail: {path: \"/r/{id}\", records: $, id: $.id}\nfields: {n: $.n}\n",
             base);
    s = open_text(yaml);
    cr_assert_not(s->lim.indexed, "an offset needs the page before");
    cr_assert_eq(s->lim.max_ids, 1);
    u = request_url(s, 3, 250, NULL);
    cr_assert_str_eq(u, "http://api.test/v2/o?offset=250");
    free(u);
    fr_source_close(s);

    snprintf(yaml, sizeof(yaml), "%s%s", base, cursor_listing);
    s = open_text(yaml);
    u = request_url(s, 0, 0, NULL);
    cr_assert_str_eq(u, "http://api.test/v2/c", "no cursor on the first page");
    free(u);
    u = request_url(s, 1, 0, "x/y=");
    cr_assert_str_eq(u, "http://api.test/v2/c?cursor=x%2Fy%3D");
    free(u);
    fr_source_close(s);

    snprintf(yaml, sizeof(yaml),
             "%sdiscover: {path: /l, params: {per_page: \"5\"}, pagination: {type: link}, "
             "records: \"$[*]\", id: $.id}\n"
             "detail: {path: \"/r/{id}\", records: $, id: $.id}\nfields: {n: $.n}\n",
             base);
    s = open_text(yaml);
    u = request_url(s, 0, 0, NULL);
    cr_assert_str_eq(u, "http://api.test/v2/l?per_page=5");
    free(u);
    u = request_url(s, 1, 0, "http://api.test/v2/l?since=9");
    cr_assert_str_eq(u, "http://api.test/v2/l?since=9", "the next link as given");
    free(u);
    fr_source_close(s);
}

static struct fr_src_answer answer(const char *endpoint, int status, const char *body)
{
    struct fr_src_answer a = {endpoint, status, body, strlen(body), NULL};

    return a;
}

Test(decl_source, cursor_page_records_signal_and_end)
{
    char yaml[1024];
    struct fr_source *s;
    struct fr_src_page page;
    struct fr_src_budget b;
    struct fr_error err = {0};
    struct fr_src_answer a;

    snprintf(yaml, sizeof(yaml), "%s%s", base, cursor_listing);
    s = open_text(yaml);
    cr_assert(s->lim.signal_of_listing);
    a = answer("discover", 200,
               "{\"entries\":[{\"repo\":{\"id\":7,\"updated_at\":\"t1\"}},"
               "{\"repo\":{\"id\":null}},{\"repo\":{\"id\":\"x9\"}}],\"next\":\"abc\"}");
    cr_assert_eq(s->ops->discover_parse(s->state, &a, &page, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(page.n, 2);
    cr_assert_eq(page.skipped, 1);
    cr_assert_str_eq(page.recs[0].id, "7");
    cr_assert_str_eq(page.recs[1].id, "x9");
    cr_assert_str_eq(json_string_value(json_object_get(page.recs[0].signal, "signal")), "t1");
    cr_assert(json_is_null(json_object_get(page.recs[1].signal, "signal")));
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(page.recs[0].doc, "record"),
                                                    "id")), 7);
    cr_assert_str_eq(page.next, "abc");
    cr_assert_not(page.last);
    cr_assert_not(b.known, "no budget headers: nothing known");
    fr_src_page_release(&page);
    a = answer("discover", 200, "{\"entries\":[{\"repo\":{\"id\":8}}],\"next\":\"\"}");
    cr_assert_eq(s->ops->discover_parse(s->state, &a, &page, &b, &err), 0);
    cr_assert(page.last, "an empty cursor ends the listing");
    fr_src_page_release(&page);
    a = answer("discover", 200, "not json");
    cr_assert_eq(s->ops->discover_parse(s->state, &a, &page, &b, &err), FR_ERR_DATA);
    fr_src_page_release(&page);
    fr_source_close(s);
}

Test(decl_source, detail_payloads_gone_and_classes)
{
    char yaml[1024];
    struct fr_source *s;
    struct fr_src_item *items;
    struct fr_src_budget b;
    struct fr_src_verdict v;
    struct fr_error err = {0};
    struct fr_src_answer a;
    const char *ids[] = {"5"};
    size_t n;

    snprintf(yaml, sizeof(yaml),
             "%sdiscover: {path: /p, pagination: {type: page, param: page}, records: $.items, "
             "id: $.id}\n"
             "detail: {path: \"/r/{id}\", records: $, id: $.id}\n"
             "fields: {name: $.full_name, stars: $.stars, gone: $.nothing}\n",
             base);
    s = open_text(yaml);
    a = answer("detail", 200, "{\"id\":5,\"full_name\":\"o/r\",\"stars\":3}");
    cr_assert_eq(s->ops->detail_parse(s->state, ids, 1, &a, &items, &n, &b, &err), 0, "%s",
                 err.msg);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(items[0].id, "5");
    cr_assert_eq(items[0].status, FR_SRC_ITEM_OK);
    cr_assert_eq(strlen(items[0].content_hash), 16);
    items[0].text = s->ops->payload_text(items[0].payload);
    cr_assert_str_eq(items[0].text, "{\"gone\":null,\"name\":\"o/r\",\"stars\":3}");
    fr_src_items_free(items, n);

    a = answer("detail", 404, "{\"message\":\"Not Found\"}");
    s->ops->classify(s->state, &a, &v);
    cr_assert_eq(v.cls, FR_SRC_OK, "a one-id detail's 404 is that item's answer");
    cr_assert_eq(s->ops->detail_parse(s->state, ids, 1, &a, &items, &n, &b, &err), 0);
    cr_assert_eq(n, 1);
    cr_assert_eq(items[0].status, FR_SRC_ITEM_GONE);
    cr_assert_str_eq(items[0].reason, "gone: 404 from upstream");
    fr_src_items_free(items, n);

    a = answer("discover", 404, "{\"message\":\"Not Found\"}");
    s->ops->classify(s->state, &a, &v);
    cr_assert_eq(v.cls, FR_SRC_FATAL);
    cr_assert_str_eq(v.reason, "404 from upstream: Not Found: never retried");
    a = answer("detail", 401, "{\"message\":\"Bad credentials\"}");
    s->ops->classify(s->state, &a, &v);
    cr_assert_eq(v.cls, FR_SRC_AUTH);
    cr_assert_gt(v.pause_ms, 0);
    a = answer("detail", 429, "");
    s->ops->classify(s->state, &a, &v);
    cr_assert_eq(v.cls, FR_SRC_THROTTLED);
    cr_assert_geq(v.pause_ms, 1000);
    a = answer("detail", 502, "");
    s->ops->classify(s->state, &a, &v);
    cr_assert_eq(v.cls, FR_SRC_RETRY);
    fr_source_close(s);
}

Test(decl_source, a_name_without_a_file_is_the_default_builtin)
{
    struct fr_source_settings set = {0};
    struct fr_source *s = NULL;
    struct fr_error err = {0};

    set.sources_dir = "/nonexistent-dir";
    cr_assert_eq(fr_source_open("e2e", &set, &s, &err), 0, "%s", err.msg);
    cr_assert_str_neq(s->ops->kind, "declared");
    cr_assert_str_eq(s->name, "e2e");
    fr_source_close(s);
}

/* The figures a declared budget starts from (common/budget.h's window): learned from the
 * headers when the file names them, else a static minute. */
Test(decl_source, budget_seed_is_a_window)
{
    static const char *const budgets[] = {
        ("budget: {requests_per_minute: 120, remaining_header: X-Left, reset_header: X-Reset, "
         "reset_format: seconds}\n"),
        "budget: {remaining_header: X-Left, reset_header: X-Reset, reset_format: seconds}\n",
        "budget: {requests_per_minute: 120}\n",
        "",
    };
    static const int64_t known[] = {0, 0, 1, 1}, rate[] = {120, 0, 120, 6000};
    char yaml[1024];

    for (size_t i = 0; i < sizeof(budgets) / sizeof(budgets[0]); i++) {
        struct fr_src_budget b;
        struct fr_source *s;

        snprintf(yaml, sizeof(yaml), "%s%s%s", base, budgets[i], cursor_listing);
        s = open_text(yaml);
        cr_assert_eq(s->ops->budget_seed(s->state, &b), 0);
        cr_assert(b.window, "budget %zu: a window, spent at an even pace", i);
        cr_assert_eq(b.known, known[i], "budget %zu: learned (0) or static (1)", i);
        cr_assert_eq(b.rate, rate[i], "budget %zu: the per-minute limit", i);
        fr_source_close(s);
    }
}
