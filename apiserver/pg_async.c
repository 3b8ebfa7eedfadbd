/*
 * Async libpq connections (after pgbouncer's pgsocket.c): each slot is a state machine
 * PQconnectStartParams/Poll, then PQsendQueryParams -> PQflush -> PQconsumeInput/PQisBusy/
 * PQgetResult, with PQnotifies; one FIFO of queries feeds the idle slots. Runs on: main thread.
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
	PG_ASYNC_CONNECTING, /* PQconnectPoll in progress; ev_conn waits for the socket direction */
	PG_ASYNC_IDLE,	     /* connected, no query in flight; ev_read listens for notifications */
	PG_ASYNC_SENDING,    /* `q` is sent but PQflush has more to write (ev_write) */
	PG_ASYNC_WAITING,    /* `q` is flushed; its result arrives through ev_read */
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

/* One connection. */
struct pg_async_slot {
	struct pg_async *pg;
	char name[64];
	enum pg_async_state state;
	PGconn *conn;
	struct event *ev_timer;
	struct event *ev_conn;
	struct event *ev_read;
	struct event *ev_write;
	int backoff_ms;
	struct pg_async_query *q; /* in flight (SENDING, WAITING), else NULL */
	PGresult *result;	  /* first result of q, delivered when q completes */
	struct log_limit fail_limit;
};

struct pg_async {
	struct event_base *base;
	char *conninfo;
	char *options;
	struct pg_async_callbacks cbs;
	struct pg_async_query *head, *tail; /* waiting for an idle slot */
	size_t queued;
	int nslots;
	struct pg_async_slot *slots;
};

static const char *const pg_async_state_names[] = {"backoff", "connecting", "idle",
						   "sending", "waiting",    "stopped"};

static void pg_async_connect_start(struct pg_async_slot *s);
static void pg_async_dispatch(struct pg_async *pg);

static void
pg_async_set_state(struct pg_async_slot *s, enum pg_async_state state)
{
	log_debug("%s: %s -> %s", s->name, pg_async_state_names[s->state],
		  pg_async_state_names[state]);
	s->state = state;
}

static bool
pg_async_slot_up(const struct pg_async_slot *s)
{
	return s->state == PG_ASYNC_IDLE || s->state == PG_ASYNC_SENDING ||
	       s->state == PG_ASYNC_WAITING;
}

/* Copies the first line of libpq's error message into buf. */
static const char *
pg_async_error(const struct pg_async_slot *s, char *buf, size_t len)
{
	const char *msg = s->conn ? PQerrorMessage(s->conn) : "out of memory";

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

/* Completes q with res (NULL: failed); the callback may queue more (dispatched by the caller). */
static void
pg_async_complete(struct pg_async_query *q, PGresult *res)
{
	q->cb(res, q->arg);
	PQclear(res);
	pg_async_query_free(q);
}

static struct pg_async_query *
pg_async_pop(struct pg_async *pg)
{
	struct pg_async_query *q = pg->head;

	pg->head = q->next;
	if (pg->head == NULL)
		pg->tail = NULL;
	pg->queued--;
	q->next = NULL;
	return q;
}

/* Fails every waiting query: called when no slot is up, so none would run soon. */
static void
pg_async_fail_waiting(struct pg_async *pg)
{
	while (pg->head != NULL)
		pg_async_complete(pg_async_pop(pg), NULL);
}

/* event_free() does not accept NULL. */
static void
pg_async_event_free(struct event **ev)
{
	if (*ev != NULL)
		event_free(*ev);
	*ev = NULL;
}

/* Closes the slot's connection and fails its in-flight query. */
static void
pg_async_close(struct pg_async_slot *s)
{
	struct pg_async_query *q = s->q;

	pg_async_event_free(&s->ev_conn);
	pg_async_event_free(&s->ev_read);
	pg_async_event_free(&s->ev_write);
	PQfinish(s->conn);
	s->conn = NULL;
	PQclear(s->result);
	s->result = NULL;
	s->q = NULL;
	if (q != NULL)
		pg_async_complete(q, NULL);
}

static void
pg_async_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pg_async_connect_start(arg);
}

/* Drops the slot's connection and schedules a reconnect with doubling back-off. */
static void
pg_async_broken(struct pg_async_slot *s, const char *what)
{
	struct pg_async *pg = s->pg;
	bool was_up = pg_async_slot_up(s);
	struct timeval tv;
	char msg[256];

	log_limited(&s->fail_limit, LOG_LEVEL_WARN, "%s: %s: %s; retrying in %d ms", s->name, what,
		    pg_async_error(s, msg, sizeof(msg)), s->backoff_ms);
	pg_async_set_state(s, PG_ASYNC_BACKOFF);
	tv.tv_sec = s->backoff_ms / 1000;
	tv.tv_usec = (s->backoff_ms % 1000) * 1000;
	evtimer_add(s->ev_timer, &tv);
	s->backoff_ms *= 2;
	if (s->backoff_ms > PG_ASYNC_BACKOFF_MAX_MS)
		s->backoff_ms = PG_ASYNC_BACKOFF_MAX_MS;
	pg_async_close(s);
	if (!pg_async_is_up(pg))
		pg_async_fail_waiting(pg);
	if (was_up && pg->cbs.down != NULL)
		pg->cbs.down(pg, pg->cbs.arg);
}

static void pg_async_connect_io(evutil_socket_t fd, short what, void *arg);

/* Waits (with a timeout) for the socket direction PQconnectPoll asked for. */
static void
pg_async_connect_wait(struct pg_async_slot *s, PostgresPollingStatusType want)
{
	struct timeval tv = {PG_ASYNC_CONNECT_TIMEOUT_S, 0};

	pg_async_event_free(&s->ev_conn);
	s->ev_conn = event_new(s->pg->base, PQsocket(s->conn),
			       want == PGRES_POLLING_READING ? EV_READ : EV_WRITE,
			       pg_async_connect_io, s);
	event_add(s->ev_conn, &tv);
}

static void pg_async_read_cb(evutil_socket_t fd, short what, void *arg);
static void pg_async_write_cb(evutil_socket_t fd, short what, void *arg);

static void
pg_async_connected(struct pg_async_slot *s)
{
	struct pg_async *pg = s->pg;
	int fd = PQsocket(s->conn);

	if (PQsetnonblocking(s->conn, 1) != 0) {
		pg_async_broken(s, "cannot make the connection non-blocking");
		return;
	}
	pg_async_event_free(&s->ev_conn);
	s->ev_read = event_new(pg->base, fd, EV_READ | EV_PERSIST, pg_async_read_cb, s);
	s->ev_write = event_new(pg->base, fd, EV_WRITE, pg_async_write_cb, s);
	event_add(s->ev_read, NULL);
	s->backoff_ms = PG_ASYNC_BACKOFF_MIN_MS;
	s->fail_limit.count = 0;
	pg_async_set_state(s, PG_ASYNC_IDLE);
	log_info("%s: connected to database %s as %s", s->name, PQdb(s->conn), PQuser(s->conn));
	if (pg->cbs.up != NULL)
		pg->cbs.up(pg, pg->cbs.arg);
	pg_async_dispatch(pg);
}

static void
pg_async_connect_io(evutil_socket_t fd, short what, void *arg)
{
	struct pg_async_slot *s = arg;
	PostgresPollingStatusType st;

	(void)fd;
	if (what & EV_TIMEOUT) {
		pg_async_broken(s, "connect timed out");
		return;
	}
	st = PQconnectPoll(s->conn);
	switch (st) {
	case PGRES_POLLING_READING:
	case PGRES_POLLING_WRITING:
		pg_async_connect_wait(s, st);
		break;
	case PGRES_POLLING_OK:
		pg_async_connected(s);
		break;
	default:
		pg_async_broken(s, "cannot connect");
		break;
	}
}

/* Server notices go to our log instead of libpq's default, a bare line on stderr. */
static void
pg_async_notice(void *arg, const char *message)
{
	struct pg_async_slot *s = arg;

	log_info("%s: server says: %.*s", s->name, (int)strcspn(message, "\n"), message);
}

static void
pg_async_connect_start(struct pg_async_slot *s)
{
	/* expand_dbname: conninfo may be a full connection string; options is added to it. */
	const char *const keys[] = {"dbname", "options", NULL};
	const char *const values[] = {s->pg->conninfo, s->pg->options, NULL};

	s->conn = PQconnectStartParams(keys, values, 1);
	pg_async_set_state(s, PG_ASYNC_CONNECTING);
	if (s->conn == NULL || PQstatus(s->conn) == CONNECTION_BAD) {
		pg_async_broken(s, "cannot start connecting");
		return;
	}
	PQsetNoticeProcessor(s->conn, pg_async_notice, s);
	/* libpq's documented first step: behave as if PQconnectPoll had said WRITING. */
	pg_async_connect_wait(s, PGRES_POLLING_WRITING);
}

/* Pushes buffered query bytes; returns -1 when the connection broke (already handled). */
static int
pg_async_flush(struct pg_async_slot *s)
{
	switch (PQflush(s->conn)) {
	case 0:
		pg_async_set_state(s, PG_ASYNC_WAITING);
		return 0;
	case 1:
		pg_async_set_state(s, PG_ASYNC_SENDING);
		event_add(s->ev_write, NULL);
		return 0;
	default:
		pg_async_broken(s, "cannot send query");
		return -1;
	}
}

/* Sends q on the idle slot s (which takes it). */
static void
pg_async_send(struct pg_async_slot *s, struct pg_async_query *q)
{
	s->q = q;
	if (PQsendQueryParams(s->conn, q->sql, q->nparams, NULL, (const char *const *)q->values,
			      NULL, NULL, 0) == 0) {
		pg_async_broken(s, "cannot send query");
		return;
	}
	(void)pg_async_flush(s);
}

/* Hands waiting queries to idle slots, in order. */
static void
pg_async_dispatch(struct pg_async *pg)
{
	for (int i = 0; i < pg->nslots && pg->head != NULL; i++) {
		if (pg->slots[i].state == PG_ASYNC_IDLE)
			pg_async_send(&pg->slots[i], pg_async_pop(pg));
	}
}

/* Collects results while libpq has them; at the end of q, delivers it and takes the next. */
static void
pg_async_results(struct pg_async_slot *s)
{
	struct pg_async_query *q;
	PGresult *res;

	while (s->state == PG_ASYNC_WAITING && !PQisBusy(s->conn)) {
		res = PQgetResult(s->conn);
		if (res != NULL) {
			if (s->result == NULL)
				s->result = res;
			else
				PQclear(res);
			continue;
		}
		q = s->q;
		res = s->result;
		s->q = NULL;
		s->result = NULL;
		pg_async_set_state(s, PG_ASYNC_IDLE);
		pg_async_complete(q, res);
		pg_async_dispatch(s->pg);
	}
}

static void
pg_async_notifies(struct pg_async_slot *s)
{
	struct pg_async *pg = s->pg;
	PGnotify *n;

	while (s->conn != NULL && (n = PQnotifies(s->conn)) != NULL) {
		if (pg->cbs.notify != NULL)
			pg->cbs.notify(n, pg->cbs.arg);
		PQfreemem(n);
	}
}

static void
pg_async_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pg_async_slot *s = arg;

	(void)fd;
	(void)what;
	if (PQconsumeInput(s->conn) == 0) {
		pg_async_broken(s, "connection lost");
		return;
	}
	if (s->state == PG_ASYNC_SENDING && pg_async_flush(s) != 0)
		return;
	pg_async_results(s);
	pg_async_notifies(s);
}

static void
pg_async_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pg_async_slot *s = arg;

	(void)fd;
	(void)what;
	if (s->state == PG_ASYNC_SENDING && pg_async_flush(s) == 0)
		pg_async_results(s);
}

struct pg_async *
pg_async_new(struct event_base *base, const char *conninfo, const char *name, int nconns,
	     const char *options, const struct pg_async_callbacks *cbs)
{
	struct pg_async *pg = xcalloc(1, sizeof(*pg));
	struct pg_async_slot *s;

	pg->base = base;
	pg->conninfo = xstrdup(conninfo);
	pg->options = options ? xstrdup(options) : NULL;
	if (cbs != NULL)
		pg->cbs = *cbs;
	pg->nslots = nconns > 0 ? nconns : 1;
	pg->slots = xcalloc((size_t)pg->nslots, sizeof(*pg->slots));
	for (int i = 0; i < pg->nslots; i++) {
		s = &pg->slots[i];
		s->pg = pg;
		if (pg->nslots > 1)
			snprintf(s->name, sizeof(s->name), "%s#%d", name, i + 1);
		else
			snprintf(s->name, sizeof(s->name), "%s", name);
		s->backoff_ms = PG_ASYNC_BACKOFF_MIN_MS;
		s->fail_limit.every = 60;
		s->ev_timer = evtimer_new(base, pg_async_timer_cb, s);
		s->state = PG_ASYNC_BACKOFF;
	}
	/* Start only once every slot exists: a failing start looks at all of them. */
	for (int i = 0; i < pg->nslots; i++)
		pg_async_connect_start(&pg->slots[i]);
	return pg;
}

void
pg_async_free(struct pg_async *pg)
{
	struct pg_async_slot *s;

	if (pg == NULL)
		return;
	for (int i = 0; i < pg->nslots; i++)
		pg_async_set_state(&pg->slots[i], PG_ASYNC_STOPPED);
	for (int i = 0; i < pg->nslots; i++) {
		s = &pg->slots[i];
		pg_async_close(s);
		pg_async_event_free(&s->ev_timer);
	}
	pg_async_fail_waiting(pg);
	free(pg->slots);
	free(pg->conninfo);
	free(pg->options);
	free(pg);
}

bool
pg_async_is_up(const struct pg_async *pg)
{
	for (int i = 0; i < pg->nslots; i++) {
		if (pg_async_slot_up(&pg->slots[i]))
			return true;
	}
	return false;
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
	pg_async_dispatch(pg);
	return 0;
}
