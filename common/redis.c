/*
 * redis — see redis.h.
 */
#include "common/redis.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include <stdlib.h>

int fr_redis_init(struct fr_redis *r, const char *url, int64_t connect_timeout_ms,
                  int64_t cmd_timeout_ms, struct fr_error *err)
{
    memset(r, 0, sizeof(*r));
    if (fr_parse_redis_url(url, &r->url, err) != 0) {
        fr_error_prefix(err, "REDIS_URL");
        return FR_ERR_USAGE;
    }
    snprintf(r->addr, sizeof(r->addr), "%s:%d", r->url.host, r->url.port);
    r->connect_timeout_ms = connect_timeout_ms > 0 ? connect_timeout_ms : 5000;
    r->cmd_timeout_ms = cmd_timeout_ms > 0 ? cmd_timeout_ms : 5000;
    fr_backoff_init(&r->backoff, 100, 5000, 0);
    return 0;
}

static void drop(struct fr_redis *r)
{
    if (r->c != NULL)
        redisFree(r->c);
    r->c = NULL;
    r->pending = 0;
    r->next_attempt_ms = fr_mono_ms() + fr_backoff_next(&r->backoff);
}

void fr_redis_close(struct fr_redis *r)
{
    if (r->c != NULL)
        redisFree(r->c);
    r->c = NULL;
    r->pending = 0;
}

int fr_redis_connected(const struct fr_redis *r)
{
    return r->c != NULL && r->c->err == 0;
}

static struct timeval tv_ms(int64_t ms)
{
    struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
    return tv;
}

/* Sends AUTH/SELECT on a fresh context; replies are checked, not ignored. */
static int handshake(struct fr_redis *r, struct fr_error *err)
{
    redisReply *rep = NULL;

    if (r->url.password[0]) {
        if (r->url.user[0])
            rep = redisCommand(r->c, "AUTH %s %s", r->url.user, r->url.password);
        else
            rep = redisCommand(r->c, "AUTH %s", r->url.password);
        if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
            fr_error_set(err, FR_ERR_IO, "redis at '%s': authentication failed: %s", r->addr,
                         rep ? rep->str : r->c->errstr);
            if (rep)
                freeReplyObject(rep);
            return FR_ERR_IO;
        }
        freeReplyObject(rep);
    }
    if (r->url.db != 0) {
        rep = redisCommand(r->c, "SELECT %d", r->url.db);
        if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
            fr_error_set(err, FR_ERR_IO, "redis at '%s': select %d failed: %s", r->addr,
                         r->url.db, rep ? rep->str : r->c->errstr);
            if (rep)
                freeReplyObject(rep);
            return FR_ERR_IO;
        }
        freeReplyObject(rep);
    }
    return 0;
}

int fr_redis_connect(struct fr_redis *r, struct fr_error *err)
{
    fr_redis_close(r);
    r->c = redisConnectWithTimeout(r->url.host, r->url.port, tv_ms(r->connect_timeout_ms));
    if (r->c == NULL || r->c->err) {
        fr_error_set(err, FR_ERR_IO, "cannot connect to redis at '%s': %s", r->addr,
                     r->c ? r->c->errstr : "out of memory");
        drop(r);
        return FR_ERR_IO;
    }
    redisSetTimeout(r->c, tv_ms(r->cmd_timeout_ms));
    redisEnableKeepAlive(r->c);
    if (handshake(r, err) != 0) {
        drop(r);
        return FR_ERR_IO;
    }
    if (r->connects > 0 || r->backoff.attempt > 0)
        log_info_kv(FR_KV("addr", r->addr), "redis connected");
    r->connects++;
    fr_backoff_reset(&r->backoff);
    r->next_attempt_ms = 0;
    return 0;
}

int fr_redis_connect_wait(struct fr_redis *r, int64_t timeout_ms, const volatile int *stop,
                          struct fr_error *err)
{
    int64_t deadline = fr_mono_ms() + timeout_ms;
    struct fr_error last = {0};

    for (;;) {
        fr_error_clear(&last);
        if (fr_redis_connect(r, &last) == 0)
            return 0;
        int64_t now = fr_mono_ms(), wait = r->next_attempt_ms - now;
        if (now >= deadline || (stop && *stop))
            break;
        fr_sleep_ms(wait < deadline - now ? wait : deadline - now, stop);
    }
    return fr_error_set(err, FR_ERR_IO, "%s (gave up after %lldms)", last.msg,
                        (long long)timeout_ms);
}

int fr_redis_ensure(struct fr_redis *r, struct fr_error *err)
{
    if (fr_redis_connected(r))
        return 0;
    if (r->c != NULL)
        drop(r);
    if (fr_mono_ms() < r->next_attempt_ms)
        return fr_error_set(err, FR_ERR_IO, "redis at '%s' unavailable (reconnecting)", r->addr);
    return fr_redis_connect(r, err);
}

/* Turns a raw hiredis reply into our convention; frees error replies. */
static int take_reply(struct fr_redis *r, redisReply *rep, redisReply **out, struct fr_error *err)
{
    if (rep == NULL) {
        fr_error_set(err, FR_ERR_IO, "redis at '%s': %s", r->addr,
                     r->c && r->c->errstr[0] ? r->c->errstr : "connection lost");
        drop(r);
        return FR_ERR_IO;
    }
    if (rep->type == REDIS_REPLY_ERROR) {
        fr_error_set(err, FR_ERR_PROTO, "redis: %s", rep->str);
        freeReplyObject(rep);
        return FR_ERR_PROTO;
    }
    if (out != NULL)
        *out = rep;
    else
        freeReplyObject(rep);
    return 0;
}

int fr_redis_cmd(struct fr_redis *r, redisReply **out, struct fr_error *err, const char *fmt, ...)
{
    va_list ap;
    redisReply *rep;

    if (out != NULL)
        *out = NULL;
    if (fr_redis_ensure(r, err) != 0)
        return FR_ERR_IO;
    va_start(ap, fmt);
    rep = redisvCommand(r->c, fmt, ap);
    va_end(ap);
    return take_reply(r, rep, out, err);
}

int fr_redis_cmd_argv(struct fr_redis *r, redisReply **out, struct fr_error *err, int argc,
                      const char **argv, const size_t *lens)
{
    redisReply *rep;

    if (out != NULL)
        *out = NULL;
    if (fr_redis_ensure(r, err) != 0)
        return FR_ERR_IO;
    rep = redisCommandArgv(r->c, argc, argv, lens);
    return take_reply(r, rep, out, err);
}

int fr_redis_append(struct fr_redis *r, struct fr_error *err, const char *fmt, ...)
{
    va_list ap;
    int rc;

    if (r->pending == 0 && fr_redis_ensure(r, err) != 0)
        return FR_ERR_IO;
    if (r->c == NULL)
        return fr_error_set(err, FR_ERR_IO, "redis at '%s': connection lost", r->addr);
    va_start(ap, fmt);
    rc = redisvAppendCommand(r->c, fmt, ap);
    va_end(ap);
    if (rc != REDIS_OK)
        return fr_error_set(err, FR_ERR_IO, "redis: cannot format command");
    r->pending++;
    return 0;
}

int fr_redis_append_argv(struct fr_redis *r, struct fr_error *err, int argc, const char **argv,
                         const size_t *lens)
{
    if (r->pending == 0 && fr_redis_ensure(r, err) != 0)
        return FR_ERR_IO;
    if (r->c == NULL)
        return fr_error_set(err, FR_ERR_IO, "redis at '%s': connection lost", r->addr);
    if (redisAppendCommandArgv(r->c, argc, argv, lens) != REDIS_OK)
        return fr_error_set(err, FR_ERR_IO, "redis: cannot format command");
    r->pending++;
    return 0;
}

int fr_redis_read(struct fr_redis *r, redisReply **out, struct fr_error *err)
{
    void *rep = NULL;

    *out = NULL;
    if (r->c == NULL || r->pending <= 0)
        return fr_error_set(err, FR_ERR_IO, "redis at '%s': connection lost", r->addr);
    r->pending--;
    if (redisGetReply(r->c, &rep) != REDIS_OK)
        rep = NULL;
    if (rep != NULL && ((redisReply *)rep)->type == REDIS_REPLY_ERROR) {
        fr_error_set(err, FR_ERR_PROTO, "redis: %s", ((redisReply *)rep)->str);
        *out = rep;
        return FR_ERR_PROTO;
    }
    return take_reply(r, rep, out, err);
}

int fr_redis_drain(struct fr_redis *r, struct fr_error *err)
{
    int first = 0;

    while (r->c != NULL && r->pending > 0) {
        redisReply *rep;
        int rc = fr_redis_read(r, &rep, err);
        if (rep != NULL)
            freeReplyObject(rep);
        if (rc != 0 && first == 0)
            first = rc;
    }
    r->pending = 0;
    return first;
}

static int load_script(struct fr_redis *r, struct fr_redis_script *s, struct fr_error *err)
{
    redisReply *rep;
    int rc = fr_redis_cmd(r, &rep, err, "SCRIPT LOAD %s", s->src);

    if (rc != 0)
        return rc;
    if (rep->type == REDIS_REPLY_STRING && rep->len == 40)
        memcpy(s->sha, rep->str, 41);
    freeReplyObject(rep);
    return s->sha[0] ? 0 : fr_error_set(err, FR_ERR_PROTO, "redis: script load gave no sha");
}

int fr_redis_eval_argv(struct fr_redis *r, struct fr_redis_script *s, redisReply **out,
                       struct fr_error *err, int nkeys, const char *const *keys, int nargs,
                       const char *const *args)
{
    int argc = 0, rc = 0;
    const char **argv = fr_xcalloc((size_t)(3 + nkeys + nargs), sizeof(*argv));
    char nk[16];

    if (out)
        *out = NULL;
    if (!s->sha[0] && load_script(r, s, err) != 0) {
        free(argv);
        return err ? err->code : FR_ERR_IO;
    }
    snprintf(nk, sizeof(nk), "%d", nkeys);
    argv[argc++] = "EVALSHA";
    argv[argc++] = s->sha;
    argv[argc++] = nk;
    for (int i = 0; i < nkeys; i++)
        argv[argc++] = keys[i];
    for (int i = 0; i < nargs; i++)
        argv[argc++] = args[i];
    for (int attempt = 0; attempt < 2; attempt++) {
        struct fr_error e = {0};
        rc = fr_redis_cmd_argv(r, out, &e, argc, argv, NULL);
        /* After a restart or SCRIPT FLUSH the server forgot the script: load it again. */
        if (rc == FR_ERR_PROTO && strstr(e.msg, "NOSCRIPT") != NULL && attempt == 0) {
            s->sha[0] = '\0';
            if ((rc = load_script(r, s, err)) != 0)
                break;
            argv[1] = s->sha;
            continue;
        }
        if (rc != 0)
            fr_error_set(err, rc, "%s", e.msg);
        break;
    }
    free(argv);
    return rc;
}

int fr_redis_eval(struct fr_redis *r, struct fr_redis_script *s, redisReply **out,
                  struct fr_error *err, int nkeys, const char *const *keys, int nargs,
                  const char *const *args)
{
    return fr_redis_eval_argv(r, s, out, err, nkeys, keys, nargs, args);
}

int fr_redis_warn_policy(struct fr_redis *r)
{
    redisReply *rep;
    int bad = 0;

    if (fr_redis_cmd(r, &rep, NULL, "CONFIG GET maxmemory-policy") != 0)
        return 0; /* managed servers may forbid CONFIG: nothing to say */
    if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
        rep->element[1]->type == REDIS_REPLY_STRING &&
        strcmp(rep->element[1]->str, "noeviction") != 0) {
        log_warn_kv(FR_KV("addr", r->addr, "maxmemory_policy", rep->element[1]->str),
                    "redis may evict keys: set maxmemory-policy noeviction so no queue item "
                    "is dropped");
        bad = 1;
    }
    freeReplyObject(rep);
    return bad;
}
