/*
 * sha256 — SHA-256 (FIPS 180-4), for keys that money depends on: the LLM analysis caches
 * an answer under the hash of everything it was asked (model, prompt, schema, inputs),
 * and a 64-bit hash would let two inputs share one paid answer once catalogs grow.
 * Streaming: init, update any number of times, then final.
 */
#ifndef FR_SHA256_H
#define FR_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct fr_sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed so far */
    unsigned char block[64];
    size_t used; /* bytes in block */
};

void fr_sha256_init(struct fr_sha256 *s);
void fr_sha256_update(struct fr_sha256 *s, const void *data, size_t n);
/* Writes the digest as 64 lower-case hex digits and a NUL into hex[65]. */
void fr_sha256_final_hex(struct fr_sha256 *s, char hex[65]);

#endif
