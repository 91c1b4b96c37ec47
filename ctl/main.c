/*
 * freshetctl — operations: dispatches to one subcommand per file in ctl/.
 */
#include <stdio.h>
#include <string.h>

#include "ctl/ctl.h"

static const struct ctl_command commands[] = {
    {"migrate", "apply pending schema migrations (no-op when up to date)", ctl_migrate},
    {"status", "rows by status, queues, staleness, budget, workers [--json] [--watch]",
     ctl_status},
    {"enqueue", "queue ids now (idempotent): enqueue ID... [--priority N] [--hot]", ctl_enqueue},
    {"backfill", "queue many ids from a file, stdin or discovery pages, with progress",
     ctl_backfill},
    {"dlq", "dead letters and failed rows: dlq list | retry | purge", ctl_dlq},
    {"export", "stream rows as CSV or JSON lines (--format csv|jsonl)", ctl_export},
    {"verify-freshness", "exit 1 with a reason when the catalog is stale (for cron)",
     ctl_verify_freshness},
    {"sources", "source files: sources list | check FILE [--sample FILE.json]", ctl_sources},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
    fprintf(f, "Usage: freshetctl COMMAND [OPTIONS]\n\n"
               "Operates a freshet deployment: schema, queues, dead letters, exports,\n"
               "source files.\n\n"
               "Commands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-17s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'freshetctl COMMAND --help' lists a command's options and environment.\n"
               "Exit status: 0 success, 1 runtime failure, 2 bad usage or configuration.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("freshetctl %s\n", FRESHET_VERSION);
        return 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "freshetctl: unknown command '%s' (see freshetctl --help)\n", argv[1]);
    return 2;
}
