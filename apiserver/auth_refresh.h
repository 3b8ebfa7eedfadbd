/*
 * Keeps the credential cache a mirror of the database: every interval (and as soon as the
 * connection is up), the credentials used since the last round are marked used in the database
 * (extending the sessions' idle time) and the cache is replaced by every live session and
 * token, so revoked, expired and deleted ones go and ones made elsewhere (another server, the
 * command line) come. Also the SQL and the row parser every credential check shares. Runs on:
 * main thread.
 */
#ifndef PERFWATCH_APISERVER_AUTH_REFRESH_H
#define PERFWATCH_APISERVER_AUTH_REFRESH_H

#include <event2/event.h>
#include <libpq-fe.h>

#include "apiserver/auth_cache.h"
#include "apiserver/pg_async.h"
#include "common/compat.h"

/* $1: comma-separated hex SHA-256 hashes. Rows: what perfwatch_auth.check() returns. */
#define AUTH_REFRESH_CHECK_SQL                                                                     \
	"SELECT token_hash, kind, token_id, user_id, user_name, is_admin, valid_until_ms "         \
	"FROM perfwatch_auth.check(ARRAY(SELECT decode(h, 'hex') "                                 \
	"FROM unnest(string_to_array($1, ',')) AS h))"

struct auth_refresh;

/*
 * Refreshes `cache` (borrowed, of `capacity` entries) through `pg` (borrowed) every interval_s
 * seconds. Free with auth_refresh_free() after pg_async_free(pg).
 */
struct auth_refresh *auth_refresh_new(struct event_base *base, struct pg_async *pg,
				      struct auth_cache *cache, size_t capacity, int interval_s);
/* Starts a round now (the query connection just came up). */
void auth_refresh_now(struct auth_refresh *r);
/* Stops the timer. NULL is a no-op. */
void auth_refresh_free(struct auth_refresh *r);
/* Parses row `row` of an AUTH_REFRESH_CHECK_SQL result into out; returns 0 or -1 (logged). */
MUST_CHECK int auth_refresh_row(const PGresult *res, int row, struct auth_who *out);
/* Appends hash as hex (and a comma before it unless *len is 0) to buf of size cap. */
void auth_refresh_hex(const uint8_t hash[AUTH_HASH_BYTES], char *buf, size_t cap, size_t *len);

#endif
