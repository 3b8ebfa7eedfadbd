/*
 * The HTTP server (evhttp on the main thread): the route table, dispatch with 404/405, request
 * bounds, and JSON reply helpers that route files share. Runs on: main thread.
 */
#ifndef PERFWATCH_APISERVER_HTTP_H
#define PERFWATCH_APISERVER_HTTP_H

#include <stddef.h>

#include <event2/http.h>
#include <jansson.h>

#include "apiserver/api.h"
#include "common/compat.h"

/* Largest request header block, body and request target accepted (bytes). */
#define HTTP_MAX_HEADERS 8192
#define HTTP_MAX_BODY	 4096
#define HTTP_MAX_URI	 2048

/* A route handler: answers req now or later (it then owns req until it replies). */
typedef void (*http_handler)(struct evhttp_request *req, struct api *api);

/* Who may call a route (docs/security.md). The default, 0, needs a login. */
enum http_access {
	HTTP_ACCESS_USER,    /* a session cookie or an API token */
	HTTP_ACCESS_SESSION, /* a session cookie only (logout, token management) */
	HTTP_ACCESS_OPEN,    /* anyone (/healthz, the login route) */
};

/* One row of the route table; a GET route also answers HEAD. */
struct http_route {
	enum evhttp_cmd_type method;
	const char *path;
	http_handler handler;
	enum http_access access;
};

struct http;

/* Binds conf->http_addr:http_port and serves the route table; NULL (logged) on failure. */
struct http *http_new(struct api *api);
/* Returns the TCP port actually bound (useful with --http-port 0), or -1. */
int http_port(const struct http *http);
/* Stops listening and frees every connection. NULL is a no-op. */
void http_free(struct http *http);
/* Returns the route whose path is `path`, whatever its method, or NULL. */
const struct http_route *http_route_find(const char *path);
/* Sends `body` as JSON with status `code`; takes ownership of body. */
void http_reply_json(struct evhttp_request *req, int code, json_t *body);
/* Sends {"error": "<message>"} with status code. */
void http_reply_error(struct evhttp_request *req, int code, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Routes in http_api.c. */
void http_api_healthz(struct evhttp_request *req, struct api *api);
void http_api_config(struct evhttp_request *req, struct api *api);
void http_api_latest(struct evhttp_request *req, struct api *api);
void http_api_query(struct evhttp_request *req, struct api *api);
/* Session routes (http_session.c) and API token routes (http_tokens.c). */
void http_session_login(struct evhttp_request *req, struct api *api);
void http_session_logout(struct evhttp_request *req, struct api *api);
void http_session_me(struct evhttp_request *req, struct api *api);
void http_tokens_list(struct evhttp_request *req, struct api *api);
void http_tokens_create(struct evhttp_request *req, struct api *api);
void http_tokens_revoke(struct evhttp_request *req, struct api *api);
/* The access check every route passes through (http_auth.c). */
/*
 * Runs route's handler when the request may call it: its credential (session cookie or Bearer
 * token) is valid, checked against the cache or else the database, and a state-changing request
 * has the JSON content type and, with a cookie, this server's Origin. Otherwise answers 401, 403
 * or 415 itself.
 */
void http_auth_dispatch(struct evhttp_request *req, struct api *api,
			const struct http_route *route);
/* Serves a file under api->static_root for GET/HEAD of any path no route claims (http_static.c). */
void http_static_serve(struct evhttp_request *req, struct api *api);

#endif
