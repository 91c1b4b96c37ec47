/*
 * ctl — what freshetctl's subcommands share: each is a function taking its own argv
 * (argv[0] is the subcommand name) and returning the process exit status (0 success,
 * 1 runtime failure, 2 bad usage naming the bad argument).
 *
 * Shared helpers live here too, one file each: argument splitting and TIME arguments
 * (args.c), aligned tables (table.c), progress lines (progress.c), the id intake behind
 * enqueue and backfill (feed.c, pages.c) and the dead-letter list walker (deadlist.c).
 */
#ifndef CTL_H
#define CTL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/config.h"
#include "common/db.h"
#include "common/err.h"
#include "common/queue.h"

struct ctl_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

int ctl_migrate(int argc, char **argv);
int ctl_status(int argc, char **argv);
int ctl_enqueue(int argc, char **argv);
int ctl_backfill(int argc, char **argv);
int ctl_dlq(int argc, char **argv);
int ctl_export(int argc, char **argv);
int ctl_verify_freshness(int argc, char **argv);
int ctl_sources(int argc, char **argv);

/* ---- dispatch.c ------------------------------------------------------------------ */

/* Runs the action named by argv[1] of a command with actions (argv[0] is the command):
 * the action gets argv from its own name on. No action: usage on stderr and 2; --help
 * or -h: usage on stdout and 0; an unknown action: "<prog>: unknown action 'x' (a, b or
 * c)" and 2. Returns the action's exit status otherwise. */
int ctl_dispatch(const char *prog, const struct ctl_command *actions, size_t n,
                 void (*usage)(FILE *f), int argc, char **argv);

/* ---- args.c ---------------------------------------------------------------------- */

/*
 * Separates options from positional arguments so options may follow them
 * ("enqueue B0.. B0.. --hot"): an option that takes a value (per opts) keeps the next
 * argument with it; "-" and anything not starting with "--" is positional, and so is
 * everything after "--". *oargv gets argv[0] plus the options (for fr_app_init), *pos
 * the positionals; both are new arrays (free() them, not their strings).
 */
void ctl_split_args(const struct fr_opt *opts, size_t n, int argc, char **argv, int *oargc,
                    char ***oargv, int *npos, char ***pos);

/* Prints "<prog>: <message>" on stderr and returns 2 (bad usage). */
int ctl_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A TIME argument: ISO-8601 ("2026-01-02", "2026-01-02T03:04:05Z", "...+02:00") or a
 * duration meaning that long ago ("2h"). Sets *unix_ms; FR_ERR_USAGE naming s. */
int ctl_parse_time(const char *s, int64_t *unix_ms, struct fr_error *err);
/* Parses only the ISO-8601 forms (dead-letter "time" fields). */
int ctl_parse_iso8601(const char *s, int64_t *unix_ms);

/* Seconds as a short human age: "850ms", "42s", "15m20s", "3h05m", "2d04h". */
void ctl_fmt_age(double secs, char *out, size_t n);

/* 1 when id is acceptable for source: what the built-in source of that name accepts
 * (common/source.h, valid_id), else 1..63 printable characters without spaces. */
int ctl_valid_id(const char *source, const char *id);

/* Case-insensitive substring test (needle "" matches everything). */
int ctl_contains_ci(const char *hay, const char *needle);

/* ---- table.c: aligned human output ------------------------------------------------- */

struct ctl_table {
    size_t ncols;
    const char *align; /* one 'l' or 'r' per column; borrowed */
    char **cells;      /* owned, nrows * ncols */
    size_t nrows, cap;
};

void ctl_table_init(struct ctl_table *t, size_t ncols, const char *align);
/* Adds one row of ncols strings (copied; NULL prints as "-"). Control characters become
 * spaces and cells longer than 72 characters are cut with "...". */
void ctl_table_row(struct ctl_table *t, ...);
void ctl_table_print(const struct ctl_table *t, FILE *f, const char *indent);
void ctl_table_release(struct ctl_table *t);

/* ---- progress.c: long-running intake ---------------------------------------------- */

struct ctl_progress {
    const char *what; /* "backfill"; borrowed */
    const char *unit; /* "ids", "rows"; borrowed */
    FILE *out;        /* stderr */
    int tty;          /* redraw a bar in place */
    int drawn;        /* a bar is on screen and needs a newline */
    int64_t start_ms, last_ms;
    uint64_t last_count;
};

void ctl_progress_init(struct ctl_progress *p, const char *what, const char *unit);
/* Reports done units; frac in [0, 1] is the share of the input consumed (for the bar and
 * ETA), < 0 when unknown. detail ("" or ", x, y") is appended to plain lines. On a tty
 * redraws at most 10 times a second; otherwise one plain line every 10,000 or 5 s. */
void ctl_progress_tick(struct ctl_progress *p, uint64_t done, double frac, const char *detail);
/* Ends the bar's line (tty). */
void ctl_progress_end(struct ctl_progress *p);

/* ---- feed.c: idempotent intake of ids (enqueue, backfill) -------------------------- */

#define CTL_FEED_BATCH 1000

struct ctl_feed {
    struct fr_db *db;       /* borrowed */
    struct fr_queue *queue; /* borrowed */
    const char *source;
    const char *prog;       /* "freshetctl backfill", for error lines */
    int priority;           /* 1..9 for new and requeued rows; 0 = keep (new: 5) */
    int hot;                /* enqueue on queue:hot */
    char (*ids)[FR_QUEUE_MAX_ID]; /* owned, CTL_FEED_BATCH slots */
    size_t n;
    int64_t batch_started_ms;
    uint64_t read, invalid, inserted, requeued, already, enqueued;
    double frac; /* input consumed, for progress; < 0 unknown */
    struct ctl_progress progress;
};

void ctl_feed_init(struct ctl_feed *f, struct fr_db *db, struct fr_queue *q, const char *source,
                   const char *prog, int priority, int hot);
void ctl_feed_release(struct ctl_feed *f);
/* Counts one id; an invalid one prints "<prog>: <where> <num>: invalid id '<id>'" and is
 * counted. Flushes a full batch (or one older than a second). */
int ctl_feed_add(struct ctl_feed *f, const char *id, const char *where, uint64_t num,
                 struct fr_error *err);
/* Writes the batch: one statement creating missing rows (pending_processing) and flipping
 * active/failed ones back to pending (attempts reset for failed), then the Lua enqueue
 * that skips ids already queued. */
int ctl_feed_flush(struct ctl_feed *f, struct fr_error *err);
/* 1 when ids were read and every one was invalid. */
int ctl_feed_all_bad(const struct ctl_feed *f);
/* Prints the summary (stdout) and what went wrong (stderr) after a run that returned rc;
 * returns the exit status: 1 on an error, an interruption or when every id was invalid. */
int ctl_feed_finish(struct ctl_feed *f, int rc, const struct fr_error *err, int json,
                    int64_t start_ms);

/* ---- pages.c: backfill --pages ----------------------------------------------------- */

struct fr_source_settings;
struct fr_redis;
/* Reads the source's discovery pages first..last (each paid from the shared budget) one
 * at a time and feeds their ids; stops early at the end of the listing. */
int ctl_pages_feed(struct ctl_feed *f, struct fr_redis *r, const struct fr_source_settings *set,
                   int64_t token_period_ms, int first, int last, struct fr_error *err);
/* Usage check of --pages: 0 when source can be opened and sign its requests, else the
 * usage error's exit status (the message printed). */
int ctl_pages_check(const char *prog, const char *source, const struct fr_source_settings *set);

/* ---- deadlist.c: the Redis dead-letter list ---------------------------------------- */

struct ctl_dead {
    const char *raw; /* the entry as stored; borrowed from the chunk */
    size_t len;
    json_t *doc;     /* parsed entry (NULL when it is not a JSON object); borrowed */
    const char *item, *reason, *time; /* "" when missing */
    int64_t time_ms;                  /* 0 when missing or unparseable */
    char id[FR_QUEUE_MAX_ID];         /* the item's id, "" when it holds no valid id */
    int remove;                       /* set by the callback: delete this entry */
};

/* Called with each chunk of up to 1000 entries, oldest first; returns 0 or an error. */
typedef int (*ctl_dead_fn)(struct ctl_dead *d, size_t n, void *arg, struct fr_error *err);

/* Walks the whole list; entries whose remove flag the callback set are deleted
 * (LREM of that exact entry, so items appended meanwhile are untouched). *removed (may
 * be NULL) gets how many were deleted. */
int ctl_dead_walk(struct fr_queue *q, ctl_dead_fn fn, void *arg, size_t *removed,
                  struct fr_error *err);

/* The entry as a JSON object for output: new reference. */
json_t *ctl_dead_json(const struct ctl_dead *d);

#endif
