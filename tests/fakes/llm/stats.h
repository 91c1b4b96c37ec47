/*
 * stats.h - what the fake has seen, read back by tests through /_test/stats.
 *
 * Every call to the API (anything outside /_test/) is counted once by its
 * outcome. Calls whose request could be read are also counted per distinct
 * prompt, keyed by the hash of their user messages, together with how many
 * of them got a valid answer, so a test can check that no input was paid for
 * twice. Two sliding windows of the --window-ms length record the most calls
 * that arrived, and the most tokens charged, within any one window.
 */
#ifndef FL_STATS_H
#define FL_STATS_H

#include "window.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

enum fl_outcome {
    FL_OUT_200,         /* a valid answer */
    FL_OUT_200_NONJSON, /* fault: content not JSON */
    FL_OUT_200_SHAPE,   /* fault: content failing the schema */
    FL_OUT_200_LENGTH,  /* content cut at max_tokens (finish_reason "length") */
    FL_OUT_400,
    FL_OUT_401,
    FL_OUT_404,
    FL_OUT_405,
    FL_OUT_429_LIMIT, /* over rpm or tpm */
    FL_OUT_429_FAULT, /* fail_429 */
    FL_OUT_429_STORM,
    FL_OUT_500,
    FL_OUT_503,     /* outage */
    FL_OUT_TIMEOUT, /* never answered */
    FL_OUT_CLOSED,  /* outage: connection closed */
    FL_OUT_COUNT,
};

struct fl_prompt {
    uint64_t hash; /* 0: free slot */
    uint32_t calls, answers;
};

struct fl_stats {
    uint64_t outcomes[FL_OUT_COUNT];
    uint64_t prompt_tokens, completion_tokens;
    struct fl_prompt *prompts; /* open addressing, cap a power of two */
    size_t nprompts, cap;
    uint64_t prompts_answered;
    uint32_t calls_max, answers_max;
    struct fl_window arrivals, tokens;
    uint64_t arrivals_max;
    int64_t tokens_max;
};

void fl_stats_init(struct fl_stats *st, int64_t window_ms);
void fl_stats_release(struct fl_stats *st);
void fl_stats_reset(struct fl_stats *st);

/* Returns the outcome's name in /_test/stats, e.g. "429_limit". */
const char *fl_outcome_name(enum fl_outcome o);

/* Counts a call arriving at time now (before anything is decided about it). */
void fl_stats_arrival(struct fl_stats *st, int64_t now);

/* Counts a call's outcome. */
void fl_stats_outcome(struct fl_stats *st, enum fl_outcome o);

/* Counts a call for the prompt hash; valid says it got a valid answer. */
void fl_stats_prompt(struct fl_stats *st, uint64_t hash, int valid);

/* Counts the tokens charged to a call answered at time now. */
void fl_stats_tokens(struct fl_stats *st, int64_t now, int64_t prompt, int64_t completion);

/* Returns the counters as a new JSON object; with_prompts adds the per-prompt map. */
json_t *fl_stats_json(const struct fl_stats *st, int with_prompts);

#endif
