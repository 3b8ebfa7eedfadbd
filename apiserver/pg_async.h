/*
 * PostgreSQL connections driven by the libevent loop without ever blocking it: each connects
 * and reconnects with back-off; queued queries go to whichever connection is idle; notifications
 * are delivered. Every function runs on the main (libevent) thread.
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
/*
 * One connection is established (again). With a single connection, a query queued here is the
 * next one it runs (LISTEN after a reconnect); with several, per-session settings belong in
 * pg_async_new()'s `options` instead.
 */
typedef void (*pg_async_up_cb)(struct pg_async *pg, void *arg);
/* One connection was lost; its reconnect is scheduled. */
typedef void (*pg_async_down_cb)(struct pg_async *pg, void *arg);
/* A notification arrived; pg_async frees it after the call. */
typedef void (*pg_async_notify_cb)(const PGnotify *n, void *arg);

struct pg_async_callbacks {
	pg_async_up_cb up;
	pg_async_down_cb down;
	pg_async_notify_cb notify;
	void *arg;
};

/* Most queries waiting for an idle connection; pg_async_query() refuses more. */
#define PG_ASYNC_MAX_QUEUED 64

/*
 * Opens `nconns` (>= 1) connections to `conninfo` (copied), each with the server `options`
 * (e.g. "-c statement_timeout=10s", copied; NULL for none) added; `name` labels log lines.
 * Returns the handle (free with pg_async_free()); cbs and its members may be NULL.
 */
struct pg_async *pg_async_new(struct event_base *base, const char *conninfo, const char *name,
			      int nconns, const char *options,
			      const struct pg_async_callbacks *cbs);
/* Closes every connection and calls each pending query's callback with NULL. NULL is a no-op. */
void pg_async_free(struct pg_async *pg);
/* Returns true while at least one connection is established. */
bool pg_async_is_up(const struct pg_async *pg);
/*
 * Queues a parameterised query (sql and values are copied; a NULL value is SQL NULL) for the
 * next idle connection; cb runs exactly once when it completes or fails. Returns 0, or -1 when
 * no connection is up or the queue is full (cb is then not called).
 */
MUST_CHECK int pg_async_query(struct pg_async *pg, const char *sql, int nparams,
			      const char *const *values, pg_async_result_cb cb, void *arg);

#endif
