/*
 * sig — graceful shutdown signals, two ways (PgBouncer style):
 * - daemons register SIGTERM/SIGINT with their libevent loop, so the callback runs in
 *   the loop with no async-signal restrictions: the first signal calls on_stop (stop
 *   taking work, drain), a second one exits at once with status 1;
 * - plain programs (freshetctl) use a flag that a handler sets and loops poll.
 * Both ignore SIGPIPE: a peer that went away is an error return, not a death.
 */
#ifndef FR_SIG_H
#define FR_SIG_H

#include <signal.h>

struct event_base;
struct fr_sig;

typedef void (*fr_sig_stop_fn)(int signo, void *arg);

/* Returns a handle to free with fr_sig_free() before the base. arg is borrowed. */
struct fr_sig *fr_sig_install(struct event_base *base, fr_sig_stop_fn on_stop, void *arg);
void fr_sig_free(struct fr_sig *s);

extern volatile sig_atomic_t fr_sig_stop_requested;
/* Installs the flag handler for SIGTERM/SIGINT (second one exits 130). */
void fr_sig_install_flag(void);

#endif
