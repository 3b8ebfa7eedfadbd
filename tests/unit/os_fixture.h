/*
 * Helpers for the OS source tests: read a fixture, build a throw-away /proc or /sys tree in a
 * temporary directory (files rewritten in place, as the kernel does), and run a source's
 * sample/encode cycle into a fresh frame.
 */
#ifndef PERFWATCH_TESTS_UNIT_OS_FIXTURE_H
#define PERFWATCH_TESTS_UNIT_OS_FIXTURE_H

#include <check.h>
#include <ftw.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector/source.h"

/* Returns the fixture file tests/fixtures/<rel> NUL-terminated (caller frees), length in *len. */
static inline char *
fx_read(const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", PERFWATCH_FIXTURES_DIR, rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open fixture %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Returns the path of a fixture directory, e.g. fx_dir("proc/linux-5.4"), in a static buffer. */
static inline const char *
fx_dir(const char *rel)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", PERFWATCH_FIXTURES_DIR, rel);
	return path;
}

/* Creates a fresh temporary directory; its path goes to out (at least 64 bytes). */
static inline void
fx_tmpdir(char *out, size_t cap)
{
	snprintf(out, cap, "/tmp/perfwatch-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(out));
}

/* Writes text to dir/rel, creating parent directories and truncating in place (same inode). */
static inline void
fx_write(const char *dir, const char *rel, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *c = path + 1; *c != '\0'; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		(void)mkdir(path, 0755);
		*c = '/';
	}
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

static inline int
fx_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes a temporary tree made by fx_tmpdir. */
static inline void
fx_rmtree(const char *dir)
{
	ck_assert_int_eq(nftw(dir, fx_rm_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* Runs one tick of a source: sample with (seq, dt), then encode into a new frame (caller frees). */
static inline json_t *
fx_tick(const struct source_ops *ops, void *state, uint64_t seq, double dt)
{
	struct tick t = {.seq = seq, .wall_us = 0, .mono_ns = seq * 1000000000ull, .dt = dt};
	json_t *frame = json_object();

	ck_assert_int_eq(ops->sample(state, &t), 0);
	ck_assert_int_eq(ops->encode(state, frame), 0);
	return frame;
}

/* Returns the row of array `rows` whose string member `key` equals `value`, or NULL. */
static inline json_t *
fx_row(json_t *rows, const char *key, const char *value)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row)
	{
		const char *v = json_string_value(json_object_get(row, key));

		if (v != NULL && strcmp(v, value) == 0)
			return row;
	}
	return NULL;
}

/* Returns obj[key] as a number; fails the test when it is missing or not a number. */
static inline double
fx_num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	ck_assert_msg(json_is_number(v), "%s is not a number", key);
	return json_number_value(v);
}

/* Asserts that obj[key] is present and null (unavailable, not a stand-in zero). */
static inline void
fx_null(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	ck_assert_msg(v != NULL && json_is_null(v), "%s should be null", key);
}

#endif
