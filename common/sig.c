/*
 * sig — see sig.h.
 */
#include "common/sig.h"

#include <event2/event.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/log.h"
#include "common/mem.h"

struct fr_sig {
    struct event *ev[2];
    fr_sig_stop_fn on_stop;
    void *arg;
    int count;
};

volatile sig_atomic_t fr_sig_stop_requested;

static void on_signal(evutil_socket_t signo, short what, void *arg)
{
    struct fr_sig *s = arg;

    (void)what;
    if (++s->count > 1) {
        log_warn("second signal %d: exiting now", (int)signo);
        _exit(1);
    }
    log_info("signal %d: stopping (send again to exit at once)", (int)signo);
    s->on_stop((int)signo, s->arg);
}

struct fr_sig *fr_sig_install(struct event_base *base, fr_sig_stop_fn on_stop, void *arg)
{
    static const int signos[2] = {SIGTERM, SIGINT};
    struct fr_sig *s = fr_xcalloc(1, sizeof(*s));

    signal(SIGPIPE, SIG_IGN);
    s->on_stop = on_stop;
    s->arg = arg;
    for (int i = 0; i < 2; i++) {
        s->ev[i] = evsignal_new(base, signos[i], on_signal, s);
        evsignal_add(s->ev[i], NULL);
    }
    return s;
}

void fr_sig_free(struct fr_sig *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < 2; i++)
        event_free(s->ev[i]);
    free(s);
}

static void flag_handler(int signo)
{
    if (fr_sig_stop_requested)
        _exit(128 + signo);
    fr_sig_stop_requested = 1;
}

void fr_sig_install_flag(void)
{
    struct sigaction sa = {0};

    sa.sa_handler = flag_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
