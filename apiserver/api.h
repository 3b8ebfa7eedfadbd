/* The API server's configuration and the state its HTTP routes share (main thread only). */
#ifndef PERFWATCH_APISERVER_API_H
#define PERFWATCH_APISERVER_API_H

#include <stdbool.h>

#include <event2/event.h>

#include "apiserver/auth_cache.h"
#include "apiserver/auth_limit.h"
#include "apiserver/live.h"
#include "apiserver/pg_async.h"

/* perfwatch-api's configuration (docs/design.md); filled by conf_load() in main.c. */
struct api_conf {
	char *db;
	char *http_addr;
	int http_port;
	int ws_port;
	char *static_dir;
	char *log_level;
	int session_idle_s; /* a session unused this long ends */
	int session_max_s;  /* a session ends this long after login, used or not */
	bool cookie_secure; /* add Secure to the cookie (also when X-Forwarded-Proto: https) */
	char *admin_user;   /* name of the first user, created at the first start */
};

/* Everything a route handler may use; owned by main.c, lives for the whole run. */
struct api {
	const struct api_conf *conf;
	struct event_base *base;
	struct pg_async *pg;	 /* query connection */
	struct live *live;	 /* LISTEN connection and newest frame */
	char *static_root;	 /* realpath of conf->static_dir, or NULL when it does not exist */
	struct auth_cache *auth; /* verified credentials (shared with the lws thread) */
	struct auth_limit *limit_addr; /* login attempts per client address */
	struct auth_limit *limit_user; /* login attempts per user name */
};

#endif
