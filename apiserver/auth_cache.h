/*
 * The verified-credential cache, the second place where the main and WebSocket threads meet
 * (docs/security.md): the main thread puts what the database confirmed and, every
 * AUTH_CACHE_REFRESH_S, replaces the whole content with the database's live credentials; the
 * lws thread only looks up. One mutex guards it.
 */
#ifndef PERFWATCH_APISERVER_AUTH_CACHE_H
#define PERFWATCH_APISERVER_AUTH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apiserver/auth.h"
#include "common/compat.h"

/* How often the main thread re-checks the used entries against the database. */
#define AUTH_CACHE_REFRESH_S 30

enum auth_kind {
	AUTH_KIND_SESSION, /* a browser session (cookie) */
	AUTH_KIND_TOKEN,   /* an API token (Authorization: Bearer) */
};

/* Who a credential belongs to, as the database said. */
struct auth_who {
	uint8_t hash[AUTH_HASH_BYTES];
	enum auth_kind kind;
	int user_id;
	int token_id; /* API tokens only; -1 for sessions */
	bool admin;
	char user[AUTH_NAME_MAX + 1];
	int64_t valid_until_ms; /* epoch ms; INT64_MAX for a token without expiry */
};

struct auth_cache;

/* A cache of at most `capacity` credentials. Free with auth_cache_free(). Main thread. */
struct auth_cache *auth_cache_new(size_t capacity);
/* Frees the cache; no other thread may use it any more. NULL is a no-op. Main thread. */
void auth_cache_free(struct auth_cache *c);
/*
 * Stores (or updates) who, used at now_ms; when full, the least recently used entry goes.
 * Main thread.
 */
void auth_cache_put(struct auth_cache *c, const struct auth_who *who, int64_t now_ms);
/*
 * Looks up a hash: true with *out filled (out may be NULL) when it is cached and still valid
 * at now_ms, and marks it used; false otherwise (an expired entry is dropped). Any thread.
 */
bool auth_cache_get(struct auth_cache *c, const uint8_t hash[AUTH_HASH_BYTES], int64_t now_ms,
		    struct auth_who *out);
/*
 * Drops the entry for hash, if any (logout, revocation at now_ms), and remembers that for a
 * while, so that a refresh round that started earlier cannot bring it back. Main thread.
 */
void auth_cache_forget(struct auth_cache *c, const uint8_t hash[AUTH_HASH_BYTES], int64_t now_ms);
/*
 * For the periodic re-check: copies up to `max` hashes used since the previous call into out,
 * and when used_ms is not NULL the time of each one's last use (epoch ms) into used_ms, and
 * clears their used mark. Returns the number copied. Main thread.
 */
size_t auth_cache_take_used(struct auth_cache *c, uint8_t (*out)[AUTH_HASH_BYTES], int64_t *used_ms,
			    size_t max);
/*
 * Replaces the content with the n credentials in `live` (the first `capacity` of them), keeping
 * the entries put at or after since_ms (they may be newer than the database's answer) and the
 * used marks of entries that stay, and leaving out those forgotten at or after since_ms. Main
 * thread.
 */
void auth_cache_replace(struct auth_cache *c, const struct auth_who *live, size_t n,
			int64_t since_ms);
/*
 * Returns true once auth_cache_replace() has run: the WebSocket thread, which cannot ask the
 * database, knows every live credential from then on. Main thread.
 */
bool auth_cache_mirrored(const struct auth_cache *c);
/* Returns the number of entries (for tests and logs). Any thread. */
size_t auth_cache_count(struct auth_cache *c);

#endif
