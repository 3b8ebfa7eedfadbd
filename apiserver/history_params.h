/*
 * Parses and bounds the query strings of the history routes (/api/v1/query?series=, compare,
 * anomalies, trends); pure, no I/O.
 */
#ifndef PERFWATCH_APISERVER_HISTORY_PARAMS_H
#define PERFWATCH_APISERVER_HISTORY_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"

#define HISTORY_MAX_SERIES     32
#define HISTORY_MAX_POINTS     2000
#define HISTORY_MAX_TOP	       100
#define HISTORY_KEY_MAX	       160
#define HISTORY_HOST_MAX       256
#define HISTORY_MAX_DURATION_S (10LL * 366 * 86400)
/* Longest ranges: query (2 years of 1h tier and some), compare, anomalies, trends window. */
#define HISTORY_QUERY_MAX_S	(3LL * 366 * 86400)
#define HISTORY_COMPARE_MAX_S	(31LL * 86400)
#define HISTORY_ANOMALIES_MAX_S (7LL * 86400)
#define HISTORY_TRENDS_MAX_S	(731LL * 86400)
#define HISTORY_TRENDS_MIN_S	3600
/* Room for the series as a PostgreSQL text[] literal: quotes and commas around every key. */
#define HISTORY_SERIES_ARRAY_MAX (HISTORY_MAX_SERIES * (HISTORY_KEY_MAX + 3) + 3)

enum history_route {
	HISTORY_QUERY,	   /* GET /api/v1/query?series= */
	HISTORY_COMPARE,   /* GET /api/v1/compare */
	HISTORY_ANOMALIES, /* GET /api/v1/anomalies */
	HISTORY_TRENDS,	   /* GET /api/v1/trends */
};

enum history_agg { HISTORY_AGG_AVG, HISTORY_AGG_MIN, HISTORY_AGG_MAX };

enum history_format { HISTORY_FORMAT_DEFAULT, HISTORY_FORMAT_JSON, HISTORY_FORMAT_CSV };

/* A validated request. Keys are "subsystem.metric[:instance]" names or series ids. */
struct history_params {
	enum history_route route;
	char series[HISTORY_MAX_SERIES][HISTORY_KEY_MAX];
	size_t nseries;
	char host[HISTORY_HOST_MAX]; /* "" = any host */
	int64_t from_ms;	     /* query, compare, anomalies */
	int64_t to_ms;
	int points;		    /* query, compare */
	enum history_agg agg;	    /* query, compare */
	enum history_format format; /* query; DEFAULT = decided by the Accept header */
	int64_t offset_s;	    /* compare */
	int64_t window_s;	    /* trends */
	int top;		    /* compare: changed-most list length (0 = none) */
};

/*
 * Parses `query` (the text after '?', may be NULL) for `route`, with `now_ms` as the default
 * `to`. Unknown, repeated or malformed parameters and out-of-bounds values are errors. Returns
 * 0 and fills out, or -1 with a sentence for the client in err.
 */
MUST_CHECK int history_params_parse(enum history_route route, const char *query, int64_t now_ms,
				    struct history_params *out, char *err, size_t errlen);
/*
 * Parses a duration made of <digits><unit> groups, unit one of s m h d w ("1d", "90m",
 * "1h30m") into seconds (1 .. HISTORY_MAX_DURATION_S). Returns 0 or -1.
 */
MUST_CHECK int history_params_parse_duration(const char *text, int64_t *seconds);
/* Returns true when `key` is a series id (digits) or a well-formed series name. */
bool history_params_valid_key(const char *key);
/* Writes p's series as a PostgreSQL array literal ({"a","b"}) into buf (HISTORY_SERIES_ARRAY_MAX
 * bytes suffice). */
void history_params_series_array(const struct history_params *p, char *buf, size_t len);
/* Returns "avg", "min" or "max". */
const char *history_params_agg_name(enum history_agg agg);

#endif
