/* Tests for the WebSocket Origin check that keeps other sites' pages from reading /live. */
#include <check.h>

#include "apiserver/ws.h"
#include "unit_suites.h"

START_TEST(test_ws_origin_same_host_only)
{
	static const struct {
		const char *origin, *host;
		bool ok;
	} cases[] = {
		{NULL, "127.0.0.1:8471", true},
		{"", "127.0.0.1:8471", true},
		{"http://127.0.0.1:8470", "127.0.0.1:8471", true},
		{"http://LocalHost:8470", "localhost:8471", true},
		{"https://vm.example", "vm.example:8471", true},
		{"http://[::1]:8470", "[::1]:8471", true},
		{"http://evil.example", "127.0.0.1:8471", false},
		{"http://127.0.0.1.evil.example:8470", "127.0.0.1:8471", false},
		{"http://127.0.0.1:8470", NULL, false},
		{"http://127.0.0.1:8470", "", false},
		{"null", "127.0.0.1:8471", false},
		{"http://[::1:8470", "[::1]:8471", false},
		{"http://[::2]:8470", "[::1]:8471", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(ws_origin_ok(cases[i].origin, cases[i].host) == cases[i].ok,
			      "origin '%s' host '%s'", cases[i].origin ? cases[i].origin : "(null)",
			      cases[i].host ? cases[i].host : "(null)");
}
END_TEST

Suite *
ws_origin_suite(void)
{
	Suite *s = suite_create("ws_origin");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_ws_origin_same_host_only);
	suite_add_tcase(s, tc);
	return s;
}
