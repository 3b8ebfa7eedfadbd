/* Tests for the vmstat source: counters across kernels, rates over dt, missing oom_kill. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "collector/sources/vmstat.h"
#include "os_fixture.h"
#include "unit_suites.h"

START_TEST(test_vmstat_parse_fixtures)
{
	struct vmstat_stats vs;
	size_t len;
	char *text = fx_read("proc/linux-6.18/vmstat", &len);

	ck_assert_int_eq(vmstat_parse(text, len, &vs), 0);
	for (int i = 0; i < VMSTAT_NCOUNTERS; i++)
		ck_assert_msg(vs.present[i], "%s missing on 6.18", vmstat_names[i]);
	ck_assert_uint_eq(vs.v[VMSTAT_PGFAULT], 4560944);
	ck_assert_uint_eq(vs.v[VMSTAT_PGMAJFAULT], 1730);
	ck_assert_uint_eq(vs.v[VMSTAT_PGPGIN], 2044769);
	free(text);

	text = fx_read("proc/linux-4.9/vmstat", &len);
	ck_assert_int_eq(vmstat_parse(text, len, &vs), 0);
	ck_assert(!vs.present[VMSTAT_OOM_KILL]);
	ck_assert_uint_eq(vs.v[VMSTAT_PGSCAN_KSWAPD], 98123311);
	/* pgscan_direct_throttle must not be taken for pgscan_direct. */
	ck_assert_uint_eq(vs.v[VMSTAT_PGSCAN_DIRECT], 51233);
	free(text);

	ck_assert_int_eq(vmstat_parse("nr_free_pages 1\n", 16, &vs), -1);
	ck_assert_int_eq(vmstat_parse("pgfault x\n", 10, &vs), -1);
	/* A word with a NUL inside is no counter name (fuzz_procfs read past the name). */
	ck_assert_int_eq(vmstat_parse("oom_kill\0xxxxxxxxxxxxxxxxxxxxxxxx 5\n", 35, &vs), -1);
}
END_TEST

START_TEST(test_vmstat_rates_use_dt_and_split_faults)
{
	char dir[64], why[256];
	struct source_env env = {.procfs = dir, .sysfs = "/nonexistent"};
	void *st;
	json_t *f, *vm;

	fx_tmpdir(dir, sizeof(dir));
	fx_write(dir, "vmstat",
		 "pgpgin 100\npgpgout 200\npswpin 0\npswpout 0\npgfault 1000\npgmajfault 10\n"
		 "pgsteal_kswapd 0\npgsteal_direct 0\npgscan_kswapd 0\npgscan_direct 0\n");
	st = vmstat_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	f = fx_tick(&vmstat_source, st, 0, 0);
	ck_assert_ptr_null(json_object_get(f, "vmstat")); /* rates need two samples */
	json_decref(f);

	fx_write(dir, "vmstat",
		 "pgpgin 300\npgpgout 1200\npswpin 8\npswpout 4\npgfault 3000\npgmajfault 30\n"
		 "pgsteal_kswapd 50\npgsteal_direct 0\npgscan_kswapd 100\npgscan_direct 0\n");
	f = fx_tick(&vmstat_source, st, 1, 2.0);
	vm = json_object_get(f, "vmstat");
	ck_assert_double_eq_tol(fx_num(vm, "page_in_kb_per_s"), 100, 1e-9);
	ck_assert_double_eq_tol(fx_num(vm, "page_out_kb_per_s"), 500, 1e-9);
	ck_assert_double_eq_tol(fx_num(vm, "swap_in_pages_per_s"), 4, 1e-9);
	ck_assert_double_eq_tol(fx_num(vm, "minor_faults_per_s"), 990, 1e-9);
	ck_assert_double_eq_tol(fx_num(vm, "major_faults_per_s"), 10, 1e-9);
	ck_assert_double_eq_tol(fx_num(vm, "pgscan_kswapd_per_s"), 50, 1e-9);
	fx_null(vm, "oom_kills");
	ck_assert_ptr_nonnull(
		json_object_get(json_object_get(f, "unavailable"), "vmstat.oom_kills"));
	json_decref(f);
	vmstat_source.fini(st);
	fx_rmtree(dir);
}
END_TEST

START_TEST(test_vmstat_counter_reset_is_not_a_rate)
{
	char dir[64], why[256];
	struct source_env env = {.procfs = dir, .sysfs = "/nonexistent"};
	void *st;
	json_t *f, *vm;

	fx_tmpdir(dir, sizeof(dir));
	fx_write(dir, "vmstat", "pgfault 5000\npgmajfault 10\noom_kill 1\n");
	st = vmstat_source.init(&env, why, sizeof(why));
	json_decref(fx_tick(&vmstat_source, st, 0, 0));
	fx_write(dir, "vmstat", "pgfault 40\npgmajfault 12\noom_kill 3\n");
	f = fx_tick(&vmstat_source, st, 1, 1.0);
	vm = json_object_get(f, "vmstat");
	fx_null(vm, "minor_faults_per_s");
	ck_assert_double_eq_tol(fx_num(vm, "major_faults_per_s"), 2, 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(vm, "oom_kills")), 2);
	ck_assert_ptr_null(json_object_get(f, "unavailable"));
	json_decref(f);
	vmstat_source.fini(st);
	fx_rmtree(dir);
}
END_TEST

Suite *
vmstat_suite(void)
{
	Suite *s = suite_create("vmstat");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_vmstat_parse_fixtures);
	tcase_add_test(tc, test_vmstat_rates_use_dt_and_split_faults);
	tcase_add_test(tc, test_vmstat_counter_reset_is_not_a_rate);
	suite_add_tcase(s, tc);
	return s;
}
