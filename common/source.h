/*
 * source — what the fleet asks of an upstream API, whichever it is: the settings it is
 * opened with, the ids it accepts, how a discovery page and a batched detail request are
 * written and what their answers hold (records and ids, a change signal, the next page),
 * what an answer says about the shared budget (cost, remaining, reset, Retry-After), how
 * an answer that is not a 200 is classified, and how its secrets are kept out of logged
 * URLs. The scout, the processor and freshetctl speak only this; common/upstream sends
 * the requests (budget, breaker, pauses, metrics). Each upstream is one implementation
 * in common/sources/ (common/sources/builtin.c lists the built-in ones; a declared
 * source file is the next one).
 *
 * An implementation is a table of functions (struct fr_source_ops, static storage) and
 * an opaque state its open() makes: struct fr_source pairs them. Nothing here touches the
 * network or logs. Answers are untrusted input: a problem with the whole answer is
 * FR_ERR_DATA with a reason, a problem confined to one record marks that record
 * (FR_SRC_ITEM_BAD with a reason) and the others still count.
 *
 * Ownership, said once for the whole interface: what a builder or parser writes into a
 * struct the caller passes is new and released with that struct's release function
 * (fr_src_request_release, fr_src_page_release, fr_src_items_free), also on failure;
 * const char * arguments and answers are borrowed for the call; everything a struct
 * fr_source points at (its ops, state, schema, headers) belongs to it until
 * fr_source_close(). Errors: 0 or a negative enum fr_err, with struct fr_error set.
 */
#ifndef FR_SOURCE_H
#define FR_SOURCE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct fr_http_response;
struct fr_schema;
struct fr_source_settings; /* common/sources/settings.h: what the programs configure */
struct fr_upstream;
struct fr_budget;
struct fr_redis;
struct fr_queue;

#define FR_SRC_MAX_ID 64 /* = FR_QUEUE_MAX_ID: an id with its terminator */

/* How an answer that is not a usable 200 is classified; callers only decide what to do
 * with their items. */
enum fr_src_class {
    FR_SRC_OK = 0,    /* 200 with a body: parse it */
    FR_SRC_RETRY,     /* 5xx, timeout, reset, truncated or oversized body: try again */
    FR_SRC_THROTTLED, /* 429 (503 for some): the source pauses fleet-wide until
                         pause_ms; not the items' fault, no attempt counted */
    FR_SRC_FATAL,     /* a request the upstream will never accept (bad key, parameter,
                         plan): the source is stopped */
    FR_SRC_AUTH,      /* 401/403 of a source that may get its credentials back: paused
                         fleet-wide without spending any item's attempts, retried */
};

/* What an answer says about the budget. All figures come from the upstream; a field it
 * did not send stays 0. */
struct fr_src_budget {
    int known;              /* remaining, reset_in_ms and rate are the upstream's: they
                               replace the shared estimate */
    int64_t remaining;      /* tokens (or requests) left; may be negative */
    int64_t reset_in_ms;    /* until the next refill or the window's reset */
    int64_t rate;           /* tokens (requests) a refill period; with window, a static
                               per-minute limit that also applies (0 none) */
    int64_t server_ms;      /* the upstream's clock, unix ms, to order answers; 0 none */
    int64_t charged;        /* what this call cost, when the upstream says; 0 unknown */
    int64_t retry_after_ms; /* Retry-After (or the like): wait at least this; 0 none */
    int window;             /* remaining comes back whole at the reset (a rate-limit
                               window, X-RateLimit-*), rather than rate arriving every
                               refill period (a token bucket): common/budget.h's window */
};

/* One request as the source writes it. */
struct fr_src_request {
    char *url;                  /* new */
    char *body;                 /* new; NULL: GET */
    const char *content_type;   /* static; NULL with a GET */
    const char *const *headers; /* "Name: value", NULL-ended; borrowed from the source's
                                   state (values are secrets); NULL: none */
    const char *endpoint;       /* static: the metrics label ("deal", "product") */
    int64_t cost;               /* tokens it takes from the shared budget */
    int holdable;               /* set by the caller: the answer may wait in its socket
                                   while the engine is held (fr_http_hold) */
};
void fr_src_request_release(struct fr_src_request *r);

/* An answer handed to a parser or classifier: borrowed for the call. */
struct fr_src_answer {
    const char *endpoint;               /* the request's (fr_src_request.endpoint) */
    int status;                         /* HTTP status */
    const char *body;                   /* NUL-terminated */
    size_t body_len;
    const struct fr_http_response *res; /* its headers (fr_http_response_header); may be
                                           NULL (tests) */
};

/* The value of the answer's header name, or NULL. */
const char *fr_src_answer_header(const struct fr_src_answer *a, const char *name);

/* A verdict on an answer that was not a 200 (a transport failure is RETRY before any
 * source sees it). */
struct fr_src_verdict {
    int cls;                  /* enum fr_src_class */
    char reason[256];         /* "429: out of tokens, refill in 1500ms" */
    int64_t pause_ms;         /* THROTTLED and AUTH: how long the source waits */
    int resync;               /* the budget is unknown now: ask the budget request soon */
    struct fr_src_budget budget;
};

/* Where discovery is: page numbers for an indexed listing (page, offset); a cursor or
 * next link the previous answer gave (next) for the others. */
struct fr_src_position {
    int64_t page;     /* 0-based page of this pass */
    int64_t offset;   /* records (with the skipped ones) on the pages before */
    const char *next; /* the previous page's fr_src_page.next; NULL on the first page */
};

/* One discovered record. */
struct fr_src_record {
    char id[FR_SRC_MAX_ID];
    json_t *doc;    /* new: what the listing says of it, kept in items.discovery */
    json_t *signal; /* new or NULL: an object; a known active item whose stored payload
                       (or previous listing, fr_src_limits.signal_of_listing) differs
                       from it in any member is due for refresh now */
};

/* One discovery page. */
struct fr_src_page {
    struct fr_src_record *recs; /* new array of n */
    size_t n;
    size_t skipped; /* entries left out for a missing or invalid id */
    int last;       /* the listing ends with this page */
    char *next;     /* new or NULL: the cursor (link) of the following page */
};
void fr_src_page_release(struct fr_src_page *p);

enum fr_src_item_status {
    FR_SRC_ITEM_OK = 0,   /* payload set */
    FR_SRC_ITEM_GONE = 1, /* the upstream says the id does not exist: fail it now */
    FR_SRC_ITEM_BAD = 2,  /* malformed record: reason names the field; retried */
};

/* The typed columns of item_history (schemas/001_init.sql) a source may fill; -1 and ""
 * are SQL NULL. */
struct fr_src_observation {
    int32_t price_amazon, price_new, sales_rank;
    char buybox_seller_id[32];
};

/* One detail record. */
struct fr_src_item {
    char id[FR_SRC_MAX_ID];  /* "" when the record had no usable id (ignored) */
    int status;              /* enum fr_src_item_status */
    char reason[200];        /* why GONE or BAD; "" when OK */
    json_t *payload;         /* new: the normalized record (OK only) */
    char *text;              /* new: the payload as stored (ops->payload_text), set by
                                the processor once payload is validated; an enrichment
                                step may replace it */
    char content_hash[17];   /* of the payload without what changes on every fetch */
    int64_t observed_at_ms;  /* the record's own version time; 0: when fetched */
    int64_t seed_interval_s; /* a first refresh interval the record suggests; 0: none */
    struct fr_src_observation obs;
    char *history;           /* new or NULL: the values the history row keeps besides obs,
                                a JSON object (item_history.fields; a declared source's
                                `history:` fields); a row is written only when they differ
                                from the previous row's */
};
void fr_src_items_free(struct fr_src_item *it, size_t n);

/* What the fleet plans with: fixed for a built-in source, read from the file of a
 * declared one. */
struct fr_src_limits {
    int indexed;             /* page N can be requested before page N-1 has answered */
    int64_t discover_cost;   /* tokens of one discovery page */
    int64_t detail_cost_per_id; /* a detail request costs per_request + per_id × ids */
    int64_t detail_cost_per_request;
    size_t max_ids;          /* ids in one detail request at most */
    int signal_of_listing;   /* a signal is compared with the item's previous listing
                                (items.discovery), not with its payload */
    int64_t discover_interval_ms; /* the source's own time between passes; 0: the
                                     scout's FRESHET_SCOUT_INTERVAL */
};

/* What an enrichment step may use besides its source: all borrowed from the caller. */
struct fr_src_env {
    struct fr_upstream *up;      /* sends (and counts) its requests */
    struct fr_budget *budget;    /* pays for them */
    struct fr_redis *redis;      /* caches its answers */
    const struct fr_queue *queue; /* names its keys (fr_queue_key) */
};
typedef void (*fr_src_enriched_fn)(void *arg);

struct fr_source_ops {
    const char *kind;     /* what implements it, for logs and `sources list` */
    const char *id_hint;  /* what a valid id looks like, for messages; "" none */
    const char *key_hint; /* what to check when the upstream refuses every request
                             (the settings behind the credentials) */
    const char *omitted;  /* last_error of an id a detail answer left out */

    /* Makes the state of the source called name from the programs' settings (*state is
     * new: close) and says what the fleet plans with (*lim). */
    int (*open)(const char *name, const struct fr_source_settings *set, void **state,
                struct fr_src_limits *lim, struct fr_error *err);
    void (*close)(void *state);
    /* "" when requests can be signed, else what to set (freshetctl names it). */
    const char *(*missing_credentials)(const void *state);
    /* 1 when id is one the upstream can answer for (the queue and the intake check it
     * before anything is spent on it). No state: the queue parser calls it bare. */
    int (*valid_id)(const char *id);
    /* Writes the secret-free form of url into out[n] (terminated, truncated). */
    void (*redact)(const void *state, const char *url, char *out, size_t n);

    /* Discovery: the request for page at, and the parse of its 200 answer. *budget is
     * filled as far as the answer allows, also when the parse fails (likewise below). */
    int (*discover_request)(void *state, const struct fr_src_position *at,
                            struct fr_src_request *req, struct fr_error *err);
    int (*discover_parse)(void *state, const struct fr_src_answer *a, struct fr_src_page *page,
                          struct fr_src_budget *budget, struct fr_error *err);

    /* Detail: one request for ids[0..nids) (nids <= max_ids), and the parse of its
     * answer into *items (new array of *n, fr_src_items_free); ids are the ones asked
     * for, for answers that do not repeat them. The answer is a 200, or a status the
     * source's classify called OK (a 404 of a one-id request: that item GONE). An id
     * the answer does not cover is simply absent. */
    int (*detail_request)(void *state, const char *const *ids, size_t nids,
                          struct fr_src_request *req, struct fr_error *err);
    int (*detail_parse)(void *state, const char *const *ids, size_t nids,
                        const struct fr_src_answer *a, struct fr_src_item **items, size_t *n,
                        struct fr_src_budget *budget, struct fr_error *err);
    /* The schema every payload must satisfy into *out (borrowed; NULL: none), loaded on
     * the first call: only the processor validates payloads. */
    int (*schema)(void *state, const struct fr_schema **out, struct fr_error *err);
    /* The payload as stored in items.payload: new string. */
    char *(*payload_text)(const json_t *payload);

    /* The budget: a free request whose answer says the balance (NULL: the source has
     * none, its figures come with the answers), and what an answer says about it. */
    int (*budget_request)(void *state, struct fr_src_request *req, struct fr_error *err);
    int (*budget_parse)(void *state, const struct fr_src_answer *a, struct fr_src_budget *budget,
                        struct fr_error *err);
    /* Without a budget request: the figures to start from while the shared budget knows
     * none (a declared requests_per_minute, or one request to learn the window from);
     * 0, or FR_ERR_NOTFOUND when it has none. With window set: known = 0, a window
     * learned from the answers (rate: a static per-minute limit besides, 0 none);
     * known = 1, a static window of rate requests a minute. */
    int (*budget_seed)(const void *state, struct fr_src_budget *budget);
    /* Classifies an answer that is not a 200 (filling v->budget from it): the class,
     * why, and for THROTTLED or AUTH how long to pause (the later of Retry-After and
     * the reset, for a source whose headers say them). */
    void (*classify)(void *state, const struct fr_src_answer *a, struct fr_src_verdict *v);

    /* Optional (NULL: none): a step after the detail parse that adds to the texts of OK
     * items, e.g. the built-in source's buy-box seller lookup. It never fails the items:
     * when it cannot pay or its request fails, they go on without it. done(arg) is
     * called exactly once, possibly before enrich returns. */
    void (*enrich)(void *state, const struct fr_src_env *env, struct fr_src_item *items,
                   size_t n, fr_src_enriched_fn done, void *arg);
};

/* An open source: what a process serves under one name. */
struct fr_source {
    const char *name;               /* rows, Redis keys, metrics; borrowed */
    const struct fr_source_ops *ops;
    void *state;                    /* owned: ops->close */
    struct fr_src_limits lim;
    int64_t timeout_ms;             /* per request */
    int64_t max_body;               /* bytes; larger answers are refused while streaming */
};

/*
 * Opens the source that serves name: a built-in source of that name; else the source
 * file <sources_dir>/<name>.yaml when there is one (a declared source); else the default
 * built-in one (so a second catalog, or a test, runs the built-in upstream under a name
 * of its own, as before sources were declared). *out is new (fr_source_close).
 * FR_ERR_USAGE naming the file, key or setting when they do not make a usable source.
 */
int fr_source_open(const char *name, const struct fr_source_settings *set,
                   struct fr_source **out, struct fr_error *err);
void fr_source_close(struct fr_source *s);

/* The ops of the built-in source called exactly name, or NULL (freshetctl checks ids of
 * a source it does not open). Static storage. */
const struct fr_source_ops *fr_source_builtin_ops(const char *name);

/* 1 when id is 1..FR_SRC_MAX_ID-1 printable characters without spaces: what any queue
 * item may name (the check of a source that has no stricter one). */
int fr_src_plain_id(const char *id);

/* Cost of a detail request for n ids. */
int64_t fr_source_detail_cost(const struct fr_source *s, size_t n);

#endif
