/*
 * text.h - a product's descriptive attributes: title, brand, categories, images.
 *
 * Pure functions of (seed, product index), like everything in the catalog.
 * Titles deliberately include SQL metacharacters, quotes, backslashes, control
 * characters, emoji and other non-ASCII UTF-8, and about one in 500 is ~2000
 * characters long, because those are what break real ingestion pipelines.
 */
#ifndef FK_TEXT_H
#define FK_TEXT_H

#include "buf.h"

#include <stdint.h>

struct fk_root_category {
    int64_t id;
    const char *name;
};

/* Appends product idx's title (raw UTF-8, never NUL) to out. */
void fk_text_title(uint64_t seed, uint32_t idx, struct fk_buf *out);

/* Returns product idx's brand (a static string). */
const char *fk_text_brand(uint64_t seed, uint32_t idx);

/* Appends product idx's manufacturer to out. */
void fk_text_manufacturer(uint64_t seed, uint32_t idx, struct fk_buf *out);

/* Returns product idx's root category (static). */
const struct fk_root_category *fk_text_root(uint64_t seed, uint32_t idx);

/* Returns how many leaf categories product idx has (1..3) and writes them to out. */
int fk_text_categories(uint64_t seed, uint32_t idx, int64_t out[3]);

/* Returns how many images product idx has (1..4). */
int fk_text_image_count(uint64_t seed, uint32_t idx);

/* Writes image k of product idx, e.g. "61k3Lay7JUL.jpg", and a NUL into out. */
void fk_text_image(uint64_t seed, uint32_t idx, int k, char out[16]);

/* Appends the display name of pool seller j to out. */
void fk_text_seller_name(uint64_t seed, uint32_t j, struct fk_buf *out);

#endif
