/*
 * ctl — what freshetctl's subcommands share: each is a function taking its own argv
 * (argv[0] is the subcommand name) and returning the process exit status.
 */
#ifndef CTL_H
#define CTL_H

struct ctl_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
};

int ctl_migrate(int argc, char **argv);

#endif
