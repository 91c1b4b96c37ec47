/*
 * control.h - the /_test/ endpoints tests use to read and steer the fake:
 *
 *   /_test/stats[?prompts=1]   counters as JSON (prompts=1 adds the per-prompt map)
 *   /_test/reset[?limits=1]    zeroes the counters (limits=1 also empties the rate windows)
 *   /_test/faults?NAME=VALUE&  sets fault shares, delays, a storm, rpm and tpm
 *   /_test/outage[?mode=off|503|close[&ms=N]]   switches the outage (ms: for that long)
 *
 * They take GET or POST, need no key, are answered at once, never faulted,
 * delayed or limited, and are not counted.
 */
#ifndef FL_CONTROL_H
#define FL_CONTROL_H

#include "server.h"

/* Whether path is under /_test/. */
int fl_control_path(const char *path);

/* Answers a control request at once. */
void fl_control_handle(struct fl_server *srv, struct evhttp_request *req, const char *path);

#endif
