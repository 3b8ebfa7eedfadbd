/*
 * The API token routes (a login session only): GET /api/v1/auth/tokens, POST
 * /api/v1/auth/tokens/create (the token is shown in this answer only), POST
 * /api/v1/auth/tokens/revoke (forgotten by the cache at once). Runs on: main thread.
 */
#include "apiserver/http_auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apiserver/auth_body.h"
#include "common/clock.h"
#include "common/log.h"

#define LOG_TAG "http_tokens"

/* Column i of row r as a JSON integer, or null. */
static json_t *
http_tokens_int(const PGresult *res, int r, int i)
{
	return PQgetisnull(res, r, i) ? json_null()
				      : json_integer(strtoll(PQgetvalue(res, r, i), NULL, 10));
}

static void
http_tokens_list_done(const PGresult *res, void *arg)
{
	struct http_auth_op *op = arg;
	json_t *list;

	if (!http_auth_op_ok(op, res))
		return;
	list = json_array();
	for (int r = 0; r < PQntuples(res); r++)
		json_array_append_new(list, json_pack("{s:o, s:s, s:o, s:o, s:o, s:o}", "id",
						      http_tokens_int(res, r, 0), "name",
						      PQgetvalue(res, r, 1), "created",
						      http_tokens_int(res, r, 2), "last_used",
						      http_tokens_int(res, r, 3), "expires",
						      http_tokens_int(res, r, 4), "revoked",
						      http_tokens_int(res, r, 5)));
	http_reply_json(op->req, 200, json_pack("{s:o}", "tokens", list));
	free(op);
}

/* Timestamps as epoch milliseconds. $1: user id. */
#define HTTP_TOKENS_LIST_SQL                                                                       \
	"SELECT id, name, (extract(epoch FROM created_at) * 1000)::bigint, "                       \
	"(extract(epoch FROM last_used_at) * 1000)::bigint, "                                      \
	"(extract(epoch FROM expires_at) * 1000)::bigint, "                                        \
	"(extract(epoch FROM revoked_at) * 1000)::bigint "                                         \
	"FROM perfwatch_auth.token_list($1::integer)"
/* $1: user id, $2: name, $3: hash, $4: lifetime or NULL (no expiry). */
#define HTTP_TOKENS_CREATE_SQL                                                                     \
	"SELECT id, name, (extract(epoch FROM created_at) * 1000)::bigint, "                       \
	"(extract(epoch FROM expires_at) * 1000)::bigint "                                         \
	"FROM perfwatch_auth.token_create($1::integer, $2, $3::bytea, $4::interval)"

void
http_tokens_list(struct evhttp_request *req, struct api *api)
{
	struct http_auth_op *op = http_auth_op_new(req, api);
	char uid[16];
	const char *values[1] = {uid};

	if (op == NULL)
		return;
	snprintf(uid, sizeof(uid), "%d", op->who.user_id);
	http_auth_op_run(op, HTTP_TOKENS_LIST_SQL, 1, values, http_tokens_list_done);
}

static void
http_tokens_created(const PGresult *res, void *arg)
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
					  http_tokens_int(res, 0, 0), "name", PQgetvalue(res, 0, 1),
					  "token", op->token, "created", http_tokens_int(res, 0, 2),
					  "expires", http_tokens_int(res, 0, 3)));
	}
	OPENSSL_cleanse(op->token, sizeof(op->token));
	free(op);
}

void
http_tokens_create(struct evhttp_request *req, struct api *api)
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
	http_auth_op_run(op, HTTP_TOKENS_CREATE_SQL, 4, values, http_tokens_created);
}

static void
http_tokens_revoked(const PGresult *res, void *arg)
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
http_tokens_revoke(struct evhttp_request *req, struct api *api)
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
			 2, values, http_tokens_revoked);
}
