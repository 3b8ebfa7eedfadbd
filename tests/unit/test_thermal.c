/* Tests for the thermal source: thermal zones and hwmon sensors, negative values, absence. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sources/thermal.h"
#include "os_fixture.h"
#include "unit_suites.h"

START_TEST(test_thermal_parse)
{
	int64_t m;

	ck_assert_int_eq(thermal_parse("45000\n", 6, &m), 0);
	ck_assert_int_eq(m, 45000);
	ck_assert_int_eq(thermal_parse("-273150\n", 8, &m), 0);
	ck_assert_int_eq(m, -273150);
	ck_assert_int_eq(thermal_parse("\n", 1, &m), -1);
	ck_assert_int_eq(thermal_parse("45 C\n", 5, &m), -1);
}
END_TEST

START_TEST(test_thermal_zones_and_hwmon)
{
	char sys[1024], why[256];
	struct source_env env = {.procfs = "/nonexistent", .sysfs = sys};
	void *st;
	json_t *f, *rows;

	snprintf(sys, sizeof(sys), "%s", fx_dir("sys/linux-5.4"));
	st = thermal_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	f = fx_tick(&thermal_source, st, 0, 0);
	rows = json_object_get(f, "thermal");
	ck_assert_uint_eq(json_array_size(rows), 6);
	ck_assert_double_eq_tol(
		fx_num(fx_row(rows, "sensor", "thermal_zone1:x86_pkg_temp"), "temp_celsius"), 45,
		1e-9);
	ck_assert_double_eq_tol(
		fx_num(fx_row(rows, "sensor", "hwmon1:coretemp:Core 0"), "temp_celsius"), 43, 1e-9);
	ck_assert_double_eq_tol(
		fx_num(fx_row(rows, "sensor", "hwmon2:nvme:Composite"), "temp_celsius"), 38.85,
		1e-9);
	/* No label: named after the attribute; below zero stays below zero. */
	ck_assert_double_eq_tol(
		fx_num(fx_row(rows, "sensor", "hwmon3:iwlwifi_1:temp1"), "temp_celsius"), -40,
		1e-9);
	json_decref(f);
	thermal_source.fini(st);
}
END_TEST

START_TEST(test_thermal_unavailable_in_this_vm)
{
	char sys[1024], why[512] = "";
	struct source_env env = {.procfs = "/nonexistent", .sysfs = sys};

	snprintf(sys, sizeof(sys), "%s", fx_dir("sys/linux-6.18"));
	ck_assert_ptr_null(thermal_source.init(&env, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "no temperature sensors"));
}
END_TEST

Suite *
thermal_suite(void)
{
	Suite *s = suite_create("thermal");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_thermal_parse);
	tcase_add_test(tc, test_thermal_zones_and_hwmon);
	tcase_add_test(tc, test_thermal_unavailable_in_this_vm);
	suite_add_tcase(s, tc);
	return s;
}
