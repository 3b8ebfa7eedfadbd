/* Tests for the /api/v1/query parameter parser: bounds, defaults, times and every 400 path. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/query_params.h"
#include "common/metrics.h"
#include "unit_suites.h"

/* 2026-11-22T02:00:00Z */
#define NOW_MS 1795312800000LL

START_TEST(test_query_params_rejects_bad_input)
{
	static const char *const bad[] = {
		"",
		"metric=",
		"metric=nope",
		"metric=cpu.usr,",
		"metric=,cpu.usr",
		"metric=cpu.usr,cpu.usr",
		"metric=cpu.usr&metric=cpu.sys",
		"metric=cpu.usr&foo=1",
		"metric=cpu.usr&from=abc",
		"metric=cpu.usr&from=12abc",
		"metric=cpu.usr&from=-5",
		"metric=cpu.usr&from=99999999999999999999",
		"metric=cpu.usr&from=2000&to=1000",
		"metric=cpu.usr&from=1000&to=1000",
		"metric=cpu.usr&from=0&to=86400001",
		"metric=cpu.usr&to=2026-02-30T00:00:00Z",
		"metric=cpu.usr&to=2026-11-22T25:00:00Z",
		"metric=cpu.usr&to=2026-11-22T02:00:00",
		"metric=cpu.usr&to=2026-11-22T02:00:00.Z",
		"metric=cpu.usr&to=2026-11-22T02:00:00Zjunk",
		"metric=cpu.usr&instance=",
		"metric=cpu.usr&host=",
		"garbage",
		"metric=cpu.usr;drop table host",
	};
	struct query_params p;
	char err[256];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		ck_assert_msg(query_params_parse(bad[i], NOW_MS, &p, err, sizeof(err)) == -1,
			      "accepted '%s'", bad[i]);
		ck_assert_msg(err[0] != '\0', "no message for '%s'", bad[i]);
	}
	ck_assert_int_eq(query_params_parse(NULL, NOW_MS, &p, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_query_params_rejects_too_many_metrics)
{
	char qs[2048] = "metric=";
	struct query_params p;
	char err[256];

	ck_assert_uint_gt(metrics_count(), QUERY_PARAMS_MAX_METRICS);
	for (size_t i = 0; i <= QUERY_PARAMS_MAX_METRICS; i++) {
		if (i > 0)
			strcat(qs, ",");
		strcat(qs, metrics_at(i)->name);
	}
	ck_assert_int_eq(query_params_parse(qs, NOW_MS, &p, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "too many"));
	/* Exactly the maximum is accepted. */
	*strrchr(qs, ',') = '\0';
	ck_assert_int_eq(query_params_parse(qs, NOW_MS, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.nmetrics, QUERY_PARAMS_MAX_METRICS);
}
END_TEST

START_TEST(test_query_params_defaults)
{
	struct query_params p;
	char err[256];

	ck_assert_int_eq(
		query_params_parse("metric=cpu.usr,mem.free_kb", NOW_MS, &p, err, sizeof(err)), 0);
	ck_assert_uint_eq(p.nmetrics, 2);
	ck_assert_ptr_eq(p.metrics[0], metrics_find("cpu.usr"));
	ck_assert_ptr_eq(p.metrics[1], metrics_find("mem.free_kb"));
	ck_assert_str_eq(p.instance, "total");
	ck_assert_str_eq(p.host, "");
	ck_assert_int_eq(p.to_ms, NOW_MS);
	ck_assert_int_eq(p.from_ms, NOW_MS - 5 * 60 * 1000);
	/* Only from: to is still now. */
	ck_assert_int_eq(query_params_parse("metric=cpu.usr&from=1795312000000", NOW_MS, &p, err,
					    sizeof(err)),
			 0);
	ck_assert_int_eq(p.from_ms, 1795312000000LL);
	ck_assert_int_eq(p.to_ms, NOW_MS);
}
END_TEST

START_TEST(test_query_params_times_and_decoding)
{
	struct query_params p;
	char err[256];

	/* +01:00 arrives percent-encoded; 03:00:00.5+01:00 is 02:00:00.5Z. */
	ck_assert_int_eq(query_params_parse("metric=load.load1&instance=cpu%201&host=vm+1&"
					    "from=2026-11-22T01:00:00Z&to=2026-11-22T03:00:00.5%"
					    "2B01:00",
					    NOW_MS, &p, err, sizeof(err)),
			 0);
	ck_assert_int_eq(p.from_ms, NOW_MS - 3600 * 1000);
	ck_assert_int_eq(p.to_ms, NOW_MS + 500);
	ck_assert_str_eq(p.instance, "cpu 1");
	ck_assert_str_eq(p.host, "vm 1");
	/* Exactly 24 hours is allowed. */
	ck_assert_int_eq(query_params_parse("metric=cpu.usr&from=0&to=86400000", NOW_MS, &p, err,
					    sizeof(err)),
			 0);
}
END_TEST

START_TEST(test_query_params_parse_time)
{
	static const struct {
		const char *text;
		int rc;
		long long ms;
	} cases[] = {
		{"0", 0, 0},
		{"1795312800000", 0, 1795312800000LL},
		{"2026-11-22T02:00:00Z", 0, 1795312800000LL},
		{"2026-11-22t02:00:00.123z", 0, 1795312800123LL},
		{"2026-11-22T00:30:00-01:30", 0, 1795312800000LL},
		{"1970-01-01T00:00:00Z", 0, 0},
		{"1969-12-31T23:59:59Z", -1, 0},
		{"", -1, 0},
		{"+5", -1, 0},
		{"2026-13-01T00:00:00Z", -1, 0},
		{"2026-11-22T02:00:00+1:00", -1, 0},
		{"253402300800000", -1, 0},
	};
	int64_t ms;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		ms = -42;
		ck_assert_msg(query_params_parse_time(cases[i].text, &ms) == cases[i].rc,
			      "'%s' returned the wrong code", cases[i].text);
		if (cases[i].rc == 0)
			ck_assert_msg(ms == cases[i].ms, "'%s' -> %lld, want %lld", cases[i].text,
				      (long long)ms, cases[i].ms);
	}
}
END_TEST

Suite *
query_params_suite(void)
{
	Suite *s = suite_create("query_params");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_query_params_rejects_bad_input);
	tcase_add_test(tc, test_query_params_rejects_too_many_metrics);
	tcase_add_test(tc, test_query_params_defaults);
	tcase_add_test(tc, test_query_params_times_and_decoding);
	tcase_add_test(tc, test_query_params_parse_time);
	suite_add_tcase(s, tc);
	return s;
}
