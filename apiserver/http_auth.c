/*
 * Who may call what: the access check in front of every route (session cookie or Bearer token,
 * cache first, database on a miss; JSON content type and Origin on state-changing requests) and
 * the auth routes (login with throttling, logout, me, API tokens). Runs on: main thread.
 */
#include "apiserver/http.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "apiserver/auth.h"
#include "apiserver/auth_body.h"
#include "apiserver/auth_refresh.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "http_auth"

/* A request whose credential is being checked in the database. */
struct http_auth_check {
	struct evhttp_request *req;
	struct api *api;
	const struct http_route *route;
	enum auth_kind presented;
	uint8_t hash[AUTH_HASH_BYTES];
};

/* A login waiting for perfwatch_auth.login(). */
struct http_auth_login_req {
	struct evhttp_request *req;
	struct api *api;
	char token[AUTH_TOKEN_LEN + 1];
	uint8_t hash[AUTH_HASH_BYTES];
	bool had_old;
	uint8_t old_hash[AUTH_HASH_BYTES]; /* a session cookie sent with the login */
	char addr_key[AUTH_LIMIT_KEY_MAX + 1];
	char user_key[AUTH_LIMIT_KEY_MAX + 1];
};

/* Any other auth route waiting for its statement. */
struct http_auth_op {
	struct evhttp_request *req;
	struct api *api;
	struct auth_who who;
	char token[AUTH_TOKEN_LEN + 1]; /* token creation only */
};

static const char *
http_auth_header(struct evhttp_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req), name);
}

static bool
http_auth_changes_state(struct evhttp_request *req)
{
	enum evhttp_cmd_type m = evhttp_request_get_command(req);

	return m != EVHTTP_REQ_GET && m != EVHTTP_REQ_HEAD && m != EVHTTP_REQ_OPTIONS;
}

static bool
http_auth_json_type(struct evhttp_request *req)
{
	const char *type = http_auth_header(req, "Content-Type");
	size_t n = sizeof("application/json") - 1;

	return type != NULL && strncasecmp(type, "application/json", n) == 0 &&
	       (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

/*
 * Finds the request's credential: a Bearer token, else the session cookie. Returns 0 with its
 * hash, or -1 when there is none or it is malformed.
 */
static int
http_auth_credential(struct evhttp_request *req, uint8_t hash[AUTH_HASH_BYTES],
		     enum auth_kind *kind)
{
	const char *authz = http_auth_header(req, "Authorization"), *v;
	size_t len = 0;

	if (authz != NULL) {
		*kind = AUTH_KIND_TOKEN;
		v = auth_bearer_value(authz, &len);
	} else {
		*kind = AUTH_KIND_SESSION;
		v = auth_cookie_value(http_auth_header(req, "Cookie"), &len);
	}
	return v != NULL ? auth_token_hash(v, len, hash) : -1;
}

static void
http_auth_unauthorized(struct evhttp_request *req, const char *why)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
			  "Bearer realm=\"perfwatch\"");
	http_reply_error(req, 401, "%s", why);
}

/* The credential is valid (who): may it call the route? Runs it, or answers 401/403. */
static void
http_auth_admit(struct evhttp_request *req, struct api *api, const struct http_route *route,
		enum auth_kind presented, const struct auth_who *who)
{
	if (who->kind != presented) {
		http_auth_unauthorized(req, "login required");
		return;
	}
	if (route->access == HTTP_ACCESS_SESSION && who->kind != AUTH_KIND_SESSION) {
		http_reply_error(req, 403, "this route needs a login session, not an API token");
		return;
	}
	route->handler(req, api);
}

static void
http_auth_check_done(const PGresult *res, void *arg)
{
	struct http_auth_check *c = arg;
	struct auth_who who;

	if (res == NULL) {
		http_reply_error(c->req, 503, "database connection lost; try again");
	} else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("credential check failed: %.*s",
			  (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
		http_reply_error(c->req, 500, "database query failed");
	} else if (PQntuples(res) != 1 || auth_refresh_row(res, 0, &who) != 0 ||
		   !auth_hash_equal(who.hash, c->hash)) {
		http_auth_unauthorized(c->req, "login required (the session or token is unknown, "
					       "expired or revoked)");
	} else {
		auth_cache_put(c->api->auth, &who, clock_wall_ms());
		http_auth_admit(c->req, c->api, c->route, c->presented, &who);
	}
	free(c);
}

/* Asks the database about a credential the cache does not hold. */
static void
http_auth_check_db(struct evhttp_request *req, struct api *api, const struct http_route *route,
		   enum auth_kind presented, const uint8_t hash[AUTH_HASH_BYTES])
{
	struct http_auth_check *c = xcalloc(1, sizeof(*c));
	char hex[2 * AUTH_HASH_BYTES + 2];
	const char *values[1] = {hex};
	size_t len = 0;

	c->req = req;
	c->api = api;
	c->route = route;
	c->presented = presented;
	memcpy(c->hash, hash, AUTH_HASH_BYTES);
	auth_refresh_hex(hash, hex, sizeof(hex), &len);
	if (!pg_async_is_up(api->pg) || pg_async_query(api->pg, AUTH_REFRESH_CHECK_SQL, 1, values,
						       http_auth_check_done, c) != 0) {
		http_reply_error(req, 503, "database is unreachable; try again");
		free(c);
	}
}

/* State-changing requests: JSON only (a cross-site form cannot send it) and, with a cookie,
 * from a page of this server. Returns true when the request may go on (else answered). */
static bool
http_auth_csrf_ok(struct evhttp_request *req, bool cookie)
{
	const char *origin = http_auth_header(req, "Origin");

	if (!http_auth_changes_state(req))
		return true;
	if (!http_auth_json_type(req)) {
		http_reply_error(req, 415,
				 "state-changing requests need Content-Type: "
				 "application/json");
		return false;
	}
	if ((cookie || origin != NULL) &&
	    !auth_origin_same(origin, http_auth_header(req, "Host"))) {
		http_reply_error(req, 403, "Origin '%.100s' is not this server",
				 origin ? origin : "(none)");
		return false;
	}
	return true;
}

void
http_auth_dispatch(struct evhttp_request *req, struct api *api, const struct http_route *route)
{
	uint8_t hash[AUTH_HASH_BYTES];
	enum auth_kind presented;
	struct auth_who who;

	if (route->access == HTTP_ACCESS_OPEN) {
		if (http_auth_csrf_ok(req, false))
			route->handler(req, api);
		return;
	}
	if (http_auth_credential(req, hash, &presented) != 0) {
		http_auth_unauthorized(req, "login required");
		return;
	}
	if (!http_auth_csrf_ok(req, presented == AUTH_KIND_SESSION))
		return;
	if (auth_cache_get(api->auth, hash, clock_wall_ms(), &who))
		http_auth_admit(req, api, route, presented, &who);
	else
		http_auth_check_db(req, api, route, presented, hash);
}

/* The cache entry of the request's credential (present: the dispatch just admitted it). */
static bool
http_auth_who(struct evhttp_request *req, struct api *api, struct auth_who *out)
{
	uint8_t hash[AUTH_HASH_BYTES];
	enum auth_kind kind;

	if (http_auth_credential(req, hash, &kind) != 0 ||
	    !auth_cache_get(api->auth, hash, clock_wall_ms(), out)) {
		http_auth_unauthorized(req, "login required");
		return false;
	}
	return true;
}

static bool
http_auth_secure(struct evhttp_request *req, struct api *api)
{
	const char *proto = http_auth_header(req, "X-Forwarded-Proto");

	return api->conf->cookie_secure || (proto != NULL && strcasecmp(proto, "https") == 0);
}

static void
http_auth_set_cookie(struct evhttp_request *req, struct api *api, const char *token, int max_age)
{
	char cookie[256];

	snprintf(cookie, sizeof(cookie),
		 AUTH_COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict; "
			     "Max-Age=%d%s",
		 token, max_age, http_auth_secure(req, api) ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(req), "Set-Cookie", cookie);
}

static json_t *
http_auth_who_json(const struct auth_who *who)
{
	return json_pack("{s:s, s:b, s:s, s:o}", "user", who->user, "admin", who->admin, "kind",
			 who->kind == AUTH_KIND_SESSION ? "session" : "token", "expires",
			 who->valid_until_ms == INT64_MAX ? json_null()
							  : json_integer(who->valid_until_ms));
}

/* Body of a request as a pointer into evhttp's buffer (valid until the reply). */
static const char *
http_auth_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	*len = evbuffer_get_length(in);
	return *len > 0 ? (const char *)evbuffer_pullup(in, -1) : NULL;
}

static void
http_auth_peer(struct evhttp_request *req, char *out, size_t len)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	char *addr = NULL;
	ev_uint16_t port = 0;

	if (evcon != NULL)
		evhttp_connection_get_peer(evcon, &addr, &port);
	snprintf(out, len, "%s", addr != NULL ? addr : "?");
}

static void
http_auth_login_done(const PGresult *res, void *arg)
{
	struct http_auth_login_req *l = arg;
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
		http_auth_set_cookie(l->req, api, l->token, api->conf->session_max_s);
		http_reply_json(l->req, 200, http_auth_who_json(&who));
	}
	OPENSSL_cleanse(l->token, sizeof(l->token));
	free(l);
}

/* A session cookie sent along with a login is ended: a planted cookie never becomes a login. */
static void http_auth_end_old(struct api *api, const uint8_t hash[AUTH_HASH_BYTES]);

static bool
http_auth_throttled(struct evhttp_request *req, struct api *api, struct http_auth_login_req *l)
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
http_auth_login(struct evhttp_request *req, struct api *api)
{
	struct http_auth_login_req *l = xcalloc(1, sizeof(*l));
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
	http_auth_peer(req, peer, sizeof(peer));
	snprintf(l->addr_key, sizeof(l->addr_key), "%s", peer);
	snprintf(l->user_key, sizeof(l->user_key), "%s", body.user);
	if (http_auth_throttled(req, api, l))
		goto done;
	if (auth_token_new(l->token) != 0 ||
	    auth_token_hash(l->token, AUTH_TOKEN_LEN, l->hash) != 0) {
		http_reply_error(req, 500, "cannot make a session token");
		goto done;
	}
	l->had_old =
		http_auth_credential(req, l->old_hash, &kind) == 0 && kind == AUTH_KIND_SESSION;
	if (l->had_old)
		http_auth_end_old(api, l->old_hash);
	auth_hash_bytea(l->hash, hash_hex);
	snprintf(idle, sizeof(idle), "%d seconds", api->conf->session_idle_s);
	snprintf(max, sizeof(max), "%d seconds", api->conf->session_max_s);
	if (!pg_async_is_up(api->pg) ||
	    pg_async_query(
		    api->pg,
		    "SELECT user_id, user_name, is_admin, valid_until_ms FROM "
		    "perfwatch_auth.login($1, $2, $3::bytea, $4::interval, $5::interval, $6)",
		    6, values, http_auth_login_done, l) != 0) {
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
http_auth_ignore(const PGresult *res, void *arg)
{
	(void)arg;
	if (res != NULL && PQresultStatus(res) != PGRES_TUPLES_OK)
		log_warn("ending a session failed: %.*s",
			 (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
}

static void
http_auth_end_old(struct api *api, const uint8_t hash[AUTH_HASH_BYTES])
{
	char hex[AUTH_HASH_BYTEA_LEN + 1];
	const char *values[1] = {hex};

	auth_cache_forget(api->auth, hash, clock_wall_ms());
	auth_hash_bytea(hash, hex);
	if (pg_async_query(api->pg, "SELECT perfwatch_auth.logout($1::bytea)", 1, values,
			   http_auth_ignore, NULL) != 0)
		log_warn("cannot end the previous session: no database connection");
}

/* Starts an op for a route that runs one statement; NULL when the request was answered. */
static struct http_auth_op *
http_auth_op_new(struct evhttp_request *req, struct api *api)
{
	struct http_auth_op *op = xcalloc(1, sizeof(*op));

	op->req = req;
	op->api = api;
	if (!http_auth_who(req, api, &op->who)) {
		free(op);
		return NULL;
	}
	return op;
}

/* Returns true when res is a good result (else answers and frees op). */
static bool
http_auth_op_ok(struct http_auth_op *op, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (res == NULL) {
		http_reply_error(op->req, 503, "database connection lost; try again");
	} else if (state != NULL && strcmp(state, "54000") == 0) {
		http_reply_error(op->req, 409, "%.*s",
				 (int)strcspn(PQresultErrorMessage(res), "\n"),
				 PQresultErrorMessage(res));
	} else if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("auth statement failed: %.*s",
			  (int)strcspn(PQresultErrorMessage(res), "\n"), PQresultErrorMessage(res));
		http_reply_error(op->req, 500, "database query failed");
	} else {
		return true;
	}
	OPENSSL_cleanse(op->token, sizeof(op->token));
	free(op);
	return false;
}

static void
http_auth_op_run(struct http_auth_op *op, const char *sql, int n, const char *const *values,
		 pg_async_result_cb cb)
{
	if (!pg_async_is_up(op->api->pg) ||
	    pg_async_query(op->api->pg, sql, n, values, cb, op) != 0) {
		http_reply_error(op->req, 503, "database is unreachable; try again");
		OPENSSL_cleanse(op->token, sizeof(op->token));
		free(op);
	}
}

static void
http_auth_logout_done(const PGresult *res, void *arg)
{
	struct http_auth_op *op = arg;

	if (!http_auth_op_ok(op, res))
		return;
	log_info("logout of %s", op->who.user);
	http_auth_set_cookie(op->req, op->api, "", 0);
	http_reply_json(op->req, 200, json_pack("{s:b}", "logged_out", 1));
	free(op);
}

void
http_auth_logout(struct evhttp_request *req, struct api *api)
{
	struct http_auth_op *op = http_auth_op_new(req, api);
	char hex[AUTH_HASH_BYTEA_LEN + 1];
	const char *values[1] = {hex};

	if (op == NULL)
		return;
	auth_cache_forget(api->auth, op->who.hash, clock_wall_ms());
	auth_hash_bytea(op->who.hash, hex);
	http_auth_op_run(op, "SELECT perfwatch_auth.logout($1::bytea)", 1, values,
			 http_auth_logout_done);
}

void
http_auth_me(struct evhttp_request *req, struct api *api)
{
	struct auth_who who;

	if (http_auth_who(req, api, &who))
		http_reply_json(req, 200, http_auth_who_json(&who));
}

/* Column i of row r as a JSON integer, or null. */
static json_t *
http_auth_int(const PGresult *res, int r, int i)
{
	return PQgetisnull(res, r, i) ? json_null()
				      : json_integer(strtoll(PQgetvalue(res, r, i), NULL, 10));
}

static void
http_auth_tokens_done(const PGresult *res, void *arg)
{
	struct http_auth_op *op = arg;
	json_t *list;

	if (!http_auth_op_ok(op, res))
		return;
	list = json_array();
	for (int r = 0; r < PQntuples(res); r++)
		json_array_append_new(list, json_pack("{s:o, s:s, s:o, s:o, s:o, s:o}", "id",
						      http_auth_int(res, r, 0), "name",
						      PQgetvalue(res, r, 1), "created",
						      http_auth_int(res, r, 2), "last_used",
						      http_auth_int(res, r, 3), "expires",
						      http_auth_int(res, r, 4), "revoked",
						      http_auth_int(res, r, 5)));
	http_reply_json(op->req, 200, json_pack("{s:o}", "tokens", list));
	free(op);
}

#define HTTP_AUTH_MS(col) "(extract(epoch FROM " col ") * 1000)::bigint"

void
http_auth_tokens(struct evhttp_request *req, struct api *api)
{
	struct http_auth_op *op = http_auth_op_new(req, api);
	char uid[16];
	const char *values[1] = {uid};

	if (op == NULL)
		return;
	snprintf(uid, sizeof(uid), "%d", op->who.user_id);
	http_auth_op_run(
		op,
		"SELECT id, name, " HTTP_AUTH_MS("created_at") ", " HTTP_AUTH_MS(
			"last_used_at") ", " HTTP_AUTH_MS("expires_at") ", " HTTP_AUTH_MS("revoked_"
											  "at") " F"
												"RO"
												"M "
												"pe"
												"rf"
												"wa"
												"tc"
												"h_"
												"au"
												"th"
												".t"
												"ok"
												"en"
												"_l"
												"is"
												"t("
												"$1"
												"::"
												"in"
												"te"
												"ge"
												"r"
												")",
		1, values, http_auth_tokens_done);
}

static void
http_auth_token_created(const PGresult *res, void *arg)
{
	struct http_auth_op *op = arg;

	if (!http_auth_op_ok(op, res))
		return;
	if (PQntuples(res) != 1) {
		http_reply_error(op->req, 500, "the token was not stored");
	} else {
		log_info("%s created API token %s ('%s')", op->who.user, PQgetvalue(res, 0, 0),
			 PQgetvalue(res, 0, 1));
		http_reply_json(op->req, 201,
				json_pack("{s:o, s:s, s:s, s:o, s:o}", "id",
					  http_auth_int(res, 0, 0), "name", PQgetvalue(res, 0, 1),
					  "token", op->token, "created", http_auth_int(res, 0, 2),
					  "expires", http_auth_int(res, 0, 3)));
	}
	OPENSSL_cleanse(op->token, sizeof(op->token));
	free(op);
}

void
http_auth_token_create(struct evhttp_request *req, struct api *api)
{
	struct auth_body_token body;
	struct http_auth_op *op;
	char err[256], uid[16], hex[AUTH_HASH_BYTEA_LEN + 1], ttl[32];
	uint8_t hash[AUTH_HASH_BYTES];
	const char *values[4] = {uid, body.name, hex, ttl};
	size_t len;
	const char *text = http_auth_body(req, &len);

	if (auth_body_token(text, len, &body, err, sizeof(err)) != 0) {
		http_reply_error(req, 400, "%s", err);
		return;
	}
	if ((op = http_auth_op_new(req, api)) == NULL)
		return;
	if (auth_token_new(op->token) != 0 ||
	    auth_token_hash(op->token, AUTH_TOKEN_LEN, hash) != 0) {
		http_reply_error(req, 500, "cannot make a token");
		free(op);
		return;
	}
	snprintf(uid, sizeof(uid), "%d", op->who.user_id);
	auth_hash_bytea(hash, hex);
	snprintf(ttl, sizeof(ttl), "%d days", body.ttl_days);
	if (body.ttl_days == 0)
		values[3] = NULL;
	http_auth_op_run(op,
			 "SELECT id, name, " HTTP_AUTH_MS("created_at") ", " HTTP_AUTH_MS(
				 "expires_at") " FROM perfwatch_auth.token_create($1::integer, $2, "
					       "$3::bytea, $4::interval)",
			 4, values, http_auth_token_created);
}

static void
http_auth_token_revoked(const PGresult *res, void *arg)
{
	struct http_auth_op *op = arg;
	uint8_t hash[AUTH_HASH_BYTES];

	if (!http_auth_op_ok(op, res))
		return;
	if (PQntuples(res) == 1 && auth_hash_parse_bytea(PQgetvalue(res, 0, 0), hash) == 0) {
		auth_cache_forget(op->api->auth, hash, clock_wall_ms());
		log_info("%s revoked one of their API tokens", op->who.user);
		http_reply_json(op->req, 200, json_pack("{s:b}", "revoked", 1));
	} else {
		http_reply_error(op->req, 404, "no such live token of yours");
	}
	free(op);
}

void
http_auth_token_revoke(struct evhttp_request *req, struct api *api)
{
	struct http_auth_op *op;
	char err[256], uid[16], id[16];
	const char *values[2] = {uid, id};
	size_t len;
	const char *text = http_auth_body(req, &len);
	int token_id;

	if (auth_body_revoke(text, len, &token_id, err, sizeof(err)) != 0) {
		http_reply_error(req, 400, "%s", err);
		return;
	}
	if ((op = http_auth_op_new(req, api)) == NULL)
		return;
	snprintf(uid, sizeof(uid), "%d", op->who.user_id);
	snprintf(id, sizeof(id), "%d", token_id);
	http_auth_op_run(op,
			 "SELECT token_hash FROM perfwatch_auth.token_revoke($1::integer, "
			 "$2::integer)",
			 2, values, http_auth_token_revoked);
}
