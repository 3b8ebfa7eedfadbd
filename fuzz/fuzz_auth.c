/*
 * Everything of a request the access check reads before any credential is verified: the first
 * byte picks the login, token or revoke JSON body, the Cookie or Authorization header, the
 * Origin check (HTTP and WebSocket: "origin\nhost") or a token's hash.
 */
#include "apiserver/auth.h"
#include "apiserver/auth_body.h"
#include "apiserver/ws.h"
#include "fuzz/fuzz.h"

static void
fuzz_auth_headers(unsigned sel, char *text)
{
	uint8_t hash[AUTH_HASH_BYTES];
	const char *v;
	char *host;
	size_t len = 0;

	if (sel == 3) {
		v = auth_cookie_value(text, &len);
		if (v != NULL)
			(void)auth_token_hash(v, len, hash);
	} else if (sel == 4) {
		v = auth_bearer_value(text, &len);
		if (v != NULL)
			(void)auth_token_hash(v, len, hash);
	} else if (sel == 5) {
		host = strchr(text, '\n');
		if (host != NULL)
			*host++ = '\0';
		(void)auth_origin_same(text, host);
		(void)ws_origin_ok(text, host);
	} else {
		(void)auth_token_hash(text, strlen(text), hash);
		(void)auth_hash_parse_bytea(text, hash);
		(void)auth_name_ok(text);
		(void)auth_password_ok(text);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_body_login login;
	struct auth_body_token token;
	char err[256], *text;
	unsigned sel;
	int id;

	if (size < 1)
		return 0;
	sel = data[0] % 7;
	/* Bodies are parsed from evhttp's buffer, which is not NUL-terminated. */
	if (sel == 0) {
		(void)auth_body_login((const char *)data + 1, size - 1, &login, err, sizeof(err));
	} else if (sel == 1) {
		(void)auth_body_token((const char *)data + 1, size - 1, &token, err, sizeof(err));
	} else if (sel == 2) {
		(void)auth_body_revoke((const char *)data + 1, size - 1, &id, err, sizeof(err));
	} else {
		text = fuzz_text(data + 1, size - 1);
		fuzz_auth_headers(sel, text);
		free(text);
	}
	return 0;
}
