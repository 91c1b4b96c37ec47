/*
 * support — what integration tests share: the URLs of the private servers the harness
 * (tests/harness/with-services.sh) started, a fresh database per test, and restarting
 * a server mid-test through the harness.
 */
#ifndef ITEST_SUPPORT_H
#define ITEST_SUPPORT_H

/* Aborts the test (cr_skip) when not run under the harness. Borrowed strings. */
const char *itest_redis_url(void);
const char *itest_database_url(void);
/* Creates an empty database and returns its URL (new string, caller frees). */
char *itest_new_database(const char *prefix);
/* Runs "services.sh VERB DIR" (restart-redis, restart-pg, flush-redis...); 0 on success. */
int itest_services(const char *verb);
/* A Redis key prefix unique to this process, for tests that share the server. */
const char *itest_prefix(void);

#endif
