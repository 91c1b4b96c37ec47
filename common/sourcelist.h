/*
 * sourcelist — FRESHET_SOURCE as a list: one name or a comma list ("keepa,repos"), each
 * a source name ([a-z0-9_-], 1..32 characters), no name twice. The daemons serve every
 * listed source in one event loop; freshetctl's one-source commands take exactly one.
 */
#ifndef FR_SOURCELIST_H
#define FR_SOURCELIST_H

#include <stddef.h>

#include "common/err.h"

/* Most sources one process serves (each holds its own connections and requests). */
#define FR_SOURCES_MAX 8

struct fr_source_list {
    size_t n;
    char names[FR_SOURCES_MAX][33];
};

/* Splits s into l. Returns 0, or FR_ERR_USAGE naming the bad element (empty, too long,
 * a character outside [a-z0-9_-], a repeat, more than FR_SOURCES_MAX). */
int fr_source_list_parse(const char *s, struct fr_source_list *l, struct fr_error *err);

/* 1 when s names a single source (no comma). */
int fr_source_list_is_one(const char *s);

#endif
