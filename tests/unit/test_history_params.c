/* Tests for apiserver/history_params.c: defaults, bounds and every rejected parameter. */
#include <string.h>

#include "unit_suites.h"

#include "apiserver/history_params.h"

/* 2026-11-22T03:00:00Z */
#define NOW_MS 1795316400000LL

START_TEST(test_history_params_query_defaults)
{
	struct history_params p;
	char err[256] = "";

	ck_assert_int_eq(history_params_parse(HISTORY_QUERY,
					      "series=cpu.usr:total,mem.available_kb", NOW_MS, &p,
					      err, sizeof(err)),
			 0);
	ck_assert_uint_eq(p.nseries, 2);
	ck_assert_str_eq(p.series[0], "cpu.usr:total");
	ck_assert_str_eq(p.series[1], "mem.available_kb");
	ck_assert_str_eq(p.host, "");
	ck_assert_int_eq(p.to_ms, NOW_MS);
	ck_assert_int_eq(p.from_ms, NOW_MS - 3600 * 1000);
	ck_assert_int_eq(p.points, 500);
	ck_assert_int_eq(p.agg, HISTORY_AGG_AVG);
	ck_assert_int_eq(p.format, HISTORY_FORMAT_DEFAULT);
}
END_TEST

START_TEST(test_history_params_query_all)
{
	struct history_params p;
	char err[256] = "";
	char arr[HISTORY_SERIES_ARRAY_MAX];

	ck_assert_int_eq(history_params_parse(HISTORY_QUERY,
					      "series=17,fs.used:/home,net.rx_bytes_per_s:eth0"
					      "&host=vm1&from=2026-11-21T03:00:00Z&to=1795316400000"
					      "&points=2000&agg=max&format=csv",
					      NOW_MS, &p, err, sizeof(err)),
			 0);
	ck_assert_str_eq(p.host, "vm1");
	ck_assert_int_eq(p.from_ms, NOW_MS - 86400 * 1000LL);
	ck_assert_int_eq(p.points, 2000);
	ck_assert_int_eq(p.agg, HISTORY_AGG_MAX);
	ck_assert_str_eq(history_params_agg_name(p.agg), "max");
	ck_assert_int_eq(p.format, HISTORY_FORMAT_CSV);
	history_params_series_array(&p, arr, sizeof(arr));
	ck_assert_str_eq(arr, "{\"17\",\"fs.used:/home\",\"net.rx_bytes_per_s:eth0\"}");
}
END_TEST

START_TEST(test_history_params_compare_trends_anomalies)
{
	struct history_params p;
	char err[256] = "";

	ck_assert_int_eq(history_params_parse(HISTORY_COMPARE, "series=cpu.sys:0&offset=7d", NOW_MS,
					      &p, err, sizeof(err)),
			 0);
	ck_assert_int_eq(p.offset_s, 7 * 86400);
	ck_assert_int_eq(p.points, 720);
	ck_assert_int_eq(history_params_parse(HISTORY_COMPARE, "series=cpu.sys:0", NOW_MS, &p, err,
					      sizeof(err)),
			 0);
	ck_assert_int_eq(p.offset_s, 86400);
	ck_assert_int_eq(p.top, 0);
	/* Without series, compare is the changed-most summary alone. */
	ck_assert_int_eq(
		history_params_parse(HISTORY_COMPARE, "offset=7d", NOW_MS, &p, err, sizeof(err)),
		0);
	ck_assert_uint_eq(p.nseries, 0);
	ck_assert_int_eq(p.top, 10);
	ck_assert_int_eq(history_params_parse(HISTORY_COMPARE, "series=cpu.sys:0&top=25", NOW_MS,
					      &p, err, sizeof(err)),
			 0);
	ck_assert_int_eq(p.top, 25);
	ck_assert_int_eq(history_params_parse(HISTORY_ANOMALIES, "series=load.load1", NOW_MS, &p,
					      err, sizeof(err)),
			 0);
	ck_assert_int_eq(p.from_ms, NOW_MS - 86400 * 1000LL);
	ck_assert_int_eq(history_params_parse(HISTORY_TRENDS, "series=load.load1&window=30d",
					      NOW_MS, &p, err, sizeof(err)),
			 0);
	ck_assert_int_eq(p.window_s, 30 * 86400);
	ck_assert_int_eq(p.from_ms, NOW_MS - 30 * 86400 * 1000LL);
	ck_assert_int_eq(history_params_parse(HISTORY_TRENDS, "series=load.load1", NOW_MS, &p, err,
					      sizeof(err)),
			 0);
	ck_assert_int_eq(p.window_s, 7 * 86400);
}
END_TEST

START_TEST(test_history_params_duration)
{
	static const struct {
		const char *text;
		long long seconds; /* -1: rejected */
	} cases[] = {
		{"1d", 86400},	 {"7d", 604800},       {"90m", 5400}, {"1h30m", 5400},
		{"2w", 1209600}, {"45s", 45},	       {"", -1},      {"1", -1},
		{"d", -1},	 {"1y", -1},	       {"0s", -1},    {"-1d", -1},
		{"1d ", -1},	 {"99999999999s", -1}, {"3661d", -1}, {"1h-", -1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t s = -1;
		int rc = history_params_parse_duration(cases[i].text, &s);

		if (cases[i].seconds < 0) {
			ck_assert_msg(rc == -1, "'%s' accepted", cases[i].text);
		} else {
			ck_assert_msg(rc == 0, "'%s' rejected", cases[i].text);
			ck_assert_int_eq(s, cases[i].seconds);
		}
	}
}
END_TEST

START_TEST(test_history_params_keys)
{
	static const struct {
		const char *key;
		bool valid;
	} cases[] = {
		{"cpu.usr", true},
		{"cpu.usr:total", true},
		{"fs.used_pct:/var/lib", true},
		{"disk.util:nvme0n1", true},
		{"net.rx_bytes_per_s:br-1a2b", true},
		{"123456789", true},
		{"1234567890", false},
		{"cpu", false},
		{"cpu.", false},
		{".usr", false},
		{"Cpu.usr", false},
		{"cpu.usr:", false},
		{"cpu.usr:a b", false},
		{"cpu.usr:a\"b", false},
		{"cpu.usr:{x}", false},
		{"cpu.usr;drop", false},
		{"", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(history_params_valid_key(cases[i].key) == cases[i].valid, "key '%s'",
			      cases[i].key);
}
END_TEST

/* Every bad parameter is an error with a sentence, per route. */
START_TEST(test_history_params_rejects)
{
	static const struct {
		enum history_route route;
		const char *query;
		const char *want; /* a word the error must contain */
	} cases[] = {
		{HISTORY_QUERY, NULL, "series is required"},
		{HISTORY_QUERY, "", "series is required"},
		{HISTORY_QUERY, "series=", "series"},
		{HISTORY_QUERY, "series=cpu.usr,,cpu.sys", "series"},
		{HISTORY_QUERY, "series=cpu.usr%3Bdrop", "not a series id"},
		{HISTORY_QUERY, "series=cpu.usr&series=cpu.sys", "twice"},
		{HISTORY_QUERY, "series=cpu.usr&metric=cpu.usr", "unknown parameter"},
		{HISTORY_QUERY, "series=cpu.usr&offset=1d", "unknown parameter"},
		{HISTORY_QUERY, "series=cpu.usr&points=0", "points"},
		{HISTORY_QUERY, "series=cpu.usr&points=2001", "points"},
		{HISTORY_QUERY, "series=cpu.usr&points=12x", "points"},
		{HISTORY_QUERY, "series=cpu.usr&points=-5", "points"},
		{HISTORY_QUERY, "series=cpu.usr&agg=median", "agg"},
		{HISTORY_QUERY, "series=cpu.usr&format=xml", "format"},
		{HISTORY_QUERY, "series=cpu.usr&from=yesterday", "from"},
		{HISTORY_QUERY, "series=cpu.usr&to=2026-13-01T00:00:00Z", "to"},
		{HISTORY_QUERY, "series=cpu.usr&from=1795316400000&to=1795316400000", "earlier"},
		{HISTORY_QUERY, "series=cpu.usr&from=0", "longer than"},
		{HISTORY_QUERY, "series=cpu.usr&host=", "host"},
		{HISTORY_QUERY,
		 "series=a.b,c.d,e.f,g.h,i.j,k.l,m.n,o.p,q.r,s.t,u.v,w.x,y.z,a.a,b.b,"
		 "c.c,d.d,e.e,f.f,g.g,h.h,i.i,j.j,k.k,l.l,m.m,n.n,o.o,p.p,q.q,r.r,"
		 "s.s,t.t",
		 "at most 32"},
		{HISTORY_COMPARE, "series=cpu.usr&offset=1", "offset"},
		{HISTORY_COMPARE, "series=cpu.usr&offset=1y", "offset"},
		{HISTORY_COMPARE, "series=cpu.usr&offset=1500d", "offset"},
		{HISTORY_COMPARE, "series=cpu.usr&from=1790000000000&to=1795316400000",
		 "longer than"},
		{HISTORY_COMPARE, "series=cpu.usr&format=csv", "unknown parameter"},
		{HISTORY_COMPARE, "top=0", "series is required"},
		{HISTORY_COMPARE, "top=101", "top"},
		{HISTORY_COMPARE, "series=cpu.usr&top=x", "top"},
		{HISTORY_QUERY, "series=cpu.usr&top=5", "unknown parameter"},
		{HISTORY_ANOMALIES, "series=cpu.usr&from=1794000000000&to=1795316400000",
		 "longer than 7"},
		{HISTORY_ANOMALIES, "series=cpu.usr&points=10", "unknown parameter"},
		{HISTORY_TRENDS, "series=cpu.usr&window=10m", "window"},
		{HISTORY_TRENDS, "series=cpu.usr&window=800d", "window"},
		{HISTORY_TRENDS, "series=cpu.usr&from=1795316400000", "unknown parameter"},
		{HISTORY_TRENDS, "window=7d", "series is required"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct history_params p;
		char err[256] = "";

		ck_assert_msg(history_params_parse(cases[i].route, cases[i].query, NOW_MS, &p, err,
						   sizeof(err)) == -1,
			      "accepted: %s", cases[i].query ? cases[i].query : "(null)");
		ck_assert_msg(strstr(err, cases[i].want) != NULL, "'%s': error '%s' lacks '%s'",
			      cases[i].query ? cases[i].query : "(null)", err, cases[i].want);
	}
}
END_TEST

Suite *
history_params_suite(void)
{
	Suite *s = suite_create("history_params");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_history_params_query_defaults);
	tcase_add_test(tc, test_history_params_query_all);
	tcase_add_test(tc, test_history_params_compare_trends_anomalies);
	tcase_add_test(tc, test_history_params_duration);
	tcase_add_test(tc, test_history_params_keys);
	tcase_add_test(tc, test_history_params_rejects);
	suite_add_tcase(s, tc);
	return s;
}
