/*
 * main.c - freshet-fake-repos: a GitHub-like REST API simulator for tests.
 *
 * Parses options, binds, announces "listening HOST:PORT" on stdout (and the
 * port in --port-file), then runs one libevent loop until SIGINT or SIGTERM,
 * after which everything is freed so leak checkers see a clean exit.
 */
#include "clock.h"
#include "options.h"
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopexit(arg, NULL);
}

/* Writes port to path via path.tmp and rename, so readers never see half a file. */
static int write_port_file(const char *path, int port)
{
    char tmp[4200];
    FILE *f;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

static int serve(struct rp_server *srv, struct event_base *base)
{
    char err[512], line[1024];
    int port;

    if (rp_server_init(srv, base, err, sizeof(err)) < 0 ||
        rp_server_listen(srv, &port, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", RP_PROGRAM, err);
        return 1;
    }
    printf("listening %s\n", srv->addr);
    fflush(stdout);
    if (srv->opt.port_file[0] != '\0' && write_port_file(srv->opt.port_file, port) < 0) {
        fprintf(stderr, "%s: cannot write port file '%s'\n", RP_PROGRAM, srv->opt.port_file);
        return 1;
    }
    rp_options_describe(&srv->opt, line, sizeof(line));
    fprintf(stderr, "%s\n", line);
    event_base_dispatch(base);
    return 0;
}

int main(int argc, char **argv)
{
    static struct rp_server srv; /* large (options, paths); keep it off the stack */
    char err[512];
    struct event_base *base;
    struct event *sigint, *sigterm;
    int rc;

    switch (rp_options_parse(&srv.opt, argc, argv, err, sizeof(err))) {
    case RP_OPTIONS_EXIT:
        return 0;
    case RP_OPTIONS_BAD:
        fprintf(stderr, "%s: %s\n", RP_PROGRAM, err);
        return 2;
    default:
        break;
    }
    signal(SIGPIPE, SIG_IGN);
    rp_clock_start();
    base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "%s: event_base_new failed\n", RP_PROGRAM);
        return 1;
    }
    sigint = evsignal_new(base, SIGINT, on_signal, base);
    sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    evsignal_add(sigint, NULL);
    evsignal_add(sigterm, NULL);
    rc = serve(&srv, base);
    rp_server_release(&srv);
    event_free(sigint);
    event_free(sigterm);
    event_base_free(base);
    return rc;
}
