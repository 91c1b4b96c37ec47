/*
 * keepa_fields — which names a Keepa product payload holds, read from the schema the
 * processor validates it with (schemas/keepa_product.schema.json, embedded), so the
 * answer cannot drift from what is stored. Used to check `{{...}}` placeholders of the
 * analysis prompt in keepa.yaml.
 */
#ifndef FR_KEEPA_FIELDS_H
#define FR_KEEPA_FIELDS_H

/* 1 when the dotted name is a payload field: a top-level property ("title"), or a path
 * into an object property that the schema lists ("analysis.avg90") or leaves open
 * ("seller.name": seller's members are not listed). Else 0. */
int fr_keepa_payload_has_field(const char *dotted);

#endif
