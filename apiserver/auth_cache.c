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
	int64_t put_ms;	     /* when the main thread last stored it */
};

/* Credentials forgotten lately: a refresh round's answer may predate the forgetting. */
#define AUTH_CACHE_FORGOTTEN 64

struct auth_cache_forgotten {
	uint8_t hash[AUTH_HASH_BYTES];
	int64_t at_ms;
};

struct auth_cache {
	pthread_mutex_t lock;
	size_t capacity;
	size_t n;						     /* lock */
	struct auth_cache_entry *entries;			     /* lock; [0, n) are in use */
	struct auth_cache_forgotten forgotten[AUTH_CACHE_FORGOTTEN]; /* main thread only */
	size_t nforgotten;					     /* main thread only */
	bool mirrored; /* main thread only: replaced from the database at least once */
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
	e->put_ms = now_ms;
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
auth_cache_forget(struct auth_cache *c, const uint8_t hash[AUTH_HASH_BYTES], int64_t now_ms)
{
	struct auth_cache_forgotten *f = &c->forgotten[c->nforgotten++ % AUTH_CACHE_FORGOTTEN];
	struct auth_cache_entry *e;

	memcpy(f->hash, hash, AUTH_HASH_BYTES);
	f->at_ms = now_ms;
	pthread_mutex_lock(&c->lock);
	e = auth_cache_find(c, hash);
	if (e != NULL)
		auth_cache_remove(c, e);
	pthread_mutex_unlock(&c->lock);
}

/* Runs on: main thread. */
size_t
auth_cache_take_used(struct auth_cache *c, uint8_t (*out)[AUTH_HASH_BYTES], int64_t *used_ms,
		     size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n && n < max; i++) {
		struct auth_cache_entry *e = &c->entries[i];

		if (!e->used)
			continue;
		if (used_ms != NULL)
			used_ms[n] = e->last_use_ms;
		memcpy(out[n++], e->who.hash, AUTH_HASH_BYTES);
		e->used = false;
	}
	pthread_mutex_unlock(&c->lock);
	return n;
}

/* Runs on: main thread. Was hash forgotten at or after since_ms? */
static bool
auth_cache_forgotten_since(const struct auth_cache *c, const uint8_t *hash, int64_t since_ms)
{
	size_t n = c->nforgotten < AUTH_CACHE_FORGOTTEN ? c->nforgotten : AUTH_CACHE_FORGOTTEN;
	bool found = false;

	for (size_t i = 0; i < n; i++)
		found |= c->forgotten[i].at_ms >= since_ms &&
			 auth_hash_equal(c->forgotten[i].hash, hash);
	return found;
}

/* Runs on: main thread. */
void
auth_cache_replace(struct auth_cache *c, const struct auth_who *live, size_t n, int64_t since_ms)
{
	struct auth_cache_entry *next = xcalloc(c->capacity, sizeof(*next)), *old;
	size_t k = 0;

	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->n && k < c->capacity; i++) {
		if (c->entries[i].put_ms >= since_ms)
			next[k++] = c->entries[i];
	}
	for (size_t i = 0; i < n && k < c->capacity; i++) {
		bool fresh = false;

		for (size_t j = 0; j < k; j++)
			fresh |= auth_hash_equal(next[j].who.hash, live[i].hash);
		if (fresh || auth_cache_forgotten_since(c, live[i].hash, since_ms))
			continue;
		next[k].who = live[i];
		old = auth_cache_find(c, live[i].hash);
		next[k].used = old != NULL && old->used;
		next[k].last_use_ms = old != NULL ? old->last_use_ms : since_ms;
		next[k].put_ms = old != NULL ? old->put_ms : 0;
		k++;
	}
	old = c->entries;
	c->entries = next;
	c->n = k;
	pthread_mutex_unlock(&c->lock);
	c->mirrored = true;
	free(old);
}

/* Runs on: main thread. */
bool
auth_cache_mirrored(const struct auth_cache *c)
{
	return c->mirrored;
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
