/*
 * jsonschema — validation of records against the JSON schemas shipped in schemas/
 * (compiled into the library by deploy/embed-json.sh).
 * (Being written: the validator API is added next to the embedded table.)
 */
#ifndef FR_JSONSCHEMA_H
#define FR_JSONSCHEMA_H

struct fr_embedded_schema {
    const char *name; /* file name without .schema.json; NULL ends the table */
    const char *text;
};

extern const struct fr_embedded_schema fr_schemas[];

#endif
