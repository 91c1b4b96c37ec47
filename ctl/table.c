/*
 * table — aligned columns for human output. Cells are sanitised (a reason with a newline
 * or an escape sequence must not break the layout or the terminal) and long cells are
 * cut, since the full text is always available with --json.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"
#include "ctl/ctl.h"

#define CELL_MAX 72

void ctl_table_init(struct ctl_table *t, size_t ncols, const char *align)
{
    memset(t, 0, sizeof(*t));
    t->ncols = ncols;
    t->align = align;
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t width(const char *s)
{
    size_t w = 0;

    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static char *clean_cell(const char *s)
{
    size_t len, w = 0, i;
    char *c;

    if (s == NULL)
        s = "-";
    len = strlen(s);
    c = fr_xmalloc(len + 4);
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch & 0xC0) != 0x80 && ++w > CELL_MAX - 3 && width(s + i) > 3) {
            memcpy(c + i, "...", 4);
            return c;
        }
        c[i] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
    }
    c[len] = '\0';
    return c;
}

void ctl_table_row(struct ctl_table *t, ...)
{
    va_list ap;

    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = fr_xrealloc(t->cells, t->cap * t->ncols * sizeof(*t->cells));
    }
    va_start(ap, t);
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] = clean_cell(va_arg(ap, const char *));
    va_end(ap);
    t->nrows++;
}

/* Appends one row to line, padded per column (w), without trailing spaces. */
static void format_row(const struct ctl_table *t, size_t r, const size_t *w, struct fr_buf *line)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const char *cell = t->cells[r * t->ncols + c];
        int pad = (int)(w[c] - width(cell));
        if (c > 0)
            fr_buf_puts(line, "  ");
        if (t->align[c] == 'r')
            fr_buf_printf(line, "%*s%s", pad, "", cell);
        else
            fr_buf_printf(line, "%s%*s", cell, pad, "");
    }
    while (line->len > 0 && line->data[line->len - 1] == ' ')
        line->data[--line->len] = '\0';
}

void ctl_table_print(const struct ctl_table *t, FILE *f, const char *indent)
{
    size_t *w = fr_xcalloc(t->ncols ? t->ncols : 1, sizeof(*w));
    struct fr_buf line;

    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            size_t cw = width(t->cells[r * t->ncols + c]);
            w[c] = cw > w[c] ? cw : w[c];
        }
    }
    fr_buf_init(&line, 0);
    for (size_t r = 0; r < t->nrows; r++) {
        fr_buf_reset(&line);
        format_row(t, r, w, &line);
        fprintf(f, "%s%s\n", line.len ? indent : "", fr_buf_str(&line));
    }
    fr_buf_release(&line);
    free(w);
}

void ctl_table_release(struct ctl_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}
