/* Tests for the perf replay source: the synthetic fixture trace through the real aggregation. */
#include <check.h>
#include <math.h>
#include <string.h>

#include <jansson.h>

#include "collector/sources/perf_replay.h"
#include "unit_suites.h"

#define TRACE PERFWATCH_FIXTURES_DIR "/perf/replay-synthetic.trace"

static json_t *
hw_core(json_t *sec, const char *kind, size_t cpu)
{
	return json_array_get(json_object_get(json_object_get(sec, kind), "cores"), cpu);
}

/* Feeds ticks until trace_tick `want` and returns a new frame holding its "perf" section. */
static json_t *
replay_to(struct perf_replay *r, long want)
{
	struct tick tick = {0, 0, 0, 1.0};

	for (;;) {
		json_t *root = json_object(), *sec;

		ck_assert_int_eq(perf_replay_sample(r, &tick), 0);
		ck_assert_int_eq(perf_replay_encode(r, root), 0);
		sec = json_object_get(root, "perf");
		if (sec != NULL && json_integer_value(json_object_get(sec, "trace_tick")) == want)
			return root;
		json_decref(root);
	}
}

START_TEST(test_perf_replay_synthetic_trace_through_aggregation)
{
	char why[512];
	struct perf_replay *r = perf_replay_open(TRACE, why, sizeof(why));
	json_t *root, *sec, *core0, *core1, *bw;
	double ipc0 = 2.0 + 0.3 * sin(1 / 3.0), ipc1 = 0.6 + 0.1 * sin(1 / 3.0);

	ck_assert_msg(r != NULL, "%s", why);
	root = replay_to(r, 1);
	sec = json_object_get(root, "perf");
	ck_assert_str_eq(json_string_value(json_object_get(sec, "source")), "replay");
	ck_assert_ptr_nonnull(
		strstr(json_string_value(json_object_get(sec, "origin")), "synthetic"));
	ck_assert_ptr_nonnull(json_object_get(sec, "caps"));
	core0 = hw_core(sec, "hw", 0);
	core1 = hw_core(sec, "hw", 1);
	/* The model's figures come back out of the counters (6 significant digits). */
	ck_assert_double_eq_tol(json_real_value(json_object_get(core0, "ipc")), ipc0, 1e-4);
	ck_assert_double_eq_tol(json_real_value(json_object_get(core1, "ipc")), ipc1, 1e-4);
	ck_assert_double_eq_tol(json_real_value(json_object_get(core0, "ghz")), 3.0, 1e-4);
	ck_assert_double_eq_tol(json_real_value(json_object_get(core1, "llc_miss_pct")), 45, 1e-3);
	ck_assert_double_eq_tol(json_real_value(json_object_get(core1, "l1d_hit_pct")), 88, 1e-3);
	ck_assert_double_eq_tol(json_real_value(json_object_get(core0, "cache_counted_pct")), 50,
				1e-9);
	/* The L1/TLB group counted half the time: its rate is scaled back to the model's 0.05 %
	 * dTLB misses per instruction. */
	ck_assert_double_eq_tol(
		json_real_value(json_object_get(core0, "dtlb_load_misses_per_s")) /
			json_real_value(json_object_get(core0, "instructions_per_s")),
		0.0005, 1e-8);
	ck_assert(json_is_null(json_object_get(json_object_get(json_object_get(sec, "hw"), "total"),
					       "stall_frontend_pct")));
	ck_assert_ptr_null(json_object_get(core0, "stall_frontend_pct"));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(sec, "reasons"),
							   "stall_frontend_pct")),
			 "event_unsupported");
	bw = json_object_get(sec, "membw");
	/* Channel 0 at 3.2 GB/s and channel 1 at 2.8 GB/s reads, each × (1 + 0.25 sin(k/4 + i)). */
	ck_assert_double_eq_tol(json_real_value(json_object_get(bw, "read_gbs")),
				3.2 * (1 + 0.25 * sin(0.25)) + 2.8 * (1 + 0.25 * sin(1.25)), 1e-3);
	ck_assert_double_eq_tol(json_real_value(json_object_get(bw, "util_pct")),
				json_real_value(json_object_get(bw, "total_gbs")) / 40 * 100, 1e-3);
	json_decref(root);

	/* Tick 20: CPU 1's L1/TLB group was not scheduled at all, so the total is unknown too. */
	root = replay_to(r, 20);
	sec = json_object_get(root, "perf");
	ck_assert_ptr_null(json_object_get(hw_core(sec, "hw", 1), "l1d_miss_pct"));
	ck_assert(json_is_null(json_object_get(json_object_get(json_object_get(sec, "hw"), "total"),
					       "l1d_miss_pct")));
	ck_assert_double_eq(
		json_real_value(json_object_get(hw_core(sec, "hw", 1), "l1tlb_counted_pct")), 0);
	ck_assert(json_is_number(json_object_get(hw_core(sec, "hw", 0), "l1d_miss_pct")));
	ck_assert_str_eq(
		json_string_value(json_object_get(json_object_get(sec, "reasons"), "l1d_miss_pct")),
		"not_counted");
	json_decref(root);

	/* After the last tick the trace starts over: one honest "reset" interval. */
	root = replay_to(r, 0);
	sec = json_object_get(root, "perf");
	ck_assert(json_is_null(
		json_object_get(json_object_get(json_object_get(sec, "hw"), "total"), "ipc")));
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(sec, "reasons"), "ipc")),
			 "reset");
	json_decref(root);
	perf_replay_free(r);
}
END_TEST

START_TEST(test_perf_replay_refuses_traces_without_origin)
{
	char why[512];

	ck_assert_ptr_null(perf_replay_open(PERFWATCH_FIXTURES_DIR "/perf/replay-no-origin.trace",
					    why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "origin"));
	ck_assert_ptr_null(
		perf_replay_open(PERFWATCH_FIXTURES_DIR "/perf/README.md", why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "not a perf trace"));
	ck_assert_ptr_null(perf_replay_open("/nonexistent/trace", why, sizeof(why)));
}
END_TEST

Suite *
perf_replay_suite(void)
{
	Suite *s = suite_create("perf_replay");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_perf_replay_synthetic_trace_through_aggregation);
	tcase_add_test(tc, test_perf_replay_refuses_traces_without_origin);
	suite_add_tcase(s, tc);
	return s;
}
