/*
 * admin — the small HTTP server each daemon runs on its own event loop (libevent evhttp)
 * for the orchestrator and Prometheus, at FRESHET_ADMIN_ADDR:
 *
 *   GET /healthz  200 "ok\n" while the loop turns (liveness)
 *   GET /readyz   200 "ready\n", or 503 "not ready: <reason>\n" from the ready callback
 *   GET /metrics  200, the metrics registry in the Prometheus text format 0.0.4,
 *                 after running the scrape hooks (fr_metrics_on_scrape)
 *
 * HEAD is answered like GET without a body; other methods on these paths get 405, other
 * paths 404. A client cannot stall the loop: every connection has a read/write timeout
 * (5 s), headers are capped at 8 KiB (413), request bodies at 1 KiB, and responses are
 * built in memory without blocking. Like every socket writer, it expects SIGPIPE to be
 * ignored (common/sig does).
 */
#ifndef FR_ADMIN_H
#define FR_ADMIN_H

#include <stddef.h>

#include "common/err.h"

struct event_base;
struct fr_admin;

#define FR_ADMIN_TIMEOUT_MS 5000
#define FR_ADMIN_MAX_HEADERS 8192
#define FR_ADMIN_MAX_BODY 1024
#define FR_ADMIN_MAX_METRICS (16u << 20) /* a bigger /metrics text is a 500 */

/*
 * Readiness callback, run on each /readyz: returns 1 when ready, or 0 after writing a
 * short reason ("redis unreachable: ...") into why (whylen bytes, NUL-terminated).
 */
typedef int (*fr_admin_ready_fn)(void *arg, char *why, size_t whylen);

/*
 * Starts serving on addr ("host:port", ":port" for every IPv4 interface, "[::1]:port",
 * port 0 for any free port) on base, which must outlive the server. ready may be NULL
 * (always ready); arg is borrowed and passed to it.
 * Returns a new server (fr_admin_free), or NULL:
 *   - addr "off": admin disabled, err untouched;
 *   - addr cannot be parsed: err set (FR_ERR_USAGE), a configuration error;
 *   - the address cannot be listened on (port taken, no such interface): a warning
 *     naming addr is logged, err untouched; the daemon goes on without admin HTTP.
 */
struct fr_admin *fr_admin_start(struct event_base *base, const char *addr, fr_admin_ready_fn ready,
                                void *arg, struct fr_error *err);

/* The port actually bound (the chosen one when addr asked for port 0). */
int fr_admin_port(const struct fr_admin *a);

/* Changes the per-connection idle timeout (default FR_ADMIN_TIMEOUT_MS); for tests. */
void fr_admin_set_timeout_ms(struct fr_admin *a, int ms);

/* Closes the listener and every open connection. NULL is a no-op. Do not call it from
 * the ready callback or a scrape hook. */
void fr_admin_free(struct fr_admin *a);

#endif
