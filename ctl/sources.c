/*
 * freshetctl sources — source files without the network: `list` loads every file of
 * FRESHET_SOURCES_DIR and says which load, `check FILE` prints what one file means
 * (requests, pagination, budget, fields, analysis and its prompt rendered on a sample
 * record) or the one-line reason it is refused. Both exit 2 on a bad file, like a
 * daemon that would be given it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/sources/decl_config.h"
#include "ctl/ctl.h"

#define MAX_SAMPLE (4 * 1024 * 1024)
#define MAX_RENDERED (1024 * 1024)

struct list_config {
    const char *dir;
};

struct check_config {
    const char *sample;
};

static const struct fr_opt list_opts[] = {
    {"FRESHET_SOURCES_DIR", "sources-dir", FR_OPT_STR, FR_DECL_DEFAULT_DIR, 0, 0,
     offsetof(struct list_config, dir), "directory of source files (<name>.yaml)"},
};

static const struct fr_opt check_opts[] = {
    {NULL, "sample", FR_OPT_STR, NULL, 0, 0, offsetof(struct check_config, sample),
     "JSON file with one detail record (for keepa: one payload) to render the analysis "
     "prompt on; default: a record of nulls"},
};

/* Parses argv by opts; returns -1 to go on, else the exit status (help, version, error). */
static int parse(const char *prog, const char *usage, const struct fr_opt *opts, size_t n,
                 void *cfg, int argc, char **argv, int *first)
{
    struct fr_error err = {0};
    int rc = fr_config_parse(opts, n, cfg, argc, argv, first, &err);

    if (rc == FR_CONFIG_HELP) {
        printf("Usage: %s %s\n\n", prog, usage);
        fr_config_usage(stdout, opts, n);
        printf("\nExit status: 0 success, 2 bad usage or a refused source file (one line "
               "naming the file, the key and the reason).\n");
        return 0;
    }
    if (rc == FR_CONFIG_VERSION) {
        printf("%s %s\n", prog, FRESHET_VERSION);
        return 0;
    }
    if (rc != 0)
        return ctl_usage_error(prog, "%s", err.msg);
    return -1;
}

/* The name part of "<dir>/<name>.yaml". */
static void stem(const char *path, char *out, size_t n)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t len = strlen(base);

    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0)
        len -= 5;
    snprintf(out, n, "%.*s", (int)len, base);
}

static int sources_list(int argc, char **argv)
{
    static const char prog[] = "freshetctl sources list";
    struct list_config cfg = {0};
    struct fr_error err = {0};
    char **paths, name[64];
    size_t n, width = 4;
    int rc = parse(prog, "[--sources-dir DIR]", list_opts, 1, &cfg, argc, argv, NULL), bad = 0;

    if (rc >= 0)
        return rc;
    if (fr_decl_list(cfg.dir, &paths, &n, &err) != 0)
        return ctl_usage_error(prog, "%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        stem(paths[i], name, sizeof(name));
        width = strlen(name) > width ? strlen(name) : width;
    }
    printf("%s: %zu source file%s\n", cfg.dir, n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++) {
        struct fr_decl_source *s;

        fr_error_clear(&err);
        stem(paths[i], name, sizeof(name));
        if (fr_decl_load_file(paths[i], &s, &err) != 0) {
            printf("  %-*s  %-32s  refused: %s\n", (int)width, name, "-", err.msg);
            bad++;
            continue;
        }
        printf("  %-*s  %-32s  ok\n", (int)width, name,
               s->builtin ? "(built in: analysis only)" : s->base_url);
        fr_decl_free(s);
    }
    fr_decl_list_free(paths, n);
    return bad ? 2 : 0;
}

/* The payload the prompt is rendered on: from the sample (a detail record, through
 * fields; for a built-in source the payload itself) or of nulls. New reference or NULL
 * (every placeholder null); FR_ERR_USAGE when the sample cannot be read. */
static int sample_payload(const struct fr_decl_source *s, const char *file, json_t **out,
                          struct fr_error *err)
{
    struct fr_buf b;
    json_t *rec = NULL;
    int rc = 0;

    *out = NULL;
    if (file != NULL) {
        fr_buf_init(&b, 0);
        rc = fr_decl_read_file(file, MAX_SAMPLE, &b, err);
        if (rc == 0 && (rc = fr_json_parse(fr_buf_str(&b), b.len, &rec, err)) != 0)
            fr_error_prefix(err, "--sample '%s'", file);
        fr_buf_release(&b);
        if (rc != 0)
            return rc;
    }
    if (s->builtin) {
        *out = rec;
        return 0;
    }
    if (rec == NULL)
        rec = json_object(); /* every field absent: null */
    *out = fr_decl_payload(s, rec);
    json_decref(rec);
    return 0;
}

/* Appends the rendered prompt, each line behind "  | ". */
static int show_prompt(const struct fr_decl_source *s, const char *sample, struct fr_buf *out,
                       struct fr_error *err)
{
    struct fr_buf text;
    json_t *payload;
    char *dump;
    int rc;

    if ((rc = sample_payload(s, sample, &payload, err)) != 0)
        return rc;
    if (payload != NULL && !s->builtin) {
        dump = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
        fr_buf_printf(out, "\npayload of %s:\n  %s\n", sample ? sample : "a record of nulls",
                      dump ? dump : "?");
        free(dump);
    }
    fr_buf_init(&text, MAX_RENDERED);
    rc = fr_prompt_render(s->analysis.prompt, payload, &text, err);
    json_decref(payload);
    if (rc == 0) {
        fr_buf_printf(out, "\nprompt rendered on %s:\n", sample ? sample : "a record of nulls");
        for (const char *l = fr_buf_str(&text); *l != '\0';) {
            size_t len = strcspn(l, "\n");

            fr_buf_printf(out, "  | %.*s\n", (int)len, l);
            l += len + (l[len] == '\n');
        }
    }
    fr_buf_release(&text);
    return rc;
}

static int sources_check(int argc, char **argv)
{
    static const char prog[] = "freshetctl sources check";
    struct check_config cfg = {0};
    struct fr_decl_source *s;
    struct fr_error err = {0};
    struct fr_buf out, red;
    char **oargv, **pos;
    int oargc, npos, rc;

    /* options may follow FILE */
    ctl_split_args(check_opts, 1, argc, argv, &oargc, &oargv, &npos, &pos);
    rc = parse(prog, "FILE [--sample FILE.json]", check_opts, 1, &cfg, oargc, oargv, NULL);
    if (rc < 0 && npos != 1)
        rc = ctl_usage_error(prog, "give one source file (see --help)");
    if (rc < 0 && fr_decl_load_file(pos[0], &s, &err) != 0)
        rc = ctl_usage_error(prog, "%s", err.msg);
    free(oargv);
    free(pos);
    if (rc >= 0)
        return rc;
    fr_buf_init(&out, 0);
    fr_buf_init(&red, 0);
    fr_decl_describe(s, &out);
    if (s->analysis.present && (rc = show_prompt(s, cfg.sample, &out, &err)) != 0) {
        fr_buf_release(&out);
        fr_decl_free(s);
        return ctl_usage_error(prog, "%s", err.msg);
    }
    /* The description never holds a secret; redacting anyway guards the prompt. */
    fr_decl_redact(s, fr_buf_str(&out), &red);
    fputs(fr_buf_str(&red), stdout);
    fr_buf_release(&out);
    fr_buf_release(&red);
    fr_decl_free(s);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "Usage: freshetctl sources list|check [OPTIONS]\n\n"
               "Source files describe the upstream APIs besides keepa (<name>.yaml in\n"
               "FRESHET_SOURCES_DIR, default " FR_DECL_DEFAULT_DIR "; keepa.yaml holds only\n"
               "keepa's analysis). Nothing here touches the network.\n\n"
               "  list         every source file of the directory: name, base_url, whether it\n"
               "               loads (the reason when not)\n"
               "  check FILE   what FILE means: requests, pagination, budget, fields, history,\n"
               "               schema, analysis and its prompt rendered on a sample record\n\n"
               "'freshetctl sources ACTION --help' lists an action's options.\n"
               "Exit status: 0 the files load, 2 a file is refused (one line naming the file,\n"
               "the key and the reason).\n");
}

int ctl_sources(int argc, char **argv)
{
    static const struct ctl_command actions[] = {
        {"list", "every source file of the directory", sources_list},
        {"check", "what one file means", sources_check},
    };

    return ctl_dispatch("freshetctl sources", actions, sizeof(actions) / sizeof(actions[0]),
                        usage, argc, argv);
}
