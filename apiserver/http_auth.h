/*
 * What the auth route files (http_session.c, http_tokens.c) share with the access check in
 * http_auth.c: the request's credential, its cache entry, its body, and a small frame for a
 * route that runs one statement. Runs on: main thread.
 */
#ifndef PERFWATCH_APISERVER_HTTP_AUTH_H
#define PERFWATCH_APISERVER_HTTP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "apiserver/auth.h"
#include "apiserver/auth_cache.h"
#include "apiserver/http.h"
#include "apiserver/pg_async.h"
#include "common/compat.h"

/* A route waiting for its one statement; the token field is for token creation only. */
struct http_auth_op {
	struct evhttp_request *req;
	struct api *api;
	struct auth_who who;
	char token[AUTH_TOKEN_LEN + 1];
};

/* Returns the request header `name` (owned by req) or NULL. */
const char *http_auth_header(struct evhttp_request *req, const char *name);
/*
 * Finds the request's credential, a Bearer token or else the session cookie: returns 0 with its
 * hash and kind, or -1 when there is none or it is malformed.
 */
MUST_CHECK int http_auth_credential(struct evhttp_request *req, uint8_t hash[AUTH_HASH_BYTES],
				    enum auth_kind *kind);
/* Answers 401 {"error": why} with WWW-Authenticate. */
void http_auth_unauthorized(struct evhttp_request *req, const char *why);
/*
 * Fills out with the cache entry of the request's credential (the access check just admitted
 * it) and returns true; else answers 401 and returns false.
 */
bool http_auth_who(struct evhttp_request *req, struct api *api, struct auth_who *out);
/* Returns the body as a pointer into evhttp's buffer (valid until the reply), *len its size. */
const char *http_auth_body(struct evhttp_request *req, size_t *len);
/* Starts an op for req as its caller; NULL when the request was answered (401). Free with free().
 */
struct http_auth_op *http_auth_op_new(struct evhttp_request *req, struct api *api);
/*
 * In an op's result callback: true when res holds rows; else answers (503, 409 for a limit,
 * 500), wipes and frees op, and returns false.
 */
bool http_auth_op_ok(struct http_auth_op *op, const PGresult *res);
/* Queues the op's statement; when it cannot, answers 503 and frees op. cb gets op as arg. */
void http_auth_op_run(struct http_auth_op *op, const char *sql, int n, const char *const *values,
		      pg_async_result_cb cb);

#endif
