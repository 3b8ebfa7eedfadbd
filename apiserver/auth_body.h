/*
 * Parses the JSON bodies of the auth routes (POST /api/v1/auth/login, …/tokens/create,
 * …/tokens/revoke): exact keys, bounded values, duplicate keys refused. Pure; any thread.
 */
#ifndef PERFWATCH_APISERVER_AUTH_BODY_H
#define PERFWATCH_APISERVER_AUTH_BODY_H

#include <stddef.h>

#include "apiserver/auth.h"
#include "common/compat.h"

#define AUTH_BODY_TOKEN_NAME_MAX 64
/* Longest API token lifetime a client may ask for. */
#define AUTH_BODY_TTL_DAYS_MAX 3650

/* {"user": "...", "password": "..."} */
struct auth_body_login {
	char user[AUTH_NAME_MAX + 1];
	char password[AUTH_PASSWORD_MAX + 1];
};

/* {"name": "...", "ttl_days": N or null (no expiry); ttl_days optional} */
struct auth_body_token {
	char name[AUTH_BODY_TOKEN_NAME_MAX + 1];
	int ttl_days; /* 0: no expiry */
};

/*
 * Each parses `len` bytes of `body` (not NUL-terminated); returns 0 and fills out, or -1 with a
 * sentence for the client in err. A login body whose user name or password is malformed is
 * still an error here, so that such requests never reach the database.
 */
MUST_CHECK int auth_body_login(const char *body, size_t len, struct auth_body_login *out, char *err,
			       size_t errlen);
MUST_CHECK int auth_body_token(const char *body, size_t len, struct auth_body_token *out, char *err,
			       size_t errlen);
/* {"id": N}, N a positive integer. */
MUST_CHECK int auth_body_revoke(const char *body, size_t len, int *id, char *err, size_t errlen);
/* Returns true when `name` is a valid API token name (migration 005's check). */
bool auth_body_token_name_ok(const char *name);

#endif
