/* Turns validated /api/v1/query parameters into one parameterised SQL statement and its rows into
 * JSON. */
#ifndef PERFWATCH_APISERVER_QUERY_H
#define PERFWATCH_APISERVER_QUERY_H

#include <jansson.h>
#include <libpq-fe.h>

#include "apiserver/query_params.h"
#include "common/compat.h"

/* Most points one response carries (all series together); more is a 400 asking for less. */
#define QUERY_MAX_POINTS 200000
/* $1 from, $2 to, $3 host, $4 row limit, then one instance per metric. */
#define QUERY_FIXED_PARAMS 4
#define QUERY_MAX_PARAMS   (QUERY_FIXED_PARAMS + QUERY_PARAMS_MAX_METRICS)

/* Text of the statement's parameters; values point into buf or p, or are NULL for SQL NULL. */
struct query_values {
	char buf[3][96]; /* room for any int in each date field: -Wformat-truncation */
	const char *values[QUERY_MAX_PARAMS];
	int nvalues;
};

/* Returns the SQL text for p, built only from catalogue strings; caller frees. */
char *query_sql(const struct query_params *p);
/* Fills v with the parameters query_sql()'s text expects; v borrows strings from p. */
void query_values(const struct query_params *p, struct query_values *v);
/*
 * Builds the response object from a PGRES_TUPLES_OK result of query_sql(); returns a new
 * reference, or NULL with a sentence in err when the result has more than QUERY_MAX_POINTS rows.
 */
json_t *query_result_json(const struct query_params *p, const PGresult *res, char *err,
			  size_t errlen);

#endif
