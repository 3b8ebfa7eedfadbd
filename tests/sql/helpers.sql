-- Test helpers (tests/sql/run.sh loads them into the template database; never in migrations).
CREATE SCHEMA t;

-- Raises with `name` when cond is not true; prints "ok - name" otherwise.
CREATE FUNCTION t.check(cond boolean, name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF cond IS NOT TRUE THEN
		RAISE EXCEPTION 'not ok - %', name;
	END IF;
	RAISE NOTICE 'ok - %', name;
END
$$;

-- Raises unless a and b are equal (both NULL counts as equal).
CREATE FUNCTION t.eq(a anyelement, b anyelement, name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	IF a IS DISTINCT FROM b THEN
		RAISE EXCEPTION 'not ok - %: got %, want %', name, a, b;
	END IF;
	RAISE NOTICE 'ok - %', name;
END
$$;

-- Relative equality for floating-point results of differently ordered sums.
CREATE FUNCTION t.near(a double precision, b double precision, name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF a IS NULL OR b IS NULL OR abs(a - b) > 1e-9 * greatest(abs(a), abs(b), 1) THEN
		RAISE EXCEPTION 'not ok - %: got %, want %', name, a, b;
	END IF;
	RAISE NOTICE 'ok - %', name;
END
$$;

-- The partitions of a table, by name.
CREATE FUNCTION t.parts(parent text) RETURNS text[] LANGUAGE sql AS $$
	SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{}')
	FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
	WHERE i.inhparent = parent::regclass;
$$;

-- Tests that roll up "up to now" and then compare the 1-minute and 1-hour watermarks need now()
-- away from an hour boundary: in the hour's first minutes both watermarks are that hour, and an
-- hour that turns between maintenance and the check moves now() past the 1-hour watermark.
-- Waits (at most 3.5 min, in 1 run of 17) until 2 minutes past the hour when now is near one.
CREATE FUNCTION t.away_from_hour_boundary() RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	into_hour double precision := extract(epoch FROM clock_timestamp() - date_trunc('hour', clock_timestamp()));
BEGIN
	IF into_hour < 120 THEN
		PERFORM pg_sleep(120 - into_hour);
	ELSIF into_hour > 3600 - 90 THEN
		PERFORM pg_sleep(3600 - into_hour + 120);
	END IF;
END
$$;
