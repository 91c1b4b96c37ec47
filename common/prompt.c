/*
 * prompt — see prompt.h. A template compiles to alternating literal and placeholder
 * parts, so rendering is one pass without re-parsing.
 */
#include "common/prompt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/mem.h"

struct part {
    const char *lit; /* borrowed from the template's text */
    size_t len;
    size_t field; /* index into fields; SIZE_MAX for a literal */
};

struct field {
    char *name; /* owned */
    int line;
};

struct fr_prompt {
    char *text; /* owned copy */
    struct part *parts;
    size_t nparts, partcap;
    struct field *fields;
    size_t nfields, fieldcap;
};

static void add_part(struct fr_prompt *p, const char *lit, size_t len, size_t field)
{
    if (p->nparts == p->partcap) {
        p->partcap = p->partcap ? 2 * p->partcap : 8;
        p->parts = fr_xrealloc(p->parts, p->partcap * sizeof(*p->parts));
    }
    p->parts[p->nparts++] = (struct part){lit, len, field};
}

/* Index of name among the fields, added when new. */
static size_t field_index(struct fr_prompt *p, const char *name, size_t len, int line)
{
    for (size_t i = 0; i < p->nfields; i++) {
        if (strlen(p->fields[i].name) == len && memcmp(p->fields[i].name, name, len) == 0)
            return i;
    }
    if (p->nfields == p->fieldcap) {
        p->fieldcap = p->fieldcap ? 2 * p->fieldcap : 8;
        p->fields = fr_xrealloc(p->fields, p->fieldcap * sizeof(*p->fields));
    }
    p->fields[p->nfields] = (struct field){fr_xstrndup(name, len), line};
    return p->nfields++;
}

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

/* 1 when s[0..len) is name *("." name). */
static int valid_name(const char *s, size_t len)
{
    size_t seg = 0;

    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (seg == 0)
                return 0;
            seg = 0;
        } else if (name_char(s[i])) {
            seg++;
        } else {
            return 0;
        }
    }
    return seg > 0;
}

/* Lines counted from `from` up to `to`; the caller keeps the running total. */
static int newlines(const char *from, const char *to)
{
    int n = 0;

    for (const char *c = from; c < to; c++)
        n += *c == '\n';
    return n;
}

/* Parses the placeholder whose "{{" is at open, on the given line; *end gets the position
 * after "}}". */
static int placeholder(struct fr_prompt *p, const char *open, int line, const char **end,
                       struct fr_error *err)
{
    const char *s = open + 2, *close = strstr(s, "}}");
    size_t len;

    if (close == NULL)
        return fr_error_set(err, FR_ERR_USAGE, "line %d: '{{' is not closed by '}}'", line);
    while (*s == ' ')
        s++;
    len = (size_t)(close - s);
    while (len > 0 && s[len - 1] == ' ')
        len--;
    if (!valid_name(s, len))
        return fr_error_set(err, FR_ERR_USAGE,
                            "line %d: '{{%.*s}}' is not a field name (write {{field}} or "
                            "{{a.b}})",
                            line, (int)(close - open - 2 > 40 ? 40 : close - open - 2), open + 2);
    add_part(p, NULL, 0, field_index(p, s, len, line));
    *end = close + 2;
    return 0;
}

int fr_prompt_compile(const char *text, size_t len, struct fr_prompt **out,
                      struct fr_error *err)
{
    const char *nul = memchr(text, '\0', len), *s, *open;
    struct fr_prompt *p;
    int rc = 0, line = 1;

    *out = NULL;
    if (nul != NULL)
        return fr_error_set(err, FR_ERR_USAGE, "line %d: a NUL byte", 1 + newlines(text, nul));
    p = fr_xcalloc(1, sizeof(*p));
    p->text = fr_xstrndup(text, len);
    s = p->text;
    while (rc == 0 && (open = strstr(s, "{{")) != NULL) {
        line += newlines(s, open);
        if (open > s)
            add_part(p, s, (size_t)(open - s), SIZE_MAX);
        rc = placeholder(p, open, line, &s, err); /* a valid one holds no newline */
    }
    if (rc != 0) {
        fr_prompt_free(p);
        return rc;
    }
    if (*s != '\0')
        add_part(p, s, strlen(s), SIZE_MAX);
    *out = p;
    return 0;
}

void fr_prompt_free(struct fr_prompt *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nfields; i++)
        free(p->fields[i].name);
    free(p->fields);
    free(p->parts);
    free(p->text);
    free(p);
}

size_t fr_prompt_nfields(const struct fr_prompt *p)
{
    return p->nfields;
}

const char *fr_prompt_field(const struct fr_prompt *p, size_t i)
{
    return p->fields[i].name;
}

int fr_prompt_field_line(const struct fr_prompt *p, size_t i)
{
    return p->fields[i].line;
}

json_t *fr_prompt_lookup(const json_t *payload, const char *name)
{
    json_t *v = (json_t *)(uintptr_t)payload;
    char key[256];

    while (v != NULL && *name != '\0') {
        size_t n = strcspn(name, ".");

        if (!json_is_object(v) || n >= sizeof(key))
            return NULL;
        memcpy(key, name, n);
        key[n] = '\0';
        v = json_object_get(v, key);
        name += n + (name[n] == '.');
    }
    return v;
}

int fr_prompt_render(const struct fr_prompt *p, const json_t *payload, struct fr_buf *out,
                     struct fr_error *err)
{
    for (size_t i = 0; i < p->nparts; i++) {
        const struct part *pt = &p->parts[i];
        json_t *v;
        int rc;

        if (pt->field == SIZE_MAX) {
            rc = fr_buf_append(out, pt->lit, pt->len);
        } else if ((v = fr_prompt_lookup(payload, p->fields[pt->field].name)) == NULL) {
            rc = fr_buf_puts(out, "null");
        } else {
            rc = fr_json_dump_canonical(v, out, err);
        }
        if (rc != 0)
            return fr_error_set(err, FR_ERR_LIMIT, "rendered prompt is larger than %zu bytes",
                                out->max);
    }
    return 0;
}
