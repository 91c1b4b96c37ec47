/*
 * dlq — `freshetctl dlq list|retry|purge`: dead letters live in two places, and every
 * action says which one it touches. Redis keeps the dead-letter list (malformed queue
 * items and items that failed for good, as JSON entries); PostgreSQL keeps the rows
 * with status = 'failed' and their last_error. dlq.c dispatches and lists, dlq_retry.c
 * and dlq_purge.c change them.
 */
#ifndef CTL_DLQ_H
#define CTL_DLQ_H

/* When a failed row was last put to work: the schema keeps no failure time, and a row
 * fails while (or soon after) it is queued. */
#define DLQ_ROW_TIME "coalesce(queued_at, discovered_at)"

int dlq_list(int argc, char **argv);
int dlq_retry(int argc, char **argv);
int dlq_purge(int argc, char **argv);

#endif
