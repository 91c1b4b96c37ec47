/*
 * decl_source — the ops table of a declared source and its state: the loaded source
 * file and its headers. See decl_source.h.
 */
#include "common/sources/decl_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"
#include "common/sources/settings.h"

#define UNLIMITED_RATE 6000 /* per minute, for a file that says nothing of its budget */

static void close_decl(void *state)
{
    struct fr_decl_state *d = state;

    if (d == NULL)
        return;
    for (size_t i = 0; d->headers != NULL && d->headers[i] != NULL; i++)
        free(d->headers[i]);
    free(d->headers);
    fr_decl_free(d->file);
    free(d);
}

static int open_decl(const char *name, const struct fr_source_settings *set, void **state,
                     struct fr_src_limits *lim, struct fr_error *err)
{
    struct fr_decl_state *d = fr_xcalloc(1, sizeof(*d));
    const char *dir = set->sources_dir ? set->sources_dir : fr_decl_dir();
    int rc = fr_decl_load(dir, name, &d->file, err);

    if (rc != 0) {
        free(d);
        return rc;
    }
    if (d->file->builtin) { /* fr_source_open gives built-in names to their own code */
        close_decl(d);
        return fr_error_set(err, FR_ERR_USAGE, "'%s' is the file of a built-in source", name);
    }
    for (size_t i = 0; i < d->file->nsecrets; i++)
        fr_log_add_secret(d->file->secrets[i]); /* no log line may show them either */
    d->headers = fr_xcalloc(d->file->nheaders + 1, sizeof(*d->headers));
    for (size_t i = 0; i < d->file->nheaders; i++)
        d->headers[i] = fr_xasprintf("%s: %s", d->file->headers[i].name,
                                     d->file->headers[i].value);
    *state = d;
    /* A page of the page type is known before the one in front of it has answered;
     * offset, cursor and link need that answer. Requests cost one each. */
    lim->indexed = d->file->discover.pagination.type == FR_DECL_PAGING_PAGE;
    lim->discover_interval_ms = d->file->discover.interval_ms;
    lim->discover_cost = 1;
    lim->detail_cost_per_id = 0;
    lim->detail_cost_per_request = 1;
    lim->max_ids = (size_t)d->file->detail.max_ids;
    lim->signal_of_listing = 1;
    return 0;
}

static const char *missing_credentials(const void *state)
{
    (void)state;
    return ""; /* every ${VAR} was checked when the file loaded */
}

static void redact(const void *state, const char *url, char *out, size_t n)
{
    const struct fr_decl_state *d = state;
    struct fr_buf b;

    fr_buf_init(&b, 0);
    fr_decl_redact(d->file, url, &b);
    fr_strlcpy(out, fr_buf_str(&b), n);
    fr_buf_release(&b);
}

static int schema(void *state, const struct fr_schema **out, struct fr_error *err)
{
    const struct fr_decl_state *d = state;

    (void)err;
    *out = d->file->schema; /* loaded with the file */
    return 0;
}

static int budget_seed(const void *state, struct fr_src_budget *b)
{
    const struct fr_decl_budget *cfg = &((const struct fr_decl_state *)state)->file->budget;

    /* A window either way, so requests go out at an even pace: learned from the headers
     * when the file names them (the static rate applies too), else a static minute. */
    memset(b, 0, sizeof(*b));
    b->window = 1;
    b->rate = cfg->requests_per_minute;
    if (cfg->remaining_header != NULL)
        return 0;
    b->known = 1;
    if (b->rate <= 0)
        b->rate = UNLIMITED_RATE;
    return 0;
}

const struct fr_source_ops fr_decl_source_ops = {
    .kind = "declared",
    .id_hint = "",
    .key_hint = "the source file's headers and the variables behind them",
    .omitted = "not returned by upstream",
    .open = open_decl,
    .close = close_decl,
    .missing_credentials = missing_credentials,
    .valid_id = fr_src_plain_id,
    .redact = redact,
    .discover_request = fr_decl_discover_request,
    .discover_parse = fr_decl_discover_parse,
    .detail_request = fr_decl_detail_request,
    .detail_parse = fr_decl_detail_parse,
    .schema = schema,
    .payload_text = fr_decl_payload_text,
    .budget_parse = fr_decl_budget_parse,
    .budget_seed = budget_seed,
    .classify = fr_decl_classify,
};
