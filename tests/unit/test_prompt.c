/*
 * Unit tests: the analysis prompt template — placeholders render payload values as
 * canonical JSON (absent as null), the distinct names and their lines, and each
 * malformed placeholder refused with its line.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "common/prompt.h"

static struct fr_prompt *compile(const char *text)
{
    struct fr_prompt *p = NULL;
    struct fr_error err = {0};

    cr_assert_eq(fr_prompt_compile(text, strlen(text), &p, &err), 0, "%s", err.msg);
    return p;
}

static void renders(const char *text, const char *payload, const char *want)
{
    struct fr_prompt *p = compile(text);
    json_t *v = payload ? json_loads(payload, 0, NULL) : NULL;
    struct fr_error err = {0};
    struct fr_buf b;

    fr_buf_init(&b, 0);
    cr_assert_eq(fr_prompt_render(p, v, &b, &err), 0, "%s", err.msg);
    cr_expect_str_eq(fr_buf_str(&b), want, "%s", text);
    fr_buf_release(&b);
    json_decref(v);
    fr_prompt_free(p);
}

static void refused(const char *text, size_t len, const char *want)
{
    struct fr_prompt *p = (void *)1;
    struct fr_error err = {0};

    cr_assert_eq(fr_prompt_compile(text, len, &p, &err), FR_ERR_USAGE, "accepted: %s", text);
    cr_assert_null(p);
    cr_expect_str_eq(err.msg, want);
}

static const char payload[] =
    "{\"title\":\"Caf\\u00e9 \\\"x\\\"\",\"price\":1299,\"ratio\":0.5,\"ok\":true,\"none\":null,"
    "\"tags\":[\"a\",\"b\"],\"analysis\":{\"z\":1,\"avg90\":1500,\"deep\":{\"k\":\"v\"}}}";

Test(prompt, placeholders_render_json_values)
{
    renders("T={{title}} P={{price}} R={{ratio}} O={{ok}} N={{none}}", payload,
            "T=\"Caf\xc3\xa9 \\\"x\\\"\" P=1299 R=0.5 O=true N=null");
    renders("{{tags}} {{analysis}}", payload,
            "[\"a\",\"b\"] {\"avg90\":1500,\"deep\":{\"k\":\"v\"},\"z\":1}");
    renders("{{analysis.avg90}}/{{analysis.deep.k}}/{{ analysis.missing }}/{{missing.x}}",
            payload, "1500/\"v\"/null/null");
    renders("{{title.x}} {{tags.0}}", payload, "null null"); /* no member of a string or list */
    renders("{{title}}{{title}}", payload,
            "\"Caf\xc3\xa9 \\\"x\\\"\"\"Caf\xc3\xa9 \\\"x\\\"\"");
    renders("no placeholders { } }} at all", payload, "no placeholders { } }} at all");
    renders("", payload, "");
    renders("a {{title}} b", NULL, "a null b");
}

Test(prompt, fields_are_listed_once_with_their_first_line)
{
    struct fr_prompt *p = compile("{{title}}\n\nline three {{ price }} {{title}}\n{{a.b-c_d}}\n");

    cr_assert_eq(fr_prompt_nfields(p), 3);
    cr_expect_str_eq(fr_prompt_field(p, 0), "title");
    cr_expect_eq(fr_prompt_field_line(p, 0), 1);
    cr_expect_str_eq(fr_prompt_field(p, 1), "price");
    cr_expect_eq(fr_prompt_field_line(p, 1), 3);
    cr_expect_str_eq(fr_prompt_field(p, 2), "a.b-c_d");
    cr_expect_eq(fr_prompt_field_line(p, 2), 4);
    fr_prompt_free(p);
}

Test(prompt, malformed_placeholders_name_their_line)
{
    refused("a\nb {{title", 11, "line 2: '{{' is not closed by '}}'");
    refused("{{}}", 4, "line 1: '{{}}' is not a field name (write {{field}} or {{a.b}})");
    refused("x\n\n{{a..b}}", 11, "line 3: '{{a..b}}' is not a field name (write {{field}} or "
                                 "{{a.b}})");
    refused("{{ a b }}", 9, "line 1: '{{ a b }}' is not a field name (write {{field}} or "
                            "{{a.b}})");
    refused("{{.a}}", 6, "line 1: '{{.a}}' is not a field name (write {{field}} or {{a.b}})");
    refused("{{a.}}", 6, "line 1: '{{a.}}' is not a field name (write {{field}} or {{a.b}})");
    refused("{{ {{a}} }}", 11, "line 1: '{{ {{a}}' is not a field name (write {{field}} or "
                               "{{a.b}})");
    refused("ab\0{{x}}", 8, "line 1: a NUL byte");
}

Test(prompt, rendering_stops_at_the_buffer_maximum)
{
    struct fr_prompt *p = compile("0123456789 {{title}}");
    json_t *v = json_loads(payload, 0, NULL);
    struct fr_error err = {0};
    struct fr_buf b;

    fr_buf_init(&b, 8);
    cr_expect_eq(fr_prompt_render(p, v, &b, &err), FR_ERR_LIMIT);
    cr_expect_str_eq(err.msg, "rendered prompt is larger than 8 bytes");
    fr_buf_release(&b);
    json_decref(v);
    fr_prompt_free(p);
}
