/* Tests for the cpufreq source: per-CPU MHz, a CPU that stops answering, unavailability. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sources/cpufreq.h"
#include "os_fixture.h"
#include "unit_suites.h"

START_TEST(test_cpufreq_parse)
{
	uint64_t khz;

	ck_assert_int_eq(cpufreq_parse("2400000\n", 8, &khz), 0);
	ck_assert_uint_eq(khz, 2400000);
	ck_assert_int_eq(cpufreq_parse("<unknown>\n", 10, &khz), -1);
	ck_assert_int_eq(cpufreq_parse("12 34\n", 6, &khz), -1);
	ck_assert_int_eq(cpufreq_parse("", 0, &khz), -1);
}
END_TEST

START_TEST(test_cpufreq_reads_each_cpu)
{
	char sys[1024], why[256];
	struct source_env env = {.procfs = "/nonexistent", .sysfs = sys};
	void *st;
	json_t *f, *rows;

	snprintf(sys, sizeof(sys), "%s", fx_dir("sys/linux-5.4"));
	st = cpufreq_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	f = fx_tick(&cpufreq_source, st, 0, 0);
	rows = json_object_get(f, "cpufreq");
	ck_assert_uint_eq(json_array_size(rows), 4);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(rows, 2), "cpu")), 2);
	ck_assert_double_eq_tol(fx_num(json_array_get(rows, 2), "freq_mhz"), 3411.99, 1e-9);
	json_decref(f);
	cpufreq_source.fini(st);
}
END_TEST

START_TEST(test_cpufreq_offline_cpu_left_out)
{
	char dir[64], why[256];
	struct source_env env = {.procfs = "/nonexistent", .sysfs = dir};
	void *st;
	json_t *f, *rows;

	fx_tmpdir(dir, sizeof(dir));
	fx_write(dir, "devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "1000000\n");
	fx_write(dir, "devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "2000000\n");
	st = cpufreq_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	fx_write(dir, "devices/system/cpu/cpu1/cpufreq/scaling_cur_freq", "");
	f = fx_tick(&cpufreq_source, st, 0, 0);
	rows = json_object_get(f, "cpufreq");
	ck_assert_uint_eq(json_array_size(rows), 1);
	ck_assert_double_eq_tol(fx_num(json_array_get(rows, 0), "freq_mhz"), 1000, 1e-9);
	json_decref(f);
	cpufreq_source.fini(st);
	fx_rmtree(dir);
}
END_TEST

START_TEST(test_cpufreq_unavailable_in_this_vm)
{
	char sys[1024], why[512] = "";
	struct source_env env = {.procfs = "/nonexistent", .sysfs = sys};

	snprintf(sys, sizeof(sys), "%s", fx_dir("sys/linux-6.18"));
	ck_assert_ptr_null(cpufreq_source.init(&env, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "no cpufreq driver"));
}
END_TEST

Suite *
cpufreq_suite(void)
{
	Suite *s = suite_create("cpufreq");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_cpufreq_parse);
	tcase_add_test(tc, test_cpufreq_reads_each_cpu);
	tcase_add_test(tc, test_cpufreq_offline_cpu_left_out);
	tcase_add_test(tc, test_cpufreq_unavailable_in_this_vm);
	suite_add_tcase(s, tc);
	return s;
}
