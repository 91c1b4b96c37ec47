/*
 * Unit tests: common/minire gives regexec's answers for the patterns it takes, and
 * refuses the ones it could get wrong.
 */
#include <criterion/criterion.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/minire.h"

Test(minire, agrees_with_regexec_on_every_subject)
{
    /* each pattern with the characters its subjects are drawn from: mostly its own, so
     * that matches are frequent, and some it refuses */
    static const struct {
        const char *re, *chars;
    } taken[] = {
        {"^[A-Z0-9]{10}$", "AZ09Qa"},
        {"^[A-Z0-9]{1,31}$", "AZ09Q-"},
        {"^[^/]+/[^/]+$", "/ab\xc3\xa9/"},
        {"^https://m\\.media-amazon\\.com/images/I/[A-Za-z0-9._+%-]+$", "aZ9._+%-/ "},
        {"^a*b$", "aab"},
        {"^x?[0-9]{2,}$", "x09x1"},
        {"^[a-c]{2,3}/$", "abc/d"},
        {"^$", "a"},
        {"^\\.[^.]*$", "..ab"},
        {"^[^a-z-]+-[a-z]{1,3}$", "A-a-zZ"},
        {"^[-a]+/$", "-a/b"}};
    uint64_t st = 0x9E3779B97F4A7C15ull;

    for (size_t p = 0; p < sizeof(taken) / sizeof(taken[0]); p++) {
        const char *re_text = taken[p].re, *chars = taken[p].chars;
        size_t nchars = strlen(chars), matched = 0;
        struct fr_minire m;
        regex_t re;

        cr_assert_eq(fr_minire_compile(&m, re_text), 1, "%s is in the subset", re_text);
        cr_assert_eq(regcomp(&re, re_text, REG_EXTENDED | REG_NOSUB), 0);
        for (int t = 0; t < 20000; t++) {
            char s[96];
            size_t n = 0;
            int want;

            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            if (p == 3 && t % 2 == 0) /* the image URL: its prefix, then a name */
                n = (size_t)snprintf(s, sizeof(s), "https://m.media-amazon.com/images/I/");
            for (size_t k = st % 36; k > 0; k--) {
                st ^= st << 13, st ^= st >> 7, st ^= st << 17;
                s[n++] = chars[st % nchars];
            }
            s[n] = '\0';
            want = regexec(&re, s, 0, NULL, 0) == 0;
            matched += (size_t)want;
            cr_assert_eq(fr_minire_match(&m, s, n), want, "pattern %s subject '%s'", re_text, s);
        }
        cr_assert_gt(matched, 0, "%s: no subject matched, the test would prove little", re_text);
        regfree(&re);
    }
}

Test(minire, refuses_what_it_could_get_wrong)
{
    static const char *const left[] = {
        "[A-Z]{10}",     /* not anchored */
        "^(a|b)$",       /* groups, alternation */
        "^a.b$",         /* any character */
        "^[a-z]+[a-c]$", /* a run followed by what it could also match */
        "^a*b?c$",       /* a run followed by an optional atom */
        "^\\w+$",        /* GNU escapes */
        "^[[:alpha:]]$", /* POSIX classes */
        "^[]a]$",        /* ']' first in a class */
        "^a{2}{3}$",     /* a doubled quantifier */
        "^a+$x$",        /* '$' inside */
        "^a\\$",         /* an escaped end */
    };
    struct fr_minire m;

    for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++)
        cr_assert_eq(fr_minire_compile(&m, left[i]), 0, "%s", left[i]);
}
