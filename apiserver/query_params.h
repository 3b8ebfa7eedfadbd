/* Parses and bounds the query string of GET /api/v1/query; pure, no I/O. */
#ifndef PERFWATCH_APISERVER_QUERY_PARAMS_H
#define PERFWATCH_APISERVER_QUERY_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"
#include "common/metrics.h"

#define QUERY_PARAMS_MAX_METRICS      16
#define QUERY_PARAMS_MAX_RANGE_MS     (24LL * 3600 * 1000)
#define QUERY_PARAMS_DEFAULT_RANGE_MS (5LL * 60 * 1000)
#define QUERY_PARAMS_INSTANCE_MAX     64
#define QUERY_PARAMS_HOST_MAX	      256

/* A validated request: catalogue rows, the instance, an optional host, and [from, to] in ms. */
struct query_params {
	const struct metric *metrics[QUERY_PARAMS_MAX_METRICS];
	size_t nmetrics;
	char instance[QUERY_PARAMS_INSTANCE_MAX]; /* "total" unless given */
	char host[QUERY_PARAMS_HOST_MAX];	  /* "" = not given */
	int64_t from_ms;
	int64_t to_ms;
};

/*
 * Parses `query` (the raw text after '?', may be NULL) with `now_ms` as the default `to`.
 * Returns 0 and fills out, or -1 with a sentence for the client in err.
 */
MUST_CHECK int query_params_parse(const char *query, int64_t now_ms, struct query_params *out,
				  char *err, size_t errlen);
/*
 * Returns true when a free-text parameter (host, instance) holds only what host names, device,
 * interface, sensor and mount names use: letters, digits, space and . _ : / @ + -. Quotes,
 * semicolons, backslashes and the like are refused before anything runs.
 */
bool query_params_text_ok(const char *s);
/* Parses epoch milliseconds or an RFC 3339 time into *ms; returns 0 or -1. */
MUST_CHECK int query_params_parse_time(const char *text, int64_t *ms);

#endif
