/*
 * freshetctl backfill — feeds a large list of ids (a file, stdin, or discovery pages)
 * through the same idempotent intake as enqueue (feed.c), with progress. The input is
 * read line by line into one batch of 1,000 ids, so a file of millions of ids needs no
 * more memory than a small one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/app.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sig.h"
#include "common/sources/settings.h"
#include "ctl/ctl.h"

#define LINE_MAX_BYTES 256

struct backfill_config {
    struct fr_common_config common;
    struct fr_source_settings src;
    const char *file, *pages;
    int64_t priority, token_period_ms;
    int hot, json;
};

#define C(f) offsetof(struct backfill_config, f)
static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct backfill_config),
    FR_SOURCE_OPTS(struct backfill_config),
    {"FRESHET_TOKEN_PERIOD", "token-period", FR_OPT_DURATION, "60s", 10, 3600000,
     C(token_period_ms), "upstream token refill period (the built-in source's: one minute; for --pages)"},
    {NULL, "file", FR_OPT_STR, NULL, 0, 0, C(file),
     "read ids from this file, one per line ('-' or a lone - argument: stdin)"},
    {NULL, "pages", FR_OPT_STR, NULL, 0, 0, C(pages),
     "read ids from the source's discovery pages A-B (0-based; the built-in source's cost 5 "
     "tokens a page)"},
    {NULL, "priority", FR_OPT_INT, "0", 0, 9, C(priority),
     "priority 1 (hottest) to 9 for new and requeued rows; 0 keeps a row's own (new: 5)"},
    {NULL, "hot", FR_OPT_FLAG, "false", 0, 0, C(hot),
     "push onto queue:hot (implied by --priority 1 or 2)"},
    {NULL, "json", FR_OPT_FLAG, "false", 0, 0, C(json), "print the summary as a JSON object"},
};
#undef C

static const char epilog[] =
    "Lines are trimmed; blank lines and lines starting with # are skipped. Invalid ids are\n"
    "reported with their line number and counted; the run fails (exit 1) only when every\n"
    "id is invalid. Progress goes to stderr (a bar on a terminal, otherwise a line every\n"
    "10,000 ids or 5 s), the summary to stdout. Ctrl-C stops after the current batch.\n";

/* Trims surrounding whitespace in place; returns the start. */
static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    return s;
}

/* Reads one line into buf; a longer line is consumed whole and reported as *toolong. */
static int read_line(FILE *in, char *buf, size_t n, int *toolong)
{
    size_t len;
    int c;

    *toolong = 0;
    if (fgets(buf, (int)n, in) == NULL)
        return 0;
    len = strlen(buf);
    if (len == n - 1 && buf[len - 1] != '\n') {
        *toolong = 1;
        while ((c = fgetc(in)) != EOF && c != '\n')
            ;
    }
    return 1;
}

static int read_ids(FILE *in, off_t size, struct ctl_feed *f, struct fr_error *err)
{
    char buf[LINE_MAX_BYTES];
    uint64_t line = 0;
    int toolong, rc = 0;

    while (rc == 0 && !fr_sig_stop_requested && read_line(in, buf, sizeof(buf), &toolong)) {
        char *id = trim(buf);
        line++;
        if (size > 0)
            f->frac = (double)ftello(in) / (double)size;
        if (*id == '\0' || *id == '#')
            continue;
        rc = ctl_feed_add(f, toolong ? "(line too long)" : id, "line", line, err);
    }
    if (rc == 0 && ferror(in) && !fr_sig_stop_requested)
        rc = fr_error_set(err, FR_ERR_IO, "read error: %s", strerror(errno));
    return rc;
}

static int read_file(const char *path, struct ctl_feed *f, struct fr_error *err)
{
    int own = strcmp(path, "-") != 0;
    FILE *in = own ? fopen(path, "r") : stdin;
    struct stat st;
    int rc;

    if (in == NULL)
        return fr_error_set(err, FR_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    /* Only a regular file has a size to measure progress against. */
    if (fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode))
        st.st_size = 0;
    rc = read_ids(in, st.st_size, f, err);
    if (rc != 0)
        fr_error_prefix(err, "'%s'", path);
    if (own)
        fclose(in);
    return rc;
}

/* "A-B" with 0 <= A <= B <= 100000, or "A" for one page. */
static int parse_pages(const char *s, int *first, int *last)
{
    char *end;
    long a = strtol(s, &end, 10), b = a;

    if (end == s || a < 0)
        return -1;
    if (*end == '-') {
        const char *t = end + 1;
        b = strtol(t, &end, 10);
        if (end == t)
            return -1;
    }
    if (*end != '\0' || b < a || b > 100000)
        return -1;
    *first = (int)a;
    *last = (int)b;
    return 0;
}

/* The inputs in order: --file (or "-"), then --pages. */
static int run_inputs(struct backfill_config *cfg, struct fr_redis *redis, struct ctl_feed *f,
                      int first, int last, struct fr_error *err)
{
    int rc = 0;

    if (cfg->file)
        rc = read_file(cfg->file, f, err);
    if (rc == 0 && cfg->pages && !fr_sig_stop_requested) {
        f->frac = -1;
        rc = ctl_pages_feed(f, redis, &cfg->src, cfg->token_period_ms, first, last, err);
    }
    if (rc == 0)
        rc = ctl_feed_flush(f, err);
    return rc;
}

/* Usage checks after parsing; 0 when the inputs make sense. */
static int check_usage(const char *prog, struct backfill_config *cfg, int npos, char **pos,
                       int *first, int *last)
{
    if (npos > 1 || (npos == 1 && strcmp(pos[0], "-") != 0))
        return ctl_usage_error(prog, "unexpected argument '%s' (ids come from --file, - or "
                                     "--pages; see --help)", pos[npos - 1]);
    if (npos == 1 && cfg->file)
        return ctl_usage_error(prog, "give either --file or -, not both");
    if (npos == 1)
        cfg->file = "-";
    if (!cfg->file && !cfg->pages)
        return ctl_usage_error(prog, "nothing to read: give --file F, - (stdin) or --pages A-B");
    if (cfg->pages && parse_pages(cfg->pages, first, last) != 0)
        return ctl_usage_error(prog, "--pages: '%s' is not a page range like 0-9", cfg->pages);
    if (cfg->pages)
        return ctl_pages_check(prog, cfg->common.source, &cfg->src);
    return 0;
}

int ctl_backfill(int argc, char **argv)
{
    struct backfill_config cfg = {0};
    struct fr_app app = {
        .program = "freshetctl backfill",
        .usage = "[--file F | -] [--pages A-B] [OPTIONS]",
        .summary = "Queues many ids, streamed from a file, stdin or discovery pages: missing rows\n"
                   "become pending_processing, active and failed ones pending again, each id is\n"
                   "enqueued once. Idempotent, with progress, in bounded memory.",
        .epilog = epilog,
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
        .one_source = 1,
    };
    struct fr_redis redis;
    struct fr_db db;
    struct fr_queue queue;
    struct ctl_feed feed;
    struct fr_error err = {0};
    char **oargv, **pos;
    int oargc, npos, first = 0, last = 0, rc;
    int64_t start = fr_mono_ms();

    ctl_split_args(opts, app.nopts, argc, argv, &oargc, &oargv, &npos, &pos);
    fr_app_init(&app, oargc, oargv, NULL);
    rc = check_usage(app.program, &cfg, npos, pos, &first, &last);
    free(oargv);
    free(pos);
    if (rc != 0)
        return rc;
    fr_app_connect(&app, &redis, &db, 1);
    fr_sig_install_flag();
    fr_queue_init(&queue, &redis, cfg.common.source, app.worker_id);
    ctl_feed_init(&feed, &db, &queue, cfg.common.source, app.program, (int)cfg.priority, cfg.hot);
    rc = run_inputs(&cfg, &redis, &feed, first, last, &err);
    rc = ctl_feed_finish(&feed, rc, &err, cfg.json, start);
    ctl_feed_release(&feed);
    fr_db_release(&db);
    fr_redis_close(&redis);
    fr_log_reset();
    return rc;
}
