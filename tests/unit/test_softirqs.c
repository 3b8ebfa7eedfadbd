/* Tests for the softirqs source: column counts, per-CPU 32-bit wrap before summing, old names. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sources/softirqs.h"
#include "os_fixture.h"
#include "unit_suites.h"

START_TEST(test_softirqs_parse_fixtures)
{
	uint64_t c[SOFTIRQS_NTYPES * 4];
	bool present[SOFTIRQS_NTYPES];
	size_t len, n;
	char *text = fx_read("proc/linux-6.18/softirqs", &len);

	ck_assert_int_eq(softirqs_parse(text, len, c, 4, &n, present), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(c[SOFTIRQS_BLOCK * 4 + 1], 90866);
	ck_assert_uint_eq(c[SOFTIRQS_RCU * 4 + 0], 17017);
	for (int t = 0; t < SOFTIRQS_NTYPES; t++)
		ck_assert(present[t]);
	free(text);
	text = fx_read("proc/linux-4.9/softirqs", &len);
	ck_assert_int_eq(softirqs_parse(text, len, c, 4, &n, present), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(c[SOFTIRQS_NET_RX * 4 + 0], 412331221);
	free(text);
	ck_assert_int_eq(softirqs_parse("CPU0 CPU1\nHI: 1\n", 16, c, 4, &n, present), -1);
}
END_TEST

START_TEST(test_softirqs_wrap_per_cpu)
{
	char dir[64], why[256];
	struct source_env env = {.procfs = dir, .sysfs = "/nonexistent"};
	void *st;
	json_t *f, *o;

	fx_tmpdir(dir, sizeof(dir));
	/* A 3.x kernel: BLOCK_IOPOLL is today's IRQ_POLL. */
	fx_write(dir, "softirqs", "   CPU0 CPU1\nTIMER: 4294967290 100\nBLOCK_IOPOLL: 5 5\n");
	st = softirqs_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	json_decref(fx_tick(&softirqs_source, st, 0, 0));
	fx_write(dir, "softirqs", "   CPU0 CPU1\nTIMER: 10 200\nBLOCK_IOPOLL: 7 9\n");
	f = fx_tick(&softirqs_source, st, 1, 0.5);
	o = json_object_get(f, "softirqs");
	/* CPU0 wrapped: +16, CPU1 +100, in half a second. */
	ck_assert_double_eq_tol(fx_num(o, "timer_per_s"), 232, 1e-9);
	ck_assert_double_eq_tol(fx_num(o, "irq_poll_per_s"), 12, 1e-9);
	fx_null(o, "rcu_per_s"); /* not listed by this kernel */
	json_decref(f);
	softirqs_source.fini(st);
	fx_rmtree(dir);
}
END_TEST

Suite *
softirqs_suite(void)
{
	Suite *s = suite_create("softirqs");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_softirqs_parse_fixtures);
	tcase_add_test(tc, test_softirqs_wrap_per_cpu);
	suite_add_tcase(s, tc);
	return s;
}
