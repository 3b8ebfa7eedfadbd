/*
 * The WebSocket side: a libwebsockets context serving ws://addr:port/live in its own service
 * thread, sending every frame the fanout ring receives to every client.
 */
#ifndef PERFWATCH_APISERVER_WS_H
#define PERFWATCH_APISERVER_WS_H

#include <stdbool.h>

#include "apiserver/auth_cache.h"
#include "apiserver/fanout.h"
#include "common/compat.h"

/* Bytes each fanout frame must keep free before its text for lws_write (LWS_PRE). */
size_t ws_headroom(void);

struct ws;

/*
 * Returns true when a WebSocket upgrade may proceed: no Origin (not a browser), or an Origin
 * whose host name equals the Host header's (the dashboard is served from the same host on
 * --http-port). Any thread.
 */
bool ws_origin_ok(const char *origin, const char *host);

/*
 * Listens on addr:port and starts the service thread reading from `f`; an upgrade needs a
 * credential that `auth` holds (both must outlive the returned handle). Returns the handle, or
 * NULL (logged). Runs on: main thread.
 */
struct ws *ws_start(const char *addr, int port, struct fanout *f, struct auth_cache *auth);
/* Stops the service thread, joins it and closes every client. NULL is a no-op. Runs on: main
 * thread. */
void ws_stop(struct ws *ws);

#endif
