/* GET /api/v1/hw: one parameterised call of perfwatch_hw_report(), answered as stored. */
#include "apiserver/http_hw.h"

#include <string.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "apiserver/http.h"
#include "apiserver/query_params.h"
#include "common/log.h"

#define LOG_TAG "http_hw"

/* Host names are at most 255 bytes (collector --hostname). */
#define HTTP_HW_HOST_MAX 255

static void
http_hw_done(const PGresult *res, void *arg)
{
	struct evhttp_request *req = arg;
	struct evbuffer *buf;
	const char *text;

	if (res == NULL) {
		http_reply_error(req, 503, "database connection lost; try again");
		return;
	}
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("perfwatch_hw_report failed: %.*s",
			  (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
		http_reply_error(req, 500, "database query failed");
		return;
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0)) {
		http_reply_error(
			req, 404,
			"no capability report yet: perfwatch-collector sends one at start");
		return;
	}
	/* The report is already JSON text: send it as the database returned it. */
	text = PQgetvalue(res, 0, 0);
	buf = evbuffer_new();
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "application/json");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cache-Control", "no-store");
	evbuffer_add(buf, text, strlen(text));
	evhttp_send_reply(req, 200, NULL, buf);
	evbuffer_free(buf);
}

void
http_hw_report(struct evhttp_request *req, struct api *api)
{
	const char *qs = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq params;
	const char *host = NULL, *values[1];
	struct evkeyval *kv;

	TAILQ_INIT(&params);
	if (evhttp_parse_query_str(qs != NULL ? qs : "", &params) != 0) {
		http_reply_error(req, 400, "malformed query string");
		return;
	}
	TAILQ_FOREACH(kv, &params, next)
	{
		if (strcmp(kv->key, "host") != 0) {
			http_reply_error(req, 400, "unknown parameter '%.40s' (only host=)",
					 kv->key);
			goto out;
		}
		host = kv->value;
	}
	if (host != NULL &&
	    (host[0] == '\0' || strlen(host) > HTTP_HW_HOST_MAX || !query_params_text_ok(host))) {
		http_reply_error(
			req, 400,
			"host must be 1 to %d letters, digits, spaces or ._:/@+- characters",
			HTTP_HW_HOST_MAX);
		goto out;
	}
	if (!pg_async_is_up(api->pg)) {
		http_reply_error(req, 503, "database is unreachable; try again");
		goto out;
	}
	values[0] = host;
	if (pg_async_query(api->pg, "SELECT perfwatch_hw_report($1::text)::text", 1, values,
			   http_hw_done, req) != 0)
		http_reply_error(req, 503, "too many queries waiting; try again");
out:
	evhttp_clear_headers(&params);
}
