/*
 * The /api/v1/query statement: one UNION ALL branch per metric, with table and column names
 * taken from the catalogue and every user-supplied value passed as a parameter.
 */
#include "apiserver/query.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct query_buf {
	char *s;
	size_t len, cap;
};

static void PRINTF_LIKE(2, 3) query_append(struct query_buf *b, const char *fmt, ...);

static void
query_append(struct query_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap *= 2;
		b->s = xrealloc(b->s, b->cap);
	}
}

/*
 * Time bounds use the same ms -> timestamptz conversion as perfwatch_ingest(). Values travel as
 * text: PostgreSQL prints a real as its shortest exact decimal (9.18), where a cast to float8
 * would turn it into 9.1800003051757812.
 */
char *
query_sql(const struct query_params *p)
{
	struct query_buf b = {xmalloc(1024), 0, 1024};
	const struct metric *m;
	size_t param = QUERY_FIXED_PARAMS;

	b.s[0] = '\0';
	query_append(&b, "SELECT q.i, q.ts_ms, q.v FROM (");
	for (size_t i = 0; i < p->nmetrics; i++) {
		m = p->metrics[i];
		query_append(
			&b,
			"%sSELECT %zu AS i, (extract(epoch FROM t.ts) * 1000)::int8 AS ts_ms, "
			"t.%s::text AS v FROM %s t JOIN host h ON h.id = t.host_id "
			"WHERE t.ts >= timestamptz 'epoch' + $1::int8 * interval '1 millisecond' "
			"AND t.ts <= timestamptz 'epoch' + $2::int8 * interval '1 millisecond' "
			"AND ($3::text IS NULL OR h.name = $3::text)",
			i ? " UNION ALL " : "", i, m->column, m->table);
		if (m->instance_column != NULL)
			query_append(&b, " AND t.%s::text = $%zu::text", m->instance_column,
				     ++param);
	}
	query_append(&b, ") q ORDER BY q.i, q.ts_ms LIMIT $4::int8");
	return b.s;
}

void
query_values(const struct query_params *p, struct query_values *v)
{
	const struct metric *m;

	v->nvalues = QUERY_FIXED_PARAMS;
	snprintf(v->buf[0], sizeof(v->buf[0]), "%" PRId64, p->from_ms);
	snprintf(v->buf[1], sizeof(v->buf[1]), "%" PRId64, p->to_ms);
	snprintf(v->buf[2], sizeof(v->buf[2]), "%d", QUERY_MAX_POINTS + 1);
	v->values[0] = v->buf[0];
	v->values[1] = v->buf[1];
	v->values[2] = p->host[0] ? p->host : NULL;
	v->values[3] = v->buf[2];
	/* One parameter per metric with an instance column, in query_sql()'s order. */
	for (size_t i = 0; i < p->nmetrics; i++) {
		m = p->metrics[i];
		if (m->instance_column == NULL)
			continue;
		if (m->instance_total != NULL && strcmp(p->instance, "total") == 0)
			v->values[v->nvalues++] = m->instance_total;
		else
			v->values[v->nvalues++] = p->instance;
	}
}

/* A NULL, NaN or infinite value becomes JSON null: JSON has no numbers for the last two. */
static json_t *
query_value(const PGresult *res, int row)
{
	double d;

	if (PQgetisnull(res, row, 2))
		return json_null();
	d = strtod(PQgetvalue(res, row, 2), NULL);
	return isfinite(d) ? json_real(d) : json_null();
}

static json_t *
query_series(const struct metric *m, const char *instance)
{
	return json_pack("{s:s, s:s?, s:s, s:[]}", "metric", m->name, "instance",
			 m->instance_column ? instance : NULL, "unit", m->unit, "points");
}

json_t *
query_result_json(const struct query_params *p, const PGresult *res, char *err, size_t errlen)
{
	json_t *series, *points[QUERY_PARAMS_MAX_METRICS], *s, *pt;
	int rows = PQntuples(res);
	long idx;

	if (rows > QUERY_MAX_POINTS) {
		snprintf(err, errlen,
			 "more than %d points: narrow the range or ask for fewer metrics",
			 QUERY_MAX_POINTS);
		return NULL;
	}
	series = json_array();
	for (size_t i = 0; i < p->nmetrics; i++) {
		s = query_series(p->metrics[i], p->instance);
		points[i] = json_object_get(s, "points");
		json_array_append_new(series, s);
	}
	for (int r = 0; r < rows; r++) {
		idx = strtol(PQgetvalue(res, r, 0), NULL, 10);
		if (idx < 0 || (size_t)idx >= p->nmetrics)
			continue;
		pt = json_pack("[I, o]", (json_int_t)strtoll(PQgetvalue(res, r, 1), NULL, 10),
			       query_value(res, r));
		json_array_append_new(points[idx], pt);
	}
	return json_pack("{s:I, s:I, s:o}", "from", (json_int_t)p->from_ms, "to",
			 (json_int_t)p->to_ms, "series", series);
}
