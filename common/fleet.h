/*
 * fleet — what a daemon serving several sources (FRESHET_SOURCE=a,b) shares between
 * them: one event loop, one admin server whose /readyz covers every source, and the
 * rule that the loop ends only when every source is finished (--once done, or drained
 * after SIGTERM), so one source's end never cuts another's work short.
 *
 * Each program keeps its own per-source state struct; it registers the parts of it this
 * module reads (borrowed: they must outlive the fleet) with fr_fleet_add().
 */
#ifndef FR_FLEET_H
#define FR_FLEET_H

#include <stddef.h>

#include "common/sourcelist.h"

struct event_base;
struct fr_admin;
struct fr_db;
struct fr_redis;
struct fr_upstream;

struct fr_fleet_member {
    const struct fr_upstream *up; /* NULL: the source calls no upstream (refresher) */
    struct fr_redis *redis;
    struct fr_db *db;
    int done;
};

struct fr_fleet {
    struct event_base *base; /* owned: fr_fleet_init makes it, fr_fleet_release frees it */
    struct fr_admin *admin;  /* owned; NULL when off */
    size_t n;
    struct fr_fleet_member m[FR_SOURCES_MAX];
};

/* Makes the shared event loop. */
void fr_fleet_init(struct fr_fleet *f);
/* Registers one source; returns its slot for fr_fleet_finished(). Parts are borrowed. */
size_t fr_fleet_add(struct fr_fleet *f, const struct fr_upstream *up, struct fr_redis *redis,
                    struct fr_db *db);
/* Starts the admin server (fr_app_admin) with a /readyz over every source. */
void fr_fleet_admin(struct fr_fleet *f, const char *addr);
/* Slot i is finished; ends the loop when every slot is. Idempotent. */
void fr_fleet_finished(struct fr_fleet *f, size_t i);
/* Readiness (fr_admin's callback, arg the fleet): 0 naming the first source paused for
 * its credentials or stopped, or the first unreachable server; else 1. */
int fr_fleet_ready(void *arg, char *why, size_t n);
/* Frees the admin server and the loop (after the sources let go of their events). */
void fr_fleet_release(struct fr_fleet *f);

#endif
