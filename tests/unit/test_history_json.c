/*
 * Tests for the streamed /api/v1/query?series= answer: reals printed exactly as jansson prints
 * them, and the whole answer byte for byte what the jansson tree it replaces produced (kept here
 * as the reference), from real libpq PGresults.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <jansson.h>

#include "apiserver/history_json.h"
#include "unit_suites.h"

/* The old builder (http_history.c before the answer was streamed), the reference. */
static json_t *
ref_series_json(const PGresult *res, int row)
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
	json_object_set_new(s, "points", json_array());
	return s;
}

static char *
ref_query_text(const struct history_params *p, const PGresult *res)
{
	json_t *body = json_pack("{s:I, s:I, s:s}", "from", (json_int_t)p->from_ms, "to",
				 (json_int_t)p->to_ms, "agg", history_params_agg_name(p->agg));
	json_t *series = json_array();
	json_t *points = NULL;
	char *text;

	for (int i = 0; i < PQntuples(res); i++) {
		const char *kind = PQgetvalue(res, i, 0);

		if (strcmp(kind, "plan") == 0) {
			json_object_set_new(body, "tier", json_string(PQgetvalue(res, i, 2)));
			json_object_set_new(body, "step_s",
					    json_integer(atoi(PQgetvalue(res, i, 6))));
		} else if (strcmp(kind, "series") == 0) {
			json_t *s = ref_series_json(res, i);

			points = json_object_get(s, "points");
			json_array_append_new(series, s);
		} else if (points != NULL) {
			json_int_t ts = strtoll(PQgetvalue(res, i, 5), NULL, 10);

			json_array_append_new(
				points, json_pack("[I, o]", ts,
						  PQgetisnull(res, i, 6)
							  ? json_null()
							  : json_real(strtod(PQgetvalue(res, i, 6),
									     NULL))));
		}
	}
	json_object_set_new(body, "series", series);
	text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(DBL_DIG));
	json_decref(body);
	return text;
}

/* A PGresult shaped like perfwatch_api_query()'s: kind, series_id, label, host, unit, ts_ms,
 * value; NULL cells are NULL. */
static PGresult *
make_result(const char *const (*rows)[7], int nrows)
{
	static char names[7][16] = {"kind", "series_id", "label", "host", "unit", "ts_ms", "value"};
	static const unsigned int types[7] = {25, 23, 25, 25, 25, 20, 701};
	PGresAttDesc attrs[7];
	PGresult *res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	char cell[256];

	for (int c = 0; c < 7; c++)
		attrs[c] = (PGresAttDesc){.name = names[c],
					  .format = 0,
					  .typid = types[c],
					  .typlen = -1,
					  .atttypmod = -1};
	ck_assert_int_eq(PQsetResultAttrs(res, 7, attrs), 1);
	for (int r = 0; r < nrows; r++) {
		for (int c = 0; c < 7; c++) {
			snprintf(cell, sizeof(cell), "%s", rows[r][c] ? rows[r][c] : "");
			ck_assert_int_eq(
				PQsetvalue(res, r, c, cell, rows[r][c] ? (int)strlen(cell) : -1),
				1);
		}
	}
	return res;
}

static char *
streamed_text(const struct history_params *p, const PGresult *res)
{
	struct evbuffer *buf = evbuffer_new();
	size_t len;
	char *text;

	ck_assert_int_eq(history_json_query(buf, p, res), 0);
	len = evbuffer_get_length(buf);
	text = malloc(len + 1);
	ck_assert_int_eq(evbuffer_remove(buf, text, len), (int)len);
	text[len] = '\0';
	evbuffer_free(buf);
	return text;
}

static void
check_real(double d)
{
	char got[HISTORY_JSON_REAL_MAX];
	json_t *j = json_real(d);
	char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(DBL_DIG));
	size_t n = history_json_real(got, d);

	ck_assert_ptr_nonnull(want);
	ck_assert_uint_eq(n, strlen(got));
	ck_assert_msg(strcmp(got, want) == 0, "%.17g: got %s, jansson %s", d, got, want);
	free(want);
	json_decref(j);
}

START_TEST(test_history_json_real_as_jansson)
{
	static const double values[] = {
		0.0,
		-0.0,
		1.0,
		-1.0,
		500.0,
		29.5,
		0.1,
		0.1 + 0.2,
		1.0 / 3,
		2.0 / 3,
		1e-4,
		1e-5,
		1.5e-7,
		-2.5e-300,
		5e-324,
		123456789012345.0,
		1234567890123456.0,
		1e15,
		1e16,
		1e20,
		1e21,
		1e100,
		-1e308,
		DBL_MAX,
		DBL_MIN,
		9007199254740993.0,
		29.533333333333335,
		99.99999999999999,
		1e14,
		0.000123456789012345678,
		4294967296.0,
		-7.25,
	};
	char got[HISTORY_JSON_REAL_MAX];

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		check_real(values[i]);
	srand(7);
	for (int i = 0; i < 20000; i++) {
		/* Random mantissa and exponent over the whole double range. */
		double d = ldexp((double)rand() / RAND_MAX + (double)rand() / RAND_MAX / RAND_MAX,
				 rand() % 2080 - 1060);

		check_real(i % 2 ? d : -d);
		if (d < 1e300)
			check_real(round(d * 1000) / 1000);
	}
	ck_assert_uint_eq(history_json_real(got, NAN), 4);
	ck_assert_str_eq(got, "null");
	ck_assert_uint_eq(history_json_real(got, -INFINITY), 4);
	ck_assert_str_eq(got, "null");
}
END_TEST

START_TEST(test_history_json_query_as_jansson_tree)
{
	static const char *const rows[][7] = {
		{"plan", NULL, "raw", NULL, NULL, NULL, "5"},
		{"series", "3", "cpu.usr:total", "web \"1\"", "%", NULL, NULL},
		{"point", "3", NULL, NULL, NULL, "1795312800000", "29.5"},
		{"point", "3", NULL, NULL, NULL, "1795312805000", NULL},
		{"point", "3", NULL, NULL, NULL, "1795312810000", "500"},
		{"point", "3", NULL, NULL, NULL, "1795312815000", "29.533333333333335"},
		{"point", "3", NULL, NULL, NULL, "1795312820000", "1e-05"},
		{"series", "9", "mem.available_kb", "h\\é\n", "KiB", NULL, NULL},
		{"series", "12", "fs.used_pct:/home", "h", "%", NULL, NULL},
		{"point", "12", NULL, NULL, NULL, "-5", "-0"},
		{"point", "12", NULL, NULL, NULL, "0", "1.7976931348623157e+308"},
	};
	struct history_params p = {.route = HISTORY_QUERY,
				   .from_ms = 1795312800000LL,
				   .to_ms = 1795316400000LL,
				   .agg = HISTORY_AGG_MAX};
	PGresult *res = make_result(rows, (int)(sizeof(rows) / sizeof(rows[0])));
	char *want = ref_query_text(&p, res);
	char *got = streamed_text(&p, res);

	ck_assert_str_eq(got, want);
	ck_assert_ptr_nonnull(strstr(got, "\"tier\":\"raw\",\"step_s\":5,\"series\":[{\"id\":3,"));
	ck_assert_ptr_nonnull(strstr(got, "[1795312805000,null]"));
	ck_assert_ptr_nonnull(strstr(got, "\"points\":[]},{\"id\":12"));
	free(want);
	free(got);
	PQclear(res);
}
END_TEST

START_TEST(test_history_json_query_edges)
{
	/* No plan row, a point before any series (ignored), no series at all. */
	static const char *const stray[][7] = {
		{"point", "3", NULL, NULL, NULL, "1000", "1"},
	};
	static const char *const nan[][7] = {
		{"series", "3", "cpu.usr", "h", "%", NULL, NULL},
		{"point", "3", NULL, NULL, NULL, "1000", "NaN"},
		{"point", "3", NULL, NULL, NULL, "2000", "-Infinity"},
	};
	struct history_params p = {.route = HISTORY_QUERY, .from_ms = 0, .to_ms = 1000};
	PGresult *res = make_result(stray, 1);
	char *want = ref_query_text(&p, res);
	char *got = streamed_text(&p, res);

	ck_assert_str_eq(got, want);
	ck_assert_str_eq(got, "{\"from\":0,\"to\":1000,\"agg\":\"avg\",\"series\":[]}");
	free(want);
	free(got);
	PQclear(res);
	/* JSON has no NaN: the point stays, with null (the tree dropped it). */
	res = make_result(nan, 3);
	got = streamed_text(&p, res);
	ck_assert_ptr_nonnull(strstr(got, "\"points\":[[1000,null],[2000,null]]}]}"));
	free(got);
	PQclear(res);
}
END_TEST

START_TEST(test_history_json_query_many_points)
{
	/* Several chunks of output: 20,000 points over 4 series, against the tree. */
	enum { NSERIES = 4, NPOINTS = 5000 };
	struct history_params p = {.route = HISTORY_QUERY, .from_ms = 1, .to_ms = 2};
	PGresult *res = make_result(NULL, 0);
	char cell[64];
	int r = 0;
	char *want, *got;

	for (int s = 0; s < NSERIES; s++) {
		const char *series[] = {"series", "1", "cpu.usr:total", "h", "%"};

		for (int c = 0; c < 5; c++) {
			snprintf(cell, sizeof(cell), "%s", series[c]);
			ck_assert_int_eq(PQsetvalue(res, r, c, cell, (int)strlen(cell)), 1);
		}
		ck_assert_int_eq(PQsetvalue(res, r, 5, NULL, -1), 1);
		ck_assert_int_eq(PQsetvalue(res, r, 6, NULL, -1), 1);
		r++;
		for (int i = 0; i < NPOINTS; i++, r++) {
			ck_assert_int_eq(PQsetvalue(res, r, 0, (char[]){"point"}, 5), 1);
			snprintf(cell, sizeof(cell), "%d", 1700000000 + i);
			ck_assert_int_eq(PQsetvalue(res, r, 5, cell, (int)strlen(cell)), 1);
			snprintf(cell, sizeof(cell), "%.17g", sin(i) * pow(10, i % 40 - 20));
			ck_assert_int_eq(PQsetvalue(res, r, 6, cell, (int)strlen(cell)), 1);
		}
	}
	want = ref_query_text(&p, res);
	got = streamed_text(&p, res);
	ck_assert_uint_gt(strlen(got), 3 * 8192);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	PQclear(res);
}
END_TEST

Suite *
history_json_suite(void)
{
	Suite *s = suite_create("history_json");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_history_json_real_as_jansson);
	tcase_add_test(tc, test_history_json_query_as_jansson_tree);
	tcase_add_test(tc, test_history_json_query_edges);
	tcase_add_test(tc, test_history_json_query_many_points);
	suite_add_tcase(s, tc);
	return s;
}
