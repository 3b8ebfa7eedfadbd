/* Tests for the fs source: mount tables, pseudo filesystems, escapes, statvfs figures. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "collector/sources/filesystems.h"
#include "os_fixture.h"
#include "unit_suites.h"

START_TEST(test_filesystems_parse_fixtures)
{
	struct filesystems_mount m[32];
	size_t len, n, real = 0;
	char *text = fx_read("proc/linux-4.9/self/mounts", &len);

	ck_assert_int_eq(filesystems_parse(text, len, m, 32, &n), 0);
	ck_assert_uint_eq(n, 22);
	ck_assert_str_eq(m[18].mnt, "/srv/backup files"); /* \040 decoded */
	ck_assert_str_eq(m[18].type, "xfs");
	ck_assert_str_eq(m[19].dev, "nas:/export/home");
	for (size_t i = 0; i < n; i++)
		real += !filesystems_is_pseudo(m[i].type);
	/* /, /boot, /srv/backup files and the NFS /home. */
	ck_assert_uint_eq(real, 4);
	free(text);

	text = fx_read("proc/linux-6.18/self/mounts", &len);
	ck_assert_int_eq(filesystems_parse(text, len, m, 4, &n), 0);
	ck_assert_uint_gt(n, 4); /* more lines than room: counted anyway */
	free(text);
	ck_assert_int_eq(filesystems_parse("/dev/sda1 /\n", 12, m, 4, &n), -1);

	/* A mount point too long to keep is skipped; a long device name is cut. */
	text = malloc(2048);
	snprintf(text, 2048, "/dev/sda1 /%0600d ext4 rw 0 0\nsrv:/%0300d /mnt nfs4 rw 0 0\n", 0, 0);
	ck_assert_int_eq(filesystems_parse(text, strlen(text), m, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(m[0].mnt, "/mnt");
	ck_assert_uint_eq(strlen(m[0].dev), sizeof(m[0].dev) - 1);
	free(text);
}
END_TEST

START_TEST(test_filesystems_statvfs_of_real_mounts)
{
	char dir[64], link[128], why[256], mounts[512];
	struct source_env env = {.procfs = dir, .sysfs = "/nonexistent"};
	struct statvfs sv;
	void *st;
	json_t *f, *rows, *root;

	/* A foreign /proc: mounts come from 1/mounts and are reached under 1/root. */
	fx_tmpdir(dir, sizeof(dir));
	fx_write(dir, "1/mounts",
		 "proc /proc proc rw 0 0\n/dev/vda / ext4 rw 0 0\n"
		 "tmpfs /dev/shm tmpfs rw 0 0\n");
	snprintf(link, sizeof(link), "%s/1/root", dir);
	ck_assert_int_eq(symlink("/", link), 0);
	st = filesystems_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	f = fx_tick(&filesystems_source, st, 0, 0);
	rows = json_object_get(f, "fs");
	ck_assert_uint_eq(json_array_size(rows), 1);
	root = fx_row(rows, "mount", "/");
	ck_assert_str_eq(json_string_value(json_object_get(root, "fstype")), "ext4");
	ck_assert_int_eq(statvfs("/", &sv), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(root, "size_bytes")),
			 (json_int_t)(sv.f_blocks * sv.f_frsize));
	ck_assert_int_eq(json_integer_value(json_object_get(root, "inodes_total")),
			 (json_int_t)sv.f_files);
	ck_assert(fx_num(root, "used_pct") > 0 && fx_num(root, "used_pct") < 100);
	json_decref(f);

	/* A new mount shows up on the next tick; a vanished one goes. */
	snprintf(mounts, sizeof(mounts), "/dev/vda %s ext4 rw 0 0\n", PERFWATCH_FIXTURES_DIR);
	fx_write(dir, "1/mounts", mounts);
	f = fx_tick(&filesystems_source, st, 1, 1.0);
	rows = json_object_get(f, "fs");
	ck_assert_uint_eq(json_array_size(rows), 1);
	ck_assert_ptr_nonnull(fx_row(rows, "mount", PERFWATCH_FIXTURES_DIR));
	json_decref(f);

	/* A mount point that cannot be reached is left out, not reported as empty. */
	fx_write(dir, "1/mounts", "/dev/vdz /no/such/dir ext4 rw 0 0\n");
	f = fx_tick(&filesystems_source, st, 2, 1.0);
	ck_assert_uint_eq(json_array_size(json_object_get(f, "fs")), 0);
	json_decref(f);
	filesystems_source.fini(st);
	fx_rmtree(dir);
}
END_TEST

START_TEST(test_filesystems_polls_the_real_mount_table)
{
	char src[64], dst[64], why[256];
	struct source_env env = {.procfs = "/proc", .sysfs = "/sys"};
	void *st;
	json_t *f;

	/* A private mount namespace: the bind mount below is seen by nobody else. */
	ck_assert_msg(unshare(CLONE_NEWNS) == 0, "needs root for unshare(CLONE_NEWNS)");
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	fx_tmpdir(src, sizeof(src));
	fx_tmpdir(dst, sizeof(dst));
	st = filesystems_source.init(&env, why, sizeof(why));
	ck_assert_ptr_nonnull(st);
	f = fx_tick(&filesystems_source, st, 0, 0);
	ck_assert_ptr_nonnull(fx_row(json_object_get(f, "fs"), "mount", "/"));
	ck_assert_ptr_null(fx_row(json_object_get(f, "fs"), "mount", dst));
	json_decref(f);
	f = fx_tick(&filesystems_source, st, 1, 1.0); /* nothing changed: the same rows */
	ck_assert_ptr_null(fx_row(json_object_get(f, "fs"), "mount", dst));
	json_decref(f);

	ck_assert_int_eq(mount(src, dst, NULL, MS_BIND, NULL), 0);
	f = fx_tick(&filesystems_source, st, 2, 1.0);
	ck_assert_ptr_nonnull(fx_row(json_object_get(f, "fs"), "mount", dst));
	json_decref(f);
	ck_assert_int_eq(umount2(dst, 0), 0);
	f = fx_tick(&filesystems_source, st, 3, 1.0);
	ck_assert_ptr_null(fx_row(json_object_get(f, "fs"), "mount", dst));
	json_decref(f);
	filesystems_source.fini(st);
	ck_assert_int_eq(rmdir(src), 0);
	ck_assert_int_eq(rmdir(dst), 0);
}
END_TEST

Suite *
filesystems_suite(void)
{
	Suite *s = suite_create("filesystems");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_filesystems_parse_fixtures);
	tcase_add_test(tc, test_filesystems_statvfs_of_real_mounts);
	tcase_add_test(tc, test_filesystems_polls_the_real_mount_table);
	suite_add_tcase(s, tc);
	return s;
}
