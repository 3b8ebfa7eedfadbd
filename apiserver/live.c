/*
 * The live path: LISTEN perfwatch_tick on a dedicated connection; each payload is a frame, or a
 * {"ref":true} key whose frame perfwatch_frame_text() returns. Frames go to the fanout ring and
 * become the newest frame. Runs on: main thread only.
 */
#include "apiserver/live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apiserver/pg_async.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "live"

/* Newest stored tick of the last day, for start-up and after a reconnect (nothing is replayed). */
#define LIVE_SQL_NEWEST                                                                            \
	"SELECT perfwatch_frame_text(h.name, t.ts) FROM tick_samples t "                           \
	"JOIN host h ON h.id = t.host_id WHERE t.ts > now() - interval '1 day' "                   \
	"ORDER BY t.ts DESC LIMIT 1"
/* The same ms -> timestamptz conversion as perfwatch_ingest(). */
#define LIVE_SQL_REF                                                                               \
	"SELECT perfwatch_frame_text($1::text, timestamptz 'epoch' + $2::int8 * interval "         \
	"'1 millisecond')"

struct live {
	struct pg_async *listen; /* LISTENs, and reads frames, so HTTP queries never delay them */
	struct fanout *fanout;	 /* borrowed */
	char *latest;		 /* newest frame's text, or NULL */
	char *latest_host;
	int64_t latest_ts;
	int64_t latest_dt_ms;
	struct log_limit bad_limit;
	struct log_limit drop_limit;
};

/* A frame from any source: becomes the newest (unless older) and goes to every client. */
static void
live_frame(struct live *lv, const char *text, bool publish)
{
	json_error_t jerr;
	json_t *frame = json_loads(text, 0, &jerr);
	const char *host = NULL;
	json_int_t ts = -1;
	double dt = -1;

	if (frame == NULL || json_unpack_ex(frame, &jerr, 0, "{s:s, s:I, s?F}", "host", &host, "ts",
					    &ts, "dt", &dt) != 0) {
		log_limited(&lv->bad_limit, LOG_LEVEL_WARN, "ignoring a malformed frame: %s",
			    jerr.text);
		json_decref(frame);
		return;
	}
	if (publish && fanout_publish(lv->fanout, text, strlen(text)) != 0)
		log_limited(&lv->drop_limit, LOG_LEVEL_WARN,
			    "not sending a %zu-byte frame to WebSocket clients: too big",
			    strlen(text));
	if (lv->latest == NULL || ts >= lv->latest_ts) {
		free(lv->latest);
		free(lv->latest_host);
		lv->latest = xstrdup(text);
		lv->latest_host = xstrdup(host);
		lv->latest_ts = ts;
		lv->latest_dt_ms = dt >= 0 ? (int64_t)(dt * 1000 + 0.5) : -1;
	}
	json_decref(frame);
}

/* The single text column of a one-row result, or NULL. */
static const char *
live_result_text(const PGresult *res, const char *what)
{
	if (res == NULL)
		return NULL;
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_warn("%s failed: %.*s", what, (int)strcspn(PQresultErrorMessage(res), "\n"),
			 PQresultErrorMessage(res));
		return NULL;
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0))
		return NULL;
	return PQgetvalue(res, 0, 0);
}

static void
live_ref_done(const PGresult *res, void *arg)
{
	struct live *lv = arg;
	const char *text = live_result_text(res, "perfwatch_frame_text()");

	if (text != NULL)
		live_frame(lv, text, true);
	else if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK)
		log_warn("a notified frame is not in the database (perfwatch_frame_text returned "
			 "NULL)");
}

static void
live_newest_done(const PGresult *res, void *arg)
{
	struct live *lv = arg;
	const char *text = live_result_text(res, "reading the newest frame");

	if (text != NULL)
		live_frame(lv, text, false);
}

/* Resolves {"v":1,"host":…,"ts":…,"ref":true} with perfwatch_frame_text() on the LISTEN connection.
 */
static void
live_ref(struct live *lv, json_t *payload)
{
	const char *host;
	json_int_t ts;
	char tsbuf[32];
	const char *values[2];

	if (json_unpack(payload, "{s:s, s:I}", "host", &host, "ts", &ts) != 0) {
		log_limited(&lv->bad_limit, LOG_LEVEL_WARN, "%s",
			    "ignoring a ref notification without host and ts");
		return;
	}
	snprintf(tsbuf, sizeof(tsbuf), "%" JSON_INTEGER_FORMAT, ts);
	values[0] = host;
	values[1] = tsbuf;
	if (pg_async_query(lv->listen, LIVE_SQL_REF, 2, values, live_ref_done, lv) != 0)
		log_limited(&lv->drop_limit, LOG_LEVEL_WARN, "%s",
			    "dropping a ref frame: the connection is down or too many are waiting");
}

static void
live_notify(const PGnotify *n, void *arg)
{
	struct live *lv = arg;
	json_t *payload;

	if (strcmp(n->relname, LIVE_CHANNEL) != 0)
		return;
	payload = json_loads(n->extra, 0, NULL);
	if (payload != NULL && json_is_true(json_object_get(payload, "ref")))
		live_ref(lv, payload);
	else
		live_frame(lv, n->extra, true);
	json_decref(payload);
}

static void
live_listen_done(const PGresult *res, void *arg)
{
	struct live *lv = arg;

	if (res == NULL)
		return;
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_error("LISTEN " LIVE_CHANNEL " failed: %.*s",
			  (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
		return;
	}
	log_info("listening on " LIVE_CHANNEL);
	/* A reconnecting listener gets nothing replayed: re-read the newest frame. */
	if (pg_async_query(lv->listen, LIVE_SQL_NEWEST, 0, NULL, live_newest_done, lv) != 0)
		log_warn("cannot queue reading the newest frame");
}

static void
live_up(struct pg_async *pg, void *arg)
{
	if (pg_async_query(pg, "LISTEN " LIVE_CHANNEL, 0, NULL, live_listen_done, arg) != 0)
		log_error("cannot queue LISTEN " LIVE_CHANNEL);
}

struct live *
live_new(struct event_base *base, const char *conninfo, struct fanout *f)
{
	struct live *lv = xcalloc(1, sizeof(*lv));
	struct pg_async_callbacks cbs = {live_up, NULL, live_notify, lv};

	lv->fanout = f;
	lv->latest_dt_ms = -1;
	lv->bad_limit.every = 100;
	lv->drop_limit.every = 100;
	lv->listen = pg_async_new(base, conninfo, "listen", 1, NULL, &cbs);
	return lv;
}

void
live_free(struct live *lv)
{
	if (lv == NULL)
		return;
	pg_async_free(lv->listen);
	free(lv->latest);
	free(lv->latest_host);
	free(lv);
}

bool
live_is_up(const struct live *lv)
{
	return pg_async_is_up(lv->listen);
}

const char *
live_latest(const struct live *lv)
{
	return lv->latest;
}

const char *
live_latest_host(const struct live *lv)
{
	return lv->latest_host;
}

int64_t
live_interval_ms(const struct live *lv)
{
	return lv->latest_dt_ms;
}
