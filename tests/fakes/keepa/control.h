/*
 * control.h - the endpoints tests use to observe and steer the fake:
 * GET /stats, /_fake/bump, /_fake/config and /_fake/reset-stats, and those of
 * world.h (/_fake/truth, /_fake/drift, /_fake/grow).
 *
 * They need no key, cost nothing, are never faulted or delayed, and are not
 * counted in /stats.
 */
#ifndef FK_CONTROL_H
#define FK_CONTROL_H

#include "server.h"

enum fk_control {
    FK_CTL_NONE,
    FK_CTL_STATS,
    FK_CTL_BUMP,
    FK_CTL_CONFIG,
    FK_CTL_RESET_STATS,
    FK_CTL_TRUTH,
    FK_CTL_DRIFT,
    FK_CTL_GROW,
};

/* Returns the control endpoint at path (trailing slash ignored), FK_CTL_NONE if none. */
enum fk_control fk_control_route(const char *path);

/* Answers a control request (query parsed). */
void fk_control_handle(struct fk_call *c, enum fk_control which);

/* Answers 400 with {"error":{"type":"invalidParameter","message":message}}. */
void fk_control_error(struct fk_call *c, const char *message);

#endif
