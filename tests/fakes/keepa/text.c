/*
 * text.c - word tables and the generators of titles, brands and images.
 *
 * The tables are small on purpose: a large catalog repeats words, which keeps
 * gzip ratios close to what real Keepa responses get.
 */
#include "text.h"

#include "hash.h"

#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const brands[] = {
    "Acme", "Anker", "Bosch", "Brita", "Casio", "Dremel", "Emsa", "Fiskars", "Garmin",
    "Hama", "Ikea", "JBL", "Kärcher", "Lego", "Logitech", "Makita", "Melitta", "Nivea",
    "O'Neill", "Oral-B", "Philips", "Quechua", "Rowenta", "Sony", "Tefal", "Ubiquiti",
    "Varta", "WMF", "Xiaomi", "Zwilling", "Müller & Söhne", "Señor Café", "L'Atelier",
    "\"Best\" Choice", "Back\\Slash Co", "3M", "Crème de la Crème", "Nordström",
    "Ōkami Tools", "Hårt Plåt", "Generic", "AmazonBasics", "Bed & Bath", "Smith's",
    "Brand <b>Bold</b>", "Zoë & Chloë", "Tōkyō Denki", "Café Olé",
};

static const char *const adjectives[] = {
    "Premium", "Compact", "Wireless", "Stainless Steel", "Ergonomic", "Portable",
    "Rechargeable", "Heavy Duty", "Organic", "Waterproof", "Foldable", "Classic",
    "Professional", "Ultra-Slim", "Adjustable", "Eco-Friendly", "Vintage", "Smart",
};

static const char *const nouns[] = {
    "Coffee Grinder", "Bluetooth Speaker", "Water Bottle", "Desk Lamp", "Cutting Board",
    "Phone Case", "Yoga Mat", "Backpack", "Screwdriver Set", "Kettle", "Headphones",
    "Notebook", "Frying Pan", "USB-C Cable", "Garden Hose", "Dog Leash", "Toothbrush",
    "Board Game", "Wall Clock", "Blender", "Travel Mug", "LED Strip", "Rain Jacket",
};

static const char *const colors[] = {
    "Black", "White", "Silver", "Navy Blue", "Red", "Olive Green", "Rose Gold", "Grey",
};

/* Titles that have broken someone's pipeline; none contains a NUL. */
static const char *const nasty[] = {
    "'; DROP TABLE items;--",
    "Robert'); DROP TABLE products;--",
    "1' OR '1'='1",
    "\"quoted\" 12\" pizza pan",
    "C:\\Program Files\\Backslash\\",
    "50% off _under_score_ %s %d %n",
    "tab\tseparated\tvalues",
    "Kaffeebecher für Männer ☕ Größe XL",
    "日本製 包丁 三徳 165mm",
    "Crème brûlée set — 4 pcs",
    "Party pack 🎉🎈 with emoji 😀",
    "Ελληνικά γράμματα & кириллица",
    "<script>alert('x')</script> &amp; HTML",
    "line one\nline two",
    "$1$ $$ dollar $quote$ E'\\\\x00'",
};

static const struct fk_root_category roots[] = {
    {172282, "Electronics"},
    {1055398, "Home & Kitchen"},
    {165793011, "Toys & Games"},
    {3760901, "Health & Household"},
    {283155, "Books"},
    {2619525011, "Appliances"},
    {2335752011, "Cell Phones & Accessories"},
    {3375251, "Sports & Outdoors"},
    {1064954, "Office Products"},
    {228013, "Tools & Home Improvement"},
    {16310101, "Grocery & Gourmet Food"},
    {2972638011, "Patio, Lawn & Garden"},
    {15684181, "Automotive"},
    {7141123011, "Clothing, Shoes & Jewelry"},
    {3760911, "Beauty & Personal Care"},
    {2619533011, "Pet Supplies"},
};

static const char alnum[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static uint64_t h(uint64_t seed, uint32_t idx, int64_t sub)
{
    return fk_hashv(seed, idx, FK_SALT_TITLE, sub);
}

/* "Brand Adjective Noun MODEL-123, 4 Pack, Color" */
static void plain_title(uint64_t seed, uint32_t idx, struct fk_buf *out)
{
    char model[16];
    uint64_t m = h(seed, idx, 4);

    fk_buf_puts(out, fk_text_brand(seed, idx));
    fk_buf_putc(out, ' ');
    fk_buf_puts(out, adjectives[h(seed, idx, 1) % COUNT(adjectives)]);
    fk_buf_putc(out, ' ');
    fk_buf_puts(out, nouns[h(seed, idx, 2) % COUNT(nouns)]);
    model[0] = alnum[10 + m % 26];
    model[1] = alnum[10 + (m >> 8) % 26];
    model[2] = '-';
    model[3] = (char)('1' + (m >> 16) % 9);
    model[4] = (char)('0' + (m >> 24) % 10);
    model[5] = (char)('0' + (m >> 32) % 10);
    model[6] = '\0';
    fk_buf_putc(out, ' ');
    fk_buf_puts(out, model);
    fk_buf_puts(out, m >> 40 & 1 ? ", 2 Pack, " : ", ");
    fk_buf_puts(out, colors[(m >> 48) % COUNT(colors)]);
}

void fk_text_title(uint64_t seed, uint32_t idx, struct fk_buf *out)
{
    uint64_t kind = h(seed, idx, 0);

    plain_title(seed, idx, out);
    if (kind % 100 < 6) {
        fk_buf_puts(out, " ");
        fk_buf_puts(out, nasty[(kind >> 8) % COUNT(nasty)]);
    }
    if ((kind >> 20) % 500 == 0) {
        /* About 2000 characters, the longest titles seen in practice. */
        while (out->len < 1950) {
            fk_buf_puts(out, " - ");
            fk_buf_puts(out, adjectives[(out->len * 7) % COUNT(adjectives)]);
            fk_buf_puts(out, " replacement part compatible with many models");
        }
    }
}

const char *fk_text_brand(uint64_t seed, uint32_t idx)
{
    return brands[fk_hashv(seed, idx, FK_SALT_BRAND, 0) % COUNT(brands)];
}

void fk_text_manufacturer(uint64_t seed, uint32_t idx, struct fk_buf *out)
{
    static const char *const suffix[] = {"", " GmbH", " Inc.", " Ltd.", " S.A.", " Co., Ltd."};

    fk_buf_puts(out, fk_text_brand(seed, idx));
    fk_buf_puts(out, suffix[fk_hashv(seed, idx, FK_SALT_BRAND, 1) % COUNT(suffix)]);
}

const struct fk_root_category *fk_text_root(uint64_t seed, uint32_t idx)
{
    return &roots[fk_hashv(seed, idx, FK_SALT_CATEGORY, 0) % COUNT(roots)];
}

int fk_text_categories(uint64_t seed, uint32_t idx, int64_t out[3])
{
    uint64_t hh = fk_hashv(seed, idx, FK_SALT_CATEGORY, 1);
    int64_t root_pos = fk_text_root(seed, idx) - roots;
    int n = 1 + (int)(hh % 3);

    /* Leaf ids look like Amazon's 10-digit browse nodes, 40 per root; 7k mod 40
     * differs for k < 3, so a product's leaves are distinct. */
    for (int k = 0; k < n; k++)
        out[k] = 1000000000LL + root_pos * 1000 + (int64_t)(((hh >> 8) % 40 + 7 * (uint64_t)k) % 40);
    return n;
}

int fk_text_image_count(uint64_t seed, uint32_t idx)
{
    return 1 + (int)(fk_hashv(seed, idx, FK_SALT_IMAGE, -1) % 4);
}

void fk_text_image(uint64_t seed, uint32_t idx, int k, char out[16])
{
    uint64_t hh = fk_hashv(seed, idx, FK_SALT_IMAGE, k);

    out[0] = (char)('5' + hh % 4);
    hh /= 4;
    out[1] = (char)('0' + hh % 10);
    hh /= 10;
    for (int i = 2; i < 11; i++) {
        out[i] = alnum[hh % 62];
        hh /= 62;
        if (hh == 0)
            hh = fk_hashv(seed, idx, FK_SALT_IMAGE, 100 + k + i);
    }
    memcpy(out + 11, ".jpg", 5);
}

void fk_text_seller_name(uint64_t seed, uint32_t j, struct fk_buf *out)
{
    static const char *const kinds[] = {"Shop", "Store", "Trading", "Direct", "Outlet", "Händler"};
    uint64_t hh = fk_hashv(seed, j, FK_SALT_SELLER_INFO, 0);
    char num[8];

    fk_buf_puts(out, brands[hh % COUNT(brands)]);
    fk_buf_putc(out, ' ');
    fk_buf_puts(out, kinds[(hh >> 8) % COUNT(kinds)]);
    num[0] = ' ';
    num[1] = (char)('0' + (hh >> 16) % 10);
    num[2] = (char)('0' + (hh >> 20) % 10);
    num[3] = '\0';
    fk_buf_puts(out, num);
}
