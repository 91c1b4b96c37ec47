/*
 * progress — feedback during a long intake. On a terminal a bar with the rate and an
 * ETA is redrawn in place; in a pipe or a log (cron, CI) redrawing would only pile up
 * carriage returns, so a plain line is written every 10,000 ids or 5 seconds instead.
 * Everything goes to stderr, leaving stdout for the summary.
 */
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "ctl/ctl.h"

#define PLAIN_EVERY_IDS 10000
#define PLAIN_EVERY_MS 5000
#define BAR_EVERY_MS 100
#define BAR_WIDTH 24

void ctl_progress_init(struct ctl_progress *p, const char *what, const char *unit)
{
    memset(p, 0, sizeof(*p));
    p->what = what;
    p->unit = unit;
    p->out = stderr;
    p->tty = isatty(fileno(stderr));
    p->start_ms = p->last_ms = fr_mono_ms();
}

static double rate_of(const struct ctl_progress *p, uint64_t done, int64_t now)
{
    int64_t ms = now - p->start_ms;

    return ms > 0 ? (double)done * 1000.0 / (double)ms : 0.0;
}

static void draw_bar(struct ctl_progress *p, uint64_t done, double frac, int64_t now)
{
    char bar[BAR_WIDTH + 1], eta[32] = "?";
    double rate = rate_of(p, done, now), elapsed = (double)(now - p->start_ms) / 1000.0;

    if (frac >= 0) {
        int fill = (int)(frac * BAR_WIDTH + 0.5);
        for (int i = 0; i < BAR_WIDTH; i++)
            bar[i] = i < fill ? '#' : '-';
        bar[BAR_WIDTH] = '\0';
        if (frac > 0.001)
            ctl_fmt_age(elapsed * (1.0 - frac) / frac, eta, sizeof(eta));
        fprintf(p->out, "\r\033[K%s [%s] %3d%%  %llu %s  %.0f/s  ETA %s", p->what, bar,
                (int)(frac * 100), (unsigned long long)done, p->unit, rate, eta);
    } else {
        fprintf(p->out, "\r\033[K%s: %llu %s  %.0f/s", p->what, (unsigned long long)done,
                p->unit, rate);
    }
    fflush(p->out);
    p->drawn = 1;
}

void ctl_progress_tick(struct ctl_progress *p, uint64_t done, double frac, const char *detail)
{
    int64_t now = fr_mono_ms();

    if (p->tty) {
        if (now - p->last_ms >= BAR_EVERY_MS) {
            draw_bar(p, done, frac, now);
            p->last_ms = now;
        }
        return;
    }
    if (done - p->last_count < PLAIN_EVERY_IDS && now - p->last_ms < PLAIN_EVERY_MS)
        return;
    fprintf(p->out, "%s: progress: %llu %s%s (%.0f %s/s)\n", p->what, (unsigned long long)done,
            p->unit, detail, rate_of(p, done, now), p->unit);
    fflush(p->out);
    p->last_ms = now;
    p->last_count = done - done % PLAIN_EVERY_IDS;
}

void ctl_progress_end(struct ctl_progress *p)
{
    if (p->tty && p->drawn) {
        fputc('\n', p->out);
        p->drawn = 0;
    }
}
