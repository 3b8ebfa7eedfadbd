/* Auth request bodies: jansson with duplicate keys refused, then exact shapes and bounds. */
#include "apiserver/auth_body.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

static json_t *
auth_body_load(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	if (body == NULL || len == 0) {
		snprintf(err, errlen, "a JSON object body is required");
		return NULL;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "body is not valid JSON: %s", jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "body must be a JSON object");
		json_decref(root);
		return NULL;
	}
	return root;
}

/* Copies a string member without NUL bytes of at most max bytes into out. */
static int
auth_body_string(json_t *v, const char *key, char *out, size_t max, char *err, size_t errlen)
{
	const char *s;
	size_t n;

	if (!json_is_string(v)) {
		snprintf(err, errlen, "%s must be a string", key);
		return -1;
	}
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > max || strlen(s) != n) {
		snprintf(err, errlen, "%s is too long or holds a NUL byte", key);
		return -1;
	}
	memcpy(out, s, n + 1);
	return 0;
}

/* Fails on any key not in `allowed` (NULL-terminated). */
static int
auth_body_keys(json_t *root, const char *const *allowed, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach(root, key, v)
	{
		size_t i = 0;

		while (allowed[i] != NULL && strcmp(allowed[i], key) != 0)
			i++;
		if (allowed[i] == NULL) {
			snprintf(err, errlen, "unknown key '%.40s'", key);
			return -1;
		}
	}
	return 0;
}

int
auth_body_login(const char *body, size_t len, struct auth_body_login *out, char *err, size_t errlen)
{
	static const char *const keys[] = {"user", "password", NULL};
	json_t *root = auth_body_load(body, len, err, errlen);
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		return -1;
	if (auth_body_keys(root, keys, err, errlen) != 0 ||
	    auth_body_string(json_object_get(root, "user"), "user", out->user, AUTH_NAME_MAX, err,
			     errlen) != 0 ||
	    auth_body_string(json_object_get(root, "password"), "password", out->password,
			     AUTH_PASSWORD_MAX, err, errlen) != 0)
		goto out;
	if (!auth_name_ok(out->user)) {
		snprintf(err, errlen, "user: 1 to %d letters, digits or _.@-", AUTH_NAME_MAX);
		goto out;
	}
	if (out->password[0] == '\0') {
		snprintf(err, errlen, "password must not be empty");
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

bool
auth_body_token_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > AUTH_BODY_TOKEN_NAME_MAX || strchr(" _.:@-", name[0]) != NULL)
		return false;
	return strspn(name,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _.:@-") == n;
}

int
auth_body_token(const char *body, size_t len, struct auth_body_token *out, char *err, size_t errlen)
{
	static const char *const keys[] = {"name", "ttl_days", NULL};
	json_t *root = auth_body_load(body, len, err, errlen), *ttl;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (root == NULL)
		return -1;
	if (auth_body_keys(root, keys, err, errlen) != 0 ||
	    auth_body_string(json_object_get(root, "name"), "name", out->name,
			     AUTH_BODY_TOKEN_NAME_MAX, err, errlen) != 0)
		goto out;
	if (!auth_body_token_name_ok(out->name)) {
		snprintf(err, errlen, "name: 1 to %d letters, digits, spaces or _.:@-",
			 AUTH_BODY_TOKEN_NAME_MAX);
		goto out;
	}
	ttl = json_object_get(root, "ttl_days");
	if (ttl != NULL && !json_is_null(ttl)) {
		if (!json_is_integer(ttl) || json_integer_value(ttl) < 1 ||
		    json_integer_value(ttl) > AUTH_BODY_TTL_DAYS_MAX) {
			snprintf(err, errlen,
				 "ttl_days: a whole number of days from 1 to %d, or null",
				 AUTH_BODY_TTL_DAYS_MAX);
			goto out;
		}
		out->ttl_days = (int)json_integer_value(ttl);
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
auth_body_revoke(const char *body, size_t len, int *id, char *err, size_t errlen)
{
	static const char *const keys[] = {"id", NULL};
	json_t *root = auth_body_load(body, len, err, errlen), *v;
	int rc = -1;

	if (root == NULL)
		return -1;
	if (auth_body_keys(root, keys, err, errlen) != 0)
		goto out;
	v = json_object_get(root, "id");
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 2147483647) {
		snprintf(err, errlen, "id must be a positive whole number");
		goto out;
	}
	*id = (int)json_integer_value(v);
	rc = 0;
out:
	json_decref(root);
	return rc;
}
