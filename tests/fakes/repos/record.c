/*
 * record.c - what a repository looks like in JSON, see rp_repo_json in catalog.h.
 *
 * The members and their types follow GitHub's repository object, so a source
 * file written for GitHub reads the fake the same way: nested objects (owner,
 * license) for paths like $.owner.login, arrays (topics), nulls (description,
 * language, license are sometimes null), and descriptions with quotes,
 * backslashes, newlines and non-ASCII text to exercise escaping.
 */
#include "catalog.h"

#include "clock.h"
#include "hash.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* 2026-01-01T00:00:00Z: generated times lie before it, so they do not depend on the run. */
#define EPOCH_S 1767225600LL
#define EIGHT_YEARS_S (8LL * 365 * 86400)

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *const owners[] = {"acme",      "octo-labs",    "northwind", "umbra-io",
                                     "polar-dev", "kitchen-sink", "zeta",      "freshwater"};
static const char *const adjectives[] = {"brisk",  "quiet", "amber",  "lucid",  "rapid",  "hollow",
                                         "silver", "tidy",  "bold",   "mellow", "gentle", "keen",
                                         "sunny",  "vivid", "humble", "nimble"};
static const char *const nouns[] = {"otter",  "falcon", "harbor",  "lantern", "meadow", "comet",
                                    "anchor", "badger", "canyon",  "ember",   "fjord",  "grove",
                                    "heron",  "island", "juniper", "kiln"};
static const char *const languages[] = {"C",    "Go",  "Rust", "Python", "TypeScript",
                                        "Java", "C++", "Ruby", "Shell",  NULL};
static const char *const topics[] = {"cli",     "database", "http",       "parser", "embedded",
                                     "testing", "compiler", "networking", "json",   "cache"};
static const struct {
    const char *key, *name, *spdx;
} licenses[] = {
    {"mit", "MIT License", "MIT"},
    {"apache-2.0", "Apache License 2.0", "Apache-2.0"},
    {"gpl-3.0", "GNU General Public License v3.0", "GPL-3.0"},
    {"bsd-3-clause", "BSD 3-Clause \"New\" or \"Revised\" License", "BSD-3-Clause"},
};

static uint64_t h(const struct rp_catalog *cat, uint32_t idx, enum rp_salt salt)
{
    return rp_hashv(cat->seed, idx, salt, 0);
}

static int64_t created_s(uint64_t seed, uint32_t idx)
{
    return EPOCH_S - 86400 - (int64_t)(rp_hashv(seed, idx, RP_SALT_CREATED, 0) % EIGHT_YEARS_S);
}

int64_t rp_repo_initial_updated(uint64_t seed, uint32_t idx)
{
    int64_t c = created_s(seed, idx);
    return c + (int64_t)(rp_hashv(seed, idx, RP_SALT_UPDATED, 0) % (uint64_t)(EPOCH_S - c));
}

int64_t rp_repo_initial_stars(uint64_t seed, uint32_t idx)
{
    /* Heavy-tailed like real stars: most repositories have few, some tens of thousands. */
    return (int64_t)expm1(rp_unit(rp_hashv(seed, idx, RP_SALT_STARS, 0)) * 11.0);
}

static void set_str(json_t *o, const char *key, const char *s)
{
    json_object_set_new(o, key, s ? json_string(s) : json_null());
}

static void set_int(json_t *o, const char *key, int64_t v)
{
    json_object_set_new(o, key, json_integer((json_int_t)v));
}

static void set_time(json_t *o, const char *key, int64_t unix_s)
{
    char t[32];

    rp_format_iso8601(unix_s, t, sizeof(t));
    set_str(o, key, t);
}

static void set_description(json_t *o, const struct rp_catalog *cat, uint32_t idx)
{
    uint64_t d = h(cat, idx, RP_SALT_DESCRIPTION);
    const char *adj = adjectives[d % COUNT(adjectives)];
    const char *noun = nouns[(d >> 8) % COUNT(nouns)];
    const char *topic = topics[(d >> 16) % COUNT(topics)];
    char text[160];

    switch ((d >> 24) % 10) {
    case 0:
        set_str(o, "description", NULL);
        return;
    case 1:
        /* "The "adj" noun — fast, ünïcode-safe ✓" in UTF-8 */
        snprintf(text, sizeof(text),
                 "The \"%s\" %s \xe2\x80\x94 fast, \xc3\xbc"
                 "n\xc3\xaf"
                 "code-safe \xe2\x9c\x93",
                 adj, noun);
        break;
    case 2:
        snprintf(text, sizeof(text), "Tools for %s\\%s\nsecond line\tindented", topic, noun);
        break;
    default:
        snprintf(text, sizeof(text), "A %s %s for %s", adj, noun, topic);
        break;
    }
    set_str(o, "description", text);
}

static json_t *owner_json(const struct rp_catalog *cat, uint32_t idx)
{
    size_t k = h(cat, idx, RP_SALT_OWNER) % COUNT(owners);
    json_t *o = json_object();

    set_str(o, "login", owners[k]);
    set_int(o, "id", 9000 + (int64_t)k);
    set_str(o, "type", k % 3 == 0 ? "User" : "Organization");
    return o;
}

static json_t *license_json(const struct rp_catalog *cat, uint32_t idx)
{
    uint64_t l = h(cat, idx, RP_SALT_LICENSE) % (COUNT(licenses) + 1);
    json_t *o;

    if (l == COUNT(licenses))
        return json_null();
    o = json_object();
    set_str(o, "key", licenses[l].key);
    set_str(o, "name", licenses[l].name);
    set_str(o, "spdx_id", licenses[l].spdx);
    return o;
}

static json_t *topics_json(const struct rp_catalog *cat, uint32_t idx)
{
    uint64_t t = h(cat, idx, RP_SALT_TOPICS);
    json_t *a = json_array();

    for (uint64_t i = 0; i < t % 4; i++)
        json_array_append_new(a, json_string(topics[(t >> (8 + 4 * i)) % COUNT(topics)]));
    return a;
}

/* The members listings and detail share. */
static void add_summary(json_t *o, const struct rp_catalog *cat, uint32_t idx)
{
    uint64_t n = h(cat, idx, RP_SALT_NAME);
    const char *owner = owners[h(cat, idx, RP_SALT_OWNER) % COUNT(owners)];
    char name[96], full[160], url[224];

    snprintf(name, sizeof(name), "%s-%s-%u", adjectives[n % COUNT(adjectives)],
             nouns[(n >> 8) % COUNT(nouns)], idx + 1);
    snprintf(full, sizeof(full), "%s/%s", owner, name);
    set_int(o, "id", (int64_t)idx + 1);
    snprintf(url, sizeof(url), "R_%08x", idx + 1);
    set_str(o, "node_id", url);
    set_str(o, "name", name);
    set_str(o, "full_name", full);
    json_object_set_new(o, "private", json_false());
    json_object_set_new(o, "owner", owner_json(cat, idx));
    snprintf(url, sizeof(url), "https://github.example/%s", full);
    set_str(o, "html_url", url);
    set_description(o, cat, idx);
    json_object_set_new(o, "fork", json_boolean(h(cat, idx, RP_SALT_FLAGS) % 10 == 0));
    set_time(o, "updated_at", cat->v[idx].updated_s);
}

static void add_detail(json_t *o, const struct rp_catalog *cat, uint32_t idx)
{
    const struct rp_repo *r = &cat->v[idx];
    uint64_t flags = h(cat, idx, RP_SALT_FLAGS);

    set_time(o, "created_at", created_s(cat->seed, idx));
    set_time(o, "pushed_at", r->updated_s);
    set_str(o, "homepage", NULL);
    set_int(o, "size", (int64_t)(h(cat, idx, RP_SALT_SIZE) % 250000));
    set_int(o, "stargazers_count", r->stars);
    set_int(o, "watchers_count", r->stars);
    set_str(o, "language", languages[h(cat, idx, RP_SALT_LANGUAGE) % COUNT(languages)]);
    set_int(o, "forks_count", r->stars / 8 + (int64_t)(h(cat, idx, RP_SALT_FORKS) % 5));
    set_int(o, "open_issues_count", (int64_t)(h(cat, idx, RP_SALT_ISSUES) % 120));
    json_object_set_new(o, "archived", json_boolean((flags >> 8) % 33 == 0));
    json_object_set_new(o, "license", license_json(cat, idx));
    json_object_set_new(o, "topics", topics_json(cat, idx));
    set_str(o, "visibility", "public");
    set_str(o, "default_branch", (flags >> 16) % 4 == 0 ? "master" : "main");
}

json_t *rp_repo_json(const struct rp_catalog *cat, uint32_t idx, enum rp_view view)
{
    json_t *o = json_object();

    if (o == NULL)
        abort();
    add_summary(o, cat, idx);
    if (view == RP_VIEW_FULL)
        add_detail(o, cat, idx);
    return o;
}
