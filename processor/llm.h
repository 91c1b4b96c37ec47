/*
 * llm — the processor's analysis step (DESIGN.md "LLM analysis"): after a batch's write
 * commits, each record whose analysis inputs changed waits in PostgreSQL (llm_want !=
 * llm_done, migration 005); this loop claims waiting rows on the processor's event
 * loop with its own concurrency, answers them from the cache (llm_cache) or by one POST
 * <url>/chat/completions per input hash fleet-wide (a Redis lock per hash, a shared
 * budget of requests and tokens per minute), and stores the validated answer on the row
 * without touching content_hash or history, only while the row still wants that hash.
 *
 * Modules: llm.c (the loop: claim, call, settle), llm_sql.c (its statements),
 * llm_budget.c (the Redis budget, pause and in-flight locks).
 */
#ifndef PROC_LLM_H
#define PROC_LLM_H

#include <stdint.h>

#include "common/err.h"

struct proc;
struct proc_llm;

/* Loads <dir>/<source>.yaml when it exists and has an analysis section: 0 with *out
 * set (new, or NULL when the source has no analysis), or FR_ERR_USAGE with the loader's
 * one-line message (the caller exits 2). */
int proc_llm_load(struct proc *p, const char *dir, struct proc_llm **out, struct fr_error *err);

/* Starts the loop on p's event base (after p's connections are up). */
void proc_llm_start(struct proc_llm *l);

/* The input hash of a payload (its JSON text) into hex[65]: the row's llm_want. "" when
 * the text is not a JSON object (the row is then not analysed). */
void proc_llm_hash(const struct proc_llm *l, const char *payload_text, char hex[65]);

/* A batch wrote rows that may wait for analysis: claim soon. */
void proc_llm_kick(struct proc_llm *l);

/* SIGTERM: claim nothing more, hand back what waits for the budget; calls in flight
 * finish (or are cancelled and handed back by proc_llm_cancel at the grace's end). */
void proc_llm_stop(struct proc_llm *l);
void proc_llm_cancel(struct proc_llm *l);

/* Work claimed and not settled (0 when l is NULL). */
int proc_llm_busy(const struct proc_llm *l);
/* With --once: 1 when the last claim found nothing waiting and nothing is in flight. */
int proc_llm_drained(const struct proc_llm *l);

/* Heartbeat: exports the waiting gauge, deletes expired cache rows now and then. */
void proc_llm_tick(struct proc_llm *l);

void proc_llm_free(struct proc_llm *l);

#endif
