/*
 * upsert_ceiling — how fast this machine's PostgreSQL takes the processor's writes: the
 * processor's own write statement (write_sql below, copied verbatim from
 * processor/store.c: fenced UPDATE of items to 'active' with payload, hash and adaptive
 * interval, plus the item_history snapshot) in batches of 100 array-literal parameters,
 * on several connections at once (one process each, default 2), each batch its own
 * transaction as in the processor. Rows are inserted beforehand as the scout leaves
 * them and pre-claimed (lease 1, claimed_until ahead) so the lease fence holds for every
 * row: nothing is skipped, every row gets its history row.
 *
 *   upsert_ceiling [-m MODE] [-w WORKERS] [-b BATCH] [-p PAYLOAD_BYTES] [-s | -r] N
 *
 * MODE unnest (default): write_sql with unnest() of array literals, as the processor.
 * MODE copy: COPY the batch into a temporary table, then the same statement reading it.
 * MODE plain: one INSERT ... SELECT FROM unnest(same arrays) ON CONFLICT DO UPDATE, with
 * no fence and no history: what the write would cost without them.
 *
 * DATABASE_URL names a migrated freshet database; its items and item_history are
 * emptied and N claimed rows inserted first (-s: only that; -r: only the timed writes,
 * on rows a -s run left, so a caller can measure the server around the writes alone).
 * Payloads are realistic normalized product JSON, PAYLOAD_BYTES long as jsonb text
 * (default 1300). Prints one line of key=value figures for run.sh; exits 1 when a
 * statement failed or a row was not written.
 */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/mem.h"
#include "common/pgarray.h"

#define NCOLS 10
#define PAYLOAD_MAX 4000

/* Verbatim from processor/store.c (run.sh warns when the two differ). */
static const char write_sql[] =
    "WITH input AS ("
    "  SELECT * FROM unnest($2::text[], $3::bigint[], $4::jsonb[], $5::text[], $6::bigint[],"
    "                       $7::int[], $8::int[], $9::int[], $10::text[], $11::bigint[])"
    "    AS t(id, lease, payload, hash, observed_ms, price_amazon, price_new, sales_rank,"
    "         seller, seed_s)"
    "), old AS ("
    "  SELECT i.id, i.content_hash, i.refresh_interval FROM items i"
    "  JOIN input ON i.source = $1 AND i.id = input.id AND i.lease = input.lease"
    "  WHERE i.id = ANY($2::text[])"
    "  FOR UPDATE OF i"
    "), upd AS ("
    "  UPDATE items i SET status = 'active', payload = input.payload, content_hash = input.hash,"
    "         last_updated = now(), attempts = 0, last_error = NULL, claimed_until = NULL,"
    "         last_changed = CASE WHEN old.content_hash IS DISTINCT FROM input.hash"
    "                        THEN now() ELSE i.last_changed END,"
    "         refresh_interval = iv.v, next_update_due = now() + iv.v"
    "  FROM input JOIN old ON old.id = input.id,"
    "       LATERAL (SELECT least(greatest(CASE"
    "         WHEN old.content_hash IS NULL AND input.seed_s > 0"
    "           THEN make_interval(secs => input.seed_s)"
    "         WHEN old.content_hash IS NULL THEN old.refresh_interval"
    "         WHEN old.content_hash IS DISTINCT FROM input.hash"
    "           THEN old.refresh_interval * (1 - $14::float8)"
    "         ELSE old.refresh_interval * (1 + $15::float8) END,"
    "         $12::interval), $13::interval) AS v) iv"
    "  WHERE i.source = $1 AND i.id = ANY($2::text[]) AND i.id = input.id"
    "  RETURNING i.id, (old.content_hash IS DISTINCT FROM input.hash) AS changed"
    "), hist AS ("
    "  INSERT INTO item_history (source, id, observed_at, content_hash, price_amazon,"
    "                            price_new, sales_rank, buybox_seller_id)"
    "  SELECT $1, input.id,"
    "         CASE WHEN input.observed_ms > 0 THEN to_timestamp(input.observed_ms / 1000.0)"
    "              ELSE now() END,"
    "         input.hash, nullif(input.price_amazon, -1), nullif(input.price_new, -1),"
    "         nullif(input.sales_rank, -1), nullif(input.seller, '')"
    "  FROM input JOIN upd ON upd.id = input.id WHERE upd.changed"
    "  ON CONFLICT DO NOTHING RETURNING 1"
    ")"
    "SELECT id, changed, (SELECT count(*) FROM hist) FROM upd";

static const char plain_sql[] =
    "INSERT INTO items AS i (source, id, status, payload, content_hash, last_updated,"
    "                        last_changed, attempts, claimed_until, refresh_interval,"
    "                        next_update_due)"
    " SELECT $1, t.id, 'active', t.payload, t.hash, now(), now(), 0, NULL,"
    "        interval '1 hour', now() + interval '1 hour'"
    " FROM unnest($2::text[], $3::bigint[], $4::jsonb[], $5::text[], $6::bigint[],"
    "             $7::int[], $8::int[], $9::int[], $10::text[], $11::bigint[])"
    "   AS t(id, lease, payload, hash, observed_ms, price_amazon, price_new, sales_rank,"
    "        seller, seed_s)"
    " ON CONFLICT (source, id) DO UPDATE SET status = excluded.status,"
    "   payload = excluded.payload, content_hash = excluded.content_hash,"
    "   last_updated = excluded.last_updated, last_changed = excluded.last_changed,"
    "   attempts = 0, last_error = NULL, claimed_until = NULL,"
    "   next_update_due = excluded.next_update_due"
    " RETURNING i.id";

static const char temp_sql[] =
    "CREATE TEMP TABLE bench_input (id text, lease bigint, payload jsonb, hash text,"
    " observed_ms bigint, price_amazon int, price_new int, sales_rank int, seller text,"
    " seed_s bigint) ON COMMIT DELETE ROWS";

/* What the scout stores with a new row (a /deal entry), ~370 bytes as in the fleet. */
static const char discovery_json[] =
    "{\"asin\": \"B000000000\", \"image\": \"https://m.media-amazon.com/images/I/"
    "79qXLHUT7LB.jpg\", \"title\": \"Melitta Classic Water Bottle SH-275, 2 Pack, White\", "
    "\"categories\": [1000003008], \"current_new\": 9054, \"last_update\": "
    "\"2026-11-22T14:52:00Z\", \"creation_date\": \"2025-12-13T09:26:00Z\", "
    "\"delta_pct_day\": 0, \"root_category\": 3760901, \"current_amazon\": 9054}";

enum mode { M_UNNEST, M_COPY, M_PLAIN };

struct opts {
    enum mode mode;
    int workers;
    int batch;
    int payload_bytes;
    int setup_only, run_only;
    long n;
    const char *url;
};

/* One item's columns, as text (NULL = SQL NULL). */
struct row {
    char id[16], lease[8], hash[24], observed[24], pa[16], pn[16], rank[16], seller[16];
    char payload[PAYLOAD_MAX];
};

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

static const char *const brands[] = {"Melitta", "Anker", "OXO", "Bosch", "Philips", "Lodge"};
static const char *const words[] = {"Stainless", "Steel",           "2 Pack",      "White",
                                    "BPA Free",  "Dishwasher Safe", "for Kitchen", "Large",
                                    "Black",     "Compatible with", "Premium",     "Travel"};

/* A normalized product as the processor stores it, about `target` bytes of jsonb text. */
static void make_payload(struct row *r, long i, int target, int64_t observed_ms)
{
    uint64_t h = mix((uint64_t)i);
    int price = 500 + (int)(h % 20000), rank = 1 + (int)((h >> 20) % 500000);
    const char *brand = brands[h % 6];
    char title[PAYLOAD_MAX / 2], observed[40];
    int len, pad;

    fr_format_iso8601(observed_ms, observed, sizeof(observed));

    snprintf(title, sizeof(title), "%s Classic %s %s-%d", brand, words[(h >> 8) % 12], "SH",
             (int)(h % 1000));
    for (int pass = 0; pass < 2; pass++) {
        len = snprintf(
            r->payload, sizeof(r->payload),
            "{\"asin\": \"%s\", \"brand\": \"%s\", \"image\": \"https://m.media-amazon.com/"
            "images/I/%011llx.jpg\", \"title\": \"%s\", \"domain\": 1, \"rating\": null, "
            "\"seller\": {\"id\": \"%s\", \"name\": \"%s Store %d\", \"rating\": %d, "
            "\"has_fba\": false, \"rating_count\": %d}, \"analysis\": {\"avg90\": %d, "
            "\"spike\": false, \"trend\": \"flat\", \"zscore\": null, \"current\": %d, "
            "\"points_90d\": %d, \"price_type\": \"amazon\", \"avg90_source\": \"keepa\", "
            "\"drop_pct_90d\": 0.0, \"velocity_per_day\": 0.0}, \"price_new\": %d, "
            "\"categories\": [%d], \"sales_rank\": %d, \"last_update\": "
            "\"2026-11-22T14:52:00Z\", \"observed_at\": \"%s\", \"parent_asin\": null, "
            "\"manufacturer\": \"%s Inc.\", \"monthly_sold\": null, \"price_amazon\": %d, "
            "\"price_buybox\": %d, \"product_type\": 0, \"review_count\": null, "
            "\"root_category\": %d, \"tracking_since\": \"2025-12-13T09:26:00Z\", "
            "\"buybox_seller_id\": \"%s\", \"last_price_change\": \"2025-12-13T09:26:00Z\"}",
            r->id, brand, (unsigned long long)(h & 0xffffffffffULL), title, r->seller, brand,
            (int)(h % 97), (int)(h % 100), (int)(h % 9000), price, price, (int)(h % 40), price + 13,
            1000000000 + (int)(h % 9000000), rank, observed, brand, price, price,
            3760000 + (int)(h % 1000), r->seller);
        pad = target - len;
        if (pass == 1 || pad <= 0)
            break;
        /* Longer titles (Amazon's run to 200 characters), then extra words, to size. */
        for (size_t w = (h >> 12) % 12; pad > 0 && strlen(title) + 24 < sizeof(title); w++) {
            size_t before = strlen(title);
            snprintf(title + before, sizeof(title) - before, ", %s", words[w % 12]);
            pad -= (int)(strlen(title) - before);
        }
    }
}

static void make_row(struct row *r, long i, int target, int64_t base_ms)
{
    uint64_t h = mix((uint64_t)i + 7);
    int64_t observed = base_ms + i * 1000;

    snprintf(r->id, sizeof(r->id), "B%09ld", i);
    snprintf(r->lease, sizeof(r->lease), "1");
    snprintf(r->hash, sizeof(r->hash), "%016llx", (unsigned long long)h);
    snprintf(r->observed, sizeof(r->observed), "%lld", (long long)observed);
    snprintf(r->pa, sizeof(r->pa), "%d", 500 + (int)(h % 20000));
    snprintf(r->pn, sizeof(r->pn), "%d", 480 + (int)(h % 20000));
    snprintf(r->rank, sizeof(r->rank), "%d", 1 + (int)((h >> 20) % 500000));
    snprintf(r->seller, sizeof(r->seller), "A%013llX",
             (unsigned long long)((h >> 8) % 10000000000000ULL));
    make_payload(r, i, target, observed);
}

static const char *col(const struct row *r, int k)
{
    /* seed_s "0" keeps the default interval, as the fleet's products do. */
    const char *const cols[NCOLS] = {r->id, r->lease, r->payload, r->hash,   r->observed,
                                     r->pa, r->pn,    r->rank,    r->seller, "0"};

    return cols[k];
}

/* COPY text format: backslash, tab, newline and carriage return are escaped. */
static void copy_field(struct fr_buf *b, const char *s)
{
    for (; *s; s++) {
        const char *esc = *s == '\\'   ? "\\\\"
                          : *s == '\t' ? "\\t"
                          : *s == '\n' ? "\\n"
                          : *s == '\r' ? "\\r"
                                       : NULL;
        if (esc)
            fr_buf_puts(b, esc);
        else
            fr_buf_putc(b, *s);
    }
}

/* A batch ready to send: NCOLS array literals, or one COPY text body. */
struct batch {
    struct fr_pgarr a[NCOLS];
    struct fr_buf copy;
    int n;
};

static void build_batch(struct batch *bt, const struct row *rows, int n, enum mode m)
{
    bt->n = n;
    if (m == M_COPY) {
        fr_buf_init(&bt->copy, 0);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < NCOLS; k++) {
                copy_field(&bt->copy, col(&rows[i], k));
                fr_buf_putc(&bt->copy, k + 1 < NCOLS ? '\t' : '\n');
            }
        }
        return;
    }
    for (int k = 0; k < NCOLS; k++) {
        fr_pgarr_open(&bt->a[k]);
        for (int i = 0; i < n; i++) {
            if (k == 1 || (k >= 4 && k <= 7) || k == 9)
                fr_pgarr_int(&bt->a[k], strtoll(col(&rows[i], k), NULL, 10));
            else
                fr_pgarr_str(&bt->a[k], col(&rows[i], k));
        }
        fr_pgarr_close(&bt->a[k]);
    }
}

static void release_batch(struct batch *bt, enum mode m)
{
    if (m == M_COPY) {
        fr_buf_release(&bt->copy);
        return;
    }
    for (int k = 0; k < NCOLS; k++)
        fr_buf_release(&bt->a[k].buf);
}

/* The COPY variant's merge: write_sql from ") , old AS (" on, reading bench_input, with
 * the parameters after the arrays renumbered ($12..$15 become $2..$5) and the id array
 * read from the copied rows. */
static char *copy_merge_sql(void)
{
    const char *tail = strstr(write_sql, "), old AS (");
    struct fr_buf b;

    fr_buf_init(&b, 0);
    fr_buf_puts(&b, "WITH input AS (SELECT * FROM bench_input");
    for (const char *p = tail; *p; p++) {
        if (strncmp(p, "$2::text[]", 10) == 0) { /* the ids: from the copied rows */
            fr_buf_puts(&b, "ARRAY(SELECT id FROM bench_input)");
            p += 9;
        } else if (*p == '$' && p[1] == '1' && p[2] >= '2' && p[2] <= '5') {
            fr_buf_printf(&b, "$%d", p[2] - '0');
            p += 2;
        } else {
            fr_buf_putc(&b, *p);
        }
    }
    return fr_buf_detach(&b, NULL);
}

static int fail(PGconn *c, const char *what, PGresult *res)
{
    fprintf(stderr, "upsert_ceiling: %s: %s", what, PQerrorMessage(c));
    PQclear(res);
    return -1;
}

static int exec_ok(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);

    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        return fail(c, sql, res);
    PQclear(res);
    return 0;
}

/* Sends one batch; every row must come back written. */
static int send_batch(PGconn *c, struct batch *bt, enum mode m, const char *merge)
{
    static const char *const tail[4] = {"900000 milliseconds", "604800000 milliseconds", "0.2",
                                        "0.4"};
    const char *params[15] = {"keepa"};
    int nparams = m == M_PLAIN ? 11 : 15;
    PGresult *res;

    if (m == M_COPY) {
        if (exec_ok(c, "BEGIN") != 0)
            return -1;
        res = PQexec(c, "COPY bench_input FROM STDIN");
        if (PQresultStatus(res) != PGRES_COPY_IN)
            return fail(c, "copy", res);
        PQclear(res);
        if (PQputCopyData(c, fr_buf_str(&bt->copy), (int)bt->copy.len) != 1 ||
            PQputCopyEnd(c, NULL) != 1)
            return fail(c, "copy data", NULL);
        res = PQgetResult(c);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            return fail(c, "copy end", res);
        PQclear(res);
        while ((res = PQgetResult(c)) != NULL)
            PQclear(res);
        res = PQexecParams(c, merge, 5, NULL,
                           (const char *const[]){"keepa", tail[0], tail[1], tail[2], tail[3]}, NULL,
                           NULL, 0);
    } else {
        for (int k = 0; k < NCOLS; k++)
            params[k + 1] = fr_buf_str(&bt->a[k].buf);
        for (int k = 0; k < 4; k++)
            params[11 + k] = tail[k];
        res = PQexecParams(c, m == M_PLAIN ? plain_sql : write_sql, nparams, NULL, params, NULL,
                           NULL, 0);
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return fail(c, "write", res);
    if (PQntuples(res) != bt->n) {
        fprintf(stderr, "upsert_ceiling: %d of %d rows written\n", PQntuples(res), bt->n);
        PQclear(res);
        return -1;
    }
    PQclear(res);
    return m == M_COPY ? exec_ok(c, "COMMIT") : 0;
}

/* A worker process: connects, builds its batches (w, w + W, ...), says it is ready on
 * ready_fd, waits for go_fd to close, then writes them all. Never returns. */
static void worker(const struct opts *o, int w, int ready_fd, int go_fd, int64_t base_ms)
{
    PGconn *c = PQconnectdb(o->url);
    long nb = (o->n + o->batch - 1) / o->batch, mine = 0;
    struct batch *bts = fr_xcalloc((size_t)(nb / o->workers + 1), sizeof(*bts));
    struct row *rows = fr_xcalloc((size_t)o->batch, sizeof(*rows));
    char *merge = copy_merge_sql();
    char go;
    int rc = 0;

    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "upsert_ceiling: connect: %s", PQerrorMessage(c));
        _exit(1);
    }
    if (o->mode == M_COPY && exec_ok(c, temp_sql) != 0)
        _exit(1);
    for (long b = w; b < nb; b += o->workers) {
        int n = 0;
        for (long i = b * o->batch; i < o->n && n < o->batch; i++)
            make_row(&rows[n++], i, o->payload_bytes, base_ms);
        build_batch(&bts[mine++], rows, n, o->mode);
    }
    /* Closing ready_fd lets the parent see EOF, not hang, if a sibling died unready. */
    if (write(ready_fd, "r", 1) != 1 || close(ready_fd) != 0 || read(go_fd, &go, 1) != 0)
        _exit(1);
    for (long k = 0; k < mine && rc == 0; k++)
        rc = send_batch(c, &bts[k], o->mode, merge);
    for (long k = 0; k < mine; k++)
        release_batch(&bts[k], o->mode);
    free(bts);
    free(rows);
    free(merge);
    PQfinish(c);
    _exit(rc == 0 ? 0 : 1);
}

static int setup(PGconn *c, long n)
{
    char sql[1024];
    const char *params[1] = {discovery_json};
    PGresult *res;

    if (exec_ok(c, "TRUNCATE items, item_history") != 0)
        return -1;
    /* As the scout leaves new rows, then claimed (lease 1) as the processor's claim does. */
    snprintf(sql, sizeof(sql),
             "INSERT INTO items (source, id, status, priority, queued_at, discovery, lease,"
             " claimed_until) SELECT 'keepa', 'B' || lpad(i::text, 9, '0'),"
             " 'pending_processing', 1, now(), $1::jsonb, 1, now() + interval '1 hour'"
             " FROM generate_series(0, %ld) i",
             n - 1);
    res = PQexecParams(c, sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        return fail(c, "insert rows", res);
    PQclear(res);
    return exec_ok(c, "VACUUM ANALYZE items") || exec_ok(c, "CHECKPOINT");
}

/* Both counts must be n (history: 0 in plain mode). */
static int verify(PGconn *c, const struct opts *o, double *payload_len)
{
    PGresult *res = PQexec(c, "SELECT count(*) FILTER (WHERE status = 'active'),"
                              " (SELECT count(*) FROM item_history),"
                              " avg(length(payload::text)) FROM items");
    long active, hist;

    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        return fail(c, "verify", res);
    active = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    hist = strtol(PQgetvalue(res, 0, 1), NULL, 10);
    *payload_len = strtod(PQgetvalue(res, 0, 2), NULL);
    PQclear(res);
    if (active != o->n || hist != (o->mode == M_PLAIN ? 0 : o->n)) {
        fprintf(stderr, "upsert_ceiling: %ld active rows and %ld history rows, want %ld\n", active,
                hist, o->n);
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
    int ch;

    *o = (struct opts){.mode = M_UNNEST,
                       .workers = 2,
                       .batch = 100,
                       .payload_bytes = 1300,
                       .url = getenv("DATABASE_URL")};
    while ((ch = getopt(argc, argv, "m:w:b:p:sr")) != -1) {
        if (ch == 'm' && strcmp(optarg, "unnest") == 0)
            o->mode = M_UNNEST;
        else if (ch == 'm' && strcmp(optarg, "copy") == 0)
            o->mode = M_COPY;
        else if (ch == 'm' && strcmp(optarg, "plain") == 0)
            o->mode = M_PLAIN;
        else if (ch == 'w')
            o->workers = atoi(optarg);
        else if (ch == 'b')
            o->batch = atoi(optarg);
        else if (ch == 'p')
            o->payload_bytes = atoi(optarg);
        else if (ch == 's')
            o->setup_only = 1;
        else if (ch == 'r')
            o->run_only = 1;
        else
            return -1;
    }
    if (optind + 1 != argc || o->url == NULL || (o->setup_only && o->run_only))
        return -1;
    o->n = strtol(argv[optind], NULL, 10);
    return o->n > 0 && o->workers >= 1 && o->workers <= 64 && o->batch >= 1 &&
                   o->payload_bytes > 0 && o->payload_bytes < PAYLOAD_MAX - 200
               ? 0
               : -1;
}

int main(int argc, char **argv)
{
    static const char *const names[] = {"unnest", "copy", "plain"};
    struct opts o;
    int ready[2], go[2], ret = 1, failed = 0;
    int64_t base_ms = fr_wall_ms() - 300LL * 86400000, t0, t1;
    double payload_len = 0;
    pid_t pids[64];
    int forked = 0;
    PGconn *c;
    char r;

    if (parse_args(argc, argv, &o) != 0) {
        fprintf(stderr, "usage: DATABASE_URL=... upsert_ceiling [-m unnest|copy|plain] "
                        "[-w WORKERS] [-b BATCH] [-p PAYLOAD_BYTES] [-s | -r] N\n");
        return 2;
    }
    c = PQconnectdb(o.url);
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "upsert_ceiling: connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return 1;
    }
    if (!o.run_only && setup(c, o.n) != 0)
        goto cleanup;
    if (o.setup_only) {
        ret = 0;
        goto cleanup;
    }
    if (pipe(ready) != 0 || pipe(go) != 0)
        goto cleanup;
    fflush(NULL);
    for (; forked < o.workers; forked++) {
        pids[forked] = fork();
        if (pids[forked] < 0) {
            perror("upsert_ceiling: fork");
            failed = 1;
            break;
        }
        if (pids[forked] == 0) {
            close(ready[0]);
            close(go[1]);
            worker(&o, forked, ready[1], go[0], base_ms);
        }
    }
    close(ready[1]);
    close(go[0]);
    for (int w = 0; w < forked && !failed; w++) {
        if (read(ready[0], &r, 1) != 1)
            failed = 1; /* a worker died before it was ready */
    }
    t0 = fr_mono_us();
    close(go[1]);
    for (int w = 0; w < forked; w++) {
        int st;
        if (waitpid(pids[w], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
            failed = 1;
    }
    t1 = fr_mono_us();
    close(ready[0]);
    if (failed || verify(c, &o, &payload_len) != 0)
        goto cleanup;
    printf("mode=%s workers=%d batch=%d n=%ld payload_bytes=%.0f seconds=%.3f items_per_s=%.0f\n",
           names[o.mode], o.workers, o.batch, o.n, payload_len, (double)(t1 - t0) / 1e6,
           (double)o.n * 1e6 / (double)(t1 - t0));
    ret = 0;
cleanup:
    PQfinish(c);
    return ret;
}
