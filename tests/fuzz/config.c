/*
 * Fuzz target config: one configuration value (the input up to its first NUL) through
 * the parsers that read operator text: fr_parse_redis_url, fr_parse_addr,
 * fr_parse_http_url, fr_url_redact and fr_parse_duration. Checked promises: a parsed
 * Redis URL has a host, a port in 1..65535 and a database in 0..15, and its redaction
 * is the URL with the password text replaced by "***"; the redaction of a PostgreSQL
 * connection string (as libpq's PQconninfoParse reads it) does not show its password;
 * a parsed duration is not negative and reads back unchanged from fr_format_duration's
 * text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "common/config.h"
#include "common/err.h"
#include "common/mem.h"
#include "common/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void broken(const char *value, const char *what)
{
    fprintf(stderr, "config: value '%s': %s\n", value, what);
    abort();
}

/* What fr_url_redact must make of a URL fr_parse_redis_url accepted: the raw password
 * text (after the first ':' of the userinfo, or all of it in redis://password@host)
 * replaced by "***". NULL when there is no userinfo. New string. */
static char *expected_redaction(const char *s)
{
    const char *p = s + strlen("redis://"), *at = NULL, *colon, *pw;
    size_t stop = strcspn(p, "/?#");

    for (size_t i = 0; i < stop; i++)
        if (p[i] == '@')
            at = p + i;
    if (at == NULL)
        return NULL;
    colon = memchr(p, ':', (size_t)(at - p));
    pw = colon ? colon + 1 : p;
    return fr_xasprintf("%.*s***%s", (int)(pw - s), s, at);
}

static void redis_url(const char *s)
{
    struct fr_redis_url u;
    struct fr_error err = {0};
    char red[1024], *want;

    if (fr_parse_redis_url(s, &u, &err) != 0)
        return;
    if (u.host[0] == '\0' || u.port < 1 || u.port > 65535 || u.db < 0 || u.db > 15)
        broken(s, "parsed redis url has no host or a port or db out of range");
    fr_url_redact(s, red, sizeof(red));
    want = expected_redaction(s);
    /* any "password=" is redacted as well, on purpose: such URLs are not compared */
    if (want != NULL && strstr(s, "password=") == NULL && strlen(want) < sizeof(red) &&
        strcmp(red, want) != 0)
        broken(s, "redacted url is not the url with its password replaced by ***");
    if (want == NULL && strstr(s, "password=") == NULL && strcmp(red, s) != 0 &&
        strlen(s) < sizeof(red))
        broken(s, "url without a password changed by redaction");
    free(want);
}

static size_t occurrences(const char *s, const char *needle)
{
    size_t n = 0;

    for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/* 1 when text could show up in a rebuilt "keyword=value ..." string by itself: inside a
 * keyword name, or made of the separators redaction writes. */
static int collides_with_syntax(const PQconninfoOption *opts, const char *text)
{
    if (strpbrk(text, " =") != NULL)
        return 1;
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strstr(o->keyword, text) != NULL)
            return 1;
    return 0;
}

/* DATABASE_URL is logged through fr_url_redact: whatever password libpq would read from
 * the string must be gone. Judged only when the password occurs once in the string (so
 * it cannot show by chance elsewhere), holds no '*' (which redaction inserts) and cannot
 * appear inside the keyword names of a rebuilt connection string ("ser" in "user="), and
 * when the string has no percent-escape: libpq decodes "%ca" in a URI, so the password it
 * reads is not the text written there, and the one occurrence found may be in the user
 * name instead (a fuzzer-found input: user "\xca\xff...?ss", password "%ca\xff...?ss"). */
static void pg_conninfo(const char *s)
{
    PQconninfoOption *opts = PQconninfoParse(s, NULL);
    const char *pw = NULL;
    char red[2048];

    if (opts == NULL)
        return;
    for (const PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0')
            pw = o->val;
    if (pw != NULL && strchr(pw, '*') == NULL && strchr(s, '%') == NULL && strlen(s) < 1024 &&
        occurrences(s, pw) == 1 && !collides_with_syntax(opts, pw)) {
        fr_url_redact(s, red, sizeof(red));
        if (strstr(red, pw) != NULL)
            broken(s, "redacted connection string shows the password libpq reads");
    }
    PQconninfoFree(opts);
}

static void duration(const char *s)
{
    struct fr_error err = {0};
    int64_t ms, again;
    char text[64];

    if (fr_parse_duration(s, &ms, &err) != 0)
        return;
    if (ms < 0)
        broken(s, "negative duration");
    fr_format_duration(ms, text, sizeof(text));
    if (fr_parse_duration(text, &again, &err) != 0 || again != ms)
        broken(s, "formatted duration does not read back");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fr_xstrndup((const char *)data, size);
    char host[256], red[128];
    int port;

    redis_url(s);
    pg_conninfo(s);
    fr_parse_addr(s, host, sizeof(host), &port, NULL);
    fr_parse_http_url(s, NULL);
    fr_url_redact(s, red, sizeof(red)); /* short on purpose: truncation paths */
    duration(s);
    free(s);
    return 0;
}
