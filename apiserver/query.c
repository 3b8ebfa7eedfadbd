/*
 * The /api/v1/query statement: one UNION ALL branch per metric, with table and column names
 * taken from the catalogue and every user-supplied value passed as a parameter.
 */
#include "apiserver/query.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The instance a metric is asked for: the catalogue's total instance stands for "total". */
static const char *
query_instance(const struct query_params *p, const struct metric *m)
{
	if (m->instance_total != NULL && strcmp(p->instance, "total") == 0)
		return m->instance_total;
	return p->instance;
}

/*
 * Metrics i and j come from the same rows: one table, and the same instance of it. One scan
 * serves them all: a branch per metric took about twice as long to plan and run (bench/README.md).
 */
static bool
query_same_rows(const struct query_params *p, size_t i, size_t j)
{
	const struct metric *a = p->metrics[i], *b = p->metrics[j];

	if (strcmp(a->table, b->table) != 0)
		return false;
	if (a->instance_column == NULL || b->instance_column == NULL)
		return a->instance_column == b->instance_column;
	return strcmp(a->instance_column, b->instance_column) == 0 &&
	       strcmp(query_instance(p, a), query_instance(p, b)) == 0;
}

/* Metric i is the first of its rows' metrics: its scan is the one that lists them all. */
static bool
query_scan_leader(const struct query_params *p, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (query_same_rows(p, j, i))
			return false;
	}
	return true;
}

/* "YYYY-MM-DD HH:MM:SS.mmm+00" for epoch milliseconds in query_params' range (0 to year 9999). */
static void
query_timestamp(int64_t ms, char *buf, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, len, "%04d-%02d-%02d %02d:%02d:%02d.%03d+00", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/*
 * One scan per table and instance; each row gives one value per metric asked of it (a LATERAL
 * VALUES list). The time bounds are timestamptz parameters, i.e. constants the planner prunes
 * the day partitions with; an expression on them (epoch + n ms) is pruned only when the
 * statement starts, after every partition has been planned. Values travel as text: PostgreSQL
 * prints a real as its shortest exact decimal (9.18), where a cast to float8 would turn it into
 * 9.1800003051757812.
 */
char *
query_sql(const struct query_params *p)
{
	struct query_buf b = {xmalloc(1024), 0, 1024};
	const struct metric *m;
	size_t param = QUERY_FIXED_PARAMS;
	bool first_scan = true;

	b.s[0] = '\0';
	query_append(&b, "SELECT q.i, q.ts_ms, q.v FROM (");
	for (size_t i = 0; i < p->nmetrics; i++) {
		if (!query_scan_leader(p, i))
			continue;
		m = p->metrics[i];
		query_append(
			&b,
			"%sSELECT v.i, (extract(epoch FROM t.ts) * 1000)::int8 AS ts_ms, v.v "
			"FROM %s t JOIN host h ON h.id = t.host_id CROSS JOIN LATERAL (VALUES ",
			first_scan ? "" : " UNION ALL ", m->table);
		for (size_t j = i; j < p->nmetrics; j++) {
			if (j == i || query_same_rows(p, i, j))
				query_append(&b, "%s(%zu, t.%s::text)", j == i ? "" : ", ", j,
					     p->metrics[j]->column);
		}
		query_append(&b,
			     ") v(i, v) WHERE t.ts >= $1::timestamptz AND t.ts <= $2::timestamptz "
			     "AND ($3::text IS NULL OR h.name = $3::text)");
		if (m->instance_column != NULL)
			query_append(&b, " AND t.%s::text = $%zu::text", m->instance_column,
				     ++param);
		first_scan = false;
	}
	query_append(&b, ") q ORDER BY q.i, q.ts_ms LIMIT $4::int8");
	return b.s;
}

void
query_values(const struct query_params *p, struct query_values *v)
{
	const struct metric *m;

	v->nvalues = QUERY_FIXED_PARAMS;
	query_timestamp(p->from_ms, v->buf[0], sizeof(v->buf[0]));
	query_timestamp(p->to_ms, v->buf[1], sizeof(v->buf[1]));
	snprintf(v->buf[2], sizeof(v->buf[2]), "%d", QUERY_MAX_POINTS + 1);
	v->values[0] = v->buf[0];
	v->values[1] = v->buf[1];
	v->values[2] = p->host[0] ? p->host : NULL;
	v->values[3] = v->buf[2];
	/* One parameter per scan with an instance column, in query_sql()'s order. */
	for (size_t i = 0; i < p->nmetrics; i++) {
		m = p->metrics[i];
		if (m->instance_column != NULL && query_scan_leader(p, i))
			v->values[v->nvalues++] = query_instance(p, m);
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
