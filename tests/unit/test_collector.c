/* Tests for the tick scheduler: absolute deadlines that skip, rather than burst, after overruns. */
#include <check.h>

#include "collector/collector.h"
#include "unit_suites.h"

#define S 1000000000ull

static const struct {
	uint64_t deadline, now, interval;
	uint64_t next, skipped;
} deadline_cases[] = {
	{10 * S, 10 * S + 1000, S, 11 * S, 0},	/* normal: tick took 1 µs */
	{10 * S, 10 * S + S - 1, S, 11 * S, 0}, /* tick took almost the whole interval */
	{10 * S, 11 * S, S, 11 * S, 0}, /* finished exactly on the next deadline: not late */
	{10 * S, 13 * S + S / 2, S, 14 * S, 3}, /* overran 3.5 intervals: skip 11, 12, 13 */
	{10 * S, 9 * S, S, 11 * S, 0},		/* woke early (cannot happen, stays on grid) */
	{0, 0, S / 10, S / 10, 0},		/* 100 ms interval from a zero deadline */
	{5 * S, 5 * S + 25 * (S / 10), S / 10, 5 * S + 25 * (S / 10), 24}, /* 2.5 s stall */
};

START_TEST(test_collector_next_deadline_stays_on_grid)
{
	uint64_t skipped = 99;
	uint64_t next = collector_next_deadline(deadline_cases[_i].deadline, deadline_cases[_i].now,
						deadline_cases[_i].interval, &skipped);

	ck_assert_uint_eq(next, deadline_cases[_i].next);
	ck_assert_uint_eq(skipped, deadline_cases[_i].skipped);
	ck_assert_uint_ge(next, deadline_cases[_i].now);
	ck_assert_uint_eq((next - deadline_cases[_i].deadline) % deadline_cases[_i].interval, 0);
}
END_TEST

Suite *
collector_suite(void)
{
	Suite *s = suite_create("collector");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_collector_next_deadline_stays_on_grid, 0,
			    (int)(sizeof(deadline_cases) / sizeof(deadline_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}
