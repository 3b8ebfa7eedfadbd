/*
 * perfwatch-api: configuration, start-up checks, the libevent loop (HTTP, LISTEN, queries,
 * signals) and the WebSocket thread, and an orderly shutdown on SIGINT/SIGTERM.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <sys/param.h>

#include "apiserver/api.h"
#include "apiserver/auth_cache.h"
#include "apiserver/auth_limit.h"
#include "apiserver/auth_refresh.h"
#include "apiserver/auth_users.h"
#include "apiserver/fanout.h"
#include "apiserver/http.h"
#include "apiserver/live.h"
#include "apiserver/maintain.h"
#include "apiserver/pg_async.h"
#include "apiserver/ws.h"
#include "common/conf.h"
#include "common/log.h"
#include "common/schema.h"
#include "common/xalloc.h"

#define LOG_TAG "main"

/* Frames kept for WebSocket clients; a client this far behind is dropped. */
#define MAIN_RING_FRAMES 64
/* A client more frames behind than this skips to the newest. */
#define MAIN_CLIENT_BACKLOG 16
#define MAIN_MAX_FRAME	    (1 << 20)
/* Verified credentials kept for the HTTP and WebSocket checks. */
#define MAIN_AUTH_CACHE 1024
/* Login throttling: keys tracked, free attempts, first and longest wait. */
#define MAIN_LIMIT_KEYS	   4096
#define MAIN_LIMIT_FREE	   5
#define MAIN_LIMIT_BASE_MS 1000
#define MAIN_LIMIT_MAX_MS  (15 * 60 * 1000)
/* HTTP queries run on a few connections, so one slow statement does not hold up the rest. */
#define MAIN_QUERY_CONNS 3
/*
 * No statement may hold an HTTP request for long. No parallel workers: the dashboard's
 * statements are small, and starting two workers took 80-110 ms here, ten times the work (a
 * 5-minute window planned as parallel while a day's partition had no statistics yet).
 */
#define MAIN_QUERY_OPTIONS "-c statement_timeout=10s -c max_parallel_workers_per_gather=0"

static const struct conf_entry main_conf_table[] = {
	{"db", CONF_STRING, offsetof(struct api_conf, db), "dbname=perfwatch user=perfwatch_api", 0,
	 0, "libpq connection string (read-mostly role perfwatch_api)"},
	{"http-addr", CONF_STRING, offsetof(struct api_conf, http_addr), "127.0.0.1", 0, 0,
	 "address for HTTP and WebSocket listeners"},
	{"http-port", CONF_INT, offsetof(struct api_conf, http_port), "8470", 1, 65535,
	 "HTTP port (REST API and dashboard)"},
	{"ws-port", CONF_INT, offsetof(struct api_conf, ws_port), "8471", 1, 65535,
	 "WebSocket port (ws://addr:port/live)"},
	{"static-dir", CONF_STRING, offsetof(struct api_conf, static_dir), "frontend/dist", 0, 0,
	 "built dashboard to serve at /"},
	{"log-level", CONF_STRING, offsetof(struct api_conf, log_level), "info", 0, 0,
	 "error, warn, info or debug"},
	{"session-idle", CONF_INT, offsetof(struct api_conf, session_idle_s), "3600", 2, 2592000,
	 "seconds a login session may stay unused (an open dashboard uses it)"},
	{"session-max", CONF_INT, offsetof(struct api_conf, session_max_s), "86400", 2, 31622400,
	 "seconds a login session lasts at most"},
	{"cookie-secure", CONF_BOOL, offsetof(struct api_conf, cookie_secure), "false", 0, 0,
	 "mark the session cookie Secure (also automatic with X-Forwarded-Proto: https)"},
	{"admin-user", CONF_STRING, offsetof(struct api_conf, admin_user), "admin", 0, 0,
	 "first user, created when there is none: password from PERFWATCH_ADMIN_PASSWORD "
	 "(environment only) or generated and printed once"},
};

static const char main_usage[] =
	"usage: perfwatch-api [--option value]...\n"
	"       perfwatch-api user add|passwd|del NAME [--admin] [--db CONNINFO]\n\n"
	"Serves the PerfWatch REST API, the dashboard and live frames over WebSocket, to logged-in "
	"users only. Never runs as root.";

/* Blocking, once, before the loop starts: is the schema this build needs applied? */
static int
main_schema_check(const char *conninfo)
{
	PGconn *conn = PQconnectdb(conninfo);
	char err[512];
	int rc = -1;

	if (PQstatus(conn) != CONNECTION_OK) {
		log_error("cannot connect to the database (%.*s): is PostgreSQL up and --db right?",
			  (int)strcspn(PQerrorMessage(conn), "\n"), PQerrorMessage(conn));
		goto out;
	}
	if (schema_check(conn, err, sizeof(err)) != 0) {
		log_error("%s", err);
		goto out;
	}
	rc = 0;
out:
	PQfinish(conn);
	return rc;
}

/* Blocking, once, before the loop starts: the first admin when the database has no user. */
static int
main_first_admin(const struct api_conf *conf)
{
	const char *env = getenv("PERFWATCH_ADMIN_PASSWORD");
	char *password = env != NULL && env[0] != '\0' ? xstrdup(env) : NULL;
	int rc;

	/* Nothing later in this process (nor a child it may start) needs it. */
	unsetenv("PERFWATCH_ADMIN_PASSWORD");
	rc = auth_users_bootstrap(conf->db, conf->admin_user, password);
	if (password != NULL) {
		OPENSSL_cleanse(password, strlen(password));
		free(password);
	}
	return rc;
}

/* A query connection is up: fill the credential cache at once (the first time, after start). */
static void
main_pg_up(struct pg_async *pg, void *arg)
{
	struct auth_refresh **refresh = arg;

	(void)pg;
	if (*refresh != NULL)
		auth_refresh_now(*refresh);
}

static void
main_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(arg);
}

static int
main_load_conf(struct api_conf *conf, int argc, char **argv)
{
	enum log_level level;
	char err[512];
	int rc;

	rc = conf_load(main_conf_table, ARRAY_LEN(main_conf_table), conf, argc, argv, main_usage,
		       err, sizeof(err));
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "perfwatch-api: %s\n", err);
		return rc;
	}
	if (log_level_parse(conf->log_level, &level) != 0) {
		fprintf(stderr,
			"perfwatch-api: --log-level: '%s' is not error, warn, info or debug\n",
			conf->log_level);
		return -1;
	}
	log_set_level(level);
	return 0;
}

/* Builds every part, runs the loop until a signal, and tears down in reverse. */
static int
main_run(const struct api_conf *conf)
{
	struct api api = {.conf = conf};
	struct event *sigint = NULL, *sigterm = NULL;
	struct fanout *fanout = NULL;
	struct http *http = NULL;
	struct maintain *mt = NULL;
	struct auth_refresh *refresh = NULL;
	struct pg_async_callbacks refresh_cbs = {.up = main_pg_up};
	struct ws *ws = NULL;
	char real[PATH_MAX];
	int rc = 1;

	if (main_schema_check(conf->db) != 0 || main_first_admin(conf) != 0)
		return 1;
	if (realpath(conf->static_dir, real) != NULL)
		api.static_root = xstrdup(real);
	else
		log_warn("--static-dir %s: %s; only the API is served", conf->static_dir,
			 strerror(errno));
	api.base = event_base_new();
	if (api.base == NULL)
		goto fail;
	fanout = fanout_new(MAIN_RING_FRAMES, MAIN_CLIENT_BACKLOG, ws_headroom(), MAIN_MAX_FRAME);
	api.auth = auth_cache_new(MAIN_AUTH_CACHE);
	api.limit_addr = auth_limit_new(MAIN_LIMIT_KEYS, MAIN_LIMIT_FREE, MAIN_LIMIT_BASE_MS,
					MAIN_LIMIT_MAX_MS);
	api.limit_user = auth_limit_new(MAIN_LIMIT_KEYS, MAIN_LIMIT_FREE, MAIN_LIMIT_BASE_MS,
					MAIN_LIMIT_MAX_MS);
	if ((ws = ws_start(conf->http_addr, conf->ws_port, fanout, api.auth)) == NULL)
		goto fail;
	refresh_cbs.arg = &refresh;
	api.pg = pg_async_new(api.base, conf->db, "query", MAIN_QUERY_CONNS, MAIN_QUERY_OPTIONS,
			      &refresh_cbs);
	/* Marks used credentials often enough that an active session never idles out. */
	refresh = auth_refresh_new(api.base, api.pg, api.auth, MAIN_AUTH_CACHE,
				   MIN(AUTH_CACHE_REFRESH_S, conf->session_idle_s / 2));
	api.live = live_new(api.base, conf->db, fanout);
	mt = maintain_new(api.base, conf->db);
	if ((http = http_new(&api)) == NULL)
		goto fail;
	sigint = evsignal_new(api.base, SIGINT, main_signal, api.base);
	sigterm = evsignal_new(api.base, SIGTERM, main_signal, api.base);
	event_add(sigint, NULL);
	event_add(sigterm, NULL);
	if (event_base_dispatch(api.base) == 0)
		rc = 0;
fail:
	/* Pending queries answer 503 while evhttp still exists; then the listeners go. */
	pg_async_free(api.pg);
	auth_refresh_free(refresh);
	live_free(api.live);
	maintain_free(mt);
	http_free(http);
	ws_stop(ws);
	fanout_free(fanout);
	auth_cache_free(api.auth);
	auth_limit_free(api.limit_addr);
	auth_limit_free(api.limit_user);
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	if (api.base != NULL)
		event_base_free(api.base);
	free(api.static_root);
	return rc;
}

int
main(int argc, char **argv)
{
	struct api_conf conf;
	int rc;

	if (argc > 1 && strcmp(argv[1], "user") == 0)
		return auth_users_cli(argc - 1, argv + 1);
	memset(&conf, 0, sizeof(conf));
	rc = main_load_conf(&conf, argc, argv);
	if (rc != 0) {
		conf_free(main_conf_table, ARRAY_LEN(main_conf_table), &conf);
		return rc > 0 ? 0 : 2;
	}
	if (geteuid() == 0) {
		fprintf(stderr, "perfwatch-api: refusing to run as root; run it as an unprivileged "
				"user (e.g. useradd --system perfwatch)\n");
		conf_free(main_conf_table, ARRAY_LEN(main_conf_table), &conf);
		return 1;
	}
	/* Writes to a closed socket (evhttp, lws) must fail with EPIPE, not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	rc = main_run(&conf);
	conf_free(main_conf_table, ARRAY_LEN(main_conf_table), &conf);
	libevent_global_shutdown();
	return rc;
}
