/*
 * evhttp setup and dispatch: one route table, 404 for unknown paths, 405 with Allow for a known
 * path and the wrong method, the static dashboard for everything else. Runs on: main thread.
 */
#include "apiserver/http.h"

#include <errno.h>
#include <float.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>

#include "apiserver/http_history.h"
#include "apiserver/http_hw.h"
#include "apiserver/http_metrics.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "http"

#define HTTP_TIMEOUT_S 30

/* Route files add one row each. */
static const struct http_route http_routes[] = {
	{EVHTTP_REQ_GET, "/healthz", http_api_healthz, HTTP_ACCESS_OPEN},
	{EVHTTP_REQ_POST, "/api/v1/auth/login", http_session_login, HTTP_ACCESS_OPEN},
	{EVHTTP_REQ_POST, "/api/v1/auth/logout", http_session_logout, HTTP_ACCESS_SESSION},
	{EVHTTP_REQ_GET, "/api/v1/auth/me", http_session_me, HTTP_ACCESS_USER},
	{EVHTTP_REQ_GET, "/api/v1/auth/tokens", http_tokens_list, HTTP_ACCESS_SESSION},
	{EVHTTP_REQ_POST, "/api/v1/auth/tokens/create", http_tokens_create, HTTP_ACCESS_SESSION},
	{EVHTTP_REQ_POST, "/api/v1/auth/tokens/revoke", http_tokens_revoke, HTTP_ACCESS_SESSION},
	{EVHTTP_REQ_GET, "/api/v1/config", http_api_config, HTTP_ACCESS_USER},
	{EVHTTP_REQ_GET, "/api/v1/latest", http_api_latest, HTTP_ACCESS_USER},
	{EVHTTP_REQ_GET, "/api/v1/query", http_history_query, HTTP_ACCESS_USER},
	{EVHTTP_REQ_GET, "/api/v1/compare", http_history_compare, HTTP_ACCESS_USER},
	{EVHTTP_REQ_GET, "/api/v1/anomalies", http_history_anomalies, HTTP_ACCESS_USER},
	{EVHTTP_REQ_GET, "/api/v1/trends", http_history_trends, HTTP_ACCESS_USER},
	{EVHTTP_REQ_GET, "/api/v1/series", http_history_series, HTTP_ACCESS_USER},
	{EVHTTP_REQ_GET, "/api/v1/hw", http_hw_report, HTTP_ACCESS_USER},
	{EVHTTP_REQ_GET, "/api/v1/metrics", http_metrics_list, HTTP_ACCESS_USER},
};

struct http {
	struct evhttp *evhttp;
	struct evhttp_bound_socket *bound;
	struct api *api;
};

void
http_reply_json(struct evhttp_request *req, int code, json_t *body)
{
	struct evbuffer *buf = evbuffer_new();
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	/* DBL_DIG digits: a double parsed from "9.18" prints as 9.18, not 9.1799999999999997. */
	char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(DBL_DIG));

	evhttp_add_header(out, "Content-Type", "application/json");
	evhttp_add_header(out, "Cache-Control", "no-store");
	if (text != NULL)
		evbuffer_add(buf, text, strlen(text));
	evhttp_send_reply(req, code, NULL, buf);
	evbuffer_free(buf);
	free(text);
	json_decref(body);
}

void
http_reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_reply_json(req, code, json_pack("{s:s}", "error", msg));
}

const struct http_route *
http_route_find(const char *path)
{
	for (size_t i = 0; i < ARRAY_LEN(http_routes); i++) {
		if (strcmp(http_routes[i].path, path) == 0)
			return &http_routes[i];
	}
	return NULL;
}

static bool
http_method_ok(enum evhttp_cmd_type want, enum evhttp_cmd_type got)
{
	return got == want || (want == EVHTTP_REQ_GET && got == EVHTTP_REQ_HEAD);
}

static const char *
http_method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET:
		return "GET, HEAD";
	case EVHTTP_REQ_POST:
		return "POST";
	case EVHTTP_REQ_PUT:
		return "PUT";
	case EVHTTP_REQ_DELETE:
		return "DELETE";
	default:
		return "GET";
	}
}

/* On every answer: no framing by other sites (clickjacking of the login form), no MIME
 * sniffing, no Referer with our URLs. */
static void
http_security_headers(struct evhttp_request *req)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	evhttp_add_header(out, "X-Frame-Options", "DENY");
	evhttp_add_header(out, "Content-Security-Policy", "frame-ancestors 'none'");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "Referrer-Policy", "no-referrer");
}

/*
 * Turns Nagle's algorithm off for the request's connection (evhttp has no hook per connection
 * in libevent 2.1, so once per request: one setsockopt). With it on, a reply sent in more than
 * one write on a kept-alive connection waited for the client's delayed ACK: every other
 * /api/v1/query of ~20 KB took ~50 ms instead of ~8 ms from a client that reuses connections,
 * as browsers do.
 */
static void
http_nodelay(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	int one = 1;

	if (fd >= 0 && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0)
		log_debug("TCP_NODELAY: %s", strerror(errno));
}

static void
http_dispatch(struct evhttp_request *req, void *arg)
{
	struct http *http = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type method = evhttp_request_get_command(req);
	const struct http_route *route;

	http_nodelay(req);
	http_security_headers(req);
	if (strlen(evhttp_request_get_uri(req)) > HTTP_MAX_URI) {
		http_reply_error(req, 414, "request target longer than %d bytes", HTTP_MAX_URI);
		return;
	}
	if (path == NULL || path[0] != '/') {
		http_reply_error(req, 400, "request target must be an absolute path");
		return;
	}
	log_debug("%s %s", method == EVHTTP_REQ_GET ? "GET" : "other", path);
	route = http_route_find(path);
	if (route != NULL) {
		if (http_method_ok(route->method, method)) {
			http_auth_dispatch(req, http->api, route);
			return;
		}
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow",
				  http_method_name(route->method));
		http_reply_error(req, 405, "%s does not accept this method", path);
		return;
	}
	if (strncmp(path, "/api/", 5) == 0) {
		http_reply_error(req, 404, "no API route %s", path);
		return;
	}
	if (method != EVHTTP_REQ_GET && method != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		http_reply_error(req, 405, "static files accept GET and HEAD only");
		return;
	}
	http_static_serve(req, http->api);
}

struct http *
http_new(struct api *api)
{
	struct http *http = xcalloc(1, sizeof(*http));
	const struct api_conf *conf = api->conf;

	http->api = api;
	http->evhttp = evhttp_new(api->base);
	if (http->evhttp == NULL)
		goto fail;
	evhttp_set_max_headers_size(http->evhttp, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(http->evhttp, HTTP_MAX_BODY);
	evhttp_set_timeout(http->evhttp, HTTP_TIMEOUT_S);
	/* Accept every method so that a wrong one gets our 405, not evhttp's 501. */
	evhttp_set_allowed_methods(
		http->evhttp, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
				      EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_gencb(http->evhttp, http_dispatch, http);
	http->bound = evhttp_bind_socket_with_handle(http->evhttp, conf->http_addr,
						     (ev_uint16_t)conf->http_port);
	if (http->bound == NULL) {
		log_error("cannot listen for HTTP on %s:%d", conf->http_addr, conf->http_port);
		goto fail;
	}
	log_info("HTTP: http://%s:%d/", conf->http_addr, http_port(http));
	return http;
fail:
	http_free(http);
	return NULL;
}

int
http_port(const struct http *http)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	evutil_socket_t fd = evhttp_bound_socket_get_fd(http->bound);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}

void
http_free(struct http *http)
{
	if (http == NULL)
		return;
	if (http->evhttp != NULL)
		evhttp_free(http->evhttp);
	free(http);
}
