/*
 * builtin — the sources whose fetching and payload are written in C (keepa), as opposed
 * to declared ones: one row each, with the implementation of common/source.h it is. A
 * built-in source may still have a source file, holding only what is not built in (its
 * `analysis` section); since no `fields` section says what its payload holds, each
 * built-in source names its payload fields through a hook, so a prompt placeholder can
 * be checked when the file is loaded.
 */
#ifndef FR_SOURCES_BUILTIN_H
#define FR_SOURCES_BUILTIN_H

struct fr_source_ops;

struct fr_source_builtin {
    const char *name; /* "keepa" */
    /* 1 when the dotted name ("title", "analysis.avg90") is a field of the source's
     * payload, else 0. */
    int (*has_field)(const char *dotted);
    const struct fr_source_ops *ops; /* its implementation */
};

/* The built-in source called name, or NULL. Static storage. */
const struct fr_source_builtin *fr_source_builtin_find(const char *name);

/* The built-in source that serves a name no source file declares (the first row). */
const struct fr_source_builtin *fr_source_builtin_default(void);

#endif
