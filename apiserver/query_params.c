/* The /api/v1/query parameter parser: metric list, instance, host and a bounded time range. */
#include "apiserver/query_params.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

/* Earliest and latest accepted times: 1970 and the year 9999, in ms. */
#define QUERY_PARAMS_TIME_MIN 0LL
#define QUERY_PARAMS_TIME_MAX 253402300799999LL

static int
query_params_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static int
query_params_expect(const char **p, const char *chars)
{
	if (**p == '\0' || strchr(chars, **p) == NULL)
		return -1;
	(*p)++;
	return 0;
}

/* Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)" into *ms. */
static int
query_params_parse_rfc3339(const char *p, int64_t *ms)
{
	struct tm tm = {0};
	int y, mo, d, h, mi, s, oh, om, frac = 0, sign;
	time_t t;

	if (query_params_digits(&p, 4, &y) || query_params_expect(&p, "-") ||
	    query_params_digits(&p, 2, &mo) || query_params_expect(&p, "-") ||
	    query_params_digits(&p, 2, &d) || query_params_expect(&p, "Tt ") ||
	    query_params_digits(&p, 2, &h) || query_params_expect(&p, ":") ||
	    query_params_digits(&p, 2, &mi) || query_params_expect(&p, ":") ||
	    query_params_digits(&p, 2, &s))
		return -1;
	if (*p == '.') {
		int scale = 100, digits = 0;

		for (p++; isdigit((unsigned char)*p); p++, digits++) {
			frac += (*p - '0') * scale;
			scale /= 10;
		}
		if (digits == 0)
			return -1;
	}
	if (*p == 'Z' || *p == 'z') {
		oh = om = 0;
		sign = 1;
		p++;
	} else {
		sign = *p == '-' ? -1 : 1;
		if (query_params_expect(&p, "+-") || query_params_digits(&p, 2, &oh) ||
		    query_params_expect(&p, ":") || query_params_digits(&p, 2, &om))
			return -1;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 ||
	    oh > 23 || om > 59)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	/* timegm normalises 31 February into March: reject dates that do not exist. */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	*ms = ((int64_t)t - sign * (oh * 3600 + om * 60)) * 1000 + frac;
	return 0;
}

int
query_params_parse_time(const char *text, int64_t *ms)
{
	char *end;
	long long v;

	if (text[0] == '\0')
		return -1;
	if (strchr(text, '-') == NULL || text[0] == '-') {
		errno = 0;
		v = strtoll(text, &end, 10);
		if (errno != 0 || *end != '\0' || !isdigit((unsigned char)text[0]))
			return -1;
		*ms = v;
	} else if (query_params_parse_rfc3339(text, ms) != 0) {
		return -1;
	}
	return *ms >= QUERY_PARAMS_TIME_MIN && *ms <= QUERY_PARAMS_TIME_MAX ? 0 : -1;
}

static int
query_params_metrics(const char *list, struct query_params *out, char *err, size_t errlen)
{
	char name[128];
	const struct metric *m;
	const char *p = list, *comma;
	size_t len;

	if (list[0] == '\0') {
		snprintf(err, errlen,
			 "metric is empty: give one or more names separated by commas");
		return -1;
	}
	for (; p != NULL; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (len == 0 || len >= sizeof(name)) {
			snprintf(err, errlen, "metric list has an empty or overlong name");
			return -1;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		if ((m = metrics_find(name)) == NULL) {
			snprintf(err, errlen, "unknown metric '%.64s'", name);
			return -1;
		}
		for (size_t i = 0; i < out->nmetrics; i++) {
			if (out->metrics[i] == m) {
				snprintf(err, errlen, "metric '%s' is listed twice", name);
				return -1;
			}
		}
		if (out->nmetrics == QUERY_PARAMS_MAX_METRICS) {
			snprintf(err, errlen, "too many metrics: at most %d per query",
				 QUERY_PARAMS_MAX_METRICS);
			return -1;
		}
		out->metrics[out->nmetrics++] = m;
	}
	return 0;
}

bool
query_params_text_ok(const char *s)
{
	return strspn(s,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._:/@+-") ==
	       strlen(s);
}

static int
query_params_copy(const char *key, const char *value, char *dst, size_t cap, char *err,
		  size_t errlen)
{
	size_t len = strlen(value);

	if (len == 0 || len >= cap) {
		snprintf(err, errlen, "%s must be 1 to %zu characters", key, cap - 1);
		return -1;
	}
	if (!query_params_text_ok(value)) {
		snprintf(err, errlen, "%s: only letters, digits, space and ._:/@+- are allowed",
			 key);
		return -1;
	}
	memcpy(dst, value, len + 1);
	return 0;
}

/* Stores one key=value pair; `seen` tracks keys so that a repeated key is an error. */
static int
query_params_one(const char *key, const char *value, struct query_params *out, const char **times,
		 unsigned *seen, char *err, size_t errlen)
{
	static const char *const keys[] = {"metric", "instance", "host", "from", "to"};
	size_t k;

	for (k = 0; k < ARRAY_LEN(keys) && strcmp(keys[k], key) != 0; k++)
		;
	if (k == ARRAY_LEN(keys)) {
		snprintf(err, errlen,
			 "unknown parameter '%.32s' (known: metric, instance, host, "
			 "from, to)",
			 key);
		return -1;
	}
	if (*seen & (1u << k)) {
		snprintf(err, errlen, "parameter '%s' is given twice", key);
		return -1;
	}
	*seen |= 1u << k;
	switch (k) {
	case 0:
		return query_params_metrics(value, out, err, errlen);
	case 1:
		return query_params_copy(key, value, out->instance, sizeof(out->instance), err,
					 errlen);
	case 2:
		return query_params_copy(key, value, out->host, sizeof(out->host), err, errlen);
	default:
		times[k - 3] = value;
		return 0;
	}
}

static int
query_params_range(const char *from, const char *to, int64_t now_ms, struct query_params *out,
		   char *err, size_t errlen)
{
	out->to_ms = now_ms;
	if (to != NULL && query_params_parse_time(to, &out->to_ms) != 0) {
		snprintf(err, errlen, "to: '%.40s' is not epoch milliseconds or an RFC 3339 time",
			 to);
		return -1;
	}
	out->from_ms = out->to_ms - QUERY_PARAMS_DEFAULT_RANGE_MS;
	if (from != NULL && query_params_parse_time(from, &out->from_ms) != 0) {
		snprintf(err, errlen, "from: '%.40s' is not epoch milliseconds or an RFC 3339 time",
			 from);
		return -1;
	}
	if (out->from_ms >= out->to_ms) {
		snprintf(err, errlen, "from must be earlier than to");
		return -1;
	}
	if (out->to_ms - out->from_ms > QUERY_PARAMS_MAX_RANGE_MS) {
		snprintf(err, errlen, "range is longer than 24 hours");
		return -1;
	}
	return 0;
}

int
query_params_parse(const char *query, int64_t now_ms, struct query_params *out, char *err,
		   size_t errlen)
{
	struct evkeyvalq kv;
	struct evkeyval *e;
	const char *times[2] = {NULL, NULL};
	unsigned seen = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	snprintf(out->instance, sizeof(out->instance), "total");
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(query ? query : "", &kv) != 0) {
		snprintf(err, errlen, "query string is malformed");
		goto fail;
	}
	TAILQ_FOREACH(e, &kv, next)
	{
		if (query_params_one(e->key, e->value, out, times, &seen, err, errlen) != 0)
			goto fail;
	}
	if (out->nmetrics == 0) {
		snprintf(err, errlen, "metric is required, e.g. metric=cpu.usr,cpu.sys");
		goto fail;
	}
	rc = query_params_range(times[0], times[1], now_ms, out, err, errlen);
fail:
	evhttp_clear_headers(&kv);
	return rc;
}
