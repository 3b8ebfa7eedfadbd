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
