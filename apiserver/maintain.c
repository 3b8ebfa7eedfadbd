/*
 * Periodic perfwatch_maintain() on a dedicated connection, so that a long roll-up never delays
 * an HTTP query. Runs on: main thread only.
 */
#include "apiserver/maintain.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apiserver/pg_async.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "maintain"

#define MAINTAIN_FIRST_S 5
#define MAINTAIN_EVERY_S 60
#define MAINTAIN_MORE_S	 1

struct maintain {
	struct pg_async *pg;
	struct event *timer;
	bool running; /* a call is in flight: the timer does not start another */
};

static void
maintain_schedule(struct maintain *mt, int seconds)
{
	struct timeval tv = {seconds, 0};

	evtimer_add(mt->timer, &tv);
}

static void
maintain_done(const PGresult *res, void *arg)
{
	struct maintain *mt = arg;
	json_t *report = NULL;
	bool more = false;

	mt->running = false;
	if (res == NULL)
		return;
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		log_warn("perfwatch_maintain() failed: %.*s",
			 (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
		return;
	}
	report = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
	more = json_is_true(json_object_get(report, "more"));
	log_debug("perfwatch_maintain(): %s", PQgetvalue(res, 0, 0));
	json_decref(report);
	/* Catching up after downtime: go again soon rather than in a minute. */
	if (more)
		maintain_schedule(mt, MAINTAIN_MORE_S);
}

static void
maintain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct maintain *mt = arg;

	(void)fd;
	(void)what;
	maintain_schedule(mt, MAINTAIN_EVERY_S);
	if (mt->running || !pg_async_is_up(mt->pg))
		return;
	if (pg_async_query(mt->pg, "SELECT perfwatch_maintain()::text", 0, NULL, maintain_done,
			   mt) == 0)
		mt->running = true;
}

struct maintain *
maintain_new(struct event_base *base, const char *conninfo)
{
	struct maintain *mt = xcalloc(1, sizeof(*mt));

	mt->pg = pg_async_new(base, conninfo, "maintain", 1, NULL, NULL);
	mt->timer = evtimer_new(base, maintain_tick, mt);
	maintain_schedule(mt, MAINTAIN_FIRST_S);
	return mt;
}

void
maintain_free(struct maintain *mt)
{
	if (mt == NULL)
		return;
	event_free(mt->timer);
	pg_async_free(mt->pg);
	free(mt);
}
