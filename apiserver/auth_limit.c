/*
 * Login throttling: a fixed array of keys, each with its count of attempts since the last
 * success and the time before which it must wait. Runs on: main thread.
 */
#include "apiserver/auth_limit.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct auth_limit_entry {
	char key[AUTH_LIMIT_KEY_MAX + 1];
	int attempts;
	int64_t last_ms;
	int64_t next_ms; /* may not try before */
};

struct auth_limit {
	size_t capacity, n;
	int free;
	int64_t base_ms, max_ms;
	struct auth_limit_entry *entries;
};

struct auth_limit *
auth_limit_new(size_t capacity, int free, int64_t base_ms, int64_t max_ms)
{
	struct auth_limit *l = xcalloc(1, sizeof(*l));

	l->capacity = capacity > 0 ? capacity : 1;
	l->free = free;
	l->base_ms = base_ms;
	l->max_ms = max_ms;
	l->entries = xcalloc(l->capacity, sizeof(*l->entries));
	return l;
}

void
auth_limit_free(struct auth_limit *l)
{
	if (l == NULL)
		return;
	free(l->entries);
	free(l);
}

static bool
auth_limit_key_is(const struct auth_limit_entry *e, const char *key)
{
	return strncmp(e->key, key, AUTH_LIMIT_KEY_MAX) == 0;
}

static struct auth_limit_entry *
auth_limit_find(struct auth_limit *l, const char *key, int64_t now_ms)
{
	for (size_t i = 0; i < l->n; i++) {
		struct auth_limit_entry *e = &l->entries[i];

		if (!auth_limit_key_is(e, key))
			continue;
		if (now_ms - e->last_ms >= AUTH_LIMIT_FORGET_MS && now_ms >= e->next_ms) {
			*e = l->entries[--l->n];
			return NULL;
		}
		return e;
	}
	return NULL;
}

int64_t
auth_limit_wait(struct auth_limit *l, const char *key, int64_t now_ms)
{
	struct auth_limit_entry *e = auth_limit_find(l, key, now_ms);

	return e != NULL && e->next_ms > now_ms ? e->next_ms - now_ms : 0;
}

static struct auth_limit_entry *
auth_limit_slot(struct auth_limit *l)
{
	struct auth_limit_entry *e;

	if (l->n < l->capacity)
		return &l->entries[l->n++];
	e = &l->entries[0];
	for (size_t i = 1; i < l->n; i++) {
		if (l->entries[i].last_ms < e->last_ms)
			e = &l->entries[i];
	}
	return e;
}

void
auth_limit_count(struct auth_limit *l, const char *key, int64_t now_ms)
{
	struct auth_limit_entry *e = auth_limit_find(l, key, now_ms);
	int64_t wait;
	int over;

	if (e == NULL) {
		e = auth_limit_slot(l);
		memset(e, 0, sizeof(*e));
		strncpy(e->key, key, AUTH_LIMIT_KEY_MAX);
	}
	e->attempts++;
	e->last_ms = now_ms;
	/* The attempt that uses up the free ones already sets the first wait. */
	over = e->attempts - l->free + 1;
	if (over <= 0)
		return;
	wait = l->base_ms;
	for (int i = 1; i < over && wait < l->max_ms; i++)
		wait *= 2;
	e->next_ms = now_ms + (wait < l->max_ms ? wait : l->max_ms);
}

void
auth_limit_clear(struct auth_limit *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++) {
		if (auth_limit_key_is(&l->entries[i], key)) {
			l->entries[i] = l->entries[--l->n];
			return;
		}
	}
}
