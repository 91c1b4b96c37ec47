/*
 * sellers.c - seller ids, lookup and the /seller Seller object, see sellers.h.
 */
#include "sellers.h"

#include "clock.h"
#include "hash.h"
#include "prices.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

struct fk_sellers {
    uint64_t seed;
    char ids[FK_SELLER_POOL][FK_SELLER_ID_LEN + 1];
    uint32_t sorted[FK_SELLER_POOL]; /* pool positions ordered by id */
};

/* qsort has no context argument; the pool being sorted is parked here. */
static const struct fk_sellers *sort_pool;

static int cmp_by_id(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return strcmp(sort_pool->ids[x], sort_pool->ids[y]);
}

struct fk_sellers *fk_sellers_new(uint64_t seed)
{
    static const char chars[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    struct fk_sellers *sp = calloc(1, sizeof(*sp));

    if (sp == NULL)
        abort();
    sp->seed = seed;
    for (uint32_t j = 0; j < FK_SELLER_POOL; j++) {
        uint64_t h = fk_hashv(seed, j, FK_SALT_SELLER_ID, 0);
        sp->ids[j][0] = 'A';
        for (int k = 1; k < FK_SELLER_ID_LEN; k++) {
            if (k == 8)
                h = fk_hashv(seed, j, FK_SALT_SELLER_ID, 1);
            sp->ids[j][k] = chars[h % 36];
            h /= 36;
        }
        sp->sorted[j] = j;
    }
    sort_pool = sp;
    qsort(sp->sorted, FK_SELLER_POOL, sizeof(sp->sorted[0]), cmp_by_id);
    sort_pool = NULL;
    return sp;
}

void fk_sellers_free(struct fk_sellers *sp)
{
    free(sp);
}

const char *fk_sellers_id(const struct fk_sellers *sp, uint32_t j)
{
    return sp->ids[j];
}

int fk_sellers_find(const struct fk_sellers *sp, const char *id, size_t len, uint32_t *j)
{
    size_t lo = 0, hi = FK_SELLER_POOL;

    if (len != FK_SELLER_ID_LEN)
        return -1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(sp->ids[sp->sorted[mid]], id, FK_SELLER_ID_LEN);
        if (c == 0) {
            *j = sp->sorted[mid];
            return 0;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* csv[0] rating percentage and csv[1] rating count: one point a month. */
static void render_csv(uint64_t h, int64_t now_km, int32_t rating, int32_t count,
                       struct fk_buf *out)
{
    fk_jw_key(out, "csv");
    fk_jw_open(out, '[');
    for (int series = 0; series < 2; series++) {
        fk_jw_open(out, '[');
        for (int m = 5; m >= 0; m--) {
            int32_t drift = (int32_t)((h >> (m * 4)) % 5);
            fk_jw_int(out, now_km - (int64_t)m * 43200);
            fk_jw_int(out, series == 0 ? (rating > drift ? rating - drift : rating)
                                       : count - m * (count / 12));
        }
        fk_jw_close(out, ']');
    }
    fk_jw_close(out, ']');
}

void fk_sellers_render(const struct fk_sellers *sp, uint32_t j, int domain, int64_t now,
                       struct fk_buf *out)
{
    uint64_t h = fk_hashv(sp->seed, j, FK_SALT_SELLER_INFO, 1);
    int64_t now_km = fk_clock_keepa_minute(now);
    int32_t rating = 80 + (int32_t)(h % 21);
    int32_t count = (int32_t)((h >> 8) % 50000);
    struct fk_buf name;

    fk_buf_init(&name, 64);
    fk_text_seller_name(sp->seed, j, &name);
    fk_jw_open(out, '{');
    fk_jw_kstr(out, "sellerId", sp->ids[j]);
    fk_jw_key(out, "sellerName");
    fk_jw_str(out, name.data, name.len);
    fk_jw_kint(out, "domainId", domain);
    fk_jw_kint(out, "trackedSince", now_km - 525600 - (int64_t)((h >> 24) % 2000000));
    fk_jw_kint(out, "lastUpdate", now_km);
    render_csv(h, now_km, rating, count, out);
    fk_jw_kint(out, "currentRating", rating);
    fk_jw_kint(out, "currentRatingCount", count);
    fk_jw_kint(out, "ratingsLast30Days", count / 40);
    fk_jw_kbool(out, "hasFBA", (int)(h >> 40 & 1));
    fk_jw_kbool(out, "shipsFromChina", (h >> 41 & 7) == 0);
    fk_jw_close(out, '}');
    fk_buf_release(&name);
}
