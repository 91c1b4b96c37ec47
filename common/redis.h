/*
 * redis — a synchronous hiredis connection made safe for a long-running worker:
 * configured from REDIS_URL (password, db index), connect and command timeouts,
 * reconnection with capped exponential backoff, errors reported (never a crash),
 * pipelining, and Lua scripts that survive a server restart (EVALSHA, then EVAL on
 * NOSCRIPT).
 *
 * Why synchronous inside a libevent daemon: every command freshet sends is O(batch)
 * and local; a pipelined batch costs one round trip (tens of microseconds on a LAN),
 * which is cheaper than the bookkeeping of callbacks. Blocking commands (BLPOP) are
 * never used; waiting is done by the event loop's timers.
 *
 * Replies returned through an out-parameter are new: the caller frees them with
 * freeReplyObject(). `connects` counts successful connections so callers can notice
 * a reconnect (to re-check a flush sentinel, say).
 */
#ifndef FR_REDIS_H
#define FR_REDIS_H

#include <hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "common/backoff.h"
#include "common/err.h"
#include "common/url.h"

struct fr_redis {
    struct fr_redis_url url;
    char addr[300]; /* "host:port" for messages */
    int64_t connect_timeout_ms;
    int64_t cmd_timeout_ms;
    redisContext *c;
    struct fr_backoff backoff;
    int64_t next_attempt_ms; /* monotonic; no connect attempt before it */
    uint64_t connects;
    int pending; /* pipelined commands whose replies are unread */
};

/* Parses url; does no I/O. Timeouts in ms (0 = 5000). */
int fr_redis_init(struct fr_redis *r, const char *url, int64_t connect_timeout_ms,
                  int64_t cmd_timeout_ms, struct fr_error *err);
void fr_redis_close(struct fr_redis *r);

/* One connection attempt now (AUTH and SELECT included). */
int fr_redis_connect(struct fr_redis *r, struct fr_error *err);
/* Retries with backoff until connected or timeout_ms passes (start-up). */
int fr_redis_connect_wait(struct fr_redis *r, int64_t timeout_ms, const volatile int *stop,
                          struct fr_error *err);
/* Connected, or tries to connect if the backoff allows it now; else FR_ERR_IO. */
int fr_redis_ensure(struct fr_redis *r, struct fr_error *err);
int fr_redis_connected(const struct fr_redis *r);

/* One command. An error reply is FR_ERR_PROTO with the server's text; *out is NULL then.
 * out may be NULL to discard the reply. */
int fr_redis_cmd(struct fr_redis *r, redisReply **out, struct fr_error *err, const char *fmt, ...);
int fr_redis_cmd_argv(struct fr_redis *r, redisReply **out, struct fr_error *err, int argc,
                      const char **argv, const size_t *lens);

/* Pipelining: append commands, then read exactly as many replies. Appending while
 * disconnected tries to connect first. Reading returns error replies as replies
 * (with FR_ERR_PROTO), and FR_ERR_IO for every remaining one once the link broke. */
int fr_redis_append(struct fr_redis *r, struct fr_error *err, const char *fmt, ...);
int fr_redis_append_argv(struct fr_redis *r, struct fr_error *err, int argc, const char **argv,
                         const size_t *lens);
int fr_redis_read(struct fr_redis *r, redisReply **out, struct fr_error *err);
/* Reads and frees the replies still pending; returns the first error seen. */
int fr_redis_drain(struct fr_redis *r, struct fr_error *err);

struct fr_redis_script {
    const char *src;
    char sha[41]; /* filled on first use */
};

/* EVALSHA with keys then args; loads the script when the server does not know it. */
int fr_redis_eval(struct fr_redis *r, struct fr_redis_script *s, redisReply **out,
                  struct fr_error *err, int nkeys, const char *const *keys, int nargs,
                  const char *const *args);

/* Same with any number of arguments (heap-allocated argv). */
int fr_redis_eval_argv(struct fr_redis *r, struct fr_redis_script *s, redisReply **out,
                       struct fr_error *err, int nkeys, const char *const *keys, int nargs,
                       const char *const *args);

/* Warns (returns 1) when maxmemory-policy is not noeviction; 0 when fine or unknown. */
int fr_redis_warn_policy(struct fr_redis *r);

#endif
