/* Tests for the disk source: 14/18/20-field layouts, iostat figures, wrap, reset, hot-plug. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector/collector_conf.h"
#include "collector/sources/diskstats.h"
#include "os_fixture.h"
#include "unit_suites.h"

static const struct {
	const char *file;
	size_t lines;
	const char *name; /* a whole disk in the file */
	int nfields;
	uint64_t reads, discards;
} layouts[] = {
	{"proc/linux-4.9/diskstats", 14, "sda", 11, 2048311, 0},
	{"proc/linux-5.4/diskstats", 10, "nvme0n1", 15, 712331, 41233},
	{"proc/linux-6.18/diskstats", 10, "vda", 17, 60475, 9685},
};

START_TEST(test_diskstats_parse_every_layout)
{
	struct diskstats_dev devs[32];
	size_t len, n;
	char *text = fx_read(layouts[_i].file, &len);
	const struct diskstats_dev *d = NULL;

	ck_assert_int_eq(diskstats_parse(text, len, devs, 32, &n), 0);
	ck_assert_uint_eq(n, layouts[_i].lines);
	for (size_t i = 0; i < n; i++)
		if (strcmp(devs[i].name, layouts[_i].name) == 0)
			d = &devs[i];
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->nfields, layouts[_i].nfields);
	ck_assert_uint_eq(d->f[DISKSTATS_READS], layouts[_i].reads);
	ck_assert_uint_eq(d->f[DISKSTATS_DISCARDS], layouts[_i].discards);
	free(text);
}
END_TEST

START_TEST(test_diskstats_parse_edge_lines)
{
	static const char *const bad[] = {
		"   8 0 sda 1 2 3\n",
		"   8 0\n",
		"   8 0 sda 1 2 3 4 5 6 7 8 9 10 x\n",
	};
	struct diskstats_dev devs[2];
	size_t n;
	const char *old = "   8    1 sda1 1911 15288 2 2\n"; /* 2.6-era partition line */

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		ck_assert_msg(diskstats_parse(bad[i], strlen(bad[i]), devs, 2, &n) == -1,
			      "accepted %s", bad[i]);
	ck_assert_int_eq(diskstats_parse(old, strlen(old), devs, 2, &n), 0);
	ck_assert_int_eq(devs[0].nfields, 4);
	ck_assert_uint_eq(diskstats_field_bits(DISKSTATS_IO_MS), 32);
	ck_assert_uint_eq(diskstats_field_bits(DISKSTATS_READ_SECTORS), 64);
}
END_TEST

START_TEST(test_diskstats_whole_devices_only)
{
	char proc[1024], sys[1024], why[256];
	struct source_env env = {.procfs = proc, .sysfs = sys};
	void *st;
	json_t *f, *rows;

	snprintf(proc, sizeof(proc), "%s", fx_dir("proc/linux-5.4"));
	snprintf(sys, sizeof(sys), "%s", fx_dir("sys/linux-5.4"));
	st = diskstats_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	json_decref(fx_tick(&diskstats_source, st, 0, 0));
	f = fx_tick(&diskstats_source, st, 1, 1.0);
	rows = json_object_get(f, "disk");
	/* nvme0n1, sda and dm-0: no partitions, no loop devices. */
	ck_assert_uint_eq(json_array_size(rows), 3);
	ck_assert_ptr_nonnull(fx_row(rows, "dev", "dm-0"));
	ck_assert_ptr_null(fx_row(rows, "dev", "sda1"));
	ck_assert_ptr_null(fx_row(rows, "dev", "loop0"));
	/* Nothing happened between the two reads: rates 0, awaits unknown, flushes absent. */
	ck_assert_double_eq(fx_num(fx_row(rows, "dev", "sda"), "reads_per_s"), 0);
	fx_null(fx_row(rows, "dev", "sda"), "read_await_ms");
	fx_null(fx_row(rows, "dev", "sda"), "flushes_per_s");
	ck_assert_int_eq(
		json_integer_value(json_object_get(fx_row(rows, "dev", "sda"), "in_flight")), 1);
	json_decref(f);
	diskstats_source.fini(st);
}
END_TEST

START_TEST(test_diskstats_iostat_figures_wrap_reset_hotplug)
{
	char dir[64], proc[128], sys[128], why[256];
	struct source_env env = {.procfs = proc, .sysfs = sys};
	void *st;
	json_t *f, *rows, *sda;

	fx_tmpdir(dir, sizeof(dir));
	snprintf(proc, sizeof(proc), "%s/proc", dir);
	snprintf(sys, sizeof(sys), "%s/sys", dir);
	fx_write(sys, "block/sda/dev", "8:0\n");
	fx_write(sys, "block/sdb/dev", "8:16\n");
	/* 14-field layout; read_ms close to the 32-bit limit. */
	fx_write(proc, "diskstats",
		 "   8  0 sda 100 0 800 4294967000 10 0 80 20 0 0 0\n"
		 "   8  1 sda1 100 0 800 50 10 0 80 20 0 0 0\n");
	st = diskstats_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	json_decref(fx_tick(&diskstats_source, st, 0, 0));

	/* 2 s: 200 reads of 4 KiB, read_ms wrapped (+496), 1 s busy, 3 s queued, 5 merges. */
	fx_write(proc, "diskstats",
		 "   8  0 sda 300 10 2400 200 10 0 80 20 2 1000 3000\n"
		 "   8  1 sda1 300 10 2400 200 10 0 80 20 2 1000 3000\n"
		 "   8 16 sdb 1 0 8 1 0 0 0 0 0 1 1\n");
	f = fx_tick(&diskstats_source, st, 1, 2.0);
	rows = json_object_get(f, "disk");
	ck_assert_uint_eq(json_array_size(rows), 1); /* sdb just appeared: a baseline */
	sda = fx_row(rows, "dev", "sda");
	ck_assert_double_eq_tol(fx_num(sda, "reads_per_s"), 100, 1e-9);
	ck_assert_double_eq_tol(fx_num(sda, "read_bytes_per_s"), 1600 * 512 / 2.0, 1e-6);
	ck_assert_double_eq_tol(fx_num(sda, "reads_merged_per_s"), 5, 1e-9);
	ck_assert_double_eq_tol(fx_num(sda, "read_await_ms"), 2.48, 1e-9);
	fx_null(sda, "write_await_ms");
	ck_assert_double_eq_tol(fx_num(sda, "util_pct"), 50, 1e-9);
	ck_assert_double_eq_tol(fx_num(sda, "queue_len"), 1.5, 1e-9);
	ck_assert_int_eq(json_integer_value(json_object_get(sda, "in_flight")), 2);
	fx_null(sda, "discards_per_s"); /* 14 fields: the kernel has no discard counters */
	json_decref(f);

	/* sda re-created (counters restart), sdb busy longer than the tick (clamped to 100 %). */
	fx_write(proc, "diskstats",
		 "   8  0 sda 3 0 24 1 0 0 0 0 0 1 1\n"
		 "   8 16 sdb 11 0 88 11 0 0 0 0 0 1101 1101\n");
	f = fx_tick(&diskstats_source, st, 2, 1.0);
	rows = json_object_get(f, "disk");
	ck_assert_uint_eq(json_array_size(rows), 1);
	ck_assert_double_eq_tol(fx_num(fx_row(rows, "dev", "sdb"), "util_pct"), 100, 1e-9);
	ck_assert_double_eq_tol(fx_num(fx_row(rows, "dev", "sdb"), "read_await_ms"), 1, 1e-9);
	json_decref(f);
	diskstats_source.fini(st);
	fx_rmtree(dir);
}
END_TEST

START_TEST(test_diskstats_exclude_is_configurable)
{
	char proc[1024], sys[1024], why[256] = "", list[] = "nvme,dm-,loop", bad[200];
	struct collector_conf conf = {.disk_exclude = list};
	struct source_env env = {.procfs = proc, .sysfs = sys, .conf = &conf};
	void *st;
	json_t *f, *rows;

	snprintf(proc, sizeof(proc), "%s", fx_dir("proc/linux-5.4"));
	snprintf(sys, sizeof(sys), "%s", fx_dir("sys/linux-5.4"));
	st = diskstats_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	json_decref(fx_tick(&diskstats_source, st, 0, 0));
	f = fx_tick(&diskstats_source, st, 1, 1.0);
	rows = json_object_get(f, "disk");
	ck_assert_uint_eq(json_array_size(rows), 1);
	ck_assert_ptr_nonnull(fx_row(rows, "dev", "sda"));
	json_decref(f);
	diskstats_source.fini(st);

	/* An empty list keeps loop devices too (but never partitions). */
	conf.disk_exclude = list + strlen(list);
	st = diskstats_source.init(&env, why, sizeof(why));
	json_decref(fx_tick(&diskstats_source, st, 0, 0));
	f = fx_tick(&diskstats_source, st, 1, 1.0);
	ck_assert_uint_eq(json_array_size(json_object_get(f, "disk")), 7);
	json_decref(f);
	diskstats_source.fini(st);

	memset(bad, 'x', sizeof(bad) - 1);
	bad[sizeof(bad) - 1] = '\0';
	conf.disk_exclude = bad;
	ck_assert_ptr_null(diskstats_source.init(&env, why, sizeof(why)));
	ck_assert_ptr_nonnull(strstr(why, "--disk-exclude"));
}
END_TEST

Suite *
diskstats_suite(void)
{
	Suite *s = suite_create("diskstats");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_diskstats_parse_every_layout, 0, (int)ARRAY_LEN(layouts));
	tcase_add_test(tc, test_diskstats_parse_edge_lines);
	tcase_add_test(tc, test_diskstats_whole_devices_only);
	tcase_add_test(tc, test_diskstats_iostat_figures_wrap_reset_hotplug);
	tcase_add_test(tc, test_diskstats_exclude_is_configurable);
	suite_add_tcase(s, tc);
	return s;
}
