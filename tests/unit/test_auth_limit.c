/* Tests for login throttling: free attempts, doubling waits, ceiling, clearing, forgetting. */
#include <check.h>

#include "apiserver/auth_limit.h"
#include "unit_suites.h"

START_TEST(test_auth_limit_backoff_doubles)
{
	struct auth_limit *l = auth_limit_new(16, 3, 1000, 8000);
	int64_t t = 1000000;

	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(auth_limit_wait(l, "10.0.0.1", t), 0);
		auth_limit_count(l, "10.0.0.1", t);
	}
	ck_assert_int_eq(auth_limit_wait(l, "10.0.0.1", t), 0);
	auth_limit_count(l, "10.0.0.1", t); /* the third uses up the free ones */
	ck_assert_int_eq(auth_limit_wait(l, "10.0.0.1", t), 1000);
	ck_assert_int_eq(auth_limit_wait(l, "10.0.0.1", t + 400), 600);
	ck_assert_int_eq(auth_limit_wait(l, "10.0.0.2", t), 0);
	t += 1000;
	auth_limit_count(l, "10.0.0.1", t);
	ck_assert_int_eq(auth_limit_wait(l, "10.0.0.1", t), 2000);
	t += 2000;
	auth_limit_count(l, "10.0.0.1", t);
	ck_assert_int_eq(auth_limit_wait(l, "10.0.0.1", t), 4000);
	for (int i = 0; i < 10; i++) {
		t += 8000;
		auth_limit_count(l, "10.0.0.1", t);
	}
	ck_assert_int_eq(auth_limit_wait(l, "10.0.0.1", t), 8000);
	auth_limit_clear(l, "10.0.0.1");
	ck_assert_int_eq(auth_limit_wait(l, "10.0.0.1", t), 0);
	auth_limit_free(l);
}
END_TEST

START_TEST(test_auth_limit_forgets_and_evicts)
{
	struct auth_limit *l = auth_limit_new(2, 1, 1000, 60000);

	auth_limit_count(l, "a", 0);
	ck_assert_int_eq(auth_limit_wait(l, "a", 0), 1000);
	ck_assert_int_eq(auth_limit_wait(l, "a", AUTH_LIMIT_FORGET_MS), 0);
	auth_limit_count(l, "a", AUTH_LIMIT_FORGET_MS);
	ck_assert_int_eq(auth_limit_wait(l, "a", AUTH_LIMIT_FORGET_MS), 1000);
	auth_limit_count(l, "b", 10);
	auth_limit_count(l, "c", 20); /* full: "b" (idle longest) goes */
	ck_assert_int_eq(auth_limit_wait(l, "b", 20), 0);
	ck_assert_int_eq(auth_limit_wait(l, "c", 20), 1000);
	auth_limit_free(l);
}
END_TEST

Suite *
auth_limit_suite(void)
{
	Suite *s = suite_create("auth_limit");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_auth_limit_backoff_doubles);
	tcase_add_test(tc, test_auth_limit_forgets_and_evicts);
	suite_add_tcase(s, tc);
	return s;
}
