/*
 * answer.h - the content of an answer and the chat.completion body around it.
 *
 * The content is the JSON text of fl_gen_answer for the request's schema (the
 * deal-analysis schema when it has none) seeded by the prompt's hash, so the
 * same prompt always gets the same content; a fault may replace it by text
 * that is not JSON or by JSON of the wrong shape. Content longer than
 * max_tokens (4 bytes a token) is cut there with finish_reason "length".
 */
#ifndef FL_ANSWER_H
#define FL_ANSWER_H

#include "faults.h"
#include "request.h"

#include <stdint.h>

enum fl_answer_kind {
    FL_ANSWER_VALID,
    FL_ANSWER_NONJSON,
    FL_ANSWER_SHAPE,
    FL_ANSWER_LENGTH, /* cut at max_tokens */
};

struct fl_answer {
    char *content; /* owned */
    enum fl_answer_kind kind;
    int64_t prompt_tokens, completion_tokens;
};

/*
 * Builds the content for r under fault (FL_FAULT_NONJSON and FL_FAULT_SHAPE
 * change it; others do not). deal_schema is used when r carries no schema.
 */
void fl_answer_build(struct fl_answer *a, const struct fl_request *r, const json_t *deal_schema,
                     enum fl_fault fault);

/* Returns the chat.completion body for a (new string, free it); id_seed names it. */
char *fl_answer_body(const struct fl_answer *a, const struct fl_request *r, uint64_t id_seed,
                     int64_t created);

void fl_answer_release(struct fl_answer *a);

#endif
