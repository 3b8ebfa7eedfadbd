/*
 * The /api/v1/query?series= answer written as JSON text straight into a buffer, without a
 * document tree: one allocation-free pass over the rows, the same text http_reply_json()
 * printed from the jansson tree (compact, reals with DBL_DIG significant digits).
 */
#ifndef PERFWATCH_APISERVER_HISTORY_JSON_H
#define PERFWATCH_APISERVER_HISTORY_JSON_H

#include <stddef.h>

#include <event2/buffer.h>
#include <libpq-fe.h>

#include "apiserver/history_params.h"
#include "common/compat.h"

/* Longest text of one real: sign, 15 digits, point, exponent, ".0" and NUL. */
#define HISTORY_JSON_REAL_MAX 32

/*
 * Writes `d` as jansson prints json_real(d) with JSON_REAL_PRECISION(DBL_DIG) ("29.5", "500.0",
 * "1e-5"), or "null" when d is NaN or infinite (JSON has no such numbers). Returns the length;
 * out has HISTORY_JSON_REAL_MAX bytes.
 */
size_t history_json_real(char *out, double d);
/*
 * Appends the JSON answer for the rows of perfwatch_api_query() in res (a 'plan' row, then per
 * series a 'series' row and its 'point' rows): {"from","to","agg","tier","step_s","series":[{"id",
 * "series","metric","instance","host","unit","points":[[ts_ms,value],...]}]}. A point whose value
 * is NULL, NaN or infinite is [ts_ms,null]. Returns 0, or -1 when out of memory.
 */
MUST_CHECK int history_json_query(struct evbuffer *out, const struct history_params *p,
				  const PGresult *res);

#endif
