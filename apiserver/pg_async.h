/*
 * One PostgreSQL connection driven by the libevent loop without ever blocking it: connects and
 * reconnects with back-off, sends queued queries one at a time, and delivers notifications.
 * Every function runs on the main (libevent) thread.
 */
#ifndef PERFWATCH_APISERVER_PG_ASYNC_H
#define PERFWATCH_APISERVER_PG_ASYNC_H

#include <stdbool.h>

#include <event2/event.h>
#include <libpq-fe.h>

#include "common/compat.h"

struct pg_async;

/* A query's outcome: res is NULL when the connection failed first; pg_async clears res after. */
typedef void (*pg_async_result_cb)(const PGresult *res, void *arg);
/* Connected (again): the place to queue LISTEN or SET statements. */
typedef void (*pg_async_up_cb)(struct pg_async *pg, void *arg);
/* Connection lost; a reconnect is scheduled. */
typedef void (*pg_async_down_cb)(struct pg_async *pg, void *arg);
/* A notification arrived; pg_async frees it after the call. */
typedef void (*pg_async_notify_cb)(const PGnotify *n, void *arg);

struct pg_async_callbacks {
	pg_async_up_cb up;
	pg_async_down_cb down;
	pg_async_notify_cb notify;
	void *arg;
};

/* Most queries waiting on one connection; pg_async_query() refuses more. */
#define PG_ASYNC_MAX_QUEUED 64

/*
 * Starts connecting to `conninfo` on `base` (copied); `name` labels log lines (copied).
 * Returns the connection (free with pg_async_free()); callbacks may be NULL.
 */
struct pg_async *pg_async_new(struct event_base *base, const char *conninfo, const char *name,
			      const struct pg_async_callbacks *cbs);
/* Closes the connection and calls every pending query's callback with NULL. NULL is a no-op. */
void pg_async_free(struct pg_async *pg);
/* Returns true while the connection is established. */
bool pg_async_is_up(const struct pg_async *pg);
/*
 * Queues a parameterised query (sql and values are copied; a NULL value is SQL NULL); cb runs
 * exactly once when it completes or fails. Returns 0, or -1 when down or the queue is full
 * (cb is then not called).
 */
MUST_CHECK int pg_async_query(struct pg_async *pg, const char *sql, int nparams,
			      const char *const *values, pg_async_result_cb cb, void *arg);

#endif
