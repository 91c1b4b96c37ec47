/*
 * dispatch — the front of a command with actions (dlq list|retry|purge, sources
 * list|check): one place that answers a missing action, --help and an unknown one the
 * same way for every such command.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"

int ctl_dispatch(const char *prog, const struct ctl_command *actions, size_t n,
                 void (*usage)(FILE *f), int argc, char **argv)
{
    char names[256] = "";

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], actions[i].name) == 0)
            return actions[i].run(argc - 1, argv + 1);
    }
    /* "list, retry or purge" */
    for (size_t i = 0; i < n; i++)
        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                 i == 0 ? "" : i + 1 == n ? " or " : ", ", actions[i].name);
    fprintf(stderr, "%s: unknown action '%s' (%s)\n", prog, argv[1], names);
    return 2;
}
