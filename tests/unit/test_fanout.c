/*
 * Tests for the fanout ring: order, coalescing of a slow client, the hopeless mark, frame
 * lifetime after eviction, and a real producer thread against a real consumer thread.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/fanout.h"
#include "unit_suites.h"

#define HEADROOM 16

static void
publish_n(struct fanout *f, int first, int n)
{
	char text[32];

	for (int i = first; i < first + n; i++) {
		snprintf(text, sizeof(text), "{\"n\":%d}", i);
		ck_assert_int_eq(fanout_publish(f, text, strlen(text)), 0);
	}
}

static void
expect(struct fanout *f, struct fanout_cursor *c, int n)
{
	char want[32];
	struct fanout_frame *fr = fanout_take(f, c);

	ck_assert_ptr_nonnull(fr);
	snprintf(want, sizeof(want), "{\"n\":%d}", n);
	ck_assert_uint_eq(fanout_frame_len(fr), strlen(want));
	ck_assert(memcmp(fanout_frame_text(fr), want, strlen(want)) == 0);
	ck_assert_uint_eq(fanout_frame_seq(fr), (uint64_t)n);
	/* The headroom is the caller's to write (lws puts the WebSocket header there). */
	memset(fanout_frame_text(fr) - HEADROOM, 0xAA, HEADROOM);
	fanout_release(f, fr);
}

START_TEST(test_fanout_order_and_new_client_gets_newest)
{
	struct fanout *f = fanout_new(8, 4, HEADROOM, 1024);
	struct fanout_cursor a, b;

	fanout_cursor_init(f, &a);
	ck_assert_ptr_null(fanout_take(f, &a));
	publish_n(f, 0, 3);
	expect(f, &a, 0);
	expect(f, &a, 1);
	expect(f, &a, 2);
	ck_assert_ptr_null(fanout_take(f, &a));
	fanout_cursor_init(f, &b);
	expect(f, &b, 2);
	ck_assert_ptr_null(fanout_take(f, &b));
	ck_assert_uint_eq(a.skipped + b.skipped, 0);
	fanout_free(f);
}
END_TEST

START_TEST(test_fanout_slow_client_skips_to_newest)
{
	struct fanout *f = fanout_new(8, 2, HEADROOM, 1024);
	struct fanout_cursor slow, fast;

	fanout_cursor_init(f, &slow);
	fanout_cursor_init(f, &fast);
	publish_n(f, 0, 2);
	expect(f, &fast, 0);
	expect(f, &fast, 1);
	publish_n(f, 2, 3);
	/* slow is 5 behind with a backlog of 2: it gets frame 4 and has skipped 0..3. */
	expect(f, &slow, 4);
	ck_assert_uint_eq(slow.skipped, 4);
	ck_assert_ptr_null(fanout_take(f, &slow));
	/* fast is 3 behind: coalesced too, independently of slow. */
	expect(f, &fast, 4);
	ck_assert_uint_eq(fast.skipped, 2);
	/* Within the backlog nothing is skipped. */
	publish_n(f, 5, 2);
	expect(f, &slow, 5);
	expect(f, &slow, 6);
	ck_assert_uint_eq(slow.skipped, 4);
	fanout_free(f);
}
END_TEST

START_TEST(test_fanout_hopeless_after_a_whole_ring)
{
	struct fanout *f = fanout_new(4, 2, HEADROOM, 1024);
	struct fanout_cursor c;

	fanout_cursor_init(f, &c);
	publish_n(f, 0, 3);
	ck_assert(!fanout_hopeless(f, &c));
	publish_n(f, 3, 1);
	ck_assert(fanout_hopeless(f, &c));
	expect(f, &c, 3);
	ck_assert(!fanout_hopeless(f, &c));
	fanout_free(f);
}
END_TEST

START_TEST(test_fanout_frame_outlives_eviction_and_size_bound)
{
	struct fanout *f = fanout_new(2, 8, HEADROOM, 16);
	struct fanout_cursor c;
	struct fanout_frame *fr;
	char big[17];

	fanout_cursor_init(f, &c);
	publish_n(f, 0, 1);
	fr = fanout_take(f, &c);
	ck_assert_ptr_nonnull(fr);
	/* Two more publishes evict frame 0 from the ring; the taker's reference keeps it. */
	publish_n(f, 1, 2);
	ck_assert(memcmp(fanout_frame_text(fr), "{\"n\":0}", 7) == 0);
	fanout_release(f, fr);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(fanout_publish(f, big, sizeof(big)), -1);
	ck_assert_int_eq(fanout_publish(f, big, sizeof(big) - 1), 0);
	fanout_free(f);
}
END_TEST

/* A consumer thread woken like the lws thread: the wake sets a flag under a condvar. */
struct fanout_test_consumer {
	struct fanout *f;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int wakes;     /* guarded by lock */
	bool done;     /* guarded by lock */
	uint64_t got;  /* consumer thread only, read after join */
	uint64_t last; /* consumer thread only */
	bool ordered;  /* consumer thread only */
	uint64_t skipped;
};

static void
consumer_wake(void *arg)
{
	struct fanout_test_consumer *tc = arg;

	pthread_mutex_lock(&tc->lock);
	tc->wakes++;
	pthread_cond_signal(&tc->cond);
	pthread_mutex_unlock(&tc->lock);
}

static void *
consumer_main(void *arg)
{
	struct fanout_test_consumer *tc = arg;
	struct fanout_cursor c = {0, 0};
	struct fanout_frame *fr;
	bool done = false;

	while (!done) {
		pthread_mutex_lock(&tc->lock);
		while (tc->wakes == 0 && !tc->done)
			pthread_cond_wait(&tc->cond, &tc->lock);
		tc->wakes = 0;
		done = tc->done;
		pthread_mutex_unlock(&tc->lock);
		while ((fr = fanout_take(tc->f, &c)) != NULL) {
			if (tc->got > 0 && fanout_frame_seq(fr) <= tc->last)
				tc->ordered = false;
			tc->last = fanout_frame_seq(fr);
			tc->got++;
			fanout_release(tc->f, fr);
		}
	}
	tc->skipped = c.skipped;
	return NULL;
}

START_TEST(test_fanout_threads_deliver_everything_in_order)
{
	enum { FRAMES = 20000 };
	struct fanout_test_consumer tc = {.ordered = true};
	pthread_t thread;

	tc.f = fanout_new(64, 16, HEADROOM, 1024);
	pthread_mutex_init(&tc.lock, NULL);
	pthread_cond_init(&tc.cond, NULL);
	fanout_set_wake(tc.f, consumer_wake, &tc);
	ck_assert_int_eq(pthread_create(&thread, NULL, consumer_main, &tc), 0);
	publish_n(tc.f, 0, FRAMES);
	pthread_mutex_lock(&tc.lock);
	tc.done = true;
	pthread_cond_signal(&tc.cond);
	pthread_mutex_unlock(&tc.lock);
	pthread_join(thread, NULL);
	/* Every frame was either delivered or counted as skipped, in increasing order. */
	ck_assert(tc.ordered);
	ck_assert_uint_eq(tc.last, FRAMES - 1);
	ck_assert_uint_eq(tc.got + tc.skipped, FRAMES);
	fanout_set_wake(tc.f, NULL, NULL);
	fanout_free(tc.f);
	pthread_cond_destroy(&tc.cond);
	pthread_mutex_destroy(&tc.lock);
}
END_TEST

Suite *
fanout_suite(void)
{
	Suite *s = suite_create("fanout");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fanout_order_and_new_client_gets_newest);
	tcase_add_test(tc, test_fanout_slow_client_skips_to_newest);
	tcase_add_test(tc, test_fanout_hopeless_after_a_whole_ring);
	tcase_add_test(tc, test_fanout_frame_outlives_eviction_and_size_bound);
	tcase_add_test(tc, test_fanout_threads_deliver_everything_in_order);
	suite_add_tcase(s, tc);
	return s;
}
