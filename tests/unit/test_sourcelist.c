/*
 * Unit tests: FRESHET_SOURCE as one name or a comma list (common/sourcelist.h), and the
 * configuration type behind it.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/sourcelist.h"

Test(sourcelist, one_name)
{
    struct fr_source_list l;
    struct fr_error err = {0};

    cr_assert_eq(fr_source_list_parse("keepa", &l, &err), 0, "%s", err.msg);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.names[0], "keepa");
    cr_assert(fr_source_list_is_one("keepa"));
}

Test(sourcelist, a_list_in_order)
{
    struct fr_source_list l;
    struct fr_error err = {0};

    cr_assert_eq(fr_source_list_parse("keepa,repos,coin_gecko-2", &l, &err), 0, "%s", err.msg);
    cr_assert_eq(l.n, 3);
    cr_assert_str_eq(l.names[0], "keepa");
    cr_assert_str_eq(l.names[1], "repos");
    cr_assert_str_eq(l.names[2], "coin_gecko-2");
    cr_assert_not(fr_source_list_is_one("keepa,repos"));
}

static void refused(const char *s, const char *why)
{
    struct fr_source_list l;
    struct fr_error err = {0};

    cr_assert_eq(fr_source_list_parse(s, &l, &err), FR_ERR_USAGE, "'%s' was accepted", s);
    cr_assert(strstr(err.msg, why) != NULL, "'%s': %s", s, err.msg);
}

Test(sourcelist, bad_lists)
{
    refused("", "1 to 32 characters");
    refused("keepa,", "1 to 32 characters (got '')");
    refused(",keepa", "1 to 32 characters");
    refused("keepa,,repos", "1 to 32 characters");
    refused("keepa, repos", "may hold only");
    refused("Keepa", "may hold only a-z");
    refused("keepa,repos,keepa", "names source 'keepa' twice");
    refused("a,b,c,d,e,f,g,h,i", "more than 8 sources");
    refused("abcdefghijabcdefghijabcdefghijabc", "1 to 32 characters");
}

struct tcfg {
    struct fr_common_config common;
    const char *policy;
};

static const struct fr_opt opts[] = {
    FR_COMMON_OPTS(struct tcfg),
    {"T_POLICY", "policy", FR_OPT_IDENT, "budget", 0, 0, offsetof(struct tcfg, policy), "p"},
};
#define N (sizeof(opts) / sizeof(opts[0]))

Test(sourcelist, config_takes_a_list_for_the_source_only)
{
    struct tcfg c = {0};
    char *ok[] = {"prog", "--source", "keepa,repos", NULL};
    char *bad[] = {"prog", "--source", "keepa,Repos", NULL};
    char *one[] = {"prog", "--policy", "a,b", NULL};
    struct fr_error err = {0};

    unsetenv("FRESHET_SOURCE");
    cr_assert_eq(fr_config_parse(opts, N, &c, 3, ok, NULL, &err), 0, "%s", err.msg);
    cr_assert_str_eq(c.common.source, "keepa,repos");
    cr_assert_eq(fr_config_parse(opts, N, &c, 3, bad, NULL, &err), FR_ERR_USAGE);
    cr_assert(strstr(err.msg, "may hold only") != NULL, "%s", err.msg);
    fr_error_clear(&err);
    cr_assert_eq(fr_config_parse(opts, N, &c, 3, one, NULL, &err), FR_ERR_USAGE);
    cr_assert(strstr(err.msg, "must be one name") != NULL, "%s", err.msg);
}
