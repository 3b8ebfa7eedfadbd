-- 005: authentication (docs/security.md). Users with bcrypt password hashes (pgcrypto,
-- crypt(…, gen_salt('bf', 12)): the slow hash runs inside PostgreSQL, so perfwatch-api's event
-- loop never computes it), browser sessions and API tokens stored as SHA-256 hashes of random
-- 256-bit tokens (the server never stores a usable token), with idle and absolute expiry.
--
-- Everything lives in the schema perfwatch_auth, which only the owner and perfwatch_api may use.
-- perfwatch_api has no privilege on the tables themselves: it calls the SECURITY DEFINER
-- functions below, none of which returns a password hash or a token hash it was not given.
-- perfwatch_reader and perfwatch_collector can neither read the tables nor call the functions.

CREATE SCHEMA IF NOT EXISTS perfwatch_auth;
REVOKE ALL ON SCHEMA perfwatch_auth FROM PUBLIC;
GRANT USAGE ON SCHEMA perfwatch_auth TO perfwatch_api;
COMMENT ON SCHEMA perfwatch_auth IS 'PerfWatch users, sessions and API tokens; used by perfwatch-api through its functions only.';

-- pgcrypto is a trusted extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA perfwatch_auth;
DO $$
BEGIN
	IF (SELECT extnamespace FROM pg_extension WHERE extname = 'pgcrypto')
	   <> 'perfwatch_auth'::regnamespace THEN
		RAISE EXCEPTION 'pgcrypto is installed in another schema'
			USING HINT = 'ALTER EXTENSION pgcrypto SET SCHEMA perfwatch_auth; then migrate again';
	END IF;
END
$$;

CREATE TABLE perfwatch_auth.users (
	id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$'),
	password_hash text NOT NULL CHECK (password_hash LIKE '$2_$%'),
	is_admin boolean NOT NULL DEFAULT false,
	created_at timestamptz NOT NULL DEFAULT now(),
	password_changed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE perfwatch_auth.users IS 'Dashboard and API users.';
COMMENT ON COLUMN perfwatch_auth.users.password_hash IS 'bcrypt (pgcrypto crypt() with gen_salt(''bf'', 12)): salt and cost are part of the text.';

CREATE TABLE perfwatch_auth.sessions (
	token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
	user_id integer NOT NULL REFERENCES perfwatch_auth.users (id) ON DELETE CASCADE,
	created_at timestamptz NOT NULL DEFAULT now(),
	last_seen_at timestamptz NOT NULL DEFAULT now(),
	expires_at timestamptz NOT NULL,
	idle_timeout interval NOT NULL CHECK (idle_timeout > interval '0'),
	client_addr text CHECK (length(client_addr) <= 64)
);
CREATE INDEX ON perfwatch_auth.sessions (user_id);
COMMENT ON TABLE perfwatch_auth.sessions IS 'Browser sessions: valid while now() < expires_at (absolute) and now() < last_seen_at + idle_timeout.';
COMMENT ON COLUMN perfwatch_auth.sessions.token_hash IS 'SHA-256 of the 32 random bytes of the session cookie; the cookie itself is never stored.';

CREATE TABLE perfwatch_auth.api_tokens (
	id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	user_id integer NOT NULL REFERENCES perfwatch_auth.users (id) ON DELETE CASCADE,
	name text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9 _.:@-]{0,63}$'),
	created_at timestamptz NOT NULL DEFAULT now(),
	last_used_at timestamptz,
	expires_at timestamptz,
	revoked_at timestamptz
);
CREATE INDEX ON perfwatch_auth.api_tokens (user_id);
COMMENT ON TABLE perfwatch_auth.api_tokens IS 'API tokens for scripts (Authorization: Bearer): valid until revoked_at or expires_at (NULL: no expiry).';
COMMENT ON COLUMN perfwatch_auth.api_tokens.token_hash IS 'SHA-256 of the token''s 32 random bytes; the token is shown once, at creation.';

-- A bcrypt hash of the same cost for names that do not exist, so that an unknown user costs the
-- same time as a wrong password.
CREATE TABLE perfwatch_auth.dummy (
	one boolean PRIMARY KEY DEFAULT true CHECK (one),
	password_hash text NOT NULL
);
INSERT INTO perfwatch_auth.dummy (password_hash)
VALUES (perfwatch_auth.crypt(encode(perfwatch_auth.gen_random_bytes(18), 'base64'),
			     perfwatch_auth.gen_salt('bf', 12)))
ON CONFLICT DO NOTHING;

-- Checks name/password; on success stores a session for token_hash and returns the user and
-- the session's validity (epoch ms); on failure returns no row. Unknown user and wrong password
-- take the same time and give the same answer.
CREATE FUNCTION perfwatch_auth.login(p_name text, p_password text, p_token_hash bytea,
				     p_idle interval, p_max interval, p_addr text)
RETURNS TABLE (user_id integer, user_name text, is_admin boolean, valid_until_ms bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
DECLARE
	u users%ROWTYPE;
	h text;
BEGIN
	SELECT * INTO u FROM users WHERE users.name = p_name;
	h := coalesce(u.password_hash, (SELECT d.password_hash FROM dummy d));
	IF crypt(p_password, h) <> h OR u.id IS NULL THEN
		RETURN;
	END IF;
	DELETE FROM sessions s WHERE s.expires_at <= now() OR s.last_seen_at + s.idle_timeout <= now();
	INSERT INTO sessions (token_hash, user_id, expires_at, idle_timeout, client_addr)
	VALUES (p_token_hash, u.id, now() + p_max, p_idle, left(p_addr, 64));
	RETURN QUERY SELECT u.id, u.name, u.is_admin,
		(extract(epoch FROM least(now() + p_max, now() + p_idle)) * 1000)::bigint;
END
$$;

-- For each hash that is a live session or API token: marks it used (extending the session's
-- idle time) and returns what it is, whose, and until when it is valid (epoch ms; NULL: an API
-- token without expiry). Unknown, expired and revoked hashes return no row.
CREATE FUNCTION perfwatch_auth.check(p_hashes bytea[])
RETURNS TABLE (token_hash bytea, kind text, token_id integer, user_id integer, user_name text,
	       is_admin boolean, valid_until_ms bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
BEGIN
	RETURN QUERY
	WITH s AS (
		UPDATE sessions s SET last_seen_at = now()
		WHERE s.token_hash = ANY (p_hashes) AND s.expires_at > now()
		  AND s.last_seen_at + s.idle_timeout > now()
		RETURNING s.token_hash, s.user_id, least(s.expires_at, now() + s.idle_timeout) AS until
	), t AS (
		UPDATE api_tokens t SET last_used_at = now()
		WHERE t.token_hash = ANY (p_hashes) AND t.revoked_at IS NULL
		  AND (t.expires_at IS NULL OR t.expires_at > now())
		RETURNING t.token_hash, t.id, t.user_id, t.expires_at AS until
	)
	SELECT s.token_hash, 'session', NULL::integer, u.id, u.name, u.is_admin,
	       (extract(epoch FROM s.until) * 1000)::bigint
	FROM s JOIN users u ON u.id = s.user_id
	UNION ALL
	SELECT t.token_hash, 'token', t.id, u.id, u.name, u.is_admin,
	       (extract(epoch FROM t.until) * 1000)::bigint
	FROM t JOIN users u ON u.id = t.user_id;
END
$$;

-- The periodic re-check of perfwatch-api's credential cache: marks p_used used (as check())
-- and returns every live session and token (at most p_limit, most recently active first), in
-- the shape of check(), so the cache mirrors what the database allows.
CREATE FUNCTION perfwatch_auth.refresh(p_used bytea[], p_limit integer)
RETURNS TABLE (token_hash bytea, kind text, token_id integer, user_id integer, user_name text,
	       is_admin boolean, valid_until_ms bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
BEGIN
	PERFORM 1 FROM perfwatch_auth.check(p_used);
	RETURN QUERY
	SELECT c.token_hash, c.kind, c.token_id, c.user_id, c.user_name, c.is_admin,
	       (extract(epoch FROM c.until) * 1000)::bigint
	FROM (
		SELECT s.token_hash, 'session' AS kind, NULL::integer AS token_id, u.id AS user_id,
		       u.name AS user_name, u.is_admin,
		       least(s.expires_at, s.last_seen_at + s.idle_timeout) AS until,
		       s.last_seen_at AS active
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.expires_at > now() AND s.last_seen_at + s.idle_timeout > now()
		UNION ALL
		SELECT t.token_hash, 'token', t.id, u.id, u.name, u.is_admin, t.expires_at,
		       coalesce(t.last_used_at, t.created_at)
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
	) c
	ORDER BY c.active DESC
	LIMIT p_limit;
END
$$;

-- Ends the session with this hash; returns true when there was one.
CREATE FUNCTION perfwatch_auth.logout(p_token_hash bytea)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
	WITH d AS (DELETE FROM sessions WHERE token_hash = p_token_hash RETURNING 1)
	SELECT count(*) > 0 FROM d;
$$;

-- Stores a new API token of the user (ttl NULL: no expiry) and returns its row (never the hash).
-- A user has at most 100 live tokens (program_limit_exceeded).
CREATE FUNCTION perfwatch_auth.token_create(p_user_id integer, p_name text, p_token_hash bytea,
					    p_ttl interval)
RETURNS TABLE (id integer, name text, created_at timestamptz, expires_at timestamptz)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
BEGIN
	PERFORM 1 FROM users u WHERE u.id = p_user_id FOR UPDATE;
	IF (SELECT count(*) FROM api_tokens t
	    WHERE t.user_id = p_user_id AND t.revoked_at IS NULL
	      AND (t.expires_at IS NULL OR t.expires_at > now())) >= 100 THEN
		RAISE EXCEPTION 'at most 100 live API tokens per user'
			USING ERRCODE = 'program_limit_exceeded';
	END IF;
	RETURN QUERY
	INSERT INTO api_tokens AS t (token_hash, user_id, name, expires_at)
	VALUES (p_token_hash, p_user_id, p_name, now() + p_ttl)
	RETURNING t.id, t.name, t.created_at, t.expires_at;
END
$$;

-- The user's API tokens, newest first, revoked ones included (never the hashes).
CREATE FUNCTION perfwatch_auth.token_list(p_user_id integer)
RETURNS TABLE (id integer, name text, created_at timestamptz, last_used_at timestamptz,
	       expires_at timestamptz, revoked_at timestamptz)
LANGUAGE sql
STABLE
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
	SELECT t.id, t.name, t.created_at, t.last_used_at, t.expires_at, t.revoked_at
	FROM api_tokens t WHERE t.user_id = p_user_id ORDER BY t.id DESC;
$$;

-- Revokes the user's token `id`; returns its hash (so the caller can forget it at once), or no
-- row when the user has no such live token.
CREATE FUNCTION perfwatch_auth.token_revoke(p_user_id integer, p_id integer)
RETURNS TABLE (token_hash bytea)
LANGUAGE sql
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
	UPDATE api_tokens t SET revoked_at = now()
	WHERE t.id = p_id AND t.user_id = p_user_id AND t.revoked_at IS NULL
	RETURNING t.token_hash;
$$;

-- Creates a user; raises unique_violation when the name exists.
CREATE FUNCTION perfwatch_auth.user_add(p_name text, p_password text, p_admin boolean)
RETURNS integer
LANGUAGE sql
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
	INSERT INTO users (name, password_hash, is_admin)
	VALUES (p_name, crypt(p_password, gen_salt('bf', 12)), p_admin)
	RETURNING id;
$$;

-- Sets a new password and ends every session and API token of the user; returns false when
-- there is no such user.
CREATE FUNCTION perfwatch_auth.user_passwd(p_name text, p_password text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
DECLARE
	uid integer;
BEGIN
	UPDATE users SET password_hash = crypt(p_password, gen_salt('bf', 12)),
			 password_changed_at = now()
	WHERE name = p_name RETURNING id INTO uid;
	IF uid IS NULL THEN
		RETURN false;
	END IF;
	DELETE FROM sessions WHERE user_id = uid;
	UPDATE api_tokens SET revoked_at = now() WHERE user_id = uid AND revoked_at IS NULL;
	RETURN true;
END
$$;

-- Deletes a user with their sessions and tokens; returns false when there is no such user.
CREATE FUNCTION perfwatch_auth.user_del(p_name text)
RETURNS boolean
LANGUAGE sql
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
	WITH d AS (DELETE FROM users WHERE name = p_name RETURNING 1)
	SELECT count(*) > 0 FROM d;
$$;

-- Creates the first user (an admin) when there is no user at all; returns true when it did.
CREATE FUNCTION perfwatch_auth.bootstrap(p_name text, p_password text)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
BEGIN
	LOCK TABLE users IN EXCLUSIVE MODE;
	IF EXISTS (SELECT 1 FROM users) THEN
		RETURN false;
	END IF;
	INSERT INTO users (name, password_hash, is_admin)
	VALUES (p_name, crypt(p_password, gen_salt('bf', 12)), true);
	RETURN true;
END
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA perfwatch_auth FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA perfwatch_auth FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
	perfwatch_auth.login(text, text, bytea, interval, interval, text),
	perfwatch_auth.check(bytea[]),
	perfwatch_auth.refresh(bytea[], integer),
	perfwatch_auth.logout(bytea),
	perfwatch_auth.token_create(integer, text, bytea, interval),
	perfwatch_auth.token_list(integer),
	perfwatch_auth.token_revoke(integer, integer),
	perfwatch_auth.user_add(text, text, boolean),
	perfwatch_auth.user_passwd(text, text),
	perfwatch_auth.user_del(text),
	perfwatch_auth.bootstrap(text, text)
	TO perfwatch_api;
