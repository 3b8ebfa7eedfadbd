/* Tests for the verified-credential cache: expiry, used marks, replacement by the live set. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "apiserver/auth_cache.h"
#include "unit_suites.h"

static struct auth_who
who_make(uint8_t tag, int64_t until)
{
	struct auth_who w;

	memset(&w, 0, sizeof(w));
	memset(w.hash, tag, sizeof(w.hash));
	w.kind = AUTH_KIND_SESSION;
	w.user_id = tag;
	w.token_id = -1;
	strcpy(w.user, "u");
	w.valid_until_ms = until;
	return w;
}

START_TEST(test_auth_cache_expiry_and_forget)
{
	struct auth_cache *c = auth_cache_new(4);
	struct auth_who a = who_make(1, 1000), b = who_make(2, INT64_MAX), out;

	auth_cache_put(c, &a, 0);
	auth_cache_put(c, &b, 0);
	ck_assert(auth_cache_get(c, a.hash, 999, &out));
	ck_assert_int_eq(out.user_id, 1);
	ck_assert(!auth_cache_get(c, a.hash, 1000, &out));
	ck_assert_uint_eq(auth_cache_count(c), 1);
	ck_assert(auth_cache_get(c, b.hash, 5000, NULL));
	auth_cache_forget(c, b.hash, 5000);
	ck_assert(!auth_cache_get(c, b.hash, 5000, NULL));
	auth_cache_free(c);
}
END_TEST

START_TEST(test_auth_cache_full_evicts_least_recent)
{
	struct auth_cache *c = auth_cache_new(2);
	struct auth_who a = who_make(1, INT64_MAX), b = who_make(2, INT64_MAX),
			d = who_make(3, INT64_MAX);

	auth_cache_put(c, &a, 10);
	auth_cache_put(c, &b, 20);
	ck_assert(auth_cache_get(c, a.hash, 30, NULL));
	auth_cache_put(c, &d, 40);
	ck_assert(auth_cache_get(c, a.hash, 50, NULL));
	ck_assert(!auth_cache_get(c, b.hash, 50, NULL));
	ck_assert(auth_cache_get(c, d.hash, 50, NULL));
	auth_cache_free(c);
}
END_TEST

START_TEST(test_auth_cache_used_and_replace)
{
	struct auth_cache *c = auth_cache_new(8);
	struct auth_who a = who_make(1, INT64_MAX), b = who_make(2, INT64_MAX),
			n = who_make(3, INT64_MAX), live[2];
	uint8_t used[8][AUTH_HASH_BYTES];
	int64_t used_ms[8];

	auth_cache_put(c, &a, 100);
	auth_cache_put(c, &b, 100);
	ck_assert_uint_eq(auth_cache_take_used(c, used, NULL, 8), 2);
	ck_assert_uint_eq(auth_cache_take_used(c, used, used_ms, 8), 0);
	ck_assert(auth_cache_get(c, b.hash, 200, NULL));
	ck_assert(auth_cache_get(c, b.hash, 230, NULL));
	/* The time of the last use goes with the hash: the idle time counts from it, not from the
	 * refresh round that reports it. */
	ck_assert_uint_eq(auth_cache_take_used(c, used, used_ms, 8), 1);
	ck_assert_mem_eq(used[0], b.hash, AUTH_HASH_BYTES);
	ck_assert_int_eq(used_ms[0], 230);
	/* The database now knows b (a was revoked) and n (made elsewhere); a login put at 300,
	 * after the round started at 250, stays although the answer predates it. */
	auth_cache_put(c, &(struct auth_who){0}, 300);
	live[0] = b;
	live[1] = n;
	auth_cache_replace(c, live, 2, 250);
	ck_assert(!auth_cache_get(c, a.hash, 400, NULL));
	ck_assert(auth_cache_get(c, b.hash, 400, NULL));
	ck_assert(auth_cache_get(c, n.hash, 400, NULL));
	ck_assert_uint_eq(auth_cache_count(c), 3);
	/* A logout at 500 while a round that started at 450 was in flight: its answer, which
	 * still lists b, must not bring b back. */
	auth_cache_forget(c, b.hash, 500);
	auth_cache_replace(c, live, 2, 450);
	ck_assert(!auth_cache_get(c, b.hash, 600, NULL));
	ck_assert(auth_cache_get(c, n.hash, 600, NULL));
	/* A later round no longer sees it forgotten (the database has ended it by then). */
	auth_cache_replace(c, live, 2, 700);
	ck_assert(auth_cache_get(c, b.hash, 800, NULL));
	auth_cache_free(c);
}
END_TEST

Suite *
auth_cache_suite(void)
{
	Suite *s = suite_create("auth_cache");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_auth_cache_expiry_and_forget);
	tcase_add_test(tc, test_auth_cache_full_evicts_least_recent);
	tcase_add_test(tc, test_auth_cache_used_and_replace);
	suite_add_tcase(s, tc);
	return s;
}
