/* Tests for the table-driven configuration: defaults, environment, flags, validation. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/conf.h"
#include "unit_suites.h"

struct test_conf {
	int port;
	double interval;
	char *db;
	bool verbose;
};

static const struct conf_entry test_conf_table[] = {
	{"port", CONF_INT, offsetof(struct test_conf, port), "8470", 1, 65535, "port"},
	{"interval", CONF_DOUBLE, offsetof(struct test_conf, interval), "1", 0.05, 3600, "s"},
	{"db", CONF_STRING, offsetof(struct test_conf, db), "dbname=perfwatch", 0, 0, "db"},
	{"verbose", CONF_BOOL, offsetof(struct test_conf, verbose), "false", 0, 0, "v"},
};

static int
load(struct test_conf *c, int argc, char **argv, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	return conf_load(test_conf_table, ARRAY_LEN(test_conf_table), c, argc, argv, "usage", err,
			 errlen);
}

START_TEST(test_conf_defaults_env_and_flags_merge)
{
	char a0[] = "x", a1[] = "--port=9000", a2[] = "--verbose", a3[] = "--db", a4[] = "d2";
	char *argv[] = {a0, a1, a2, a3, a4};
	struct test_conf c;
	char err[256];

	setenv("PERFWATCH_INTERVAL", "0.5", 1);
	ck_assert_int_eq(load(&c, 5, argv, err, sizeof(err)), 0);
	unsetenv("PERFWATCH_INTERVAL");
	ck_assert_int_eq(c.port, 9000);
	ck_assert_double_eq(c.interval, 0.5);
	ck_assert_str_eq(c.db, "d2");
	ck_assert(c.verbose);
	conf_free(test_conf_table, ARRAY_LEN(test_conf_table), &c);
}
END_TEST

START_TEST(test_conf_rejects_bad_values)
{
	static const char *const bad[] = {
		"--port=0",   "--port=70000", "--port=1.5",
		"--port=x",   "--interval=0", "--verbose=maybe",
		"--nope=1",   "plain",	      "--port=5555555555555555570000",
		"--port=nan", "--port=-inf",  "--interval=nan"};
	char a0[] = "x", arg[64];
	char *argv[] = {a0, arg};
	struct test_conf c;
	char err[256];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		snprintf(arg, sizeof(arg), "%s", bad[i]);
		err[0] = '\0';
		ck_assert_msg(load(&c, 2, argv, err, sizeof(err)) == -1, "accepted %s", bad[i]);
		ck_assert_msg(err[0] != '\0', "no message for %s", bad[i]);
		conf_free(test_conf_table, ARRAY_LEN(test_conf_table), &c);
	}
}
END_TEST

Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_conf_defaults_env_and_flags_merge);
	tcase_add_test(tc, test_conf_rejects_bad_values);
	suite_add_tcase(s, tc);
	return s;
}
