/*
 * The session routes: POST /api/v1/auth/login (throttled per address and user, a fresh token
 * in an HttpOnly SameSite=Strict cookie), POST /api/v1/auth/logout, GET /api/v1/auth/me. Runs
 * on: main thread.
 */
#include "apiserver/http_auth.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "apiserver/auth_body.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "http_session"

/* A login waiting for perfwatch_auth.login(). */
struct http_session_login {
	struct evhttp_request *req;
	struct api *api;
	char token[AUTH_TOKEN_LEN + 1];
	uint8_t hash[AUTH_HASH_BYTES];
	bool had_old;
	uint8_t old_hash[AUTH_HASH_BYTES]; /* a session cookie sent with the login */
	char addr_key[AUTH_LIMIT_KEY_MAX + 1];
	char user_key[AUTH_LIMIT_KEY_MAX + 1];
};

static bool
http_session_secure(struct evhttp_request *req, struct api *api)
{
	const char *proto = http_auth_header(req, "X-Forwarded-Proto");

	return api->conf->cookie_secure || (proto != NULL && strcasecmp(proto, "https") == 0);
}

static void
http_session_set_cookie(struct evhttp_request *req, struct api *api, const char *token, int max_age)
{
	char cookie[256];

	snprintf(cookie, sizeof(cookie),
		 AUTH_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; "
			     "Max-Age=%d%s",
		 token, max_age, http_session_secure(req, api) ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
}

static json_t *
http_session_who_json(const struct auth_who *who)
{
	return json_pack("{s:s, s:b, s:s, s:o}", "user", who->user, "admin", who->admin, "kind",
			 who->kind == AUTH_KIND_SESSION ? "session" : "token", "expires",
			 who->valid_until_ms == INT64_MAX ? json_null()
							  : json_integer(who->valid_until_ms));
}

static void
http_session_peer(struct evhttp_request *req, char *out, size_t len)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(out, len, "%s", addr != NULL ? addr : "?");
}

static void
http_session_login_done(const PGresult *res, void *arg)
{
	struct http_session_login *l = arg;
	struct api *api = l->api;
	struct auth_who who;

	if (res == NULL) {
		http_reply_error(l->req, 503, "database connection lost; try again");
	} else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("login failed: %.*s", (int)strcspn(PQresultErrorMessage(res), "\n"),
			  PQresultErrorMessage(res));
		http_reply_error(l->req, 500, "database query failed");
	} else if (PQntuples(res) != 1) {
		log_info("failed login (%s, %s)", l->user_key, l->addr_key);
		http_reply_error(l->req, 401, "wrong user name or password");
	} else {
		memset(&who, 0, sizeof(who));
		memcpy(who.hash, l->hash, AUTH_HASH_BYTES);
		who.kind = AUTH_KIND_SESSION;
		who.token_id = -1;
		who.user_id = atoi(PQgetvalue(res, 0, 0));
		snprintf(who.user, sizeof(who.user), "%s", PQgetvalue(res, 0, 1));
		who.admin = PQgetvalue(res, 0, 2)[0] == 't';
		who.valid_until_ms = (int64_t)strtoll(PQgetvalue(res, 0, 3), NULL, 10);
		auth_cache_put(api->auth, &who, clock_wall_ms());
		auth_limit_clear(api->limit_addr, l->addr_key);
		auth_limit_clear(api->limit_user, l->user_key);
		log_info("login of %s from %s", who.user, l->addr_key);
		http_session_set_cookie(l->req, api, l->token, api->conf->session_max_s);
		http_reply_json(l->req, 200, http_session_who_json(&who));
	}
	OPENSSL_cleanse(l->token, sizeof(l->token));
	free(l);
}

/* A session cookie sent along with a login is ended: a planted cookie never becomes a login. */
static void http_session_end_old(struct api *api, const uint8_t hash[AUTH_HASH_BYTES]);

static bool
http_session_throttled(struct evhttp_request *req, struct api *api, struct http_session_login *l)
{
	int64_t now = clock_wall_ms();
	int64_t wa = auth_limit_wait(api->limit_addr, l->addr_key, now);
	int64_t wu = auth_limit_wait(api->limit_user, l->user_key, now);
	int64_t wait = wa > wu ? wa : wu;
	char secs[32];

	if (wait <= 0) {
		auth_limit_count(api->limit_addr, l->addr_key, now);
		auth_limit_count(api->limit_user, l->user_key, now);
		return false;
	}
	snprintf(secs, sizeof(secs), "%" PRId64, (wait + 999) / 1000);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", secs);
	log_warn("login throttled (%s, %s): %s s to wait", l->user_key, l->addr_key, secs);
	http_reply_error(req, 429, "too many login attempts; try again in %s s", secs);
	return true;
}

void
http_session_login(struct evhttp_request *req, struct api *api)
{
	struct http_session_login *l = xcalloc(1, sizeof(*l));
	struct auth_body_login body;
	char err[256], hash_hex[AUTH_HASH_BYTEA_LEN + 1], idle[32], max[32], peer[64];
	const char *values[6] = {body.user, body.password, hash_hex, idle, max, peer};
	enum auth_kind kind;
	size_t len;
	const char *text = http_auth_body(req, &len);

	l->req = req;
	l->api = api;
	if (auth_body_login(text, len, &body, err, sizeof(err)) != 0) {
		http_reply_error(req, 400, "%s", err);
		goto done;
	}
	http_session_peer(req, peer, sizeof(peer));
	snprintf(l->addr_key, sizeof(l->addr_key), "%s", peer);
	snprintf(l->user_key, sizeof(l->user_key), "%s", body.user);
	if (http_session_throttled(req, api, l))
		goto done;
	if (auth_token_new(l->token) != 0 ||
	    auth_token_hash(l->token, AUTH_TOKEN_LEN, l->hash) != 0) {
		http_reply_error(req, 500, "cannot make a session token");
		goto done;
	}
	l->had_old =
		http_auth_credential(req, l->old_hash, &kind) == 0 && kind == AUTH_KIND_SESSION;
	if (l->had_old)
		http_session_end_old(api, l->old_hash);
	auth_hash_bytea(l->hash, hash_hex);
	snprintf(idle, sizeof(idle), "%d seconds", api->conf->session_idle_s);
	snprintf(max, sizeof(max), "%d seconds", api->conf->session_max_s);
	if (!pg_async_is_up(api->pg) ||
	    pg_async_query(
		    api->pg,
		    "SELECT user_id, user_name, is_admin, valid_until_ms FROM "
		    "perfwatch_auth.login($1, $2, $3::bytea, $4::interval, $5::interval, $6)",
		    6, values, http_session_login_done, l) != 0) {
		http_reply_error(req, 503, "database is unreachable; try again");
		goto done;
	}
	OPENSSL_cleanse(&body, sizeof(body));
	return;
done:
	OPENSSL_cleanse(&body, sizeof(body));
	OPENSSL_cleanse(l, sizeof(*l));
	free(l);
}

static void
http_session_ignore(const PGresult *res, void *arg)
{
	(void)arg;
	if (res != NULL && PQresultStatus(res) != PGRES_TUPLES_OK)
		log_warn("ending a session failed: %.*s",
			 (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
}

static void
http_session_end_old(struct api *api, const uint8_t hash[AUTH_HASH_BYTES])
{
	char hex[AUTH_HASH_BYTEA_LEN + 1];
	const char *values[1] = {hex};

	auth_cache_forget(api->auth, hash, clock_wall_ms());
	auth_hash_bytea(hash, hex);
	if (pg_async_query(api->pg, "SELECT perfwatch_auth.logout($1::bytea)", 1, values,
			   http_session_ignore, NULL) != 0)
		log_warn("cannot end the previous session: no database connection");
}

static void
http_session_logout_done(const PGresult *res, void *arg)
{
	struct http_auth_op *op = arg;

	if (!http_auth_op_ok(op, res))
		return;
	log_info("logout of %s", op->who.user);
	http_session_set_cookie(op->req, op->api, "", 0);
	http_reply_json(op->req, 200, json_pack("{s:b}", "logged_out", 1));
	free(op);
}

void
http_session_logout(struct evhttp_request *req, struct api *api)
{
	struct http_auth_op *op = http_auth_op_new(req, api);
	char hex[AUTH_HASH_BYTEA_LEN + 1];
	const char *values[1] = {hex};

	if (op == NULL)
		return;
	auth_cache_forget(api->auth, op->who.hash, clock_wall_ms());
	auth_hash_bytea(op->who.hash, hex);
	http_auth_op_run(op, "SELECT perfwatch_auth.logout($1::bytea)", 1, values,
			 http_session_logout_done);
}

void
http_session_me(struct evhttp_request *req, struct api *api)
{
	struct auth_who who;

	if (http_auth_who(req, api, &who))
		http_reply_json(req, 200, http_session_who_json(&who));
}
