/* Tests for the aggregation of counter group reads into the frame's "perf" section. */
#include <check.h>
#include <string.h>

#include <jansson.h>

#include "collector/perf_frame.h"
#include "unit_suites.h"

#define EV(x) PERF_FRAME_EV_##x
#define SEC   1000000000ull

static const int two_cpus[] = {0, 1};

/* Encodes f and returns the "perf" section (owned by *root, which the caller decrefs). */
static json_t *
encode(struct perf_frame *f, json_t **root)
{
	*root = json_object();
	ck_assert_int_eq(perf_frame_encode(f, *root), 0);
	return json_object_get(*root, "perf");
}

static double
num(json_t *sec, const char *kind, int core, const char *key)
{
	json_t *part = json_object_get(sec, kind);
	json_t *obj = core < 0 ? json_object_get(part, "total")
			       : json_array_get(json_object_get(part, "cores"), (size_t)core);
	json_t *v = json_object_get(obj, key);

	ck_assert_msg(json_is_number(v), "%s.%s is not a number", kind, key);
	return json_number_value(v);
}

static bool
is_null(json_t *sec, const char *kind, int core, const char *key)
{
	json_t *part = json_object_get(sec, kind);
	json_t *obj = core < 0 ? json_object_get(part, "total")
			       : json_array_get(json_object_get(part, "cores"), (size_t)core);

	return json_is_null(json_object_get(obj, key));
}

/* A core leaves out a metric that is null for the same reason as the total. */
static bool
absent(json_t *sec, const char *kind, int core, const char *key)
{
	json_t *cores = json_object_get(json_object_get(sec, kind), "cores");

	return json_object_get(json_array_get(cores, (size_t)core), key) == NULL;
}

static const char *
reason(json_t *sec, const char *key)
{
	return json_string_value(json_object_get(json_object_get(sec, "reasons"), key));
}

/* One core-group read: cycles, instructions, ref-cycles, branches, branch misses. */
static void
core_read(struct perf_frame *f, unsigned cpu, uint64_t en, uint64_t run, uint64_t cyc, uint64_t ins,
	  uint64_t ref, uint64_t br, uint64_t brm)
{
	uint64_t v[PERF_FRAME_EV_COUNT] = {0};

	v[EV(CYCLES)] = cyc;
	v[EV(INSTRUCTIONS)] = ins;
	v[EV(REF_CYCLES)] = ref;
	v[EV(BRANCHES)] = br;
	v[EV(BRANCH_MISSES)] = brm;
	perf_frame_group_read(f, cpu, PERF_FRAME_G_CORE, en, run, v);
}

START_TEST(test_perf_frame_derived_metrics_per_cpu_and_total)
{
	struct perf_frame *f = perf_frame_new(2, two_cpus, "replay", "unit test");
	json_t *root, *sec;

	perf_frame_set_nominal_ghz(f, 2.0);
	perf_frame_tick_begin(f);
	core_read(f, 0, 5 * SEC, 5 * SEC, 1000, 1000, 1000, 100, 1);
	core_read(f, 1, 0, 0, 0, 0, 0, 0, 0);
	sec = encode(f, &root);
	ck_assert_ptr_null(sec); /* baseline: nothing to say yet */
	json_decref(root);

	perf_frame_tick_begin(f);
	/* CPU 0: 3e9 cycles, 6e9 instructions in 1 s, 2.4e9 ref-cycles; 1e9 branches, 1e7 missed.
	 */
	core_read(f, 0, 6 * SEC, 6 * SEC, 1000 + 3000000000ull, 1000 + 6000000000ull,
		  1000 + 2400000000ull, 100 + 1000000000ull, 1 + 10000000ull);
	/* CPU 1: counted half the second (multiplexed): raw 5e8 cycles and 5e8 instructions. */
	core_read(f, 1, 1 * SEC, SEC / 2, 500000000ull, 500000000ull, 600000000ull, 0, 0);
	sec = encode(f, &root);
	ck_assert_str_eq(json_string_value(json_object_get(sec, "source")), "replay");
	ck_assert_str_eq(json_string_value(json_object_get(sec, "origin")), "unit test");
	ck_assert_double_eq_tol(num(sec, "hw", 0, "ipc"), 2.0, 1e-9);
	ck_assert_double_eq_tol(num(sec, "hw", 0, "cpi"), 0.5, 1e-9);
	ck_assert_double_eq_tol(num(sec, "hw", 0, "ghz"), 2.5, 1e-9);
	ck_assert_double_eq_tol(num(sec, "hw", 0, "branch_miss_pct"), 1.0, 1e-9);
	ck_assert_double_eq_tol(num(sec, "hw", 0, "branch_mpki"), 10000000.0 / 6e6, 1e-3);
	ck_assert_double_eq_tol(num(sec, "hw", 0, "cycles_per_s"), 3e9, 1);
	ck_assert_double_eq_tol(num(sec, "hw", 1, "core_counted_pct"), 50.0, 1e-9);
	/* Scaled ×2: 1e9 cycles and instructions over the 1 s interval. */
	ck_assert_double_eq_tol(num(sec, "hw", 1, "cycles_per_s"), 1e9, 1);
	ck_assert_double_eq_tol(num(sec, "hw", 1, "ipc"), 1.0, 1e-9);
	/* Zero branches on CPU 1: its ratio is undefined, the core says why; the total (a ratio
	 * of sums) is CPU 0's. */
	ck_assert(is_null(sec, "hw", 1, "branch_miss_pct"));
	ck_assert_str_eq(
		json_string_value(json_object_get(
			json_object_get(
				json_array_get(json_object_get(json_object_get(sec, "hw"), "cores"),
					       1),
				"reasons"),
			"branch_miss_pct")),
		"zero_denominator");
	ck_assert_double_eq_tol(num(sec, "hw", -1, "branch_miss_pct"), 1.0, 1e-9);
	ck_assert_ptr_null(reason(sec, "branch_miss_pct"));
	/* Totals: ratio of sums (7e9 / 4e9) and sum of rates. */
	ck_assert_double_eq_tol(num(sec, "hw", -1, "ipc"), 7.0 / 4.0, 1e-9);
	ck_assert_double_eq_tol(num(sec, "hw", -1, "cycles_per_s"), 4e9, 1);
	ck_assert_double_eq_tol(num(sec, "hw", -1, "core_counted_pct"), 75.0, 1e-9);
	/* Groups never read this tick: the cache metrics say their group was not read. */
	ck_assert(is_null(sec, "hw", -1, "llc_miss_pct"));
	ck_assert_str_eq(reason(sec, "llc_miss_pct"), "warming_up");
	json_decref(root);
	perf_frame_free(f);
}
END_TEST

START_TEST(test_perf_frame_not_counted_and_reset)
{
	struct perf_frame *f = perf_frame_new(1, two_cpus, "perf_event", NULL);
	json_t *root, *sec;

	perf_frame_tick_begin(f);
	core_read(f, 0, 1 * SEC, SEC / 2, 100, 100, 100, 10, 1);
	perf_frame_tick_begin(f);
	/* Multiplexed out the whole interval: running did not move. */
	core_read(f, 0, 2 * SEC, SEC / 2, 100, 100, 100, 10, 1);
	sec = encode(f, &root);
	ck_assert(absent(sec, "hw", 0, "ipc"));
	ck_assert(is_null(sec, "hw", -1, "ipc"));
	ck_assert(is_null(sec, "hw", -1, "cycles_per_s"));
	ck_assert_str_eq(reason(sec, "ipc"), "not_counted");
	ck_assert_ptr_nonnull(json_object_get(json_object_get(sec, "why"), "not_counted"));
	/* ...and "counted 0 %" is a value, not a null. */
	ck_assert_double_eq(num(sec, "hw", 0, "core_counted_pct"), 0.0);
	json_decref(root);

	perf_frame_tick_begin(f);
	/* The counters start again from zero (group reopened): the delta is unknown. */
	core_read(f, 0, 1000, 1000, 5, 5, 5, 0, 0);
	sec = encode(f, &root);
	ck_assert(is_null(sec, "hw", -1, "ipc"));
	ck_assert(absent(sec, "hw", 0, "ipc"));
	ck_assert_str_eq(reason(sec, "ipc"), "reset");
	json_decref(root);

	perf_frame_tick_begin(f);
	core_read(f, 0, 1000 + SEC, 1000 + SEC, 5 + 2000, 5 + 1000, 5 + 2000, 10, 0);
	sec = encode(f, &root);
	ck_assert_double_eq_tol(num(sec, "hw", 0, "ipc"), 0.5, 1e-9);
	json_decref(root);
	perf_frame_free(f);
}
END_TEST

START_TEST(test_perf_frame_no_pmu_reasons_and_software_rates)
{
	struct perf_frame *f = perf_frame_new(2, two_cpus, "perf_event", NULL);
	uint64_t v[PERF_FRAME_EV_COUNT] = {0};
	json_t *root, *sec, *why;

	perf_frame_set_why(f, PERF_REASON_NO_PMU, "no PMU here");
	perf_frame_set_caps_report(f, "{\"core_pmu\":null}");
	for (unsigned c = 0; c < 2; c++) {
		for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++) {
			if (perf_frame_group_is_hw(perf_frame_events[e].group))
				perf_frame_set_event_reason(f, c, (enum perf_frame_event)e,
							    PERF_REASON_NO_PMU);
		}
	}
	for (int t = 0; t < 3; t++) {
		perf_frame_tick_begin(f);
		for (unsigned c = 0; c < 2; c++) {
			/* 1.5 s intervals; CPU c does (c + 1) × 300 switches per interval. */
			v[EV(CONTEXT_SWITCHES)] = (uint64_t)t * 300 * (c + 1);
			v[EV(PAGE_FAULTS)] = (uint64_t)t * 1500;
			v[EV(TASK_CLOCK)] = (uint64_t)t * 1500000000ull;
			perf_frame_group_read(f, c, PERF_FRAME_G_SW, (uint64_t)t * 1500000000ull,
					      (uint64_t)t * 1500000000ull, v);
		}
		if (t == 0)
			continue;
		sec = encode(f, &root);
		ck_assert_double_eq_tol(num(sec, "sw", 0, "context_switches_per_s"), 200, 1e-9);
		ck_assert_double_eq_tol(num(sec, "sw", 1, "context_switches_per_s"), 400, 1e-9);
		ck_assert_double_eq_tol(num(sec, "sw", -1, "context_switches_per_s"), 600, 1e-9);
		ck_assert_double_eq_tol(num(sec, "sw", -1, "page_faults_per_s"), 2000, 1e-9);
		ck_assert_double_eq_tol(num(sec, "sw", 0, "task_clock_pct"), 100, 1e-9);
		ck_assert_double_eq_tol(num(sec, "sw", -1, "sw_counted_pct"), 100, 1e-9);
		ck_assert(is_null(sec, "hw", -1, "ipc"));
		ck_assert(absent(sec, "hw", 1, "llc_mpki"));
		ck_assert(!absent(sec, "sw", 1, "page_faults_per_s"));
		ck_assert(is_null(sec, "hw", -1, "core_counted_pct"));
		ck_assert_str_eq(reason(sec, "ipc"), "no_pmu");
		ck_assert_str_eq(reason(sec, "stall_counted_pct"), "no_pmu");
		ck_assert_str_eq(reason(sec, "total_gbs"), "no_bandwidth_source");
		why = json_object_get(sec, "why");
		ck_assert_str_eq(json_string_value(json_object_get(why, "no_pmu")), "no PMU here");
		/* The capability report rides along with the first frame only. */
		ck_assert(json_is_object(json_object_get(sec, "caps")) == (t == 1));
		json_decref(root);
	}
	perf_frame_free(f);
}
END_TEST

START_TEST(test_perf_frame_turned_off)
{
	struct perf_frame *f = perf_frame_new(2, two_cpus, "perf_event", NULL);
	json_t *root, *sec;

	/* What the perf source does with --perf-counters=off: nothing opened, nothing read. */
	for (unsigned c = 0; c < 2; c++) {
		for (unsigned e = 0; e < PERF_FRAME_EV_COUNT; e++)
			perf_frame_set_event_reason(f, c, (enum perf_frame_event)e,
						    PERF_REASON_TURNED_OFF);
	}
	perf_frame_bw_setup(f, PERF_BW_NONE, 0, NULL, NULL);
	perf_frame_set_bw_none_reason(f, PERF_REASON_TURNED_OFF);
	for (int t = 0; t < 3; t++) {
		perf_frame_tick_begin(f);
		if (t == 0)
			continue;
		sec = encode(f, &root);
		ck_assert(is_null(sec, "hw", -1, "ipc"));
		ck_assert(is_null(sec, "sw", -1, "context_switches_per_s"));
		ck_assert_str_eq(reason(sec, "ipc"), "turned_off");
		ck_assert_str_eq(reason(sec, "context_switches_per_s"), "turned_off");
		ck_assert_str_eq(reason(sec, "total_gbs"), "turned_off");
		ck_assert_str_eq(reason(sec, "util_pct"), "turned_off");
		json_decref(root);
	}
	perf_frame_free(f);
}
END_TEST

START_TEST(test_perf_frame_bandwidth_over_irregular_intervals)
{
	struct perf_frame *f = perf_frame_new(1, two_cpus, "perf_event", NULL);
	const double scale[2] = {64, 64};
	json_t *root, *sec;

	perf_frame_set_peak_gbs(f, 20.0);
	perf_frame_bw_setup(f, PERF_BW_INTEL_IMC, 2, scale, scale);
	perf_frame_tick_begin(f);
	perf_frame_bw_read(f, 0, 1000, 2000, 10 * SEC);
	perf_frame_bw_read(f, 1, 0, 0, 10 * SEC + 7);
	perf_frame_tick_begin(f);
	/* Channel 0 read over 2.5 s: 10 GB read, 5 GB written. Channel 1 over 0.5 s: 1 GB read. */
	perf_frame_bw_read(f, 0, 1000 + 156250000, 2000 + 78125000, 12 * SEC + SEC / 2);
	perf_frame_bw_read(f, 1, 15625000, 0, 10 * SEC + 7 + SEC / 2);
	sec = encode(f, &root);
	{
		json_t *bw = json_object_get(sec, "membw");

		ck_assert_double_eq_tol(json_real_value(json_object_get(bw, "read_gbs")), 4 + 2,
					1e-9);
		ck_assert_double_eq_tol(json_real_value(json_object_get(bw, "write_gbs")), 2, 1e-9);
		ck_assert_double_eq_tol(json_real_value(json_object_get(bw, "total_gbs")), 8, 1e-9);
		ck_assert_double_eq_tol(json_real_value(json_object_get(bw, "util_pct")), 40, 1e-9);
	}
	json_decref(root);
	perf_frame_free(f);
}
END_TEST

START_TEST(test_perf_frame_resctrl_total_only)
{
	struct perf_frame *f = perf_frame_new(1, two_cpus, "perf_event", NULL);
	const double scale[1] = {1};
	json_t *root, *sec, *bw;

	perf_frame_bw_setup(f, PERF_BW_RESCTRL, 1, scale, NULL);
	perf_frame_tick_begin(f);
	perf_frame_bw_read(f, 0, 1000000000ull, 0, SEC);
	perf_frame_tick_begin(f);
	perf_frame_bw_read(f, 0, 4000000000ull, 0, 3 * SEC);
	sec = encode(f, &root);
	bw = json_object_get(sec, "membw");
	ck_assert_double_eq_tol(json_real_value(json_object_get(bw, "total_gbs")), 1.5, 1e-9);
	ck_assert(json_is_null(json_object_get(bw, "read_gbs")));
	ck_assert_str_eq(reason(sec, "read_gbs"), "no_split");
	ck_assert_str_eq(reason(sec, "util_pct"), "no_peak");
	json_decref(root);
	perf_frame_free(f);
}
END_TEST

Suite *
perf_frame_suite(void)
{
	Suite *s = suite_create("perf_frame");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_perf_frame_derived_metrics_per_cpu_and_total);
	tcase_add_test(tc, test_perf_frame_not_counted_and_reset);
	tcase_add_test(tc, test_perf_frame_no_pmu_reasons_and_software_rates);
	tcase_add_test(tc, test_perf_frame_turned_off);
	tcase_add_test(tc, test_perf_frame_bandwidth_over_irregular_intervals);
	tcase_add_test(tc, test_perf_frame_resctrl_total_only);
	suite_add_tcase(s, tc);
	return s;
}
