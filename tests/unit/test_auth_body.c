/* Tests for the auth routes' JSON bodies: exact keys, bounds, duplicates, hostile text. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "apiserver/auth_body.h"
#include "unit_suites.h"

static int
login(const char *text, struct auth_body_login *out)
{
	char err[256];

	return auth_body_login(text, strlen(text), out, err, sizeof(err));
}

START_TEST(test_auth_body_login)
{
	struct auth_body_login b;

	ck_assert_int_eq(login("{\"user\":\"admin\",\"password\":\"pw\"}", &b), 0);
	ck_assert_str_eq(b.user, "admin");
	ck_assert_str_eq(b.password, "pw");
	static const char *const bad[] = {
		"",
		"[]",
		"{\"user\":\"admin\"}",
		"{\"user\":\"admin\",\"password\":\"\"}",
		"{\"user\":\"admin\",\"password\":\"pw\",\"x\":1}",
		"{\"user\":\"admin\",\"user\":\"root\",\"password\":\"pw\"}",
		"{\"user\":\"adm'; --\",\"password\":\"pw\"}",
		"{\"user\":1,\"password\":\"pw\"}",
		"{\"user\":\"admin\",\"password\":\"p\\u0000w\"}",
		"{\"user\":\"admin\",\"password\":\"pw\"} trailing",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(login(bad[i], &b) == -1, "%s", bad[i]);
}
END_TEST

START_TEST(test_auth_body_login_bounds)
{
	char text[512];
	struct auth_body_login b;

	snprintf(text, sizeof(text), "{\"user\":\"admin\",\"password\":\"%0*d\"}",
		 AUTH_PASSWORD_MAX, 0);
	ck_assert_int_eq(login(text, &b), 0);
	snprintf(text, sizeof(text), "{\"user\":\"admin\",\"password\":\"%0*d\"}",
		 AUTH_PASSWORD_MAX + 1, 0);
	ck_assert_int_eq(login(text, &b), -1);
	snprintf(text, sizeof(text), "{\"user\":\"a%0*d\",\"password\":\"x\"}", AUTH_NAME_MAX, 0);
	ck_assert_int_eq(login(text, &b), -1);
}
END_TEST

START_TEST(test_auth_body_token_and_revoke)
{
	struct auth_body_token t;
	char err[256];
	int id = 0;
	const char *ok = "{\"name\":\"ci job\",\"ttl_days\":30}";
	const char *noexp = "{\"name\":\"ci\",\"ttl_days\":null}";

	ck_assert_int_eq(auth_body_token(ok, strlen(ok), &t, err, sizeof(err)), 0);
	ck_assert_str_eq(t.name, "ci job");
	ck_assert_int_eq(t.ttl_days, 30);
	ck_assert_int_eq(auth_body_token(noexp, strlen(noexp), &t, err, sizeof(err)), 0);
	ck_assert_int_eq(t.ttl_days, 0);
	static const char *const bad[] = {
		"{\"name\":\"\"}",
		"{\"name\":\"x\",\"ttl_days\":0}",
		"{\"name\":\"x\",\"ttl_days\":1.5}",
		"{\"name\":\"x\",\"ttl_days\":99999}",
		"{\"name\":\"x;drop\"}",
		"{}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(auth_body_token(bad[i], strlen(bad[i]), &t, err, sizeof(err)) == -1,
			      "%s", bad[i]);
	ck_assert_int_eq(auth_body_revoke("{\"id\":7}", 8, &id, err, sizeof(err)), 0);
	ck_assert_int_eq(id, 7);
	ck_assert_int_eq(auth_body_revoke("{\"id\":0}", 8, &id, err, sizeof(err)), -1);
	ck_assert_int_eq(auth_body_revoke("{\"id\":\"7\"}", 10, &id, err, sizeof(err)), -1);
}
END_TEST

Suite *
auth_body_suite(void)
{
	Suite *s = suite_create("auth_body");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_auth_body_login);
	tcase_add_test(tc, test_auth_body_login_bounds);
	tcase_add_test(tc, test_auth_body_token_and_revoke);
	suite_add_tcase(s, tc);
	return s;
}
