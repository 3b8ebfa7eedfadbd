-- The credential cache's periodic refresh marks the credentials it saw used with the time of
-- their last use, not with the time of the round: 005's refresh(p_used, p_limit) set
-- last_seen_at = now(), so a session's idle time counted from the round that reported it (up to
-- one refresh interval late, 30 s by default) and an idle session could outlive --session-idle
-- by that much.

-- Marks each of p_used used at the matching p_used_at_ms (epoch ms; a time in the future counts
-- as now) unless the credential had already expired then, and returns every live session and
-- token as 005's refresh() does.
CREATE FUNCTION perfwatch_auth.refresh(p_used bytea[], p_used_at_ms bigint[], p_limit integer)
RETURNS TABLE (token_hash bytea, kind text, token_id integer, user_id integer, user_name text,
	       is_admin boolean, valid_until_ms bigint)
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = perfwatch_auth, pg_temp
AS $$
BEGIN
	IF cardinality(p_used) IS DISTINCT FROM cardinality(p_used_at_ms) THEN
		RAISE EXCEPTION 'refresh: % hashes but % use times', cardinality(p_used),
			cardinality(p_used_at_ms) USING ERRCODE = 'invalid_parameter_value';
	END IF;
	WITH u AS (
		SELECT x.h, least(to_timestamp(x.ms / 1000.0), now()) AS at
		FROM unnest(p_used, p_used_at_ms) AS x(h, ms)
	)
	UPDATE sessions s SET last_seen_at = u.at
	FROM u
	WHERE s.token_hash = u.h AND u.at > s.last_seen_at AND s.expires_at > u.at
	  AND s.last_seen_at + s.idle_timeout > u.at;
	WITH u AS (
		SELECT x.h, least(to_timestamp(x.ms / 1000.0), now()) AS at
		FROM unnest(p_used, p_used_at_ms) AS x(h, ms)
	)
	UPDATE api_tokens t SET last_used_at = u.at
	FROM u
	WHERE t.token_hash = u.h AND (t.last_used_at IS NULL OR u.at > t.last_used_at)
	  AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > u.at);
	/* Every live credential: 005's refresh() with nothing to mark. */
	RETURN QUERY SELECT * FROM perfwatch_auth.refresh('{}'::bytea[], p_limit);
END
$$;

-- perfwatch-api calls the new one from this version on; 005's stays, for the live set above and
-- for a server still running the previous version against this schema (it starts: it checks
-- only for the migrations it knows).
REVOKE ALL ON FUNCTION perfwatch_auth.refresh(bytea[], bigint[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION perfwatch_auth.refresh(bytea[], bigint[], integer) TO perfwatch_api;
