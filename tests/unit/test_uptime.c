/* Tests for the uptime source: /proc/uptime parsing and the frame section. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sources/uptime.h"
#include "os_fixture.h"
#include "unit_suites.h"

START_TEST(test_uptime_parse)
{
	static const char *const bad[] = {"", "12.5\n", "x 1\n", "1.5 2.5 3\n", "-1 2\n"};
	size_t len;
	char *text = fx_read("proc/linux-6.18/uptime", &len);
	double up;

	ck_assert_int_eq(uptime_parse(text, len, &up), 0);
	ck_assert_double_eq_tol(up, 522.86, 1e-9);
	free(text);
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(uptime_parse(bad[i], strlen(bad[i]), &up) == -1, "accepted %s",
			      bad[i]);
}
END_TEST

START_TEST(test_uptime_source)
{
	char dir[64], why[256];
	struct source_env env = {.procfs = dir, .sysfs = "/nonexistent"};
	void *st;
	json_t *f;

	fx_tmpdir(dir, sizeof(dir));
	fx_write(dir, "uptime", "86400.25 170000.00\n");
	st = uptime_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	f = fx_tick(&uptime_source, st, 0, 0);
	ck_assert_double_eq_tol(fx_num(json_object_get(f, "uptime"), "uptime_s"), 86400.25, 1e-9);
	json_decref(f);
	uptime_source.fini(st);
	fx_rmtree(dir);
	env.procfs = "/nonexistent";
	ck_assert_ptr_null(uptime_source.init(&env, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent/uptime"));
}
END_TEST

Suite *
uptime_suite(void)
{
	Suite *s = suite_create("uptime");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_uptime_parse);
	tcase_add_test(tc, test_uptime_source);
	suite_add_tcase(s, tc);
	return s;
}
