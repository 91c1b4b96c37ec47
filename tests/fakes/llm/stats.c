/*
 * stats.c - counters, the per-prompt table and the window maxima, see stats.h.
 */
#include "stats.h"

#include "common/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const outcome_names[FL_OUT_COUNT] = {
    "200",       "200_nonjson", "200_wrong_shape", "200_length", "400",
    "401",       "404",         "405",             "429_limit",  "429_fault",
    "429_storm", "500",         "503",             "timeout",    "closed",
};

const char *fl_outcome_name(enum fl_outcome o)
{
    return o < FL_OUT_COUNT ? outcome_names[o] : "?";
}

void fl_stats_init(struct fl_stats *st, int64_t window_ms)
{
    memset(st, 0, sizeof(*st));
    fl_window_init(&st->arrivals, window_ms);
    fl_window_init(&st->tokens, window_ms);
}

void fl_stats_release(struct fl_stats *st)
{
    free(st->prompts);
    fl_window_release(&st->arrivals);
    fl_window_release(&st->tokens);
    memset(st, 0, sizeof(*st));
}

void fl_stats_reset(struct fl_stats *st)
{
    memset(st->outcomes, 0, sizeof(st->outcomes));
    st->prompt_tokens = st->completion_tokens = 0;
    if (st->prompts != NULL)
        memset(st->prompts, 0, st->cap * sizeof(*st->prompts));
    st->nprompts = 0;
    st->prompts_answered = 0;
    st->calls_max = st->answers_max = 0;
    fl_window_clear(&st->arrivals);
    fl_window_clear(&st->tokens);
    st->arrivals_max = 0;
    st->tokens_max = 0;
}

void fl_stats_arrival(struct fl_stats *st, int64_t now)
{
    fl_window_expire(&st->arrivals, now);
    fl_window_add(&st->arrivals, now, 1);
    if (st->arrivals.len > st->arrivals_max)
        st->arrivals_max = st->arrivals.len;
}

void fl_stats_outcome(struct fl_stats *st, enum fl_outcome o)
{
    st->outcomes[o]++;
}

/* Returns the slot of hash in a table of cap slots (its own or the free one to use). */
static struct fl_prompt *slot(struct fl_prompt *t, size_t cap, uint64_t hash)
{
    size_t i = (size_t)(hash ^ hash >> 29) & (cap - 1);

    while (t[i].hash != 0 && t[i].hash != hash)
        i = (i + 1) & (cap - 1);
    return &t[i];
}

/* Doubles the table once it is 70% full. */
static void grow(struct fl_stats *st)
{
    size_t cap = st->cap ? st->cap * 2 : 1024;
    struct fl_prompt *t = fr_xcalloc(cap, sizeof(*t));

    for (size_t i = 0; i < st->cap; i++) {
        if (st->prompts[i].hash != 0)
            *slot(t, cap, st->prompts[i].hash) = st->prompts[i];
    }
    free(st->prompts);
    st->prompts = t;
    st->cap = cap;
}

void fl_stats_prompt(struct fl_stats *st, uint64_t hash, int valid)
{
    struct fl_prompt *p;

    if (hash == 0)
        hash = 1; /* 0 marks a free slot */
    if ((st->nprompts + 1) * 10 > st->cap * 7)
        grow(st);
    p = slot(st->prompts, st->cap, hash);
    if (p->hash == 0) {
        p->hash = hash;
        st->nprompts++;
    }
    p->calls++;
    if (p->calls > st->calls_max)
        st->calls_max = p->calls;
    if (!valid)
        return;
    if (++p->answers == 1)
        st->prompts_answered++;
    if (p->answers > st->answers_max)
        st->answers_max = p->answers;
}

void fl_stats_tokens(struct fl_stats *st, int64_t now, int64_t prompt, int64_t completion)
{
    st->prompt_tokens += (uint64_t)prompt;
    st->completion_tokens += (uint64_t)completion;
    fl_window_expire(&st->tokens, now);
    fl_window_add(&st->tokens, now, prompt + completion);
    if (st->tokens.sum > st->tokens_max)
        st->tokens_max = st->tokens.sum;
}

static json_t *prompts_json(const struct fl_stats *st)
{
    json_t *map = json_object();
    char key[17];

    for (size_t i = 0; i < st->cap; i++) {
        const struct fl_prompt *p = &st->prompts[i];
        if (p->hash == 0)
            continue;
        snprintf(key, sizeof(key), "%016llx", (unsigned long long)p->hash);
        json_object_set_new(map, key, json_pack("[II]", (json_int_t)p->calls,
                                                (json_int_t)p->answers));
    }
    return map;
}

json_t *fl_stats_json(const struct fl_stats *st, int with_prompts)
{
    json_t *out = json_object(), *by = json_object();
    uint64_t calls = 0, answered = 0, s429, s5xx;

    for (int o = 0; o < FL_OUT_COUNT; o++) {
        calls += st->outcomes[o];
        if (st->outcomes[o] > 0)
            json_object_set_new(by, outcome_names[o], json_integer((json_int_t)st->outcomes[o]));
    }
    for (int o = FL_OUT_200; o <= FL_OUT_200_LENGTH; o++)
        answered += st->outcomes[o];
    s429 = st->outcomes[FL_OUT_429_LIMIT] + st->outcomes[FL_OUT_429_FAULT] +
           st->outcomes[FL_OUT_429_STORM];
    s5xx = st->outcomes[FL_OUT_500] + st->outcomes[FL_OUT_503];
    json_object_set_new(out, "calls", json_integer((json_int_t)calls));
    json_object_set_new(out, "answered", json_integer((json_int_t)answered));
    json_object_set_new(out, "valid", json_integer((json_int_t)st->outcomes[FL_OUT_200]));
    json_object_set_new(out, "status_429", json_integer((json_int_t)s429));
    json_object_set_new(out, "status_5xx", json_integer((json_int_t)s5xx));
    json_object_set_new(out, "outcomes", by);
    json_object_set_new(out, "prompt_tokens", json_integer((json_int_t)st->prompt_tokens));
    json_object_set_new(out, "completion_tokens", json_integer((json_int_t)st->completion_tokens));
    json_object_set_new(out, "total_tokens",
                        json_integer((json_int_t)(st->prompt_tokens + st->completion_tokens)));
    json_object_set_new(out, "prompts_distinct", json_integer((json_int_t)st->nprompts));
    json_object_set_new(out, "prompts_answered", json_integer((json_int_t)st->prompts_answered));
    json_object_set_new(out, "prompt_calls_max", json_integer(st->calls_max));
    json_object_set_new(out, "prompt_answers_max", json_integer(st->answers_max));
    json_object_set_new(out, "window_ms", json_integer(st->arrivals.span_ms));
    json_object_set_new(out, "max_calls_in_window", json_integer((json_int_t)st->arrivals_max));
    json_object_set_new(out, "max_tokens_in_window", json_integer(st->tokens_max));
    if (with_prompts)
        json_object_set_new(out, "prompts", prompts_json(st));
    return out;
}
