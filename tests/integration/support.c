/*
 * support — see support.h.
 */
#include "tests/integration/support.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *need(const char *var)
{
    const char *v = getenv(var);

    if (v == NULL || *v == '\0')
        cr_skip_test("%s not set: run under tests/harness/with-services.sh", var);
    return v;
}

const char *itest_redis_url(void)
{
    return need("FRESHET_TEST_REDIS_URL");
}

const char *itest_database_url(void)
{
    return need("FRESHET_TEST_DATABASE_URL");
}

char *itest_new_database(const char *prefix)
{
    static int seq;
    const char *base = itest_database_url();
    char name[64], sql[128], *url;
    PGconn *c = PQconnectdb(base);
    PGresult *r;
    const char *slash;

    cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
    snprintf(name, sizeof(name), "%s_%ld_%d", prefix, (long)getpid(), ++seq);
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    slash = strrchr(base, '/');
    url = malloc(strlen(base) + strlen(name) + 2);
    snprintf(url, strlen(base) + strlen(name) + 2, "%.*s/%s", (int)(slash - base), base, name);
    return url;
}

int itest_services(const char *verb)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd), "bash '%s' %s '%s' >/dev/null 2>&1",
             need("FRESHET_TEST_SERVICES"), verb, need("FRESHET_TEST_DIR"));
    return system(cmd);
}

const char *itest_prefix(void)
{
    static char p[64];

    if (!p[0])
        snprintf(p, sizeof(p), "itest:%ld:", (long)getpid());
    return p;
}
