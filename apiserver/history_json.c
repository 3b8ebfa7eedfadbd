/*
 * The /api/v1/query?series= answer as JSON text, written straight into an evbuffer: the few
 * objects with strings go through jansson, the points (thousands) are printed in place.
 */
#include "apiserver/history_json.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Points are printed into this much stack before each evbuffer_add(). */
#define HISTORY_JSON_CHUNK 8192

/* Text waiting to be appended to `out`. */
struct history_json_buf {
	struct evbuffer *out;
	size_t len;
	int failed;
	char s[HISTORY_JSON_CHUNK];
};

static void
history_json_flush(struct history_json_buf *b)
{
	if (b->len > 0 && evbuffer_add(b->out, b->s, b->len) != 0)
		b->failed = 1;
	b->len = 0;
}

static void
history_json_add(struct history_json_buf *b, const char *s, size_t len)
{
	if (len > sizeof(b->s) - b->len)
		history_json_flush(b);
	if (len > sizeof(b->s)) {
		if (evbuffer_add(b->out, s, len) != 0)
			b->failed = 1;
		return;
	}
	memcpy(b->s + b->len, s, len);
	b->len += len;
}

static void
history_json_adds(struct history_json_buf *b, const char *s)
{
	history_json_add(b, s, strlen(s));
}

/* As jansson's jsonp_dtostr() with precision DBL_DIG; the API server runs in the C locale. */
size_t
history_json_real(char *out, double d)
{
	char *e, *start, *end;
	int n;

	if (!isfinite(d)) {
		memcpy(out, "null", 5);
		return 4;
	}
	n = snprintf(out, HISTORY_JSON_REAL_MAX, "%.*g", DBL_DIG, d);
	if (n < 0 || n >= HISTORY_JSON_REAL_MAX - 2) {
		memcpy(out, "null", 5);
		return 4;
	}
	/* A dot or an exponent, so that a client reads it back as a real. */
	if (strchr(out, '.') == NULL && strchr(out, 'e') == NULL) {
		memcpy(out + n, ".0", 3);
		n += 2;
	}
	/* No '+' and no leading zeros in the exponent: 1e+20 -> 1e20, 1e-05 -> 1e-5. */
	e = strchr(out, 'e');
	if (e != NULL) {
		start = e + 1;
		end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, (size_t)(out + n - end) + 1);
			n -= (int)(end - start);
		}
	}
	return (size_t)n;
}

/* Appends the compact text of `obj` without its closing brace (the caller adds more keys);
 * takes ownership of obj. */
static void
history_json_open(struct history_json_buf *b, json_t *obj)
{
	char *text =
		obj != NULL ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(DBL_DIG)) : NULL;
	size_t len = text != NULL ? strlen(text) : 0;

	if (len < 2 || text[len - 1] != '}')
		b->failed = 1;
	else
		history_json_add(b, text, len - 1);
	free(text);
	json_decref(obj);
}

/* One series object without points: name split into metric and instance like metric=. */
static json_t *
history_json_series(const PGresult *res, int row)
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
	return s;
}

/* [ts_ms,value] */
static void
history_json_point(struct history_json_buf *b, const PGresult *res, int row, int first)
{
	char text[64 + HISTORY_JSON_REAL_MAX];
	int n;

	n = snprintf(text, sizeof(text), "%s[%lld,", first ? "" : ",",
		     strtoll(PQgetvalue(res, row, 5), NULL, 10));
	if (PQgetisnull(res, row, 6)) {
		memcpy(text + n, "null", 4);
		n += 4;
	} else {
		n += (int)history_json_real(text + n, strtod(PQgetvalue(res, row, 6), NULL));
	}
	text[n++] = ']';
	history_json_add(b, text, (size_t)n);
}

/* The answer's first keys, with the plan's tier and step when there is a 'plan' row. */
static json_t *
history_json_head(const struct history_params *p, const PGresult *res)
{
	json_t *head = json_pack("{s:I, s:I, s:s}", "from", (json_int_t)p->from_ms, "to",
				 (json_int_t)p->to_ms, "agg", history_params_agg_name(p->agg));

	for (int i = 0; head != NULL && i < PQntuples(res); i++) {
		if (strcmp(PQgetvalue(res, i, 0), "plan") != 0)
			continue;
		json_object_set_new(head, "tier", json_string(PQgetvalue(res, i, 2)));
		json_object_set_new(head, "step_s", json_integer(atoi(PQgetvalue(res, i, 6))));
	}
	return head;
}

int
history_json_query(struct evbuffer *out, const struct history_params *p, const PGresult *res)
{
	struct history_json_buf buf = {.out = out, .len = 0, .failed = 0};
	struct history_json_buf *b = &buf;
	int in_series = 0, first_series = 1, first_point = 1;

	history_json_open(b, history_json_head(p, res));
	history_json_adds(b, ",\"series\":[");
	for (int i = 0; i < PQntuples(res); i++) {
		const char *kind = PQgetvalue(res, i, 0);

		if (strcmp(kind, "series") == 0) {
			history_json_adds(b, in_series ? "]}," : first_series ? "" : ",");
			history_json_open(b, history_json_series(res, i));
			history_json_adds(b, ",\"points\":[");
			in_series = 1;
			first_series = 0;
			first_point = 1;
		} else if (strcmp(kind, "point") == 0 && in_series) {
			history_json_point(b, res, i, first_point);
			first_point = 0;
		}
	}
	history_json_adds(b, in_series ? "]}]}" : "]}");
	history_json_flush(b);
	return b->failed ? -1 : 0;
}
