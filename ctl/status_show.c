/*
 * status_show — renders a status snapshot: a compact JSON line for machines, aligned
 * sections for people (the same numbers; ages written 15m20s instead of seconds).
 */
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "ctl/ctl.h"
#include "ctl/status.h"

void status_print_json(const json_t *st, FILE *f)
{
    char *s = json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER);

    fprintf(f, "%s\n", s ? s : "{}");
    free(s);
}

static const char *int_at(const json_t *o, const char *key, char *buf, size_t n)
{
    snprintf(buf, n, "%lld", (long long)json_integer_value(json_object_get(o, key)));
    return buf;
}

static const char *age_at(const json_t *o, const char *key, char *buf, size_t n)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_number(v))
        return "-";
    ctl_fmt_age(json_number_value(v), buf, n);
    return buf;
}

static void rows_and_queues(const json_t *st, struct ctl_table *t)
{
    const json_t *items = json_object_get(st, "items"), *q = json_object_get(st, "queue");
    const json_t *stale = json_object_get(st, "staleness_seconds");
    char a[32], b[32], c[32], d[32];

    ctl_table_row(t, "rows", "pending_processing", int_at(items, "pending_processing", a, 32),
                  "queue", "queue", int_at(q, "queue", b, 32));
    ctl_table_row(t, "", "active", int_at(items, "active", a, 32), "", "queue:hot",
                  int_at(q, "hot", b, 32));
    ctl_table_row(t, "", "failed", int_at(items, "failed", a, 32), "", "delayed",
                  int_at(q, "delayed", b, 32));
    ctl_table_row(t, "", "total", int_at(items, "total", a, 32), "", "dead",
                  int_at(q, "dead", b, 32));
    ctl_table_row(t, "", "", "", "", "", "");
    ctl_table_row(t, "freshness", "oldest pending", age_at(st, "oldest_pending_seconds", a, 32),
                  "staleness", "p50", age_at(stale, "p50", b, 32));
    ctl_table_row(t, "", "", "", "", "p99", age_at(stale, "p99", c, 32));
    ctl_table_row(t, "", "", "", "", "max", age_at(stale, "max", d, 32));
}

static void budget_line(const json_t *st, FILE *f)
{
    const json_t *b = json_object_get(st, "budget");
    char period[32], pause[32];

    if (!json_is_true(json_object_get(b, "known"))) {
        fprintf(f, "budget     unknown (no worker has talked to the upstream yet)\n");
        return;
    }
    fr_format_duration(json_integer_value(json_object_get(b, "period_ms")), period,
                       sizeof(period));
    ctl_fmt_age((double)json_integer_value(json_object_get(b, "paused_ms")) / 1000.0, pause,
                sizeof(pause));
    fprintf(f, "budget     %lld tokens left, refill %lld per %s%s%s\n",
            (long long)json_integer_value(json_object_get(b, "tokens")),
            (long long)json_integer_value(json_object_get(b, "rate_per_period")), period,
            json_integer_value(json_object_get(b, "paused_ms")) > 0 ? ", PAUSED for " : "",
            json_integer_value(json_object_get(b, "paused_ms")) > 0 ? pause : "");
}

static void plan_line(const json_t *st, FILE *f)
{
    const json_t *p = json_object_get(st, "refresh_plan");
    double budget, used;

    if (!json_is_object(p)) {
        fprintf(f, "refresh    no budget plan (FRESHET_REFRESH_POLICY=adaptive, or no refresher "
                   "has solved one yet)\n");
        return;
    }
    budget = json_number_value(json_object_get(p, "budget_per_s"));
    used = json_number_value(json_object_get(p, "used_per_s"));
    fprintf(f, "refresh    budget %.3g/s, used %.3g/s (%.0f%%), expected freshness %.1f%% of "
               "%.0f items (plan %.0f s old)\n",
            budget, used, budget > 0 ? 100 * used / budget : 0.0,
            100 * json_number_value(json_object_get(p, "expected_freshness")),
            json_number_value(json_object_get(p, "items")),
            json_number_value(json_object_get(p, "age_seconds")));
}

static void workers(const json_t *st, FILE *f)
{
    const json_t *ws = json_object_get(st, "workers"), *w;
    struct ctl_table t;
    size_t i;

    fprintf(f, "\nworkers    %zu live\n", json_array_size(ws));
    if (json_array_size(ws) == 0)
        return;
    ctl_table_init(&t, 3, "lrl");
    ctl_table_row(&t, "ID", "HEARTBEAT TTL", "INFO");
    json_array_foreach(ws, i, w) {
        char ttl[32], *info = json_dumps(json_object_get(w, "info"), JSON_COMPACT | JSON_ENCODE_ANY);
        ctl_fmt_age((double)json_integer_value(json_object_get(w, "ttl_ms")) / 1000.0, ttl,
                    sizeof(ttl));
        ctl_table_row(&t, json_string_value(json_object_get(w, "id")), ttl, info);
        free(info);
    }
    ctl_table_print(&t, f, "  ");
    ctl_table_release(&t);
}

static void failed_runs(const json_t *st, FILE *f)
{
    const json_t *fr = json_object_get(st, "failed_runs_24h"), *r;
    struct ctl_table t;
    size_t i;

    fprintf(f, "\nfailed runs in the last 24h: %lld\n",
            (long long)json_integer_value(json_object_get(fr, "count")));
    if (json_array_size(json_object_get(fr, "recent")) == 0)
        return;
    ctl_table_init(&t, 4, "llll");
    ctl_table_row(&t, "STARTED", "PROGRAM", "WORKER", "ERROR");
    json_array_foreach(json_object_get(fr, "recent"), i, r) {
        ctl_table_row(&t, json_string_value(json_object_get(r, "started_at")),
                      json_string_value(json_object_get(r, "program")),
                      json_string_value(json_object_get(r, "worker")),
                      json_string_value(json_object_get(r, "error")));
    }
    ctl_table_print(&t, f, "  ");
    ctl_table_release(&t);
}

/* The budget's state in a word or two: "12 left", "PAUSED 42s", "unknown". */
static const char *budget_word(const json_t *st, char *buf, size_t n)
{
    const json_t *b = json_object_get(st, "budget");
    json_int_t paused = json_integer_value(json_object_get(b, "paused_ms"));
    char age[32];

    if (!json_is_true(json_object_get(b, "known")))
        return "unknown";
    if (paused > 0) {
        ctl_fmt_age((double)paused / 1000.0, age, sizeof(age));
        snprintf(buf, n, "PAUSED %s", age);
    } else {
        snprintf(buf, n, "%lld left", (long long)json_integer_value(json_object_get(b, "tokens")));
    }
    return buf;
}

void status_print_overview(const json_t *all, FILE *f)
{
    const json_t *st;
    struct ctl_table t;
    size_t i;

    ctl_table_init(&t, 8, "lrrrrrrl");
    ctl_table_row(&t, "SOURCE", "PENDING", "ACTIVE", "FAILED", "QUEUED", "DELAYED", "DEAD",
                  "BUDGET");
    json_array_foreach(all, i, st) {
        const json_t *items = json_object_get(st, "items"), *q = json_object_get(st, "queue");
        char a[32], b[32], c[32], d[32], e[32], g[32], h[48];

        snprintf(d, sizeof(d), "%lld",
                 (long long)(json_integer_value(json_object_get(q, "queue")) +
                             json_integer_value(json_object_get(q, "hot"))));
        ctl_table_row(&t, json_string_value(json_object_get(st, "source")),
                      int_at(items, "pending_processing", a, 32), int_at(items, "active", b, 32),
                      int_at(items, "failed", c, 32), d, int_at(q, "delayed", e, 32),
                      int_at(q, "dead", g, 32), budget_word(st, h, sizeof(h)));
    }
    ctl_table_print(&t, f, "");
    ctl_table_release(&t);
    fputc('\n', f);
}

void status_print_table(const json_t *st, FILE *f)
{
    struct ctl_table t;

    fprintf(f, "freshet status  source %s  at %s\n\n",
            json_string_value(json_object_get(st, "source")),
            json_string_value(json_object_get(st, "time")));
    ctl_table_init(&t, 6, "llrllr");
    rows_and_queues(st, &t);
    ctl_table_print(&t, f, "");
    ctl_table_release(&t);
    fputc('\n', f);
    budget_line(st, f);
    plan_line(st, f);
    status_print_llm(st, f);
    workers(st, f);
    failed_runs(st, f);
}
