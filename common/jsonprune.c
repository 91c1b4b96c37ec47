/*
 * jsonprune — see jsonprune.h. A short recursive walk follows the rules' paths (one
 * level per step, so at most FR_JSONPRUNE_MAX_STEPS deep); every other value is skipped
 * by an iterative scanner that keeps its open brackets in a 64-bit stack, so the depth
 * of the input costs no C stack. Output is written lazily: input before sc->mark is
 * already copied or dropped, so a run of kept text, however long, is one memcpy. Every
 * read is checked against len: the input is untrusted and not NUL-terminated.
 */
#include "common/jsonprune.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

struct step {
    const char *key; /* NULL for "[]" */
    size_t len;
};

struct path {
    struct step steps[FR_JSONPRUNE_MAX_STEPS];
    size_t n;
};

struct scan {
    const unsigned char *s;
    size_t len, pos;
    size_t mark; /* s[0..mark) has been copied or dropped */
    char *out;
    size_t cap, olen;
    const struct fr_jsonprune_rule *rules;
    struct path paths[FR_JSONPRUNE_MAX_RULES];
    size_t nrules;
    struct fr_jsonprune_captures *caps;
    struct fr_error *err;
};

_Static_assert(FR_JSONPRUNE_MAX_DEPTH <= 64, "skip_value keeps open brackets in a uint64_t");

/* ---- errors and output -------------------------------------------------------------- */

static int bad(const struct scan *sc)
{
    unsigned char c;

    if (sc->pos >= sc->len)
        return fr_error_set(sc->err, FR_ERR_DATA, "json ends early at byte %zu", sc->pos);
    c = sc->s[sc->pos];
    if (c > 0x20 && c < 0x7f)
        return fr_error_set(sc->err, FR_ERR_DATA, "unexpected '%c' in json at byte %zu", c,
                            sc->pos);
    return fr_error_set(sc->err, FR_ERR_DATA, "unexpected byte 0x%02x in json at byte %zu", c,
                        sc->pos);
}

static int too_deep(const struct scan *sc)
{
    return fr_error_set(sc->err, FR_ERR_DATA, "json nested deeper than %d at byte %zu",
                        FR_JSONPRUNE_MAX_DEPTH, sc->pos);
}

static int put(struct scan *sc, const void *p, size_t n)
{
    if (n > sc->cap - sc->olen)
        return fr_error_set(sc->err, FR_ERR_LIMIT, "pruned json does not fit in %zu bytes",
                            sc->cap);
    if (n > 0)
        memcpy(sc->out + sc->olen, p, n);
    sc->olen += n;
    return 0;
}

/* Leaves s[from..to) out of the output; spans must come in increasing order. */
static int drop(struct scan *sc, size_t from, size_t to)
{
    int rc = put(sc, sc->s + sc->mark, from - sc->mark);

    sc->mark = to;
    return rc;
}

/* ---- tokens ------------------------------------------------------------------------- */

/*
 * Token functions take the index where their token starts and return where it ends, or
 * FAIL with sc->pos set to where it went wrong: the cursor stays in a register through
 * skip_value's loop, which is where the time goes.
 */
#define FAIL SIZE_MAX

static size_t fail_at(struct scan *sc, size_t i)
{
    sc->pos = i;
    return FAIL;
}

static size_t ws_end(const struct scan *sc, size_t i)
{
    while (i < sc->len &&
           (sc->s[i] == ' ' || sc->s[i] == '\n' || sc->s[i] == '\r' || sc->s[i] == '\t'))
        i++;
    return i;
}

/* Skips whitespace at pos; 0 when the input ends. */
static int ws(struct scan *sc)
{
    sc->pos = ws_end(sc, sc->pos);
    return sc->pos < sc->len;
}

static int is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string at s[i] (its quote); escapes are checked, raw control characters refused. */
static size_t string_end(struct scan *sc, size_t i)
{
    const unsigned char *s = sc->s;
    const size_t n = sc->len;

    for (i++;;) {
        while (i < n && s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
            i++;
        if (i < n && s[i] == '"')
            return i + 1;
        if (i >= n || s[i] != '\\' || ++i >= n)
            return fail_at(sc, i);
        if (s[i] == 'u') {
            for (size_t k = 1; k <= 4; k++)
                if (i + k >= n || !is_hex(s[i + k]))
                    return fail_at(sc, i + k);
            i += 5;
        } else if (memchr("\"\\/bfnrt", s[i], 8) != NULL) {
            i++;
        } else {
            return fail_at(sc, i);
        }
    }
}

static size_t word_end(struct scan *sc, size_t i, const char *word)
{
    for (; *word != '\0'; word++, i++)
        if (i >= sc->len || sc->s[i] != (unsigned char)*word)
            return fail_at(sc, i);
    return i;
}

static size_t digits_end(const struct scan *sc, size_t i)
{
    while (i < sc->len && sc->s[i] >= '0' && sc->s[i] <= '9')
        i++;
    return i;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? — the range is jansson's to check. */
static size_t number_end(struct scan *sc, size_t i)
{
    size_t j;

    if (sc->s[i] == '-')
        i++;
    if (i < sc->len && sc->s[i] == '0')
        i++;
    else if ((j = digits_end(sc, i)) > i)
        i = j;
    else
        return fail_at(sc, i);
    if (i < sc->len && sc->s[i] == '.') {
        if ((j = digits_end(sc, i + 1)) == i + 1)
            return fail_at(sc, i + 1);
        i = j;
    }
    if (i < sc->len && (sc->s[i] == 'e' || sc->s[i] == 'E')) {
        i++;
        if (i < sc->len && (sc->s[i] == '+' || sc->s[i] == '-'))
            i++;
        if ((j = digits_end(sc, i)) == i)
            return fail_at(sc, i);
        i = j;
    }
    return i;
}

/* A string, literal or number at s[i] (not whitespace). */
static size_t scalar_end(struct scan *sc, size_t i)
{
    switch (sc->s[i]) {
    case '"':
        return string_end(sc, i);
    case 't':
        return word_end(sc, i, "true");
    case 'f':
        return word_end(sc, i, "false");
    case 'n':
        return word_end(sc, i, "null");
    default:
        return number_end(sc, i);
    }
}

/* `"key" :` after optional whitespace, at s[i]; key[0] and key[1] get the raw key text's
 * offset and length. */
static size_t key_end(struct scan *sc, size_t i, size_t key[2])
{
    size_t end;

    i = ws_end(sc, i);
    if (i >= sc->len || sc->s[i] != '"')
        return fail_at(sc, i);
    if ((end = string_end(sc, i)) == FAIL)
        return FAIL;
    key[0] = i + 1;
    key[1] = end - i - 2;
    end = ws_end(sc, end);
    if (end >= sc->len || sc->s[end] != ':')
        return fail_at(sc, end);
    return end + 1;
}

/*
 * One value of any kind at pos, depth containers being open around it. Bit k of objs
 * says whether the k-th container open inside this value is an object, so a closing
 * bracket must match and a comma in an object is followed by a key.
 */
static int skip_value(struct scan *sc, int depth)
{
    const unsigned char *s = sc->s;
    const size_t n = sc->len;
    size_t i = sc->pos, key[2];
    uint64_t objs = 0;
    int open = 0, in_obj = 0; /* in_obj: the innermost open container is an object */

    for (;;) {
        unsigned char c;

        /* a value starts here */
        if ((i = ws_end(sc, i)) >= n)
            goto bad;
        c = s[i];
        if (c == '{' || c == '[') {
            if (depth + open >= FR_JSONPRUNE_MAX_DEPTH) {
                sc->pos = i;
                return too_deep(sc);
            }
            in_obj = c == '{';
            objs = (objs & ~((uint64_t)1 << open)) | ((uint64_t)in_obj << open);
            open++;
            if ((i = ws_end(sc, i + 1)) >= n)
                goto bad;
            if (s[i] != (in_obj ? '}' : ']')) {
                if (in_obj && (i = key_end(sc, i, key)) == FAIL)
                    return bad(sc);
                continue;
            }
        } else if ((i = scalar_end(sc, i)) == FAIL) {
            return bad(sc);
        } else if (open == 0) {
            sc->pos = i;
            return 0;
        } else if ((i = ws_end(sc, i)) >= n) {
            goto bad;
        }
        /* after a value, at s[i]: close the containers that end here, then on to the next */
        while (s[i] == (in_obj ? '}' : ']')) {
            if (--open == 0) {
                sc->pos = i + 1;
                return 0;
            }
            in_obj = (int)(objs >> (open - 1) & 1);
            if ((i = ws_end(sc, i + 1)) >= n)
                goto bad;
        }
        if (s[i] != ',')
            goto bad;
        i++;
        if (in_obj && (i = key_end(sc, i, key)) == FAIL)
            return bad(sc);
    }
bad:
    sc->pos = i;
    return bad(sc);
}

/* ---- rules -------------------------------------------------------------------------- */

static int parse_path(const char *text, struct path *p, struct fr_error *err)
{
    const char *c = text;

    p->n = 0;
    while (*c != '\0') {
        struct step *st;

        if (p->n == FR_JSONPRUNE_MAX_STEPS)
            goto bad;
        st = &p->steps[p->n++];
        if (c[0] == '[') {
            if (c[1] != ']')
                goto bad;
            st->key = NULL;
            c += 2;
            continue;
        }
        if (p->n > 1 && *c++ != '.')
            goto bad;
        st->key = c;
        st->len = strcspn(c, ".[]");
        if (st->len == 0)
            goto bad;
        c += st->len;
    }
    return 0;
bad:
    return fr_error_set(err, FR_ERR_USAGE, "bad json prune path '%s'", text);
}

/* The rules of live whose path goes on from step k to this member (key) or element
 * (key NULL). */
static unsigned follow(const struct scan *sc, unsigned live, size_t k, const unsigned char *key,
                       size_t klen)
{
    unsigned next = 0;

    for (size_t r = 0; r < sc->nrules; r++) {
        const struct path *p = &sc->paths[r];
        const struct step *st;

        if ((live >> r & 1) == 0 || p->n <= k)
            continue;
        st = &p->steps[k];
        if (key == NULL ? st->key == NULL
                        : st->key != NULL && st->len == klen && memcmp(st->key, key, klen) == 0)
            next |= 1u << r;
    }
    return next;
}

/* Whether the value at pos, reached by steps[0..k) of the live rules, is cut or walked
 * into: else it is copied as it is. */
static int concerned(const struct scan *sc, unsigned live, size_t k, int obj)
{
    for (size_t r = 0; r < sc->nrules; r++) {
        const struct path *p = &sc->paths[r];

        if ((live >> r & 1) == 0)
            continue;
        if (p->n == k && (obj ? sc->rules[r].keep != NULL : sc->rules[r].max_items > 0))
            return 1;
        if (p->n > k && (p->steps[k].key != NULL) == obj)
            return 1;
    }
    return 0;
}

/* Whether every rule of ends keeps this member; one spelled with an escape is kept. */
static int kept_by(const struct scan *sc, unsigned ends, size_t key, size_t klen)
{
    const char *k = (const char *)sc->s + key;

    if (ends == 0 || memchr(k, '\\', klen) != NULL)
        return 1;
    for (size_t r = 0; r < sc->nrules; r++) {
        const struct fr_jsonprune_rule *rule = &sc->rules[r];
        size_t i = 0;

        if ((ends >> r & 1) == 0)
            continue;
        while (i < rule->nkeep &&
               !(strlen(rule->keep[i]) == klen && memcmp(rule->keep[i], k, klen) == 0))
            i++;
        if (i == rule->nkeep)
            return 0;
    }
    return 1;
}

/* ---- the walk ----------------------------------------------------------------------- */

static int walk(struct scan *sc, size_t k, unsigned live, int depth);

/*
 * One member or element, starting at pos (sep: where its separator starts): dropped,
 * or kept and walked when a rule goes on into it. The first one kept after dropped ones
 * loses its separator.
 */
static int walk_item(struct scan *sc, int keep, unsigned next, size_t k, int depth, size_t sep,
                     size_t start, size_t *kept)
{
    int rc;

    if (!keep) {
        rc = skip_value(sc, depth);
        return rc != 0 ? rc : drop(sc, sep, sc->pos);
    }
    if ((*kept)++ == 0 && sep != start && (rc = drop(sc, sep, start)) != 0)
        return rc;
    return next != 0 ? walk(sc, k + 1, next, depth) : skip_value(sc, depth);
}

/* A container at pos that the live rules, having matched k steps, cut or go into. */
static int walk_container(struct scan *sc, size_t k, unsigned live, int depth)
{
    const int obj = sc->s[sc->pos] == '{';
    const unsigned char close = obj ? '}' : ']';
    unsigned ends = 0;
    size_t limit = SIZE_MAX, kept = 0, sep;
    int rc;

    if (depth >= FR_JSONPRUNE_MAX_DEPTH)
        return too_deep(sc);
    for (size_t r = 0; r < sc->nrules; r++) {
        const struct fr_jsonprune_rule *rule = &sc->rules[r];

        if ((live >> r & 1) == 0 || sc->paths[r].n != k)
            continue;
        if (obj && rule->keep != NULL)
            ends |= 1u << r;
        if (!obj && rule->max_items > 0 && rule->max_items < limit)
            limit = rule->max_items;
    }
    sep = ++sc->pos;
    if (!ws(sc))
        return bad(sc);
    if (sc->s[sc->pos] == close) {
        sc->pos++;
        return 0;
    }
    for (size_t i = 0;; i++) {
        size_t start, end, key[2] = {0, 0};

        if (!ws(sc))
            return bad(sc);
        start = sc->pos;
        if (obj) {
            if ((end = key_end(sc, start, key)) == FAIL)
                return bad(sc);
            sc->pos = end;
        }
        rc = walk_item(sc, obj ? kept_by(sc, ends, key[0], key[1]) : i < limit,
                       follow(sc, live, k, obj ? sc->s + key[0] : NULL, key[1]), k, depth + 1, sep,
                       start, &kept);
        if (rc != 0)
            return rc;
        sep = sc->pos;
        if (!ws(sc))
            return bad(sc);
        if (sc->s[sc->pos] == close) {
            sc->pos++;
            return 0;
        }
        if (sc->s[sc->pos] != ',')
            return bad(sc);
        sc->pos++;
    }
}

/* Whether a live rule whose whole path is steps[0..k) captures what it designates. */
static int captured(const struct scan *sc, unsigned live, size_t k)
{
    for (size_t r = 0; r < sc->nrules; r++)
        if ((live >> r & 1) != 0 && sc->paths[r].n == k && sc->rules[r].capture)
            return 1;
    return 0;
}

/* The array at pos: checked, recorded, and written as []. */
static int capture_array(struct scan *sc, int depth)
{
    struct fr_jsonprune_captures *c = sc->caps;
    size_t start = sc->pos;
    int rc = skip_value(sc, depth);

    if (rc != 0)
        return rc;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->v = fr_xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    c->v[c->n].off = start;
    c->v[c->n++].len = sc->pos - start;
    rc = drop(sc, start, sc->pos);
    return rc != 0 ? rc : put(sc, "[]", 2);
}

/* The value at pos, reached by steps[0..k) of the live rules. */
static int walk(struct scan *sc, size_t k, unsigned live, int depth)
{
    unsigned char c;

    if (!ws(sc))
        return bad(sc);
    c = sc->s[sc->pos];
    if (c == '[' && captured(sc, live, k))
        return capture_array(sc, depth);
    if ((c == '{' || c == '[') && concerned(sc, live, k, c == '{'))
        return walk_container(sc, k, live, depth);
    return skip_value(sc, depth);
}

void fr_jsonprune_captures_release(struct fr_jsonprune_captures *c)
{
    free(c->v);
    memset(c, 0, sizeof(*c));
}

int fr_jsonprune_capture(const struct fr_jsonprune_rule *rules, size_t nrules, const char *in,
                         size_t len, char *out, size_t cap, size_t *out_len,
                         struct fr_jsonprune_captures *caps, struct fr_error *err)
{
    struct scan sc = {.s = (const unsigned char *)in,
                      .len = len,
                      .out = out,
                      .cap = cap,
                      .rules = rules,
                      .nrules = nrules,
                      .caps = caps,
                      .err = err};
    int rc = 0;

    *out_len = 0;
    if (caps != NULL)
        caps->n = 0;
    if (nrules > FR_JSONPRUNE_MAX_RULES)
        return fr_error_set(err, FR_ERR_USAGE, "%zu json prune rules, more than %d", nrules,
                            FR_JSONPRUNE_MAX_RULES);
    for (size_t r = 0; r < nrules && rc == 0; r++) {
        rc = parse_path(rules[r].path, &sc.paths[r], err);
        if (rc == 0 && rules[r].capture && caps == NULL)
            rc = fr_error_set(err, FR_ERR_USAGE, "json prune path '%s' captures, but nowhere to",
                              rules[r].path);
    }
    if (rc == 0)
        rc = walk(&sc, 0, (1u << nrules) - 1, 0);
    if (rc == 0 && ws(&sc))
        rc = fr_error_set(err, FR_ERR_DATA, "trailing data after json at byte %zu", sc.pos);
    if (rc == 0)
        rc = drop(&sc, len, len);
    if (rc == 0)
        *out_len = sc.olen;
    return rc;
}

int fr_jsonprune(const struct fr_jsonprune_rule *rules, size_t nrules, const char *in, size_t len,
                 char *out, size_t cap, size_t *out_len, struct fr_error *err)
{
    return fr_jsonprune_capture(rules, nrules, in, len, out, cap, out_len, NULL, err);
}
