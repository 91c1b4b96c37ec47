/*
 * url — see url.h. Hand-written parsers: the formats are small and their error
 * messages must say exactly what is wrong with which part.
 */
#include "common/url.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/mem.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decodes [s, s+n) into out; returns -1 on a bad escape or overflow. */
static int pct_decode(const char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (o + 1 >= outlen)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

static int parse_port(const char *s, size_t n, int *port)
{
    long v = 0;

    if (n == 0 || n > 5)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

static int parse_userinfo(const char *s, size_t n, struct fr_redis_url *u, struct fr_error *err)
{
    const char *colon = memchr(s, ':', n);
    size_t ulen = colon ? (size_t)(colon - s) : n;

    if (pct_decode(s, ulen, u->user, sizeof(u->user)) != 0)
        return fr_error_set(err, FR_ERR_USAGE, "bad user name in redis url");
    if (colon && pct_decode(colon + 1, n - ulen - 1, u->password, sizeof(u->password)) != 0)
        return fr_error_set(err, FR_ERR_USAGE, "bad password in redis url");
    if (!colon) { /* redis://password@host is a common shorthand */
        memcpy(u->password, u->user, sizeof(u->password) < sizeof(u->user)
                                          ? sizeof(u->password) : sizeof(u->user));
        u->user[0] = '\0';
    }
    return 0;
}

static int parse_hostport(const char *s, size_t n, struct fr_redis_url *u, struct fr_error *err)
{
    const char *colon = NULL;
    size_t hlen;

    if (n > 0 && s[0] == '[') { /* [::1]:6379 */
        const char *end = memchr(s, ']', n);
        if (end == NULL)
            return fr_error_set(err, FR_ERR_USAGE, "unterminated '[' in redis url host");
        hlen = (size_t)(end - s - 1);
        if (hlen == 0 || hlen >= sizeof(u->host))
            return fr_error_set(err, FR_ERR_USAGE, "bad host in redis url");
        memcpy(u->host, s + 1, hlen);
        u->host[hlen] = '\0';
        if (end + 1 < s + n && end[1] != ':')
            return fr_error_set(err, FR_ERR_USAGE, "only ':port' may follow ']' in redis url");
        colon = end + 1 < s + n ? end + 1 : NULL;
    } else {
        colon = memchr(s, ':', n);
        hlen = colon ? (size_t)(colon - s) : n;
        if (hlen == 0 || hlen >= sizeof(u->host))
            return fr_error_set(err, FR_ERR_USAGE, "missing or too long host in redis url");
        memcpy(u->host, s, hlen);
        u->host[hlen] = '\0';
    }
    if (colon && parse_port(colon + 1, (size_t)(s + n - colon - 1), &u->port) != 0)
        return fr_error_set(err, FR_ERR_USAGE, "port must be a number from 1 to 65535");
    return 0;
}

int fr_parse_redis_url(const char *s, struct fr_redis_url *u, struct fr_error *err)
{
    const char *p, *end, *at, *slash;

    memset(u, 0, sizeof(*u));
    u->port = 6379;
    if (strncmp(s, "redis://", 8) != 0) {
        if (strncmp(s, "rediss://", 9) == 0)
            return fr_error_set(err, FR_ERR_USAGE, "TLS (rediss://) is not supported");
        return fr_error_set(err, FR_ERR_USAGE, "must start with redis://");
    }
    p = s + 8;
    end = p + strcspn(p, "?#");
    slash = memchr(p, '/', (size_t)(end - p));
    if (slash == NULL)
        slash = end;
    at = NULL;
    for (const char *q = p; q < slash; q++) {
        if (*q == '@')
            at = q; /* the last @ ends the userinfo: passwords may hold '@' unescaped */
    }
    if (at && parse_userinfo(p, (size_t)(at - p), u, err) != 0)
        return err ? err->code : FR_ERR_USAGE;
    if (parse_hostport(at ? at + 1 : p, (size_t)(slash - (at ? at + 1 : p)), u, err) != 0)
        return err ? err->code : FR_ERR_USAGE;
    if (slash < end && slash + 1 < end) {
        char *e;
        long db = strtol(slash + 1, &e, 10);
        if (e != end || db < 0 || db > 15 || !isdigit((unsigned char)slash[1]))
            return fr_error_set(err, FR_ERR_USAGE, "database index must be a number from 0 to 15");
        u->db = (int)db;
    }
    return 0;
}

int fr_parse_addr(const char *s, char *host, size_t hostlen, int *port, struct fr_error *err)
{
    const char *colon = strrchr(s, ':');
    size_t hlen;

    if (colon == NULL)
        return fr_error_set(err, FR_ERR_USAGE, "must be host:port, :port or off");
    hlen = (size_t)(colon - s);
    if (hlen >= 2 && s[0] == '[' && s[hlen - 1] == ']') {
        s++;
        hlen -= 2;
    }
    if (hlen >= hostlen)
        return fr_error_set(err, FR_ERR_USAGE, "host is too long");
    if (parse_port(colon + 1, strlen(colon + 1), port) != 0 && strcmp(colon + 1, "0") != 0)
        return fr_error_set(err, FR_ERR_USAGE, "port must be a number from 0 to 65535");
    if (strcmp(colon + 1, "0") == 0)
        *port = 0;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    return 0;
}

int fr_parse_http_url(const char *s, struct fr_error *err)
{
    const char *p;

    if (strncmp(s, "http://", 7) == 0)
        p = s + 7;
    else if (strncmp(s, "https://", 8) == 0)
        p = s + 8;
    else
        return fr_error_set(err, FR_ERR_USAGE, "must start with http:// or https://");
    if (*p == '\0' || *p == '/' || *p == ':')
        return fr_error_set(err, FR_ERR_USAGE, "missing host");
    return 0;
}

static void redact_kv(const char *url, char *out, size_t n)
{
    const char *pw = strstr(url, "password=");
    size_t pre;

    if (pw == NULL) {
        fr_strlcpy(out, url, n);
        return;
    }
    pre = (size_t)(pw - url) + 9;
    snprintf(out, n, "%.*s***%s", (int)pre, url, pw + 9 + strcspn(pw + 9, " &"));
}

/* A libpq connection string (URI or key=value) with a password: rebuilt from libpq's own
 * reading of it, so whatever libpq takes for the password is what gets hidden (quotes,
 * '#' in a URI, spaces around '=', a repeated keyword). 1 when it wrote out. */
static int redact_libpq(const char *url, char *out, size_t n)
{
    PQconninfoOption *o;
    int has_password = 0;
    size_t len = 0;

    if (strncmp(url, "postgres", 8) != 0 && strchr(url, '=') == NULL)
        return 0;
    if ((o = PQconninfoParse(url, NULL)) == NULL)
        return 0;
    for (PQconninfoOption *p = o; p->keyword; p++)
        has_password |= strcmp(p->keyword, "password") == 0 && p->val != NULL;
    if (has_password) {
        out[0] = '\0';
        for (PQconninfoOption *p = o; p->keyword && len + 1 < n; p++) {
            int is_pw = strcmp(p->keyword, "password") == 0;
            if (p->val == NULL)
                continue;
            len += (size_t)snprintf(out + len, n - len, "%s%s=%s", len ? " " : "", p->keyword,
                                    is_pw ? "***" : p->val);
        }
    }
    PQconninfoFree(o);
    return has_password;
}

void fr_url_redact(const char *url, char *out, size_t n)
{
    const char *scheme = strstr(url, "://"), *start, *at, *colon, *stop;

    if (redact_libpq(url, out, n))
        return;
    if (scheme == NULL) {
        redact_kv(url, out, n);
        return;
    }
    start = scheme + 3;
    stop = start + strcspn(start, "/?#");
    at = NULL;
    for (const char *q = start; q < stop; q++) {
        if (*q == '@')
            at = q;
    }
    colon = at ? memchr(start, ':', (size_t)(at - start)) : NULL;
    if (at == NULL || (colon == NULL && strncmp(url, "redis", 5) != 0)) {
        redact_kv(url, out, n);
        return;
    }
    if (colon == NULL) /* redis://password@host */
        colon = start - 1;
    {
        char tmp[2048];
        snprintf(tmp, sizeof(tmp), "%.*s:***%s", (int)(colon - url), url, at);
        if (colon == start - 1)
            snprintf(tmp, sizeof(tmp), "%.*s***%s", (int)(start - url), url, at);
        redact_kv(tmp, out, n);
    }
}

void fr_url_encode(struct fr_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            fr_buf_putc(b, (char)*p);
        } else {
            fr_buf_putc(b, '%');
            fr_buf_putc(b, hex[*p >> 4]);
            fr_buf_putc(b, hex[*p & 15]);
        }
    }
}
