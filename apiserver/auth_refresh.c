/*
 * The periodic re-check of used credentials (auth_refresh.h). One query in flight at a time;
 * a round whose query fails keeps the cache as it was until the next round. Runs on: main
 * thread.
 */
#include "apiserver/auth_refresh.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "auth_refresh"

#define AUTH_REFRESH_MAX 4096

struct auth_refresh {
	struct event *timer;
	struct pg_async *pg;
	struct auth_cache *cache;
	bool busy; /* a check is in flight */
	size_t n;  /* hashes sent in it */
	uint8_t (*sent)[AUTH_HASH_BYTES];
	struct log_limit fail_limit;
};

void
auth_refresh_hex(const uint8_t hash[AUTH_HASH_BYTES], char *buf, size_t cap, size_t *len)
{
	static const char hex[] = "0123456789abcdef";

	if (*len + 1 + 2 * AUTH_HASH_BYTES + 1 > cap)
		return;
	if (*len > 0)
		buf[(*len)++] = ',';
	for (size_t i = 0; i < AUTH_HASH_BYTES; i++) {
		buf[(*len)++] = hex[hash[i] >> 4];
		buf[(*len)++] = hex[hash[i] & 15];
	}
	buf[*len] = '\0';
}

int
auth_refresh_row(const PGresult *res, int row, struct auth_who *out)
{
	const char *kind = PQgetvalue(res, row, 1);

	memset(out, 0, sizeof(*out));
	if (PQnfields(res) != 7 || auth_hash_parse_bytea(PQgetvalue(res, row, 0), out->hash) != 0 ||
	    strlen(PQgetvalue(res, row, 4)) > AUTH_NAME_MAX) {
		log_error("perfwatch_auth.check() returned an unexpected row");
		return -1;
	}
	out->kind = strcmp(kind, "token") == 0 ? AUTH_KIND_TOKEN : AUTH_KIND_SESSION;
	out->token_id = PQgetisnull(res, row, 2) ? -1 : atoi(PQgetvalue(res, row, 2));
	out->user_id = atoi(PQgetvalue(res, row, 3));
	strcpy(out->user, PQgetvalue(res, row, 4));
	out->admin = PQgetvalue(res, row, 5)[0] == 't';
	out->valid_until_ms = PQgetisnull(res, row, 6)
				      ? INT64_MAX
				      : (int64_t)strtoll(PQgetvalue(res, row, 6), NULL, 10);
	return 0;
}

static void
auth_refresh_done(const PGresult *res, void *arg)
{
	struct auth_refresh *r = arg;
	bool *seen;
	struct auth_who who;
	int64_t now = clock_wall_ms();

	r->busy = false;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_limited(&r->fail_limit, LOG_LEVEL_WARN, "credential re-check failed: %s",
			    res ? PQresultErrorMessage(res) : "no connection");
		return;
	}
	seen = xcalloc(r->n > 0 ? r->n : 1, sizeof(*seen));
	for (int i = 0; i < PQntuples(res); i++) {
		if (auth_refresh_row(res, i, &who) != 0)
			continue;
		auth_cache_put(r->cache, &who, now);
		for (size_t k = 0; k < r->n; k++) {
			if (auth_hash_equal(r->sent[k], who.hash))
				seen[k] = true;
		}
	}
	for (size_t k = 0; k < r->n; k++) {
		if (!seen[k])
			auth_cache_forget(r->cache, r->sent[k]);
	}
	log_debug("re-checked %zu credentials: %d valid", r->n, PQntuples(res));
	free(seen);
}

static void
auth_refresh_tick(evutil_socket_t fd, short what, void *arg)
{
	struct auth_refresh *r = arg;
	size_t cap = AUTH_REFRESH_MAX * (2 * AUTH_HASH_BYTES + 1) + 1, len = 0;
	char *list;
	const char *values[1];

	(void)fd;
	(void)what;
	if (r->busy || !pg_async_is_up(r->pg))
		return;
	r->n = auth_cache_take_used(r->cache, r->sent, AUTH_REFRESH_MAX);
	if (r->n == 0)
		return;
	list = xmalloc(cap);
	list[0] = '\0';
	for (size_t i = 0; i < r->n; i++)
		auth_refresh_hex(r->sent[i], list, cap, &len);
	values[0] = list;
	if (pg_async_query(r->pg, AUTH_REFRESH_CHECK_SQL, 1, values, auth_refresh_done, r) == 0)
		r->busy = true;
	free(list);
}

struct auth_refresh *
auth_refresh_new(struct event_base *base, struct pg_async *pg, struct auth_cache *cache,
		 int interval_s)
{
	struct auth_refresh *r = xcalloc(1, sizeof(*r));
	struct timeval tv = {interval_s > 0 ? interval_s : 1, 0};

	r->pg = pg;
	r->cache = cache;
	r->sent = xcalloc(AUTH_REFRESH_MAX, sizeof(*r->sent));
	r->fail_limit = (struct log_limit)LOG_LIMIT_INIT(20);
	r->timer = event_new(base, -1, EV_PERSIST, auth_refresh_tick, r);
	event_add(r->timer, &tv);
	return r;
}

void
auth_refresh_free(struct auth_refresh *r)
{
	if (r == NULL)
		return;
	event_free(r->timer);
	free(r->sent);
	free(r);
}
