/*
 * The verified-credential cache: a fixed array searched linearly with a constant-time compare
 * (a few thousand entries at most, and a lookup never reveals how much of a hash matched).
 * Every field of struct auth_cache after `lock` is guarded by it.
 */
#include "apiserver/auth_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct auth_cache_entry {
	struct auth_who who;
	bool used;	     /* looked up since the last auth_cache_take_used() */
	int64_t last_use_ms; /* for eviction when full */
};

struct auth_cache {
	pthread_mutex_t lock;
	size_t capacity;
	size_t n;			  /* lock */
	struct auth_cache_entry *entries; /* lock; [0, n) are in use */
};

/* Runs on: main thread. */
struct auth_cache *
auth_cache_new(size_t capacity)
{
	struct auth_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	c->capacity = capacity > 0 ? capacity : 1;
	c->entries = xcalloc(c->capacity, sizeof(*c->entries));
	return c;
}

/* Runs on: main thread. */
void
auth_cache_free(struct auth_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c->entries);
	free(c);
}

/* Caller holds the lock. Visits every entry, so the time does not depend on where it is. */
static struct auth_cache_entry *
auth_cache_find(struct auth_cache *c, const uint8_t hash[AUTH_HASH_BYTES])
{
	struct auth_cache_entry *found = NULL;

	for (size_t i = 0; i < c->n; i++) {
		if (auth_hash_equal(c->entries[i].who.hash, hash))
			found = &c->entries[i];
	}
	return found;
}

/* Caller holds the lock. */
static void
auth_cache_remove(struct auth_cache *c, struct auth_cache_entry *e)
{
	*e = c->entries[--c->n];
	memset(&c->entries[c->n], 0, sizeof(c->entries[c->n]));
}

/* Runs on: main thread. */
void
auth_cache_put(struct auth_cache *c, const struct auth_who *who, int64_t now_ms)
{
	struct auth_cache_entry *e;

	pthread_mutex_lock(&c->lock);
	e = auth_cache_find(c, who->hash);
	if (e == NULL && c->n < c->capacity) {
		e = &c->entries[c->n++];
	} else if (e == NULL) {
		e = &c->entries[0];
		for (size_t i = 1; i < c->n; i++) {
			if (c->entries[i].last_use_ms < e->last_use_ms)
				e = &c->entries[i];
		}
	}
	e->who = *who;
	e->used = true;
	e->last_use_ms = now_ms;
	pthread_mutex_unlock(&c->lock);
}

/* Runs on: any thread. */
bool
auth_cache_get(struct auth_cache *c, const uint8_t hash[AUTH_HASH_BYTES], int64_t now_ms,
	       struct auth_who *out)
{
	struct auth_cache_entry *e;
	bool ok = false;

	pthread_mutex_lock(&c->lock);
	e = auth_cache_find(c, hash);
	if (e != NULL && e->who.valid_until_ms <= now_ms) {
		auth_cache_remove(c, e);
	} else if (e != NULL) {
		e->used = true;
		e->last_use_ms = now_ms;
		if (out != NULL)
			*out = e->who;
		ok = true;
	}
	pthread_mutex_unlock(&c->lock);
	return ok;
}

/* Runs on: main thread. */
void
auth_cache_forget(struct auth_cache *c, const uint8_t hash[AUTH_HASH_BYTES])
{
	struct auth_cache_entry *e;

	pthread_mutex_lock(&c->lock);
	e = auth_cache_find(c, hash);
	if (e != NULL)
		auth_cache_remove(c, e);
	pthread_mutex_unlock(&c->lock);
}

/* Runs on: main thread. */
size_t
auth_cache_take_used(struct auth_cache *c, uint8_t (*out)[AUTH_HASH_BYTES], size_t max)
{
	size_t n = 0, i = 0;

	pthread_mutex_lock(&c->lock);
	while (i < c->n) {
		struct auth_cache_entry *e = &c->entries[i];

		if (!e->used || n == max) {
			auth_cache_remove(c, e);
			continue;
		}
		memcpy(out[n++], e->who.hash, AUTH_HASH_BYTES);
		e->used = false;
		i++;
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* Runs on: any thread. */
size_t
auth_cache_count(struct auth_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->n;
	pthread_mutex_unlock(&c->lock);
	return n;
}
