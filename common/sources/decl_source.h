/*
 * decl_source — a source file (decl_config.h) as an implementation of common/source.h:
 * requests written from its discover and detail sections (decl_request.c), answers read
 * with its paths and budget headers (decl_answer.c), its ${VAR} values kept out of
 * logged URLs. The detail parse also gives each item its `history:` fields' values
 * (fr_src_item.history, item_history.fields).
 */
#ifndef FR_DECL_SOURCE_H
#define FR_DECL_SOURCE_H

#include "common/source.h"
#include "common/sources/decl_config.h"

extern const struct fr_source_ops fr_decl_source_ops;

struct fr_decl_state {
    struct fr_decl_source *file; /* owned */
    char **headers;              /* "Name: value", NULL-ended; owned (values are secrets) */
};

/* decl_request.c */
int fr_decl_discover_request(void *state, const struct fr_src_position *at,
                             struct fr_src_request *req, struct fr_error *err);
int fr_decl_detail_request(void *state, const char *const *ids, size_t nids,
                           struct fr_src_request *req, struct fr_error *err);

/* decl_answer.c */
int fr_decl_discover_parse(void *state, const struct fr_src_answer *a, struct fr_src_page *page,
                           struct fr_src_budget *budget, struct fr_error *err);
int fr_decl_detail_parse(void *state, const char *const *ids, size_t nids,
                         const struct fr_src_answer *a, struct fr_src_item **items, size_t *n,
                         struct fr_src_budget *budget, struct fr_error *err);
int fr_decl_budget_parse(void *state, const struct fr_src_answer *a, struct fr_src_budget *budget,
                         struct fr_error *err);
void fr_decl_classify(void *state, const struct fr_src_answer *a, struct fr_src_verdict *v);
/* The payload as stored: compact, sorted keys, reals with 15 significant digits; new. */
char *fr_decl_payload_text(const json_t *payload);

/* decl_time.c: the budget headers' values. Each returns 0 with *ms set, or -1 when s is
 * not of that form. */
/* A reset header per reset_format (enum fr_decl_reset): epoch (unix seconds), seconds
 * from now, or a Go-style duration ("6m0s", "1.5s", "17ms"; common/llm.h reads them),
 * as ms from now_ms. */
int fr_decl_reset_in(const char *s, int format, int64_t now_ms, int64_t *ms);
/* Retry-After: delay-seconds, or an HTTP date, as ms from now_ms (0 when past). */
int fr_decl_retry_after(const char *s, int64_t now_ms, int64_t *ms);
/* A Link header's rel="next" URL into a new string, or NULL. */
char *fr_decl_link_next(const char *link);

#endif
