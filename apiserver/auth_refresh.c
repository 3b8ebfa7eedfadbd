/*
 * The periodic re-check of used credentials (auth_refresh.h). One query in flight at a time;
 * a round whose query fails keeps the cache as it was until the next round. Runs on: main
 * thread.
 */
#include "apiserver/auth_refresh.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/xalloc.h"

#define LOG_TAG "auth_refresh"

/*
 * $1: hex hashes used since the last round; $2: the epoch ms of each one's last use (the idle
 * time counts from there, not from this round); $3: the cache's capacity.
 */
#define AUTH_REFRESH_SQL                                                                           \
	"SELECT token_hash, kind, token_id, user_id, user_name, is_admin, valid_until_ms "         \
	"FROM perfwatch_auth.refresh(ARRAY(SELECT decode(h, 'hex') "                               \
	"FROM unnest(string_to_array($1, ',')) AS h), string_to_array($2, ',')::bigint[], "        \
	"$3::integer)"

struct auth_refresh {
	struct event *timer;
	struct pg_async *pg;
	struct auth_cache *cache;
	bool busy;	    /* a round is in flight */
	int64_t started_ms; /* when it started */
	size_t n, n_max;    /* hashes sent in it; most kept */
	uint8_t (*sent)[AUTH_HASH_BYTES];
	int64_t *sent_ms; /* the last use of each */
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
	struct auth_who *live;
	size_t n = 0;

	r->busy = false;
	if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_limited(&r->fail_limit, LOG_LEVEL_WARN, "credential refresh failed: %.*s",
			    res ? (int)strcspn(PQresultErrorMessage(res), "\n") : 13,
			    res ? PQresultErrorMessage(res) : "no connection");
		return;
	}
	live = xcalloc((size_t)PQntuples(res) + 1, sizeof(*live));
	for (int i = 0; i < PQntuples(res); i++) {
		if (auth_refresh_row(res, i, &live[n]) == 0)
			n++;
	}
	auth_cache_replace(r->cache, live, n, r->started_ms);
	log_debug("refreshed: %zu used, %zu live credentials", r->n, n);
	OPENSSL_cleanse(live, ((size_t)PQntuples(res) + 1) * sizeof(*live));
	free(live);
}

void
auth_refresh_now(struct auth_refresh *r)
{
	size_t cap = r->n_max * (2 * AUTH_HASH_BYTES + 1) + 1, len = 0;
	size_t cap_ms = r->n_max * 21 + 1, len_ms = 0;
	char limit[24], *list, *list_ms;
	const char *values[3];

	if (r->busy || !pg_async_is_up(r->pg))
		return;
	r->started_ms = clock_wall_ms();
	r->n = auth_cache_take_used(r->cache, r->sent, r->sent_ms, r->n_max);
	list = xmalloc(cap);
	list[0] = '\0';
	list_ms = xmalloc(cap_ms);
	list_ms[0] = '\0';
	for (size_t i = 0; i < r->n; i++) {
		auth_refresh_hex(r->sent[i], list, cap, &len);
		len_ms += (size_t)snprintf(list_ms + len_ms, cap_ms - len_ms, "%s%lld",
					   i > 0 ? "," : "", (long long)r->sent_ms[i]);
	}
	snprintf(limit, sizeof(limit), "%zu", r->n_max);
	values[0] = list;
	values[1] = list_ms;
	values[2] = limit;
	if (pg_async_query(r->pg, AUTH_REFRESH_SQL, 3, values, auth_refresh_done, r) == 0)
		r->busy = true;
	free(list);
	free(list_ms);
}

static void
auth_refresh_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	auth_refresh_now(arg);
}

struct auth_refresh *
auth_refresh_new(struct event_base *base, struct pg_async *pg, struct auth_cache *cache,
		 size_t capacity, int interval_s)
{
	struct auth_refresh *r = xcalloc(1, sizeof(*r));
	struct timeval tv = {interval_s > 0 ? interval_s : 1, 0};

	r->pg = pg;
	r->cache = cache;
	r->n_max = capacity > 0 ? capacity : 1;
	r->sent = xcalloc(r->n_max, sizeof(*r->sent));
	r->sent_ms = xcalloc(r->n_max, sizeof(*r->sent_ms));
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
	free(r->sent_ms);
	free(r);
}
