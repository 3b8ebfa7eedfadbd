/*
 * PostgreSQL sink state machine. Connecting uses PQconnectStartParams/PQconnectPoll with a
 * per-call time budget so the tick loop keeps sampling while a database is slow or away;
 * once connected, frames go out with a prepared `SELECT perfwatch_ingest($1)`.
 */
#include "collector/sink_pg.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "collector/backlog.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/schema.h"
#include "common/xalloc.h"

#define LOG_TAG "sink_pg"

#define SINK_PG_NS		   1000000000ull
#define SINK_PG_BACKOFF_MIN_NS	   (1 * SINK_PG_NS)
#define SINK_PG_BACKOFF_MAX_NS	   (30 * SINK_PG_NS)
#define SINK_PG_CONNECT_TIMEOUT_NS (10 * SINK_PG_NS)
#define SINK_PG_PARTITIONS_NS	   (3600 * SINK_PG_NS)
#define SINK_PG_ANSWER_TIMEOUT_NS  (60 * SINK_PG_NS)
#define SINK_PG_STMT		   "perfwatch_ingest"

enum sink_pg_state {
	SINK_PG_IDLE,	    /* no connection; the next attempt is due at retry_at_ns */
	SINK_PG_CONNECTING, /* PQconnectStartParams done; PQconnectPoll is driven by service */
	SINK_PG_READY,	    /* connected, schema checked, ingest statement prepared, idle */
	SINK_PG_BUSY,	    /* the oldest queued frame was sent; its result has not arrived */
};

struct sink_pg {
	char *conninfo;
	enum sink_pg_state state;
	PGconn *conn;
	PostgresPollingStatusType poll; /* what PQconnectPoll last asked to wait for */
	uint64_t connect_started_ns;
	uint64_t sent_ns; /* when the frame in flight was sent */
	uint64_t retry_at_ns;
	uint64_t backoff_ns;
	uint64_t partitions_at_ns; /* when perfwatch_ensure_partitions is due again */
	bool fatal;
	struct backlog *backlog;
	struct sink_pg_stats stats;
	struct log_limit connect_limit;
	struct log_limit reject_limit;
	struct log_limit drop_limit;
};

struct sink_pg *
sink_pg_new(const char *conninfo, size_t max_frames, size_t max_bytes)
{
	struct sink_pg *s = xcalloc(1, sizeof(*s));

	s->conninfo = xstrdup(conninfo);
	s->state = SINK_PG_IDLE;
	s->backoff_ns = SINK_PG_BACKOFF_MIN_NS;
	s->backlog = backlog_new(max_frames, max_bytes);
	s->connect_limit = (struct log_limit)LOG_LIMIT_INIT(10);
	s->reject_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	s->drop_limit = (struct log_limit)LOG_LIMIT_INIT(600);
	return s;
}

static void
sink_pg_set_state(struct sink_pg *s, enum sink_pg_state state)
{
	log_debug("state %d -> %d", (int)s->state, (int)state);
	s->state = state;
}

/* Returns the first line of the connection's error message (in libpq's buffer). */
static const char *
sink_pg_error(PGconn *conn)
{
	static char line[256];
	const char *msg = conn != NULL ? PQerrorMessage(conn) : "out of memory";
	size_t n = strcspn(msg, "\n");

	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, msg, n);
	line[n] = '\0';
	return line;
}

/* Drops the connection and schedules the next attempt with exponential back-off. */
static void
sink_pg_disconnect(struct sink_pg *s, const char *why)
{
	uint64_t now = clock_mono_ns();

	log_limited(&s->connect_limit, LOG_LEVEL_WARN,
		    "database unavailable (%s); retrying in %.0f s, %zu frames queued", why,
		    (double)s->backoff_ns / 1e9, backlog_count(s->backlog));
	PQfinish(s->conn);
	s->conn = NULL;
	s->retry_at_ns = now + s->backoff_ns;
	s->backoff_ns *= 2;
	if (s->backoff_ns > SINK_PG_BACKOFF_MAX_NS)
		s->backoff_ns = SINK_PG_BACKOFF_MAX_NS;
	sink_pg_set_state(s, SINK_PG_IDLE);
}

static void
sink_pg_start(struct sink_pg *s)
{
	/* Defaults first: with expand_dbname the user's conninfo, later in the list, wins. */
	static const char *const keys[] = {"application_name",
					   "client_encoding",
					   "keepalives",
					   "keepalives_idle",
					   "keepalives_interval",
					   "keepalives_count",
					   "tcp_user_timeout",
					   "dbname",
					   NULL};
	const char *values[] = {"perfwatch-collector", "UTF8", "1", "10", "5", "3", "15000",
				s->conninfo,	       NULL};

	s->conn = PQconnectStartParams(keys, values, 1);
	s->connect_started_ns = clock_mono_ns();
	s->poll = PGRES_POLLING_WRITING;
	if (s->conn == NULL || PQstatus(s->conn) == CONNECTION_BAD) {
		sink_pg_disconnect(s, sink_pg_error(s->conn));
		return;
	}
	sink_pg_set_state(s, SINK_PG_CONNECTING);
}

/* Runs `SELECT perfwatch_ensure_partitions(2)`; a failure is logged and retried next hour. */
static void
sink_pg_ensure_partitions(struct sink_pg *s)
{
	PGresult *res = PQexec(s->conn, "SELECT perfwatch_ensure_partitions(2)");

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		log_error("perfwatch_ensure_partitions(2) failed: %s", sink_pg_error(s->conn));
	PQclear(res);
	s->partitions_at_ns = clock_mono_ns() + SINK_PG_PARTITIONS_NS;
}

/* Checks the schema and prepares the ingest statement; returns 0, or -1 (fatal set if behind). */
static int
sink_pg_on_connected(struct sink_pg *s)
{
	char err[512];
	PGresult *res;

	if (schema_check(s->conn, err, sizeof(err)) != 0) {
		log_error("%s", err);
		s->fatal = true;
		return -1;
	}
	sink_pg_ensure_partitions(s);
	res = PQprepare(s->conn, SINK_PG_STMT, "SELECT perfwatch_ingest($1)", 1, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		sink_pg_disconnect(s, sink_pg_error(s->conn));
		return -1;
	}
	PQclear(res);
	/* Sending and waiting never block the tick loop; PQexec above and hourly still block. */
	if (PQsetnonblocking(s->conn, 1) != 0) {
		sink_pg_disconnect(s, sink_pg_error(s->conn));
		return -1;
	}
	s->backoff_ns = SINK_PG_BACKOFF_MIN_NS;
	s->connect_limit.count = 0;
	s->stats.connects++;
	log_info("connected to database %s on %s (server %d), %zu frames queued", PQdb(s->conn),
		 PQhost(s->conn), PQserverVersion(s->conn), backlog_count(s->backlog));
	sink_pg_set_state(s, SINK_PG_READY);
	return 0;
}

/* Waits (poll) for `events` on the connection's socket until the deadline; true when ready. */
static bool
sink_pg_wait_socket(struct sink_pg *s, short events, uint64_t deadline_ns)
{
	struct pollfd pfd = {PQsocket(s->conn), events, 0};
	uint64_t now = clock_mono_ns();
	int timeout_ms = now < deadline_ns ? (int)((deadline_ns - now + 999999) / 1000000) : 0;
	int n;

	do {
		n = poll(&pfd, 1, timeout_ms);
	} while (n < 0 && errno == EINTR && clock_mono_ns() < deadline_ns);
	return n > 0;
}

/* Drives a connection attempt until it completes, fails or the deadline passes. */
static void
sink_pg_connecting(struct sink_pg *s, uint64_t deadline_ns)
{
	for (;;) {
		if (clock_mono_ns() - s->connect_started_ns > SINK_PG_CONNECT_TIMEOUT_NS) {
			sink_pg_disconnect(s, "connection attempt timed out after 10 s");
			return;
		}
		if (!sink_pg_wait_socket(s, s->poll == PGRES_POLLING_READING ? POLLIN : POLLOUT,
					 deadline_ns))
			return;
		s->poll = PQconnectPoll(s->conn);
		if (s->poll == PGRES_POLLING_OK) {
			(void)sink_pg_on_connected(s);
			return;
		}
		if (s->poll == PGRES_POLLING_FAILED) {
			sink_pg_disconnect(s, sink_pg_error(s->conn));
			return;
		}
	}
}

/* True for errors that say "try again later" rather than "this frame is bad". */
static bool
sink_pg_transient(const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (state == NULL)
		return true;
	/* 08 connection, 40 rollback (serialization/deadlock), 53 resources, 57 operator. */
	return strncmp(state, "08", 2) == 0 || strncmp(state, "40", 2) == 0 ||
	       strncmp(state, "53", 2) == 0 || strncmp(state, "57", 2) == 0;
}

/* Sends the oldest queued frame without waiting for the answer. */
static int
sink_pg_send(struct sink_pg *s)
{
	size_t len;
	const char *text = backlog_peek(s->backlog, &len);

	if (PQsendQueryPrepared(s->conn, SINK_PG_STMT, 1, &text, NULL, NULL, 0) == 0) {
		sink_pg_disconnect(s, sink_pg_error(s->conn));
		return -1;
	}
	s->sent_ns = clock_mono_ns();
	sink_pg_set_state(s, SINK_PG_BUSY);
	return 0;
}

/* Acts on the frame's result; returns 0 when it left the queue, -1 to stop for now. */
static int
sink_pg_on_result(struct sink_pg *s, PGresult *res)
{
	size_t len;
	const char *text = backlog_peek(s->backlog, &len);

	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		backlog_pop(s->backlog);
		s->stats.written++;
		return 0;
	}
	if (PQstatus(s->conn) == CONNECTION_BAD) {
		sink_pg_disconnect(s, sink_pg_error(s->conn));
		return -1;
	}
	if (sink_pg_transient(res)) {
		log_limited(&s->reject_limit, LOG_LEVEL_WARN, "ingest failed, will retry: %s",
			    sink_pg_error(s->conn));
		return -1;
	}
	log_limited(&s->reject_limit, LOG_LEVEL_ERROR, "database rejected a frame (%s): %.200s",
		    sink_pg_error(s->conn), text);
	backlog_pop(s->backlog);
	s->stats.rejected++;
	return 0;
}

/*
 * Waits until the deadline for the result of the frame in flight; returns 1 when it was handled
 * and the next frame may go, 0 when the deadline passed first (still BUSY), -1 to stop for now.
 */
static int
sink_pg_await(struct sink_pg *s, uint64_t deadline_ns)
{
	PGresult *res, *extra;
	int flush, rc;

	for (;;) {
		flush = PQflush(s->conn);
		if (flush < 0 || PQconsumeInput(s->conn) == 0) {
			sink_pg_disconnect(s, sink_pg_error(s->conn));
			return -1;
		}
		if (flush == 0 && !PQisBusy(s->conn))
			break;
		if (clock_mono_ns() - s->sent_ns > SINK_PG_ANSWER_TIMEOUT_NS) {
			/* The frame stays queued; if it was in fact stored, it is stored twice. */
			sink_pg_disconnect(s, "no answer to perfwatch_ingest for 60 s");
			return -1;
		}
		if (!sink_pg_wait_socket(s, flush ? POLLIN | POLLOUT : POLLIN, deadline_ns))
			return 0;
	}
	res = PQgetResult(s->conn);
	while ((extra = PQgetResult(s->conn)) != NULL)
		PQclear(extra);
	sink_pg_set_state(s, SINK_PG_READY);
	rc = sink_pg_on_result(s, res);
	PQclear(res);
	return rc == 0 ? 1 : -1;
}

/* Writes queued frames oldest first until the queue is empty, an error, or the deadline. */
static void
sink_pg_drain(struct sink_pg *s, uint64_t deadline_ns)
{
	for (;;) {
		if (s->state == SINK_PG_READY) {
			if (backlog_count(s->backlog) == 0 || sink_pg_send(s) != 0)
				return;
		}
		if (sink_pg_await(s, deadline_ns) != 1)
			return;
		if (clock_mono_ns() >= deadline_ns)
			return;
	}
}

int
sink_pg_service(struct sink_pg *s, uint64_t deadline_ns)
{
	if (s->state == SINK_PG_IDLE && clock_mono_ns() >= s->retry_at_ns)
		sink_pg_start(s);
	if (s->state == SINK_PG_CONNECTING)
		sink_pg_connecting(s, deadline_ns);
	if (s->fatal)
		return -1;
	if (s->state == SINK_PG_READY && clock_mono_ns() >= s->partitions_at_ns)
		sink_pg_ensure_partitions(s);
	if (s->state == SINK_PG_READY || s->state == SINK_PG_BUSY)
		sink_pg_drain(s, deadline_ns);
	return 0;
}

int
sink_pg_push(struct sink_pg *s, const char *text, size_t len, uint64_t deadline_ns)
{
	uint64_t dropped = backlog_dropped(s->backlog);

	if (backlog_push(s->backlog, text, len) != 0)
		log_limited(&s->drop_limit, LOG_LEVEL_ERROR,
			    "a %zu-byte frame is larger than the whole backlog: not written", len);
	if (backlog_dropped(s->backlog) > dropped)
		log_limited(&s->drop_limit, LOG_LEVEL_WARN,
			    "backlog full: dropped the oldest frame, %llu dropped so far",
			    (unsigned long long)backlog_dropped(s->backlog));
	return sink_pg_service(s, deadline_ns);
}

void
sink_pg_stats(const struct sink_pg *s, struct sink_pg_stats *out)
{
	*out = s->stats;
	out->dropped = backlog_dropped(s->backlog);
	out->pending = backlog_count(s->backlog);
}

void
sink_pg_free(struct sink_pg *s)
{
	if (s == NULL)
		return;
	PQfinish(s->conn);
	backlog_free(s->backlog);
	free(s->conninfo);
	free(s);
}
