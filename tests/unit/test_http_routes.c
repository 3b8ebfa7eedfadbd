/*
 * Tests for HTTP dispatch through a real evhttp server and client on one event loop: 404/405,
 * JSON errors, 400 from the query parser, 503 while the database is unreachable, the static
 * directory (content types, index.html, no way out of the directory), and the access check
 * (401 without a credential, session vs token routes, JSON content type and Origin on
 * state-changing requests) with credentials placed in the cache as the database would.
 */
#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "apiserver/api.h"
#include "apiserver/auth_cache.h"
#include "apiserver/auth_limit.h"
#include "apiserver/fanout.h"
#include "apiserver/http.h"
#include "apiserver/live.h"
#include "apiserver/pg_async.h"
#include "common/log.h"
#include "unit_suites.h"

/* A unix socket that does not exist: connection attempts fail at once and back off. */
#define NO_DB "host=/nonexistent-perfwatch-test port=1 dbname=none connect_timeout=1"

/* Tokens the cache knows: a login session and an API token. */
#define SESSION "1111111111111111111111111111111111111111111111111111111111111111"
#define TOKEN	"2222222222222222222222222222222222222222222222222222222222222222"
#define UNKNOWN "3333333333333333333333333333333333333333333333333333333333333333"

struct reply {
	int status;
	char body[4096];
	char ctype[128];
	char allow[64];
	char www_auth[64];
	char frame[16];
};

struct fixture {
	char dir[64];
	char addr[16];
	struct api_conf conf;
	struct api api;
	struct fanout *fanout;
	struct http *http;
	struct evhttp_connection *client;
	struct reply r;
};

static struct fixture fx;

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void
cache_credential(const char *token, enum auth_kind kind)
{
	struct auth_who who;

	memset(&who, 0, sizeof(who));
	ck_assert_int_eq(auth_token_hash(token, strlen(token), who.hash), 0);
	who.kind = kind;
	who.user_id = 1;
	who.token_id = kind == AUTH_KIND_TOKEN ? 1 : -1;
	strcpy(who.user, "admin");
	who.valid_until_ms = INT64_MAX;
	auth_cache_put(fx.api.auth, &who, 0);
}

static void
setup(void)
{
	char path[256];

	memset(&fx, 0, sizeof(fx));
	log_set_level(LOG_LEVEL_ERROR);
	snprintf(fx.dir, sizeof(fx.dir), "/tmp/perfwatch-test-httpXXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fx.dir));
	snprintf(path, sizeof(path), "%s/www", fx.dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/www/assets", fx.dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/www/index.html", fx.dir);
	write_file(path, "<!doctype html><title>pw</title>");
	snprintf(path, sizeof(path), "%s/www/assets/app-1.js", fx.dir);
	write_file(path, "console.log(1)");
	snprintf(path, sizeof(path), "%s/secret.txt", fx.dir);
	write_file(path, "secret");
	snprintf(path, sizeof(path), "%s/www/link.txt", fx.dir);
	ck_assert_int_eq(symlink("../secret.txt", path), 0);

	snprintf(fx.addr, sizeof(fx.addr), "127.0.0.1");
	fx.conf.http_addr = fx.addr;
	fx.conf.http_port = 0;
	fx.conf.ws_port = 8471;
	fx.api.conf = &fx.conf;
	fx.api.base = event_base_new();
	snprintf(path, sizeof(path), "%s/www", fx.dir);
	fx.api.static_root = realpath(path, NULL);
	fx.fanout = fanout_new(4, 2, 16, 1024);
	fx.api.pg = pg_async_new(fx.api.base, NO_DB, "query", 2, "-c statement_timeout=1s", NULL);
	fx.api.live = live_new(fx.api.base, NO_DB, fx.fanout);
	fx.api.auth = auth_cache_new(8);
	fx.api.limit_addr = auth_limit_new(8, 5, 1000, 60000);
	fx.api.limit_user = auth_limit_new(8, 5, 1000, 60000);
	cache_credential(SESSION, AUTH_KIND_SESSION);
	cache_credential(TOKEN, AUTH_KIND_TOKEN);
	fx.http = http_new(&fx.api);
	ck_assert_ptr_nonnull(fx.http);
	fx.client = evhttp_connection_base_new(fx.api.base, NULL, "127.0.0.1",
					       (ev_uint16_t)http_port(fx.http));
}

static void
teardown(void)
{
	char cmd[128];

	evhttp_connection_free(fx.client);
	pg_async_free(fx.api.pg);
	live_free(fx.api.live);
	http_free(fx.http);
	fanout_free(fx.fanout);
	auth_cache_free(fx.api.auth);
	auth_limit_free(fx.api.limit_addr);
	auth_limit_free(fx.api.limit_user);
	event_base_free(fx.api.base);
	free(fx.api.static_root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fx.dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void
copy_header(struct evhttp_request *req, const char *name, char *dst, size_t len)
{
	const char *v = evhttp_find_header(evhttp_request_get_input_headers(req), name);

	snprintf(dst, len, "%s", v ? v : "");
}

static void
on_reply(struct evhttp_request *req, void *arg)
{
	struct reply *r = arg;
	struct evbuffer *buf;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (req != NULL) {
		r->status = evhttp_request_get_response_code(req);
		buf = evhttp_request_get_input_buffer(req);
		n = evbuffer_remove(buf, r->body, sizeof(r->body) - 1);
		r->body[n] = '\0';
		copy_header(req, "Content-Type", r->ctype, sizeof(r->ctype));
		copy_header(req, "Allow", r->allow, sizeof(r->allow));
		copy_header(req, "WWW-Authenticate", r->www_auth, sizeof(r->www_auth));
		copy_header(req, "X-Frame-Options", r->frame, sizeof(r->frame));
	}
	event_base_loopbreak(fx.api.base);
}

/*
 * Sends one request with extra headers ("Name", "value", …, NULL) and runs the loop (server and
 * client) until its reply.
 */
static struct reply *
request_with(enum evhttp_cmd_type method, const char *uri, const char *body, ...)
{
	struct evhttp_request *req = evhttp_request_new(on_reply, &fx.r);
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	const char *name;
	va_list ap;

	evhttp_add_header(out, "Host", "localhost");
	va_start(ap, body);
	while ((name = va_arg(ap, const char *)) != NULL)
		evhttp_add_header(out, name, va_arg(ap, const char *));
	va_end(ap);
	if (body != NULL)
		evbuffer_add(evhttp_request_get_output_buffer(req), body, strlen(body));
	ck_assert_int_eq(evhttp_make_request(fx.client, req, method, uri), 0);
	fx.r.status = -1;
	event_base_dispatch(fx.api.base);
	return &fx.r;
}

/* Sends one request as the logged-in session and runs the loop until its reply. */
static struct reply *
request(enum evhttp_cmd_type method, const char *uri)
{
	struct evhttp_request *req = evhttp_request_new(on_reply, &fx.r);

	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "localhost");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Cookie",
			  "theme=dark; " AUTH_COOKIE "=" SESSION);
	ck_assert_int_eq(evhttp_make_request(fx.client, req, method, uri), 0);
	fx.r.status = -1;
	event_base_dispatch(fx.api.base);
	return &fx.r;
}

START_TEST(test_http_routes_api_errors_and_methods)
{
	struct reply *r;

	r = request(EVHTTP_REQ_GET, "/healthz");
	ck_assert_int_eq(r->status, 503);
	ck_assert_str_eq(r->body, "{\"status\":\"degraded\",\"db\":\"down\"}");
	ck_assert_str_eq(r->ctype, "application/json");
	r = request(EVHTTP_REQ_POST, "/healthz");
	ck_assert_int_eq(r->status, 405);
	ck_assert_str_eq(r->allow, "GET, HEAD");
	ck_assert_ptr_nonnull(strstr(r->body, "\"error\":"));
	r = request(EVHTTP_REQ_GET, "/api/v1/nope");
	ck_assert_int_eq(r->status, 404);
	ck_assert_ptr_nonnull(strstr(r->body, "\"error\":"));
	r = request(EVHTTP_REQ_GET, "/api/v1/latest");
	ck_assert_int_eq(r->status, 404);
	r = request(EVHTTP_REQ_GET, "/api/v1/config");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(
		r->body,
		"{\"ws_port\":8471,\"ws_path\":\"/live\",\"host\":null,\"interval_ms\":null}");
	r = request(EVHTTP_REQ_GET, "/api/v1/query?metric=cpu.usr,nope");
	ck_assert_int_eq(r->status, 400);
	ck_assert_str_eq(r->body, "{\"error\":\"unknown metric 'nope'\"}");
	r = request(EVHTTP_REQ_GET, "/api/v1/query?metric=cpu.usr&from=5&to=1");
	ck_assert_int_eq(r->status, 400);
	/* Valid, but the database is unreachable. */
	r = request(EVHTTP_REQ_GET, "/api/v1/query?metric=cpu.usr");
	ck_assert_int_eq(r->status, 503);
}
END_TEST

START_TEST(test_http_routes_static_files)
{
	static const char *const missing[] = {
		"/nope.html",	      "/../secret.txt",
		"/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt",
		"/link.txt",	      "/assets",
		"/index.html%00.js",  "/.%2fsecret.txt",
	};
	struct reply *r;

	r = request(EVHTTP_REQ_GET, "/");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->ctype, "text/html; charset=utf-8");
	ck_assert_str_eq(r->frame, "DENY");
	ck_assert_str_eq(r->body, "<!doctype html><title>pw</title>");
	r = request(EVHTTP_REQ_GET, "/assets/app-1.js");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(r->ctype, "text/javascript; charset=utf-8");
	ck_assert_str_eq(r->body, "console.log(1)");
	for (size_t i = 0; i < ARRAY_LEN(missing); i++) {
		r = request(EVHTTP_REQ_GET, missing[i]);
		ck_assert_msg(r->status == 404, "%s: status %d", missing[i], r->status);
		ck_assert_msg(strstr(r->body, "secret") == NULL, "%s leaked", missing[i]);
	}
	r = request(EVHTTP_REQ_DELETE, "/index.html");
	ck_assert_int_eq(r->status, 405);
}
END_TEST

START_TEST(test_http_routes_bounds_request_size)
{
	struct evhttp_request *req = evhttp_request_new(on_reply, &fx.r);
	char big[HTTP_MAX_HEADERS + 100];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	evhttp_add_header(evhttp_request_get_output_headers(req), "Host", "localhost");
	evhttp_add_header(evhttp_request_get_output_headers(req), "X-Big", big);
	ck_assert_int_eq(evhttp_make_request(fx.client, req, EVHTTP_REQ_GET, "/healthz"), 0);
	event_base_dispatch(fx.api.base);
	/* evhttp refuses the request before any route sees it (the route would say 503). */
	ck_assert_int_eq(fx.r.status, 400);
}
END_TEST

START_TEST(test_http_routes_need_a_login)
{
	static const char *const gets[] = {
		"/api/v1/config",      "/api/v1/latest",    "/api/v1/query?metric=cpu.usr",
		"/api/v1/compare",     "/api/v1/anomalies", "/api/v1/trends",
		"/api/v1/series",      "/api/v1/hw",	    "/api/v1/auth/me",
		"/api/v1/auth/tokens",
	};
	static const char *const posts[] = {"/api/v1/auth/logout", "/api/v1/auth/tokens/create",
					    "/api/v1/auth/tokens/revoke"};
	struct reply *r;

	for (size_t i = 0; i < ARRAY_LEN(gets); i++) {
		r = request_with(EVHTTP_REQ_GET, gets[i], NULL, NULL);
		ck_assert_msg(r->status == 401, "%s: %d", gets[i], r->status);
		ck_assert_str_eq(r->body, "{\"error\":\"login required\"}");
		ck_assert_str_eq(r->www_auth, "Bearer realm=\"perfwatch\"");
		r = request_with(EVHTTP_REQ_GET, gets[i], NULL, "Cookie", AUTH_COOKIE "=' OR 1=1",
				 NULL);
		ck_assert_msg(r->status == 401, "%s with a malformed cookie: %d", gets[i],
			      r->status);
		r = request_with(EVHTTP_REQ_GET, gets[i], NULL, "Authorization", "Basic YTpi",
				 NULL);
		ck_assert_msg(r->status == 401, "%s with Basic: %d", gets[i], r->status);
	}
	for (size_t i = 0; i < ARRAY_LEN(posts); i++) {
		r = request_with(EVHTTP_REQ_POST, posts[i], "{}", "Content-Type",
				 "application/json", NULL);
		ck_assert_msg(r->status == 401, "%s: %d", posts[i], r->status);
	}
	/* Open: health and the login route itself. */
	ck_assert_int_eq(request_with(EVHTTP_REQ_GET, "/healthz", NULL, NULL)->status, 503);
	r = request_with(EVHTTP_REQ_POST, "/api/v1/auth/login", "{\"user\":\"x\"}", "Content-Type",
			 "application/json", NULL);
	ck_assert_int_eq(r->status, 400);
	/* A well-formed credential the cache does not hold goes to the (unreachable) database. */
	r = request_with(EVHTTP_REQ_GET, "/api/v1/auth/me", NULL, "Cookie", AUTH_COOKIE "=" UNKNOWN,
			 NULL);
	ck_assert_int_eq(r->status, 503);
}
END_TEST

START_TEST(test_http_routes_session_and_token)
{
	struct reply *r;

	r = request(EVHTTP_REQ_GET, "/api/v1/auth/me");
	ck_assert_int_eq(r->status, 200);
	ck_assert_str_eq(
		r->body,
		"{\"user\":\"admin\",\"admin\":false,\"kind\":\"session\",\"expires\":null}");
	r = request_with(EVHTTP_REQ_GET, "/api/v1/auth/me", NULL, "Authorization", "Bearer " TOKEN,
			 NULL);
	ck_assert_int_eq(r->status, 200);
	ck_assert_ptr_nonnull(strstr(r->body, "\"kind\":\"token\""));
	/* A session's value as a Bearer token (or a token as a cookie) is no credential. */
	r = request_with(EVHTTP_REQ_GET, "/api/v1/auth/me", NULL, "Authorization",
			 "Bearer " SESSION, NULL);
	ck_assert_int_eq(r->status, 401);
	r = request_with(EVHTTP_REQ_GET, "/api/v1/auth/me", NULL, "Cookie", AUTH_COOKIE "=" TOKEN,
			 NULL);
	ck_assert_int_eq(r->status, 401);
	/* Token management needs a session: a leaked token cannot make more. */
	r = request_with(EVHTTP_REQ_GET, "/api/v1/auth/tokens", NULL, "Authorization",
			 "Bearer " TOKEN, NULL);
	ck_assert_int_eq(r->status, 403);
}
END_TEST

START_TEST(test_http_routes_state_changes_need_json_and_origin)
{
	const char *cookie = AUTH_COOKIE "=" SESSION;
	struct reply *r;

	r = request_with(EVHTTP_REQ_POST, "/api/v1/auth/logout", "", "Cookie", cookie, "Origin",
			 "http://localhost", NULL);
	ck_assert_int_eq(r->status, 415);
	r = request_with(EVHTTP_REQ_POST, "/api/v1/auth/logout", "", "Cookie", cookie,
			 "Content-Type", "text/plain", "Origin", "http://localhost", NULL);
	ck_assert_int_eq(r->status, 415);
	r = request_with(EVHTTP_REQ_POST, "/api/v1/auth/logout", "", "Cookie", cookie,
			 "Content-Type", "application/json", "Origin", "http://evil.example", NULL);
	ck_assert_int_eq(r->status, 403);
	r = request_with(EVHTTP_REQ_POST, "/api/v1/auth/logout", "", "Cookie", cookie,
			 "Content-Type", "application/json", NULL);
	ck_assert_int_eq(r->status, 403);
	/* The right Origin gets through the check to the (unreachable) database. */
	r = request_with(EVHTTP_REQ_POST, "/api/v1/auth/logout", "", "Cookie", cookie,
			 "Content-Type", "application/json; charset=utf-8", "Origin",
			 "http://localhost", NULL);
	ck_assert_int_eq(r->status, 503);
	/* A cross-site login (login CSRF) and a form-encoded one are refused too. */
	r = request_with(EVHTTP_REQ_POST, "/api/v1/auth/login", "user=a&password=b", "Content-Type",
			 "application/x-www-form-urlencoded", NULL);
	ck_assert_int_eq(r->status, 415);
	r = request_with(EVHTTP_REQ_POST, "/api/v1/auth/login", "{}", "Content-Type",
			 "application/json", "Origin", "http://evil.example", NULL);
	ck_assert_int_eq(r->status, 403);
}
END_TEST

START_TEST(test_http_routes_bounds_uri)
{
	char uri[HTTP_MAX_URI + 64];

	snprintf(uri, sizeof(uri), "/api/v1/query?metric=%0*d", HTTP_MAX_URI, 0);
	ck_assert_int_eq(request(EVHTTP_REQ_GET, uri)->status, 414);
}
END_TEST

Suite *
http_routes_suite(void)
{
	Suite *s = suite_create("http_routes");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_http_routes_api_errors_and_methods);
	tcase_add_test(tc, test_http_routes_static_files);
	tcase_add_test(tc, test_http_routes_bounds_request_size);
	tcase_add_test(tc, test_http_routes_need_a_login);
	tcase_add_test(tc, test_http_routes_session_and_token);
	tcase_add_test(tc, test_http_routes_state_changes_need_json_and_origin);
	tcase_add_test(tc, test_http_routes_bounds_uri);
	suite_add_tcase(s, tc);
	return s;
}
