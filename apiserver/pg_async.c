/*
 * Async libpq connection state machine (after pgbouncer's pgsocket.c): PQconnectStart/Poll,
 * then PQsendQueryParams -> PQflush -> PQconsumeInput/PQisBusy/PQgetResult, and PQnotifies.
 * Runs on: main thread only.
 */
#include "apiserver/pg_async.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "pg_async"

#define PG_ASYNC_BACKOFF_MIN_MS	   100
#define PG_ASYNC_BACKOFF_MAX_MS	   5000
#define PG_ASYNC_CONNECT_TIMEOUT_S 10

enum pg_async_state {
	PG_ASYNC_BACKOFF,    /* not connected; ev_timer starts the next attempt */
	PG_ASYNC_CONNECTING, /* PQconnectPoll in progress; ev_conn waits for the socket it asked for
			      */
	PG_ASYNC_IDLE,	     /* connected, no query in flight; ev_read listens for notifications */
	PG_ASYNC_SENDING,    /* the head query is sent but PQflush has more to write (ev_write) */
	PG_ASYNC_WAITING,    /* the head query is flushed; its result arrives through ev_read */
	PG_ASYNC_STOPPED,    /* pg_async_free() is tearing down; nothing new starts */
};

struct pg_async_query {
	struct pg_async_query *next;
	char *sql;
	int nparams;
	char **values;
	pg_async_result_cb cb;
	void *arg;
};

struct pg_async {
	struct event_base *base;
	char *conninfo;
	char *name;
	struct pg_async_callbacks cbs;
	enum pg_async_state state;
	PGconn *conn;
	struct event *ev_timer;
	struct event *ev_conn;
	struct event *ev_read;
	struct event *ev_write;
	int backoff_ms;
	struct pg_async_query *head, *tail;
	size_t queued;
	PGresult *result; /* first result of the head query, delivered when it completes */
	struct log_limit fail_limit;
};

static const char *const pg_async_state_names[] = {"backoff", "connecting", "idle",
						   "sending", "waiting",    "stopped"};

static void pg_async_connect_start(struct pg_async *pg);
static void pg_async_next(struct pg_async *pg);

static void
pg_async_set_state(struct pg_async *pg, enum pg_async_state state)
{
	log_debug("%s: %s -> %s", pg->name, pg_async_state_names[pg->state],
		  pg_async_state_names[state]);
	pg->state = state;
}

/* Copies the first line of libpq's error message into buf. */
static const char *
pg_async_error(const struct pg_async *pg, char *buf, size_t len)
{
	const char *msg = pg->conn ? PQerrorMessage(pg->conn) : "out of memory";

	snprintf(buf, len, "%s", msg[0] ? msg : "connection closed");
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void
pg_async_query_free(struct pg_async_query *q)
{
	for (int i = 0; i < q->nparams; i++)
		free(q->values[i]);
	free(q->values);
	free(q->sql);
	free(q);
}

static struct pg_async_query *
pg_async_pop(struct pg_async *pg)
{
	struct pg_async_query *q = pg->head;

	pg->head = q->next;
	if (pg->head == NULL)
		pg->tail = NULL;
	pg->queued--;
	return q;
}

/* Calls every queued query's callback with NULL; callbacks may queue again (and are refused). */
static void
pg_async_fail_queries(struct pg_async *pg)
{
	struct pg_async_query *q;

	if (pg->result != NULL) {
		PQclear(pg->result);
		pg->result = NULL;
	}
	while (pg->head != NULL) {
		q = pg_async_pop(pg);
		q->cb(NULL, q->arg);
		pg_async_query_free(q);
	}
}

/* event_free() does not accept NULL. */
static void
pg_async_event_free(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

static void
pg_async_close(struct pg_async *pg)
{
	pg_async_event_free(&pg->ev_conn);
	pg_async_event_free(&pg->ev_read);
	pg_async_event_free(&pg->ev_write);
	PQfinish(pg->conn);
	pg->conn = NULL;
}

static void
pg_async_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pg_async_connect_start(arg);
}

/* Drops the connection, fails its queries and schedules a reconnect with doubling back-off. */
static void
pg_async_broken(struct pg_async *pg, const char *what)
{
	struct timeval tv;
	bool was_up = pg->state >= PG_ASYNC_IDLE;
	char msg[256];

	log_limited(&pg->fail_limit, LOG_LEVEL_WARN, "%s: %s: %s; retrying in %d ms", pg->name,
		    what, pg_async_error(pg, msg, sizeof(msg)), pg->backoff_ms);
	pg_async_close(pg);
	pg_async_set_state(pg, PG_ASYNC_BACKOFF);
	tv.tv_sec = pg->backoff_ms / 1000;
	tv.tv_usec = (pg->backoff_ms % 1000) * 1000;
	evtimer_add(pg->ev_timer, &tv);
	pg->backoff_ms *= 2;
	if (pg->backoff_ms > PG_ASYNC_BACKOFF_MAX_MS)
		pg->backoff_ms = PG_ASYNC_BACKOFF_MAX_MS;
	pg_async_fail_queries(pg);
	if (was_up && pg->cbs.down != NULL)
		pg->cbs.down(pg, pg->cbs.arg);
}

static void pg_async_connect_io(evutil_socket_t fd, short what, void *arg);

/* Waits (with a timeout) for the socket direction PQconnectPoll asked for. */
static void
pg_async_connect_wait(struct pg_async *pg, PostgresPollingStatusType want)
{
	struct timeval tv = {PG_ASYNC_CONNECT_TIMEOUT_S, 0};

	pg_async_event_free(&pg->ev_conn);
	pg->ev_conn = event_new(pg->base, PQsocket(pg->conn),
				want == PGRES_POLLING_READING ? EV_READ : EV_WRITE,
				pg_async_connect_io, pg);
	event_add(pg->ev_conn, &tv);
}

static void pg_async_read_cb(evutil_socket_t fd, short what, void *arg);
static void pg_async_write_cb(evutil_socket_t fd, short what, void *arg);

static void
pg_async_connected(struct pg_async *pg)
{
	int fd = PQsocket(pg->conn);

	if (PQsetnonblocking(pg->conn, 1) != 0) {
		pg_async_broken(pg, "cannot make the connection non-blocking");
		return;
	}
	pg_async_event_free(&pg->ev_conn);
	pg->ev_read = event_new(pg->base, fd, EV_READ | EV_PERSIST, pg_async_read_cb, pg);
	pg->ev_write = event_new(pg->base, fd, EV_WRITE, pg_async_write_cb, pg);
	event_add(pg->ev_read, NULL);
	pg->backoff_ms = PG_ASYNC_BACKOFF_MIN_MS;
	pg->fail_limit.count = 0;
	pg_async_set_state(pg, PG_ASYNC_IDLE);
	log_info("%s: connected to database %s as %s", pg->name, PQdb(pg->conn), PQuser(pg->conn));
	if (pg->cbs.up != NULL)
		pg->cbs.up(pg, pg->cbs.arg);
	pg_async_next(pg);
}

static void
pg_async_connect_io(evutil_socket_t fd, short what, void *arg)
{
	struct pg_async *pg = arg;
	PostgresPollingStatusType st;

	(void)fd;
	if (what & EV_TIMEOUT) {
		pg_async_broken(pg, "connect timed out");
		return;
	}
	st = PQconnectPoll(pg->conn);
	switch (st) {
	case PGRES_POLLING_READING:
	case PGRES_POLLING_WRITING:
		pg_async_connect_wait(pg, st);
		break;
	case PGRES_POLLING_OK:
		pg_async_connected(pg);
		break;
	default:
		pg_async_broken(pg, "cannot connect");
		break;
	}
}

/* Server notices go to our log instead of libpq's default, a bare line on stderr. */
static void
pg_async_notice(void *arg, const char *message)
{
	struct pg_async *pg = arg;

	log_info("%s: server says: %.*s", pg->name, (int)strcspn(message, "\n"), message);
}

static void
pg_async_connect_start(struct pg_async *pg)
{
	pg->conn = PQconnectStart(pg->conninfo);
	pg_async_set_state(pg, PG_ASYNC_CONNECTING);
	if (pg->conn == NULL || PQstatus(pg->conn) == CONNECTION_BAD) {
		pg_async_broken(pg, "cannot start connecting");
		return;
	}
	PQsetNoticeProcessor(pg->conn, pg_async_notice, pg);
	/* libpq's documented first step: behave as if PQconnectPoll had said WRITING. */
	pg_async_connect_wait(pg, PGRES_POLLING_WRITING);
}

/* Pushes buffered query bytes; returns -1 when the connection broke (already handled). */
static int
pg_async_flush(struct pg_async *pg)
{
	switch (PQflush(pg->conn)) {
	case 0:
		pg_async_set_state(pg, PG_ASYNC_WAITING);
		return 0;
	case 1:
		pg_async_set_state(pg, PG_ASYNC_SENDING);
		event_add(pg->ev_write, NULL);
		return 0;
	default:
		pg_async_broken(pg, "cannot send query");
		return -1;
	}
}

/* Sends the head of the queue when the connection is idle. */
static void
pg_async_next(struct pg_async *pg)
{
	struct pg_async_query *q = pg->head;

	if (pg->state != PG_ASYNC_IDLE || q == NULL)
		return;
	if (PQsendQueryParams(pg->conn, q->sql, q->nparams, NULL, (const char *const *)q->values,
			      NULL, NULL, 0) == 0) {
		pg_async_broken(pg, "cannot send query");
		return;
	}
	(void)pg_async_flush(pg);
}

/* Collects results while libpq has them; at the end of the head query, delivers it. */
static void
pg_async_results(struct pg_async *pg)
{
	struct pg_async_query *q;
	PGresult *res;

	while (pg->state == PG_ASYNC_WAITING && !PQisBusy(pg->conn)) {
		res = PQgetResult(pg->conn);
		if (res != NULL) {
			if (pg->result == NULL)
				pg->result = res;
			else
				PQclear(res);
			continue;
		}
		q = pg_async_pop(pg);
		res = pg->result;
		pg->result = NULL;
		pg_async_set_state(pg, PG_ASYNC_IDLE);
		q->cb(res, q->arg);
		PQclear(res);
		pg_async_query_free(q);
		pg_async_next(pg);
	}
}

static void
pg_async_notifies(struct pg_async *pg)
{
	PGnotify *n;

	while (pg->conn != NULL && (n = PQnotifies(pg->conn)) != NULL) {
		if (pg->cbs.notify != NULL)
			pg->cbs.notify(n, pg->cbs.arg);
		PQfreemem(n);
	}
}

static void
pg_async_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pg_async *pg = arg;

	(void)fd;
	(void)what;
	if (PQconsumeInput(pg->conn) == 0) {
		pg_async_broken(pg, "connection lost");
		return;
	}
	if (pg->state == PG_ASYNC_SENDING && pg_async_flush(pg) != 0)
		return;
	pg_async_results(pg);
	pg_async_notifies(pg);
}

static void
pg_async_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pg_async *pg = arg;

	(void)fd;
	(void)what;
	if (pg->state == PG_ASYNC_SENDING && pg_async_flush(pg) == 0)
		pg_async_results(pg);
}

struct pg_async *
pg_async_new(struct event_base *base, const char *conninfo, const char *name,
	     const struct pg_async_callbacks *cbs)
{
	struct pg_async *pg = xcalloc(1, sizeof(*pg));

	pg->base = base;
	pg->conninfo = xstrdup(conninfo);
	pg->name = xstrdup(name);
	if (cbs != NULL)
		pg->cbs = *cbs;
	pg->backoff_ms = PG_ASYNC_BACKOFF_MIN_MS;
	pg->fail_limit.every = 60;
	pg->ev_timer = evtimer_new(base, pg_async_timer_cb, pg);
	pg->state = PG_ASYNC_BACKOFF;
	pg_async_connect_start(pg);
	return pg;
}

void
pg_async_free(struct pg_async *pg)
{
	if (pg == NULL)
		return;
	pg_async_set_state(pg, PG_ASYNC_STOPPED);
	pg_async_close(pg);
	pg_async_fail_queries(pg);
	pg_async_event_free(&pg->ev_timer);
	free(pg->conninfo);
	free(pg->name);
	free(pg);
}

bool
pg_async_is_up(const struct pg_async *pg)
{
	return pg->state == PG_ASYNC_IDLE || pg->state == PG_ASYNC_SENDING ||
	       pg->state == PG_ASYNC_WAITING;
}

int
pg_async_query(struct pg_async *pg, const char *sql, int nparams, const char *const *values,
	       pg_async_result_cb cb, void *arg)
{
	struct pg_async_query *q;

	if (!pg_async_is_up(pg) || pg->queued >= PG_ASYNC_MAX_QUEUED)
		return -1;
	q = xcalloc(1, sizeof(*q));
	q->sql = xstrdup(sql);
	q->nparams = nparams;
	q->values = xcalloc((size_t)(nparams > 0 ? nparams : 1), sizeof(char *));
	for (int i = 0; i < nparams; i++)
		q->values[i] = values[i] ? xstrdup(values[i]) : NULL;
	q->cb = cb;
	q->arg = arg;
	if (pg->tail != NULL)
		pg->tail->next = q;
	else
		pg->head = q;
	pg->tail = q;
	pg->queued++;
	pg_async_next(pg);
	return 0;
}
