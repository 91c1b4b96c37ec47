/*
 * deadlist — walks the Redis dead-letter list (`freshet:{src}:dead`) in chunks of 1,000
 * entries, parses each (JSON {item, truncated, reason, time, source}; the item may be a
 * bare id, a JSON queue item or junk), and deletes the entries a callback marks.
 *
 * Deletion is LREM of the exact entry, not by index: workers keep appending while we
 * walk, and an index would point at a different entry after any other removal. Workers
 * only append at the tail, so the walk's offset moves back by what it removed and no
 * entry is skipped or seen twice.
 */
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "ctl/ctl.h"

#define CHUNK 1000

static const char *str_or_empty(const json_t *doc, const char *key)
{
    const char *s = json_string_value(json_object_get(doc, key));

    return s ? s : "";
}

static void parse_entry(struct ctl_dead *d, const char *source, const char *raw, size_t len)
{
    struct fr_queue_item it;

    memset(d, 0, sizeof(*d));
    d->raw = raw;
    d->len = len;
    d->doc = json_loadb(raw, len, 0, NULL);
    if (d->doc && !json_is_object(d->doc)) {
        json_decref(d->doc);
        d->doc = NULL;
    }
    d->item = str_or_empty(d->doc, "item");
    d->reason = str_or_empty(d->doc, "reason");
    d->time = str_or_empty(d->doc, "time");
    if (*d->time && ctl_parse_iso8601(d->time, &d->time_ms) != 0)
        d->time_ms = 0;
    if (fr_queue_parse_item(d->item, strlen(d->item), NULL, &it, NULL) == 0 &&
        ctl_valid_id(source, it.id))
        fr_strlcpy(d->id, it.id, sizeof(d->id));
}

/* Deletes the marked entries of one chunk in one pipelined round trip. */
static int remove_marked(struct fr_queue *q, const char *key, struct ctl_dead *d, size_t n,
                         size_t *removed, struct fr_error *err)
{
    size_t sent = 0;
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *argv[4] = {"LREM", key, "1", d[i].raw};
        size_t lens[4] = {4, strlen(key), 1, d[i].len};
        if (!d[i].remove)
            continue;
        if ((rc = fr_redis_append_argv(q->redis, err, 4, argv, lens)) == 0)
            sent++;
    }
    for (size_t i = 0; i < sent; i++) {
        redisReply *rep = NULL;
        int r = fr_redis_read(q->redis, &rep, err);
        if (r == 0)
            *removed += (size_t)rep->integer;
        if (rep)
            freeReplyObject(rep);
        rc = rc ? rc : r;
    }
    return rc;
}

/* Reads entries [off, off + CHUNK) into *rep; 0 entries means the end. */
static int read_chunk(struct fr_queue *q, const char *key, long off, redisReply **rep,
                      struct fr_error *err)
{
    return fr_redis_cmd(q->redis, rep, err, "LRANGE %s %ld %ld", key, off, off + CHUNK - 1);
}

int ctl_dead_walk(struct fr_queue *q, ctl_dead_fn fn, void *arg, size_t *removed,
                  struct fr_error *err)
{
    char key[160];
    struct ctl_dead *d = fr_xcalloc(CHUNK, sizeof(*d));
    size_t total = 0;
    long off = 0;
    int rc = 0;

    fr_queue_key(q, "dead", key, sizeof(key));
    while (rc == 0) {
        redisReply *rep = NULL;
        size_t n, before = total;
        if ((rc = read_chunk(q, key, off, &rep, err)) != 0 || rep->elements == 0) {
            if (rep)
                freeReplyObject(rep);
            break;
        }
        n = rep->elements;
        for (size_t i = 0; i < n; i++)
            parse_entry(&d[i], q->source, rep->element[i]->str, rep->element[i]->len);
        rc = fn(d, n, arg, err);
        if (rc == 0)
            rc = remove_marked(q, key, d, n, &total, err);
        for (size_t i = 0; i < n; i++)
            json_decref(d[i].doc);
        freeReplyObject(rep);
        off += (long)n - (long)(total - before);
    }
    free(d);
    if (removed)
        *removed = total;
    return rc;
}

/* A JSON string even from bytes that are not UTF-8 (entries pushed by hand may be
 * anything): such bytes become '?'. */
static json_t *safe_string(const char *s, size_t len)
{
    json_t *v = json_stringn(s, len);
    char *copy;

    if (v != NULL)
        return v;
    copy = fr_xstrndup(s, len);
    for (char *p = copy; *p; p++) {
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    }
    v = json_string(copy);
    free(copy);
    return v ? v : json_string("");
}

json_t *ctl_dead_json(const struct ctl_dead *d)
{
    json_t *o = json_object();

    json_object_set_new(o, "time", *d->time ? json_string(d->time) : json_null());
    json_object_set_new(o, "id", *d->id ? json_string(d->id) : json_null());
    json_object_set_new(o, "item", d->doc ? json_string(d->item) : safe_string(d->raw, d->len));
    json_object_set_new(o, "reason", json_string(d->reason));
    json_object_set_new(o, "truncated", json_boolean(json_is_true(json_object_get(d->doc,
                                                                                 "truncated"))));
    json_object_set_new(o, "source", json_string(str_or_empty(d->doc, "source")));
    return o;
}
