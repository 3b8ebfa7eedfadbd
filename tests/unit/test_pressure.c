/* Tests for the PSI source: parsing the 5.4 and 6.18 layouts, stall rates, unavailability. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sources/pressure.h"
#include "os_fixture.h"
#include "unit_suites.h"

START_TEST(test_pressure_parse_recorded_and_reconstructed)
{
	struct pressure_stats ps;
	size_t len;
	char *text = fx_read("proc/linux-6.18/pressure/io", &len);

	ck_assert_int_eq(pressure_parse(text, len, &ps), 0);
	ck_assert(ps.some.present && ps.full.present);
	ck_assert_double_eq_tol(ps.some.avg10, 1.26, 1e-9);
	ck_assert_uint_eq(ps.some.total_us, 5821387);
	ck_assert_uint_eq(ps.full.total_us, 4871587);
	free(text);

	/* Before 5.13 the cpu file has no "full" line. */
	text = fx_read("proc/linux-5.4/pressure/cpu", &len);
	ck_assert_int_eq(pressure_parse(text, len, &ps), 0);
	ck_assert(ps.some.present);
	ck_assert(!ps.full.present);
	ck_assert_double_eq_tol(ps.some.avg300, 0.87, 1e-9);
	ck_assert_uint_eq(ps.some.total_us, 912331221);
	free(text);

	/* /proc/pressure/irq (6.1+) has only a "full" line (Documentation/accounting/psi.rst). */
	text = strdup("full avg10=0.12 avg60=0.05 avg300=0.01 total=47113\n");
	ck_assert_int_eq(pressure_parse(text, strlen(text), &ps), 0);
	ck_assert(!ps.some.present);
	ck_assert(ps.full.present);
	ck_assert_uint_eq(ps.full.total_us, 47113);
	free(text);
}
END_TEST

START_TEST(test_pressure_parse_rejects_malformed)
{
	static const char *const bad[] = {
		"",
		"\n",
		"some avg10=0.00 avg60=0.00 total=0\n",
		"some avg10=x avg60=0.00 avg300=0.00 total=0\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=\n",
		"wat avg10=0.00 avg60=0.00 avg300=0.00 total=1\n",
	};
	struct pressure_stats ps;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(pressure_parse(bad[i], strlen(bad[i]), &ps) == -1, "accepted %s",
			      bad[i]);
}
END_TEST

START_TEST(test_pressure_stall_rate_over_real_dt)
{
	char dir[64];
	struct source_env env = {.procfs = dir, .sysfs = "/nonexistent"};
	void *st;
	json_t *f, *cpu, *io, *irq;

	fx_tmpdir(dir, sizeof(dir));
	fx_write(dir, "pressure/cpu", "some avg10=1.50 avg60=1.00 avg300=0.50 total=1000000\n");
	fx_write(dir, "pressure/io",
		 "some avg10=0.00 avg60=0.00 avg300=0.00 total=10\n"
		 "full avg10=0.00 avg60=0.00 avg300=0.00 total=5\n");
	fx_write(dir, "pressure/irq", "full avg10=0.00 avg60=0.00 avg300=0.00 total=100\n");
	st = pressure_source.init(&env, NULL, 0);
	ck_assert_ptr_nonnull(st);
	f = fx_tick(&pressure_source, st, 0, 0);
	cpu = fx_row(json_object_get(f, "pressure"), "resource", "cpu");
	ck_assert_ptr_nonnull(cpu);
	ck_assert_double_eq_tol(fx_num(cpu, "some_avg10"), 1.5, 1e-9);
	fx_null(cpu, "some_stall_pct"); /* no previous sample yet */
	fx_null(cpu, "full_avg10");	/* no full line: unknown, not 0 */
	/* memory is absent from this tree: said so in the frame. */
	ck_assert_ptr_nonnull(
		json_object_get(json_object_get(f, "unavailable"), "pressure.memory"));
	json_decref(f);

	/* 0.6 s of stall in a 2 s tick is 30 %; the io full line stalled 1 ms in 2 s. */
	fx_write(dir, "pressure/cpu", "some avg10=2.00 avg60=1.00 avg300=0.50 total=1600000\n");
	fx_write(dir, "pressure/io",
		 "some avg10=0.00 avg60=0.00 avg300=0.00 total=2010\n"
		 "full avg10=0.00 avg60=0.00 avg300=0.00 total=1005\n");
	fx_write(dir, "pressure/irq", "full avg10=0.00 avg60=0.00 avg300=0.00 total=20100\n");
	f = fx_tick(&pressure_source, st, 1, 2.0);
	irq = fx_row(json_object_get(f, "pressure"), "resource", "irq");
	fx_null(irq, "some_avg10"); /* irq has no "some" line */
	fx_null(irq, "some_stall_pct");
	ck_assert_double_eq_tol(fx_num(irq, "full_stall_pct"), 1.0, 1e-9);
	cpu = fx_row(json_object_get(f, "pressure"), "resource", "cpu");
	io = fx_row(json_object_get(f, "pressure"), "resource", "io");
	ck_assert_double_eq_tol(fx_num(cpu, "some_stall_pct"), 30.0, 1e-9);
	ck_assert_double_eq_tol(fx_num(io, "some_stall_pct"), 0.1, 1e-9);
	ck_assert_double_eq_tol(fx_num(io, "full_stall_pct"), 0.05, 1e-9);
	json_decref(f);
	pressure_source.fini(st);
	fx_rmtree(dir);
}
END_TEST

START_TEST(test_pressure_unavailable_on_4_9)
{
	struct source_env env = {.procfs = fx_dir("proc/linux-4.9"), .sysfs = "/nonexistent"};
	char why[512] = "";

	ck_assert_ptr_null(pressure_source.init(&env, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "CONFIG_PSI"));
}
END_TEST

START_TEST(test_pressure_recorded_tree_reports_missing_irq)
{
	struct source_env env = {.procfs = fx_dir("proc/linux-6.18"), .sysfs = "/nonexistent"};
	void *st = pressure_source.init(&env, NULL, 0);
	json_t *f;

	ck_assert_ptr_nonnull(st);
	f = fx_tick(&pressure_source, st, 0, 0);
	ck_assert_uint_eq(json_array_size(json_object_get(f, "pressure")), 3);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(
					     json_object_get(f, "unavailable"), "pressure.irq")),
				     "6.1"));
	json_decref(f);
	pressure_source.fini(st);
	pressure_source.fini(NULL);
}
END_TEST

Suite *
pressure_suite(void)
{
	Suite *s = suite_create("pressure");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_pressure_parse_recorded_and_reconstructed);
	tcase_add_test(tc, test_pressure_parse_rejects_malformed);
	tcase_add_test(tc, test_pressure_stall_rate_over_real_dt);
	tcase_add_test(tc, test_pressure_unavailable_on_4_9);
	tcase_add_test(tc, test_pressure_recorded_tree_reports_missing_irq);
	suite_add_tcase(s, tc);
	return s;
}
