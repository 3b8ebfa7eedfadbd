/*
 * Credentials without I/O: random session and API tokens, their SHA-256 (what the database and
 * the session cache keep), the session cookie and the Bearer header, the Origin check of
 * state-changing requests, generated passwords and constant-time comparison. Any thread.
 */
#ifndef PERFWATCH_APISERVER_AUTH_H
#define PERFWATCH_APISERVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/compat.h"

/* A token is 32 random bytes, written as 64 lower-case hex digits. */
#define AUTH_TOKEN_BYTES 32
#define AUTH_TOKEN_LEN	 (AUTH_TOKEN_BYTES * 2)
#define AUTH_HASH_BYTES	 32
/* The hash as a PostgreSQL bytea literal: "\x" and 64 hex digits. */
#define AUTH_HASH_BYTEA_LEN (2 + AUTH_HASH_BYTES * 2)
#define AUTH_COOKIE	    "perfwatch_session"
/* User names: 1-64 of [A-Za-z0-9_.@-], not starting with a punctuation mark (migration 005). */
#define AUTH_NAME_MAX 64
/* bcrypt reads at most 72 bytes: longer passwords would be silently cut, so they are refused. */
#define AUTH_PASSWORD_MIN 10
#define AUTH_PASSWORD_MAX 72

/* Fills out (AUTH_TOKEN_LEN + 1 bytes) with a new random token; returns 0 or -1 (logged). */
MUST_CHECK int auth_token_new(char *out);
/*
 * Checks that `token` is AUTH_TOKEN_LEN hex digits and writes the SHA-256 of its bytes to
 * hash; returns 0, or -1 when it is malformed (nothing logged: clients send anything).
 */
MUST_CHECK int auth_token_hash(const char *token, size_t len, uint8_t hash[AUTH_HASH_BYTES]);
/* Writes hash as a bytea literal "\x…" (AUTH_HASH_BYTEA_LEN + 1 bytes) into out. */
void auth_hash_bytea(const uint8_t hash[AUTH_HASH_BYTES], char *out);
/* Parses a bytea literal "\x…" of AUTH_HASH_BYTES bytes into hash; returns 0 or -1. */
MUST_CHECK int auth_hash_parse_bytea(const char *text, uint8_t hash[AUTH_HASH_BYTES]);
/* Returns true when a and b (AUTH_HASH_BYTES each) are equal, in time independent of them. */
bool auth_hash_equal(const uint8_t *a, const uint8_t *b);
/*
 * Finds the session cookie's value in a Cookie header (NULL allowed); returns a pointer into
 * `header` and its length in *len, or NULL when there is none.
 */
const char *auth_cookie_value(const char *header, size_t *len);
/* Finds the token of an "Authorization: Bearer <token>" header; as auth_cookie_value(). */
const char *auth_bearer_value(const char *header, size_t *len);
/*
 * Returns true when a request's Origin names the authority it was sent to (its Host header):
 * same host and port, any scheme (a TLS proxy may sit in front). A missing Origin is false.
 */
bool auth_origin_same(const char *origin, const char *host);
/* Returns true when `name` is a valid user name. */
bool auth_name_ok(const char *name);
/* Returns true when `pw` has AUTH_PASSWORD_MIN..AUTH_PASSWORD_MAX bytes and no control byte. */
bool auth_password_ok(const char *pw);
/* Fills out with a random password of len - 1 letters and digits; returns 0 or -1 (logged). */
MUST_CHECK int auth_password_new(char *out, size_t len);

#endif
