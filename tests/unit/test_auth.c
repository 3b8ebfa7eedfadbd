/* Tests for the credential helpers: tokens, hashes, cookie/Bearer/Origin parsing, passwords. */
#include <check.h>
#include <string.h>

#include "apiserver/auth.h"
#include "unit_suites.h"

START_TEST(test_auth_token_roundtrip)
{
	char a[AUTH_TOKEN_LEN + 1], b[AUTH_TOKEN_LEN + 1], lit[AUTH_HASH_BYTEA_LEN + 1];
	uint8_t ha[AUTH_HASH_BYTES], hb[AUTH_HASH_BYTES], back[AUTH_HASH_BYTES];

	ck_assert_int_eq(auth_token_new(a), 0);
	ck_assert_int_eq(auth_token_new(b), 0);
	ck_assert_uint_eq(strlen(a), AUTH_TOKEN_LEN);
	ck_assert_uint_eq(strspn(a, "0123456789abcdef"), AUTH_TOKEN_LEN);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(auth_token_hash(a, strlen(a), ha), 0);
	ck_assert_int_eq(auth_token_hash(b, strlen(b), hb), 0);
	ck_assert(!auth_hash_equal(ha, hb));
	auth_hash_bytea(ha, lit);
	ck_assert_int_eq(auth_hash_parse_bytea(lit, back), 0);
	ck_assert(auth_hash_equal(ha, back));
}
END_TEST

/* SHA-256 of 32 zero bytes, as PostgreSQL's sha256('\x00…'::bytea) prints it. */
START_TEST(test_auth_token_hash_known)
{
	char zeros[AUTH_TOKEN_LEN + 1], lit[AUTH_HASH_BYTEA_LEN + 1];
	uint8_t h[AUTH_HASH_BYTES];

	memset(zeros, '0', AUTH_TOKEN_LEN);
	zeros[AUTH_TOKEN_LEN] = '\0';
	ck_assert_int_eq(auth_token_hash(zeros, AUTH_TOKEN_LEN, h), 0);
	auth_hash_bytea(h, lit);
	ck_assert_str_eq(lit,
			 "\\x66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925");
}
END_TEST

START_TEST(test_auth_token_hash_rejects_malformed)
{
	static const char *const bad[] = {
		"",
		"abc",
		"zz00000000000000000000000000000000000000000000000000000000000000",
		"0000000000000000000000000000000000000000000000000000000000000000ff",
		"000000000000000000000000000000000000000000000000000000000000000 ",
		"' OR 1=1 --",
	};
	uint8_t h[AUTH_HASH_BYTES];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(auth_token_hash(bad[i], strlen(bad[i]), h) == -1, "%s", bad[i]);
	ck_assert_int_eq(auth_hash_parse_bytea("\\x00", h), -1);
	ck_assert_int_eq(auth_hash_parse_bytea("x0000", h), -1);
}
END_TEST

START_TEST(test_auth_cookie_and_bearer)
{
	size_t len = 0;
	const char *v;

	v = auth_cookie_value("a=1; perfwatch_session=abc; b=2", &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(strncmp(v, "abc", len), 0);
	ck_assert_uint_eq(len, 3);
	v = auth_cookie_value("perfwatch_session=xyz", &len);
	ck_assert_uint_eq(len, 3);
	ck_assert_ptr_null(auth_cookie_value("xperfwatch_session=abc", &len));
	ck_assert_ptr_null(auth_cookie_value("perfwatch_session_x=abc", &len));
	ck_assert_ptr_null(auth_cookie_value(NULL, &len));
	ck_assert_ptr_null(auth_cookie_value("", &len));
	v = auth_bearer_value("Bearer tok123", &len);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(len, 6);
	ck_assert_ptr_nonnull(auth_bearer_value("bearer tok", &len));
	ck_assert_ptr_null(auth_bearer_value("Basic dXNlcjpwdw==", &len));
	ck_assert_ptr_null(auth_bearer_value("Bearer ", &len));
	ck_assert_ptr_null(auth_bearer_value("Bearer a b", &len));
}
END_TEST

START_TEST(test_auth_origin_same)
{
	static const struct {
		const char *origin, *host;
		bool ok;
	} cases[] = {
		{"http://127.0.0.1:8470", "127.0.0.1:8470", true},
		{"https://Dash.Example", "dash.example", true},
		{"http://127.0.0.1:8471", "127.0.0.1:8470", false},
		{"http://evil.example", "127.0.0.1:8470", false},
		{"http://127.0.0.1:8470.evil.example", "127.0.0.1:8470", false},
		{"http://127.0.0.1:8470/x", "127.0.0.1:8470", false},
		{"http://user@127.0.0.1:8470", "127.0.0.1:8470", false},
		{"null", "127.0.0.1:8470", false},
		{NULL, "127.0.0.1:8470", false},
		{"http://127.0.0.1:8470", NULL, false},
		{"http://", "", false},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(auth_origin_same(cases[i].origin, cases[i].host) == cases[i].ok,
			      "case %zu", i);
}
END_TEST

START_TEST(test_auth_names_and_passwords)
{
	char pw[25], pw2[25];

	ck_assert(auth_name_ok("admin"));
	ck_assert(auth_name_ok("alice.b@example-1"));
	ck_assert(!auth_name_ok(""));
	ck_assert(!auth_name_ok("-admin"));
	ck_assert(!auth_name_ok("a'; DROP TABLE users; --"));
	ck_assert(!auth_name_ok("a b"));
	ck_assert(auth_password_ok("correct horse"));
	ck_assert(!auth_password_ok("short"));
	ck_assert(!auth_password_ok("has a\nnewline"));
	ck_assert_int_eq(auth_password_new(pw, sizeof(pw)), 0);
	ck_assert_int_eq(auth_password_new(pw2, sizeof(pw2)), 0);
	ck_assert_uint_eq(strlen(pw), 24);
	ck_assert(auth_password_ok(pw));
	ck_assert_str_ne(pw, pw2);
}
END_TEST

Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_auth_token_roundtrip);
	tcase_add_test(tc, test_auth_token_hash_known);
	tcase_add_test(tc, test_auth_token_hash_rejects_malformed);
	tcase_add_test(tc, test_auth_cookie_and_bearer);
	tcase_add_test(tc, test_auth_origin_same);
	tcase_add_test(tc, test_auth_names_and_passwords);
	suite_add_tcase(s, tc);
	return s;
}
