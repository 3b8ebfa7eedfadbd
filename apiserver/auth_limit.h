/*
 * Login throttling with exponential back-off, per key (a client address or a user name): the
 * first `free` attempts in a row go through, then each needs a wait that doubles, up to a
 * ceiling. Every attempt counts when it starts (parallel guesses cannot slip through); a
 * successful login clears its keys. Pure; main thread only.
 */
#ifndef PERFWATCH_APISERVER_AUTH_LIMIT_H
#define PERFWATCH_APISERVER_AUTH_LIMIT_H

#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"

/* Longest key kept (longer keys are cut; user names are at most 64 bytes). */
#define AUTH_LIMIT_KEY_MAX 80
/* A key without an attempt for this long starts over. */
#define AUTH_LIMIT_FORGET_MS (3600LL * 1000)

struct auth_limit;

/*
 * Tracks at most `capacity` keys (when full, the one idle longest is forgotten), letting `free`
 * attempts through before waits of base_ms, 2 base_ms, … up to max_ms. Free with
 * auth_limit_free().
 */
struct auth_limit *auth_limit_new(size_t capacity, int free, int64_t base_ms, int64_t max_ms);
/* NULL is a no-op. */
void auth_limit_free(struct auth_limit *l);
/* Returns how many ms `key` must still wait at now_ms (0: it may try now). */
int64_t auth_limit_wait(struct auth_limit *l, const char *key, int64_t now_ms);
/* Counts an attempt of `key` at now_ms and sets its next wait. */
void auth_limit_count(struct auth_limit *l, const char *key, int64_t now_ms);
/* Forgets `key` (its login succeeded). */
void auth_limit_clear(struct auth_limit *l, const char *key);

#endif
