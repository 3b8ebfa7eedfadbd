/*
 * History maintenance: calls perfwatch_maintain() (migrations/004_history.sql: rollups,
 * partitions ahead, retention) every minute on its own connection, sooner while it reports
 * more work. Runs on: main thread.
 */
#ifndef PERFWATCH_APISERVER_MAINTAIN_H
#define PERFWATCH_APISERVER_MAINTAIN_H

#include <event2/event.h>

struct maintain;

/* Connects to `conninfo` and schedules the first run a few seconds from now; free with
 * maintain_free(). */
struct maintain *maintain_new(struct event_base *base, const char *conninfo);
/* Cancels the timer and closes the connection. NULL is a no-op. */
void maintain_free(struct maintain *mt);

#endif
