/*
 * The JSON routes of docs/design.md: /healthz, /api/v1/config, /api/v1/latest and
 * /api/v1/query (answered asynchronously from the query connection). Runs on: main thread.
 */
#include "apiserver/http.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "apiserver/query.h"
#include "apiserver/query_params.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "http_api"

/* A /api/v1/query request waiting for its rows. */
struct http_api_pending {
	struct evhttp_request *req;
	struct query_params params;
};

/*
 * Ready once the database is up, the live path listens and the credential cache holds the
 * database's sessions and tokens: before that a WebSocket upgrade with a valid login would be
 * refused (the WebSocket thread only asks the cache), e.g. right after a restart.
 */
void
http_api_healthz(struct evhttp_request *req, struct api *api)
{
	bool db = pg_async_is_up(api->pg) && live_is_up(api->live);
	bool ready = db && auth_cache_mirrored(api->auth);

	http_reply_json(req, ready ? 200 : 503,
			json_pack("{s:s, s:s}", "status",
				  ready ? "ok" : (db ? "starting" : "degraded"), "db",
				  db ? "up" : "down"));
}

void
http_api_config(struct evhttp_request *req, struct api *api)
{
	int64_t interval = live_interval_ms(api->live);
	const char *host = live_latest_host(api->live);

	/* host and interval_ms come from the newest frame: null until one arrived. */
	http_reply_json(req, 200,
			json_pack("{s:i, s:s, s:s?, s:o}", "ws_port", api->conf->ws_port, "ws_path",
				  "/live", "host", host, "interval_ms",
				  interval >= 0 ? json_integer(interval) : json_null()));
}

void
http_api_latest(struct evhttp_request *req, struct api *api)
{
	const char *frame = live_latest(api->live);
	struct evbuffer *buf;
	struct evkeyvalq *out;

	if (frame == NULL) {
		http_reply_error(req, 404, "no frame yet: is perfwatch-collector running?");
		return;
	}
	/* The frame is already JSON text: send it as stored, without a parse and dump. */
	buf = evbuffer_new();
	out = evhttp_request_get_output_headers(req);
	evhttp_add_header(out, "Content-Type", "application/json");
	evhttp_add_header(out, "Cache-Control", "no-store");
	evbuffer_add(buf, frame, strlen(frame));
	evhttp_send_reply(req, 200, NULL, buf);
	evbuffer_free(buf);
}

static void
http_api_query_done(const PGresult *res, void *arg)
{
	struct http_api_pending *p = arg;
	char err[256];
	json_t *body;

	if (res == NULL) {
		http_reply_error(p->req, 503, "database connection lost; try again");
	} else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("query failed: %.*s", (int)strcspn(PQresultErrorMessage(res), "\n"),
			  PQresultErrorMessage(res));
		http_reply_error(p->req, 500, "database query failed");
	} else if ((body = query_result_json(&p->params, res, err, sizeof(err))) == NULL) {
		http_reply_error(p->req, 400, "%s", err);
	} else {
		http_reply_json(p->req, 200, body);
	}
	free(p);
}

void
http_api_query(struct evhttp_request *req, struct api *api)
{
	struct http_api_pending *p = xcalloc(1, sizeof(*p));
	const char *qs = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct query_values v;
	char err[256];
	char *sql = NULL;

	p->req = req;
	if (query_params_parse(qs, clock_wall_ms(), &p->params, err, sizeof(err)) != 0) {
		http_reply_error(req, 400, "%s", err);
		goto fail;
	}
	if (!pg_async_is_up(api->pg)) {
		http_reply_error(req, 503, "database is unreachable; try again");
		goto fail;
	}
	sql = query_sql(&p->params);
	query_values(&p->params, &v);
	if (pg_async_query(api->pg, sql, v.nvalues, v.values, http_api_query_done, p) != 0) {
		http_reply_error(req, 503, "too many queries waiting; try again");
		goto fail;
	}
	free(sql);
	return;
fail:
	free(sql);
	free(p);
}
