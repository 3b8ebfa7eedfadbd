/* Tests for the load source: /proc/loadavg parsing per kernel and the frame section. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sources/proc_loadavg.h"
#include "unit_suites.h"

static const struct {
	const char *kernel;
	struct proc_loadavg want;
} load_cases[] = {
	{"linux-6.18", {1.55, 0.55, 0.23, 7, 172}},
	{"linux-4.19", {3.41, 2.87, 2.55, 5, 1034}},
	{"linux-2.6.18", {0.20, 0.18, 0.12, 1, 80}},
};

START_TEST(test_proc_loadavg_parses_each_kernel)
{
	char path[512], text[256];
	struct proc_loadavg got;
	FILE *f;
	size_t len;

	snprintf(path, sizeof(path), "%s/proc/%s/loadavg", PERFWATCH_FIXTURES_DIR,
		 load_cases[_i].kernel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	ck_assert_int_eq(proc_loadavg_parse(text, len, &got), 0);
	ck_assert_double_eq_tol(got.load1, load_cases[_i].want.load1, 1e-9);
	ck_assert_double_eq_tol(got.load5, load_cases[_i].want.load5, 1e-9);
	ck_assert_double_eq_tol(got.load15, load_cases[_i].want.load15, 1e-9);
	ck_assert_uint_eq(got.running, load_cases[_i].want.running);
	ck_assert_uint_eq(got.tasks, load_cases[_i].want.tasks);
}
END_TEST

START_TEST(test_proc_loadavg_parses_only_len_bytes)
{
	/* The parser must stop at len: "12" of "123" is read as 12 tasks, not 123. */
	static const char text[] = "10.50 3.25 0.07 12/123";
	struct proc_loadavg got;

	ck_assert_int_eq(proc_loadavg_parse(text, strlen(text) - 1, &got), 0);
	ck_assert_double_eq_tol(got.load1, 10.5, 1e-9);
	ck_assert_double_eq_tol(got.load15, 0.07, 1e-9);
	ck_assert_uint_eq(got.tasks, 12);
}
END_TEST

START_TEST(test_proc_loadavg_rejects_malformed)
{
	static const char *const bad[] = {"",
					  "1.0 2.0\n",
					  "0.1 0.2 0.3 5 100\n",
					  "a b c 1/2 3\n",
					  "0. 0.1 0.2 1/2 3\n",
					  "0.1 0.2 0.3 1/\n",
					  "-1.0 0.2 0.3 1/2 3\n"};
	struct proc_loadavg got;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(proc_loadavg_parse(bad[i], strlen(bad[i]), &got) == -1,
			      "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_proc_loadavg_section)
{
	char root[512], why[256];
	struct source_env env = {root, "/nonexistent-sys", NULL};
	struct tick tick = {1, 0, 0, 1.0};
	json_t *frame = json_object(), *load;
	void *st;

	snprintf(root, sizeof(root), "%s/proc/linux-4.19", PERFWATCH_FIXTURES_DIR);
	st = proc_loadavg_source.init(&env, why, sizeof(why));
	ck_assert_msg(st != NULL, "%s", why);
	ck_assert_int_eq(proc_loadavg_source.sample(st, &tick), 0);
	ck_assert_int_eq(proc_loadavg_source.encode(st, frame), 0);
	load = json_object_get(frame, "load");
	ck_assert_double_eq_tol(json_real_value(json_object_get(load, "load5")), 2.87, 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(load, "running")), 5);
	ck_assert_int_eq(json_integer_value(json_object_get(load, "tasks")), 1034);
	json_decref(frame);
	proc_loadavg_source.fini(st);
}
END_TEST

Suite *
proc_loadavg_suite(void)
{
	Suite *s = suite_create("proc_loadavg");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_proc_loadavg_parses_each_kernel, 0,
			    (int)(sizeof(load_cases) / sizeof(load_cases[0])));
	tcase_add_test(tc, test_proc_loadavg_parses_only_len_bytes);
	tcase_add_test(tc, test_proc_loadavg_rejects_malformed);
	tcase_add_test(tc, test_proc_loadavg_section);
	suite_add_tcase(s, tc);
	return s;
}
