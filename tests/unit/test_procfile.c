/*
 * Tests for kept-open procfs files (fresh data on every read, growth, reopen, missing files) and
 * for the growable rows that sources parse them into.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/procfile.h"
#include "collector/rows.h"
#include "unit_suites.h"

static char dir[64];
static char path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/perfwatch-test-procfileXXXXXX");
	ck_assert(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/f", dir);
}

static void
teardown(void)
{
	unlink(path);
	rmdir(dir);
}

/* Rewrites the file in place (same inode), as the kernel's files change under a kept fd. */
static void
put(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert(f != NULL);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_procfile_rereads_from_offset_zero)
{
	char err[256];
	struct procfile *pf;
	const char *text;
	size_t len;

	put("first\n");
	pf = procfile_open(dir, "f", 64, err, sizeof(err));
	ck_assert_msg(pf != NULL, "%s", err);
	ck_assert_str_eq(procfile_path(pf), path);
	ck_assert_int_eq(procfile_read(pf, &text, &len), 0);
	ck_assert_str_eq(text, "first\n");
	put("second, longer\n");
	ck_assert_int_eq(procfile_read(pf, &text, &len), 0);
	ck_assert_str_eq(text, "second, longer\n");
	ck_assert_uint_eq(len, 15);
	procfile_free(pf);
}
END_TEST

START_TEST(test_procfile_grows_past_its_buffer)
{
	char err[256], big[5000];
	struct procfile *pf;
	const char *text;
	size_t len;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put("small");
	pf = procfile_open(dir, "f", 64, err, sizeof(err));
	ck_assert_ptr_nonnull(pf);
	put(big);
	ck_assert_int_eq(procfile_read(pf, &text, &len), 0);
	ck_assert_uint_eq(len, sizeof(big) - 1);
	ck_assert_str_eq(text, big);
	procfile_free(pf);
}
END_TEST

/*
 * A procfs seq_file of many records longer than a page comes in several short reads: every one
 * of them is read (procfile skips the confirming pread only after a short read of under 2 KiB).
 */
START_TEST(test_procfile_reads_a_multi_page_seq_file_whole)
{
	char err[256];
	struct procfile *pf = procfile_open("/proc", "self/maps", 64, err, sizeof(err));
	size_t cap = 1 << 20, reflen = 0, len = 0;
	char *ref = malloc(cap);
	const char *text = NULL;
	bool same = false;
	ssize_t n;
	FILE *f;

	ck_assert_msg(pf != NULL, "%s", err);
	ck_assert_ptr_nonnull(ref);
	ck_assert_int_eq(procfile_read(pf, &text, &len), 0); /* grows its buffer once */
	/* The mappings may change between two reads (an allocation): retry a few times. */
	for (int tries = 0; tries < 5 && !same; tries++) {
		ck_assert_int_eq(procfile_read(pf, &text, &len), 0);
		f = fopen("/proc/self/maps", "r");
		ck_assert_ptr_nonnull(f);
		reflen = 0;
		while ((n = (ssize_t)fread(ref + reflen, 1, cap - 1 - reflen, f)) > 0)
			reflen += (size_t)n;
		fclose(f);
		same = reflen == len && memcmp(ref, text, len) == 0;
	}
	ck_assert_msg(reflen > 4096, "/proc/self/maps is %zu bytes: not a multi-page file", reflen);
	ck_assert_msg(same, "procfile read %zu bytes of /proc/self/maps, stdio %zu", len, reflen);
	free(ref);
	procfile_free(pf);
}
END_TEST

START_TEST(test_procfile_reopens_after_a_failed_read)
{
	char err[256];
	struct procfile *pf;
	const char *text;
	size_t len;

	/* A directory opens but cannot be read (EISDIR), like a sysfs file of a removed device. */
	ck_assert_int_eq(mkdir(path, 0700), 0);
	pf = procfile_open(dir, "f", 64, err, sizeof(err));
	ck_assert_msg(pf != NULL, "%s", err);
	ck_assert_int_eq(procfile_read(pf, &text, &len), -1);
	/* The file comes back under the same name: the next read reopens it. */
	ck_assert_int_eq(rmdir(path), 0);
	put("back\n");
	ck_assert_int_eq(procfile_read(pf, &text, &len), 0);
	ck_assert_str_eq(text, "back\n");
	procfile_free(pf);
}
END_TEST

START_TEST(test_procfile_missing_file_says_which)
{
	char err[256] = "";

	ck_assert_ptr_null(procfile_open(dir, "nope", 64, err, sizeof(err)));
	ck_assert_msg(strstr(err, "/nope") != NULL && strstr(err, "No such file") != NULL, "%s",
		      err);
	procfile_free(NULL);
}
END_TEST

/* A row parser for the tests: one int per line; "x" is not a number. */
static int
ints_parse(const char *text, size_t len, void *rows, size_t cap, size_t *n)
{
	int *out = rows;
	const char *p = text, *end = text + len;

	*n = 0;
	while (p < end) {
		char *next;
		long v = strtol(p, &next, 10);

		if (next == p || *next != '\n')
			return -1;
		if (*n < cap)
			out[*n] = (int)v;
		(*n)++;
		p = next + 1;
	}
	return 0;
}

START_TEST(test_rows_grow_until_every_row_fits)
{
	struct rows r;
	const int *v;

	rows_init(&r, ints_parse, sizeof(int), 2);
	ck_assert_int_eq(rows_parse("1\n2\n", 4, &r), 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.cap, 2);
	ck_assert_int_eq(rows_parse("1\n2\n3\n4\n5\n", 10, &r), 0);
	v = r.v;
	ck_assert_uint_eq(r.n, 5);
	ck_assert_uint_ge(r.cap, 5);
	ck_assert_int_eq(v[0], 1);
	ck_assert_int_eq(v[4], 5);
	/* A text the parser rejects leaves no rows behind. */
	ck_assert_int_eq(rows_parse("1\nx\n", 4, &r), -1);
	ck_assert_uint_eq(r.n, 0);
	rows_free(&r);
	ck_assert_ptr_null(r.v);
}
END_TEST

START_TEST(test_procfile_read_parse_reads_then_parses)
{
	struct procfile *pf;
	char err[256];
	struct rows r;
	const int *v;

	put("7\n8\n9\n");
	pf = procfile_open(dir, "f", 64, err, sizeof(err));
	ck_assert_ptr_nonnull(pf);
	rows_init(&r, ints_parse, sizeof(int), 1);
	ck_assert_int_eq(procfile_read_parse(pf, rows_parse, &r), 0);
	v = r.v;
	ck_assert_uint_eq(r.n, 3);
	ck_assert_int_eq(v[2], 9);
	put("7\nnot a number\n");
	ck_assert_int_eq(procfile_read_parse(pf, rows_parse, &r), -1);
	ck_assert_uint_eq(r.n, 0);
	rows_free(&r);
	procfile_free(pf);
}
END_TEST

Suite *
procfile_suite(void)
{
	Suite *s = suite_create("procfile");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_procfile_rereads_from_offset_zero);
	tcase_add_test(tc, test_procfile_grows_past_its_buffer);
	tcase_add_test(tc, test_procfile_reads_a_multi_page_seq_file_whole);
	tcase_add_test(tc, test_procfile_reopens_after_a_failed_read);
	tcase_add_test(tc, test_procfile_missing_file_says_which);
	tcase_add_test(tc, test_rows_grow_until_every_row_fits);
	tcase_add_test(tc, test_procfile_read_parse_reads_then_parses);
	suite_add_tcase(s, tc);
	return s;
}
