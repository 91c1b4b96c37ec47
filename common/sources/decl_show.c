/*
 * decl_show — a loaded source file put to use without the network: the payload of a
 * record, secrets masked in text, and the description `freshetctl sources check` prints.
 * Header values and the api key never appear in a description, only the ${VAR}s they
 * come from.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/sources/decl_internal.h"

#define LABEL_WIDTH 10

const struct fr_decl_field *fr_decl_field(const struct fr_decl_source *s, const char *name)
{
    for (size_t i = 0; i < s->nfields; i++) {
        if (strcmp(s->fields[i].name, name) == 0)
            return &s->fields[i];
    }
    return NULL;
}

json_t *fr_decl_payload(const struct fr_decl_source *s, const json_t *record)
{
    json_t *p = json_object();

    for (size_t i = 0; i < s->nfields; i++)
        json_object_set_new(p, s->fields[i].name, fr_jpath_value(s->fields[i].path, record));
    return p;
}

int fr_decl_redact(const struct fr_decl_source *s, const char *in, struct fr_buf *out)
{
    int rc = 0;

    while (rc == 0 && *in != '\0') {
        size_t i;

        /* secrets are sorted longest first, so the widest match wins */
        for (i = 0; i < s->nsecrets; i++) {
            if (strncmp(in, s->secrets[i], strlen(s->secrets[i])) == 0)
                break;
        }
        if (i < s->nsecrets) {
            rc = fr_buf_puts(out, "***");
            in += strlen(s->secrets[i]);
        } else {
            rc = fr_buf_putc(out, *in++);
        }
    }
    return rc;
}

/* One line: the label in its column (or blanks for a continuation), then the text. */
static void row(struct fr_buf *out, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void row(struct fr_buf *out, const char *label, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    fr_buf_printf(out, "%-*s %s\n", LABEL_WIDTH, label, text);
}

static void query(struct fr_buf *b, const struct fr_decl_pair *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fr_buf_printf(b, "%c%s=%s", i ? '&' : '?', p[i].name, p[i].value);
}

static void show_headers(const struct fr_decl_source *s, struct fr_buf *out)
{
    if (s->nheaders == 0)
        row(out, "headers", "none");
    for (size_t i = 0; i < s->nheaders; i++) {
        const struct fr_decl_header *h = &s->headers[i];

        if (h->vars != NULL)
            row(out, i ? "" : "headers", "%s: *** (from %s)", h->name, h->vars);
        else
            row(out, i ? "" : "headers", "%s: ***", h->name);
    }
}

static void show_budget(const struct fr_decl_source *s, struct fr_buf *out)
{
    static const char *const resets[] = {
        [FR_DECL_RESET_EPOCH] = "epoch: unix seconds",
        [FR_DECL_RESET_SECONDS] = "seconds from now",
        [FR_DECL_RESET_DURATION] = "a duration from now",
    };
    const struct fr_decl_budget *b = &s->budget;
    const char *label = "budget";

    if (b->requests_per_minute == 0 && b->remaining_header == NULL && b->reset_header == NULL)
        row(out, label, "none given: only 429 and Retry-After slow this source down");
    if (b->requests_per_minute > 0) {
        row(out, label, "at most %lld requests a minute, fleet-wide",
            (long long)b->requests_per_minute);
        label = "";
    }
    if (b->remaining_header != NULL) {
        row(out, label, "requests left in the window: header %s", b->remaining_header);
        label = "";
    }
    if (b->reset_header != NULL)
        row(out, label, "window reset: header %s (%s)", b->reset_header,
            resets[b->reset_format]);
}

static void show_pages(const struct fr_decl_pagination *p, struct fr_buf *out)
{
    switch (p->type) {
    case FR_DECL_PAGING_PAGE:
        row(out, "", "pages: %s=%lld, %lld, ... until an empty page", p->param,
            (long long)p->start, (long long)p->start + 1);
        break;
    case FR_DECL_PAGING_OFFSET:
        row(out, "", "pages: %s=%lld, then advanced by the records received, until an empty "
            "page", p->param, (long long)p->start);
        break;
    case FR_DECL_PAGING_CURSOR:
        row(out, "", "pages: %s=<%s of the previous answer> (none on the first request), until "
            "the cursor is missing, null or empty", p->param, fr_jpath_text(p->from));
        break;
    case FR_DECL_PAGING_LINK:
        row(out, "", "pages: the Link header's rel=\"next\" URL, until there is none");
        break;
    default:
        row(out, "", "pages: one request a pass (no pagination)");
    }
}

static void show_discover(const struct fr_decl_source *s, struct fr_buf *out)
{
    const struct fr_decl_discover *d = &s->discover;
    struct fr_buf url;
    char every[32] = "FRESHET_SCOUT_INTERVAL";

    if (!d->present) {
        row(out, "discover", "none: ids come only from freshetctl enqueue and backfill");
        return;
    }
    fr_buf_init(&url, 0);
    fr_buf_printf(&url, "%s%s", s->base_url, d->path);
    query(&url, d->params, d->nparams);
    row(out, "discover", "GET %s", fr_buf_str(&url));
    fr_buf_release(&url);
    show_pages(&d->pagination, out);
    row(out, "", "records %s, id %s%s%s", fr_jpath_text(d->records), fr_jpath_text(d->id),
        d->signal ? ", change signal " : "", d->signal ? fr_jpath_text(d->signal) : "");
    if (d->interval_ms > 0)
        fr_format_duration(d->interval_ms, every, sizeof(every));
    row(out, "", "a pass every %s", every);
}

static void show_detail(const struct fr_decl_source *s, struct fr_buf *out)
{
    const struct fr_decl_detail *d = &s->detail;
    struct fr_buf url;

    fr_buf_init(&url, 0);
    fr_buf_printf(&url, "%s%s", s->base_url, d->path);
    query(&url, d->params, d->nparams);
    if (d->id_in_path) {
        row(out, "detail", "GET %s", fr_buf_str(&url));
        row(out, "", "one id a request, URL-encoded into {id}");
    } else {
        fr_buf_printf(&url, "%c%s=ID%sID%s...", d->nparams ? '&' : '?', d->ids_param,
                      d->ids_separator, d->ids_separator);
        row(out, "detail", "GET %s", fr_buf_str(&url));
        row(out, "", "up to %lld ids a request, joined by \"%s\"", (long long)d->max_ids,
            d->ids_separator);
    }
    fr_buf_release(&url);
    row(out, "", "records %s, id %s", fr_jpath_text(d->records), fr_jpath_text(d->id));
}

static void show_fields(const struct fr_decl_source *s, struct fr_buf *out)
{
    struct fr_buf list;

    for (size_t i = 0; i < s->nfields; i++)
        row(out, i ? "" : "fields", "%-24s %s", s->fields[i].name,
            fr_jpath_text(s->fields[i].path));
    fr_buf_init(&list, 0);
    for (size_t i = 0; i < s->nhistory; i++)
        fr_buf_printf(&list, "%s%s", i ? ", " : "", s->history[i]);
    row(out, "history", "%s", s->nhistory ? fr_buf_str(&list) : "none");
    fr_buf_release(&list);
    row(out, "schema", "%s", s->schema_file ? s->schema_file : "none");
}

static void show_limits(const struct fr_decl_analysis *a, struct fr_buf *out)
{
    char timeout[32], rpm[48] = "no requests/minute limit", tpm[48] = "no tokens/minute limit";
    char max[32] = "max_tokens not sent";

    fr_format_duration(a->timeout_ms, timeout, sizeof(timeout));
    if (a->requests_per_minute > 0)
        snprintf(rpm, sizeof(rpm), "%lld requests/minute", (long long)a->requests_per_minute);
    if (a->tokens_per_minute > 0)
        snprintf(tpm, sizeof(tpm), "%lld tokens/minute", (long long)a->tokens_per_minute);
    if (a->max_tokens > 0)
        snprintf(max, sizeof(max), "max_tokens %lld", (long long)a->max_tokens);
    row(out, "", "limits %s, %s, %s, timeout %s, concurrency %lld", rpm, tpm, max, timeout,
        (long long)a->concurrency);
}

static void show_analysis(const struct fr_decl_source *s, struct fr_buf *out)
{
    const struct fr_decl_analysis *a = &s->analysis;
    struct fr_buf list;

    if (!a->present) {
        row(out, "analysis", "none");
        return;
    }
    row(out, "analysis", "POST %s/chat/completions, model %s", a->url, a->model);
    if (a->api_key_vars != NULL)
        row(out, "", "api_key *** (from %s)", a->api_key_vars);
    else
        row(out, "", "api_key %s", a->api_key ? "***" : "none");
    fr_buf_init(&list, 0);
    for (size_t i = 0; i < a->ninputs; i++)
        fr_buf_printf(&list, "%s%s", i ? ", " : "", a->inputs[i]);
    row(out, "", "prompt %s, inputs %s", a->prompt_file, a->ninputs ? fr_buf_str(&list) : "none");
    fr_buf_release(&list);
    row(out, "", "answer %s%s%s",
        a->response_format == FR_DECL_RESPONSE_JSON_SCHEMA ? "json_schema" : "json_object",
        a->schema_file ? ", schema " : "", a->schema_file ? a->schema_file : "");
    show_limits(a, out);
}

int fr_decl_describe(const struct fr_decl_source *s, struct fr_buf *out)
{
    if (s->builtin) {
        row(out, "source", "%s (%s): built in; this file gives its analysis", s->name, s->file);
    } else {
        row(out, "source", "%s (%s)", s->name, s->file);
        row(out, "base_url", "%s", s->base_url);
        show_headers(s, out);
        show_budget(s, out);
        show_discover(s, out);
        show_detail(s, out);
        show_fields(s, out);
    }
    show_analysis(s, out);
    return 0;
}
