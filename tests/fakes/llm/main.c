/*
 * main.c - freshet-fake-llm: an OpenAI-compatible chat-completions server for tests.
 *
 * Parses options, binds, announces "listening HOST:PORT" on stdout (and the
 * port in --port-file), then runs one libevent loop until SIGINT or SIGTERM,
 * after which everything is freed so leak checkers see a clean exit.
 */
#include "options.h"
#include "server.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)sig;
    (void)what;
    event_base_loopexit(arg, NULL);
}

/* Writes port to path through path.tmp and a rename, so readers never see half a file. */
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

static int serve(struct fl_server *srv, struct event_base *base)
{
    char err[512], addr[300];
    int port;

    if (fl_server_init(srv, base, err, sizeof(err)) < 0 ||
        fl_server_listen(srv, addr, sizeof(addr), &port, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s: %s\n", FL_PROGRAM, err);
        return 1;
    }
    printf("listening %s\n", addr);
    fflush(stdout);
    if (srv->opt.port_file[0] != '\0' && write_port_file(srv->opt.port_file, port) < 0) {
        fprintf(stderr, "%s: cannot write port file '%s'\n", FL_PROGRAM, srv->opt.port_file);
        return 1;
    }
    fl_options_log(&srv->opt);
    event_base_dispatch(base);
    return 0;
}

int main(int argc, char **argv)
{
    static struct fl_server srv;
    struct event_base *base;
    struct event *sigint, *sigterm;
    int rc = fl_options_parse(&srv.opt, argc, argv);

    if (rc >= 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "%s: event_base_new failed\n", FL_PROGRAM);
        return 1;
    }
    sigint = evsignal_new(base, SIGINT, on_signal, base);
    sigterm = evsignal_new(base, SIGTERM, on_signal, base);
    evsignal_add(sigint, NULL);
    evsignal_add(sigterm, NULL);
    rc = serve(&srv, base);
    fl_server_release(&srv);
    event_free(sigint);
    event_free(sigterm);
    event_base_free(base);
    return rc;
}
