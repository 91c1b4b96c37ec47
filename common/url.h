/*
 * url — parsing of the addresses freshet is configured with, and their redaction.
 *
 * REDIS_URL is redis://[[user]:password@]host[:port][/db] (password percent-decoded);
 * admin/listen addresses are host:port, :port (all interfaces) or "off".
 * fr_url_redact() hides the password of any scheme://user:pass@host URL or libpq
 * "password=..." string so configuration can be logged.
 */
#ifndef FR_URL_H
#define FR_URL_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct fr_redis_url {
    char host[256];
    int port;
    char user[128];
    char password[256];
    int db;
};

int fr_parse_redis_url(const char *s, struct fr_redis_url *out, struct fr_error *err);

/* host receives "" for ":port" (any interface). */
int fr_parse_addr(const char *s, char *host, size_t hostlen, int *port, struct fr_error *err);

/* http:// or https:// with a host; no other check. */
int fr_parse_http_url(const char *s, struct fr_error *err);

struct fr_buf;
/* Appends s to b percent-encoded: everything but RFC 3986's unreserved characters
 * (A-Z a-z 0-9 - . _ ~), for a query value or a path segment. */
void fr_url_encode(struct fr_buf *b, const char *s);

/* Writes a copy of url with any password replaced by "***" into out (always terminated). */
void fr_url_redact(const char *url, char *out, size_t n);

#endif
