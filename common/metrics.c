/*
 * metrics — see metrics.h. Families sit in a small array searched by name (lookups are
 * rare: callers keep their child pointers); each family hashes its children by their
 * rendered label text, which is also what rendering prints and sorts by.
 */
#include "common/metrics.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/mem.h"

#define MAX_LABELS 16
#define MAX_HOOKS 16

enum kind { K_COUNTER, K_GAUGE, K_HIST };

static const char *const kind_names[] = {"counter", "gauge", "histogram"};

struct fr_counter {
    double v;
};

struct fr_gauge {
    double v;
};

struct fr_hist {
    const double *bounds; /* the family's */
    size_t nbounds;
    unsigned long long *counts; /* per bucket, not cumulative; [nbounds] is +Inf */
    double sum;
    unsigned long long count;
};

struct series {
    char *labels; /* `a="x",b="y"`, "" without labels */
    uint64_t hash;
    union {
        struct fr_counter c;
        struct fr_gauge g;
        struct fr_hist h;
    } m;
};

struct family {
    char *name;
    char *help;
    enum kind kind;
    char *label_names; /* "a,b" of the first child: every child has the same */
    double *bounds;    /* histograms */
    size_t nbounds;
    char **le;         /* bounds formatted for le="" */
    struct series **v; /* children, sorted by labels when !dirty */
    size_t n, cap;
    int dirty;
    struct series **slots; /* open addressing, power-of-two size, at most half full */
    size_t nslots;
};

static struct {
    struct family **v;
    size_t n, cap;
    int dirty;
    struct {
        void (*fn)(void *);
        void *arg;
    } hooks[MAX_HOOKS];
    size_t nhooks;
} reg;

const double fr_hist_default_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                         1,     2.5,  5,     10,   30,  60};
const size_t fr_hist_default_nbounds =
    sizeof(fr_hist_default_bounds) / sizeof(fr_hist_default_bounds[0]);

/* A programmer error: say which metric, then abort (kept with NDEBUG, unlike assert). */
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            log_error(__VA_ARGS__);                                                                \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int is_alpha_(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int valid_name(const char *s, int colon_ok)
{
    if (s == NULL || !(is_alpha_(s[0]) || (colon_ok && s[0] == ':')))
        return 0;
    for (const char *p = s + 1; *p; p++) {
        if (!is_alpha_(*p) && !(*p >= '0' && *p <= '9') && !(colon_ok && *p == ':'))
            return 0;
    }
    return 1;
}

static uint64_t hash_str(const char *s)
{
    uint64_t h = 14695981039346656037ULL; /* FNV-1a */

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

/* Shortest text that reads back as v, in the forms Prometheus parses (NaN, +Inf). */
static void fmt_double(char *out, size_t n, double v)
{
    if (isnan(v)) {
        fr_strlcpy(out, "NaN", n);
    } else if (isinf(v)) {
        fr_strlcpy(out, v > 0 ? "+Inf" : "-Inf", n);
    } else if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, n, "%.0f", v);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(out, n, "%.*g", prec, v);
            if (strtod(out, NULL) == v)
                break;
        }
    }
}

/* Appends s escaped for a label value (esc_quote) or a HELP text. */
static int put_escaped(struct fr_buf *b, const char *s, int esc_quote)
{
    int rc = 0;

    while (rc == 0 && *s) {
        size_t run = strcspn(s, esc_quote ? "\\\"\n" : "\\\n");
        rc = fr_buf_append(b, s, run);
        s += run;
        if (rc == 0 && *s) {
            char two[2] = {'\\', *s == '\n' ? 'n' : *s};
            rc = fr_buf_append(b, two, 2);
            s++;
        }
    }
    return rc;
}

/* ---- registry ---- */

static struct family *find_family(const char *name)
{
    for (size_t i = 0; i < reg.n; i++) {
        if (strcmp(reg.v[i]->name, name) == 0)
            return reg.v[i];
    }
    return NULL;
}

static void set_bounds(struct family *f, const double *bounds, size_t nbounds)
{
    char tmp[64];

    if (nbounds > 0 && isinf(bounds[nbounds - 1]) && bounds[nbounds - 1] > 0)
        nbounds--; /* +Inf is always there */
    f->bounds = fr_xcalloc(nbounds, sizeof(double));
    f->le = fr_xcalloc(nbounds, sizeof(char *));
    f->nbounds = nbounds;
    for (size_t i = 0; i < nbounds; i++) {
        CHECK(isfinite(bounds[i]) && (i == 0 || bounds[i] > bounds[i - 1]),
              "metrics: '%s': histogram bounds must be finite and increasing", f->name);
        f->bounds[i] = bounds[i];
        fmt_double(tmp, sizeof(tmp), bounds[i]);
        f->le[i] = fr_xstrdup(tmp);
    }
}

static int same_bounds(const struct family *f, const double *bounds, size_t nbounds)
{
    if (nbounds > 0 && isinf(bounds[nbounds - 1]) && bounds[nbounds - 1] > 0)
        nbounds--;
    if (nbounds != f->nbounds)
        return 0;
    for (size_t i = 0; i < nbounds; i++) {
        if (bounds[i] != f->bounds[i])
            return 0;
    }
    return 1;
}

static struct family *get_family(const char *name, const char *help, enum kind kind,
                                 const double *bounds, size_t nbounds)
{
    struct family *f;

    CHECK(valid_name(name, 1), "metrics: invalid metric name '%s'", name ? name : "(null)");
    f = find_family(name);
    if (f != NULL) {
        CHECK(f->kind == kind, "metrics: '%s' registered as a %s and as a %s", name,
              kind_names[f->kind], kind_names[kind]);
        CHECK(kind != K_HIST || same_bounds(f, bounds, nbounds),
              "metrics: '%s' registered with different histogram bounds", name);
        return f;
    }
    f = fr_xcalloc(1, sizeof(*f));
    f->name = fr_xstrdup(name);
    f->help = fr_xstrdup(help != NULL ? help : "");
    f->kind = kind;
    if (kind == K_HIST)
        set_bounds(f, bounds, nbounds);
    if (reg.n == reg.cap) {
        reg.cap = reg.cap ? reg.cap * 2 : 16;
        reg.v = fr_xrealloc(reg.v, reg.cap * sizeof(*reg.v));
    }
    reg.v[reg.n++] = f;
    reg.dirty = 1;
    return f;
}

static int cmp_pair(const void *a, const void *b)
{
    return strcmp(((const char *const *)a)[0], ((const char *const *)b)[0]);
}

/* Renders labels (sorted by name) into key and their names into names. */
static void label_key(const struct family *f, const char *const *labels, struct fr_buf *key,
                      struct fr_buf *names)
{
    const char *pairs[MAX_LABELS][2];
    size_t n = 0;

    for (size_t i = 0; labels != NULL && labels[i] != NULL; i += 2) {
        CHECK(n < MAX_LABELS, "metrics: '%s': more than %d labels", f->name, MAX_LABELS);
        CHECK(labels[i + 1] != NULL, "metrics: '%s': label '%s' has no value", f->name, labels[i]);
        CHECK(valid_name(labels[i], 0) && strncmp(labels[i], "__", 2) != 0,
              "metrics: '%s': invalid label name '%s'", f->name, labels[i]);
        CHECK(f->kind != K_HIST || strcmp(labels[i], "le") != 0,
              "metrics: '%s': 'le' is reserved in a histogram", f->name);
        pairs[n][0] = labels[i];
        pairs[n][1] = labels[i + 1];
        n++;
    }
    qsort(pairs, n, sizeof(pairs[0]), cmp_pair);
    for (size_t i = 0; i < n; i++) {
        CHECK(i == 0 || strcmp(pairs[i][0], pairs[i - 1][0]) != 0,
              "metrics: '%s': label '%s' given twice", f->name, pairs[i][0]);
        fr_buf_printf(key, "%s%s=\"", i ? "," : "", pairs[i][0]);
        put_escaped(key, pairs[i][1], 1);
        fr_buf_putc(key, '"');
        fr_buf_printf(names, "%s%s", i ? "," : "", pairs[i][0]);
    }
}

static void table_insert(struct family *f, struct series *s)
{
    size_t mask = f->nslots - 1, i = (size_t)s->hash & mask;

    while (f->slots[i] != NULL)
        i = (i + 1) & mask;
    f->slots[i] = s;
}

static void table_grow(struct family *f)
{
    struct series **old = f->slots;
    size_t nold = f->nslots;

    f->nslots = nold ? nold * 2 : 16;
    f->slots = fr_xcalloc(f->nslots, sizeof(*f->slots));
    for (size_t i = 0; i < nold; i++) {
        if (old[i] != NULL)
            table_insert(f, old[i]);
    }
    free(old);
}

static struct series *new_series(struct family *f, struct fr_buf *key, uint64_t hash)
{
    struct series *s = fr_xcalloc(1, sizeof(*s));

    s->labels = fr_buf_detach(key, NULL);
    s->hash = hash;
    if (f->kind == K_HIST) {
        s->m.h.bounds = f->bounds;
        s->m.h.nbounds = f->nbounds;
        s->m.h.counts = fr_xcalloc(f->nbounds + 1, sizeof(unsigned long long));
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->v = fr_xrealloc(f->v, f->cap * sizeof(*f->v));
    }
    f->v[f->n++] = s;
    f->dirty = 1;
    if (2 * f->n > f->nslots)
        table_grow(f);
    table_insert(f, s);
    return s;
}

static struct series *get_series(struct family *f, const char *const *labels)
{
    struct fr_buf key, names;
    struct series *s = NULL;
    uint64_t hash;

    fr_buf_init(&key, 0);
    fr_buf_init(&names, 0);
    label_key(f, labels, &key, &names);
    hash = hash_str(fr_buf_str(&key));
    for (size_t i = f->nslots ? (size_t)hash & (f->nslots - 1) : 0; f->nslots != 0;
         i = (i + 1) & (f->nslots - 1)) {
        s = f->slots[i];
        if (s == NULL || (s->hash == hash && strcmp(s->labels, fr_buf_str(&key)) == 0))
            break;
    }
    if (s == NULL) {
        if (f->label_names == NULL)
            f->label_names = fr_xstrdup(fr_buf_str(&names));
        CHECK(strcmp(f->label_names, fr_buf_str(&names)) == 0,
              "metrics: '%s' has labels (%s) and (%s)", f->name, f->label_names,
              fr_buf_str(&names));
        s = new_series(f, &key, hash);
    }
    fr_buf_release(&key);
    fr_buf_release(&names);
    return s;
}

struct fr_counter *fr_counter_get(const char *name, const char *help, const char *const *labels)
{
    return &get_series(get_family(name, help, K_COUNTER, NULL, 0), labels)->m.c;
}

struct fr_gauge *fr_gauge_get(const char *name, const char *help, const char *const *labels)
{
    return &get_series(get_family(name, help, K_GAUGE, NULL, 0), labels)->m.g;
}

struct fr_hist *fr_hist_get(const char *name, const char *help, const double *bounds,
                            size_t nbounds, const char *const *labels)
{
    return &get_series(get_family(name, help, K_HIST, bounds, nbounds), labels)->m.h;
}

/* ---- updates (hot path) ---- */

void fr_counter_add(struct fr_counter *c, double v)
{
    if (v > 0) /* false for NaN too */
        c->v += v;
}

double fr_counter_value(const struct fr_counter *c)
{
    return c->v;
}

void fr_gauge_set(struct fr_gauge *g, double v)
{
    g->v = v;
}

void fr_gauge_add(struct fr_gauge *g, double v)
{
    g->v += v;
}

double fr_gauge_value(const struct fr_gauge *g)
{
    return g->v;
}

void fr_hist_observe(struct fr_hist *h, double v)
{
    size_t lo = 0, hi = h->nbounds;

    if (isnan(v))
        return;
    while (lo < hi) { /* first bound >= v; nbounds when none */
        size_t mid = lo + (hi - lo) / 2;
        if (h->bounds[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    h->counts[lo]++;
    h->sum += v;
    h->count++;
}

unsigned long long fr_hist_count(const struct fr_hist *h)
{
    return h->count;
}

/* ---- scrape ---- */

void fr_metrics_on_scrape(void (*fn)(void *), void *arg)
{
    CHECK(reg.nhooks < MAX_HOOKS, "metrics: more than %d scrape hooks", MAX_HOOKS);
    reg.hooks[reg.nhooks].fn = fn;
    reg.hooks[reg.nhooks].arg = arg;
    reg.nhooks++;
}

void fr_metrics_run_hooks(void)
{
    for (size_t i = 0; i < reg.nhooks; i++)
        reg.hooks[i].fn(reg.hooks[i].arg);
}

static int cmp_family(const void *a, const void *b)
{
    return strcmp((*(struct family *const *)a)->name, (*(struct family *const *)b)->name);
}

static int cmp_series(const void *a, const void *b)
{
    return strcmp((*(struct series *const *)a)->labels, (*(struct series *const *)b)->labels);
}

/* name{labels[,extra]} value\n; extra is e.g. le="0.5" (NULL for none). */
static int put_sample(struct fr_buf *b, const char *name, const char *suffix, const char *labels,
                      const char *extra, const char *value)
{
    int rc = fr_buf_puts(b, name);

    if (rc == 0 && suffix != NULL)
        rc = fr_buf_puts(b, suffix);
    if (rc == 0 && (labels[0] != '\0' || extra != NULL)) {
        rc =
            fr_buf_printf(b, "{%s%s%s}", labels, labels[0] && extra ? "," : "", extra ? extra : "");
    }
    if (rc == 0)
        rc = fr_buf_putc(b, ' ');
    if (rc == 0)
        rc = fr_buf_puts(b, value);
    if (rc == 0)
        rc = fr_buf_putc(b, '\n');
    return rc;
}

static int put_hist(struct fr_buf *b, const struct family *f, const struct series *s)
{
    const struct fr_hist *h = &s->m.h;
    unsigned long long cum = 0;
    char val[64], le[96];
    int rc = 0;

    for (size_t i = 0; rc == 0 && i <= h->nbounds; i++) {
        cum += h->counts[i];
        snprintf(le, sizeof(le), "le=\"%s\"", i < h->nbounds ? f->le[i] : "+Inf");
        snprintf(val, sizeof(val), "%llu", cum);
        rc = put_sample(b, f->name, "_bucket", s->labels, le, val);
    }
    fmt_double(val, sizeof(val), h->sum);
    if (rc == 0)
        rc = put_sample(b, f->name, "_sum", s->labels, NULL, val);
    snprintf(val, sizeof(val), "%llu", h->count);
    if (rc == 0)
        rc = put_sample(b, f->name, "_count", s->labels, NULL, val);
    return rc;
}

static int put_family(struct fr_buf *b, struct family *f)
{
    char val[64];
    int rc;

    if (f->dirty) {
        qsort(f->v, f->n, sizeof(*f->v), cmp_series);
        f->dirty = 0;
    }
    rc = fr_buf_printf(b, "# HELP %s ", f->name);
    if (rc == 0)
        rc = put_escaped(b, f->help, 0);
    if (rc == 0)
        rc = fr_buf_printf(b, "\n# TYPE %s %s\n", f->name, kind_names[f->kind]);
    for (size_t i = 0; rc == 0 && i < f->n; i++) {
        if (f->kind == K_HIST) {
            rc = put_hist(b, f, f->v[i]);
            continue;
        }
        fmt_double(val, sizeof(val), f->kind == K_COUNTER ? f->v[i]->m.c.v : f->v[i]->m.g.v);
        rc = put_sample(b, f->name, NULL, f->v[i]->labels, NULL, val);
    }
    return rc;
}

int fr_metrics_render(struct fr_buf *out, struct fr_error *err)
{
    if (reg.dirty) {
        qsort(reg.v, reg.n, sizeof(*reg.v), cmp_family);
        reg.dirty = 0;
    }
    for (size_t i = 0; i < reg.n; i++) {
        if (put_family(out, reg.v[i]) != 0)
            return fr_error_set(err, FR_ERR_LIMIT, "metrics text exceeds %zu bytes at '%s'",
                                out->max, reg.v[i]->name);
    }
    return 0;
}

static void free_family(struct family *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->v[i]->labels);
        if (f->kind == K_HIST)
            free(f->v[i]->m.h.counts);
        free(f->v[i]);
    }
    for (size_t i = 0; i < f->nbounds; i++)
        free(f->le[i]);
    free(f->le);
    free(f->bounds);
    free(f->v);
    free(f->slots);
    free(f->label_names);
    free(f->help);
    free(f->name);
    free(f);
}

void fr_metrics_reset(void)
{
    for (size_t i = 0; i < reg.n; i++)
        free_family(reg.v[i]);
    free(reg.v);
    memset(&reg, 0, sizeof(reg));
}
