/*
 * PostgreSQL sink state machine. Connecting uses PQconnectStartParams/PQconnectPoll with a
 * per-call time budget so the tick loop keeps sampling while a database is slow or away;
 * once connected, frames go out with a prepared `SELECT perfwatch_ingest($1)`. The queue is the
 * memory backlog followed by the spool: the backlog only takes a frame when the spool is empty,
 * so the two never hold frames at once except after a spool write error.
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

/* Where the frame in flight is queued: it leaves that queue when its ingest committed. */
enum sink_pg_flight {
	SINK_PG_FLIGHT_NONE,
	SINK_PG_FLIGHT_BACKLOG, /* the backlog's oldest frame */
	SINK_PG_FLIGHT_SPOOL,	/* the spool record flight_token */
};

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
	struct spool *spool; /* NULL: frames wait in the backlog only */
	enum sink_pg_flight flight;
	uint64_t flight_token;
	double replay_rate;	    /* spooled frames per second */
	double replay_budget;	    /* spooled frames that may be sent now */
	uint64_t replay_at_ns;	    /* when replay_budget was last topped up */
	bool spooling;		    /* frames are going to the spool (logged once per episode) */
	uint64_t backfill_start_ns; /* first backfilled frame sent in this episode; 0 = none */
	uint64_t backfill_count;
	struct sink_pg_stats stats;
	struct log_limit connect_limit;
	struct log_limit reject_limit;
	struct log_limit drop_limit;
	struct log_limit spool_limit;
};

struct sink_pg *
sink_pg_new(const char *conninfo, size_t max_frames, size_t max_bytes, struct spool *spool,
	    double replay_rate)
{
	struct sink_pg *s = xcalloc(1, sizeof(*s));

	s->conninfo = xstrdup(conninfo);
	s->state = SINK_PG_IDLE;
	s->backoff_ns = SINK_PG_BACKOFF_MIN_NS;
	s->backlog = backlog_new(max_frames, max_bytes);
	s->spool = spool;
	/* Frames left by a previous run: this is the same spooling episode, already logged. */
	s->spooling = spool != NULL && spool_pending(spool) > 0;
	s->replay_rate = replay_rate;
	s->connect_limit = (struct log_limit)LOG_LIMIT_INIT(10);
	s->reject_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	s->drop_limit = (struct log_limit)LOG_LIMIT_INIT(600);
	s->spool_limit = (struct log_limit)LOG_LIMIT_INIT(60);
	return s;
}

/* Frames waiting to be written: in memory and in the spool. */
static uint64_t
sink_pg_queued(const struct sink_pg *s)
{
	return backlog_count(s->backlog) + (s->spool != NULL ? spool_pending(s->spool) : 0);
}

static bool
sink_pg_connected(const struct sink_pg *s)
{
	return s->state == SINK_PG_READY || s->state == SINK_PG_BUSY;
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
		    "database unavailable (%s); retrying in %.0f s, %llu frames queued", why,
		    (double)s->backoff_ns / 1e9, (unsigned long long)sink_pg_queued(s));
	PQfinish(s->conn);
	s->conn = NULL;
	s->flight = SINK_PG_FLIGHT_NONE;
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
	log_info("connected to database %s on %s (server %d), %llu frames queued", PQdb(s->conn),
		 PQhost(s->conn), PQserverVersion(s->conn), (unsigned long long)sink_pg_queued(s));
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

/* Tops the replay budget up by replay_rate per second elapsed, to at most one second's worth. */
static void
sink_pg_refill(struct sink_pg *s)
{
	uint64_t now = clock_mono_ns();

	s->replay_budget += s->replay_rate * (double)(now - s->replay_at_ns) / 1e9;
	if (s->replay_budget > s->replay_rate)
		s->replay_budget = s->replay_rate;
	s->replay_at_ns = now;
}

/*
 * Sends the oldest queued frame (the backlog's, else the spool's while the replay budget lasts)
 * without waiting for the answer; returns 1 when sent, 0 when nothing may go now, -1 on error.
 */
static int
sink_pg_send(struct sink_pg *s)
{
	size_t len;
	const char *text = NULL;

	if (backlog_count(s->backlog) > 0) {
		text = backlog_peek(s->backlog, &len);
		s->flight = SINK_PG_FLIGHT_BACKLOG;
	} else if (s->spool != NULL && spool_pending(s->spool) > 0 && s->replay_budget >= 1) {
		text = spool_peek(s->spool, &len, &s->flight_token);
		s->flight = SINK_PG_FLIGHT_SPOOL;
		s->replay_budget -= 1;
		if (text != NULL && s->backfill_start_ns == 0)
			s->backfill_start_ns = clock_mono_ns();
	}
	if (text == NULL)
		return 0;
	if (PQsendQueryPrepared(s->conn, SINK_PG_STMT, 1, &text, NULL, NULL, 0) == 0) {
		sink_pg_disconnect(s, sink_pg_error(s->conn));
		return -1;
	}
	s->sent_ns = clock_mono_ns();
	sink_pg_set_state(s, SINK_PG_BUSY);
	return 1;
}

/* The text of the frame in flight, or NULL when it is no longer queued (dropped by the bound). */
static const char *
sink_pg_flight_text(struct sink_pg *s)
{
	size_t len;
	uint64_t token;
	const char *text;

	if (s->flight == SINK_PG_FLIGHT_BACKLOG)
		return backlog_peek(s->backlog, &len);
	if (s->flight != SINK_PG_FLIGHT_SPOOL)
		return NULL;
	text = spool_peek(s->spool, &len, &token);
	return token == s->flight_token ? text : NULL;
}

/* Logs the end of a backfill once the spool is empty. */
static void
sink_pg_backfill_done(struct sink_pg *s)
{
	double secs;

	if (spool_pending(s->spool) > 0)
		return;
	secs = s->backfill_start_ns != 0 ? (double)(clock_mono_ns() - s->backfill_start_ns) / 1e9
					 : 0;
	log_info("spool drained: %llu frames backfilled in %.2f s (%.0f frames/s)",
		 (unsigned long long)s->backfill_count, secs,
		 secs > 0 ? (double)s->backfill_count / secs : 0.0);
	s->backfill_start_ns = 0;
	s->backfill_count = 0;
	s->spooling = false;
}

/* Removes the frame in flight from its queue: its ingest committed, or it was refused. */
static void
sink_pg_pop_flight(struct sink_pg *s, bool committed)
{
	if (s->flight == SINK_PG_FLIGHT_BACKLOG) {
		backlog_pop(s->backlog);
	} else if (s->flight == SINK_PG_FLIGHT_SPOOL) {
		spool_pop(s->spool, s->flight_token);
		s->stats.backfilled += committed;
		s->backfill_count++;
		sink_pg_backfill_done(s);
	}
	s->flight = SINK_PG_FLIGHT_NONE;
}

/* Acts on the frame's result; returns 0 when it left the queue, -1 to stop for now. */
static int
sink_pg_on_result(struct sink_pg *s, PGresult *res)
{
	const char *text = sink_pg_flight_text(s);

	if (PQresultStatus(res) == PGRES_TUPLES_OK) {
		sink_pg_pop_flight(s, true);
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
		s->flight = SINK_PG_FLIGHT_NONE;
		return -1;
	}
	log_limited(&s->reject_limit, LOG_LEVEL_ERROR, "database rejected a frame (%s): %.200s",
		    sink_pg_error(s->conn), text != NULL ? text : "(no longer queued)");
	sink_pg_pop_flight(s, false);
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

/*
 * Writes queued frames oldest first until the queue is empty, an error, or the deadline. With
 * `lazy` (a tick's push), the answer to the last frame sent, with nothing queued behind it, is
 * not waited for: sink_pg_push reads it at the next tick, when it has long arrived, so the tick
 * does not sleep in poll() and wake up again for it (a context switch pair per tick).
 */
static void
sink_pg_drain(struct sink_pg *s, uint64_t deadline_ns, bool lazy)
{
	sink_pg_refill(s);
	for (;;) {
		if (s->state == SINK_PG_READY) {
			if (sink_pg_send(s) != 1)
				return;
		}
		if (lazy && sink_pg_queued(s) == 1 && PQflush(s->conn) == 0)
			return;
		if (sink_pg_await(s, deadline_ns) != 1)
			return;
		if (clock_mono_ns() >= deadline_ns)
			return;
	}
}

/*
 * Moves the frames of the memory backlog, oldest first, to the end of the spool (empty but for
 * a write error: see the top); the frame in flight keeps flying as a spool record. The caller
 * syncs. Returns 0, or -1 when the spool cannot take them (they stay in memory).
 */
static int
sink_pg_spill(struct sink_pg *s)
{
	const char *text;
	size_t len;
	uint64_t token;
	bool head = true;

	while ((text = backlog_peek(s->backlog, &len)) != NULL) {
		if (spool_append(s->spool, text, len, &token) != 0)
			return -1;
		if (head && s->flight == SINK_PG_FLIGHT_BACKLOG) {
			s->flight = SINK_PG_FLIGHT_SPOOL;
			s->flight_token = token;
		}
		head = false;
		backlog_pop(s->backlog);
		s->stats.spooled++;
	}
	return 0;
}

/* Spills the backlog and syncs; logs the first frame of a spooling episode. */
static int
sink_pg_spill_sync(struct sink_pg *s)
{
	if (sink_pg_spill(s) != 0 || spool_sync(s->spool) != 0)
		return -1;
	if (!s->spooling && spool_pending(s->spool) > 0) {
		log_warn("database %s: writing frames to the spool in %s until they can be "
			 "backfilled",
			 sink_pg_connected(s) ? "slow or catching up" : "unreachable",
			 spool_dir(s->spool));
		s->spooling = true;
	}
	return 0;
}

/* sink_pg_service, with the answer to a last frame left for the next call when `lazy`. */
static int
sink_pg_serve(struct sink_pg *s, uint64_t deadline_ns, bool lazy)
{
	if (s->state == SINK_PG_IDLE && clock_mono_ns() >= s->retry_at_ns)
		sink_pg_start(s);
	if (s->state == SINK_PG_CONNECTING)
		sink_pg_connecting(s, deadline_ns);
	if (s->fatal)
		return -1;
	/* Not connected: what waits in memory goes to disk now, not at exit or never. */
	if (!sink_pg_connected(s) && s->spool != NULL && backlog_count(s->backlog) > 0 &&
	    sink_pg_spill_sync(s) != 0)
		log_limited(&s->spool_limit, LOG_LEVEL_ERROR,
			    "cannot spool %zu frames: they wait in memory",
			    backlog_count(s->backlog));
	if (s->state == SINK_PG_READY && clock_mono_ns() >= s->partitions_at_ns)
		sink_pg_ensure_partitions(s);
	if (sink_pg_connected(s))
		sink_pg_drain(s, deadline_ns, lazy);
	return 0;
}

int
sink_pg_service(struct sink_pg *s, uint64_t deadline_ns)
{
	return sink_pg_serve(s, deadline_ns, false);
}

int
sink_pg_push(struct sink_pg *s, const char *text, size_t len, uint64_t deadline_ns)
{
	uint64_t dropped = backlog_dropped(s->backlog);

	/* The answer to the previous tick's frame, left by the lazy drain, is normally here. */
	if (s->state == SINK_PG_BUSY)
		(void)sink_pg_await(s, deadline_ns);
	/* The spool takes the frame unless it could be written right now from memory. */
	if (s->spool != NULL && (!sink_pg_connected(s) || sink_pg_queued(s) > 0)) {
		if (sink_pg_spill(s) == 0 && spool_append(s->spool, text, len, NULL) == 0) {
			s->stats.spooled++;
			/* Synced or not, the frame is in the spool; a failed sync is logged. */
			(void)sink_pg_spill_sync(s);
			return sink_pg_serve(s, deadline_ns, true);
		}
		log_limited(&s->spool_limit, LOG_LEVEL_ERROR,
			    "cannot spool a %zu-byte frame: it waits in memory", len);
	}
	if (backlog_push(s->backlog, text, len) != 0)
		log_limited(&s->drop_limit, LOG_LEVEL_ERROR,
			    "a %zu-byte frame is larger than the whole backlog: not written", len);
	if (backlog_dropped(s->backlog) > dropped)
		log_limited(&s->drop_limit, LOG_LEVEL_WARN,
			    "backlog full: dropped the oldest frame, %llu dropped so far",
			    (unsigned long long)backlog_dropped(s->backlog));
	return sink_pg_serve(s, deadline_ns, true);
}

int
sink_pg_finish(struct sink_pg *s, uint64_t deadline_ns)
{
	int rc = sink_pg_service(s, deadline_ns);
	size_t n = backlog_count(s->backlog);

	if (s->spool == NULL || n == 0)
		return rc;
	if (sink_pg_spill_sync(s) == 0)
		log_info("%zu frames not yet written are in the spool %s for the next start", n,
			 spool_dir(s->spool));
	else
		log_error("%zu frames not yet written could not be spooled: lost",
			  backlog_count(s->backlog));
	return rc;
}

void
sink_pg_stats(const struct sink_pg *s, struct sink_pg_stats *out)
{
	struct spool_stats sp;

	*out = s->stats;
	out->dropped = backlog_dropped(s->backlog);
	out->pending = backlog_count(s->backlog);
	if (s->spool != NULL) {
		spool_stats(s->spool, &sp);
		out->spool_lost = sp.lost;
		out->spool_pending = sp.pending;
	}
}

void
sink_pg_free(struct sink_pg *s)
{
	if (s == NULL)
		return;
	PQfinish(s->conn);
	spool_close(s->spool);
	backlog_free(s->backlog);
	free(s->conninfo);
	free(s);
}
