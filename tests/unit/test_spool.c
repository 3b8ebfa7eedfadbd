/*
 * Tests for the on-disk frame spool, each in a fresh temporary directory: order across reopen,
 * rotation and unlinking, the bound (oldest segment dropped and counted), torn and corrupt
 * records, tokens, the directory lock.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/spool.h"
#include "unit_suites.h"

static char tmpdir[64];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_spool.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char path[512];
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(tmpdir);
}

static struct spool *
open_spool(size_t max_bytes, size_t segment_bytes)
{
	char err[512] = "";
	struct spool *s = spool_open(tmpdir, max_bytes, segment_bytes, err, sizeof(err));

	ck_assert_msg(s != NULL, "spool_open: %s", err);
	return s;
}

static void
append(struct spool *s, const char *text)
{
	ck_assert_int_eq(spool_append(s, text, strlen(text), NULL), 0);
}

static void
expect_pop(struct spool *s, const char *want)
{
	size_t len;
	uint64_t token;
	const char *got = spool_peek(s, &len, &token);

	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(got, want);
	spool_pop(s, token);
}

/* Number of segment files in the spool directory. */
static int
segment_files(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		n += strstr(e->d_name, ".seg") != NULL;
	closedir(d);
	return n;
}

/* Path of the newest (or the only) segment file. */
static void
last_segment(char *path, size_t len)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char best[256] = "";

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		if (strstr(e->d_name, ".seg") != NULL && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	}
	closedir(d);
	ck_assert_str_ne(best, "");
	ck_assert_uint_lt(strlen(tmpdir) + strlen(best) + 1, len);
	snprintf(path, len, "%s/%s", tmpdir, best);
}

START_TEST(test_spool_keeps_order_across_reopen)
{
	struct spool *s = open_spool(1 << 20, 1 << 16);
	struct spool_stats st;
	size_t len;
	uint64_t token;

	ck_assert_ptr_null(spool_peek(s, &len, &token));
	append(s, "{\"seq\":1}");
	append(s, "{\"seq\":2}");
	append(s, "{\"seq\":3}");
	ck_assert_int_eq(spool_sync(s), 0);
	expect_pop(s, "{\"seq\":1}");
	spool_close(s);

	/*
	 * Delivery is at least once: a segment is unlinked when its last record is popped, so a
	 * record popped from a segment still on disk comes back after a restart (the database's
	 * ingest is idempotent per tick).
	 */
	s = open_spool(1 << 20, 1 << 16);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.recovered, 3);
	ck_assert_uint_eq(spool_pending(s), 3);
	append(s, "{\"seq\":4}");
	expect_pop(s, "{\"seq\":1}");
	expect_pop(s, "{\"seq\":2}");
	expect_pop(s, "{\"seq\":3}");
	expect_pop(s, "{\"seq\":4}");
	ck_assert_ptr_null(spool_peek(s, &len, &token));
	ck_assert_uint_eq(spool_pending(s), 0);
	/* Every record was popped: no segment is left on disk. */
	ck_assert_int_eq(segment_files(), 0);
	spool_close(s);
}
END_TEST

START_TEST(test_spool_rotates_and_unlinks_consumed_segments)
{
	/* 100-byte payloads are 113-byte records: 4 per 500-byte segment. */
	struct spool *s = open_spool(1 << 20, 500);
	char text[128], want[128];
	int files;

	for (int i = 0; i < 20; i++) {
		snprintf(text, sizeof(text), "%-100d", i);
		append(s, text);
	}
	files = segment_files();
	ck_assert_int_eq(files, 5);
	for (int i = 0; i < 20; i++) {
		snprintf(want, sizeof(want), "%-100d", i);
		expect_pop(s, want);
		/* A segment disappears as soon as its last record is popped. */
		ck_assert_int_eq(segment_files(), files - (i + 1) / 4);
	}
	spool_close(s);
}
END_TEST

START_TEST(test_spool_appends_after_the_reader_sealed_a_segment)
{
	struct spool *s = open_spool(1 << 20, 1 << 16);

	append(s, "a");
	append(s, "b");
	expect_pop(s, "a");
	/* The reader has the only segment loaded: new records go to a new one. */
	append(s, "c");
	ck_assert_int_eq(segment_files(), 2);
	expect_pop(s, "b");
	expect_pop(s, "c");
	ck_assert_uint_eq(spool_pending(s), 0);
	ck_assert_int_eq(segment_files(), 0);
	spool_close(s);
}
END_TEST

START_TEST(test_spool_bound_drops_oldest_segment_and_counts)
{
	/* Records of 113 bytes, 4 per segment (452 bytes), at most 1000 bytes: 2 segments kept. */
	struct spool *s = open_spool(1000, 500);
	struct spool_stats st;
	char text[128];

	for (int i = 0; i < 20; i++) {
		snprintf(text, sizeof(text), "%-100d", i);
		append(s, text);
	}
	spool_stats(s, &st);
	ck_assert_uint_le(st.bytes, 1000);
	ck_assert_uint_eq(st.appended, 20);
	/* Records 0-11 went with three whole segments; 12-19 are the newest two segments. */
	ck_assert_uint_eq(st.lost, 12);
	ck_assert_uint_eq(spool_pending(s), 8);
	for (int i = 12; i < 20; i++) {
		snprintf(text, sizeof(text), "%-100d", i);
		expect_pop(s, text);
	}
	spool_close(s);
}
END_TEST

START_TEST(test_spool_bound_counts_only_unpopped_records_of_a_read_segment)
{
	struct spool *s = open_spool(1000, 500);
	struct spool_stats st;
	char text[128];
	size_t len;
	uint64_t token;

	for (int i = 0; i < 8; i++) {
		snprintf(text, sizeof(text), "%-100d", i);
		append(s, text);
	}
	snprintf(text, sizeof(text), "%-100d", 0);
	expect_pop(s, text);
	/* Record 1 is in flight when its segment is dropped: its pop must not take record 4. */
	ck_assert_ptr_nonnull(spool_peek(s, &len, &token));
	snprintf(text, sizeof(text), "%-100d", 8);
	append(s, text);
	spool_stats(s, &st);
	ck_assert_uint_eq(st.lost, 3);
	spool_pop(s, token);
	for (int i = 4; i < 9; i++) {
		snprintf(text, sizeof(text), "%-100d", i);
		expect_pop(s, text);
	}
	ck_assert_uint_eq(spool_pending(s), 0);
	spool_close(s);
}
END_TEST

START_TEST(test_spool_skips_torn_tail)
{
	struct spool *s = open_spool(1 << 20, 1 << 16);
	struct spool_stats st;
	char path[512];
	struct stat sb;
	size_t len;
	uint64_t token;

	append(s, "{\"seq\":1}");
	append(s, "{\"seq\":2}");
	append(s, "{\"seq\":3}");
	spool_close(s);
	/* A crash in the middle of the last write: 4 bytes of its payload and the '\n' missing. */
	last_segment(path, sizeof(path));
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(truncate(path, sb.st_size - 5), 0);

	s = open_spool(1 << 20, 1 << 16);
	ck_assert_uint_eq(spool_pending(s), 2);
	expect_pop(s, "{\"seq\":1}");
	expect_pop(s, "{\"seq\":2}");
	ck_assert_ptr_null(spool_peek(s, &len, &token));
	spool_stats(s, &st);
	ck_assert_uint_eq(st.corrupt, 1);
	ck_assert_int_eq(segment_files(), 0);
	spool_close(s);
}
END_TEST

START_TEST(test_spool_skips_corrupt_record_and_reads_on)
{
	struct spool *s = open_spool(1 << 20, 1 << 16);
	struct spool_stats st;
	char path[512];
	int fd;

	append(s, "{\"seq\":1}");
	append(s, "{\"seq\":2}");
	append(s, "{\"seq\":3}");
	spool_close(s);
	/* Flip one payload byte of the second record: 12-byte header + 9 + '\n' per record. */
	last_segment(path, sizeof(path));
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "X", 1, 22 + 12 + 3), 1);
	close(fd);

	s = open_spool(1 << 20, 1 << 16);
	ck_assert_uint_eq(spool_pending(s), 2);
	expect_pop(s, "{\"seq\":1}");
	expect_pop(s, "{\"seq\":3}");
	spool_stats(s, &st);
	ck_assert_uint_eq(st.corrupt, 1);
	ck_assert_uint_eq(spool_pending(s), 0);
	spool_close(s);
}
END_TEST

START_TEST(test_spool_removes_segment_without_valid_record)
{
	struct spool *s = open_spool(1 << 20, 1 << 16);
	char path[512];
	size_t len;
	uint64_t token;

	append(s, "{\"seq\":1}");
	spool_close(s);
	last_segment(path, sizeof(path));
	ck_assert_int_eq(truncate(path, 7), 0);
	s = open_spool(1 << 20, 1 << 16);
	ck_assert_uint_eq(spool_pending(s), 0);
	ck_assert_ptr_null(spool_peek(s, &len, &token));
	ck_assert_int_eq(segment_files(), 0);
	spool_close(s);
}
END_TEST

START_TEST(test_spool_pop_with_stale_token_is_a_no_op)
{
	struct spool *s = open_spool(1 << 20, 1 << 16);
	uint64_t first, second;
	size_t len;

	ck_assert_int_eq(spool_append(s, "one", 3, &first), 0);
	ck_assert_int_eq(spool_append(s, "two", 3, &second), 0);
	ck_assert_uint_ne(first, second);
	spool_pop(s, second);
	ck_assert_uint_eq(spool_pending(s), 2);
	ck_assert_str_eq(spool_peek(s, &len, &second), "one");
	ck_assert_uint_eq(second, first);
	spool_pop(s, first);
	spool_pop(s, first);
	expect_pop(s, "two");
	spool_close(s);
}
END_TEST

START_TEST(test_spool_directory_is_locked)
{
	struct spool *s = open_spool(1 << 20, 1 << 16);
	char err[512] = "";
	char sub[128];

	ck_assert_ptr_null(spool_open(tmpdir, 1 << 20, 1 << 16, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "in use by another perfwatch-collector"));
	spool_close(s);
	s = open_spool(1 << 20, 1 << 16);
	spool_close(s);
	/* Parents are created. */
	snprintf(sub, sizeof(sub), "%s/a/b", tmpdir);
	s = spool_open(sub, 1 << 20, 1 << 16, err, sizeof(err));
	ck_assert_msg(s != NULL, "%s", err);
	spool_close(s);
	snprintf(sub, sizeof(sub), "%s/a/b/lock", tmpdir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/a/b", tmpdir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/a", tmpdir);
	rmdir(sub);
}
END_TEST

START_TEST(test_spool_default_dir_follows_state_dir)
{
	char dir[256];

	setenv("PERFWATCH_STATE_DIR", "/srv/pw-state", 1);
	ck_assert_int_eq(spool_default_dir(dir, sizeof(dir)), 0);
	ck_assert_str_eq(dir, "/srv/pw-state/spool");
	unsetenv("PERFWATCH_STATE_DIR");
	ck_assert_int_eq(spool_default_dir(dir, sizeof(dir)), 0);
	if (geteuid() == 0)
		ck_assert_str_eq(dir, "/var/lib/perfwatch/spool");
	ck_assert_int_eq(spool_default_dir(dir, 8), -1);
}
END_TEST

Suite *
spool_suite(void)
{
	Suite *s = suite_create("spool");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_spool_keeps_order_across_reopen);
	tcase_add_test(tc, test_spool_rotates_and_unlinks_consumed_segments);
	tcase_add_test(tc, test_spool_appends_after_the_reader_sealed_a_segment);
	tcase_add_test(tc, test_spool_bound_drops_oldest_segment_and_counts);
	tcase_add_test(tc, test_spool_bound_counts_only_unpopped_records_of_a_read_segment);
	tcase_add_test(tc, test_spool_skips_torn_tail);
	tcase_add_test(tc, test_spool_skips_corrupt_record_and_reads_on);
	tcase_add_test(tc, test_spool_removes_segment_without_valid_record);
	tcase_add_test(tc, test_spool_pop_with_stale_token_is_a_no_op);
	tcase_add_test(tc, test_spool_directory_is_locked);
	tcase_add_test(tc, test_spool_default_dir_follows_state_dir);
	suite_add_tcase(s, tc);
	return s;
}
