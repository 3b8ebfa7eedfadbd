/* Tests for the counter arithmetic: reset and wrap, multiplexing scaling, ratios, rates. */
#include <check.h>
#include <stdint.h>

#include "collector/perf_math.h"
#include "unit_suites.h"

START_TEST(test_perf_math_delta_plain_reset_and_wrap)
{
	uint64_t d;

	ck_assert_int_eq(perf_math_delta(100, 350, 64, &d), PERF_MATH_OK);
	ck_assert_uint_eq(d, 250);
	ck_assert_int_eq(perf_math_delta(7, 7, 64, &d), PERF_MATH_OK);
	ck_assert_uint_eq(d, 0);
	/* A 64-bit perf count going backwards is a reset (fd reopened), never a wrap. */
	ck_assert_int_eq(perf_math_delta(5000, 20, 64, &d), PERF_MATH_RESET);
	ck_assert_uint_eq(d, 0);
	/* A 48-bit raw counter wraps: 100 before the top, 50 after it. */
	ck_assert_int_eq(perf_math_delta((UINT64_C(1) << 48) - 100, 50, 48, &d), PERF_MATH_OK);
	ck_assert_uint_eq(d, 150);
	ck_assert_int_eq(perf_math_delta(UINT32_MAX, 0, 32, &d), PERF_MATH_OK);
	ck_assert_uint_eq(d, 1);
	/* A value wider than the counter cannot have wrapped at that width: a reset. */
	ck_assert_int_eq(perf_math_delta(UINT64_C(1) << 50, 3, 48, &d), PERF_MATH_RESET);
}
END_TEST

START_TEST(test_perf_math_scale_multiplexed_read)
{
	/* Reads as the kernel returns them for a group counted half of a 1 s interval. */
	struct perf_math_read prev = {1000000, 1000000000, 500000000};
	struct perf_math_read cur = {3000000, 2000000000, 1000000000};
	double v, duty;

	ck_assert_int_eq(perf_math_scale(&prev, &cur, &v, &duty), PERF_MATH_OK);
	ck_assert_double_eq_tol(v, 4000000.0, 1e-6);
	ck_assert_double_eq_tol(duty, 0.5, 1e-12);
	/* Counted the whole time: no scaling. */
	cur = (struct perf_math_read){1500000, 2000000000, 1500000000};
	ck_assert_int_eq(perf_math_scale(&prev, &cur, &v, &duty), PERF_MATH_OK);
	ck_assert_double_eq_tol(v, 500000.0, 1e-6);
	ck_assert_double_eq_tol(duty, 1.0, 1e-12);
}
END_TEST

START_TEST(test_perf_math_scale_zero_running_is_not_counted)
{
	struct perf_math_read prev = {4242, 1000000000, 600000000};
	struct perf_math_read cur = {4242, 2000000000, 600000000};
	double v = -1, duty = -1;

	ck_assert_int_eq(perf_math_scale(&prev, &cur, &v, &duty), PERF_MATH_NOT_COUNTED);
	ck_assert_double_eq(v, 0);
	ck_assert_double_eq(duty, 0);
	/* No enabled time at all: no interval. */
	cur.enabled = prev.enabled;
	ck_assert_int_eq(perf_math_scale(&prev, &cur, &v, NULL), PERF_MATH_NO_INTERVAL);
}
END_TEST

START_TEST(test_perf_math_scale_reset_and_bad_running)
{
	struct perf_math_read prev = {900000, 5000000000, 5000000000};
	struct perf_math_read cur = {1000, 1000000, 1000000};
	double v;

	ck_assert_int_eq(perf_math_scale(&prev, &cur, &v, NULL), PERF_MATH_RESET);
	/* running > enabled cannot happen; it is clamped to "counted all the time". */
	prev = (struct perf_math_read){0, 0, 0};
	cur = (struct perf_math_read){100, 1000, 1200};
	ck_assert_int_eq(perf_math_scale(&prev, &cur, &v, NULL), PERF_MATH_OK);
	ck_assert_double_eq_tol(v, 100.0, 1e-9);
}
END_TEST

START_TEST(test_perf_math_ratios_and_zero_cycles)
{
	double v;

	ck_assert_int_eq(perf_math_ratio(3.6e9, 2.4e9, 1, &v), PERF_MATH_OK); /* IPC */
	ck_assert_double_eq_tol(v, 1.5, 1e-12);
	ck_assert_int_eq(perf_math_ratio(2.4e9, 3.6e9, 1, &v), PERF_MATH_OK); /* CPI */
	ck_assert_double_eq_tol(v, 2.0 / 3.0, 1e-12);
	ck_assert_int_eq(perf_math_ratio(250, 1000, 100, &v), PERF_MATH_OK); /* miss % */
	ck_assert_double_eq_tol(v, 25.0, 1e-12);
	ck_assert_int_eq(perf_math_ratio(12000, 3e9, 1000, &v), PERF_MATH_OK); /* MPKI */
	ck_assert_double_eq_tol(v, 0.004, 1e-12);
	/* An idle CPU: zero cycles makes IPC undefined, not 0 and not infinite. */
	ck_assert_int_eq(perf_math_ratio(0, 0, 1, &v), PERF_MATH_ZERO_DENOM);
	ck_assert_int_eq(perf_math_ratio(5, 0, 1, &v), PERF_MATH_ZERO_DENOM);
	ck_assert_double_eq(v, 0);
}
END_TEST

START_TEST(test_perf_math_frequency_from_ref_cycles)
{
	double v;

	ck_assert_int_eq(perf_math_freq_ghz(3.0e9, 2.4e9, 2.4, &v), PERF_MATH_OK);
	ck_assert_double_eq_tol(v, 3.0, 1e-12);
	ck_assert_int_eq(perf_math_freq_ghz(1.2e9, 2.4e9, 2.4, &v), PERF_MATH_OK);
	ck_assert_double_eq_tol(v, 1.2, 1e-12);
	ck_assert_int_eq(perf_math_freq_ghz(1e9, 0, 2.4, &v), PERF_MATH_ZERO_DENOM);
	ck_assert_int_eq(perf_math_freq_ghz(1e9, 1e9, 0, &v), PERF_MATH_ZERO_DENOM);
}
END_TEST

START_TEST(test_perf_math_rates_over_irregular_intervals)
{
	/* Interval lengths a late-waking collector really sees, and the events in each. */
	static const uint64_t dt_ns[] = {1000213000, 500000000, 1499871000, 3000000, 2000000000};
	static const double counts[] = {1000, 700, 1500, 9, 0};
	double sum = 0, total = 0, v;

	for (size_t i = 0; i < ARRAY_LEN(dt_ns); i++) {
		ck_assert_int_eq(perf_math_rate(counts[i], dt_ns[i], &v), PERF_MATH_OK);
		sum += v * (double)dt_ns[i] / 1e9;
		total += counts[i];
	}
	/* The rates integrate back to the events counted, whatever the intervals. */
	ck_assert_double_eq_tol(sum, total, 1e-9);
	ck_assert_int_eq(perf_math_rate(5, 500000000, &v), PERF_MATH_OK);
	ck_assert_double_eq_tol(v, 10.0, 1e-12);
	ck_assert_int_eq(perf_math_rate(5, 0, &v), PERF_MATH_NO_INTERVAL);
}
END_TEST

START_TEST(test_perf_math_bandwidth_over_irregular_intervals)
{
	double mib, v;

	/* 156,250,000 CAS of 64 bytes = 10 GB: over 1 s, 2.5 s and 0.25 s. */
	ck_assert_int_eq(perf_math_bandwidth_gbs(156250000, 64, 1000000000, &v), PERF_MATH_OK);
	ck_assert_double_eq_tol(v, 10.0, 1e-9);
	ck_assert_int_eq(perf_math_bandwidth_gbs(156250000, 64, 2500000000, &v), PERF_MATH_OK);
	ck_assert_double_eq_tol(v, 4.0, 1e-9);
	ck_assert_int_eq(perf_math_bandwidth_gbs(156250000, 64, 250000000, &v), PERF_MATH_OK);
	ck_assert_double_eq_tol(v, 40.0, 1e-9);
	/* The uncore_imc .scale/.unit pair (6.103515625e-5 MiB) is exactly one 64-byte line. */
	ck_assert(perf_math_unit_bytes("MiB", &mib));
	ck_assert_double_eq_tol(6.103515625e-5 * mib, 64.0, 1e-12);
	ck_assert_int_eq(perf_math_bandwidth_gbs(1, 64, 0, &v), PERF_MATH_NO_INTERVAL);
}
END_TEST

START_TEST(test_perf_math_units)
{
	static const struct {
		const char *unit;
		bool ok;
		double bytes;
	} cases[] = {
		{"Bytes", true, 1},	     {"MiB", true, 1048576},
		{"MiB\n", true, 1048576},    {"KiB", true, 1024},
		{"GiB", true, 1073741824.0}, {"MB", true, 1e6},
		{"Joules", false, 0},	     {"", false, 0},
		{"mib", false, 0},
	};
	double v;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		ck_assert_msg(perf_math_unit_bytes(cases[i].unit, &v) == cases[i].ok, "unit '%s'",
			      cases[i].unit);
		if (cases[i].ok)
			ck_assert_double_eq(v, cases[i].bytes);
	}
}
END_TEST

Suite *
perf_math_suite(void)
{
	Suite *s = suite_create("perf_math");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_perf_math_delta_plain_reset_and_wrap);
	tcase_add_test(tc, test_perf_math_scale_multiplexed_read);
	tcase_add_test(tc, test_perf_math_scale_zero_running_is_not_counted);
	tcase_add_test(tc, test_perf_math_scale_reset_and_bad_running);
	tcase_add_test(tc, test_perf_math_ratios_and_zero_cycles);
	tcase_add_test(tc, test_perf_math_frequency_from_ref_cycles);
	tcase_add_test(tc, test_perf_math_rates_over_irregular_intervals);
	tcase_add_test(tc, test_perf_math_bandwidth_over_irregular_intervals);
	tcase_add_test(tc, test_perf_math_units);
	suite_add_tcase(s, tc);
	return s;
}
