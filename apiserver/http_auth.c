/*
 * Who may call what: the access check in front of every route (session cookie or Bearer token,
 * cache first, database on a miss; JSON content type and Origin on state-changing requests), and
 * the helpers the auth route files share. Runs on: main thread.
 */
#include "apiserver/http_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>

#include "apiserver/auth_refresh.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "http_auth"

struct http_auth_check {
	struct evhttp_request *req;
	struct api *api;
	const struct http_route *route;
	enum auth_kind presented;
	uint8_t hash[AUTH_HASH_BYTES];
};

const char *
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
int
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

void
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
bool
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

/* Body of a request as a pointer into evhttp's buffer (valid until the reply). */
const char *
http_auth_body(struct evhttp_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	*len = evbuffer_get_length(in);
	return *len > 0 ? (const char *)evbuffer_pullup(in, -1) : NULL;
}

/* Starts an op for a route that runs one statement; NULL when the request was answered. */
struct http_auth_op *
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
bool
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

void
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
