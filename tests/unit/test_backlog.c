/* Tests for the bounded frame backlog: order, wrap-around, dropping the oldest, bounds. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "collector/backlog.h"
#include "unit_suites.h"

static void
push(struct backlog *b, const char *text)
{
	ck_assert_int_eq(backlog_push(b, text, strlen(text)), 0);
}

static void
expect_pop(struct backlog *b, const char *want)
{
	size_t len;
	const char *got = backlog_peek(b, &len);

	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(len, strlen(want));
	ck_assert_str_eq(got, want);
	backlog_pop(b);
}

START_TEST(test_backlog_keeps_order)
{
	struct backlog *b = backlog_new(8, 1024);
	size_t len;

	ck_assert_ptr_null(backlog_peek(b, &len));
	push(b, "one");
	push(b, "two");
	push(b, "three");
	ck_assert_uint_eq(backlog_count(b), 3);
	expect_pop(b, "one");
	expect_pop(b, "two");
	expect_pop(b, "three");
	ck_assert_uint_eq(backlog_count(b), 0);
	backlog_pop(b);
	ck_assert_uint_eq(backlog_dropped(b), 0);
	backlog_free(b);
}
END_TEST

START_TEST(test_backlog_drops_oldest_when_frames_full)
{
	struct backlog *b = backlog_new(3, 1024);
	char text[16];

	for (int i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "f%d", i);
		push(b, text);
	}
	ck_assert_uint_eq(backlog_count(b), 3);
	ck_assert_uint_eq(backlog_dropped(b), 7);
	expect_pop(b, "f7");
	expect_pop(b, "f8");
	expect_pop(b, "f9");
	backlog_free(b);
}
END_TEST

START_TEST(test_backlog_drops_oldest_when_bytes_full_and_wraps)
{
	/* 10 bytes per frame with the NUL, 35 bytes of ring: at most 3 frames, wrapping. */
	struct backlog *b = backlog_new(100, 35);
	char text[16];
	size_t len;

	for (int i = 0; i < 50; i++) {
		snprintf(text, sizeof(text), "frame%04d", i);
		push(b, text);
		ck_assert_uint_le(backlog_count(b), 3);
		/* The newest frame is always kept intact. */
		ck_assert_ptr_nonnull(backlog_peek(b, &len));
	}
	ck_assert_uint_eq(backlog_count(b) + backlog_dropped(b), 50);
	while (backlog_count(b) > 1)
		backlog_pop(b);
	expect_pop(b, "frame0049");
	backlog_free(b);
}
END_TEST

START_TEST(test_backlog_interleaved_push_pop_keeps_contents)
{
	/* A model FIFO of frame numbers: the backlog may only drop from its front. */
	struct backlog *b = backlog_new(5, 64);
	int model[256], head = 0, tail = 0;
	char text[32], want[32];
	const char *got;
	size_t len;

	for (int i = 0; i < 200; i++) {
		snprintf(text, sizeof(text), "%d-%.*s", i, i % 13, "xxxxxxxxxxxxx");
		push(b, text);
		model[tail++] = i;
		while ((size_t)(tail - head) > backlog_count(b))
			head++;
		if (i % 3 == 0) {
			got = backlog_peek(b, &len);
			snprintf(want, sizeof(want), "%d-%.*s", model[head], model[head] % 13,
				 "xxxxxxxxxxxxx");
			ck_assert_str_eq(got, want);
			backlog_pop(b);
			head++;
		}
	}
	ck_assert_uint_eq(backlog_count(b), (size_t)(tail - head));
	ck_assert_uint_gt(backlog_dropped(b), 0);
	backlog_free(b);
}
END_TEST

START_TEST(test_backlog_rejects_frame_larger_than_ring)
{
	struct backlog *b = backlog_new(4, 8);

	push(b, "abc");
	ck_assert_int_eq(backlog_push(b, "123456789", 9), -1);
	ck_assert_uint_eq(backlog_count(b), 1);
	expect_pop(b, "abc");
	backlog_free(b);
}
END_TEST

Suite *
backlog_suite(void)
{
	Suite *s = suite_create("backlog");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_backlog_keeps_order);
	tcase_add_test(tc, test_backlog_drops_oldest_when_frames_full);
	tcase_add_test(tc, test_backlog_drops_oldest_when_bytes_full_and_wraps);
	tcase_add_test(tc, test_backlog_interleaved_push_pop_keeps_contents);
	tcase_add_test(tc, test_backlog_rejects_frame_larger_than_ring);
	suite_add_tcase(s, tc);
	return s;
}
