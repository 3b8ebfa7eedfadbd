/*
 * WebSocket fan-out (after libwebsockets' minimal-ws-server-threads): the service thread owns
 * every struct lws; the main thread only publishes into fanout, whose wake calls
 * lws_cancel_service(). Frames are written only in LWS_CALLBACK_SERVER_WRITEABLE.
 */
#include "apiserver/ws.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libwebsockets.h>

#include "apiserver/auth.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "ws"

#define WS_PATH "/live"
/* The server reads no client message today: each is bounded in size and rate, then dropped. */
#define WS_RX_MAX     1024
#define WS_RX_PER_10S 20
/* Each client costs at most one frame in flight: this bounds the WebSocket side's memory. */
#define WS_MAX_CLIENTS 256

/* Per-connection state, allocated by lws; touched only on the lws thread. */
struct ws_client {
	struct fanout_cursor cur;
	struct lws *wsi;
	struct ws_client *next;
	char peer[64];
	char user[AUTH_NAME_MAX + 1];
	uint8_t hash[AUTH_HASH_BYTES]; /* the credential it connected with */
	size_t rx_bytes;	       /* of the message being received */
	unsigned rx_count;	       /* messages since rx_window_ms */
	int64_t rx_window_ms;
};

struct ws {
	struct lws_context
		*ctx; /* created on main, serviced on the lws thread, destroyed after join */
	struct fanout *fanout;
	struct auth_cache *auth; /* its own lock */
	pthread_t thread;
	atomic_bool stop;	   /* set by main, read by the lws thread */
	struct ws_client *clients; /* lws thread only */
	unsigned nclients;	   /* lws thread only */
};

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		       size_t len);

static const struct lws_protocols ws_protocols[] = {
	{"perfwatch-live", ws_callback, sizeof(struct ws_client), WS_RX_MAX, 0, NULL, 1 << 20},
	{NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Runs on: any thread. */
size_t
ws_headroom(void)
{
	return LWS_PRE;
}

/* Copies the host name of "host[:port]" or "[v6]:port" into out; returns its length or -1. */
static int
ws_host_name(const char *hostport, char *out, size_t len)
{
	const char *end;
	size_t n;

	if (hostport[0] == '[')
		end = strchr(hostport, ']');
	else
		end = hostport + strcspn(hostport, ":/");
	if (end == NULL)
		return -1;
	n = (size_t)(end - hostport) + (hostport[0] == '[');
	if (n == 0 || n >= len)
		return -1;
	memcpy(out, hostport, n);
	out[n] = '\0';
	return (int)n;
}

/* Runs on: any thread (pure). */
bool
ws_origin_ok(const char *origin, const char *host)
{
	char a[256], b[256];
	const char *sep;

	if (origin == NULL || origin[0] == '\0')
		return true;
	sep = strstr(origin, "://");
	if (sep == NULL || host == NULL || ws_host_name(sep + 3, a, sizeof(a)) < 0 ||
	    ws_host_name(host, b, sizeof(b)) < 0)
		return false;
	return strcasecmp(a, b) == 0;
}

/*
 * Runs on: lws thread. The credential of an upgrade (Bearer header, else session cookie) must
 * be in the cache the main thread keeps: the dashboard has always called the HTTP API first.
 */
static int
ws_credential(struct ws *ws, struct lws *wsi, struct ws_client *c)
{
	char buf[1024];
	const char *v = NULL;
	struct auth_who who;
	enum auth_kind kind = AUTH_KIND_TOKEN;
	size_t len = 0;

	if (lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_AUTHORIZATION) > 0) {
		v = auth_bearer_value(buf, &len);
	} else if (lws_hdr_copy(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_COOKIE) > 0) {
		kind = AUTH_KIND_SESSION;
		v = auth_cookie_value(buf, &len);
	}
	if (v == NULL || auth_token_hash(v, len, c->hash) != 0 ||
	    !auth_cache_get(ws->auth, c->hash, clock_wall_ms(), &who) || who.kind != kind)
		return -1;
	snprintf(c->user, sizeof(c->user), "%s", who.user);
	return 0;
}

/* Runs on: lws thread. Answers a refused upgrade with an HTTP status, then closes. */
static int
ws_refuse(struct lws *wsi, unsigned status)
{
	lws_return_http_status(wsi, status, NULL);
	return -1;
}

/*
 * Runs on: lws thread. Only /live is upgraded, only from the dashboard's own host, only with a
 * valid login, up to a cap.
 */
static int
ws_filter(struct ws *ws, struct lws *wsi, struct ws_client *c)
{
	char uri[64] = "", origin[256] = "", host[256] = "";

	if (ws->nclients >= WS_MAX_CLIENTS) {
		log_warn("refusing WebSocket client: %d connected already", WS_MAX_CLIENTS);
		return -1;
	}

	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0 ||
	    strcmp(uri, WS_PATH) != 0) {
		log_info("refusing WebSocket upgrade for '%s': only " WS_PATH " is served", uri);
		return -1;
	}
	if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) < 0 ||
	    lws_hdr_copy(wsi, host, sizeof(host), WSI_TOKEN_HOST) < 0 ||
	    !ws_origin_ok(origin, host)) {
		log_warn("refusing WebSocket upgrade from origin '%s' to host '%s'", origin, host);
		return ws_refuse(wsi, HTTP_STATUS_FORBIDDEN);
	}
	if (ws_credential(ws, wsi, c) != 0) {
		log_info("refusing WebSocket upgrade without a valid login");
		return ws_refuse(wsi, HTTP_STATUS_UNAUTHORIZED);
	}
	return 0;
}

/* Runs on: lws thread. */
static void
ws_client_add(struct ws *ws, struct ws_client *c, struct lws *wsi)
{
	c->wsi = wsi;
	lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
	fanout_cursor_init(ws->fanout, &c->cur);
	c->next = ws->clients;
	ws->clients = c;
	ws->nclients++;
	log_info("client %s (%s) connected (%u now)", c->peer, c->user, ws->nclients);
	lws_callback_on_writable(wsi);
}

/* Runs on: lws thread. */
static void
ws_client_remove(struct ws *ws, struct ws_client *c)
{
	for (struct ws_client **pp = &ws->clients; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			ws->nclients--;
			log_info("client %s left (%u now; it skipped %llu frames)", c->peer,
				 ws->nclients, (unsigned long long)c->cur.skipped);
			return;
		}
	}
}

/*
 * Runs on: lws thread. New frames: drop hopeless clients and those whose login ended (logout,
 * expiry, revocation: the main thread dropped it from the cache), ask to write to the others.
 * The lookup also marks the login used, so an open dashboard keeps its session alive.
 */
static void
ws_wake(struct ws *ws, struct lws *wsi)
{
	int64_t now = clock_wall_ms();

	for (struct ws_client *c = ws->clients; c != NULL; c = c->next) {
		if (!auth_cache_get(ws->auth, c->hash, now, NULL)) {
			log_info("closing client %s: the login of %s ended", c->peer, c->user);
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
					LWS_TO_KILL_ASYNC);
			continue;
		}
		if (fanout_hopeless(ws->fanout, &c->cur)) {
			log_warn("dropping client %s: it has not read for a whole ring of frames",
				 c->peer);
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT,
					LWS_TO_KILL_ASYNC);
		}
	}
	lws_callback_on_writable_all_protocol(lws_get_context(wsi), &ws_protocols[0]);
}

/* Runs on: lws thread. Writes one frame; asks for another turn when more are waiting. */
static int
ws_write(struct ws *ws, struct ws_client *c)
{
	struct fanout_frame *fr = fanout_take(ws->fanout, &c->cur);
	size_t len;
	int n;

	if (fr == NULL)
		return 0;
	len = fanout_frame_len(fr);
	n = lws_write(c->wsi, (unsigned char *)fanout_frame_text(fr), len, LWS_WRITE_TEXT);
	fanout_release(ws->fanout, fr);
	if (n < (int)len) {
		log_warn("client %s: write failed, closing", c->peer);
		return -1;
	}
	lws_callback_on_writable(c->wsi);
	return 0;
}

/* Runs on: lws thread. Client messages are not parsed; too large or too many close it. */
static int
ws_receive(struct ws_client *c, size_t len)
{
	int64_t now = clock_wall_ms();

	c->rx_bytes += len;
	if (c->rx_bytes > WS_RX_MAX) {
		log_warn("closing client %s: a message over %d bytes", c->peer, WS_RX_MAX);
		goto refuse;
	}
	if (!lws_is_final_fragment(c->wsi) || lws_remaining_packet_payload(c->wsi) > 0)
		return 0;
	c->rx_bytes = 0;
	if (now - c->rx_window_ms >= 10000) {
		c->rx_window_ms = now;
		c->rx_count = 0;
	}
	if (++c->rx_count > WS_RX_PER_10S) {
		log_warn("closing client %s: more than %d messages in 10 s", c->peer,
			 WS_RX_PER_10S);
		goto refuse;
	}
	return 0;
refuse:
	lws_close_reason(c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, NULL, 0);
	return -1;
}

/* Runs on: lws thread. */
static int
ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct ws *ws = lws_context_user(lws_get_context(wsi));
	struct ws_client *c = user;

	(void)in;
	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return ws_filter(ws, wsi, c);
	case LWS_CALLBACK_RECEIVE:
		return ws_receive(c, len);
	case LWS_CALLBACK_ESTABLISHED:
		ws_client_add(ws, c, wsi);
		break;
	case LWS_CALLBACK_CLOSED:
		ws_client_remove(ws, c);
		break;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		ws_wake(ws, wsi);
		break;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return ws_write(ws, c);
	case LWS_CALLBACK_HTTP:
		/* Plain HTTP on the WebSocket port: the REST API is on --http-port. */
		lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL);
		return -1;
	default:
		break;
	}
	return 0;
}

/* Runs on: lws thread, until ws_stop() sets stop and cancels the wait. */
static void *
ws_thread(void *arg)
{
	struct ws *ws = arg;

	while (!atomic_load(&ws->stop)) {
		if (lws_service(ws->ctx, 0) < 0)
			break;
	}
	return NULL;
}

/* Runs on: main thread, via fanout_publish(). Thread-safe by lws's contract. */
static void
ws_fanout_wake(void *arg)
{
	lws_cancel_service(arg);
}

/* Runs on: either thread (lws logs from both); log_write is thread-safe. */
static void
ws_lws_log(int level, const char *line)
{
	log_write(level == LLL_ERR ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, "lws", "%.*s",
		  (int)strcspn(line, "\n"), line);
}

/* Runs on: main thread. */
struct ws *
ws_start(const char *addr, int port, struct fanout *f, struct auth_cache *auth)
{
	struct lws_context_creation_info info;
	struct ws *ws = xcalloc(1, sizeof(*ws));
	struct in_addr v4;

	lws_set_log_level(LLL_ERR | LLL_WARN, ws_lws_log);
	ws->fanout = f;
	ws->auth = auth;
	atomic_init(&ws->stop, false);
	/* Debian's lws 4.1.6 has no lws_context_info_defaults(). */
	memset(&info, 0, sizeof(info));
	info.port = port;
	info.iface = addr;
	/*
	 * lws 4.1.6 with IPv6 enabled binds an IPv4 literal iface to every address (checked with
	 * ss): an IPv4 address needs the IPv4-only listener to stay private.
	 */
	if (inet_pton(AF_INET, addr, &v4) == 1)
		info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
	info.protocols = ws_protocols;
	info.user = ws;
	info.gid = -1;
	info.uid = -1;
	info.max_http_header_data = 4096;
	ws->ctx = lws_create_context(&info);
	if (ws->ctx == NULL) {
		log_error("cannot listen for WebSocket clients on %s:%d", addr, port);
		goto fail;
	}
	if (pthread_create(&ws->thread, NULL, ws_thread, ws) != 0) {
		log_error("cannot start the WebSocket thread");
		goto fail;
	}
	fanout_set_wake(f, ws_fanout_wake, ws->ctx);
	log_info("WebSocket clients: ws://%s:%d" WS_PATH, addr, port);
	return ws;
fail:
	if (ws->ctx != NULL)
		lws_context_destroy(ws->ctx);
	free(ws);
	return NULL;
}

/* Runs on: main thread. */
void
ws_stop(struct ws *ws)
{
	if (ws == NULL)
		return;
	fanout_set_wake(ws->fanout, NULL, NULL);
	atomic_store(&ws->stop, true);
	lws_cancel_service(ws->ctx);
	pthread_join(ws->thread, NULL);
	lws_context_destroy(ws->ctx);
	free(ws);
}
