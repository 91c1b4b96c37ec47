/*
 * api.c - faults, authentication, admission and dispatch, see api.h.
 */
#include "api.h"

#include "clock.h"
#include "detail.h"
#include "listing.h"
#include "reply.h"

#include <string.h>
#include <strings.h>

/* Returns 1 if c carries "Authorization: Bearer <token>" with the accepted token. */
static int authorized(const struct rp_call *c)
{
    const char *token = c->srv->token;
    const char *h = evhttp_find_header(evhttp_request_get_input_headers(c->req), "Authorization");

    if (token[0] == '\0')
        return 1;
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return 0;
    h += 7;
    while (*h == ' ')
        h++;
    return strcmp(h, token) == 0;
}

/* Answers the faults that replace the whole answer; returns 1 if c was answered. */
static int answer_fault(struct rp_call *c)
{
    struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);

    switch (c->fault) {
    case RP_FAULT_5XX:
        rp_reply_message(c, 500, "Server Error (injected)");
        return 1;
    case RP_FAULT_503:
        rp_retry_after(&c->srv->limit, rp_clock_elapsed(), 1, out);
        rp_reply_message(c, 503, "Service Unavailable (injected)");
        return 1;
    case RP_FAULT_GARBAGE:
        rp_reply_garbage(c);
        return 1;
    default:
        return 0;
    }
}

/* Refuses c unless its credentials are good and the window has room; returns 1 if refused. */
static int refuse(struct rp_call *c)
{
    struct rp_server *srv = c->srv;
    struct evkeyvalq *out = evhttp_request_get_output_headers(c->req);
    int64_t now = rp_clock_elapsed();

    if (!authorized(c)) {
        evhttp_add_header(out, "WWW-Authenticate", "Bearer realm=\"" RP_PROGRAM "\"");
        rp_reply_message(c, 401, "Bad credentials");
        return 1;
    }
    if (srv->forbidden) {
        rp_reply_message(c, 403, "Forbidden: this token's account is suspended");
        return 1;
    }
    if (rp_limit_admit(&srv->limit, now) < 0) {
        rp_limit_retry_after(&srv->limit, now, out);
        rp_reply_message(c, 429, "API rate limit exceeded");
        return 1;
    }
    return 0;
}

void rp_api_handle(struct rp_call *c)
{
    if (answer_fault(c) || refuse(c))
        return;
    switch (c->ep) {
    case RP_EP_PAGE:
        rp_list_page(c);
        break;
    case RP_EP_OFFSET:
        rp_list_offset(c);
        break;
    case RP_EP_CURSOR:
        rp_list_cursor(c);
        break;
    case RP_EP_LINK:
        rp_list_link(c);
        break;
    case RP_EP_BATCH:
        rp_detail_batch(c);
        break;
    case RP_EP_SINGLE:
        rp_detail_single(c);
        break;
    default:
        rp_reply_message(c, 404, "Not Found");
        break;
    }
}
