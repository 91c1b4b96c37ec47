/*
 * fleet — the event loop, admin server and end-of-run rule that the sources of one
 * daemon share (see fleet.h).
 */
#include "common/fleet.h"

#include <assert.h>
#include <event2/event.h>

#include "common/admin.h"
#include "common/app.h"
#include "common/upstream.h"

void fr_fleet_init(struct fr_fleet *f)
{
    f->base = event_base_new();
    f->admin = NULL;
    f->n = 0;
}

size_t fr_fleet_add(struct fr_fleet *f, const struct fr_upstream *up, struct fr_redis *redis,
                    struct fr_db *db)
{
    assert(f->n < FR_SOURCES_MAX);
    f->m[f->n] = (struct fr_fleet_member){up, redis, db, 0};
    return f->n++;
}

void fr_fleet_admin(struct fr_fleet *f, const char *addr)
{
    f->admin = fr_app_admin(f->base, addr, fr_fleet_ready, f);
}

void fr_fleet_finished(struct fr_fleet *f, size_t i)
{
    f->m[i].done = 1;
    for (size_t k = 0; k < f->n; k++) {
        if (!f->m[k].done)
            return;
    }
    event_base_loopexit(f->base, NULL);
}

int fr_fleet_ready(void *arg, char *why, size_t n)
{
    const struct fr_fleet *f = arg;

    /* Credentials first: a paused source is what an operator must act on. */
    for (size_t i = 0; i < f->n; i++) {
        if (f->m[i].up != NULL && fr_upstream_stopped(f->m[i].up, why, n))
            return 0;
    }
    for (size_t i = 0; i < f->n; i++) {
        if (!fr_app_ready(f->m[i].redis, f->m[i].db, why, n))
            return 0;
    }
    return 1;
}

void fr_fleet_release(struct fr_fleet *f)
{
    fr_admin_free(f->admin);
    f->admin = NULL;
    event_base_free(f->base);
    f->base = NULL;
}
