/*
 * History routes: parse and bound the request (apiserver/history_params.c), run one
 * perfwatch_api_* statement asynchronously, and answer JSON (or CSV for query). Runs on: main
 * thread.
 */
#include "apiserver/http_history.h"

#include <inttypes.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

#include "apiserver/history_params.h"
#include "apiserver/http.h"
#include "apiserver/query_params.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "http_history"

#define HISTORY_NPARAMS 8

/* A request waiting for its statement; freed by the result callback. */
struct http_history_pending {
	struct evhttp_request *req;
	struct history_params params;
	bool csv;
};

/* Statement text per route; parameters as http_history_values() fills them. */
static const char *const http_history_sql[] = {
	[HISTORY_QUERY] = "SELECT kind, series_id, label, host, unit, ts_ms, value "
			  "FROM perfwatch_api_query($1::text[], $2, "
			  "to_timestamp($3::bigint / 1000.0), to_timestamp($4::bigint / 1000.0), "
			  "$5::integer, $6)",
	[HISTORY_COMPARE] = "SELECT status, body FROM perfwatch_api_compare($1::text[], $2, "
			    "to_timestamp($3::bigint / 1000.0), to_timestamp($4::bigint / 1000.0), "
			    "make_interval(secs => $5::bigint), $6::integer, $7, $8::integer)",
	[HISTORY_ANOMALIES] = "SELECT status, body FROM perfwatch_api_anomalies($1::text[], $2, "
			      "to_timestamp($3::bigint / 1000.0), "
			      "to_timestamp($4::bigint / 1000.0))",
	[HISTORY_TRENDS] = "SELECT status, body FROM perfwatch_api_trends($1::text[], $2, "
			   "make_interval(secs => $3::bigint), to_timestamp($4::bigint / 1000.0))",
};

/* Parameter text for a statement: values point into buf or are NULL (SQL NULL). */
struct http_history_values {
	char series[HISTORY_SERIES_ARRAY_MAX];
	char num[5][32];
	const char *values[HISTORY_NPARAMS];
	int n;
};

static void
http_history_values(const struct history_params *p, struct http_history_values *v)
{
	history_params_series_array(p, v->series, sizeof(v->series));
	v->values[0] = v->series;
	v->values[1] = p->host[0] != '\0' ? p->host : NULL;
	if (p->route == HISTORY_TRENDS) {
		snprintf(v->num[0], sizeof(v->num[0]), "%" PRId64, p->window_s);
		snprintf(v->num[1], sizeof(v->num[1]), "%" PRId64, p->to_ms);
		v->values[2] = v->num[0];
		v->values[3] = v->num[1];
		v->n = 4;
		return;
	}
	snprintf(v->num[0], sizeof(v->num[0]), "%" PRId64, p->from_ms);
	snprintf(v->num[1], sizeof(v->num[1]), "%" PRId64, p->to_ms);
	v->values[2] = v->num[0];
	v->values[3] = v->num[1];
	v->n = 4;
	if (p->route == HISTORY_COMPARE) {
		snprintf(v->num[2], sizeof(v->num[2]), "%" PRId64, p->offset_s);
		v->values[v->n++] = v->num[2];
	}
	if (p->route == HISTORY_QUERY || p->route == HISTORY_COMPARE) {
		snprintf(v->num[3], sizeof(v->num[3]), "%d", p->points);
		v->values[v->n++] = v->num[3];
		v->values[v->n++] = history_params_agg_name(p->agg);
	}
	if (p->route == HISTORY_COMPARE) {
		snprintf(v->num[4], sizeof(v->num[4]), "%d", p->top);
		v->values[v->n++] = v->num[4];
	}
}

/* Sends text that is already JSON with status code. */
static void
http_history_send(struct evhttp_request *req, int code, const char *type, struct evbuffer *buf)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	evhttp_add_header(out, "Content-Type", type);
	evhttp_add_header(out, "Cache-Control", "no-store");
	evhttp_send_reply(req, code, NULL, buf);
}

/* Answers a failed statement: 503 when the connection went away, 400 for a bad parameter the
 * database caught (invalid_parameter_value, datetime overflow), 500 otherwise. Returns true
 * when it answered. */
static bool
http_history_failed(struct evhttp_request *req, const PGresult *res)
{
	const char *state;

	if (res == NULL) {
		http_reply_error(req, 503, "database connection lost; try again");
		return true;
	}
	if (PQresultStatus(res) == PGRES_TUPLES_OK)
		return false;
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (state != NULL && (strcmp(state, "22023") == 0 || strcmp(state, "22008") == 0)) {
		http_reply_error(req, 400, "%s", PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		return true;
	}
	log_error("history statement failed: %.*s", (int)strcspn(PQresultErrorMessage(res), "\n"),
		  PQresultErrorMessage(res));
	http_reply_error(req, 500, "database query failed");
	return true;
}

/* Appends "unknown series: a, b" from the 'missing' rows; returns true when there were any. */
static bool
http_history_missing(const PGresult *res, char *err, size_t errlen)
{
	size_t used = 0;
	int n = 0;

	for (int i = 0; i < PQntuples(res); i++) {
		if (strcmp(PQgetvalue(res, i, 0), "missing") != 0)
			continue;
		if (used < errlen)
			used += (size_t)snprintf(err + used, errlen - used, "%s%s",
						 n++ == 0 ? "unknown series: " : ", ",
						 PQgetvalue(res, i, 2));
	}
	return n > 0;
}

/* One series object of the JSON answer: name split into metric and instance like metric=. */
static json_t *
http_history_series_json(const PGresult *res, int row)
{
	const char *name = PQgetvalue(res, row, 2);
	const char *colon = strchr(name, ':');
	json_t *s = json_object();

	json_object_set_new(s, "id", json_integer(atoi(PQgetvalue(res, row, 1))));
	json_object_set_new(s, "series", json_string(name));
	json_object_set_new(s, "metric",
			    colon ? json_stringn(name, (size_t)(colon - name)) : json_string(name));
	json_object_set_new(s, "instance", json_string(colon ? colon + 1 : ""));
	json_object_set_new(s, "host", json_string(PQgetvalue(res, row, 3)));
	json_object_set_new(s, "unit", json_string(PQgetvalue(res, row, 4)));
	json_object_set_new(s, "points", json_array());
	return s;
}

/* A point's value: JSON has no NaN or infinity (json_real() refuses them), so they are null. */
static json_t *
http_history_value(const PGresult *res, int row, int col)
{
	double v;

	if (PQgetisnull(res, row, col))
		return json_null();
	v = strtod(PQgetvalue(res, row, col), NULL);
	return isfinite(v) ? json_real(v) : json_null();
}

/*
 * The series a point row belongs to, by id: perfwatch_api_query() sends every 'series' row before
 * the points (each series' points in time order), so a point is not always after its series row.
 * Returns the slot of `id` among the first n, or -1.
 */
static int
http_history_slot(const int *ids, int n, int id)
{
	for (int i = 0; i < n; i++) {
		if (ids[i] == id)
			return i;
	}
	return -1;
}

static json_t *
http_history_query_json(const struct history_params *p, const PGresult *res)
{
	json_t *body = json_pack("{s:I, s:I, s:s}", "from", (json_int_t)p->from_ms, "to",
				 (json_int_t)p->to_ms, "agg", history_params_agg_name(p->agg));
	json_t *series = json_array();
	json_t *points[HISTORY_MAX_SERIES];
	int ids[HISTORY_MAX_SERIES];
	int n = 0, slot = -1, last_id = 0;

	for (int i = 0; i < PQntuples(res); i++) {
		const char *kind = PQgetvalue(res, i, 0);
		int id = atoi(PQgetvalue(res, i, 1));

		if (strcmp(kind, "plan") == 0) {
			json_object_set_new(body, "tier", json_string(PQgetvalue(res, i, 2)));
			json_object_set_new(body, "step_s",
					    json_integer(atoi(PQgetvalue(res, i, 6))));
		} else if (strcmp(kind, "series") == 0) {
			json_t *s = http_history_series_json(res, i);

			if (n < HISTORY_MAX_SERIES) {
				ids[n] = id;
				points[n++] = json_object_get(s, "points");
			}
			json_array_append_new(series, s);
		} else if (strcmp(kind, "point") == 0) {
			json_t *pt;

			if (slot < 0 || id != last_id) {
				slot = http_history_slot(ids, n, id);
				last_id = id;
			}
			if (slot < 0)
				continue;
			pt = json_array();
			json_array_append_new(
				pt, json_integer(strtoll(PQgetvalue(res, i, 5), NULL, 10)));
			json_array_append_new(pt, http_history_value(res, i, 6));
			json_array_append_new(points[slot], pt);
		}
	}
	json_object_set_new(body, "series", series);
	return body;
}

/* Appends `s` as one CSV field (RFC 4180: quoted, inner quotes doubled) and a comma. */
static void
http_history_csv_field(struct evbuffer *buf, const char *s)
{
	evbuffer_add(buf, "\"", 1);
	for (const char *q; (q = strchr(s, '"')) != NULL; s = q + 1) {
		evbuffer_add(buf, s, (size_t)(q - s) + 1);
		evbuffer_add(buf, "\"", 1);
	}
	evbuffer_add_printf(buf, "%s\",", s);
}

/* CSV: one line per point, series metadata repeated so that each line stands alone. */
static void
http_history_query_csv(const PGresult *res, struct evbuffer *buf)
{
	int ids[HISTORY_MAX_SERIES], rows[HISTORY_MAX_SERIES];
	int n = 0, slot = -1, last_id = 0;

	evbuffer_add_printf(buf, "series,host,unit,ts_ms,time,value\r\n");
	for (int i = 0; i < PQntuples(res); i++) {
		const char *kind = PQgetvalue(res, i, 0);
		int id = atoi(PQgetvalue(res, i, 1));
		long long ms;
		time_t sec;
		struct tm tm;
		char when[32];

		if (strcmp(kind, "series") == 0) {
			if (n < HISTORY_MAX_SERIES) {
				ids[n] = id;
				rows[n++] = i;
			}
			continue;
		}
		if (strcmp(kind, "point") != 0)
			continue;
		if (slot < 0 || id != last_id) {
			slot = http_history_slot(ids, n, id);
			last_id = id;
		}
		if (slot < 0)
			continue;
		ms = strtoll(PQgetvalue(res, i, 5), NULL, 10);
		sec = (time_t)(ms / 1000);
		gmtime_r(&sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		/* Instances (mount points, interfaces) and hosts may hold commas or quotes. */
		http_history_csv_field(buf, PQgetvalue(res, rows[slot], 2));
		http_history_csv_field(buf, PQgetvalue(res, rows[slot], 3));
		http_history_csv_field(buf, PQgetvalue(res, rows[slot], 4));
		evbuffer_add_printf(buf, "%lld,%s.%03lldZ,%s\r\n", ms, when, ms % 1000,
				    PQgetvalue(res, i, 6));
	}
}

static void
http_history_query_done(const PGresult *res, void *arg)
{
	struct http_history_pending *pd = arg;
	char err[512];

	if (http_history_failed(pd->req, res))
		goto done;
	if (http_history_missing(res, err, sizeof(err))) {
		http_reply_error(pd->req, 404, "%s (GET /api/v1/series lists them)", err);
	} else if (pd->csv) {
		struct evbuffer *buf = evbuffer_new();

		http_history_query_csv(res, buf);
		http_history_send(pd->req, 200, "text/csv; charset=utf-8", buf);
		evbuffer_free(buf);
	} else {
		http_reply_json(pd->req, 200, http_history_query_json(&pd->params, res));
	}
done:
	free(pd);
}

/* compare, anomalies, trends: the statement returns (status, body) with body already JSON. */
static void
http_history_body_done(const PGresult *res, void *arg)
{
	struct http_history_pending *pd = arg;
	struct evbuffer *buf;

	if (http_history_failed(pd->req, res))
		goto done;
	if (PQntuples(res) != 1 || PQnfields(res) != 2) {
		log_error("history statement returned %d rows", PQntuples(res));
		http_reply_error(pd->req, 500, "database query failed");
		goto done;
	}
	buf = evbuffer_new();
	evbuffer_add(buf, PQgetvalue(res, 0, 1), (size_t)PQgetlength(res, 0, 1));
	http_history_send(pd->req, atoi(PQgetvalue(res, 0, 0)), "application/json", buf);
	evbuffer_free(buf);
done:
	free(pd);
}

static bool
http_history_wants_csv(struct evhttp_request *req, const struct history_params *p)
{
	const char *accept;

	if (p->format != HISTORY_FORMAT_DEFAULT)
		return p->format == HISTORY_FORMAT_CSV;
	accept = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
	return accept != NULL && strstr(accept, "text/csv") != NULL;
}

static void
http_history_run(struct evhttp_request *req, struct api *api, enum history_route route)
{
	struct http_history_pending *pd = xcalloc(1, sizeof(*pd));
	const char *qs = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct http_history_values v;
	char err[256];

	pd->req = req;
	if (history_params_parse(route, qs, clock_wall_ms(), &pd->params, err, sizeof(err)) != 0) {
		http_reply_error(req, 400, "%s", err);
		goto fail;
	}
	if (!pg_async_is_up(api->pg)) {
		http_reply_error(req, 503, "database is unreachable; try again");
		goto fail;
	}
	pd->csv = route == HISTORY_QUERY && http_history_wants_csv(req, &pd->params);
	http_history_values(&pd->params, &v);
	if (pg_async_query(api->pg, http_history_sql[route], v.n, v.values,
			   route == HISTORY_QUERY ? http_history_query_done
						  : http_history_body_done,
			   pd) != 0) {
		http_reply_error(req, 503, "too many queries waiting; try again");
		goto fail;
	}
	return;
fail:
	free(pd);
}

/* True when the query string has a series= parameter (the history form of /api/v1/query). */
static bool
http_history_has_series(const char *qs)
{
	struct evkeyvalq kv;
	bool found;

	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(qs != NULL ? qs : "", &kv) != 0) {
		evhttp_clear_headers(&kv);
		return false;
	}
	found = evhttp_find_header(&kv, "series") != NULL;
	evhttp_clear_headers(&kv);
	return found;
}

void
http_history_query(struct evhttp_request *req, struct api *api)
{
	const char *qs = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));

	if (http_history_has_series(qs))
		http_history_run(req, api, HISTORY_QUERY);
	else
		http_api_query(req, api);
}

void
http_history_compare(struct evhttp_request *req, struct api *api)
{
	http_history_run(req, api, HISTORY_COMPARE);
}

void
http_history_anomalies(struct evhttp_request *req, struct api *api)
{
	http_history_run(req, api, HISTORY_ANOMALIES);
}

void
http_history_trends(struct evhttp_request *req, struct api *api)
{
	http_history_run(req, api, HISTORY_TRENDS);
}

static void
http_history_series_done(const PGresult *res, void *arg)
{
	struct evhttp_request *req = arg;
	struct evbuffer *buf;

	if (http_history_failed(req, res))
		return;
	buf = evbuffer_new();
	evbuffer_add(buf, PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0));
	http_history_send(req, 200, "application/json", buf);
	evbuffer_free(buf);
}

void
http_history_series(struct evhttp_request *req, struct api *api)
{
	const char *qs = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
	struct evkeyvalq kv;
	struct evkeyval *e;
	const char *host = NULL;

	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(qs != NULL ? qs : "", &kv) != 0) {
		http_reply_error(req, 400, "query string is malformed");
		goto done;
	}
	TAILQ_FOREACH(e, &kv, next)
	{
		if (strcmp(e->key, "host") != 0 || host != NULL || e->value[0] == '\0' ||
		    strlen(e->value) >= HISTORY_HOST_MAX || !query_params_text_ok(e->value)) {
			http_reply_error(req, 400,
					 "only one host= of letters, digits, space and "
					 "._:/@+- is accepted here");
			goto done;
		}
		host = e->value;
	}
	if (!pg_async_is_up(api->pg)) {
		http_reply_error(req, 503, "database is unreachable; try again");
		goto done;
	}
	if (pg_async_query(api->pg, "SELECT perfwatch_api_series_list($1)", 1, &host,
			   http_history_series_done, req) != 0)
		http_reply_error(req, 503, "too many queries waiting; try again");
done:
	evhttp_clear_headers(&kv);
}
