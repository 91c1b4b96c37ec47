/*
 * listing.h - the discovery listings, one per pagination style, each with
 * its own record location so every record path form gets exercised:
 *
 *   GET /v1/repos?page=N&per_page=K           page, from 1             records: $.items
 *       {"total_count":T,"incomplete_results":false,"items":[...]}
 *   GET /v1/repos/offset?offset=N&limit=K     offset, from 0           records: $.data.repos
 *       {"data":{"repos":[...]},"paging":{"offset":N,"limit":K,"total":T}}
 *   GET /v1/repos/cursor?cursor=X&limit=K     cursor, none at first    records: $.entries[*].repo
 *       {"entries":[{"kind":"repo","repo":{...}}],"next_cursor":"..."}
 *   GET /v1/repositories?since=ID&per_page=K  Link header, rel="next"  records: $[*]
 *       [...], a bare array
 *
 * All list the repositories that are not deleted, by id, as summaries
 * (rp_repo_json RP_VIEW_SUMMARY). Page and offset listings end with an
 * empty page; the cursor listing's last page has no next cursor (null,
 * missing or "" by --cursor-end) and the Link listing's no rel="next".
 * K is 1..100 (default 30); anything malformed is a 400.
 */
#ifndef RP_LISTING_H
#define RP_LISTING_H

#include "server.h"

void rp_list_page(struct rp_call *c);
void rp_list_offset(struct rp_call *c);
void rp_list_cursor(struct rp_call *c);
void rp_list_link(struct rp_call *c);

#endif
