/* Tests for capability probing from fixture sysfs/procfs trees and errno classification. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collector/perf_caps.h"
#include "unit_suites.h"

#define PERF_FIXTURES PERFWATCH_FIXTURES_DIR "/perf"

static void
probe(const char *tree, struct perf_caps *caps)
{
	char sys[512], proc[512];

	snprintf(sys, sizeof(sys), "%s/%s/sys", PERF_FIXTURES, tree);
	snprintf(proc, sizeof(proc), "%s/%s/proc", PERF_FIXTURES, tree);
	perf_caps_probe(sys, proc, caps);
}

START_TEST(test_perf_caps_vm_without_pmu)
{
	struct perf_caps caps;
	char text[512];

	probe("vm-nopmu", &caps);
	ck_assert_str_eq(caps.pmus, "breakpoint msr software tracepoint uprobe");
	ck_assert_str_eq(caps.core_pmu, "");
	ck_assert_int_eq(caps.paranoid, 2);
	ck_assert_int_eq(caps.bw_kind, PERF_BW_NONE);
	ck_assert_uint_eq(caps.nbw, 0);
	ck_assert_ptr_nonnull(strstr(caps.bw_why, "resctrl is not in this kernel"));
	perf_caps_explain(&caps, PERF_REASON_NO_PMU, text, sizeof(text));
	ck_assert_ptr_nonnull(strstr(text, "no CPU PMU driver"));
	ck_assert_ptr_nonnull(strstr(text, "breakpoint msr software tracepoint uprobe"));
}
END_TEST

START_TEST(test_perf_caps_intel_imc_from_sysfs_aliases)
{
	struct perf_caps caps;

	probe("intel-skx", &caps);
	ck_assert_str_eq(caps.core_pmu, "cpu");
	ck_assert_int_eq(caps.bw_kind, PERF_BW_INTEL_IMC);
	ck_assert_uint_eq(caps.nbw, 2);
	ck_assert_str_eq(caps.bw[0].name, "uncore_imc_0");
	ck_assert_str_eq(caps.bw[1].name, "uncore_imc_1");
	ck_assert_uint_eq(caps.bw[0].read.type, 13);
	ck_assert_uint_eq(caps.bw[1].write.type, 14);
	ck_assert_uint_eq(caps.bw[0].read.config, 0x0304);
	ck_assert_uint_eq(caps.bw[0].write.config, 0x0c04);
	ck_assert_int_eq(caps.bw[0].read.cpu, 0);
	/* .scale 6.103515625e-5 × .unit MiB = one 64-byte cache line per CAS. */
	ck_assert_double_eq_tol(caps.bw[0].read.scale_bytes, 64.0, 1e-9);
	ck_assert_double_eq_tol(caps.bw[1].write.scale_bytes, 64.0, 1e-9);
}
END_TEST

START_TEST(test_perf_caps_intel_free_running_imc)
{
	struct perf_caps caps;

	probe("intel-icx-free", &caps);
	ck_assert_int_eq(caps.paranoid, -1);
	ck_assert_int_eq(caps.bw_kind, PERF_BW_INTEL_IMC);
	ck_assert_uint_eq(caps.nbw, 1);
	ck_assert_uint_eq(caps.bw[0].read.config, 0x20ff);
	ck_assert_uint_eq(caps.bw[0].write.config, 0x21ff);
	ck_assert_double_eq_tol(caps.bw[0].write.scale_bytes, 64.0, 1e-9);
}
END_TEST

START_TEST(test_perf_caps_amd_umc_from_format)
{
	struct perf_caps caps;

	probe("amd-zen4", &caps);
	ck_assert_int_eq(caps.bw_kind, PERF_BW_AMD_UMC);
	ck_assert_uint_eq(caps.nbw, 1);
	ck_assert_str_eq(caps.bw[0].name, "amd_umc_0");
	ck_assert_uint_eq(caps.bw[0].read.type, 12);
	ck_assert_uint_eq(caps.bw[0].read.config, 0x10a);
	ck_assert_uint_eq(caps.bw[0].write.config, 0x20a);
	ck_assert_double_eq(caps.bw[0].read.scale_bytes, 64.0);
}
END_TEST

START_TEST(test_perf_caps_resctrl_mbm)
{
	struct perf_caps caps;

	probe("resctrl", &caps);
	ck_assert_int_eq(caps.bw_kind, PERF_BW_RESCTRL);
	ck_assert_uint_eq(caps.nbw, 2);
	ck_assert_ptr_nonnull(strstr(caps.bw[0].path, "/mon_data/mon_L3_0"));
	ck_assert_ptr_nonnull(strstr(caps.bw[0].path, "mbm_total_bytes"));
}
END_TEST

START_TEST(test_perf_caps_format_terms)
{
	struct perf_caps_pmu_event ev;
	char dir[512], err[256];

	snprintf(dir, sizeof(dir), "%s/format-split/sys/bus/event_source/devices/test_pmu",
		 PERF_FIXTURES);
	ck_assert_int_eq(perf_caps_pmu_event(dir, "ev", NULL, &ev, err, sizeof(err)), 0);
	ck_assert_uint_eq(ev.type, 42);
	ck_assert_int_eq(ev.cpu, 3);
	/* event 0xabc over config:0-7,32-35 → 0xbc low, 0xa at bit 32; bare "edge" sets bit 18. */
	ck_assert_uint_eq(ev.config, UINT64_C(0xa000000bc) | (UINT64_C(1) << 18));
	ck_assert_uint_eq(ev.config1, 0x5);
	ck_assert_int_eq(
		perf_caps_pmu_event(dir, NULL, "event=0x1,umask=0xff", &ev, err, sizeof(err)), 0);
	ck_assert_uint_eq(ev.config, 1);
	ck_assert_uint_eq(ev.config1, 0xff);
	ck_assert_int_eq(perf_caps_pmu_event(dir, "bad", NULL, &ev, err, sizeof(err)), -1);
	ck_assert_int_eq(perf_caps_pmu_event(dir, "weird", NULL, &ev, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "furlongs"));
	ck_assert_int_eq(perf_caps_pmu_event(dir, "missing", NULL, &ev, err, sizeof(err)), -1);
	ck_assert_int_eq(perf_caps_pmu_event(dir, NULL, "nosuchterm=1", &ev, err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_perf_caps_classify_errno)
{
	static const struct {
		const char *tree;
		bool perfmon, sys_admin, hw;
		int err;
		enum perf_reason want;
	} cases[] = {
		/* Without a PMU the errno says ENOENT (or EACCES unprivileged): always no PMU. */
		{"vm-nopmu", true, true, true, ENOENT, PERF_REASON_NO_PMU},
		{"vm-nopmu", false, false, true, ENOENT, PERF_REASON_NO_PMU},
		{"vm-nopmu", false, false, true, EACCES, PERF_REASON_NO_PMU},
		{"vm-nopmu", false, false, false, EACCES, PERF_REASON_PARANOID},
		{"vm-nopmu", true, false, false, EACCES, PERF_REASON_NO_CAPABILITY},
		{"vm-nopmu", true, true, false, EPERM, PERF_REASON_DENIED},
		{"vm-nopmu", true, true, false, 0, PERF_REASON_OK},
		{"format-split", false, false, false, EACCES, PERF_REASON_DENIED},
		{"intel-skx", true, true, true, ENOENT, PERF_REASON_EVENT_UNSUPPORTED},
		{"intel-skx", true, true, true, EOPNOTSUPP, PERF_REASON_EVENT_UNSUPPORTED},
		{"intel-skx", true, true, true, EBUSY, PERF_REASON_COUNTER_BUSY},
		{"intel-skx", true, true, true, EMFILE, PERF_REASON_TOO_MANY_FDS},
		{"intel-skx", true, true, true, EIO, PERF_REASON_OPEN_FAILED},
		{"intel-skx", false, false, true, EACCES, PERF_REASON_PARANOID},
	};
	struct perf_caps caps;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		probe(cases[i].tree, &caps);
		caps.cap_perfmon = cases[i].perfmon;
		caps.cap_sys_admin = cases[i].sys_admin;
		ck_assert_msg(perf_caps_classify(&caps, cases[i].hw, cases[i].err) == cases[i].want,
			      "case %zu: got %s", i,
			      perf_caps_reason_code(
				      perf_caps_classify(&caps, cases[i].hw, cases[i].err)));
	}
}
END_TEST

START_TEST(test_perf_caps_reasons_have_codes_sentences_and_fixes)
{
	struct perf_caps caps;
	char text[512], fix[512];

	probe("vm-nopmu", &caps);
	for (int r = 1; r < PERF_REASON_COUNT; r++) {
		perf_caps_explain(&caps, (enum perf_reason)r, text, sizeof(text));
		ck_assert_msg(strlen(perf_caps_reason_code((enum perf_reason)r)) > 1, "code %d", r);
		ck_assert_msg(strlen(text) > 10, "sentence of %d", r);
	}
	ck_assert_str_eq(perf_caps_reason_code(PERF_REASON_NO_PMU), "no_pmu");
	ck_assert_str_eq(perf_caps_reason_code(PERF_REASON_NOT_COUNTED), "not_counted");
	perf_caps_explain(&caps, PERF_REASON_PARANOID, text, sizeof(text));
	ck_assert_ptr_nonnull(strstr(text, "perf_event_paranoid is 2"));
	perf_caps_fix(&caps, PERF_REASON_PARANOID, fix, sizeof(fix));
	ck_assert_ptr_nonnull(strstr(fix, "CAP_PERFMON"));
	perf_caps_fix(&caps, PERF_REASON_NO_PMU, fix, sizeof(fix));
	ck_assert_ptr_nonnull(strstr(fix, "PMU"));
	caps.cap_perfmon = caps.cap_sys_admin = false;
	ck_assert(!perf_caps_privileged(&caps));
	caps.paranoid = 0;
	ck_assert(perf_caps_privileged(&caps));
}
END_TEST

START_TEST(test_perf_caps_cpulist)
{
	int cpus[16];

	ck_assert_int_eq(perf_caps_parse_cpulist("0-3,8,10-11\n", cpus, 16), 7);
	ck_assert_int_eq(cpus[3], 3);
	ck_assert_int_eq(cpus[4], 8);
	ck_assert_int_eq(cpus[6], 11);
	ck_assert_int_eq(perf_caps_parse_cpulist("0", cpus, 16), 1);
	ck_assert_int_eq(perf_caps_parse_cpulist("", cpus, 16), 0);
	ck_assert_int_eq(perf_caps_parse_cpulist("3-1", cpus, 16), -1);
	ck_assert_int_eq(perf_caps_parse_cpulist("x", cpus, 16), -1);
	ck_assert_int_eq(perf_caps_parse_cpulist("0-31", cpus, 16), -1);
	/* Inputs fuzz_procfs found: strtol saturating at LONG_MAX. */
	ck_assert_int_eq(perf_caps_parse_cpulist("99999999999999999999999,8", cpus, 16), -1);
	ck_assert_int_eq(perf_caps_parse_cpulist("0-99999999999999999999999", cpus, 16), -1);
}
END_TEST

Suite *
perf_caps_suite(void)
{
	Suite *s = suite_create("perf_caps");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_perf_caps_vm_without_pmu);
	tcase_add_test(tc, test_perf_caps_intel_imc_from_sysfs_aliases);
	tcase_add_test(tc, test_perf_caps_intel_free_running_imc);
	tcase_add_test(tc, test_perf_caps_amd_umc_from_format);
	tcase_add_test(tc, test_perf_caps_resctrl_mbm);
	tcase_add_test(tc, test_perf_caps_format_terms);
	tcase_add_test(tc, test_perf_caps_classify_errno);
	tcase_add_test(tc, test_perf_caps_reasons_have_codes_sentences_and_fixes);
	tcase_add_test(tc, test_perf_caps_cpulist);
	suite_add_tcase(s, tc);
	return s;
}
