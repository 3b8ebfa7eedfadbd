/*
 * Tests for the /api/v1/query statement and response: SQL text only from the catalogue, one
 * parameter per placeholder, and rows (in a real libpq PGresult) turned into series.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apiserver/query.h"
#include "unit_suites.h"

#define NOW_MS 1795312800000LL

static void
parse(const char *qs, struct query_params *p)
{
	char err[256];

	ck_assert_msg(query_params_parse(qs, NOW_MS, p, err, sizeof(err)) == 0, "%s", err);
}

/* Highest $N in sql. */
static int
max_placeholder(const char *sql)
{
	int max = 0;

	for (const char *s = strchr(sql, '$'); s != NULL; s = strchr(s + 1, '$')) {
		int n = atoi(s + 1);
		if (n > max)
			max = n;
	}
	return max;
}

START_TEST(test_query_sql_uses_parameters_only)
{
	struct query_params p;
	struct query_values v;
	char *sql;

	/* Quotes and semicolons are refused by the parser (below); what passes is still a value. */
	parse("metric=cpu.usr,mem.free_kb,cpu.sys&instance=x--%20drop%20table%20host&host=h:1", &p);
	sql = query_sql(&p);
	query_values(&p, &v);
	ck_assert_ptr_null(strstr(sql, "drop"));
	ck_assert_ptr_null(strstr(sql, "h:1"));
	/* One scan per table and instance: cpu.usr and cpu.sys share cpu_samples' rows. */
	ck_assert_ptr_nonnull(strstr(sql, "FROM cpu_samples t"));
	ck_assert_ptr_null(strstr(strstr(sql, "FROM cpu_samples t") + 1, "FROM cpu_samples t"));
	ck_assert_ptr_nonnull(strstr(sql, "(0, t.usr::text), (2, t.sys::text)"));
	ck_assert_ptr_nonnull(strstr(sql, "(1, t.free_kb::text)"));
	/* cpu_samples' instance is $5; memory has none. */
	ck_assert_int_eq(v.nvalues, 5);
	ck_assert_int_eq(max_placeholder(sql), v.nvalues);
	/* Bounds as timestamptz constants (the planner prunes partitions with them), in UTC. */
	ck_assert_str_eq(v.values[0], "2026-11-22 01:55:00.000+00");
	ck_assert_str_eq(v.values[1], "2026-11-22 02:00:00.000+00");
	ck_assert_str_eq(v.values[2], "h:1");
	ck_assert_str_eq(v.values[4], "x-- drop table host");
	free(sql);
	/* "total" maps to the catalogue's total instance; no host is SQL NULL. */
	parse("metric=cpu.usr&from=1795312799999&to=1795312800001", &p);
	query_values(&p, &v);
	ck_assert_ptr_null(v.values[2]);
	ck_assert_str_eq(v.values[4], "-1");
	ck_assert_str_eq(v.values[0], "2026-11-22 01:59:59.999+00");
	ck_assert_str_eq(v.values[1], "2026-11-22 02:00:00.001+00");
	/* Two tables with instance columns: a scan and a parameter each, in the metrics' order. */
	parse("metric=net.rx_bytes_per_s,cpu.usr,net.tx_bytes_per_s&instance=eth0", &p);
	sql = query_sql(&p);
	query_values(&p, &v);
	ck_assert_int_eq(v.nvalues, 6);
	ck_assert_int_eq(max_placeholder(sql), v.nvalues);
	ck_assert_ptr_nonnull(
		strstr(sql, "(0, t.rx_bytes_per_s::text), (2, t.tx_bytes_per_s::text)"));
	ck_assert_ptr_nonnull(strstr(sql, "(1, t.usr::text)"));
	ck_assert_ptr_nonnull(strstr(sql, "t.iface::text = $5::text"));
	ck_assert_ptr_nonnull(strstr(sql, "t.cpu::text = $6::text"));
	ck_assert_str_eq(v.values[4], "eth0");
	ck_assert_str_eq(v.values[5], "eth0");
	free(sql);
	{
		static const char *const hostile[] = {
			"metric=cpu.usr&instance=x'%3B%20drop%20table%20host--",
			"metric=cpu.usr&host=h'1",
			"metric=cpu.usr&host=a%22b",
			"metric=cpu.usr&instance=1%3B",
			"metric=cpu.usr&instance=%5C",
		};
		char err[256];

		for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++)
			ck_assert_msg(
				query_params_parse(hostile[i], NOW_MS, &p, err, sizeof(err)) == -1,
				"%s", hostile[i]);
	}
}
END_TEST

/* A real PGresult with columns (i, ts_ms, v), built with libpq's result constructors. */
static PGresult *
make_result(const char *const (*rows)[3], int nrows)
{
	PGresAttDesc attrs[3] = {
		{.name = (char[]){"i"}, .format = 0, .typid = 23, .typlen = 4, .atttypmod = -1},
		{.name = (char[]){"ts_ms"}, .format = 0, .typid = 20, .typlen = 8, .atttypmod = -1},
		{.name = (char[]){"v"}, .format = 0, .typid = 701, .typlen = 8, .atttypmod = -1},
	};
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	char cell[32];

	ck_assert_int_eq(PQsetResultAttrs(res, 3, attrs), 1);
	for (int r = 0; r < nrows; r++) {
		for (int c = 0; c < 3; c++) {
			/* PQsetvalue copies; it takes char * but does not write through it. */
			snprintf(cell, sizeof(cell), "%s", rows[r][c] ? rows[r][c] : "");
			ck_assert_int_eq(
				PQsetvalue(res, r, c, cell, rows[r][c] ? (int)strlen(cell) : -1),
				1);
		}
	}
	return res;
}

START_TEST(test_query_result_json_shapes_series)
{
	static const char *const rows[][3] = {
		{"0", "1000", "1.5"},
		{"0", "2000", NULL},
		{"1", "1000", "NaN"},
		{"1", "2000", "42"},
	};
	struct query_params p;
	PGresult *res;
	json_t *body;
	char err[256], *text;

	parse("metric=cpu.usr,mem.free_kb&from=0&to=60000", &p);
	res = make_result(rows, 4);
	body = query_result_json(&p, res, err, sizeof(err));
	ck_assert_ptr_nonnull(body);
	text = json_dumps(body, JSON_COMPACT);
	ck_assert_str_eq(text, "{\"from\":0,\"to\":60000,\"series\":["
			       "{\"metric\":\"cpu.usr\",\"instance\":\"total\",\"unit\":\"%\","
			       "\"points\":[[1000,1.5],[2000,null]]},"
			       "{\"metric\":\"mem.free_kb\",\"instance\":null,\"unit\":\"KiB\","
			       "\"points\":[[1000,null],[2000,42.0]]}]}");
	free(text);
	json_decref(body);
	PQclear(res);
}
END_TEST

START_TEST(test_query_result_json_refuses_too_many_points)
{
	static const char *const row[][3] = {{"0", "1", "1"}};
	struct query_params p;
	PGresult *res;
	char err[256] = "", zero[] = "0";

	parse("metric=cpu.usr", &p);
	res = make_result(row, 1);
	/* PQsetvalue past the end appends: grow to one row over the limit. */
	for (int r = 1; r <= QUERY_MAX_POINTS; r++)
		ck_assert_int_eq(PQsetvalue(res, r, 0, zero, 1), 1);
	ck_assert_ptr_null(query_result_json(&p, res, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "narrow the range"));
	PQclear(res);
}
END_TEST

Suite *
query_suite(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_query_sql_uses_parameters_only);
	tcase_add_test(tc, test_query_result_json_shapes_series);
	tcase_add_test(tc, test_query_result_json_refuses_too_many_points);
	suite_add_tcase(s, tc);
	return s;
}
