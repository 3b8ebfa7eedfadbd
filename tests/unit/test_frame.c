/* Tests for the tick frame: header fields, number formatting, arena reuse, buffer growth. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "collector/frame.h"
#include "unit_suites.h"

static const struct tick test_tick = {42, 1763779644123456, 5000000000, 1.0002134};

/* Builds one frame with a cpu-like section and returns a malloc'd copy of its text. */
static char *
build(struct frame *f, const char *host)
{
	json_t *root = frame_begin(f, host, &test_tick), *cpu = json_object();
	const char *text;
	size_t len;
	char *copy;

	json_object_set_new(cpu, "usr", json_real(26.73));
	json_object_set_new(cpu, "idle", json_real(0.0));
	json_object_set_new(root, "cpu", cpu);
	ck_assert_int_eq(frame_finish(f, &text, &len), 0);
	ck_assert_uint_eq(strlen(text), len);
	copy = malloc(len + 1);
	memcpy(copy, text, len + 1);
	return copy;
}

START_TEST(test_frame_header_and_numbers)
{
	struct frame *f = frame_new(64 * 1024, 4096);
	char *text = build(f, "build-vm");

	frame_free(f);
	ck_assert_str_eq(text, "{\"v\":1,\"host\":\"build-vm\",\"ts\":1763779644123,\"seq\":42,"
			       "\"dt\":1.000213,\"cpu\":{\"usr\":26.73,\"idle\":0.0}}");
	free(text);
}
END_TEST

START_TEST(test_frame_escapes_host)
{
	struct frame *f = frame_new(64 * 1024, 4096);
	char *text = build(f, "a\"b\\c");
	json_t *parsed;

	frame_free(f);
	parsed = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(parsed);
	ck_assert_str_eq(json_string_value(json_object_get(parsed, "host")), "a\"b\\c");
	json_decref(parsed);
	free(text);
}
END_TEST

START_TEST(test_frame_lists_unavailable_sources)
{
	struct frame *f = frame_new(64 * 1024, 4096);
	const char *text;
	size_t len;
	json_t *root, *parsed, *un;
	char *copy;

	root = frame_begin(f, "h", &test_tick);
	/* A source's own per-metric reasons share the object. */
	un = json_object();
	json_object_set_new(un, "disk.sda", json_string("device removed"));
	json_object_set_new(root, "unavailable", un);
	ck_assert_int_eq(frame_unavailable(f, "pressure", "no /proc/pressure (CONFIG_PSI off)"), 0);
	ck_assert_int_eq(frame_unavailable(f, "perf", "no PMU"), 0);
	ck_assert_int_eq(frame_finish(f, &text, &len), 0);
	copy = strdup(text);
	frame_free(f);
	parsed = json_loads(copy, 0, NULL);
	un = json_object_get(parsed, "unavailable");
	ck_assert_uint_eq(json_object_size(un), 3);
	ck_assert_str_eq(json_string_value(json_object_get(un, "disk.sda")), "device removed");
	ck_assert_str_eq(json_string_value(json_object_get(un, "perf")), "no PMU");
	json_decref(parsed);
	free(copy);
}
END_TEST

START_TEST(test_frame_arena_grows_once_then_is_reused)
{
	/* 128 bytes cannot hold a frame: the first tick spills, later ticks must not. */
	struct frame *f = frame_new(128, 4096);
	char *first = build(f, "h"), *again;
	size_t spilled = frame_overflow_bytes(f);

	ck_assert_uint_gt(spilled, 0);
	for (int i = 0; i < 100; i++) {
		again = build(f, "h");
		ck_assert_str_eq(again, first);
		free(again);
	}
	ck_assert_uint_eq(frame_overflow_bytes(f), spilled);
	frame_free(f);
	free(first);
}
END_TEST

START_TEST(test_frame_output_buffer_grows)
{
	struct frame *big = frame_new(64 * 1024, 4096);
	char *want = build(big, "a-rather-long-host-name.example.org");
	struct frame *small;
	char *got;

	frame_free(big);
	small = frame_new(64 * 1024, 16);
	got = build(small, "a-rather-long-host-name.example.org");
	frame_free(small);
	ck_assert_str_eq(got, want);
	free(got);
	free(want);
}
END_TEST

Suite *
frame_suite(void)
{
	Suite *s = suite_create("frame");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_frame_header_and_numbers);
	tcase_add_test(tc, test_frame_escapes_host);
	tcase_add_test(tc, test_frame_lists_unavailable_sources);
	tcase_add_test(tc, test_frame_arena_grows_once_then_is_reused);
	tcase_add_test(tc, test_frame_output_buffer_grows);
	suite_add_tcase(s, tc);
	return s;
}
