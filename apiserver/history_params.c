/* The history routes' parameter parser: series keys, host, time range, points, agg, format,
 * offset and window, each bounded per route. */
#include "apiserver/history_params.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "apiserver/query_params.h"

/* Parameter names, as bits of the `allowed` and `seen` masks. */
enum history_key {
	HK_SERIES,
	HK_HOST,
	HK_FROM,
	HK_TO,
	HK_POINTS,
	HK_AGG,
	HK_FORMAT,
	HK_OFFSET,
	HK_WINDOW,
	HK_TOP,
	HK_COUNT,
};

static const char *const history_key_names[HK_COUNT] = {
	"series", "host", "from", "to", "points", "agg", "format", "offset", "window", "top",
};

/* Per route: the parameters it takes, its default and longest range, its default points. */
struct history_rule {
	unsigned allowed;
	int64_t default_range_s;
	int64_t max_range_s;
	int default_points;
	const char *known; /* for the "unknown parameter" sentence */
};

#define BIT(k) (1u << (k))

static const struct history_rule history_rules[] = {
	[HISTORY_QUERY] = {BIT(HK_SERIES) | BIT(HK_HOST) | BIT(HK_FROM) | BIT(HK_TO) |
				   BIT(HK_POINTS) | BIT(HK_AGG) | BIT(HK_FORMAT),
			   3600, HISTORY_QUERY_MAX_S, 500,
			   "series, host, from, to, points, agg, format"},
	[HISTORY_COMPARE] = {BIT(HK_SERIES) | BIT(HK_HOST) | BIT(HK_FROM) | BIT(HK_TO) |
				     BIT(HK_POINTS) | BIT(HK_AGG) | BIT(HK_OFFSET) | BIT(HK_TOP),
			     3600, HISTORY_COMPARE_MAX_S, 720,
			     "series, host, from, to, offset, points, agg, top"},
	[HISTORY_ANOMALIES] = {BIT(HK_SERIES) | BIT(HK_HOST) | BIT(HK_FROM) | BIT(HK_TO), 86400,
			       HISTORY_ANOMALIES_MAX_S, 0, "series, host, from, to"},
	[HISTORY_TRENDS] = {BIT(HK_SERIES) | BIT(HK_HOST) | BIT(HK_TO) | BIT(HK_WINDOW), 0,
			    HISTORY_TRENDS_MAX_S, 0, "series, host, window, to"},
};

int
history_params_parse_duration(const char *text, int64_t *seconds)
{
	const char *p = text;
	int64_t total = 0;

	if (p == NULL || *p == '\0')
		return -1;
	while (*p != '\0') {
		int64_t n = 0, unit;
		int digits = 0;

		while (isdigit((unsigned char)*p) && digits < 10) {
			n = n * 10 + (*p++ - '0');
			digits++;
		}
		if (digits == 0 || isdigit((unsigned char)*p))
			return -1;
		switch (*p++) {
		case 's':
			unit = 1;
			break;
		case 'm':
			unit = 60;
			break;
		case 'h':
			unit = 3600;
			break;
		case 'd':
			unit = 86400;
			break;
		case 'w':
			unit = 7 * 86400;
			break;
		default:
			return -1;
		}
		if (n > HISTORY_MAX_DURATION_S / unit)
			return -1;
		total += n * unit;
		if (total > HISTORY_MAX_DURATION_S)
			return -1;
	}
	if (total < 1)
		return -1;
	*seconds = total;
	return 0;
}

/* "subsystem.metric" with an optional ":instance" of [A-Za-z0-9_./:@+-]. */
static bool
history_valid_name(const char *key)
{
	const char *p = key;
	int part = 0;

	for (int i = 0; i < 2; i++) {
		if (!islower((unsigned char)*p))
			return false;
		while (islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_')
			p++;
		if (i == 0 && *p++ != '.')
			return false;
	}
	if (*p == '\0')
		return true;
	if (*p++ != ':' || *p == '\0')
		return false;
	for (; *p != '\0'; p++, part++) {
		if (!isalnum((unsigned char)*p) && strchr("_./:@+-", *p) == NULL)
			return false;
	}
	return part <= 64;
}

bool
history_params_valid_key(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || n >= HISTORY_KEY_MAX)
		return false;
	if (strspn(key, "0123456789") == n)
		return n <= 9;
	return history_valid_name(key);
}

static int
history_series(const char *value, struct history_params *out, char *err, size_t errlen)
{
	const char *p = value;

	while (true) {
		size_t n = strcspn(p, ",");

		if (out->nseries == HISTORY_MAX_SERIES) {
			snprintf(err, errlen, "series: at most %d series per request",
				 HISTORY_MAX_SERIES);
			return -1;
		}
		if (n == 0 || n >= HISTORY_KEY_MAX) {
			snprintf(err, errlen, "series: empty or over-long entry");
			return -1;
		}
		memcpy(out->series[out->nseries], p, n);
		out->series[out->nseries][n] = '\0';
		if (!history_params_valid_key(out->series[out->nseries])) {
			snprintf(err, errlen,
				 "series: '%.64s' is not a series id or a name like cpu.usr:total",
				 out->series[out->nseries]);
			return -1;
		}
		out->nseries++;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

/* A whole number in [lo, hi] into *out. */
static int
history_int(const char *key, const char *value, int lo, int hi, int *out, char *err, size_t errlen)
{
	size_t n = strspn(value, "0123456789");
	int v = 0;

	if (n > 0 && n <= 5 && value[n] == '\0') {
		for (size_t i = 0; i < n; i++)
			v = v * 10 + (value[i] - '0');
		if (v >= lo && v <= hi) {
			*out = v;
			return 0;
		}
	}
	snprintf(err, errlen, "%s: a whole number from %d to %d", key, lo, hi);
	return -1;
}

static int
history_enum(const char *key, const char *value, const char *const *names, int n, int *out,
	     char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		if (strcmp(value, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	snprintf(err, errlen, "%s: '%.32s' is not one of %s%s%s", key, value, names[0],
		 n > 1 ? ", " : "", n > 1 ? names[1] : "");
	if (n > 2)
		snprintf(err + strlen(err), errlen - strlen(err), ", %s", names[2]);
	return -1;
}

static int
history_duration(const char *key, const char *value, int64_t *out, char *err, size_t errlen)
{
	if (history_params_parse_duration(value, out) != 0) {
		snprintf(err, errlen, "%s: '%.32s' is not a duration like 1d, 7d, 90m or 1h30m",
			 key, value);
		return -1;
	}
	return 0;
}

/* Stores one key=value pair into out (times are kept in times[] for the range check). */
static int
history_one(const struct history_rule *rule, const char *key, const char *value,
	    struct history_params *out, const char **times, unsigned *seen, char *err,
	    size_t errlen)
{
	static const char *const aggs[] = {"avg", "min", "max"};
	static const char *const formats[] = {"json", "csv"};
	int k, e = 0;

	for (k = 0; k < HK_COUNT && strcmp(history_key_names[k], key) != 0; k++)
		;
	if (k == HK_COUNT || !(rule->allowed & BIT(k))) {
		snprintf(err, errlen, "unknown parameter '%.32s' (known: %s)", key, rule->known);
		return -1;
	}
	if (*seen & BIT(k)) {
		snprintf(err, errlen, "parameter '%s' is given twice", key);
		return -1;
	}
	*seen |= BIT(k);
	switch (k) {
	case HK_SERIES:
		return history_series(value, out, err, errlen);
	case HK_HOST:
		if (*value == '\0' || strlen(value) >= sizeof(out->host)) {
			snprintf(err, errlen, "host: empty or longer than %zu bytes",
				 sizeof(out->host) - 1);
			return -1;
		}
		if (!query_params_text_ok(value)) {
			snprintf(err, errlen,
				 "host: only letters, digits, space and ._:/@+- are allowed");
			return -1;
		}
		snprintf(out->host, sizeof(out->host), "%s", value);
		return 0;
	case HK_FROM:
	case HK_TO:
		times[k == HK_TO] = value;
		return 0;
	case HK_POINTS:
		return history_int(key, value, 1, HISTORY_MAX_POINTS, &out->points, err, errlen);
	case HK_TOP:
		return history_int(key, value, 0, HISTORY_MAX_TOP, &out->top, err, errlen);
	case HK_AGG:
		if (history_enum(key, value, aggs, 3, &e, err, errlen) != 0)
			return -1;
		out->agg = (enum history_agg)e;
		return 0;
	case HK_FORMAT:
		if (history_enum(key, value, formats, 2, &e, err, errlen) != 0)
			return -1;
		out->format = e == 0 ? HISTORY_FORMAT_JSON : HISTORY_FORMAT_CSV;
		return 0;
	case HK_OFFSET:
		return history_duration(key, value, &out->offset_s, err, errlen);
	default:
		return history_duration(key, value, &out->window_s, err, errlen);
	}
}

static int
history_time(const char *key, const char *text, int64_t *ms, char *err, size_t errlen)
{
	if (text != NULL && query_params_parse_time(text, ms) != 0) {
		snprintf(err, errlen, "%s: '%.40s' is not epoch milliseconds or an RFC 3339 time",
			 key, text);
		return -1;
	}
	return 0;
}

/* Applies defaults and bounds once every pair is read. */
static int
history_finish(const struct history_rule *rule, const char **times, int64_t now_ms,
	       struct history_params *out, char *err, size_t errlen)
{
	int64_t range_s;

	/* compare without series is the changed-most summary alone. */
	if (out->route == HISTORY_COMPARE && out->nseries == 0 && out->top < 0)
		out->top = 10;
	if (out->nseries == 0 && out->top <= 0) {
		snprintf(err, errlen,
			 "series is required, e.g. series=cpu.usr:total,mem.available_kb");
		return -1;
	}
	if (out->top < 0)
		out->top = 0;
	out->to_ms = now_ms;
	if (history_time("to", times[1], &out->to_ms, err, errlen) != 0)
		return -1;
	if (out->route == HISTORY_TRENDS) {
		if (out->window_s == 0)
			out->window_s = 7 * 86400;
		if (out->window_s < HISTORY_TRENDS_MIN_S || out->window_s > rule->max_range_s) {
			snprintf(err, errlen, "window: from 1h to 731d");
			return -1;
		}
		out->from_ms = out->to_ms - out->window_s * 1000;
		return 0;
	}
	out->from_ms = out->to_ms - rule->default_range_s * 1000;
	if (history_time("from", times[0], &out->from_ms, err, errlen) != 0)
		return -1;
	if (out->from_ms >= out->to_ms) {
		snprintf(err, errlen, "from must be earlier than to");
		return -1;
	}
	range_s = (out->to_ms - out->from_ms) / 1000;
	if (range_s > rule->max_range_s) {
		snprintf(err, errlen, "range is longer than %lld days",
			 (long long)(rule->max_range_s / 86400));
		return -1;
	}
	if (out->points == 0)
		out->points = rule->default_points;
	if (out->route == HISTORY_COMPARE) {
		if (out->offset_s == 0)
			out->offset_s = 86400;
		if (out->offset_s > HISTORY_QUERY_MAX_S) {
			snprintf(err, errlen, "offset: at most 3 years");
			return -1;
		}
	}
	return 0;
}

int
history_params_parse(enum history_route route, const char *query, int64_t now_ms,
		     struct history_params *out, char *err, size_t errlen)
{
	const struct history_rule *rule = &history_rules[route];
	struct evkeyvalq kv;
	struct evkeyval *e;
	const char *times[2] = {NULL, NULL};
	unsigned seen = 0;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	out->route = route;
	out->top = -1;
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(query ? query : "", &kv) != 0) {
		snprintf(err, errlen, "query string is malformed");
		goto fail;
	}
	TAILQ_FOREACH(e, &kv, next)
	{
		if (history_one(rule, e->key, e->value, out, times, &seen, err, errlen) != 0)
			goto fail;
	}
	rc = history_finish(rule, times, now_ms, out, err, errlen);
fail:
	evhttp_clear_headers(&kv);
	return rc;
}

void
history_params_series_array(const struct history_params *p, char *buf, size_t len)
{
	size_t used = 0;

	used += (size_t)snprintf(buf, len, "{");
	for (size_t i = 0; i < p->nseries && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"", i > 0 ? "," : "",
					 p->series[i]);
	if (used < len)
		snprintf(buf + used, len - used, "}");
}

const char *
history_params_agg_name(enum history_agg agg)
{
	switch (agg) {
	case HISTORY_AGG_AVG:
		return "avg";
	case HISTORY_AGG_MIN:
		return "min";
	case HISTORY_AGG_MAX:
		return "max";
	}
	return "avg";
}
