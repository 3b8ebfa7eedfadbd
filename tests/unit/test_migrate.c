/* Tests for the migration runner's file-name rule (the database part runs in tests/integration). */
#include <check.h>

#include "common/migrate.h"
#include "unit_suites.h"

START_TEST(test_migrate_accepts_numbered_sql_files)
{
	static const struct {
		const char *name;
		int version;
	} good[] = {{"001_init.sql", 1},
		    {"002_os_metrics.sql", 2},
		    {"10_x.sql", 10},
		    {"123456_a.sql", 123456}};
	int v;

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		v = -1;
		ck_assert_msg(migrate_parse_name(good[i].name, &v) == 0, "rejected %s",
			      good[i].name);
		ck_assert_int_eq(v, good[i].version);
	}
}
END_TEST

START_TEST(test_migrate_rejects_other_names)
{
	static const char *const bad[] = {"",
					  "001.sql",
					  "001_.sql",
					  "_init.sql",
					  "a01_x.sql",
					  "001_init.sql~",
					  "001_init",
					  "000_zero.sql",
					  "1234567_big.sql",
					  "README",
					  ".",
					  ".."};
	int v = 42;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(migrate_parse_name(bad[i], &v) == -1, "accepted '%s'", bad[i]);
	ck_assert_int_eq(v, 42);
}
END_TEST

Suite *
migrate_suite(void)
{
	Suite *s = suite_create("migrate");
	TCase *tc = tcase_create("names");

	tcase_add_test(tc, test_migrate_accepts_numbered_sql_files);
	tcase_add_test(tc, test_migrate_rejects_other_names);
	suite_add_tcase(s, tc);
	return s;
}
