/*
 * Credentials without I/O: tokens from getrandom(), SHA-256 and constant-time comparison from
 * OpenSSL's libcrypto, and strict parsers for the cookie, Bearer and Origin headers.
 */
#include "apiserver/auth.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/log.h"

#define LOG_TAG "auth"

static const char auth_hex[] = "0123456789abcdef";

static int
auth_random(void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = getrandom((char *)buf + done, len - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error("getrandom: %s", strerror(errno));
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

static void
auth_hex_encode(const uint8_t *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = auth_hex[in[i] >> 4];
		out[2 * i + 1] = auth_hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int
auth_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
auth_hex_decode(const char *in, size_t nbytes, uint8_t *out)
{
	for (size_t i = 0; i < nbytes; i++) {
		int hi = auth_hex_digit(in[2 * i]), lo = auth_hex_digit(in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int
auth_token_new(char *out)
{
	uint8_t raw[AUTH_TOKEN_BYTES];

	if (auth_random(raw, sizeof(raw)) != 0)
		return -1;
	auth_hex_encode(raw, sizeof(raw), out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int
auth_token_hash(const char *token, size_t len, uint8_t hash[AUTH_HASH_BYTES])
{
	uint8_t raw[AUTH_TOKEN_BYTES];
	unsigned int n = 0;
	int rc = -1;

	if (len != AUTH_TOKEN_LEN || auth_hex_decode(token, sizeof(raw), raw) != 0)
		return -1;
	if (EVP_Digest(raw, sizeof(raw), hash, &n, EVP_sha256(), NULL) == 1 && n == AUTH_HASH_BYTES)
		rc = 0;
	else
		log_error("SHA-256 failed");
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

void
auth_hash_bytea(const uint8_t hash[AUTH_HASH_BYTES], char *out)
{
	out[0] = '\\';
	out[1] = 'x';
	auth_hex_encode(hash, AUTH_HASH_BYTES, out + 2);
}

int
auth_hash_parse_bytea(const char *text, uint8_t hash[AUTH_HASH_BYTES])
{
	if (strlen(text) != AUTH_HASH_BYTEA_LEN || text[0] != '\\' || text[1] != 'x')
		return -1;
	return auth_hex_decode(text + 2, AUTH_HASH_BYTES, hash);
}

bool
auth_hash_equal(const uint8_t *a, const uint8_t *b)
{
	return CRYPTO_memcmp(a, b, AUTH_HASH_BYTES) == 0;
}

const char *
auth_cookie_value(const char *header, size_t *len)
{
	static const size_t namelen = sizeof(AUTH_COOKIE) - 1;
	const char *p = header;

	/* Cookie: a=1; perfwatch_session=…; b=2 (RFC 6265 5.4: "; " separated pairs). */
	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t;");
		if (strncmp(p, AUTH_COOKIE, namelen) == 0 && p[namelen] == '=') {
			p += namelen + 1;
			*len = strcspn(p, "; \t");
			return p;
		}
		p = strchr(p, ';');
	}
	return NULL;
}

const char *
auth_bearer_value(const char *header, size_t *len)
{
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0)
		return NULL;
	header += 7;
	header += strspn(header, " ");
	*len = strcspn(header, " \t");
	if (header[*len] != '\0' || *len == 0)
		return NULL;
	return header;
}

bool
auth_origin_same(const char *origin, const char *host)
{
	const char *sep, *auth;
	size_t n;

	if (origin == NULL || host == NULL || host[0] == '\0')
		return false;
	sep = strstr(origin, "://");
	if (sep == NULL)
		return false;
	auth = sep + 3;
	/* An origin is scheme://host[:port] with nothing after: no path, user or query. */
	n = strcspn(auth, "/?#@");
	if (auth[n] != '\0' || n == 0)
		return false;
	return strlen(host) == n && strncasecmp(auth, host, n) == 0;
}

bool
auth_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > AUTH_NAME_MAX || strchr("_.@-", name[0]) != NULL)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.@-") ==
	       n;
}

bool
auth_password_ok(const char *pw)
{
	size_t n = strlen(pw);

	if (n < AUTH_PASSWORD_MIN || n > AUTH_PASSWORD_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f)
			return false;
	}
	return true;
}

int
auth_password_new(char *out, size_t len)
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	const unsigned nalpha = sizeof(alphabet) - 1;
	size_t i = 0;
	uint8_t b;

	/* Rejection sampling: only bytes below the largest multiple of nalpha, so no bias. */
	while (i + 1 < len) {
		if (auth_random(&b, 1) != 0)
			return -1;
		if (b >= 256 - 256 % nalpha)
			continue;
		out[i++] = alphabet[b % nalpha];
	}
	out[i] = '\0';
	return 0;
}
