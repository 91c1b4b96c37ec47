/*
 * freshetctl export — streams the catalog as CSV (RFC 4180) or JSON lines. Rows come
 * from a server-side cursor, 1,000 per FETCH, inside one read-only repeatable-read
 * transaction: memory stays bounded whatever the table's size and the export is one
 * consistent snapshot. With --output the file appears (renamed into place) only when
 * the export is complete, so a failed run never leaves a plausible-looking partial file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/app.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/sig.h"
#include "ctl/ctl.h"

#define FETCH_ROWS "1000"
#define ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

struct export_config {
    struct fr_common_config common;
    const char *format, *since, *status, *output;
};

#define C(f) offsetof(struct export_config, f)
static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct export_config),
    {NULL, "format", FR_OPT_STR, NULL, 0, 0, C(format), "required: csv or jsonl"},
    {NULL, "since", FR_OPT_STR, NULL, 0, 0, C(since),
     "only rows whose payload was fetched (last_updated) at or after TIME"},
    {NULL, "status", FR_OPT_STR, NULL, 0, 0, C(status),
     "only rows with this status: pending_processing, active or failed"},
    {NULL, "output", FR_OPT_STR, NULL, 0, 0, C(output), "write to this file (default: stdout)"},
};
#undef C

static const char epilog[] =
    "Columns: source, id, status, priority, attempts, last_error, last_updated,\n"
    "next_update_due (ISO-8601 UTC), payload (JSON). CSV has a header line, CRLF line ends,\n"
    "an empty field for NULL and \"\" for an empty string. Rows are in id order.\n"
    "TIME is ISO-8601 (2026-01-02T03:04:05Z) or a duration ago (6h, 7d).\n";

#define WHERE                                                                                      \
    " FROM items WHERE source = $1 AND ($2::text IS NULL OR status = $2)"                          \
    " AND ($3::bigint IS NULL OR last_updated >= to_timestamp($3::bigint / 1000.0))"              \
    " ORDER BY source, id"

static const char csv_cursor[] =
    "DECLARE freshet_export NO SCROLL CURSOR FOR"
    " SELECT source, id, status, priority, attempts, last_error, " ISO("last_updated") ", "
    ISO("next_update_due") ", payload::text" WHERE;

static const char jsonl_cursor[] =
    "DECLARE freshet_export NO SCROLL CURSOR FOR"
    " SELECT row_to_json(r)::text FROM (SELECT source, id, status, priority, attempts,"
    " last_error, " ISO("last_updated") " AS last_updated, " ISO("next_update_due")
    " AS next_update_due, payload" WHERE ") r";

static const char csv_header[] =
    "source,id,status,priority,attempts,last_error,last_updated,next_update_due,payload\r\n";

/* One CSV field: quoted when it holds a comma, quote, CR or LF (RFC 4180), or is empty
 * (so "" is an empty string and nothing at all is NULL). */
static void csv_field(FILE *out, const char *s, int is_null)
{
    if (is_null)
        return;
    if (*s && strpbrk(s, ",\"\r\n") == NULL) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

static void write_rows(PGresult *res, int csv, FILE *out)
{
    int nf = PQnfields(res);

    for (int r = 0; r < PQntuples(res); r++) {
        if (!csv) {
            fputs(PQgetvalue(res, r, 0), out);
            fputc('\n', out);
            continue;
        }
        for (int c = 0; c < nf; c++) {
            if (c > 0)
                fputc(',', out);
            csv_field(out, PQgetvalue(res, r, c), PQgetisnull(res, r, c));
        }
        fputs("\r\n", out);
    }
}

struct export_job {
    const struct export_config *cfg;
    const char *params[3];
    FILE *out;
    uint64_t rows;
    struct ctl_progress progress;
};

/* Declares the cursor and drains it, 1,000 rows at a time. Runs inside BEGIN/COMMIT. */
static int stream(struct fr_db *db, struct export_job *j, struct fr_error *err)
{
    int csv = strcmp(j->cfg->format, "csv") == 0, rc;
    PGresult *res;

    if ((rc = fr_db_query(db, csv ? csv_cursor : jsonl_cursor, 3, j->params, NULL, err)) != 0)
        return rc;
    if (csv)
        fputs(csv_header, j->out);
    for (;;) {
        if (fr_sig_stop_requested)
            return fr_error_set(err, FR_ERR_IO, "interrupted");
        if ((rc = fr_db_query(db, "FETCH FORWARD " FETCH_ROWS " FROM freshet_export", 0, NULL,
                              &res, err)) != 0)
            return rc;
        if (PQntuples(res) == 0) {
            PQclear(res);
            break;
        }
        write_rows(res, csv, j->out);
        j->rows += (uint64_t)PQntuples(res);
        PQclear(res);
        if (ferror(j->out))
            return fr_error_set(err, FR_ERR_IO, "write failed: %s", strerror(errno));
        ctl_progress_tick(&j->progress, j->rows, -1, "");
    }
    return fr_db_query(db, "CLOSE freshet_export", 0, NULL, NULL, err);
}

static int run_export(struct fr_db *db, struct export_job *j, struct fr_error *err)
{
    int rc = fr_db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);

    if (rc == 0)
        rc = stream(db, j, err);
    if (rc == 0)
        rc = fr_db_exec(db, "COMMIT", err);
    else if (db->conn)
        fr_db_exec(db, "ROLLBACK", NULL);
    if (rc == 0 && fflush(j->out) != 0)
        rc = fr_error_set(err, FR_ERR_IO, "write failed: %s", strerror(errno));
    return rc;
}

/* Validates the flags; fills the query parameters (since in unix ms). */
static int check_usage(const char *prog, const struct export_config *cfg, char *since_ms,
                       size_t n)
{
    struct fr_error err = {0};
    int64_t ms;

    if (!cfg->format)
        return ctl_usage_error(prog, "--format is required: csv or jsonl");
    if (strcmp(cfg->format, "csv") != 0 && strcmp(cfg->format, "jsonl") != 0)
        return ctl_usage_error(prog, "--format: must be csv or jsonl (got '%s')", cfg->format);
    if (cfg->status && strcmp(cfg->status, "pending_processing") != 0 &&
        strcmp(cfg->status, "active") != 0 && strcmp(cfg->status, "failed") != 0)
        return ctl_usage_error(prog, "--status: must be pending_processing, active or failed "
                                     "(got '%s')", cfg->status);
    if (cfg->since && ctl_parse_time(cfg->since, &ms, &err) != 0)
        return ctl_usage_error(prog, "--since: %s", err.msg);
    if (cfg->since)
        snprintf(since_ms, n, "%lld", (long long)ms);
    return 0;
}

/* Opens where the rows go: stdout, or a temporary file next to --output. */
static FILE *open_output(const struct export_config *cfg, char *tmp, size_t n,
                         struct fr_error *err)
{
    FILE *f;

    if (!cfg->output || strcmp(cfg->output, "-") == 0)
        return stdout;
    snprintf(tmp, n, "%s.tmp.%ld", cfg->output, (long)getpid());
    if ((f = fopen(tmp, "w")) == NULL)
        fr_error_set(err, FR_ERR_IO, "cannot create '%s': %s", tmp, strerror(errno));
    return f;
}

/* Closes the output: renames the temporary file into place on success, removes it
 * otherwise. */
static int close_output(FILE *f, const struct export_config *cfg, const char *tmp, int rc,
                        struct fr_error *err)
{
    if (f == stdout)
        return rc;
    if (fclose(f) != 0 && rc == 0)
        rc = fr_error_set(err, FR_ERR_IO, "write '%s': %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, cfg->output) != 0)
        rc = fr_error_set(err, FR_ERR_IO, "rename to '%s': %s", cfg->output, strerror(errno));
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int ctl_export(int argc, char **argv)
{
    struct export_config cfg = {0};
    struct fr_app app = {
        .program = "freshetctl export",
        .usage = "--format csv|jsonl [--since TIME] [--status S] [--output F] [OPTIONS]",
        .summary = "Streams the rows of a source as CSV or JSON lines, in bounded memory.",
        .epilog = epilog,
        .opts = opts,
        .nopts = sizeof(opts) / sizeof(opts[0]),
        .cfg = &cfg,
        .common = &cfg.common,
        .one_source = 1,
    };
    struct export_job j = {.cfg = &cfg};
    struct fr_db db;
    struct fr_error err = {0};
    char since[32], tmp[4200] = "";
    int64_t start = fr_mono_ms();
    int rc;

    fr_app_init(&app, argc, argv, NULL);
    if ((rc = check_usage(app.program, &cfg, since, sizeof(since))) != 0)
        return rc;
    j.params[0] = cfg.common.source;
    j.params[1] = cfg.status;
    j.params[2] = cfg.since ? since : NULL;
    fr_app_connect(&app, NULL, &db, 1);
    fr_sig_install_flag();
    ctl_progress_init(&j.progress, "export", "rows");
    if ((j.out = open_output(&cfg, tmp, sizeof(tmp), &err)) != NULL) {
        rc = run_export(&db, &j, &err);
        rc = close_output(j.out, &cfg, tmp, rc, &err);
    } else {
        rc = err.code;
    }
    ctl_progress_end(&j.progress);
    if (rc == 0)
        fprintf(stderr, "export: %llu rows written to %s in %.1fs\n", (unsigned long long)j.rows,
                cfg.output ? cfg.output : "stdout", (double)(fr_mono_ms() - start) / 1000.0);
    else
        fprintf(stderr, "%s: %s\n", app.program, err.msg);
    fr_db_release(&db);
    fr_log_reset();
    return rc == 0 ? 0 : 1;
}
