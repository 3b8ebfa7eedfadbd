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

/* Largest request header block and body evhttp accepts (bytes). */
#define HTTP_MAX_HEADERS 8192
#define HTTP_MAX_BODY	 4096

/* A route handler: answers req now or later (it then owns req until it replies). */
typedef void (*http_handler)(struct evhttp_request *req, struct api *api);

/* One row of the route table; a GET route also answers HEAD. */
struct http_route {
	enum evhttp_cmd_type method;
	const char *path;
	http_handler handler;
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
/* Serves a file under api->static_root for GET/HEAD of any path no route claims (http_static.c). */
void http_static_serve(struct evhttp_request *req, struct api *api);

#endif
